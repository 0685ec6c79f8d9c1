#!/usr/bin/env python3
"""The databags where coordinated-workers 4.0.1 and 4.1.4 write otherwise, written by the real library.

    python peer_cases.py OUT.json

`cargo xtask interop` runs it in each peer's venv; its output must equal the committed
`tests/interop/peers/<version>.json` (so a difference between the peers is recorded, and a new pin
that changes what a peer writes fails), and the Rust side must read each databag of either peer as
the same cluster. Each case drives the library's own interface classes (`ClusterRequirer`,
`ClusterProvider`) in `ops.testing.Harness`, unmodified:

- `roles`: a worker app whose options list its roles out of order. `publish_app_roles` writes them
  as given in 4.0.1 and sorted in 4.1.4 (`interfaces/cluster.py`).
- `privkey_without_certificates`: what a 4.0.1 `Coordinator` publishes before TLS is set up: the
  private key's secret ID but no `ca_cert` and no `server_cert` (4.0.1 `coordinator.py` calls
  `grant_privkey` whatever the TLS state; 4.1.4 only `if tls_config`). Beside it, the same data
  without the key (`without_privkey`).
- `loki_endpoints`: the same Loki units in two key orders. A 4.0.1 `Coordinator` gathers them in
  `relation.units` order, a set's (`loki_endpoints_by_unit`); 4.1.4 sorts them by unit name.
"""

import json
import sys
from importlib.metadata import version

import ops
from ops.testing import Harness

from coordinated_workers.interfaces.cluster import ClusterProvider, ClusterRequirer

ENDPOINT = "pyroscope-cluster"
WORKER_META = f"""
name: pyroscope-worker
requires:
  {ENDPOINT}:
    interface: pyroscope_cluster
"""
COORDINATOR_META = f"""
name: pyroscope
provides:
  {ENDPOINT}:
    interface: pyroscope_cluster
"""
ROLES_GIVEN = ["querier", "ingester", "all"]
ROLES = ["querier", "query-frontend", "query-scheduler", "ingester", "distributor", "compactor",
         "store-gateway", "tenant-settings", "ad-hoc-profiles"]
WORKER_CONFIG = """memberlist:
  bind_port: 7946
  join_members:
  - pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:7946
server:
  http_listen_port: 4040
"""
LOKI = {
    "loki/1": "http://loki-1.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push",
    "loki/0": "http://loki-0.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push",
    "loki/10": "http://loki-10.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push",
}
PRIVKEY = "secret:d4m3q2vmp25c7b0ip3s0"


class Worker(ops.CharmBase):
    def __init__(self, framework):
        super().__init__(framework)
        self.cluster = ClusterRequirer(self, endpoint=ENDPOINT)


class Coordinator(ops.CharmBase):
    def __init__(self, framework):
        super().__init__(framework)
        self.cluster = ClusterProvider(
            self, roles=frozenset(ROLES), meta_roles={"all": ROLES}, endpoint=ENDPOINT,
            worker_ports=lambda _role: [7946, 4040],
        )


def published_roles():
    harness = Harness(Worker, meta=WORKER_META)
    relation = harness.add_relation(ENDPOINT, "pyroscope")
    harness.set_leader(True)
    harness.begin()
    harness.charm.cluster.publish_app_roles(ROLES_GIVEN)
    data = dict(harness.get_relation_data(relation, "pyroscope-worker"))
    harness.cleanup()
    return data


def published(**fields):
    """The coordinator's app databag after `publish_data(**fields)` to one ready worker app."""
    harness = Harness(Coordinator, meta=COORDINATOR_META)
    relation = harness.add_relation(ENDPOINT, "pyroscope-worker")
    harness.add_relation_unit(relation, "pyroscope-worker/0")
    harness.update_relation_data(relation, "pyroscope-worker", {"role": '"all"'})
    harness.update_relation_data(relation, "pyroscope-worker/0", {
        "address": '"pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local"',
        "juju_topology": json.dumps({"application": "pyroscope-worker", "unit": "pyroscope-worker/0",
                                     "charm_name": "pyroscope-worker-k8s"}),
    })
    harness.set_leader(True)
    harness.begin()
    harness.charm.cluster.publish_data(worker_config=WORKER_CONFIG, **fields)
    data = dict(harness.get_relation_data(relation, "pyroscope"))
    harness.cleanup()
    return data


def main(out):
    telemetry = {"charm_tracing_receivers": {}, "workload_tracing_receivers": {}}
    cases = {
        "generated_by": "tests/interop/peer_cases.py",
        "library": f"coordinated-workers {version('coordinated-workers')}, ops {version('ops')}, "
                   f"pydantic {version('pydantic')}",
        "roles": {"given": ROLES_GIVEN, "requirer_app": published_roles()},
        "privkey_without_certificates": published(privkey_secret_id=PRIVKEY, loki_endpoints={}, **telemetry),
        "without_privkey": published(loki_endpoints={}, **telemetry),
        "loki_endpoints": [
            published(loki_endpoints=LOKI, **telemetry),
            published(loki_endpoints=dict(sorted(LOKI.items())), **telemetry),
        ],
    }
    with open(out, "w") as file:
        json.dump(cases, file, indent=1, sort_keys=False)
        file.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""A Pyroscope coordinator on the real `coordinated_workers.interfaces.cluster.ClusterProvider`.

A test charm for `cargo xtask interop`, not a product: it skips the library's `Coordinator`
class (which needs Kubernetes, Pebble and nginx) and uses the interface class alone, unmodified.
On every hook its leader renders a small Pyroscope configuration whose gossip ring lists every
worker address, and publishes it with the telemetry fields the Rust example coordinator sends (empty maps, as
the Canonical coordinator sends them when nothing is related to it), so that every key but
`worker_config` can be compared byte for byte with the Rust coordinator's.
"""

import ops
import yaml
from coordinated_workers.interfaces.cluster import ClusterProvider

ENDPOINT = "pyroscope-cluster"
ROLES = [
    "querier", "query-frontend", "query-scheduler", "ingester", "distributor", "compactor",
    "store-gateway", "tenant-settings", "ad-hoc-profiles",
]
MEMBERLIST_PORT = 7946
HTTP_PORT = 4040


class Coordinator(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.cluster = ClusterProvider(
            self,
            roles=frozenset(ROLES),
            meta_roles={"all": ROLES},
            endpoint=ENDPOINT,
            worker_ports=lambda _role: [MEMBERLIST_PORT, HTTP_PORT],
        )
        for event in (
            self.on.install,
            self.on.leader_elected,
            self.on.config_changed,
            self.on.update_status,
            self.cluster.on.changed,
        ):
            framework.observe(event, self._reconcile)

    def _reconcile(self, _event: ops.EventBase):
        if not self.unit.is_leader():
            self.unit.status = ops.ActiveStatus("standby: the leader publishes the configuration")
            return
        members = [f"{address}:{MEMBERLIST_PORT}" for address in self.cluster.gather_addresses()]
        config = {
            "memberlist": {"bind_port": MEMBERLIST_PORT, "join_members": members},
            "server": {"http_listen_port": HTTP_PORT},
            "storage": {"backend": "filesystem", "filesystem": {"dir": "/pyroscope-data/blocks"}},
        }
        self.cluster.publish_data(
            worker_config=yaml.dump(config),
            loki_endpoints={},
            charm_tracing_receivers={},
            workload_tracing_receivers={},
        )
        roles = sorted(self.cluster.gather_roles())
        self.unit.status = ops.ActiveStatus(f"{len(members)} workers; roles {','.join(roles)}")


if __name__ == "__main__":
    ops.main(Coordinator)

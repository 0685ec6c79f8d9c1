"""`pyroscope-cluster reconcile`'s work done by the real Python library, for a speed comparison.

Reads the same reconcile input (JSON: `settings`, `relations: [{id, app, app_data, units}]`) and
does what the Python coordinator does with it in one hook, with coordinated-workers' own
`ClusterProvider` (unmodified; only its Juju relations are plain objects): load and validate every
worker databag (`gather_roles`, `gather_addresses_by_role`, `gather_addresses`,
`gather_topology`, each as the coordinator calls them), render a Pyroscope configuration of the
same shape with PyYAML, publish it to every ready relation (`publish_data`: pydantic model, JSON
per key) and print the result as JSON. It is a timing harness, not a coordinator: the
configuration has the Canonical coordinator's sections, not all its details.

`speed.py` beside it writes an input and times this script and the release binary on it, whole
processes, interleaved (its docstring says how to run it).
"""

import json
import sys
import types

import yaml
from coordinated_workers.interfaces.cluster import ClusterProvider

# The Pyroscope coordinator's roles and meta-role (`all`), as the Canonical charm declares them.
ROLES = [
    "querier",
    "query-frontend",
    "query-scheduler",
    "ingester",
    "distributor",
    "compactor",
    "store-gateway",
    "tenant-settings",
    "ad-hoc-profiles",
]


class Relation:
    """What `ClusterProvider` reads of an `ops.Relation`: `app`, `units`, `data`."""

    def __init__(self, spec, coordinator_app):
        self.id = spec["id"]
        self.app = spec["app"]
        self.units = list(spec.get("units", {}))
        self.data = {self.app: dict(spec.get("app_data", {})), coordinator_app: {}}
        self.data.update({unit: dict(bag) for unit, bag in spec.get("units", {}).items()})


def provider(relations, coordinator_app):
    """The library's `ClusterProvider`, its Juju side replaced by plain objects."""
    cluster = ClusterProvider.__new__(ClusterProvider)
    unit = types.SimpleNamespace(is_leader=lambda: True)
    cluster._charm = types.SimpleNamespace(unit=unit)
    cluster._roles = frozenset(ROLES)
    cluster._meta_roles = {"all": ROLES}
    cluster._worker_ports = lambda role: [7946, 4040]
    cluster._relations = relations
    cluster.framework = types.SimpleNamespace(model=types.SimpleNamespace(app=coordinator_app))
    return cluster


def config(addresses, roles, s3):
    """A Pyroscope configuration of the Canonical coordinator's shape."""
    ring = {"kvstore": {"store": "memberlist"}}
    replication = 3 if roles.get("ingester", 0) >= 3 else 1
    return {
        "api": {"base-url": "/"},
        "compactor": {"cleanup_interval": "15m", "deletion_delay": "12h", "sharding_ring": ring},
        "distributor": {"ring": ring},
        "ingester": {"lifecycler": {"ring": dict(ring, replication_factor=replication)}},
        "limits": {"compactor_blocks_retention_period": "30d"},
        "memberlist": {"bind_port": 7946, "join_members": [f"{a}:7946" for a in addresses]},
        "pyroscopedb": {"data_path": "/pyroscope-data"},
        "server": {"http_listen_port": 4040},
        "storage": {"backend": "s3", "s3": dict(s3)},
        "store_gateway": {"sharding_ring": {"replication_factor": replication}},
    }


def main(path):
    with open(path) as file:
        document = json.load(file)
    coordinator_app = "pyroscope"
    relations = [Relation(spec, coordinator_app) for spec in document["relations"]]
    cluster = provider(relations, coordinator_app)
    roles = cluster.gather_roles()
    by_role = cluster.gather_addresses_by_role()
    addresses = cluster.gather_addresses()
    topology = cluster.gather_topology()
    worker_config = yaml.safe_dump(config(addresses, roles, document["settings"]["s3"]))
    cluster.publish_data(
        worker_config=worker_config,
        loki_endpoints={},
        charm_tracing_receivers={},
        workload_tracing_receivers={},
        worker_labels={"app.kubernetes.io/part-of": coordinator_app},
    )
    output = {
        "publish": {str(r.id): r.data[coordinator_app] for r in relations if r.data[coordinator_app]},
        "addresses": list(addresses),
        "addresses_by_role": {role: sorted(a) for role, a in sorted(by_role.items())},
        "roles": roles,
        "units": len(topology),
    }
    json.dump(output, sys.stdout, indent=2)


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""A Pyroscope worker on the real `coordinated_workers.interfaces.cluster.ClusterRequirer`.

A test charm for `cargo xtask interop`, not a product: it skips the library's `Worker` class
(which needs Kubernetes and Pebble) and uses the interface class alone, unmodified. On every hook
it publishes its roles (leader) and its address, and writes the coordinator's configuration as the
Canonical worker does (`yaml.safe_dump` of what `get_worker_config` loads) to
`$PYROSCOPE_WORKER_CONFIG_DIR/config.yaml`, the file the Rust worker writes; it opens the ports
the coordinator asks for. It does not run Pyroscope.
"""

import os
import pathlib

import ops
import yaml
from coordinated_workers.interfaces.cluster import ClusterRequirer

ENDPOINT = "pyroscope-cluster"


class Worker(ops.CharmBase):
    def __init__(self, framework: ops.Framework):
        super().__init__(framework)
        self.cluster = ClusterRequirer(self, endpoint=ENDPOINT)
        self.config_file = pathlib.Path(os.environ["PYROSCOPE_WORKER_CONFIG_DIR"]) / "config.yaml"
        for event in (
            self.on.install,
            self.on.leader_elected,
            self.on.config_changed,
            self.on.update_status,
            self.on[ENDPOINT].relation_joined,
            self.cluster.on.created,
            self.cluster.on.config_received,
        ):
            framework.observe(event, self._reconcile)
        framework.observe(self.cluster.on.removed, self._coordinator_gone)
        framework.observe(self.on[ENDPOINT].relation_broken, self._coordinator_gone)

    @property
    def roles(self):
        """The roles whose `role-<name>` option is true."""
        return sorted(key[len("role-"):] for key, on in self.config.items() if key.startswith("role-") and on)

    def _reconcile(self, _event: ops.EventBase):
        if not self.cluster.relation:
            return self._coordinator_gone(None)
        if self.unit.is_leader():
            self.cluster.publish_app_roles(self.roles)
        address = self.model.get_binding(ENDPOINT).network.ingress_address
        self.cluster.publish_unit_address(str(address))
        config = self.cluster.get_worker_config()
        if not config:
            self.unit.status = ops.WaitingStatus("waiting for the coordinator to publish the configuration")
            return
        text = yaml.safe_dump(config)
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        if not self.config_file.exists() or self.config_file.read_text() != text:
            self.config_file.write_text(text)
        self.unit.set_ports(*(self.cluster.get_worker_ports() or ()))
        self.unit.status = ops.ActiveStatus(f"running {','.join(self.roles)}")

    def _coordinator_gone(self, _event):
        self.config_file.unlink(missing_ok=True)
        self.unit.status = ops.BlockedStatus("no coordinator: relate this worker to a Pyroscope coordinator")


if __name__ == "__main__":
    ops.main(Worker)

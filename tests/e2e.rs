//! The example charms as processes under the fake Juju: the charm binaries and the fake hook
//! tools, through the whole scenario that `exchange.rs` runs in memory on the same charm code.

#[path = "support/mod.rs"]
mod support;

use pyroscope_cluster_juju::testing::Model;

#[test]
fn the_whole_scenario_as_processes() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let mut model = Model::new(support::new_state(), support::processes(&sandbox, &support::cargo_bins!()));
    support::scenario(&mut model, &sandbox, 1);
}

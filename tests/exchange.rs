//! The whole scenario in the in-memory Juju: the example coordinator and worker charms, run in
//! this process hook after hook in Juju's order, over one model state.

#[path = "support/mod.rs"]
mod support;

use pyroscope_cluster_juju::testing::Model;

#[test]
fn the_whole_scenario_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let mut model = Model::new(support::new_state(), support::in_memory(&sandbox));
    support::scenario(&mut model, &sandbox, 2);
}

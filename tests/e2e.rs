//! The example charms as processes under the fake Juju: the charm binaries and the fake hook tools,
//! through the steps where a process boundary matters (the environment, argv, stdin, exit codes,
//! files on disk). The whole scenario runs in memory (`exchange.rs`), on the same charm code.

#[path = "support/mod.rs"]
mod support;

use pyroscope_cluster_juju::testing::Model;

#[test]
fn a_cluster_as_processes() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let mut model = Model::new(support::new_state(), support::processes(&sandbox, &support::cargo_bins!()));
    support::short_scenario(&mut model, &sandbox);
}

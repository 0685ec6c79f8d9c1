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

/// A v2 cluster as processes, kept small (one worker unit of `all`): the charm binaries read the
/// `architecture` and release options through the real hook-tool argv, the coordinator renders
/// the v2 configuration (a metastore's Raft peers included), and the worker runs it with the v2
/// flags. The in-memory `a_v2_cluster_in_memory` runs the large v2 scenario on the same code.
#[test]
fn a_v2_cluster_as_processes() {
    use pyroscope_cluster_model::{DatabagModel, ProviderAppData};
    use serde_json::Value;
    let dir = tempfile::tempdir().unwrap();
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let mut model = Model::new(support::new_state(), support::processes(&sandbox, &support::cargo_bins!()));
    let release = [("pyroscope_release", Value::from("2.2.1"))];
    let v2 = [("architecture", Value::from("v2")), release[0].clone()];
    support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 1, &v2);
    model.deploy("s3", None, 1);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    support::deploy_worker(&mut model, "worker", &["all"], 1);
    model.set_config("worker", &release);
    let id = model.relate("pyroscope", "pyroscope-cluster", "worker", "pyroscope-cluster");
    model.settle().unwrap();

    let status = &model.state.apps["pyroscope"].units["pyroscope/0"].status;
    assert_eq!(status.name, "active", "{status}");
    let published = support::published(&model.state, id);
    assert_eq!(published["worker_ports"], "[7946, 4040, 9095, 9099]", "`all` runs the metastore: Raft's port");
    let data = ProviderAppData::decode(&published).unwrap();
    assert_eq!(sandbox.config("worker/0").as_deref(), Some(data.worker_config.as_str()), "the config file");
    let config: Value = pyroscope_cluster_model::yaml::from_str(&data.worker_config).unwrap();
    assert_eq!(config["architecture_storage"], "v2");
    let address: String = serde_json::from_str(&model.state.relations[&id].unit_data["worker/0"]["address"]).unwrap();
    let peer = format!("{address}:9099");
    assert_eq!(config["metastore"]["raft"]["bootstrap_peers"], serde_json::json!([format!("{peer}/{peer}")]));
    let argv = sandbox.record("worker/0").running.expect("the worker runs Pyroscope");
    for flag in ["-target=all", "-architecture.storage=v2", &format!("-metastore.raft.server-id={peer}")] {
        assert!(argv.iter().any(|arg| arg == flag), "{flag} in {argv:?}");
    }
    let worker = &model.state.apps["worker"].units["worker/0"].status;
    assert_eq!((worker.name.as_str(), worker.message.as_str()), ("active", "running all"));
}

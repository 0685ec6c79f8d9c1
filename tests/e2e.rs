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

/// The hook cache as processes keep it (a file in each unit's charm directory), through faults:
/// a `relation-set` that fails, a hook that fails after its writes (Juju rolls them back), a cache
/// that cannot be written (a full disk: here a directory in its place). After each, the next
/// hook publishes what a coordinator without a cache publishes.
#[test]
fn the_hook_cache_as_processes_through_faults() {
    use pyroscope_cluster_juju::testing::{Fault, FaultAction, HookSpec};
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let mut model = Model::new(support::new_state(), support::processes(&sandbox, &support::cargo_bins!()));
    support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 1, &[]);
    model.deploy("s3", None, 1);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    support::deploy_worker(&mut model, "worker", &["all"], 2);
    let id = model.relate("pyroscope", "pyroscope-cluster", "worker", "pyroscope-cluster");
    support::deploy_worker(&mut model, "other", &["all"], 1);
    let other = model.relate("pyroscope", "pyroscope-cluster", "other", "pyroscope-cluster");
    model.settle().unwrap();
    let cache = model.executor.unit_charm_dir("pyroscope/0").join(pyroscope_cluster_juju::CACHE_FILE);
    let mode = std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the cache holds databags: owner-only");
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(text.contains("\"in_progress\":false"), "a successful hook committed it");

    let move_worker = |model: &mut Model<_>, address: &str| {
        model.state.apps.get_mut("worker").unwrap().units.get_mut("worker/0").unwrap().address = address.into();
        model.run(HookSpec::simple("worker/0", "config-changed")).unwrap();
    };
    let fault = |tool: &str| {
        let mut fault =
            Fault::on(tool, FaultAction::Fail { code: 1, stderr: "ERROR connection to the agent lost".into() });
        fault.unit = Some("pyroscope/0".into());
        fault.times = Some(1);
        fault
    };

    // A write that fails: reported, the hook succeeds; the next hook writes it.
    model.state.faults.push(fault("relation-set"));
    move_worker(&mut model, "10.50.0.1");
    model.settle().unwrap();
    assert!(!support::published(&model.state, id)["worker_config"].contains("10.50.0.1"));
    assert_eq!(model.state.apps["pyroscope"].units["pyroscope/0"].status.name, "waiting");
    model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap();
    assert!(support::published(&model.state, id)["worker_config"].contains("10.50.0.1:7946"));
    assert_eq!(model.state.apps["pyroscope"].units["pyroscope/0"].status.name, "active");

    // A hook that fails between two writes (the second refused, then its status-set): Juju rolls
    // the first write back, the cache keeps the mark of an unfinished hook, and the retry reads
    // everything.
    let mut second = fault("relation-set");
    second.skip = 1;
    model.state.faults.extend([second, fault("status-set")]);
    move_worker(&mut model, "10.50.0.2");
    assert!(model.settle().is_err(), "the coordinator's hook failed");
    model.state.faults.clear();
    assert!(std::fs::read_to_string(&cache).unwrap().contains("\"in_progress\":true"));
    for relation in [id, other] {
        assert!(!support::published(&model.state, relation)["worker_config"].contains("10.50.0.2"), "rolled back");
    }
    let start = model.history.len();
    model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap();
    let reads = model.history[start].calls.iter().filter(|call| call.argv[0] == "relation-get").count();
    assert!(reads >= 6, "a full read after the failed hook: {reads} relation-get");
    for relation in [id, other] {
        assert!(support::published(&model.state, relation)["worker_config"].contains("10.50.0.2:7946"));
    }

    // The cache cannot be written: every hook reads everything, and publishes the same.
    std::fs::remove_file(&cache).unwrap();
    std::fs::create_dir(&cache).unwrap();
    move_worker(&mut model, "10.50.0.3");
    model.settle().unwrap();
    assert!(support::published(&model.state, id)["worker_config"].contains("10.50.0.3:7946"));
    assert_eq!(model.state.apps["pyroscope"].units["pyroscope/0"].status.name, "active");
    std::fs::remove_dir(&cache).unwrap();
    model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap();
    assert!(std::fs::read_to_string(&cache).unwrap().contains("\"in_progress\":false"), "written again");
}

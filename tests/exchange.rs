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

/// A coordinator set to render for Pyroscope 2.2 while its workers run 1.18: every worker refuses
/// the configuration (a key 1.18 does not know), writes nothing, keeps Pyroscope running as it was
/// and says why; a worker set to 2.2 takes it; the coordinator set back, the 1.18 workers take the
/// 1.18 configuration again, the same bytes as before.
#[test]
fn workers_refuse_a_configuration_for_another_release_and_keep_running() {
    use serde_json::Value;
    let dir = tempfile::tempdir().unwrap();
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let mut model = Model::new(support::new_state(), support::in_memory(&sandbox));
    support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 1, &[]);
    model.deploy("s3", None, 1);
    support::deploy_worker(&mut model, "old", &["all"], 2);
    support::deploy_worker(&mut model, "new", &["all"], 1);
    model.set_config("new", &[("pyroscope_release", Value::from("2.2"))]);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    let old = model.relate("pyroscope", "pyroscope-cluster", "old", "pyroscope-cluster");
    model.relate("pyroscope", "pyroscope-cluster", "new", "pyroscope-cluster");
    model.settle().unwrap();
    let before = sandbox.config("old/0").expect("the 1.18 workers run");
    assert!(!before.contains("architecture_storage"));
    let status = &model.state.apps["new"].units["new/0"].status;
    assert_eq!(status.name, "active", "2.2 takes the 1.18 configuration: {status}");

    model.set_config("pyroscope", &[("pyroscope_release", Value::from("2.2"))]);
    model.settle().unwrap();
    assert!(support::published(&model.state, old)["worker_config"].contains("architecture_storage: v1"));
    for unit in ["old/0", "old/1"] {
        let status = &model.state.apps["old"].units[unit].status;
        assert_eq!(status.name, "blocked", "{unit}: {status}");
        assert!(status.message.contains("architecture_storage"), "{unit}: {status}");
        assert!(status.message.contains("Pyroscope keeps running as it was"), "{unit}: {status}");
        assert_eq!(sandbox.config(unit).as_deref(), Some(before.as_str()), "{unit}: nothing written");
        assert!(sandbox.record(unit).running.is_some(), "{unit} still runs");
    }
    let status = &model.state.apps["new"].units["new/0"].status;
    assert_eq!(status.name, "active", "{status}");
    assert!(sandbox.config("new/0").unwrap().contains("architecture_storage: v1"));

    model.set_config("pyroscope", &[("pyroscope_release", Value::from("1.18"))]);
    model.settle().unwrap();
    for unit in ["old/0", "old/1"] {
        assert_eq!(model.state.apps["old"].units[unit].status.name, "active", "{unit}");
        assert_eq!(sandbox.config(unit).as_deref(), Some(before.as_str()), "{unit}");
    }
}

/// A release the charm does not know blocks the coordinator, naming the option, the value and the
/// releases it knows; it publishes nothing.
#[test]
fn an_unknown_release_blocks_the_coordinator() {
    use serde_json::Value;
    let dir = tempfile::tempdir().unwrap();
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let mut model = Model::new(support::new_state(), support::in_memory(&sandbox));
    support::deploy(
        &mut model,
        "pyroscope",
        support::COORDINATOR_CHARM,
        1,
        &[("pyroscope_release", Value::from("1.7"))],
    );
    model.deploy("s3", None, 1);
    support::deploy_worker(&mut model, "all", &["all"], 1);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    let all = model.relate("pyroscope", "pyroscope-cluster", "all", "pyroscope-cluster");
    model.settle().unwrap();
    let status = &model.state.apps["pyroscope"].units["pyroscope/0"].status;
    assert_eq!(status.name, "blocked", "{status}");
    assert!(status.message.starts_with(r#"option pyroscope_release = "1.7": "#), "{status}");
    assert!(status.message.contains("1.18.2"), "lists the known releases: {status}");
    assert!(support::published(&model.state, all).is_empty());
}

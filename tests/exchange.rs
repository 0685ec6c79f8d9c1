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

/// The v2 worker apps of the scenario: app name, its roles (the `role-*` options it sets).
const V2_APPS: [(&str, &str); 8] = [
    ("frontend", "query-frontend"),
    ("backend", "query-backend"),
    ("distributor", "distributor"),
    ("writer", "segment-writer"),
    ("metastore", "metastore"),
    ("compaction", "compaction-worker"),
    ("settings", "tenant-settings"),
    ("adhoc", "ad-hoc-profiles"),
];

/// Every worker unit of the v2 cluster: its config file is the coordinator's `worker_config` (the
/// same bytes on every relation), its service runs the command the requirer computes for its roles
/// and address (`-architecture.storage=v2`, and the Raft flags on a metastore), its relation's
/// `worker_ports` are 7946, 4040, 9095, plus 9099 for a metastore, and it opened them; it is active.
#[track_caller]
fn check_v2_workers(state: &pyroscope_cluster_juju::testing::State, sandbox: &support::Sandbox, ids: &[(&str, u32)]) {
    use pyroscope_cluster_model::{Address, Architecture, DatabagModel, ProviderAppData};
    use pyroscope_cluster_requirer::Command;
    let mut configs = std::collections::BTreeSet::new();
    for &(app, id) in ids {
        let data = ProviderAppData::decode(&support::published(state, id)).unwrap();
        configs.insert(data.worker_config.clone());
        let roles = V2_APPS.iter().find(|(name, _)| *name == app).unwrap().1;
        let metastore = roles.contains("metastore");
        let ports: &[u16] = if metastore { &[7946, 4040, 9095, 9099] } else { &[7946, 4040, 9095] };
        let published: Vec<u16> = data.worker_ports.iter().flatten().map(|port| port.get()).collect();
        assert_eq!(published, ports, "{app}'s worker_ports");
        for unit in support::units(state, app) {
            assert_eq!(sandbox.config(&unit).as_deref(), Some(data.worker_config.as_str()), "{unit}'s config file");
            let address: String = serde_json::from_str(&state.relations[&id].unit_data[&unit]["address"]).unwrap();
            let address = Address::try_from(address).unwrap();
            let file = sandbox.paths(&unit).config_file();
            let command =
                Command::for_worker(&file.to_string_lossy(), &roles.parse().unwrap(), Architecture::V2, &address);
            let argv = command.argv();
            assert!(argv.contains(&"-architecture.storage=v2".to_owned()), "{unit}: {argv:?}");
            assert_eq!(argv.iter().any(|arg| arg.starts_with("-metastore.raft.server-id=")), metastore, "{unit}");
            assert_eq!(sandbox.record(&unit).running.as_deref(), Some(argv), "{unit}'s command line");
            let mut opened: Vec<String> = ports.iter().map(|port| format!("{port}/tcp")).collect();
            opened.sort();
            let have: Vec<String> = state.apps[app].units[&unit].opened_ports.iter().cloned().collect();
            assert_eq!(have, opened, "{unit}'s opened ports");
            let status = &state.apps[app].units[&unit].status;
            assert_eq!(
                (status.name.as_str(), status.message.as_str()),
                ("active", format!("running {roles}").as_str())
            );
        }
    }
    assert_eq!(configs.len(), 1, "one worker_config, byte-identical on every relation");
}

/// The (re)starts of every unit of the v2 apps, by unit.
fn v2_runs(
    state: &pyroscope_cluster_juju::testing::State,
    sandbox: &support::Sandbox,
) -> std::collections::BTreeMap<String, (u32, u32)> {
    V2_APPS
        .iter()
        .flat_map(|(app, _)| support::units(state, app))
        .map(|unit| {
            let record = sandbox.record(&unit);
            (unit, (record.starts, record.restarts))
        })
        .collect()
}

/// The v2 storage architecture through the example charms: a coordinator set to `architecture:
/// v2` on Pyroscope 2.2.1 and one worker app per v2 role, one unit each, then scaled: the
/// metastores to two (reported even) and three (cleared), every other role to the recommended
/// count. A metastore scale changes `metastore.address`, which every v2 process reads only at
/// start, so every running worker restarts once per scale (the Raft bootstrap keys alone would
/// not restart anything); a scale of another role rewrites the member list only, unless it changes
/// a replication factor (the third segment-writer: every worker restarts once). An ingester app
/// (a v1 role) related to the v2 coordinator gets nothing, and the coordinator, blocked, says why;
/// the v2 workers keep what they run.
#[test]
fn a_v2_cluster_in_memory() {
    use pyroscope_cluster_model::{DatabagModel, ProviderAppData};
    use serde_json::Value;
    let dir = tempfile::tempdir().unwrap();
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let mut model = Model::new(support::new_state(), support::in_memory(&sandbox));
    let v2 = [("architecture", Value::from("v2")), ("pyroscope_release", Value::from("2.2.1"))];
    support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 1, &v2);
    model.deploy("s3", None, 1);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    let mut ids = Vec::new();
    for (app, roles) in V2_APPS {
        support::deploy_worker(&mut model, app, &[roles], 1);
        model.set_config(app, &[("pyroscope_release", Value::from("2.2.1"))]);
        ids.push((app, model.relate("pyroscope", "pyroscope-cluster", app, "pyroscope-cluster")));
    }
    model.settle().unwrap();
    let coordinator = |model: &Model<_>| model.state.apps["pyroscope"].units["pyroscope/0"].status.clone();
    let status = coordinator(&model);
    assert_eq!(status.name, "active", "{status}");
    assert!(status.message.starts_with("below recommended: query-frontend 1/2, query-backend 1/3"), "{status}");
    check_v2_workers(&model.state, &sandbox, &ids);
    let first = v2_runs(&model.state, &sandbox);
    // Started once each (a worker that started before the metastore joined restarted when its
    // address came: how many did depends on Juju's hook order).
    assert!(first.values().all(|&(starts, _)| starts == 1), "every worker started once: {first:?}");
    let config = sandbox.config("metastore/0").unwrap();
    assert!(config.contains("architecture_storage: v2"), "{config}");
    assert!(!config.contains("ingester"), "no v1 block: {config}");

    // A second metastore: reported even, and every worker restarts once (`metastore.address`).
    let second = model.add_unit("metastore");
    model.settle().unwrap();
    let status = coordinator(&model);
    assert_eq!(status.name, "active", "{status}");
    assert!(status.message.starts_with("metastore 2 is even (Raft): run 3"), "{status}");
    check_v2_workers(&model.state, &sandbox, &ids);
    let runs = v2_runs(&model.state, &sandbox);
    for (unit, &(starts, restarts)) in &runs {
        let want = if *unit == second { (1, 0) } else { (1, first[unit].1 + 1) };
        assert_eq!((starts, restarts), want, "{unit} on the second metastore");
    }
    // A third: odd again, the report gone; every worker restarts once more.
    let third = model.add_unit("metastore");
    model.settle().unwrap();
    let status = coordinator(&model);
    assert!(!status.message.contains("even"), "{status}");
    assert!(status.message.contains("below recommended: query-frontend 1/2"), "{status}");
    assert!(!status.message.contains("metastore"), "three metastores are the recommended count: {status}");
    check_v2_workers(&model.state, &sandbox, &ids);
    let after = v2_runs(&model.state, &sandbox);
    for (unit, &(starts, restarts)) in &after {
        let want = if *unit == third { (1, 0) } else { (1, runs[unit].1 + 1) };
        assert_eq!((starts, restarts), want, "{unit} on the third metastore");
    }
    let published = support::published(&model.state, ids[0].1);
    let data = ProviderAppData::decode(&published).unwrap();
    let config: Value = pyroscope_cluster_model::yaml::from_str(&data.worker_config).unwrap();
    assert_eq!(config["metastore"]["raft"]["bootstrap_expect_peers"], 3);
    assert_eq!(config["metastore"]["raft"]["auto_join"], true, "a metastore added later joins the group");
    let mut peers: Vec<&str> = config["metastore"]["raft"]["bootstrap_peers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let metastores = ids.iter().find(|(app, _)| *app == "metastore").unwrap().1;
    let mut want: Vec<String> = support::units(&model.state, "metastore")
        .iter()
        .map(|unit| {
            let address: String =
                serde_json::from_str(&model.state.relations[&metastores].unit_data[unit]["address"]).unwrap();
            format!("{address}:9099/{address}:9099")
        })
        .collect();
    peers.sort();
    want.sort();
    assert_eq!(peers, want, "address/server ID of each metastore, the ID its command line gives");

    // A second query-frontend: a new gossip member, written without a restart.
    let frontend = model.add_unit("frontend");
    model.settle().unwrap();
    let before = after;
    let after = v2_runs(&model.state, &sandbox);
    for (unit, &runs) in &after {
        let want = if *unit == frontend { (1, 0) } else { before[unit] };
        assert_eq!(runs, want, "{unit} on a second query-frontend");
    }
    // Every other role to the recommended count. The third segment-writer raises its ring's
    // replication factor (1 -> 3), which every worker restarts for, once.
    for (app, units) in [("backend", 2), ("distributor", 1), ("writer", 2), ("compaction", 2)] {
        for _ in 0..units {
            model.add_unit(app);
        }
    }
    model.settle().unwrap();
    let status = coordinator(&model);
    assert_eq!((status.name.as_str(), status.message.as_str()), ("active", ""), "nothing to say: {status}");
    check_v2_workers(&model.state, &sandbox, &ids);
    let scaled = v2_runs(&model.state, &sandbox);
    assert_eq!(scaled.len(), 18);
    for (unit, &(starts, restarts)) in &scaled {
        let want = after.get(unit).map_or((1, 0), |&(_, restarts)| (1, restarts + 1));
        assert_eq!((starts, restarts), want, "{unit} on the scale to the recommended counts");
    }

    // An ingester (a v1 role) related to the v2 coordinator: not part of the cluster, with the
    // reason in the coordinator's status; it gets no configuration and waits.
    support::deploy_worker(&mut model, "ingester", &["ingester"], 1);
    let ingester = model.relate("pyroscope", "pyroscope-cluster", "ingester", "pyroscope-cluster");
    model.settle().unwrap();
    let status = coordinator(&model);
    assert_eq!(status.name, "blocked", "the operator has a relation to remove: {status}");
    let reason = format!(
        "1 of 9 worker apps get no config (1 invalid); first: relation {ingester} (ingester): \
         role ingester is not of the v2 storage arc"
    );
    assert!(status.message.starts_with(&reason), "{status}");
    assert!(support::published(&model.state, ingester).is_empty(), "nothing published to a v1 role");
    let worker = &model.state.apps["ingester"].units["ingester/0"].status;
    assert_eq!(worker.name, "waiting", "{worker}");
    assert_eq!(sandbox.record("ingester/0").running, None);
    check_v2_workers(&model.state, &sandbox, &ids);
}

/// S3 keys over plain HTTP are said in the coordinator's log when it publishes (the s3 relation
/// gives `http://minio.cos:9000` and keys), not on a quiet hook; with `https://` nothing is said.
#[test]
fn the_coordinator_warns_when_s3_keys_travel_in_clear() {
    let warnings = |endpoint: &str| -> (usize, usize) {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = support::Sandbox { root: dir.path().to_owned() };
        let mut model = Model::new(support::new_state(), support::in_memory(&sandbox));
        support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 1, &[]);
        model.deploy("s3", None, 1);
        support::deploy_worker(&mut model, "w", &["all"], 1);
        let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
        let mut databag = support::s3_databag();
        databag.insert("endpoint".into(), endpoint.into());
        model.set_app_data(s3, "s3", databag);
        model.relate("pyroscope", "pyroscope-cluster", "w", "pyroscope-cluster");
        model.settle().unwrap();
        let said = |from: usize, model: &Model<_>| {
            model.history[from..]
                .iter()
                .flat_map(|hook| &hook.calls)
                .filter(|call| call.argv[0] == "juju-log" && call.argv.iter().any(|arg| arg.contains("plain HTTP")))
                .inspect(|call| assert!(!call.argv.iter().any(|arg| arg.contains("hunter2")), "{:?}", call.argv))
                .count()
        };
        let published = said(0, &model);
        let start = model.history.len();
        model.run(pyroscope_cluster_juju::testing::HookSpec::simple("pyroscope/0", "update-status")).unwrap();
        (published, said(start, &model))
    };
    let (published, quiet) = warnings("http://minio.cos:9000");
    assert!(published >= 1, "said when the configuration went out");
    assert_eq!(quiet, 0, "not on a quiet hook");
    assert_eq!(warnings("https://minio.cos:9000"), (0, 0));
}

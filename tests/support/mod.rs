//! What the in-memory and the process tests share: a sandbox per unit, the two executors, and
//! the whole scenario, run the same way on both.

#![allow(dead_code, unreachable_pub, unused_macros, unused_imports)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyroscope_cluster_fake_juju::{Processes, config_defaults};
use pyroscope_cluster_juju::testing::{Charms, Executor, Model, State};
use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag};
use pyroscope_worker::Paths;
use pyroscope_worker::workload::{Record, Recording};
use serde_json::Value;

pub const COORDINATOR_CHARM: &str = "pyroscope-coordinator";
pub const WORKER_CHARM: &str = "pyroscope-worker";
pub const COORDINATOR_YAML: &str = include_str!("../../examples/charms/pyroscope-coordinator/charmcraft.yaml");
pub const WORKER_YAML: &str = include_str!("../../examples/charms/pyroscope-worker/charmcraft.yaml");

/// Each worker unit's files, under one directory.
#[derive(Clone)]
pub struct Sandbox {
    pub root: PathBuf,
}

impl Sandbox {
    pub fn unit_dir(&self, unit: &str) -> PathBuf {
        self.root.join("units").join(unit.replace('/', "-"))
    }

    pub fn paths(&self, unit: &str) -> Paths {
        let dir = self.unit_dir(unit);
        Paths {
            config_dir: dir.join("etc"),
            service: format!("record:{}", dir.join("service").display()),
            systemd_dir: dir.join("systemd"),
            systemctl: "false".into(),
            data_dir: pyroscope_worker::DATA_DIR.into(),
        }
    }

    pub fn env(&self, unit: &str) -> Vec<(String, String)> {
        let paths = self.paths(unit);
        vec![
            ("PYROSCOPE_WORKER_CONFIG_DIR".into(), paths.config_dir.display().to_string()),
            ("PYROSCOPE_WORKER_SERVICE".into(), paths.service),
        ]
    }

    pub fn config(&self, unit: &str) -> Option<String> {
        std::fs::read_to_string(self.paths(unit).config_file()).ok()
    }

    pub fn record(&self, unit: &str) -> Record {
        Recording::read(&self.unit_dir(unit).join("service")).unwrap()
    }
}

/// The charms, run in the test's process.
pub fn in_memory(sandbox: &Sandbox) -> Charms {
    let mut charms = Charms::default();
    charms.insert(COORDINATOR_CHARM, |context, tools| {
        pyroscope_coordinator::hook(context, tools)?;
        Ok(())
    });
    let sandbox = sandbox.clone();
    charms.insert(WORKER_CHARM, move |context, tools| {
        let paths = sandbox.paths(&context.unit);
        let mut workload = paths.workload();
        pyroscope_worker::hook(context, tools, &paths, workload.as_mut())?;
        Ok(())
    });
    charms
}

/// This package's binaries: the fake hook tool and the example charms.
pub struct Bins {
    pub tool: PathBuf,
    pub coordinator: PathBuf,
    pub worker: PathBuf,
}

/// [`Bins`] as Cargo gives them to this package's tests and benchmarks.
macro_rules! cargo_bins {
    () => {
        support::Bins {
            tool: env!("CARGO_BIN_EXE_e2e-fake-juju-tool").into(),
            coordinator: env!("CARGO_BIN_EXE_e2e-coordinator").into(),
            worker: env!("CARGO_BIN_EXE_e2e-worker").into(),
        }
    };
}
pub(crate) use cargo_bins;

/// The charm binaries, run as processes under the fake Juju.
pub fn processes(sandbox: &Sandbox, bins: &Bins) -> Processes {
    let root = sandbox.root.join("juju");
    std::fs::create_dir_all(&root).unwrap();
    let mut processes = Processes::new(&root, &bins.tool).unwrap();
    processes.add_charm(COORDINATOR_CHARM, &bins.coordinator, &[("charmcraft.yaml", COORDINATOR_YAML)]).unwrap();
    processes.add_charm(WORKER_CHARM, &bins.worker, &[("charmcraft.yaml", WORKER_YAML)]).unwrap();
    let sandbox = sandbox.clone();
    processes.set_unit_env(move |unit| sandbox.env(unit));
    processes
}

/// Deploys `app` of `charm` with its charmcraft.yaml defaults, `options` on top.
pub fn deploy<E: Executor>(model: &mut Model<E>, app: &str, charm: &str, units: u32, options: &[(&str, Value)]) {
    model.deploy(app, Some(charm), units);
    let yaml = if charm == COORDINATOR_CHARM { COORDINATOR_YAML } else { WORKER_YAML };
    let config = &mut model.state.apps.get_mut(app).unwrap().config;
    *config = config_defaults(yaml).unwrap();
    for (key, value) in options {
        config.insert((*key).to_owned(), value.clone());
    }
}

/// Deploys a worker app running `roles`.
pub fn deploy_worker<E: Executor>(model: &mut Model<E>, app: &str, roles: &[&str], units: u32) {
    let options: Vec<(String, Value)> = pyroscope_cluster_model::Role::KNOWN
        .iter()
        .map(|role| (format!("role-{}", role.as_str()), Value::Bool(roles.contains(&role.as_str()))))
        .collect();
    let options: Vec<(&str, Value)> = options.iter().map(|(key, value)| (key.as_str(), value.clone())).collect();
    deploy(model, app, WORKER_CHARM, units, &options);
}

pub fn s3_databag() -> RawDatabag {
    [("bucket", "pyroscope"), ("endpoint", "http://minio.cos:9000"), ("access-key", "AK"), ("secret-key", "hunter2")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub fn new_state() -> State {
    State::default()
}

/// The coordinator's app databag on relation `id`.
pub fn published(state: &State, id: u32) -> RawDatabag {
    state.relations[&id].app_data.get("pyroscope").cloned().unwrap_or_default()
}

/// The join members of the coordinator's data on relation `id`.
pub fn join_members(state: &State, id: u32) -> Vec<String> {
    let data = ProviderAppData::decode(&published(state, id)).unwrap();
    let config: Value = pyroscope_cluster_model::yaml::from_str(&data.worker_config).unwrap();
    config["memberlist"]["join_members"].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_owned()).collect()
}

pub fn units(state: &State, app: &str) -> Vec<String> {
    state.apps[app].units.keys().cloned().collect()
}

/// Every worker unit of `apps`: its config file is the coordinator's `worker_config`, its service
/// runs `pyroscope -config.file=<file> -target=<roles>`, and it is active.
#[track_caller]
pub fn check_workers_run(model_state: &State, sandbox: &Sandbox, relations: &BTreeMap<&str, (u32, &str)>) {
    for (app, (id, target)) in relations {
        let data = ProviderAppData::decode(&published(model_state, *id)).unwrap();
        for unit in units(model_state, app) {
            assert_eq!(sandbox.config(&unit).as_deref(), Some(data.worker_config.as_str()), "{unit}'s config file");
            let file = sandbox.paths(&unit).config_file();
            let argv =
                vec!["pyroscope".to_owned(), format!("-config.file={}", file.display()), format!("-target={target}")];
            assert_eq!(sandbox.record(&unit).running, Some(argv), "{unit}'s command line");
            let status = &model_state.apps[*app].units[&unit].status;
            assert_eq!(
                (status.name.as_str(), status.message.as_str()),
                ("active", format!("running {target}").as_str())
            );
        }
    }
}

/// The restarts of each unit of `app`.
pub fn restarts(sandbox: &Sandbox, state: &State, app: &str) -> Vec<u32> {
    units(state, app).iter().map(|unit| sandbox.record(unit).restarts).collect()
}

/// The whole scenario of issue #10, on any executor.
///
/// `readers` is the size of the `read` app (two at least shows leadership moving inside a worker
/// app; one keeps the process run short).
pub fn scenario<E: Executor>(model: &mut Model<E>, sandbox: &Sandbox, readers: u32) {
    let n = readers as usize;
    // Install: a coordinator, an S3 stub, three worker apps. Nothing is related: the coordinator
    // is blocked, the workers wait for a coordinator.
    deploy(model, "pyroscope", COORDINATOR_CHARM, 1, &[]);
    model.deploy("s3", None, 1);
    deploy_worker(model, "read", &["querier", "query-frontend", "query-scheduler"], readers);
    deploy_worker(model, "write", &["ingester", "distributor"], 3);
    deploy_worker(model, "backend", &["compactor", "store-gateway", "tenant-settings", "ad-hoc-profiles"], 1);
    model.settle().unwrap();
    let first: Vec<String> =
        model.history.iter().filter(|r| r.spec.unit == "pyroscope/0").map(|r| r.spec.hook.clone()).collect();
    assert_eq!(first, ["install", "leader-elected", "config-changed", "start"]);
    assert_eq!(model.state.apps["pyroscope"].units["pyroscope/0"].status.name, "blocked");
    assert_eq!(
        model.state.apps["read"].units["read/0"].status.message,
        "no coordinator: relate this worker to a Pyroscope coordinator"
    );
    assert_eq!(model.state.apps["pyroscope"].version, "1.18");

    // S3, then the workers, related in Juju's order.
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", s3_databag());
    let read = model.relate("pyroscope", "pyroscope-cluster", "read", "pyroscope-cluster");
    let write = model.relate("pyroscope", "pyroscope-cluster", "write", "pyroscope-cluster");
    let backend = model.relate("pyroscope", "pyroscope-cluster", "backend", "pyroscope-cluster");
    let start = model.history.len();
    model.settle().unwrap();
    let read0: Vec<String> =
        model.history[start..].iter().filter(|r| r.spec.unit == "read/0").map(|r| r.spec.to_string()).take(4).collect();
    assert_eq!(
        read0,
        [
            "read/0 pyroscope-cluster-relation-created (pyroscope)",
            "read/0 pyroscope-cluster-relation-joined (pyroscope/0)",
            "read/0 pyroscope-cluster-relation-changed (pyroscope/0)",
            "read/0 pyroscope-cluster-relation-changed (pyroscope)",
        ]
    );

    let state = &model.state;
    let coordinator = &state.apps["pyroscope"].units["pyroscope/0"].status;
    assert_eq!(coordinator.name, "active", "{coordinator}");
    assert!(coordinator.message.starts_with(&format!("below recommended: querier {n}/3")), "{coordinator}");
    assert_eq!(published(state, read), published(state, write));
    assert_eq!(published(state, read), published(state, backend));
    assert_eq!(published(state, read)["worker_ports"], "[7946, 4040]", "the Canonical coordinator's order");
    assert_eq!(join_members(state, read).len(), 4 + n);
    assert!(join_members(state, read).contains(&"10.4.0.3:7946".to_owned()), "{:?}", join_members(state, read));
    let worker_unit = &state.relations[&write].unit_data["write/2"];
    assert_eq!(worker_unit["address"], r#""10.4.0.3""#);
    assert_eq!(worker_unit["ingress-address"], "10.4.0.3", "Juju's own keys are kept");
    assert_eq!(state.relations[&write].app_data["write"]["role"], r#""distributor,ingester""#);
    let relations: BTreeMap<&str, (u32, &str)> = [
        ("read", (read, "querier,query-frontend,query-scheduler")),
        ("write", (write, "distributor,ingester")),
        ("backend", (backend, "ad-hoc-profiles,compactor,store-gateway,tenant-settings")),
    ]
    .into();
    check_workers_run(state, sandbox, &relations);
    assert_eq!(state.apps["write"].units["write/0"].opened_ports.iter().collect::<Vec<_>>(), ["4040/tcp", "7946/tcp"]);
    assert!(units(state, "write").iter().all(|unit| sandbox.record(unit).starts == 1), "started once each");

    // A hook with nothing new: the coordinator writes nothing.
    let start = model.history.len();
    model.run(pyroscope_cluster_juju::testing::HookSpec::simple("pyroscope/0", "update-status")).unwrap();
    let calls = &model.history[start].calls;
    assert!(!calls.iter().any(|call| call.argv[0] == "relation-set"), "nothing changed, nothing written");
    // Nothing is read again: the hook cache holds every databag, and no event named a change.
    let reads = calls.iter().filter(|call| call.argv[0] == "relation-get").count();
    assert_eq!(reads, 0, "the hook cache serves every read: {calls:?}");
    let tools: Vec<&str> = calls.iter().map(|call| call.argv[0].as_str()).collect();
    assert_eq!(tools, ["is-leader", "config-get", "relation-ids", "relation-ids"], "no status set again");

    // Scale up: a fourth writer. Everyone rewrites the member list; nobody restarts.
    let restarted: Vec<Vec<u32>> = ["read", "write", "backend"].map(|app| restarts(sandbox, &model.state, app)).into();
    let start = model.history.len();
    let added = model.add_unit("write");
    model.settle().unwrap();
    let setup: Vec<&str> =
        model.history[start..].iter().filter(|r| r.spec.unit == added).map(|r| r.spec.hook.as_str()).take(6).collect();
    assert_eq!(
        setup,
        [
            "install",
            "pyroscope-cluster-relation-created",
            "leader-settings-changed",
            "config-changed",
            "start",
            "pyroscope-cluster-relation-joined"
        ],
        "a unit added to a related app: Juju's setup phase"
    );
    assert_eq!(join_members(&model.state, read).len(), 5 + n);
    assert_eq!(sandbox.record(&added).starts, 1);
    for (app, before) in ["read", "write", "backend"].iter().zip(&restarted) {
        let mut after = restarts(sandbox, &model.state, app);
        after.truncate(before.len());
        assert_eq!(&after, before, "{app} restarted on a scale-up");
    }
    check_workers_run(&model.state, sandbox, &relations);

    // Scale down to three ingesters: rewrite, no restart. Then to two: the replication factor
    // drops to 1, and everyone restarts.
    model.remove_unit(&added);
    model.settle().unwrap();
    assert_eq!(join_members(&model.state, read).len(), 4 + n);
    assert_eq!(restarts(sandbox, &model.state, "read"), restarted[0], "no restart on a scale-down to 3 ingesters");
    model.remove_unit("write/2");
    model.settle().unwrap();
    assert_eq!(join_members(&model.state, read).len(), 3 + n);
    let plus_one = |counts: &[u32]| counts.iter().map(|n| n + 1).collect::<Vec<_>>();
    assert_eq!(restarts(sandbox, &model.state, "read"), plus_one(&restarted[0]), "replication factor 3 -> 1");
    assert_eq!(restarts(sandbox, &model.state, "write"), plus_one(&restarted[1][..2]));
    assert!(!join_members(&model.state, backend).contains(&"10.4.0.3:7946".to_owned()));

    // Leadership moves: in a worker app, and to a new coordinator unit. Nothing changes on the wire.
    let before = model.state.relations.clone();
    if readers > 1 {
        model.set_leader("read/1");
    }
    let second = model.add_unit("pyroscope");
    model.set_leader(&second);
    model.settle().unwrap();
    for (id, relation) in &before {
        let after = &model.state.relations[id];
        assert_eq!(after.app_data, relation.app_data, "relation {id}");
    }
    // The old leader learns it at its next hook.
    model.run(pyroscope_cluster_juju::testing::HookSpec::simple("pyroscope/0", "update-status")).unwrap();
    assert_eq!(
        model.state.apps["pyroscope"].units["pyroscope/0"].status.message,
        "standby: the leader publishes the configuration"
    );
    // The old leader leaves; the new one carries on alone.
    model.remove_unit("pyroscope/0");
    model.settle().unwrap();
    for (id, relation) in &before {
        assert_eq!(model.state.relations[id].app_data, relation.app_data, "relation {id}");
    }

    // A worker app publishing bad data: the coordinator names it; the others keep their config.
    model.deploy("imposter", None, 1);
    let bad = model.relate("pyroscope", "pyroscope-cluster", "imposter", "pyroscope-cluster");
    model.set_app_data(bad, "imposter", [("role".to_owned(), r#""imposter""#.to_owned())].into());
    let configs: Vec<Option<String>> = units(&model.state, "read").iter().map(|u| sandbox.config(u)).collect();
    model.settle().unwrap();
    let status = &model.state.apps["pyroscope"].units[&second].status;
    assert_eq!(status.name, "blocked", "{status}");
    assert!(
        status.message.contains(&format!("get no config (1 invalid); first: relation {bad} (imposter)")),
        "{status}"
    );
    assert!(published(&model.state, bad).is_empty(), "nothing published to a relation that is not ready");
    let after: Vec<Option<String>> = units(&model.state, "read").iter().map(|u| sandbox.config(u)).collect();
    assert_eq!(after, configs);

    // A relation broken: the backend stops and deletes its config; the coordinator is blocked
    // without its roles.
    model.remove_relation(backend);
    model.settle().unwrap();
    assert_eq!(sandbox.config("backend/0"), None);
    assert_eq!(sandbox.record("backend/0").running, None);
    let status = &model.state.apps["pyroscope"].units[&second].status;
    assert!(status.message.contains("missing roles: compactor"), "{status}");

    // The coordinator removed: every worker stops and deletes its config.
    model.remove_app("pyroscope");
    model.settle().unwrap();
    for app in ["read", "write"] {
        for unit in units(&model.state, app) {
            assert_eq!(sandbox.config(&unit), None, "{unit}");
            assert_eq!(sandbox.record(&unit).running, None, "{unit}");
            assert_eq!(model.state.apps[app].units[&unit].status.name, "blocked");
        }
    }
}

//! The scenario the live and the recorded tests share: a coordinator, an `s3` stub and the k8s
//! worker (three units, then four) in the in-memory Juju; `worker/0` talks to a Pebble (the real daemon, or
//! its recording), the other units to none (their container never comes up).

#![allow(dead_code, unreachable_pub)]

#[path = "../../../../../crates/pebble/tests/common/daemon.rs"]
pub mod daemon;

use std::cell::RefCell;
use std::rc::Rc;

use pyroscope_cluster_fake_juju::config_defaults;
use pyroscope_cluster_juju::testing::{Charms, HookSpec, Model, Secret, State};
use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag, Role};
use pyroscope_cluster_pebble::{
    ChangeSelect, Client, FileType, ListFilesOptions, PebbleError, ServiceStatus, Transport, UnixSocket,
};
use pyroscope_worker_k8s::{CONFIG_FILE, ContainerSettings, READY_CHECK, SERVICE, TLS_FILES};
use serde_json::Value;

pub const COORDINATOR_YAML: &str = include_str!("../../../pyroscope-coordinator/charmcraft.yaml");
pub const WORKER_YAML: &str = include_str!("../../charmcraft.yaml");

/// `worker/0`'s Pebble, as the test holds it.
pub type Pebble = Rc<Client<Box<dyn Transport>>>;

/// What the scenario measured of the hook where nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoChangeHook {
    /// Hook-tool calls.
    pub tool_calls: usize,
    /// Pebble API calls.
    pub pebble_calls: usize,
}

/// Counts the exchanges of a transport.
pub struct Counted {
    inner: Box<dyn Transport>,
    count: Rc<RefCell<usize>>,
}

impl Transport for Counted {
    fn round_trip(
        &self,
        request: &pyroscope_cluster_pebble::Request,
    ) -> Result<pyroscope_cluster_pebble::Response, PebbleError> {
        *self.count.borrow_mut() += 1;
        self.inner.round_trip(request)
    }
}

/// The charms: the example coordinator, and the k8s worker with `worker/0`'s Pebble at
/// `settings`; the other units' containers never come up.
pub fn charms(pebble: Pebble, settings: ContainerSettings, absent: std::path::PathBuf) -> Charms {
    let mut charms = Charms::default();
    charms.insert("pyroscope-coordinator", |context, tools| {
        pyroscope_coordinator::hook(context, tools)?;
        Ok(())
    });
    let others = Client::new(absent);
    charms.insert("pyroscope-worker-k8s", move |context, tools| {
        if context.unit == "worker/0" {
            pyroscope_worker_k8s::hook(context, tools, &*pebble, &settings)?;
        } else {
            let settings = ContainerSettings { fqdn: context.unit.replace('/', "-"), ..settings.clone() };
            pyroscope_worker_k8s::hook(context, tools, &others, &settings)?;
        }
        Ok(())
    });
    charms
}

/// The TLS material of the scenario: PEM blocks and a secret URI of Juju's form.
const CA_PEM: &str = "-----BEGIN CERTIFICATE-----\nQ0EgUEVN\n-----END CERTIFICATE-----\n";
const CERT_PEM: &str = "-----BEGIN CERTIFICATE-----\nQ0VSVCBQRU0=\n-----END CERTIFICATE-----\n";
const SECRET_ID: &str = "secret:cmn0vhv7n3es7ag2k7ug";

fn deploy(model: &mut Model<Charms>, app: &str, charm: &str, yaml: &str, units: u32) {
    model.deploy(app, Some(charm), units);
    model.state.apps.get_mut(app).unwrap().config = config_defaults(yaml).unwrap();
}

fn s3_databag() -> RawDatabag {
    [("bucket", "pyroscope"), ("endpoint", "http://minio.cos:9000"), ("access-key", "AK"), ("secret-key", "hunter2")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn published(state: &State, id: u32) -> String {
    let databag = state.relations[&id].app_data.get("pyroscope").cloned().unwrap_or_default();
    ProviderAppData::decode(&databag).map(|data| data.worker_config).unwrap_or_default()
}

#[track_caller]
fn status(model: &Model<Charms>, unit: &str) -> (String, String) {
    let status = &model.state.apps["worker"].units[unit].status;
    (status.name.clone(), status.message.clone())
}

fn kinds<T: Transport>(pebble: &Client<T>) -> Vec<String> {
    let mut changes = pebble.changes(ChangeSelect::All, Some(SERVICE)).unwrap();
    changes.sort_by_key(|change| change.id.as_str().parse::<u64>().unwrap());
    changes.into_iter().map(|change| change.kind).collect()
}

fn pulled<T: Transport>(pebble: &Client<T>, path: &str) -> Option<String> {
    match pebble.pull(path) {
        Ok(bytes) => Some(String::from_utf8(bytes).unwrap()),
        Err(err) if err.kind() == Some("not-found") => None,
        Err(err) => panic!("{err}"),
    }
}

/// The scenario. `start_pebble` brings `worker/0`'s container up (the live test starts the
/// daemon and puts the stand-in Pyroscope in place; the recorded one does nothing).
pub fn run(
    pebble: &Pebble,
    settings: &ContainerSettings,
    count: &Rc<RefCell<usize>>,
    absent: std::path::PathBuf,
    start_pebble: impl FnOnce(),
) -> NoChangeHook {
    let mut model = Model::new(State::default(), charms(pebble.clone(), settings.clone(), absent));
    deploy(&mut model, "pyroscope", "pyroscope-coordinator", COORDINATOR_YAML, 1);
    model.deploy("s3", None, 1);
    deploy(&mut model, "worker", "pyroscope-worker-k8s", WORKER_YAML, 3);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", s3_databag());
    let id = model.relate("pyroscope", "pyroscope-cluster", "worker", "pyroscope-cluster");
    model.settle().unwrap();

    // The container is not up: the unit waits, saying so.
    let (name, message) = status(&model, "worker/0");
    assert_eq!(name, "waiting", "{message}");
    assert!(message.contains("waiting for the pyroscope container: its Pebble is not up yet"), "{message}");

    // pebble-ready: the configuration, the layer, the service.
    start_pebble();
    model.run(HookSpec::simple("worker/0", "pyroscope-pebble-ready")).unwrap();
    model.settle().unwrap();
    assert_eq!(status(&model, "worker/0"), ("active".into(), "(all roles) ready.".into()));
    let config_file = settings.path(CONFIG_FILE);
    let first = published(&model.state, id);
    assert_eq!(pulled(&**pebble, &config_file).as_deref(), Some(first.as_str()));
    let listed = pebble.list_files(&config_file, &ListFilesOptions::default()).unwrap();
    assert_eq!((&listed[0].type_, listed[0].permissions), (&FileType::File, 0o600), "owner-only: it holds S3 keys");
    let plan = pebble.plan().unwrap();
    let service = &plan.services[SERVICE];
    assert_eq!(
        service.command,
        format!(
            "{root}/usr/bin/pyroscope -config.file={root}/etc/worker/config.yaml -target=all",
            root = settings.container_root
        )
    );
    assert_eq!(plan.checks[READY_CHECK].http.as_ref().unwrap().url, format!("http://{}:4040/ready", settings.fqdn));
    assert_eq!(pebble.services(&[SERVICE]).unwrap()[0].current, ServiceStatus::Active);
    assert_eq!(kinds(&**pebble), ["replan"]);

    // A hook where nothing changed: no push, no restart (Pebble's own change list says so).
    let before = *count.borrow();
    model.run(HookSpec::simple("worker/0", "update-status")).unwrap();
    let measured =
        NoChangeHook { tool_calls: model.history.last().unwrap().calls.len(), pebble_calls: *count.borrow() - before };
    assert_eq!(kinds(&**pebble), ["replan"]);
    assert_eq!(pulled(&**pebble, &config_file).as_deref(), Some(first.as_str()));

    // A fourth unit joins (the replication factor stays 3): only the gossip ring changes;
    // pushed, not restarted.
    model.add_unit("worker");
    model.settle().unwrap();
    let second = published(&model.state, id);
    assert_ne!(first, second);
    assert_eq!(pulled(&**pebble, &config_file).as_deref(), Some(second.as_str()));
    assert_eq!(kinds(&**pebble), ["replan"], "a new gossip ring alone restarts nothing");

    // Another change of the configuration: restarted.
    model.set_config("pyroscope", &[("retention_period", Value::from("2d"))]);
    model.settle().unwrap();
    let third = published(&model.state, id);
    assert_eq!(pulled(&**pebble, &config_file).as_deref(), Some(third.as_str()));
    assert_eq!(kinds(&**pebble), ["replan", "restart"]);

    // A change of the layer (the roles): added, replanned.
    let mut roles: Vec<(String, Value)> =
        Role::KNOWN.iter().map(|role| (format!("role-{}", role.as_str()), Value::Bool(false))).collect();
    roles.push(("role-querier".into(), Value::Bool(true)));
    let roles: Vec<(&str, Value)> = roles.iter().map(|(key, value)| (key.as_str(), value.clone())).collect();
    model.set_config("worker", &roles);
    model.settle().unwrap();
    assert!(pebble.plan().unwrap().services[SERVICE].command.ends_with(" -target=querier"));
    // The layer changed on the worker's config-changed (replan); then the coordinator, seeing no
    // ingester left, published another configuration (replication factor), and that change
    // restarted it once more, by the configuration's rule.
    let fourth = published(&model.state, id);
    assert_ne!(third, fourth);
    assert_eq!(pulled(&**pebble, &config_file).as_deref(), Some(fourth.as_str()));
    assert_eq!(kinds(&**pebble), ["replan", "restart", "replan", "restart"]);
    assert_eq!(status(&model, "worker/0"), ("active".into(), "querier ready.".into()));

    // No role: stopped, the files removed; a role again: pushed and started.
    let none: Vec<(String, Value)> =
        Role::KNOWN.iter().map(|role| (format!("role-{}", role.as_str()), Value::Bool(false))).collect();
    let none: Vec<(&str, Value)> = none.iter().map(|(key, value)| (key.as_str(), value.clone())).collect();
    model.set_config("worker", &none);
    model.settle().unwrap();
    assert_eq!(status(&model, "worker/0").0, "blocked");
    assert_eq!(pulled(&**pebble, &config_file), None);
    assert_eq!(pebble.services(&[SERVICE]).unwrap()[0].current, ServiceStatus::Inactive);
    model.set_config("worker", &roles);
    model.settle().unwrap();
    assert_eq!(status(&model, "worker/0"), ("active".into(), "querier ready.".into()));
    let fifth = published(&model.state, id);
    assert_eq!(pulled(&**pebble, &config_file).as_deref(), Some(fifth.as_str()));
    assert_eq!(pebble.services(&[SERVICE]).unwrap()[0].current, ServiceStatus::Active);
    assert_eq!(kinds(&**pebble), ["replan", "restart", "replan", "restart", "stop", "restart"]);

    // TLS: the coordinator's data names a CA, a server certificate and the secret of the key;
    // the files go where coordinated-workers puts them (the key owner-only), and Pyroscope is
    // restarted for them.
    let mut tls = model.state.relations[&id].app_data["pyroscope"].clone();
    // A worker takes PEM certificates and a Juju secret URI only (pyroscope_cluster_requirer::check_tls).
    for (key, value) in [("ca_cert", CA_PEM), ("server_cert", CERT_PEM), ("privkey_secret_id", SECRET_ID)] {
        tls.insert(key.to_owned(), serde_json::to_string(value).unwrap());
    }
    model.state.secrets.insert(
        SECRET_ID.into(),
        Secret {
            owner: "pyroscope".into(),
            label: None,
            revisions: vec![[("private-key".to_owned(), "KEY PEM".to_owned())].into()],
            grants: ["worker".to_owned()].into(),
            tracked: Default::default(),
        },
    );
    model.set_app_data(id, "pyroscope", tls);
    model.settle().unwrap();
    assert_eq!(status(&model, "worker/0"), ("active".into(), "querier ready.".into()));
    let [ca, cert, key, root_ca] = TLS_FILES.map(|path| settings.path(path));
    for (path, text) in [(&ca, CA_PEM), (&cert, CERT_PEM), (&key, "KEY PEM"), (&root_ca, CA_PEM)] {
        assert_eq!(pulled(&**pebble, path).as_deref(), Some(text), "{path}");
    }
    assert_eq!(pebble.list_files(&key, &ListFilesOptions::default()).unwrap()[0].permissions, 0o600);
    assert_eq!(pebble.list_files(&cert, &ListFilesOptions::default()).unwrap()[0].permissions, 0o644);
    assert_eq!(kinds(&**pebble), ["replan", "restart", "replan", "restart", "stop", "restart", "restart"]);

    // A configuration this worker's release refuses: blocked, nothing pushed, nothing restarted.
    model.set_config("pyroscope", &[("pyroscope_release", Value::from("2.2"))]);
    model.settle().unwrap();
    let (name, message) = status(&model, "worker/0");
    assert_eq!(name, "blocked", "{message}");
    assert!(message.contains("Pyroscope keeps running as it was"), "{message}");
    assert_eq!(pulled(&**pebble, &config_file).as_deref(), Some(fifth.as_str()));
    assert_eq!(kinds(&**pebble), ["replan", "restart", "replan", "restart", "stop", "restart", "restart"]);
    assert_eq!(pebble.services(&[SERVICE]).unwrap()[0].current, ServiceStatus::Active);

    // The coordinator goes: the service stopped, the files removed.
    model.remove_relation(id);
    model.settle().unwrap();
    let (name, message) = status(&model, "worker/0");
    assert_eq!(name, "blocked", "{message}");
    assert_eq!(pulled(&**pebble, &config_file), None);
    assert_eq!(pebble.services(&[SERVICE]).unwrap()[0].current, ServiceStatus::Inactive);
    assert_eq!(kinds(&**pebble), ["replan", "restart", "replan", "restart", "stop", "restart", "restart", "stop"]);
    for path in [&ca, &cert, &key, &root_ca] {
        assert_eq!(pulled(&**pebble, path), None, "{path} removed");
    }
    measured
}

/// A transport to a socket, counted.
pub fn counted(inner: Box<dyn Transport>) -> (Box<dyn Transport>, Rc<RefCell<usize>>) {
    let count = Rc::new(RefCell::new(0));
    (Box::new(Counted { inner, count: count.clone() }), count)
}

/// Where nothing listens.
pub fn nowhere(dir: &std::path::Path) -> UnixSocket {
    UnixSocket::new(dir.join("absent.socket"))
}

//! The worker charm against a hostile or broken coordinator, in the in-memory Juju: what it
//! refuses, and what it leaves behind (nothing secret).

use std::path::{Path, PathBuf};

use pyroscope_cluster_juju::testing::{Charms, Model, Secret, State};
use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag};
use pyroscope_worker::Paths;
use serde_json::Value;

const SECRET: &str = "secret:cmn0vhv7n3es7ag2k7ug";
const CERT: &str = "-----BEGIN CERTIFICATE-----\nMIIB+zCCAaGgAwIBAgIU\n-----END CERTIFICATE-----\n";

/// A worker `w/0` (address 10.2.0.1) related to a stub coordinator `c`, whose data the test sets.
struct World {
    model: Model<Charms>,
    relation: u32,
    root: PathBuf,
    _dir: tempfile::TempDir,
}

fn paths(root: &Path) -> Paths {
    Paths {
        config_dir: root.join("etc"),
        service: format!("record:{}", root.join("service").display()),
        systemd_dir: root.join("systemd"),
        systemctl: "false".into(),
        data_dir: "/pyroscope-data".into(),
    }
}

impl World {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let mut charms = Charms::default();
        let charm_root = root.clone();
        charms.insert("pyroscope-worker", move |context, tools| {
            let paths = paths(&charm_root);
            let mut workload = paths.workload();
            pyroscope_worker::hook(context, tools, &paths, workload.as_mut())?;
            Ok(())
        });
        let mut model = Model::new(State::default(), charms);
        model.deploy("c", None, 1);
        model.deploy("w", Some("pyroscope-worker"), 1);
        model.set_config("w", &[("role-all", Value::Bool(true))]);
        let relation = model.relate("w", "pyroscope-cluster", "c", "pyroscope-cluster");
        model.state.secrets.insert(
            SECRET.into(),
            Secret {
                owner: "c".into(),
                label: None,
                revisions: vec![[("private-key".to_owned(), "PRIVATE KEY".to_owned())].into()],
                grants: ["w".to_owned()].into(),
                tracked: Default::default(),
            },
        );
        model.settle().unwrap();
        Self { model, relation, root, _dir: dir }
    }

    /// The coordinator publishes `data`; returns the worker's status message.
    fn publish(&mut self, data: RawDatabag) -> String {
        self.model.set_app_data(self.relation, "c", data);
        self.model.settle().unwrap();
        self.status()
    }

    fn status(&self) -> String {
        let status = &self.model.state.apps["w"].units["w/0"].status;
        format!("{}: {}", status.name, status.message)
    }

    fn file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(paths(&self.root).config_dir.join(name)).ok()
    }
}

fn config(extra: &str) -> String {
    format!("memberlist:\n  join_members:\n  - 10.2.0.1:7946\n{extra}")
}

fn with_tls(worker_config: &str) -> RawDatabag {
    ProviderAppData {
        ca_cert: Some(CERT.into()),
        server_cert: Some(CERT.into()),
        privkey_secret_id: Some(SECRET.into()),
        ..ProviderAppData::new(worker_config)
    }
    .encode()
}

/// The coordinator chooses Pyroscope's configuration, not where Pyroscope writes or what it
/// reads on this machine: a path outside what the charm owns blocks the unit, naming the key and
/// the path, and nothing is written.
#[test]
fn paths_outside_what_the_charm_owns_are_refused() {
    let mut world = World::new();
    for (extra, key, path) in [
        ("pyroscopedb:\n  data_path: /etc\n", "pyroscopedb.data_path", "/etc"),
        (
            "storage:\n  backend: filesystem\n  filesystem:\n    dir: /root/.ssh\n",
            "storage.filesystem.dir",
            "/root/.ssh",
        ),
        ("server:\n  http_tls_config:\n    key_file: /etc/shadow\n", "server.http_tls_config.key_file", "/etc/shadow"),
    ] {
        let status = world.publish(ProviderAppData::new(config(extra)).encode());
        assert!(status.starts_with("blocked: "), "{status}");
        assert!(status.contains(&format!("`{key}` = `{path}`")), "{status}");
        assert_eq!(world.file("config.yaml"), None, "nothing written");
    }
    let status = world.publish(ProviderAppData::new(config("pyroscopedb:\n  data_path: /pyroscope-data\n")).encode());
    assert_eq!(status, "active: running all");
}

/// The TLS files go when the coordinator withdraws TLS, and when it goes: the private key is
/// not left on disk.
#[test]
fn tls_files_are_removed_when_tls_goes() {
    let mut world = World::new();
    assert_eq!(world.publish(with_tls(&config(""))), "active: running all");
    assert_eq!(world.file("server.key").as_deref(), Some("PRIVATE KEY"));
    assert_eq!(world.file("ca.pem").as_deref(), Some(CERT));

    assert_eq!(world.publish(ProviderAppData::new(config("")).encode()), "active: running all");
    for name in ["server.key", "server.pem", "ca.pem"] {
        assert_eq!(world.file(name), None, "{name} after TLS is withdrawn");
    }

    assert_eq!(world.publish(with_tls(&config(""))), "active: running all");
    assert!(world.file("server.key").is_some());
    world.model.remove_relation(world.relation);
    world.model.settle().unwrap();
    for name in ["config.yaml", "server.key", "server.pem", "ca.pem"] {
        assert_eq!(world.file(name), None, "{name} after the coordinator goes");
    }
}

/// A 200 kB key does not put the unit in error: the refusal is short, and the status fits.
#[test]
fn a_long_key_blocks_the_unit_with_a_short_status() {
    let mut world = World::new();
    let long = format!("? {}\n: 1\n", "k".repeat(200_000));
    let status = world.publish(ProviderAppData::new(config(&long)).encode());
    assert!(
        status.starts_with(
            "blocked: Pyroscope keeps running as it was; the coordinator's configuration is refused: `kkk"
        ),
        "{}",
        &status[..200.min(status.len())]
    );
    assert!(status.chars().count() <= "blocked: ".len() + 120, "{} characters", status.chars().count());
}

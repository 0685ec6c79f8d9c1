//! Every call of the client against the real Pebble daemon (`pebble run` in a temporary
//! `PEBBLE` directory; see `common/daemon.rs` for where the binary comes from), and the recording
//! that `recorded.rs` replays checked against the daemon's answers of this run.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;

use common::daemon::{Daemon, eventually};
use proptest::prelude::*;
use pyroscope_cluster_pebble::testing::{PebbleRecording, Recorder};
use pyroscope_cluster_pebble::{
    Check, CheckStatus, Client, ExecCheck, Layer, LayerMode, ListFilesOptions, MakeDirOptions, Override, Owner,
    PushOptions, Service, UnixSocket,
};

const RECORDING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recordings/session.json");

/// The script, recorded, normalised, and compared with the committed recording:
/// `UPDATE_PEBBLE_RECORDING=1` rewrites it (review the diff like code).
#[test]
fn every_call_against_the_real_daemon_matches_the_recording() {
    let daemon = Daemon::start();
    let root = daemon.root();
    let client = Client::with_transport(Recorder::new(UnixSocket::new(daemon.socket())));
    common::script::run(&client, &root);
    let recorded = client.transport().recording().normalized(&root);
    if std::env::var_os("UPDATE_PEBBLE_RECORDING").is_some() {
        std::fs::write(RECORDING, recorded.to_json()).unwrap();
    }
    let committed = std::fs::read_to_string(RECORDING).unwrap();
    if let Some(difference) = recorded.difference(&committed) {
        let saved = std::env::temp_dir().join("pebble-session.live.json");
        std::fs::write(&saved, recorded.to_json()).unwrap();
        panic!(
            "Pebble's answers differ from the recording {difference}\n(this run's: {}; run with \
             UPDATE_PEBBLE_RECORDING=1 and review the diff)",
            saved.display()
        );
    }
    // And it reads back as the replay reads it.
    assert_eq!(PebbleRecording::from_json(&committed).unwrap(), recorded);
}

/// An absent socket, and a socket file nothing listens on, are both "not up yet".
#[test]
fn a_socket_without_a_daemon_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let absent = Client::new(dir.path().join("absent.socket"));
    let err = absent.system_info().unwrap_err();
    assert!(err.is_not_ready(), "{err:?}");
    assert!(err.to_string().contains("its container is not up yet"), "{err}");

    let stale = dir.path().join("stale.socket");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    assert!(stale.exists());
    let err = Client::new(&stale).push("/x", b"", &PushOptions::default()).unwrap_err();
    assert!(err.is_not_ready(), "{err:?}");
}

/// A daemon stopped under a client: its calls are not ready again.
#[test]
fn a_stopped_daemon_is_not_ready() {
    let daemon = Daemon::start();
    let client = daemon.client();
    client.system_info().unwrap();
    let socket = daemon.socket();
    drop(daemon);
    assert!(Client::new(socket).system_info().unwrap_err().is_not_ready());
    assert!(client.services(&[]).unwrap_err().is_not_ready());
}

/// Owner by ID and by name, on a pushed file and a made directory (as the user running the
/// tests, so that it works without root).
#[test]
fn owners_are_set_by_id_and_by_name() {
    let daemon = Daemon::start();
    let client = daemon.client();
    let root = daemon.root();
    let me = std::fs::metadata(daemon.dir()).unwrap();
    let by_id = Owner { user_id: Some(me.uid()), group_id: Some(me.gid()), ..Owner::default() };
    let dir = format!("{root}/owned");
    client.make_dir(&dir, &MakeDirOptions { make_parents: true, owner: by_id.clone(), ..Default::default() }).unwrap();
    let file = format!("{dir}/file");
    client.push(&file, b"x", &PushOptions { owner: by_id, permissions: Some(0o640), ..Default::default() }).unwrap();
    let listed = client.list_files(&file, &ListFilesOptions::default()).unwrap();
    assert_eq!((listed[0].user_id, listed[0].group_id, listed[0].permissions), (Some(me.uid()), Some(me.gid()), 0o640));

    let (user, group) = (listed[0].user.clone(), listed[0].group.clone());
    let by_name = Owner { user: Some(user.clone()), group: Some(group.clone()), ..Owner::default() };
    let named = format!("{dir}/named/file");
    client.push(&named, b"y", &PushOptions { make_dirs: true, owner: by_name, ..Default::default() }).unwrap();
    let listed = client.list_files(&named, &ListFilesOptions::default()).unwrap();
    assert_eq!((listed[0].user.as_str(), listed[0].group.as_str()), (user.as_str(), group.as_str()));
    assert_eq!(std::fs::read(&named).unwrap(), b"y");

    let nobody =
        Owner { user: Some("no-such-user-here".into()), group: Some("no-such-group".into()), ..Owner::default() };
    let err = client.push(&format!("{dir}/x"), b"", &PushOptions { owner: nobody, ..Default::default() }).unwrap_err();
    assert!(err.to_string().contains("cannot look up user and group"), "{err}");
}

/// A failing check goes down, as a charm's status will show.
#[test]
fn a_failing_check_goes_down() {
    let daemon = Daemon::start();
    let client = daemon.client();
    let mut layer = Layer::default();
    layer.checks.insert(
        "failing".into(),
        Check {
            override_: Some(Override::Replace),
            period: Some("100ms".parse().unwrap()),
            threshold: 1,
            exec: Some(ExecCheck { command: "false".into(), ..ExecCheck::default() }),
            ..Check::default()
        },
    );
    client.add_layer("checks", &layer, LayerMode::Combine).unwrap();
    let down = eventually("the check going down", || {
        let checks = client.checks(None, &["failing"])?;
        Ok(checks.into_iter().find(|check| check.status == CheckStatus::Down))
    });
    assert!(down.failures >= 1, "{down:?}");
    assert!(down.change_id.is_some(), "{down:?}");
}

/// A string Pebble's yaml.v3 cannot give back exactly: U+2028 (a YAML 1.1 line break) is
/// refused by the plan reader rather than read wrong.
#[test]
fn a_plan_with_a_yaml_1_1_line_break_is_refused() {
    let daemon = Daemon::start();
    let client = daemon.client();
    let mut layer = Layer::default();
    let service = Service {
        override_: Some(Override::Replace),
        command: "sleep 1".into(),
        summary: "a\u{2028}b".into(),
        ..Service::default()
    };
    layer.services.insert("odd".into(), service);
    client.add_layer("odd", &layer, LayerMode::Combine).unwrap();
    let err = client.plan().unwrap_err();
    let source = std::error::Error::source(&err).map(ToString::to_string).unwrap_or_default();
    assert!(source.contains("text is not the YAML"), "{err}: {source}");
}

/// The one loss `Plan::from_yaml` documents: yaml.v3 writes a string that begins with a line
/// break as a literal block without it.
#[test]
fn a_leading_line_break_is_lost_in_the_plan() {
    let daemon = Daemon::start();
    let client = daemon.client();
    let mut layer = Layer::default();
    let service = Service {
        override_: Some(Override::Replace),
        command: "sleep 1".into(),
        summary: "\nx".into(),
        ..Service::default()
    };
    layer.services.insert("lossy".into(), service);
    client.add_layer("lossy", &layer, LayerMode::Combine).unwrap();
    assert_eq!(client.plan().unwrap().services["lossy"].summary, "x");
}

fn text() -> impl Strategy<Value = String> {
    // Any text but the YAML 1.1 line breaks (refused, above) and a leading line break (lost,
    // below).
    "[^\u{85}\u{2028}\u{2029}]{0,40}".prop_filter("a leading newline", |text| !text.starts_with('\n'))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    /// Whatever strings a service holds, the plan Pebble answers reads back as the layer sent.
    #[test]
    fn a_layer_comes_back_from_the_plan(
        summary in text(),
        // A command Pebble splits as a shell would (no quotes or backslashes to balance) and
        // without its `[ ... ]` default-arguments syntax.
        command in "[a-z]{1,8}( [^ \n'\"\\\\\\[\\]\u{85}\u{2028}\u{2029}]{1,30}){0,3}",
        environment in proptest::collection::btree_map("[A-Za-z_][A-Za-z0-9_ :#-]{0,12}", text(), 0..6),
        user_id in proptest::option::of(0u32..70000),
        factor in proptest::option::of(1.0f64..10.0),
    ) {
        thread_local! { static DAEMON: Daemon = Daemon::start(); }
        DAEMON.with(|daemon| {
            let client = daemon.client();
            let service = Service {
                override_: Some(Override::Replace),
                summary,
                command,
                environment: environment.into_iter().collect::<BTreeMap<_, _>>(),
                user_id,
                backoff_factor: factor,
                ..Service::default()
            };
            let mut layer = Layer::default();
            layer.services.insert("svc".into(), service.clone());
            client.add_layer("property", &layer, LayerMode::Combine).unwrap();
            let plan = client.plan().unwrap();
            prop_assert_eq!(&plan.services["svc"], &service);
            Ok(())
        })?;
    }
}

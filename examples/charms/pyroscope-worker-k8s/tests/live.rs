//! The k8s worker under the in-memory Juju with a real Pebble for `worker/0` (`pebble run` in a
//! temporary directory, the container's root inside it), the scenario of `common/mod.rs`, and
//! its Pebble exchanges compared with the recording that `recorded.rs` replays.
//!
//! Pyroscope itself is stood in for by a script that sleeps (the live toolchain's Pyroscope
//! binary is not wired in yet): the service, the files and Pebble's changes are real.

mod common;

use std::rc::Rc;

use common::daemon::Stopped;
use pyroscope_cluster_pebble::testing::{PebbleRecording, Recorder};
use pyroscope_cluster_pebble::{Client, UnixSocket};
use pyroscope_worker_k8s::ContainerSettings;

const RECORDING: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recordings/scenario.json");

#[test]
fn the_scenario_against_a_real_pebble_matches_the_recording() {
    let stopped = Stopped::new();
    let root = stopped.dir().join("root").to_str().unwrap().to_owned();
    let settings =
        ContainerSettings { socket: String::new(), container_root: root.clone(), fqdn: "worker-0.test".into() };
    let recorder = Rc::new(Recorder::new(UnixSocket::new(stopped.socket())));
    let (transport, count) = common::counted(Box::new(recorder.clone()));
    let pebble = Rc::new(Client::with_transport(transport));
    let absent = stopped.dir().join("absent.socket");
    let mut daemon = None;
    let measured = common::run(&pebble, &settings, &count, absent, || {
        let bin = std::path::Path::new(&root).join("usr/bin");
        std::fs::create_dir_all(&bin).unwrap();
        std::fs::write(bin.join("pyroscope"), "#!/bin/sh\nexec sleep 600\n").unwrap();
        std::fs::set_permissions(bin.join("pyroscope"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        daemon = Some(stopped.start());
    });
    println!("a hook where nothing changed: {measured:?}");
    assert_eq!(measured.pebble_calls, 3, "the config file, the plan and the ready check are read; nothing written");

    let recorded = recorder.recording().normalized(&root);
    if std::env::var_os("UPDATE_PEBBLE_RECORDING").is_some() {
        std::fs::write(RECORDING, recorded.to_json()).unwrap();
    }
    let committed = std::fs::read_to_string(RECORDING).unwrap();
    if let Some(difference) = recorded.difference(&committed) {
        let saved = std::env::temp_dir().join("pyroscope-worker-k8s-scenario.live.json");
        std::fs::write(&saved, recorded.to_json()).unwrap();
        panic!(
            "Pebble's answers differ from the recording {difference}\n(this run's: {}; run with \
             UPDATE_PEBBLE_RECORDING=1 and review the diff)",
            saved.display()
        );
    }
    assert_eq!(PebbleRecording::from_json(&committed).unwrap(), recorded);
    drop(daemon);
}

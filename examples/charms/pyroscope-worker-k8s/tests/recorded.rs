//! The k8s worker under the in-memory Juju with a recorded Pebble: the scenario of
//! `common/mod.rs` replayed from the answers the real daemon gave (`recordings/scenario.json`,
//! which `live.rs` checks against the daemon on every run).

mod common;

use std::rc::Rc;

use pyroscope_cluster_pebble::Client;
use pyroscope_cluster_pebble::testing::{PebbleRecording, ROOT, Replay};
use pyroscope_worker_k8s::ContainerSettings;

#[test]
fn the_scenario_replays_from_the_recording() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recordings/scenario.json")).unwrap();
    let recording = PebbleRecording::from_json(&text).unwrap();
    let replay = Rc::new(Replay::new(&recording, ROOT));
    let (transport, count) = common::counted(Box::new(replay.clone()));
    let pebble = Rc::new(Client::with_transport(transport));
    let settings =
        ContainerSettings { socket: String::new(), container_root: ROOT.into(), fqdn: "worker-0.test".into() };
    let dir = tempfile::tempdir().unwrap();
    let measured = common::run(&pebble, &settings, &count, dir.path().join("absent.socket"), || {});
    assert_eq!(measured.pebble_calls, 3);
    replay.finish().unwrap();
}

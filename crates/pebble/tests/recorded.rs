//! The recorded Pebble: the script of `common/script.rs` replayed from the answers the real
//! daemon gave (`recordings/session.json`, which `live.rs` checks against the daemon on every
//! run), without a daemon.

mod common;

use pyroscope_cluster_pebble::testing::{PebbleRecording, ROOT, Replay};
use pyroscope_cluster_pebble::{Client, PebbleError, SystemInfo};

fn recording() -> PebbleRecording {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recordings/session.json")).unwrap();
    PebbleRecording::from_json(&text).unwrap()
}

#[test]
fn every_call_replays_from_the_recording() {
    let recording = recording();
    let client = Client::with_transport(Replay::new(&recording, ROOT));
    common::script::run(&client, ROOT);
    client.transport().finish().unwrap();
    assert_eq!(client.transport().asked(), recording.exchanges.len());
}

#[test]
fn the_recording_replays_under_another_root() {
    let client = Client::with_transport(Replay::new(&recording(), "/srv/unit-0"));
    common::script::run(&client, "/srv/unit-0");
    client.transport().finish().unwrap();
}

#[test]
fn a_request_off_the_recording_is_refused_and_reported() {
    let client = Client::with_transport(Replay::new(&recording(), ROOT));
    let err = client.services(&[]).unwrap_err();
    assert!(
        matches!(&err, PebbleError::Protocol { problem, .. } if problem.contains("expected GET /v1/system-info")),
        "{err}"
    );
    let info: SystemInfo = client.system_info().unwrap();
    assert_eq!(info.version, "v1.32.1");
    let problems = client.transport().finish().unwrap_err();
    assert!(
        problems[0].starts_with("GET /v1/services: the recorded Pebble expected GET /v1/system-info"),
        "{problems:?}"
    );
    assert!(problems.iter().any(|problem| problem.starts_with("never asked: ")), "{problems:?}");
}

//! The state file and the call log are the owner's only (0600): they hold databags and
//! `relation-set` input, a coordinator's configuration with its S3 keys among them.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use pyroscope_cluster_fake_juju::{LOG_VARIABLE, STATE_VARIABLE, write_state};
use pyroscope_cluster_juju::testing::{Charms, Model, State};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn the_state_file_and_the_call_log_are_the_owners_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let log = dir.path().join("calls.jsonl");
    write_state(&state, &State::default()).unwrap();
    assert_eq!(mode(&state), 0o600);
    // Rewritten by a tool call that changes it, and the log it appends to.
    write_state(&state, &cluster(1)).unwrap();
    let tools = dir.path().join("tools");
    std::fs::create_dir(&tools).unwrap();
    let status_set = tools.join("status-set");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_fake-juju-tool"), &status_set).unwrap();
    let out = Command::new(&status_set)
        .args(["active", "fine"])
        .env(STATE_VARIABLE, &state)
        .env(LOG_VARIABLE, &log)
        .env("JUJU_UNIT_NAME", "pyroscope-worker/0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let written: State = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(written.unit("pyroscope-worker/0").unwrap().status.to_string(), "active: fine");
    assert_eq!(mode(&state), 0o600, "rewritten by the tool");
    assert_eq!(mode(&log), 0o600);
}

/// A model of a coordinator and a worker app of `units` units, related.
fn cluster(units: u32) -> State {
    let mut model = Model::new(State::default(), Charms::default());
    model.deploy("pyroscope", Some("pyroscope-coordinator"), 1);
    model.deploy("pyroscope-worker", Some("pyroscope-worker"), units);
    model.relate("pyroscope", "pyroscope-cluster", "pyroscope-worker", "pyroscope-cluster");
    model.state
}

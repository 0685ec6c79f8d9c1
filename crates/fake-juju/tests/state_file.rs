//! The state file's layout is versioned (STATE.md), and `fake-juju` says what is wrong instead
//! of guessing.

use std::process::Command;

use pyroscope_cluster_fake_juju::{STATE_VERSION, STATE_VERSION_KEY, read_state, write_state};
use pyroscope_cluster_juju::testing::{Charms, Model, State};
use serde_json::Value;

#[test]
fn the_state_file_says_its_version_and_a_newer_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let state = cluster(2);
    write_state(&path, &state).unwrap();
    let mut written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(written[STATE_VERSION_KEY], STATE_VERSION);
    assert_eq!(read_state(&path).unwrap(), state);
    // Written before the layout had a version: read as version 1.
    written.as_object_mut().unwrap().remove(STATE_VERSION_KEY);
    std::fs::write(&path, written.to_string()).unwrap();
    assert_eq!(read_state(&path).unwrap(), state);
    written[STATE_VERSION_KEY] = (STATE_VERSION + 1).into();
    std::fs::write(&path, written.to_string()).unwrap();
    let err = read_state(&path).unwrap_err().to_string();
    assert_eq!(err, "fake_juju_state_version is 2, which this fake Juju does not read (it reads up to 1)");
}

fn fake_juju(dir: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fake-juju")).arg("--dir").arg(dir).args(args).output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn the_command_line_refuses_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    let (code, _, err) = fake_juju(&model, &["show"]);
    assert_eq!(code, 1);
    assert!(err.contains("run `fake-juju init` first"), "{err}");
    assert_eq!(fake_juju(&model, &["init"]).0, 0);
    let (code, _, err) = fake_juju(&model, &["init"]);
    assert_eq!((code, err.contains("holds a model already (give --force to replace it)")), (1, true), "{err}");
    let (code, _, err) = fake_juju(&model, &["deploy", dir.path().to_str().unwrap()]);
    assert_eq!((code, err.contains("no executable `dispatch`: not a charm directory")), (2, true), "{err}");
    let (code, _, err) = fake_juju(&model, &["relate", "a:x", "b:y"]);
    assert_eq!((code, err.contains("no application \"a\" in the model")), (1, true), "{err}");
    let (code, _, err) = fake_juju(&model, &["run", "a/0", "install"]);
    assert_eq!((code, err.contains("no unit \"a/0\" in the model")), (1, true), "{err}");
    // A stub charm: a hook that fails is reported, and the command exits 1.
    let charm = dir.path().join("charm");
    std::fs::create_dir(&charm).unwrap();
    std::fs::write(charm.join("metadata.yaml"), "name: stub\n").unwrap();
    std::fs::write(
        charm.join("dispatch"),
        "#!/bin/sh\n[ \"$JUJU_HOOK_NAME\" != start ] || { echo broken >&2; exit 3; }\nstatus-set active hi\n",
    )
    .unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(
        &mut std::fs::metadata(charm.join("dispatch")).unwrap().permissions(),
        0o755,
    );
    let mut permissions = std::fs::metadata(charm.join("dispatch")).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(charm.join("dispatch"), permissions).unwrap();
    let (code, _, err) = fake_juju(&model, &["deploy", charm.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("ran stub/0 install\n"), "{err}");
    assert!(err.contains("FAILED stub/0 start: dispatch exited with exit status: 3: broken"), "{err}");
    let (code, out, _) = fake_juju(&model, &["show"]);
    assert_eq!(code, 0);
    assert!(out.contains("  stub/0 (leader): active: hi\n"), "{out}");
    let state: State = read_state(&model.join("state.json")).unwrap();
    assert_eq!(state.apps["stub"].units.len(), 1);
}

/// A model of a coordinator and a worker app of `units` units, related.
fn cluster(units: u32) -> State {
    let mut model = Model::new(State::default(), Charms::default());
    model.deploy("pyroscope", Some("pyroscope-coordinator"), 1);
    model.deploy("pyroscope-worker", Some("pyroscope-worker"), units);
    model.relate("pyroscope", "pyroscope-cluster", "pyroscope-worker", "pyroscope-cluster");
    model.state
}

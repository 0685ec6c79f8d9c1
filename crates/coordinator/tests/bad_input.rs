//! Bad input from Juju: a tool that fails, hangs, prints garbage or is missing; a relation that
//! vanishes between two calls; an unknown event; a malformed `JUJU_RELATION_ID`. Each is a typed
//! error or a reason, never a panic, and a failed write is redone by the next hook.

use std::time::{Duration, Instant};

use pyroscope_cluster_coordinator::testing::worker_cluster;
use pyroscope_cluster_coordinator::{CLUSTER_ENDPOINT, SkipReason, coordinator_status, publish, read_snapshot};
use pyroscope_cluster_juju::testing::{Fault, FaultAction, HookSpec, JUJU_4_0, State, run_hook};
use pyroscope_cluster_juju::{
    Call, ContextError, Event, HookContext, HookTools, RelationEventKind, Subprocess, ToolError,
};
use pyroscope_cluster_provider::{Extras, S3Settings, Settings, reconcile};

fn settings() -> Settings {
    Settings {
        s3: S3Settings { endpoint: "minio:9000".into(), bucket_name: "b".into(), ..S3Settings::default() },
        ..Settings::default()
    }
}

/// One coordinator hook; returns the relations written, the failures, the skipped, the status.
fn coordinator_hook(state: State) -> (State, Vec<String>, Vec<String>, Vec<String>, String) {
    let hook = HookSpec::simple("pyroscope/0", "update-status");
    let (state, _, result) = run_hook(state, &hook, |context, tools| {
        let read = read_snapshot(tools, context, CLUSTER_ENDPOINT)?;
        let outcome = reconcile(&read.snapshot, &settings(), &Extras::default());
        let report = publish(tools, outcome.plan.as_ref().unwrap(), &read.relations, None);
        let (_, message) = coordinator_status(&outcome, &read.skipped, &report);
        let written = report.written.iter().map(ToString::to_string).collect();
        let failed = report.failed.iter().map(|(relation, err)| format!("{relation}: {err}")).collect();
        let skipped = read.skipped.iter().map(ToString::to_string).collect();
        Ok::<_, ToolError>((written, failed, skipped, message))
    })
    .unwrap();
    let (written, failed, skipped, message) = result.unwrap();
    (state, written, failed, skipped, message)
}

#[test]
fn a_failed_relation_set_is_reported_and_the_next_hook_converges() {
    let mut state = worker_cluster(&[("a", 1), ("b", 1)]);
    state.faults.push(Fault {
        relation: Some(2),
        times: Some(1),
        ..Fault::on("relation-set", FaultAction::Fail { code: 1, stderr: "ERROR connection reset\n".into() })
    });
    let (state, written, failed, _, message) = coordinator_hook(state);
    assert_eq!(written, ["pyroscope-cluster:1"]);
    assert_eq!(failed, ["pyroscope-cluster:2: hook tool `relation-set` failed (exit code 1): ERROR connection reset"]);
    assert!(message.starts_with("publishing to relation pyroscope-cluster:2 failed (see the log)"), "{message}");
    assert!(!state.relations[&2].app_data.contains_key("pyroscope"), "nothing half-written");
    let (state, written, failed, _, _) = coordinator_hook(state);
    assert_eq!((written, failed), (vec!["pyroscope-cluster:2".to_owned()], vec![]));
    assert_eq!(state.relations[&1].app_data["pyroscope"], state.relations[&2].app_data["pyroscope"]);
    let (_, written, _, _, _) = coordinator_hook(state);
    assert!(written.is_empty(), "converged: nothing more to write");
}

#[test]
fn a_relation_that_vanishes_between_two_calls_is_skipped_on_either_juju() {
    for version in ["3.6.28", JUJU_4_0] {
        let mut state = worker_cluster(&[("a", 2), ("b", 1)]);
        state.juju_version = version.into();
        // The second relation-get of relation 1 (its first unit) finds it gone.
        state.faults.push(Fault { relation: Some(1), skip: 1, ..Fault::on("relation-get", FaultAction::Vanish) });
        let (_, written, failed, skipped, message) = coordinator_hook(state);
        assert_eq!(written, ["pyroscope-cluster:2"], "{version}");
        assert!(failed.is_empty());
        assert_eq!(skipped, ["relation pyroscope-cluster:1 is gone (`relation-get` said so); left out"], "{version}");
        assert!(message.contains("relation pyroscope-cluster:1 is gone"), "{message}");
    }
}

#[track_caller]
fn check_tool_error(fault: FaultAction, expect: &str) {
    let mut state = worker_cluster(&[("a", 1)]);
    state.faults.push(Fault::on("relation-ids", fault));
    let hook = HookSpec::simple("pyroscope/0", "update-status");
    let (_, _, result) =
        run_hook(state, &hook, |context, tools| read_snapshot(tools, context, CLUSTER_ENDPOINT)).unwrap();
    let err = result.unwrap_err();
    assert_eq!(pyroscope_cluster_juju::error_chain(&err), expect);
}

#[test]
fn failing_hanging_garbled_and_missing_tools_are_typed_errors() {
    check_tool_error(
        FaultAction::Fail { code: 2, stderr: "ERROR boom\n".into() },
        "hook tool `relation-ids` failed (exit code 2): ERROR boom",
    );
    check_tool_error(
        FaultAction::Hang { millis: 5 },
        "hook tool `relation-ids` did not finish within 5ms and was killed",
    );
    check_tool_error(
        FaultAction::Garbage { stdout: "<html>".into() },
        "hook tool `relation-ids` printed output that is not the JSON expected: expected value at line 1 column 1",
    );
    check_tool_error(
        FaultAction::Missing,
        "hook tool `relation-ids` was not found on PATH (is this running inside a Juju hook?)",
    );
}

/// The subprocess runner itself: a real tool that hangs is killed at the timeout; a tool not on
/// PATH is missing; garbage is not JSON.
#[test]
fn subprocess_timeout_missing_and_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let script = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        path
    };
    script("is-leader", "exec sleep 5");
    script("relation-ids", "echo 'not json'");
    script("config-get", "echo 'ERROR permission denied' >&2; exit 1");
    let runner = Subprocess::with_timeout(Duration::from_millis(300)).tools_dir(dir.path());
    let mut tools = HookTools::new(runner, "c/0");
    let start = Instant::now();
    let err = tools.is_leader().unwrap_err();
    assert!(matches!(err, ToolError::TimedOut { tool: "is-leader", .. }), "{err}");
    assert!(start.elapsed() < Duration::from_secs(4), "killed at the timeout");
    let err = tools.relation_ids("x").unwrap_err();
    assert!(matches!(err, ToolError::NotJson { tool: "relation-ids", .. }), "{err}");
    let err = tools.config().unwrap_err();
    assert_eq!(err.to_string(), "hook tool `config-get` failed (exit code 1): ERROR permission denied");
    let err = tools.run(&Call::OpenedPorts).unwrap_err();
    assert!(matches!(err, ToolError::Missing { tool: "opened-ports" }), "{err}");
}

#[test]
fn a_follower_on_its_own_app_databag_is_not_leader_and_a_missing_secret_is_typed() {
    let state = worker_cluster(&[("a", 2)]);
    let hook = HookSpec::simple("a/1", "update-status");
    let (_, calls, (read, secret)) = run_hook(state, &hook, |_, tools| {
        let relation = pyroscope_cluster_juju::RelationRef::new(CLUSTER_ENDPOINT, 1);
        (
            tools.app_databag(&relation, "a").unwrap_err(),
            tools.secret_get("secret:nope", pyroscope_cluster_juju::SecretRevision::Refresh).unwrap_err(),
        )
    })
    .unwrap();
    assert!(matches!(read, ToolError::NotLeader { tool: "relation-get" }), "{read}");
    assert!(matches!(secret, ToolError::SecretNotFound { ref id } if id == "secret:nope"), "{secret}");
    assert_eq!(
        calls.iter().map(|call| call.argv[0].as_str()).collect::<Vec<_>>(),
        ["relation-get", "is-leader", "secret-get"]
    );
}

#[track_caller]
fn context(vars: &[(&str, &str)]) -> Result<HookContext, ContextError> {
    HookContext::from_vars(|name| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned()))
}

#[test]
fn unknown_events_are_values_and_a_malformed_relation_id_is_an_error() {
    let unit = ("JUJU_UNIT_NAME", "w/0");
    let event = |path: &str| context(&[unit, ("JUJU_DISPATCH_PATH", path)]).unwrap().event;
    assert_eq!(event("hooks/install"), Event::Install);
    assert_eq!(event("hooks/data-storage-attached"), Event::Unknown { hook: "data-storage-attached".into() });
    assert_eq!(event("hooks/workload-pebble-ready"), Event::Unknown { hook: "workload-pebble-ready".into() });
    assert_eq!(event("actions/backup"), Event::Action { name: "backup".into() });
    let relation = context(&[
        unit,
        ("JUJU_DISPATCH_PATH", "hooks/pyroscope-cluster-relation-departed"),
        ("JUJU_RELATION", "pyroscope-cluster"),
        ("JUJU_RELATION_ID", "pyroscope-cluster:4"),
        ("JUJU_DEPARTING_UNIT", "c/1"),
        ("JUJU_REMOTE_UNIT", ""),
    ])
    .unwrap();
    assert_eq!(
        relation.event,
        Event::Relation { endpoint: "pyroscope-cluster".into(), kind: RelationEventKind::Departed }
    );
    assert_eq!(relation.relation.unwrap().to_string(), "pyroscope-cluster:4");
    assert_eq!((relation.departing_unit.as_deref(), relation.remote_unit), (Some("c/1"), None));

    let err =
        context(&[unit, ("JUJU_DISPATCH_PATH", "hooks/x-relation-changed"), ("JUJU_RELATION_ID", "x:")]).unwrap_err();
    assert_eq!(
        pyroscope_cluster_juju::error_chain(&err),
        "JUJU_RELATION_ID is malformed: \"x:\" is not a relation: expected `<endpoint>:<number>` (as `relation-ids` prints it) or a number"
    );
    assert_eq!(
        context(&[("JUJU_DISPATCH_PATH", "hooks/install")]).unwrap_err(),
        ContextError::Missing { variable: "JUJU_UNIT_NAME" }
    );
    assert!(matches!(
        context(&[("JUJU_UNIT_NAME", "w"), ("JUJU_HOOK_NAME", "install")]),
        Err(ContextError::UnitName { .. })
    ));
}

#[test]
fn the_relation_of_a_broken_hook_is_left_out() {
    let state = worker_cluster(&[("a", 1), ("b", 1)]);
    let hook = HookSpec {
        relation: Some(1),
        remote_app: Some("a".into()),
        ..HookSpec::simple("pyroscope/0", "pyroscope-cluster-relation-broken")
    };
    let (_, _, read) =
        run_hook(state, &hook, |context, tools| read_snapshot(tools, context, CLUSTER_ENDPOINT)).unwrap();
    let read = read.unwrap();
    assert_eq!(read.snapshot.relations.len(), 1);
    assert_eq!(read.skipped[0].reason, SkipReason::Broken);
}

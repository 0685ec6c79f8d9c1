//! The fewest calls: a coordinator hook reads each databag once and writes only what changed.
//! The floor (issue #10): 1 `relation-ids`; per relation 2 `relation-list`, 1 read of the remote
//! app, 1 read per unit, 1 read of its own databag; no write when nothing changed, at most one
//! per relation otherwise.

use std::collections::BTreeMap;

use pyroscope_cluster_coordinator::testing::worker_cluster;
use pyroscope_cluster_coordinator::{CLUSTER_ENDPOINT, publish, read_snapshot};
use pyroscope_cluster_juju::ToolError;
use pyroscope_cluster_juju::testing::{HookSpec, LoggedCall, State, run_hook};
use pyroscope_cluster_provider::{Extras, S3Settings, Settings, reconcile};

fn hook(state: State) -> (State, Vec<LoggedCall>) {
    let settings = Settings {
        s3: S3Settings { endpoint: "minio:9000".into(), bucket_name: "b".into(), ..S3Settings::default() },
        ..Settings::default()
    };
    let spec = HookSpec::simple("pyroscope/0", "update-status");
    let (state, calls, result) = run_hook(state, &spec, |context, tools| {
        let read = read_snapshot(tools, context, CLUSTER_ENDPOINT)?;
        let outcome = reconcile(&read.snapshot, &settings, &Extras::default());
        let report = publish(tools, outcome.plan.as_ref().unwrap(), &read.relations, None);
        assert!(report.is_complete());
        Ok::<_, ToolError>(())
    })
    .unwrap();
    result.unwrap();
    (state, calls)
}

fn by_tool(calls: &[LoggedCall]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for call in calls {
        *counts.entry(call.argv[0].clone()).or_default() += 1;
    }
    counts
}

#[track_caller]
fn check(workers: &[(&str, u32)]) {
    let relations = workers.len();
    let units: usize = workers.iter().map(|(_, n)| *n as usize).sum();
    let (state, first) = hook(worker_cluster(workers));
    let floor = |writes: usize| -> BTreeMap<String, usize> {
        let mut floor = BTreeMap::from([
            ("relation-ids".to_owned(), 1),
            ("relation-list".to_owned(), 2 * relations),
            ("relation-get".to_owned(), relations + units + relations),
        ]);
        if writes > 0 {
            floor.insert("relation-set".to_owned(), writes);
        }
        floor
    };
    assert_eq!(by_tool(&first), floor(relations), "first hook: one write per relation");
    let (_, second) = hook(state);
    assert_eq!(by_tool(&second), floor(0), "nothing changed: no write");
}

#[test]
fn calls_per_hook_are_the_floor() {
    check(&[("a", 1)]);
    check(&[("a", 3), ("b", 4), ("c", 3)]);
    check(&[("a", 40), ("b", 30), ("c", 30)]);
}

//! The hook cache at scale, with the example charms in the in-memory Juju: what a hook costs in
//! hook-tool calls once the cache holds the cluster, at 1,000 and 10,000 worker units.

#[path = "support/mod.rs"]
mod support;

use pyroscope_cluster_coordinator::testing::worker_cluster;
use pyroscope_cluster_juju::testing::{Charms, HookSpec, LoggedCall, Model};
use serde_json::Value;

/// A coordinator leader with the s3 relation and `apps` worker apps of `units` units each (stub
/// worker apps: their databags are written, their charm does not run), after one full-read hook.
fn cluster(apps: &[&str], units: u32) -> (Model<Charms>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let workers: Vec<(&str, u32)> = apps.iter().map(|app| (*app, units)).collect();
    let mut state = worker_cluster(&workers);
    for app in apps {
        state.apps.get_mut(*app).unwrap().charm = None;
    }
    let mut model = Model::new(state, support::in_memory(&sandbox));
    model.state.apps.get_mut("pyroscope").unwrap().charm = Some(support::COORDINATOR_CHARM.into());
    model.deploy("s3", None, 1);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap();
    assert!(model.state.apps["pyroscope"].units["pyroscope/0"].hook_cache.is_some(), "the cache is saved");
    (model, dir)
}

/// `relation-changed` on the coordinator for `unit` of relation `id`.
fn changed(id: u32, unit: &str) -> HookSpec {
    let app = unit.split_once('/').unwrap().0;
    HookSpec {
        relation: Some(id),
        remote_app: Some(app.to_owned()),
        remote_unit: Some(unit.to_owned()),
        ..HookSpec::simple("pyroscope/0", "pyroscope-cluster-relation-changed")
    }
}

fn last_calls(model: &Model<Charms>) -> &[LoggedCall] {
    &model.history.last().unwrap().calls
}

fn tools(calls: &[LoggedCall]) -> Vec<&str> {
    calls.iter().map(|call| call.argv[0].as_str()).collect()
}

#[track_caller]
fn check_at(units: u32) {
    let (mut model, _dir) = cluster(&["read", "write", "backend"], units / 3);
    // A unit whose data did not change: a handful of calls, nothing written.
    model.run(changed(2, "write/7")).unwrap();
    let calls = last_calls(&model);
    assert!(calls.len() <= 10, "{} calls: {:?}", calls.len(), tools(calls));
    assert_eq!(tools(calls), ["is-leader", "config-get", "relation-ids", "relation-ids", "relation-get"]);
    // A unit whose address changed: that unit read, each relation written once.
    let databag = model.state.relations.get_mut(&2).unwrap().unit_data.get_mut("write/7").unwrap();
    databag.insert("address".into(), r#""10.200.0.7""#.into());
    model.run(changed(2, "write/7")).unwrap();
    let calls = last_calls(&model);
    assert_eq!(calls.iter().filter(|call| call.argv[0] == "relation-get").count(), 1, "{:?}", tools(calls));
    let written: Vec<&str> =
        calls.iter().filter(|call| call.argv[0] == "relation-set").map(|call| call.argv[2].as_str()).collect();
    assert_eq!(written, ["pyroscope-cluster:1", "pyroscope-cluster:2", "pyroscope-cluster:3"]);
    assert!(support::published(&model.state, 1)["worker_config"].contains("10.200.0.7:7946"));
    // A departure: nothing read, each relation written once without the unit.
    let departed = HookSpec { departing_unit: Some("write/7".into()), ..changed(2, "write/7") };
    let departed = HookSpec { hook: "pyroscope-cluster-relation-departed".into(), ..departed };
    model.state.relations.get_mut(&2).unwrap().unit_data.remove("write/7");
    model.state.relations.get_mut(&2).unwrap().views.get_mut("pyroscope/0").unwrap().remove("write/7");
    model.run(departed).unwrap();
    let calls = last_calls(&model);
    assert_eq!(calls.iter().filter(|call| call.argv[0] == "relation-get").count(), 0, "{:?}", tools(calls));
    assert_eq!(calls.iter().filter(|call| call.argv[0] == "relation-set").count(), 3);
    assert!(!support::published(&model.state, 1)["worker_config"].contains("10.200.0.7"));
}

#[test]
fn a_coordinator_hook_reads_only_what_its_event_names_at_1000_units() {
    check_at(999);
}

#[test]
fn a_coordinator_hook_reads_only_what_its_event_names_at_3000_units() {
    check_at(3_000);
}

#[test]
fn a_worker_hook_with_nothing_new_makes_five_calls_at_most() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let mut model = Model::new(support::new_state(), support::in_memory(&sandbox));
    support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 1, &[]);
    model.deploy("s3", None, 1);
    support::deploy_worker(&mut model, "worker", &["all"], 2);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    model.relate("pyroscope", "pyroscope-cluster", "worker", "pyroscope-cluster");
    model.settle().unwrap();
    assert_eq!(model.state.apps["worker"].units["worker/0"].status.name, "active");
    for unit in ["worker/0", "worker/1"] {
        model.run(HookSpec::simple(unit, "update-status")).unwrap();
        let calls = last_calls(&model);
        assert!(calls.len() <= 5, "{unit}: {} calls: {:?}", calls.len(), tools(calls));
        // Its options, its relation, its address, its leadership: nothing else changed, and the
        // coordinator's databag, its own databags, ports and status are the cache's.
        assert_eq!(tools(calls), ["config-get", "relation-ids", "network-get", "is-leader"], "{unit}");
        assert!(!tools(calls).contains(&"relation-set") && !tools(calls).contains(&"status-set"), "{unit}");
    }
    // An option changed: read, acted on, and the status set once.
    model.set_config("worker", &[("role-all", Value::Bool(false)), ("role-querier", Value::Bool(true))]);
    model.settle().unwrap();
    assert_eq!(model.state.apps["worker"].units["worker/0"].status.message, "running querier");
}

/// What can happen to the cluster between two comparisons.
#[derive(Debug, Clone)]
enum Op {
    /// A unit joins the worker app of this index.
    AddUnit(usize),
    /// The last unit of the worker app of this index leaves.
    RemoveUnit(usize),
    /// A unit of the worker app of this index gets a new address, and publishes it.
    MoveUnit(usize),
    /// A new worker app joins the cluster.
    AddApp,
    /// The worker app of this index leaves the cluster.
    RemoveApp(usize),
    /// The coordinator's leadership moves to its other unit.
    MoveLeadership,
    /// The next `tool` call of the coordinator's leader fails, after `skip` that pass (with
    /// `relation-set` and `skip` 1: the hook is killed between two writes).
    Fail { tool: &'static str, skip: u32 },
    /// The leader's hook cache is deleted, or overwritten with garbage.
    LoseCache { corrupt: bool },
    /// `update-status` on the leader.
    UpdateStatus,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        4 => (0..3usize).prop_map(Op::AddUnit),
        2 => (0..3usize).prop_map(Op::RemoveUnit),
        3 => (0..3usize).prop_map(Op::MoveUnit),
        1 => Just(Op::AddApp),
        1 => (0..3usize).prop_map(Op::RemoveApp),
        1 => Just(Op::MoveLeadership),
        2 => prop_oneof![Just("relation-set"), Just("relation-get"), Just("relation-list"), Just("status-set")]
            .prop_flat_map(|tool| (0..3u32).prop_map(move |skip| Op::Fail { tool, skip })),
        1 => any::<bool>().prop_map(|corrupt| Op::LoseCache { corrupt }),
        1 => Just(Op::UpdateStatus),
    ]
}

/// The coordinator's leader.
fn leader(model: &Model<Charms>) -> String {
    model.state.apps["pyroscope"].leader.clone().unwrap()
}

/// The worker apps, by name, that are still deployed.
fn worker_apps(model: &Model<Charms>) -> Vec<String> {
    model.state.apps.keys().filter(|app| app.starts_with('w')).cloned().collect()
}

/// Settles, then retries each hook that failed (as Juju does) with the faults gone, until
/// nothing fails.
fn settle(model: &mut Model<Charms>) {
    for _ in 0..5 {
        let start = model.history.len();
        let result = model.settle();
        model.state.faults.clear();
        let failed: Vec<HookSpec> =
            model.history[start..].iter().filter(|record| record.result.is_err()).map(|r| r.spec.clone()).collect();
        if result.is_ok() && failed.is_empty() {
            return;
        }
        for spec in failed {
            let _ = model.run(spec);
        }
    }
    panic!("the model does not settle");
}

/// What the coordinator has published on each worker relation, and its status.
type Published = (Vec<(u32, pyroscope_cluster_model::RawDatabag)>, String);

fn published(state: &pyroscope_cluster_juju::testing::State) -> Published {
    let relations = state
        .relations
        .iter()
        .filter(|(_, relation)| {
            relation.sides("pyroscope").is_some_and(|(mine, _)| mine.endpoint == "pyroscope-cluster")
        })
        .map(|(id, _)| (*id, support::published(state, *id)))
        .collect();
    let leader = state.apps["pyroscope"].leader.clone().unwrap();
    (relations, state.apps["pyroscope"].units[&leader].status.to_string())
}

/// What a coordinator that reads everything publishes on the same state: the leader's cache
/// deleted, one `update-status`.
fn full_read(model: &Model<Charms>, sandbox: &support::Sandbox) -> Published {
    let mut state = model.state.clone();
    let leader = state.apps["pyroscope"].leader.clone().unwrap();
    state.unit_mut(&leader).unwrap().hook_cache = None;
    let mut reference = Model::new(state, support::in_memory(sandbox));
    reference.run(HookSpec::simple(&leader, "update-status")).unwrap();
    published(&reference.state)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 32, ..Default::default() })]

    /// Model-based: after any sequence of Juju events, faults and lost caches, once the
    /// coordinator has run every hook it was given, its next hook publishes, byte for byte, what
    /// the hook of a coordinator that reads everything publishes on the same state, and sets the
    /// same status. (Between two hooks a cached coordinator may lag a change whose hook it has
    /// not run yet; Juju runs that hook, so it never misses one.)
    #[test]
    fn the_cache_never_drifts_from_a_full_read(ops in proptest::collection::vec(op(), 1..10)) {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = support::Sandbox { root: dir.path().to_owned() };
        let mut model = Model::new(support::new_state(), support::in_memory(&sandbox));
        support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 2, &[]);
        model.deploy("s3", None, 1);
        let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
        model.set_app_data(s3, "s3", support::s3_databag());
        let mut next_app = 0;
        for _ in 0..2 {
            let app = format!("w{next_app}");
            next_app += 1;
            support::deploy_worker(&mut model, &app, &["all"], 2);
            model.relate("pyroscope", "pyroscope-cluster", &app, "pyroscope-cluster");
        }
        settle(&mut model);
        for op in ops {
            let apps = worker_apps(&model);
            let pick = |index: usize| apps.get(index % apps.len().max(1)).cloned();
            match op {
                Op::AddUnit(index) => if let Some(app) = pick(index) { model.add_unit(&app); },
                Op::RemoveUnit(index) => if let Some(app) = pick(index) {
                    let units = support::units(&model.state, &app);
                    if units.len() > 1 { model.remove_unit(units.last().unwrap()); }
                },
                Op::MoveUnit(index) => if let Some(app) = pick(index) {
                    let unit = support::units(&model.state, &app)[0].clone();
                    let moved = model.state.unit_mut(&unit).unwrap();
                    moved.address = format!("10.99.{}.{}", index, moved.address.len());
                    model.run(HookSpec::simple(&unit, "config-changed")).unwrap();
                },
                Op::AddApp => {
                    let app = format!("w{next_app}");
                    next_app += 1;
                    support::deploy_worker(&mut model, &app, &["querier"], 1);
                    model.relate("pyroscope", "pyroscope-cluster", &app, "pyroscope-cluster");
                }
                Op::RemoveApp(index) => if apps.len() > 1 { if let Some(app) = pick(index) { model.remove_app(&app); } },
                Op::MoveLeadership => {
                    let other = if leader(&model) == "pyroscope/0" { "pyroscope/1" } else { "pyroscope/0" };
                    model.set_leader(other);
                }
                Op::Fail { tool, skip } => {
                    let mut fault = pyroscope_cluster_juju::testing::Fault::on(
                        tool,
                        pyroscope_cluster_juju::testing::FaultAction::Fail { code: 1, stderr: "ERROR timed out".into() },
                    );
                    fault.unit = Some(leader(&model));
                    fault.skip = skip;
                    fault.times = Some(1);
                    model.state.faults.push(fault);
                    let unit = support::units(&model.state, &worker_apps(&model)[0])[0].clone();
                    let moved = model.state.unit_mut(&unit).unwrap();
                    moved.address = format!("10.98.0.{}", moved.address.len());
                    model.run(HookSpec::simple(&unit, "config-changed")).unwrap();
                }
                Op::LoseCache { corrupt } => {
                    let leader = leader(&model);
                    model.state.unit_mut(&leader).unwrap().hook_cache = corrupt.then(|| "{\"format\":1,".into());
                }
                Op::UpdateStatus => { let _ = model.run(HookSpec::simple(&leader(&model), "update-status")); }
            }
            settle(&mut model);
            // The next hook, with the cache and without: the same databags, the same status.
            let want = full_read(&model, &sandbox);
            model.run(HookSpec::simple(&leader(&model), "update-status")).unwrap();
            proptest::prop_assert_eq!(published(&model.state), want, "after {:?}", op);
        }
    }
}

#[test]
fn every_kth_update_status_reads_everything_when_the_option_says_so() {
    let (mut model, _dir) = cluster(&["read"], 3);
    model.state.apps.get_mut("pyroscope").unwrap().config.insert("hook-cache-full-read-every".into(), Value::from(3));
    let mut reads = Vec::new();
    for _ in 0..6 {
        model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap();
        reads.push(last_calls(&model).iter().filter(|call| call.argv[0] == "relation-get").count());
    }
    // s3's databag, the worker app's, its three units', the coordinator's own: six reads.
    assert_eq!(reads, [0, 0, 6, 0, 0, 6]);
}

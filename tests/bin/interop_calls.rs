//! `interop-clusters --calls`: the hook-tool calls of the Rust example charms and of the Python
//! test charms (the real `ClusterProvider` and `ClusterRequirer` under ops), hook by hook, for the
//! same events under the same fake Juju (`Processes`: every charm a process, every call logged).
//!
//! - The coordinator, in a cluster built directly (`worker_cluster`: three stub worker apps of
//!   `units` units in all, each unit's address and topology published, an S3 stub related), after
//!   one warm-up `update-status`: `relation-joined` and `relation-changed` of a new unit, a
//!   `relation-changed` with nothing changed, one with a new address, a `relation-departed`,
//!   `update-status`, `leader-elected`. The Rust coordinator runs with its hook cache, and once
//!   more with the cache deleted before each hook (what it did before the cache).
//! - The worker, in a settled cluster (the Rust coordinator, an S3 stub, a worker app of two units
//!   of the language measured): `update-status` and `config-changed` (no option changed) on the
//!   leader and on the follower.
//!
//! Printed as Markdown tables (`docs/hook-cache.md`, "Beside the Python charms").

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use pyroscope_cluster_coordinator::testing::worker_cluster;
use pyroscope_cluster_fake_juju::{Processes, config_defaults};
use pyroscope_cluster_juju::CACHE_FILE;
use pyroscope_cluster_juju::testing::{HookSpec, LoggedCall, Model};
use pyroscope_cluster_model::{DatabagModel, JujuTopology, RequirerUnitData};

use super::{Lang, ensure, processes, support};

/// The coordinator's unit.
const COORDINATOR: &str = "pyroscope/0";
/// The worker app whose units join, change and leave.
const MOVING_APP: &str = "write";

/// Who is measured: a coordinator or a worker, its language, and for the Rust coordinator
/// whether its hook cache is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Charm {
    Rust,
    RustNoCache,
    Python,
}

impl Charm {
    fn lang(self) -> Lang {
        match self {
            Self::Rust | Self::RustNoCache => Lang::Rust,
            Self::Python => Lang::Python,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Rust => "Rust",
            Self::RustNoCache => "Rust, cache deleted before each hook",
            Self::Python => "Python",
        }
    }
}

/// One measured hook: what it was, and the calls it made.
struct Measured {
    event: &'static str,
    calls: Vec<LoggedCall>,
}

/// The coordinator events, in the order they run (the columns of the table).
const COORDINATOR_EVENTS: &[&str] = &[
    "joined (new unit)",
    "changed (new unit)",
    "changed, no change",
    "changed, new address",
    "departed",
    "update-status",
    "leader-elected",
];

/// The calls of `calls` by tool, most first: `relation-get ×12, is-leader ×1`.
fn by_tool(calls: &[LoggedCall]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for call in calls {
        *counts.entry(call.argv[0].as_str()).or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = counts.iter().map(|(tool, n)| format!("{tool} ×{n}")).collect();
    if parts.is_empty() { "none".into() } else { parts.join(", ") }
}

/// Runs `spec`; its calls, or the hook's failure with what the charm logged.
fn run_hook(model: &mut Model<Processes>, spec: HookSpec, log: &Path) -> Result<Vec<LoggedCall>, String> {
    let what = spec.to_string();
    model.run(spec).map_err(|failed| {
        format!("{what}: {}\nwhat it logged at ERROR:\n{}", failed.message, super::logged_errors(log))
    })?;
    Ok(model.history.last().map(|record| record.calls.clone()).unwrap_or_default())
}

/// A worker unit's databag as the worker has published it, Juju's own keys first.
fn worker_databag(app: &str, unit: &str, address: &str) -> pyroscope_cluster_model::RawDatabag {
    let mut databag: pyroscope_cluster_model::RawDatabag = [
        ("egress-subnets".to_owned(), format!("{address}/32")),
        ("ingress-address".to_owned(), address.to_owned()),
        ("private-address".to_owned(), address.to_owned()),
    ]
    .into();
    let data = RequirerUnitData {
        address: address.parse().expect("an IPv4 address"),
        juju_topology: JujuTopology {
            application: app.to_owned(),
            unit: unit.to_owned(),
            charm_name: "pyroscope-worker".into(),
            model: None,
            model_uuid: None,
        },
    };
    databag.extend(data.encode());
    databag
}

/// The relation ID of the coordinator with `app`.
fn relation_of(model: &Model<Processes>, app: &str) -> u32 {
    model.state.relations.values().find(|relation| relation.sides(app).is_some()).map(|relation| relation.id).unwrap()
}

fn relation_hook(model: &Model<Processes>, kind: &str, unit: &str) -> HookSpec {
    let app = unit.split_once('/').map_or(unit, |(app, _)| app);
    HookSpec {
        relation: Some(relation_of(model, app)),
        remote_app: Some(app.into()),
        remote_unit: Some(unit.into()),
        departing_unit: (kind == "departed").then(|| unit.into()),
        ..HookSpec::simple(COORDINATOR, &format!("pyroscope-cluster-relation-{kind}"))
    }
}

/// The coordinator's hooks, one by one, in a cluster of `units` worker units.
fn coordinator_calls(
    bins: &support::Bins,
    python: &Path,
    interop: &Path,
    charm: Charm,
    units: u32,
) -> Result<Vec<Measured>, String> {
    let dir = tempfile::tempdir().map_err(|err| err.to_string())?;
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let per_app = units / 3;
    let mut state = worker_cluster(&[("read", per_app), (MOVING_APP, per_app), ("backend", units - 2 * per_app)]);
    for app in ["read", MOVING_APP, "backend"] {
        state.apps.get_mut(app).expect("deployed").charm = None;
    }
    let coordinator = state.apps.get_mut("pyroscope").expect("deployed");
    coordinator.config = config_defaults(support::COORDINATOR_YAML)?;
    coordinator.charm = Some(support::COORDINATOR_CHARM.into());
    let executor = processes(&sandbox, bins, python, interop, (charm.lang(), Lang::Rust));
    let log = executor.log_file();
    let cache = executor.unit_charm_dir(COORDINATOR).join(CACHE_FILE);
    let mut model = Model::new(state, executor);
    model.deploy("s3", None, 1);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    // The warm-up: the first hook reads everything (the Rust charm has no cache yet) and
    // publishes to every relation.
    run_hook(&mut model, HookSpec::simple(COORDINATOR, "update-status"), &log)?;
    let workers = ["read", MOVING_APP, "backend"].map(|app| relation_of(&model, app));
    for id in workers {
        let members = support::join_members(&model.state, id);
        ensure(members.len() == units as usize, || {
            format!("{} coordinator: relation {id} has {} join members, not {units}", charm.label(), members.len())
        })?;
    }

    let mut out = Vec::new();
    let mut measure = |model: &mut Model<Processes>, event: &'static str, spec: HookSpec| -> Result<(), String> {
        if charm == Charm::RustNoCache {
            let _ = std::fs::remove_file(&cache);
        }
        let calls = run_hook(model, spec, &log)?;
        out.push(Measured { event, calls });
        Ok(())
    };
    // A new unit of `write`: its databag as its worker publishes it, seen by the coordinator.
    let id = relation_of(&model, MOVING_APP);
    let new_unit = format!("{MOVING_APP}/{}", units + 1000);
    let relation = model.state.relations.get_mut(&id).expect("related");
    relation.views.entry(COORDINATOR.into()).or_default().insert(new_unit.clone());
    relation.unit_data.insert(new_unit.clone(), worker_databag(MOVING_APP, &new_unit, "10.250.0.1"));
    let spec = relation_hook(&model, "joined", &new_unit);
    measure(&mut model, COORDINATOR_EVENTS[0], spec)?;
    let spec = relation_hook(&model, "changed", &new_unit);
    measure(&mut model, COORDINATOR_EVENTS[1], spec)?;
    let members = support::join_members(&model.state, id);
    ensure(members.contains(&"10.250.0.1:7946".to_owned()), || {
        format!("{} coordinator: the new unit is not in the ring", charm.label())
    })?;
    // A unit whose data did not change.
    let moving = format!("{MOVING_APP}/0");
    let spec = relation_hook(&model, "changed", &moving);
    measure(&mut model, COORDINATOR_EVENTS[2], spec)?;
    // A unit whose address changed.
    let relation = model.state.relations.get_mut(&id).expect("related");
    relation.unit_data.insert(moving.clone(), worker_databag(MOVING_APP, &moving, "10.250.0.2"));
    let spec = relation_hook(&model, "changed", &moving);
    measure(&mut model, COORDINATOR_EVENTS[3], spec)?;
    let members = support::join_members(&model.state, id);
    ensure(members.contains(&"10.250.0.2:7946".to_owned()), || {
        format!("{} coordinator: the new address is not in the ring", charm.label())
    })?;
    // The new unit leaves.
    let relation = model.state.relations.get_mut(&id).expect("related");
    relation.unit_data.remove(&new_unit);
    if let Some(seen) = relation.views.get_mut(COORDINATOR) {
        seen.remove(&new_unit);
    }
    let spec = relation_hook(&model, "departed", &new_unit);
    measure(&mut model, COORDINATOR_EVENTS[4], spec)?;
    let members = support::join_members(&model.state, id);
    ensure(!members.contains(&"10.250.0.1:7946".to_owned()), || {
        format!("{} coordinator: the departed unit is still in the ring", charm.label())
    })?;
    measure(&mut model, COORDINATOR_EVENTS[5], HookSpec::simple(COORDINATOR, "update-status"))?;
    measure(&mut model, COORDINATOR_EVENTS[6], HookSpec::simple(COORDINATOR, "leader-elected"))?;
    ensure(members.len() == units as usize, || format!("{} coordinator: {} members", charm.label(), members.len()))?;
    Ok(out)
}

/// The worker's hooks, leader and follower, in a settled cluster of the Rust coordinator and a
/// worker app of two units of `lang`.
fn worker_calls(bins: &support::Bins, python: &Path, interop: &Path, lang: Lang) -> Result<Vec<Measured>, String> {
    let dir = tempfile::tempdir().map_err(|err| err.to_string())?;
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let executor = processes(&sandbox, bins, python, interop, (Lang::Rust, lang));
    let log = executor.log_file();
    let mut model = Model::new(support::new_state(), executor);
    let (app, roles, ..) = super::WORKERS[0];
    support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 1, &[]);
    model.deploy("s3", None, 1);
    support::deploy_worker(&mut model, app, roles, 2);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    model.relate("pyroscope", "pyroscope-cluster", app, "pyroscope-cluster");
    model.settle().map_err(|failed| {
        let failed: Vec<String> = failed.iter().map(|f| format!("{}: {}", f.hook, f.message)).collect();
        format!("hooks failed:\n  {}\n{}", failed.join("\n  "), super::logged_errors(&log))
    })?;
    let leader = model.state.apps[app].leader.clone().ok_or("no worker leader")?;
    let follower = support::units(&model.state, app).into_iter().find(|unit| *unit != leader).ok_or("one worker")?;
    for unit in [&leader, &follower] {
        let status = &model.state.apps[app].units[unit].status;
        ensure(status.name == "active", || format!("{lang:?} worker {unit} is {status}"))?;
    }
    let mut out = Vec::new();
    for (unit, who) in [(&leader, "leader"), (&follower, "follower")] {
        for (hook, event) in [("update-status", "update-status"), ("config-changed", "config-changed")] {
            let calls = run_hook(&mut model, HookSpec::simple(unit, hook), &log)?;
            let event = match (who, event) {
                ("leader", "update-status") => "update-status, leader",
                ("leader", _) => "config-changed, leader",
                (_, "update-status") => "update-status, follower",
                _ => "config-changed, follower",
            };
            out.push(Measured { event, calls });
        }
    }
    Ok(out)
}

/// Each call of `calls`, a line each: its argv, and its standard input cut to 60 characters.
fn argv_lines(calls: &[LoggedCall]) -> String {
    let mut out = String::new();
    for call in calls {
        let _ = write!(out, "    {}", call.argv.join(" "));
        if let Some(stdin) = &call.stdin {
            let cut: String = stdin.chars().take(60).collect();
            let more = if cut.len() < stdin.len() { "..." } else { "" };
            let _ = write!(out, " <<< {cut}{more}");
        }
        out.push('\n');
    }
    out
}

/// Runs every measurement and prints the tables; `units` the cluster sizes of the coordinator's;
/// `argv`: every call of every hook measured, too.
pub(crate) fn main_calls(python: &Path, units: &[u32], argv: bool) -> Result<(), String> {
    let bins = super::bins()?;
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop");
    let mut table = String::new();
    let mut detail = String::new();
    let _ = writeln!(table, "| worker units | coordinator | {} |", COORDINATOR_EVENTS.join(" | "));
    let _ = writeln!(table, "| ---: | --- |{}", " ---: |".repeat(COORDINATOR_EVENTS.len()));
    for &n in units {
        for charm in [Charm::Python, Charm::Rust, Charm::RustNoCache] {
            let start = std::time::Instant::now();
            let measured = coordinator_calls(&bins, python, &interop, charm, n)
                .map_err(|err| format!("{} coordinator, {n} units: {err}", charm.label()))?;
            let cells: Vec<String> = measured.iter().map(|m| m.calls.len().to_string()).collect();
            let _ = writeln!(table, "| {n} | {} | {} |", charm.label(), cells.join(" | "));
            eprintln!("coordinator {}, {n} units: {:.1} s", charm.label(), start.elapsed().as_secs_f64());
            for m in &measured {
                if argv {
                    println!("{} coordinator, {n} units, {}:\n{}", charm.label(), m.event, argv_lines(&m.calls));
                }
                let _ = writeln!(
                    detail,
                    "| {n} | {} | {} | {} | {} |",
                    charm.label(),
                    m.event,
                    m.calls.len(),
                    by_tool(&m.calls)
                );
            }
        }
    }
    println!("Coordinator, calls per hook:\n\n{table}");
    println!("Coordinator, by tool:\n");
    println!("| worker units | coordinator | event | calls | by tool |\n| ---: | --- | --- | ---: | --- |\n{detail}");

    let mut table = String::new();
    let _ = writeln!(table, "| worker | hook | calls | by tool |\n| --- | --- | ---: | --- |");
    for lang in [Lang::Python, Lang::Rust] {
        let start = std::time::Instant::now();
        let measured = worker_calls(&bins, python, &interop, lang).map_err(|err| format!("{lang:?} workers: {err}"))?;
        eprintln!("{lang:?} workers: {:.1} s", start.elapsed().as_secs_f64());
        for m in &measured {
            if argv {
                println!("{lang:?} worker, {}:\n{}", m.event, argv_lines(&m.calls));
            }
            let _ = writeln!(table, "| {lang:?} | {} | {} | {} |", m.event, m.calls.len(), by_tool(&m.calls));
        }
    }
    println!("Worker, calls per hook (two units, the Rust coordinator):\n\n{table}");
    Ok(())
}

//! Hook-tool calls per coordinator hook, with the hook cache and without (the cache deleted
//! before each hook, which is what every hook read before the cache), at 10 to 10,000 worker
//! units, in the in-memory Juju (a call costs nothing there: only the counts matter); the whole
//! scale-out from 0 to N units; and the cache's size. Prints a Markdown table
//! (`docs/hook-cache.md` has the figures).
//!
//! `cargo bench -p pyroscope-cluster-tests --bench hook_calls`

use pyroscope_cluster_coordinator::testing::worker_cluster;
use pyroscope_cluster_fake_juju::config_defaults;
use pyroscope_cluster_juju::testing::{Charms, HookSpec, Model, State};

const COORDINATOR_YAML: &str = include_str!("../../examples/charms/pyroscope-coordinator/charmcraft.yaml");

fn charms() -> Charms {
    let mut charms = Charms::default();
    charms.insert("pyroscope-coordinator", |context, tools| {
        pyroscope_coordinator::hook(context, tools)?;
        Ok(())
    });
    charms
}

/// A coordinator leader (and a second unit), an s3 relation, and three stub worker apps of
/// `units` units in all, after one hook.
fn cluster(units: u32) -> Model<Charms> {
    let per_app = units / 3;
    let mut state = worker_cluster(&[("read", per_app), ("write", per_app), ("backend", units - 2 * per_app)]);
    for app in ["read", "write", "backend"] {
        state.apps.get_mut(app).unwrap().charm = None;
    }
    let coordinator = state.apps.get_mut("pyroscope").unwrap();
    coordinator.config = config_defaults(COORDINATOR_YAML).unwrap();
    coordinator.charm = Some("pyroscope-coordinator".into());
    let mut model = Model::new(state, charms());
    model.deploy("s3", None, 1);
    let id = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    let s3 = [("bucket", "pyroscope"), ("endpoint", "http://minio:9000"), ("access-key", "AK"), ("secret-key", "SK")];
    model.set_app_data(id, "s3", s3.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect());
    model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap();
    model
}

fn relation_hook(kind: &str, unit: &str) -> HookSpec {
    let app = unit.split_once('/').unwrap().0;
    let id = match app {
        "read" => 1,
        "write" => 2,
        _ => 3,
    };
    HookSpec {
        relation: Some(id),
        remote_app: Some(app.into()),
        remote_unit: Some(unit.into()),
        departing_unit: (kind == "departed").then(|| unit.into()),
        ..HookSpec::simple("pyroscope/0", &format!("pyroscope-cluster-relation-{kind}"))
    }
}

/// Adds `unit` of `app` to relation `id`, its data published, seen by the coordinator.
fn add_unit(state: &mut State, id: u32, unit: &str, address: &str) {
    let relation = state.relations.get_mut(&id).unwrap();
    relation.views.entry("pyroscope/0".into()).or_default().insert(unit.into());
    let app = unit.split_once('/').unwrap().0;
    let topology = format!(r#"{{"application": "{app}", "unit": "{unit}", "charm_name": "pyroscope-worker"}}"#);
    relation.unit_data.insert(
        unit.into(),
        [("address".to_owned(), format!("\"{address}\"")), ("juju_topology".to_owned(), topology)].into(),
    );
}

/// The calls of one hook `spec` after `prepare`, with the cache (`true`) or without.
fn calls(model: &mut Model<Charms>, cached: bool, spec: HookSpec) -> usize {
    if !cached {
        model.state.unit_mut("pyroscope/0").unwrap().hook_cache = None;
    }
    model.run(spec).unwrap();
    model.history.last().unwrap().calls.len()
}

fn per_hook(units: u32, cached: bool) -> Vec<usize> {
    let mut model = cluster(units);
    let mut row = Vec::new();
    // relation-joined and relation-changed of a new unit.
    add_unit(&mut model.state, 2, "write/99999", "10.250.0.1");
    row.push(calls(&mut model, cached, relation_hook("joined", "write/99999")));
    row.push(calls(&mut model, cached, relation_hook("changed", "write/99999")));
    // relation-changed, its data unchanged.
    row.push(calls(&mut model, cached, relation_hook("changed", "write/0")));
    // relation-changed, its address changed.
    model
        .state
        .relations
        .get_mut(&2)
        .unwrap()
        .unit_data
        .get_mut("write/0")
        .unwrap()
        .insert("address".into(), "\"10.250.0.2\"".into());
    row.push(calls(&mut model, cached, relation_hook("changed", "write/0")));
    // relation-departed.
    let relation = model.state.relations.get_mut(&2).unwrap();
    relation.unit_data.remove("write/99999");
    relation.views.get_mut("pyroscope/0").unwrap().remove("write/99999");
    row.push(calls(&mut model, cached, relation_hook("departed", "write/99999")));
    row.push(calls(&mut model, cached, HookSpec::simple("pyroscope/0", "update-status")));
    row.push(calls(&mut model, cached, HookSpec::simple("pyroscope/0", "leader-elected")));
    row
}

/// The calls of a scale-out from 0 to `units` units (one app), each unit's relation-joined and
/// relation-changed on the coordinator.
fn scale_out(units: u32, cached: bool) -> usize {
    let mut model = cluster(3);
    let mut total = 0;
    for n in 0..units {
        let unit = format!("write/{}", 1000 + n);
        add_unit(&mut model.state, 2, &unit, &format!("10.{}.{}.{}", 100 + n / 65536, (n / 256) % 256, n % 256));
        total += calls(&mut model, cached, relation_hook("joined", &unit));
        total += calls(&mut model, cached, relation_hook("changed", &unit));
    }
    total
}

fn main() {
    println!(
        "| units | cache | joined | changed (new unit) | changed, no change | changed, new address | departed | update-status | leader-elected |"
    );
    println!("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for units in [10, 100, 1_000, 10_000] {
        for cached in [false, true] {
            let row = per_hook(units, cached);
            let cells: Vec<String> = row.iter().map(ToString::to_string).collect();
            println!("| {units} | {} | {} |", if cached { "yes" } else { "no" }, cells.join(" | "));
        }
    }
    println!();
    println!("| scale-out 0 to N | calls without cache | with cache | cache size (bytes) |");
    println!("| ---: | ---: | ---: | ---: |");
    for units in [10, 100, 1_000] {
        let size =
            cluster(units).state.apps["pyroscope"].units["pyroscope/0"].hook_cache.as_ref().map_or(0, String::len);
        println!("| {units} | {} | {} | {size} |", scale_out(units, false), scale_out(units, true));
    }
    // The scale-out to 10,000 is not run: 20,000 hooks of a 10,000-unit reconcile each.
    let size = cluster(10_000).state.apps["pyroscope"].units["pyroscope/0"].hook_cache.as_ref().map_or(0, String::len);
    println!("| 10000 | (not run) | (not run) | {size} |");
}

//! One coordinator hook (`update-status`, nothing changed) at 10, 100 and 1,000 worker units:
//! through the fake hook tools as processes (the example coordinator's binary), and in memory
//! (the same charm code, no process), to separate the cost of the calls from the library's.
//! The calls per hook are printed (and asserted to be the floor in `crates/coordinator/tests/floor.rs`).
//!
//! `cargo bench -p pyroscope-cluster-tests --bench coordinator_hook`

use std::path::Path;

use pyroscope_cluster_coordinator::testing::worker_cluster;
use pyroscope_cluster_fake_juju::{Processes, config_defaults};
use pyroscope_cluster_juju::testing::{Charms, HookSpec, Model, State};

const COORDINATOR_YAML: &str = include_str!("../../examples/charms/pyroscope-coordinator/charmcraft.yaml");

fn main() {
    divan::main();
}

/// A coordinator with `units` worker units in 10 apps, an S3 relation, and its data published.
fn cluster(units: u32) -> State {
    let apps: Vec<String> = (0..10).map(|n| format!("worker-{n}")).collect();
    let workers: Vec<(&str, u32)> = apps.iter().map(|app| (app.as_str(), units / 10)).collect();
    let mut state = worker_cluster(&workers);
    let coordinator = state.apps.get_mut("pyroscope").unwrap();
    coordinator.config = config_defaults(COORDINATOR_YAML).unwrap();
    coordinator.charm = Some("pyroscope-coordinator".into());
    let mut model = Model::new(state, in_memory());
    model.deploy("s3", None, 1);
    let id = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    let s3 = [("bucket", "pyroscope"), ("endpoint", "http://minio:9000"), ("access-key", "AK"), ("secret-key", "SK")];
    model
        .state
        .relations
        .get_mut(&id)
        .unwrap()
        .app_data
        .insert("s3".into(), s3.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect());
    model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap();
    model.state
}

fn in_memory() -> Charms {
    let mut charms = Charms::default();
    charms.insert("pyroscope-coordinator", |context, tools| {
        pyroscope_coordinator::hook(context, tools)?;
        Ok(())
    });
    charms
}

fn report(kind: &str, units: u32, model: &Model<impl pyroscope_cluster_juju::testing::Executor>) {
    let calls = &model.history.last().unwrap().calls;
    let mut by_tool = std::collections::BTreeMap::<&str, usize>::new();
    for call in calls {
        *by_tool.entry(call.argv[0].as_str()).or_default() += 1;
    }
    eprintln!("{kind} {units} units: {} calls per hook {by_tool:?}", calls.len());
}

#[divan::bench(args = [10, 100, 1000], sample_count = 3, sample_size = 1)]
fn through_fake_tools(bencher: divan::Bencher<'_, '_>, units: u32) {
    let dir = tempfile::tempdir().unwrap();
    let mut processes = Processes::new(dir.path(), Path::new(env!("CARGO_BIN_EXE_e2e-fake-juju-tool"))).unwrap();
    processes.add_charm("pyroscope-coordinator", Path::new(env!("CARGO_BIN_EXE_e2e-coordinator")), &[]).unwrap();
    // About a thousand processes a hook at 1,000 units.
    processes.hook_timeout = std::time::Duration::from_secs(1800);
    let mut model = Model::new(cluster(units), processes);
    model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap();
    report("processes", units, &model);
    bencher.bench_local(|| model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap());
}

#[divan::bench(args = [10, 100, 1000], sample_count = 10, sample_size = 1)]
fn in_process(bencher: divan::Bencher<'_, '_>, units: u32) {
    let mut model = Model::new(cluster(units), in_memory());
    model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap();
    report("in memory", units, &model);
    bencher.bench_local(|| model.run(HookSpec::simple("pyroscope/0", "update-status")).unwrap());
}

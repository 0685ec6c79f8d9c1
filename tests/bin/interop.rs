//! `interop-clusters`: mixed clusters of the Rust example charms and the Python test charms of
//! `tests/interop/` (the real `coordinated_workers` `ClusterProvider` and `ClusterRequirer` under
//! `ops.main`), as processes under the fake Juju. Run by `cargo xtask interop`, which makes the
//! pinned Python venv and passes its interpreter:
//!
//! ```text
//! interop-clusters --python target/interop-venv/bin/python
//! ```
//!
//! It runs three pairings (Rust coordinator and workers, the baseline; Rust coordinator, Python
//! workers; Python coordinator, Rust workers) through the same steps, checks each reaches what the
//! Rust pair reaches, then compares the databags across pairings: a worker writes the same bytes
//! in either language, the Rust coordinator the same bytes whichever language its workers are in,
//! and the two coordinators the same bytes in every key but `worker_config`. Where the two coordinators differ (`worker_config`,
//! which each charm renders itself) the difference is named (`tests/interop/README.md`).
//!
//! With `--calls` it measures instead, hook by hook, the hook-tool calls of the Rust and the
//! Python coordinator, and of the Rust and the Python worker, for the same events under the same
//! fake Juju (`interop_calls.rs`; the figures are in `docs/hook-cache.md`, "Beside the Python
//! charms"). Run by hand, not by `cargo xtask interop`:
//!
//! ```text
//! interop-clusters --python target/interop-venv/bin/python --calls [--units 10,100,1000] [--argv]
//! ```

#[path = "../support/mod.rs"]
mod support;

#[path = "interop_calls.rs"]
mod calls;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pyroscope_cluster_fake_juju::Processes;
use pyroscope_cluster_juju::testing::{Model, State};
use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag};

/// The charms' languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Lang {
    Rust,
    Python,
}

/// What one pairing published: each databag of the cluster relations, by relation app name
/// (`all`, `backend`) and member (`pyroscope`, `all`, `all/0`, ...).
type Databags = BTreeMap<(String, String), RawDatabag>;

/// Juju's own keys, which the fake writes alike for every charm.
const JUJU_KEYS: &[&str] = &["egress-subnets", "ingress-address", "private-address"];

/// The worker apps: name, roles (options), units, the roles string each side shows.
const WORKERS: &[(&str, &[&str], u32, &str)] =
    &[("all", &["all"], 2, "all"), ("backend", &["compactor", "store-gateway"], 1, "compactor,store-gateway")];

struct Run {
    databags: Databags,
    hooks: usize,
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

/// A packed charm's metadata: ops reads `metadata.yaml` (charmcraft writes it from
/// `charmcraft.yaml`; ops ignores the keys it does not know). The Python charms implement the
/// example charms, so they share their metadata and options.
fn packed(charmcraft_yaml: &'static str) -> [(&'static str, &'static str); 2] {
    [("charmcraft.yaml", charmcraft_yaml), ("metadata.yaml", charmcraft_yaml)]
}

fn processes(
    sandbox: &support::Sandbox,
    bins: &support::Bins,
    python: &Path,
    interop: &Path,
    langs: (Lang, Lang),
) -> Processes {
    let mut processes = support::processes(sandbox, bins);
    let dispatch = interop.join("dispatch");
    let mut python_apps: BTreeMap<String, PathBuf> = BTreeMap::new();
    if langs.0 == Lang::Python {
        processes.add_charm(support::COORDINATOR_CHARM, &dispatch, &packed(support::COORDINATOR_YAML)).unwrap();
        python_apps.insert("pyroscope".into(), interop.join("coordinator/src/charm.py"));
    }
    if langs.1 == Lang::Python {
        processes.add_charm(support::WORKER_CHARM, &dispatch, &packed(support::WORKER_YAML)).unwrap();
        for (app, ..) in WORKERS {
            python_apps.insert((*app).into(), interop.join("worker/src/charm.py"));
        }
    }
    let sandbox = sandbox.clone();
    let python = python.to_owned();
    processes.set_unit_env(move |unit| {
        let mut env = sandbox.env(unit);
        let app = unit.split_once('/').map_or(unit, |(app, _)| app);
        if let Some(src) = python_apps.get(app) {
            env.push(("INTEROP_PYTHON".into(), python.display().to_string()));
            env.push(("INTEROP_CHARM_SRC".into(), src.display().to_string()));
            // No __pycache__ in the source tree.
            env.push(("PYTHONDONTWRITEBYTECODE".into(), "1".into()));
        }
        env
    });
    processes
}

/// One pairing through the steps of the process test: install, relate (S3 and two worker apps),
/// then the coordinator removed.
fn run(bins: &support::Bins, python: &Path, interop: &Path, langs: (Lang, Lang)) -> Result<Run, String> {
    let dir = tempfile::tempdir().map_err(|err| err.to_string())?;
    let sandbox = support::Sandbox { root: dir.path().to_owned() };
    let mut model = Model::new(support::new_state(), processes(&sandbox, bins, python, interop, langs));
    let log = sandbox.root.join("juju").join("calls.jsonl");
    let settle = |model: &mut Model<Processes>| {
        model.settle().map_err(|failed| {
            let failed: Vec<String> = failed.iter().map(|f| format!("{}: {}", f.hook, f.message)).collect();
            format!("hooks failed:\n  {}\nwhat they logged at ERROR:\n{}", failed.join("\n  "), logged_errors(&log))
        })
    };
    support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 1, &[]);
    model.deploy("s3", None, 1);
    for (app, roles, units, _) in WORKERS {
        support::deploy_worker(&mut model, app, roles, *units);
    }
    settle(&mut model)?;
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", support::s3_databag());
    let relations: Vec<(&str, u32)> = WORKERS
        .iter()
        .map(|(app, ..)| (*app, model.relate("pyroscope", "pyroscope-cluster", app, "pyroscope-cluster")))
        .collect();
    settle(&mut model)?;

    let state = &model.state;
    let coordinator = &state.apps["pyroscope"].units["pyroscope/0"].status;
    ensure(coordinator.name == "active", || format!("the coordinator is {coordinator}"))?;
    let first = support::published(state, relations[0].1);
    ensure(ProviderAppData::decode(&first).is_ok(), || format!("the coordinator published {first:?}"))?;
    let members = support::join_members(state, relations[0].1);
    for ((app, id), (_, _, _, roles)) in relations.iter().zip(WORKERS) {
        ensure(support::published(state, *id) == first, || format!("relation {id} ({app}) got other data"))?;
        let role = state.relations[id].app_data.get(*app).and_then(|bag| bag.get("role")).cloned();
        ensure(role == Some(format!("{roles:?}")), || format!("{app} published role {role:?}"))?;
        for unit in support::units(state, app) {
            check_worker(state, &sandbox, &members, &first, app, &unit, roles)?;
        }
    }
    let databags = databags(state, &relations);

    model.remove_app("pyroscope");
    settle(&mut model)?;
    for (app, ..) in WORKERS {
        for unit in support::units(&model.state, app) {
            ensure(sandbox.config(&unit).is_none(), || format!("{unit} kept its config file"))?;
            let status = &model.state.apps[*app].units[&unit].status;
            ensure(status.name == "blocked", || format!("{unit} is {status} without a coordinator"))?;
        }
    }
    Ok(Run { databags, hooks: model.history.len() })
}

/// The `juju-log` messages at ERROR in the fake Juju's call log (ops logs a charm's traceback
/// there, not on standard error), the last few.
fn logged_errors(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let errors: Vec<String> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|call| call["argv"][0] == "juju-log" && call["argv"].to_string().contains("ERROR"))
        .map(|call| {
            format!(
                "  {}: {}",
                call["unit"],
                call["argv"].as_array().and_then(|a| a.last()).cloned().unwrap_or_default()
            )
        })
        .collect();
    errors[errors.len().saturating_sub(3)..].join("\n")
}

/// A worker unit: its address in the ring, the coordinator's config in its file, the ports open,
/// active with its roles.
fn check_worker(
    state: &State,
    sandbox: &support::Sandbox,
    members: &[String],
    published: &RawDatabag,
    app: &str,
    unit: &str,
    roles: &str,
) -> Result<(), String> {
    let data = ProviderAppData::decode(published).map_err(|err| err.to_string())?;
    let address = state.relations.values().find_map(|relation| relation.unit_data.get(unit)?.get("address").cloned());
    let address: Option<String> = address.and_then(|text| serde_json::from_str(&text).ok());
    ensure(address.as_ref().is_some_and(|address| members.contains(&format!("{address}:7946"))), || {
        format!("{unit} (address {address:?}) is not in the ring {members:?}")
    })?;
    let file = sandbox.config(unit);
    ensure(file.as_deref() == Some(data.worker_config.as_str()), || {
        format!("{unit}'s config file is not the coordinator's worker_config: {file:?}")
    })?;
    let ports: Vec<&String> = state.apps[app].units[unit].opened_ports.iter().collect();
    ensure(ports == ["4040/tcp", "7946/tcp"], || format!("{unit} opened {ports:?}"))?;
    let status = &state.apps[app].units[unit].status;
    ensure(status.name == "active" && status.message == format!("running {roles}"), || format!("{unit} is {status}"))
}

fn databags(state: &State, relations: &[(&str, u32)]) -> Databags {
    let mut out = Databags::new();
    for (app, id) in relations {
        let relation = &state.relations[id];
        for (member, bag) in relation.app_data.iter().chain(&relation.unit_data) {
            let bag: RawDatabag = bag
                .iter()
                .filter(|(key, _)| !JUJU_KEYS.contains(&key.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            out.insert(((*app).to_owned(), member.clone()), bag);
        }
    }
    out
}

/// The databags of `runs[a]` and `runs[b]` whose member `filter` keeps, byte for byte.
fn compare(
    runs: &BTreeMap<(Lang, Lang), Run>,
    a: (Lang, Lang),
    b: (Lang, Lang),
    what: &str,
    filter: impl Fn(&str) -> bool,
) -> Result<usize, String> {
    let pick = |langs| -> Databags {
        runs[&langs]
            .databags
            .iter()
            .filter(|((_, member), _)| filter(member))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    };
    let (left, right) = (pick(a), pick(b));
    if left != right {
        for key in left.keys().chain(right.keys()) {
            if left.get(key) != right.get(key) {
                return Err(format!(
                    "{what}: {a:?}/{b:?} differ on {key:?}:\n  {:?}\n  {:?}",
                    left.get(key),
                    right.get(key)
                ));
            }
        }
    }
    Ok(left.len())
}

fn is_coordinator(member: &str) -> bool {
    member == "pyroscope"
}

/// This package's charm binaries and fake tool, beside this program.
fn bins() -> Result<support::Bins, String> {
    let dir = std::env::current_exe().map_err(|err| err.to_string())?;
    let dir = dir.parent().ok_or("no directory of this program")?;
    let bins = support::Bins {
        tool: dir.join("e2e-fake-juju-tool"),
        coordinator: dir.join("e2e-coordinator"),
        worker: dir.join("e2e-worker"),
    };
    for bin in [&bins.tool, &bins.coordinator, &bins.worker] {
        ensure(bin.exists(), || {
            format!("{} is not built: cargo build -p pyroscope-cluster-tests --bins", bin.display())
        })?;
    }
    Ok(bins)
}

fn main_result(python: &Path) -> Result<(), String> {
    let bins = bins()?;
    let interop = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop");
    let mut runs = BTreeMap::new();
    // Rust with Rust is the baseline a mixed pair must reach; the two mixed pairs are the point.
    // Python with Python is the Python library's own business, and the slowest by far (every
    // Python hook imports ops, pydantic and coordinated-workers anew): left out.
    for langs in [(Lang::Rust, Lang::Rust), (Lang::Rust, Lang::Python), (Lang::Python, Lang::Rust)] {
        let start = std::time::Instant::now();
        let run = run(&bins, python, &interop, langs)
            .map_err(|err| format!("{:?} coordinator, {:?} workers: {err}", langs.0, langs.1))?;
        println!(
            "{:?} coordinator + {:?} workers: config published to 2 relations, 3 units configured and in the ring, roles and ports agree, removal cleans up ({} hooks, {:.1} s)",
            langs.0,
            langs.1,
            run.hooks,
            start.elapsed().as_secs_f64()
        );
        runs.insert(langs, run);
    }
    use Lang::{Python, Rust};
    let workers = compare(&runs, (Rust, Rust), (Rust, Python), "worker databags (Rust vs Python workers)", |m| {
        !is_coordinator(m)
    })?;
    let coordinator = compare(&runs, (Rust, Rust), (Rust, Python), "the Rust coordinator's databags", is_coordinator)?;
    println!(
        "byte-identical: {workers} worker databags (Rust vs Python workers), {coordinator} Rust-coordinator databags (whichever workers)"
    );
    // The two coordinators: every key but worker_config, byte for byte.
    let strip = |langs| -> Databags {
        let runs: &BTreeMap<(Lang, Lang), Run> = &runs;
        runs[&langs]
            .databags
            .iter()
            .filter(|((_, member), _)| is_coordinator(member))
            .map(|(k, bag)| {
                (
                    k.clone(),
                    bag.iter()
                        .filter(|(key, _)| *key != "worker_config")
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                )
            })
            .collect()
    };
    let (rust, python) = (strip((Rust, Python)), strip((Python, Rust)));
    ensure(rust == python, || {
        format!("the coordinators' databags differ beyond worker_config:\n  Rust   {rust:?}\n  Python {python:?}")
    })?;
    println!(
        "the Rust and the Python coordinator publish the same bytes in every key but worker_config (each renders its own Pyroscope config)"
    );
    Ok(())
}

const USAGE: &str = "usage: interop-clusters --python <the venv's python> [--calls [--units 10,100,1000] [--argv]]
  (without --calls: the mixed clusters, run by `cargo xtask interop`;
   --calls: the hook-tool calls of the Rust and the Python charms, per hook, as Markdown tables;
   --argv: each call of each hook measured, too)";

/// What `--calls` measures: the coordinators' cluster sizes, and whether to print every call.
struct CallsArgs {
    units: Vec<u32>,
    argv: bool,
}

/// The command line: the venv's python, and `--calls` with its cluster sizes.
fn parse_args(args: &[String]) -> Result<(String, Option<CallsArgs>), String> {
    let (mut python, mut calls, mut units, mut argv) = (None, false, None, false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--python" => python = Some(args.next().ok_or("--python needs a path")?.clone()),
            "--calls" => calls = true,
            "--argv" => argv = true,
            "--units" => {
                let list = args.next().ok_or("--units needs a list: 10,100")?;
                let sizes: Result<Vec<u32>, String> = list
                    .split(',')
                    .map(|n| match n.trim().parse::<u32>() {
                        Ok(n) if n >= 3 => Ok(n),
                        _ => Err(format!("--units {list}: {n:?} is not a number of units, 3 or more")),
                    })
                    .collect();
                units = Some(sizes?);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let python = python.ok_or("--python is required")?;
    if !calls {
        return if units.is_some() || argv {
            Err("--units and --argv go with --calls".into())
        } else {
            Ok((python, None))
        };
    }
    Ok((python, Some(CallsArgs { units: units.unwrap_or_else(|| vec![10, 100]), argv })))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (python, calls) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(err) => {
            eprintln!("error: {err}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // The charms run in their own directories: a relative path would not reach the venv.
    let python = match std::path::absolute(&python) {
        Ok(python) => python,
        Err(err) => {
            eprintln!("error: --python {python}: {err}");
            return ExitCode::from(2);
        }
    };
    let result = match calls {
        Some(args) => calls::main_calls(&python, &args.units, args.argv),
        None => main_result(&python),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

//! `fake-juju`: the fake Juju from a shell. A model lives in one directory (`--dir`, else
//! `$FAKE_JUJU_DIR`, else `./.fake-juju`): its state file (`state.json`, see `STATE.md`), the
//! tool-call log (`calls.jsonl`), the hook tools (`tools/`), the charms deployed (`charms/`),
//! each unit's charm directory (`units/`) and what this command line keeps (`fake-juju.json`).
//!
//! Every command that makes Juju run hooks (`deploy`, `relate`, `config`) runs them before it
//! returns, in Juju's order, with the `relation-changed` hooks their writes cause, unless
//! `--no-hooks` is given; `run` runs one hook, then (unless `--no-follow`) what its writes cause.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pyroscope_cluster_juju::testing::{HookSpec, LoggedCall, Model, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Processes, config_defaults, read_state, write_state};

/// Drive the fake Juju from a shell: deploy charm directories, relate them, set config, run
/// hooks, and show the databags, statuses and hook-tool calls.
///
/// The model lives in one directory: --dir, else $FAKE_JUJU_DIR, else ./.fake-juju. Hooks run
/// each unit's `dispatch` as Juju does (its own charm directory, the JUJU_* environment, the
/// fake hook tools first on PATH). Exit status: 0 success, 1 a hook failed or the model refuses
/// the command, 2 usage error.
#[derive(Debug, Parser)]
#[command(name = "fake-juju", version, about, long_about)]
struct Cli {
    /// The model's directory [default: $FAKE_JUJU_DIR, else .fake-juju].
    #[arg(long, global = true)]
    dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make a new, empty model in the directory (which must not hold one, unless --force).
    Init {
        /// The model's name (`JUJU_MODEL_NAME`).
        #[arg(long, default_value = "cos")]
        model: String,
        /// Replace a model the directory holds.
        #[arg(long)]
        force: bool,
    },
    /// Deploy a charm directory: one with an executable `dispatch` and a `charmcraft.yaml` (or
    /// `metadata.yaml`), whose `config.options` defaults the app starts with. Its units run
    /// `install`, `leader-elected`, `config-changed`, `start`.
    Deploy {
        /// The charm directory.
        charm: PathBuf,
        /// The application's name; default: the charm's `name`.
        #[arg(long)]
        app: Option<String>,
        /// How many units.
        #[arg(long, short = 'n', default_value_t = 1)]
        units: u32,
        /// An environment variable every hook of the app gets, `KEY=VALUE`; `{unit}` in VALUE
        /// becomes the unit's name with `-` for `/` (a directory per unit).
        #[arg(long = "env", value_name = "KEY=VALUE")]
        env: Vec<String>,
        /// Change the model only; run no hook.
        #[arg(long)]
        no_hooks: bool,
    },
    /// Relate two endpoints, `app:endpoint` each: every unit runs `relation-created`, then
    /// `relation-joined` and `relation-changed` for each remote unit.
    Relate {
        /// One end, `app:endpoint`.
        a: String,
        /// The other end, `app:endpoint`.
        b: String,
        /// Change the model only; run no hook.
        #[arg(long)]
        no_hooks: bool,
    },
    /// Set config options of an app, `key=value` each (the value read as YAML: `true`, `3`,
    /// `text`); its units run `config-changed`.
    Config {
        /// The application.
        app: String,
        /// `key=value` pairs.
        #[arg(required = true, value_name = "KEY=VALUE")]
        options: Vec<String>,
        /// Change the model only; run no hook.
        #[arg(long)]
        no_hooks: bool,
    },
    /// Run one hook of one unit now (`install`, `update-status`, `pyroscope-cluster-relation-
    /// changed`, ...), then the `relation-changed` hooks its writes cause.
    Run {
        /// The unit, `app/N`.
        unit: String,
        /// The hook.
        hook: String,
        /// For a relation hook: the relation's ID (default: the unit's only relation on the
        /// hook's endpoint).
        #[arg(long)]
        relation: Option<u32>,
        /// For a relation hook: `JUJU_REMOTE_UNIT` (default: none, a change of the remote
        /// app's databag).
        #[arg(long)]
        remote_unit: Option<String>,
        /// Run only this hook, not what its writes cause.
        #[arg(long)]
        no_follow: bool,
    },
    /// Show the model: each app and unit with its status, each relation's databags, and with
    /// --calls every hook-tool call made so far.
    Show {
        /// Also the hook-tool call log.
        #[arg(long)]
        calls: bool,
        /// The state file as JSON instead (the layout of STATE.md).
        #[arg(long)]
        json: bool,
        /// Databag values whole (by default, one longer than 100 characters is cut, with its
        /// size).
        #[arg(long)]
        full: bool,
    },
}

/// What this command line keeps beside the state file (`fake-juju.json`).
#[derive(Debug, Default, Serialize, Deserialize)]
struct Deployed {
    /// The layout's version.
    version: u32,
    /// Charm name -> its directory, as given to `deploy`.
    charms: BTreeMap<String, PathBuf>,
    /// Application -> the environment its hooks get (`KEY`, `VALUE` with `{unit}`).
    env: BTreeMap<String, Vec<(String, String)>>,
}

const DEPLOYED_VERSION: u32 = 1;

/// Why a command did not succeed: its exit status and message.
struct Failure {
    code: u8,
    message: String,
}

fn refused(message: impl Into<String>) -> Failure {
    Failure { code: 1, message: message.into() }
}

fn usage(message: impl Into<String>) -> Failure {
    Failure { code: 2, message: message.into() }
}

/// The `fake-juju` binary's `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(out) => {
            // A reader that stops early (`| grep -q`, `| head`) is no failure.
            let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
            ExitCode::SUCCESS
        }
        Err(failure) => {
            eprintln!("fake-juju: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<String, Failure> {
    let dir =
        cli.dir.or_else(|| std::env::var_os("FAKE_JUJU_DIR").map(PathBuf::from)).unwrap_or_else(|| ".fake-juju".into());
    match cli.command {
        Command::Init { model, force } => init(&dir, &model, force),
        Command::Show { calls, json, full } => show(&dir, calls, json, full),
        command => {
            let (mut model, mut deployed) = open(&dir)?;
            let mut out = String::new();
            let hooks = match command {
                Command::Deploy { charm, app, units, env, no_hooks } => {
                    deploy(&mut model, &mut deployed, &charm, app, units, &env, &mut out)?;
                    !no_hooks
                }
                Command::Relate { a, b, no_hooks } => {
                    let (a, b) = (end(&model.state, &a)?, end(&model.state, &b)?);
                    let id = model.relate(&a.0, &a.1, &b.0, &b.1);
                    let _ = writeln!(out, "related {}:{} and {}:{}: relation {id}", a.0, a.1, b.0, b.1);
                    !no_hooks
                }
                Command::Config { app, options, no_hooks } => {
                    if !model.state.apps.contains_key(&app) {
                        return Err(refused(format!("no application {app:?} in the model")));
                    }
                    let options = options.iter().map(|option| key_value(option)).collect::<Result<Vec<_>, _>>()?;
                    let pairs: Vec<(&str, Value)> =
                        options.iter().map(|(key, value)| (key.as_str(), value.clone())).collect();
                    model.set_config(&app, &pairs);
                    let _ = writeln!(out, "set {} option(s) of {app}", pairs.len());
                    !no_hooks
                }
                Command::Run { unit, hook, relation, remote_unit, no_follow } => {
                    let spec = hook_spec(&model.state, &unit, &hook, relation, remote_unit)?;
                    let result = model.run(spec);
                    report(&model, &mut out, 0);
                    save(&dir, &model, &deployed)?;
                    if result.is_err() {
                        // Its writes are rolled back: nothing follows.
                        return Err(refused(out.trim_end().to_owned()));
                    }
                    !no_follow
                }
                Command::Init { .. } | Command::Show { .. } => unreachable!("handled above"),
            };
            let ran = model.history.len();
            let settled = if hooks { model.settle() } else { Ok(()) };
            report(&model, &mut out, ran);
            save(&dir, &model, &deployed)?;
            match settled {
                Ok(()) => Ok(out),
                Err(failed) => Err(refused(format!("{out}{} hook(s) failed", failed.len()))),
            }
        }
    }
}

/// `init`: a fresh state file, the tool links, the command line's own file.
fn init(dir: &Path, model: &str, force: bool) -> Result<String, Failure> {
    let state_file = dir.join("state.json");
    if state_file.exists() && !force {
        return Err(refused(format!("{} holds a model already (give --force to replace it)", dir.display())));
    }
    fs::create_dir_all(dir).map_err(|err| refused(format!("cannot make {}: {err}", dir.display())))?;
    let _ = fs::remove_file(dir.join("calls.jsonl"));
    let state = State { model: model.to_owned(), ..State::default() };
    write_state(&state_file, &state).map_err(|err| refused(format!("cannot write {}: {err}", state_file.display())))?;
    write_deployed(dir, &Deployed { version: DEPLOYED_VERSION, ..Deployed::default() })?;
    Ok(format!("initialised the model {model:?} in {}\n", dir.display()))
}

/// The model in `dir`, its charms registered with a fresh [`Processes`].
fn open(dir: &Path) -> Result<(Model<Processes>, Deployed), Failure> {
    let state_file = dir.join("state.json");
    let state = read_state(&state_file).map_err(|err| {
        refused(format!("no model in {} ({}: {err}): run `fake-juju init` first", dir.display(), state_file.display()))
    })?;
    let deployed: Deployed = match fs::read(dir.join("fake-juju.json")) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|err| refused(format!("fake-juju.json: {err}")))?,
        Err(_) => Deployed { version: DEPLOYED_VERSION, ..Deployed::default() },
    };
    if deployed.version > DEPLOYED_VERSION {
        return Err(refused(format!(
            "fake-juju.json is of version {}, newer than this fake-juju's ({DEPLOYED_VERSION})",
            deployed.version
        )));
    }
    let tool = tool_path()?;
    let mut processes =
        Processes::new(dir, &tool).map_err(|err| refused(format!("cannot link the hook tools: {err}")))?;
    for (charm, path) in &deployed.charms {
        register(&mut processes, charm, path)?;
    }
    let env = deployed.env.clone();
    processes.set_unit_env(move |unit| {
        let app = unit.split_once('/').map_or(unit, |(app, _)| app);
        let name = unit.replace('/', "-");
        env.get(app).into_iter().flatten().map(|(key, value)| (key.clone(), value.replace("{unit}", &name))).collect()
    });
    Ok((Model::new(state, processes), deployed))
}

/// The fake hook tool: `fake-juju-tool` beside this executable.
fn tool_path() -> Result<PathBuf, Failure> {
    let exe = std::env::current_exe().map_err(|err| refused(format!("cannot find this executable: {err}")))?;
    let tool = exe.with_file_name("fake-juju-tool");
    if tool.exists() {
        Ok(tool)
    } else {
        Err(refused(format!("no {} (build the fake-juju package: it has both)", tool.display())))
    }
}

/// Registers the charm directory `path` as `charm`: its `dispatch`, and every other entry of it
/// linked into the charm's template directory.
fn register(processes: &mut Processes, charm: &str, path: &Path) -> Result<(), Failure> {
    let failed = |err: std::io::Error| refused(format!("charm {}: {err}", path.display()));
    let template = processes.add_charm(charm, &path.join("dispatch"), &[]).map_err(failed)?;
    for entry in fs::read_dir(path).map_err(failed)? {
        let entry = entry.map_err(failed)?;
        let link = template.join(entry.file_name());
        if fs::symlink_metadata(&link).is_err() {
            std::os::unix::fs::symlink(entry.path(), &link).map_err(failed)?;
        }
    }
    Ok(())
}

/// `deploy`.
fn deploy(
    model: &mut Model<Processes>,
    deployed: &mut Deployed,
    charm: &Path,
    app: Option<String>,
    units: u32,
    env: &[String],
    out: &mut String,
) -> Result<(), Failure> {
    let charm = fs::canonicalize(charm).map_err(|err| usage(format!("charm directory {}: {err}", charm.display())))?;
    let dispatch = charm.join("dispatch");
    let executable = fs::metadata(&dispatch).is_ok_and(|meta| {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    });
    if !executable {
        return Err(usage(format!("{}: no executable `dispatch`: not a charm directory", charm.display())));
    }
    let metadata =
        ["charmcraft.yaml", "metadata.yaml"].iter().find_map(|name| fs::read_to_string(charm.join(name)).ok());
    let name = metadata.as_deref().and_then(|text| {
        let value: Value = pyroscope_cluster_model::yaml::from_str(text).ok()?;
        value.get("name")?.as_str().map(str::to_owned)
    });
    let name = name.or_else(|| charm.file_name().map(|name| name.to_string_lossy().into_owned()));
    let name = name.ok_or_else(|| usage("the charm has no name: give --app"))?;
    let app = app.unwrap_or_else(|| name.clone());
    if model.state.apps.contains_key(&app) {
        return Err(refused(format!("{app} is deployed already")));
    }
    let mut envs = Vec::new();
    for pair in env {
        let (key, value) = pair.split_once('=').ok_or_else(|| usage(format!("--env {pair:?}: give KEY=VALUE")))?;
        envs.push((key.to_owned(), value.to_owned()));
    }
    deployed.charms.insert(name.clone(), charm.clone());
    deployed.env.insert(app.clone(), envs);
    register(&mut model.executor, &name, &charm)?;
    let defaults = match &metadata {
        Some(text) => config_defaults(text).map_err(refused)?,
        None => serde_json::Map::new(),
    };
    model.deploy(&app, Some(&name), units);
    model.state.apps.get_mut(&app).expect("just deployed").config = defaults;
    let _ = writeln!(out, "deployed {app} ({units} unit(s)) from {}", charm.display());
    Ok(())
}

/// `app:endpoint`, of an app in the model.
fn end(state: &State, text: &str) -> Result<(String, String), Failure> {
    let (app, endpoint) =
        text.split_once(':').ok_or_else(|| usage(format!("{text:?}: give an end as `app:endpoint`")))?;
    if !state.apps.contains_key(app) {
        return Err(refused(format!("no application {app:?} in the model")));
    }
    Ok((app.to_owned(), endpoint.to_owned()))
}

/// `key=value`, the value read as YAML.
fn key_value(text: &str) -> Result<(String, Value), Failure> {
    let (key, value) = text.split_once('=').ok_or_else(|| usage(format!("{text:?}: give `key=value`")))?;
    let value = pyroscope_cluster_model::yaml::from_str::<Value>(value).unwrap_or_else(|_| Value::from(value));
    Ok((key.to_owned(), value))
}

/// The hook `hook` of `unit`, with its relation's environment for a relation hook.
fn hook_spec(
    state: &State,
    unit: &str,
    hook: &str,
    relation: Option<u32>,
    remote_unit: Option<String>,
) -> Result<HookSpec, Failure> {
    let app = unit.split_once('/').map_or(unit, |(app, _)| app);
    if state.unit(unit).is_none() {
        return Err(refused(format!("no unit {unit:?} in the model")));
    }
    let relation_kinds =
        ["-relation-created", "-relation-joined", "-relation-changed", "-relation-departed", "-relation-broken"];
    let Some(endpoint) = relation_kinds.iter().find_map(|kind| hook.strip_suffix(kind)) else {
        return Ok(HookSpec::simple(unit, hook));
    };
    let ours: Vec<u32> = state
        .relations
        .values()
        .filter(|candidate| candidate.sides(app).is_some_and(|(mine, _)| mine.endpoint == endpoint))
        .map(|candidate| candidate.id)
        .collect();
    let id = match (relation, ours.as_slice()) {
        (Some(id), _) if ours.contains(&id) => id,
        (Some(id), _) => return Err(refused(format!("{unit} has no relation {id} on the endpoint {endpoint:?}"))),
        (None, [one]) => *one,
        (None, []) => return Err(refused(format!("{unit} has no relation on the endpoint {endpoint:?}"))),
        (None, _) => return Err(usage(format!("{unit} has several relations on {endpoint:?}: give --relation"))),
    };
    let remote_app = state.relations[&id].sides(app).map(|(_, remote)| remote.app.clone());
    Ok(HookSpec {
        relation: Some(id),
        remote_app,
        remote_unit: Some(remote_unit.unwrap_or_default()),
        ..HookSpec::simple(unit, hook)
    })
}

/// Appends a line for each hook run from the `from`th on: `ran <unit> <hook>`, or `FAILED` with
/// what the charm printed to standard error.
fn report(model: &Model<Processes>, out: &mut String, from: usize) {
    for record in model.history.iter().skip(from) {
        match &record.result {
            Ok(()) => writeln!(out, "ran {}", record.spec),
            Err(message) => writeln!(out, "FAILED {}: {message}", record.spec),
        }
        .ok();
    }
}

/// Writes the state and the command line's own file.
fn save(dir: &Path, model: &Model<Processes>, deployed: &Deployed) -> Result<(), Failure> {
    let state_file = dir.join("state.json");
    write_state(&state_file, &model.state)
        .map_err(|err| refused(format!("cannot write {}: {err}", state_file.display())))?;
    write_deployed(dir, deployed)
}

fn write_deployed(dir: &Path, deployed: &Deployed) -> Result<(), Failure> {
    let path = dir.join("fake-juju.json");
    let text = serde_json::to_string_pretty(deployed).map_err(|err| refused(err.to_string()))?;
    fs::write(&path, text + "\n").map_err(|err| refused(format!("cannot write {}: {err}", path.display())))
}

/// `show`.
fn show(dir: &Path, calls: bool, json: bool, full: bool) -> Result<String, Failure> {
    let cut = |value: &str| match value.char_indices().nth(100) {
        Some((at, _)) if !full => format!("{}… ({} bytes; --full shows it)", &value[..at], value.len()),
        _ => value.to_owned(),
    };
    let state_file = dir.join("state.json");
    let state = read_state(&state_file)
        .map_err(|err| refused(format!("no model in {} ({err}): run `fake-juju init` first", dir.display())))?;
    if json {
        let text = fs::read_to_string(&state_file).map_err(|err| refused(err.to_string()))?;
        let value: Value = serde_json::from_str(&text).map_err(|err| refused(err.to_string()))?;
        return serde_json::to_string_pretty(&value).map(|text| text + "\n").map_err(|err| refused(err.to_string()));
    }
    let mut out = String::new();
    let _ = writeln!(out, "model {} (Juju {})", state.model, state.juju_version);
    for (name, app) in &state.apps {
        let charm = app.charm.as_deref().unwrap_or("no charm");
        let _ = writeln!(out, "\napp {name} ({charm}): {}", app.status);
        for (unit, entry) in &app.units {
            let leader = if app.leader.as_deref() == Some(unit) { " (leader)" } else { "" };
            let ports: Vec<&str> = entry.opened_ports.iter().map(String::as_str).collect();
            let ports = if ports.is_empty() { String::new() } else { format!("; ports {}", ports.join(", ")) };
            let _ = writeln!(out, "  {unit}{leader}: {}{ports}", entry.status);
        }
    }
    for (id, relation) in &state.relations {
        let [a, b] = &relation.ends;
        let _ = writeln!(out, "\nrelation {id}: {}:{} <-> {}:{}", a.app, a.endpoint, b.app, b.endpoint);
        let databags = relation.app_data.iter().chain(&relation.unit_data);
        for (owner, databag) in databags {
            let _ = writeln!(out, "  {owner}:");
            for (key, value) in databag {
                let _ = writeln!(out, "    {key}: {}", cut(value));
            }
        }
    }
    if calls {
        let _ = writeln!(out, "\ncalls:");
        let text = fs::read_to_string(dir.join("calls.jsonl")).unwrap_or_default();
        for line in text.lines() {
            match serde_json::from_str::<LoggedCall>(line) {
                Ok(call) => {
                    let stdin = call
                        .stdin
                        .as_ref()
                        .map_or(String::new(), |stdin| format!(" <<< {}", cut(&format!("{stdin:?}"))));
                    let code = if call.code == 0 { String::new() } else { format!(" -> exit {}", call.code) };
                    writeln!(out, "  {}: {}{stdin}{code}", call.unit, call.argv.join(" "))
                }
                Err(_) => writeln!(out, "  (unreadable) {line}"),
            }
            .ok();
        }
    }
    Ok(out)
}

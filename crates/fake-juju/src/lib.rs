//! A stateful fake Juju for whole charm processes, in any language.
//!
//! - [`tool_main`] is a hook tool that answers by the name it was run under (`argv[0]`), like
//!   ops' `FakeScript`, but against one model-state file (`FAKE_JUJU_STATE`, a
//!   `pyroscope_cluster_juju::testing::State` as JSON), appending every call, argv and standard
//!   input, to a log (`FAKE_JUJU_LOG`, JSON lines). It reads the argv ops 3.9 sends (and this
//!   workspace's charms send the same). Build it once (`fake-juju-tool`) and link it under every
//!   tool name ([`TOOLS`]) in a directory put first on `PATH`.
//! - [`Processes`] is an executor for `pyroscope_cluster_juju::testing::Model`: it runs a charm's
//!   `dispatch` as Juju does (the charm directory as working directory, the `JUJU_*` environment,
//!   `JUJU_DISPATCH_PATH=hooks/<hook>`, the tools on `PATH`), so `Model` drives whole charm
//!   binaries hook after hook in Juju's order. Each unit has its own charm directory, as each Juju
//!   unit agent has (ops keeps its state there, in `.unit-state.db`).
//!
//! - [`cli`] is the `fake-juju` command line: a model in a directory, driven from a shell
//!   (`init`, `deploy`, `relate`, `config`, `run`, `show`). The state file's layout is in
//!   `STATE.md`, beside this crate's manifest.
//!
//! The tools do not lock the state file: the model runs one hook at a time, and a hook's tool
//! calls one after another, as charms make them.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

pub mod cli;

use pyroscope_cluster_juju::testing::{Answer, Caller, Executor, HookSpec, LoggedCall, State};
use pyroscope_cluster_juju::{Call, RelationRef};

/// The environment variable naming the state file.
pub const STATE_VARIABLE: &str = "FAKE_JUJU_STATE";
/// The environment variable naming the call log.
pub const LOG_VARIABLE: &str = "FAKE_JUJU_LOG";

/// The tools [`tool_main`] answers.
pub const TOOLS: &[&str] = &[
    "relation-ids",
    "relation-list",
    "relation-get",
    "relation-set",
    "is-leader",
    "config-get",
    "secret-get",
    "secret-grant",
    "secret-add",
    "network-get",
    "status-set",
    "status-get",
    "application-version-set",
    "juju-log",
    "open-port",
    "close-port",
    "opened-ports",
];

/// Runs one hook-tool call in this process: the tool from `argv[0]`, the caller from
/// `JUJU_UNIT_NAME` and `JUJU_RELATION_ID`, the state from [`STATE_VARIABLE`].
pub fn tool_main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let (Some(state_path), Some(unit)) = (var(STATE_VARIABLE), var("JUJU_UNIT_NAME")) else {
        eprintln!("ERROR {STATE_VARIABLE} and JUJU_UNIT_NAME must be set (run by the fake Juju)");
        return ExitCode::from(2);
    };
    let tool = argv.first().map(|arg0| arg0.rsplit('/').next().unwrap_or(arg0).to_owned()).unwrap_or_default();
    let mut stdin = String::new();
    if tool == "relation-set" {
        let _ = io::stdin().read_to_string(&mut stdin);
    }
    let relation: Option<RelationRef> = var("JUJU_RELATION_ID").and_then(|text| text.parse().ok());
    let caller = Caller { unit: unit.clone(), relation: relation.clone() };
    let (code, stdout, stderr, hang) = answer(Path::new(&state_path), &caller, &argv, &stdin);
    if let Some(path) = var(LOG_VARIABLE) {
        let mut logged_argv = argv.clone();
        logged_argv[0] = tool;
        let entry = LoggedCall { unit, argv: logged_argv, stdin: (!stdin.is_empty()).then_some(stdin), code };
        let line = serde_json::to_string(&entry).expect("a call is JSON") + "\n";
        // Owner-only: the log holds `relation-set` input (a coordinator's configuration, with keys).
        if let Ok(mut file) = fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path) {
            let _ = file.write_all(line.as_bytes());
        }
    }
    if let Some(hang) = hang {
        std::thread::sleep(hang);
    }
    print!("{stdout}");
    eprint!("{stderr}");
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Standard input as JSON: `relation-set` takes YAML too (Juju's `--file`), which a Python charm
/// may send; the hook-tool parser reads JSON.
fn as_json(stdin: &str) -> String {
    if stdin.trim().is_empty() || serde_json::from_str::<serde_json::Value>(stdin).is_ok() {
        return stdin.to_owned();
    }
    match pyroscope_cluster_model::yaml::from_str::<serde_json::Value>(stdin) {
        Ok(value) => value.to_string(),
        Err(_) => stdin.to_owned(),
    }
}

fn answer(state_path: &Path, caller: &Caller, argv: &[String], stdin: &str) -> (i32, String, String, Option<Duration>) {
    let read_file = |path: &str| fs::read_to_string(path).map_err(|err| format!("cannot read {path}: {err}"));
    let stdin = as_json(stdin);
    let call = match Call::parse(argv, &stdin, caller.relation.as_ref(), &read_file) {
        Ok(call) => call,
        Err(err) => return (2, String::new(), format!("ERROR {err}\n"), None),
    };
    let mut state = match read_state(state_path) {
        Ok(state) => state,
        Err(err) => {
            return (1, String::new(), format!("ERROR fake Juju state {}: {err}\n", state_path.display()), None);
        }
    };
    let before = state.clone();
    let answer = state.answer(caller, &call);
    if state != before {
        if let Err(err) = write_state(state_path, &state) {
            return (1, String::new(), format!("ERROR cannot write the fake Juju state: {err}\n"), None);
        }
    }
    match answer {
        Answer::Out(stdout) => (0, stdout, String::new(), None),
        Answer::Err { code, stderr } => (code, String::new(), stderr, None),
        Answer::Hang(after) => (124, String::new(), "ERROR hung\n".into(), Some(after)),
        Answer::Missing => (127, String::new(), format!("{}: command not found\n", call.tool()), None),
    }
}

/// The version of the state file's layout (`STATE.md`), written under [`STATE_VERSION_KEY`].
pub const STATE_VERSION: u64 = 1;
/// The key of the state file that holds its layout's version.
pub const STATE_VERSION_KEY: &str = "fake_juju_state_version";

/// Reads a state file (the layout of `STATE.md`). A file without a version is read as version 1
/// (files written before the layout had one); a newer version than [`STATE_VERSION`] is refused.
pub fn read_state(path: &Path) -> io::Result<State> {
    let mut value: serde_json::Value = serde_json::from_slice(&fs::read(path)?).map_err(io::Error::other)?;
    if let Some(map) = value.as_object_mut()
        && let Some(version) = map.remove(STATE_VERSION_KEY)
    {
        match version.as_u64() {
            Some(version) if version <= STATE_VERSION => {}
            _ => {
                return Err(io::Error::other(format!(
                    "{STATE_VERSION_KEY} is {version}, which this fake Juju does not read (it reads up to \
                     {STATE_VERSION})"
                )));
            }
        }
    }
    serde_json::from_value(value).map_err(io::Error::other)
}

/// Writes a state file atomically, readable by its owner only (mode 0600): it holds the
/// databags, secrets among them.
pub fn write_state(path: &Path, state: &State) -> io::Result<()> {
    let temporary = path.with_extension(format!("tmp{}", std::process::id()));
    let mut value = serde_json::to_value(state).map_err(io::Error::other)?;
    if let Some(map) = value.as_object_mut() {
        map.insert(STATE_VERSION_KEY.to_owned(), STATE_VERSION.into());
    }
    let bytes = serde_json::to_vec(&value).map_err(io::Error::other)?;
    let _ = fs::remove_file(&temporary);
    let mut file = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary)?;
    file.write_all(&bytes)?;
    drop(file);
    fs::rename(temporary, path)
}

/// Extra environment for one unit's hooks (a worker's sandbox paths, say).
pub type UnitEnv = Box<dyn Fn(&str) -> Vec<(String, String)>>;

/// Runs charms as processes, as Juju does. Everything lives under one directory: the state
/// file, the call log, the tools (links to the fake tool), and a charm directory per charm.
pub struct Processes {
    root: PathBuf,
    charms: BTreeMap<String, PathBuf>,
    unit_env: UnitEnv,
    /// The time a hook is given before it is killed.
    pub hook_timeout: Duration,
    log_offset: u64,
    /// What each hook printed (standard output and error), in order.
    pub output: Vec<(String, String)>,
}

impl Processes {
    /// A fake Juju in `root` (which must exist), whose tools are links to `tool` (the built
    /// `fake-juju-tool`).
    pub fn new(root: &Path, tool: &Path) -> io::Result<Self> {
        let tools = root.join("tools");
        fs::create_dir_all(&tools)?;
        for name in TOOLS {
            let link = tools.join(name);
            let _ = fs::remove_file(&link);
            std::os::unix::fs::symlink(tool, link)?;
        }
        Ok(Self {
            root: root.to_owned(),
            charms: BTreeMap::new(),
            unit_env: Box::new(|_| Vec::new()),
            hook_timeout: Duration::from_secs(60),
            log_offset: 0,
            output: Vec::new(),
        })
    }

    /// Adds the charm `name`: a charm directory with `dispatch` (a link to `dispatch`, any
    /// executable) and any `files` (`charmcraft.yaml`, ...).
    pub fn add_charm(&mut self, name: &str, dispatch: &Path, files: &[(&str, &str)]) -> io::Result<PathBuf> {
        let dir = self.root.join("charms").join(name);
        fs::create_dir_all(&dir)?;
        let link = dir.join("dispatch");
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(dispatch, &link)?;
        for (file, text) in files {
            fs::write(dir.join(file), text)?;
        }
        self.charms.insert(name.to_owned(), dir.clone());
        Ok(dir)
    }

    /// Sets the extra environment each unit's hooks get.
    pub fn set_unit_env(&mut self, env: impl Fn(&str) -> Vec<(String, String)> + 'static) {
        self.unit_env = Box::new(env);
    }

    /// Removes a tool from `PATH` (a test of a missing tool); [`Processes::new`] restores all.
    pub fn remove_tool(&self, name: &str) -> io::Result<()> {
        fs::remove_file(self.root.join("tools").join(name))
    }

    /// The state file.
    pub fn state_file(&self) -> PathBuf {
        self.root.join("state.json")
    }

    /// The call log.
    pub fn log_file(&self) -> PathBuf {
        self.root.join("calls.jsonl")
    }

    fn new_calls(&mut self) -> Vec<LoggedCall> {
        let Ok(text) = fs::read(self.log_file()) else { return Vec::new() };
        let fresh = &text[usize::try_from(self.log_offset).unwrap_or(0).min(text.len())..];
        self.log_offset = text.len() as u64;
        String::from_utf8_lossy(fresh).lines().filter_map(|line| serde_json::from_str(line).ok()).collect()
    }

    /// The charm directory of `unit`: links to every file of its charm's directory, and what the
    /// charm writes there itself (ops' `.unit-state.db`), its own.
    pub fn unit_charm_dir(&self, unit: &str) -> PathBuf {
        self.root.join("units").join(unit.replace('/', "-")).join("charm")
    }

    fn prepare_unit_dir(&self, charm: &str, unit: &str) -> Result<PathBuf, String> {
        let template = self.charms.get(charm).ok_or_else(|| format!("no charm {charm:?}"))?;
        let dir = self.unit_charm_dir(unit);
        let failed = |err: io::Error| format!("cannot make the charm directory {}: {err}", dir.display());
        fs::create_dir_all(&dir).map_err(failed)?;
        for entry in fs::read_dir(template).map_err(failed)? {
            let entry = entry.map_err(failed)?;
            let link = dir.join(entry.file_name());
            if fs::symlink_metadata(&link).is_err() {
                std::os::unix::fs::symlink(entry.path(), &link).map_err(failed)?;
            }
        }
        Ok(dir)
    }

    fn run(&mut self, charm: &str, state: &State, hook: &HookSpec) -> Result<(), String> {
        let dir = self.prepare_unit_dir(charm, &hook.unit)?;
        let path = format!("{}:{}", self.root.join("tools").display(), std::env::var("PATH").unwrap_or_default());
        let mut command = Command::new(dir.join("dispatch"));
        command
            .current_dir(&dir)
            .envs(hook.env(state))
            .env("JUJU_CHARM_DIR", &dir)
            .env("PATH", path)
            .env(STATE_VARIABLE, self.state_file())
            .env(LOG_VARIABLE, self.log_file())
            .envs((self.unit_env)(&hook.unit))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child =
            command.spawn().map_err(|err| format!("cannot run {}: {err}", dir.join("dispatch").display()))?;
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let read = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut text = String::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_string(&mut text);
                }
                text
            })
        };
        let stdout = read(stdout.map(|p| Box::new(p) as Box<dyn Read + Send>));
        let stderr = read(stderr.map(|p| Box::new(p) as Box<dyn Read + Send>));
        let start = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().map_err(|err| err.to_string())? {
                break Some(status);
            }
            if start.elapsed() > self.hook_timeout {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(1));
        };
        let (stdout, stderr) = (stdout.join().unwrap_or_default(), stderr.join().unwrap_or_default());
        self.output.push((stdout, stderr.clone()));
        match status {
            Some(status) if status.success() => Ok(()),
            Some(status) => Err(format!("dispatch exited with {status}: {}", stderr.trim())),
            None => Err(format!("dispatch did not finish within {:?}", self.hook_timeout)),
        }
    }
}

impl Executor for Processes {
    fn execute(&mut self, charm: &str, state: State, hook: &HookSpec) -> (State, Vec<LoggedCall>, Result<(), String>) {
        if let Err(err) = write_state(&self.state_file(), &state) {
            return (state, Vec::new(), Err(format!("writing the state: {err}")));
        }
        let result = self.run(charm, &state, hook);
        let after = read_state(&self.state_file()).unwrap_or(state);
        (after, self.new_calls(), result)
    }
}

/// The config defaults of a `charmcraft.yaml` (`config.options.<name>.default`), as `config-get`
/// shows a fresh deployment's config.
pub fn config_defaults(charmcraft_yaml: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let value: serde_json::Value =
        pyroscope_cluster_model::yaml::from_str(charmcraft_yaml).map_err(|err| format!("charmcraft.yaml: {err}"))?;
    let options = value.pointer("/config/options").and_then(|options| options.as_object()).cloned().unwrap_or_default();
    Ok(options
        .into_iter()
        .filter_map(|(name, option)| option.get("default").cloned().map(|default| (name, default)))
        .collect())
}

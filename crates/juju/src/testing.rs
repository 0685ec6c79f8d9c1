//! An in-memory Juju for tests (feature `testing`): a model [`State`] (applications, units,
//! leaders, config, relations with every databag, secrets, statuses, ports), the hook tools
//! answered against it as Juju answers them ([`State::answer`]), and Juju's order of hooks
//! ([`Model`]).
//!
//! The same [`State`] and [`State::answer`] serve the fake hook-tool executable of
//! `pyroscope-cluster-fake-juju`, which keeps the state in a file so that charm processes in any
//! language run hook after hook against it; here, a charm's code runs in the test's process
//! ([`InMemory`], [`Charms`]).
//!
//! Juju's rules it enforces: only the leader writes (and reads) its application databag and
//! sets the application status ("permission denied" otherwise); a `""` value deletes a key; every
//! unit databag holds Juju's own `egress-subnets`, `ingress-address` and `private-address` from
//! `relation-created` on; a relation a unit has not joined lists no unit; a gone relation is
//! refused with Juju 3.6's or 4.0's words ([`State::juju_version`]); relation writes of a hook
//! that fails are rolled back, as Juju commits them only when the hook succeeds.
//!
//! ```
//! use pyroscope_cluster_juju::testing::{Charms, Model, State};
//! use pyroscope_cluster_juju::{HookTools, StatusName, StatusTarget};
//!
//! let mut charms = Charms::default();
//! charms.insert("hello", |_context, tools| {
//!     let leader = tools.is_leader()?;
//!     tools.status_set(StatusTarget::Unit, StatusName::Active, if leader { "leading" } else { "following" })?;
//!     Ok(())
//! });
//! let mut model = Model::new(State::default(), charms);
//! model.deploy("hello", Some("hello"), 2);
//! model.settle().expect("every hook succeeds");
//! assert_eq!(model.state.apps["hello"].units["hello/0"].status.message, "leading");
//! assert_eq!(model.state.apps["hello"].units["hello/1"].status.message, "following");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::Databag;
use crate::call::{Call, RelationRef, apply_relation_set};
use crate::context::HookContext;
use crate::runner::{RunError, Runner};
use crate::tools::HookTools;

/// The Juju version whose wordings the state answers with by default.
pub const JUJU_3_6: &str = "3.6.28";
/// A Juju 4.0 version, whose wordings differ (a gone relation is "relation not found").
pub const JUJU_4_0: &str = "4.0.14";

/// A workload status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadStatus {
    /// `active`, `blocked`, `maintenance`, `waiting`, or `unknown` before any `status-set`.
    pub name: String,
    /// The message.
    pub message: String,
}

impl Default for WorkloadStatus {
    fn default() -> Self {
        Self { name: "unknown".into(), message: String::new() }
    }
}

impl fmt::Display for WorkloadStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() { f.write_str(&self.name) } else { write!(f, "{}: {}", self.name, self.message) }
    }
}

/// One unit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Unit {
    /// Its address (`network-get`, and Juju's keys of its databags).
    pub address: String,
    /// Its workload status.
    pub status: WorkloadStatus,
    /// Its open ports, `port/protocol`.
    pub opened_ports: BTreeSet<String>,
    /// What its charm keeps between hooks in its charm directory: the hook cache
    /// ([`crate::HookCache`]) as saved, for [`Charms`] (which run charms through
    /// [`crate::run_with_cache`], as `dispatch` does). A test may delete or corrupt it.
    #[serde(default)]
    pub hook_cache: Option<String>,
}

/// One application.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct App {
    /// The charm that runs its hooks (a key of the executor's charms); `None` for a stub whose
    /// databags a test writes itself (an S3 provider, say).
    pub charm: Option<String>,
    /// The leader unit.
    pub leader: Option<String>,
    /// Its config (`config-get`).
    pub config: Map<String, Value>,
    /// Its units, by name.
    pub units: BTreeMap<String, Unit>,
    /// The application status (set by the leader).
    pub status: WorkloadStatus,
    /// `application-version-set`.
    pub version: String,
    /// The number of the next unit.
    pub next_unit: u32,
    /// Its place in the model (for addresses).
    pub index: u32,
}

/// One end of a relation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    /// The application.
    pub app: String,
    /// Its endpoint.
    pub endpoint: String,
}

/// A relation between two applications, with every databag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    /// Its ID.
    pub id: u32,
    /// Its two ends.
    pub ends: [End; 2],
    /// Each application's databag, by application.
    pub app_data: BTreeMap<String, Databag>,
    /// Each unit's databag, by unit.
    pub unit_data: BTreeMap<String, Databag>,
    /// The remote units each unit has seen join (what `relation-list` shows it).
    pub views: BTreeMap<String, BTreeSet<String>>,
    /// Gone from Juju's state while units still hold it (a removed cross-model relation): reads
    /// and writes are refused.
    pub gone: bool,
    /// The units that have run its `relation-broken` (`relation-ids` no longer lists it).
    pub broken_for: BTreeSet<String>,
}

impl Relation {
    /// The end of `app`, and the other one.
    pub fn sides(&self, app: &str) -> Option<(&End, &End)> {
        match &self.ends {
            [a, b] if a.app == app => Some((a, b)),
            [a, b] if b.app == app => Some((b, a)),
            _ => None,
        }
    }
}

/// A secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// The owning application.
    pub owner: String,
    /// Its label, if any.
    pub label: Option<String>,
    /// Its revisions, oldest first.
    pub revisions: Vec<BTreeMap<String, String>>,
    /// The applications granted access.
    pub grants: BTreeSet<String>,
    /// The revision (index) each consumer unit tracks.
    pub tracked: BTreeMap<String, usize>,
}

/// What a [`Fault`] does to the calls it matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FaultAction {
    /// Exit with `code`, printing `stderr`.
    Fail {
        /// The exit code.
        code: i32,
        /// Standard error.
        stderr: String,
    },
    /// Do not answer for this long (the runner's timeout kills it first).
    Hang {
        /// Milliseconds.
        millis: u64,
    },
    /// Print this instead of the answer.
    Garbage {
        /// What to print.
        stdout: String,
    },
    /// Behave as a tool that is not installed.
    Missing,
    /// The relation of the call vanishes just before it (gone from Juju's state).
    Vanish,
}

/// A failure injected into matching hook-tool calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The tool (`relation-set`).
    pub tool: String,
    /// Only calls about this relation.
    #[serde(default)]
    pub relation: Option<u32>,
    /// Only calls by this unit.
    #[serde(default)]
    pub unit: Option<String>,
    /// Let this many matching calls through first.
    #[serde(default)]
    pub skip: u32,
    /// Act on this many calls, then stop; `None`: every call.
    #[serde(default)]
    pub times: Option<u32>,
    /// What to do.
    pub action: FaultAction,
}

impl Fault {
    /// A fault on every call of `tool`.
    pub fn on(tool: &str, action: FaultAction) -> Self {
        Self { tool: tool.to_owned(), relation: None, unit: None, skip: 0, times: None, action }
    }
}

/// A whole model as Juju holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The Juju version (`JUJU_VERSION`; its major version picks the error wordings).
    pub juju_version: String,
    /// The model's name.
    pub model: String,
    /// The model's UUID.
    pub model_uuid: String,
    /// The applications.
    pub apps: BTreeMap<String, App>,
    /// The relations, by ID.
    pub relations: BTreeMap<u32, Relation>,
    /// The secrets, by ID.
    pub secrets: BTreeMap<String, Secret>,
    /// Failures to inject.
    pub faults: Vec<Fault>,
    /// The ID of the next relation.
    pub next_relation: u32,
}

impl Default for State {
    fn default() -> Self {
        Self {
            juju_version: JUJU_3_6.into(),
            model: "cos".into(),
            model_uuid: "00000000-0000-4000-8000-000000000000".into(),
            apps: BTreeMap::new(),
            relations: BTreeMap::new(),
            secrets: BTreeMap::new(),
            faults: Vec::new(),
            next_relation: 1,
        }
    }
}

/// Who calls a hook tool: the unit, and the relation of its hook (`JUJU_RELATION_ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// `JUJU_UNIT_NAME`.
    pub unit: String,
    /// `JUJU_RELATION_ID`.
    pub relation: Option<RelationRef>,
}

impl Caller {
    fn app(&self) -> &str {
        self.unit.split_once('/').map_or(&self.unit, |(app, _)| app)
    }
}

/// How a hook tool answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Exit 0, printing this.
    Out(String),
    /// Exit `code`, printing `stderr`.
    Err {
        /// The exit code.
        code: i32,
        /// Standard error.
        stderr: String,
    },
    /// Hang this long.
    Hang(Duration),
    /// The tool is not there.
    Missing,
}

fn err(stderr: impl Into<String>) -> Answer {
    Answer::Err { code: 1, stderr: format!("ERROR {}\n", stderr.into()) }
}

fn out(value: &impl Serialize) -> Answer {
    Answer::Out(serde_json::to_string(value).expect("answers are JSON"))
}

impl State {
    /// Whether this is Juju 4 (its wordings).
    fn juju4(&self) -> bool {
        self.juju_version.starts_with("4.")
    }

    /// The words of a refused call on a gone relation: "permission denied" on Juju 3.6,
    /// "relation not found" on 4.0 (canonical/operator#2709, #2748).
    fn gone(&self) -> Answer {
        err(if self.juju4() { "relation not found" } else { "permission denied" })
    }

    fn is_leader(&self, unit: &str) -> bool {
        let app = unit.split_once('/').map_or(unit, |(app, _)| app);
        self.apps.get(app).and_then(|app| app.leader.as_deref()) == Some(unit)
    }

    /// The unit of `name`.
    pub fn unit(&self, name: &str) -> Option<&Unit> {
        let app = name.split_once('/').map_or(name, |(app, _)| app);
        self.apps.get(app)?.units.get(name)
    }

    /// The unit of `name`, to change it (a test deletes or corrupts its hook cache).
    pub fn unit_mut(&mut self, name: &str) -> Option<&mut Unit> {
        let app = name.split_once('/').map_or(name, |(app, _)| app);
        self.apps.get_mut(app)?.units.get_mut(name)
    }

    /// The relation `relation` names, if `caller` is on it (and on that endpoint, when named).
    fn relation_of(&self, caller: &Caller, relation: &RelationRef) -> Result<&Relation, Answer> {
        let not_found = || err(format!("invalid value {:?} for option -r: relation not found", relation.to_string()));
        let found = self.relations.get(&relation.id).ok_or_else(not_found)?;
        let (mine, _) = found.sides(caller.app()).ok_or_else(not_found)?;
        if !relation.endpoint.is_empty() && mine.endpoint != relation.endpoint {
            return Err(not_found());
        }
        Ok(found)
    }

    /// Applies the faults that match `call`; returns the answer of one that takes it over.
    fn fault(&mut self, caller: &Caller, call: &Call) -> Option<Answer> {
        let relation = call.relation();
        let mut action = None;
        for fault in &mut self.faults {
            let matches = fault.tool == call.tool()
                && fault.relation.is_none_or(|id| Some(id) == relation)
                && fault.unit.as_ref().is_none_or(|unit| *unit == caller.unit)
                && fault.times != Some(0);
            if !matches {
                continue;
            }
            if fault.skip > 0 {
                fault.skip -= 1;
                continue;
            }
            if let Some(times) = &mut fault.times {
                *times -= 1;
            }
            action = Some(fault.action.clone());
            break;
        }
        match action? {
            FaultAction::Fail { code, stderr } => Some(Answer::Err { code, stderr }),
            FaultAction::Hang { millis } => Some(Answer::Hang(Duration::from_millis(millis))),
            FaultAction::Missing => Some(Answer::Missing),
            FaultAction::Garbage { stdout } => {
                // The call happens; its output is garbled.
                let _ = self.answer_plain(caller, call);
                Some(Answer::Out(stdout))
            }
            FaultAction::Vanish => {
                if let Some(found) = relation.and_then(|id| self.relations.get_mut(&id)) {
                    found.gone = true;
                }
                None
            }
        }
    }

    /// Answers one hook-tool call by `caller`, as Juju would, changing the state as the call
    /// does. Faults ([`State::faults`]) come first.
    pub fn answer(&mut self, caller: &Caller, call: &Call) -> Answer {
        if let Some(answer) = self.fault(caller, call) {
            return answer;
        }
        self.answer_plain(caller, call)
    }

    fn answer_plain(&mut self, caller: &Caller, call: &Call) -> Answer {
        match self.answer_inner(caller, call) {
            Ok(answer) | Err(answer) => answer,
        }
    }

    fn answer_inner(&mut self, caller: &Caller, call: &Call) -> Result<Answer, Answer> {
        let leader = self.is_leader(&caller.unit);
        let app = caller.app().to_owned();
        let Some(me) = self.unit(&caller.unit).cloned() else {
            return Err(err(format!("unit {:?} is not in the model", caller.unit)));
        };
        Ok(match call {
            Call::RelationIds { endpoint } => {
                let ids: Vec<String> = self
                    .relations
                    .values()
                    .filter(|relation| !relation.broken_for.contains(&caller.unit))
                    .filter(|relation| relation.sides(&app).is_some_and(|(mine, _)| mine.endpoint == *endpoint))
                    .map(|relation| format!("{endpoint}:{}", relation.id))
                    .collect();
                out(&ids)
            }
            Call::RelationList { relation, app: list_app } => {
                let found = self.relation_of(caller, relation)?;
                let (_, remote) = found.sides(&app).expect("checked");
                if *list_app {
                    out(&remote.app)
                } else {
                    let units: Vec<&String> =
                        found.views.get(&caller.unit).map(|units| units.iter().collect()).unwrap_or_default();
                    out(&units)
                }
            }
            Call::RelationGet { relation, member, app: read_app, key } => {
                let found = self.relation_of(caller, relation)?;
                if found.gone {
                    return Err(self.gone());
                }
                let databag = if *read_app {
                    if found.sides(member).is_none() {
                        return Err(err(format!("application {member:?} is not on relation {relation}")));
                    }
                    if *member == app && !leader {
                        return Err(err("permission denied"));
                    }
                    found.app_data.get(member).cloned().unwrap_or_default()
                } else {
                    match found.unit_data.get(member) {
                        Some(databag) => databag.clone(),
                        None => {
                            return Err(err(format!(
                                "cannot read settings for unit {member:?} in relation {:?}: unit {member:?}: settings not found",
                                relation.to_string()
                            )));
                        }
                    }
                };
                match key {
                    Some(key) => out(&databag.get(key).cloned().unwrap_or_default()),
                    None => out(&databag),
                }
            }
            Call::RelationSet { relation, app: write_app, data } => {
                let found = self.relation_of(caller, relation)?;
                if found.gone {
                    return Err(self.gone());
                }
                if *write_app && !leader {
                    return Err(err("permission denied"));
                }
                let found = self.relations.get_mut(&relation.id).expect("checked");
                let databag = if *write_app {
                    found.app_data.entry(app).or_default()
                } else {
                    found.unit_data.entry(caller.unit.clone()).or_default()
                };
                apply_relation_set(databag, data);
                Answer::Out(String::new())
            }
            Call::IsLeader => out(&leader),
            Call::ConfigGet { key } => {
                let config = &self.apps[&app].config;
                match key {
                    Some(key) => out(config.get(key).unwrap_or(&Value::Null)),
                    None => out(config),
                }
            }
            Call::SecretGet { id, label, refresh, peek } => {
                let found = self.secrets.iter_mut().find(|(secret_id, secret)| {
                    id.as_ref().is_some_and(|id| id == *secret_id)
                        || (id.is_none() && label.is_some() && secret.label == *label)
                });
                let name = id.clone().or(label.clone()).unwrap_or_default();
                let Some((_, secret)) = found else {
                    return Err(err(format!("secret {name:?} not found")));
                };
                if secret.owner != app && !secret.grants.contains(&app) {
                    return Err(err(format!("secret {name:?} not found")));
                }
                let latest = secret.revisions.len() - 1;
                let revision = if secret.owner == app || *peek {
                    latest
                } else if *refresh {
                    secret.tracked.insert(caller.unit.clone(), latest);
                    latest
                } else {
                    *secret.tracked.entry(caller.unit.clone()).or_insert(latest)
                };
                out(&secret.revisions[revision])
            }
            Call::SecretGrant { id, relation, unit: _ } => {
                let remote = {
                    let found = self.relation_of(caller, &RelationRef::new("", *relation))?;
                    found.sides(&app).expect("checked").1.app.clone()
                };
                let Some(secret) = self.secrets.get_mut(id) else {
                    return Err(err(format!("secret {id:?} not found")));
                };
                if secret.owner != app || !leader {
                    return Err(err("permission denied"));
                }
                secret.grants.insert(remote);
                Answer::Out(String::new())
            }
            Call::SecretAdd { label, owner: _, content } => {
                let id = format!("secret:fake{:04}", self.secrets.len() + 1);
                let secret = Secret {
                    owner: app,
                    label: label.clone(),
                    revisions: vec![content.clone()],
                    grants: BTreeSet::new(),
                    tracked: BTreeMap::new(),
                };
                self.secrets.insert(id.clone(), secret);
                Answer::Out(format!("{id}\n"))
            }
            Call::NetworkGet { .. } => out(&json!({
                "bind-addresses": [{
                    "mac-address": "",
                    "interface-name": "eth0",
                    "addresses": [{"hostname": "", "value": me.address, "cidr": subnet(&me.address)}],
                }],
                "egress-subnets": [format!("{}/32", me.address)],
                "ingress-addresses": [me.address],
            })),
            Call::StatusSet { app: for_app, status, message } => {
                let status = WorkloadStatus { name: status.as_str().into(), message: message.clone() };
                if *for_app {
                    if !leader {
                        return Err(err("this unit is not the leader"));
                    }
                    self.apps.get_mut(&app).expect("caller's app").status = status;
                } else {
                    self.unit_mut(&caller.unit).expect("caller").status = status;
                }
                Answer::Out(String::new())
            }
            Call::StatusGet { app: for_app } => {
                let status = if *for_app { &self.apps[&app].status } else { &me.status };
                let body = json!({"status": status.name, "message": status.message, "status-data": {}});
                if *for_app { out(&json!({"application-status": body})) } else { out(&body) }
            }
            Call::ApplicationVersionSet { version } => {
                self.apps.get_mut(&app).expect("caller's app").version = version.clone();
                Answer::Out(String::new())
            }
            Call::JujuLog { .. } => Answer::Out(String::new()),
            Call::OpenPort { port, protocol } => {
                self.unit_mut(&caller.unit).expect("caller").opened_ports.insert(format!("{port}/{protocol}"));
                Answer::Out(String::new())
            }
            Call::ClosePort { port, protocol } => {
                self.unit_mut(&caller.unit).expect("caller").opened_ports.remove(&format!("{port}/{protocol}"));
                Answer::Out(String::new())
            }
            Call::OpenedPorts => out(&me.opened_ports),
        })
    }
}

/// One hook-tool call as it was made, for a test to check (and the fake tools' log format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedCall {
    /// The calling unit.
    pub unit: String,
    /// The argv.
    pub argv: Vec<String>,
    /// Standard input, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// The exit code (127: missing, 124: hung).
    pub code: i32,
}

/// A [`Runner`] that answers from a [`State`] in memory, logging every call. Each call's argv is
/// read back with [`Call::parse`] before it is answered, as the fake tools read it.
#[derive(Debug)]
pub struct InMemory {
    /// The model.
    pub state: State,
    /// Who calls.
    pub caller: Caller,
    /// The calls made.
    pub log: Vec<LoggedCall>,
}

impl InMemory {
    /// A runner for `caller` over `state`.
    pub fn new(state: State, caller: Caller) -> Self {
        Self { state, caller, log: Vec::new() }
    }
}

impl Runner for InMemory {
    fn run(&mut self, call: &Call) -> Result<String, RunError> {
        let argv = call.argv();
        let stdin = call.stdin();
        let parsed = Call::parse(&argv, stdin.as_deref().unwrap_or(""), self.caller.relation.as_ref(), &|_| {
            Err("no files in memory".into())
        })
        .map_err(|err| RunError::Failed { code: Some(2), stderr: format!("ERROR {err}\n") })?;
        let answer = self.state.answer(&self.caller, &parsed);
        let code = match &answer {
            Answer::Out(_) => 0,
            Answer::Err { code, .. } => *code,
            Answer::Hang(_) => 124,
            Answer::Missing => 127,
        };
        self.log.push(LoggedCall { unit: self.caller.unit.clone(), argv, stdin, code });
        match answer {
            Answer::Out(stdout) => Ok(stdout),
            Answer::Err { code, stderr } => Err(RunError::Failed { code: Some(code), stderr }),
            Answer::Hang(after) => Err(RunError::TimedOut { after }),
            Answer::Missing => Err(RunError::Missing),
        }
    }
}

/// One hook for one unit: what Juju sets in its environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookSpec {
    /// The unit.
    pub unit: String,
    /// The hook (`install`, `database-relation-changed`).
    pub hook: String,
    /// The relation of a relation hook.
    pub relation: Option<u32>,
    /// `JUJU_REMOTE_APP`.
    pub remote_app: Option<String>,
    /// `JUJU_REMOTE_UNIT`; `Some("")` for a change of the remote app's databag.
    pub remote_unit: Option<String>,
    /// `JUJU_DEPARTING_UNIT`.
    pub departing_unit: Option<String>,
}

impl HookSpec {
    /// A hook with no relation.
    pub fn simple(unit: &str, hook: &str) -> Self {
        Self {
            unit: unit.into(),
            hook: hook.into(),
            relation: None,
            remote_app: None,
            remote_unit: None,
            departing_unit: None,
        }
    }

    /// The `JUJU_*` environment Juju gives this hook.
    pub fn env(&self, state: &State) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        let mut set = |key: &str, value: &str| {
            env.insert(key.to_owned(), value.to_owned());
        };
        set("JUJU_DISPATCH_PATH", &format!("hooks/{}", self.hook));
        set("JUJU_HOOK_NAME", &self.hook);
        set("JUJU_UNIT_NAME", &self.unit);
        set("JUJU_MODEL_NAME", &state.model);
        set("JUJU_MODEL_UUID", &state.model_uuid);
        set("JUJU_VERSION", &state.juju_version);
        set("JUJU_CONTEXT_ID", &format!("{}-{}", self.unit, self.hook));
        if let Some(id) = self.relation {
            let app = self.unit.split_once('/').map_or(self.unit.as_str(), |(app, _)| app);
            let endpoint = state
                .relations
                .get(&id)
                .and_then(|relation| relation.sides(app))
                .map(|(mine, _)| mine.endpoint.clone())
                .unwrap_or_default();
            set("JUJU_RELATION", &endpoint);
            set("JUJU_RELATION_ID", &format!("{endpoint}:{id}"));
        }
        if let Some(app) = &self.remote_app {
            set("JUJU_REMOTE_APP", app);
        }
        if let Some(unit) = &self.remote_unit {
            set("JUJU_REMOTE_UNIT", unit);
        }
        if let Some(unit) = &self.departing_unit {
            set("JUJU_DEPARTING_UNIT", unit);
        }
        env
    }

    /// Who calls the tools in this hook.
    pub fn caller(&self, state: &State) -> Caller {
        let env = self.env(state);
        Caller { unit: self.unit.clone(), relation: env.get("JUJU_RELATION_ID").and_then(|text| text.parse().ok()) }
    }
}

impl fmt::Display for HookSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.unit, self.hook)?;
        if let Some(unit) = self.remote_unit.as_ref().filter(|unit| !unit.is_empty()) {
            write!(f, " ({unit})")?;
        } else if let Some(app) = &self.remote_app {
            write!(f, " ({app})")?;
        }
        Ok(())
    }
}

/// A hook that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hook {hook} failed: {message}")]
pub struct HookFailed {
    /// The hook.
    pub hook: String,
    /// What the charm said.
    pub message: String,
}

/// Runs a hook's charm code against a state: in memory ([`Charms`]) or as a process (the fake
/// Juju crate).
pub trait Executor {
    /// Runs `hook` of the charm `charm` on `state`; returns the state after it, the calls made,
    /// and `Err` with the charm's message when the hook failed.
    fn execute(&mut self, charm: &str, state: State, hook: &HookSpec) -> (State, Vec<LoggedCall>, Result<(), String>);
}

/// A charm's code run in the test's process: the hook's context and tools in, `Err` to fail
/// the hook.
pub type CharmFn =
    Box<dyn FnMut(&HookContext, &mut HookTools<&mut InMemory>) -> Result<(), Box<dyn std::error::Error>>>;

/// Charms run in memory, by name.
#[derive(Default)]
pub struct Charms {
    charms: BTreeMap<String, CharmFn>,
}

impl Charms {
    /// Adds the charm `name`.
    pub fn insert(
        &mut self,
        name: &str,
        charm: impl FnMut(&HookContext, &mut HookTools<&mut InMemory>) -> Result<(), Box<dyn std::error::Error>> + 'static,
    ) {
        self.charms.insert(name.to_owned(), Box::new(charm));
    }
}

impl Executor for Charms {
    fn execute(&mut self, charm: &str, state: State, hook: &HookSpec) -> (State, Vec<LoggedCall>, Result<(), String>) {
        let env = hook.env(&state);
        let mut runner = InMemory::new(state, hook.caller_from(&env));
        let Some(code) = self.charms.get_mut(charm) else {
            return (runner.state, Vec::new(), Err(format!("no charm {charm:?}")));
        };
        let stored = runner.state.unit(&hook.unit).and_then(|unit| unit.hook_cache.clone());
        let mut store = MemoryStore { text: stored };
        let result = match HookContext::from_vars(|name| env.get(name).cloned()) {
            Ok(context) => {
                let (result, _) = crate::run_with_cache(&mut store, &context, charm, &mut runner, |context, tools| {
                    code(context, tools).map_err(|err| err.to_string())
                });
                result
            }
            Err(err) => Err(err.to_string()),
        };
        if let Some(unit) = runner.state.unit_mut(&hook.unit) {
            unit.hook_cache = store.text;
        }
        (runner.state, runner.log, result)
    }
}

/// The hook cache of a unit of the in-memory Juju.
struct MemoryStore {
    text: Option<String>,
}

impl crate::CacheStore for MemoryStore {
    fn load(&mut self) -> Option<String> {
        self.text.clone()
    }

    fn save(&mut self, text: &str) -> std::io::Result<()> {
        self.text = Some(text.to_owned());
        Ok(())
    }

    fn remove(&mut self) -> std::io::Result<()> {
        self.text = None;
        Ok(())
    }
}

impl HookSpec {
    fn caller_from(&self, env: &BTreeMap<String, String>) -> Caller {
        Caller { unit: self.unit.clone(), relation: env.get("JUJU_RELATION_ID").and_then(|text| text.parse().ok()) }
    }
}

/// One hook the [`Model`] ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookRecord {
    /// The hook.
    pub spec: HookSpec,
    /// `Err` with the charm's message when it failed; its relation writes were rolled back.
    pub result: Result<(), String>,
    /// The calls it made.
    pub calls: Vec<LoggedCall>,
}

enum Item {
    Hook(HookSpec),
    RemoveRelation(u32),
    RemoveUnit(String),
    RemoveApp(String),
}

/// Juju's side of a model: operations (deploy, relate, scale, remove, leadership, config) queue
/// the hooks Juju runs for them, in Juju's order, and [`Model::settle`] runs them one at a time,
/// queueing `relation-changed` on the other side whenever a hook changed a databag.
///
/// The order: a new unit runs `install`, `relation-created` for each relation its app already
/// has, `leader-elected` (the leader) or `leader-settings-changed`, `config-changed`, `start`,
/// then joins those relations; a new relation runs `relation-created`
/// on every unit of both sides, then on each unit `relation-joined` and `relation-changed` for
/// each remote unit; a unit that leaves runs `relation-departed` on the remote units and on
/// itself, then `relation-broken`, `stop` and `remove`; a removed relation runs
/// `relation-departed` for every remote unit, then `relation-broken`, on every unit.
pub struct Model<E> {
    /// The model.
    pub state: State,
    /// Runs the charms.
    pub executor: E,
    /// Every hook run, in order.
    pub history: Vec<HookRecord>,
    queue: VecDeque<Item>,
    /// The most hooks [`Model::settle`] runs before it calls it a loop.
    pub max_hooks: usize,
}

impl<E: Executor> Model<E> {
    /// A model of `state`, whose charms `executor` runs.
    pub fn new(state: State, executor: E) -> Self {
        Self { state, executor, history: Vec::new(), queue: VecDeque::new(), max_hooks: 100_000 }
    }

    fn push(&mut self, spec: HookSpec) {
        let duplicate = self.queue.iter().any(|item| matches!(item, Item::Hook(queued) if *queued == spec));
        if !duplicate || !spec.hook.ends_with("-relation-changed") {
            self.queue.push_back(Item::Hook(spec));
        }
    }

    fn app_of(unit: &str) -> &str {
        unit.split_once('/').map_or(unit, |(app, _)| app)
    }

    /// Deploys `app` with `units` units; `charm` names the charm that runs its hooks (`None`: a
    /// stub whose data the test sets). The first unit leads. Its config starts empty: set the
    /// charm's defaults with [`Model::set_config`] before settling, or in `state`.
    pub fn deploy(&mut self, app: &str, charm: Option<&str>, units: u32) {
        let index = self.state.apps.len() as u32 + 1;
        self.state.apps.insert(app.to_owned(), App { charm: charm.map(str::to_owned), index, ..App::default() });
        for _ in 0..units {
            self.add_unit(app);
        }
    }

    /// Adds a unit to `app` and returns its name; it joins every relation of the app.
    pub fn add_unit(&mut self, app: &str) -> String {
        let entry = self.state.apps.get_mut(app).expect("a deployed application");
        let n = entry.next_unit;
        entry.next_unit += 1;
        let unit = format!("{app}/{n}");
        let address = format!("10.{}.{}.{}", entry.index, n / 250, n % 250 + 1);
        entry.units.insert(unit.clone(), Unit { address, ..Unit::default() });
        let leads = entry.leader.is_none();
        if leads {
            entry.leader = Some(unit.clone());
        }
        // Juju's setup phase: `install`, `relation-created` for each relation the app already has,
        // the leadership hook, `config-changed`, `start`; then, in operation, the joins
        // (canonical/charm-events README, "The Graph", Setup; its appendix 1 for a scale-up).
        self.push(HookSpec::simple(&unit, "install"));
        let relations: Vec<u32> =
            self.state.relations.values().filter(|relation| relation.sides(app).is_some()).map(|r| r.id).collect();
        let mut joins = Vec::new();
        for id in relations {
            let (mine, remote) = {
                let relation = &self.state.relations[&id];
                let (mine, remote) = relation.sides(app).expect("filtered");
                (mine.clone(), remote.clone())
            };
            self.ensure_databag(id, &unit);
            self.push(HookSpec {
                relation: Some(id),
                remote_app: Some(remote.app.clone()),
                ..HookSpec::simple(&unit, &format!("{}-relation-created", mine.endpoint))
            });
            joins.push((id, remote.app));
        }
        self.push(HookSpec::simple(&unit, if leads { "leader-elected" } else { "leader-settings-changed" }));
        self.push(HookSpec::simple(&unit, "config-changed"));
        self.push(HookSpec::simple(&unit, "start"));
        for (id, remote_app) in joins {
            let remote_units: Vec<String> = self.state.apps[&remote_app].units.keys().cloned().collect();
            for remote_unit in &remote_units {
                self.joined(id, &unit, remote_unit);
                self.joined(id, remote_unit, &unit);
            }
        }
        unit
    }

    fn endpoint_of(&self, id: u32, unit: &str) -> (String, String) {
        let (mine, remote) = self.state.relations[&id].sides(Self::app_of(unit)).expect("on the relation");
        (mine.endpoint.clone(), remote.app.clone())
    }

    fn joined(&mut self, id: u32, unit: &str, remote_unit: &str) {
        let (endpoint, remote_app) = self.endpoint_of(id, unit);
        for kind in ["joined", "changed"] {
            self.push(HookSpec {
                relation: Some(id),
                remote_app: Some(remote_app.clone()),
                remote_unit: Some(remote_unit.to_owned()),
                ..HookSpec::simple(unit, &format!("{endpoint}-relation-{kind}"))
            });
        }
    }

    fn departed(&mut self, id: u32, unit: &str, remote_unit: &str, departing: &str) {
        let (endpoint, remote_app) = self.endpoint_of(id, unit);
        self.push(HookSpec {
            relation: Some(id),
            remote_app: Some(remote_app),
            remote_unit: Some(remote_unit.to_owned()),
            departing_unit: Some(departing.to_owned()),
            ..HookSpec::simple(unit, &format!("{endpoint}-relation-departed"))
        });
    }

    fn broken(&mut self, id: u32, unit: &str) {
        let (endpoint, remote_app) = self.endpoint_of(id, unit);
        self.push(HookSpec {
            relation: Some(id),
            remote_app: Some(remote_app),
            ..HookSpec::simple(unit, &format!("{endpoint}-relation-broken"))
        });
    }

    fn ensure_databag(&mut self, id: u32, unit: &str) {
        let address = self.state.unit(unit).map(|unit| unit.address.clone()).unwrap_or_default();
        let relation = self.state.relations.get_mut(&id).expect("a relation");
        relation.unit_data.entry(unit.to_owned()).or_insert_with(|| {
            // The keys Juju writes into every unit databag itself.
            let keys = ["egress-subnets", "ingress-address", "private-address"];
            let values = [format!("{address}/32"), address.clone(), address.clone()];
            keys.into_iter().map(str::to_owned).zip(values).collect()
        });
    }

    /// Relates `a:a_endpoint` to `b:b_endpoint`; returns the relation's ID.
    pub fn relate(&mut self, a: &str, a_endpoint: &str, b: &str, b_endpoint: &str) -> u32 {
        let id = self.state.next_relation;
        self.state.next_relation += 1;
        let ends =
            [End { app: a.into(), endpoint: a_endpoint.into() }, End { app: b.into(), endpoint: b_endpoint.into() }];
        self.state.relations.insert(
            id,
            Relation {
                id,
                ends,
                app_data: BTreeMap::new(),
                unit_data: BTreeMap::new(),
                views: BTreeMap::new(),
                gone: false,
                broken_for: BTreeSet::new(),
            },
        );
        let units_a: Vec<String> = self.state.apps[a].units.keys().cloned().collect();
        let units_b: Vec<String> = self.state.apps[b].units.keys().cloned().collect();
        for (units, endpoint, remote) in [(&units_a, a_endpoint, b), (&units_b, b_endpoint, a)] {
            for unit in units {
                self.ensure_databag(id, unit);
                self.push(HookSpec {
                    relation: Some(id),
                    remote_app: Some(remote.into()),
                    ..HookSpec::simple(unit, &format!("{endpoint}-relation-created"))
                });
            }
        }
        for (units, remotes) in [(&units_a, &units_b), (&units_b, &units_a)] {
            for unit in units {
                for remote in remotes {
                    self.joined(id, unit, remote);
                }
            }
        }
        id
    }

    /// Removes the relation `id`: `relation-departed` for every remote unit, then
    /// `relation-broken`, on every unit of both sides.
    pub fn remove_relation(&mut self, id: u32) {
        let relation = self.state.relations[&id].clone();
        let units: Vec<String> =
            relation.ends.iter().flat_map(|end| self.state.apps[&end.app].units.keys().cloned()).collect();
        for unit in &units {
            for remote in relation.views.get(unit).into_iter().flatten() {
                self.departed(id, unit, remote, remote);
            }
        }
        for unit in &units {
            self.broken(id, unit);
        }
        self.queue.push_back(Item::RemoveRelation(id));
    }

    /// Removes `unit`: its relations' `relation-departed` on the remote units and on itself,
    /// `relation-broken`, `stop`, `remove`; a new leader is elected if it led.
    pub fn remove_unit(&mut self, unit: &str) {
        let app = Self::app_of(unit).to_owned();
        let relations: Vec<Relation> =
            self.state.relations.values().filter(|relation| relation.sides(&app).is_some()).cloned().collect();
        for relation in &relations {
            let (_, remote) = relation.sides(&app).expect("filtered");
            for remote_unit in self.state.apps[&remote.app].units.keys().cloned().collect::<Vec<_>>() {
                if relation.views.get(&remote_unit).is_some_and(|seen| seen.contains(unit)) {
                    self.departed(relation.id, &remote_unit, unit, unit);
                }
            }
            for remote_unit in relation.views.get(unit).into_iter().flatten() {
                self.departed(relation.id, unit, remote_unit, unit);
            }
            self.broken(relation.id, unit);
        }
        self.push(HookSpec::simple(unit, "stop"));
        self.push(HookSpec::simple(unit, "remove"));
        self.queue.push_back(Item::RemoveUnit(unit.to_owned()));
    }

    /// Removes `app`: each of its relations is removed, then its units stop.
    pub fn remove_app(&mut self, app: &str) {
        let relations: Vec<u32> =
            self.state.relations.values().filter(|relation| relation.sides(app).is_some()).map(|r| r.id).collect();
        for id in relations {
            self.remove_relation(id);
        }
        for unit in self.state.apps[app].units.keys().cloned().collect::<Vec<_>>() {
            self.push(HookSpec::simple(&unit, "stop"));
            self.push(HookSpec::simple(&unit, "remove"));
        }
        self.queue.push_back(Item::RemoveApp(app.to_owned()));
    }

    /// Makes `unit` its application's leader; it runs `leader-elected`.
    pub fn set_leader(&mut self, unit: &str) {
        let app = Self::app_of(unit).to_owned();
        self.state.apps.get_mut(&app).expect("a deployed application").leader = Some(unit.to_owned());
        self.push(HookSpec::simple(unit, "leader-elected"));
    }

    /// Sets config options of `app`; each unit runs `config-changed`.
    pub fn set_config(&mut self, app: &str, options: &[(&str, Value)]) {
        let entry = self.state.apps.get_mut(app).expect("a deployed application");
        for (key, value) in options {
            entry.config.insert((*key).to_owned(), value.clone());
        }
        for unit in entry.units.keys().cloned().collect::<Vec<_>>() {
            self.push(HookSpec::simple(&unit, "config-changed"));
        }
    }

    /// Sets the databag of `app` on relation `id` as that app's leader would (for a stub app);
    /// the other side runs `relation-changed`.
    pub fn set_app_data(&mut self, id: u32, app: &str, databag: Databag) {
        let before = self.state.clone();
        self.state.relations.get_mut(&id).expect("a relation").app_data.insert(app.to_owned(), databag);
        self.queue_changes(&before, app);
    }

    /// Runs `hook` now, before anything queued (`update-status`, say).
    pub fn run(&mut self, spec: HookSpec) -> Result<(), HookFailed> {
        self.run_one(spec.clone());
        match &self.history.last().expect("just ran").result {
            Ok(()) => Ok(()),
            Err(message) => Err(HookFailed { hook: spec.to_string(), message: message.clone() }),
        }
    }

    /// Runs every queued hook, and those they cause, until none is left. Returns the hooks
    /// that failed (their relation writes rolled back, as Juju does).
    pub fn settle(&mut self) -> Result<(), Vec<HookFailed>> {
        let mut failed = Vec::new();
        let mut ran = 0;
        while let Some(item) = self.queue.pop_front() {
            match item {
                Item::Hook(spec) => {
                    if self.relation_over(&spec) {
                        // Juju runs no hook of a relation for a unit after its relation-broken.
                        continue;
                    }
                    ran += 1;
                    if ran > self.max_hooks {
                        failed.push(HookFailed { hook: spec.to_string(), message: "too many hooks: a loop".into() });
                        self.queue.clear();
                        break;
                    }
                    self.run_one(spec.clone());
                    if let Err(message) = &self.history.last().expect("just ran").result {
                        failed.push(HookFailed { hook: spec.to_string(), message: message.clone() });
                    }
                }
                Item::RemoveRelation(id) => {
                    self.state.relations.remove(&id);
                }
                Item::RemoveUnit(unit) => {
                    let app = Self::app_of(&unit).to_owned();
                    for relation in self.state.relations.values_mut() {
                        relation.unit_data.remove(&unit);
                        relation.views.remove(&unit);
                        for seen in relation.views.values_mut() {
                            seen.remove(&unit);
                        }
                    }
                    let entry = self.state.apps.get_mut(&app).expect("its app");
                    entry.units.remove(&unit);
                    if entry.leader.as_deref() == Some(unit.as_str()) {
                        entry.leader = entry.units.keys().next().cloned();
                        if let Some(leader) = entry.leader.clone() {
                            self.push(HookSpec::simple(&leader, "leader-elected"));
                        }
                    }
                }
                Item::RemoveApp(app) => {
                    self.state.apps.remove(&app);
                }
            }
        }
        if failed.is_empty() { Ok(()) } else { Err(failed) }
    }

    /// A hook of a relation that is gone, or that `spec.unit` has seen broken (a change its
    /// remote side wrote while the relation was being removed, queued after the removal).
    fn relation_over(&self, spec: &HookSpec) -> bool {
        let Some(id) = spec.relation else { return false };
        match self.state.relations.get(&id) {
            None => true,
            Some(relation) => relation.broken_for.contains(&spec.unit) && !spec.hook.ends_with("-relation-broken"),
        }
    }

    fn run_one(&mut self, spec: HookSpec) {
        // What Juju has done by the time the hook runs.
        if let Some(relation) = spec.relation.and_then(|id| self.state.relations.get_mut(&id)) {
            let remote = spec.remote_unit.clone().unwrap_or_default();
            if spec.hook.ends_with("-relation-joined") {
                relation.views.entry(spec.unit.clone()).or_default().insert(remote);
            } else if spec.hook.ends_with("-relation-departed") {
                if let Some(seen) = relation.views.get_mut(&spec.unit) {
                    seen.remove(&remote);
                }
            } else if spec.hook.ends_with("-relation-broken") {
                relation.broken_for.insert(spec.unit.clone());
            }
        }
        let Some(charm) =
            self.state.unit(&spec.unit).and_then(|_| self.state.apps[Self::app_of(&spec.unit)].charm.clone())
        else {
            // A stub application, or a unit already gone: nothing runs.
            self.history.push(HookRecord { spec, result: Ok(()), calls: Vec::new() });
            return;
        };
        let before = self.state.clone();
        let (mut after, calls, result) = self.executor.execute(&charm, self.state.clone(), &spec);
        if result.is_err() {
            // Juju commits a hook's relation settings only when it succeeds.
            for (id, relation) in &mut after.relations {
                if let Some(old) = before.relations.get(id) {
                    relation.app_data = old.app_data.clone();
                    relation.unit_data = old.unit_data.clone();
                }
            }
        }
        self.state = after;
        if result.is_ok() {
            self.queue_changes(&before, Self::app_of(&spec.unit));
        }
        self.history.push(HookRecord { spec, result, calls });
    }

    /// Queues `relation-changed` on the remote side of every databag of `app` (or its units)
    /// that differs from `before`.
    fn queue_changes(&mut self, before: &State, app: &str) {
        let mut hooks = Vec::new();
        for (id, relation) in &self.state.relations {
            let Some(old) = before.relations.get(id) else { continue };
            let Some((_, remote)) = relation.sides(app) else { continue };
            let (endpoint, _) = {
                let (mine, _) = relation.sides(&remote.app).expect("both sides");
                (mine.endpoint.clone(), ())
            };
            let remote_units: Vec<&String> =
                self.state.apps.get(&remote.app).map(|a| a.units.keys().collect()).unwrap_or_default();
            if relation.app_data.get(app) != old.app_data.get(app) {
                for unit in &remote_units {
                    hooks.push(HookSpec {
                        relation: Some(*id),
                        remote_app: Some(app.to_owned()),
                        remote_unit: Some(String::new()),
                        ..HookSpec::simple(unit, &format!("{endpoint}-relation-changed"))
                    });
                }
            }
            for (unit, databag) in &relation.unit_data {
                if Self::app_of(unit) != app || old.unit_data.get(unit) == Some(databag) {
                    continue;
                }
                for remote_unit in &remote_units {
                    if relation.views.get(*remote_unit).is_some_and(|seen| seen.contains(unit)) {
                        hooks.push(HookSpec {
                            relation: Some(*id),
                            remote_app: Some(app.to_owned()),
                            remote_unit: Some(unit.clone()),
                            ..HookSpec::simple(remote_unit, &format!("{endpoint}-relation-changed"))
                        });
                    }
                }
            }
        }
        for hook in hooks {
            self.push(hook);
        }
    }

    /// The calls of every hook run, in order.
    pub fn calls(&self) -> impl Iterator<Item = &LoggedCall> {
        self.history.iter().flat_map(|record| &record.calls)
    }
}

/// Runs one hook of a charm in memory: `state` in, the charm's code run with the hook's
/// context and tools, the state after it, the calls made and the charm's result out. Juju's
/// rules hold; a failed hook's relation writes are rolled back.
pub fn run_hook<T>(
    state: State,
    hook: &HookSpec,
    charm: impl FnOnce(&HookContext, &mut HookTools<&mut InMemory>) -> T,
) -> Result<(State, Vec<LoggedCall>, T), crate::ContextError> {
    let env = hook.env(&state);
    let context = HookContext::from_vars(|name| env.get(name).cloned())?;
    let mut runner = InMemory::new(state, hook.caller_from(&env));
    let result = {
        let mut tools = HookTools::new(&mut runner, hook.unit.clone());
        charm(&context, &mut tools)
    };
    Ok((runner.state, runner.log, result))
}

/// The relation ID of `id`, for [`crate::RelationRef`]s in tests.
pub fn relation_ref(state: &State, id: u32, unit: &str) -> RelationRef {
    let app = unit.split_once('/').map_or(unit, |(app, _)| app);
    let endpoint =
        state.relations.get(&id).and_then(|relation| relation.sides(app)).map(|(mine, _)| mine.endpoint.clone());
    RelationRef { endpoint: endpoint.unwrap_or_default(), id }
}

/// The subnet `network-get` shows an address in: its /24 (IPv4) or /64 (IPv6), host bits clear
/// as Juju writes a CIDR (ops' `ipaddress.ip_network` refuses host bits); a host name as it is.
fn subnet(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(ip)) => format!("{}/24", std::net::Ipv4Addr::from(u32::from(ip) & !0xff)),
        Ok(std::net::IpAddr::V6(ip)) => {
            format!("{}/64", std::net::Ipv6Addr::from(u128::from(ip) & !u128::from(u64::MAX)))
        }
        Err(_) => address.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[track_caller]
    fn check(address: &str, cidr: &str) {
        assert_eq!(super::subnet(address), cidr, "{address}");
    }

    #[test]
    fn network_get_shows_a_subnet_without_host_bits() {
        check("10.3.0.2", "10.3.0.0/24");
        check("10.4.0.255", "10.4.0.0/24");
        check("fd00::1:2", "fd00::/64");
        check("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64");
        check("worker-0.example", "worker-0.example");
    }
}

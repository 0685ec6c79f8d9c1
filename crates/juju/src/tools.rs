//! [`HookTools`]: the hook tools as typed calls, and what their failures mean ([`ToolError`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::Databag;
use crate::cache::{CachedRelation, HookCache};
use crate::call::{Call, LogLevel, RelationRef, StatusName, StatusTarget, apply_relation_set};
use crate::config::CharmConfig;
use crate::runner::{RunError, Runner};

/// Why a hook-tool call failed, read from how it ended and what Juju printed.
///
/// A relation that is gone answers "permission denied" on Juju 3.6 and "relation not found" on
/// Juju 4.0 (canonical/operator#2709, #2748; ops 3.9 `model.py` `_relation_is_gone`): both are
/// [`ToolError::RelationGone`]. The one "permission denied" that is not a gone relation, a
/// follower reading or writing its own application databag, is [`ToolError::NotLeader`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ToolError {
    /// The relation is gone (removed, or a cross-model relation Juju has forgotten).
    #[error("relation {relation} is gone (`{tool}` was refused)")]
    RelationGone {
        /// The tool.
        tool: &'static str,
        /// The relation.
        relation: String,
    },
    /// Only the leader may do this (write or read its own application databag, set the
    /// application status).
    #[error("`{tool}` was refused: this unit is not the leader")]
    NotLeader {
        /// The tool.
        tool: &'static str,
    },
    /// The secret does not exist, or this unit may not see it.
    #[error("secret {id} was not found")]
    SecretNotFound {
        /// The secret ID or label asked for.
        id: String,
    },
    /// The tool is not on `PATH`: the program is not running inside a Juju hook.
    #[error("hook tool `{tool}` was not found on PATH (is this running inside a Juju hook?)")]
    Missing {
        /// The tool.
        tool: &'static str,
    },
    /// The tool failed for another reason.
    #[error("hook tool `{tool}` failed ({}): {}", code.map_or("killed by a signal".to_owned(), |code| format!("exit code {code}")), stderr.trim())]
    Failed {
        /// The tool.
        tool: &'static str,
        /// Its exit code (`None`: killed by a signal).
        code: Option<i32>,
        /// What it printed on standard error.
        stderr: String,
    },
    /// The tool did not answer in time and was killed.
    #[error("hook tool `{tool}` did not finish within {after:?} and was killed")]
    TimedOut {
        /// The tool.
        tool: &'static str,
        /// The time it was given.
        after: Duration,
    },
    /// The tool printed something that is not the JSON expected.
    #[error("hook tool `{tool}` printed output that is not the JSON expected")]
    NotJson {
        /// The tool.
        tool: &'static str,
        /// Why the output does not parse.
        #[source]
        source: serde_json::Error,
    },
    /// The tool could not be run.
    #[error("hook tool `{tool}` could not be run")]
    Io {
        /// The tool.
        tool: &'static str,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
}

impl ToolError {
    /// Whether the relation the call was about is gone.
    pub fn is_relation_gone(&self) -> bool {
        matches!(self, ToolError::RelationGone { .. })
    }
}

/// Which revision of a secret [`HookTools::secret_get`] reads (`secret-get`'s options).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretRevision {
    /// The revision this unit tracks (no option): the one it first saw, until it refreshes.
    Tracked,
    /// The latest revision, tracked from now on (`--refresh`).
    Refresh,
    /// The latest revision, this once (`--peek`).
    Peek,
}

/// One address of a `network-get` answer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Network {
    /// `ingress-addresses`: where other units reach this one, best first.
    #[serde(rename = "ingress-addresses", default)]
    pub ingress_addresses: Vec<String>,
    /// `egress-subnets`.
    #[serde(rename = "egress-subnets", default)]
    pub egress_subnets: Vec<String>,
}

/// The hook tools as typed calls over a [`Runner`]: argv and standard input from [`Call`], the
/// output parsed, failures read into [`ToolError`]. It counts the calls it makes, by tool.
///
/// It knows the unit it runs for, to tell a follower refused on its own application databag
/// ([`ToolError::NotLeader`]) from a gone relation, and caches `is-leader` for the hook (ops
/// caches it for Juju's 30 s lease; a hook is shorter).
#[derive(Debug)]
pub struct HookTools<R> {
    runner: R,
    unit: String,
    leader: Option<bool>,
    calls: BTreeMap<&'static str, u32>,
    cache: Option<HookCache>,
}

impl<R: Runner> HookTools<R> {
    /// The tools of `unit` (`postgresql/0`), run by `runner`.
    pub fn new(runner: R, unit: impl Into<String>) -> Self {
        Self { runner, unit: unit.into(), leader: None, calls: BTreeMap::new(), cache: None }
    }

    /// The tools of `unit`, reading through `cache` ([`HookCache`]): a read it holds makes no
    /// call, and every read and write keeps it up to date. Take it back with
    /// [`take_cache`](Self::take_cache) once the hook has succeeded, to save it.
    pub fn with_cache(runner: R, unit: impl Into<String>, cache: HookCache) -> Self {
        Self { cache: Some(cache), ..Self::new(runner, unit) }
    }

    /// The cache, as this hook has left it so far (with the leadership it saw).
    pub fn take_cache(&mut self) -> Option<HookCache> {
        let mut cache = self.cache.take()?;
        // Leadership as this hook saw it; unknown when it did not ask (this unit's application
        // databag and status are then not trusted next time).
        cache.leader = self.leader;
        if cache.leader != Some(true) {
            cache.app_status = None;
        }
        Some(cache)
    }

    /// On every `k`-th `update-status` (counted in the cache), forgets what the cache knows of
    /// the relations, so that this hook reads them all: a safety net under the cache. Returns
    /// whether it did. `k` = 0 never does.
    pub fn refresh_cache_every(&mut self, k: u32) -> bool {
        match &mut self.cache {
            Some(cache) if k > 0 && cache.update_status_runs >= k => {
                cache.forget_relations();
                cache.update_status_runs = 0;
                true
            }
            _ => false,
        }
    }

    fn cached_relation(&mut self, relation: &RelationRef) -> Option<&mut CachedRelation> {
        let cache = self.cache.as_mut()?;
        Some(
            cache
                .relations
                .entry(relation.id)
                .or_insert_with(|| CachedRelation { endpoint: relation.endpoint.clone(), ..CachedRelation::default() }),
        )
    }

    /// The unit the tools run for.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// The unit's application.
    pub fn app(&self) -> &str {
        self.unit.split_once('/').map_or(&self.unit, |(app, _)| app)
    }

    /// The calls made so far, by tool.
    pub fn calls(&self) -> &BTreeMap<&'static str, u32> {
        &self.calls
    }

    /// The number of calls made so far.
    pub fn call_count(&self) -> u32 {
        self.calls.values().sum()
    }

    /// The runner.
    pub fn runner(&self) -> &R {
        &self.runner
    }

    /// The runner, to change it between calls (a test's faults).
    pub fn runner_mut(&mut self) -> &mut R {
        &mut self.runner
    }

    /// Gives the runner back.
    pub fn into_runner(self) -> R {
        self.runner
    }

    /// Runs `call`: its standard output, or what its failure means.
    pub fn run(&mut self, call: &Call) -> Result<String, ToolError> {
        let tool = call.tool();
        *self.calls.entry(tool).or_default() += 1;
        match self.runner.run(call) {
            Ok(stdout) => Ok(stdout),
            Err(RunError::Missing) => Err(ToolError::Missing { tool }),
            Err(RunError::TimedOut { after }) => Err(ToolError::TimedOut { tool, after }),
            Err(RunError::Io(source)) => Err(ToolError::Io { tool, source }),
            Err(RunError::Failed { code, stderr }) => Err(self.classify(call, code, stderr)),
        }
    }

    /// What a failure means, as ops 3.9 reads it (`model.py` `_wrap_hookcmd`, `_relation_is_gone`).
    fn classify(&mut self, call: &Call, code: Option<i32>, stderr: String) -> ToolError {
        let tool = call.tool();
        let lower = stderr.to_lowercase();
        let relation_tool =
            matches!(tool, "relation-ids" | "relation-list" | "relation-get" | "relation-set" | "network-get");
        let relation = || call.relation().map_or_else(String::new, |id| id.to_string());
        if relation_tool && relation_not_found(&lower) {
            return ToolError::RelationGone { tool, relation: relation() };
        }
        if relation_tool && lower.contains("permission denied") {
            let own_app = match call {
                Call::RelationGet { app: true, member, .. } => member == self.app(),
                Call::RelationSet { app, .. } => *app,
                _ => false,
            };
            // Juju refuses a follower on its own app databag with the same words: ask.
            if own_app && self.is_leader().ok() != Some(true) {
                return ToolError::NotLeader { tool };
            }
            return ToolError::RelationGone { tool, relation: relation() };
        }
        if tool.starts_with("secret-") && lower.contains("not found") {
            let id = match call {
                Call::SecretGet { id, label, .. } => id.clone().or(label.clone()).unwrap_or_default(),
                Call::SecretGrant { id, .. } => id.clone(),
                _ => String::new(),
            };
            return ToolError::SecretNotFound { id };
        }
        if lower.contains("not the leader") || lower.contains("not leader") {
            return ToolError::NotLeader { tool };
        }
        ToolError::Failed { tool, code, stderr }
    }

    fn json<T: DeserializeOwned>(&mut self, call: &Call) -> Result<T, ToolError> {
        let stdout = self.run(call)?;
        serde_json::from_str(&stdout).map_err(|source| ToolError::NotJson { tool: call.tool(), source })
    }

    /// `relation-ids <endpoint> --format=json`: the relations on `endpoint`. Always asked (one
    /// call): a cache forgets the relations of the endpoint that are no longer listed.
    pub fn relation_ids(&mut self, endpoint: &str) -> Result<Vec<RelationRef>, ToolError> {
        let relations = self.read_relation_ids(endpoint)?;
        if let Some(cache) = &mut self.cache {
            let listed: BTreeSet<u32> = relations.iter().map(|relation| relation.id).collect();
            cache.relations.retain(|id, cached| cached.endpoint != endpoint || listed.contains(id));
        }
        Ok(relations)
    }

    fn read_relation_ids(&mut self, endpoint: &str) -> Result<Vec<RelationRef>, ToolError> {
        let call = Call::RelationIds { endpoint: endpoint.to_owned() };
        let ids: Vec<String> = self.json(&call)?;
        ids.iter()
            .map(|text| {
                text.parse::<RelationRef>().map(|mut relation| {
                    if relation.endpoint.is_empty() {
                        relation.endpoint = endpoint.to_owned();
                    }
                    relation
                })
            })
            .collect::<Result<_, _>>()
            .map_err(|err| ToolError::NotJson {
                tool: "relation-ids",
                source: serde::de::Error::custom(format_args!("{err}")),
            })
    }

    /// `relation-list --format=json -r <ref>`: the remote units that have joined.
    pub fn relation_units(&mut self, relation: &RelationRef) -> Result<Vec<String>, ToolError> {
        if let Some(units) = self.cached_relation(relation).and_then(|cached| cached.units.clone()) {
            return Ok(units.into_iter().collect());
        }
        let units: Vec<String> = self.json(&Call::RelationList { relation: relation.clone(), app: false })?;
        if let Some(cached) = self.cached_relation(relation) {
            cached.units = Some(units.iter().cloned().collect());
        }
        Ok(units)
    }

    /// `relation-list --format=json --app -r <ref>`: the remote application.
    pub fn relation_app(&mut self, relation: &RelationRef) -> Result<String, ToolError> {
        if let Some(app) = self.cached_relation(relation).and_then(|cached| cached.remote_app.clone()) {
            return Ok(app);
        }
        let app: String = self.json(&Call::RelationList { relation: relation.clone(), app: true })?;
        if let Some(cached) = self.cached_relation(relation) {
            cached.remote_app = Some(app.clone());
        }
        Ok(app)
    }

    /// `relation-get --format=json -r <ref> - <unit>`: a unit's databag.
    pub fn unit_databag(&mut self, relation: &RelationRef, unit: &str) -> Result<Databag, ToolError> {
        self.databag(relation, unit, false)
    }

    /// `relation-get --format=json -r <ref> --app - <app>`: an application's databag (this
    /// unit's own application's: leader only).
    pub fn app_databag(&mut self, relation: &RelationRef, app: &str) -> Result<Databag, ToolError> {
        self.databag(relation, app, true)
    }

    fn databag(&mut self, relation: &RelationRef, member: &str, app: bool) -> Result<Databag, ToolError> {
        let whose = self.whose(member, app);
        // This unit's application databag is the leader's to know: trusted only when the cache
        // was written by the leader and this unit still is (is-leader, asked once per hook).
        let own_app_trusted = whose != Whose::OwnApp
            || (self.cache.as_ref().is_some_and(|cache| cache.leader == Some(true)) && self.leader == Some(true));
        if own_app_trusted {
            let cached = self.cached_relation(relation).and_then(|cached| whose.cached(cached, member));
            if let Some(databag) = cached {
                return Ok(databag);
            }
        }
        let call = Call::RelationGet { relation: relation.clone(), member: member.to_owned(), app, key: None };
        // Juju prints `null`... for nothing on some versions; an empty databag either way.
        let databag: Option<Databag> = self.json(&call)?;
        let databag = databag.unwrap_or_default();
        if let Some(cached) = self.cached_relation(relation) {
            whose.keep(cached, member, databag.clone());
        }
        Ok(databag)
    }

    fn whose(&self, member: &str, app: bool) -> Whose {
        match (app, member == self.unit, member == self.app()) {
            (false, true, _) => Whose::OwnUnit,
            (true, _, true) => Whose::OwnApp,
            (false, _, _) => Whose::RemoteUnit,
            (true, _, _) => Whose::RemoteApp,
        }
    }

    /// `relation-set -r <ref> --file -` with `data` on standard input (`""` deletes a key): this
    /// unit's databag. Does nothing for an empty map (ops refuses one too).
    pub fn set_unit_databag(&mut self, relation: &RelationRef, data: &Databag) -> Result<(), ToolError> {
        self.relation_set(relation, false, data)
    }

    /// `relation-set -r <ref> --app --file -` with `data` on standard input (`""` deletes a
    /// key): this unit's application databag (leader only). Does nothing for an empty map.
    pub fn set_app_databag(&mut self, relation: &RelationRef, data: &Databag) -> Result<(), ToolError> {
        self.relation_set(relation, true, data)
    }

    fn relation_set(&mut self, relation: &RelationRef, app: bool, data: &Databag) -> Result<(), ToolError> {
        if data.is_empty() {
            return Ok(());
        }
        let result = self.run(&Call::RelationSet { relation: relation.clone(), app, data: data.clone() });
        if let Some(cached) = self.cached_relation(relation) {
            let slot = if app { &mut cached.own_app_data } else { &mut cached.own_unit_data };
            match (&result, slot.as_mut()) {
                // What was written is known only on top of what was known before it.
                (Ok(_), Some(databag)) => apply_relation_set(databag, data),
                // A failed call may still have been applied (a timeout after the agent took
                // it): the databag is read again next time.
                (Err(_), _) => *slot = None,
                (Ok(_), None) => {}
            }
        }
        result.map(drop)
    }

    /// `is-leader --format=json`, asked once per hook.
    pub fn is_leader(&mut self) -> Result<bool, ToolError> {
        if let Some(leader) = self.leader {
            return Ok(leader);
        }
        let leader = self.json(&Call::IsLeader)?;
        self.leader = Some(leader);
        Ok(leader)
    }

    /// `config-get --format=json`: every option that is set or has a default.
    pub fn config(&mut self) -> Result<CharmConfig, ToolError> {
        let config: Option<serde_json::Map<String, serde_json::Value>> = self.json(&Call::ConfigGet { key: None })?;
        Ok(CharmConfig::new(config.unwrap_or_default()))
    }

    /// `secret-get --format=json <id> [--refresh | --peek]`: a secret's content, of the revision
    /// `revision` says ([`SecretRevision::Refresh`]: the latest, tracked from now on; without it, a
    /// unit keeps reading the revision it first saw: cos-coordinated-workers #16, #171).
    pub fn secret_get(&mut self, id: &str, revision: SecretRevision) -> Result<BTreeMap<String, String>, ToolError> {
        let (refresh, peek) = match revision {
            SecretRevision::Tracked => (false, false),
            SecretRevision::Refresh => (true, false),
            SecretRevision::Peek => (false, true),
        };
        self.json(&Call::SecretGet { id: Some(id.to_owned()), label: None, refresh, peek })
    }

    /// `secret-grant --relation <id> <secret id>`: the remote application of the relation may
    /// read the secret. Granting again is harmless.
    pub fn secret_grant(&mut self, id: &str, relation: &RelationRef) -> Result<(), ToolError> {
        let relation = relation.id;
        self.run(&Call::SecretGrant { id: id.to_owned(), relation, unit: None }).map(drop)
    }

    /// `network-get --format=json <binding>`.
    pub fn network_get(&mut self, binding: &str) -> Result<Network, ToolError> {
        self.json(&Call::NetworkGet { binding: binding.to_owned(), relation: None })
    }

    /// `status-set --application=<True|False> <status> -- <message>`: the unit's status, or with
    /// [`StatusTarget::App`] the application's (leader only). The message is cut to
    /// [`STATUS_MESSAGE_LIMIT`] characters (ending in `…`): whatever a charm puts in it (a
    /// refusal quoting a remote databag), the call cannot fail for its length.
    /// With a cache, a status already set is not set again.
    pub fn status_set(&mut self, target: StatusTarget, status: StatusName, message: &str) -> Result<(), ToolError> {
        let app = target == StatusTarget::App;
        let wanted = Some((status, fit_status(message)));
        if let Some(cache) = &self.cache {
            let last = if app { &cache.app_status } else { &cache.unit_status };
            if *last == wanted {
                return Ok(());
            }
        }
        let result = self.run(&Call::StatusSet { app, status, message: fit_status(message) });
        if let Some(cache) = &mut self.cache {
            // A failed call may still have been applied: set the status again next time.
            *(if app { &mut cache.app_status } else { &mut cache.unit_status }) =
                result.is_ok().then_some(wanted).flatten();
        }
        result.map(drop)
    }

    /// `application-version-set -- <version>`.
    pub fn application_version_set(&mut self, version: &str) -> Result<(), ToolError> {
        self.run(&Call::ApplicationVersionSet { version: version.to_owned() }).map(drop)
    }

    /// `juju-log --log-level <LEVEL> -- <message>`, split into calls of at most
    /// [`LOG_MESSAGE_BYTES`] bytes each, at character boundaries.
    ///
    /// ops splits at 131071 *characters* (ops 3.9 `model.py`, `MAX_LOG_LINE_LEN`, "Max length of
    /// strings to pass to subshell", and `_ModelBackend.log_split`), but the kernel's limit is on
    /// bytes: Linux refuses an argument of more than `MAX_ARG_STRLEN` (32 pages, 131072 bytes with
    /// its NUL) with E2BIG, which 131071 characters of `é` (262142 bytes) pass.
    pub fn log(&mut self, level: LogLevel, message: &str) -> Result<(), ToolError> {
        for chunk in byte_chunks(message, LOG_MESSAGE_BYTES) {
            self.run(&Call::JujuLog { level: level.as_str().into(), message: chunk.to_owned() })?;
        }
        Ok(())
    }

    /// `opened-ports --format=json`: the TCP ports this unit has open.
    pub fn opened_ports(&mut self) -> Result<Vec<u16>, ToolError> {
        if let Some(ports) = self.cache.as_ref().and_then(|cache| cache.opened_ports.clone()) {
            return Ok(ports.into_iter().collect());
        }
        let ports: Vec<String> = self.json(&Call::OpenedPorts)?;
        let ports: Vec<u16> =
            ports.iter().filter_map(|port| port.strip_suffix("/tcp").unwrap_or(port).parse().ok()).collect();
        if let Some(cache) = &mut self.cache {
            cache.opened_ports = Some(ports.iter().copied().collect());
        }
        Ok(ports)
    }

    /// `open-port <port>/tcp`.
    pub fn open_port(&mut self, port: u16) -> Result<(), ToolError> {
        let result = self.run(&Call::OpenPort { port, protocol: "tcp".into() });
        self.note_port(port, true, result.is_ok());
        result.map(drop)
    }

    /// `close-port <port>/tcp`.
    pub fn close_port(&mut self, port: u16) -> Result<(), ToolError> {
        let result = self.run(&Call::ClosePort { port, protocol: "tcp".into() });
        self.note_port(port, false, result.is_ok());
        result.map(drop)
    }

    /// Keeps the cache's open ports in step with an `open-port` (`open`) or `close-port` call;
    /// after a failed one (which may still have been applied) they are read again next time.
    fn note_port(&mut self, port: u16, open: bool, succeeded: bool) {
        let Some(cache) = self.cache.as_mut() else { return };
        match (succeeded, cache.opened_ports.as_mut()) {
            (false, _) => cache.opened_ports = None,
            (true, Some(ports)) if open => {
                ports.insert(port);
            }
            (true, Some(ports)) => {
                ports.remove(&port);
            }
            (true, None) => {}
        }
    }
}

/// Whose databag a read is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whose {
    OwnUnit,
    OwnApp,
    RemoteUnit,
    RemoteApp,
}

impl Whose {
    /// What the cache holds of it.
    fn cached(self, cached: &CachedRelation, member: &str) -> Option<Databag> {
        match self {
            Whose::OwnUnit => cached.own_unit_data.clone(),
            Whose::OwnApp => cached.own_app_data.clone(),
            Whose::RemoteApp => cached.remote_app_data.clone(),
            Whose::RemoteUnit => cached.remote_unit_data.get(member).cloned(),
        }
    }

    /// Keeps `databag` as what the cache holds of it.
    fn keep(self, cached: &mut CachedRelation, member: &str, databag: Databag) {
        match self {
            Whose::OwnUnit => cached.own_unit_data = Some(databag),
            Whose::OwnApp => cached.own_app_data = Some(databag),
            Whose::RemoteApp => cached.remote_app_data = Some(databag),
            Whose::RemoteUnit => {
                cached.remote_unit_data.insert(member.to_owned(), databag);
            }
        }
    }
}

/// The most characters of a status message [`HookTools::status_set`] sends: the provider's
/// `Status::MESSAGE_LIMIT`, one line of `juju status`.
pub const STATUS_MESSAGE_LIMIT: usize = 120;

/// The most bytes of one `juju-log` message: Linux's `MAX_ARG_STRLEN` (131072, with the NUL).
pub const LOG_MESSAGE_BYTES: usize = 131_071;

/// `message` cut to [`STATUS_MESSAGE_LIMIT`] characters, the last one `…` when it is cut.
fn fit_status(message: &str) -> String {
    match message.char_indices().nth(STATUS_MESSAGE_LIMIT) {
        None => message.to_owned(),
        Some(_) => {
            let kept: String = message.chars().take(STATUS_MESSAGE_LIMIT - 1).collect();
            format!("{}…", kept.trim_end())
        }
    }
}

/// `text` in pieces of at most `max` bytes (`max` ≥ 4), each cut at a character boundary; one
/// piece for an empty text.
fn byte_chunks(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        if text.len() <= max {
            rest = None;
            return Some(text);
        }
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        rest = Some(&text[cut..]);
        Some(&text[..cut])
    })
}

/// Juju's words for a relation it does not have: "relation not found" (most tools) or
/// "relation 42 not found" (`network-get`).
fn relation_not_found(lower: &str) -> bool {
    lower.match_indices("relation ").any(|(at, _)| {
        let rest = &lower[at + "relation ".len()..];
        let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit()).trim_start();
        rest.starts_with("not found")
    })
}

#[cfg(test)]
mod tests {
    use super::{byte_chunks, fit_status, relation_not_found};

    #[test]
    fn log_chunks_are_bounded_in_bytes_at_character_boundaries() {
        let wide = "é".repeat(131_071);
        let chunks: Vec<&str> = byte_chunks(&wide, 131_071).collect();
        assert_eq!(chunks.iter().map(|c| c.len()).collect::<Vec<_>>(), [131_070, 131_070, 2]);
        assert_eq!(chunks.concat(), wide);
        assert_eq!(byte_chunks("", 8).collect::<Vec<_>>(), [""]);
        assert_eq!(byte_chunks("abcdefgh", 8).collect::<Vec<_>>(), ["abcdefgh"]);
        assert_eq!(byte_chunks("abc€defgh", 5).collect::<Vec<_>>(), ["abc", "€de", "fgh"]);
    }

    #[test]
    fn status_messages_are_cut() {
        assert_eq!(fit_status("short"), "short");
        let exact = "x".repeat(120);
        assert_eq!(fit_status(&exact), exact);
        let long = "é".repeat(200_000);
        let fitted = fit_status(&long);
        assert_eq!(fitted.chars().count(), 120);
        assert!(fitted.ends_with('…'));
    }

    #[test]
    fn relation_not_found_wordings() {
        assert!(relation_not_found("error relation not found"));
        assert!(relation_not_found("error relation 42 not found"));
        assert!(relation_not_found("error invalid value \"9\" for option -r: relation not found"));
        assert!(!relation_not_found("error secret not found"));
        assert!(!relation_not_found("error permission denied"));
    }
}

//! [`HookTools`]: the hook tools as typed calls, and what their failures mean ([`ToolError`]).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::Databag;
use crate::call::{Call, LogLevel, RelationRef, StatusName, StatusTarget};
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
}

impl<R: Runner> HookTools<R> {
    /// The tools of `unit` (`pyroscope-worker/0`), run by `runner`.
    pub fn new(runner: R, unit: impl Into<String>) -> Self {
        Self { runner, unit: unit.into(), leader: None, calls: BTreeMap::new() }
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

    /// `relation-ids <endpoint> --format=json`: the relations on `endpoint`.
    pub fn relation_ids(&mut self, endpoint: &str) -> Result<Vec<RelationRef>, ToolError> {
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
        self.json(&Call::RelationList { relation: relation.clone(), app: false })
    }

    /// `relation-list --format=json --app -r <ref>`: the remote application.
    pub fn relation_app(&mut self, relation: &RelationRef) -> Result<String, ToolError> {
        self.json(&Call::RelationList { relation: relation.clone(), app: true })
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
        let call = Call::RelationGet { relation: relation.clone(), member: member.to_owned(), app, key: None };
        // Juju prints `null`... for nothing on some versions; an empty databag either way.
        let databag: Option<Databag> = self.json(&call)?;
        Ok(databag.unwrap_or_default())
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
        self.run(&Call::RelationSet { relation: relation.clone(), app, data: data.clone() }).map(drop)
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
    /// [`StatusTarget::App`] the application's (leader only).
    pub fn status_set(&mut self, target: StatusTarget, status: StatusName, message: &str) -> Result<(), ToolError> {
        let app = target == StatusTarget::App;
        self.run(&Call::StatusSet { app, status, message: message.to_owned() }).map(drop)
    }

    /// `application-version-set -- <version>`.
    pub fn application_version_set(&mut self, version: &str) -> Result<(), ToolError> {
        self.run(&Call::ApplicationVersionSet { version: version.to_owned() }).map(drop)
    }

    /// `juju-log --log-level <LEVEL> -- <message>`, split as ops splits it (131071 characters a
    /// call).
    pub fn log(&mut self, level: LogLevel, message: &str) -> Result<(), ToolError> {
        const MAX: usize = 131_071;
        let chars: Vec<char> = message.chars().collect();
        if chars.len() <= MAX {
            return self.run(&Call::JujuLog { level: level.as_str().into(), message: message.to_owned() }).map(drop);
        }
        for chunk in chars.chunks(MAX) {
            let message: String = chunk.iter().collect();
            self.run(&Call::JujuLog { level: level.as_str().into(), message })?;
        }
        Ok(())
    }

    /// `opened-ports --format=json`: the TCP ports this unit has open.
    pub fn opened_ports(&mut self) -> Result<Vec<u16>, ToolError> {
        let ports: Vec<String> = self.json(&Call::OpenedPorts)?;
        Ok(ports.iter().filter_map(|port| port.strip_suffix("/tcp").unwrap_or(port).parse().ok()).collect())
    }

    /// `open-port <port>/tcp`.
    pub fn open_port(&mut self, port: u16) -> Result<(), ToolError> {
        self.run(&Call::OpenPort { port, protocol: "tcp".into() }).map(drop)
    }

    /// `close-port <port>/tcp`.
    pub fn close_port(&mut self, port: u16) -> Result<(), ToolError> {
        self.run(&Call::ClosePort { port, protocol: "tcp".into() }).map(drop)
    }
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
    use super::relation_not_found;

    #[test]
    fn relation_not_found_wordings() {
        assert!(relation_not_found("error relation not found"));
        assert!(relation_not_found("error relation 42 not found"));
        assert!(relation_not_found("error invalid value \"9\" for option -r: relation not found"));
        assert!(!relation_not_found("error secret not found"));
        assert!(!relation_not_found("error permission denied"));
    }
}

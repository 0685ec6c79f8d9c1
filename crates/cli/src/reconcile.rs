//! `reconcile`: simulate the coordinator on a snapshot of its worker relations.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pyroscope_cluster_model::{Architecture, RawDatabag, Role};
use pyroscope_cluster_provider::{
    Extras, PyroscopeRelease, Reconciliation, Settings, Snapshot, StatusLevel, WorkerRelation, minimal_deployment,
    recommended_deployment, reconcile,
};
use serde::{Deserialize, Serialize};

use crate::input::Source;
use crate::{Failure, Format};

/// The input: the coordinator's settings and extras, and its worker relations with raw databags.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    /// The coordinator's settings (`external_url`, `s3`, `retention_period`, ...); all optional.
    #[serde(default)]
    settings: Settings,
    /// What the coordinator publishes besides the configuration (`worker_ports`, `tls`, ...).
    #[serde(default)]
    extras: Extras,
    /// The worker relations: `{id, app, app_data, units: {unit: databag}, published}`.
    #[serde(default)]
    relations: Vec<WorkerRelation>,
}

/// The output, as JSON.
#[derive(Debug, Serialize)]
struct Output {
    /// The Pyroscope release the configuration is rendered for.
    pyroscope: PyroscopeRelease,
    /// The storage architecture, when it is not the default `v1`.
    #[serde(skip_serializing_if = "is_v1")]
    architecture: Architecture,
    status: Status,
    /// Relation ID -> the provider app databag to write (the whole databag, as it must end up).
    publish: BTreeMap<String, RawDatabag>,
    /// Relation ID -> why nothing is written to it.
    not_ready: BTreeMap<String, Vec<String>>,
    /// Why no configuration could be built, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    config_error: Option<String>,
    addresses: Vec<String>,
    addresses_by_role: BTreeMap<Role, Vec<String>>,
    /// Address -> the units that published it, for addresses of more than one unit.
    shared_addresses: BTreeMap<String, Vec<String>>,
    /// Units per role, meta-roles expanded, every role of the architecture listed.
    roles: BTreeMap<Role, usize>,
    missing_roles: Vec<Role>,
    coherent: bool,
    below_recommended: Vec<Shortfall>,
}

fn is_v1(architecture: &Architecture) -> bool {
    *architecture == Architecture::V1
}

#[derive(Debug, Serialize)]
struct Status {
    level: &'static str,
    message: String,
}

#[derive(Debug, Serialize)]
struct Shortfall {
    role: Role,
    have: usize,
    want: usize,
}

pub(crate) fn run(
    source: &Source,
    text: &str,
    format: Format,
    pyroscope: Option<PyroscopeRelease>,
) -> Result<String, Failure> {
    let mut input: Input = crate::input::parse_yaml_or_json(text)
        .map_err(|err| Failure::invalid(format!("{}: not a valid reconcile input: {err}", source.name())))?;
    if let Some(release) = pyroscope {
        input.settings.pyroscope = release;
    }
    let snapshot = Snapshot::from_iter(input.relations);
    let outcome = reconcile(&snapshot, &input.settings, &input.extras);
    let release = input.settings.pyroscope;
    match format {
        Format::Json => {
            serde_json::to_string_pretty(&output(&outcome, release)).map_err(|err| Failure::internal(err.to_string()))
        }
        Format::Text => Ok(text_report(&outcome, release)),
    }
}

fn output(outcome: &Reconciliation, pyroscope: PyroscopeRelease) -> Output {
    let view = &outcome.view;
    let status = outcome.status();
    let mut not_ready: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for problem in view.problems() {
        not_ready.entry(problem.relation.to_string()).or_default().push(problem.reason.to_string());
    }
    let publish = outcome
        .plan
        .iter()
        .flat_map(|plan| {
            plan.writes().iter().map(|write| (write.relation.to_string(), plan.databag_for(write.relation).clone()))
        })
        .collect();
    let roles = view.architecture().roles().iter().map(|&role| (role, view.units_with(role))).collect();
    Output {
        pyroscope,
        architecture: view.architecture(),
        status: Status { level: level(status.level), message: status.message },
        publish,
        not_ready,
        config_error: outcome.config.as_ref().err().map(ToString::to_string),
        addresses: view.addresses().map(ToString::to_string).collect(),
        addresses_by_role: view
            .addresses_by_role()
            .into_iter()
            .map(|(role, addresses)| (role, addresses.into_iter().map(ToString::to_string).collect()))
            .collect(),
        shared_addresses: view
            .shared_addresses()
            .into_iter()
            .map(|(address, workers)| (address.to_string(), workers.iter().map(|w| w.unit.clone()).collect()))
            .collect(),
        roles,
        missing_roles: outcome.coherence.missing.iter().map(|shortfall| shortfall.role).collect(),
        coherent: outcome.coherence.is_coherent(),
        below_recommended: outcome
            .coherence
            .below_recommended
            .iter()
            .map(|s| Shortfall { role: s.role, have: s.have, want: s.want })
            .collect(),
    }
}

fn level(level: StatusLevel) -> &'static str {
    match level {
        StatusLevel::Active => "active",
        StatusLevel::Blocked => "blocked",
    }
}

/// A summary for a person: the status, a table of roles, and every reason.
fn text_report(outcome: &Reconciliation, pyroscope: PyroscopeRelease) -> String {
    let view = &outcome.view;
    let status = outcome.status();
    let mut out = String::new();
    match status.message.as_str() {
        "" => writeln!(out, "status: {}", level(status.level)),
        message => writeln!(out, "status: {}: {message}", level(status.level)),
    }
    .ok();
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<18} {:>5} {:>8} {:>12}", "role", "have", "minimal", "recommended");
    let want = |table: &[(Role, usize)], role: Role| table.iter().find(|(r, _)| *r == role).map_or(0, |(_, n)| *n);
    let architecture = view.architecture();
    for &role in architecture.roles() {
        let have = view.units_with(role);
        let minimal = want(minimal_deployment(architecture), role);
        let recommended = want(recommended_deployment(architecture), role);
        let mark = if have < minimal {
            "  missing"
        } else if have < recommended {
            "  below recommended"
        } else {
            ""
        };
        let _ = writeln!(out, "{:<18} {have:>5} {minimal:>8} {recommended:>12}{mark}", role.as_str());
    }
    let _ = writeln!(out);
    let ready: Vec<String> = view.ready_relations().map(|report| format!("{} ({})", report.id, report.app)).collect();
    let _ = writeln!(out, "ready relations: {}", if ready.is_empty() { "none".into() } else { ready.join(", ") });
    let _ = writeln!(out, "gossip members: {}", view.addresses().len());
    match architecture {
        Architecture::V1 => writeln!(out, "configuration for Pyroscope {pyroscope}"),
        other => writeln!(out, "configuration for Pyroscope {pyroscope}, storage architecture {other}"),
    }
    .ok();
    if let Err(err) = &outcome.config {
        let _ = writeln!(out, "no configuration: {err}");
    }
    let problems: Vec<String> = view.problems().map(ToString::to_string).collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\nnot ready:");
        for problem in problems {
            let _ = writeln!(out, "- {problem}");
        }
    }
    out.truncate(out.trim_end().len());
    out
}

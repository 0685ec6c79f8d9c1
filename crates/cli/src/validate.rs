//! `validate`: a whole relation state, or every `pyroscope_cluster` databag in a `juju show-unit`
//! capture, checked against the interface; every problem printed with where it is.

use std::fmt::Write as _;

use pyroscope_cluster_model::{Address, DatabagModel, ErrorChain, ProviderAppData, RawDatabag};
use pyroscope_cluster_release::{CheckError, KeyProblem, PyroscopeRelease, check_yaml};
use pyroscope_cluster_requirer::{ClusterData, InvalidData, ThisWorker};
use pyroscope_cluster_schema::{Form, Issue, RelationDatabag, Side, validate_databag, validate_relation_state};
use serde_json::{Map, Value};

use crate::input::Source;
use crate::{Failure, SideArg};

/// Where the databags of a `juju show-unit` capture come from, and what `worker_config` is
/// checked against.
pub(crate) struct ShowUnitOptions {
    /// The endpoint whose relations to check.
    pub(crate) endpoint: String,
    /// Which side the captured unit is on, when it cannot be told from the capture.
    pub(crate) side: Option<SideArg>,
    /// The Pyroscope release the workers run.
    pub(crate) pyroscope: PyroscopeRelease,
}

/// Where `worker_config`'s problems are reported.
const WORKER_CONFIG: &str = "provider.app.worker_config";

/// The problems a worker on `release` (at `address`, when known) finds in the coordinator's
/// `worker_config`, each an issue at its key path under `provider.app.worker_config`.
fn worker_config_issues(worker_config: &str, release: PyroscopeRelease, address: Option<&Address>) -> Vec<Issue> {
    let data = match ClusterData::try_from(ProviderAppData::new(worker_config)) {
        Ok(data) => data,
        Err(err) => return vec![Issue { path: WORKER_CONFIG.to_owned(), message: ErrorChain(&err).to_string() }],
    };
    let checked = match address {
        Some(address) => data.check(&ThisWorker { pyroscope: release, address }),
        None => match check_yaml(release, worker_config) {
            Ok(()) => Ok(()),
            Err(CheckError::Refused(refusal)) => Err(InvalidData::Refused(refusal)),
            Err(err) => {
                return vec![Issue { path: WORKER_CONFIG.to_owned(), message: ErrorChain(&err).to_string() }];
            }
        },
    };
    let Err(invalid) = checked else { return vec![] };
    let at = |path: &str| {
        if path.is_empty() { WORKER_CONFIG.to_owned() } else { format!("{WORKER_CONFIG}.{path}") }
    };
    invalid_data_issues(&invalid).into_iter().map(|(path, message)| Issue { path: at(&path), message }).collect()
}

/// What a worker's checks found, as `(key path in worker_config, reason)` pairs: each key a
/// refusing release names, the worker missing from `memberlist.join_members`, or the whole data
/// (an empty path).
pub(crate) fn invalid_data_issues(invalid: &InvalidData) -> Vec<(String, String)> {
    match invalid {
        InvalidData::Refused(refusal) => refusal
            .problems
            .iter()
            .map(|problem| {
                let mut reason = problem.reason(refusal.release).to_string();
                if let KeyProblem::UnknownKey { .. } = problem.problem
                    && let Some(near) = crate::hints::nearest_key(refusal.release, &problem.path)
                {
                    reason.push_str(&format!("; did you mean `{near}`?"));
                }
                (problem.path.clone(), crate::hints::with_look_alikes(reason))
            })
            .collect(),
        InvalidData::NotListed { member } => vec![(
            "memberlist.join_members".to_owned(),
            format!("does not list this worker ({member}): the coordinator has not counted it"),
        )],
        other => vec![(String::new(), crate::hints::with_look_alikes(ErrorChain(other).to_string()))],
    }
}

/// A string value of a databag: as is when decoded, JSON-decoded when on the wire.
fn string_value(value: Option<&Value>, wire: bool) -> Option<String> {
    let text = value?.as_str()?;
    if wire { serde_json::from_str::<String>(text).ok() } else { Some(text.to_owned()) }
}

/// What `validate` found: a report for stdout, and whether it found problems.
pub(crate) struct Report {
    pub(crate) text: String,
    pub(crate) problems: usize,
}

pub(crate) fn run(source: &Source, text: &str, wire: bool, options: &ShowUnitOptions) -> Result<Report, Failure> {
    let document: Value = crate::input::parse_yaml_or_json(text)
        .map_err(|err| Failure::invalid(format!("{}: not YAML or JSON: {err}", source.name())))?;
    let Value::Object(top) = &document else {
        return Err(Failure::invalid(format!("{}: expected a mapping at the top", source.name())));
    };
    if top.contains_key("provider") || top.contains_key("requirer") {
        let form = if wire { Form::Wire } else { Form::Decoded };
        let mut issues =
            validate_relation_state(&document, form).err().map(|invalid| invalid.issues).unwrap_or_default();
        let config = string_value(document.pointer("/provider/app/worker_config"), wire);
        let address = string_value(document.pointer("/requirer/unit/address"), wire);
        if let Some(config) = config {
            let address = address.and_then(|text| text.parse::<Address>().ok());
            issues.extend(worker_config_issues(&config, options.pyroscope, address.as_ref()));
        }
        let text =
            issues.iter().map(|issue| crate::hints::with_look_alikes(format!("{issue}")) + "\n").collect::<String>();
        let summary = format!("relation state ({} values)", if wire { "wire" } else { "decoded" });
        return Ok(report(text, issues.len(), &summary));
    }
    if top.values().any(|unit| unit.get("relation-info").is_some()) {
        return show_unit(source, top, options);
    }
    Err(Failure::invalid(format!(
        "{}: neither a relation state (`provider`/`requirer` at the top) nor `juju show-unit` output \
         (`<unit>: {{relation-info: [...]}}`)",
        source.name()
    )))
}

fn report(mut text: String, problems: usize, what: &str) -> Report {
    match problems {
        0 => writeln!(text, "ok: no problem in {what}"),
        1 => writeln!(text, "1 problem in {what}"),
        n => writeln!(text, "{n} problems in {what}"),
    }
    .ok();
    Report { text, problems }
}

fn show_unit(source: &Source, units: &Map<String, Value>, options: &ShowUnitOptions) -> Result<Report, Failure> {
    let mut text = String::new();
    let (mut problems, mut databags, mut relations) = (0, 0, 0);
    for (unit, info) in units {
        let Some(relation_info) = info.get("relation-info").and_then(Value::as_array) else { continue };
        let ours =
            relation_info.iter().filter(|r| r.get("endpoint").and_then(Value::as_str) == Some(&options.endpoint));
        for relation in ours {
            relations += 1;
            let id = relation.get("relation-id").map_or_else(|| "?".to_owned(), scalar);
            let side = side(unit, info, relation, options.side).ok_or_else(|| {
                Failure::usage(format!(
                    "{}: {unit}: cannot tell whether it is the coordinator or a worker; say so with --side",
                    source.name()
                ))
            })?;
            let (app_bag, remote_unit_bag, local_unit_bag) = match side {
                Side::Provider => {
                    (RelationDatabag::RequirerApp, RelationDatabag::RequirerUnit, RelationDatabag::ProviderUnit)
                }
                Side::Requirer => {
                    (RelationDatabag::ProviderApp, RelationDatabag::ProviderUnit, RelationDatabag::RequirerUnit)
                }
            };
            let mut check = |place: String, databag: RelationDatabag, value: Option<&Value>| {
                databags += 1;
                let issues = match value.map(raw_databag).unwrap_or(Ok(RawDatabag::new())) {
                    Ok(raw) => validate_databag(databag, &raw).err().map(|invalid| invalid.issues).unwrap_or_default(),
                    Err(issue) => vec![Issue { path: databag.path().to_owned(), message: issue }],
                };
                for issue in &issues {
                    let _ = writeln!(text, "{}", crate::hints::with_look_alikes(format!("{place}: {issue}")));
                }
                problems += issues.len();
            };
            let here = format!("{unit} relation {id}");
            check(format!("{here} application-data"), app_bag, relation.get("application-data"));
            if let Some(local) = relation.get("local-unit") {
                check(format!("{here} local-unit"), local_unit_bag, local.get("data"));
            }
            let remote_units = relation.get("related-units").and_then(Value::as_object);
            for (remote, remote_info) in remote_units.into_iter().flatten() {
                check(format!("{here} {remote}"), remote_unit_bag, remote_info.get("data"));
            }
            // A worker's capture: the coordinator's configuration, as this worker checks it.
            if side == Side::Requirer {
                let app = relation.get("application-data").map(raw_databag).and_then(Result::ok);
                let data = app.as_ref().and_then(|raw| ProviderAppData::decode(raw).ok());
                let local = relation.pointer("/local-unit/data/address");
                let address = string_value(local, true).and_then(|text| text.parse::<Address>().ok());
                if let Some(data) = data {
                    let issues = worker_config_issues(&data.worker_config, options.pyroscope, address.as_ref());
                    for issue in &issues {
                        let _ = writeln!(text, "{here} application-data: {issue}");
                    }
                    problems += issues.len();
                }
            }
        }
    }
    if relations == 0 {
        return Err(Failure::invalid(format!(
            "{}: no relation on the endpoint `{}` (name another with --endpoint)",
            source.name(),
            options.endpoint
        )));
    }
    Ok(report(text, problems, &format!("{} of {}", count(databags, "databag"), count(relations, "relation"))))
}

/// The side the captured unit is on (on the provider side the remote app and units are workers;
/// on the requirer side the remote app is the coordinator and the unit's own databag shows as
/// `local-unit`): from `--side`, else from the charm's name, else from what the remote app
/// published.
fn side(unit: &str, info: &Value, relation: &Value, given: Option<SideArg>) -> Option<Side> {
    if let Some(given) = given {
        return Some(given.into());
    }
    let charm = info.get("charm").and_then(Value::as_str).unwrap_or(unit);
    if charm.contains("coordinator") {
        return Some(Side::Provider);
    }
    if charm.contains("worker") {
        return Some(Side::Requirer);
    }
    let remote_app = relation.get("application-data").and_then(Value::as_object)?;
    if remote_app.contains_key("worker_config") {
        Some(Side::Requirer)
    } else if remote_app.contains_key("role") {
        Some(Side::Provider)
    } else {
        None
    }
}

/// A databag as `juju show-unit` prints it: a mapping of string to string.
fn raw_databag(value: &Value) -> Result<RawDatabag, String> {
    match value {
        Value::Null => Ok(RawDatabag::new()),
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| match value {
                Value::String(text) => Ok((key.clone(), text.clone())),
                other => Err(format!("key `{key}`: a databag value is a string, not {}", kind(other))),
            })
            .collect(),
        other => Err(format!("a databag is a mapping of string to string, not {}", kind(other))),
    }
}

/// `1 relation`, `2 relations`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

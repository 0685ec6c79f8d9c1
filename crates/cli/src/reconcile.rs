//! `reconcile`: simulate the coordinator on a snapshot of its worker relations.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use pyroscope_cluster_model::{
    Address, Architecture, ChangedKeys, DatabagModel, ErrorChain, ProviderAppData, RawDatabag, Role,
};
use pyroscope_cluster_provider::{
    Extras, PyroscopeRelease, ReconcileInput, Reconciliation, RelationId, Settings, Snapshot, StatusLevel, WorkerPorts,
    minimal_deployment, recommended_deployment, reconcile,
};
use pyroscope_cluster_requirer::{ConfigChange, RestartReason, WorkerConfig};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::input::Source;
use crate::published::{self, DEFAULT, Sources};
use crate::{Failure, Format, Secrets, capture};

/// The input: [`ReconcileInput`], the provider's, so that its fields are declared once.
type Input = ReconcileInput;

/// The output, as JSON.
#[derive(Debug, Serialize)]
struct Output<'a> {
    /// The Pyroscope release the configuration is rendered for.
    pyroscope: PyroscopeRelease,
    /// The storage architecture, when it is not the default `v1`.
    #[serde(skip_serializing_if = "is_v1")]
    architecture: Architecture,
    status: Status,
    /// Relation ID -> the provider app databag to write (the whole databag, as it must end up),
    /// written once for all the relations it goes to ([`PrettyDatabags`]).
    publish: BTreeMap<String, &'a RawValue>,
    /// Relation ID -> why nothing is written to it.
    not_ready: BTreeMap<String, Vec<String>>,
    /// Why no configuration could be built, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    config_error: Option<String>,
    addresses: Vec<&'a str>,
    addresses_by_role: BTreeMap<Role, Vec<&'a str>>,
    /// Address -> the units that published it, for addresses of more than one unit.
    shared_addresses: BTreeMap<&'a str, Vec<&'a str>>,
    /// Units per role, meta-roles expanded, every role of the architecture listed.
    roles: BTreeMap<Role, usize>,
    missing_roles: Vec<Role>,
    coherent: bool,
    below_recommended: Vec<Shortfall>,
    /// What is likely a mistake in the input, though it is not invalid (contradicting ports, a
    /// capture's S3 relation that lacks a key).
    warnings: Vec<String>,
    /// For captures: each setting (`settings.s3`, `extras.loki_endpoints`, ...) -> where its
    /// value comes from: `--settings`, `the capture's s3 relation`, `published on relation 7`
    /// (read back from the configuration the coordinator published, when `--settings` is not
    /// given), or `default`. Absent for a reconcile input, which gives its own.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    settings_from: Sources,
    /// What-if: relation ID -> what this reconciliation changes in the coordinator's app databag
    /// there, against what it holds now (`published`; from a capture, the worker units'
    /// captures). Only relations whose current databag is known (not empty) are listed.
    what_if: BTreeMap<String, WhatIf>,
}

/// What a reconciliation changes on one relation: key names only, never values.
#[derive(Debug, Serialize)]
struct WhatIf {
    /// The app at the other end.
    app: String,
    /// Whether the coordinator writes to it (its relation is ready); when not, nothing changes.
    write: bool,
    /// Keys set that were not there.
    added: Vec<String>,
    /// Keys deleted.
    removed: Vec<String>,
    /// Keys whose value changes.
    changed: Vec<String>,
    /// Whether the relation's workers would restart Pyroscope, by the requirer's rule
    /// (`ConfigChange::decide`, the current `worker_config` as the file on disk).
    restart: bool,
    /// Why, or why not: the requirer's decision.
    reason: String,
    /// Of the keys above (databag keys, and the configuration keys of a restart), those whose
    /// change comes only from a setting left to its default (`settings_from`): a change the
    /// capture does not show, which giving `--settings` may remove.
    from_defaults: Vec<String>,
}

fn is_v1(architecture: &Architecture) -> bool {
    *architecture == Architecture::V1
}

#[derive(Debug, Serialize)]
struct Status {
    level: &'static str,
    /// The message the charm sets: at most Juju's 120 characters, cut when longer.
    message: String,
    /// The whole message, never cut: every part the charm's message has or would have.
    whole_message: String,
}

#[derive(Debug, Serialize)]
struct Shortfall {
    role: Role,
    have: usize,
    want: usize,
}

/// What a settings file (`--settings`) holds: a reconcile input without relations.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsFile {
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    extras: Extras,
}

/// How `reconcile` runs, besides its inputs.
pub(crate) struct Options {
    pub(crate) format: Format,
    /// Overrides `settings.pyroscope`.
    pub(crate) pyroscope: Option<PyroscopeRelease>,
    /// For captures: settings and extras (`--settings`), as read.
    pub(crate) settings: Option<(Source, String)>,
    /// For captures: the endpoint of the worker relations.
    pub(crate) endpoint: String,
    /// The process exits once the output is written: what it holds need not be freed.
    pub(crate) exits_after: bool,
    /// Whether secret values show (`--show-secrets`).
    pub(crate) secrets: Secrets,
}

/// Reconciles one reconcile input, or the `juju show-unit` captures of the coordinator's leader
/// (one or several files); writes the output to `out` (without a final newline), and says whether
/// the status is active. Nothing is written when the input is wrong.
pub(crate) fn run(inputs: Vec<(Source, String)>, options: &Options, out: &mut dyn Write) -> Result<bool, Failure> {
    let mut warnings = Vec::new();
    let mut sources = Sources::new();
    let input = read(&inputs, options, &mut warnings, &mut sources)?;
    // The text is read: its memory goes back for what comes (a large input is megabytes).
    drop(inputs);
    reconcile_input(input, Found { warnings, sources }, options, out)
}

/// What reading the input found besides the input: warnings, and where each setting comes from.
struct Found {
    warnings: Vec<String>,
    sources: Sources,
}

/// [`run`] once its input is read.
fn reconcile_input(input: Input, found: Found, options: &Options, out: &mut dyn Write) -> Result<bool, Failure> {
    let ReconcileInput { mut settings, extras, relations } = input;
    let Found { mut warnings, sources } = found;
    if let Some(release) = options.pyroscope {
        settings.pyroscope = release;
    }
    warnings.extend(port_contradiction(&settings, &extras));
    let snapshot = Snapshot::from_iter(relations);
    let outcome = reconcile(&snapshot, &settings, &extras);
    let release = settings.pyroscope;
    let status = outcome.status();
    let active = status.level == StatusLevel::Active;
    let current: Vec<Current<'_>> = snapshot
        .relations
        .iter()
        .map(|relation| Current { id: relation.id, app: &relation.app, published: &relation.published })
        .collect();
    let what_if = what_if(&current, &outcome, &sources);
    let printed = match options.format {
        Format::Json => {
            let databags =
                PrettyDatabags::of(&outcome, options.secrets).map_err(|err| Failure::internal(err.to_string()))?;
            let mut output = output(&outcome, status, &databags, release, warnings, what_if);
            output.settings_from = sources;
            serde_json::to_writer_pretty(out, &output).map_err(|err| match err.io_error_kind() {
                Some(_) => crate::write_failure(err.into()),
                None => Failure::internal(err.to_string()),
            })
        }
        Format::Text => {
            let text = text_report(&outcome, release, &warnings, &sources, &what_if, options.secrets);
            out.write_all(text.as_bytes()).map_err(crate::write_failure)
        }
    };
    if options.exits_after {
        // The process ends once this is printed, and the system takes its memory back at once:
        // freeing a large snapshot and its view allocation by allocation would be a tenth of the
        // run.
        std::mem::forget((snapshot, outcome));
    }
    printed.map(|()| active)
}

/// What the coordinator's app databag holds now on one relation, to compare the reconciliation
/// with.
struct Current<'a> {
    id: RelationId,
    app: &'a str,
    published: &'a RawDatabag,
}

/// A reconcile input (one file), or the `juju show-unit` captures of the coordinator's leader
/// (one file or several).
fn read(
    inputs: &[(Source, String)],
    options: &Options,
    warnings: &mut Vec<String>,
    sources: &mut Sources,
) -> Result<Input, Failure> {
    Ok(match inputs {
        [(source, text)] => match crate::input::parse_reconcile_input(text) {
            Ok(input) if options.settings.is_none() => input,
            Ok(_) => {
                return Err(Failure::usage(format!(
                    "{}: --settings is for `juju show-unit` captures; a reconcile input has its own `settings`",
                    source.name()
                )));
            }
            Err(err) => match crate::input::parse_yaml_or_json::<Value>(text) {
                Ok(document) if capture::is_show_unit(&document) => from_captures(inputs, options, warnings, sources)?,
                _ => return Err(Failure::invalid(format!("{}: not a valid reconcile input: {err}", source.name()))),
            },
        },
        _ => from_captures(inputs, options, warnings, sources)?,
    })
}

/// The reconcile input that `juju show-unit` captures give: the leader's worker relations, S3
/// from its `s3` relation (as the coordinator reads it), the rest from `--settings`; without
/// `--settings`, from the configuration the coordinator published, when a worker's capture shows
/// it. `sources` gets where each setting comes from.
fn from_captures(
    inputs: &[(Source, String)],
    options: &Options,
    warnings: &mut Vec<String>,
    sources: &mut Sources,
) -> Result<Input, Failure> {
    let mut units = serde_json::Map::new();
    for (source, text) in inputs {
        let document: Value = crate::input::parse_yaml_or_json(text)
            .map_err(|err| Failure::invalid(format!("{}: not YAML or JSON: {err}", source.name())))?;
        match document {
            Value::Object(captured) if capture::is_show_unit(&Value::Object(captured.clone())) => {
                units.extend(captured)
            }
            _ => {
                return Err(Failure::invalid(format!(
                    "{}: not `juju show-unit` output (`<unit>: {{relation-info: [...]}}`): give one reconcile \
                     input, or captures only",
                    source.name()
                )));
            }
        }
    }
    let name = inputs.iter().map(|(source, _)| source.name()).collect::<Vec<_>>().join(", ");
    let capture = capture::read(&units, &options.endpoint).map_err(|err| Failure::invalid(format!("{name}: {err}")))?;
    let extras_names = ["loki_endpoints", "charm_tracing_receivers", "workload_tracing_receivers", "worker_labels"];
    let (settings, extras) = match &options.settings {
        Some((source, text)) => {
            let invalid = |err| Failure::invalid(format!("{}: not a valid settings file: {err}", source.name()));
            let SettingsFile { settings, extras } = crate::input::parse_yaml_or_json(text).map_err(invalid)?;
            let document: Value = crate::input::parse_yaml_or_json(text).map_err(invalid)?;
            let given = |section: &str, key: &str| document.get(section).and_then(|map| map.get(key)).is_some();
            for key in published::SETTINGS {
                let from = if given("settings", key) { "--settings" } else { DEFAULT };
                sources.insert(format!("settings.{key}"), from.to_owned());
            }
            for key in extras_names {
                let from = if given("extras", key) { "--settings" } else { DEFAULT };
                sources.insert(format!("extras.{key}"), from.to_owned());
            }
            (settings, extras)
        }
        None => {
            let published =
                published::read(capture.relations.iter().map(|relation| (relation.id, &relation.published)));
            let Some(published) = published else {
                for key in published::SETTINGS {
                    sources.insert(format!("settings.{key}"), DEFAULT.to_owned());
                }
                for key in extras_names {
                    sources.insert(format!("extras.{key}"), DEFAULT.to_owned());
                }
                return finish(capture, Settings::default(), Extras::default(), warnings, sources);
            };
            let there = format!("published on relation {}", published.relation);
            for key in published::SETTINGS {
                let from = if published.settings.contains_key(*key) { there.as_str() } else { DEFAULT };
                sources.insert(format!("settings.{key}"), from.to_owned());
            }
            for key in extras_names {
                let from = if published.extras_given.contains(&key) { there.as_str() } else { DEFAULT };
                sources.insert(format!("extras.{key}"), from.to_owned());
            }
            warnings.extend(published.unreadable.iter().map(|why| format!("relation {}: {why}", published.relation)));
            let settings = serde_json::from_value(Value::Object(published.settings))
                .map_err(|err| Failure::internal(format!("settings read back from a configuration: {err}")))?;
            (settings, published.extras)
        }
    };
    finish(capture, settings, extras, warnings, sources)
}

/// The reconcile input of a capture, once its settings and extras are known: S3 from the
/// capture's `s3` relation, as the coordinator reads it, when it has one (which wins over any
/// other; a warning says so when `--settings` gives S3 too).
fn finish(
    capture: capture::Capture,
    mut settings: Settings,
    mut extras: Extras,
    warnings: &mut Vec<String>,
    sources: &mut Sources,
) -> Result<Input, Failure> {
    let s3_from = sources.entry("settings.s3".to_owned()).or_insert_with(|| DEFAULT.to_owned());
    match capture.s3 {
        Some(Ok(s3)) => {
            if s3_from == "--settings" {
                warnings.push(format!(
                    "settings.s3 of --settings is not used: {}'s s3 relation is, as the coordinator reads it",
                    capture.unit
                ));
            }
            settings.s3 = s3;
            *s3_from = "the capture's s3 relation".to_owned();
        }
        Some(Err(err)) => warnings.push(format!("{}'s s3 relation: {err}", capture.unit)),
        None if s3_from == DEFAULT => warnings.push(format!(
            "{} has no s3 relation in the capture, and no S3 is given (--settings) or published",
            capture.unit
        )),
        None => {}
    }
    if extras.coordinator_app.is_none() {
        extras.coordinator_app = capture.unit.split_once('/').map(|(app, _)| app.to_owned());
    }
    Ok(Input { settings, extras, relations: capture.relations })
}

/// A warning when `extras.worker_ports` does not open the ports the configuration listens on.
fn port_contradiction(settings: &Settings, extras: &Extras) -> Option<String> {
    let WorkerPorts::Exactly(ports) = &extras.worker_ports else { return None };
    let wanted = settings.ports.to_vec();
    let missing: Vec<String> = wanted.iter().filter(|port| !ports.contains(port)).map(ToString::to_string).collect();
    (!missing.is_empty()).then(|| {
        let published: Vec<String> = ports.iter().map(ToString::to_string).collect();
        format!(
            "extras.worker_ports [{}] does not open {} of settings.ports (memberlist {}, http {}): the workers \
             would listen on ports they do not open",
            published.join(", "),
            missing.join(", "),
            settings.ports.memberlist,
            settings.ports.http
        )
    })
}

/// Per relation whose current databag is known: which keys the reconciliation sets, deletes or
/// changes, and whether its workers would restart (the requirer's rule on the current
/// `worker_config` against the new one).
fn what_if(relations: &[Current<'_>], outcome: &Reconciliation, sources: &Sources) -> BTreeMap<String, WhatIf> {
    if relations.iter().all(|relation| relation.published.is_empty()) {
        // Nothing to compare with; and the new configuration is not parsed for nothing.
        return BTreeMap::new();
    }
    let writes: BTreeMap<RelationId, &ChangedKeys> = outcome.plan.iter().flat_map(|plan| plan.changed_keys()).collect();
    let new_config = outcome.plan.as_ref().and_then(|plan| worker_config(plan.databag()));
    let new_config = new_config.and_then(|text| text.parse::<WorkerConfig>().ok());
    let mut what_if = BTreeMap::new();
    for relation in relations.iter().filter(|relation| !relation.published.is_empty()) {
        let entry = match (writes.get(&relation.id), &new_config) {
            (Some(changes), Some(new_config)) => {
                let (changed, added): (Vec<String>, Vec<String>) =
                    changes.set.iter().cloned().partition(|key| relation.published.contains_key(key));
                // Read by the model's decoder, as a worker reads it; a published databag that
                // does not decode is no configuration a worker runs.
                let current = worker_config(relation.published);
                let decision = ConfigChange::decide(current.as_deref(), new_config);
                let mut from_defaults: Vec<String> =
                    added.iter().chain(&changed).filter(|key| databag_key_defaulted(key, sources)).cloned().collect();
                if let ConfigChange::RewriteAndRestart { reason: RestartReason::Changed { keys } } = &decision {
                    let defaulted = |key: &&String| {
                        published::setting_of(key).is_some_and(|setting| {
                            sources.get(&format!("settings.{setting}")).is_some_and(|from| from == DEFAULT)
                        })
                    };
                    from_defaults.extend(keys.iter().filter(defaulted).cloned());
                }
                WhatIf {
                    app: relation.app.to_owned(),
                    write: !changes.is_empty(),
                    added,
                    removed: changes.delete.iter().cloned().collect(),
                    changed,
                    restart: decision.needs_restart(),
                    reason: decision.to_string(),
                    from_defaults,
                }
            }
            (ready, _) => WhatIf {
                app: relation.app.to_owned(),
                write: false,
                added: Vec::new(),
                removed: Vec::new(),
                changed: Vec::new(),
                restart: false,
                from_defaults: Vec::new(),
                reason: match ready {
                    None => "not ready: nothing is written, the workers keep what they run",
                    Some(_) => "no configuration: nothing is written, the workers keep what they run",
                }
                .to_owned(),
            },
        };
        what_if.insert(relation.id.to_string(), entry);
    }
    what_if
}

/// Whether a databag key the coordinator writes comes from an extra left to its default.
fn databag_key_defaulted(key: &str, sources: &Sources) -> bool {
    sources.get(&format!("extras.{key}")).is_some_and(|from| from == DEFAULT)
}

fn output<'a>(
    outcome: &'a Reconciliation,
    status: pyroscope_cluster_provider::Status,
    databags: &'a PrettyDatabags,
    pyroscope: PyroscopeRelease,
    warnings: Vec<String>,
    what_if: BTreeMap<String, WhatIf>,
) -> Output<'a> {
    let view = &outcome.view;
    let mut not_ready: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for problem in view.problems() {
        let reason = crate::hints::with_look_alikes(ErrorChain(&problem.reason).to_string());
        not_ready.entry(problem.relation.to_string()).or_default().push(reason);
    }
    let roles = view.architecture().roles().iter().map(|&role| (role, view.units_with(role))).collect();
    Output {
        pyroscope,
        architecture: view.architecture(),
        status: Status {
            level: level(status.level),
            message: status.message,
            whole_message: outcome.whole_status().message,
        },
        publish: databags.publish(),
        not_ready,
        config_error: outcome.config.as_ref().err().map(|err| ErrorChain(err).to_string()),
        addresses: view.addresses().map(Address::as_str).collect(),
        addresses_by_role: view
            .addresses_by_role()
            .into_iter()
            .map(|(role, addresses)| (role, addresses.into_iter().map(Address::as_str).collect()))
            .collect(),
        shared_addresses: view
            .shared_addresses()
            .into_iter()
            .map(|(address, workers)| (address.as_str(), workers.iter().map(|w| w.unit.as_str()).collect()))
            .collect(),
        roles,
        missing_roles: outcome.coherence.missing.iter().map(|shortfall| shortfall.role).collect(),
        coherent: outcome.coherence.is_coherent(),
        warnings,
        settings_from: Sources::new(),
        what_if,
        below_recommended: outcome
            .coherence
            .below_recommended
            .iter()
            .map(|s| Shortfall { role: s.role, have: s.have, want: s.want })
            .collect(),
    }
}

fn level(level: StatusLevel) -> &'static str {
    level.as_str()
}

/// The databags of a plan as `reconcile`'s pretty JSON writes them under `publish`: each distinct
/// databag escaped once, however many relations it goes to (every ready relation gets the same
/// one, which lists every worker: escaped per relation, a 10,000-unit cluster's nine relations
/// made nine passes over the same configuration).
struct PrettyDatabags {
    /// Each distinct databag's JSON, laid out for its place in the output.
    written: Vec<Box<RawValue>>,
    /// Relation ID -> its databag's index in `written`.
    relations: Vec<(String, usize)>,
}

impl PrettyDatabags {
    /// How deep `publish`'s databags are in the output: `{"publish": {"<id>": {...}}}`.
    const DEPTH: usize = 2;

    fn of(outcome: &Reconciliation, secrets: Secrets) -> Result<Self, serde_json::Error> {
        let mut distinct: Vec<&RawDatabag> = Vec::new();
        let mut written = Vec::new();
        let mut relations = Vec::new();
        if let Some(plan) = &outcome.plan {
            for (relation, _) in plan.changed_keys() {
                let databag = plan.databag_for(relation);
                let index = match distinct.iter().position(|seen| std::ptr::eq(*seen, databag)) {
                    Some(index) => index,
                    None => {
                        distinct.push(databag);
                        written.push(Self::write(databag, secrets)?);
                        written.len() - 1
                    }
                };
                relations.push((relation.to_string(), index));
            }
        }
        Ok(Self { written, relations })
    }

    /// `databag` as `serde_json::to_string_pretty` writes it at depth [`Self::DEPTH`]: one key
    /// a line, indented two spaces a level, `{}` when empty.
    fn write(databag: &RawDatabag, secrets: Secrets) -> Result<Box<RawValue>, serde_json::Error> {
        if databag.is_empty() {
            return RawValue::from_string("{}".to_owned());
        }
        let size: usize = databag.iter().map(|(key, value)| key.len() + value.len() + 16).sum();
        let mut json = Vec::with_capacity(size + size / 8);
        let indent = "  ".repeat(Self::DEPTH);
        json.push(b'{');
        for (i, (key, value)) in databag.iter().enumerate() {
            json.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
            json.extend_from_slice(indent.as_bytes());
            json.extend_from_slice(b"  ");
            serde_json::to_writer(&mut json, key)?;
            json.extend_from_slice(b": ");
            match (key.as_str(), secrets) {
                ("worker_config", Secrets::Hide) => serde_json::to_writer(&mut json, &redacted_config(value))?,
                _ => serde_json::to_writer(&mut json, value)?,
            }
        }
        json.push(b'\n');
        json.extend_from_slice(indent.as_bytes());
        json.push(b'}');
        // serde_json writes UTF-8.
        RawValue::from_string(String::from_utf8(json).map_err(serde::ser::Error::custom)?)
    }

    /// Relation ID -> the JSON of its databag.
    fn publish(&self) -> BTreeMap<String, &RawValue> {
        self.relations.iter().map(|(id, index)| (id.clone(), &*self.written[*index])).collect()
    }
}

/// `worker_config`'s raw value (JSON text of a string) with the configuration's secrets redacted;
/// a value that is not JSON text as its size.
fn redacted_config(raw: &str) -> std::borrow::Cow<'_, str> {
    match serde_json::from_str::<String>(raw) {
        Ok(text) => match crate::redact::redact_config(&text) {
            Some(redacted) => {
                serde_json::to_string(&redacted).unwrap_or_else(|_| crate::redact::not_shown(raw.len())).into()
            }
            None => raw.into(),
        },
        Err(_) => crate::redact::not_shown(raw.len()).into(),
    }
}

/// A summary for a person: the status, a table of roles, and every reason.
fn text_report(
    outcome: &Reconciliation,
    pyroscope: PyroscopeRelease,
    warnings: &[String],
    sources: &Sources,
    what_if: &BTreeMap<String, WhatIf>,
    secrets: Secrets,
) -> String {
    let view = &outcome.view;
    // Whole: a person reads it here, not in `juju status`'s one line.
    let status = outcome.whole_status();
    let mut out = String::new();
    let _ = writeln!(out, "status: {status}");
    for warning in warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    if !sources.is_empty() {
        let mut by_source: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (setting, from) in sources {
            by_source.entry(from.as_str()).or_default().push(setting.as_str());
        }
        let _ = writeln!(out, "settings:");
        // The defaults last: what the capture does not say.
        let defaults = by_source.remove(DEFAULT);
        for (from, settings) in by_source
            .iter()
            .map(|(from, settings)| (*from, settings))
            .chain(defaults.as_ref().map(|settings| (DEFAULT, settings)))
        {
            let from = match from {
                DEFAULT => "defaults (the capture does not show them; give --settings)",
                "--settings" => "from --settings",
                other => other,
            };
            let _ = writeln!(out, "- {from}: {}", settings.join(", "));
        }
    }
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
    let ready: Vec<String> =
        view.ready_relations().map(|report| format!("relation {} ({})", report.id, report.app)).collect();
    let ready = if ready.is_empty() { "none".to_owned() } else { ready.join(", ") };
    match &outcome.config {
        Ok(_) => writeln!(out, "published to: {ready}"),
        // Ready data, and nothing to publish: say what is missing, not "ready".
        Err(err) => {
            writeln!(
                out,
                "published to: none: no configuration ({}); relations whose data is ready: {ready}",
                ErrorChain(err)
            )
        }
    }
    .ok();
    let _ = writeln!(out, "gossip members: {}", view.addresses().len());
    let problems: Vec<String> =
        view.problems().map(|p| crate::hints::with_look_alikes(ErrorChain(p).to_string())).collect();
    if !problems.is_empty() {
        let _ = writeln!(out, "\nnot ready:");
        for problem in problems {
            let _ = writeln!(out, "- {problem}");
        }
        let _ = writeln!(out);
    }
    if !what_if.is_empty() {
        let _ = writeln!(out, "what would change (against the published databags):");
        for (id, change) in what_if {
            let _ = write!(out, "- {id} ({}): ", change.app);
            if !change.write {
                let _ = writeln!(out, "{}", &change.reason);
                continue;
            }
            let keys = [("added", &change.added), ("removed", &change.removed), ("changed", &change.changed)];
            let keys: Vec<String> = keys
                .iter()
                .filter(|(_, keys)| !keys.is_empty())
                .map(|(what, keys)| format!("{what} {}", keys.join(", ")))
                .collect();
            let _ = write!(out, "{}; workers: {}", keys.join("; "), change.reason);
            if !change.from_defaults.is_empty() {
                let _ = write!(
                    out,
                    " (from defaults only, not from the capture: {}; give --settings)",
                    change.from_defaults.iter().map(|key| format!("`{key}`")).collect::<Vec<_>>().join(", ")
                );
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out);
    }
    match architecture {
        Architecture::V1 => writeln!(out, "configuration for Pyroscope {pyroscope}"),
        other => writeln!(out, "configuration for Pyroscope {pyroscope}, storage architecture {other}"),
    }
    .ok();
    if let Err(err) = &outcome.config {
        let _ = writeln!(out, "no configuration: {err}");
    }
    if let Some(plan) = &outcome.plan {
        // The same databag goes to every ready relation: its YAML once, with where it goes.
        let to: Vec<String> = plan.changed_keys().map(|(relation, _)| relation.to_string()).collect();
        let to = if to.is_empty() {
            "no relation: none is ready".to_owned()
        } else {
            format!("relations {}", to.join(", "))
        };
        if let Some(config) = worker_config(plan.databag()) {
            let shown = if secrets == Secrets::Show { "secret values shown" } else { "secret values not shown" };
            let _ = writeln!(out, "\nworker_config (to {to}; {shown}):");
            for line in crate::readable_config(&config, secrets).lines() {
                let _ = writeln!(out, "  {line}");
            }
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// The `worker_config` of a provider app databag, decoded: the YAML text the workers write.
fn worker_config(databag: &RawDatabag) -> Option<String> {
    ProviderAppData::decode(databag).ok().map(|data| data.worker_config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// End to end: the `publish` of `reconcile`'s JSON is the bytes serde_json writes for the
    /// databags there, on v1 and on v2 (where the metastore's relation has a databag of its own).
    #[test]
    fn publish_is_what_serde_json_writes_for_its_databags() {
        let inputs = [
            include_str!("../../../examples/reconcile-recommended.yaml"),
            include_str!("../../../examples/reconcile-scale-up.yaml"),
            include_str!("../../../examples/reconcile-v2.yaml"),
        ];
        let mut distinct_ports = Vec::new();
        for input in inputs {
            let output = crate::reconcile_json(input).unwrap();
            let value: Value = serde_json::from_str(&output).unwrap();
            let publish = value["publish"].as_object().expect("a map");
            assert!(!publish.is_empty(), "{output}");
            let mut ports: Vec<String> = publish.values().map(|databag| databag["worker_ports"].to_string()).collect();
            ports.sort();
            ports.dedup();
            distinct_ports.push(ports.len());
            // Maps without `preserve_order` are sorted, as `publish` and its databags are.
            let alone = serde_json::to_string_pretty(&serde_json::json!({"publish": publish})).unwrap();
            let block = alone.strip_prefix("{\n").and_then(|block| block.strip_suffix("\n}")).unwrap();
            assert!(output.contains(&format!("\n{block},\n")), "{output}");
        }
        assert_eq!(distinct_ports, [1, 1, 2], "v2 gives the metastore its own databag");
    }

    /// A databag written once is the bytes `serde_json::to_string_pretty` writes for it in its
    /// place in the output: `{"publish": {"<id>": databag}}`.
    #[test]
    fn pretty_databags_are_what_serde_json_writes_in_place() {
        let databags: [&[(&str, &str)]; 4] = [
            &[],
            &[("worker_ports", "[7946, 4040]")],
            &[
                ("worker_config", "\"a: '1'\\nb:\\n- \\\"x\\\"\\n\""),
                ("ünïcode \u{1F600}", "tab\there, \u{7f} and \u{0} and \\ and /"),
                ("", ""),
            ],
            &[("a", "{}"), ("b", "\n"), ("c", "\"")],
        ];
        for entries in databags {
            let databag: RawDatabag = entries.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            let placed = BTreeMap::from([("publish", BTreeMap::from([("3", &databag)]))]);
            let written = PrettyDatabags::write(&databag, Secrets::Show).unwrap();
            let raw = BTreeMap::from([("publish", BTreeMap::from([("3", &*written)]))]);
            assert_eq!(
                serde_json::to_string_pretty(&raw).unwrap(),
                serde_json::to_string_pretty(&placed).unwrap(),
                "{databag:?}"
            );
        }
    }

    /// A large input, with invalid units, a relation without units and published databags: what
    /// `run` prints, in JSON and in text; `--settings` refused with it.
    #[test]
    fn a_large_input_reconciles() {
        let text = large_input();
        assert!(text.len() >= 1 << 20, "{}", text.len());
        let options = |format, settings| Options {
            format,
            pyroscope: None,
            settings,
            endpoint: "pyroscope-cluster".into(),
            exits_after: false,
            secrets: Secrets::Hide,
        };
        let mut json = Vec::new();
        assert!(!run(vec![(Source::Stdin, text.clone())], &options(Format::Json, None), &mut json).unwrap());
        let value: Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["what_if"].as_object().map(|map| map.len()), Some(2), "{}", value["what_if"]);
        assert_eq!(value["not_ready"].as_object().map(|map| map.len()), Some(2), "{}", value["not_ready"]);
        assert_eq!(value["addresses"].as_array().map(Vec::len), Some(8 * 120 - 2));
        let mut text_out = Vec::new();
        assert!(!run(vec![(Source::Stdin, text.clone())], &options(Format::Text, None), &mut text_out).unwrap());
        assert!(String::from_utf8(text_out).unwrap().starts_with("status: "));
        let settings = Some((Source::Stdin, "settings: {}".to_owned()));
        let mut out = Vec::new();
        let refused = run(vec![(Source::Stdin, text)], &options(Format::Json, settings), &mut out).unwrap_err();
        assert_eq!(refused.code, 2, "{}", refused.message);
        assert!(refused.message.contains("--settings is for `juju show-unit` captures"), "{}", refused.message);
        assert!(out.is_empty());
    }

    /// A reconcile input of a megabyte or more: eight relations of 120 units each (each unit with
    /// a kilobyte of a key the coordinator does not read; one relation with two invalid units),
    /// one relation without units; two relations with a published databag.
    fn large_input() -> String {
        let padding = "x".repeat(1_100);
        let mut relations: Vec<Value> = (0..9)
            .map(|r| {
                let app = format!("app-{r}");
                let units: serde_json::Map<String, Value> = (0..if r == 8 { 0 } else { 120 })
                    .map(|u| {
                        let topology = format!(r#"{{"application": "{app}", "unit": "{app}/{u}", "charm_name": "w"}}"#);
                        let databag = serde_json::json!({
                            "address": format!(r#""{app}-{u}.{app}-endpoints.svc.cluster.local""#),
                            "juju_topology": topology,
                            "ingress-address": format!("10.1.{r}.{u}"),
                            "padding": padding,
                        });
                        (format!("{app}/{u}"), databag)
                    })
                    .collect();
                serde_json::json!({"id": r, "app": app, "app_data": {"role": "\"all\""}, "units": units})
            })
            .collect();
        relations[3]["units"]["app-3/7"]["address"] = Value::from("not json");
        relations[3]["units"]["app-3/8"] = serde_json::json!({});
        relations[1]["published"] = serde_json::json!({"worker_config": "\"stale: true\\n\""});
        relations[3]["published"] = serde_json::json!({"foreign": "1"});
        let s3 = serde_json::json!({"endpoint": "minio:9000", "bucket_name": "p", "access_key_id": "a", "secret_access_key": "s"});
        serde_json::json!({"settings": {"s3": s3}, "relations": relations}).to_string()
    }
}

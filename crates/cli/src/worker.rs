//! `worker`: the coordinator's databag as one worker sees it: the worker-side checks, the command
//! line, the config file it would write, and (given the file on disk) whether it would restart.
//! Every decision is the requirer crate's (`CoordinatorState::read_for`, `Command::for_worker`,
//! `ConfigChange::decide`).

use std::fmt::Write as _;

use pyroscope_cluster_model::{Address, Architecture, DatabagModel, ProviderAppData, RawDatabag, Roles};
use pyroscope_cluster_release::{CheckError, check_yaml};
use pyroscope_cluster_requirer::{
    Command, ConfigChange, CoordinatorState, InvalidData, PortsToOpen, PyroscopeRelease, Seen, ThisWorker,
};
use serde::Serialize;
use serde_json::Value;

use crate::input::Source;
use crate::{Failure, Format, Secrets, capture};

/// The Python worker's config file (coordinated-workers 4.1.4, `worker.py`, `CONFIG_FILE`).
pub(crate) const DEFAULT_CONFIG_FILE: &str = "/etc/worker/config.yaml";

/// How `worker` runs, besides its input.
pub(crate) struct Options {
    pub(crate) format: Format,
    /// The worker's roles.
    pub(crate) roles: Roles,
    /// The Pyroscope release the worker runs.
    pub(crate) pyroscope: PyroscopeRelease,
    /// The worker's address; from the capture's `local-unit` when not given.
    pub(crate) address: Option<String>,
    /// Where the worker writes its configuration.
    pub(crate) config_file: String,
    /// The config file on disk now (`--current`), as read.
    pub(crate) current: Option<(Source, String)>,
    /// For captures: the endpoint of the relation to the coordinator.
    pub(crate) endpoint: String,
    /// Whether secret values show (`--show-secrets`).
    pub(crate) secrets: Secrets,
}

/// The output, as JSON. Fields are added, never renamed or removed.
#[derive(Debug, Serialize)]
struct Output {
    /// The Pyroscope release the worker runs.
    pyroscope: PyroscopeRelease,
    /// The worker's roles, sorted, comma-joined (as `-target` has them).
    roles: String,
    /// The worker's address, when known (`--address`, or the capture's `local-unit`).
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<String>,
    /// `ready`, `not_published`, `invalid` or `removed`: the requirer's `CoordinatorState`.
    state: &'static str,
    /// What the worker-side checks found (empty when `ready`): each `{path, reason}`, `path` a
    /// dotted key path of `worker_config` or empty for the whole databag.
    problems: Vec<Problem>,
    /// Whether the membership check ran (it needs the worker's address).
    membership_checked: bool,
    /// When `ready`: the storage architecture of the configuration.
    #[serde(skip_serializing_if = "Option::is_none")]
    architecture: Option<Architecture>,
    /// When `ready`: the command line (program and arguments).
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<Vec<String>>,
    /// When `ready`: the config file it writes, `{path, content}`; the content's secret values
    /// (S3 keys) redacted unless `--show-secrets`.
    #[serde(skip_serializing_if = "Option::is_none")]
    config_file: Option<ConfigFile>,
    /// When `ready`: the ports it opens; `null` when the coordinator sent no list (left as they are).
    #[serde(skip_serializing_if = "Option::is_none")]
    ports: Option<Option<Vec<u16>>>,
    /// With `--current`, when `ready`: `{write, restart, reason}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    change: Option<Change>,
}

#[derive(Debug, Serialize)]
struct Problem {
    path: String,
    reason: String,
}

#[derive(Debug, Serialize)]
struct ConfigFile {
    path: String,
    content: String,
}

#[derive(Debug, Serialize)]
struct Change {
    write: bool,
    restart: bool,
    reason: String,
}

/// Runs `worker` on `text`; the output, and whether the coordinator's data is ready for this worker.
pub(crate) fn run(source: &Source, text: &str, options: &Options) -> Result<(String, bool), Failure> {
    let (databag, captured_address) = coordinator_databag(source, text, &options.endpoint)?;
    let address = match options.address.clone().or(captured_address) {
        Some(text) => Some(
            text.parse::<Address>()
                .map_err(|err| Failure::usage(format!("--address {text:?}: not a worker address: {err}")))?,
        ),
        None => None,
    };
    let seen = Seen::from_config_file_exists(options.current.is_some());
    let state = match &address {
        Some(address) => {
            CoordinatorState::read_for(&databag, seen, &ThisWorker { pyroscope: options.pyroscope, address })
        }
        // Without the address, every check but the membership one.
        None => match CoordinatorState::read(&databag, seen) {
            CoordinatorState::Ready(data) => match check_yaml(options.pyroscope, data.config().text()) {
                Err(CheckError::Refused(refusal)) => CoordinatorState::Invalid(InvalidData::Refused(refusal)),
                _ => CoordinatorState::Ready(data),
            },
            other => other,
        },
    };
    let mut output = Output {
        pyroscope: options.pyroscope,
        roles: options.roles.to_sorted_string(),
        address: address.as_ref().map(ToString::to_string),
        state: "",
        problems: Vec::new(),
        membership_checked: address.is_some(),
        architecture: None,
        command: None,
        config_file: None,
        ports: None,
        change: None,
    };
    let (mut command_line, mut current_name) = (None, None);
    match &state {
        CoordinatorState::NotPublished => output.state = "not_published",
        CoordinatorState::Removed => output.state = "removed",
        CoordinatorState::Invalid(invalid) => {
            output.state = "invalid";
            output.problems = crate::validate::invalid_data_issues(invalid)
                .into_iter()
                .map(|(path, reason)| Problem { path, reason })
                .collect();
        }
        CoordinatorState::Ready(data) => {
            output.state = "ready";
            let architecture = data.config().architecture();
            output.architecture = Some(architecture);
            let command = match &address {
                Some(address) => Command::for_worker(&options.config_file, &options.roles, architecture, address),
                None => Command::new(&options.config_file, &options.roles),
            };
            output.command = Some(command.argv().to_vec());
            let content = options.secrets.config_text(data.config().text()).into_owned();
            output.config_file = Some(ConfigFile { path: options.config_file.clone(), content });
            output.ports = Some(match data.worker_ports() {
                PortsToOpen::NotGiven => None,
                PortsToOpen::Exactly(ports) => Some(ports.iter().map(|port| port.get()).collect()),
            });
            if let Some((source, current)) = &options.current {
                let change = ConfigChange::decide(Some(current), data.config());
                output.change = Some(Change {
                    write: change.needs_write(),
                    restart: change.needs_restart(),
                    reason: change.to_string(),
                });
                current_name = Some(source.name());
            }
            command_line = Some(command.to_string());
        }
    }
    let ready = output.state == "ready";
    let printed = match options.format {
        Format::Json => serde_json::to_string_pretty(&output).map_err(|err| Failure::internal(err.to_string()))?,
        Format::Text => text_report(&output, command_line.as_deref(), current_name.as_deref(), options.secrets),
    };
    Ok((printed, ready))
}

/// The coordinator's app databag (raw) from a raw databag, a decoded one (what `decode` prints),
/// or a worker unit's `juju show-unit` capture; and the worker's address when the capture has it.
fn coordinator_databag(source: &Source, text: &str, endpoint: &str) -> Result<(RawDatabag, Option<String>), Failure> {
    let name = source.name();
    let document: Value = crate::input::parse_yaml_or_json(text)
        .map_err(|err| Failure::invalid(format!("{name}: not YAML or JSON: {err}")))?;
    if let Value::Object(units) = &document
        && capture::is_show_unit(&document)
    {
        let capture =
            capture::read_worker(units, endpoint).map_err(|err| Failure::invalid(format!("{name}: {err}")))?;
        let address = capture
            .own_unit
            .get("address")
            .map(|raw| {
                serde_json::from_str::<String>(raw).map_err(|_| {
                    Failure::invalid(format!(
                        "{name}: {} relation {} local-unit: key `address`: not a JSON string",
                        capture.unit, capture.relation
                    ))
                })
            })
            .transpose()?;
        return Ok((capture.coordinator, address));
    }
    let Value::Object(map) = document else {
        return Err(Failure::invalid(format!(
            "{name}: expected the coordinator's app databag (raw or decoded, a JSON object) or a worker unit's \
             `juju show-unit` output"
        )));
    };
    // Raw: every value a string, and the model decodes it. Else decoded: each value is written as
    // its JSON text, as `encode` does.
    let raw: Option<RawDatabag> =
        map.iter().map(|(key, value)| value.as_str().map(|text| (key.clone(), text.to_owned()))).collect();
    if let Some(raw) = &raw {
        if ProviderAppData::decode(raw).is_ok() {
            return Ok((raw.clone(), None));
        }
    }
    let encoded: RawDatabag = map.iter().map(|(key, value)| (key.clone(), value.to_string())).collect();
    match ProviderAppData::decode(&encoded) {
        Ok(_) => Ok((encoded, None)),
        // Neither: the worker reads it as it would read it from Juju, and reports why.
        Err(_) => Ok((raw.unwrap_or(encoded), None)),
    }
}

/// For a person: the state, every problem, the command, the config file (S3 keys not shown), the
/// change decision.
fn text_report(output: &Output, command: Option<&str>, current: Option<&str>, secrets: Secrets) -> String {
    let mut out = String::new();
    let roles = &output.roles;
    let _ = writeln!(out, "worker: Pyroscope {}, roles {roles}", output.pyroscope);
    match &output.address {
        Some(address) => writeln!(out, "address: {address}"),
        None => writeln!(out, "address: not known (give --address): join_members not checked"),
    }
    .ok();
    let state = match output.state {
        "ready" => "ready: the worker writes its config file and runs Pyroscope",
        "not_published" => "not published: the worker waits for the coordinator",
        "removed" => "removed: the worker stops Pyroscope and deletes its config file",
        _ => "invalid: the worker writes nothing and keeps running what it runs (status blocked)",
    };
    let _ = writeln!(out, "coordinator data: {state}");
    for problem in &output.problems {
        match problem.path.as_str() {
            "" => writeln!(out, "- {}", problem.reason),
            // Escaped and cut: a key from the coordinator moves no cursor and fills no screen.
            path => writeln!(out, "- worker_config.{}: {}", shown(path), problem.reason),
        }
        .ok();
    }
    if let (Some(line), Some(file)) = (command, &output.config_file) {
        let _ = writeln!(out, "\ncommand: {line}");
        if let (Some(change), Some(current)) = (&output.change, current) {
            let _ = writeln!(out, "change (against {current}): {}", change.reason);
        }
        if let Some(ports) = &output.ports {
            match ports {
                None => writeln!(out, "ports: none sent (left as they are)"),
                Some(ports) => {
                    let ports: Vec<String> = ports.iter().map(ToString::to_string).collect();
                    writeln!(out, "ports: {}", ports.join(", "))
                }
            }
            .ok();
        }
        let shown = if secrets == Secrets::Show { "secret values shown" } else { "secret values not shown" };
        let _ = writeln!(out, "\nconfig file {} ({shown}):", file.path);
        for line in crate::readable_config(&file.content, secrets).lines() {
            let _ = writeln!(out, "  {line}");
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// A key path as the text output shows it: control characters escaped, cut after 80 characters.
fn shown(path: &str) -> String {
    let mut shown: String = path
        .chars()
        .take(80)
        .map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() })
        .collect();
    if path.chars().nth(80).is_some() {
        shown.push_str(&format!("… ({} bytes in all)", path.len()));
    }
    shown
}

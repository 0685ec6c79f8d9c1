//! Pebble's layers and plan as types: what `POST /v1/layers` adds and `GET /v1/plan` reads.
//!
//! Their shapes are Pebble's `internals/plan/plan.go` (v1.32.1): `Layer`, `Service`, `Check`
//! (`HTTPCheck`, `TCPCheck`, `ExecCheck`), `LogTarget`, each field under its YAML name. As in Go,
//! a field left at its default (an empty string, list or map, a zero threshold or port, `None`)
//! is unset: it is not sent, and Pebble does not write it back, so a layer and the plan it made
//! compare field by field.
//!
//! A layer is sent as JSON. Pebble's `v1PostLayers` (`internals/daemon/api_plan.go`) takes the
//! layer as text with `"format": "yaml"` and parses it with gopkg.in/yaml.v3, which reads JSON
//! (a YAML flow mapping) as it reads block YAML; so this crate writes no YAML and needs no YAML
//! library, and the workspace rule that only the model crate names one holds. The plan comes
//! back only as YAML (`format=yaml` is the one format `v1GetPlan` takes): `plan_text` reads the
//! block YAML that yaml.v3 writes, and these types decode what it read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::GoDuration;
pub use crate::plan_text::PlanTextError;

/// A layer (Pebble's `plan.Layer`): the services, checks and log targets to add to the plan.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Layer {
    /// A short description of the layer.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// A longer one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The services, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Service>,
    /// The health checks, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, Check>,
    /// Where services' logs are forwarded, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub log_targets: BTreeMap<String, LogTarget>,
}

/// The plan (Pebble's `plan.Plan`): every layer combined, as Pebble runs it.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Plan {
    /// The services, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Service>,
    /// The health checks, by name (with Pebble's defaults filled in: a threshold of 3).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, Check>,
    /// The log targets, by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub log_targets: BTreeMap<String, LogTarget>,
}

impl Plan {
    /// Reads the plan's YAML text, as `GET /v1/plan?format=yaml` answers it.
    ///
    /// One thing does not come back as it was sent: a string that begins with a line break
    /// (yaml.v3 writes it as a literal block, `|4-`, that drops the first break; the service
    /// still runs with the right value, but the plan's text has lost it, and `"\n  x\ny"` and
    /// `"  x\ny"` are written alike). A charm that compares its layer with the plan should keep
    /// such strings out of its layers.
    pub fn from_yaml(text: &str) -> Result<Self, PlanError> {
        let value = crate::plan_text::read(text)?;
        serde_path_to_error::deserialize(value)
            .map_err(|err| PlanError::Shape { path: err.path().to_string(), problem: err.into_inner().to_string() })
    }

    /// Whether adding `layer` (combined, each entry with `override: replace`) would leave the
    /// plan as it is: every service, check and log target of the layer is the plan's, the
    /// check threshold Pebble fills in (3, `plan.go`'s `defaultCheckThreshold`; the other
    /// defaults are not written back) counted. A charm's rule for "my layer changed": when this
    /// holds there is nothing to add and nothing to replan. An entry that merges
    /// (`override: merge`) is compared as it is, so it reads as a change unless the plan holds
    /// exactly it.
    pub fn includes(&self, layer: &Layer) -> bool {
        let services = layer.services.iter().all(|(name, service)| self.services.get(name) == Some(service));
        let checks = layer.checks.iter().all(|(name, check)| {
            let filled = Check { threshold: if check.threshold == 0 { 3 } else { check.threshold }, ..check.clone() };
            self.checks.get(name) == Some(&filled)
        });
        let targets = layer.log_targets.iter().all(|(name, target)| self.log_targets.get(name) == Some(target));
        services && checks && targets
    }
}

/// Why the plan's text could not be read as a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The text is not the YAML that Pebble writes.
    #[error("the plan's text is not the YAML Pebble writes")]
    Text(#[from] PlanTextError),
    /// A value is not what Pebble's plan holds there.
    #[error("the plan's {path}: {problem}")]
    Shape {
        /// Where, as `services.pyroscope.startup`.
        path: String,
        /// What was wrong.
        problem: String,
    },
}

/// A service (Pebble's `plan.Service`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Service {
    /// A short description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// A longer one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Whether the service starts on `pebble run` and replan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<Startup>,
    /// How this layer's service combines with the one of earlier layers (required in a layer).
    #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
    pub override_: Option<Override>,
    /// The command line (split as a shell would, without a shell; `[ extra ]` marks arguments
    /// that `pebble run --args` may replace).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// Services this one starts after.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// Services this one starts before.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    /// Services that start with this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// The workload (of the plan's `workloads` section) the service runs as.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub workload: String,
    /// The command's environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// The user ID the command runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    /// The user name the command runs as.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// The group ID the command runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u32>,
    /// The group name the command runs as.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// The command's working directory.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
    /// What Pebble does when the command exits with status 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<ServiceAction>,
    /// What Pebble does when it exits otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<ServiceAction>,
    /// What Pebble does when a check fails, by check name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub on_check_failure: BTreeMap<String, ServiceAction>,
    /// The first delay before a restart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_delay: Option<GoDuration>,
    /// The factor each further delay grows by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_factor: Option<f64>,
    /// The longest delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<GoDuration>,
    /// How long Pebble waits after SIGTERM before SIGKILL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_delay: Option<GoDuration>,
}

/// Whether a service or check starts by itself (Pebble's `startup: enabled|disabled`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Startup {
    /// Started by `pebble run`, replan, and autostart.
    Enabled,
    /// Started only when asked.
    Disabled,
}

/// How a layer's entry combines with the same entry of earlier layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Override {
    /// Field by field: this layer's set fields win, lists and maps are extended.
    Merge,
    /// This layer's entry replaces the earlier one whole.
    Replace,
}

/// What Pebble does when a service exits or a check fails (Pebble's `plan.ServiceAction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceAction {
    /// Restart the service, with backoff.
    Restart,
    /// Shut Pebble down.
    Shutdown,
    /// Do nothing.
    Ignore,
    /// Shut Pebble down with a failure exit.
    FailureShutdown,
    /// Shut Pebble down with a success exit.
    SuccessShutdown,
}

/// A health check (Pebble's `plan.Check`): one of `http`, `tcp` or `exec`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Check {
    /// How this layer's check combines with earlier layers' (required in a layer).
    #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
    pub override_: Option<Override>,
    /// `alive` or `ready`: which health endpoint level the check counts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<CheckLevel>,
    /// Whether the check runs by itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<Startup>,
    /// How often it runs (Pebble's default: 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<GoDuration>,
    /// How long one run may take (Pebble's default: 3s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    /// Failures in a row before the check is down (0: unset; Pebble's plan fills in 3).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub threshold: u32,
    /// An HTTP GET that must answer 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCheck>,
    /// A TCP port that must accept a connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpCheck>,
    /// A command that must exit 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecCheck>,
}

fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// A check's level (Pebble's `plan.CheckLevel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckLevel {
    /// Counts for `/v1/health?level=alive`.
    Alive,
    /// Counts for `/v1/health?level=ready` (and alive).
    Ready,
}

/// An HTTP check (Pebble's `plan.HTTPCheck`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct HttpCheck {
    /// The URL to GET.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// Headers to send.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// A TCP check (Pebble's `plan.TCPCheck`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct TcpCheck {
    /// The port (0: unset).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub port: u16,
    /// The host (Pebble's default: localhost).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub host: String,
}

/// An exec check (Pebble's `plan.ExecCheck`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExecCheck {
    /// The command line.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub command: String,
    /// A service whose environment, user, group and directory the command takes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub service_context: String,
    /// The command's environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// The user ID it runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    /// The user name it runs as.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// The group ID it runs as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u32>,
    /// The group name it runs as.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Its working directory.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub working_dir: String,
}

/// A log target (Pebble's `plan.LogTarget`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LogTarget {
    /// The kind of receiver.
    #[serde(rename = "type")]
    pub type_: LogTargetType,
    /// Its address.
    pub location: String,
    /// The services whose logs go there (`all`, names, `-name` to leave one out).
    #[serde(default)]
    pub services: Vec<String>,
    /// How this layer's target combines with earlier layers'.
    #[serde(rename = "override", default, skip_serializing_if = "Option::is_none")]
    pub override_: Option<Override>,
    /// Labels sent with each log line.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A log target's kind (Pebble's `plan.LogTargetType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogTargetType {
    /// Grafana Loki's push API.
    Loki,
    /// OpenTelemetry's logs API.
    Opentelemetry,
    /// Syslog.
    Syslog,
}

impl Layer {
    /// The layer's text as `POST /v1/layers` takes it: JSON, which Pebble's YAML parser reads,
    /// with the characters YAML does not take raw (DEL, the C1 controls but U+0085, U+FFFE and
    /// U+FFFF: yaml.v3 refuses them as "control characters") written as `\u` escapes.
    pub fn to_text(&self) -> String {
        let mut out = Vec::new();
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, YamlPrintable);
        // Writing to a Vec cannot fail, and a layer holds only strings, numbers and maps with
        // string keys; a failure would leave an empty text, which Pebble refuses.
        let _ = self.serialize(&mut serializer);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// serde_json's compact output, escaping what YAML 1.2 does not allow unescaped (`c-printable`:
/// serde_json already escapes the C0 controls).
struct YamlPrintable;

impl serde_json::ser::Formatter for YamlPrintable {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}') {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_fields_are_not_sent() {
        let mut layer = Layer { summary: "s".into(), ..Layer::default() };
        layer.services.insert(
            "svc".into(),
            Service {
                override_: Some(Override::Replace),
                command: "sleep 1".into(),
                startup: Some(Startup::Enabled),
                kill_delay: Some("90s".parse().unwrap()),
                ..Service::default()
            },
        );
        layer.checks.insert(
            "up".into(),
            Check {
                override_: Some(Override::Replace),
                level: Some(CheckLevel::Ready),
                tcp: Some(TcpCheck { port: 4040, host: String::new() }),
                ..Check::default()
            },
        );
        assert_eq!(
            layer.to_text(),
            r#"{"summary":"s","services":{"svc":{"startup":"enabled","override":"replace","command":"sleep 1","kill-delay":"1m30s"}},"checks":{"up":{"override":"replace","level":"ready","tcp":{"port":4040}}}}"#
        );
    }

    #[test]
    fn characters_yaml_refuses_raw_are_escaped() {
        let layer = Layer { summary: "a\u{7f}b\u{85}c\u{9f}d\u{ffff}e\u{1}".into(), ..Layer::default() };
        assert_eq!(layer.to_text(), "{\"summary\":\"a\\u007fb\u{85}c\\u009fd\\uffffe\\u0001\"}");
    }

    #[test]
    fn a_plan_includes_a_layer_with_pebbles_default_threshold() {
        let check = Check {
            override_: Some(Override::Replace),
            tcp: Some(TcpCheck { port: 1, host: String::new() }),
            ..Check::default()
        };
        let service = Service { override_: Some(Override::Replace), command: "x".into(), ..Service::default() };
        let mut layer = Layer::default();
        layer.checks.insert("c".into(), check.clone());
        layer.services.insert("s".into(), service.clone());
        let mut plan = Plan::default();
        plan.services.insert("s".into(), service.clone());
        plan.services.insert("other".into(), Service::default());
        plan.checks.insert("c".into(), Check { threshold: 3, ..check.clone() });
        assert!(plan.includes(&layer));
        assert!(plan.includes(&Layer::default()));
        plan.checks.insert("c".into(), Check { threshold: 4, ..check });
        assert!(!plan.includes(&layer));
        plan.checks.remove("c");
        assert!(!plan.includes(&layer));
        layer.checks.clear();
        layer.services.insert("s".into(), Service { command: "y".into(), ..service });
        assert!(!plan.includes(&layer));
    }

    #[test]
    fn a_plan_names_where_it_is_wrong() {
        let err = Plan::from_yaml("services:\n    svc:\n        startup: sometimes\n").unwrap_err();
        assert!(err.to_string().starts_with("the plan's services.svc.startup: unknown variant `sometimes`"), "{err}");
        let err = Plan::from_yaml("services:\n    svc:\n        colour: red\n").unwrap_err();
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
        let err = Plan::from_yaml("checks:\n    c:\n        period: soon\n").unwrap_err();
        assert!(err.to_string().contains("\"soon\" is not a Go duration"), "{err}");
        let err = Plan::from_yaml("services: [\n").unwrap_err();
        assert!(matches!(err, PlanError::Text(_)), "{err}");
    }
}

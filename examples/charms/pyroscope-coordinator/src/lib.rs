//! An example Pyroscope coordinator charm in Rust, the provider of `pyroscope_cluster`.
//!
//! Every hook does the same whole job (a holistic charm): the leader reads its config and the
//! `s3` relation into [`Settings`], reads every worker relation into a snapshot, reconciles,
//! publishes the plan (one `relation-set` per databag that changes, none when nothing changed)
//! and sets its status from the outcome. A follower only says it stands by.
//!
//! [`hook`] is the charm, over any [`Runner`]: [`main`] runs it inside Juju with the hook tools
//! as processes, and the tests run it against the in-memory Juju of `pyroscope-cluster-juju`.

use std::process::ExitCode;

use pyroscope_cluster_juju::{
    CLUSTER_ENDPOINT, Event, HookContext, HookTools, LogLevel, Runner, S3_ENDPOINT, S3Error, StatusName, ToolError,
    coordinator, coordinator_status, error_chain, read_s3, read_snapshot,
};
use pyroscope_cluster_provider::{Architecture, Extras, Period, Settings, Status, reconcile};

/// The charm options that give [`Settings`] a period, and the field each sets.
const PERIOD_OPTIONS: [&str; 3] = ["retention_period", "deletion_delay", "cleanup_interval"];

/// The option that names the Pyroscope release the workers run.
pub const RELEASE_OPTION: &str = "pyroscope_release";

/// The option that names the storage architecture (`v1` or `v2`).
pub const ARCHITECTURE_OPTION: &str = "architecture";

/// What one hook decided, for a test or the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The unit status set.
    pub status: StatusName,
    /// Its message.
    pub message: String,
    /// The relations written to.
    pub written: Vec<String>,
}

/// The options that set only the v1 compactor (`compactor.*`): v2 has no compactor block (the
/// metastore schedules compaction-workers, and retention is `limits.retention_period`), so in v2
/// they are not read and a value they would refuse does not block the cluster.
pub const V1_ONLY_OPTIONS: [&str; 2] = ["deletion_delay", "cleanup_interval"];

/// The coordinator's settings from its config: the periods, the workers' Pyroscope release and
/// the storage architecture (each error names the option and its value). In v2 the
/// [`V1_ONLY_OPTIONS`] are ignored.
pub fn settings_from_config(config: &serde_json::Map<String, serde_json::Value>) -> Result<Settings, Vec<String>> {
    let mut settings = Settings::default();
    let mut problems = Vec::new();
    if let Some(value) = config.get(ARCHITECTURE_OPTION) {
        match serde_json::from_value(value.clone()) {
            Ok(architecture) => settings.architecture = architecture,
            Err(_) => problems.push(format!("option {ARCHITECTURE_OPTION} = {value}: is not one of \"v1\", \"v2\"")),
        }
    }
    for option in PERIOD_OPTIONS {
        if settings.architecture != Architecture::V1 && V1_ONLY_OPTIONS.contains(&option) {
            continue;
        }
        let Some(value) = config.get(option) else { continue };
        let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        match text.parse::<Period>() {
            Ok(period) => match option {
                "retention_period" => settings.retention_period = period,
                "deletion_delay" => settings.compactor_deletion_delay = period,
                _ => settings.compactor_cleanup_interval = period,
            },
            Err(err) => problems.push(format!("option {option} = {text:?}: {}", error_chain(&err))),
        }
    }
    if let Some(value) = config.get(RELEASE_OPTION) {
        let text = value.as_str().map_or_else(|| value.to_string(), str::to_owned);
        match text.parse() {
            Ok(release) => settings.pyroscope = release,
            Err(err) => problems.push(format!("option {RELEASE_OPTION} = {text:?}: {}", error_chain(&err))),
        }
    }
    if problems.is_empty() { Ok(settings) } else { Err(problems) }
}

/// One hook of the coordinator.
pub fn hook<R: Runner>(context: &HookContext, tools: &mut HookTools<R>) -> Result<Outcome, ToolError> {
    if let Event::Unknown { hook } = &context.event {
        tools.log(LogLevel::Debug, &format!("hook {hook} is not one this charm knows; reconciling as on any hook"))?;
    }
    if !tools.is_leader()? {
        let message = "standby: the leader publishes the configuration";
        tools.status_set(false, StatusName::Active, message)?;
        return Ok(Outcome { status: StatusName::Active, message: message.into(), written: Vec::new() });
    }
    let config = tools.config()?;
    if matches!(context.event, Event::Install | Event::ConfigChanged | Event::UpgradeCharm) {
        if let Some(release) = config.get(RELEASE_OPTION).and_then(|value| value.as_str()) {
            tools.application_version_set(release)?;
        }
    }
    let mut problems = Vec::new();
    let mut settings = settings_from_config(&config).unwrap_or_else(|errors| {
        problems.extend(errors);
        Settings::default()
    });
    let extras = Extras::default();
    match read_s3(tools, S3_ENDPOINT) {
        Ok(s3) => settings.s3 = s3,
        Err(S3Error::Tool(err)) if !err.is_relation_gone() => return Err(err),
        Err(err) => problems.push(error_chain(&err)),
    }
    let read = read_snapshot(tools, context, CLUSTER_ENDPOINT)?;
    let outcome = reconcile(&read.snapshot, &settings, &extras);
    let report = match (&outcome.plan, problems.is_empty()) {
        // Settings the operator must fix publish nothing: the workers keep what they run.
        (Some(plan), true) => coordinator::publish(tools, plan, &read.relations, None),
        _ => coordinator::PublishReport::default(),
    };
    for problem in outcome.view.problems() {
        tools.log(LogLevel::Warning, &error_chain(problem))?;
    }
    for skipped in &read.skipped {
        tools.log(LogLevel::Info, &skipped.to_string())?;
    }
    for (relation, err) in &report.failed {
        tools.log(LogLevel::Error, &format!("publishing to relation {relation} failed: {}", error_chain(err)))?;
    }
    let (mut status, mut message) = coordinator_status(&outcome, &read.skipped, &report);
    if !problems.is_empty() {
        status = StatusName::Blocked;
        message = Status::fit(problems.into_iter().chain([message]));
    }
    tools.status_set(false, status, &message)?;
    tools.status_set(true, status, &message)?;
    Ok(Outcome { status, message, written: report.written.iter().map(ToString::to_string).collect() })
}

/// The charm's entry point inside Juju: the hook from the environment, the tools as processes.
/// Exits non-zero (Juju retries the hook) when a hook tool fails as a whole, after logging why;
/// a failure on one relation is in the status and the log, and the hook succeeds.
pub fn main() -> ExitCode {
    pyroscope_cluster_juju::dispatch("pyroscope-coordinator", |context, tools| hook(context, tools).map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `options` (JSON) read as settings: `Ok` the architecture and the deletion delay, or
    /// `Err` the start of the problems, joined with `; `.
    #[track_caller]
    fn check(options: &str, expect: Result<(Architecture, &str), &str>) {
        let config: serde_json::Map<String, serde_json::Value> = serde_json::from_str(options).unwrap();
        let got = settings_from_config(&config);
        match (got, expect) {
            (Ok(settings), Ok((architecture, delay))) => {
                assert_eq!(
                    (settings.architecture, settings.compactor_deletion_delay.to_string().as_str()),
                    (architecture, delay)
                );
            }
            (Err(problems), Err(start)) => assert!(problems.join("; ").starts_with(start), "{problems:?}"),
            (got, expect) => panic!("{options}: got {got:?}, expected {expect:?}"),
        }
    }

    #[test]
    fn v1_only_options_are_ignored_in_v2() {
        check(r#"{"deletion_delay": "30m"}"#, Ok((Architecture::V1, "30m")));
        check(r#"{"deletion_delay": "soon"}"#, Err(r#"option deletion_delay = "soon": "#));
        check(r#"{"architecture": "v1", "cleanup_interval": "-1h"}"#, Err(r#"option cleanup_interval = "-1h": "#));
        check(r#"{"architecture": "v2", "deletion_delay": "30m"}"#, Ok((Architecture::V2, "12h")));
        check(
            r#"{"architecture": "v2", "deletion_delay": "soon", "cleanup_interval": "-1h"}"#,
            Ok((Architecture::V2, "12h")),
        );
        // Retention is v2's too (`limits.retention_period`): still checked.
        check(r#"{"architecture": "v2", "retention_period": "soon"}"#, Err(r#"option retention_period = "soon": "#));
        check(r#"{"architecture": "v3"}"#, Err(r#"option architecture = "v3": is not one of "v1", "v2""#));
    }
}

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

use pyroscope_cluster_coordinator::{
    CLUSTER_ENDPOINT, PublishReport, RELEASE_OPTION, S3_ENDPOINT, S3Error, coordinator_status, publish, read_s3,
    read_snapshot, settings_from_options,
};
use pyroscope_cluster_juju::{
    CACHE_REFRESH_OPTION, Event, HookContext, HookTools, LogLevel, Runner, StatusName, StatusTarget, ToolError,
    error_chain,
};
use pyroscope_cluster_provider::{Extras, Settings, Status, reconcile};

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

/// One hook of the coordinator.
pub fn hook<R: Runner>(context: &HookContext, tools: &mut HookTools<R>) -> Result<Outcome, ToolError> {
    if let Event::Unknown { hook } = &context.event {
        tools.log(LogLevel::Debug, &format!("hook {hook} is not one this charm knows; reconciling as on any hook"))?;
    }
    if !tools.is_leader()? {
        let message = "standby: the leader publishes the configuration";
        tools.status_set(StatusTarget::Unit, StatusName::Active, message)?;
        return Ok(Outcome { status: StatusName::Active, message: message.into(), written: Vec::new() });
    }
    let config = tools.config()?;
    if let Ok(Some(every)) = config.parse::<u32>(CACHE_REFRESH_OPTION) {
        tools.refresh_cache_every(every);
    }
    if matches!(context.event, Event::Install | Event::ConfigChanged | Event::UpgradeCharm) {
        if let Some(release) = config.get(RELEASE_OPTION).and_then(|value| value.as_str()) {
            tools.application_version_set(release)?;
        }
    }
    let mut problems = Vec::new();
    let mut settings = settings_from_options(&config).unwrap_or_else(|errors| {
        problems.extend(errors.iter().map(|err| error_chain(err)));
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
        (Some(plan), true) => publish(tools, plan, &read.relations, None),
        _ => PublishReport::default(),
    };
    for problem in outcome.view.problems() {
        tools.log(LogLevel::Warning, &error_chain(problem))?;
    }
    // Said whenever the configuration goes out, not on every quiet hook.
    let warning = outcome.config.as_ref().ok().and_then(|config| config.storage.s3.plain_http_warning());
    if let (Some(warning), false) = (warning, report.written.is_empty()) {
        tools.log(LogLevel::Warning, &warning)?;
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
    tools.status_set(StatusTarget::Unit, status, &message)?;
    tools.status_set(StatusTarget::App, status, &message)?;
    Ok(Outcome { status, message, written: report.written.iter().map(ToString::to_string).collect() })
}

/// The charm's entry point inside Juju: the hook from the environment, the tools as processes.
/// Exits non-zero (Juju retries the hook) when a hook tool fails as a whole, after logging why;
/// a failure on one relation is in the status and the log, and the hook succeeds.
pub fn main() -> ExitCode {
    pyroscope_cluster_juju::dispatch("pyroscope-coordinator", |context, tools| hook(context, tools).map(drop))
}

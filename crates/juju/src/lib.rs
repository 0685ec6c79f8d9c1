//! The `pyroscope_cluster` relation inside a Juju charm: the one crate of the workspace that runs
//! processes or touches files for a charm.
//!
//! - [`Call`] is one hook-tool call with the argv ops 3.9 gives it; a [`Runner`] runs calls
//!   ([`Subprocess`] as processes, the `testing` feature in memory); [`HookTools`] makes them
//!   typed calls and reads their failures into [`ToolError`] (a gone relation, whether Juju 3.6
//!   or 4.0 words it; not the leader; a missing secret; a missing, failing, hanging or garbled
//!   tool).
//! - [`HookContext`] reads the hook from the `JUJU_*` environment as a typed [`Event`] (an
//!   unknown hook is a value; a malformed `JUJU_RELATION_ID` an error).
//! - The coordinator's hook: [`read_snapshot`] (one read per databag), [`read_s3`] (the `s3`
//!   relation), the provider's `reconcile`, [`coordinator::publish`] (one `relation-set` per
//!   databag that changes, none when nothing changed; the TLS key granted first), and
//!   [`coordinator_status`].
//! - The worker's hook: [`worker::publish`] (app databag only as leader),
//!   [`read_coordinator`], [`private_key`] (`secret-get --refresh`), [`sync_ports`], and
//!   [`write_config_file`] (atomic, owner-only).
//! - `testing` (feature): an in-memory Juju: a model state in, hooks of charms run in Juju's
//!   order, the state out, Juju's rules enforced.
//!
//! The decisions are the provider's and the requirer's, which do no IO; this crate reads what
//! they decide from and carries out what they decide.
//!
//! A coordinator's hook, against the in-memory Juju:
//!
//! ```
//! use pyroscope_cluster_juju::testing::{HookSpec, State, run_hook};
//! use pyroscope_cluster_juju::{CLUSTER_ENDPOINT, coordinator, coordinator_status, read_snapshot};
//! use pyroscope_cluster_provider::{Extras, Settings, reconcile};
//!
//! // A coordinator unit alone: no worker relation yet.
//! let mut state = State::default();
//! state.apps.insert("pyroscope".into(), Default::default());
//! state.apps.get_mut("pyroscope").unwrap().units.insert("pyroscope/0".into(), Default::default());
//! state.apps.get_mut("pyroscope").unwrap().leader = Some("pyroscope/0".into());
//!
//! let hook = HookSpec::simple("pyroscope/0", "update-status");
//! let (state, calls, status) = run_hook(state, &hook, |context, tools| {
//!     let read = read_snapshot(tools, context, CLUSTER_ENDPOINT)?;
//!     let outcome = reconcile(&read.snapshot, &Settings::default(), &Extras::default());
//!     let report = match &outcome.plan {
//!         Some(plan) => coordinator::publish(tools, plan, &read.relations, None),
//!         None => Default::default(),
//!     };
//!     let (status, message) = coordinator_status(&outcome, &read.skipped, &report);
//!     tools.status_set(false, status, &message)?;
//!     Ok::<_, pyroscope_cluster_juju::ToolError>(message)
//! })?;
//! // The settings lack S3 and no worker is related: blocked, the first of these first.
//! assert!(status?.starts_with("S3 endpoint is not set"));
//! assert_eq!(calls[0].argv, ["relation-ids", "pyroscope-cluster", "--format=json"]);
//! assert_eq!(state.apps["pyroscope"].units["pyroscope/0"].status.name, "blocked");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod call;
mod context;
pub mod coordinator;
mod file;
mod runner;
mod s3;
#[cfg(feature = "testing")]
pub mod testing;
mod tools;
pub mod worker;

pub use call::{
    Call, LogLevel, ParseError, RelationRef, RelationRefError, StatusName, apply_relation_set, relation_set_input,
};
pub use context::{ContextError, Event, HookContext, RelationEventKind};
pub use coordinator::{
    CLUSTER_ENDPOINT, PublishReport, SkipReason, Skipped, SnapshotRead, coordinator_status, read_snapshot,
};
pub use file::{CONFIG_FILE_MODE, WriteError, WriteStep, remove_config_file, write_config_file};
pub use runner::{DEFAULT_TIMEOUT, RunError, Runner, Subprocess, TIMEOUT_VARIABLE};
pub use s3::{S3_ENDPOINT, S3Error, read_s3, s3_settings};
pub use tools::{HookTools, LOG_MESSAGE_BYTES, Network, STATUS_MESSAGE_LIMIT, ToolError};
pub use worker::{PRIVATE_KEY, PortChanges, PrivateKeyError, Published, private_key, read_coordinator, sync_ports};

/// `err` and its sources, `: `-joined: one line for a log or a status.
/// (The model's [`ErrorChain`](pyroscope_cluster_model::ErrorChain), as a `String`.)
pub fn error_chain(err: &dyn std::error::Error) -> String {
    pyroscope_cluster_model::ErrorChain(err).to_string()
}

/// A charm's `main` inside Juju: reads the hook from the environment, runs `hook` with the hook
/// tools as processes ([`Subprocess::from_env`]), and exits non-zero (Juju retries the hook) when
/// the context is not a hook's or `hook` fails, after saying why on standard error (which Juju
/// logs) and with `juju-log`.
pub fn dispatch<E: std::error::Error>(
    charm: &str,
    hook: impl FnOnce(&HookContext, &mut HookTools<Subprocess>) -> Result<(), E>,
) -> std::process::ExitCode {
    let context = match HookContext::from_env() {
        Ok(context) => context,
        Err(err) => {
            eprintln!("{charm}: {}", error_chain(&err));
            return std::process::ExitCode::FAILURE;
        }
    };
    let mut tools = HookTools::new(Subprocess::from_env(), context.unit.clone());
    match hook(&context, &mut tools) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            let line = format!("hook {} failed: {}", context.event, error_chain(&err));
            eprintln!("{charm}: {line}");
            let _ = tools.log(LogLevel::Error, &line);
            std::process::ExitCode::FAILURE
        }
    }
}

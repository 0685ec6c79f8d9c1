//! A Juju charm's side of Juju, for any charm written in Rust: the one place where a charm runs
//! hook tools or writes its files. It knows no Pyroscope word; the flows of the
//! `pyroscope_cluster` relation (crates `pyroscope-cluster-coordinator` and
//! `pyroscope-cluster-worker`) sit above it, as kube-runtime sits above kube-client.
//!
//! - [`Call`] is one hook-tool call with the argv ops 3.9 gives it; a [`Runner`] runs calls
//!   ([`Subprocess`] as processes, the `testing` feature in memory); [`HookTools`] makes them
//!   typed calls and reads their failures into [`ToolError`] (a gone relation, whether Juju 3.6
//!   or 4.0 words it; not the leader; a missing secret; a missing, failing, hanging or garbled
//!   tool). [`RelationRef`] is a relation as hook tools name it (`endpoint:id`).
//! - [`HookContext`] reads the hook from the `JUJU_*` environment as a typed [`Event`] (an
//!   unknown hook is a value; a malformed `JUJU_RELATION_ID` an error); [`dispatch`] is a
//!   charm's `main`.
//! - [`write_config_file`]: an atomic, owner-only file write (a workload never reads half a file).
//! - `testing` (feature): an in-memory Juju: a model state in, hooks of charms run in Juju's
//!   order, the state out, Juju's rules enforced.
//!
//! A hook against the in-memory Juju:
//!
//! ```
//! use pyroscope_cluster_juju::testing::{HookSpec, State, run_hook};
//! use pyroscope_cluster_juju::{StatusName, StatusTarget};
//!
//! let mut state = State::default();
//! state.apps.insert("db".into(), Default::default());
//! state.apps.get_mut("db").unwrap().units.insert("db/0".into(), Default::default());
//!
//! let hook = HookSpec::simple("db/0", "update-status");
//! let (state, calls, relations) = run_hook(state, &hook, |_context, tools| {
//!     let relations = tools.relation_ids("database")?;
//!     tools.status_set(StatusTarget::Unit, StatusName::Waiting, "no database relation yet")?;
//!     Ok::<_, pyroscope_cluster_juju::ToolError>(relations)
//! })?;
//! assert!(relations?.is_empty());
//! assert_eq!(calls[0].argv, ["relation-ids", "database", "--format=json"]);
//! assert_eq!(state.apps["db"].units["db/0"].status.name, "waiting");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

mod cache;
mod call;
mod config;
mod context;
mod file;
mod runner;
#[cfg(feature = "testing")]
pub mod testing;
mod tools;

pub use cache::{CACHE_FILE, CACHE_FORMAT, CacheFile, CacheStore, CachedRelation, FullRead, HookCache, run_with_cache};
pub use call::{
    Call, LogLevel, ParseError, RelationRef, RelationRefError, StatusName, StatusTarget, apply_relation_set,
    relation_set_input,
};
pub use config::{CACHE_REFRESH_OPTION, CharmConfig, OptionError};
pub use context::{ContextError, Event, HookContext, RelationEventKind};
pub use file::{CONFIG_FILE_MODE, WriteError, WriteStep, remove_config_file, write_config_file};
pub use runner::{DEFAULT_TIMEOUT, RunError, Runner, Subprocess, TIMEOUT_VARIABLE};
pub use tools::{HookTools, LOG_MESSAGE_BYTES, Network, STATUS_MESSAGE_LIMIT, SecretRevision, ToolError};

/// A databag as Juju holds it: a map of string to string.
pub type Databag = BTreeMap<String, String>;

/// `err` and its sources, `: `-joined: one line for a log or a status.
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let levels: Vec<String> = std::iter::successors(Some(err), |err| err.source()).map(ToString::to_string).collect();
    levels.join(": ")
}

/// A charm's `main` inside Juju: reads the hook from the environment, runs `hook` with the hook
/// tools as processes ([`Subprocess::from_env`]) reading through the hook cache
/// ([`HookCache`], in [`CACHE_FILE`] in the charm's directory, committed only when the hook
/// succeeds: [`run_with_cache`]), and exits non-zero (Juju retries the hook) when the context is
/// not a hook's or `hook` fails, after saying why on standard error (which Juju logs) and with
/// `juju-log`.
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
    let directory = context.charm_dir.clone().map_or_else(|| std::path::PathBuf::from("."), Into::into);
    let mut store = CacheFile(directory.join(CACHE_FILE));
    // The charm Juju deployed (`.juju-charm` holds its URL with the revision, rewritten on every
    // deploy and upgrade: juju/juju `charm/manifest_deployer.go`) and the binary itself.
    let deployed = std::fs::read_to_string(directory.join(".juju-charm")).unwrap_or_default();
    let identity = format!("{charm} {} {}", deployed.trim(), binary_identity());
    let mut failed = None;
    let (result, full_read) =
        run_with_cache(&mut store, &context, &identity, Subprocess::from_env(), |context, tools| {
            hook(context, tools).map_err(|err| {
                let line = format!("hook {} failed: {}", context.event, error_chain(&err));
                let _ = tools.log(LogLevel::Error, &line);
                failed = Some(line);
            })
        });
    if let Some(why) = full_read {
        // Standard output goes to Juju's log at DEBUG: no hook-tool call for it.
        println!("{charm}: reading everything: {why}");
    }
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(()) => {
            eprintln!("{charm}: {}", failed.unwrap_or_default());
            std::process::ExitCode::FAILURE
        }
    }
}

/// The running binary's size and modification time: a new charm revision is a new binary.
fn binary_identity() -> String {
    let metadata = std::env::current_exe().and_then(std::fs::metadata);
    match metadata {
        Ok(metadata) => {
            let modified = metadata
                .modified()
                .ok()
                .and_then(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |since| since.as_nanos());
            format!("{}:{modified}", metadata.len())
        }
        Err(_) => String::new(),
    }
}

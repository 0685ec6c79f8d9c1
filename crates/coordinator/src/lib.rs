//! The Pyroscope coordinator's hook on Juju, for a coordinator charm: the flow that joins the
//! provider's decisions (`pyroscope-cluster-provider`, no IO) to the hook tools
//! (`pyroscope-cluster-juju`, no Pyroscope), with the fewest calls.
//!
//! - [`read_snapshot`]: the worker relations read into the provider's [`Snapshot`] (one read per
//!   databag; departing units and broken or gone relations left out, with the reason);
//! - [`read_s3`]: the `s3` relation, as s3-integrator publishes it;
//! - [`publish`]: the provider's plan carried out (one `relation-set` per databag that changes,
//!   none when nothing changed; the TLS key granted first);
//! - [`coordinator_status`]: the status a coordinator sets.
//!
//! A coordinator's hook, against the in-memory Juju:
//!
//! ```
//! use pyroscope_cluster_coordinator::{CLUSTER_ENDPOINT, coordinator_status, publish, read_snapshot};
//! use pyroscope_cluster_juju::StatusTarget;
//! use pyroscope_cluster_juju::testing::{HookSpec, State, run_hook};
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
//!         Some(plan) => publish(tools, plan, &read.relations, None),
//!         None => Default::default(),
//!     };
//!     let (status, message) = coordinator_status(&outcome, &read.skipped, &report);
//!     tools.status_set(StatusTarget::Unit, status, &message)?;
//!     Ok::<_, pyroscope_cluster_juju::ToolError>(message)
//! })?;
//! // The settings lack S3 and no worker is related: blocked, the first of these first.
//! assert!(status?.starts_with("S3 endpoint is not set"));
//! assert_eq!(calls[0].argv, ["relation-ids", "pyroscope-cluster", "--format=json"]);
//! assert_eq!(state.apps["pyroscope"].units["pyroscope/0"].status.name, "blocked");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;

use pyroscope_cluster_juju::{HookContext, HookTools, RelationRef, Runner, StatusName, ToolError, relation_set_input};
use pyroscope_cluster_provider::{
    PublishPlan, Reconciliation, RelationId, Snapshot, Status, StatusLevel, WorkerRelation,
};

mod options;
mod s3;
#[cfg(feature = "testing")]
pub mod testing;

pub use options::{ARCHITECTURE_OPTION, PERIOD_OPTIONS, RELEASE_OPTION, V1_ONLY_OPTIONS, settings_from_options};
pub use pyroscope_cluster_model::CLUSTER_ENDPOINT;
pub use s3::{S3_ENDPOINT, S3Error, read_s3};

/// Why a relation is not in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// This hook is the relation's `relation-broken`: it is going away (Juju before 3.4 still
    /// lists it in `relation-ids`).
    Broken,
    /// A hook tool answered that the relation is gone while it was being read.
    Gone {
        /// The tool that said so.
        tool: &'static str,
    },
}

/// A relation left out of the snapshot, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The relation.
    pub relation: RelationRef,
    /// Why.
    pub reason: SkipReason,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            SkipReason::Broken => write!(f, "relation {} is being removed", self.relation),
            SkipReason::Gone { tool } => write!(f, "relation {} is gone (`{tool}` said so); left out", self.relation),
        }
    }
}

/// What [`read_snapshot`] read: the snapshot the provider decides from, the relations left out,
/// and each relation's hook-tool name (for the writes).
#[derive(Debug, Clone, Default)]
pub struct SnapshotRead {
    /// The worker relations that could be read.
    pub snapshot: Snapshot,
    /// Those left out, with the reason.
    pub skipped: Vec<Skipped>,
    /// Each relation in the snapshot as hook tools name it.
    pub relations: BTreeMap<RelationId, RelationRef>,
}

/// Reads the coordinator's worker relations on `endpoint` with the fewest calls: one
/// `relation-ids`; per relation, one `relation-list` of the units and one of the remote app, one
/// read of the remote app's databag, one read per unit, one read of this (leader) unit's own app
/// databag (what it published last).
///
/// The departing unit of a `relation-departed` hook is left out (Juju may still show its data),
/// and so is the relation of a `relation-broken` hook. A relation a tool answers is gone (Juju
/// 3.6's "permission denied", 4.0's "relation not found") is skipped with the reason; any other
/// failure is the error. Must run on the leader: a follower cannot read its own app databag.
pub fn read_snapshot<R: Runner>(
    tools: &mut HookTools<R>,
    context: &HookContext,
    endpoint: &str,
) -> Result<SnapshotRead, ToolError> {
    let mut read = SnapshotRead::default();
    let broken = context.broken_relation(endpoint).map(|relation| relation.id);
    for relation in tools.relation_ids(endpoint)? {
        if Some(relation.id) == broken {
            read.skipped.push(Skipped { relation, reason: SkipReason::Broken });
            continue;
        }
        match read_relation(tools, context, &relation) {
            Ok(worker) => {
                read.relations.insert(RelationId(relation.id), relation);
                read.snapshot.relations.push(worker);
            }
            Err(ToolError::RelationGone { tool, .. }) => {
                read.skipped.push(Skipped { relation, reason: SkipReason::Gone { tool } })
            }
            Err(err) => return Err(err),
        }
    }
    Ok(read)
}

fn read_relation<R: Runner>(
    tools: &mut HookTools<R>,
    context: &HookContext,
    relation: &RelationRef,
) -> Result<WorkerRelation, ToolError> {
    let mut units = tools.relation_units(relation)?;
    // Juju no longer lists the departing unit, but a departed hook's relation-list has been
    // seen to still show it: never count it (operator #1917, cos-coordinated-workers #33).
    units.retain(|unit| Some(unit) != context.departing_unit.as_ref());
    let app = tools.relation_app(relation)?;
    let app_data = tools.app_databag(relation, &app)?;
    let mut databags = BTreeMap::new();
    for unit in units {
        let databag = tools.unit_databag(relation, &unit)?;
        databags.insert(unit, databag);
    }
    let own_app = tools.app().to_owned();
    let published = tools.app_databag(relation, &own_app)?;
    Ok(WorkerRelation { id: RelationId(relation.id), app, app_data, units: databags, published })
}

/// The outcome of [`publish`]: what was written, and what was not.
#[derive(Debug, Default)]
pub struct PublishReport {
    /// The relations written to (one `relation-set` each).
    pub written: Vec<RelationRef>,
    /// The relations whose databag already held the plan's (nothing written).
    pub unchanged: usize,
    /// Relations that went away before the write.
    pub gone: Vec<RelationRef>,
    /// Writes that failed; the next hook computes them again against what the databags hold.
    pub failed: Vec<(RelationRef, ToolError)>,
}

impl PublishReport {
    /// Whether every write that was needed was made.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Carries out `plan`: one `relation-set -r <ref> --app --file -` per relation whose databag must
/// change, none for the others. `relations` names each relation (from [`SnapshotRead`]).
///
/// When `private_key_secret` is given, each relation whose write sets `privkey_secret_id` (the
/// first publication of TLS to it, or a new secret) is first granted the secret
/// (`secret-grant`, idempotent); if the grant fails, the write is not made, so that a worker
/// never sees a secret ID it cannot read. A failed call is reported, not fatal: the other
/// relations are written, and the next hook converges, since it compares with what the
/// databags hold then.
pub fn publish<R: Runner>(
    tools: &mut HookTools<R>,
    plan: &PublishPlan,
    relations: &BTreeMap<RelationId, RelationRef>,
    private_key_secret: Option<&str>,
) -> PublishReport {
    let unchanged = plan.changed_keys().filter(|(_, keys)| keys.is_empty()).count();
    let mut report = PublishReport { unchanged, ..PublishReport::default() };
    for (id, keys) in plan.changed_keys().filter(|(_, keys)| !keys.is_empty()) {
        // The values of one relation at a time: the configuration of a large cluster is hundreds
        // of kilobytes, and goes to every relation.
        let changes = keys.with_values(plan.databag_for(id));
        let relation = relations.get(&id).cloned().unwrap_or_else(|| RelationRef::new("", id.0));
        let result = grant_if_new(tools, &relation, &changes.set, private_key_secret)
            .and_then(|()| tools.set_app_databag(&relation, &relation_set_input(&changes.set, &changes.delete)));
        match result {
            Ok(()) => report.written.push(relation),
            Err(ToolError::RelationGone { .. }) => report.gone.push(relation),
            Err(err) => report.failed.push((relation, err)),
        }
    }
    report
}

fn grant_if_new<R: Runner>(
    tools: &mut HookTools<R>,
    relation: &RelationRef,
    set: &BTreeMap<String, String>,
    secret: Option<&str>,
) -> Result<(), ToolError> {
    match secret {
        Some(secret) if set.contains_key("privkey_secret_id") => tools.secret_grant(secret, relation),
        _ => Ok(()),
    }
}

/// Grants `secret` to every relation of `relations` (`secret-grant --relation <id> <secret>`,
/// idempotent). For a charm that publishes TLS some other way than [`publish`]; returns the
/// relations whose grant failed.
pub fn grant_to_all<R: Runner>(
    tools: &mut HookTools<R>,
    secret: &str,
    relations: &BTreeMap<RelationId, RelationRef>,
) -> Vec<(RelationRef, ToolError)> {
    relations
        .values()
        .filter_map(|relation| tools.secret_grant(secret, relation).err().map(|err| (relation.clone(), err)))
        .collect()
}

/// The coordinator's status from the reconciliation, the relations left out and the writes that
/// failed: the provider's status ([`Reconciliation::status`]: active only when every related
/// worker app gets the configuration, waiting for data, blocked on what a person must fix), then
/// how many relations [`read_snapshot`] skipped and [`publish`] could not write (waiting, when
/// nothing blocks). The message is at most [`Status::MESSAGE_LIMIT`] characters; the reasons
/// behind it are for the log.
pub fn coordinator_status(
    outcome: &Reconciliation,
    skipped: &[Skipped],
    report: &PublishReport,
) -> (StatusName, String) {
    let status = outcome.status();
    let gone: Vec<&Skipped> = skipped.iter().filter(|skip| skip.reason != SkipReason::Broken).collect();
    let gone = match gone.as_slice() {
        [] => String::new(),
        [one] => one.to_string(),
        many => format!("{} relations are gone; left out", many.len()),
    };
    let failed = match report.failed.as_slice() {
        [] => String::new(),
        [(relation, _)] => format!("publishing to relation {relation} failed (see the log)"),
        many => format!("publishing to {} relations failed (see the log)", many.len()),
    };
    let level = match status.level {
        StatusLevel::Blocked => StatusName::Blocked,
        StatusLevel::Active if report.failed.is_empty() => StatusName::Active,
        _ => StatusName::Waiting,
    };
    // What failed here first: the provider's message ends with its longest part.
    (level, Status::fit([failed, gone, status.message]))
}

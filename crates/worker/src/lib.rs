//! A Pyroscope worker's hook on Juju, for a worker charm: the flow that joins the requirer's
//! decisions (`pyroscope-cluster-requirer`, no IO) to the hook tools (`pyroscope-cluster-juju`,
//! no Pyroscope), with the fewest calls.
//!
//! - [`publish`]: its databags (the app databag only as leader), written only when they change;
//! - [`read_coordinator`]: the coordinator's databag;
//! - [`private_key`]: the TLS private key (`secret-get --refresh`);
//! - [`sync_ports`]: the ports the coordinator asks for.
//!
//! ```
//! use pyroscope_cluster_juju::RelationRef;
//! use pyroscope_cluster_juju::testing::{Charms, HookSpec, Model, State, run_hook};
//! use pyroscope_cluster_worker::read_coordinator;
//!
//! let mut model = Model::new(State::default(), Charms::default());
//! model.deploy("pyroscope", None, 1);
//! model.deploy("worker", None, 1);
//! let id = model.relate("pyroscope", "pyroscope-cluster", "worker", "pyroscope-cluster");
//! model.set_app_data(id, "pyroscope", [("worker_config".to_owned(), "\"a: 1\"".to_owned())].into());
//! let hook = HookSpec::simple("worker/0", "update-status");
//! let (_, calls, read) = run_hook(model.state, &hook, |_, tools| {
//!     read_coordinator(tools, &RelationRef::new("pyroscope-cluster", id))
//! })?;
//! let (app, databag) = read?;
//! assert_eq!((app.as_str(), databag["worker_config"].as_str()), ("pyroscope", "\"a: 1\""));
//! assert_eq!(calls.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeSet;

mod options;

pub use options::{RELEASE_OPTION, WorkerOptions, read_options};

use pyroscope_cluster_juju::{
    HookContext, HookTools, RelationRef, Runner, SecretRevision, ToolError, relation_set_input,
};
use pyroscope_cluster_model::{CLUSTER_ENDPOINT, RawDatabag};
use pyroscope_cluster_requirer::{Announcement, Leadership, PortsToOpen};

/// What [`publish`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Published {
    /// Whether the unit databag was written.
    pub unit: bool,
    /// Whether the app databag was written (the leader only).
    pub app: bool,
}

/// Publishes this unit's data on `relation`: reads its unit databag (and, as leader, its app
/// databag), plans with [`Announcement::plan`], and writes each databag that must change with one
/// `relation-set --file -`; nothing when both are up to date. Leadership is Juju's answer
/// (`is-leader`, asked once per hook by [`HookTools`]): a follower neither reads nor writes the
/// app databag (Juju refuses it: cos-lib #93, operator #784). Juju's own keys
/// (`ingress-address`, `private-address`, `egress-subnets`) are kept.
pub fn publish<R: Runner>(
    tools: &mut HookTools<R>,
    relation: &RelationRef,
    announcement: &Announcement,
) -> Result<Published, ToolError> {
    let leader = tools.is_leader()?;
    let unit = tools.unit().to_owned();
    let unit_databag = tools.unit_databag(relation, &unit)?;
    let app_databag = if leader {
        let app = tools.app().to_owned();
        Some(tools.app_databag(relation, &app)?)
    } else {
        None
    };
    let leadership = match &app_databag {
        Some(app_databag) => Leadership::Leader { app_databag },
        None => Leadership::Follower,
    };
    let plan = announcement.plan(&unit_databag, leadership);
    let mut published = Published::default();
    if !plan.unit.is_empty() {
        tools.set_unit_databag(relation, &relation_set_input(&plan.unit.set, &plan.unit.delete))?;
        published.unit = true;
    }
    if let Ok(app) = &plan.app {
        if !app.is_empty() {
            tools.set_app_databag(relation, &relation_set_input(&app.set, &app.delete))?;
            published.app = true;
        }
    }
    Ok(published)
}

/// The worker's relation to its coordinator, on [`CLUSTER_ENDPOINT`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoordinatorRelation {
    /// None (or only the one this hook breaks): the worker has no coordinator.
    None,
    /// One, as a worker should have.
    One(RelationRef),
    /// More than one (the endpoint allows one); how many.
    Many(usize),
}

/// The relation to the coordinator (one `relation-ids`), leaving out the relation this hook
/// breaks (Juju before 3.4 still lists it in its `relation-broken`).
pub fn coordinator_relation<R: Runner>(
    tools: &mut HookTools<R>,
    context: &HookContext,
) -> Result<CoordinatorRelation, ToolError> {
    let broken = context.broken_relation(CLUSTER_ENDPOINT).map(|relation| relation.id);
    let mut relations = tools.relation_ids(CLUSTER_ENDPOINT)?;
    relations.retain(|relation| Some(relation.id) != broken);
    Ok(match relations.len() {
        0 => CoordinatorRelation::None,
        1 => CoordinatorRelation::One(relations.remove(0)),
        many => CoordinatorRelation::Many(many),
    })
}

/// Reads the coordinator's app databag on `relation` (two calls: the remote app, its databag).
/// Returns the coordinator application's name and the databag.
pub fn read_coordinator<R: Runner>(
    tools: &mut HookTools<R>,
    relation: &RelationRef,
) -> Result<(String, RawDatabag), ToolError> {
    let app = tools.relation_app(relation)?;
    let databag = tools.app_databag(relation, &app)?;
    Ok((app, databag))
}

/// The content key of the private-key secret the coordinator shares (coordinated-workers 4.1.4
/// `worker.py`: `get_content().get("private-key")`).
pub const PRIVATE_KEY: &str = "private-key";

/// Why the TLS private key could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrivateKeyError {
    /// `secret-get` failed (not granted yet, removed, ...).
    #[error("reading the private key secret {id} failed")]
    Tool {
        /// The secret.
        id: String,
        /// Why.
        #[source]
        source: ToolError,
    },
    /// The secret has no `private-key`.
    #[error("the secret {id} has no `{PRIVATE_KEY}` key")]
    NoKey {
        /// The secret.
        id: String,
    },
}

/// Reads the private key from the secret `id` with `secret-get --refresh`: the latest revision,
/// tracked from now on, so that a rotated key is seen (the Python worker reads without it and keeps
/// the first revision: cos-coordinated-workers #16, #171). `Debug` of the result is the caller's
/// to avoid: it is a private key.
pub fn private_key<R: Runner>(tools: &mut HookTools<R>, id: &str) -> Result<String, PrivateKeyError> {
    let mut content = tools
        .secret_get(id, SecretRevision::Refresh)
        .map_err(|source| PrivateKeyError::Tool { id: id.to_owned(), source })?;
    content.remove(PRIVATE_KEY).ok_or_else(|| PrivateKeyError::NoKey { id: id.to_owned() })
}

/// What [`sync_ports`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PortChanges {
    /// Ports opened.
    pub opened: Vec<u16>,
    /// Ports closed.
    pub closed: Vec<u16>,
}

/// Makes the unit's open TCP ports the coordinator's `worker_ports`: one `opened-ports`, then an
/// `open-port` per missing port and a `close-port` per extra one (ops' `Unit.set_ports`). With
/// [`PortsToOpen::NotGiven`] (the coordinator sent no list) the ports are left as they are,
/// as the Python worker does (coordinated-workers 4.1.4 `worker.py`: `set_ports` only when the
/// list is not empty) and no call is made. An empty list closes every port (the Python worker
/// would leave them: the coordinator said "none", and this worker takes it at its word).
pub fn sync_ports<R: Runner>(tools: &mut HookTools<R>, wanted: PortsToOpen<'_>) -> Result<PortChanges, ToolError> {
    let PortsToOpen::Exactly(wanted) = wanted else {
        return Ok(PortChanges::default());
    };
    let wanted: BTreeSet<u16> = wanted.iter().map(|port| port.get()).collect();
    let open: BTreeSet<u16> = tools.opened_ports()?.into_iter().collect();
    let mut changes = PortChanges::default();
    for port in wanted.difference(&open) {
        tools.open_port(*port)?;
        changes.opened.push(*port);
    }
    for port in open.difference(&wanted) {
        tools.close_port(*port)?;
        changes.closed.push(*port);
    }
    Ok(changes)
}

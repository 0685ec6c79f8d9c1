//! The cluster as the coordinator sees it: which worker relations are ready, which units count,
//! their addresses and roles, and the reason for everything left out.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use pyroscope_cluster_model::{
    Address, Architecture, DatabagModel, DecodeError, JujuTopology, Problem, RawDatabag, RequirerAppData,
    RequirerUnitData, Role, Roles,
};

use crate::snapshot::{DecodedRelation, RelationId, Snapshot, WorkerRelation};

/// Why a worker relation is not ready: nothing is published to it until every reason is gone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Reason {
    /// The worker app's databag has no valid `role` (missing, not JSON, or an unknown role).
    #[error(transparent)]
    AppData(DecodeError),
    /// No worker unit has joined the relation yet.
    #[error("no worker unit has joined the relation yet")]
    NoUnits,
    /// A unit's databag lacks a valid `address` or `juju_topology`. Its message names the unit
    /// only; what is wrong is the [`source`](std::error::Error::source), so show the reason with
    /// [`ErrorChain`](pyroscope_cluster_model::ErrorChain).
    #[error("unit {unit}")]
    UnitData {
        /// The unit's name, e.g. `pyroscope-querier/0`.
        unit: String,
        /// What is wrong with its databag.
        #[source]
        error: DecodeError,
    },
    /// The worker app declares roles of the other storage architecture than the coordinator's:
    /// its units are not part of this cluster.
    #[error("{} not of the {architecture} storage architecture this coordinator runs", RoleList(roles))]
    OtherArchitecture {
        /// The roles that are not of `architecture`, sorted.
        roles: Vec<Role>,
        /// The coordinator's architecture.
        architecture: Architecture,
    },
    /// The snapshot holds more than one relation with this ID (Juju never does: the snapshot was
    /// built wrongly), so which one to publish to is unknown.
    #[error("the snapshot holds {count} relations with this ID; build it with one entry per relation")]
    DuplicateRelation {
        /// How many relations have the ID.
        count: usize,
    },
}

/// `role querier is` or `roles querier, ingester are`.
struct RoleList<'a>(&'a [Role]);

impl fmt::Display for RoleList<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.len() == 1 { "role " } else { "roles " })?;
        for (i, role) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(role.as_str())?;
        }
        f.write_str(if self.0.len() == 1 { " is" } else { " are" })
    }
}

impl Reason {
    /// Whether a person must act: the data is there but invalid (or the snapshot is wrong).
    /// `false` when data is only not there yet: no unit has joined, or a databag lacks a key it
    /// needs and has no invalid one (a unit or the app's leader has not published yet); the
    /// coordinator then waits.
    pub fn needs_action(&self) -> bool {
        let missing_only =
            |error: &DecodeError| error.problems.iter().all(|problem| matches!(problem.problem, Problem::Missing));
        match self {
            Reason::NoUnits => false,
            Reason::AppData(error) | Reason::UnitData { error, .. } => !missing_only(error),
            Reason::DuplicateRelation { .. } | Reason::OtherArchitecture { .. } => true,
        }
    }
}

/// One reason why one worker relation is not ready, naming the relation and the worker app.
///
/// Its message says which relation is not ready; the reason is its
/// [`source`](std::error::Error::source). [`ErrorChain`](pyroscope_cluster_model::ErrorChain)
/// shows both: `relation 3 (pyroscope-querier) is not ready: unit pyroscope-querier/0: ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("relation {relation} ({app}) is not ready")]
pub struct NotReady {
    /// The relation.
    pub relation: RelationId,
    /// The worker application.
    pub app: String,
    /// Why.
    #[source]
    pub reason: Reason,
}

/// What the provider makes of one worker relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationReport {
    /// The relation.
    pub id: RelationId,
    /// The worker application.
    pub app: String,
    /// The roles the worker app declares, when its databag is valid.
    pub roles: Option<Roles>,
    /// How many units the relation has.
    pub units: usize,
    /// How many of them count in the cluster: their databag is valid and so is the app's (and the
    /// relation's ID is not repeated in the snapshot).
    pub valid_units: usize,
    /// Why the relation is not ready; empty when it is.
    pub problems: Vec<NotReady>,
}

impl RelationReport {
    /// Ready: the app declares valid roles, at least one unit has joined, and every unit's data is
    /// valid. Only ready relations are published to.
    pub fn is_ready(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A worker unit that counts in the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worker {
    /// The relation the unit is on.
    pub relation: RelationId,
    /// The unit's name as Juju lists it, e.g. `pyroscope-querier/0`.
    pub unit: String,
    /// Its address.
    pub address: Address,
    /// Its Juju topology, as it published it.
    pub topology: JujuTopology,
}

/// A set of roles, as a bit per position in [`Role::KNOWN`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct RoleSet(u128);

impl RoleSet {
    /// The bit of `role`; none for a role beyond the 128th of [`Role::KNOWN`] (the model has fourteen),
    /// or not in it, which is then never counted.
    fn bit(role: Role) -> u128 {
        Role::KNOWN.iter().position(|known| *known == role).and_then(|i| 1u128.checked_shl(i as u32)).unwrap_or(0)
    }

    fn of(roles: &Roles, architecture: Architecture) -> Self {
        Self(roles.expanded_for(architecture).into_iter().fold(0, |set, role| set | Self::bit(role)))
    }

    fn contains(self, role: Role) -> bool {
        self.0 & Self::bit(role) != 0
    }

    fn contains_all(self, roles: &[Role]) -> bool {
        roles.iter().all(|role| self.contains(*role))
    }
}

/// One distinct address of the cluster and the roles of the units that published it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Member {
    /// Index in `workers` of a unit with this address.
    worker: usize,
    roles: RoleSet,
}

/// The cluster the coordinator sees: relations with their readiness, the units that count, their
/// addresses and roles.
///
/// A unit *counts* (is *valid*) when its own databag is valid and its application declares a
/// valid role, whether or not the rest of its relation is ready: this is what the Python
/// coordinator does, and it keeps the gossip ring whole while one unit of an app is still
/// starting. Units of relations whose ID the snapshot repeats never count. Nothing here depends
/// on the order of the snapshot's relations or units.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClusterView {
    architecture: Architecture,
    relations: Vec<RelationReport>,
    workers: Vec<Worker>,
    members: Vec<Member>,
    /// Per address more than one worker published (sorted by address): their indexes in
    /// `workers`, in order.
    shared: Vec<Vec<usize>>,
    units_by_role: BTreeMap<Role, usize>,
}

impl ClusterView {
    /// Decodes every databag of the snapshot and gathers a cluster of Pyroscope's v1 storage
    /// architecture ([`gather_for`](Self::gather_for) with [`Architecture::V1`]).
    pub fn gather(snapshot: &Snapshot) -> Self {
        Self::gather_for(snapshot, Architecture::V1)
    }

    /// Decodes every databag of the snapshot and gathers a cluster of `architecture`: `all`
    /// stands for its roles, and a worker app that declares a role of the other architecture is
    /// not ready ([`Reason::OtherArchitecture`]) and none of its units count.
    pub fn gather_for(snapshot: &Snapshot, architecture: Architecture) -> Self {
        let mut relations: Vec<&WorkerRelation> = snapshot.relations.iter().collect();
        relations.sort_unstable();
        let units = relations.iter().map(|relation| relation.units.len()).sum();
        let mut decoded = decode_units(&relations).into_iter();
        let ids: Vec<RelationId> = relations.iter().map(|relation| relation.id).collect();
        let mut gathering = Gathering::new(architecture, units);
        for (i, relation) in relations.iter().enumerate() {
            let names = relation.units.keys().map(|unit| Cow::Borrowed(unit.as_str()));
            let units = names.zip(decoded.by_ref().take(relation.units.len()));
            gathering.relation(&relation.head(), duplicates(&ids, i), relation.units.len(), units);
        }
        gathering.finish()
    }

    /// [`gather_for`](Self::gather_for) of relations whose units were decoded as they were read:
    /// the same view as from the snapshot they were read from, but for relations that repeat an
    /// ID (which Juju never shows), whose reports may come in another order (by app, app data and
    /// unit names; as given between two that differ only in their units' data). Each relation's
    /// decoded units move into the view, so that a unit's data is held once: its
    /// [`units`](DecodedRelation::units) are left empty, and gathering them again sees none.
    pub fn gather_decoded(relations: &mut [DecodedRelation], architecture: Architecture) -> Self {
        for relation in relations.iter_mut() {
            crate::snapshot::sort_units(&mut relation.units);
        }
        let mut order: Vec<usize> = (0..relations.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&relations[a], &relations[b]);
            (a.id, &a.app, &a.app_data)
                .cmp(&(b.id, &b.app, &b.app_data))
                .then_with(|| a.units.iter().map(|(unit, _)| unit).cmp(b.units.iter().map(|(unit, _)| unit)))
        });
        let units = relations.iter().map(|relation| relation.units.len()).sum();
        let ids: Vec<RelationId> = order.iter().map(|&at| relations[at].id).collect();
        let mut gathering = Gathering::new(architecture, units);
        for (i, &at) in order.iter().enumerate() {
            let relation = &mut relations[at];
            let units = std::mem::take(&mut relation.units);
            let count = units.len();
            let units = units.into_iter().map(|(unit, decoded)| (Cow::Owned(unit), decoded));
            gathering.relation(&relation.head(), duplicates(&ids, i), count, units);
        }
        gathering.finish()
    }

    /// The storage architecture the cluster was gathered for.
    pub fn architecture(&self) -> Architecture {
        self.architecture
    }

    /// Every worker relation, sorted by ID.
    pub fn relations(&self) -> &[RelationReport] {
        &self.relations
    }

    /// The report of one relation.
    pub fn relation(&self, id: RelationId) -> Option<&RelationReport> {
        let at = self.relations.partition_point(|report| report.id < id);
        self.relations.get(at).filter(|report| report.id == id)
    }

    /// The relations that are ready, sorted by ID.
    pub fn ready_relations(&self) -> impl Iterator<Item = &RelationReport> {
        self.relations.iter().filter(|report| report.is_ready())
    }

    /// Every reason for every relation that is not ready, sorted by relation.
    pub fn problems(&self) -> impl Iterator<Item = &NotReady> {
        self.relations.iter().flat_map(|report| &report.problems)
    }

    /// The units that count, sorted by relation ID, then unit name: the workers' topology.
    pub fn workers(&self) -> &[Worker] {
        &self.workers
    }

    /// The addresses that more than one counting unit published, each with those units (sorted by
    /// address, then as in [`workers`](Self::workers)). Such units are one member of the gossip
    /// ring and count once for the replication factors: usually two units on one machine, whose
    /// Pyroscope processes cannot both listen on the memberlist port.
    pub fn shared_addresses(&self) -> Vec<(&Address, Vec<&Worker>)> {
        self.shared
            .iter()
            .map(|indexes| {
                let workers: Vec<&Worker> = indexes.iter().map(|&index| &self.workers[index]).collect();
                (&workers[0].address, workers)
            })
            .collect()
    }

    /// The addresses of the units that count, sorted and de-duplicated.
    pub fn addresses(&self) -> impl ExactSizeIterator<Item = &Address> {
        self.members.iter().map(|member| &self.workers[member.worker].address)
    }

    /// The addresses (sorted, de-duplicated) of the units that run `role`; for a meta-role, the
    /// units that run every role it stands for in the view's architecture.
    pub fn addresses_with(&self, role: Role) -> impl Iterator<Item = &Address> {
        let architecture = self.architecture;
        self.members
            .iter()
            .filter(move |member| member.roles.contains_all(role.expand_for(architecture)))
            .map(|member| &self.workers[member.worker].address)
    }

    /// The addresses of the units that count, by concrete role (meta-roles expanded); roles
    /// without units are left out.
    pub fn addresses_by_role(&self) -> BTreeMap<Role, Vec<&Address>> {
        self.units_by_role.keys().map(|role| (*role, self.addresses_with(*role).collect())).collect()
    }

    /// How many units that count run each concrete role (meta-roles expanded); roles without units
    /// are left out.
    pub fn units_by_role(&self) -> &BTreeMap<Role, usize> {
        &self.units_by_role
    }

    /// How many units that count run the concrete role `role`. Meta-roles are counted as the roles
    /// they stand for, never as themselves: `units_with(Role::All)` is 0.
    pub fn units_with(&self, role: Role) -> usize {
        self.units_by_role.get(&role).copied().unwrap_or(0)
    }
}

/// From how many units [`decode_units`] decodes on two threads.
const PARALLEL_DECODE_FROM: usize = 2_048;

/// The unit databags of `relations` decoded, in order (relation, then unit name). From
/// [`PARALLEL_DECODE_FROM`] units, the second half is decoded on a second thread: decoding is most
/// of gathering a large cluster, each databag on its own. The result is the same either way, and
/// if no thread can be started, one does it all.
fn decode_units(relations: &[&WorkerRelation]) -> Vec<Result<RequirerUnitData, DecodeError>> {
    let databags: Vec<&RawDatabag> = relations.iter().flat_map(|relation| relation.units.values()).collect();
    let decode = |databags: &[&RawDatabag]| -> Vec<_> {
        databags.iter().map(|databag| RequirerUnitData::decode(databag)).collect()
    };
    if databags.len() < PARALLEL_DECODE_FROM {
        return decode(&databags);
    }
    let (first, second) = databags.split_at(databags.len() / 2);
    let (mut decoded, rest) = crate::parallel::both(|| decode(first), || decode(second));
    decoded.extend(rest);
    decoded
}

/// How many other relations of `ids` (sorted) have the ID of the one at `i`.
fn duplicates(ids: &[RelationId], i: usize) -> usize {
    let same_id = |other: &&RelationId| **other == ids[i];
    ids[..i].iter().rev().take_while(same_id).count() + ids[i + 1..].iter().take_while(same_id).count()
}

/// What gathering reads of a relation besides its units.
struct Head<'a> {
    id: RelationId,
    app: &'a str,
    app_data: &'a RawDatabag,
}

impl WorkerRelation {
    fn head(&self) -> Head<'_> {
        Head { id: self.id, app: &self.app, app_data: &self.app_data }
    }
}

impl DecodedRelation {
    fn head(&self) -> Head<'_> {
        Head { id: self.id, app: &self.app, app_data: &self.app_data }
    }
}

/// A view being gathered, relation by relation (sorted by ID).
struct Gathering {
    view: ClusterView,
    /// The roles of each worker of `view.workers`.
    worker_roles: Vec<RoleSet>,
    /// Units per role of [`Role::KNOWN`].
    counts: Vec<usize>,
}

impl Gathering {
    fn new(architecture: Architecture, units: usize) -> Self {
        Self {
            view: ClusterView { architecture, workers: Vec::with_capacity(units), ..ClusterView::default() },
            worker_roles: Vec::with_capacity(units),
            counts: vec![0; Role::KNOWN.len()],
        }
    }

    /// Gathers one relation, its `count` units decoded in unit-name order.
    fn relation<'a>(
        &mut self,
        head: &Head<'_>,
        duplicates: usize,
        count: usize,
        units: impl Iterator<Item = (Cow<'a, str>, Result<RequirerUnitData, DecodeError>)>,
    ) {
        let (report, roles) =
            gather_relation(head, units, count, duplicates, self.view.architecture, &mut self.view.workers);
        if let Some(roles) = roles {
            self.worker_roles.resize(self.view.workers.len(), roles);
            for (role, count) in Role::KNOWN.iter().zip(&mut self.counts) {
                if roles.contains(*role) {
                    *count += report.valid_units;
                }
            }
        }
        self.view.relations.push(report);
    }

    fn finish(self) -> ClusterView {
        let Self { mut view, worker_roles, counts } = self;
        view.units_by_role = Role::KNOWN
            .iter()
            .zip(counts)
            .filter(|&(_, count)| count > 0)
            .map(|(role, count)| (*role, count))
            .collect();
        (view.members, view.shared) = members(&view.workers, &worker_roles);
        view
    }
}

/// Decodes one relation: its report, and the roles of its units when its app data is valid.
/// `units` holds its `count` units, decoded, in unit-name order; valid units are appended to
/// `workers` (in that order).
fn gather_relation<'a>(
    relation: &Head<'_>,
    units: impl Iterator<Item = (Cow<'a, str>, Result<RequirerUnitData, DecodeError>)>,
    count: usize,
    duplicates: usize,
    architecture: Architecture,
    workers: &mut Vec<Worker>,
) -> (RelationReport, Option<RoleSet>) {
    let mut reasons = Vec::new();
    if duplicates > 0 {
        reasons.push(Reason::DuplicateRelation { count: duplicates + 1 });
    }
    let roles = match RequirerAppData::decode(relation.app_data) {
        Ok(data) => Some(data.role),
        Err(error) => {
            reasons.push(Reason::AppData(error));
            None
        }
    };
    if count == 0 {
        reasons.push(Reason::NoUnits);
    }
    let foreign = roles.as_ref().map(|roles| roles.foreign_to(architecture)).unwrap_or_default();
    let of_this_architecture = foreign.is_empty();
    if !of_this_architecture {
        reasons.push(Reason::OtherArchitecture { roles: foreign, architecture });
    }
    let counted = roles
        .as_ref()
        .filter(|_| duplicates == 0 && of_this_architecture)
        .map(|roles| RoleSet::of(roles, architecture));
    let mut valid_units = 0;
    for (unit, decoded) in units {
        match decoded {
            Ok(data) => {
                if counted.is_some() {
                    valid_units += 1;
                    workers.push(Worker {
                        relation: relation.id,
                        unit: unit.into_owned(),
                        address: data.address,
                        topology: data.juju_topology,
                    });
                }
            }
            Err(error) => reasons.push(Reason::UnitData { unit: unit.into_owned(), error }),
        }
    }
    let problems = reasons
        .into_iter()
        .map(|reason| NotReady { relation: relation.id, app: relation.app.to_owned(), reason })
        .collect();
    let report =
        RelationReport { id: relation.id, app: relation.app.to_owned(), roles, units: count, valid_units, problems };
    (report, counted)
}

/// The distinct addresses of `workers`, sorted, each with the union of the roles of its units;
/// and, for each address of more than one worker, their indexes (sorted by address, then index).
fn members(workers: &[Worker], roles: &[RoleSet]) -> (Vec<Member>, Vec<Vec<usize>>) {
    let mut order: Vec<usize> = (0..workers.len()).collect();
    order.sort_unstable_by(|&a, &b| workers[a].address.as_str().cmp(workers[b].address.as_str()).then(a.cmp(&b)));
    let mut members: Vec<Member> = Vec::with_capacity(order.len());
    let mut shared: Vec<Vec<usize>> = Vec::new();
    for index in order {
        match members.last_mut() {
            Some(last) if workers[last.worker].address.as_str() == workers[index].address.as_str() => {
                last.roles.0 |= roles[index].0;
                match shared.last_mut() {
                    Some(group) if group[0] == last.worker => group.push(index),
                    _ => shared.push(vec![last.worker, index]),
                }
            }
            _ => members.push(Member { worker: index, roles: roles[index] }),
        }
    }
    (members, shared)
}

impl fmt::Display for RelationReport {
    /// `relation 3 (pyroscope-querier): ready, 2 of 2 units` or the first reason it is not.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.first() {
            None => {
                write!(f, "relation {} ({}): ready, {} of {} units", self.id, self.app, self.valid_units, self.units)
            }
            Some(first) => {
                first.fmt(f)?;
                match self.problems.len() {
                    1 => Ok(()),
                    n => write!(f, " (and {} more problems)", n - 1),
                }
            }
        }
    }
}

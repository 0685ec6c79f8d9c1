//! What the coordinator's leader writes: one provider app databag, encoded once, and per ready
//! relation the keys to set and to delete.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use pyroscope_cluster_model::{
    ChangedKeys, DatabagChanges, DatabagModel, Port, ProviderAppData, RawDatabag, RemoteWriteEndpoint, StringMap,
};
use serde::Deserialize;

use pyroscope_cluster_model::{Architecture, Role, Roles};

use pyroscope_cluster_release::ports;

use crate::config::Settings;
use crate::snapshot::{Redacted, RelationId, Snapshot};
use crate::view::{ClusterView, RelationReport};

/// The TLS material the workers use. Sent only whole: a worker uses TLS only when it has all
/// three.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tls {
    /// The CA certificate (PEM).
    pub ca_cert: String,
    /// The workers' server certificate (PEM).
    pub server_cert: String,
    /// The Juju secret ID under which the private key is shared (never the key itself).
    pub privkey_secret_id: String,
}

/// What the coordinator publishes besides the configuration: telemetry endpoints, ports, TLS and
/// labels.
///
/// The defaults publish what the Canonical coordinator (coordinated-workers 4.1.4,
/// `Coordinator._reconcile_cluster_relations`) publishes with no logging, tracing, TLS or service
/// mesh relation, so that switching coordinators changes no byte of the workers' databags:
/// `loki_endpoints`, `charm_tracing_receivers` and `workload_tracing_receivers` as `{}`
/// (`loki_endpoints_by_unit` and `_tracing_receivers_urls` give empty dicts), `worker_ports` as
/// the settings' ports, memberlist first (`[7946, 4040]`), and `worker_labels` from
/// [`coordinator_app`](Self::coordinator_app) when it is given. In a reconcile input, `null`
/// leaves a field out.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Extras {
    /// Loki push-API endpoints for the workers' logs, by name. Default: `{}`.
    pub loki_endpoints: Option<StringMap>,
    /// Where the worker charms send their traces, by protocol. Default: `{}`.
    pub charm_tracing_receivers: Option<StringMap>,
    /// Where Pyroscope sends its traces, by protocol. Default: `{}`.
    pub workload_tracing_receivers: Option<StringMap>,
    /// Prometheus remote-write endpoints for the workers' metrics. Default: not published.
    pub remote_write_endpoints: Option<Vec<RemoteWriteEndpoint>>,
    /// The ports the workers open. Default: the settings' ports, memberlist first, the same for
    /// every worker app in v1; in v2, per relation, after its roles ([`WorkerPorts::Settings`]).
    pub worker_ports: WorkerPorts,
    /// TLS for the workers. Default: none.
    pub tls: Option<Tls>,
    /// The CA chain (PEM) of the S3 endpoint's certificate; `None` publishes
    /// [`S3Settings::tls_ca_chain`](crate::S3Settings::tls_ca_chain), if any.
    pub s3_tls_ca_chain: Option<String>,
    /// Labels the workers put on their workload (a service mesh's), after
    /// `app.kubernetes.io/part-of` when [`coordinator_app`](Self::coordinator_app) is given.
    pub worker_labels: Option<StringMap>,
    /// The coordinator's Juju application name (`pyroscope`): when given, `worker_labels` starts
    /// with `app.kubernetes.io/part-of: <name>`, as coordinated-workers labels every worker
    /// (`Coordinator._coordinated_workers_solution_labels`; the Python worker patches the labels
    /// onto its pods, so a different value rolls them). Not known to this crate otherwise: a
    /// coordinator charm passes its own name. Default: none (no such label).
    pub coordinator_app: Option<String>,
}

impl Default for Extras {
    fn default() -> Self {
        Self {
            loki_endpoints: Some(StringMap::default()),
            charm_tracing_receivers: Some(StringMap::default()),
            workload_tracing_receivers: Some(StringMap::default()),
            remote_write_endpoints: None,
            worker_ports: WorkerPorts::default(),
            tls: None,
            s3_tls_ca_chain: None,
            worker_labels: None,
            coordinator_app: None,
        }
    }
}

/// The label coordinated-workers puts on every worker of a coordinator.
pub const PART_OF_LABEL: &str = "app.kubernetes.io/part-of";

/// Which ports the workers are told to open (`worker_ports`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum WorkerPorts {
    /// The ports of [`Settings::ports`], memberlist first (`[7946, 4040]` by default), as the
    /// Canonical coordinator publishes for every role (`coordinator/src/charm.py`). In v2, per
    /// relation, as the Canonical branch `feat/pyroscope-v2` (`coordinator/src/charm.py`,
    /// `_worker_ports(role)`) publishes them: those two and gRPC (`[7946, 4040, 9095]`) for every
    /// worker app, and Raft's 9099 after them when its roles include `metastore` or `all`
    /// ([`WorkerPorts::for_roles`]).
    #[default]
    Settings,
    /// Exactly these ports (none, when the list is empty). A list in a reconcile input.
    Exactly(Vec<Port>),
    /// Not published: the workers open their legacy defaults. `null` in a reconcile input.
    Unpublished,
}

impl<'de> Deserialize<'de> for WorkerPorts {
    /// A list of ports, or `null`; an absent field is [`WorkerPorts::Settings`].
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<Vec<Port>>::deserialize(deserializer)? {
            Some(ports) => WorkerPorts::Exactly(ports),
            None => WorkerPorts::Unpublished,
        })
    }
}

impl WorkerPorts {
    /// The ports [`WorkerPorts::Settings`] gives a worker app of `roles` in `architecture`: in
    /// v1 the settings' (memberlist, HTTP) whatever the roles; in v2 those, gRPC, and Raft when
    /// the roles include `metastore` or `all`.
    pub fn for_roles(settings: &Settings, architecture: Architecture, roles: &Roles) -> Vec<Port> {
        let mut ports = settings.ports.to_vec();
        if architecture == Architecture::V2 {
            ports.push(ports::GRPC);
            if roles.contains(Role::Metastore) || roles.contains(Role::All) {
                ports.push(ports::RAFT);
            }
        }
        ports
    }
}

impl Extras {
    /// The provider app databag carrying `worker_config` and these extras, with what `settings`
    /// gives where they do not say (the ports, the S3 CA chain).
    pub fn provider_app_data(&self, worker_config: String, settings: &Settings) -> ProviderAppData {
        let tls = self.tls.as_ref();
        let worker_ports = match &self.worker_ports {
            WorkerPorts::Settings => Some(settings.ports.to_vec()),
            WorkerPorts::Exactly(ports) => Some(ports.clone()),
            WorkerPorts::Unpublished => None,
        };
        let worker_labels = match (&self.coordinator_app, &self.worker_labels) {
            (None, labels) => labels.clone(),
            (Some(app), labels) => {
                let mut all = StringMap::from_iter([(PART_OF_LABEL, app.as_str())]);
                for (key, value) in labels.iter().flat_map(StringMap::iter) {
                    all.insert(key, value);
                }
                Some(all)
            }
        };
        ProviderAppData {
            worker_config,
            loki_endpoints: self.loki_endpoints.clone(),
            charm_tracing_receivers: self.charm_tracing_receivers.clone(),
            workload_tracing_receivers: self.workload_tracing_receivers.clone(),
            remote_write_endpoints: self.remote_write_endpoints.clone(),
            worker_ports,
            ca_cert: tls.map(|tls| tls.ca_cert.clone()),
            server_cert: tls.map(|tls| tls.server_cert.clone()),
            privkey_secret_id: tls.map(|tls| tls.privkey_secret_id.clone()),
            s3_tls_ca_chain: self.s3_tls_ca_chain.clone().or_else(|| settings.s3.tls_ca_chain.clone()),
            worker_labels,
        }
    }
}

/// The writes one ready relation needs so that the coordinator's app databag on it holds exactly
/// [`PublishPlan::databag`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationWrite {
    /// The relation.
    pub relation: RelationId,
    /// What to set and delete in the coordinator's app databag of this relation: what differs
    /// from what it holds now. Empty when the relation already holds the databag.
    pub changes: DatabagChanges,
}

/// What the coordinator's leader writes: the provider app databag, encoded once, and for every
/// ready relation the keys to set and to delete against what it holds now. Relations that are not
/// ready get nothing.
///
/// Every ready relation ends up with the same bytes, but for `worker_ports` when it is per
/// relation ([`PublishPlan::with_worker_ports`], v2): then the databags differ in that key only,
/// and `worker_config` is the same text everywhere. `Debug` shows keys and sizes, not values:
/// `worker_config` holds S3 credentials.
///
/// The plan holds each databag once and, per relation, the keys that differ; the values of the
/// [`writes`](Self::writes) are copied from the databag when they are first asked for (a
/// configuration that lists every worker is hundreds of kilobytes, and goes to every relation).
#[derive(Clone, Default)]
pub struct PublishPlan {
    databag: RawDatabag,
    /// The databags of relations with their own `worker_ports`, each once.
    variants: Vec<RawDatabag>,
    /// Relation -> its databag in `variants`, for the relations whose databag is not `databag`.
    own: BTreeMap<RelationId, usize>,
    /// Per ready relation, sorted by ID: the keys to set and delete.
    keys: Vec<(RelationId, ChangedKeys)>,
    /// `keys` with the values, made on first use.
    writes: OnceLock<Vec<RelationWrite>>,
}

impl PartialEq for PublishPlan {
    /// The same databags and keys: whether the writes were asked for yet does not count.
    fn eq(&self, other: &Self) -> bool {
        self.databag == other.databag
            && self.variants == other.variants
            && self.own == other.own
            && self.keys == other.keys
    }
}

impl Eq for PublishPlan {}

impl PublishPlan {
    /// Plans the publication of `data` to the ready relations of `view`, which must have been
    /// gathered from `snapshot` (whose [`published`](crate::WorkerRelation::published) databags the writes
    /// are computed against).
    pub fn new(snapshot: &Snapshot, view: &ClusterView, data: &ProviderAppData) -> Self {
        Self::with_worker_ports(snapshot, view, data, |_| None)
    }

    /// As [`new`](Self::new), but `worker_ports(report)` gives a ready relation its own
    /// `worker_ports` (`None`: `data`'s). Each distinct list is encoded once; nothing but
    /// `worker_ports` differs between the relations' databags.
    pub fn with_worker_ports(
        snapshot: &Snapshot,
        view: &ClusterView,
        data: &ProviderAppData,
        worker_ports: impl Fn(&RelationReport) -> Option<Vec<Port>>,
    ) -> Self {
        let published = snapshot.relations.iter().map(|relation| (relation.id, &relation.published)).collect();
        Self::against(published, view, data, worker_ports)
    }

    /// [`with_worker_ports`](Self::with_worker_ports), against each relation's `published`
    /// databag by ID.
    pub(crate) fn against(
        published: BTreeMap<RelationId, &RawDatabag>,
        view: &ClusterView,
        data: &ProviderAppData,
        worker_ports: impl Fn(&RelationReport) -> Option<Vec<Port>>,
    ) -> Self {
        let databag = data.encode();
        let mut variant_of: BTreeMap<Vec<Port>, usize> = BTreeMap::new();
        let mut variants = Vec::new();
        let mut own = BTreeMap::new();
        let mut keys = Vec::new();
        for report in view.ready_relations() {
            let Some(current) = published.get(&report.id) else { continue };
            let want = match worker_ports(report).filter(|ports| Some(ports) != data.worker_ports.as_ref()) {
                None => &databag,
                Some(ports) => {
                    let index = *variant_of.entry(ports).or_insert_with_key(|ports| {
                        variants.push(ProviderAppData { worker_ports: Some(ports.clone()), ..data.clone() }.encode());
                        variants.len() - 1
                    });
                    own.insert(report.id, index);
                    &variants[index]
                }
            };
            // The coordinator owns its app databag whole: stale keys, unknown ones included, are
            // deleted, as the Python peer's `dump()` clears the databag before writing.
            keys.push((report.id, ChangedKeys::between(current, want, &[])));
        }
        Self { databag, variants, own, keys, writes: OnceLock::new() }
    }

    /// The provider app databag every ready relation must hold, but those with their own
    /// `worker_ports` ([`databag_for`](Self::databag_for)).
    pub fn databag(&self) -> &RawDatabag {
        &self.databag
    }

    /// The provider app databag `relation` must hold: [`databag`](Self::databag), or the same
    /// with its own `worker_ports`.
    pub fn databag_for(&self, relation: RelationId) -> &RawDatabag {
        self.own.get(&relation).and_then(|&index| self.variants.get(index)).unwrap_or(&self.databag)
    }

    /// Every ready relation, sorted by ID (those of [`writes`](Self::writes)), with the keys to
    /// set and delete there; nothing is copied.
    pub fn changed_keys(&self) -> impl ExactSizeIterator<Item = (RelationId, &ChangedKeys)> {
        self.keys.iter().map(|(relation, keys)| (*relation, keys))
    }

    /// One entry per ready relation, sorted by relation ID, including those that need no write.
    pub fn writes(&self) -> &[RelationWrite] {
        self.writes.get_or_init(|| {
            let write = |(relation, keys): &(RelationId, ChangedKeys)| RelationWrite {
                relation: *relation,
                changes: keys.with_values(self.databag_for(*relation)),
            };
            self.keys.iter().map(write).collect()
        })
    }

    /// The relations that need a write.
    pub fn changes(&self) -> impl Iterator<Item = &RelationWrite> {
        self.writes().iter().filter(|write| !write.changes.is_empty())
    }
}

impl fmt::Debug for PublishPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: BTreeMap<RelationId, &ChangedKeys> = self.changed_keys().collect();
        f.debug_struct("PublishPlan").field("databag", &Redacted(&self.databag)).field("changed_keys", &keys).finish()
    }
}

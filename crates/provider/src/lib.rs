//! The coordinator side of the Juju relation interface `pyroscope_cluster`: from a snapshot of the
//! worker relations, the cluster view, its coherence, the Pyroscope configuration every worker
//! runs with, and the writes that publish it.
//!
//! A Pyroscope coordinator relates to worker applications, each running some Pyroscope roles. On
//! every hook, its leader reads the relations into a [`Snapshot`] (plain values) and calls
//! [`reconcile`], which:
//!
//! 1. decodes every databag and gathers the [`ClusterView`]: which relations are ready (valid
//!    roles, every unit valid) and, for those that are not, each reason as a value ([`NotReady`])
//!    naming the relation, the app, the unit, the key and the value; the units that count, their
//!    addresses (sorted, de-duplicated), roles (meta-roles expanded) and topology;
//! 2. compares the roles with the minimal and the recommended deployment ([`Coherence`]);
//! 3. builds the [`PyroscopeConfig`] from the view and the coordinator's [`Settings`]: every unit
//!    in `memberlist.join_members`, replication factors from the ingester and store-gateway counts,
//!    S3 storage, retention, `api.base-url`; for the Pyroscope release the workers run
//!    ([`Settings::pyroscope`], default 1.18): only keys it has, values its decoder takes, and the
//!    text checked against its key table before anything is published; byte for byte what the
//!    Canonical coordinator renders, wherever that is valid for the release (see
//!    `pyroscope_cluster_release::docs::PYTHON_DEVIATIONS` for where it is not);
//! 4. encodes the provider app databag once (configuration plus [`Extras`], whose defaults are
//!    what the Canonical coordinator publishes) and plans, for each ready relation, the keys to
//!    set and delete against what it holds now ([`PublishPlan`]).
//!    Relations that are not ready get nothing, and every ready one gets the same bytes.
//!
//! [`Reconciliation::status`] turns the outcome into the charm's status. Each step is also
//! public on its own.
//!
//! This crate does no IO, reads no clock and draws no random number: the same snapshot in any
//! order gives the same bytes. It knows the configuration keys the coordinator renders (what each
//! release takes is `pyroscope-cluster-release`'s), and nothing of Juju's hook
//! tools: reading the snapshot and carrying out the writes is the caller's. Every databag value
//! is encoded and decoded by `pyroscope-cluster-model`, byte-compatible with the Python peer.
//! S3 credentials never show in `Debug` output.
//!
//! ```
//! use pyroscope_cluster_model::RawDatabag;
//! use pyroscope_cluster_provider::{
//!     Extras, S3Settings, Settings, Snapshot, StatusLevel, WorkerRelation, reconcile,
//! };
//!
//! // 1. What the leader reads (`relation-ids`, `relation-list`, `relation-get`): here, a worker
//! //    app running every role with one unit, and an app that declares a role Pyroscope lacks.
//! let databag = |entries: &[(&str, &str)]| -> RawDatabag {
//!     entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
//! };
//! let worker = WorkerRelation {
//!     id: 3.into(),
//!     app: "pyroscope-worker".into(),
//!     app_data: databag(&[("role", r#""all""#)]),
//!     units: [(
//!         "pyroscope-worker/0".to_string(),
//!         databag(&[
//!             ("address", r#""pyroscope-worker-0.pyroscope-worker-endpoints""#),
//!             ("juju_topology", r#"{"application": "pyroscope-worker", "unit": "pyroscope-worker/0", "charm_name": "pyroscope-worker-k8s"}"#),
//!             ("ingress-address", "10.1.2.3"),
//!         ]),
//!     )]
//!     .into(),
//!     published: RawDatabag::new(), // the coordinator has not written to it yet
//! };
//! let imposter = WorkerRelation {
//!     id: 7.into(),
//!     app: "impostor".into(),
//!     app_data: databag(&[("role", r#""imposter""#)]),
//!     ..WorkerRelation::default()
//! };
//! let snapshot = Snapshot::from_iter([imposter, worker]);
//!
//! // 2. The coordinator's settings (charm config, s3 relation, ingress) and extras.
//! let settings = Settings {
//!     external_url: Some("https://cos.example/pyroscope".into()),
//!     s3: S3Settings {
//!         endpoint: "minio.cos:9000".into(),
//!         bucket_name: "pyroscope".into(),
//!         access_key_id: "access".into(),
//!         secret_access_key: "secret".into(),
//!         insecure: Some(true),
//!         ..S3Settings::default()
//!     },
//!     retention_period: "30d".parse()?,
//!     ..Settings::default()
//! };
//! // What the coordinator publishes besides the configuration: by default, what the Canonical
//! // coordinator publishes (`worker_ports: [7946, 4040]`, empty telemetry maps); its app name
//! // gives the workers' `app.kubernetes.io/part-of` label.
//! let extras = Extras { coordinator_app: Some("pyroscope".into()), ..Extras::default() };
//!
//! // 3. Decide.
//! let outcome = reconcile(&snapshot, &settings, &extras);
//!
//! // 4. Status, and the reasons behind it for the log.
//! let status = outcome.status();
//! assert_eq!(status.level, StatusLevel::Active);
//! assert_eq!(
//!     status.message,
//!     "not ready: relation 7 (impostor); below recommended: querier 1/3, query-frontend 1/2, \
//!      query-scheduler 1/2, ingester 1/3, distributor 1/2, compactor 1/3, store-gateway 1/3"
//! );
//! let problems: Vec<String> = outcome.view.problems().map(ToString::to_string).collect();
//! assert!(problems[0].starts_with(
//!     r#"relation 7 (impostor) is not ready: invalid requirer app databag: key `role` = "\"imposter\"": is not a valid role list: unknown role "imposter""#
//! ));
//!
//! // 5. The writes: only to relation 3, of these keys (and none to delete). In a charm,
//! //    `pyroscope_cluster_juju::coordinator::publish` runs `relation-set -r <ref> --app --file -`
//! //    once per relation that needs a write.
//! let plan = outcome.plan.as_ref().expect("the settings are complete");
//! let writes: Vec<_> = plan.changes().collect();
//! assert_eq!(writes.len(), 1);
//! assert_eq!(writes[0].relation, 3.into());
//! let changes = &writes[0].changes;
//! assert_eq!(
//!     changes.set.keys().collect::<Vec<_>>(),
//!     [
//!         "charm_tracing_receivers",
//!         "loki_endpoints",
//!         "worker_config",
//!         "worker_labels",
//!         "worker_ports",
//!         "workload_tracing_receivers"
//!     ]
//! );
//! assert_eq!(changes.set["worker_ports"], "[7946, 4040]");
//! assert_eq!(changes.set["worker_labels"], r#"{"app.kubernetes.io/part-of": "pyroscope"}"#);
//! assert_eq!(changes.set["loki_endpoints"], "{}");
//! assert!(changes.delete.is_empty());
//!
//! // The configuration in it is the one `outcome.config` holds.
//! let config = outcome.config.as_ref().expect("the settings are complete");
//! assert_eq!(config.memberlist.join_members, ["pyroscope-worker-0.pyroscope-worker-endpoints:7946"]);
//! assert_eq!(config.api.base_url.as_deref(), Some("/pyroscope"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod coherence;
mod config;
mod period;
mod plan;
mod snapshot;
mod view;

use std::fmt;

pub use coherence::{
    Coherence, EvenMetastores, MINIMAL_DEPLOYMENT, RECOMMENDED_DEPLOYMENT, Shortfall, V2_MINIMAL_DEPLOYMENT,
    V2_RECOMMENDED_DEPLOYMENT, minimal_deployment, recommended_deployment,
};
pub use config::{
    Api, Compactor, ConfigError, DEFAULT_DATA_PATH, DEFAULT_HTTP_PORT, DEFAULT_MEMBERLIST_PORT, Distributor, GRPC_PORT,
    Ingester, KvStore, KvStoreKind, Lifecycler, Limits, Memberlist, Metastore, Ports, PyroscopeConfig, PyroscopeDb,
    QueryBackend, RAFT_PORT, REPLICATION_THRESHOLD, Raft, ReplicatedRing, Ring, S3Settings, S3Storage, SegmentWriter,
    Server, Settings, ShardingRing, Storage, StorageArchitecture, StorageBackend, StoreGateway, replication_factor,
};
pub use period::{DurationValue, Period, PeriodError, ZeroAs};
pub use plan::{Extras, PART_OF_LABEL, PublishPlan, RelationWrite, Tls, WorkerPorts};
/// Re-exported: the storage architecture of a cluster.
pub use pyroscope_cluster_model::Architecture;
/// Re-exported: the release a configuration is rendered for.
pub use pyroscope_cluster_release::PyroscopeRelease;
pub use snapshot::{RelationId, RelationIdError, Snapshot, WorkerRelation};
pub use view::{ClusterView, NotReady, Reason, RelationReport, Worker};

/// The outcome of one reconciliation: everything a coordinator charm acts on.
#[derive(Debug)]
pub struct Reconciliation {
    /// The cluster, with the reasons for every relation that is not ready.
    pub view: ClusterView,
    /// How the cluster compares with the minimal and the recommended deployment.
    pub coherence: Coherence,
    /// The configuration, or why there is none (incomplete settings).
    pub config: Result<PyroscopeConfig, ConfigError>,
    /// The writes; `None` when there is no configuration to publish.
    pub plan: Option<PublishPlan>,
}

/// Gathers the cluster from `snapshot`, checks its coherence, builds and renders the
/// configuration, and plans its publication to every ready relation.
///
/// The configuration is published whether or not the cluster is coherent (as the Python
/// coordinator does): workers that are ready can start while the rest of the cluster forms.
pub fn reconcile(snapshot: &Snapshot, settings: &Settings, extras: &Extras) -> Reconciliation {
    let view = ClusterView::gather_for(snapshot, settings.architecture);
    let coherence = Coherence::of(&view);
    let rendered = PyroscopeConfig::build(&view, settings).and_then(|config| Ok((config.to_yaml()?, config)));
    let (config, plan) = match rendered {
        Ok((yaml, config)) => {
            let data = extras.provider_app_data(yaml, settings);
            let architecture = settings.architecture;
            let plan = match extras.worker_ports {
                WorkerPorts::Settings if architecture != pyroscope_cluster_model::Architecture::V1 => {
                    PublishPlan::with_worker_ports(snapshot, &view, &data, |report| {
                        report.roles.as_ref().map(|roles| WorkerPorts::for_roles(settings, architecture, roles))
                    })
                }
                _ => PublishPlan::new(snapshot, &view, &data),
            };
            (Ok(config), Some(plan))
        }
        Err(err) => (Err(err), None),
    };
    Reconciliation { view, coherence, config, plan }
}

/// The workload status a coordinator charm sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusLevel {
    /// The cluster runs (possibly below the recommended deployment).
    Active,
    /// A person must act: incomplete settings, no workers, or a missing role.
    Blocked,
}

/// A status and its message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Status {
    /// Active or blocked.
    pub level: StatusLevel,
    /// What is wrong or short, `; `-separated; empty when nothing is.
    pub message: String,
}

impl fmt::Display for Status {
    /// `blocked: missing roles: compactor`, or just `active`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.level {
            StatusLevel::Active => "active",
            StatusLevel::Blocked => "blocked",
        })?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl Reconciliation {
    /// The status: `Blocked` on incomplete settings, without any worker relation, or when a role
    /// of the minimal deployment has no unit; `Active` otherwise. The message names what is
    /// wrong: the settings error, the missing roles, the relations that are not ready (their
    /// reasons are in [`ClusterView::problems`]), the roles below the recommended deployment.
    pub fn status(&self) -> Status {
        let mut parts = Vec::new();
        let mut blocked = false;
        if let Err(err) = &self.config {
            blocked = true;
            parts.push(err.to_string());
        }
        if self.view.relations().is_empty() {
            blocked = true;
            parts.push("no worker application is related".to_owned());
        } else if !self.coherence.is_coherent() {
            blocked = true;
            parts.push(self.coherence.to_string());
        }
        let not_ready: Vec<String> = self
            .view
            .relations()
            .iter()
            .filter(|report| !report.is_ready())
            .map(|report| format!("relation {} ({})", report.id, report.app))
            .collect();
        if !not_ready.is_empty() {
            parts.push(format!("not ready: {}", not_ready.join(", ")));
        }
        if self.coherence.is_coherent() && !self.coherence.is_recommended() {
            parts.push(self.coherence.to_string());
        }
        for (address, workers) in self.view.shared_addresses() {
            let units: Vec<&str> = workers.iter().map(|worker| worker.unit.as_str()).collect();
            parts.push(format!("units {} share the address {address}", units.join(", ")));
        }
        Status { level: if blocked { StatusLevel::Blocked } else { StatusLevel::Active }, message: parts.join("; ") }
    }
}

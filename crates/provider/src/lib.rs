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
//!    configuration checked against its key table before anything is published; byte for byte what the
//!    Canonical coordinator renders, wherever that is valid for the release (see
//!    `pyroscope_cluster_release::PYTHON_DEVIATIONS` for where it is not);
//! 4. encodes the provider app databag once (configuration plus [`Extras`], whose defaults are
//!    what the Canonical coordinator publishes) and plans, for each ready relation, the keys to
//!    set and delete against what it holds now ([`PublishPlan`]).
//!    Relations that are not ready get nothing, and every ready one gets the same bytes.
//!
//! [`Reconciliation::status`] turns the outcome into the charm's status: `active` only when every
//! related worker app gets the configuration, `waiting` while a worker's data is not there yet,
//! `blocked` when a person must act; its message is short (counts and the first reason). Each
//! step is also public on its own, from a [`Snapshot`].
//!
//! A reader of a large snapshot (thousands of units, from a file) can decode each unit databag as
//! it reads it, into [`DecodedRelation`]s, and call [`reconcile_decoded`] (or
//! [`ClusterView::gather_decoded`]): the same outcome, without holding every raw databag beside
//! its decoded form. `pyroscope-cluster reconcile` does this with a JSON input of a megabyte or
//! more whose relation IDs are distinct.
//!
//! # The metastore's Raft group (v2)
//!
//! In v2 the metastores are one Raft group, grown unit by unit as Juju brings them up: the
//! coordinator renders `metastore.raft.auto_join: true` and gives each metastore the server ID
//! `<address>:9099` on both sides of the relation. Why, with the sources read, is in
//! [`docs/v2-metastore-raft.md`](https://github.com/canonical/pyroscope-cluster-rs/blob/main/docs/v2-metastore-raft.md).
//!
//! This crate does no IO, reads no clock and draws no random number: the same snapshot in any
//! order gives the same bytes. From 2,048 worker units it decodes the unit databags on two threads,
//! and from 2,048 gossip members it checks the configuration on one while writing it on the other
//! (decoding and writing are the largest parts of a large cluster's reconcile); the outcome is the
//! same as on one thread. It knows the configuration keys the coordinator renders (what each
//! release takes is `pyroscope-cluster-release`'s), and nothing of Juju's hook
//! tools: reading the snapshot and carrying out the writes is the caller's. Every databag value
//! is encoded and decoded by `pyroscope-cluster-model`, byte-compatible with the Python peer.
//! S3 credentials never show in `Debug` output.
//!
//! ```
//! use pyroscope_cluster_model::{ErrorChain, RawDatabag};
//! use pyroscope_cluster_provider::{
//!     Extras, S3Settings, Settings, Snapshot, Status, StatusLevel, WorkerRelation, reconcile,
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
//! // 4. Status, and the reasons behind it for the log. The impostor gets no configuration: a
//! //    person must act. The message is short; every reason is in the view.
//! let status = outcome.status();
//! assert_eq!(status.level, StatusLevel::Blocked);
//! assert!(status.message.starts_with(
//!     "1 of 2 worker apps get no config (1 invalid); first: relation 7 (impostor): invalid"
//! ));
//! assert!(status.message.chars().count() <= Status::MESSAGE_LIMIT);
//! let problems: Vec<String> = outcome.view.problems().map(|p| ErrorChain(p).to_string()).collect();
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
mod parallel;
mod period;
mod plan;
mod s3;
mod snapshot;
mod view;

use std::fmt;

use pyroscope_cluster_model::{ErrorChain, RawDatabag};

pub use coherence::{
    Coherence, EvenMetastores, MINIMAL_DEPLOYMENT, RECOMMENDED_DEPLOYMENT, Shortfall, V2_MINIMAL_DEPLOYMENT,
    V2_RECOMMENDED_DEPLOYMENT, minimal_deployment, recommended_deployment,
};
pub use config::{
    Api, Compactor, ConfigError, DEFAULT_DATA_PATH, Distributor, Ingester, KvStore, KvStoreKind, Lifecycler, Limits,
    Memberlist, Metastore, Ports, PyroscopeConfig, PyroscopeDb, QueryBackend, REPLICATION_THRESHOLD, Raft,
    ReplicatedRing, Ring, S3Settings, S3Storage, SegmentWriter, Server, Settings, ShardingRing, Storage,
    StorageArchitecture, StorageBackend, StoreGateway, replication_factor,
};
pub use period::{DurationValue, Period, PeriodError, ZeroAs};
pub use plan::{Extras, PART_OF_LABEL, PublishPlan, RelationWrite, Tls, WorkerPorts};
/// Re-exported: the storage architecture of a cluster.
pub use pyroscope_cluster_model::Architecture;
/// Re-exported: the release a configuration is rendered for.
pub use pyroscope_cluster_release::PyroscopeRelease;
pub use s3::{S3_ENDPOINT, S3DatabagError, s3_settings};
pub use snapshot::{DecodedRelation, RelationId, RelationIdError, Snapshot, WorkerRelation};
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
/// Everything [`reconcile`] decides from, as one document: the input of
/// `pyroscope-cluster reconcile` (YAML or JSON), which scripts write, so its fields only grow.
/// Every field is optional; an unknown one is an error.
///
/// `R` is how the relations are read: [`WorkerRelation`]s, or for a reader that reads them
/// later (each on its own, say on several threads), any type that takes a JSON value, such as
/// `&serde_json::value::RawValue`.
// The CLI reads a large input's keys with an outline of its own (`crates/cli/src/input.rs`,
// `Outline`); a test there fails when a field is added here and not there.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReconcileInput<R = WorkerRelation> {
    /// The coordinator's settings (`external_url`, `s3`, `retention_period`, ...).
    #[serde(default)]
    pub settings: Settings,
    /// What the coordinator publishes besides the configuration (`worker_ports`, `tls`, ...).
    #[serde(default)]
    pub extras: Extras,
    /// The worker relations: `{id, app, app_data, units: {unit: databag}, published}`.
    #[serde(default = "Vec::new")]
    pub relations: Vec<R>,
}

impl ReconcileInput<WorkerRelation> {
    /// The relations as a [`Snapshot`].
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::from_iter(self.relations.iter().cloned())
    }
}

/// Gathers the cluster from `snapshot`, checks its coherence, builds and renders the
/// configuration, and plans its publication to every ready relation.
///
/// The configuration is published whether or not the cluster is coherent (as the Python
/// coordinator does): workers that are ready can start while the rest of the cluster forms.
pub fn reconcile(snapshot: &Snapshot, settings: &Settings, extras: &Extras) -> Reconciliation {
    let view = ClusterView::gather_for(snapshot, settings.architecture);
    let published = snapshot.relations.iter().map(|relation| (relation.id, &relation.published)).collect();
    reconcile_view(view, published, settings, extras)
}

/// [`reconcile`] of relations whose unit databags were decoded as they were read: the same
/// outcome as from the snapshot they were read from (for relations that repeat an ID, see
/// [`ClusterView::gather_decoded`]). Each relation's decoded units move into the view; its ID,
/// app, app data and `published` databag are left for the caller. Its units are left empty: a
/// second call on the same relations sees none.
///
/// This is how `pyroscope-cluster reconcile` reads a snapshot of thousands of units: a unit's
/// raw databag is gone once decoded, and the decoding runs on the threads that read.
pub fn reconcile_decoded(relations: &mut [DecodedRelation], settings: &Settings, extras: &Extras) -> Reconciliation {
    let view = ClusterView::gather_decoded(relations, settings.architecture);
    let published = relations.iter().map(|relation| (relation.id, &relation.published)).collect();
    reconcile_view(view, published, settings, extras)
}

/// The rest of a reconciliation, from the gathered `view` and each relation's `published`
/// databag by ID.
fn reconcile_view(
    view: ClusterView,
    published: std::collections::BTreeMap<RelationId, &RawDatabag>,
    settings: &Settings,
    extras: &Extras,
) -> Reconciliation {
    let coherence = Coherence::of(&view);
    let rendered = PyroscopeConfig::build(&view, settings).and_then(|config| Ok((config.to_yaml()?, config)));
    let (config, plan) = match rendered {
        Ok((yaml, config)) => {
            let data = extras.provider_app_data(yaml, settings);
            let architecture = settings.architecture;
            let plan = match extras.worker_ports {
                WorkerPorts::Settings if architecture != pyroscope_cluster_model::Architecture::V1 => {
                    PublishPlan::against(published, &view, &data, |report| {
                        report.roles.as_ref().map(|roles| WorkerPorts::for_roles(settings, architecture, roles))
                    })
                }
                _ => PublishPlan::against(published, &view, &data, |_| None),
            };
            (Ok(config), Some(plan))
        }
        Err(err) => (Err(err), None),
    };
    Reconciliation { view, coherence, config, plan }
}

/// The workload status a coordinator charm sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusLevel {
    /// Every related worker app gets the configuration (the cluster may still be below the
    /// recommended deployment).
    Active,
    /// Nothing is wrong, but some worker app gets no configuration yet: one of its units (or its
    /// leader) has not published its data.
    Waiting,
    /// A person must act: incomplete settings, no workers, a missing role, or a worker app whose
    /// data is invalid.
    Blocked,
}

impl StatusLevel {
    /// `active`, `waiting` or `blocked`: Juju's name of the status.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusLevel::Active => "active",
            StatusLevel::Waiting => "waiting",
            StatusLevel::Blocked => "blocked",
        }
    }
}

/// A status and its message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Status {
    /// Active, waiting or blocked.
    pub level: StatusLevel,
    /// What is wrong or short, `; `-separated, at most [`Status::MESSAGE_LIMIT`] characters;
    /// empty when nothing is.
    pub message: String,
}

impl Status {
    /// The most characters a status message has: it is shown in one line of `juju status`. The
    /// message gives counts and the first reason; every reason is in
    /// [`ClusterView::problems`] (and a charm's log).
    pub const MESSAGE_LIMIT: usize = 120;

    /// `parts` joined with `; `, cut to [`MESSAGE_LIMIT`](Self::MESSAGE_LIMIT) characters: a part
    /// that does not fit is cut (ending in `…`) when enough of it shows to be read, else left
    /// out for a final `…`. Put the most important part first.
    pub fn fit<I, S>(parts: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        /// The fewest characters of a cut part worth showing.
        const LEGIBLE: usize = 24;
        let mut message = String::new();
        let mut length = 0;
        for part in parts {
            let part = part.as_ref();
            if part.is_empty() {
                continue;
            }
            let separator = if message.is_empty() { "" } else { "; " };
            let room = Self::MESSAGE_LIMIT.saturating_sub(length + separator.len());
            let chars = part.chars().count();
            if chars <= room {
                message.push_str(separator);
                message.push_str(part);
                length += separator.len() + chars;
                continue;
            }
            if room > LEGIBLE {
                message.push_str(separator);
                let kept: String = part.chars().take(room - 1).collect();
                message.push_str(kept.trim_end_matches([' ', ';', ',', ':']));
            } else {
                message.truncate(message.trim_end_matches([' ', ';', ',', ':']).len());
                if length + 2 > Self::MESSAGE_LIMIT {
                    let kept: String = message.chars().take(Self::MESSAGE_LIMIT - 2).collect();
                    message = kept;
                }
                message.push(' ');
            }
            message.push('…');
            break;
        }
        message
    }
}

impl fmt::Display for Status {
    /// `blocked: missing roles: compactor`, or just `active`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.level.as_str())?;
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

impl Reconciliation {
    /// The status, which is `Active` only when every related worker app gets the configuration:
    ///
    /// - `Blocked` on incomplete settings, without any worker relation, when a role of the
    ///   minimal deployment has no unit, or when a worker app's data is invalid
    ///   ([`Reason::needs_action`]);
    /// - else `Waiting` when a worker app gets nothing because data is not there yet (no unit
    ///   has joined, a unit or the app's leader has not published);
    /// - else `Active`.
    ///
    /// The message (at most [`Status::MESSAGE_LIMIT`] characters) says what is wrong: the
    /// settings error, the missing roles, how many worker apps get no configuration and the first
    /// reason, the roles below the recommended deployment, the addresses several units share
    /// (lists: the first three and how many more). Every reason is in [`ClusterView::problems`],
    /// the whole comparison in [`Coherence`].
    ///
    /// A relation that is not ready gets no configuration, but its valid units still count in
    /// the cluster (gossip members, replication factors): the Python coordinator does the same
    /// (coordinated-workers 4.1.4 `interfaces/cluster.py`, `gather_addresses_by_role` skips only
    /// the unit whose databag does not load), so that one unit still starting does not drop its
    /// siblings from the ring and make every other worker restart twice.
    pub fn status(&self) -> Status {
        let (level, parts) = self.status_parts();
        Status { level, message: Status::fit(parts) }
    }

    /// [`status`](Self::status) with its whole message: every part, none cut, for a tool that
    /// is not bound by `juju status`'s line (the CLI).
    pub fn whole_status(&self) -> Status {
        let (level, parts) = self.status_parts();
        Status { level, message: parts.join("; ") }
    }

    /// The status's level and the parts of its message, most important first.
    fn status_parts(&self) -> (StatusLevel, Vec<String>) {
        let mut parts = Vec::new();
        let mut blocked = false;
        if let Err(err) = &self.config {
            blocked = true;
            parts.push(err.to_string());
        }
        let relations = self.view.relations();
        if relations.is_empty() {
            blocked = true;
            parts.push("no worker application is related".to_owned());
        } else if !self.coherence.is_coherent() {
            blocked = true;
            let missing = self
                .coherence
                .missing
                .iter()
                .map(|s| if s.have == 0 && s.want == 1 { s.role.to_string() } else { s.to_string() });
            parts.push(format!("missing roles: {}", first_few(missing)));
        }
        let not_ready: Vec<&RelationReport> = relations.iter().filter(|report| !report.is_ready()).collect();
        let invalid = not_ready.iter().filter(|report| report.problems.iter().any(|p| p.reason.needs_action())).count();
        if invalid > 0 {
            blocked = true;
        }
        if let Some(first) = self.view.problems().find(|p| p.reason.needs_action()).or(self.view.problems().next()) {
            let waiting = not_ready.len() - invalid;
            let counts = match (invalid, waiting) {
                (0, w) => format!("{w} waiting for data"),
                (i, 0) => format!("{i} invalid"),
                (i, w) => format!("{i} invalid, {w} waiting for data"),
            };
            parts.push(format!("{} of {} worker apps get no config ({counts})", not_ready.len(), relations.len()));
            parts.push(format!("first: relation {} ({}): {}", first.relation, first.app, ErrorChain(&first.reason)));
        }
        if let Some(even) = &self.coherence.even_metastores {
            parts.push(even.to_string());
        }
        if self.coherence.is_coherent() && !self.coherence.below_recommended.is_empty() {
            let short = self.coherence.below_recommended.iter().map(ToString::to_string);
            parts.push(format!("below recommended: {}", first_few(short)));
        }
        let shared = self.view.shared_addresses();
        if let Some((address, workers)) = shared.first() {
            let units: Vec<&str> = workers.iter().map(|worker| worker.unit.as_str()).collect();
            parts.push(match shared.len() {
                1 => format!("units {} share the address {address}", units.join(", ")),
                n => format!("{n} addresses shared by several units, first {address}: {}", units.join(", ")),
            });
        }
        let level = if blocked {
            StatusLevel::Blocked
        } else if !not_ready.is_empty() {
            StatusLevel::Waiting
        } else {
            StatusLevel::Active
        };
        (level, parts)
    }
}

/// The first three of `items`, `, `-separated, then how many more: `a, b, c, +4 more`.
fn first_few(items: impl ExactSizeIterator<Item = String>) -> String {
    const SHOWN: usize = 3;
    let more = items.len().saturating_sub(SHOWN);
    let mut text = items.take(SHOWN).collect::<Vec<_>>().join(", ");
    if more > 0 {
        text.push_str(&format!(", +{more} more"));
    }
    text
}

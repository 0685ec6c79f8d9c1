//! The Pyroscope configuration every worker runs with, as typed values, and the coordinator
//! settings it is built from.
//!
//! The types mirror exactly the keys the Canonical coordinator renders (see the crate docs), plus
//! `architecture_storage` on the releases that have it; [`PyroscopeConfig::to_yaml`] checks the
//! configuration against the key table of the release it is for (`pyroscope-cluster-release`). Fields are
//! declared in alphabetical order and written by `yaml::to_string_pyyaml`, so the YAML is the
//! bytes of Python's `yaml.dump`.

use std::fmt;

use pyroscope_cluster_model::yaml::{self, YamlError};
use pyroscope_cluster_model::{Address, AddressKind, Architecture, Port, Role};
use pyroscope_cluster_release::{CheckError, ConfigRefusal, DurationError, PyroscopeRelease, check_value, ports};
use serde::{Deserialize, Serialize};

use crate::period::{DurationValue, Period, ZeroAs};
use crate::view::ClusterView;

/// Where the worker keeps Pyroscope's local data.
pub const DEFAULT_DATA_PATH: &str = "/pyroscope-data";
/// Units of a role from which its ring keeps three copies of everything.
pub const REPLICATION_THRESHOLD: usize = 3;
/// A key of the v2 config that only the releases with the v2 storage architecture's metastore
/// have (`metastore.raft.bootstrap_peers`: 2.2.1 of the releases here; 2.0.6 hides its
/// metastore keys from its reference, so the check refuses them).
const V2_ARCHITECTURE_KEY: &str = "metastore.raft.bootstrap_peers";

/// The ports the workers listen on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ports {
    /// Pyroscope's HTTP API (`server.http_listen_port`).
    pub http: Port,
    /// Memberlist gossip (`memberlist.bind_port`, and the port of every `join_members` entry).
    pub memberlist: Port,
}

impl Default for Ports {
    fn default() -> Self {
        Self { http: ports::HTTP, memberlist: ports::MEMBERLIST }
    }
}

impl Ports {
    /// The ports, for `worker_ports`: memberlist, then HTTP (`[7946, 4040]`), in the order the
    /// Canonical coordinator publishes them (`coordinator/src/charm.py`).
    pub fn to_vec(self) -> Vec<Port> {
        vec![self.memberlist, self.http]
    }
}

/// Where Pyroscope stores blocks: an S3 bucket. Usually from the `s3` relation (s3-integrator).
///
/// `Debug` does not show the access key or the secret key.
#[derive(Clone, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Settings {
    /// The endpoint: `host[:port]` (`minio.example:9000`, `s3.eu-west-1.amazonaws.com`), or with the
    /// scheme `http://` or `https://` as the s3 relation gives it (s3-integrator publishes
    /// `http://minio:9000`): the scheme is stripped, as coordinated-workers strips it, and decides
    /// [`insecure`](Self::insecure) when that is not given. A path (even a lone trailing `/`) is
    /// an error: Pyroscope's S3 client takes a host and a port, and the bucket goes in
    /// [`bucket_name`](Self::bucket_name).
    pub endpoint: String,
    /// The bucket.
    pub bucket_name: String,
    /// The access key ID; empty to use the ambient AWS credentials.
    #[serde(deserialize_with = "credential")]
    pub access_key_id: String,
    /// The secret access key; empty to use the ambient AWS credentials.
    #[serde(deserialize_with = "credential")]
    pub secret_access_key: String,
    /// The region; `None` (or empty, which is written as given) lets Pyroscope ask the bucket.
    pub region: Option<String>,
    /// Speak plain HTTP to the endpoint instead of HTTPS (`storage.s3.insecure`). When not given:
    /// for an endpoint with a scheme, as coordinated-workers derives it
    /// (`coordinator.py`, `Coordinator._s3_config`: `not (tls_ca_chain or scheme == "https")`);
    /// for one without, `false` (HTTPS), as before this setting was optional. coordinated-workers
    /// would say plain HTTP there when no CA chain is given: give `insecure: true`, or an
    /// `http://` endpoint, for that.
    pub insecure: Option<bool>,
    /// The CA chain (PEM) of the endpoint's certificate: the s3 relation's `tls-ca-chain`, its
    /// certificates joined by a blank line as coordinated-workers joins them. It decides
    /// [`insecure`](Self::insecure) when that is not given, and is published as
    /// `s3_tls_ca_chain` unless [`Extras::s3_tls_ca_chain`](crate::Extras::s3_tls_ca_chain) is set.
    pub tls_ca_chain: Option<String>,
}

impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("bucket_name", &self.bucket_name)
            .field("access_key_id", &Hidden(&self.access_key_id))
            .field("secret_access_key", &Hidden(&self.secret_access_key))
            .field("region", &self.region)
            .field("insecure", &self.insecure)
            .field("tls_ca_chain", &self.tls_ca_chain.as_ref().map(|pem| format!("<{} bytes>", pem.len())))
            .finish()
    }
}

/// Reads a credential; an error does not repeat the value, which may be the secret mistyped.
fn credential<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    String::deserialize(deserializer)
        .map_err(|_| serde::de::Error::custom("an S3 credential must be a string (the value is not shown)"))
}

/// Reads a duration setting; an error names it.
fn period_setting<'de, D: serde::Deserializer<'de>>(deserializer: D, setting: &str) -> Result<Period, D::Error> {
    let text = String::deserialize(deserializer)?;
    text.parse().map_err(|err| serde::de::Error::custom(format_args!("{setting}: {err}")))
}

fn retention_period<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Period, D::Error> {
    period_setting(deserializer, "retention_period")
}

fn compactor_cleanup_interval<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Period, D::Error> {
    period_setting(deserializer, "compactor_cleanup_interval")
}

fn compactor_deletion_delay<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Period, D::Error> {
    period_setting(deserializer, "compactor_deletion_delay")
}

/// A secret in `Debug` output: whether it is set, never what it is.
struct Hidden<'a>(&'a str);

impl fmt::Debug for Hidden<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "<empty>" } else { "<set, not shown>" })
    }
}

/// The coordinator's inputs to the Pyroscope configuration, besides the cluster itself.
///
/// `Default` gives the Canonical charm's defaults (but the retention, see
/// [`retention_period`](Self::retention_period)) and an empty S3 configuration, which
/// [`PyroscopeConfig::build`] rejects: fill in [`s3`](Self::s3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// The Pyroscope release the workers run (`1.18`, `1.18.2`, `2.2.1`): the configuration has
    /// only keys and values it takes. Default: 1.18, what the Canonical worker charm runs.
    pub pyroscope: PyroscopeRelease,
    /// The storage architecture the cluster runs (`v1`, the default, or `v2`): which roles are
    /// part of it ([`Architecture::roles`]) and which blocks the configuration has. `v2` needs a
    /// release with the v2 metastore (2.2.1 here); on any other it is [`ConfigError::Architecture`].
    pub architecture: Architecture,
    /// The URL users reach Pyroscope at (through ingress); its path becomes `api.base-url`
    /// unless it is `/`. `None` without ingress.
    pub external_url: Option<String>,
    /// Object storage.
    pub s3: S3Settings,
    /// How long profiles are kept (`limits.compactor_blocks_retention_period`, a Prometheus
    /// duration: `30d`, `2y`, kept as written); `0` keeps them for ever. Default: `0` (the
    /// Canonical charm's option defaults to `1d`; a library that deletes data by default is not
    /// safer).
    #[serde(deserialize_with = "retention_period")]
    pub retention_period: Period,
    /// How often the compactor cleans up the bucket (`compactor.cleanup_interval`, a Go duration:
    /// `15m` kept as written, `1d` written `24h`). Default: `15m`. v1 only: v2 has no compactor
    /// block and ignores it (a settings document must still give a duration here: it is read as
    /// one before the architecture is known).
    #[serde(deserialize_with = "compactor_cleanup_interval")]
    pub compactor_cleanup_interval: Period,
    /// How long a block marked for deletion stays (`compactor.deletion_delay`, a Go duration).
    /// Default: `12h`. v1 only, as [`compactor_cleanup_interval`](Self::compactor_cleanup_interval).
    #[serde(deserialize_with = "compactor_deletion_delay")]
    pub compactor_deletion_delay: Period,
    /// Where the workers keep local data (`pyroscopedb.data_path`). Default: `/pyroscope-data`.
    pub data_path: String,
    /// The ports the workers listen on.
    pub ports: Ports,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            pyroscope: PyroscopeRelease::DEFAULT,
            architecture: Architecture::V1,
            external_url: None,
            s3: S3Settings::default(),
            retention_period: Period::ZERO,
            compactor_cleanup_interval: Period::known("15m"),
            compactor_deletion_delay: Period::known("12h"),
            data_path: DEFAULT_DATA_PATH.to_owned(),
            ports: Ports::default(),
        }
    }
}

/// Why no configuration can be built from the settings. Messages name the setting and value
/// (never a secret) and say what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required S3 setting is empty.
    #[error("S3 {field} is not set: relate the coordinator to an S3 provider (e.g. s3-integrator) that gives one")]
    S3Missing {
        /// Which setting: `endpoint` or `bucket name`.
        field: &'static str,
    },
    /// The S3 endpoint has a scheme other than `http` or `https`.
    #[error(
        "S3 endpoint {endpoint:?} has the scheme `{scheme}`; give `http://host[:port]`, `https://host[:port]` or `host[:port]`"
    )]
    S3EndpointScheme {
        /// The endpoint as given (one with credentials is [`ConfigError::S3EndpointCredentials`]).
        endpoint: String,
        /// The scheme.
        scheme: String,
    },
    /// The S3 endpoint has a path (or a trailing `/`, a query or a fragment).
    #[error(
        "S3 endpoint {endpoint:?} has a path (`{path}`); give the host and port only: Pyroscope's S3 client takes no path, and the bucket goes in `bucket_name`"
    )]
    S3EndpointPath {
        /// The endpoint as given (one with credentials is [`ConfigError::S3EndpointCredentials`]).
        endpoint: String,
        /// From the first `/`, `?` or `#` after the host on.
        path: String,
    },
    /// The S3 endpoint has no host (`http://`, `:9000`).
    #[error("S3 endpoint {endpoint:?} has no host; give `host[:port]`")]
    S3EndpointHost {
        /// The endpoint as given.
        endpoint: String,
    },
    /// The S3 endpoint carries credentials (`user:password@host`: any `@`); nothing of the
    /// endpoint is shown, not even its scheme, which a password may hold.
    #[error(
        "S3 endpoint has credentials in it (`...@`); give `host[:port]` only, and the keys as the access key and secret key"
    )]
    S3EndpointCredentials,
    /// The external URL is not an absolute URL.
    #[error("external URL {url:?} {why}; expected an absolute URL such as `https://pyroscope.example/path`")]
    ExternalUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The data path is empty.
    #[error("the data path is empty; give a directory such as `/pyroscope-data`")]
    DataPath,
    /// The HTTP and memberlist ports are the same.
    #[error("the HTTP and memberlist ports are both {port}; give them different ports")]
    PortClash {
        /// The shared port.
        port: Port,
    },
    /// A duration setting is not in the grammar of the key it goes to.
    #[error("{setting} {value:?} is not a duration Pyroscope {release} reads for `{key}`: it {why}; {hint}")]
    Duration {
        /// The setting: `retention_period`, `compactor_cleanup_interval`, `compactor_deletion_delay`.
        setting: &'static str,
        /// The key it goes to, e.g. `limits.compactor_blocks_retention_period`.
        key: &'static str,
        /// The setting's value.
        value: String,
        /// The release.
        release: PyroscopeRelease,
        /// What is wrong.
        why: DurationError,
        /// What would work.
        hint: &'static str,
    },
    /// The storage architecture is one the release does not run.
    #[error(
        "Pyroscope {release} has no {architecture} storage architecture (its config has no `{key}`); run Pyroscope {releases}, or the architecture v1"
    )]
    Architecture {
        /// The architecture asked for.
        architecture: Architecture,
        /// The release.
        release: PyroscopeRelease,
        /// A key of that architecture the release lacks.
        key: &'static str,
        /// The releases that have it, `, `-joined.
        releases: String,
    },
    /// The configuration could not be written as YAML.
    #[error("the Pyroscope configuration could not be written as YAML")]
    Yaml(#[source] YamlError),
    /// The configuration is not one the release check can read (a bug; nothing is published).
    #[error("the Pyroscope configuration cannot be checked")]
    Unreadable(#[source] CheckError),
    /// The rendered configuration is one its release would refuse (a bug: every setting is checked
    /// before; nothing is published).
    #[error(transparent)]
    Refused(ConfigRefusal),
}

/// What a Prometheus duration takes.
const PROMETHEUS_HINT: &str =
    "write whole numbers with units y, w, d, h, m, s, ms, largest first (`30d`, `1h30m`), or `0`";
/// What a Go duration setting takes.
const GO_HINT: &str = "write a Go duration (`90m`, `1h30m`, `1.5h`) or whole days, weeks or years (`1d`, `2w`), which are written in hours";

/// The Pyroscope configuration file every worker runs with.
///
/// The keys the Canonical coordinator renders, plus `architecture_storage` (see
/// [`StorageArchitecture`]) on the releases that have it, nothing else: Pyroscope rejects a file
/// with a key it does not know, and so does `Deserialize` here. In v1 the v1 blocks (`compactor`,
/// `ingester`, `pyroscopedb`, `store_gateway`) are there and the v2 ones (`metastore`,
/// `query_backend`, `segment_writer`) are not; in v2 the other way round, as the Canonical
/// branch `feat/pyroscope-v2` (`coordinator/src/pyroscope.py`) renders them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PyroscopeConfig {
    /// The release this configuration is for: not a key of the file. [`Self::to_yaml`] checks
    /// the configuration against it; [`Self::from_yaml`] leaves the default.
    #[serde(skip)]
    pub pyroscope: PyroscopeRelease,
    /// `api`.
    pub api: Api,
    /// `architecture_storage`: only on the releases that have the key (2.0 and later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture_storage: Option<StorageArchitecture>,
    /// `compactor`: v1 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compactor: Option<Compactor>,
    /// `distributor`.
    pub distributor: Distributor,
    /// `ingester`: v1 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingester: Option<Ingester>,
    /// `limits`.
    pub limits: Limits,
    /// `memberlist`.
    pub memberlist: Memberlist,
    /// `metastore`: v2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metastore: Option<Metastore>,
    /// `pyroscopedb`: v1 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pyroscopedb: Option<PyroscopeDb>,
    /// `query_backend`: v2 only, and only once a query-backend unit counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_backend: Option<QueryBackend>,
    /// `segment_writer`: v2 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub segment_writer: Option<SegmentWriter>,
    /// `server`.
    pub server: Server,
    /// `storage`.
    pub storage: Storage,
    /// `store_gateway`: v1 only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_gateway: Option<StoreGateway>,
}

/// `architecture_storage`: which storage architecture Pyroscope runs: the model's
/// [`Architecture`], written `v1` or `v2`.
///
/// Written only on a 2.x release, always: from 2.0 on, Pyroscope has the key and defaults to
/// `v1-v2-dual` (references v2.0.6 and v2.2.1), which sends writes to segment-writers: a cluster
/// of v1 roles left on the default would accept profiles and store none. 1.x has no such key and
/// refuses a file that holds it (and has no v2, see [`ConfigError::Architecture`]).
pub type StorageArchitecture = Architecture;

/// `api`: how Pyroscope's HTTP API is reached.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Api {
    /// `api.base-url`: the path prefix Pyroscope serves its UI and API under, behind an ingress
    /// on a sub-path. Absent at the root.
    #[serde(rename = "base-url", default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
}

/// `compactor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compactor {
    /// `compactor.cleanup_interval`.
    pub cleanup_interval: DurationValue,
    /// `compactor.deletion_delay`.
    pub deletion_delay: DurationValue,
    /// `compactor.sharding_ring`.
    pub sharding_ring: Ring,
}

/// `distributor`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Distributor {
    /// `distributor.ring`.
    pub ring: Ring,
}

/// `ingester`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ingester {
    /// `ingester.lifecycler`.
    pub lifecycler: Lifecycler,
}

/// `ingester.lifecycler`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycler {
    /// `ingester.lifecycler.ring`.
    pub ring: ReplicatedRing,
}

/// A hash ring whose state is kept in a key-value store.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ring {
    /// `kvstore`.
    pub kvstore: KvStore,
}

/// A hash ring with a replication factor (`ingester.lifecycler.ring`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplicatedRing {
    /// `kvstore`.
    pub kvstore: KvStore,
    /// `replication_factor`.
    pub replication_factor: u32,
}

/// `kvstore`: where a ring's state lives.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KvStore {
    /// `store`.
    pub store: KvStoreKind,
}

/// The key-value stores the coordinator uses: memberlist only (no Consul or etcd to run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KvStoreKind {
    /// `memberlist`: the ring state gossips between the workers.
    #[default]
    Memberlist,
}

/// `limits`: the retention, under the key of the architecture.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// `limits.compactor_blocks_retention_period`: v1 (its compactor applies it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compactor_blocks_retention_period: Option<DurationValue>,
    /// `limits.retention_period`: v2 (the metastore and compaction-workers apply it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention_period: Option<DurationValue>,
}

/// `metastore` (v2): where its clients reach it, and its Raft group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metastore {
    /// `metastore.address`: every metastore unit as `host:9095`, sorted, comma-joined, so that a
    /// client can always reach the leader (the Canonical branch's form); absent while no
    /// metastore unit counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// `metastore.data_dir`: `<data path>/metastore/data`.
    pub data_dir: String,
    /// `metastore.raft`.
    pub raft: Raft,
}

/// `metastore.raft`: how the Raft group forms. Each unit's own identity (`server_id`,
/// `advertise_address`, `bind_address`) is on its command line, not here: the file is the same
/// for every worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Raft {
    /// `metastore.raft.auto_join`: always `true`. A metastore that starts with no Raft state first
    /// asks the group's leader (through `metastore.address`) to add it as a voter, and bootstraps
    /// only when there is no group to join (grafana/pyroscope v2.2.1, `pkg/metastore/raftnode/
    /// node.go` `Node.Init`, `node_bootstrap.go` `tryAutoJoin`). Without it a metastore added to
    /// a running group never joins it: `bootstrap()` either skips (the node is not the last of the
    /// sorted peers) and waits for a leader that never adds it, or bootstraps a configuration of
    /// its own that the running members refuse to vote in (hashicorp/raft v1.7.3, `raft.go`
    /// `requestVote`: a candidate not in the configuration). Juju brings metastore units up one
    /// by one, so even a first deployment grows its group this way. See the crate docs, "The
    /// metastore's Raft group".
    pub auto_join: bool,
    /// `metastore.raft.bootstrap_expect_peers`: the metastore count (addresses), or 1 without any.
    pub bootstrap_expect_peers: u32,
    /// `metastore.raft.bootstrap_peers`: every metastore unit as `host:9099/host:9099` (IPv6 in
    /// brackets), sorted: the Raft address, then the server ID, which is the same text, as the
    /// worker's `-metastore.raft.server-id` is (the ID `tryAutoJoin` registers a node under is its
    /// advertise address; `ParsePeer` in `pkg/metastore/discovery/parse.go` reads `addr/id`).
    pub bootstrap_peers: Vec<String>,
    /// `metastore.raft.dir`: `<data path>/metastore/raft`.
    pub dir: String,
    /// `metastore.raft.snapshots_dir`: `<data path>/metastore/snapshots`.
    pub snapshots_dir: String,
}

/// `query_backend` (v2): where the query-frontends reach the query-backends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryBackend {
    /// `query_backend.address`: a gRPC target, `dns:///<host>:9095`, whose host is the headless
    /// service of the first query-backend unit (its address without the first label:
    /// `pyroscope-worker-0.pyroscope-worker-endpoints.m.svc` gives
    /// `pyroscope-worker-endpoints.m.svc`), or that unit's address when it has a single label
    /// or is an IP address. As the Canonical branch renders it: gRPC's client takes one target,
    /// not a list, and DNS resolves the service to every query-backend pod.
    pub address: String,
}

/// `segment_writer` (v2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentWriter {
    /// `segment_writer.lifecycler`: its ring on memberlist (upstream defaults to consul), three
    /// copies from [`REPLICATION_THRESHOLD`] segment-writers.
    pub lifecycler: Lifecycler,
}

/// `memberlist`: the gossip cluster every worker joins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Memberlist {
    /// `memberlist.bind_port`.
    pub bind_port: Port,
    /// `memberlist.join_members`: every worker unit as `host:port` (IPv6 in brackets), sorted.
    pub join_members: Vec<String>,
}

/// `pyroscopedb`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PyroscopeDb {
    /// `pyroscopedb.data_path`.
    pub data_path: String,
}

/// `server`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Server {
    /// `server.http_listen_port`.
    pub http_listen_port: Port,
}

/// `storage`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Storage {
    /// `storage.backend`.
    pub backend: StorageBackend,
    /// `storage.s3`.
    pub s3: S3Storage,
}

/// The storage backends the coordinator configures: S3 only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// `s3`.
    #[default]
    S3,
}

/// `storage.s3`. `Debug` does not show the access key or the secret key.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Storage {
    /// `storage.s3.access_key_id`.
    pub access_key_id: String,
    /// `storage.s3.bucket_name`.
    pub bucket_name: String,
    /// `storage.s3.endpoint`.
    pub endpoint: String,
    /// `storage.s3.insecure`.
    pub insecure: bool,
    /// `storage.s3.region`, absent when not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// `storage.s3.secret_access_key`.
    pub secret_access_key: String,
}

impl S3Storage {
    /// A warning for the coordinator's log when the S3 keys travel in clear: `insecure: true`
    /// and an access key or a secret key set (with neither, Pyroscope uses the ambient AWS
    /// credentials, which this configuration does not carry). The endpoint is named; no key is.
    pub fn plain_http_warning(&self) -> Option<String> {
        let keys = !self.access_key_id.is_empty() || !self.secret_access_key.is_empty();
        (self.insecure && keys).then(|| {
            format!(
                "S3 keys travel over plain HTTP to {:?} (storage.s3.insecure: true): give the endpoint as \
                 `https://...`, or the s3 relation a TLS CA chain",
                self.endpoint
            )
        })
    }
}

impl fmt::Debug for S3Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Storage")
            .field("access_key_id", &Hidden(&self.access_key_id))
            .field("bucket_name", &self.bucket_name)
            .field("endpoint", &self.endpoint)
            .field("insecure", &self.insecure)
            .field("region", &self.region)
            .field("secret_access_key", &Hidden(&self.secret_access_key))
            .finish()
    }
}

/// `store_gateway`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreGateway {
    /// `store_gateway.sharding_ring`.
    pub sharding_ring: ShardingRing,
}

/// `store_gateway.sharding_ring`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShardingRing {
    /// `replication_factor`.
    pub replication_factor: u32,
}

/// 3 copies once a ring has [`REPLICATION_THRESHOLD`] units, else 1.
pub fn replication_factor(units: usize) -> u32 {
    if units >= REPLICATION_THRESHOLD { 3 } else { 1 }
}

impl PyroscopeConfig {
    /// The configuration for the cluster in `view`:
    ///
    /// - `memberlist.join_members`: every distinct address of a unit that counts, whatever its
    ///   role, sorted by address, as `host:port` with the memberlist port (IPv6 in brackets);
    /// - the ingester and store-gateway replication factors: 3 when at least
    ///   [`REPLICATION_THRESHOLD`] distinct addresses of units that count run the role, else 1.
    ///   Addresses, not units, as the Python coordinator counts them: two units that publish
    ///   the same address are one ring member, and a factor above the ring's size fails writes;
    /// - every ring on memberlist, S3 storage, retention, compactor timings, data path and ports
    ///   from `settings`, and `api.base-url` from the path of the external URL unless it is `/`;
    /// - for [`Settings::pyroscope`]: `architecture_storage: v1` from 2.0 on, none before; each
    ///   duration in the grammar of its key, kept as the operator wrote it wherever that grammar
    ///   takes it (see [`Period::for_prometheus`] and [`Period::for_go`]).
    ///
    /// In v2 ([`Settings::architecture`], which must be the view's): no `compactor`, `ingester`,
    /// `pyroscopedb` or `store_gateway`; the segment-writer ring on memberlist with its
    /// replication factor from the segment-writer addresses; the metastore's Raft bootstrap
    /// peers (`host:9099` of each metastore address) and their count, its client address and
    /// directories under the data path; the query-backend's address ([`QueryBackend`]); the
    /// retention as `limits.retention_period`.
    pub fn build(view: &ClusterView, settings: &Settings) -> Result<Self, ConfigError> {
        let release = settings.pyroscope;
        let architecture = settings.architecture;
        if architecture == Architecture::V2 && release.key(V2_ARCHITECTURE_KEY).is_none() {
            let releases = pyroscope_cluster_release::releases_with_key(V2_ARCHITECTURE_KEY);
            let releases = releases.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            return Err(ConfigError::Architecture { architecture, release, key: V2_ARCHITECTURE_KEY, releases });
        }
        let v1 = architecture == Architecture::V1;
        let retention_key = if v1 { "limits.compactor_blocks_retention_period" } else { "limits.retention_period" };
        let duration_error = |setting, key, value: &Period, why, hint| ConfigError::Duration {
            setting,
            key,
            value: value.to_string(),
            release,
            why,
            hint,
        };
        let retention = settings.retention_period.for_prometheus().map_err(|why| {
            duration_error("retention_period", retention_key, &settings.retention_period, why, PROMETHEUS_HINT)
        })?;
        // v1 only: v2 has no compactor block, and ignores the compactor settings.
        let compactor = if v1 {
            let cleanup_interval =
                settings.compactor_cleanup_interval.for_go(ZeroAs::String, release).map_err(|why| {
                    duration_error(
                        "compactor_cleanup_interval",
                        "compactor.cleanup_interval",
                        &settings.compactor_cleanup_interval,
                        why,
                        GO_HINT,
                    )
                })?;
            let deletion_delay = settings.compactor_deletion_delay.for_go(ZeroAs::Integer, release).map_err(|why| {
                duration_error(
                    "compactor_deletion_delay",
                    "compactor.deletion_delay",
                    &settings.compactor_deletion_delay,
                    why,
                    GO_HINT,
                )
            })?;
            Some(Compactor { cleanup_interval, deletion_delay, sharding_ring: Ring::default() })
        } else {
            None
        };
        let s3 = s3_storage(&settings.s3)?;
        let base_url = settings.external_url.as_deref().map(base_url).transpose()?.flatten();
        if settings.data_path.is_empty() {
            return Err(ConfigError::DataPath);
        }
        let ports = settings.ports;
        if ports.http == ports.memberlist {
            return Err(ConfigError::PortClash { port: ports.http });
        }
        let join_members =
            view.addresses().map(|address| String::from(address.with_port(ports.memberlist.get()))).collect();
        let replicated = |role| Lifecycler {
            ring: ReplicatedRing {
                kvstore: KvStore::default(),
                replication_factor: replication_factor(view.addresses_with(role).count()),
            },
        };
        Ok(Self {
            pyroscope: release,
            api: Api { base_url },
            architecture_storage: release.has_architecture_storage().then_some(architecture),
            compactor,
            distributor: Distributor { ring: Ring::default() },
            ingester: v1.then(|| Ingester { lifecycler: replicated(Role::Ingester) }),
            limits: Limits {
                compactor_blocks_retention_period: v1.then(|| retention.clone()),
                retention_period: (!v1).then_some(retention),
            },
            memberlist: Memberlist { bind_port: ports.memberlist, join_members },
            metastore: (!v1).then(|| metastore(view, &settings.data_path)),
            pyroscopedb: v1.then(|| PyroscopeDb { data_path: settings.data_path.clone() }),
            query_backend: if v1 { None } else { view.addresses_with(Role::QueryBackend).next().map(query_backend) },
            segment_writer: (!v1).then(|| SegmentWriter { lifecycler: replicated(Role::SegmentWriter) }),
            server: Server { http_listen_port: ports.http },
            storage: Storage { backend: StorageBackend::S3, s3 },
            store_gateway: v1.then(|| StoreGateway {
                sharding_ring: ShardingRing {
                    replication_factor: replication_factor(view.addresses_with(Role::StoreGateway).count()),
                },
            }),
        })
    }

    /// The configuration file: YAML as Python's `yaml.dump` writes it (the Canonical coordinator's
    /// bytes), the same text for the same value, checked against the key table of
    /// [`Self::pyroscope`]: a configuration that release would refuse is an error, never a text.
    ///
    /// The check reads the value's YAML tree (`check_value`), not the text parsed back: no YAML
    /// parser runs over a text that lists every worker. The outcome is the text's, since every
    /// string of this type sits on a key that takes any scalar (numbers, booleans and durations
    /// are typed): `tests/invariants.rs` holds both to the same outcome on arbitrary settings,
    /// and in debug builds (every test) this checks the text too and asserts the same outcome.
    ///
    /// A configuration of thousands of gossip members is checked on a second thread while it is
    /// written (at 10,000 members the check takes under half the writing's time, by the profile
    /// of `pyroscope-cluster reconcile`); the outcome is the same.
    pub fn to_yaml(&self) -> Result<String, ConfigError> {
        /// From how many gossip members the check runs beside the writing.
        const PARALLEL_FROM: usize = 2_048;
        let check = || check_value(self.pyroscope, self);
        let write = || yaml::to_string_pyyaml(self).map_err(ConfigError::Yaml);
        let (checked, text) = if self.memberlist.join_members.len() < PARALLEL_FROM {
            (check(), None)
        } else {
            let (text, checked) = crate::parallel::both(write, check);
            (checked, Some(text))
        };
        let text = match checked {
            Ok(()) => text.unwrap_or_else(write)?,
            Err(CheckError::Refused(refusal)) => return Err(ConfigError::Refused(refusal)),
            Err(other) => return Err(ConfigError::Unreadable(other)),
        };
        // The text read back takes what the value's tree takes: a writer that quoted a string
        // wrongly would show here, in every test.
        debug_assert!(
            pyroscope_cluster_release::check_yaml(self.pyroscope, &text).is_ok(),
            "the checked configuration's text is refused:\n{text}"
        );
        Ok(text)
    }

    /// Reads a configuration file this type wrote; any key it does not know is an error.
    pub fn from_yaml(text: &str) -> Result<Self, YamlError> {
        yaml::from_str(text)
    }
}

/// The `metastore` block of v2 for the metastore units of `view`.
fn metastore(view: &ClusterView, data_path: &str) -> Metastore {
    let addresses: Vec<&Address> = view.addresses_with(Role::Metastore).collect();
    let with_port = |port: Port| addresses.iter().map(move |address| String::from(address.with_port(port.get())));
    let clients: Vec<String> = with_port(ports::GRPC).collect();
    let bootstrap_peers: Vec<String> = with_port(ports::RAFT).map(|peer| format!("{peer}/{peer}")).collect();
    let data_path = data_path.trim_end_matches('/');
    Metastore {
        address: (!clients.is_empty()).then(|| clients.join(",")),
        data_dir: format!("{data_path}/metastore/data"),
        raft: Raft {
            auto_join: true,
            bootstrap_expect_peers: u32::try_from(bootstrap_peers.len().max(1)).unwrap_or(u32::MAX),
            bootstrap_peers,
            dir: format!("{data_path}/metastore/raft"),
            snapshots_dir: format!("{data_path}/metastore/snapshots"),
        },
    }
}

/// The `query_backend` block of v2, from the first query-backend address (see [`QueryBackend`]).
fn query_backend(first: &Address) -> QueryBackend {
    let host = match (first.as_str().split_once('.'), first.kind()) {
        (Some((_, service)), AddressKind::HostName) => {
            Address::try_from(service.to_owned()).unwrap_or_else(|_| first.clone())
        }
        _ => first.clone(),
    };
    QueryBackend { address: format!("dns:///{}", host.with_port(ports::GRPC.get())) }
}

fn s3_storage(s3: &S3Settings) -> Result<S3Storage, ConfigError> {
    let S3Endpoint { host, scheme } = s3_endpoint(&s3.endpoint)?;
    if s3.bucket_name.is_empty() {
        return Err(ConfigError::S3Missing { field: "bucket name" });
    }
    let ca_chain = s3.tls_ca_chain.as_deref().is_some_and(|pem| !pem.is_empty());
    let insecure = match (s3.insecure, scheme) {
        (Some(insecure), _) => insecure,
        (None, Some(scheme)) => !(ca_chain || scheme == "https"),
        (None, None) => false,
    };
    Ok(S3Storage {
        access_key_id: s3.access_key_id.clone(),
        bucket_name: s3.bucket_name.clone(),
        endpoint: host.to_owned(),
        insecure,
        // As given: an empty region is written `region: ''`, as the Canonical coordinator does.
        region: s3.region.clone(),
        secret_access_key: s3.secret_access_key.clone(),
    })
}

/// An S3 endpoint read: the `host[:port]` to write, and the scheme it had (`http`, `https`).
struct S3Endpoint<'a> {
    host: &'a str,
    scheme: Option<&'static str>,
}

/// Reads an S3 endpoint as the s3 relation gives it: `host[:port]`, or `http://` or `https://`
/// before it (stripped, as coordinated-workers strips it). Credentials in it (any `@`, looked for
/// before anything else: `AKIA:hun://ter2@minio` is a user and a password, not a scheme) are an
/// error that shows nothing of the endpoint; so is a path.
fn s3_endpoint(endpoint: &str) -> Result<S3Endpoint<'_>, ConfigError> {
    if endpoint.is_empty() {
        return Err(ConfigError::S3Missing { field: "endpoint" });
    }
    // First: a password may hold `:`, `/` or `://`, and nothing of it may show in another error.
    if endpoint.contains('@') {
        return Err(ConfigError::S3EndpointCredentials);
    }
    let (scheme, rest) = match endpoint.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, endpoint),
    };
    let shown = || endpoint.to_owned();
    let scheme = match scheme.map(str::to_ascii_lowercase).as_deref() {
        None => None,
        Some("http") => Some("http"),
        Some("https") => Some("https"),
        Some(_) => {
            let scheme = scheme.unwrap_or_default().to_owned();
            return Err(ConfigError::S3EndpointScheme { endpoint: shown(), scheme });
        }
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    if !path.is_empty() {
        return Err(ConfigError::S3EndpointPath { endpoint: shown(), path: path.to_owned() });
    }
    if authority.is_empty() || authority.starts_with(':') {
        return Err(ConfigError::S3EndpointHost { endpoint: shown() });
    }
    Ok(S3Endpoint { host: authority, scheme })
}

/// The path of an absolute URL (what Python's `urlparse(url).path` gives), or `None` when it is
/// empty or `/`.
fn base_url(url: &str) -> Result<Option<String>, ConfigError> {
    let err = |why| ConfigError::ExternalUrl { url: url.to_owned(), why };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(err("has white space or a control character"));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(err("has no scheme"));
    };
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(err("has no valid scheme"));
    }
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if host_end == 0 {
        return Err(err("has no host"));
    }
    let tail = &rest[host_end..];
    let path = &tail[..tail.find(['?', '#']).unwrap_or(tail.len())];
    Ok((!path.is_empty() && path != "/").then(|| path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(url: &str, expect: Result<Option<&str>, &str>) {
        match (base_url(url), expect) {
            (Ok(got), Ok(want)) => assert_eq!(got.as_deref(), want, "{url:?}"),
            (Err(ConfigError::ExternalUrl { why, .. }), Err(want)) => assert_eq!(why, want, "{url:?}"),
            (got, want) => panic!("{url:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn base_url_table() {
        check("http://pyroscope.example", Ok(None));
        check("http://pyroscope.example/", Ok(None));
        check("https://pyroscope.example:8443/", Ok(None));
        check("http://10.0.0.1/cos-pyroscope", Ok(Some("/cos-pyroscope")));
        check("http://traefik/model-pyroscope-k8s/", Ok(Some("/model-pyroscope-k8s/")));
        check("https://h/a/b?x=1#frag", Ok(Some("/a/b")));
        check("https://h?x=/y", Ok(None));
        check("http://[fd00::1]:80/p", Ok(Some("/p")));
        check("pyroscope.example/path", Err("has no scheme"));
        check("/path", Err("has no scheme"));
        check("://h/p", Err("has no valid scheme"));
        check("1http://h/p", Err("has no valid scheme"));
        check("http:///path", Err("has no host"));
        check("http://h/a b", Err("has white space or a control character"));
        check("http://h/a\n", Err("has white space or a control character"));
    }

    #[test]
    fn replication_factor_threshold() {
        assert_eq!([0, 1, 2, 3, 4, 100].map(replication_factor), [1, 1, 1, 3, 3, 3]);
    }

    #[test]
    fn debug_hides_s3_keys() {
        let settings = Settings {
            s3: S3Settings {
                endpoint: "minio:9000".into(),
                bucket_name: "pyroscope".into(),
                access_key_id: "AKIAEXAMPLE".into(),
                secret_access_key: "hunter2".into(),
                ..S3Settings::default()
            },
            ..Settings::default()
        };
        let config = PyroscopeConfig::build(&ClusterView::default(), &settings).unwrap();
        for shown in [format!("{settings:?}"), format!("{config:?}"), format!("{:#?}", config.storage)] {
            assert!(!shown.contains("hunter2") && !shown.contains("AKIAEXAMPLE"), "{shown}");
            assert!(shown.contains("minio:9000"), "{shown}");
        }
        let empty = format!("{:?}", S3Settings::default());
        assert!(empty.contains("access_key_id: <empty>"), "{empty}");
    }
}

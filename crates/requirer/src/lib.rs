//! The worker (requirer) side of the Juju relation interface `pyroscope_cluster`: what a Pyroscope
//! worker charm publishes, what its coordinator sent, how to run Pyroscope with it, and when a new
//! configuration needs a restart.
//!
//! A worker charm does three things with the relation, in every hook:
//! 1. **Publish** ([`Announcement::plan`]): its roles in the worker app databag (the leader only:
//!    a follower gets [`NotLeader`] instead of a write Juju would refuse), its address and Juju
//!    topology in its unit databag. The plan is a set of [`DatabagChanges`] against what the
//!    databags hold now, empty when they are up to date. Roles go on the wire sorted, byte for byte
//!    as the Python worker writes them.
//! 2. **Read** ([`CoordinatorState::read_for`]): the coordinator app databag is not published
//!    yet, ready ([`ClusterData`]: the configuration, TLS, ports, telemetry endpoints), invalid
//!    (with the reason), or removed after having been published. Telling the last from the first
//!    needs one fact from before the hook, [`Seen`]; the config file's existence is that fact.
//!    A `worker_config` over 4 MiB, of more than 100,000 entries or nested deeper than 32 levels
//!    is refused before it is parsed ([`check_bounds`]), and TLS values not of their form
//!    ([`check_tls`]) before they are used.
//!    Before it is ready, `worker_config` is checked for this worker ([`ThisWorker`]): the
//!    Pyroscope release it runs must take it ([`InvalidData::Refused`] lists each key path,
//!    value and reason, and the release: unknown keys, a YAML integer or `1d` on a Go duration,
//!    an IPv6 member without brackets), and `memberlist.join_members` must list the worker's own
//!    `<address>:<bind port>` ([`InvalidData::NotListed`]). An invalid configuration is never
//!    written and never restarts Pyroscope, which keeps running its last good one; the message
//!    is the charm's `blocked` status.
//! 3. **Run**: [`ConfigChange::decide`] compares the configuration with the config file on disk
//!    (parsed, not as text) and says unchanged, rewrite, or rewrite and restart: a change of the
//!    gossip member list alone is written without a restart (see [`ConfigChange`] for the rule).
//!    [`Command`] is the `pyroscope -config.file=... -target=...` command line.
//!
//! Everything here is pure: no IO, no hook tool. The charm reads the databags, the leadership
//! and the file on disk, and performs the writes and the restart; `pyroscope-cluster-juju` does
//! that inside a Juju hook (its `worker` module, and `write_config_file`, which writes the file
//! atomically with mode `0o600`). Wire encoding and decoding are the model crate's
//! ([`pyroscope_cluster_model`]), and so is all YAML.
//!
//! What this crate knows of Pyroscope's configuration keys: it checks every key against the
//! release's key table (`pyroscope-cluster-release`, which knows them all), and reads only
//! `memberlist.join_members` (its own membership; the one key a change of which needs no restart,
//! [`RESTART_FREE_KEYS`]) and `memberlist.bind_port` (its own member's port). Everything else it
//! passes to Pyroscope as the coordinator wrote it.
//!
//! # A worker charm's whole use
//!
//! ```
//! use pyroscope_cluster_model::{DatabagModel, JujuTopology, ProviderAppData, RawDatabag};
//! use pyroscope_cluster_requirer::{
//!     Announcement, Command, ConfigChange, CoordinatorState, Leadership, PyroscopeRelease, Seen, ThisWorker,
//!     roles_from_options,
//! };
//! # fn write_config_file(path: &str, text: &str) -> std::io::Result<()> { std::fs::write(path, text) }
//! # let dir = tempfile::tempdir()?;
//! # let config_file = dir.path().join("config.yaml");
//! # let config_file = config_file.to_str().unwrap();
//! // `config_file` is where this worker keeps Pyroscope's configuration, e.g. /etc/worker/config.yaml.
//!
//! // Who this unit is: its roles (from the charm's `role-*` options), address and topology.
//! let roles = roles_from_options([("role-all", false), ("role-querier", true), ("role-ingester", true)]);
//! let me = Announcement {
//!     roles: roles.clone().ok(), // on Err, show the reason in the unit status
//!     address: "pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local".parse()?,
//!     juju_topology: JujuTopology {
//!         application: "pyroscope-worker".into(),
//!         unit: "pyroscope-worker/0".into(),
//!         charm_name: "pyroscope-worker-k8s".into(),
//!         model: None,
//!         model_uuid: None,
//!     },
//! };
//!
//! // 1. Publish. The databags as `relation-get` shows them now (Juju adds its own keys).
//! let mut unit_databag = RawDatabag::from([("ingress-address".into(), "10.1.0.7".into())]);
//! let mut app_databag = RawDatabag::new();
//! let plan = me.plan(&unit_databag, Leadership::Leader { app_databag: &app_databag });
//! // A charm writes the changes with `relation-set [--app] --file -` when they are not empty
//! // (`pyroscope_cluster_juju::worker::publish` does); here the databags are applied in memory.
//! plan.unit.apply(&mut unit_databag);
//! match &plan.app {
//!     Ok(changes) => changes.apply(&mut app_databag),
//!     Err(not_leader) => unreachable!("a follower skips the app databag: {not_leader}"),
//! }
//! assert_eq!(app_databag["role"], r#""ingester,querier""#);
//! assert!(me.plan(&unit_databag, Leadership::Follower).unit.is_empty(), "nothing left to write");
//!
//! // 2. Read what the coordinator sent (`relation-get --app - <coordinator app>`), checked for
//! //    this worker: the Pyroscope release its image runs, and its own address.
//! let this = ThisWorker { pyroscope: PyroscopeRelease::V1_18_2, address: &me.address };
//! let worker_config = "memberlist:\n  join_members: ['pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:7946']\nstorage: {backend: s3}\n";
//! let coordinator = ProviderAppData::new(worker_config).encode();
//! let seen = Seen::from_config_file_exists(std::path::Path::new(config_file).exists());
//! let data = match CoordinatorState::read_for(&coordinator, seen, &this) {
//!     CoordinatorState::Ready(data) => data,
//!     CoordinatorState::NotPublished => return Ok(()), // status: waiting for the coordinator
//!     CoordinatorState::Invalid(why) => return Err(why.into()), // status: blocked, with `why`; keep running
//!     CoordinatorState::Removed => return Ok(()), // stop Pyroscope, delete the config file
//! };
//!
//! // 3. Run: compare with the file on disk, write it (atomically: `pyroscope_cluster_juju::write_config_file`),
//! //    (re)start Pyroscope with this command.
//! let on_disk = std::fs::read_to_string(config_file).ok();
//! let change = ConfigChange::decide(on_disk.as_deref(), data.config());
//! assert!(change.needs_write() && change.needs_restart(), "{change}"); // no file yet
//! write_config_file(config_file, data.config().text())?;
//! let command = Command::new(config_file, &roles?);
//! assert_eq!(command.args()[1], "-target=ingester,querier");
//! // (re)start the `pyroscope` service with `command.argv()` here.
//!
//! // A later hook: a second worker unit joined, so the coordinator sent a longer member list,
//! // in another YAML style. The file is rewritten; Pyroscope keeps running.
//! let worker_config = "{storage: {backend: s3}, memberlist: {join_members: [\
//!     'pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:7946', \
//!     'pyroscope-worker-1.pyroscope-worker-endpoints.cos.svc.cluster.local:7946']}}";
//! let coordinator = ProviderAppData::new(worker_config).encode();
//! let seen = Seen::from_config_file_exists(std::path::Path::new(config_file).exists());
//! let state = CoordinatorState::read_for(&coordinator, seen, &this);
//! let data = state.data().ok_or("coordinator data not ready")?;
//! let on_disk = std::fs::read_to_string(config_file).ok();
//! let change = ConfigChange::decide(on_disk.as_deref(), data.config());
//! assert!(change.needs_write() && !change.needs_restart(), "{change}");
//! write_config_file(config_file, data.config().text())?;
//!
//! // A coordinator that renders for Pyroscope 2.x: this 1.18 worker refuses it, writes nothing,
//! // and keeps running the configuration it has (status: blocked, with the message).
//! let worker_config = "architecture_storage: v1\nmemberlist:\n  join_members: ['pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:7946']\n";
//! let coordinator = ProviderAppData::new(worker_config).encode();
//! let state = CoordinatorState::read_for(&coordinator, seen, &this);
//! let CoordinatorState::Invalid(why) = state else { panic!("{state:?}") };
//! assert!(why.to_string().starts_with(
//!     "Pyroscope 1.18.2 would refuse this configuration: `architecture_storage`: Pyroscope 1.18.2 has no such key"
//! ));
//!
//! // The coordinator leaves: its databag empties, and this unit had seen valid data.
//! let seen = Seen::from_config_file_exists(std::path::Path::new(config_file).exists());
//! assert!(matches!(CoordinatorState::read_for(&RawDatabag::new(), seen, &this), CoordinatorState::Removed));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod command;
mod config;
mod coordinator;
mod limits;
mod publish;

pub use command::{Command, PROGRAM};
pub use config::{ConfigChange, RESTART_FREE_KEYS, RestartReason, WorkerConfig, WorkerConfigError};
pub use coordinator::{ClusterData, CoordinatorState, InvalidData, PortsToOpen, ReceivedTls, Seen, ThisWorker};
pub use limits::{
    ConfigBound, MAX_CERTIFICATE_BYTES, MAX_WORKER_CONFIG_BYTES, MAX_WORKER_CONFIG_DEPTH, MAX_WORKER_CONFIG_ENTRIES,
    TlsProblem, check_bounds, check_tls, is_secret_uri,
};
pub use publish::{
    Announcement, AnnouncementPlan, Leadership, NotLeader, ROLE_OPTION_PREFIX, RoleOptionsError, roles_from_options,
};
/// Re-exported from the model, where the provider's plan uses it too.
pub use pyroscope_cluster_model::{DatabagChanges, JUJU_UNIT_KEYS};
/// Re-exported: the release a worker checks its configuration against.
pub use pyroscope_cluster_release::{ConfigProblem, ConfigRefusal, KeyProblem, PyroscopeRelease};

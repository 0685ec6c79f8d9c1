//! Typed databags of the Juju relation interface `pyroscope_cluster`, and their wire encoding.
//!
//! A Pyroscope coordinator (the provider) and its worker applications (the requirers) talk through
//! three databags: the worker app's [`RequirerAppData`] (its roles), each worker unit's
//! [`RequirerUnitData`] (address and Juju topology), and the coordinator's [`ProviderAppData`] (the
//! Pyroscope configuration and telemetry endpoints). Juju holds a databag as a map of string to
//! string ([`RawDatabag`]); every value is JSON text.
//!
//! The encoding here is byte-for-byte the one of the deployed Python peer (`coordinated-workers`
//! 4.x, whose writer is Python's `json.dumps` with default settings), so a Rust charm and a Python
//! charm can sit on either side of the relation, and a charm switching implementation causes no
//! spurious `relation-changed` event. Decoding is strict where it matters (a role, an address, a
//! port) and lenient where the interface asks for it (unknown keys, JSON spacing, `null` optionals),
//! and every rejection names the databag, the key, the value and the reason.
//!
//! This crate does no IO and knows nothing of Pyroscope's configuration keys, of Juju's hook
//! tools, or of files. The YAML that `worker_config` carries is read and written through [`yaml`],
//! the workspace's one YAML module.
//!
//! ```
//! use pyroscope_cluster_model::{DatabagModel, RawDatabag, RequirerAppData, RequirerUnitData, Role};
//!
//! // What a worker leader writes (the Python worker sorts its roles by name)...
//! let app = RequirerAppData { role: "ingester,querier".parse()? };
//! assert_eq!(app.encode()["role"], r#""ingester,querier""#);
//!
//! // ...and what a coordinator reads from a unit databag, Juju's own keys included.
//! let unit = RawDatabag::from([
//!     ("address".into(), r#""pyroscope-worker-0.pyroscope-worker-endpoints""#.into()),
//!     ("juju_topology".into(), r#"{"application": "pyroscope-worker", "unit": "pyroscope-worker/0", "charm_name": "pyroscope-worker-k8s"}"#.into()),
//!     ("ingress-address".into(), "10.1.2.3".into()),
//! ]);
//! let data = RequirerUnitData::decode(&unit)?;
//! assert_eq!(data.address.with_port(7946).to_string(), "pyroscope-worker-0.pyroscope-worker-endpoints:7946");
//! assert!(app.role.contains(Role::Ingester));
//!
//! // Bad input is an error that says where and why.
//! let bad = RawDatabag::from([("role".into(), r#""querier, ingester""#.into())]);
//! let err = RequirerAppData::decode(&bad).unwrap_err();
//! assert!(err.to_string().starts_with(r#"invalid requirer app databag: key `role` = "\"querier, ingester\"": is not a valid role list: unknown role " ingester""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod address;
mod chain;
mod changes;
mod databag;
mod de;
mod json;
mod map;
mod redact;
mod role;
mod schema;
#[cfg(any(test, feature = "proptest"))]
pub mod strategies;
mod topology;
pub mod yaml;

pub use address::{Address, AddressError, AddressKind, HostPort};
pub use chain::ErrorChain;

/// The endpoint of the `pyroscope_cluster` relation in the Canonical charms' `charmcraft.yaml`
/// (coordinator and worker alike).
pub const CLUSTER_ENDPOINT: &str = "pyroscope-cluster";
pub use changes::{ChangedKeys, DatabagChanges, JUJU_UNIT_KEYS};
pub use databag::{
    DatabagKind, DatabagModel, DecodeError, FieldError, Port, Problem, ProviderAppData, RawDatabag,
    RemoteWriteEndpoint, RequirerAppData, RequirerUnitData,
};
pub use json::PathStep;
pub use map::StringMap;
pub use redact::{EXCERPT_CHARS, SECRET_KEYS, Shown};
pub use role::{Architecture, Role, Roles, RolesError, UnknownRole};
pub use topology::JujuTopology;

/// The README's examples, compiled and run as doctests so that they stay true.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

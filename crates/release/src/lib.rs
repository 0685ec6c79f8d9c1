//! What each Grafana Pyroscope release accepts in its configuration file, for both sides of the
//! Juju relation interface `pyroscope_cluster`: the coordinator renders a configuration for the
//! release its workers run, and a worker checks what it receives against the release it runs.
//!
//! Pyroscope decodes its config file strictly (go-yaml v3 with `KnownFields(true)`,
//! grafana/pyroscope `pkg/cfg/files.go`): one key its release does not know, or one value its
//! decoder refuses, and the process exits at start, on every worker at once. So:
//!
//! - [`PyroscopeRelease`]: a release there is a key reference for (1.18.1 to 1.21.1, 2.0.6, 2.2.1),
//!   parsed from `1.18` or `1.18.2`; an unknown one is an error listing the known ones. Default
//!   1.18, what deployed workers run.
//! - [`PyroscopeRelease::key`]: how the release decodes the value of a key path ([`KeyKind`]), from a
//!   compact table generated from `reference/pyroscope/vX.Y.Z.json` by `cargo xtask schema`.
//! - [`go_duration`] and [`prometheus_duration`]: the two duration grammars, exactly as Go's
//!   `time.ParseDuration` and prometheus/common's `model.ParseDuration` take them.
//! - [`check`] / [`check_yaml`] / [`check_value`]: every reason a release would refuse a
//!   configuration (a parsed tree, a text, or a value's tree built without the text), as
//!   [`ConfigProblem`]s (key path, value, why).
//!
//! - [`PYTHON_DEVIATIONS`]: where the Canonical coordinator's output is refused by a release,
//!   and what this interface's coordinator writes instead (`cargo xtask schema` renders it, with
//!   the releases, into `docs/interface.md`).
//!
//! The crate does no IO. Its YAML comes through `pyroscope_cluster_model::yaml`.
//!
//! ```
//! use pyroscope_cluster_release::{KeyKind, KeyProblem, PyroscopeRelease, check_yaml, CheckError};
//!
//! let release: PyroscopeRelease = "1.18".parse()?;
//! assert_eq!(release, PyroscopeRelease::V1_18_2);
//! assert!(!release.has_architecture_storage());
//!
//! // What the Canonical coordinator renders for `deletion_delay: 1w`, which Go durations lack.
//! let config = "compactor:\n  deletion_delay: 1w\nmemberlist:\n  join_members:\n  - fd00::1:7946\n";
//! let Err(CheckError::Refused(refusal)) = check_yaml(release, config) else { panic!() };
//! let paths: Vec<&str> = refusal.problems.iter().map(|problem| problem.path.as_str()).collect();
//! assert_eq!(paths, ["compactor.deletion_delay", "memberlist.join_members[0]"]);
//! assert!(matches!(refusal.problems[1].problem, KeyProblem::Member(_)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod check;
mod deviations;
mod duration;
mod keys;
mod kind;
mod member;
mod node;
pub mod ports;
mod release;
mod secrets;
mod table;

pub use check::{CheckError, ConfigProblem, ConfigRefusal, KeyProblem, check, check_value, check_yaml};
pub use deviations::{PYTHON_DEVIATIONS, PythonDeviation};
pub use duration::{DurationError, go_duration, go_text, prometheus_duration};
pub use kind::KeyKind;
pub use member::{JoinMember, MemberError};
pub use node::{Node, NotANode};
pub use release::{PyroscopeRelease, ReleaseError};
pub use secrets::{SECRET_CONFIG_KEYS, is_secret_config_key};
pub use table::releases_with_key;

//! The three databags of the relation and their encoding to and from Juju's string-to-string maps.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU16;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::address::{Address, AddressError};
use crate::json;
use crate::map::StringMap;
use crate::role::{Roles, RolesError};
use crate::topology::JujuTopology;

/// A Juju databag as Juju holds it: every key and every value a string.
pub type RawDatabag = BTreeMap<String, String>;

/// Which databag of the relation a value belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DatabagKind {
    /// The coordinator (provider) application databag, written by its leader.
    ProviderApp,
    /// A worker (requirer) application databag, written by its leader.
    RequirerApp,
    /// A worker (requirer) unit databag, written by that unit.
    RequirerUnit,
}

impl DatabagKind {
    /// A short name: `provider-app`, `requirer-app`, `requirer-unit`.
    pub const fn as_str(self) -> &'static str {
        match self {
            DatabagKind::ProviderApp => "provider-app",
            DatabagKind::RequirerApp => "requirer-app",
            DatabagKind::RequirerUnit => "requirer-unit",
        }
    }
}

impl fmt::Display for DatabagKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DatabagKind::ProviderApp => "provider app databag",
            DatabagKind::RequirerApp => "requirer app databag",
            DatabagKind::RequirerUnit => "requirer unit databag",
        })
    }
}

/// A typed databag: how it is encoded into, and decoded from, a [`RawDatabag`].
pub trait DatabagModel: Sized {
    /// Which databag this is.
    const KIND: DatabagKind;
    /// The keys this type reads and writes, in declaration (and encoding) order.
    const KEYS: &'static [&'static str];

    /// The databag the Python peer would write for this value: each present field JSON-encoded
    /// exactly as `json.dumps` writes it, absent optional fields left out.
    fn encode(&self) -> RawDatabag;

    /// Reads a databag. Keys not in [`Self::KEYS`] are ignored (Juju's `ingress-address`, fields of
    /// future versions); an optional key whose value is JSON `null` counts as absent. Every problem
    /// found is reported, not only the first.
    fn decode(databag: &RawDatabag) -> Result<Self, DecodeError>;
}

/// What is wrong with one key of a databag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// A required key is not in the databag.
    #[error("is missing")]
    Missing,
    /// The value is not JSON, or not JSON of the type the key takes.
    #[error("is not valid: {0}")]
    Json(String),
    /// The value is a string, but not a list of known roles.
    #[error("is not a valid role list: {0}")]
    Roles(#[from] RolesError),
    /// The value is a string, but not a host name or IP literal.
    #[error("is not a valid address: {0}")]
    Address(#[from] AddressError),
}

/// One key of a databag that could not be decoded, with its value and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The key.
    pub key: &'static str,
    /// The value as found (shortened when long), or `None` when the key is missing or its value
    /// may hold secrets (`worker_config` carries S3 credentials).
    pub value: Option<String>,
    /// Why it was rejected.
    pub problem: Problem,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(value) => write!(f, "key `{}` = {value}: {}", self.key, self.problem),
            None => write!(f, "key `{}` {}", self.key, self.problem),
        }
    }
}

impl std::error::Error for FieldError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.problem)
    }
}

/// A databag that could not be decoded, with every problem found in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {databag}: {}", DisplayProblems(.problems))]
pub struct DecodeError {
    /// Which databag.
    pub databag: DatabagKind,
    /// What is wrong with it, in key order; never empty.
    pub problems: Vec<FieldError>,
}

struct DisplayProblems<'a>(&'a [FieldError]);

impl fmt::Display for DisplayProblems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            problem.fmt(f)?;
        }
        Ok(())
    }
}

/// The longest excerpt of a bad value an error carries, in characters.
const EXCERPT_CHARS: usize = 80;

/// A bad value as an error shows it: quoted and escaped (no control character reaches a terminal),
/// cut after [`EXCERPT_CHARS`] characters with the full length noted.
fn excerpt(value: &str) -> String {
    match value.char_indices().nth(EXCERPT_CHARS) {
        None => format!("{value:?}"),
        Some((cut, _)) => format!("{:?}... ({} bytes in all)", &value[..cut], value.len()),
    }
}

/// Keys whose values an error must not repeat.
pub(crate) const SECRET_KEYS: &[&str] = &["worker_config"];

/// Decodes the known keys of one databag, collecting every problem.
struct Reader<'a> {
    databag: &'a RawDatabag,
    problems: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn new(databag: &'a RawDatabag) -> Self {
        Self { databag, problems: Vec::new() }
    }

    fn reject(&mut self, key: &'static str, raw: Option<&str>, problem: Problem) {
        let value = raw.filter(|_| !SECRET_KEYS.contains(&key)).map(excerpt);
        self.problems.push(FieldError { key, value, problem });
    }

    fn decode<T: DeserializeOwned>(&mut self, key: &'static str, raw: &str) -> Option<T> {
        json::from_str(raw).map_err(|err| self.reject(key, Some(raw), Problem::Json(err.to_string()))).ok()
    }

    fn required<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<T> {
        match self.databag.get(key) {
            Some(raw) => self.decode(key, raw),
            None => {
                self.reject(key, None, Problem::Missing);
                None
            }
        }
    }

    fn optional<T: DeserializeOwned>(&mut self, key: &'static str) -> Option<T> {
        let raw = self.databag.get(key)?;
        self.decode::<Option<T>>(key, raw).flatten()
    }

    /// A required string that must also parse as `T`.
    fn parsed<T, E>(&mut self, key: &'static str) -> Option<T>
    where
        T: TryFrom<String, Error = E>,
        E: Into<Problem>,
    {
        let text: String = self.required(key)?;
        T::try_from(text)
            .map_err(|err| {
                let raw = self.databag.get(key).map(String::as_str);
                self.reject(key, raw, err.into());
            })
            .ok()
    }

    fn finish<T>(self, kind: DatabagKind, value: Option<T>) -> Result<T, DecodeError> {
        match value {
            Some(value) if self.problems.is_empty() => Ok(value),
            _ => Err(DecodeError { databag: kind, problems: self.problems }),
        }
    }
}

/// Encodes fields in declaration order into a [`RawDatabag`].
struct Writer(RawDatabag);

impl Writer {
    fn new() -> Self {
        Self(RawDatabag::new())
    }

    fn field<T: Serialize + ?Sized>(mut self, key: &str, value: &T) -> Self {
        self.0.insert(key.to_owned(), json::to_string(value));
        self
    }

    fn optional<T: Serialize>(self, key: &str, value: Option<&T>) -> Self {
        match value {
            Some(value) => self.field(key, value),
            None => self,
        }
    }
}

/// What a worker application's leader publishes: the roles the application runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, schemars::JsonSchema)]
pub struct RequirerAppData {
    /// The roles, comma-joined on the wire under the key `role`.
    pub role: Roles,
}

impl DatabagModel for RequirerAppData {
    const KIND: DatabagKind = DatabagKind::RequirerApp;
    const KEYS: &'static [&'static str] = &["role"];

    fn encode(&self) -> RawDatabag {
        Writer::new().field("role", &self.role).0
    }

    fn decode(databag: &RawDatabag) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(databag);
        let role = reader.parsed::<Roles, RolesError>("role");
        reader.finish(Self::KIND, role.map(|role| Self { role }))
    }
}

/// What each worker unit publishes: where it can be reached, and who it is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, schemars::JsonSchema)]
pub struct RequirerUnitData {
    /// The unit's address; the Python worker publishes its FQDN.
    pub address: Address,
    /// The unit's Juju topology.
    pub juju_topology: JujuTopology,
}

impl DatabagModel for RequirerUnitData {
    const KIND: DatabagKind = DatabagKind::RequirerUnit;
    /// Declaration order of the Python model (`juju_topology` first); a databag is a sorted map,
    /// so this order shows only in error messages.
    const KEYS: &'static [&'static str] = &["juju_topology", "address"];

    fn encode(&self) -> RawDatabag {
        Writer::new().field("juju_topology", &self.juju_topology).field("address", &self.address).0
    }

    fn decode(databag: &RawDatabag) -> Result<Self, DecodeError> {
        let mut reader = Reader::new(databag);
        let juju_topology = reader.required::<JujuTopology>("juju_topology");
        let address = reader.parsed::<Address, AddressError>("address");
        let value = address.zip(juju_topology).map(|(address, juju_topology)| Self { address, juju_topology });
        reader.finish(Self::KIND, value)
    }
}

/// An endpoint the worker can push metrics to with Prometheus remote-write.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema)]
pub struct RemoteWriteEndpoint {
    /// The remote-write URL, e.g. `http://prometheus-0.prometheus-endpoints:9090/api/v1/write`.
    pub url: String,
}

impl<'de> serde::Deserialize<'de> for RemoteWriteEndpoint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        struct Fields {
            url: String,
        }
        let Fields { url } = crate::de::object_only(deserializer, "a remote-write endpoint object")?;
        Ok(Self { url })
    }
}

/// A port number: 1 to 65535.
pub type Port = NonZeroU16;

/// What the coordinator's leader publishes to every worker application: the configuration to run,
/// and where to send the worker's own telemetry.
///
/// `Debug` does not print `worker_config`, which holds S3 credentials.
#[derive(Clone, PartialEq, Eq, Hash, Default, schemars::JsonSchema)]
pub struct ProviderAppData {
    /// The Pyroscope configuration file (YAML) every worker runs with.
    pub worker_config: String,
    /// Loki push-API endpoints for the worker's logs, by name.
    pub loki_endpoints: Option<StringMap>,
    /// Where the worker charm sends its own traces, by protocol.
    pub charm_tracing_receivers: Option<StringMap>,
    /// Where the Pyroscope workload sends its traces, by protocol.
    pub workload_tracing_receivers: Option<StringMap>,
    /// Prometheus remote-write endpoints for the worker's metrics.
    pub remote_write_endpoints: Option<Vec<RemoteWriteEndpoint>>,
    /// The ports the worker opens. Absent (`None`): the worker opens its legacy defaults; empty: none.
    pub worker_ports: Option<Vec<Port>>,
    /// The CA certificate (PEM) the cluster's TLS certificates are signed with.
    pub ca_cert: Option<String>,
    /// The worker's server certificate (PEM).
    pub server_cert: Option<String>,
    /// The Juju secret ID under which the private key of `server_cert` is shared (never the key itself).
    pub privkey_secret_id: Option<String>,
    /// The CA chain (PEM) that signs the S3 endpoint's certificate.
    pub s3_tls_ca_chain: Option<String>,
    /// Labels the worker puts on its workload (service mesh).
    pub worker_labels: Option<StringMap>,
}

impl ProviderAppData {
    /// Data that carries only a configuration.
    pub fn new(worker_config: impl Into<String>) -> Self {
        Self { worker_config: worker_config.into(), ..Self::default() }
    }
}

impl fmt::Debug for ProviderAppData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderAppData")
            .field("worker_config", &format_args!("<{} bytes, not shown>", self.worker_config.len()))
            .field("loki_endpoints", &self.loki_endpoints)
            .field("charm_tracing_receivers", &self.charm_tracing_receivers)
            .field("workload_tracing_receivers", &self.workload_tracing_receivers)
            .field("remote_write_endpoints", &self.remote_write_endpoints)
            .field("worker_ports", &self.worker_ports)
            .field("ca_cert", &self.ca_cert)
            .field("server_cert", &self.server_cert)
            .field("privkey_secret_id", &self.privkey_secret_id)
            .field("s3_tls_ca_chain", &self.s3_tls_ca_chain)
            .field("worker_labels", &self.worker_labels)
            .finish()
    }
}

impl DatabagModel for ProviderAppData {
    const KIND: DatabagKind = DatabagKind::ProviderApp;
    const KEYS: &'static [&'static str] = &[
        "worker_config",
        "loki_endpoints",
        "charm_tracing_receivers",
        "workload_tracing_receivers",
        "remote_write_endpoints",
        "worker_ports",
        "ca_cert",
        "server_cert",
        "privkey_secret_id",
        "s3_tls_ca_chain",
        "worker_labels",
    ];

    fn encode(&self) -> RawDatabag {
        Writer::new()
            .field("worker_config", &self.worker_config)
            .optional("loki_endpoints", self.loki_endpoints.as_ref())
            .optional("charm_tracing_receivers", self.charm_tracing_receivers.as_ref())
            .optional("workload_tracing_receivers", self.workload_tracing_receivers.as_ref())
            .optional("remote_write_endpoints", self.remote_write_endpoints.as_ref())
            .optional("worker_ports", self.worker_ports.as_ref())
            .optional("ca_cert", self.ca_cert.as_ref())
            .optional("server_cert", self.server_cert.as_ref())
            .optional("privkey_secret_id", self.privkey_secret_id.as_ref())
            .optional("s3_tls_ca_chain", self.s3_tls_ca_chain.as_ref())
            .optional("worker_labels", self.worker_labels.as_ref())
            .0
    }

    fn decode(databag: &RawDatabag) -> Result<Self, DecodeError> {
        let mut r = Reader::new(databag);
        let worker_config = r.required::<String>("worker_config");
        let value = Self {
            worker_config: String::new(),
            loki_endpoints: r.optional("loki_endpoints"),
            charm_tracing_receivers: r.optional("charm_tracing_receivers"),
            workload_tracing_receivers: r.optional("workload_tracing_receivers"),
            remote_write_endpoints: r.optional("remote_write_endpoints"),
            worker_ports: r.optional("worker_ports"),
            ca_cert: r.optional("ca_cert"),
            server_cert: r.optional("server_cert"),
            privkey_secret_id: r.optional("privkey_secret_id"),
            s3_tls_ca_chain: r.optional("s3_tls_ca_chain"),
            worker_labels: r.optional("worker_labels"),
        };
        r.finish(Self::KIND, worker_config.map(|worker_config| Self { worker_config, ..value }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_escaped_and_bounded() {
        assert_eq!(excerpt("a\u{1b}[31m"), r#""a\u{1b}[31m""#);
        let long = "x".repeat(1_000_000);
        let shown = excerpt(&long);
        assert!(shown.len() < 120, "{shown}");
        assert!(shown.ends_with("... (1000000 bytes in all)"), "{shown}");
        let wide = "é".repeat(100);
        assert!(excerpt(&wide).ends_with("... (200 bytes in all)"));
    }

    #[test]
    fn debug_hides_worker_config() {
        let data = ProviderAppData::new("storage:\n  s3:\n    secret_access_key: hunter2\n");
        let shown = format!("{data:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<46 bytes, not shown>"), "{shown}");
    }

    #[test]
    fn errors_do_not_repeat_worker_config() {
        let bag = RawDatabag::from([("worker_config".to_owned(), "secret_access_key: hunter2".to_owned())]);
        let err = ProviderAppData::decode(&bag).unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert_eq!(err.problems[0].key, "worker_config");
    }
}

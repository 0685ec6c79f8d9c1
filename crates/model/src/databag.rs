//! The three databags of the relation and their encoding to and from Juju's string-to-string maps.

use std::collections::BTreeMap;
use std::fmt;
use std::num::NonZeroU16;

use serde::Serialize;

use crate::address::{Address, AddressError};
use crate::json::{self, PathStep};
use crate::map::StringMap;
use crate::redact::Shown;
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
///
/// The detail of a bad role list or address is part of the message, not a cause behind it:
/// `source()` is `None`.
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
    Roles(RolesError),
    /// The value is a string, but not a host name or IP literal.
    #[error("is not a valid address: {0}")]
    Address(AddressError),
}

/// One key of a databag that could not be decoded, with its value and the reason.
///
/// It is one message, whose problem is part of it (`source()` is `None`); it does not show
/// [`path`](Self::path), which the message of a [`Problem::Json`] names in its own words
/// (`missing field `unit``, `at line 1 column 17`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The key.
    pub key: &'static str,
    /// Where in the key's decoded value the problem is: empty for the value as a whole,
    /// `[Key("unit")]` for a topology's `unit`, `[Index(2)]` for the third port. An object that
    /// lacks a field, or repeats a key, is pointed at itself.
    pub path: Vec<PathStep>,
    /// The value as found (see [`Shown`]), or `None` when the key is missing or its value is
    /// secret (`worker_config` carries S3 credentials).
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

impl std::error::Error for FieldError {}

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

/// Why the JSON text of one value was rejected, and where in it.
struct Rejection {
    path: Vec<PathStep>,
    problem: Problem,
    /// The same for a secret value, when `problem` may quote the value.
    redacted: Option<Problem>,
}

impl Rejection {
    fn at_root(problem: Problem) -> Self {
        Self { path: Vec::new(), problem, redacted: None }
    }
}

impl From<json::ReadError> for Rejection {
    fn from(err: json::ReadError) -> Self {
        let redacted = err.wrong_type.then(|| {
            Problem::Json(format!(
                "not of the type the key takes (the value is not shown) at line {} column {}",
                err.line, err.column
            ))
        });
        Self { path: err.path, problem: Problem::Json(err.message), redacted }
    }
}

/// The type of a databag field's value: how its JSON text is read (it is written as
/// [`json::to_string`] writes it).
trait FieldValue: Serialize + Sized {
    fn from_json(text: &str) -> Result<Self, Rejection>;

    /// The value's JSON text, as [`json::to_string`] writes it.
    fn to_json(&self) -> String {
        json::to_string(self)
    }
}

/// Types read by serde as they are.
macro_rules! serde_field_values {
    ($($ty:ty),* $(,)?) => {
        $(impl FieldValue for $ty {
            fn from_json(text: &str) -> Result<Self, Rejection> {
                Ok(json::from_str(text)?)
            }
        })*
    };
}

serde_field_values!(StringMap, JujuTopology, Vec<RemoteWriteEndpoint>, Vec<Port>);

impl FieldValue for String {
    fn from_json(text: &str) -> Result<Self, Rejection> {
        Ok(json::from_str(text)?)
    }

    /// A string field can be large (`worker_config` lists every worker): [`json::string`].
    fn to_json(&self) -> String {
        json::string(self)
    }
}

impl FieldValue for Roles {
    fn from_json(text: &str) -> Result<Self, Rejection> {
        json::from_str::<String>(text)?.parse().map_err(|err| Rejection::at_root(Problem::Roles(err)))
    }
}

impl FieldValue for Address {
    fn from_json(text: &str) -> Result<Self, Rejection> {
        let address = match json::plain_string(text) {
            // Most addresses are plain JSON strings: read in place, as serde_json would read them.
            Some(address) => address.parse(),
            None => Address::try_from(json::from_str::<String>(text)?),
        };
        address.map_err(|err| Rejection::at_root(Problem::Address(err)))
    }
}

/// A field of a databag type: a value of a [`FieldValue`] type is required; an `Option` of one is
/// optional (absent when the key is missing or its text is `null`).
trait Field: Sized {
    /// The field read from the databag, or `None` when it cannot be (the reader has noted why).
    fn read(reader: &mut Reader<'_>, key: &'static str) -> Option<Self>;
    /// The JSON text the databag holds for the field; `None` when the key is left out.
    fn text(&self) -> Option<String>;
}

impl<T: FieldValue> Field for T {
    fn read(reader: &mut Reader<'_>, key: &'static str) -> Option<Self> {
        match reader.databag.get(key) {
            Some(raw) => reader.value(key, raw),
            None => {
                reader.reject(key, None, Rejection::at_root(Problem::Missing));
                None
            }
        }
    }

    fn text(&self) -> Option<String> {
        Some(self.to_json())
    }
}

impl<T: FieldValue> Field for Option<T> {
    fn read(reader: &mut Reader<'_>, key: &'static str) -> Option<Self> {
        let value = reader.databag.get(key).filter(|raw| !json::is_null(raw)).and_then(|raw| reader.value(key, raw));
        Some(value)
    }

    fn text(&self) -> Option<String> {
        self.as_ref().map(FieldValue::to_json)
    }
}

/// `rejection`, with a hint when `raw` is not JSON at all but would be a valid value as a JSON
/// string (`all` for `"all"`): every databag value is JSON text, which people forget.
fn hint<T: FieldValue>(key: &str, raw: &str, rejection: Rejection) -> Rejection {
    let Problem::Json(message) = &rejection.problem else { return rejection };
    let quoted = json::to_string(raw);
    let not_json = rejection.redacted.is_none() && json::from_str::<serde::de::IgnoredAny>(raw).is_err();
    let short = raw.chars().count() <= crate::EXCERPT_CHARS;
    if !not_json || !short || Shown::is_secret(key) || T::from_json(&quoted).is_err() {
        return rejection;
    }
    let problem = Problem::Json(format!("{message}; values are JSON text: did you mean '{quoted}'?"));
    Rejection { problem, ..rejection }
}

/// Decodes the known keys of one databag, collecting every problem.
struct Reader<'a> {
    databag: &'a RawDatabag,
    problems: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    fn new(databag: &'a RawDatabag) -> Self {
        Self { databag, problems: Vec::new() }
    }

    fn value<T: FieldValue>(&mut self, key: &'static str, raw: &str) -> Option<T> {
        T::from_json(raw).map_err(|rejection| self.reject(key, Some(raw), hint::<T>(key, raw, rejection))).ok()
    }

    fn reject(&mut self, key: &'static str, raw: Option<&str>, rejection: Rejection) {
        let Rejection { path, problem, redacted } = rejection;
        let problem = match redacted {
            Some(redacted) if Shown::is_secret(key) => redacted,
            _ => problem,
        };
        let value = raw.and_then(|raw| Shown::new(key, raw).excerpt());
        self.problems.push(FieldError { key, path, value, problem });
    }

    fn finish<T>(self, kind: DatabagKind, value: impl FnOnce() -> Option<T>) -> Result<T, DecodeError> {
        match value() {
            Some(value) if self.problems.is_empty() => Ok(value),
            _ => Err(DecodeError { databag: kind, problems: self.problems }),
        }
    }
}

/// The proptest strategy of a databag field's type, of which the databag types' strategies are
/// made (`strategies.rs` has the field types' strategies).
#[cfg(any(test, feature = "proptest"))]
pub(crate) trait FieldStrategy: Sized + std::fmt::Debug {
    fn strategy() -> proptest::strategy::BoxedStrategy<Self>;
}

/// Declares a databag type once: the struct, whose fields are the keys in the Python model's
/// declaration order, and from that one list its [`DatabagModel`] impl (`KEYS`, `encode`,
/// `decode`), its `Debug` (a [secret](crate::SECRET_KEYS) value by its size only) and its
/// proptest strategy (`strategies`).
macro_rules! databag {
    (
        $(#[$attr:meta])*
        pub struct $name:ident: $kind:ident {
            $(
                $(#[$field_attr:meta])*
                pub $field:ident: $ty:ty,
            )*
        }
    ) => {
        $(#[$attr])*
        pub struct $name {
            $(
                $(#[$field_attr])*
                pub $field: $ty,
            )*
        }

        impl DatabagModel for $name {
            const KIND: DatabagKind = DatabagKind::$kind;
            const KEYS: &'static [&'static str] = &[$(stringify!($field)),*];

            fn encode(&self) -> RawDatabag {
                let mut databag = RawDatabag::new();
                $(
                    if let Some(text) = Field::text(&self.$field) {
                        databag.insert(stringify!($field).to_owned(), text);
                    }
                )*
                databag
            }

            fn decode(databag: &RawDatabag) -> Result<Self, DecodeError> {
                let mut reader = Reader::new(databag);
                $( let $field = <$ty as Field>::read(&mut reader, stringify!($field)); )*
                reader.finish(Self::KIND, || Some(Self { $($field: $field?),* }))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut debug = f.debug_struct(stringify!($name));
                $(
                    let key = stringify!($field);
                    match Field::text(&self.$field) {
                        Some(text) if Shown::is_secret(key) => debug.field(key, &Shown::new(key, &text)),
                        _ => debug.field(key, &self.$field),
                    };
                )*
                debug.finish()
            }
        }

        #[cfg(any(test, feature = "proptest"))]
        impl FieldStrategy for $name {
            fn strategy() -> proptest::strategy::BoxedStrategy<Self> {
                use proptest::strategy::Strategy;
                ($(<$ty as FieldStrategy>::strategy(),)*)
                    .prop_map(|($($field,)*)| Self { $($field),* })
                    .boxed()
            }
        }
    };
}

databag! {
    /// What a worker application's leader publishes: the roles the application runs.
    #[derive(Clone, PartialEq, Eq, Hash, schemars::JsonSchema)]
    pub struct RequirerAppData: RequirerApp {
        /// The roles, comma-joined on the wire under the key `role`.
        pub role: Roles,
    }
}

databag! {
    /// What each worker unit publishes: where it can be reached, and who it is.
    #[derive(Clone, PartialEq, Eq, Hash, schemars::JsonSchema)]
    pub struct RequirerUnitData: RequirerUnit {
        /// The unit's Juju topology.
        pub juju_topology: JujuTopology,
        /// The unit's address; the Python worker publishes its FQDN.
        pub address: Address,
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

databag! {
    /// What the coordinator's leader publishes to every worker application: the configuration to run,
    /// and where to send the worker's own telemetry.
    ///
    /// `Debug` does not print `worker_config`, which holds S3 credentials.
    #[derive(Clone, PartialEq, Eq, Hash, Default, schemars::JsonSchema)]
    pub struct ProviderAppData: ProviderApp {
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
}

impl ProviderAppData {
    /// Data that carries only a configuration.
    pub fn new(worker_config: impl Into<String>) -> Self {
        Self { worker_config: worker_config.into(), ..Self::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_worker_config() {
        let data = ProviderAppData::new("storage:\n  s3:\n    secret_access_key: hunter2\n");
        let shown = format!("{data:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        // The size of the value as the databag holds it (JSON text: quotes, `\n` escaped).
        assert!(
            shown.starts_with(r#"ProviderAppData { worker_config: <51 bytes, not shown>, loki_endpoints: None"#),
            "{shown}"
        );
    }

    #[track_caller]
    fn check_secret(text: &str, secret: &str, expect: &str) {
        let bag = RawDatabag::from([("worker_config".to_owned(), text.to_owned())]);
        let err = ProviderAppData::decode(&bag).unwrap_err();
        assert!(!err.to_string().contains(secret), "{err}");
        assert_eq!(
            err.to_string(),
            format!("invalid provider app databag: key `worker_config` is not valid: {expect}")
        );
    }

    #[test]
    fn errors_do_not_repeat_worker_config() {
        check_secret("secret_access_key: hunter2", "hunter2", "expected value at line 1 column 1");
        // serde's words for a wrong type quote a number (`invalid type: integer `1234567``).
        let wrong_type = "not of the type the key takes (the value is not shown) at line 1 column 7";
        check_secret("1234567", "1234567", wrong_type);
        check_secret(
            r#"{"secret_access_key": 1234567}"#,
            "1234567",
            "not of the type the key takes (the value is not shown) at line 1 column 0",
        );
        // Other keys quote their values.
        let bag = RawDatabag::from([
            ("worker_config".to_owned(), "\"a\"".to_owned()),
            ("worker_ports".to_owned(), "[0]".to_owned()),
        ]);
        let err = ProviderAppData::decode(&bag).unwrap_err();
        assert_eq!(err.problems[0].path, [PathStep::Index(0)]);
        assert!(err.to_string().contains("integer `0`"), "{err}");
    }
}

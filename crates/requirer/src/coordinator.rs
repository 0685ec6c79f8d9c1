//! What the coordinator sent: its app databag read into the states a worker must tell apart.

use pyroscope_cluster_model::yaml;
use pyroscope_cluster_model::{
    Address, DatabagModel, DecodeError, Port, ProviderAppData, RawDatabag, RemoteWriteEndpoint, StringMap,
};
use pyroscope_cluster_release::{ConfigRefusal, JoinMember, Node, PyroscopeRelease, check, ports};

use crate::config::{WorkerConfig, WorkerConfigError};
use crate::limits::{ConfigBound, TlsProblem, check_bounds, check_tls};

/// What a worker checks the coordinator's configuration against: the Pyroscope release it runs
/// (the charm knows its image) and its own address (what it publishes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThisWorker<'a> {
    /// The Pyroscope release the worker runs.
    pub pyroscope: PyroscopeRelease,
    /// The address the worker publishes in its unit databag.
    pub address: &'a Address,
}

/// What this unit had seen of the coordinator's data before this hook: the one piece of memory
/// that tells "the coordinator has not published yet" from "the coordinator took its data back".
///
/// A worker charm need not store it: the config file is that memory. The worker writes the file
/// only from valid coordinator data, and deletes it when the data is [`CoordinatorState::Removed`],
/// so "the config file exists" is [`Seen::ValidData`] and "it does not" is [`Seen::Nothing`].
/// A charm that keeps state of its own can carry this value over with [`Seen::after`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Seen {
    /// Nothing valid yet (a new unit, or one whose data was removed).
    #[default]
    Nothing,
    /// Valid data, which this unit may be running with.
    ValidData,
}

impl Seen {
    /// What to remember after reading `state`: valid data is remembered, removal forgets, and an
    /// invalid databag changes nothing (the worker keeps running what it had).
    pub fn after(self, state: &CoordinatorState) -> Seen {
        match state {
            CoordinatorState::Ready(_) => Seen::ValidData,
            CoordinatorState::NotPublished | CoordinatorState::Removed => Seen::Nothing,
            CoordinatorState::Invalid(_) => self,
        }
    }

    /// [`Seen::ValidData`] when the worker's config file exists, [`Seen::Nothing`] otherwise.
    pub fn from_config_file_exists(exists: bool) -> Seen {
        if exists { Seen::ValidData } else { Seen::Nothing }
    }
}

/// Why the coordinator app databag holds data a worker cannot use. The message is what a charm
/// puts in its `blocked` status.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidData {
    /// A key is missing, is not JSON, or is not of its type.
    #[error(transparent)]
    Databag(#[from] DecodeError),
    /// `worker_config` is a string, but not a YAML mapping.
    #[error("invalid provider app databag: key `worker_config`")]
    WorkerConfig(#[source] WorkerConfigError),
    /// The worker's Pyroscope release would refuse `worker_config` at start (unknown keys, values
    /// its decoder refuses): every key path, value and reason, and the release.
    #[error(transparent)]
    Refused(ConfigRefusal),
    /// `worker_config` passes a bound a worker sets before parsing it (its size, its entries, its
    /// nesting: see [`check_bounds`]); the message names the bound.
    #[error("invalid provider app databag: key `worker_config` {0}")]
    TooLarge(ConfigBound),
    /// A TLS value is not of the form the worker writes or hands to Juju (see [`check_tls`]).
    #[error("invalid provider app databag: key `{key}` {problem}")]
    Tls {
        /// The key: `privkey_secret_id`, `ca_cert` or `server_cert`.
        key: &'static str,
        /// What is wrong with its value.
        problem: TlsProblem,
    },
    /// `memberlist.join_members` does not list this worker: the coordinator has not counted this
    /// unit (yet), and the configuration is for a cluster without it. A charm may show this as
    /// `waiting`: it usually lasts until the coordinator's next hook.
    #[error(
        "the coordinator's `memberlist.join_members` does not list this worker ({member}): it has not counted this unit yet"
    )]
    NotListed {
        /// This worker as a member: `<address>:<bind port>`.
        member: String,
    },
}

/// The coordinator app databag as a worker must see it.
///
/// What to do in each state:
/// - [`NotPublished`](Self::NotPublished): wait (the coordinator has not found this worker app ready
///   yet, or has not got to it); nothing runs yet.
/// - [`Ready`](Self::Ready): write the configuration and run Pyroscope (see
///   [`ConfigChange`](crate::ConfigChange)).
/// - [`Invalid`](Self::Invalid): report the reason; keep running what runs (a half-written or
///   newer-than-understood databag is not a reason to stop a working cluster member).
/// - [`Removed`](Self::Removed): the coordinator withdrew the data: stop Pyroscope and delete the
///   config file. On `relation-broken`, where the databag may still be visible, a charm treats
///   the data as removed without reading it.
#[derive(Debug)]
pub enum CoordinatorState {
    /// No key of the provider app databag is there, and nothing valid was seen before.
    NotPublished,
    /// Valid data.
    Ready(Box<ClusterData>),
    /// Some key of the provider app databag is there, but the data is not valid.
    Invalid(InvalidData),
    /// No key of the provider app databag is there any more, after valid data was seen.
    Removed,
}

impl CoordinatorState {
    /// Reads the coordinator app databag. `seen` is what this unit had seen before (see [`Seen`]).
    /// Keys the databag format does not know (a newer coordinator's) are ignored; a databag with
    /// only such keys counts as empty. A `worker_config` past a bound of [`check_bounds`] (size,
    /// entries, nesting) is [`InvalidData::TooLarge`] before it is parsed.
    pub fn read(databag: &RawDatabag, seen: Seen) -> Self {
        let published = databag.keys().any(|key| ProviderAppData::KEYS.contains(&key.as_str()));
        if !published {
            return match seen {
                Seen::Nothing => Self::NotPublished,
                Seen::ValidData => Self::Removed,
            };
        }
        let data = match ProviderAppData::decode(databag) {
            Ok(data) => data,
            Err(err) => return Self::Invalid(InvalidData::Databag(err)),
        };
        if let Err(bound) = check_bounds(&data.worker_config) {
            return Self::Invalid(InvalidData::TooLarge(bound));
        }
        match ClusterData::try_from(data) {
            Ok(data) => Self::Ready(Box::new(data)),
            Err(err) => Self::Invalid(InvalidData::WorkerConfig(err)),
        }
    }

    /// Reads the coordinator app databag as [`read`](Self::read) does, then checks
    /// `worker_config` for `worker` before anything is written: a configuration its Pyroscope
    /// release would refuse at start (see `pyroscope_cluster_release::check`) is
    /// [`InvalidData::Refused`], one whose `memberlist.join_members` lacks the worker's own
    /// `<address>:<bind port>` is [`InvalidData::NotListed`]. Either way nothing is to be
    /// written and nothing restarted: the running Pyroscope keeps its last good configuration.
    ///
    /// A worker charm reads with this; [`read`](Self::read) is for tools without a worker.
    pub fn read_for(databag: &RawDatabag, seen: Seen, worker: &ThisWorker<'_>) -> Self {
        match Self::read(databag, seen) {
            Self::Ready(data) => match data.check(worker) {
                Ok(()) => Self::Ready(data),
                Err(invalid) => Self::Invalid(invalid),
            },
            other => other,
        }
    }

    /// The data, when it is [`Ready`](Self::Ready).
    pub fn data(&self) -> Option<&ClusterData> {
        match self {
            Self::Ready(data) => Some(data),
            _ => None,
        }
    }
}

/// TLS material for the worker's own endpoints: there only when the coordinator sent all three of
/// `ca_cert`, `server_cert` and `privkey_secret_id`, none of them empty (as the Python worker
/// decides). The private key itself is in the Juju secret `privkey_secret_id` (content key
/// `private-key`), never in the databag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReceivedTls<'a> {
    /// The CA certificate (PEM).
    pub ca_cert: &'a str,
    /// The worker's server certificate (PEM).
    pub server_cert: &'a str,
    /// The Juju secret ID of the private key.
    pub privkey_secret_id: &'a str,
}

/// Which ports the worker opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortsToOpen<'a> {
    /// The coordinator sent no list (`worker_ports` absent, as from a coordinator older than the
    /// key): leave the unit's ports as they are, as the Python worker does (coordinated-workers
    /// 4.1.4 `worker.py` calls `set_ports` only with a non-empty list).
    NotGiven,
    /// The coordinator sent this list: open exactly these. An empty list closes every port, where
    /// the Python worker would leave them as they are: the coordinator said "none".
    Exactly(&'a [Port]),
}

/// Valid coordinator data: the configuration to run, and where the worker's telemetry goes.
///
/// Built only from data whose `worker_config` is a YAML mapping, so [`ClusterData::config`] always
/// is one. `Debug` does not show the configuration, which holds S3 credentials.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterData {
    data: ProviderAppData,
    config: WorkerConfig,
}

impl TryFrom<ProviderAppData> for ClusterData {
    type Error = WorkerConfigError;

    /// Parses the data's `worker_config`.
    fn try_from(data: ProviderAppData) -> Result<Self, Self::Error> {
        let config = data.worker_config.parse()?;
        Ok(Self { data, config })
    }
}

impl ClusterData {
    /// The Pyroscope configuration to run.
    pub fn config(&self) -> &WorkerConfig {
        &self.config
    }

    /// Checks the data for `worker`: its TLS values are of their form (see [`check_tls`]), its
    /// release takes the configuration, and it lists the worker's
    /// own address in `memberlist.join_members` (with `memberlist.bind_port`, default 7946). A
    /// list with a DNS service-discovery entry (`dns+...`) is taken: whether it finds this worker
    /// is not known here.
    pub fn check(&self, worker: &ThisWorker<'_>) -> Result<(), InvalidData> {
        if let Some(tls) = self.tls() {
            check_tls(tls.ca_cert, tls.server_cert, tls.privkey_secret_id)
                .map_err(|(key, problem)| InvalidData::Tls { key, problem })?;
        }
        let root: Node = yaml::from_str(self.config.text())
            .map_err(|err| InvalidData::WorkerConfig(WorkerConfigError::Yaml(err)))?;
        check(worker.pyroscope, &root).map_err(InvalidData::Refused)?;
        let bind_port = self
            .config
            .get(&["memberlist", "bind_port"])
            .and_then(serde_json::Value::as_u64)
            .and_then(|port| u16::try_from(port).ok())
            .unwrap_or(ports::MEMBERLIST.get());
        let members: Vec<JoinMember<'_>> =
            self.config.join_members().into_iter().filter_map(|text| JoinMember::parse(text).ok()).collect();
        let discovery = members.iter().any(|member| matches!(member, JoinMember::Discovery(_)));
        let listed = members.iter().any(|member| member.is(worker.address.as_str(), bind_port, bind_port));
        if listed || discovery {
            Ok(())
        } else {
            Err(InvalidData::NotListed { member: worker.address.with_port(bind_port).to_string() })
        }
    }

    /// The data as decoded, each field as it was on the wire.
    pub fn provider_data(&self) -> &ProviderAppData {
        &self.data
    }

    /// TLS material, when complete (see [`ReceivedTls`]).
    pub fn tls(&self) -> Option<ReceivedTls<'_>> {
        fn present(field: &Option<String>) -> Option<&str> {
            field.as_deref().filter(|text| !text.is_empty())
        }
        Some(ReceivedTls {
            ca_cert: present(&self.data.ca_cert)?,
            server_cert: present(&self.data.server_cert)?,
            privkey_secret_id: present(&self.data.privkey_secret_id)?,
        })
    }

    /// The CA chain (PEM) of the S3 endpoint's certificate, when sent (independent of [`Self::tls`]).
    pub fn s3_tls_ca_chain(&self) -> Option<&str> {
        self.data.s3_tls_ca_chain.as_deref()
    }

    /// The ports to open; an absent list and an empty one differ (see [`PortsToOpen`]).
    pub fn worker_ports(&self) -> PortsToOpen<'_> {
        match &self.data.worker_ports {
            None => PortsToOpen::NotGiven,
            Some(ports) => PortsToOpen::Exactly(ports),
        }
    }

    /// Loki push-API endpoints for the worker's logs, by name; `None` when none was sent (the
    /// Python worker reads that as no endpoint).
    pub fn loki_endpoints(&self) -> Option<&StringMap> {
        self.data.loki_endpoints.as_ref()
    }

    /// Where the worker charm sends its own traces, by protocol (e.g. `otlp_http`).
    pub fn charm_tracing_receivers(&self) -> Option<&StringMap> {
        self.data.charm_tracing_receivers.as_ref()
    }

    /// Where the Pyroscope workload sends its traces, by protocol.
    pub fn workload_tracing_receivers(&self) -> Option<&StringMap> {
        self.data.workload_tracing_receivers.as_ref()
    }

    /// Prometheus remote-write endpoints for the worker's metrics; empty when none was sent.
    pub fn remote_write_endpoints(&self) -> &[RemoteWriteEndpoint] {
        self.data.remote_write_endpoints.as_deref().unwrap_or_default()
    }

    /// Labels the worker puts on its pods (service mesh); `None` when none was sent.
    pub fn worker_labels(&self) -> Option<&StringMap> {
        self.data.worker_labels.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pyroscope_cluster_model::ErrorChain;

    fn bag(entries: &[(&str, &str)]) -> RawDatabag {
        entries.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// `expect`: `"not published"`, `"removed"`, `"ready"` or `"invalid: <message>"`.
    #[track_caller]
    fn check(databag: &[(&str, &str)], seen: Seen, expect: &str) {
        let state = CoordinatorState::read(&bag(databag), seen);
        let got = match &state {
            CoordinatorState::NotPublished => "not published".to_owned(),
            CoordinatorState::Removed => "removed".to_owned(),
            CoordinatorState::Ready(_) => "ready".to_owned(),
            CoordinatorState::Invalid(err) => format!("invalid: {}", ErrorChain(err)),
        };
        assert!(got.starts_with(expect), "{databag:?} {seen:?}: got {got:?}, want {expect:?}");
        assert_eq!(state.data().is_some(), expect == "ready");
    }

    #[test]
    fn states_table() {
        use Seen::*;
        let config = ("worker_config", r#""foo: bar""#);
        check(&[], Nothing, "not published");
        check(&[], ValidData, "removed");
        check(&[("some-future-key", "1")], Nothing, "not published");
        check(&[("some-future-key", "1")], ValidData, "removed");
        check(&[config], Nothing, "ready");
        check(&[config], ValidData, "ready");
        check(&[config, ("some-future-key", "not json")], Nothing, "ready");
        check(&[config, ("worker_ports", "null")], Nothing, "ready");
        let missing = "invalid: invalid provider app databag: key `worker_config` is missing";
        check(&[("ca_cert", r#""PEM""#)], Nothing, missing);
        check(&[("ca_cert", r#""PEM""#)], ValidData, missing);
        check(
            &[("worker_config", "foo: bar")],
            ValidData,
            "invalid: invalid provider app databag: key `worker_config` is not valid: ",
        );
        check(
            &[config, ("worker_ports", "[0]")],
            Nothing,
            "invalid: invalid provider app databag: key `worker_ports` = \"[0]\": is not valid: invalid value: integer `0`, expected a nonzero u16",
        );
        check(
            &[config, ("loki_endpoints", r#"{"a": 1}"#)],
            Nothing,
            "invalid: invalid provider app databag: key `loki_endpoints` = \"{\\\"a\\\": 1}\": is not valid: invalid type: integer `1`, expected a string",
        );
        check(
            &[("worker_config", r#""foo""#)],
            Nothing,
            "invalid: invalid provider app databag: key `worker_config`: worker configuration is YAML a string, not a mapping",
        );
        check(
            &[("worker_config", r#""a: [1""#)],
            ValidData,
            "invalid: invalid provider app databag: key `worker_config`: worker configuration is not valid YAML: ",
        );
    }

    #[test]
    fn seen_carries_over() {
        let ready = CoordinatorState::read(&bag(&[("worker_config", r#""a: 1""#)]), Seen::Nothing);
        let invalid = CoordinatorState::read(&bag(&[("worker_config", "1")]), Seen::Nothing);
        let empty = RawDatabag::new();
        for seen in [Seen::Nothing, Seen::ValidData] {
            assert_eq!(seen.after(&ready), Seen::ValidData);
            assert_eq!(seen.after(&invalid), seen);
            assert_eq!(seen.after(&CoordinatorState::read(&empty, seen)), Seen::Nothing);
        }
        assert_eq!(Seen::from_config_file_exists(true), Seen::ValidData);
        assert_eq!(Seen::from_config_file_exists(false), Seen::Nothing);
        assert_eq!(Seen::default(), Seen::Nothing);
    }

    #[track_caller]
    fn check_tls(ca: Option<&str>, cert: Option<&str>, key: Option<&str>, expect: bool) {
        let data = ProviderAppData {
            ca_cert: ca.map(str::to_owned),
            server_cert: cert.map(str::to_owned),
            privkey_secret_id: key.map(str::to_owned),
            s3_tls_ca_chain: Some("S3 CA".into()),
            ..ProviderAppData::new("a: 1")
        };
        let data = ClusterData::try_from(data).unwrap();
        let want = expect.then(|| ReceivedTls {
            ca_cert: ca.unwrap(),
            server_cert: cert.unwrap(),
            privkey_secret_id: key.unwrap(),
        });
        assert_eq!(data.tls(), want);
        assert_eq!(data.s3_tls_ca_chain(), Some("S3 CA"));
    }

    #[test]
    fn tls_only_when_all_three_are_there() {
        let (ca, cert, key) = (Some("CA"), Some("CERT"), Some("secret:abc"));
        check_tls(ca, cert, key, true);
        check_tls(None, cert, key, false);
        check_tls(ca, None, key, false);
        check_tls(ca, cert, None, false);
        check_tls(None, None, None, false);
        check_tls(Some(""), cert, key, false);
        check_tls(ca, cert, Some(""), false);
    }

    #[test]
    fn worker_ports_absent_and_empty_differ() {
        let read = |ports: Option<&str>| {
            let mut databag = bag(&[("worker_config", r#""a: 1""#)]);
            if let Some(ports) = ports {
                databag.insert("worker_ports".into(), ports.into());
            }
            match CoordinatorState::read(&databag, Seen::Nothing) {
                CoordinatorState::Ready(data) => data.worker_ports().to_owned_ports(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(read(None), None);
        assert_eq!(read(Some("null")), None);
        assert_eq!(read(Some("[]")), Some(vec![]));
        assert_eq!(read(Some("[4040, 7946]")), Some(vec![4040, 7946]));
    }

    impl PortsToOpen<'_> {
        fn to_owned_ports(self) -> Option<Vec<u16>> {
            match self {
                PortsToOpen::NotGiven => None,
                PortsToOpen::Exactly(ports) => Some(ports.iter().map(|port| port.get()).collect()),
            }
        }
    }

    #[test]
    fn telemetry_is_exposed_typed() {
        let databag = bag(&[
            ("worker_config", r#""a: 1""#),
            ("loki_endpoints", r#"{"loki-0": "http://loki-0:3100/loki/api/v1/push"}"#),
            ("charm_tracing_receivers", r#"{"otlp_http": "http://tempo:4318"}"#),
            ("workload_tracing_receivers", r#"{"otlp_grpc": "tempo:4317"}"#),
            ("remote_write_endpoints", r#"[{"url": "http://prom:9090/api/v1/write"}]"#),
            ("worker_labels", r#"{"istio.io/dataplane-mode": "ambient"}"#),
        ]);
        let state = CoordinatorState::read(&databag, Seen::Nothing);
        let data = state.data().expect("ready");
        assert_eq!(data.loki_endpoints().and_then(|m| m.get("loki-0")), Some("http://loki-0:3100/loki/api/v1/push"));
        assert_eq!(data.charm_tracing_receivers().and_then(|m| m.get("otlp_http")), Some("http://tempo:4318"));
        assert_eq!(data.workload_tracing_receivers().and_then(|m| m.get("otlp_grpc")), Some("tempo:4317"));
        assert_eq!(
            data.remote_write_endpoints(),
            [RemoteWriteEndpoint { url: "http://prom:9090/api/v1/write".into() }]
        );
        assert_eq!(data.worker_labels().and_then(|m| m.get("istio.io/dataplane-mode")), Some("ambient"));
        assert_eq!(data.worker_ports(), PortsToOpen::NotGiven);
        assert_eq!(data.tls(), None);
        assert_eq!(data.s3_tls_ca_chain(), None);

        let bare = CoordinatorState::read(&bag(&[("worker_config", r#""a: 1""#)]), Seen::Nothing);
        let bare = bare.data().expect("ready");
        assert_eq!(bare.loki_endpoints(), None);
        assert_eq!(bare.remote_write_endpoints(), []);
        assert_eq!(bare.worker_labels(), None);
    }

    #[test]
    fn debug_hides_the_configuration() {
        let state =
            CoordinatorState::read(&bag(&[("worker_config", r#""s3: {secret_access_key: hunter2}""#)]), Seen::Nothing);
        let shown = format!("{state:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let state = CoordinatorState::read(&bag(&[("worker_config", r#""s3: [hunter2""#)]), Seen::Nothing);
        let shown = format!(
            "{state:?} {}",
            match &state {
                CoordinatorState::Invalid(err) => ErrorChain(err).to_string(),
                other => panic!("{other:?}"),
            }
        );
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}

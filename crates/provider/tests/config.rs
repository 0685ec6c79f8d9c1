//! The rendered Pyroscope configuration: snapshots of three clusters, every key checked against
//! Pyroscope v2.2.1's reference, and the settings that cannot make a configuration.

mod common;

use std::collections::BTreeMap;

use common::{reference, settings, unit_data, worker};
use pyroscope_cluster_model::{Role, yaml};
use pyroscope_cluster_provider::{
    ClusterView, ConfigError, Period, Ports, PyroscopeConfig, RECOMMENDED_DEPLOYMENT, S3Settings, Settings, Snapshot,
    WorkerRelation,
};
use serde_json::Value;

fn render(relations: Vec<WorkerRelation>, settings: &Settings) -> String {
    let view = ClusterView::gather(&Snapshot::from_iter(relations));
    PyroscopeConfig::build(&view, settings).and_then(|config| config.to_yaml()).expect("renders")
}

/// One single-unit app per role of the minimal deployment, one of them on IPv6.
fn minimal_cluster() -> Vec<WorkerRelation> {
    Role::CORE
        .iter()
        .zip(1..)
        .map(|(role, id)| {
            let mut relation = worker(id, role.as_str(), role.as_str(), 1);
            if *role == Role::Ingester {
                let unit = "ingester/0".to_owned();
                relation.units = [(unit.clone(), unit_data("ingester", &unit, "fd00::17"))].into();
            }
            relation
        })
        .collect()
}

/// One app per role with the recommended number of units.
fn recommended_cluster() -> Vec<WorkerRelation> {
    RECOMMENDED_DEPLOYMENT
        .iter()
        .zip(1..)
        .map(|((role, units), id)| worker(id, role.as_str(), role.as_str(), *units))
        .collect()
}

/// Settings with every optional part set.
fn full_settings() -> Settings {
    Settings {
        external_url: Some("https://cos.example/cos-pyroscope".to_owned()),
        s3: S3Settings { region: Some("eu-west-1".to_owned()), insecure: false, ..settings().s3 },
        retention_period: "30d".parse().unwrap(),
        compactor_cleanup_interval: "5m".parse().unwrap(),
        compactor_deletion_delay: "2h30m".parse().unwrap(),
        data_path: "/var/lib/pyroscope".to_owned(),
        ports: Ports { http: 8080.try_into().unwrap(), memberlist: 17946.try_into().unwrap() },
    }
}

#[test]
fn snapshot_small_cluster() {
    insta::assert_snapshot!("small", render(vec![worker(1, "pyroscope", "all", 1)], &settings()));
}

#[test]
fn snapshot_minimal_coherent_cluster() {
    let settings = Settings { external_url: Some("http://traefik.cos/cos-pyroscope".to_owned()), ..settings() };
    insta::assert_snapshot!("minimal_coherent", render(minimal_cluster(), &settings));
}

#[test]
fn snapshot_recommended_cluster() {
    insta::assert_snapshot!("recommended", render(recommended_cluster(), &full_settings()));
}

/// Every key path of the YAML, with its value, exists in Pyroscope's reference with a matching
/// type; durations are in the one form both of Pyroscope's duration parsers accept.
#[test]
fn every_key_is_one_pyroscope_knows() {
    let reference: BTreeMap<String, Value> = {
        let path = reference("pyroscope/v2.2.1.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        serde_json::from_str(&text).expect("the reference is JSON")
    };
    let clusters = [vec![], vec![worker(1, "pyroscope", "all", 1)], minimal_cluster(), recommended_cluster()];
    let settings = [
        settings(),
        full_settings(),
        Settings { external_url: Some("http://h/".to_owned()), retention_period: Period::ZERO, ..full_settings() },
        Settings { s3: S3Settings { region: Some(String::new()), ..full_settings().s3 }, ..settings() },
    ];
    let mut seen = BTreeMap::new();
    for cluster in &clusters {
        for settings in &settings {
            let text = render(cluster.clone(), settings);
            let value: Value = yaml::from_str(&text).expect("the YAML parses");
            walk(&reference, "", &value, &mut seen);
        }
    }
    // Every key of the typed configuration was seen in at least one rendering.
    let keys: Vec<&str> = seen.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "api",
            "api.base-url",
            "architecture_storage",
            "compactor",
            "compactor.cleanup_interval",
            "compactor.deletion_delay",
            "compactor.sharding_ring",
            "compactor.sharding_ring.kvstore",
            "compactor.sharding_ring.kvstore.store",
            "distributor",
            "distributor.ring",
            "distributor.ring.kvstore",
            "distributor.ring.kvstore.store",
            "ingester",
            "ingester.lifecycler",
            "ingester.lifecycler.ring",
            "ingester.lifecycler.ring.kvstore",
            "ingester.lifecycler.ring.kvstore.store",
            "ingester.lifecycler.ring.replication_factor",
            "limits",
            "limits.compactor_blocks_retention_period",
            "memberlist",
            "memberlist.bind_port",
            "memberlist.join_members",
            "pyroscopedb",
            "pyroscopedb.data_path",
            "server",
            "server.http_listen_port",
            "storage",
            "storage.backend",
            "storage.s3",
            "storage.s3.access_key_id",
            "storage.s3.bucket_name",
            "storage.s3.endpoint",
            "storage.s3.insecure",
            "storage.s3.region",
            "storage.s3.secret_access_key",
            "store_gateway",
            "store_gateway.sharding_ring",
            "store_gateway.sharding_ring.replication_factor",
        ]
    );
}

fn walk(reference: &BTreeMap<String, Value>, prefix: &str, value: &Value, seen: &mut BTreeMap<String, ()>) {
    let Value::Object(map) = value else { panic!("{prefix:?} is not a mapping: {value}") };
    for (key, value) in map {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let Some(entry) = reference.get(&path) else { panic!("Pyroscope v2.2.1 does not know the key `{path}`") };
        let kind = entry["type"].as_str().unwrap_or_default();
        let fits = match (kind, value) {
            ("block", Value::Object(_)) => true,
            ("string", Value::String(_)) => true,
            ("int", Value::Number(n)) => n.is_i64(),
            ("boolean", Value::Bool(_)) => true,
            ("duration", Value::String(text)) => is_portable_duration(text),
            ("list of strings", Value::Array(items)) => items.iter().all(Value::is_string),
            _ => false,
        };
        assert!(fits, "`{path}` is a {kind} in Pyroscope's reference, but the config has {value}");
        seen.insert(path.clone(), ());
        if value.is_object() {
            walk(reference, &path, value, seen);
        }
    }
}

/// `[Nh][Nm][Ns][Nms]`, at least one part: what Go's `time.ParseDuration` and Prometheus's
/// `model.ParseDuration` both accept.
fn is_portable_duration(text: &str) -> bool {
    let mut rest = text;
    let mut parts = 0;
    for unit in ["h", "m", "s", "ms"] {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with(unit) && !(unit == "m" && rest[digits..].starts_with("ms")) {
            rest = &rest[digits + unit.len()..];
            parts += 1;
        }
    }
    rest.is_empty() && parts > 0
}

#[test]
fn portable_duration_check_can_say_no() {
    assert!(is_portable_duration("720h") && is_portable_duration("1h30m") && is_portable_duration("1s500ms"));
    for bad in ["", "30d", "1.5h", "15", "m", "1m1h", "0"] {
        assert!(!is_portable_duration(bad), "{bad:?}");
    }
}

#[test]
fn replication_factors_follow_unit_counts() {
    for (ingesters, store_gateways, want) in [(0, 0, (1, 1)), (2, 3, (1, 3)), (3, 2, (3, 1)), (5, 9, (3, 3))] {
        let view = ClusterView::gather(&Snapshot::from_iter([
            worker(1, "i", "ingester", ingesters),
            worker(2, "s", "store-gateway", store_gateways),
        ]));
        let config = PyroscopeConfig::build(&view, &settings()).unwrap();
        let got =
            (config.ingester.lifecycler.ring.replication_factor, config.store_gateway.sharding_ring.replication_factor);
        assert_eq!(got, want, "{ingesters} ingesters, {store_gateways} store-gateways");
    }
}

#[test]
fn base_url_only_below_the_root() {
    for (url, want) in [
        (None, None),
        (Some("http://pyroscope.example"), None),
        (Some("https://pyroscope.example/"), None),
        (Some("https://pyroscope.example/cos-pyroscope"), Some("/cos-pyroscope")),
    ] {
        let settings = Settings { external_url: url.map(str::to_owned), ..settings() };
        let config = PyroscopeConfig::build(&ClusterView::default(), &settings).unwrap();
        assert_eq!(config.api.base_url.as_deref(), want, "{url:?}");
        let text = config.to_yaml().unwrap();
        assert_eq!(text.contains("base-url"), want.is_some(), "{text}");
    }
}

#[track_caller]
fn rejects(settings: Settings, message: &str) {
    match PyroscopeConfig::build(&ClusterView::default(), &settings) {
        Err(err) => assert_eq!(err.to_string(), message),
        Ok(config) => panic!("expected {message:?}, got {config:?}"),
    }
}

#[test]
fn a_mistyped_credential_is_not_repeated_in_the_error() {
    let err = serde_json::from_str::<Settings>(r#"{"s3": {"secret_access_key": 1234567}}"#).unwrap_err().to_string();
    assert!(!err.contains("1234567"), "{err}");
    assert!(err.contains("an S3 credential must be a string (the value is not shown)"), "{err}");
    let err = yaml::from_str::<Settings>("s3: {access_key_id: [hunter2]}").unwrap_err().to_string();
    assert!(!err.contains("hunter2"), "{err}");
    let ok: Settings = yaml::from_str("s3: {access_key_id: key, secret_access_key: secret}").unwrap();
    assert_eq!(ok.s3.secret_access_key, "secret");
}

#[test]
fn settings_that_make_no_configuration() {
    let s3 = settings().s3;
    rejects(
        Settings { s3: S3Settings { endpoint: String::new(), ..s3.clone() }, ..settings() },
        "S3 endpoint is not set: relate the coordinator to an S3 provider (e.g. s3-integrator) that gives one",
    );
    rejects(
        Settings { s3: S3Settings { bucket_name: String::new(), ..s3.clone() }, ..settings() },
        "S3 bucket name is not set: relate the coordinator to an S3 provider (e.g. s3-integrator) that gives one",
    );
    rejects(
        Settings { s3: S3Settings { endpoint: "http://minio:9000".into(), ..s3.clone() }, ..settings() },
        "S3 endpoint \"http://minio:9000\" has a URL scheme; give `host[:port]` only, and set `insecure` for plain HTTP",
    );
    // Credentials in the endpoint are never repeated.
    rejects(
        Settings { s3: S3Settings { endpoint: "https://key:hunter2@minio:9000".into(), ..s3.clone() }, ..settings() },
        "S3 endpoint \"https://<credentials>@minio:9000\" has a URL scheme; give `host[:port]` only, and set `insecure` for plain HTTP",
    );
    rejects(
        Settings { s3: S3Settings { endpoint: "key:hunter2@minio:9000".into(), ..s3 }, ..settings() },
        "S3 endpoint has credentials in it (`...@`); give `host[:port]` only, and the keys as the access key and secret key",
    );
    rejects(
        Settings { external_url: Some("cos.example/pyroscope".into()), ..settings() },
        "external URL \"cos.example/pyroscope\" has no scheme; expected an absolute URL such as `https://pyroscope.example/path`",
    );
    rejects(
        Settings { data_path: String::new(), ..settings() },
        "the data path is empty; give a directory such as `/pyroscope-data`",
    );
    let port = 4040.try_into().unwrap();
    rejects(
        Settings { ports: Ports { http: port, memberlist: port }, ..settings() },
        "the HTTP and memberlist ports are both 4040; give them different ports",
    );
    assert!(matches!(
        PyroscopeConfig::build(&ClusterView::default(), &Settings::default()),
        Err(ConfigError::S3Missing { field: "endpoint" })
    ));
}

#[test]
fn yaml_reads_back_and_unknown_keys_are_refused() {
    let view = ClusterView::gather(&Snapshot::from_iter(minimal_cluster()));
    let config = PyroscopeConfig::build(&view, &full_settings()).unwrap();
    let text = config.to_yaml().unwrap();
    assert_eq!(PyroscopeConfig::from_yaml(&text).unwrap(), config);
    let extra = text.replace("server:\n", "server:\n  grpc_listen_port: 9095\n");
    let err = PyroscopeConfig::from_yaml(&extra).unwrap_err();
    assert!(err.to_string().contains("unknown field `grpc_listen_port`"), "{err}");
}

//! The rendered Pyroscope configuration: snapshots of three clusters, every key checked against
//! the reference of each release it is rendered for, and the settings that cannot make a
//! configuration.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{reference, settings, unit_data, worker};
use pyroscope_cluster_model::{Role, yaml};
use pyroscope_cluster_provider::{
    ClusterView, ConfigError, Period, Ports, PyroscopeConfig, PyroscopeRelease, RECOMMENDED_DEPLOYMENT, S3Settings,
    Settings, Snapshot, StorageArchitecture, WorkerRelation,
};
use pyroscope_cluster_release::check_yaml;
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
        pyroscope: PyroscopeRelease::default(),
        architecture: pyroscope_cluster_model::Architecture::V1,
        external_url: Some("https://cos.example/cos-pyroscope".to_owned()),
        s3: S3Settings { region: Some("eu-west-1".to_owned()), insecure: Some(false), ..settings().s3 },
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

#[test]
fn snapshot_recommended_cluster_on_2_2() {
    let settings = Settings { pyroscope: PyroscopeRelease::V2_2_1, ..full_settings() };
    insta::assert_snapshot!("recommended_2_2", render(recommended_cluster(), &settings));
}

/// The test inputs: every cluster with every settings.
fn inputs() -> Vec<(Vec<WorkerRelation>, Settings)> {
    let clusters = [vec![], vec![worker(1, "pyroscope", "all", 1)], minimal_cluster(), recommended_cluster()];
    let settings = [
        settings(),
        full_settings(),
        Settings { external_url: Some("http://h/".to_owned()), retention_period: Period::ZERO, ..full_settings() },
        Settings { s3: S3Settings { region: Some(String::new()), ..full_settings().s3 }, ..settings() },
    ];
    clusters.iter().flat_map(|cluster| settings.iter().map(|s| (cluster.clone(), s.clone()))).collect()
}

/// The default configuration (for 1.18) of every test input is one every release takes.
#[test]
fn the_default_config_of_every_input_passes_every_release() {
    for (cluster, settings) in inputs() {
        assert_eq!(settings.pyroscope, PyroscopeRelease::V1_18_2);
        let text = render(cluster, &settings);
        for release in PyroscopeRelease::ALL {
            check_yaml(release, &text).unwrap_or_else(|err| panic!("{release}: {err}\n{text}"));
        }
    }
}

/// A cluster upgrading worker by worker runs 1.18 and a later 1.x at once, from one
/// `worker_config`: rendered for 1.20 or 1.21, the configuration is the one rendered for 1.18,
/// which 1.18.1 (the deployed image's release) takes whole, although 1.20 and 1.21 have keys it
/// lacks (`memberlist.rejoin_seed_nodes`, `compactor.shutdown_timeout`, which 1.18.1 refuses).
#[test]
fn a_later_1x_config_uses_no_key_1_18_lacks() {
    for newer in [PyroscopeRelease::V1_20_4, PyroscopeRelease::V1_21_1] {
        let only_newer: Vec<&str> =
            newer.keys().map(|(path, _)| path).filter(|path| PyroscopeRelease::V1_18_1.key(path).is_none()).collect();
        assert!(only_newer.contains(&"memberlist.rejoin_seed_nodes"), "{newer}: {only_newer:?}");
        for (cluster, settings) in inputs() {
            let text = render(cluster.clone(), &Settings { pyroscope: newer, ..settings.clone() });
            let for_1_18 = render(cluster, &Settings { pyroscope: PyroscopeRelease::V1_18_1, ..settings });
            assert_eq!(text, for_1_18, "{newer}");
            check_yaml(PyroscopeRelease::V1_18_1, &text)
                .unwrap_or_else(|err| panic!("1.18.1 on {newer}'s: {err}\n{text}"));
            let value: Value = yaml::from_str(&text).expect("the YAML parses");
            let mut paths = Vec::new();
            key_paths("", &value, &mut paths);
            assert!(!paths.is_empty());
            for path in paths {
                assert!(!only_newer.contains(&path.as_str()), "{newer} renders `{path}`, which 1.18 lacks");
            }
        }
    }
    // The check this rests on refuses what only the newer release has.
    let newer_key = "memberlist:\n  rejoin_seed_nodes: []\n";
    assert!(check_yaml(PyroscopeRelease::V1_21_1, newer_key).is_ok());
    assert!(check_yaml(PyroscopeRelease::V1_18_1, newer_key).is_err());
}

fn key_paths(prefix: &str, value: &Value, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (key, child) in map {
            let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
            key_paths(&path, child, out);
            out.push(path);
        }
    }
}

/// Every key path of the configuration rendered for each release, with its value, exists in
/// that release's reference (the JSON itself, not the table generated from it) with a matching
/// type; and every key of the typed configuration was rendered for some input.
#[test]
fn every_key_is_one_its_release_knows() {
    let mut seen = BTreeMap::new();
    for release in PyroscopeRelease::ALL {
        let reference: BTreeMap<String, Value> = {
            let path = reference(&format!("pyroscope/{}", release.reference_file()));
            let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            serde_json::from_str(&text).expect("the reference is JSON")
        };
        for (cluster, settings) in inputs() {
            let text = render(cluster, &Settings { pyroscope: release, ..settings });
            let value: Value = yaml::from_str(&text).expect("the YAML parses");
            walk(release, &reference, "", &value, &mut seen);
        }
    }
    let keys: Vec<(&str, usize)> = seen.iter().map(|(key, releases)| (key.as_str(), releases.len())).collect();
    let all = |key| (key, PyroscopeRelease::ALL.len());
    assert_eq!(
        keys,
        [
            all("api"),
            all("api.base-url"),
            ("architecture_storage", 2),
            all("compactor"),
            all("compactor.cleanup_interval"),
            all("compactor.deletion_delay"),
            all("compactor.sharding_ring"),
            all("compactor.sharding_ring.kvstore"),
            all("compactor.sharding_ring.kvstore.store"),
            all("distributor"),
            all("distributor.ring"),
            all("distributor.ring.kvstore"),
            all("distributor.ring.kvstore.store"),
            all("ingester"),
            all("ingester.lifecycler"),
            all("ingester.lifecycler.ring"),
            all("ingester.lifecycler.ring.kvstore"),
            all("ingester.lifecycler.ring.kvstore.store"),
            all("ingester.lifecycler.ring.replication_factor"),
            all("limits"),
            all("limits.compactor_blocks_retention_period"),
            all("memberlist"),
            all("memberlist.bind_port"),
            all("memberlist.join_members"),
            all("pyroscopedb"),
            all("pyroscopedb.data_path"),
            all("server"),
            all("server.http_listen_port"),
            all("storage"),
            all("storage.backend"),
            all("storage.s3"),
            all("storage.s3.access_key_id"),
            all("storage.s3.bucket_name"),
            all("storage.s3.endpoint"),
            all("storage.s3.insecure"),
            all("storage.s3.region"),
            all("storage.s3.secret_access_key"),
            all("store_gateway"),
            all("store_gateway.sharding_ring"),
            all("store_gateway.sharding_ring.replication_factor"),
        ]
    );
}

/// Walks `value`, recording in `seen` each key path and the releases it was rendered for.
fn walk(
    release: PyroscopeRelease,
    reference: &BTreeMap<String, Value>,
    prefix: &str,
    value: &Value,
    seen: &mut BTreeMap<String, BTreeSet<PyroscopeRelease>>,
) {
    let Value::Object(map) = value else { panic!("{prefix:?} is not a mapping: {value}") };
    for (key, value) in map {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        let Some(entry) = reference.get(&path) else { panic!("Pyroscope {release} does not know the key `{path}`") };
        let kind = entry["type"].as_str().unwrap_or_default();
        let fits = match (kind, value) {
            ("block", Value::Object(_)) => true,
            ("string", _) => !value.is_object() && !value.is_array(),
            ("int", Value::Number(n)) => n.is_i64(),
            ("boolean", Value::Bool(_)) => true,
            // The grammar of each duration is the release crate's to check (to_yaml does).
            ("duration", Value::String(_)) => true,
            ("duration", Value::Number(n)) => n.as_u64() == Some(0),
            ("list of strings", Value::Array(items)) => items.iter().all(Value::is_string),
            _ => false,
        };
        assert!(fits, "`{path}` is a {kind} in Pyroscope {release}'s reference, but the config has {value}");
        seen.entry(path.clone()).or_default().insert(release);
        if value.is_object() {
            walk(release, reference, &path, value, seen);
        }
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
        let (ingester, store_gateway) = (config.ingester.expect("v1"), config.store_gateway.expect("v1"));
        let got = (ingester.lifecycler.ring.replication_factor, store_gateway.sharding_ring.replication_factor);
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
        Settings { s3: S3Settings { endpoint: "s3://minio:9000".into(), ..s3.clone() }, ..settings() },
        "S3 endpoint \"s3://minio:9000\" has the scheme `s3`; give `http://host[:port]`, `https://host[:port]` or `host[:port]`",
    );
    // Credentials in the endpoint are never repeated, nor anything before them: a password may
    // hold `://`, which would otherwise be read as the end of a scheme.
    for endpoint in [
        "key:hunter2@minio:9000",
        "https://key:hunter2@minio:9000",
        "http://key:hun/ter2@minio:9000/b",
        "ftp://key:hunter2@minio:9000",
        "AKIA:hun://ter2@minio:9000",
        "AKIA:hun://ter2@minio:9000/path",
    ] {
        rejects(
            Settings { s3: S3Settings { endpoint: endpoint.into(), ..s3.clone() }, ..settings() },
            "S3 endpoint has credentials in it (`...@`); give `host[:port]` only, and the keys as the access key and secret key",
        );
    }
    rejects(
        Settings { s3: S3Settings { endpoint: "http://minio:9000/pyroscope".into(), ..s3.clone() }, ..settings() },
        "S3 endpoint \"http://minio:9000/pyroscope\" has a path (`/pyroscope`); give the host and port only: \
         Pyroscope's S3 client takes no path, and the bucket goes in `bucket_name`",
    );
    rejects(
        Settings { s3: S3Settings { endpoint: "minio:9000/".into(), ..s3.clone() }, ..settings() },
        "S3 endpoint \"minio:9000/\" has a path (`/`); give the host and port only: Pyroscope's S3 client takes no \
         path, and the bucket goes in `bucket_name`",
    );
    rejects(
        Settings { s3: S3Settings { endpoint: "https://".into(), ..s3 }, ..settings() },
        "S3 endpoint \"https://\" has no host; give `host[:port]`",
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

#[test]
fn durations_a_key_does_not_take() {
    rejects(
        Settings { retention_period: "1.5h".parse().unwrap(), ..settings() },
        "retention_period \"1.5h\" is not a duration Pyroscope 1.18.2 reads for \
         `limits.compactor_blocks_retention_period`: it has a fraction; write whole numbers with units y, w, d, h, m, \
         s, ms, largest first (`30d`, `1h30m`), or `0`",
    );
    rejects(
        Settings { pyroscope: PyroscopeRelease::V2_2_1, retention_period: "30m1h".parse().unwrap(), ..settings() },
        "retention_period \"30m1h\" is not a duration Pyroscope 2.2.1 reads for \
         `limits.compactor_blocks_retention_period`: it does not give its units once each from the largest to the \
         smallest; write whole numbers with units y, w, d, h, m, s, ms, largest first (`30d`, `1h30m`), or `0`",
    );
    rejects(
        Settings { retention_period: "10ns".parse().unwrap(), ..settings() },
        "retention_period \"10ns\" is not a duration Pyroscope 1.18.2 reads for \
         `limits.compactor_blocks_retention_period`: it has the unit \"ns\", which this duration does not take; write \
         whole numbers with units y, w, d, h, m, s, ms, largest first (`30d`, `1h30m`), or `0`",
    );
    // Every value `Period` takes is one the compactor keys take, in hours if need be.
    for text in ["1.5h", "10ns", "30m1h", "1y", "2w3d", "0", "0s"] {
        let settings = Settings {
            compactor_cleanup_interval: text.parse().unwrap(),
            compactor_deletion_delay: text.parse().unwrap(),
            ..settings()
        };
        for release in PyroscopeRelease::ALL {
            let settings = Settings { pyroscope: release, ..settings.clone() };
            let config = PyroscopeConfig::build(&ClusterView::default(), &settings).unwrap();
            config.to_yaml().unwrap_or_else(|err| panic!("{text:?} on {release}: {err}"));
        }
    }
}

/// A configuration its release would refuse is an error, never a text to publish.
#[test]
fn a_config_its_release_refuses_is_an_error() {
    let mut config = PyroscopeConfig::build(&ClusterView::default(), &settings()).unwrap();
    config.architecture_storage = Some(StorageArchitecture::V1);
    match config.to_yaml() {
        Err(ConfigError::Refused(refusal)) => {
            assert_eq!(refusal.release, PyroscopeRelease::V1_18_2);
            let paths: Vec<&str> = refusal.problems.iter().map(|p| p.path.as_str()).collect();
            assert_eq!(paths, ["architecture_storage"]);
            assert_eq!(
                ConfigError::Refused(refusal).to_string(),
                "Pyroscope 1.18.2 would refuse this configuration: `architecture_storage`: Pyroscope 1.18.2 has no \
                 such key (2.0.6, 2.2.1 have it)"
            );
        }
        other => panic!("{other:?}"),
    }
    config.pyroscope = PyroscopeRelease::V2_0_6;
    assert!(config.to_yaml().is_ok());
}

/// The endpoint and `insecure` written for what the s3 relation gives: the scheme stripped, and
/// `insecure` derived as coordinated-workers derives it (`not (tls_ca_chain or scheme == "https")`)
/// unless given.
#[track_caller]
fn check_s3(endpoint: &str, insecure: Option<bool>, ca: Option<&str>, want: (&str, bool)) {
    let settings = Settings {
        s3: S3Settings { endpoint: endpoint.into(), insecure, tls_ca_chain: ca.map(str::to_owned), ..settings().s3 },
        ..settings()
    };
    let config = PyroscopeConfig::build(&ClusterView::default(), &settings).unwrap();
    let got = (config.storage.s3.endpoint.as_str(), config.storage.s3.insecure);
    assert_eq!(got, want, "{endpoint:?} insecure={insecure:?} ca={ca:?}");
}

#[test]
fn s3_as_the_s3_relation_gives_it() {
    let ca = Some("-----BEGIN CERTIFICATE-----");
    check_s3("http://minio:9000", None, None, ("minio:9000", true));
    check_s3("http://minio:9000", None, ca, ("minio:9000", false));
    check_s3("https://s3.amazonaws.com", None, None, ("s3.amazonaws.com", false));
    check_s3("HTTPS://s3.amazonaws.com", None, None, ("s3.amazonaws.com", false));
    check_s3("https://s3.amazonaws.com", None, ca, ("s3.amazonaws.com", false));
    check_s3("http://[fd00::1]:9000", None, None, ("[fd00::1]:9000", true));
    check_s3("http://10.0.0.5:9000", None, Some(""), ("10.0.0.5:9000", true));
    // Given, `insecure` wins.
    check_s3("http://minio:9000", Some(false), None, ("minio:9000", false));
    check_s3("https://minio:9000", Some(true), None, ("minio:9000", true));
    // Without a scheme: HTTPS unless told (the old default; coordinated-workers would say HTTP).
    check_s3("minio:9000", None, None, ("minio:9000", false));
    check_s3("minio:9000", Some(true), None, ("minio:9000", true));
    // The old input, `insecure` a plain boolean, still reads.
    let old: Settings = serde_json::from_str(r#"{"s3": {"endpoint": "minio:9000", "insecure": true}}"#).unwrap();
    assert_eq!(old.s3.insecure, Some(true));
}

/// A configuration of thousands of members (checked beside its writing) is the text the writer
/// writes, or refused like a small one.
#[test]
fn a_large_config_is_checked_as_a_small_one() {
    let mut config = PyroscopeConfig::build(&ClusterView::default(), &settings()).unwrap();
    config.memberlist.join_members = (0..3_000).map(|i| format!("worker-{i}.workers.svc:7946")).collect();
    let text = config.to_yaml().expect("valid");
    assert_eq!(text, yaml::to_string_pyyaml(&config).unwrap());
    config.memberlist.join_members.push("[::1:7946".to_owned());
    config.architecture_storage = Some(StorageArchitecture::V1);
    match config.to_yaml() {
        Err(ConfigError::Refused(refusal)) => {
            let paths: Vec<&str> = refusal.problems.iter().map(|p| p.path.as_str()).collect();
            assert_eq!(paths, ["architecture_storage", "memberlist.join_members[3000]"]);
        }
        other => panic!("{other:?}"),
    }
}

/// An endpoint without a scheme is HTTPS unless `insecure` says otherwise, read from the s3
/// relation as from settings; the coordinator warns when the keys would travel in clear, and the
/// warning names no key.
#[test]
fn s3_over_plain_http_is_said_and_not_the_default() {
    let s3 = |endpoint: &str, extra: &[(&str, &str)]| {
        let databag: pyroscope_cluster_model::RawDatabag =
            [("bucket", "b"), ("access-key", "AKIA1"), ("secret-key", "hunter2"), ("endpoint", endpoint)]
                .iter()
                .chain(extra)
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect();
        let settings = Settings { s3: pyroscope_cluster_provider::s3_settings("s3", &databag).unwrap(), ..settings() };
        let view = ClusterView::gather(&Snapshot::from_iter(minimal_cluster()));
        PyroscopeConfig::build(&view, &settings).unwrap().storage.s3
    };
    let bare = s3("minio:9000", &[]);
    assert!(!bare.insecure, "no scheme: HTTPS");
    assert_eq!(bare.plain_http_warning(), None);
    assert_eq!(s3("https://minio:9000", &[]).plain_http_warning(), None);
    assert_eq!(s3("http://minio:9000", &[("tls-ca-chain", r#"["PEM"]"#)]).plain_http_warning(), None);
    let plain = s3("http://minio:9000", &[]);
    assert!(plain.insecure);
    let warning = plain.plain_http_warning().unwrap();
    assert_eq!(
        warning,
        "S3 keys travel over plain HTTP to \"minio:9000\" (storage.s3.insecure: true): give the endpoint as \
         `https://...`, or the s3 relation a TLS CA chain"
    );
    let ambient = pyroscope_cluster_provider::S3Storage {
        access_key_id: String::new(),
        secret_access_key: String::new(),
        ..plain
    };
    assert_eq!(ambient.plain_http_warning(), None, "no key to send");
}

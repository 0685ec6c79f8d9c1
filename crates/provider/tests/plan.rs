//! The publish plan: one databag encoded once, writes only where something changes, nothing to a
//! relation that is not ready.

mod common;

use common::{raw_app_data, settings, worker};
use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag, RemoteWriteEndpoint, StringMap};
use pyroscope_cluster_provider::{
    ClusterView, Extras, Ports, PublishPlan, S3Settings, Settings, Snapshot, Tls, WorkerPorts, WorkerRelation,
    reconcile,
};

fn databag(entries: &[(&str, &str)]) -> RawDatabag {
    entries.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[track_caller]
fn check(published: RawDatabag, data: &ProviderAppData, set: &[&str], delete: &[&str]) {
    let relation = WorkerRelation { published, ..worker(4, "w", "all", 1) };
    let snapshot = Snapshot::from_iter([relation.clone()]);
    let plan = PublishPlan::new(&snapshot, &ClusterView::gather(&snapshot), data);
    assert_eq!(plan.databag(), &data.encode());
    let [write] = plan.writes() else { panic!("one write expected: {plan:?}") };
    assert_eq!(write.relation, 4.into());
    assert_eq!(write.changes.set.keys().collect::<Vec<_>>(), set);
    assert_eq!(write.changes.delete.iter().collect::<Vec<_>>(), delete);
    assert!(write.changes.set.iter().all(|(key, value)| plan.databag().get(key) == Some(value)));
    assert_eq!(plan.changes().count(), usize::from(!(set.is_empty() && delete.is_empty())));
    let mut after = relation.published;
    write.changes.apply(&mut after);
    assert_eq!(&after, plan.databag(), "applying the write gives exactly the databag");
}

#[test]
fn writes_only_what_differs_and_deletes_what_is_gone() {
    let data = ProviderAppData {
        worker_ports: Some(vec![4040.try_into().unwrap(), 7946.try_into().unwrap()]),
        ..ProviderAppData::new("a: 1\n")
    };
    let current = data.encode();
    assert_eq!(current["worker_ports"], "[4040, 7946]");
    check(RawDatabag::new(), &data, &["worker_config", "worker_ports"], &[]);
    check(current.clone(), &data, &[], &[]);
    let mut stale = current.clone();
    stale.insert("worker_config".into(), r#""a: 0\n""#.into());
    stale.insert("ca_cert".into(), r#""PEM""#.into());
    stale.insert("from_a_future_version".into(), "1".into());
    check(stale, &data, &["worker_config"], &["ca_cert", "from_a_future_version"]);
    // The same value with other JSON spacing is rewritten: every relation holds the same bytes.
    let mut respaced = current;
    respaced.insert("worker_ports".into(), "[4040,7946]".into());
    check(respaced, &data, &["worker_ports"], &[]);
}

#[test]
fn relations_that_are_not_ready_keep_what_they_have() {
    let stale = databag(&[("worker_config", r#""old""#)]);
    let ready = WorkerRelation { published: stale.clone(), ..worker(1, "ready", "all", 1) };
    let imposter = WorkerRelation {
        app_data: raw_app_data(r#""imposter""#),
        published: stale.clone(),
        ..worker(2, "x", "all", 1)
    };
    let empty = WorkerRelation { published: stale, ..worker(3, "empty", "querier", 0) };
    let outcome = reconcile(&Snapshot::from_iter([empty, imposter, ready]), &settings(), &Extras::default());
    let plan = outcome.plan.expect("complete settings");
    let written: Vec<u32> = plan.writes().iter().map(|write| write.relation.0).collect();
    assert_eq!(written, [1]);
}

#[test]
fn every_ready_relation_gets_the_same_bytes() {
    let relations = vec![
        worker(1, "a", "querier", 2),
        WorkerRelation { published: databag(&[("worker_config", r#""x""#)]), ..worker(2, "b", "ingester", 1) },
        worker(3, "c", "all", 3),
    ];
    let outcome = reconcile(&Snapshot::from_iter(relations.clone()), &settings(), &Extras::default());
    let plan = outcome.plan.expect("complete settings");
    assert_eq!(plan.writes().len(), 3);
    for (write, relation) in plan.writes().iter().zip(&relations) {
        let mut after = relation.published.clone();
        write.changes.apply(&mut after);
        assert_eq!(&after, plan.databag());
    }
}

#[test]
fn extras_go_into_their_fields_and_tls_only_whole() {
    let map = |entries: &[(&str, &str)]| entries.iter().copied().collect::<StringMap>();
    let extras = Extras {
        loki_endpoints: Some(map(&[("loki/0", "http://loki-0:3100/loki/api/v1/push")])),
        charm_tracing_receivers: Some(map(&[("otlp_http", "http://tempo:4318")])),
        workload_tracing_receivers: Some(map(&[("otlp_grpc", "tempo:4317")])),
        remote_write_endpoints: Some(vec![RemoteWriteEndpoint { url: "http://prom:9090/api/v1/write".into() }]),
        worker_ports: WorkerPorts::Exactly(vec![]),
        tls: Some(Tls { ca_cert: "CA".into(), server_cert: "CERT".into(), privkey_secret_id: "secret:abc".into() }),
        s3_tls_ca_chain: Some("CHAIN".into()),
        worker_labels: Some(map(&[("istio.io/dataplane-mode", "ambient")])),
        coordinator_app: None,
    };
    let data = extras.provider_app_data("a: 1\n".into(), &settings());
    let encoded = data.encode();
    assert_eq!(encoded.keys().collect::<Vec<_>>(), {
        let mut keys = ProviderAppData::KEYS.to_vec();
        keys.sort_unstable();
        keys
    });
    assert_eq!(encoded["worker_ports"], "[]", "empty means: open none");
    assert_eq!(encoded["privkey_secret_id"], r#""secret:abc""#);
    assert_eq!(encoded["worker_labels"], r#"{"istio.io/dataplane-mode": "ambient"}"#);
    let none = Extras {
        loki_endpoints: None,
        charm_tracing_receivers: None,
        workload_tracing_receivers: None,
        worker_ports: WorkerPorts::Unpublished,
        ..Extras::default()
    };
    let plain = none.provider_app_data("a: 1\n".into(), &settings());
    assert_eq!(plain, ProviderAppData::new("a: 1\n"));
    assert_eq!(plain.encode().keys().collect::<Vec<_>>(), ["worker_config"]);
}

/// The whole provider app databag the Canonical coordinator named `pyroscope` publishes with no
/// TLS, logging, tracing or service-mesh relation (coordinated-workers 4.1.4, dumped by the real
/// model; /work/shared/PYROSCOPE.md), byte for byte, from the defaults and the app name.
#[test]
fn the_default_databag_is_the_canonical_coordinators() {
    let extras = Extras { coordinator_app: Some("pyroscope".into()), ..Extras::default() };
    let databag = extras.provider_app_data("a: 1\n".into(), &settings()).encode();
    let want: RawDatabag = [
        ("worker_config", r#""a: 1\n""#),
        ("loki_endpoints", "{}"),
        ("charm_tracing_receivers", "{}"),
        ("workload_tracing_receivers", "{}"),
        ("worker_ports", "[7946, 4040]"),
        ("worker_labels", r#"{"app.kubernetes.io/part-of": "pyroscope"}"#),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(databag, want);
    // Without the app name there is no label to give; the rest is the same.
    let databag = Extras::default().provider_app_data("a: 1\n".into(), &settings()).encode();
    assert_eq!(databag.len(), 5);
    assert!(!databag.contains_key("worker_labels"));
    // Mesh labels come after the part-of label, and win on the same key, as coordinated-workers
    // merges them (`labels.update(mesh_labels)`).
    let map = |entries: &[(&str, &str)]| entries.iter().copied().collect::<StringMap>();
    let extras = Extras {
        coordinator_app: Some("pyroscope".into()),
        worker_labels: Some(map(&[("istio.io/dataplane-mode", "ambient")])),
        ..Extras::default()
    };
    let labels = extras.provider_app_data(String::new(), &settings()).encode()["worker_labels"].clone();
    assert_eq!(labels, r#"{"app.kubernetes.io/part-of": "pyroscope", "istio.io/dataplane-mode": "ambient"}"#);
    // The ports follow the settings, memberlist first.
    let ports = Ports { http: 8080.try_into().unwrap(), memberlist: 17946.try_into().unwrap() };
    let databag = Extras::default().provider_app_data(String::new(), &Settings { ports, ..settings() }).encode();
    assert_eq!(databag["worker_ports"], "[17946, 8080]");
}

/// Old reconcile inputs keep their meaning: a list of ports is that list; `null` leaves a field
/// out; an absent field takes the default.
#[test]
fn extras_read_from_old_and_new_inputs() {
    let read = |json: &str| serde_json::from_str::<Extras>(json).unwrap();
    assert_eq!(
        read(r#"{"worker_ports": [4040, 7946]}"#).worker_ports,
        WorkerPorts::Exactly(vec![4040.try_into().unwrap(), 7946.try_into().unwrap()])
    );
    assert_eq!(read(r#"{"worker_ports": null}"#).worker_ports, WorkerPorts::Unpublished);
    assert_eq!(read("{}").worker_ports, WorkerPorts::Settings);
    assert_eq!(read(r#"{"loki_endpoints": null}"#).loki_endpoints, None);
    assert_eq!(read("{}"), Extras::default());
    assert_eq!(read(r#"{"coordinator_app": "pyro"}"#).coordinator_app.as_deref(), Some("pyro"));
}

/// The s3 relation's CA chain is published unless the extras give one.
#[test]
fn the_s3_ca_chain_comes_from_the_s3_settings_unless_given() {
    let with_ca =
        |chain: &str| Settings { s3: S3Settings { tls_ca_chain: Some(chain.into()), ..settings().s3 }, ..settings() };
    let data = Extras::default().provider_app_data("a: 1\n".into(), &with_ca("FROM S3"));
    assert_eq!(data.s3_tls_ca_chain.as_deref(), Some("FROM S3"));
    let extras = Extras { s3_tls_ca_chain: Some("GIVEN".into()), ..Extras::default() };
    let data = extras.provider_app_data("a: 1\n".into(), &with_ca("FROM S3"));
    assert_eq!(data.s3_tls_ca_chain.as_deref(), Some("GIVEN"));
}

#[test]
fn debug_output_shows_no_s3_key() {
    let relation = worker(1, "w", "all", 1);
    let first = reconcile(&Snapshot::from_iter([relation.clone()]), &settings(), &Extras::default());
    let published = first.plan.as_ref().expect("complete settings").databag().clone();
    let snapshot = Snapshot::from_iter([WorkerRelation { published, ..relation }]);
    let outcome = reconcile(&snapshot, &settings(), &Extras::default());
    let secrets = [&settings().s3.secret_access_key, &settings().s3.access_key_id];
    for shown in [format!("{outcome:?}"), format!("{outcome:#?}"), format!("{snapshot:?}"), format!("{:?}", settings())]
    {
        for secret in secrets {
            assert!(!shown.contains(secret.as_str()), "{secret} shows in {shown}");
        }
    }
    let yaml = outcome.config.as_ref().expect("complete settings").to_yaml().unwrap();
    assert!(secrets.iter().all(|secret| yaml.contains(secret.as_str())), "the config itself carries them");
}

/// A snapshot, settings and extras read from JSON, as a CLI or a test fixture gives them.
#[test]
fn inputs_read_from_json() {
    let snapshot: Snapshot = serde_json::from_str(
        r#"{"relations": [{"id": 3, "app": "w", "app_data": {"role": "\"all\""},
            "units": {"w/0": {"address": "\"w-0.w-endpoints\"",
                              "juju_topology": "{\"application\": \"w\", \"unit\": \"w/0\", \"charm_name\": \"c\"}"}}}]}"#,
    )
    .unwrap();
    let settings: pyroscope_cluster_provider::Settings = serde_json::from_str(
        r#"{"s3": {"endpoint": "minio:9000", "bucket_name": "p"}, "retention_period": "30d", "ports": {"http": 8080}}"#,
    )
    .unwrap();
    let extras: Extras = serde_json::from_str(r#"{"worker_ports": [8080, 7946]}"#).unwrap();
    let outcome = reconcile(&snapshot, &settings, &extras);
    let config = outcome.config.expect("complete settings");
    assert_eq!(config.memberlist.join_members, ["w-0.w-endpoints:7946"]);
    assert_eq!(config.server.http_listen_port.get(), 8080);
    assert_eq!(config.limits.compactor_blocks_retention_period.as_ref().expect("v1").to_string(), "30d");
    assert_eq!(outcome.plan.expect("a plan").databag()["worker_ports"], "[8080, 7946]");
    let err =
        serde_json::from_str::<pyroscope_cluster_provider::Settings>(r#"{"retention_period": "1.5x"}"#).unwrap_err();
    assert!(err.to_string().starts_with(r#"retention_period: "1.5x" is not a duration: it has the unit "x""#), "{err}");
    let err = serde_json::from_str::<pyroscope_cluster_provider::Settings>(r#"{"compactor_deletion_delay": "-1h"}"#)
        .unwrap_err();
    assert!(
        err.to_string().starts_with(r#"compactor_deletion_delay: "-1h" is not a duration: it is negative"#),
        "{err}"
    );
    let err = serde_json::from_str::<pyroscope_cluster_provider::Settings>(r#"{"pyroscope": "1.17"}"#).unwrap_err();
    assert!(
        err.to_string().starts_with("there is no key reference for Pyroscope 1.17; known releases: 1.18.1, 1.18.2"),
        "{err}"
    );
    let err = serde_json::from_str::<Snapshot>(r#"{"relations": [{"id": 1, "app": "w", "apps": {}}]}"#).unwrap_err();
    assert!(err.to_string().starts_with("unknown field `apps`"), "{err}");
}

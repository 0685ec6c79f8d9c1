//! value -> encode -> decode == value, for any value; and snapshots of representative encodings.

use std::num::NonZeroU16;

use proptest::prelude::*;
use pyroscope_cluster_model::strategies;
use pyroscope_cluster_model::{
    DatabagModel, JujuTopology, ProviderAppData, RawDatabag, RemoteWriteEndpoint, RequirerAppData, RequirerUnitData,
    StringMap,
};

#[track_caller]
fn round_trips<T: DatabagModel + PartialEq + std::fmt::Debug>(value: &T) {
    let encoded = value.encode();
    assert!(encoded.keys().all(|key| T::KEYS.contains(&key.as_str())), "{encoded:?}");
    assert!(encoded.values().all(|v| v.is_ascii()), "the Python encoder escapes all non-ASCII: {encoded:?}");
    let decoded = T::decode(&encoded).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(&decoded, value);
    assert_eq!(decoded.encode(), encoded, "encoding is stable byte-for-byte");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn requirer_app_data(value in strategies::requirer_app_data()) {
        round_trips(&value);
        // Equality ignores role order, but the bytes keep it.
        let decoded = RequirerAppData::decode(&value.encode()).unwrap();
        prop_assert_eq!(decoded.role.as_slice(), value.role.as_slice());
    }

    #[test]
    fn requirer_unit_data(value in strategies::requirer_unit_data()) {
        round_trips(&value);
    }

    #[test]
    fn provider_app_data(value in strategies::provider_app_data()) {
        round_trips(&value);
    }

    #[test]
    fn extra_keys_and_spacing_do_not_change_the_value(value in strategies::requirer_unit_data(), key in "[a-z-]{1,20}") {
        let mut databag = value.encode();
        if !RequirerUnitData::KEYS.contains(&key.as_str()) {
            databag.insert(key, "not even JSON".into());
        }
        for raw in databag.values_mut() {
            if let Ok(json) = serde_json::from_str::<serde_json::Value>(raw) {
                *raw = format!(" \n{}\t", serde_json::to_string_pretty(&json).unwrap());
            }
        }
        prop_assert_eq!(RequirerUnitData::decode(&databag).unwrap(), value);
    }
}

/// A databag as reviewers read it: one `key = value` line a key, each value the exact bytes.
fn render(databag: &RawDatabag) -> String {
    databag.iter().map(|(key, value)| format!("{key} = {value}\n")).collect()
}

fn topology(unit: &str) -> JujuTopology {
    JujuTopology {
        application: "pyroscope-worker".into(),
        unit: unit.into(),
        charm_name: "pyroscope-worker-k8s".into(),
        model: None,
        model_uuid: None,
    }
}

#[test]
fn snapshot_requirer_databags() {
    insta::assert_snapshot!("requirer_app_all", render(&RequirerAppData { role: "all".parse().unwrap() }.encode()));
    insta::assert_snapshot!(
        "requirer_app_several",
        render(&RequirerAppData { role: "querier,query-frontend,ad-hoc-profiles".parse().unwrap() }.encode())
    );
    let unit = RequirerUnitData {
        address: "pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local".parse().unwrap(),
        juju_topology: topology("pyroscope-worker/0"),
    };
    insta::assert_snapshot!("requirer_unit", render(&unit.encode()));
    let unit = RequirerUnitData {
        address: "fd00::1".parse().unwrap(),
        juju_topology: JujuTopology {
            model: Some("cös".into()),
            model_uuid: Some("f1a2b3c4-0000-4000-8000-000000000000".into()),
            ..topology("pyroscope-worker/1")
        },
    };
    insta::assert_snapshot!("requirer_unit_with_model", render(&unit.encode()));
}

#[test]
fn snapshot_provider_databags() {
    insta::assert_snapshot!("provider_app_minimal", render(&ProviderAppData::new("foo: bar").encode()));
    let port = |n| NonZeroU16::new(n).unwrap();
    let full = ProviderAppData {
        worker_config: "memberlist:\n  join_members:\n  - w0:7946\n  - '[fd00::1]:7946'\n".into(),
        loki_endpoints: Some(StringMap::from_iter([("loki/0", "http://loki-0:3100/loki/api/v1/push")])),
        charm_tracing_receivers: Some(StringMap::from_iter([("otlp_http", "http://tempo:4318")])),
        workload_tracing_receivers: Some(StringMap::from_iter([("otlp_grpc", "tempo:4317"), ("jaeger", "j:1")])),
        remote_write_endpoints: Some(vec![RemoteWriteEndpoint { url: "http://p:9090/api/v1/write".into() }]),
        worker_ports: Some(vec![port(7946), port(4040)]),
        ca_cert: Some("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".into()),
        server_cert: Some("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n".into()),
        privkey_secret_id: Some("secret:cmn0vhv7n3es7ag2k7ug".into()),
        s3_tls_ca_chain: Some("-----BEGIN CERTIFICATE-----\nMIID\n-----END CERTIFICATE-----\n".into()),
        worker_labels: Some(StringMap::from_iter([("app.kubernetes.io/part-of", "pyroscope"), ("über", "é")])),
    };
    insta::assert_snapshot!("provider_app_full", render(&full.encode()));
    let no_ports = ProviderAppData { worker_ports: Some(vec![]), ..ProviderAppData::new("a: 1") };
    insta::assert_snapshot!("provider_app_no_ports", render(&no_ports.encode()));
}

//! Decoding: the seed's example state, and a table of bad input, each with the error it must give.

use pyroscope_cluster_model::{
    DatabagKind, DatabagModel, DecodeError, ProviderAppData, RawDatabag, RequirerAppData, RequirerUnitData, Role, yaml,
};
use serde_json::Value;

/// A databag whose values are given decoded, JSON-encoded as a writer would.
fn wire(decoded: &Value) -> RawDatabag {
    let object = decoded.as_object().expect("a databag is an object");
    object.iter().map(|(key, value)| (key.clone(), value.to_string())).collect()
}

#[test]
fn the_seed_example_state_decodes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/seed-relation-state.yaml");
    let state: Value = yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();

    let provider = ProviderAppData::decode(&wire(&state["provider"]["app"])).unwrap();
    assert!(provider.worker_config.contains("join_members"));
    assert_eq!(state["provider"]["unit"], Value::Object(Default::default()));

    let app = RequirerAppData::decode(&wire(&state["requirer"]["app"])).unwrap();
    assert_eq!(app.role.as_slice(), [Role::Querier]);

    let unit = RequirerUnitData::decode(&wire(&state["requirer"]["unit"])).unwrap();
    assert_eq!(unit.juju_topology.unit, "pyroscope-querier/2");
    assert_eq!(unit.juju_topology.model.as_deref(), Some("mymodel"));
    assert_eq!(unit.juju_topology.model_uuid.as_deref(), Some("1231234120941234"));
}

fn decode(kind: DatabagKind, databag: &RawDatabag) -> Result<(), DecodeError> {
    match kind {
        DatabagKind::ProviderApp => ProviderAppData::decode(databag).map(drop),
        DatabagKind::RequirerApp => RequirerAppData::decode(databag).map(drop),
        DatabagKind::RequirerUnit => RequirerUnitData::decode(databag).map(drop),
    }
}

const TOPOLOGY: &str = r#"{"application": "w", "unit": "w/0", "charm_name": "c"}"#;

/// `entries` on top of a databag of `kind` that is otherwise valid; `expect` is the whole message.
#[track_caller]
fn check(kind: DatabagKind, entries: &[(&str, &str)], expect: &str) {
    let mut databag: RawDatabag = match kind {
        DatabagKind::ProviderApp => [("worker_config", r#""a: 1""#)].into_iter(),
        DatabagKind::RequirerApp => [("role", r#""querier""#)].into_iter(),
        DatabagKind::RequirerUnit => [("juju_topology", TOPOLOGY)].into_iter(),
    }
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    if kind == DatabagKind::RequirerUnit {
        databag.insert("address".into(), r#""w0""#.into());
    }
    for (key, value) in entries {
        databag.insert((*key).to_owned(), (*value).to_owned());
    }
    let err = decode(kind, &databag).expect_err("must be rejected");
    assert_eq!(err.databag, kind);
    assert_eq!(err.to_string(), expect);
}

#[test]
fn bad_input_table() {
    use DatabagKind::*;
    // Not JSON.
    check(
        RequirerApp,
        &[("role", "querier")],
        r#"invalid requirer app databag: key `role` = "querier": is not valid: expected value at line 1 column 1; values are JSON text: did you mean '"querier"'?"#,
    );
    check(
        RequirerUnit,
        &[("address", "")],
        r#"invalid requirer unit databag: key `address` = "": is not valid: EOF while parsing a value at line 1 column 0"#,
    );
    check(
        RequirerUnit,
        &[("juju_topology", "{'application': 'w'}")],
        r#"invalid requirer unit databag: key `juju_topology` = "{'application': 'w'}": is not valid: key must be a string at line 1 column 2"#,
    );
    check(
        ProviderApp,
        &[("worker_config", "a: 1")],
        "invalid provider app databag: key `worker_config` is not valid: expected value at line 1 column 1",
    );
    check(
        RequirerApp,
        &[("role", r#""querier" "ingester""#)],
        r#"invalid requirer app databag: key `role` = "\"querier\" \"ingester\"": is not valid: trailing characters at line 1 column 11"#,
    );
    // Wrong JSON type.
    check(
        RequirerApp,
        &[("role", r#"["querier"]"#)],
        r#"invalid requirer app databag: key `role` = "[\"querier\"]": is not valid: invalid type: sequence, expected a string at line 1 column 0"#,
    );
    check(
        RequirerApp,
        &[("role", "null")],
        r#"invalid requirer app databag: key `role` = "null": is not valid: invalid type: null, expected a string at line 1 column 4"#,
    );
    check(
        RequirerUnit,
        &[("address", "3")],
        r#"invalid requirer unit databag: key `address` = "3": is not valid: invalid type: integer `3`, expected a string at line 1 column 1"#,
    );
    check(
        RequirerUnit,
        &[("juju_topology", r#"{"application": "w", "unit": "w/0"}"#)],
        r#"invalid requirer unit databag: key `juju_topology` = "{\"application\": \"w\", \"unit\": \"w/0\"}": is not valid: missing field `charm_name` at line 1 column 35"#,
    );
    check(
        ProviderApp,
        &[("worker_ports", "4040")],
        r#"invalid provider app databag: key `worker_ports` = "4040": is not valid: invalid type: integer `4040`, expected a sequence at line 1 column 4"#,
    );
    check(
        ProviderApp,
        &[("worker_ports", r#"["4040"]"#)],
        r#"invalid provider app databag: key `worker_ports` = "[\"4040\"]": is not valid: invalid type: string "4040", expected a nonzero u16 at line 1 column 7"#,
    );
    check(
        ProviderApp,
        &[("loki_endpoints", r#"{"a": 1}"#)],
        r#"invalid provider app databag: key `loki_endpoints` = "{\"a\": 1}": is not valid: invalid type: integer `1`, expected a string at line 1 column 7"#,
    );
    check(
        ProviderApp,
        &[("loki_endpoints", r#"{"a": "x", "a": "y"}"#)],
        r#"invalid provider app databag: key `loki_endpoints` = "{\"a\": \"x\", \"a\": \"y\"}": is not valid: duplicate key "a" at line 1 column 20"#,
    );
    check(
        ProviderApp,
        &[("remote_write_endpoints", r#"[{"uri": "u"}]"#)],
        r#"invalid provider app databag: key `remote_write_endpoints` = "[{\"uri\": \"u\"}]": is not valid: missing field `url` at line 1 column 13"#,
    );
    // A struct is an object, not serde's sequence-of-fields form.
    check(
        RequirerUnit,
        &[("juju_topology", r#"["w", "w/0", "c"]"#)],
        r#"invalid requirer unit databag: key `juju_topology` = "[\"w\", \"w/0\", \"c\"]": is not valid: invalid type: sequence, expected a Juju topology object at line 1 column 0"#,
    );
    check(
        ProviderApp,
        &[("remote_write_endpoints", r#"[["u"]]"#)],
        r#"invalid provider app databag: key `remote_write_endpoints` = "[[\"u\"]]": is not valid: invalid type: sequence, expected a remote-write endpoint object at line 1 column 1"#,
    );
    // Out-of-range port.
    check(
        ProviderApp,
        &[("worker_ports", "[0]")],
        r#"invalid provider app databag: key `worker_ports` = "[0]": is not valid: invalid value: integer `0`, expected a nonzero u16 at line 1 column 2"#,
    );
    check(
        ProviderApp,
        &[("worker_ports", "[65536]")],
        r#"invalid provider app databag: key `worker_ports` = "[65536]": is not valid: invalid value: integer `65536`, expected a nonzero u16 at line 1 column 6"#,
    );
    check(
        ProviderApp,
        &[("worker_ports", "[-1]")],
        r#"invalid provider app databag: key `worker_ports` = "[-1]": is not valid: invalid value: integer `-1`, expected a nonzero u16 at line 1 column 3"#,
    );
    // NaN and Infinity are not JSON, even where Python's json module reads them.
    check(
        ProviderApp,
        &[("ca_cert", "NaN")],
        r#"invalid provider app databag: key `ca_cert` = "NaN": is not valid: expected value at line 1 column 1; values are JSON text: did you mean '"NaN"'?"#,
    );
    check(
        ProviderApp,
        &[("worker_ports", "[Infinity]")],
        r#"invalid provider app databag: key `worker_ports` = "[Infinity]": is not valid: expected value at line 1 column 2"#,
    );
    // Lone surrogates are not text.
    check(
        RequirerUnit,
        &[("juju_topology", r#"{"application": "\ud800", "unit": "w/0", "charm_name": "c"}"#)],
        r#"invalid requirer unit databag: key `juju_topology` = "{\"application\": \"\\ud800\", \"unit\": \"w/0\", \"charm_name\": \"c\"}": is not valid: unexpected end of hex escape at line 1 column 24"#,
    );
    // Unknown role, bad address.
    check(
        RequirerApp,
        &[("role", r#""imposter""#)],
        r#"invalid requirer app databag: key `role` = "\"imposter\"": is not a valid role list: unknown role "imposter" (known roles: all, querier, query-frontend, query-scheduler, ingester, distributor, compactor, store-gateway, tenant-settings, ad-hoc-profiles, query-backend, segment-writer, metastore, compaction-worker)"#,
    );
    check(
        RequirerApp,
        &[("role", r#""querier,""#)],
        r#"invalid requirer app databag: key `role` = "\"querier,\"": is not a valid role list: empty role name at position 2 of "querier,""#,
    );
    check(
        RequirerUnit,
        &[("address", r#""http://w0:4040""#)],
        r#"invalid requirer unit databag: key `address` = "\"http://w0:4040\"": is not a valid address: address has a URL scheme; give the bare host name or IP"#,
    );
    check(
        RequirerUnit,
        &[("address", r#""w0\u001b[2J""#)],
        r#"invalid requirer unit databag: key `address` = "\"w0\\u001b[2J\"": is not a valid address: address has the character '\u{1b}', which no host name or IP literal has"#,
    );
    // Missing keys, and several problems at once.
    let mut empty = RawDatabag::new();
    empty.insert("ingress-address".into(), "10.0.0.1".into());
    let err = RequirerUnitData::decode(&empty).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid requirer unit databag: key `juju_topology` is missing; key `address` is missing"
    );
    assert_eq!(
        ProviderAppData::decode(&RawDatabag::new()).unwrap_err().to_string(),
        "invalid provider app databag: key `worker_config` is missing"
    );
    check(
        RequirerUnit,
        &[("address", r#""-w""#), ("juju_topology", "[]")],
        r#"invalid requirer unit databag: key `juju_topology` = "[]": is not valid: invalid type: sequence, expected a Juju topology object at line 1 column 0; key `address` = "\"-w\"": is not a valid address: host name label "-w" starts or ends with a hyphen"#,
    );
}

#[test]
fn huge_and_deep_input_is_an_error_not_a_crash() {
    let huge_address = format!("\"{}\"", "a".repeat(10_000_000));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let nested_object = format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000));
    let cases: [(&str, String); 4] = [
        ("address", huge_address),
        ("juju_topology", deep.clone()),
        ("juju_topology", nested_object),
        ("address", deep),
    ];
    for (key, value) in cases {
        let mut databag =
            RawDatabag::from([("juju_topology".into(), TOPOLOGY.into()), ("address".into(), r#""w""#.into())]);
        databag.insert(key.into(), value);
        let err = RequirerUnitData::decode(&databag).unwrap_err();
        let message = err.to_string();
        assert!(message.len() < 400, "the message quotes an excerpt, not the value: {} bytes", message.len());
        assert!(message.contains(&format!("key `{key}`")), "{message}");
    }
    // A huge but valid value is fine.
    let config = format!("\"{}\"", "x".repeat(10_000_000));
    let data = ProviderAppData::decode(&RawDatabag::from([("worker_config".into(), config)])).unwrap();
    assert_eq!(data.worker_config.len(), 10_000_000);
}

mod arbitrary_input {
    use super::*;
    use proptest::prelude::*;
    use pyroscope_cluster_model::{Address, Roles};

    /// JSON-ish noise: valid JSON of every shape, near-misses, and plain text.
    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>(),
            "[\\[\\]{}\",:0-9a-z \\\\.-]{0,40}",
            any::<String>().prop_map(|s| serde_json::Value::String(s).to_string()),
            proptest::collection::vec(any::<i64>(), 0..4).prop_map(|v| serde_json::to_string(&v).unwrap()),
        ]
    }

    fn databag(keys: &'static [&'static str]) -> impl Strategy<Value = RawDatabag> {
        proptest::collection::btree_map(proptest::sample::select(keys).prop_map(str::to_owned), value(), 0..=keys.len())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn decoders_never_panic_and_errors_name_a_known_key(
            provider in databag(ProviderAppData::KEYS),
            app in databag(RequirerAppData::KEYS),
            unit in databag(RequirerUnitData::KEYS),
        ) {
            for (kind, bag) in [(DatabagKind::ProviderApp, &provider), (DatabagKind::RequirerApp, &app), (DatabagKind::RequirerUnit, &unit)] {
                if let Err(err) = decode(kind, bag) {
                    prop_assert!(!err.problems.is_empty());
                    let prefix = format!("invalid {kind}: key `");
                    prop_assert!(err.to_string().starts_with(&prefix));
                }
            }
        }

        #[test]
        fn parsers_never_panic_and_keep_the_text(text in any::<String>()) {
            if let Ok(address) = text.parse::<Address>() {
                prop_assert_eq!(address.as_str(), text.as_str());
                prop_assert!(!address.as_str().chars().any(|c| c.is_whitespace() || c.is_control()));
            }
            if let Ok(roles) = text.parse::<Roles>() {
                prop_assert_eq!(roles.to_string(), text);
            }
        }
    }
}

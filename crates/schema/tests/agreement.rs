//! This interface's validation is the model's decoder (the one decoder), so what they accept
//! is the same by construction. These tests check what is not:
//! - every problem the decoder finds shows up as a validation issue, at the path of its key and
//!   of its place in the value, in the decoder's words, and nothing else does; the decoded form
//!   of a databag finds the same problems at the same paths;
//! - this interface's generated schema, read as a plain JSON Schema validator reads it (with its
//!   content schemas), accepts what the decoder accepts and rejects what it rejects, but for the
//!   two strictnesses a schema cannot say (an object that repeats a key, an integer written as a
//!   float): wherever the schema says less or more than the Rust types (an address pattern that
//!   lets through what `Address::from_str` refuses, a port range), these tests find it.
//!
//! Data is generated: valid databags from the model's strategies, then broken by replacing or
//! removing values, with values aimed at the edges (role lists, addresses, ports, topologies,
//! repeated keys, numbers written as floats, text that is not JSON).

use std::fmt::Debug;
use std::sync::LazyLock;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use pyroscope_cluster_model::{
    Address, DatabagModel, FieldError, JujuTopology, PathStep, ProviderAppData, RawDatabag, RequirerAppData,
    RequirerUnitData, Roles, strategies,
};
use pyroscope_cluster_schema::{RelationDatabag, Side, Validator, schema, validate_databag, validate_decoded_databag};
use serde_json::{Map, Value};

/// This interface's generated schemas, read as a JSON Schema validator reads them.
static AS_JSON_SCHEMA: LazyLock<Validator> = LazyLock::new(|| {
    Validator::new(&schema(Side::Provider), &schema(Side::Requirer)).expect("the generated schemas are usable")
});

/// The path of a decoder problem in a relation state, spelled out here from its parts.
fn expected_path(databag: RelationDatabag, problem: &FieldError) -> String {
    let step = |key: &str| {
        if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            format!(".{key}")
        } else {
            format!("[{}]", Value::from(key))
        }
    };
    let mut path = format!("{}{}", databag.path(), step(problem.key));
    for inner in &problem.path {
        match inner {
            PathStep::Key(key) => path.push_str(&step(key)),
            PathStep::Index(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

#[track_caller]
fn agree<T: DatabagModel + Debug>(raw: &RawDatabag) {
    let databag = RelationDatabag::from(T::KIND);
    let problems = T::decode(raw).err().map(|err| err.problems).unwrap_or_default();
    let issues = validate_databag(databag, raw).err().map(|invalid| invalid.issues).unwrap_or_default();
    // Each problem is an issue at its path, in the decoder's words: what follows "key `k` ".
    let mut expected: Vec<(String, String)> = problems
        .iter()
        .map(|problem| {
            let words = problem.to_string();
            let words = words.strip_prefix(&format!("key `{}` ", problem.key)).expect("the decoder names the key");
            (expected_path(databag, problem), words.strip_prefix("= ").unwrap_or(words).to_owned())
        })
        .collect();
    expected.sort();
    let found: Vec<(String, String)> = issues.iter().map(|issue| (issue.path.clone(), issue.message.clone())).collect();
    assert_eq!(found, expected, "{raw:?}");
    decoded_form_agrees(databag, raw);
    schema_agrees::<T>(databag, raw);
}

/// The decoded form of a databag is validated as the JSON text of its values would be: the same
/// issues, word for word.
fn decoded_form_agrees(databag: RelationDatabag, raw: &RawDatabag) {
    let mut decoded = Map::new();
    for (key, text) in raw {
        match serde_json::from_str::<Value>(text) {
            Ok(value) => decoded.insert(key.clone(), value),
            Err(_) => return,
        };
    }
    let rewritten: RawDatabag = decoded.iter().map(|(key, value)| (key.clone(), value.to_string())).collect();
    let wire = validate_databag(databag, &rewritten).err().map(|invalid| invalid.issues).unwrap_or_default();
    let decoded = validate_decoded_databag(databag, &decoded).err().map(|invalid| invalid.issues).unwrap_or_default();
    assert_eq!(wire, decoded, "{raw:?}");
}

/// The generated schema, read as JSON Schema, accepts what the decoder accepts; where it accepts
/// what the decoder rejects, the decoder accepts the same databag with its repeated keys and its
/// integers written as floats normalized away.
fn schema_agrees<T: DatabagModel + Debug>(databag: RelationDatabag, raw: &RawDatabag) {
    let decoder = T::decode(raw).map(drop).map_err(|err| err.to_string());
    let schema = AS_JSON_SCHEMA.validate_databag(databag, raw).map_err(|invalid| invalid.to_string());
    match (&decoder, &schema) {
        (Ok(()), Ok(())) | (Err(_), Err(_)) => {}
        (Ok(()), Err(schema)) => panic!("the schema rejects what the decoder accepts: {raw:?}\n{schema}"),
        (Err(decoder), Ok(())) => {
            if let Err(err) = T::decode(&normalized(raw)) {
                panic!("the schema accepts what the decoder rejects: {raw:?}\ndecoder: {decoder}\nnormalized: {err}");
            }
        }
    }
}

/// The databag with each known value that is JSON read and written again: a repeated key keeps
/// its last value (as JSON Schema sees it), and a float with no fraction is written as an integer.
fn normalized(raw: &RawDatabag) -> RawDatabag {
    fn integers(value: Value) -> Value {
        match value {
            Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15) && n.is_f64() => {
                Value::from(n.as_f64().unwrap_or_default() as i64)
            }
            Value::Array(items) => Value::Array(items.into_iter().map(integers).collect()),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, integers(v))).collect()),
            other => other,
        }
    }
    raw.iter()
        .map(|(key, text)| match serde_json::from_str::<Value>(text) {
            Ok(value) => (key.clone(), integers(value).to_string()),
            Err(_) => (key.clone(), text.clone()),
        })
        .collect()
}

#[track_caller]
fn round_trip<T: DatabagModel + Debug + PartialEq>(value: &T) {
    let raw = value.encode();
    let databag = RelationDatabag::from(T::KIND);
    if let Err(invalid) = AS_JSON_SCHEMA.validate_databag(databag, &raw) {
        panic!("{value:?} encodes to {raw:?}, which the schema rejects:\n{invalid}");
    }
    let decoded: Map<String, Value> = raw.iter().map(|(k, v)| (k.clone(), serde_json::from_str(v).unwrap())).collect();
    assert_eq!(AS_JSON_SCHEMA.validate_decoded_databag(databag, &decoded), Ok(()), "{raw:?}");
    assert_eq!(validate_decoded_databag(databag, &decoded), Ok(()), "{raw:?}");
}

/// A JSON string literal for `text`.
fn quoted(text: &str) -> String {
    Value::from(text).to_string()
}

/// Role-list-like strings: known names, near misses and separators.
fn role_list() -> impl Strategy<Value = String> {
    let name = select(vec![
        "all",
        "querier",
        "query-frontend",
        "query-scheduler",
        "ingester",
        "distributor",
        "compactor",
        "store-gateway",
        "tenant-settings",
        "ad-hoc-profiles",
        "",
        " querier",
        "QUERIER",
        "imposter",
        "query_frontend",
        "ingester\n",
    ]);
    (vec(name, 0..4), select(vec![",", ",", ",", ", ", ";"])).prop_map(|(names, sep)| names.join(sep))
}

fn hex_group() -> impl Strategy<Value = String> {
    prop_oneof![4 => "[0-9a-fA-F]{1,4}", 1 => "[0-9a-fA-F]{0,6}", 1 => "[0-9a-gA-G]{1,4}"]
}

fn ipv4_like() -> impl Strategy<Value = String> {
    let octet = prop_oneof![
        (0..=255u16).prop_map(|n| n.to_string()),
        (0..=999u16).prop_map(|n| n.to_string()),
        (0..=99u16).prop_map(|n| format!("0{n}")),
        Just(String::new()),
    ];
    prop_oneof![4 => vec(octet.clone(), 4..=4), 1 => vec(octet, 1..=6)].prop_map(|octets| octets.join("."))
}

/// IPv6-like strings: groups around at most one (sometimes two) `::`, sometimes an IPv4 tail.
fn ipv6_like() -> impl Strategy<Value = String> {
    (vec(hex_group(), 0..=9), any::<prop::sample::Index>(), 0..4u8, prop::option::of(ipv4_like())).prop_map(
        |(groups, at, shape, v4)| {
            let mut text = groups.join(":");
            if shape > 0 && !groups.is_empty() {
                // Insert `::` (or a stray `:`) at a group boundary.
                let cut =
                    groups[..at.index(groups.len() + 1)].iter().map(|g| g.len() + 1).sum::<usize>().min(text.len());
                let insert = if shape == 3 { ":" } else { "::" };
                text.insert_str(cut, insert);
            } else if shape > 0 {
                text = "::".to_owned();
            }
            if let Some(v4) = v4 {
                if !text.is_empty() && !text.ends_with(':') {
                    text.push(':');
                }
                text.push_str(&v4);
            }
            text
        },
    )
}

fn host_name_like() -> impl Strategy<Value = String> {
    let label = prop_oneof![
        6 => "[a-zA-Z0-9]([a-zA-Z0-9-]{0,8}[a-zA-Z0-9])?",
        1 => "[a-zA-Z0-9-]{0,4}",
        1 => "[0-9]{1,3}",
        1 => "[a-z]{60,66}",
        1 => "[a-zA-Z0-9_ ]{1,4}",
    ];
    let long = (50..=60usize).prop_map(|n| vec!["abcd"; n].join("."));
    prop_oneof![
        5 => (vec(label, 1..=5), any::<bool>()).prop_map(|(labels, dot)| labels.join(".") + if dot { "." } else { "" }),
        1 => (long, "[a-z]{0,8}", any::<bool>()).prop_map(|(name, extra, dot)| name + &extra + if dot { "." } else { "" }),
    ]
}

fn address_like() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => host_name_like(),
        2 => ipv4_like(),
        3 => ipv6_like(),
        1 => "[0-9a-fA-F:.\\[\\]%/]{0,16}",
        1 => "\\PC{0,12}",
        1 => select(vec!["http://worker:4040", "worker:7946", "[fd00::1]", "[fd00::1]:7946", "fe80::1%eth0", ""])
            .prop_map(str::to_owned),
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (1..=u16::MAX).prop_map(|n| n.to_string()),
        2 => select(vec!["0", "-1", "-0", "65536", "7946.0", "7.946e3", "1e3", "1.5", "99999999999999999999", "4040 "])
            .prop_map(str::to_owned),
        1 => any::<i64>().prop_map(|n| n.to_string()),
    ]
}

/// Object keys from a small set, so that objects often repeat a key and often name a field.
fn object_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => select(vec!["application", "unit", "charm_name", "model", "model_uuid", "url", "a", "b.c", ""])
            .prop_map(str::to_owned),
        1 => "\\PC{0,6}",
    ]
}

/// JSON text, often of the wrong shape for the key it lands in; objects may repeat keys.
fn json_text() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        1 => Just("null".to_owned()),
        1 => Just("true".to_owned()),
        3 => number(),
        2 => role_list().prop_map(|s| quoted(&s)),
        2 => address_like().prop_map(|s| quoted(&s)),
        2 => "\\PC{0,12}".prop_map(|s| quoted(&s)),
    ];
    leaf.prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(|items| format!("[{}]", items.join(", "))),
            vec((object_key(), inner), 0..6).prop_map(|entries| {
                let entries: Vec<String> = entries.iter().map(|(k, v)| format!("{}: {v}", quoted(k))).collect();
                format!("{{{}}}", entries.join(","))
            }),
        ]
    })
}

/// Topology-like objects: each field present, absent, null, repeated or of another type.
fn topology_like() -> impl Strategy<Value = String> {
    let field = |key: &'static str| {
        prop_oneof![
            4 => "\\PC{0,8}".prop_map(move |v| vec![format!("{}: {}", quoted(key), quoted(&v))]),
            1 => Just(vec![]),
            1 => Just(vec![format!("{}: null", quoted(key))]),
            1 => json_text().prop_map(move |v| vec![format!("{}: {v}", quoted(key))]),
            1 => Just(vec![format!("{}: \"x\"", quoted(key)), format!("{}: \"y\"", quoted(key))]),
        ]
    };
    (
        field("application"),
        field("unit"),
        field("charm_name"),
        field("model"),
        field("model_uuid"),
        prop::option::of(json_text()),
        any::<bool>(),
    )
        .prop_map(|(a, u, c, m, id, extra, repeat_extra)| {
            let mut entries: Vec<String> = [a, u, c, m, id].concat();
            if let Some(extra) = extra {
                entries.push(format!("\"extra\": {extra}"));
                if repeat_extra {
                    entries.push("\"extra\": [1, 2]".to_owned());
                }
            }
            format!("{{{}}}", entries.join(", "))
        })
}

/// String maps: string values, sometimes another type, sometimes a repeated key.
fn string_map_like() -> impl Strategy<Value = String> {
    let value = prop_oneof![5 => "\\PC{0,8}".prop_map(|v| quoted(&v)), 1 => json_text()];
    vec((object_key(), value), 0..5).prop_map(|entries| {
        let entries: Vec<String> = entries.iter().map(|(k, v)| format!("{}: {v}", quoted(k))).collect();
        format!("{{{}}}", entries.join(", "))
    })
}

fn ports_like() -> impl Strategy<Value = String> {
    vec(number(), 0..4).prop_map(|ports| format!("[{}]", ports.join(", ")))
}

fn remote_write_like() -> impl Strategy<Value = String> {
    let endpoint = prop_oneof![
        3 => "\\PC{0,10}".prop_map(|url| format!("{{\"url\": {}}}", quoted(&url))),
        1 => Just("{\"url\": \"a\", \"url\": \"b\"}".to_owned()),
        1 => Just("{\"url\": \"a\", \"x\": 1, \"x\": 2}".to_owned()),
        1 => json_text(),
    ];
    vec(endpoint, 0..3).prop_map(|items| format!("[{}]", items.join(", ")))
}

/// Any value a databag key may hold: JSON text of any shape, or text that is not JSON.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => json_text(),
        2 => role_list().prop_map(|s| quoted(&s)),
        2 => address_like().prop_map(|s| quoted(&s)),
        2 => topology_like(),
        2 => string_map_like(),
        2 => ports_like(),
        1 => remote_write_like(),
        1 => "\\PC{0,12}",
        1 => Just(" null ".to_owned()),
    ]
}

/// A change to a databag.
#[derive(Debug, Clone)]
enum Change {
    Remove(String),
    Set(String, String),
}

fn changes(keys: &'static [&'static str]) -> impl Strategy<Value = Vec<Change>> {
    let key = prop_oneof![
        4 => select(keys).prop_map(str::to_owned),
        1 => select(vec!["ingress-address", "config", "private-address"]).prop_map(str::to_owned),
    ];
    let change = prop_oneof![
        1 => key.clone().prop_map(Change::Remove),
        4 => (key, any_value()).prop_map(|(key, value)| Change::Set(key, value)),
    ];
    vec(change, 0..=3)
}

fn apply(mut raw: RawDatabag, changes: Vec<Change>) -> RawDatabag {
    for change in changes {
        match change {
            Change::Remove(key) => raw.remove(&key),
            Change::Set(key, value) => raw.insert(key, value),
        };
    }
    raw
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(384))]

    #[test]
    fn requirer_app_databags(value in strategies::requirer_app_data(), changes in changes(RequirerAppData::KEYS)) {
        agree::<RequirerAppData>(&apply(value.encode(), changes));
    }

    #[test]
    fn requirer_unit_databags(value in strategies::requirer_unit_data(), changes in changes(RequirerUnitData::KEYS)) {
        agree::<RequirerUnitData>(&apply(value.encode(), changes));
    }

    #[test]
    fn provider_app_databags(value in strategies::provider_app_data(), changes in changes(ProviderAppData::KEYS)) {
        agree::<ProviderAppData>(&apply(value.encode(), changes));
    }

    /// What the model encodes, the schema accepts, in both forms.
    #[test]
    fn valid_values_validate(
        unit in strategies::requirer_unit_data(),
        app in strategies::requirer_app_data(),
        provider in strategies::provider_app_data(),
    ) {
        round_trip(&unit);
        round_trip(&app);
        round_trip(&provider);
    }

    /// The schema's `Address` pattern against `Address::from_str`, on strings aimed at its edges.
    #[test]
    fn addresses(text in address_like()) {
        let mut raw = RequirerUnitData {
            address: "worker-0".parse().unwrap(),
            juju_topology: JujuTopology {
                application: "w".into(),
                unit: "w/0".into(),
                charm_name: "c".into(),
                model: None,
                model_uuid: None,
            },
        }
        .encode();
        raw.insert("address".into(), quoted(&text));
        let parsed = text.parse::<Address>();
        let validated = AS_JSON_SCHEMA.validate_databag(RelationDatabag::RequirerUnit, &raw);
        prop_assert_eq!(parsed.is_ok(), validated.is_ok(), "{:?}: parser {:?}, validator {:?}", text, parsed, validated);
    }

    /// The schema's `Roles` pattern against `Roles::from_str`.
    #[test]
    fn role_lists(text in role_list()) {
        let raw = RawDatabag::from([("role".to_owned(), quoted(&text))]);
        let parsed = text.parse::<Roles>();
        let validated = AS_JSON_SCHEMA.validate_databag(RelationDatabag::RequirerApp, &raw);
        prop_assert_eq!(parsed.is_ok(), validated.is_ok(), "{:?}: parser {:?}, validator {:?}", text, parsed, validated);
    }
}

/// Edges picked by hand, beside the generated ones: each is a case where a schema written
/// without care says something other than the parser.
#[test]
fn address_edges() {
    let cases = [
        ("localhost", true),
        ("1234", true),
        ("1234.", true),
        ("a.1", false),
        ("a.1.", false),
        ("a.b1", true),
        ("1a.2b", true),
        ("010.1.2.3", false),
        ("0.0.0.0", true),
        ("255.255.255.255", true),
        ("256.1.1.1", false),
        ("1.2.3", false),
        ("1.2.3.4.", false),
        ("::", true),
        ("::1", true),
        ("1::", true),
        ("1:2:3:4:5:6:7::", true),
        ("1:2:3:4:5:6:7:8::", false),
        ("::1:2:3:4:5:6:7", true),
        ("::1:2:3:4:5:6:7:8", false),
        ("1:2:3:4:5:6:7:8", true),
        ("1:2:3:4:5:6:7:8:9", false),
        ("::ffff:1.2.3.4", true),
        ("1:2:3:4:5:6:1.2.3.4", true),
        ("1:2:3:4:5::1.2.3.4", true),
        ("1:2:3:4:5:6::1.2.3.4", false),
        ("1:2:1.2.3.4", false),
        ("1.2.3.4::", false),
        ("::01.2.3.4", false),
        ("00000::1", false),
        ("0000::1", true),
        ("1:::2", false),
        (":1::", false),
        ("FD00::1", true),
    ];
    let long_label = format!("{}.example", "a".repeat(63));
    let too_long_label = format!("{}.example", "a".repeat(64));
    let name_253 = format!("{}.{}", vec!["abcdefghi"; 25].join("."), "abc");
    assert_eq!(name_253.len(), 253);
    let owned = [
        (long_label, true),
        (too_long_label, false),
        (name_253.clone(), true),
        (format!("{name_253}."), true),
        (format!("{name_253}a"), false),
    ];
    for (text, valid) in cases.iter().map(|(t, v)| (t.to_string(), *v)).chain(owned) {
        assert_eq!(text.parse::<Address>().is_ok(), valid, "parser on {text:?}");
        let raw = RawDatabag::from([
            ("address".to_owned(), quoted(&text)),
            ("juju_topology".to_owned(), r#"{"application": "w", "unit": "w/0", "charm_name": "c"}"#.to_owned()),
        ]);
        assert_eq!(
            AS_JSON_SCHEMA.validate_databag(RelationDatabag::RequirerUnit, &raw).is_ok(),
            valid,
            "schema on {text:?}"
        );
    }
}

//! The bodies of the fuzz targets (`fuzz_targets/*.rs` call them), and their seeds.
//!
//! A body must not panic on any input: a panic is a bug. Beyond that, each checks what must hold
//! for every input: a databag that decodes re-encodes to the same bytes and the same value, and
//! its errors name a known key; the reconcile of a snapshot does not depend on the order of its
//! relations. (The schema crate is left out, so that the instrumented build stays small: its
//! validation is the model's decoder, reached here directly.)
//!
//! The seeds are the Python peer's vectors (`crates/model/tests/fixtures/python-vectors.json`)
//! and the examples (`examples/`). `cargo xtask fuzz` writes them as a corpus and runs each
//! target for a few seconds; `tests/fuzz_seeds.rs` (a plain `cargo test`) runs every target over
//! its seeds, so that the targets always build and never panic on them.

use std::fmt::Debug;
use std::sync::LazyLock;

use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag, RequirerAppData, RequirerUnitData, yaml};
use pyroscope_cluster_provider::{DecodedRelation, ReconcileInput, Snapshot, reconcile, reconcile_decoded};
use serde_json::Value;

/// A target's body: one input in, a panic if it finds a bug.
pub type Body = fn(&[u8]);

/// Every target: its name (its binary in `fuzz/`) and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("requirer_app", requirer_app),
    ("requirer_unit", requirer_unit),
    ("provider_app", provider_app),
    ("reconcile_input", reconcile_input),
    ("show_unit", show_unit),
];

/// The worker app databag's decoder.
pub fn requirer_app(data: &[u8]) {
    decoder::<RequirerAppData>(data);
}

/// The worker unit databag's decoder.
pub fn requirer_unit(data: &[u8]) {
    decoder::<RequirerUnitData>(data);
}

/// The coordinator app databag's decoder.
pub fn provider_app(data: &[u8]) {
    decoder::<ProviderAppData>(data);
}

/// The databags an input stands for: the input itself, when it is a raw databag (a JSON object
/// of string to string, as `relation-get --format=json` prints it); and, for each key the type
/// reads, a valid databag with the input as that key's value, so that each value's parser is
/// reached with the others valid.
fn databags<T: DatabagModel>(data: &[u8], valid: &RawDatabag) -> Vec<RawDatabag> {
    let Ok(text) = std::str::from_utf8(data) else { return Vec::new() };
    let mut databags: Vec<RawDatabag> = serde_json::from_str(text).into_iter().collect();
    for key in T::KEYS {
        let mut databag = valid.clone();
        databag.insert((*key).to_owned(), text.to_owned());
        databags.push(databag);
    }
    databags
}

fn decoder<T: DatabagModel + PartialEq + Debug>(data: &[u8]) {
    let valid = valid_databag(T::KIND.as_str());
    for databag in databags::<T>(data, &valid) {
        check_decode::<T>(&databag);
    }
}

/// Decodes; a value must survive a round trip, an error must name a key the type reads.
fn check_decode<T: DatabagModel + PartialEq + Debug>(databag: &RawDatabag) {
    match T::decode(databag) {
        Ok(value) => {
            let encoded = value.encode();
            let again = T::decode(&encoded).unwrap_or_else(|err| panic!("{value:?} encodes to {encoded:?}: {err}"));
            assert_eq!(again, value, "{databag:?}");
            assert_eq!(again.encode(), encoded, "{databag:?}");
        }
        Err(err) => {
            assert!(!err.problems.is_empty(), "{databag:?}");
            assert!(err.problems.iter().all(|problem| T::KEYS.contains(&problem.key)), "{err}");
            assert!(err.to_string().starts_with(&format!("invalid {}: key `", T::KIND)), "{err}");
        }
    }
}

/// YAML or JSON, read as the CLI reads its input: JSON with the JSON parser, the rest as YAML.
fn yaml_or_json<T: serde::de::DeserializeOwned>(text: &str) -> Option<T> {
    if text.trim_start().starts_with(['{', '[']) {
        serde_json::from_str(text).ok()
    } else {
        yaml::from_str_untagged(text).ok()
    }
}

/// A reconcile input, read and reconciled; the relations in reverse order give the same
/// databag to publish. Read with its unit databags decoded as read ([`DecodedRelation`]), it is
/// taken or refused alike, and (its relation IDs distinct) reconciles to the same view and plan.
pub fn reconcile_input(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let decoded = yaml_or_json::<ReconcileInput<DecodedRelation>>(text);
    let Some(input) = yaml_or_json::<ReconcileInput>(text) else {
        assert!(decoded.is_none(), "read decoded only: {text:?}");
        return;
    };
    let mut decoded = decoded.expect("read raw, so decoded too").relations;
    let from_raw: Vec<DecodedRelation> = input.relations.iter().cloned().map(DecodedRelation::from).collect();
    assert_eq!(decoded, from_raw, "{text:?}");
    let outcome = reconcile(&Snapshot::from_iter(input.relations.clone()), &input.settings, &input.extras);
    let mut ids: Vec<_> = input.relations.iter().map(|relation| relation.id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() == input.relations.len() {
        let from_decoded = reconcile_decoded(&mut decoded, &input.settings, &input.extras);
        assert_eq!(from_decoded.view, outcome.view, "{text:?}");
        assert_eq!(from_decoded.plan, outcome.plan, "{text:?}");
    }
    let reversed = reconcile(&Snapshot::from_iter(input.relations.into_iter().rev()), &input.settings, &input.extras);
    let databag = |plan: Option<&pyroscope_cluster_provider::PublishPlan>| plan.map(|plan| plan.databag().clone());
    assert_eq!(databag(outcome.plan.as_ref()), databag(reversed.plan.as_ref()), "{text:?}");
    for problem in outcome.view.problems() {
        let _ = problem.to_string();
    }
}

/// A `juju show-unit --format yaml` capture, read as the CLI's `validate` reads it: every databag
/// of every relation decoded (as either side's, since the side is not known here).
pub fn show_unit(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Some(Value::Object(units)) = yaml_or_json::<Value>(text) else { return };
    for info in units.values() {
        let Some(relations) = info.get("relation-info").and_then(Value::as_array) else { continue };
        for relation in relations {
            let remote_units = relation.get("related-units").and_then(Value::as_object);
            let unit_databags = remote_units.into_iter().flatten().filter_map(|(_, unit)| unit.get("data"));
            let local = relation.get("local-unit").and_then(|local| local.get("data"));
            for data in unit_databags.chain(local).filter_map(raw_databag) {
                check_decode::<RequirerUnitData>(&data);
            }
            if let Some(app) = relation.get("application-data").and_then(raw_databag) {
                check_decode::<RequirerAppData>(&app);
                check_decode::<ProviderAppData>(&app);
            }
        }
    }
}

/// A databag as `juju show-unit` prints it: its string values (the CLI reports the others).
fn raw_databag(value: &Value) -> Option<RawDatabag> {
    let object = value.as_object()?;
    Some(object.iter().filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_owned()))).collect())
}

const VECTORS: &str = include_str!("../../crates/model/tests/fixtures/python-vectors.json");

/// A valid databag of a kind (`requirer-app`, ...): the first the Python peer wrote.
fn valid_databag(kind: &str) -> RawDatabag {
    vector_databags(kind).into_iter().next().unwrap_or_default()
}

/// Every databag of a kind in the Python vectors, those Python wrote and those it was given.
fn vector_databags(kind: &str) -> Vec<RawDatabag> {
    static VECTORS_READ: LazyLock<Value> = LazyLock::new(|| serde_json::from_str(VECTORS).unwrap_or_default());
    let vectors = &*VECTORS_READ;
    ["encode", "decode"]
        .iter()
        .flat_map(|part| vectors[part].as_array().into_iter().flatten())
        .filter(|vector| vector["databag_kind"] == kind)
        .filter_map(|vector| serde_json::from_value(vector["databag"].clone()).ok())
        .collect()
}

/// The seeds of a target: the Python vectors of its databag kind (each databag, and each of its
/// values alone), or the examples of its input format.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    let databags = |kind: &str| -> Vec<Vec<u8>> {
        let mut seeds = Vec::new();
        for databag in vector_databags(kind) {
            seeds.push(serde_json::to_vec(&databag).unwrap_or_default());
            seeds.extend(databag.into_values().map(String::into_bytes));
        }
        seeds
    };
    match target {
        "requirer_app" => databags("requirer-app"),
        "requirer_unit" => {
            let mut seeds = databags("requirer-unit");
            seeds.push(include_bytes!("../../examples/databag-requirer-unit.json").to_vec());
            seeds
        }
        "provider_app" => databags("provider-app"),
        "reconcile_input" => vec![include_bytes!("../../examples/reconcile-recommended.yaml").to_vec()],
        "show_unit" => vec![
            include_bytes!("../../examples/show-unit-coordinator-healthy.yaml").to_vec(),
            include_bytes!("../../examples/show-unit-coordinator-broken.yaml").to_vec(),
            include_bytes!("../../examples/show-unit-worker-healthy.yaml").to_vec(),
        ],
        _ => Vec::new(),
    }
}

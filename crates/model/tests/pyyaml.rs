//! `yaml::to_string_pyyaml` against what PyYAML's `yaml.dump` wrote for the same values
//! (`fixtures/pyyaml-vectors.json`, from `python/gen_pyyaml_vectors.py`): byte for byte, for odd
//! and random strings in every place, and long ones that fold.

use std::collections::BTreeMap;

use proptest::prelude::*;
use pyroscope_cluster_model::yaml;
use serde::Serialize;
use serde_json::Value;

/// A JSON value whose mappings serialize sorted by key, as `yaml.dump` sorts them, whatever
/// serde_json's map keeps.
#[derive(Serialize)]
#[serde(untagged)]
enum Sorted {
    Null(()),
    Bool(bool),
    Int(i64),
    Str(String),
    Seq(Vec<Sorted>),
    Map(BTreeMap<String, Sorted>),
}

impl From<&Value> for Sorted {
    fn from(value: &Value) -> Self {
        match value {
            Value::Null => Sorted::Null(()),
            Value::Bool(b) => Sorted::Bool(*b),
            Value::Number(n) => Sorted::Int(n.as_i64().expect("the vectors have integers only")),
            Value::String(s) => Sorted::Str(s.clone()),
            Value::Array(items) => Sorted::Seq(items.iter().map(Sorted::from).collect()),
            Value::Object(map) => Sorted::Map(map.iter().map(|(k, v)| (k.clone(), Sorted::from(v))).collect()),
        }
    }
}

fn vectors() -> Vec<(Value, String)> {
    let text = include_str!("fixtures/pyyaml-vectors.json");
    let file: Value = serde_json::from_str(text).expect("the fixture is JSON");
    file["vectors"]
        .as_array()
        .expect("vectors")
        .iter()
        .map(|vector| (vector["value"].clone(), vector["yaml"].as_str().expect("yaml").to_owned()))
        .collect()
}

#[test]
fn every_vector_is_written_as_pyyaml_writes_it() {
    let vectors = vectors();
    assert!(vectors.len() > 2000, "{}", vectors.len());
    let mut wrong = Vec::new();
    for (value, want) in &vectors {
        let got = yaml::to_string_pyyaml(&Sorted::from(value)).expect("writes");
        if got != *want {
            wrong.push(format!("{value}\n  want {want:?}\n  got  {got:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} differ:\n{}",
        wrong.len(),
        vectors.len(),
        wrong[..wrong.len().min(20)].join("\n")
    );
}

#[test]
fn floats_are_an_error_not_a_guess() {
    let err = yaml::to_string_pyyaml(&1.5).unwrap_err().to_string();
    assert_eq!(err, "a floating-point number, which PyYAML's layout is not written for");
}

proptest! {
    /// Any string of printable ASCII reads back as itself from every place PyYAML puts it.
    #[test]
    fn printable_ascii_round_trips(s in "[ -~\n]{0,100}") {
        let value = serde_json::json!({"k": s, "a": {"b": [s.clone()]}});
        let text = yaml::to_string_pyyaml(&Sorted::from(&value)).unwrap();
        let back: BTreeMap<String, Value> = yaml::from_str(&text).unwrap();
        // serde_yaml reads YAML 1.2: plain `1e3` is a number there; compare as text.
        let text_of = |v: &Value| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string());
        prop_assert_eq!(text_of(&back["k"]), s.clone(), "{}", text);
        prop_assert_eq!(text_of(&back["a"]["b"][0]), s, "{}", text);
    }
}

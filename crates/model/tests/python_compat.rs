//! Agreement with the deployed Python peer (`coordinated-workers` 4.x), on vectors that the real
//! library produced: `tests/python/gen_vectors.py` wrote `tests/fixtures/python-vectors.json`.

use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag, RequirerAppData, RequirerUnitData};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
struct Vectors {
    library: String,
    encode: Vec<EncodeVector>,
    decode: Vec<DecodeVector>,
}

#[derive(Deserialize)]
struct EncodeVector {
    databag_kind: String,
    value: Value,
    databag: RawDatabag,
}

#[derive(Deserialize)]
struct DecodeVector {
    databag_kind: String,
    databag: RawDatabag,
    python: Option<Value>,
    rust_rejects: Option<String>,
}

fn vectors() -> Vectors {
    let text = include_str!("fixtures/python-vectors.json");
    serde_json::from_str(text).expect("fixture is valid JSON")
}

/// What the Python model's `model_dump(mode="json", exclude_defaults=True)` would show for the
/// databag as Rust decodes it, or the Rust error; and the databag Rust encodes back.
fn rust_view(kind: &str, databag: &RawDatabag) -> Result<(Value, RawDatabag), String> {
    match kind {
        "requirer-app" => {
            let data = RequirerAppData::decode(databag).map_err(|e| e.to_string())?;
            Ok((json!({"role": data.role.to_string()}), data.encode()))
        }
        "requirer-unit" => {
            let data = RequirerUnitData::decode(databag).map_err(|e| e.to_string())?;
            let t = &data.juju_topology;
            // Python's `_Topology` keeps only these three keys.
            let topology = json!({"application": t.application, "unit": t.unit, "charm_name": t.charm_name});
            Ok((json!({"juju_topology": topology, "address": data.address.as_str()}), data.encode()))
        }
        "provider-app" => {
            let data = ProviderAppData::decode(databag).map_err(|e| e.to_string())?;
            let mut view = serde_json::Map::new();
            for (key, raw) in data.encode() {
                view.insert(key, serde_json::from_str(&raw).expect("our own encoding is JSON"));
            }
            Ok((Value::Object(view), data.encode()))
        }
        other => panic!("unknown databag kind {other:?} in the fixture"),
    }
}

#[test]
fn what_python_writes_decodes_to_the_same_value_and_encodes_to_the_same_bytes() {
    let vectors = vectors();
    assert!(vectors.library.starts_with("coordinated-workers 4."), "{}", vectors.library);
    let mut kinds = std::collections::BTreeSet::new();
    for vector in vectors.encode {
        kinds.insert(vector.databag_kind.clone());
        let (value, encoded) = rust_view(&vector.databag_kind, &vector.databag)
            .unwrap_or_else(|err| panic!("Rust rejects what Python wrote: {err}\n{:?}", vector.databag));
        assert_eq!(value, vector.value, "decoded value differs for {:?}", vector.databag);
        assert_eq!(encoded, vector.databag, "re-encoded bytes differ from Python's");
    }
    assert_eq!(kinds.len(), 3, "every databag kind is written by Python: {kinds:?}");
}

#[test]
fn reads_what_python_reads_and_rejects_what_python_rejects() {
    let (mut read, mut rejected) = (0, 0);
    for vector in vectors().decode {
        let got = rust_view(&vector.databag_kind, &vector.databag).map(|(value, _)| value);
        if got.is_ok() {
            read += 1
        } else {
            rejected += 1
        }
        match (&vector.python, &vector.rust_rejects, got) {
            (Some(want), None, Ok(value)) => assert_eq!(&value, want, "{:?}", vector.databag),
            (Some(_), Some(_), Err(_)) | (None, None, Err(_)) => {}
            (_, why, got) => panic!(
                "{} {:?}: Python gives {:?}, Rust gives {got:?} (deliberate difference: {why:?})",
                vector.databag_kind, vector.databag, vector.python
            ),
        }
    }
    // Both outcomes are exercised, so that neither half of this test passes vacuously.
    assert!(read >= 10 && rejected >= 10, "{read} read, {rejected} rejected");
}

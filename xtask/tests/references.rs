//! The generated key table against the references it comes from: fresh, complete, and typing each
//! documented default as its decoder would take it.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyroscope_cluster_release::{KeyKind, PyroscopeRelease, go_duration, prometheus_duration};
use serde_json::Value;
use xtask::codegen::keys::{KEY_TABLE_PATH, PROMETHEUS_DURATION_KEYS, key_table};

fn root() -> PathBuf {
    xtask::project_root()
}

fn reference_text(release: PyroscopeRelease) -> String {
    let path = root().join("reference/pyroscope").join(release.reference_file());
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn reference(release: PyroscopeRelease) -> BTreeMap<String, Value> {
    serde_json::from_str(&reference_text(release)).expect("a reference is JSON")
}

#[test]
fn the_committed_table_is_what_the_references_give() {
    let texts: Vec<(PyroscopeRelease, String)> =
        PyroscopeRelease::ALL.iter().map(|release| (*release, reference_text(*release))).collect();
    let borrowed: Vec<(PyroscopeRelease, &str)> = texts.iter().map(|(r, t)| (*r, t.as_str())).collect();
    let generated = key_table(&borrowed).expect("the references are well formed");
    let committed = std::fs::read_to_string(root().join(KEY_TABLE_PATH)).unwrap();
    assert!(
        generated == committed.replace("\r\n", "\n"),
        "{KEY_TABLE_PATH} is stale: run `cargo xtask schema` and commit"
    );
}

#[test]
fn every_reference_file_is_a_known_release_and_back() {
    let mut files: Vec<String> = std::fs::read_dir(root().join("reference/pyroscope"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    files.sort();
    let known: Vec<String> = PyroscopeRelease::ALL.iter().map(|release| release.reference_file()).collect();
    assert_eq!(files, known);
    for release in PyroscopeRelease::ALL {
        let source = &reference(release)["_source"];
        assert_eq!(source["commit"], release.commit(), "{release}");
    }
}

/// Every key of every reference is in the table for its release, with the kind its type says.
#[test]
fn every_reference_key_is_in_the_table() {
    for release in PyroscopeRelease::ALL {
        let reference = reference(release);
        for (path, entry) in reference.iter().filter(|(path, _)| *path != "_source") {
            let kind = release.key(path).unwrap_or_else(|| panic!("{release}: `{path}` is not in the table"));
            let fits = match entry["type"].as_str().unwrap() {
                "block" => matches!(kind, KeyKind::Block | KeyKind::OpenBlock),
                "boolean" => kind == KeyKind::Bool,
                "int" => kind == KeyKind::Int,
                "float" => kind == KeyKind::Float,
                "string" => kind == KeyKind::String,
                "duration" => matches!(kind, KeyKind::GoDuration | KeyKind::PrometheusDuration),
                "list of strings" => matches!(kind, KeyKind::StringList | KeyKind::Members),
                "list of durations" => kind == KeyKind::GoDurationList,
                _ => kind == KeyKind::List,
            };
            assert!(fits, "{release}: `{path}` is {} but {kind:?} in the table", entry["type"]);
        }
        // And nothing else, but the hidden Prometheus durations the references miss.
        for (path, _) in release.keys() {
            assert!(
                reference.contains_key(path) || PROMETHEUS_DURATION_KEYS.contains(&path),
                "{release}: `{path}` is in the table but not in the reference"
            );
        }
    }
}

/// The documented default of every duration key is in the grammar the table gives the key.
#[test]
fn duration_defaults_parse_as_their_kind() {
    let mut checked = 0;
    for release in PyroscopeRelease::ALL {
        for (path, entry) in reference(release).iter().filter(|(path, _)| *path != "_source") {
            let Some(default) = entry.get("default").and_then(Value::as_str) else { continue };
            match release.key(path) {
                Some(KeyKind::GoDuration) => {
                    assert!(go_duration(default).is_ok(), "{release} `{path}` default {default:?}");
                    checked += 1;
                }
                Some(KeyKind::PrometheusDuration) => {
                    assert!(prometheus_duration(default).is_ok(), "{release} `{path}` default {default:?}");
                    checked += 1;
                }
                _ => {}
            }
        }
    }
    assert!(checked > 400, "{checked}");
}

#[test]
fn the_keys_the_coordinator_renders_are_typed_as_their_go_types() {
    for release in PyroscopeRelease::ALL {
        assert_eq!(release.key("compactor.cleanup_interval"), Some(KeyKind::GoDuration));
        assert_eq!(release.key("compactor.deletion_delay"), Some(KeyKind::GoDuration));
        assert_eq!(release.key("limits.compactor_blocks_retention_period"), Some(KeyKind::PrometheusDuration));
        assert_eq!(release.key("limits.retention_period"), Some(KeyKind::PrometheusDuration));
        assert_eq!(release.key("memberlist.join_members"), Some(KeyKind::Members));
        assert_eq!(release.key("memberlist.bind_port"), Some(KeyKind::Int));
        assert_eq!(release.key("storage.s3.insecure"), Some(KeyKind::Bool));
        assert_eq!(release.key("api.base-url"), Some(KeyKind::String));
        assert_eq!(release.key("architecture_storage").is_some(), release.has_architecture_storage());
    }
}

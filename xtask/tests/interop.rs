//! The comparisons of `cargo xtask interop`, without Python: a changed vector and a changed
//! emitter byte each make the check fail, naming what changed; the unchanged ones pass.

use xtask::interop::{PyYamlResult, compare_emitter, diff_vectors, emitter_cases, requirements_hash};

const VECTORS: &str = include_str!("../../crates/model/tests/fixtures/python-vectors.json");

#[track_caller]
fn check_vectors(mutated: &str, names: &[&str]) {
    let why = diff_vectors(VECTORS, mutated).expect_err("a changed vector must fail the check");
    for name in names {
        assert!(why.contains(name), "{why:?} does not name {name:?}");
    }
}

#[test]
fn the_committed_vectors_equal_themselves() {
    assert_eq!(diff_vectors(VECTORS, VECTORS), Ok(14 + 47));
}

#[test]
fn a_changed_vector_fails_naming_it() {
    // One byte of what Python wrote for the first vector.
    check_vectors(&VECTORS.replacen(r#"\"querier\""#, r#"\"querieR\""#, 1), &["encode[0]", "requirer-app", "querier"]);
    // What Python made of an odd databag.
    let at = VECTORS.find(r#""python": null"#).unwrap();
    let mutated = format!("{}\"python\": {{}}{}", &VECTORS[..at], &VECTORS[at + r#""python": null"#.len()..]);
    check_vectors(&mutated, &["decode[", "databag"]);
    // A vector more or less.
    let last = VECTORS.rfind("\n  {").unwrap();
    let end = VECTORS.rfind("\n  }").unwrap() + 4;
    check_vectors(&format!("{}{}", &VECTORS[..last - 1], &VECTORS[end..]), &["decode[46]", "(none)"]);
    // The library's versions.
    check_vectors(&VECTORS.replacen("coordinated-workers 4.1.4", "coordinated-workers 4.1.5", 1), &["`library`"]);
    // The same values, another layout.
    check_vectors(&VECTORS.replacen("\n \"encode\"", "\n  \"encode\"", 1), &["layout"]);
}

/// PyYAML's results as they are when our emitter matches it: the value read back, our bytes.
fn mirror(cases: &[xtask::interop::EmitterCase]) -> Vec<PyYamlResult> {
    cases.iter().map(|case| PyYamlResult { loaded: case.value.clone(), dumped: case.yaml.clone() }).collect()
}

#[test]
fn the_emitter_cases_cover_the_odd_strings_in_every_position_and_emit() {
    let cases = emitter_cases(50, 1);
    assert_eq!(cases.len(), xtask::interop::ODD.len() * 4 + 50);
    assert!(cases.iter().all(|case| !case.yaml.contains("to_string_pyyaml failed")), "every case is written");
    assert_eq!(cases, emitter_cases(50, 1), "the same cases on every run");
    let text: String = cases.iter().map(|case| case.yaml.as_str()).collect();
    for odd in ["'yes'", "'on'", "'NO'", "'1_000'", "'.inf'", "'~'", "'2001-12-14'", "'<<'", "'190:20:30'", "\\xE9"] {
        assert!(text.contains(odd), "no case writes {odd}");
    }
    assert_eq!(compare_emitter(&cases, &mirror(&cases)), Ok(cases.len()));
}

#[test]
fn a_changed_emitter_byte_fails_naming_the_case() {
    let cases = emitter_cases(20, 7);
    let results = mirror(&cases);
    // Our emitter writes one byte otherwise than PyYAML (say `'yes'` as `"yes"`).
    let mut changed = cases.clone();
    let i = changed.iter().position(|case| case.yaml.contains("'yes'")).unwrap();
    changed[i].yaml = changed[i].yaml.replacen("'yes'", "\"yes\"", 1);
    let why = compare_emitter(&changed, &results).unwrap_err();
    assert!(why.starts_with(&format!("emitter case {i}: yaml.dump writes other bytes")), "{why}");
    // PyYAML reads our text as another value (`yes` unquoted is true in YAML 1.1).
    let mut results = mirror(&cases);
    results[i].loaded = serde_json::json!(true);
    let why = compare_emitter(&cases, &results).unwrap_err();
    assert!(why.starts_with(&format!("emitter case {i}: PyYAML reads our text as another value")), "{why}");
    assert!(compare_emitter(&cases, &results[1..]).is_err(), "a result missing");
}

#[test]
fn the_venv_key_changes_with_any_byte_of_the_requirements() {
    let requirements = include_str!("../../tests/interop/requirements.txt");
    assert!(requirements.contains("coordinated-workers==4.1.4\n") && requirements.contains("ops==3.9.0\n"));
    let hash = requirements_hash(requirements);
    assert_eq!(hash, requirements_hash(requirements));
    assert_ne!(hash, requirements_hash(&requirements.replace("ops==3.9.0", "ops==3.9.1")));
    assert_eq!(hash.len(), 16);
}

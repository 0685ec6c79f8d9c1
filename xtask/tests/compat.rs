//! Compatibility with the interface's published schemas (`charm-relation-interfaces`,
//! `pyroscope_cluster/v0`, copied into `reference/`) and the deployed Python peer.
//!
//! Each case of `xtask/src/compat-cases.json` is a raw databag with three verdicts: the published
//! schema's (computed here, read deeply: every value decoded and checked against its
//! `contentSchema`), the Python peer's (recorded by `tests/python/record_verdicts.py`; no Python
//! runs here), and this schema's (computed here). What both the published schema and Python
//! accept, this schema accepts, unless the case names a documented difference; and every
//! documented difference is pinned by at least one case.

use pyroscope_cluster_schema::{Validator, validate_databag};
use serde_json::Value;
use xtask::drift::{DIFFERENCES, Source, cases};

fn reference(side: &str) -> Value {
    let path =
        xtask::project_root().join(format!("reference/charm-relation-interfaces-pyroscope_cluster-v0-{side}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("reading {}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn published() -> Validator {
    Validator::new(&reference("provider"), &reference("requirer"))
        .unwrap_or_else(|err| panic!("the published schemas are usable: {err}"))
}

#[test]
fn cases_hold() {
    let published = published();
    let (_, cases) = cases();
    let mut failures = Vec::new();
    for case in &cases {
        let name = format!("{} ({})", case.name, case.databag);
        let published_verdict = published.validate_databag(case.databag, &case.data);
        let ours = validate_databag(case.databag, &case.data);
        if published_verdict.is_ok() != case.published {
            failures.push(format!("{name}: the published schema says {published_verdict:?}"));
        }
        if ours.is_ok() != case.ours {
            failures.push(format!("{name}: this schema says {ours:?}"));
        }
        let agrees = case.ours == case.published && case.ours == case.python;
        match &case.difference {
            None if !agrees => {
                failures.push(format!("{name}: parts from the published schema or Python, undocumented"))
            }
            None => {}
            Some(_) if agrees => failures.push(format!("{name}: pins a difference it does not show")),
            Some(id) => match DIFFERENCES.iter().find(|d| d.id == id) {
                Some(difference) if difference.source == Source::PublishedSchema => {}
                Some(_) => failures.push(format!("{name}: {id} is pinned by the README example's test")),
                None => failures.push(format!("{name}: no documented difference {id:?}")),
            },
        }
        if case.published && case.python && !case.ours && case.difference.is_none() {
            failures.push(format!("{name}: the published schema and Python accept it, this schema rejects it"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_difference_from_the_published_schema_is_pinned() {
    let (_, cases) = cases();
    for difference in DIFFERENCES.iter().filter(|d| d.source == Source::PublishedSchema) {
        let pinned: Vec<_> = cases.iter().filter(|case| case.difference.as_deref() == Some(difference.id)).collect();
        assert!(!pinned.is_empty(), "{} is pinned by no case", difference.id);
    }
    let mut ids: Vec<&str> = DIFFERENCES.iter().map(|d| d.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), DIFFERENCES.len(), "difference ids are unique");
}

#[test]
fn the_docs_list_every_difference() {
    let interface = std::fs::read_to_string(xtask::project_root().join("docs/interface.md")).unwrap();
    for difference in DIFFERENCES {
        assert!(interface.contains(&format!("### {}\n", difference.topic)), "{}", difference.id);
        assert!(interface.contains(difference.reason), "{}", difference.id);
    }
}

/// The published schema, read as a plain JSON Schema validator reads it, sees nothing of the
/// content: the reason deep validation exists. Read deeply, it rejects a bad role.
#[test]
fn published_schema_checks_content_only_when_read_deeply() {
    let requirer = reference("requirer");
    let shallow = jsonschema::draft202012::new(&requirer).unwrap();
    let state = serde_json::json!({
        "app": {"role": "\"imposter\""},
        "unit": {"address": "\"x\"", "juju_topology": "[]"},
    });
    assert!(shallow.is_valid(&state), "contentSchema is an annotation to a plain validator");
    let deep = published().validate_databag(
        pyroscope_cluster_schema::RelationDatabag::RequirerApp,
        &[("role".to_owned(), "\"imposter\"".to_owned())].into(),
    );
    assert_eq!(
        deep.unwrap_err().to_string(),
        r#"requirer.app.role: "imposter" is not one of "all", "querier" or 6 other candidates"#
    );
}

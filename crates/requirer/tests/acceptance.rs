//! The interface's own requirer acceptance test (charm-relation-interfaces, `pyroscope_cluster` v0,
//! test 4): with the coordinator app databag `{"worker_config": "\"foo: bar\""}` on
//! `relation-created`, the requirer's app and unit databags are valid against the interface's
//! published schemas (`reference/`) and against ours.
//!
//! The schemas describe each databag value as a JSON string whose content
//! (`contentMediaType: application/json`) must match `contentSchema`; JSON Schema takes content
//! keywords as annotations only, so `pyroscope-cluster-schema`'s validator decodes each value and
//! checks it against its content schema.

use std::path::PathBuf;

use pyroscope_cluster_model::{JujuTopology, RawDatabag};
use pyroscope_cluster_requirer::{Announcement, CoordinatorState, Leadership, NotLeader, Seen};
use pyroscope_cluster_schema::{RelationDatabag, Validator};
use serde_json::{Value, json};

/// The interface's published schemas, copied into `reference/`.
fn published() -> Validator {
    let read = |side: &str| -> Value {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("../../reference/charm-relation-interfaces-pyroscope_cluster-v0-{side}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        serde_json::from_str(&text).expect("the schema is JSON")
    };
    Validator::new(&read("provider"), &read("requirer")).expect("usable schemas")
}

/// Validates the requirer's databags (`app` and `unit`) against the published schemas and ours,
/// content included; returns every violation found.
fn schema_violations(app: &RawDatabag, unit: &RawDatabag) -> Vec<String> {
    let published = published();
    let mut violations = Vec::new();
    for validator in [&published, Validator::ours()] {
        for (databag, values) in [(RelationDatabag::RequirerApp, app), (RelationDatabag::RequirerUnit, unit)] {
            if let Err(invalid) = validator.validate_databag(databag, values) {
                violations.extend(invalid.issues.iter().map(ToString::to_string));
            }
        }
    }
    violations
}

#[track_caller]
fn check_schema_valid(app: &RawDatabag, unit: &RawDatabag) {
    let violations = schema_violations(app, unit);
    assert!(violations.is_empty(), "app {app:?}, unit {unit:?}: {violations:#?}");
}

fn worker(roles: &str) -> Announcement {
    Announcement {
        roles: Some(roles.parse().unwrap()),
        address: "pyroscope-worker-0.pyroscope-worker-endpoints.test.svc.cluster.local".parse().unwrap(),
        juju_topology: JujuTopology {
            application: "pyroscope-worker".into(),
            unit: "pyroscope-worker/0".into(),
            charm_name: "pyroscope-worker-k8s".into(),
            model: None,
            model_uuid: None,
        },
    }
}

fn coordinator_databag() -> RawDatabag {
    RawDatabag::from([("worker_config".to_owned(), r#""foo: bar""#.to_owned())])
}

#[test]
fn test_4_requirer_databags_are_schema_valid_on_relation_created() {
    // relation-created: the worker's databags are empty but for Juju's own keys.
    let mut app = RawDatabag::new();
    let mut unit = RawDatabag::from([("ingress-address".to_owned(), "10.1.2.3".to_owned())]);
    let me = worker("all");

    let plan = me.plan(&unit, Leadership::Leader { app_databag: &app });
    plan.app.expect("the leader writes the app databag").apply(&mut app);
    plan.unit.apply(&mut unit);
    check_schema_valid(&app, &unit);
    assert_eq!(app["role"], r#""all""#);
    assert_eq!(unit["address"], r#""pyroscope-worker-0.pyroscope-worker-endpoints.test.svc.cluster.local""#);
    assert_eq!(
        unit["juju_topology"],
        r#"{"application": "pyroscope-worker", "unit": "pyroscope-worker/0", "charm_name": "pyroscope-worker-k8s"}"#
    );

    // The coordinator's databag of the test is valid data with the configuration `foo: bar`.
    let state = CoordinatorState::read(&coordinator_databag(), Seen::Nothing);
    let data = state.data().expect("the test's coordinator databag is valid");
    assert_eq!(Value::Object(data.config().tree().clone()), json!({"foo": "bar"}));
}

#[test]
fn test_4_as_a_follower_the_unit_databag_is_schema_valid_and_the_app_databag_untouched() {
    let app = RawDatabag::new();
    let mut unit = RawDatabag::new();
    let plan = worker("all").plan(&unit, Leadership::Follower);
    assert_eq!(plan.app, Err(NotLeader { unit: "pyroscope-worker/0".into() }));
    plan.unit.apply(&mut unit);
    // The app databag is the leader's to fill; the unit databag alone must be valid.
    let violations = schema_violations(&app, &unit);
    assert_eq!(violations, ["requirer.app.role: is missing", "requirer.app.role: is missing"], "one per schema");
}

#[test]
fn the_schema_check_can_fail() {
    // Guards the validator itself: each of these breaks the published schema.
    let app = RawDatabag::from([("role".to_owned(), r#""all""#.to_owned())]);
    let unit = {
        let mut unit = RawDatabag::new();
        worker("all").plan(&unit, Leadership::Follower).unit.apply(&mut unit);
        unit
    };
    check_schema_valid(&app, &unit);
    let with = |bag: &RawDatabag, key: &str, value: &str| {
        let mut bag = bag.clone();
        bag.insert(key.to_owned(), value.to_owned());
        bag
    };
    assert!(!schema_violations(&with(&app, "role", r#""imposter""#), &unit).is_empty());
    assert!(!schema_violations(&with(&app, "role", "all"), &unit).is_empty(), "not JSON");
    assert!(!schema_violations(&app, &with(&unit, "juju_topology", r#"{"unit": "w/0"}"#)).is_empty());
    assert!(!schema_violations(&app, &with(&unit, "address", "7")).is_empty());
    assert!(!schema_violations(&RawDatabag::new(), &unit).is_empty());
}

//! The interface's own provider acceptance tests (charm-relation-interfaces, `pyroscope_cluster`
//! v0, tests 1 to 3), with the published provider schema as the judge of "schema-valid".

mod common;

use common::{raw_app_data, reference, settings, unit_data, worker};
use pyroscope_cluster_model::{DatabagModel, ErrorChain, ProviderAppData, RawDatabag};
use pyroscope_cluster_provider::{Extras, PyroscopeConfig, Reconciliation, Snapshot, WorkerRelation, reconcile};
use pyroscope_cluster_schema::{RelationDatabag, Validator};
use serde_json::Value;

/// One worker relation in, the reconciliation out.
fn run(relation: WorkerRelation) -> Reconciliation {
    reconcile(&Snapshot::from_iter([relation]), &settings(), &Extras::default())
}

/// A relation whose app databag is `app_data` and whose one unit is valid.
fn one_valid_unit(app_data: RawDatabag) -> WorkerRelation {
    WorkerRelation { app_data, ..worker(1, "pyroscope-worker", "all", 1) }
}

#[track_caller]
fn writes_nothing(outcome: &Reconciliation, reason: &str) {
    let plan = outcome.plan.as_ref().expect("complete settings give a plan");
    assert_eq!(plan.writes(), [], "a relation that is not ready gets no write");
    let problems: Vec<String> = outcome.view.problems().map(|p| ErrorChain(p).to_string()).collect();
    assert_eq!(problems, [reason]);
    // Each level of the chain says its own part once: no message repeats its cause.
    for problem in outcome.view.problems() {
        let mut level: &dyn std::error::Error = problem;
        while let Some(cause) = level.source() {
            assert!(!level.to_string().contains(&cause.to_string()), "{level:?} repeats its cause {cause:?}");
            level = cause;
        }
    }
}

#[test]
fn test1_empty_worker_app_databag_gets_nothing() {
    let outcome = run(one_valid_unit(RawDatabag::new()));
    writes_nothing(
        &outcome,
        "relation 1 (pyroscope-worker) is not ready: invalid requirer app databag: key `role` is missing",
    );
}

#[test]
fn test2_role_all_with_one_valid_unit_gets_schema_valid_data() {
    let relation = one_valid_unit(raw_app_data(r#""all""#));
    let outcome = run(relation.clone());
    let plan = outcome.plan.as_ref().expect("complete settings give a plan");
    assert_eq!(outcome.view.problems().count(), 0);
    let [write] = plan.writes() else { panic!("one write expected: {plan:?}") };
    assert_eq!(write.relation, relation.id);
    assert!(write.changes.delete.is_empty());
    let mut written = relation.published.clone();
    write.changes.apply(&mut written);
    assert_eq!(&written, plan.databag());
    // What the Canonical coordinator publishes by default (see `Extras`).
    assert_eq!(
        written.keys().collect::<Vec<_>>(),
        ["charm_tracing_receivers", "loki_endpoints", "worker_config", "worker_ports", "workload_tracing_receivers"]
    );

    assert_eq!(schema_errors(&written), Vec::<String>::new());
    let data = ProviderAppData::decode(&written).expect("the model reads it back");
    let config = PyroscopeConfig::from_yaml(&data.worker_config).expect("the config reads back");
    assert_eq!(Some(&config), outcome.config.as_ref().ok(), "the default release, 1.18");
    assert_eq!(config.memberlist.join_members, ["pyroscope-worker-0.pyroscope-worker-endpoints:7946"]);
}

#[test]
fn test3_imposter_role_gets_nothing() {
    let outcome = run(one_valid_unit(raw_app_data(r#""imposter""#)));
    writes_nothing(
        &outcome,
        "relation 1 (pyroscope-worker) is not ready: invalid requirer app databag: key `role` = \"\\\"imposter\\\"\": \
         is not a valid role list: unknown role \"imposter\" (known roles: all, querier, query-frontend, \
         query-scheduler, ingester, distributor, compactor, store-gateway, tenant-settings, ad-hoc-profiles, query-backend, segment-writer, metastore, compaction-worker)",
    );
}

/// The judge must be able to say no: each of these breaks the published provider schema.
#[test]
fn schema_check_rejects_what_the_schema_rejects() {
    let good = ProviderAppData::new("foo: bar\n").encode();
    assert_eq!(schema_errors(&good), Vec::<String>::new());
    let bad = [
        RawDatabag::new(),
        RawDatabag::from([("worker_config".to_owned(), "42".to_owned())]),
        RawDatabag::from([("worker_config".to_owned(), "not json".to_owned())]),
        {
            let mut bag = good.clone();
            bag.insert("worker_ports".to_owned(), r#"["4040"]"#.to_owned());
            bag
        },
        {
            let mut bag = good.clone();
            bag.insert("remote_write_endpoints".to_owned(), r#"[{"uri": "http://p"}]"#.to_owned());
            bag
        },
    ];
    for databag in bad {
        assert_ne!(schema_errors(&databag), Vec::<String>::new(), "{databag:?} must be rejected");
    }
}

/// Tests 1 and 3 hinge on the app databag alone: their one unit is valid and is seen.
#[test]
fn the_unit_of_tests_1_and_3_is_valid() {
    let outcome = run(one_valid_unit(RawDatabag::new()));
    assert_eq!(outcome.view.relations()[0].units, 1);
    let databag = unit_data("pyroscope-worker", "pyroscope-worker/0", "pyroscope-worker-0.pyroscope-worker-endpoints");
    assert!(pyroscope_cluster_model::RequirerUnitData::decode(&databag).is_ok());
}

/// Validates a provider app databag against the interface's published schemas and against ours,
/// each JSON-encoded value against its `contentSchema` (`pyroscope-cluster-schema` does that; a
/// plain JSON Schema validator takes content keywords as annotations only).
fn schema_errors(databag: &RawDatabag) -> Vec<String> {
    let read = |side: &str| -> Value {
        let path = reference(&format!("charm-relation-interfaces-pyroscope_cluster-v0-{side}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        serde_json::from_str(&text).expect("the schema is JSON")
    };
    let published = Validator::new(&read("provider"), &read("requirer")).expect("usable schemas");
    [&published, Validator::ours()]
        .into_iter()
        .filter_map(|validator| validator.validate_databag(RelationDatabag::ProviderApp, databag).err())
        .flat_map(|invalid| invalid.issues)
        .map(|issue| issue.to_string())
        .collect()
}

//! The cluster view, coherence and status, table-driven: a snapshot in, the view as text out.

mod common;

use std::fmt::Write;

use common::{app_data, raw_app_data, settings, unit_data, worker};
use pyroscope_cluster_model::{ErrorChain, RawDatabag, Role};
use pyroscope_cluster_provider::{
    ClusterView, Coherence, DecodedRelation, Extras, Reconciliation, S3Settings, Settings, Snapshot, Status,
    WorkerRelation, reconcile, reconcile_decoded,
};

/// The view, coherence and status of a reconciliation, as text.
fn render(outcome: &Reconciliation) -> String {
    let view = &outcome.view;
    let mut out = String::new();
    for report in view.relations() {
        match report.problems.as_slice() {
            [] => writeln!(out, "{report}").unwrap(),
            problems => problems.iter().for_each(|problem| writeln!(out, "{}", ErrorChain(problem)).unwrap()),
        }
    }
    let addresses: Vec<&str> = view.addresses().map(|a| a.as_str()).collect();
    writeln!(out, "addresses: {}", addresses.join(" ")).unwrap();
    for (role, addresses) in view.addresses_by_role() {
        let addresses: Vec<&str> = addresses.iter().map(|a| a.as_str()).collect();
        writeln!(out, "{role}: {} units at {}", view.units_with(role), addresses.join(" ")).unwrap();
    }
    for worker in view.workers() {
        writeln!(out, "worker: {} {} {} {}", worker.relation, worker.unit, worker.address, worker.topology.application)
            .unwrap();
    }
    writeln!(out, "coherence: {}", outcome.coherence).unwrap();
    write!(out, "status: {}", outcome.status()).unwrap();
    out
}

#[track_caller]
fn check(relations: Vec<WorkerRelation>, expect: &str) {
    let outcome = reconcile(&Snapshot::from_iter(relations.clone()), &settings(), &Extras::default());
    let got = render(&outcome);
    assert_eq!(got, expect.trim(), "\n--- got:\n{got}\n");
    let reversed = reconcile(&Snapshot::from_iter(relations.iter().cloned().rev()), &settings(), &Extras::default());
    assert_eq!(render(&reversed), got, "relation order must not matter");
    // The same from the relations with their units decoded as read, in either order.
    for relations in [relations.clone(), relations.into_iter().rev().collect()] {
        let mut decoded: Vec<DecodedRelation> = relations.into_iter().map(DecodedRelation::from).collect();
        let outcome = reconcile_decoded(&mut decoded, &settings(), &Extras::default());
        assert_eq!(render(&outcome), got, "decoded as read");
    }
}

/// A unit databag with raw JSON values (`None`: key absent).
fn raw_unit(address: Option<&str>, topology: Option<&str>) -> RawDatabag {
    let mut databag = RawDatabag::new();
    if let Some(address) = address {
        databag.insert("address".to_owned(), address.to_owned());
    }
    if let Some(topology) = topology {
        databag.insert("juju_topology".to_owned(), topology.to_owned());
    }
    databag
}

fn with_unit(mut relation: WorkerRelation, unit: &str, databag: RawDatabag) -> WorkerRelation {
    relation.units.insert(unit.to_owned(), databag);
    relation
}

const TOPOLOGY: &str = r#"{"application": "w", "unit": "w/9", "charm_name": "pyroscope-worker-k8s"}"#;

#[test]
fn empty_snapshot_is_blocked() {
    check(
        vec![],
        "
addresses: 
coherence: missing roles: querier, query-frontend, query-scheduler, ingester, distributor, compactor, store-gateway, tenant-settings, ad-hoc-profiles
status: blocked: no worker application is related
",
    );
}

#[test]
fn one_all_in_one_worker_is_coherent_but_below_recommended() {
    check(
        vec![worker(3, "pyroscope", "all", 1)],
        "
relation 3 (pyroscope): ready, 1 of 1 units
addresses: pyroscope-0.pyroscope-endpoints
querier: 1 units at pyroscope-0.pyroscope-endpoints
query-frontend: 1 units at pyroscope-0.pyroscope-endpoints
query-scheduler: 1 units at pyroscope-0.pyroscope-endpoints
ingester: 1 units at pyroscope-0.pyroscope-endpoints
distributor: 1 units at pyroscope-0.pyroscope-endpoints
compactor: 1 units at pyroscope-0.pyroscope-endpoints
store-gateway: 1 units at pyroscope-0.pyroscope-endpoints
tenant-settings: 1 units at pyroscope-0.pyroscope-endpoints
ad-hoc-profiles: 1 units at pyroscope-0.pyroscope-endpoints
worker: 3 pyroscope/0 pyroscope-0.pyroscope-endpoints pyroscope
coherence: below recommended: querier 1/3, query-frontend 1/2, query-scheduler 1/2, ingester 1/3, distributor 1/2, compactor 1/3, store-gateway 1/3
status: active: below recommended: querier 1/3, query-frontend 1/2, query-scheduler 1/2, +4 more
",
    );
}

#[test]
fn every_reason_is_named_and_only_valid_units_count() {
    let read = worker(1, "read", "querier,query-frontend,query-scheduler,store-gateway", 2);
    // Shares an address with read/0 (counted once), and an IPv6 unit.
    let write = with_unit(
        with_unit(
            worker(2, "write", "ingester,distributor", 0),
            "write/0",
            unit_data("write", "write/0", "read-0.read-endpoints"),
        ),
        "write/1",
        unit_data("write", "write/1", "fd00::1"),
    );
    // Valid role; one valid unit (counted), one without address, one with a port, one with bad topology.
    let backend = with_unit(
        with_unit(
            with_unit(worker(3, "backend", "compactor", 1), "backend/1", raw_unit(None, Some(TOPOLOGY))),
            "backend/2",
            raw_unit(Some(r#""backend-2:7946""#), Some(TOPOLOGY)),
        ),
        "backend/3",
        raw_unit(Some(r#""backend-3""#), Some("{application: w}")),
    );
    // No units yet.
    let lonely = worker(4, "lonely", "tenant-settings", 0);
    // A space in the role list: not a role; its valid unit does not count.
    let spaced = WorkerRelation { app_data: raw_app_data(r#""querier, ingester""#), ..worker(5, "spaced", "all", 1) };
    // Role not JSON, and an empty unit databag.
    let unquoted = with_unit(
        WorkerRelation { app_data: raw_app_data("querier"), ..worker(6, "unquoted", "all", 0) },
        "unquoted/0",
        RawDatabag::new(),
    );
    check(
        vec![read, write, backend, lonely, spaced, unquoted],
        r#"
relation 1 (read): ready, 2 of 2 units
relation 2 (write): ready, 2 of 2 units
relation 3 (backend) is not ready: unit backend/1: invalid requirer unit databag: key `address` is missing
relation 3 (backend) is not ready: unit backend/2: invalid requirer unit databag: key `address` = "\"backend-2:7946\"": is not a valid address: address has brackets or a port; give the bare host name or IP (the port is added by the coordinator)
relation 3 (backend) is not ready: unit backend/3: invalid requirer unit databag: key `juju_topology` = "{application: w}": is not valid: key must be a string at line 1 column 2
relation 4 (lonely) is not ready: no worker unit has joined the relation yet
relation 5 (spaced) is not ready: invalid requirer app databag: key `role` = "\"querier, ingester\"": is not a valid role list: unknown role " ingester" (known roles: all, querier, query-frontend, query-scheduler, ingester, distributor, compactor, store-gateway, tenant-settings, ad-hoc-profiles, query-backend, segment-writer, metastore, compaction-worker)
relation 6 (unquoted) is not ready: invalid requirer app databag: key `role` = "querier": is not valid: expected value at line 1 column 1; values are JSON text: did you mean '"querier"'?
relation 6 (unquoted) is not ready: unit unquoted/0: invalid requirer unit databag: key `juju_topology` is missing; key `address` is missing
addresses: backend-0.backend-endpoints fd00::1 read-0.read-endpoints read-1.read-endpoints
querier: 2 units at read-0.read-endpoints read-1.read-endpoints
query-frontend: 2 units at read-0.read-endpoints read-1.read-endpoints
query-scheduler: 2 units at read-0.read-endpoints read-1.read-endpoints
ingester: 2 units at fd00::1 read-0.read-endpoints
distributor: 2 units at fd00::1 read-0.read-endpoints
compactor: 1 units at backend-0.backend-endpoints
store-gateway: 2 units at read-0.read-endpoints read-1.read-endpoints
worker: 1 read/0 read-0.read-endpoints read
worker: 1 read/1 read-1.read-endpoints read
worker: 2 write/0 read-0.read-endpoints write
worker: 2 write/1 fd00::1 write
worker: 3 backend/0 backend-0.backend-endpoints backend
coherence: missing roles: tenant-settings, ad-hoc-profiles
status: blocked: missing roles: tenant-settings, ad-hoc-profiles; 4 of 6 worker apps get no config (3 invalid, 1 waiting for data) …
"#,
    );
}

#[test]
fn duplicate_relation_ids_are_never_ready_and_never_count() {
    check(
        vec![worker(7, "a", "all", 1), worker(7, "b", "all", 1), worker(8, "c", "querier", 1)],
        "
relation 7 (a) is not ready: the snapshot holds 2 relations with this ID; build it with one entry per relation
relation 7 (b) is not ready: the snapshot holds 2 relations with this ID; build it with one entry per relation
relation 8 (c): ready, 1 of 1 units
addresses: c-0.c-endpoints
querier: 1 units at c-0.c-endpoints
worker: 8 c/0 c-0.c-endpoints c
coherence: missing roles: query-frontend, query-scheduler, ingester, distributor, compactor, store-gateway, tenant-settings, ad-hoc-profiles
status: blocked: missing roles: query-frontend, query-scheduler, ingester, +5 more; 2 of 3 worker apps get no config (2 invalid) …
",
    );
}

#[test]
fn recommended_deployment_is_active_without_message() {
    let relations = vec![
        worker(1, "querier", "querier", 3),
        worker(2, "frontend", "query-frontend,query-scheduler", 2),
        worker(3, "ingester", "ingester,compactor,store-gateway", 3),
        worker(4, "distributor", "distributor,tenant-settings,ad-hoc-profiles", 2),
    ];
    let outcome = reconcile(&Snapshot::from_iter(relations), &settings(), &Extras::default());
    assert_eq!(outcome.coherence, Coherence::default());
    assert_eq!(outcome.status().to_string(), "active");
    assert_eq!(outcome.view.units_with(Role::AdHocProfiles), 2);
    assert_eq!(outcome.view.units_with(Role::All), 0, "meta-roles are counted as their members");
}

#[test]
fn incomplete_settings_block_and_publish_nothing() {
    let no_s3 = Settings { s3: S3Settings::default(), ..settings() };
    let outcome = reconcile(&Snapshot::from_iter([worker(1, "w", "all", 1)]), &no_s3, &Extras::default());
    assert!(outcome.plan.is_none());
    assert_eq!(
        outcome.status().to_string(),
        "blocked: S3 endpoint is not set: relate the coordinator to an S3 provider (e.g. s3-integrator) that gives one …"
    );
}

#[test]
fn lookups() {
    let view = ClusterView::gather(&Snapshot::from_iter([
        worker(5, "all", "all", 1),
        worker(2, "q", "querier", 2),
        WorkerRelation { app_data: app_data("ingester"), ..worker(9, "i", "ingester", 0) },
    ]));
    assert_eq!(view.relation(2.into()).map(|r| r.app.as_str()), Some("q"));
    assert_eq!(view.relation(9.into()).map(|r| r.is_ready()), Some(false));
    assert_eq!(view.relation(3.into()), None);
    assert_eq!(view.ready_relations().map(|r| r.id.0).collect::<Vec<_>>(), [2, 5]);
    let all: Vec<&str> = view.addresses_with(Role::All).map(|a| a.as_str()).collect();
    assert_eq!(all, ["all-0.all-endpoints"], "only units that run every role run `all`");
    let queriers: Vec<&str> = view.addresses_with(Role::Querier).map(|a| a.as_str()).collect();
    assert_eq!(queriers, ["all-0.all-endpoints", "q-0.q-endpoints", "q-1.q-endpoints"]);
    assert_eq!(view.units_by_role().get(&Role::Ingester), Some(&1));
}

/// The recommended deployment, as relations 1 to 4.
fn recommended() -> Vec<WorkerRelation> {
    vec![
        worker(1, "querier", "querier", 3),
        worker(2, "frontend", "query-frontend,query-scheduler", 2),
        worker(3, "ingester", "ingester,compactor,store-gateway", 3),
        worker(4, "distributor", "distributor,tenant-settings,ad-hoc-profiles", 2),
    ]
}

#[track_caller]
fn check_status(relations: Vec<WorkerRelation>, expect: &str) {
    let outcome = reconcile(&Snapshot::from_iter(relations), &settings(), &Extras::default());
    let status = outcome.status();
    assert!(status.message.chars().count() <= Status::MESSAGE_LIMIT, "{} chars: {status}", status.message.len());
    assert_eq!(status.to_string(), expect);
}

/// Active only when every related worker app gets the configuration; waiting while data is not
/// there yet; blocked on invalid data; the message short, with counts and the first reason.
#[test]
fn the_status_tells_the_truth() {
    let with = |extra: WorkerRelation| recommended().into_iter().chain([extra]).collect::<Vec<_>>();
    check_status(recommended(), "active");
    // A worker app whose unit has not published yet: waiting, not active.
    let unpublished = with_unit(worker(5, "late", "querier", 1), "late/1", RawDatabag::new());
    check_status(
        with(unpublished.clone()),
        "waiting: 1 of 5 worker apps get no config (1 waiting for data); first: relation 5 (late): unit late/1: \
         invalid requirer unit dat…",
    );
    // No unit yet, and a leader that has not published its role: waiting too.
    check_status(
        with(WorkerRelation { app_data: RawDatabag::new(), ..worker(5, "new", "querier", 0) }),
        "waiting: 1 of 5 worker apps get no config (1 waiting for data); first: relation 5 (new): invalid requirer \
         app databag: key `role…",
    );
    // Invalid data: blocked, the invalid one named first.
    let bad_address =
        raw_unit(Some(r#""http://w""#), Some(r#"{"application": "bad", "unit": "bad/1", "charm_name": "c"}"#));
    check_status(
        [with(with_unit(worker(5, "bad", "querier", 1), "bad/1", bad_address)), vec![worker(6, "empty", "querier", 0)]]
            .concat(),
        "blocked: 2 of 6 worker apps get no config (1 invalid, 1 waiting for data); first: relation 5 (bad): unit \
         bad/1: invalid requirer…",
    );
    // 200 such apps: blocked, a short message; every reason still in the view.
    let many: Vec<WorkerRelation> = (10..210)
        .map(|id| WorkerRelation { app_data: raw_app_data(r#""imposter""#), ..worker(id, "w", "querier", 1) })
        .collect();
    let outcome = reconcile(
        &Snapshot::from_iter(with(worker(5, "ok", "querier", 1)).into_iter().chain(many)),
        &settings(),
        &Extras::default(),
    );
    assert_eq!(outcome.view.problems().count(), 200);
    let status = outcome.status();
    assert_eq!(
        status.to_string(),
        "blocked: 200 of 205 worker apps get no config (200 invalid); first: relation 10 (w): invalid requirer app \
         databag: key `role` =…"
    );
    assert_eq!(outcome.view.units_with(Role::Querier), 3 + 1, "an app without valid roles counts no unit");
    // The Python gathering rule: the valid units of a relation that is not ready still count.
    let late = reconcile(&Snapshot::from_iter(with(unpublished)), &settings(), &Extras::default());
    assert_eq!(late.view.units_with(Role::Querier), 3 + 1, "late/0 counts while late/1 has not published");
    assert!(late.plan.unwrap().writes().iter().all(|write| write.relation != 5.into()), "late gets nothing");
}

#[test]
fn status_messages_fit() {
    assert_eq!(Status::fit(["a", "", "b"]), "a; b");
    let long = "x".repeat(200);
    let fitted = Status::fit(["short", long.as_str()]);
    assert_eq!(fitted.chars().count(), Status::MESSAGE_LIMIT);
    assert!(fitted.starts_with("short; xxx") && fitted.ends_with('…'), "{fitted}");
    let wide = "é".repeat(200);
    assert_eq!(Status::fit([wide.as_str()]).chars().count(), Status::MESSAGE_LIMIT, "cut at a character boundary");
}

/// A snapshot large enough to be decoded on two threads gathers as its relations do one by one:
/// the same reports (bad units named, in order), the same workers in the same order, the same
/// shared addresses.
#[test]
fn a_large_snapshot_gathers_as_its_relations_do_alone() {
    // Three relations of 900 units: 2,700 in all, decoded in two halves that split the second.
    let mut relations =
        vec![worker(4, "a", "querier", 900), worker(7, "b", "ingester", 900), worker(9, "c", "all", 900)];
    // Bad units on both sides of the split (by position in unit-name order: the 1,350th unit is
    // the 450th of relation 7), and two units that share an address with another relation's.
    for (relation, position) in [(0, 10), (1, 449), (1, 450), (1, 451), (2, 899)] {
        let name = relations[relation].units.keys().nth(position).cloned().expect("a unit");
        relations[relation].units.insert(name, raw_unit(Some(r#""not an address!""#), Some(TOPOLOGY)));
    }
    for unit in ["b/3", "c/700"] {
        let relation = if unit.starts_with('b') { 1 } else { 2 };
        relations[relation].units.insert(unit.to_owned(), raw_unit(Some(r#""a-5.a-endpoints""#), Some(TOPOLOGY)));
    }
    let whole = ClusterView::gather(&Snapshot::from_iter(relations.clone()));
    let mut workers = Vec::new();
    for relation in &relations {
        let alone = ClusterView::gather(&Snapshot::from_iter([relation.clone()]));
        assert_eq!(whole.relation(relation.id), alone.relation(relation.id));
        workers.extend(alone.workers().iter().cloned());
    }
    assert_eq!(whole.workers(), workers);
    let problems: Vec<String> = whole.problems().map(|p| ErrorChain(p).to_string()).collect();
    assert_eq!(problems.len(), 5, "{problems:#?}");
    let second_bad = relations[1].units.keys().nth(449).expect("a unit");
    assert!(problems[1].starts_with(&format!("relation 7 (b) is not ready: unit {second_bad}: ")), "{problems:#?}");
    let shared: Vec<(&str, Vec<&str>)> = whole
        .shared_addresses()
        .into_iter()
        .map(|(address, workers)| (address.as_str(), workers.iter().map(|w| w.unit.as_str()).collect()))
        .collect();
    assert_eq!(shared, [("a-5.a-endpoints", vec!["a/5", "b/3", "c/700"])]);
}

//! Pyroscope's v2 storage architecture (segment-writer, metastore, query-backend,
//! compaction-worker) on Pyroscope 2.2.1: roles, coherence, the configuration and the per-relation
//! `worker_ports`.

mod common;

use common::{settings, worker};
use pyroscope_cluster_model::{Architecture, DatabagModel, ErrorChain, ProviderAppData, Role};
use pyroscope_cluster_provider::{
    ConfigError, Extras, PyroscopeConfig, PyroscopeRelease, Reconciliation, Settings, Snapshot,
    V2_RECOMMENDED_DEPLOYMENT, WorkerRelation, reconcile,
};
use pyroscope_cluster_release::check_yaml;

fn v2_settings() -> Settings {
    Settings { architecture: Architecture::V2, pyroscope: PyroscopeRelease::V2_2_1, ..settings() }
}

fn run(relations: impl IntoIterator<Item = WorkerRelation>, settings: &Settings) -> Reconciliation {
    reconcile(&Snapshot::from_iter(relations), settings, &Extras::default())
}

/// One worker app per role of `table`, with its count of units, relations from 1 on.
fn cluster(table: &[(Role, usize)]) -> Vec<WorkerRelation> {
    table
        .iter()
        .zip(1..)
        .map(|(&(role, units), id)| worker(id, &format!("pyroscope-{role}"), role.as_str(), units))
        .collect()
}

/// One unit of each v2 role.
fn minimal() -> Vec<WorkerRelation> {
    cluster(&Architecture::V2.roles().iter().map(|&role| (role, 1)).collect::<Vec<_>>())
}

/// The relation of `role` in a cluster built by [`cluster`].
fn with_units(mut relations: Vec<WorkerRelation>, role: Role, units: usize) -> Vec<WorkerRelation> {
    let at = relations.iter().position(|r| r.app == format!("pyroscope-{role}")).expect("the role's app");
    let id = u32::try_from(at + 1).expect("small");
    relations[at] = worker(id, &format!("pyroscope-{role}"), role.as_str(), units);
    relations
}

#[test]
fn one_unit_of_each_v2_role_is_published_and_coherent() {
    let outcome = run(minimal(), &v2_settings());
    assert_eq!(outcome.view.problems().count(), 0);
    assert!(outcome.coherence.is_coherent(), "{}", outcome.coherence);
    assert!(!outcome.coherence.is_recommended());
    assert_eq!(outcome.view.ready_relations().count(), 8);
    let plan = outcome.plan.as_ref().expect("complete settings");
    assert_eq!(plan.writes().len(), 8, "every relation gets the configuration");
    assert_eq!(
        outcome.coherence.to_string(),
        "below recommended: query-frontend 1/2, query-backend 1/3, distributor 1/2, segment-writer 1/3, \
         metastore 1/3, compaction-worker 1/3"
    );
}

#[test]
fn two_metastores_are_reported_with_the_count_that_would_do() {
    let outcome = run(with_units(minimal(), Role::Metastore, 2), &v2_settings());
    assert!(outcome.coherence.is_coherent());
    let even = outcome.coherence.even_metastores.expect("two metastores are even");
    assert_eq!((even.have, even.odd), (2, 3));
    assert!(outcome.status().message.contains("metastore 2 is even (Raft): run 3"), "{}", outcome.status());

    let recommended = run(cluster(V2_RECOMMENDED_DEPLOYMENT), &v2_settings());
    assert!(recommended.coherence.is_recommended(), "{}", recommended.coherence);
    let four = run(with_units(cluster(V2_RECOMMENDED_DEPLOYMENT), Role::Metastore, 4), &v2_settings());
    assert!(!four.coherence.is_recommended());
    assert_eq!(four.coherence.to_string(), "metastore 4 is even (Raft): run 5");
    // v1 has no metastore and no such rule.
    let v1 = run(minimal(), &settings());
    assert_eq!(v1.coherence.even_metastores, None);
}

#[test]
fn roles_of_the_other_architecture_are_not_part_of_the_cluster() {
    let mut relations = minimal();
    relations.push(worker(20, "pyroscope-ingester", "ingester", 1));
    relations.push(worker(21, "mixed", "querier,segment-writer", 1));
    let outcome = run(relations, &v2_settings());
    let problems: Vec<String> = outcome.view.problems().map(|p| ErrorChain(p).to_string()).collect();
    assert_eq!(
        problems,
        [
            "relation 20 (pyroscope-ingester) is not ready: role ingester is not of the v2 storage architecture this \
             coordinator runs",
            "relation 21 (mixed) is not ready: role querier is not of the v2 storage architecture this coordinator runs",
        ]
    );
    assert_eq!(outcome.view.units_with(Role::Ingester), 0, "its units do not count");
    assert_eq!(outcome.view.units_with(Role::SegmentWriter), 1, "nor do the mixed app's");
    assert_eq!(outcome.view.addresses().len(), 8, "nor are they gossip members");

    // And the other way round: a v1 coordinator leaves v2 roles out.
    let mut relations = cluster(&Architecture::V1.roles().iter().map(|&role| (role, 1)).collect::<Vec<_>>());
    relations.push(worker(30, "pyroscope-metastore", "metastore,compaction-worker", 1));
    let outcome = run(relations, &settings());
    let problems: Vec<String> = outcome.view.problems().map(|p| ErrorChain(p).to_string()).collect();
    assert_eq!(
        problems,
        ["relation 30 (pyroscope-metastore) is not ready: roles metastore, compaction-worker are not of the v1 \
             storage architecture this coordinator runs"]
    );
    assert!(outcome.coherence.is_coherent());
}

#[test]
fn all_expands_to_the_v2_roles() {
    let outcome = run([worker(1, "pyroscope", "all", 1)], &v2_settings());
    assert!(outcome.coherence.is_coherent(), "{}", outcome.coherence);
    for role in Architecture::V2.roles() {
        assert_eq!(outcome.view.units_with(*role), 1, "{role}");
    }
    assert_eq!(outcome.view.units_with(Role::Ingester), 0);
}

#[test]
fn v2_on_a_release_without_its_metastore_is_an_error_with_the_reason() {
    for release in [PyroscopeRelease::V1_18_2, PyroscopeRelease::V1_19_3, PyroscopeRelease::V2_0_6] {
        let outcome = run(minimal(), &Settings { pyroscope: release, ..v2_settings() });
        let Err(err @ ConfigError::Architecture { .. }) = &outcome.config else { panic!("{:?}", outcome.config) };
        assert_eq!(
            err.to_string(),
            format!(
                "Pyroscope {release} has no v2 storage architecture (its config has no \
                 `metastore.raft.bootstrap_peers`); run Pyroscope 2.2.1, or the architecture v1"
            )
        );
        assert!(outcome.plan.is_none(), "nothing is published");
    }
}

#[test]
fn the_recommended_v2_config_passes_the_2_2_1_reference() {
    let outcome = run(
        cluster(V2_RECOMMENDED_DEPLOYMENT),
        &Settings { retention_period: "30d".parse().unwrap(), ..v2_settings() },
    );
    let config = outcome.config.as_ref().expect("builds");
    let yaml = config.to_yaml().expect("renders");
    check_yaml(PyroscopeRelease::V2_2_1, &yaml).expect("Pyroscope 2.2.1 takes it");
    assert_eq!(
        PyroscopeConfig::from_yaml(&yaml).map(|c| PyroscopeConfig { pyroscope: config.pyroscope, ..c }).ok().as_ref(),
        Some(config)
    );
    insta::assert_snapshot!("v2_recommended", yaml.replace("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "<secret>"));

    let raft = &config.metastore.as_ref().expect("v2 has a metastore").raft;
    assert_eq!(raft.bootstrap_expect_peers, 3);
    assert_eq!(raft.bootstrap_peers.len(), 3);
    assert!(raft.auto_join, "a metastore added later joins the running group");
    for peer in &raft.bootstrap_peers {
        let (address, id) = peer.split_once('/').expect("address/server ID");
        assert!(address.ends_with(":9099") && id == address, "the server ID is the Raft address: {peer}");
    }
    let segment_writer = config.segment_writer.as_ref().expect("v2 has segment-writers");
    assert_eq!(segment_writer.lifecycler.ring.replication_factor, 3);
    assert!(config.ingester.is_none() && config.compactor.is_none());
    assert!(config.store_gateway.is_none() && config.pyroscopedb.is_none());
}

#[test]
fn small_v2_config_replication_and_peers() {
    let outcome = run(minimal(), &v2_settings());
    let config = outcome.config.as_ref().expect("builds");
    let metastore = config.metastore.as_ref().expect("v2");
    assert_eq!(metastore.raft.bootstrap_expect_peers, 1);
    assert_eq!(
        metastore.raft.bootstrap_peers,
        [
            "pyroscope-metastore-0.pyroscope-metastore-endpoints:9099/pyroscope-metastore-0.pyroscope-metastore-endpoints:9099"
        ]
    );
    assert!(metastore.raft.auto_join);
    assert_eq!(metastore.address.as_deref(), Some("pyroscope-metastore-0.pyroscope-metastore-endpoints:9095"));
    assert_eq!(config.segment_writer.as_ref().expect("v2").lifecycler.ring.replication_factor, 1);
    let query_backend = config.query_backend.as_ref().expect("a query-backend unit counts");
    assert_eq!(query_backend.address, "dns:///pyroscope-query-backend-endpoints:9095");

    // No metastore or query-backend unit yet: a single expected peer, no addresses.
    let without: Vec<WorkerRelation> = minimal()
        .into_iter()
        .filter(|r| !["pyroscope-metastore", "pyroscope-query-backend"].contains(&r.app.as_str()))
        .collect();
    let outcome = run(without, &v2_settings());
    let config = outcome.config.as_ref().expect("builds");
    let metastore = config.metastore.as_ref().expect("v2");
    assert_eq!((metastore.raft.bootstrap_expect_peers, metastore.address.as_deref()), (1, None));
    assert!(metastore.raft.bootstrap_peers.is_empty());
    assert_eq!(config.query_backend, None);
    check_yaml(PyroscopeRelease::V2_2_1, &config.to_yaml().expect("renders")).expect("still valid");
}

#[test]
fn v2_worker_ports_differ_per_relation_and_nothing_else_does() {
    let outcome = run(cluster(V2_RECOMMENDED_DEPLOYMENT), &v2_settings());
    let plan = outcome.plan.as_ref().expect("complete settings");
    let mut ports = Vec::new();
    for write in plan.writes() {
        let databag = plan.databag_for(write.relation);
        let data = ProviderAppData::decode(databag).expect("reads back");
        let app = &outcome.view.relation(write.relation).expect("reported").app;
        ports.push((app.clone(), databag["worker_ports"].clone()));
        let mut without_ports = databag.clone();
        without_ports.remove("worker_ports");
        let mut reference = plan.databag().clone();
        reference.remove("worker_ports");
        assert_eq!(without_ports, reference, "{app}: only worker_ports differs");
        assert_eq!(data.worker_config, ProviderAppData::decode(plan.databag()).unwrap().worker_config);
    }
    let metastore = ports.iter().find(|(app, _)| app == "pyroscope-metastore").expect("metastore");
    assert_eq!(metastore.1, "[7946, 4040, 9095, 9099]");
    let others: Vec<&str> =
        ports.iter().filter(|(app, _)| app != "pyroscope-metastore").map(|(_, p)| p.as_str()).collect();
    assert_eq!(others, ["[7946, 4040, 9095]"; 7]);

    let all = run([worker(1, "pyroscope", "all", 1)], &v2_settings());
    let plan = all.plan.as_ref().expect("complete settings");
    assert_eq!(plan.databag_for(1.into())["worker_ports"], "[7946, 4040, 9095, 9099]");
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 48, failure_persistence: None, ..Default::default() })]

    /// The v2 invariant: every ready relation gets a databag that differs from the others' in
    /// `worker_ports` only, `worker_config` byte-identical everywhere; its `worker_ports` is
    /// 7946, 4040, 9095, and 9099 when its roles include `metastore` or `all`. The order of the
    /// relations changes no byte.
    #[test]
    fn v2_databags_differ_in_worker_ports_only(
        apps in proptest::collection::vec(
            (pyroscope_cluster_model::strategies::roles_of(Architecture::V2), 1usize..=3),
            1..=6,
        ),
        reversed in proptest::bool::ANY,
    ) {
        let mut relations: Vec<WorkerRelation> = apps
            .iter()
            .zip(1u32..)
            .map(|((roles, units), id)| worker(id, &format!("app-{id}"), &roles.to_string(), *units))
            .collect();
        let forward = run(relations.clone(), &v2_settings());
        relations.reverse();
        let backward = run(relations, &v2_settings());
        proptest::prop_assert_eq!(&forward.plan, &backward.plan);
        let outcome = if reversed { backward } else { forward };
        let plan = outcome.plan.as_ref().expect("complete settings");
        proptest::prop_assert_eq!(plan.writes().len(), apps.len());
        let config = ProviderAppData::decode(plan.databag()).expect("reads back").worker_config;
        for (write, (roles, _)) in plan.writes().iter().zip(&apps) {
            let databag = plan.databag_for(write.relation);
            proptest::prop_assert_eq!(&ProviderAppData::decode(databag).expect("reads back").worker_config, &config);
            let mut rest = databag.clone();
            let ports = rest.remove("worker_ports").expect("published");
            let mut reference = plan.databag().clone();
            reference.remove("worker_ports");
            proptest::prop_assert_eq!(rest, reference);
            let raft = roles.contains(Role::Metastore) || roles.contains(Role::All);
            let want = if raft { "[7946, 4040, 9095, 9099]" } else { "[7946, 4040, 9095]" };
            proptest::prop_assert_eq!(ports, want);
        }
    }
}

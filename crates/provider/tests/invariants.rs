//! The provider's invariants over arbitrary clusters: any mix of roles, units, invalid data and
//! duplicate addresses. The expectations come from decoding each databag with the model directly,
//! not from the view.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use pyroscope_cluster_model::strategies::{self, text};
use pyroscope_cluster_model::yaml;
use pyroscope_cluster_model::{
    Address, Architecture, DatabagModel, JujuTopology, RawDatabag, RequirerAppData, RequirerUnitData, Role, Roles,
};
use pyroscope_cluster_provider::{
    DecodedRelation, Extras, Period, Ports, PyroscopeConfig, PyroscopeRelease, RelationId, S3Settings, Settings,
    Snapshot, StorageArchitecture, WorkerPorts, WorkerRelation, reconcile, reconcile_decoded,
};
use pyroscope_cluster_release::{check_value, check_yaml};

/// What a worker app's databag holds.
#[derive(Debug, Clone)]
enum AppCase {
    Valid(Roles),
    Missing,
    Unknown,
    NotJson,
    NotAString,
}

/// What a worker unit's databag holds.
#[derive(Debug, Clone)]
enum UnitCase {
    Valid(RequirerUnitData),
    Empty,
    NoAddress(JujuTopology),
    BadAddress(JujuTopology),
    BadTopology(Address),
}

/// Addresses several units share, so duplicates are common.
fn shared_address() -> impl Strategy<Value = Address> {
    proptest::sample::select(&["worker-0.endpoints", "worker-1.endpoints", "10.0.0.1", "fd00::1", "w"][..])
        .prop_map(|text| Address::try_from(text).expect("valid address"))
}

fn address() -> impl Strategy<Value = Address> {
    prop_oneof![shared_address(), strategies::address()]
}

fn app_case() -> impl Strategy<Value = AppCase> {
    prop_oneof![
        6 => strategies::roles().prop_map(AppCase::Valid),
        1 => Just(AppCase::Missing),
        1 => Just(AppCase::Unknown),
        1 => Just(AppCase::NotJson),
        1 => Just(AppCase::NotAString),
    ]
}

fn unit_case() -> impl Strategy<Value = UnitCase> {
    prop_oneof![
        8 => (address(), strategies::juju_topology())
            .prop_map(|(address, juju_topology)| UnitCase::Valid(RequirerUnitData { address, juju_topology })),
        1 => Just(UnitCase::Empty),
        1 => strategies::juju_topology().prop_map(UnitCase::NoAddress),
        1 => strategies::juju_topology().prop_map(UnitCase::BadAddress),
        1 => address().prop_map(UnitCase::BadTopology),
    ]
}

fn app_databag(case: &AppCase) -> RawDatabag {
    let raw = |value: &str| RawDatabag::from([("role".to_owned(), value.to_owned())]);
    match case {
        AppCase::Valid(role) => RequirerAppData { role: role.clone() }.encode(),
        AppCase::Missing => RawDatabag::new(),
        AppCase::Unknown => raw(r#""querier,imposter""#),
        AppCase::NotJson => raw("querier"),
        AppCase::NotAString => raw(r#"["querier"]"#),
    }
}

fn unit_databag(case: &UnitCase) -> RawDatabag {
    let topology_only = |juju_topology: &JujuTopology| {
        let data =
            RequirerUnitData { address: "placeholder".parse().expect("valid"), juju_topology: juju_topology.clone() };
        let mut databag = data.encode();
        databag.remove("address");
        databag
    };
    match case {
        UnitCase::Valid(data) => data.encode(),
        UnitCase::Empty => RawDatabag::new(),
        UnitCase::NoAddress(topology) => topology_only(topology),
        UnitCase::BadAddress(topology) => {
            let mut databag = topology_only(topology);
            databag.insert("address".to_owned(), r#""worker-0:7946""#.to_owned());
            databag
        }
        UnitCase::BadTopology(address) => {
            let data = RequirerUnitData {
                address: address.clone(),
                juju_topology: JujuTopology {
                    application: String::new(),
                    unit: String::new(),
                    charm_name: String::new(),
                    model: None,
                    model_uuid: None,
                },
            };
            let mut databag = data.encode();
            databag.insert("juju_topology".to_owned(), r#"{"application": "w"}"#.to_owned());
            databag
        }
    }
}

/// What the coordinator's app databag on a relation holds before the reconcile.
fn published() -> impl Strategy<Value = RawDatabag> {
    prop_oneof![
        Just(RawDatabag::new()),
        Just(RawDatabag::from([("worker_config".to_owned(), r#""stale: true""#.to_owned())])),
        Just(RawDatabag::from([("ca_cert".to_owned(), r#""PEM""#.to_owned()), ("x".to_owned(), "1".to_owned())])),
    ]
}

/// Up to six worker relations with unique IDs, each with up to five units.
fn cluster() -> impl Strategy<Value = Vec<WorkerRelation>> {
    vec((app_case(), vec(unit_case(), 0..=5), published()), 0..=6).prop_map(|relations| {
        relations
            .into_iter()
            .enumerate()
            .map(|(i, (app, units, published))| {
                let name = format!("worker-{i}");
                WorkerRelation {
                    id: RelationId(i as u32 * 3 + 1),
                    app_data: app_databag(&app),
                    units: units
                        .iter()
                        .enumerate()
                        .map(|(n, unit)| (format!("{name}/{n}"), unit_databag(unit)))
                        .collect(),
                    app: name,
                    published,
                }
            })
            .collect()
    })
}

/// A duration in Prometheus's grammar (units largest first, each once), as the Canonical charm's
/// options take it and more: what the retention takes.
fn prometheus_period() -> impl Strategy<Value = Period> {
    let part = |unit: &'static str, max: u64| option::of((0..=max).prop_map(move |n| format!("{n}{unit}")));
    prop_oneof![
        1 => Just(Period::ZERO),
        6 => (part("y", 200), part("w", 52), part("d", 400), part("h", 100), part("m", 100), part("s", 100), part("ms", 999))
            .prop_filter_map("at least one unit", |(y, w, d, h, m, s, ms)| {
                let text: String = [y, w, d, h, m, s, ms].into_iter().flatten().collect();
                (!text.is_empty()).then(|| text.parse().expect("a Prometheus duration"))
            }),
    ]
}

/// A duration either grammar takes: what the compactor settings take.
fn period() -> impl Strategy<Value = Period> {
    prop_oneof![
        prometheus_period(),
        "[0-9]{1,5}(\\.[0-9]{0,3})?(ns|us|µs|ms|s|m|h)([0-9]{1,3}(ns|us|ms|s|m|h))?"
            .prop_map(|text| text.parse().expect("a Go duration")),
    ]
}

/// Any complete settings; strings are arbitrary Unicode, to test the YAML's quoting.
fn settings() -> impl Strategy<Value = Settings> {
    let s3 = (text(20), text(20), text(20), text(40), option::of(text(10)), option::of(any::<bool>())).prop_map(
        |(endpoint, bucket_name, access_key_id, secret_access_key, region, insecure)| S3Settings {
            endpoint: format!("e{}", endpoint.replace(['/', '?', '#', '@'], "")),
            bucket_name: format!("b{bucket_name}"),
            access_key_id,
            secret_access_key,
            region,
            insecure,
            tls_ca_chain: None,
        },
    );
    let url = option::of("https?://[a-z0-9.-]{1,12}(:[0-9]{1,5})?(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,8}){0,3}/?");
    let ports = (1u16..=u16::MAX, 1u16..=u16::MAX).prop_filter("distinct ports", |(a, b)| a != b);
    let release = proptest::sample::select(&PyroscopeRelease::ALL[..]);
    (s3, url, prometheus_period(), period(), period(), text(30), ports, release).prop_map(
        |(
            s3,
            external_url,
            retention_period,
            compactor_cleanup_interval,
            compactor_deletion_delay,
            data_path,
            (http, gossip),
            pyroscope,
        )| {
            Settings {
                pyroscope,
                architecture: Architecture::V1,
                external_url,
                s3,
                retention_period,
                compactor_cleanup_interval,
                compactor_deletion_delay,
                data_path: format!("/{data_path}"),
                ports: Ports {
                    http: http.try_into().expect("non-zero"),
                    memberlist: gossip.try_into().expect("non-zero"),
                },
            }
        },
    )
}

/// The cluster as the model alone sees it: the addresses and roles of the valid units (those
/// whose own and whose app's databag decode), and the ready relations.
#[derive(Debug, Default)]
struct Expected {
    addresses: BTreeSet<Address>,
    units_by_role: BTreeMap<Role, usize>,
    addresses_by_role: BTreeMap<Role, BTreeSet<Address>>,
    ready: Vec<RelationId>,
}

fn expected(relations: &[WorkerRelation]) -> Expected {
    let mut expected = Expected::default();
    for relation in relations {
        let app = RequirerAppData::decode(&relation.app_data).ok();
        let units: Vec<_> = relation.units.values().map(RequirerUnitData::decode).collect();
        if let Some(app) = &app {
            for unit in units.iter().flatten() {
                expected.addresses.insert(unit.address.clone());
                for role in app.role.expanded() {
                    *expected.units_by_role.entry(role).or_default() += 1;
                    expected.addresses_by_role.entry(role).or_default().insert(unit.address.clone());
                }
            }
        }
        if app.is_some() && !units.is_empty() && units.iter().all(Result::is_ok) {
            expected.ready.push(relation.id);
        }
    }
    expected.ready.sort();
    expected
}

fn fixed_settings() -> Settings {
    common::settings()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        // Relative to the crate (where `cargo test` runs); commit what lands there.
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct("proptest-regressions/invariants.txt"))),
        ..ProptestConfig::default()
    })]

    /// Every valid unit's address is in `join_members` exactly once, with the memberlist port,
    /// sorted by address; no address of an invalid unit only is.
    #[test]
    fn join_members_are_the_valid_addresses(relations in cluster()) {
        let outcome = reconcile(&Snapshot::from_iter(relations.clone()), &fixed_settings(), &Extras::default());
        let config = outcome.config.expect("complete settings");
        let want: Vec<String> = expected(&relations).addresses.iter().map(|a| a.with_port(7946).to_string()).collect();
        prop_assert_eq!(&config.memberlist.join_members, &want);
        let distinct: BTreeSet<&String> = config.memberlist.join_members.iter().collect();
        prop_assert_eq!(distinct.len(), config.memberlist.join_members.len());
    }

    /// Exactly the ready relations get a write; applying it leaves every one of them with the
    /// same bytes, the model's encoding of the configuration.
    #[test]
    fn ready_relations_get_the_same_bytes_and_no_other_gets_any(relations in cluster()) {
        let snapshot = Snapshot::from_iter(relations.clone());
        let outcome = reconcile(&snapshot, &fixed_settings(), &Extras::default());
        let plan = outcome.plan.as_ref().expect("complete settings");
        let written: Vec<RelationId> = plan.writes().iter().map(|write| write.relation).collect();
        prop_assert_eq!(&written, &expected(&relations).ready);
        let yaml = outcome.config.as_ref().expect("complete settings").to_yaml().expect("renders");
        prop_assert_eq!(plan.databag(), &Extras::default().provider_app_data(yaml, &fixed_settings()).encode());
        for write in plan.writes() {
            let relation = relations.iter().find(|r| r.id == write.relation).expect("a relation of the snapshot");
            let mut after = relation.published.clone();
            write.changes.apply(&mut after);
            prop_assert_eq!(&after, plan.databag());
        }
        let ready: Vec<RelationId> = outcome.view.ready_relations().map(|report| report.id).collect();
        prop_assert_eq!(ready, written);
    }

    /// The order of relations in the snapshot changes no byte and no decision.
    #[test]
    fn order_changes_nothing(relations in cluster().prop_flat_map(|r| (Just(r.clone()), Just(r).prop_shuffle()))) {
        let (ordered, shuffled) = relations;
        let a = reconcile(&Snapshot::from_iter(ordered), &fixed_settings(), &Extras::default());
        let b = reconcile(&Snapshot::from_iter(shuffled), &fixed_settings(), &Extras::default());
        let yaml = |r: &pyroscope_cluster_provider::Reconciliation| r.config.as_ref().expect("complete").to_yaml().expect("renders");
        prop_assert_eq!(yaml(&a), yaml(&b));
        prop_assert_eq!(&a.plan, &b.plan);
        prop_assert_eq!(&a.view, &b.view);
        prop_assert_eq!(a.status(), b.status());
    }

    /// Units per role count the valid units, meta-roles expanded; the ingester and store-gateway
    /// replication factors are 3 from three distinct addresses of such units on, else 1.
    #[test]
    fn counts_and_replication_factors_follow_the_valid_units(relations in cluster()) {
        let outcome = reconcile(&Snapshot::from_iter(relations.clone()), &fixed_settings(), &Extras::default());
        let expected = expected(&relations);
        prop_assert_eq!(outcome.view.units_by_role(), &expected.units_by_role);
        let config = outcome.config.expect("complete settings");
        let factor = |role| if expected.addresses_by_role.get(&role).map_or(0, BTreeSet::len) >= 3 { 3 } else { 1 };
        prop_assert_eq!(config.ingester.as_ref().expect("v1").lifecycler.ring.replication_factor, factor(Role::Ingester));
        prop_assert_eq!(config.store_gateway.as_ref().expect("v1").sharding_ring.replication_factor, factor(Role::StoreGateway));
        prop_assert_eq!(outcome.coherence.is_coherent(), Role::CORE.iter().all(|role| expected.units_by_role.contains_key(role)));
    }

    /// The YAML reads back to the same configuration, whatever the settings hold, and every
    /// rendering is one its release takes (`to_yaml` checks it against the release's key table).
    #[test]
    fn yaml_reads_back_to_the_same_config(relations in cluster(), settings in settings()) {
        let outcome = reconcile(&Snapshot::from_iter(relations), &settings, &Extras::default());
        let config = outcome.config.expect("complete settings");
        let text = config.to_yaml().expect("renders, and the release takes it");
        let back = PyroscopeConfig { pyroscope: settings.pyroscope, ..PyroscopeConfig::from_yaml(&text).expect("reads back") };
        prop_assert_eq!(&back, &config);
        prop_assert_eq!(text.contains("architecture_storage"), settings.pyroscope.has_architecture_storage());
        // `to_yaml` checks the value's tree, not the text read back: both give the same outcome,
        // on this configuration and on one whose `architecture_storage` every release but the
        // ones that have it refuses (and those, the other way round).
        let flipped = PyroscopeConfig {
            architecture_storage: match config.architecture_storage {
                Some(_) => None,
                None => Some(StorageArchitecture::V1),
            },
            ..config.clone()
        };
        for config in [&config, &flipped] {
            for release in PyroscopeRelease::ALL {
                let text = yaml::to_string_pyyaml(config).expect("writes");
                let by_text = check_yaml(release, &text).map_err(|err| err.to_string());
                prop_assert_eq!(check_value(release, config).map_err(|err| err.to_string()), by_text);
            }
        }
    }

    /// Relations whose units were decoded as they were read reconcile as the snapshot they were
    /// read from, in either architecture and whichever ports the workers are told: the same
    /// view, configuration, plan and status; their units move into the view.
    #[test]
    fn decoded_relations_reconcile_as_their_snapshot(
        relations in cluster(),
        settings in settings(),
        v2 in any::<bool>(),
        worker_ports in prop_oneof![Just(WorkerPorts::Settings), Just(WorkerPorts::Exactly(vec![])), Just(WorkerPorts::Unpublished)],
    ) {
        let settings = Settings { architecture: if v2 { Architecture::V2 } else { Architecture::V1 }, ..settings };
        let extras = Extras { worker_ports, ..Extras::default() };
        let raw = reconcile(&Snapshot::from_iter(relations.clone()), &settings, &extras);
        let mut decoded: Vec<DecodedRelation> = relations.iter().cloned().map(DecodedRelation::from).collect();
        let from_decoded = reconcile_decoded(&mut decoded, &settings, &extras);
        prop_assert_eq!(&from_decoded.view, &raw.view);
        prop_assert_eq!(&from_decoded.coherence, &raw.coherence);
        prop_assert_eq!(from_decoded.config.as_ref().ok(), raw.config.as_ref().ok());
        prop_assert_eq!(
            from_decoded.config.as_ref().err().map(ToString::to_string),
            raw.config.as_ref().err().map(ToString::to_string)
        );
        prop_assert_eq!(&from_decoded.plan, &raw.plan);
        prop_assert_eq!(from_decoded.status(), raw.status());
        for (relation, left) in relations.iter().zip(&decoded) {
            prop_assert!(left.units.is_empty());
            prop_assert_eq!((left.id, &left.app, &left.app_data, &left.published), (relation.id, &relation.app, &relation.app_data, &relation.published));
        }
    }
}

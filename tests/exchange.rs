//! A full exchange over in-memory databags: workers publish, the coordinator answers, each worker
//! gets its config and command line; then a worker unit leaves, and the others rewrite their
//! config with the new member list without restarting.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pyroscope_cluster_model::{DatabagModel, JujuTopology, ProviderAppData, RawDatabag};
use pyroscope_cluster_provider::{
    Extras, Reconciliation, S3Settings, Settings, Snapshot, StatusLevel, WorkerRelation, reconcile,
};
use pyroscope_cluster_requirer::{
    Announcement, Command, ConfigChange, CoordinatorState, InvalidData, Leadership, PyroscopeRelease, Seen, ThisWorker,
    roles_from_options, write_config_file,
};

/// One worker unit, with its own config file.
struct Unit {
    name: String,
    announcement: Announcement,
    databag: RawDatabag,
    config_file: PathBuf,
    command: Option<Command>,
}

/// One worker application and its relation with the coordinator.
struct WorkerApp {
    /// The Pyroscope release its image runs.
    pyroscope: PyroscopeRelease,
    relation_id: u32,
    name: String,
    app_databag: RawDatabag,
    /// The coordinator's app databag on this relation, as the workers see it.
    coordinator_databag: RawDatabag,
    units: Vec<Unit>,
}

impl WorkerApp {
    fn new(relation_id: u32, name: &str, role_options: &[&str], units: usize, dir: &tempfile::TempDir) -> Self {
        let options: Vec<(String, bool)> = ["all", "querier", "query-frontend", "query-scheduler", "ingester"]
            .iter()
            .chain(&["distributor", "compactor", "store-gateway", "tenant-settings", "ad-hoc-profiles"])
            .map(|role| (format!("role-{role}"), role_options.contains(role)))
            .collect();
        let roles = roles_from_options(options.iter().map(|(option, on)| (option.as_str(), *on))).unwrap();
        let units = (0..units)
            .map(|n| {
                let unit = format!("{name}/{n}");
                Unit {
                    announcement: Announcement {
                        roles: Some(roles.clone()),
                        address: format!("{name}-{n}.{name}-endpoints.cos.svc.cluster.local").parse().unwrap(),
                        juju_topology: JujuTopology {
                            application: name.into(),
                            unit: unit.clone(),
                            charm_name: "pyroscope-worker-k8s".into(),
                            model: Some("cos".into()),
                            model_uuid: None,
                        },
                    },
                    databag: RawDatabag::from([("ingress-address".into(), format!("10.1.{relation_id}.{n}"))]),
                    config_file: dir.path().join(format!("{name}-{n}.yaml")),
                    command: None,
                    name: unit,
                }
            })
            .collect();
        Self {
            pyroscope: PyroscopeRelease::default(),
            relation_id,
            name: name.into(),
            app_databag: RawDatabag::new(),
            coordinator_databag: RawDatabag::new(),
            units,
        }
    }

    /// Every unit publishes; unit 0 is the leader, the others are told they are not.
    fn publish(&mut self) {
        for (n, unit) in self.units.iter_mut().enumerate() {
            let leadership =
                if n == 0 { Leadership::Leader { app_databag: &self.app_databag } } else { Leadership::Follower };
            let plan = unit.announcement.plan(&unit.databag, leadership);
            plan.unit.apply(&mut unit.databag);
            match plan.app {
                Ok(changes) => changes.apply(&mut self.app_databag),
                Err(not_leader) => assert_eq!(not_leader.unit, unit.name),
            }
        }
    }

    /// The relation as the coordinator's leader reads it.
    fn relation(&self) -> WorkerRelation {
        WorkerRelation {
            id: self.relation_id.into(),
            app: self.name.clone(),
            app_data: self.app_databag.clone(),
            units: self.units.iter().map(|unit| (unit.name.clone(), unit.databag.clone())).collect(),
            published: self.coordinator_databag.clone(),
        }
    }

    /// Every unit reads the coordinator's data, checked for its release and address, and
    /// decides; returns each unit's decision.
    fn run(&mut self) -> BTreeMap<String, ConfigChange> {
        let mut decisions = BTreeMap::new();
        for unit in &mut self.units {
            let seen = Seen::from_config_file_exists(unit.config_file.exists());
            let this = ThisWorker { pyroscope: self.pyroscope, address: &unit.announcement.address };
            let state = CoordinatorState::read_for(&self.coordinator_databag, seen, &this);
            let data = state.data().unwrap_or_else(|| panic!("{}: coordinator data not ready: {state:?}", unit.name));
            let on_disk = std::fs::read_to_string(&unit.config_file).ok();
            let change = ConfigChange::decide(on_disk.as_deref(), data.config());
            if change.needs_write() {
                write_config_file(&unit.config_file, data.config().text()).unwrap();
            }
            let roles = unit.announcement.roles.as_ref().unwrap();
            unit.command = Some(Command::new(unit.config_file.to_str().unwrap(), roles));
            decisions.insert(unit.name.clone(), change);
        }
        decisions
    }
}

fn settings() -> Settings {
    Settings {
        external_url: Some("https://cos.example/pyroscope".into()),
        s3: S3Settings {
            endpoint: "minio.cos.svc.cluster.local:9000".into(),
            bucket_name: "pyroscope".into(),
            access_key_id: "access".into(),
            secret_access_key: "secret".into(),
            insecure: Some(true),
            ..S3Settings::default()
        },
        ..Settings::default()
    }
}

/// The coordinator reconciles and writes to every relation the plan names.
fn coordinate(apps: &mut [WorkerApp]) -> Reconciliation {
    coordinate_with(apps, &settings())
}

fn coordinate_with(apps: &mut [WorkerApp], settings: &Settings) -> Reconciliation {
    let snapshot: Snapshot = apps.iter().map(WorkerApp::relation).collect();
    let outcome = reconcile(&snapshot, settings, &Extras::default());
    let plan = outcome.plan.as_ref().expect("complete settings give a plan");
    for write in plan.writes() {
        let app = apps.iter_mut().find(|app| write.relation == app.relation_id.into()).unwrap();
        write.changes.apply(&mut app.coordinator_databag);
    }
    outcome
}

fn join_members(app: &WorkerApp) -> Vec<String> {
    let data = ProviderAppData::decode(&app.coordinator_databag).unwrap();
    let state = CoordinatorState::read(&data.encode(), Seen::Nothing);
    state.data().unwrap().config().join_members().into_iter().map(str::to_owned).collect()
}

#[test]
fn workers_join_and_a_unit_leaves_without_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut apps = vec![
        WorkerApp::new(3, "pyroscope-read", &["querier", "query-frontend", "query-scheduler"], 2, &dir),
        WorkerApp::new(5, "pyroscope-write", &["distributor", "ingester"], 4, &dir),
        WorkerApp::new(
            8,
            "pyroscope-backend",
            &["compactor", "store-gateway", "tenant-settings", "ad-hoc-profiles"],
            1,
            &dir,
        ),
    ];

    // Before the workers publish, no relation is ready and nothing is written.
    let outcome = coordinate(&mut apps);
    assert_eq!(outcome.view.ready_relations().count(), 0);
    assert!(apps.iter().all(|app| app.coordinator_databag.is_empty()));
    assert_eq!(outcome.status().level, StatusLevel::Blocked);

    // Workers publish; the leader wrote the roles sorted, as the Python worker does.
    for app in &mut apps {
        app.publish();
    }
    assert_eq!(apps[1].app_databag["role"], r#""distributor,ingester""#);

    // The coordinator answers every relation with the same bytes.
    let outcome = coordinate(&mut apps);
    assert_eq!(outcome.status().level, StatusLevel::Active, "{}", outcome.status().message);
    assert!(outcome.coherence.is_coherent());
    assert_eq!(outcome.view.addresses().len(), 7);
    assert!(apps.iter().all(|app| app.coordinator_databag == apps[0].coordinator_databag));
    let members = join_members(&apps[0]);
    assert_eq!(members.len(), 7);
    assert!(members.contains(&"pyroscope-write-3.pyroscope-write-endpoints.cos.svc.cluster.local:7946".to_owned()));

    // Each worker unit gets its config and command line, and starts.
    for app in &mut apps {
        for (unit, change) in app.run() {
            assert!(change.needs_write() && change.needs_restart(), "{unit}: {change}");
        }
    }
    let command = apps[1].units[0].command.as_ref().unwrap();
    assert_eq!(command.argv()[0], "pyroscope");
    assert_eq!(command.args()[1], "-target=distributor,ingester");
    let command = apps[0].units[1].command.as_ref().unwrap();
    assert_eq!(command.args()[1], "-target=querier,query-frontend,query-scheduler");

    // A second hook with nothing new changes nothing anywhere.
    let outcome = coordinate(&mut apps);
    assert_eq!(outcome.plan.as_ref().unwrap().changes().count(), 0);
    for app in &mut apps {
        assert!(app.run().values().all(|change| !change.needs_write()));
    }

    // pyroscope-write/3 leaves. Three ingesters remain, so the replication factor stays 3. The
    // coordinator republishes to all; everyone else sees six members and rewrites the file
    // without restarting.
    apps[1].units.pop();
    let outcome = coordinate(&mut apps);
    assert_eq!(outcome.plan.as_ref().unwrap().changes().count(), 3);
    assert_eq!(outcome.view.units_with(pyroscope_cluster_model::Role::Ingester), 3);
    let members = join_members(&apps[2]);
    assert_eq!(members.len(), 6);
    assert!(!members.iter().any(|member| member.starts_with("pyroscope-write-3.")));
    for app in &mut apps {
        for (unit, change) in app.run() {
            assert!(change.needs_write() && !change.needs_restart(), "{unit}: {change}");
            assert!(change.to_string().contains("memberlist.join_members"), "{unit}: {change}");
        }
    }
    for app in &apps {
        for unit in &app.units {
            let text = std::fs::read_to_string(&unit.config_file).unwrap();
            assert!(!text.contains("pyroscope-write-3."), "{} still lists the departed unit", unit.name);
        }
    }
}

#[test]
fn losing_an_ingester_below_three_restarts_for_the_replication_factor() {
    let dir = tempfile::tempdir().unwrap();
    let mut apps = vec![WorkerApp::new(1, "pyroscope", &["all"], 3, &dir)];
    apps[0].publish();
    coordinate(&mut apps);
    apps[0].run();
    apps[0].units.pop();
    coordinate(&mut apps);
    for (unit, change) in apps[0].run() {
        assert!(change.needs_restart(), "{unit}: {change}");
        assert!(change.to_string().contains("ingester.lifecycler.ring.replication_factor"), "{unit}: {change}");
    }
}

/// A coordinator set to render for Pyroscope 2.2 while its workers run 1.18: every worker
/// refuses the configuration, writes nothing and keeps running what it has; set back, they take
/// the 1.18 configuration again without a change.
#[test]
fn workers_refuse_a_configuration_for_another_release_and_keep_running() {
    let dir = tempfile::tempdir().unwrap();
    let mut apps = vec![WorkerApp::new(1, "pyroscope", &["all"], 2, &dir)];
    apps[0].publish();
    coordinate(&mut apps);
    apps[0].run();
    let before: Vec<String> =
        apps[0].units.iter().map(|unit| std::fs::read_to_string(&unit.config_file).unwrap()).collect();

    let two = Settings { pyroscope: PyroscopeRelease::V2_2_1, ..settings() };
    coordinate_with(&mut apps, &two);
    for (n, unit) in apps[0].units.iter().enumerate() {
        let seen = Seen::from_config_file_exists(unit.config_file.exists());
        let this = ThisWorker { pyroscope: apps[0].pyroscope, address: &unit.announcement.address };
        match CoordinatorState::read_for(&apps[0].coordinator_databag, seen, &this) {
            CoordinatorState::Invalid(InvalidData::Refused(refusal)) => {
                let paths: Vec<&str> = refusal.problems.iter().map(|problem| problem.path.as_str()).collect();
                assert_eq!(paths, ["architecture_storage"]);
            }
            other => panic!("{}: {other:?}", unit.name),
        }
        assert_eq!(std::fs::read_to_string(&unit.config_file).unwrap(), before[n], "nothing written");
    }

    // Workers on 2.2 take it.
    apps[0].pyroscope = PyroscopeRelease::V2_2_1;
    for (unit, change) in apps[0].run() {
        assert!(change.needs_restart(), "{unit}: {change}");
    }
    // Back on 1.18: the 1.18 configuration is the one the 1.18 workers first wrote.
    apps[0].pyroscope = PyroscopeRelease::V1_18_2;
    coordinate(&mut apps);
    apps[0].run();
    let after: Vec<String> =
        apps[0].units.iter().map(|unit| std::fs::read_to_string(&unit.config_file).unwrap()).collect();
    assert_eq!(after, before);
}

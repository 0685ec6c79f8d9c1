//! Snapshots of what a worker writes: the databag changes it publishes and the command line it
//! runs. Each databag value is shown as the exact bytes that go on the wire.

use pyroscope_cluster_model::{JujuTopology, RawDatabag};
use pyroscope_cluster_requirer::{Announcement, AnnouncementPlan, Command, DatabagChanges, Leadership};

fn topology(unit: &str) -> JujuTopology {
    JujuTopology {
        application: unit.split('/').next().unwrap().into(),
        unit: unit.into(),
        charm_name: "pyroscope-worker-k8s".into(),
        model: None,
        model_uuid: None,
    }
}

fn announcement(roles: Option<&str>, address: &str, unit: &str) -> Announcement {
    Announcement {
        roles: roles.map(|roles| roles.parse().unwrap()),
        address: address.parse().unwrap(),
        juju_topology: topology(unit),
    }
}

fn show_changes(out: &mut String, title: &str, changes: &DatabagChanges) {
    out.push_str(&format!("{title}:\n"));
    for (key, value) in &changes.set {
        out.push_str(&format!("  set {key} = {value}\n"));
    }
    for key in &changes.delete {
        out.push_str(&format!("  delete {key}\n"));
    }
    if changes.is_empty() {
        out.push_str("  (nothing)\n");
    }
}

fn show(plan: &AnnouncementPlan) -> String {
    let mut out = String::new();
    match &plan.app {
        Ok(changes) => show_changes(&mut out, "app databag", changes),
        Err(not_leader) => out.push_str(&format!("app databag: not written: {not_leader}\n")),
    }
    show_changes(&mut out, "unit databag", &plan.unit);
    out
}

fn empty() -> RawDatabag {
    RawDatabag::new()
}

fn with_juju_keys() -> RawDatabag {
    RawDatabag::from([
        ("egress-subnets".to_owned(), "10.1.0.7/32".to_owned()),
        ("ingress-address".to_owned(), "10.1.0.7".to_owned()),
        ("private-address".to_owned(), "10.1.0.7".to_owned()),
    ])
}

#[test]
fn leader_publishes_sorted_roles_and_its_unit_data() {
    let me = announcement(
        Some("store-gateway,querier,ingester"),
        "pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local",
        "pyroscope-worker/0",
    );
    insta::assert_snapshot!(show(&me.plan(&with_juju_keys(), Leadership::Leader { app_databag: &empty() })));
}

#[test]
fn leader_with_all_role() {
    let me = announcement(Some("all"), "10.1.0.7", "pyroscope/0");
    insta::assert_snapshot!(show(&me.plan(&empty(), Leadership::Leader { app_databag: &empty() })));
}

#[test]
fn follower_publishes_its_unit_data_only() {
    let me = announcement(Some("all"), "fd00:1::7", "pyroscope/1");
    insta::assert_snapshot!(show(&me.plan(&empty(), Leadership::Follower)));
}

#[test]
fn leader_without_role_withdraws_it_and_drops_stale_keys() {
    let me = announcement(None, "pyroscope-worker-0.pyroscope-worker-endpoints", "pyroscope-worker/0");
    let app = RawDatabag::from([("role".to_owned(), r#""querier""#.to_owned())]);
    let mut unit = with_juju_keys();
    unit.insert("address".into(), r#""pyroscope-worker-0.pyroscope-worker-endpoints""#.into());
    unit.insert("juju_topology".into(), r#"{"application": "pyroscope-worker", "unit": "pyroscope-worker/0"}"#.into());
    unit.insert("stale".into(), "1".into());
    insta::assert_snapshot!(show(&me.plan(&unit, Leadership::Leader { app_databag: &app })));
}

#[test]
fn topology_with_model_and_non_ascii() {
    let mut me = announcement(Some("querier"), "worker-0.example", "pyroscope-wörker/0");
    me.juju_topology.model = Some("cos".into());
    me.juju_topology.model_uuid = Some("2e3f8a4c-0000-4000-8000-000000000000".into());
    insta::assert_snapshot!(show(&me.plan(&empty(), Leadership::Follower)));
}

#[test]
fn command_lines() {
    let lines: Vec<String> = [
        ("/etc/worker/config.yaml", "all"),
        ("/etc/worker/config.yaml", "querier,ingester"),
        ("/etc/worker/config.yaml", "tenant-settings,ad-hoc-profiles,all,querier"),
        ("/var/lib/pyroscope worker/config.yaml", "compactor"),
    ]
    .into_iter()
    .map(|(file, roles)| {
        let command = Command::new(file, &roles.parse().unwrap());
        format!("{roles}\n  argv: {:?}\n  line: {command}", command.argv())
    })
    .collect();
    insta::assert_snapshot!(lines.join("\n"));
}

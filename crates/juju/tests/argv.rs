//! Every call's argv is the one ops 3.9 sends (`ops/hookcmds/*.py`), and reads back to the same
//! call, as the fake tools read it.

use std::collections::BTreeMap;

use pyroscope_cluster_juju::{Call, RelationRef, StatusName};

#[track_caller]
fn check(call: Call, argv: &[&str], stdin: Option<&str>) {
    assert_eq!(call.argv(), argv);
    assert_eq!(call.stdin().as_deref(), stdin);
    let parsed = Call::parse(&call.argv(), stdin.unwrap_or(""), None, &|_| Err("no files".into())).unwrap();
    assert_eq!(parsed, call, "{argv:?} reads back");
}

fn rel() -> RelationRef {
    RelationRef::new("pyroscope-cluster", 3)
}

#[test]
fn argv_as_ops_sends_it() {
    check(
        Call::RelationIds { endpoint: "pyroscope-cluster".into() },
        &["relation-ids", "pyroscope-cluster", "--format=json"],
        None,
    );
    check(
        Call::RelationList { relation: rel(), app: false },
        &["relation-list", "--format=json", "-r", "pyroscope-cluster:3"],
        None,
    );
    check(
        Call::RelationList { relation: rel(), app: true },
        &["relation-list", "--format=json", "--app", "-r", "pyroscope-cluster:3"],
        None,
    );
    check(
        Call::RelationGet { relation: rel(), member: "w/0".into(), app: false, key: None },
        &["relation-get", "--format=json", "-r", "pyroscope-cluster:3", "-", "w/0"],
        None,
    );
    check(
        Call::RelationGet { relation: rel(), member: "w".into(), app: true, key: None },
        &["relation-get", "--format=json", "-r", "pyroscope-cluster:3", "--app", "-", "w"],
        None,
    );
    let data = BTreeMap::from([("role".to_owned(), "\"all\"".to_owned()), ("old".to_owned(), String::new())]);
    check(
        Call::RelationSet { relation: rel(), app: true, data },
        &["relation-set", "-r", "pyroscope-cluster:3", "--app", "--file", "-"],
        Some(r#"{"old":"","role":"\"all\""}"#),
    );
    check(Call::IsLeader, &["is-leader", "--format=json"], None);
    check(Call::ConfigGet { key: None }, &["config-get", "--format=json"], None);
    check(
        Call::SecretGet { id: Some("secret:abc".into()), label: None, refresh: true, peek: false },
        &["secret-get", "--format=json", "secret:abc", "--refresh"],
        None,
    );
    check(
        Call::SecretGrant { id: "secret:abc".into(), relation: 3, unit: None },
        &["secret-grant", "--relation", "3", "secret:abc"],
        None,
    );
    check(
        Call::NetworkGet { binding: "pyroscope-cluster".into(), relation: None },
        &["network-get", "--format=json", "pyroscope-cluster"],
        None,
    );
    check(
        Call::StatusSet { app: true, status: StatusName::Blocked, message: "-x".into() },
        &["status-set", "--application=True", "blocked", "--", "-x"],
        None,
    );
    check(
        Call::StatusGet { app: false },
        &["status-get", "--include-data", "--format=json", "--application=false"],
        None,
    );
    check(Call::ApplicationVersionSet { version: "1.18".into() }, &["application-version-set", "--", "1.18"], None);
    check(
        Call::JujuLog { level: "WARNING".into(), message: "--odd".into() },
        &["juju-log", "--log-level", "WARNING", "--", "--odd"],
        None,
    );
    check(Call::OpenPort { port: 4040, protocol: "tcp".into() }, &["open-port", "4040/tcp"], None);
    check(Call::ClosePort { port: 7946, protocol: "tcp".into() }, &["close-port", "7946/tcp"], None);
    check(Call::OpenedPorts, &["opened-ports", "--format=json"], None);
}

#[test]
fn parse_takes_what_a_python_charm_sends() {
    let argv = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    let hook_relation = RelationRef::new("db", 7);
    let files = |path: &str| if path == "/tmp/k" { Ok("v".to_owned()) } else { Err(format!("no {path}")) };
    // ops names a relation by number alone when it has no endpoint; no -r means the hook's.
    let call = Call::parse(&argv(&["/var/lib/juju/tools/relation-list", "--format=json", "-r", "7"]), "", None, &files)
        .unwrap();
    assert_eq!(call, Call::RelationList { relation: RelationRef::new("", 7), app: false });
    let call =
        Call::parse(&argv(&["relation-get", "--format=json", "-", "db/0"]), "", Some(&hook_relation), &files).unwrap();
    assert_eq!(
        call,
        Call::RelationGet { relation: hook_relation.clone(), member: "db/0".into(), app: false, key: None }
    );
    let call = Call::parse(&argv(&["relation-set", "-r", "7", "--file", "-"]), r#"{"a": "b", "c": ""}"#, None, &files)
        .unwrap();
    let data = BTreeMap::from([("a".to_owned(), "b".to_owned()), ("c".to_owned(), String::new())]);
    assert_eq!(call, Call::RelationSet { relation: RelationRef::new("", 7), app: false, data });
    let call = Call::parse(
        &argv(&["secret-add", "--label", "tls", "--owner", "application", "k#file=/tmp/k"]),
        "",
        None,
        &files,
    )
    .unwrap();
    assert_eq!(
        call,
        Call::SecretAdd {
            label: Some("tls".into()),
            owner: "application".into(),
            content: [("k".to_owned(), "v".to_owned())].into()
        }
    );
    let err = Call::parse(&argv(&["relation-get", "--format=json", "-", "db/0"]), "", None, &files).unwrap_err();
    assert_eq!(err.to_string(), "relation-get: no -r and no relation in this hook");
    let err = Call::parse(&argv(&["relation-set", "-r", "7", "--file", "-"]), "[1]", None, &files).unwrap_err();
    assert_eq!(err.to_string(), "relation-set: standard input is not a map");
    let err = Call::parse(&argv(&["juju-reboot"]), "", None, &files).unwrap_err();
    assert_eq!(err.to_string(), "juju-reboot: not a hook tool this crate knows");
}

#[test]
fn relation_set_values_and_keys_are_not_in_debug() {
    let call = Call::RelationSet {
        relation: rel(),
        app: true,
        data: [("worker_config".to_owned(), "secret_access_key: hunter2".to_owned())].into(),
    };
    let shown = format!("{call:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("worker_config"), "{shown}");
}

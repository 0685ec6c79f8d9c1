//! Every call's argv is the one ops 3.9 sends (`ops/hookcmds/*.py`), and reads back to the same
//! call, as the fake tools read it.

use std::collections::BTreeMap;

use pyroscope_cluster_juju::{Call, RelationRef, StatusName, StatusTarget};

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
        &["secret-get", "--format=json", "--refresh", "--", "secret:abc"],
        None,
    );
    // An ID that looks like an option is still the ID: it comes after `--`.
    check(
        Call::SecretGet { id: Some("--peek".into()), label: None, refresh: true, peek: false },
        &["secret-get", "--format=json", "--refresh", "--", "--peek"],
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

/// `secret-add` passes no value as an argument (any user reads arguments in the process list): a
/// `key#file=` per key, as ops does; the runner writes the files in a private directory, and
/// removes them when the tool is done.
#[test]
fn secret_add_passes_its_content_in_files() {
    use pyroscope_cluster_juju::{HookTools, Subprocess};
    use std::os::unix::fs::PermissionsExt;

    let call = Call::SecretAdd {
        label: Some("tls".into()),
        owner: "application".into(),
        content: [("private-key".to_owned(), "-----BEGIN s3cret".to_owned())].into(),
    };
    assert!(!call.argv().iter().any(|arg| arg.contains("s3cret")), "{:?}", call.argv());
    assert_eq!(call.argv(), ["secret-add", "--label", "tls", "--owner", "application", "private-key#file=private-key"]);
    assert_eq!(call.content_files(), [("private-key", "-----BEGIN s3cret")]);

    // A fake `secret-add` that reports its arguments, its file's content and the directory's mode.
    let dir = tempfile::tempdir().unwrap();
    let tool = dir.path().join("secret-add");
    std::fs::write(
        &tool,
        "#!/bin/sh\nfile=${5#private-key#file=}\necho \"$@\" > \"$0.args\"\ncat \"$file\" > \"$0.content\"\n\
         stat -c %a \"$(dirname \"$file\")\" \"$file\" > \"$0.modes\"\necho \"$file\" > \"$0.path\"\necho secret:x\n",
    )
    .unwrap();
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut tools = HookTools::new(Subprocess::default().tools_dir(dir.path()), "c/0");
    assert_eq!(tools.run(&call).unwrap(), "secret:x\n");
    let read = |suffix: &str| std::fs::read_to_string(dir.path().join(format!("secret-add.{suffix}"))).unwrap();
    assert!(!read("args").contains("s3cret"), "{}", read("args"));
    assert_eq!(read("content"), "-----BEGIN s3cret");
    assert_eq!(read("modes"), "700\n600\n");
    let path = read("path");
    assert!(!std::path::Path::new(path.trim()).exists(), "{path} is removed");
}

/// Records the calls it is given; answers nothing.
#[derive(Default)]
struct Recorder(Vec<Call>);

impl pyroscope_cluster_juju::Runner for Recorder {
    fn run(&mut self, call: &Call) -> Result<String, pyroscope_cluster_juju::RunError> {
        self.0.push(call.clone());
        Ok(String::new())
    }
}

/// No message makes a hook tool's argument longer than Linux takes (`MAX_ARG_STRLEN`, 131072
/// bytes with the NUL): a log is split by bytes, a status cut to 120 characters.
#[test]
fn log_and_status_arguments_are_bounded() {
    use pyroscope_cluster_juju::{HookTools, LogLevel};

    let mut tools = HookTools::new(Recorder::default(), "w/0");
    let wide = "é".repeat(131_071);
    tools.log(LogLevel::Error, &wide).unwrap();
    tools.status_set(StatusTarget::Unit, StatusName::Blocked, &"k".repeat(200_000)).unwrap();
    let calls = tools.into_runner().0;
    let mut logged = String::new();
    for call in &calls {
        let longest = call.argv().iter().map(String::len).max().unwrap_or_default();
        assert!(longest < 131_072, "{} has an argument of {longest} bytes", call.tool());
        match call {
            Call::JujuLog { message, .. } => logged.push_str(message),
            Call::StatusSet { message, .. } => {
                assert_eq!(message.chars().count(), 120);
                assert!(message.ends_with('…'), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(logged, wide, "the log is whole, in order");
}

//! The TLS private key: the coordinator grants its secret to a relation before it first
//! publishes the secret's ID there (and not again while nothing changes); a worker reads the key
//! with `secret-get --refresh`, so a rotated key is seen.

use std::collections::BTreeMap;

use pyroscope_cluster_coordinator::testing::worker_cluster;
use pyroscope_cluster_coordinator::{CLUSTER_ENDPOINT, publish, read_snapshot};
use pyroscope_cluster_juju::ToolError;
use pyroscope_cluster_juju::testing::{HookSpec, Secret, State, run_hook};
use pyroscope_cluster_provider::{Extras, S3Settings, Settings, Tls, reconcile};
use pyroscope_cluster_worker::private_key;

const SECRET: &str = "secret:tls";

fn coordinator_hook(state: State) -> (State, Vec<Vec<String>>) {
    let settings = Settings {
        s3: S3Settings { endpoint: "minio:9000".into(), bucket_name: "b".into(), ..S3Settings::default() },
        ..Settings::default()
    };
    let extras = Extras {
        tls: Some(Tls { ca_cert: "CA".into(), server_cert: "CERT".into(), privkey_secret_id: SECRET.into() }),
        ..Extras::default()
    };
    let (state, calls, result) =
        run_hook(state, &HookSpec::simple("pyroscope/0", "update-status"), |context, tools| {
            let read = read_snapshot(tools, context, CLUSTER_ENDPOINT)?;
            let outcome = reconcile(&read.snapshot, &settings, &extras);
            let report = publish(tools, outcome.plan.as_ref().unwrap(), &read.relations, Some(SECRET));
            assert!(report.is_complete(), "{report:?}");
            Ok::<_, ToolError>(())
        })
        .unwrap();
    result.unwrap();
    let writes = calls
        .iter()
        .filter(|call| matches!(call.argv[0].as_str(), "secret-grant" | "relation-set"))
        .map(|call| call.argv.clone())
        .collect();
    (state, writes)
}

fn secret(revisions: &[&str]) -> Secret {
    Secret {
        owner: "pyroscope".into(),
        label: None,
        revisions: revisions
            .iter()
            .map(|key| BTreeMap::from([("private-key".to_owned(), (*key).to_owned())]))
            .collect(),
        grants: Default::default(),
        tracked: BTreeMap::new(),
    }
}

#[test]
fn granted_before_published_and_read_with_refresh() {
    let mut state = worker_cluster(&[("a", 1)]);
    state.secrets.insert(SECRET.into(), secret(&["KEY-1"]));
    let (mut state, writes) = coordinator_hook(state);
    let argv = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        writes,
        [
            argv(&["secret-grant", "--relation", "1", SECRET]),
            argv(&["relation-set", "-r", "pyroscope-cluster:1", "--app", "--file", "-"])
        ]
    );
    assert!(state.secrets[SECRET].grants.contains("a"));
    let (again, writes) = coordinator_hook(state.clone());
    assert!(writes.is_empty(), "nothing changed: no grant, no write");

    // The worker reads the key; the coordinator rotates it; the worker sees the new one.
    let read = |state: State| {
        run_hook(state, &HookSpec::simple("a/0", "update-status"), |_, tools| private_key(tools, SECRET).unwrap())
            .unwrap()
    };
    let (mut state2, calls, key) = read(again);
    assert_eq!(key, "KEY-1");
    assert_eq!(calls[0].argv, ["secret-get", "--format=json", "--refresh", "--", SECRET]);
    state2
        .secrets
        .get_mut(SECRET)
        .unwrap()
        .revisions
        .push(BTreeMap::from([("private-key".to_owned(), "KEY-2".to_owned())]));
    let (_, _, key) = read(state2);
    assert_eq!(key, "KEY-2");

    // A worker whose coordinator has not granted the secret gets a typed error.
    state.secrets.get_mut(SECRET).unwrap().grants.clear();
    let (_, _, err) = run_hook(state, &HookSpec::simple("a/0", "update-status"), |_, tools| {
        pyroscope_cluster_juju::error_chain(&private_key(tools, SECRET).unwrap_err())
    })
    .unwrap();
    assert_eq!(err, "reading the private key secret secret:tls failed: secret secret:tls was not found");
}

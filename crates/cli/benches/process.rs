//! `pyroscope-cluster reconcile` end to end, process start to exit, on 1,000 worker units, with
//! `pyroscope-cluster --version` (process start alone) as the baseline of the same run.
//!
//! Run with `cargo bench -p pyroscope-cluster`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_json::json;

fn main() {
    divan::main();
}

const BIN: &str = env!("CARGO_BIN_EXE_pyroscope-cluster");

/// A reconcile input with `units` worker units over nine worker apps, written once.
fn input(units: usize) -> &'static Path {
    static FILE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = FILE.get_or_init(|| {
        let roles = ["querier", "query-frontend", "query-scheduler", "ingester", "distributor", "compactor"];
        let roles = roles.iter().chain(&["store-gateway", "tenant-settings", "ad-hoc-profiles"]);
        let relations: Vec<_> = roles
            .enumerate()
            .map(|(a, role)| {
                let app = format!("pyroscope-{role}");
                let units: serde_json::Map<_, _> = (0..units / 9 + usize::from(a < units % 9))
                    .map(|u| {
                        let topology = json!({"application": app, "unit": format!("{app}/{u}"), "charm_name": "pyroscope-worker-k8s"});
                        let databag = json!({
                            "address": json!(format!("{app}-{u}.{app}-endpoints.cos.svc.cluster.local")).to_string(),
                            "juju_topology": topology.to_string(),
                            "ingress-address": format!("10.1.{a}.{u}"),
                        });
                        (format!("{app}/{u}"), databag)
                    })
                    .collect();
                json!({"id": format!("pyroscope-cluster:{a}"), "app": app, "app_data": {"role": json!(role).to_string()}, "units": units})
            })
            .collect();
        let settings = json!({"s3": {"endpoint": "minio:9000", "bucket_name": "p", "access_key_id": "a", "secret_access_key": "s"}});
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("reconcile.json");
        std::fs::write(&path, json!({"settings": settings, "relations": relations}).to_string()).expect("written");
        (dir, path)
    });
    path
}

fn run(args: &[&std::ffi::OsStr]) {
    let status = Command::new(BIN).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().expect("runs");
    assert!(status.success());
}

/// The baseline: starting the process and printing the version.
#[divan::bench(sample_count = 50)]
fn process_start() {
    run(&["--version".as_ref()]);
}

/// Reading 1,000 units, reconciling, and printing the JSON result.
#[divan::bench(sample_count = 50)]
fn reconcile_1000_units() {
    let file = input(1000);
    run(&["reconcile".as_ref(), file.as_os_str()]);
}

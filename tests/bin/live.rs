//! `live-charms`: the smallest deployment of the example charms, as processes under the fake
//! Juju, with the `s3` relation pointing at a real S3 server. Run by `cargo xtask live` (part
//! `s3`), which starts the server, then opens the bucket with the config file the worker wrote.
//!
//! ```text
//! live-charms --dir DIR --endpoint http://127.0.0.1:18333 --bucket B --access-key K --secret-key S \
//!     [--address 10.213.87.11]
//! ```
//!
//! `--address` is the worker unit's address (the fake Juju's `network-get`, which its charm
//! publishes): the address of the network namespace that plays its host.
//!
//! Deploys a coordinator, an `s3` app publishing those values (the s3 interface's keys), and one
//! worker of role `all`; relates them; settles. Exits 1 unless both charms are active and the
//! worker runs Pyroscope with the coordinator's `worker_config` as its config file. Prints, as
//! JSON, the worker unit, its config file and the command line its charm chose (`record:`).

#[path = "../support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::ExitCode;

use pyroscope_cluster_juju::testing::Model;
use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag};

struct Args {
    dir: PathBuf,
    s3: RawDatabag,
    address: Option<String>,
}

fn args() -> Result<Args, String> {
    let mut dir = None;
    let mut address = None;
    let mut s3 = RawDatabag::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--dir" => dir = Some(PathBuf::from(value)),
            "--address" => address = Some(value),
            "--endpoint" => _ = s3.insert("endpoint".into(), value),
            "--bucket" => _ = s3.insert("bucket".into(), value),
            "--access-key" => _ = s3.insert("access-key".into(), value),
            "--secret-key" => _ = s3.insert("secret-key".into(), value),
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let dir = dir.ok_or("--dir is required")?;
    for key in ["endpoint", "bucket", "access-key", "secret-key"] {
        if !s3.contains_key(key) {
            return Err(format!("--{key} is required"));
        }
    }
    Ok(Args { dir, s3, address })
}

fn run() -> Result<serde_json::Value, String> {
    let args = args()?;
    let exe = std::env::current_exe().map_err(|err| err.to_string())?;
    let bin_dir = exe.parent().ok_or("no directory of this program")?;
    let bins = support::Bins {
        tool: bin_dir.join("e2e-fake-juju-tool"),
        coordinator: bin_dir.join("e2e-coordinator"),
        worker: bin_dir.join("e2e-worker"),
    };
    for bin in [&bins.tool, &bins.coordinator, &bins.worker] {
        if !bin.exists() {
            return Err(format!("{} is not built: cargo build -p pyroscope-cluster-tests --bins", bin.display()));
        }
    }
    if args.dir.exists() {
        std::fs::remove_dir_all(&args.dir).map_err(|err| format!("{}: {err}", args.dir.display()))?;
    }
    std::fs::create_dir_all(&args.dir).map_err(|err| format!("{}: {err}", args.dir.display()))?;
    let sandbox = support::Sandbox { root: args.dir.clone() };
    let mut model = Model::new(support::new_state(), support::processes(&sandbox, &bins));
    support::deploy(&mut model, "pyroscope", support::COORDINATOR_CHARM, 1, &[]);
    model.deploy("s3", None, 1);
    let s3 = model.relate("pyroscope", "s3", "s3", "s3-credentials");
    model.set_app_data(s3, "s3", args.s3);
    support::deploy_worker(&mut model, "all", &["all"], 1);
    if let Some(address) = args.address {
        let unit = model.state.apps.get_mut("all").and_then(|app| app.units.get_mut("all/0")).ok_or("no all/0")?;
        unit.address = address;
    }
    let id = model.relate("pyroscope", "pyroscope-cluster", "all", "pyroscope-cluster");
    model.settle().map_err(|failed| format!("hooks failed: {failed:?}"))?;

    let coordinator = &model.state.apps["pyroscope"].units["pyroscope/0"].status;
    if coordinator.name != "active" {
        return Err(format!("the coordinator is not active: {coordinator}"));
    }
    let worker = &model.state.apps["all"].units["all/0"].status;
    if worker.name != "active" {
        return Err(format!("all/0 is not active: {worker}"));
    }
    let data = ProviderAppData::decode(&support::published(&model.state, id)).map_err(|err| err.to_string())?;
    let config_file = sandbox.paths("all/0").config_file();
    if sandbox.config("all/0").as_deref() != Some(data.worker_config.as_str()) {
        return Err(format!("{} is not the coordinator's worker_config", config_file.display()));
    }
    let argv = sandbox.record("all/0").running.ok_or("all/0 runs nothing")?;
    let published = &model.state.relations[&id].unit_data["all/0"]["address"];
    let published: String = serde_json::from_str(published).map_err(|err| format!("all/0's address: {err}"))?;
    Ok(serde_json::json!({"unit": "all/0", "address": published, "config_file": config_file, "argv": argv}))
}

fn main() -> ExitCode {
    match run() {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("live-charms: {err}");
            ExitCode::FAILURE
        }
    }
}

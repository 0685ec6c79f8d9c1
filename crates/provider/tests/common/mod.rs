//! Builders for the integration tests: worker databags as the Python worker writes them.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use pyroscope_cluster_model::{Address, DatabagModel, JujuTopology, RawDatabag, RequirerAppData, RequirerUnitData};
use pyroscope_cluster_provider::{S3Settings, Settings, WorkerRelation};

/// A file of `reference/`, the copies of the interface's and Pyroscope's reference material.
pub fn reference(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../reference").join(path)
}

/// A worker app databag declaring `roles` (encoded by the model).
pub fn app_data(roles: &str) -> RawDatabag {
    RequirerAppData { role: roles.parse().expect("valid roles") }.encode()
}

/// A worker app databag whose `role` holds raw JSON text `json` (for invalid roles).
pub fn raw_app_data(json: &str) -> RawDatabag {
    RawDatabag::from([("role".to_owned(), json.to_owned())])
}

/// A valid unit databag, as the Python worker writes it, plus Juju's own keys.
pub fn unit_data(app: &str, unit: &str, address: &str) -> RawDatabag {
    let data = RequirerUnitData {
        address: Address::try_from(address).expect("valid address"),
        juju_topology: JujuTopology {
            application: app.to_owned(),
            unit: unit.to_owned(),
            charm_name: "pyroscope-worker-k8s".to_owned(),
            model: None,
            model_uuid: None,
        },
    };
    let mut databag = data.encode();
    databag.insert("ingress-address".to_owned(), "10.1.2.3".to_owned());
    databag.insert("private-address".to_owned(), "10.1.2.3".to_owned());
    databag.insert("egress-subnets".to_owned(), "10.1.2.3/32".to_owned());
    databag
}

/// A relation to `app` declaring `roles`, with `units` valid units at `<app>-<n>.<app>-endpoints`.
pub fn worker(id: u32, app: &str, roles: &str, units: usize) -> WorkerRelation {
    WorkerRelation {
        id: id.into(),
        app: app.to_owned(),
        app_data: app_data(roles),
        units: (0..units)
            .map(|n| {
                let unit = format!("{app}/{n}");
                let databag = unit_data(app, &unit, &format!("{app}-{n}.{app}-endpoints"));
                (unit, databag)
            })
            .collect(),
        published: RawDatabag::new(),
    }
}

/// Complete settings, as a charm with an S3 relation has them.
pub fn settings() -> Settings {
    Settings {
        s3: S3Settings {
            endpoint: "minio.cos.svc.cluster.local:9000".to_owned(),
            bucket_name: "pyroscope".to_owned(),
            access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".to_owned(),
            region: None,
            insecure: Some(true),
            tls_ca_chain: None,
        },
        ..Settings::default()
    }
}

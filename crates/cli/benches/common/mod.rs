//! The benchmarks' input: a reconcile input of worker units over nine worker apps (one per
//! Pyroscope 1.x role), as the Python worker charm writes its databags.

use serde_json::json;

/// A reconcile input (JSON text) with `units` worker units over nine worker apps.
pub(crate) fn reconcile_input(units: usize) -> String {
    let roles = ["querier", "query-frontend", "query-scheduler", "ingester", "distributor", "compactor"];
    let roles = roles.iter().chain(&["store-gateway", "tenant-settings", "ad-hoc-profiles"]);
    let relations: Vec<_> = roles
        .enumerate()
        .map(|(a, role)| {
            let app = format!("pyroscope-{role}");
            let units: serde_json::Map<_, _> = (0..units / 9 + usize::from(a < units % 9))
                .map(|u| {
                    let topology =
                        json!({"application": app, "unit": format!("{app}/{u}"), "charm_name": "pyroscope-worker-k8s"});
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
    let settings =
        json!({"s3": {"endpoint": "minio:9000", "bucket_name": "p", "access_key_id": "a", "secret_access_key": "s"}});
    json!({"settings": settings, "relations": relations}).to_string()
}

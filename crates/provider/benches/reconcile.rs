//! The whole coordinator reconcile (decode every databag, gather, render the YAML, check it
//! against the release, encode the databag, plan the writes) at 10 to 10,000 worker units, and its
//! stages on their own: `decode_units` (the model alone), `gather`, `build`, `to_yaml` (render and
//! check), and within it `render` (PyYAML's layout), `render_serde_yaml_layout` (the writer before
//! it, for comparison), `check` (the value's YAML tree checked against the release's key table,
//! as `to_yaml` does) and `check_text` (the text parsed and checked, as a worker does).
//!
//! Run with `cargo bench -p pyroscope-cluster-provider`.

use divan::{Bencher, black_box};
use pyroscope_cluster_model::yaml;
use pyroscope_cluster_model::{Address, DatabagModel, JujuTopology, RawDatabag, RequirerAppData, RequirerUnitData};
use pyroscope_cluster_provider::{
    ClusterView, Extras, PublishPlan, PyroscopeConfig, S3Settings, Settings, Snapshot, WorkerRelation, reconcile,
};
use pyroscope_cluster_release::{check_value, check_yaml};

fn main() {
    divan::main();
}

const SIZES: &[usize] = &[10, 100, 1_000, 10_000];

/// The worker apps, one per role set: a large cluster has many units, not many apps.
const ROLES: &[&str] = &[
    "all",
    "querier",
    "query-frontend",
    "query-scheduler",
    "ingester",
    "distributor",
    "compactor",
    "store-gateway",
    "tenant-settings,ad-hoc-profiles",
];

fn settings() -> Settings {
    Settings {
        external_url: Some("https://cos.example/cos-pyroscope".into()),
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

fn extras() -> Extras {
    Extras { coordinator_app: Some("pyroscope".into()), ..Extras::default() }
}

/// `units` worker units spread over one app per entry of [`ROLES`], every databag encoded by the
/// model as a worker writes it; every other relation already holds the current provider data (the
/// steady state, compared byte for byte), the others nothing yet.
fn snapshot(units: usize) -> Snapshot {
    let mut snapshot: Snapshot = ROLES
        .iter()
        .enumerate()
        .map(|(a, role)| {
            let app = format!("pyroscope-worker-{a}");
            let in_app = units / ROLES.len() + usize::from(a < units % ROLES.len());
            let units = (0..in_app)
                .map(|u| {
                    let unit = format!("{app}/{u}");
                    let data = RequirerUnitData {
                        address: Address::try_from(format!("{app}-{u}.{app}-endpoints.cos.svc.cluster.local"))
                            .expect("valid host name"),
                        juju_topology: JujuTopology {
                            application: app.clone(),
                            unit: unit.clone(),
                            charm_name: "pyroscope-worker-k8s".into(),
                            model: Some("cos".into()),
                            model_uuid: Some("00000000-0000-4000-8000-000000000000".into()),
                        },
                    };
                    let mut databag = data.encode();
                    databag.insert("ingress-address".into(), format!("10.1.{}.{}", a % 256, u));
                    (unit, databag)
                })
                .collect();
            let app_data = RequirerAppData { role: role.parse().expect("known roles") }.encode();
            WorkerRelation { id: (a as u32 + 1).into(), app, app_data, units, published: RawDatabag::new() }
        })
        .collect();
    let current = reconcile(&snapshot, &settings(), &extras()).plan.expect("complete settings").databag().clone();
    for relation in snapshot.relations.iter_mut().step_by(2) {
        relation.published = current.clone();
    }
    snapshot
}

#[divan::bench(args = SIZES, sample_count = 30)]
fn whole(bencher: Bencher<'_, '_>, units: usize) {
    let (snapshot, settings, extras) = (snapshot(units), settings(), extras());
    bencher.bench(|| reconcile(black_box(&snapshot), &settings, &extras));
}

#[divan::bench(args = SIZES, sample_count = 30)]
fn gather(bencher: Bencher<'_, '_>, units: usize) {
    let snapshot = snapshot(units);
    bencher.bench(|| ClusterView::gather(black_box(&snapshot)));
}

#[divan::bench(args = SIZES, sample_count = 30)]
fn build(bencher: Bencher<'_, '_>, units: usize) {
    let (view, settings) = (ClusterView::gather(&snapshot(units)), settings());
    bencher.bench(|| PyroscopeConfig::build(black_box(&view), &settings));
}

#[divan::bench(args = SIZES, sample_count = 30)]
fn to_yaml(bencher: Bencher<'_, '_>, units: usize) {
    let config = PyroscopeConfig::build(&ClusterView::gather(&snapshot(units)), &settings()).expect("builds");
    bencher.bench(|| black_box(&config).to_yaml());
}

#[divan::bench(args = SIZES, sample_count = 30)]
fn render(bencher: Bencher<'_, '_>, units: usize) {
    let config = PyroscopeConfig::build(&ClusterView::gather(&snapshot(units)), &settings()).expect("builds");
    bencher.bench(|| yaml::to_string_pyyaml(black_box(&config)));
}

#[divan::bench(args = SIZES, sample_count = 30)]
fn render_serde_yaml_layout(bencher: Bencher<'_, '_>, units: usize) {
    let config = PyroscopeConfig::build(&ClusterView::gather(&snapshot(units)), &settings()).expect("builds");
    bencher.bench(|| yaml::to_string(black_box(&config)));
}

#[divan::bench(args = SIZES, sample_count = 30)]
fn check(bencher: Bencher<'_, '_>, units: usize) {
    let config = PyroscopeConfig::build(&ClusterView::gather(&snapshot(units)), &settings()).expect("builds");
    bencher.bench(|| check_value(config.pyroscope, black_box(&config)));
}

#[divan::bench(args = SIZES, sample_count = 30)]
fn check_text(bencher: Bencher<'_, '_>, units: usize) {
    let config = PyroscopeConfig::build(&ClusterView::gather(&snapshot(units)), &settings()).expect("builds");
    let text = config.to_yaml().expect("renders");
    bencher.bench(|| check_yaml(config.pyroscope, black_box(&text)));
}

#[divan::bench(args = SIZES, sample_count = 30)]
fn encode_and_plan(bencher: Bencher<'_, '_>, units: usize) {
    let snapshot = snapshot(units);
    let view = ClusterView::gather(&snapshot);
    let yaml = PyroscopeConfig::build(&view, &settings()).and_then(|config| config.to_yaml()).expect("renders");
    let data = extras().provider_app_data(yaml, &settings());
    bencher.bench(|| PublishPlan::new(black_box(&snapshot), &view, &data));
}

/// The model's decoding of every unit databag alone: the floor under `gather`.
#[divan::bench(args = SIZES, sample_count = 30)]
fn decode_units(bencher: Bencher<'_, '_>, units: usize) {
    let snapshot = snapshot(units);
    bencher.bench(|| {
        let databags = snapshot.relations.iter().flat_map(|relation| relation.units.values());
        databags.filter(|databag| RequirerUnitData::decode(black_box(databag)).is_ok()).count()
    });
}

//! The example relation state of `docs/interface.md`, built from the model's types and encoded by
//! the model's encoder (the one codec of the workspace).

use pyroscope_cluster_model::{
    DatabagModel, JujuTopology, ProviderAppData, RawDatabag, RemoteWriteEndpoint, RequirerAppData, RequirerUnitData,
    StringMap,
};
use pyroscope_cluster_schema::Form;
use serde_json::{Map, Value, json};

/// The Pyroscope configuration of the example: a shortened one, for show.
const WORKER_CONFIG: &str = "\
server:
  http_listen_port: 4040
distributor:
  ring:
    kvstore:
      store: memberlist
ingester:
  lifecycler:
    ring:
      kvstore:
        store: memberlist
      replication_factor: 1
memberlist:
  bind_port: 7946
  join_members:
  - pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local:7946
pyroscopedb:
  data_path: /pyroscope-data
";

/// A relation state that validates: a coordinator and one worker application of two roles, with
/// one unit. In [`Form::Wire`], each value is the JSON text the model's encoder writes (byte for
/// byte what the Python peer writes); in [`Form::Decoded`], that text decoded.
pub fn example_state(form: Form) -> Value {
    let provider_app = ProviderAppData {
        loki_endpoints: Some(StringMap::from_iter([(
            "loki-0",
            "http://loki-0.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push",
        )])),
        remote_write_endpoints: Some(vec![RemoteWriteEndpoint {
            url: "http://prometheus-0.prometheus-endpoints.cos.svc.cluster.local:9090/api/v1/write".to_owned(),
        }]),
        worker_ports: Some(vec![port(4040), port(7946)]),
        ..ProviderAppData::new(WORKER_CONFIG)
    };
    let requirer_app = RequirerAppData { role: "querier,query-frontend".parse().expect("known roles") };
    let requirer_unit = RequirerUnitData {
        address: "pyroscope-worker-0.pyroscope-worker-endpoints.cos.svc.cluster.local".parse().expect("a host name"),
        juju_topology: JujuTopology {
            application: "pyroscope-worker".to_owned(),
            unit: "pyroscope-worker/0".to_owned(),
            charm_name: "pyroscope-worker-k8s".to_owned(),
            model: None,
            model_uuid: None,
        },
    };
    let databag = |raw: RawDatabag| -> Value {
        let values = raw.into_iter().map(|(key, text)| {
            let value = match form {
                Form::Wire => Value::String(text),
                Form::Decoded => serde_json::from_str(&text).expect("the encoder writes JSON"),
            };
            (key, value)
        });
        Value::Object(values.collect::<Map<_, _>>())
    };
    json!({
        "provider": {"app": databag(provider_app.encode()), "unit": {}},
        "requirer": {"app": databag(requirer_app.encode()), "unit": databag(requirer_unit.encode())},
    })
}

fn port(number: u16) -> pyroscope_cluster_model::Port {
    pyroscope_cluster_model::Port::new(number).expect("not zero")
}

//! The coordinator's settings as its published configuration shows them: when `reconcile` reads
//! captures without `--settings`, what the coordinator runs with is read back from the
//! `worker_config` it published (a worker's capture shows it), not assumed from the defaults.
//! Every setting says where it comes from ([`Sources`]), and a change that only a default makes
//! is marked as such in the what-if.

use std::collections::BTreeMap;

use pyroscope_cluster_model::{DatabagModel, ProviderAppData, RawDatabag, StringMap, yaml};
use pyroscope_cluster_provider::{Extras, PART_OF_LABEL, RelationId, Settings, Tls};
use serde_json::{Map, Value, json};

/// A setting (`settings.<name>`, or `extras.<name>`) -> where its value comes from, as a person
/// reads it (`default`, `--settings`, `the capture's s3 relation`, `published on relation 7`).
pub(crate) type Sources = BTreeMap<String, String>;

/// Where a setting's value comes from when nothing gives it.
pub(crate) const DEFAULT: &str = "default";

/// The settings a configuration key depends on: `None` for keys that the cluster decides (the
/// members, the replication factors, the rings).
pub(crate) fn setting_of(key: &str) -> Option<&'static str> {
    let setting = match key.split('.').collect::<Vec<_>>().as_slice() {
        ["api", ..] => "external_url",
        ["storage", ..] => "s3",
        ["limits", "compactor_blocks_retention_period" | "retention_period"] => "retention_period",
        ["compactor", "cleanup_interval"] => "compactor_cleanup_interval",
        ["compactor", "deletion_delay"] => "compactor_deletion_delay",
        ["pyroscopedb", "data_path"] | ["metastore", "data_dir" | "raft"] => "data_path",
        ["metastore", "raft", "dir" | "snapshots_dir"] => "data_path",
        ["server", "http_listen_port"] | ["memberlist", "bind_port"] => "ports",
        ["architecture_storage"] => "architecture",
        _ => return None,
    };
    Some(setting)
}

/// The settings every source is named for, in the order a person reads them.
pub(crate) const SETTINGS: &[&str] = &[
    "architecture",
    "external_url",
    "s3",
    "retention_period",
    "compactor_cleanup_interval",
    "compactor_deletion_delay",
    "data_path",
    "ports",
];

/// The extras that the published databag shows.
const EXTRAS: &[&str] = &[
    "loki_endpoints",
    "charm_tracing_receivers",
    "workload_tracing_receivers",
    "remote_write_endpoints",
    "tls",
    "s3_tls_ca_chain",
    "worker_labels",
];

/// What the published databag gives: the settings document it implies (keys of [`Settings`]),
/// the extras it shows, and which of them it gave.
pub(crate) struct Published {
    /// The relation it was published on.
    pub(crate) relation: RelationId,
    /// `settings` as a reconcile input's, with the keys the configuration shows.
    pub(crate) settings: Map<String, Value>,
    /// The extras it shows, set on top of the defaults.
    pub(crate) extras: Extras,
    /// The extras it gave (named in [`EXTRAS`]).
    pub(crate) extras_given: Vec<&'static str>,
    /// What could not be read back, each a warning.
    pub(crate) unreadable: Vec<String>,
}

/// The settings and extras the first of `published` (relation ID, the coordinator's app
/// databag) whose databag decodes implies; `None` when none does.
pub(crate) fn read<'a>(published: impl IntoIterator<Item = (RelationId, &'a RawDatabag)>) -> Option<Published> {
    let (relation, data) = published
        .into_iter()
        .filter(|(_, databag)| !databag.is_empty())
        .find_map(|(id, databag)| ProviderAppData::decode(databag).ok().map(|data| (id, data)))?;
    let mut unreadable = Vec::new();
    let settings = match yaml::from_str::<Value>(&data.worker_config) {
        Ok(Value::Object(config)) => settings_of(&config, &mut unreadable),
        _ => {
            unreadable.push(format!("the worker_config published on relation {relation} is not a YAML mapping"));
            Map::new()
        }
    };
    let (extras, extras_given) = extras_of(data);
    Some(Published { relation, settings, extras, extras_given, unreadable })
}

/// The `settings` keys a configuration shows, each checked to read as [`Settings`] reads it (one
/// that does not is left to its default, with a warning in `unreadable`).
fn settings_of(config: &Map<String, Value>, unreadable: &mut Vec<String>) -> Map<String, Value> {
    let at = |path: &str| path.split('.').try_fold(config, |map, key| map.get(key)?.as_object());
    let get = |path: &str| {
        let (parent, key) = path.rsplit_once('.').unwrap_or(("", path));
        let map = if parent.is_empty() { Some(config) } else { at(parent) };
        map.and_then(|map| map.get(key)).cloned()
    };
    let text = |value: Value| match value {
        Value::String(text) => Value::String(text),
        other => Value::String(other.to_string()),
    };
    let mut candidates: Vec<(&str, Value)> = Vec::new();
    // 1.x has no `architecture_storage`, and runs v1; a v2 configuration has a metastore.
    let architecture =
        get("architecture_storage").unwrap_or_else(|| json!(if at("metastore").is_some() { "v2" } else { "v1" }));
    candidates.push(("architecture", architecture));
    // The path of the external URL is all the configuration keeps, and all the coordinator uses.
    let base_url = get("api.base-url").and_then(|value| value.as_str().map(str::to_owned));
    candidates.push(("external_url", base_url.map_or(Value::Null, |path| json!(format!("http://ingress{path}")))));
    if let Some(s3) = at("storage.s3") {
        let mut settings = Map::new();
        for key in ["endpoint", "bucket_name", "access_key_id", "secret_access_key", "region", "insecure"] {
            if let Some(value) = s3.get(key) {
                settings.insert(key.to_owned(), value.clone());
            }
        }
        candidates.push(("s3", Value::Object(settings)));
    }
    let retention = get("limits.compactor_blocks_retention_period").or_else(|| get("limits.retention_period"));
    if let Some(retention) = retention {
        candidates.push(("retention_period", text(retention)));
    }
    if let Some(interval) = get("compactor.cleanup_interval") {
        candidates.push(("compactor_cleanup_interval", text(interval)));
    }
    if let Some(delay) = get("compactor.deletion_delay") {
        candidates.push(("compactor_deletion_delay", text(delay)));
    }
    let v2_data_path = get("metastore.data_dir")
        .and_then(|dir| dir.as_str().and_then(|dir| dir.strip_suffix("/metastore/data")).map(|path| json!(path)));
    if let Some(path) = get("pyroscopedb.data_path").or(v2_data_path) {
        candidates.push(("data_path", path));
    }
    let mut ports = Map::new();
    if let Some(port) = get("server.http_listen_port") {
        ports.insert("http".to_owned(), port);
    }
    if let Some(port) = get("memberlist.bind_port") {
        ports.insert("memberlist".to_owned(), port);
    }
    if !ports.is_empty() {
        candidates.push(("ports", Value::Object(ports)));
    }
    let mut settings = Map::new();
    for (key, value) in candidates {
        let alone = Value::Object(Map::from_iter([(key.to_owned(), value.clone())]));
        match serde_json::from_value::<Settings>(alone) {
            Ok(_) => {
                settings.insert(key.to_owned(), value);
            }
            Err(err) => {
                unreadable.push(format!("settings.{key} cannot be read back from it ({err}): left to its default"))
            }
        }
    }
    settings
}

/// The extras a published databag shows, and which it gave. `worker_labels` without the
/// coordinator's own `app.kubernetes.io/part-of` label, which the coordinator adds again.
fn extras_of(data: ProviderAppData) -> (Extras, Vec<&'static str>) {
    let mut extras = Extras::default();
    let mut given = Vec::new();
    let mut give = |name: &'static str, present: bool| {
        if present {
            given.push(name);
        }
    };
    give(EXTRAS[0], data.loki_endpoints.is_some());
    extras.loki_endpoints = data.loki_endpoints.or(extras.loki_endpoints);
    give(EXTRAS[1], data.charm_tracing_receivers.is_some());
    extras.charm_tracing_receivers = data.charm_tracing_receivers.or(extras.charm_tracing_receivers);
    give(EXTRAS[2], data.workload_tracing_receivers.is_some());
    extras.workload_tracing_receivers = data.workload_tracing_receivers.or(extras.workload_tracing_receivers);
    give(EXTRAS[3], data.remote_write_endpoints.is_some());
    extras.remote_write_endpoints = data.remote_write_endpoints;
    if let (Some(ca_cert), Some(server_cert), Some(privkey_secret_id)) =
        (data.ca_cert, data.server_cert, data.privkey_secret_id)
    {
        give(EXTRAS[4], true);
        extras.tls = Some(Tls { ca_cert, server_cert, privkey_secret_id });
    }
    give(EXTRAS[5], data.s3_tls_ca_chain.is_some());
    extras.s3_tls_ca_chain = data.s3_tls_ca_chain;
    if let Some(labels) = data.worker_labels {
        let labels: StringMap = labels.iter().filter(|(key, _)| *key != PART_OF_LABEL).collect();
        give(EXTRAS[6], true);
        extras.worker_labels = (!labels.is_empty()).then_some(labels);
    }
    (extras, given)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_that_a_setting_renders_names_it() {
        for (key, setting) in [
            ("api.base-url", Some("external_url")),
            ("storage.s3.secret_access_key", Some("s3")),
            ("storage.backend", Some("s3")),
            ("limits.compactor_blocks_retention_period", Some("retention_period")),
            ("limits.retention_period", Some("retention_period")),
            ("pyroscopedb.data_path", Some("data_path")),
            ("metastore.raft.dir", Some("data_path")),
            ("memberlist.bind_port", Some("ports")),
            ("memberlist.join_members", None),
            ("ingester.lifecycler.ring.replication_factor", None),
            ("store_gateway.sharding_ring.replication_factor", None),
        ] {
            assert_eq!(setting_of(key), setting, "{key}");
            assert!(setting.is_none_or(|setting| SETTINGS.contains(&setting)), "{key}");
        }
    }

    #[test]
    fn a_published_configuration_gives_back_its_settings() {
        let config = "api:\n  base-url: /cos-pyroscope\ncompactor:\n  cleanup_interval: 30m\n  deletion_delay: 6h\n\
                      limits:\n  compactor_blocks_retention_period: 30d\nmemberlist:\n  bind_port: 7000\n\
                      pyroscopedb:\n  data_path: /data\nserver:\n  http_listen_port: 4000\nstorage:\n  backend: s3\n  \
                      s3:\n    bucket_name: b\n    endpoint: minio:9000\n    insecure: true\n";
        let databag = ProviderAppData::new(config).encode();
        let published = read([(RelationId::from(7), &databag)]).unwrap();
        assert_eq!(published.relation, RelationId::from(7));
        assert!(published.unreadable.is_empty(), "{:?}", published.unreadable);
        let settings: Settings = serde_json::from_value(Value::Object(published.settings.clone())).unwrap();
        assert_eq!(settings.external_url.as_deref(), Some("http://ingress/cos-pyroscope"));
        assert_eq!(settings.s3.endpoint, "minio:9000");
        assert_eq!(settings.s3.insecure, Some(true));
        assert_eq!(settings.data_path, "/data");
        assert_eq!((settings.ports.http.get(), settings.ports.memberlist.get()), (4000, 7000));
        let keys: Vec<&String> = published.settings.keys().collect();
        assert_eq!(
            keys,
            [
                "architecture",
                "compactor_cleanup_interval",
                "compactor_deletion_delay",
                "data_path",
                "external_url",
                "ports",
                "retention_period",
                "s3"
            ]
        );
        // A value the settings do not take is left to its default, and said.
        let odd = ProviderAppData::new("limits:\n  compactor_blocks_retention_period: soon\n").encode();
        let published = read([(RelationId::from(1), &odd)]).unwrap();
        assert!(!published.settings.contains_key("retention_period"));
        assert!(
            published.unreadable[0].starts_with("settings.retention_period cannot be read back"),
            "{:?}",
            published.unreadable
        );
        assert!(read([(RelationId::from(1), &RawDatabag::new())]).is_none());
    }
}

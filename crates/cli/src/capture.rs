//! `juju show-unit <coordinator leader> --format yaml` captures, read as the coordinator reads its
//! relations: the worker relations of the `pyroscope-cluster` endpoint, and S3 from the `s3`
//! relation as s3-integrator publishes it.

use std::collections::BTreeMap;

use pyroscope_cluster_model::RawDatabag;
use pyroscope_cluster_provider::{RelationId, S3_ENDPOINT, S3Settings, WorkerRelation, s3_settings};
use serde_json::{Map, Value};

/// What a relation ID is, for an error.
const RELATION_ID: &str = "a whole number from 0 to 4294967295, or `<endpoint>:<number>`";

/// What a capture holds for `reconcile`.
pub(crate) struct Capture {
    /// The captured unit, e.g. `pyroscope/0`.
    pub(crate) unit: String,
    /// Its worker relations, as the leader would read them. What it published is not in its own
    /// capture (`juju show-unit` shows the remote app's databag, not the unit's own app's); it
    /// comes from the captures of worker units, when given.
    pub(crate) relations: Vec<WorkerRelation>,
    /// S3 from the `s3` relation: `None` without one; an error when its databag lacks a key.
    pub(crate) s3: Option<Result<S3Settings, String>>,
}

/// Whether `document` looks like `juju show-unit` output: `<unit>: {relation-info: [...]}`.
pub(crate) fn is_show_unit(document: &Value) -> bool {
    document.as_object().is_some_and(|units| {
        !units.is_empty() && units.values().any(|unit| unit.get("relation-info").is_some_and(Value::is_array))
    })
}

/// The coordinator's leader in the merged captures `units` (one or several files): the unit that
/// says `leader: true`, else the only unit there is.
///
/// Captures of worker units among them give what the coordinator published: a worker sees the
/// coordinator's app databag as its relation's `application-data`, which becomes that relation's
/// `published` (the what-if of `reconcile`). A worker unit is one whose charm's name says
/// `worker`, or whose relation on `endpoint` shows `worker_config` as `application-data`.
pub(crate) fn read(units: &Map<String, Value>, endpoint: &str) -> Result<Capture, String> {
    let mut published: BTreeMap<RelationId, RawDatabag> = BTreeMap::new();
    let mut coordinator_units = Vec::new();
    for (unit, info) in units {
        if !is_worker(unit, info, endpoint) {
            coordinator_units.push((unit, info));
            continue;
        }
        let worker = read_worker(&Map::from_iter([(unit.clone(), info.clone())]), endpoint)?;
        published.insert(worker.relation, worker.coordinator);
    }
    let leaders: Vec<(&String, &Value)> = coordinator_units
        .iter()
        .copied()
        .filter(|(_, info)| info.get("leader").and_then(Value::as_bool) == Some(true))
        .collect();
    let (unit, info) = match (leaders.as_slice(), coordinator_units.as_slice()) {
        ([leader], _) => *leader,
        ([], [one]) => *one,
        ([], []) => return Err("no coordinator unit is captured (only workers)".to_owned()),
        ([], _) => return Err("several units are captured and none is the leader (`leader: true`)".to_owned()),
        (many, _) => return Err(format!("{} units say they are the leader", many.len())),
    };
    let relation_info = info.get("relation-info").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut relations = Vec::new();
    let mut s3 = None;
    for relation in relation_info {
        let id = relation.get("relation-id").ok_or_else(|| format!("{unit}: a relation without `relation-id`"))?;
        let id: RelationId = serde_json::from_value(id.clone())
            .map_err(|_| format!("{unit}: `relation-id` {id} is not a relation ID ({RELATION_ID})"))?;
        let at = |what: &str| format!("{unit} relation {id} {what}");
        let app_data =
            databag(relation.get("application-data")).map_err(|err| format!("{}: {err}", at("application-data")))?;
        let mut related = BTreeMap::new();
        let units = relation.get("related-units").and_then(Value::as_object);
        for (remote, remote_info) in units.into_iter().flatten() {
            let data = databag(remote_info.get("data")).map_err(|err| format!("{}: {err}", at(remote)))?;
            related.insert(remote.clone(), data);
        }
        let app = related.keys().next().and_then(|unit| unit.split_once('/')).map(|(app, _)| app.to_owned());
        match relation.get("endpoint").and_then(Value::as_str) {
            Some(name) if name == endpoint => relations.push(WorkerRelation {
                id,
                app: app.unwrap_or_else(|| format!("the app of relation {id}")),
                app_data,
                units: related,
                published: published.remove(&id).unwrap_or_default(),
            }),
            Some(S3_ENDPOINT) => {
                let app = app.unwrap_or_else(|| "the S3 provider".to_owned());
                s3 = Some(s3_settings(&app, &app_data).map_err(|err| err.to_string()));
            }
            _ => {}
        }
    }
    if relations.is_empty() {
        return Err(format!("{unit}: no relation on the endpoint `{endpoint}`"));
    }
    Ok(Capture { unit: unit.clone(), relations, s3 })
}

/// Whether the captured `unit` is a worker (see [`read`]).
fn is_worker(unit: &str, info: &Value, endpoint: &str) -> bool {
    let charm = info.get("charm").and_then(Value::as_str).unwrap_or(unit);
    let relations = info.get("relation-info").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    charm.contains("worker")
        || relations.iter().any(|relation| {
            relation.get("endpoint").and_then(Value::as_str) == Some(endpoint)
                && relation.pointer("/application-data/worker_config").is_some()
        })
}

/// A databag as `juju show-unit` prints it: a mapping of string to string, or nothing.
fn databag(value: Option<&Value>) -> Result<RawDatabag, String> {
    match value {
        None | Some(Value::Null) => Ok(RawDatabag::new()),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(key, value)| match value {
                Value::String(text) => Ok((key.clone(), text.clone())),
                _ => Err(format!("key `{key}`: a databag value is a string")),
            })
            .collect(),
        Some(_) => Err("a databag is a mapping of string to string".to_owned()),
    }
}

/// What a worker unit's capture holds for `worker`: the coordinator's app databag as the worker
/// sees it, and the worker's own address.
pub(crate) struct WorkerCapture {
    /// The captured unit, e.g. `pyroscope-worker/0`.
    pub(crate) unit: String,
    /// The relation ID.
    pub(crate) relation: RelationId,
    /// The coordinator's app databag (`application-data`).
    pub(crate) coordinator: RawDatabag,
    /// The worker's own unit databag (`local-unit`), empty when not captured.
    pub(crate) own_unit: RawDatabag,
}

/// The one relation on `endpoint` of the one worker unit captured in `units`.
pub(crate) fn read_worker(units: &Map<String, Value>, endpoint: &str) -> Result<WorkerCapture, String> {
    let (unit, info) = match units.iter().collect::<Vec<_>>().as_slice() {
        [one] => *one,
        many => return Err(format!("{} units are captured: give the capture of one worker unit", many.len())),
    };
    let relation_info = info.get("relation-info").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let ours: Vec<&Value> =
        relation_info.iter().filter(|r| r.get("endpoint").and_then(Value::as_str) == Some(endpoint)).collect();
    let relation = match ours.as_slice() {
        [one] => *one,
        [] => return Err(format!("{unit}: no relation on the endpoint `{endpoint}` (name another with --endpoint)")),
        many => return Err(format!("{unit}: {} relations on the endpoint `{endpoint}`; a worker has one", many.len())),
    };
    let id = relation.get("relation-id").ok_or_else(|| format!("{unit}: a relation without `relation-id`"))?;
    let id: RelationId = serde_json::from_value(id.clone())
        .map_err(|_| format!("{unit}: `relation-id` {id} is not a relation ID ({RELATION_ID})"))?;
    let at = |what: &str| format!("{unit} relation {id} {what}");
    let coordinator =
        databag(relation.get("application-data")).map_err(|err| format!("{}: {err}", at("application-data")))?;
    let own_unit =
        databag(relation.pointer("/local-unit/data")).map_err(|err| format!("{}: {err}", at("local-unit")))?;
    Ok(WorkerCapture { unit: unit.clone(), relation: id, coordinator, own_unit })
}

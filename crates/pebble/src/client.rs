//! [`Client`]: one method per call of Pebble's API that a charm makes.
//!
//! Each method's doc names the endpoint in Pebble's API reference (`docs/specs/openapi.yaml`
//! and `docs/reference/api.md` of canonical/pebble v1.32.1), the daemon's handler
//! (`internals/daemon/api_*.go`) and the method of Pebble's Go client (`client/*.go`) whose
//! request it sends.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::http::{HttpBody, Request, Response, Transport, UnixSocket, query_escape};
use crate::layer::{CheckLevel, Layer, Plan};
use crate::multipart;
use crate::types::{
    Change, ChangeId, ChangeSelect, CheckInfo, FileInfo, LayerMode, ListFilesOptions, MakeDirOptions, Owner,
    PushOptions, Removal, ServiceInfo, SystemInfo,
};
use crate::{GoDuration, PebbleError};

/// A client of one Pebble daemon, over a [`Transport`]: [`UnixSocket`] in a charm, the recorded
/// Pebble of `testing` (feature `testing`) in tests.
#[derive(Debug, Clone)]
pub struct Client<T = UnixSocket> {
    transport: T,
}

impl Client<UnixSocket> {
    /// A client of the daemon listening at `socket` (nothing is sent until a call).
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self { transport: UnixSocket::new(socket) }
    }

    /// The client of a charm's workload container: Juju mounts its Pebble socket at
    /// `/charm/containers/<container>/pebble.socket` in the charm container (ops builds the
    /// same path in `ops/model.py`, `Container.__init__`).
    pub fn for_container(container: &str) -> Self {
        Self::new(Path::new("/charm/containers").join(container).join("pebble.socket"))
    }
}

/// The JSON envelope of every answer (`internals/daemon/response.go`, `respJSON`).
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "type")]
    type_: String,
    #[serde(rename = "status-code", default)]
    status_code: Option<u16>,
    #[serde(default)]
    change: Option<String>,
    #[serde(default)]
    result: Value,
}

/// An `error` answer's result (`errorResult`).
#[derive(Debug, Deserialize)]
struct ErrorResult {
    #[serde(default)]
    message: String,
    #[serde(default)]
    kind: Option<String>,
}

/// One path's outcome in a files answer (`fileResult`).
#[derive(Debug, Deserialize)]
struct FileResult {
    path: String,
    #[serde(default)]
    error: Option<ErrorResult>,
}

impl<T: Transport> Client<T> {
    /// A client over another transport.
    pub fn with_transport(transport: T) -> Self {
        Self { transport }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The daemon's version and boot ID.
    ///
    /// `GET /v1/system-info` (`api.go`, `v1SystemInfo`; Go client `SysInfo`). It is the
    /// cheapest call, and the one ops's `Container.can_connect()` makes: an
    /// [`PebbleError::NotReady`] here means the container is not up yet.
    pub fn system_info(&self) -> Result<SystemInfo, PebbleError> {
        self.sync(&get("/v1/system-info"))
    }

    /// Writes `content` to `path` (absolute) in the container, atomically (Pebble writes a
    /// temporary file and renames it), with the options' permissions and owner, making the
    /// parent directories when asked.
    ///
    /// `POST /v1/files`, a `multipart/form-data` body of a `request` part
    /// (`{"action":"write","files":[...]}`) and a `files` part whose `filename` is the path:
    /// the bytes Pebble's Go client `Push` sends (`client/files.go`), which the daemon's
    /// `writeFiles` reads (`api_files.go`). A path Pebble could not write is
    /// [`PebbleError::File`].
    pub fn push(&self, path: &str, content: &[u8], options: &PushOptions) -> Result<(), PebbleError> {
        let mut item =
            json!({"path": path, "make-dirs": options.make_dirs, "permissions": permissions(options.permissions)?});
        owner_fields(&mut item, &options.owner);
        let metadata = json!({"action": "write", "files": [item]}).to_string();
        let (body, content_type) = multipart::encode_push(&metadata, path, content);
        let request =
            Request { content_type: Some(content_type), body: HttpBody::new(body), ..post_empty("/v1/files") };
        let results: Vec<FileResult> = self.sync(&request)?;
        one_file_result(&request, results, "push to", path)
    }

    /// The content of the file at `path` (absolute) in the container.
    ///
    /// `GET /v1/files?action=read&path=...` with `Accept: multipart/form-data` (Go client `Pull`,
    /// `client/files.go`): the daemon answers a `files` part with the content, then a
    /// `response` part with each path's error (`api_files.go`, `readFilesResponse`). A missing
    /// file is [`PebbleError::File`] of kind `not-found`.
    pub fn pull(&self, path: &str) -> Result<Vec<u8>, PebbleError> {
        let target = format!("/v1/files?action=read&path={}", query_escape(path));
        let request = Request { accept: Some("multipart/form-data".into()), ..get(&target) };
        let response = self.transport.round_trip(&request)?;
        let protocol = |problem: String| PebbleError::Protocol {
            method: request.method.clone(),
            target: request.target.clone(),
            problem,
        };
        let content_type = response.content_type.as_deref().unwrap_or_default();
        let Some(boundary) = multipart::boundary_of(content_type) else {
            // Pebble answers a refused request (a relative path, say) as plain JSON.
            return Err(self
                .error_of(&request, &response)
                .unwrap_or_else(|| protocol(format!("a pull's answer is {content_type:?}, not multipart"))));
        };
        let parts = multipart::parts(response.body.as_bytes(), &boundary).map_err(protocol)?;
        let metadata = parts
            .iter()
            .find(|part| part.name == "response")
            .ok_or_else(|| protocol("a pull's answer has no response part".into()))?;
        let answer = Response {
            status: response.status,
            content_type: Some("application/json".into()),
            body: HttpBody::new(metadata.body.to_vec()),
        };
        let results: Vec<FileResult> = self.decode_sync(&request, &answer)?;
        one_file_result(&request, results, "pull", path)?;
        let file = parts
            .iter()
            .find(|part| part.name == "files" && part.filename.as_deref() == Some(path))
            .ok_or_else(|| protocol(format!("a pull's answer has no content for {path}")))?;
        Ok(file.body.to_vec())
    }

    /// The entries of the directory at `path`, or the file at `path` itself (or the directory
    /// itself, with [`ListFilesOptions::itself`]), filtered by the options' glob.
    ///
    /// `GET /v1/files?action=list&path=...[&pattern=...][&itself=true]` (`api_files.go`,
    /// `listFilesResponse`; Go client `ListFiles`). A missing path is [`PebbleError::Api`]
    /// with status 404 and kind `not-found`.
    pub fn list_files(&self, path: &str, options: &ListFilesOptions) -> Result<Vec<FileInfo>, PebbleError> {
        let mut target = format!("/v1/files?action=list&path={}", query_escape(path));
        if let Some(pattern) = &options.pattern {
            target.push_str(&format!("&pattern={}", query_escape(pattern)));
        }
        if options.itself {
            target.push_str("&itself=true");
        }
        self.sync(&get(&target))
    }

    /// Makes the directory `path` (absolute), with the options' permissions and owner, and its
    /// parents when asked.
    ///
    /// `POST /v1/files` `{"action":"make-dirs","dirs":[...]}` (`api_files.go`, `makeDirs`; Go
    /// client `MakeDir`). An existing directory without `make_parents`, or a missing parent, is
    /// [`PebbleError::File`].
    pub fn make_dir(&self, path: &str, options: &MakeDirOptions) -> Result<(), PebbleError> {
        let mut item = json!({"path": path, "make-parents": options.make_parents, "permissions": permissions(options.permissions)?});
        owner_fields(&mut item, &options.owner);
        let request = post_json("/v1/files", &json!({"action": "make-dirs", "dirs": [item]}));
        let results: Vec<FileResult> = self.sync(&request)?;
        one_file_result(&request, results, "make the directory", path)
    }

    /// Removes `path` (absolute): the one entry, or the whole tree under it.
    ///
    /// `POST /v1/files` `{"action":"remove","paths":[{"path":...,"recursive":...}]}`
    /// (`api_files.go`, `removePaths`; Go client `RemovePath`). A missing path is
    /// [`PebbleError::File`] of kind `not-found` for [`Removal::One`], and no error for
    /// [`Removal::Recursive`] (Go's `os.RemoveAll`).
    pub fn remove_path(&self, path: &str, removal: Removal) -> Result<(), PebbleError> {
        let item = json!({"path": path, "recursive": removal == Removal::Recursive});
        let request = post_json("/v1/files", &json!({"action": "remove", "paths": [item]}));
        let results: Vec<FileResult> = self.sync(&request)?;
        one_file_result(&request, results, "remove", path)
    }

    /// Adds `layer` to the plan under `label`: appended, or combined with the layer of that
    /// label (each service and check by its `override`). It changes the plan, not what runs:
    /// [`Client::replan`] does that.
    ///
    /// `POST /v1/layers` `{"action":"add","combine":...,"label":...,"format":"yaml","layer":...}`
    /// (`api_plan.go`, `v1PostLayers`; Go client `AddLayer`, `client/plan.go`). The layer's
    /// text is JSON, which the daemon's YAML parser reads (see [`crate::layer`]). A layer
    /// Pebble refuses (no `override`, an unknown service in `after`) is [`PebbleError::Api`]
    /// with status 400.
    pub fn add_layer(&self, label: &str, layer: &Layer, mode: LayerMode) -> Result<(), PebbleError> {
        let body = json!({
            "action": "add",
            "combine": mode == LayerMode::Combine,
            "label": label,
            "format": "yaml",
            "layer": layer.to_text(),
        });
        let _: Value = self.sync(&post_json("/v1/layers", &body))?;
        Ok(())
    }

    /// The plan: every layer combined.
    ///
    /// `GET /v1/plan?format=yaml` (`api_plan.go`, `v1GetPlan`; Go client `PlanBytes`,
    /// `client/plan.go`), read by [`Plan::from_yaml`]; YAML is the one format the daemon
    /// answers. A plan this crate cannot read is [`PebbleError::Plan`], naming where.
    pub fn plan(&self) -> Result<Plan, PebbleError> {
        let request = get("/v1/plan?format=yaml");
        let text: String = self.sync(&request)?;
        Ok(Plan::from_yaml(&text)?)
    }

    /// The services of the plan (`names` empty), or those named, by name.
    ///
    /// `GET /v1/services[?names=a,b]` (`api_services.go`, `v1GetServices`; Go client
    /// `Services`, `client/services.go`).
    pub fn services(&self, names: &[&str]) -> Result<Vec<ServiceInfo>, PebbleError> {
        self.sync(&get(&with_names("/v1/services", names)))
    }

    /// Starts the services named (and those they require), returning the change to wait for.
    ///
    /// `POST /v1/services` `{"action":"start","services":[...]}` (`api_services.go`,
    /// `v1PostServices`; Go client `Start`, `client/services.go`). An unknown service is
    /// [`PebbleError::Api`] with status 400.
    pub fn start(&self, services: &[&str]) -> Result<ChangeId, PebbleError> {
        self.services_action("start", services)
    }

    /// Stops the services named, returning the change to wait for.
    ///
    /// `POST /v1/services` `{"action":"stop",...}` (Go client `Stop`).
    pub fn stop(&self, services: &[&str]) -> Result<ChangeId, PebbleError> {
        self.services_action("stop", services)
    }

    /// Stops (if running) and starts the services named, returning the change to wait for.
    ///
    /// `POST /v1/services` `{"action":"restart",...}` (Go client `Restart`).
    pub fn restart(&self, services: &[&str]) -> Result<ChangeId, PebbleError> {
        self.services_action("restart", services)
    }

    /// Brings what runs in line with the plan: restarts the services whose definition changed
    /// since they started, starts the `startup: enabled` ones that are not running, and
    /// replans the checks. Returns the change to wait for (an empty one when nothing changes).
    ///
    /// `POST /v1/services` `{"action":"replan","services":[]}` (`api_services.go`, the
    /// `replan` case; Go client `Replan`).
    pub fn replan(&self) -> Result<ChangeId, PebbleError> {
        self.services_action("replan", &[])
    }

    fn services_action(&self, action: &str, services: &[&str]) -> Result<ChangeId, PebbleError> {
        self.async_(&post_json("/v1/services", &json!({"action": action, "services": services})))
    }

    /// The change `id`, as it is now.
    ///
    /// `GET /v1/changes/{id}` (`api_changes.go`, `v1GetChange`; Go client `Change`,
    /// `client/changes.go`).
    pub fn change(&self, id: &ChangeId) -> Result<Change, PebbleError> {
        self.sync(&get(&format!("/v1/changes/{id}")))
    }

    /// The changes selected, those of one service only when `service` is given: how a test
    /// sees whether a hook restarted anything.
    ///
    /// `GET /v1/changes?select=...[&for=...]` (`api_changes.go`, `v1GetChanges`; Go client
    /// `Changes`).
    pub fn changes(&self, select: ChangeSelect, service: Option<&str>) -> Result<Vec<Change>, PebbleError> {
        let mut target = format!("/v1/changes?select={}", select.as_str());
        if let Some(service) = service {
            target.push_str(&format!("&for={}", query_escape(service)));
        }
        self.sync(&get(&target))
    }

    /// Waits until the change `id` is ready, at most `timeout` (at least a millisecond; Go's
    /// durations end at about 292 years). A change that ended in error is
    /// [`PebbleError::ChangeFailed`] with Pebble's error and its tasks' log; one not ready in
    /// time is [`PebbleError::Timeout`].
    ///
    /// `GET /v1/changes/{id}/wait?timeout=...` (`api_changes.go`, `v1GetChangeWait`, which
    /// answers 504 when the time is up; Go client `WaitChange`): the daemon waits, not this
    /// process, so a wait is one request.
    pub fn wait_change(&self, id: &ChangeId, timeout: Duration) -> Result<Change, PebbleError> {
        let timeout = timeout.clamp(Duration::from_millis(1), GoDuration::MAX.get());
        let go = GoDuration::new(timeout).unwrap_or(GoDuration::MAX);
        let request = Request { extra_wait: timeout, ..get(&format!("/v1/changes/{id}/wait?timeout={go}")) };
        let change: Change = match self.sync(&request) {
            Err(PebbleError::Api { status: 504, .. }) => return Err(PebbleError::Timeout { id: id.clone(), timeout }),
            other => other?,
        };
        if change.err.is_some() {
            return Err(PebbleError::ChangeFailed { change: Box::new(change) });
        }
        Ok(change)
    }

    /// The checks of the plan with their status, those of one level only, or those named.
    ///
    /// `GET /v1/checks[?level=...][&names=...]` (`api_checks.go`, `v1GetChecks`; Go client
    /// `Checks`, `client/checks.go`).
    pub fn checks(&self, level: Option<CheckLevel>, names: &[&str]) -> Result<Vec<CheckInfo>, PebbleError> {
        let mut target = with_names("/v1/checks", names);
        if let Some(level) = level {
            let level = match level {
                CheckLevel::Alive => "alive",
                CheckLevel::Ready => "ready",
            };
            target.push_str(if names.is_empty() { "?" } else { "&" });
            target.push_str(&format!("level={level}"));
        }
        self.sync(&get(&target))
    }

    /// One exchange whose answer is a `sync` result of type `R`.
    fn sync<R: DeserializeOwned>(&self, request: &Request) -> Result<R, PebbleError> {
        let response = self.transport.round_trip(request)?;
        self.decode_sync(request, &response)
    }

    fn decode_sync<R: DeserializeOwned>(&self, request: &Request, response: &Response) -> Result<R, PebbleError> {
        let envelope = self.envelope(request, response)?;
        if envelope.type_ != "sync" {
            return Err(protocol(request, format!("the answer is of type {:?}, not sync", envelope.type_)));
        }
        serde_path_to_error::deserialize(envelope.result)
            .map_err(|err| protocol(request, format!("its result's {}: {}", err.path(), err.inner())))
    }

    /// One exchange whose answer is an `async` change.
    fn async_(&self, request: &Request) -> Result<ChangeId, PebbleError> {
        let response = self.transport.round_trip(request)?;
        let envelope = self.envelope(request, &response)?;
        match (envelope.type_.as_str(), envelope.change) {
            ("async", Some(change)) => {
                change.parse().map_err(|_| protocol(request, format!("the change ID {change:?} is not Pebble's shape")))
            }
            (type_, _) => {
                Err(protocol(request, format!("the answer is of type {type_:?} without a change, not async")))
            }
        }
    }

    /// The answer's envelope, or its error.
    fn envelope(&self, request: &Request, response: &Response) -> Result<Envelope, PebbleError> {
        if let Some(err) = self.error_of(request, response) {
            return Err(err);
        }
        serde_json::from_slice(response.body.as_bytes()).map_err(|err| {
            protocol(request, format!("the answer (HTTP {}) is not Pebble's JSON: {err}", response.status))
        })
    }

    /// The [`PebbleError::Api`] of an `error` answer, if it is one.
    fn error_of(&self, request: &Request, response: &Response) -> Option<PebbleError> {
        let envelope: Envelope = serde_json::from_slice(response.body.as_bytes()).ok()?;
        if envelope.type_ != "error" {
            return None;
        }
        let result: ErrorResult =
            serde_json::from_value(envelope.result).unwrap_or(ErrorResult { message: String::new(), kind: None });
        Some(PebbleError::Api {
            method: request.method.clone(),
            target: request.target.clone(),
            status: envelope.status_code.unwrap_or(response.status),
            kind: result.kind.filter(|kind| !kind.is_empty()),
            message: result.message,
        })
    }
}

fn protocol(request: &Request, problem: String) -> PebbleError {
    PebbleError::Protocol { method: request.method.clone(), target: request.target.clone(), problem }
}

fn get(target: &str) -> Request {
    Request {
        method: "GET".into(),
        target: target.into(),
        content_type: None,
        accept: None,
        body: HttpBody::default(),
        extra_wait: Duration::ZERO,
    }
}

fn post_empty(target: &str) -> Request {
    Request { method: "POST".into(), ..get(target) }
}

fn post_json(target: &str, body: &Value) -> Request {
    Request {
        content_type: Some("application/json".into()),
        body: HttpBody::Text(body.to_string()),
        ..post_empty(target)
    }
}

fn with_names(path: &str, names: &[&str]) -> String {
    if names.is_empty() {
        path.to_owned()
    } else {
        let names: Vec<String> = names.iter().map(|name| query_escape(name)).collect();
        format!("{path}?names={}", names.join(","))
    }
}

/// Permission bits as Pebble takes them: three octal digits, or empty for its default.
fn permissions(bits: Option<u32>) -> Result<String, PebbleError> {
    match bits {
        None => Ok(String::new()),
        Some(bits) if bits <= 0o777 => Ok(format!("{bits:03o}")),
        Some(bits) => Err(PebbleError::Invalid { problem: format!("the permissions {bits:#o} are above 0o777") }),
    }
}

fn owner_fields(item: &mut Value, owner: &Owner) {
    item["user-id"] = json!(owner.user_id);
    item["user"] = json!(owner.user.as_deref().unwrap_or_default());
    item["group-id"] = json!(owner.group_id);
    item["group"] = json!(owner.group.as_deref().unwrap_or_default());
}

/// The one path's outcome of a files call.
fn one_file_result(
    request: &Request,
    results: Vec<FileResult>,
    action: &'static str,
    path: &str,
) -> Result<(), PebbleError> {
    let result = results
        .into_iter()
        .find(|result| result.path == path)
        .ok_or_else(|| protocol(request, format!("the answer has no result for {path}")))?;
    match result.error {
        None => Ok(()),
        Some(error) => Err(PebbleError::File {
            action,
            path: result.path,
            kind: error.kind.filter(|kind| !kind.is_empty()),
            message: error.message,
        }),
    }
}

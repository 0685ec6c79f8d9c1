//! A typed, blocking client of [Pebble](https://github.com/canonical/pebble)'s HTTP API over its
//! unix socket: the calls a Kubernetes charm makes to drive its workload container.
//!
//! [`Client`] has one method a call: [`system_info`](Client::system_info),
//! [`push`](Client::push) and [`pull`](Client::pull) of files (permissions, owner, parent
//! directories), [`list_files`](Client::list_files), [`make_dir`](Client::make_dir),
//! [`remove_path`](Client::remove_path), [`add_layer`](Client::add_layer) (appended or
//! combined), the [`plan`](Client::plan), [`services`](Client::services),
//! [`start`](Client::start), [`stop`](Client::stop), [`restart`](Client::restart) and
//! [`replan`](Client::replan) (each returning a change), [`wait_change`](Client::wait_change)
//! with a timeout, [`changes`](Client::changes) and [`checks`](Client::checks) with their status.
//! Layers and plans are types ([`Layer`], [`Plan`]; [`Plan::includes`] says whether a layer
//! would change the plan, a charm's "restart?" question); errors are a [`PebbleError`] a charm can
//! act on: [`NotReady`](PebbleError::NotReady) when the container is not up yet (wait for
//! `pebble-ready`), [`Api`](PebbleError::Api) with Pebble's message, kind and status code,
//! [`ChangeFailed`](PebbleError::ChangeFailed) with the change's error and log,
//! [`Timeout`](PebbleError::Timeout).
//!
//! It does not exec commands, stream logs, send signals, or read notices, identities or metrics;
//! it knows nothing of any workload. It is the shape of Pebble v1.32.1's API (`client/*.go` and
//! `internals/daemon/api_*.go` of canonical/pebble), and its tests run every call against that
//! daemon.
//!
//! # Why a small HTTP client of its own
//!
//! A hook is a short process that makes a handful of calls to a local socket. Pebble's server
//! is Go's `net/http`, which speaks plain HTTP/1.1: one request a connection
//! (`Connection: close`), a `Content-Length` body out, a `Content-Length` or chunked body back
//! ([`http`]). That is some 250 lines over `std::os::unix::net::UnixStream`, with a
//! read and write timeout, and no dependency the workspace did not have. tokio with hyper (and
//! hyper-util and http-body-util, at their fewest features: 24 crates) would bring a runtime and
//! its build time into every charm, to make the same few blocking exchanges.
//!
//! # Layers are sent as JSON
//!
//! Pebble takes a layer as YAML text and reads it with gopkg.in/yaml.v3, which reads JSON as
//! YAML; so [`Layer`] is sent as JSON and this crate names no YAML library (the workspace keeps
//! that to the model crate). The plan comes back only as YAML: a reader of what yaml.v3 writes
//! for a plan, which refuses what it does not know rather than guess, turns it into a [`Plan`]
//! ([`layer`] says more).
//!
//! # Testing a charm
//!
//! [`Transport`] carries each exchange; feature `testing` adds a recorder of a real daemon's
//! answers and a transport that replays them, so a charm's `cargo test` runs without Pebble.
//!
//! # Example
//!
//! ```
//! use pyroscope_cluster_pebble::{
//!     HttpBody, Client, Layer, LayerMode, Override, PebbleError, Request, Response, Service, Startup, Transport,
//! };
//!
//! // In a charm: `Client::for_container("pyroscope")`. Here, a transport that answers as
//! // Pebble does, to show the calls.
//! struct Answers;
//! impl Transport for Answers {
//!     fn round_trip(&self, request: &Request) -> Result<Response, PebbleError> {
//!         let body = match request.target.as_str() {
//!             "/v1/layers" => r#"{"type":"sync","status-code":200,"status":"OK","result":true}"#,
//!             "/v1/services" => r#"{"type":"async","status-code":202,"status":"Accepted","change":"2","result":null}"#,
//!             _ => r#"{"type":"error","status-code":404,"status":"Not Found","result":{"message":"invalid API endpoint requested"}}"#,
//!         };
//!         Ok(Response { status: 200, content_type: Some("application/json".into()), body: HttpBody::Text(body.into()) })
//!     }
//! }
//!
//! let pebble = Client::with_transport(Answers);
//! let mut layer = Layer { summary: "workload".into(), ..Layer::default() };
//! layer.services.insert(
//!     "workload".into(),
//!     Service {
//!         override_: Some(Override::Replace),
//!         command: "/usr/bin/workload --config /etc/workload.yaml".into(),
//!         startup: Some(Startup::Enabled),
//!         ..Service::default()
//!     },
//! );
//! pebble.add_layer("workload", &layer, LayerMode::Combine)?;
//! let change = pebble.replan()?;
//! assert_eq!(change.as_str(), "2");
//! # Ok::<(), PebbleError>(())
//! ```

pub mod http;
pub mod layer;

mod client;
mod duration;
mod error;
mod multipart;
mod plan_text;
#[cfg(feature = "testing")]
pub mod testing;
mod types;

pub use client::Client;
pub use duration::{GoDuration, GoDurationError};
pub use error::PebbleError;
pub use http::{HttpBody, Request, Response, Transport, UnixSocket};
pub use layer::{
    Check, CheckLevel, ExecCheck, HttpCheck, Layer, LogTarget, LogTargetType, Override, Plan, PlanError, PlanTextError,
    Service, ServiceAction, Startup, TcpCheck,
};
pub use types::{
    Change, ChangeId, ChangeIdError, ChangeSelect, CheckInfo, CheckStatus, FileInfo, FileType, LayerMode,
    ListFilesOptions, MakeDirOptions, Owner, PushOptions, Removal, ServiceInfo, ServiceStatus, SystemInfo, Task,
};

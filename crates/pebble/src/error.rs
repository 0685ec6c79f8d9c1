//! What can go wrong talking to Pebble.

use std::path::PathBuf;
use std::time::Duration;

use crate::{Change, ChangeId};

/// A call to Pebble that failed, by what a charm does about it: wait for the container
/// ([`PebbleError::NotReady`]), report Pebble's refusal ([`PebbleError::Api`],
/// [`PebbleError::File`]), report a change that failed ([`PebbleError::ChangeFailed`]), or try
/// again later ([`PebbleError::Timeout`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PebbleError {
    /// Nothing answers on the socket: it is absent, or refuses connections. In a charm this is
    /// the workload container not being up yet (ops's `Container.can_connect()` is false); wait
    /// for its `<container>-pebble-ready` event.
    #[error("Pebble is not reachable at {socket}: its container is not up yet")]
    NotReady {
        /// The socket's path.
        socket: PathBuf,
        /// Why the connection failed.
        #[source]
        source: std::io::Error,
    },
    /// The connection could not be made for another reason than the above (permission denied
    /// on the socket, say), or broke or timed out during an exchange.
    #[error("the connection to Pebble at {socket} failed during {method} {target}")]
    Connection {
        /// The socket's path.
        socket: PathBuf,
        /// The request's method.
        method: String,
        /// The request's path and query.
        target: String,
        /// What broke.
        #[source]
        source: std::io::Error,
    },
    /// The answer is not the HTTP and JSON of Pebble's API.
    #[error("Pebble's answer to {method} {target} is not its API's: {problem}")]
    Protocol {
        /// The request's method.
        method: String,
        /// The request's path and query.
        target: String,
        /// What was wrong with it.
        problem: String,
    },
    /// The plan Pebble answered is not one this client reads.
    #[error("the plan Pebble answered cannot be read")]
    Plan(#[from] crate::PlanError),
    /// Pebble refused the request: an `error` response, with Pebble's own message.
    #[error("Pebble refused {method} {target} ({status}{}): {message}", kind.as_deref().map(|kind| format!(", {kind}")).unwrap_or_default())]
    Api {
        /// The request's method.
        method: String,
        /// The request's path and query.
        target: String,
        /// The HTTP status code (400 for a bad request, 404 for a missing thing, ...).
        status: u16,
        /// Pebble's error kind, when it gives one (`not-found`, `permission-denied`,
        /// `generic-file-error`, `no-default-services`, ...).
        kind: Option<String>,
        /// Pebble's message.
        message: String,
    },
    /// Pebble took the request but could not do it to one path (a push, pull, make-dir or
    /// remove answers each path's error inside a successful response).
    #[error("Pebble could not {action} {path}{}: {message}", kind.as_deref().map(|kind| format!(" ({kind})")).unwrap_or_default())]
    File {
        /// `push to`, `pull`, `make the directory`, `remove`.
        action: &'static str,
        /// The path.
        path: String,
        /// Pebble's error kind (`not-found`, `permission-denied`, `generic-file-error`).
        kind: Option<String>,
        /// Pebble's message.
        message: String,
    },
    /// A change ended in error (a service that would not start, say): the change, with
    /// Pebble's error text (`err`) and its tasks' log ([`Change::log`]).
    #[error("Pebble's change {} ({}) failed: {}", change.id, change.summary, change.err.as_deref().unwrap_or_default())]
    ChangeFailed {
        /// The change, as Pebble answered it when it was ready.
        change: Box<Change>,
    },
    /// A change was not ready within the time given to wait for it.
    #[error("Pebble's change {id} was not ready after {timeout:?}")]
    Timeout {
        /// The change.
        id: ChangeId,
        /// How long was waited.
        timeout: Duration,
    },
    /// The call's arguments cannot be sent (permission bits above 0o777).
    #[error("cannot ask Pebble: {problem}")]
    Invalid {
        /// What is wrong.
        problem: String,
    },
}

impl PebbleError {
    /// Whether this is [`PebbleError::NotReady`]: the container is not up yet.
    pub fn is_not_ready(&self) -> bool {
        matches!(self, PebbleError::NotReady { .. })
    }

    /// Pebble's error kind, for [`PebbleError::Api`] and [`PebbleError::File`].
    pub fn kind(&self) -> Option<&str> {
        match self {
            PebbleError::Api { kind, .. } | PebbleError::File { kind, .. } => kind.as_deref(),
            _ => None,
        }
    }
}

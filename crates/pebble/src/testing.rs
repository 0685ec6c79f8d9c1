//! A recorded Pebble, for the tests of a charm (feature `testing`).
//!
//! [`Recorder`] wraps a transport to a real daemon and keeps each exchange; [`PebbleRecording`] holds
//! them, and [`PebbleRecording::normalized`] takes out what differs from run to run (times, boot IDs,
//! check counters, the daemon's multipart boundaries, the temporary root, the user running the
//! tests), so a recording can be committed and compared with a fresh one. [`Replay`] answers
//! from a recording, in order, and refuses a request that is not the one recorded: a charm's
//! test then runs without Pebble, on answers the real daemon gave, and sees every call the
//! charm makes.
//!
//! A charm's live test records a session against `pebble run` with `Recorder`, normalises it
//! with its temporary root and commits `to_json()`; its in-memory test replays it:
//!
//! ```
//! use pyroscope_cluster_pebble::Client;
//! use pyroscope_cluster_pebble::testing::{PebbleRecording, ROOT, Replay};
//!
//! // What `Recorder` kept of one call to Pebble v1.32.1, normalised.
//! let recording = PebbleRecording::from_json(r#"{"exchanges": [{
//!     "request": {"method": "GET", "target": "/v1/system-info"},
//!     "response": {"status": 200, "content_type": "application/json",
//!         "body": "{\"result\":{\"boot-id\":\"00000000-0000-0000-0000-000000000000\",\"version\":\"v1.32.1\"},\"status\":\"OK\",\"status-code\":200,\"type\":\"sync\"}"}
//! }]}"#)?;
//! let pebble = Client::with_transport(Replay::new(&recording, ROOT));
//! assert_eq!(pebble.system_info()?.version, "v1.32.1");
//! assert_eq!(pebble.transport().finish(), Ok(()), "every recorded call was made, and no other");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::PebbleError;
use crate::http::{HttpBody, Request, Response, Transport};
use crate::multipart;

/// One request and what came back: Pebble's response, or nothing (no daemon listened: the
/// container was not up).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// The request.
    pub request: Request,
    /// The response, or `None` when nothing listened on the socket.
    pub response: Option<Response>,
}

/// Exchanges with one daemon, in order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PebbleRecording {
    /// The exchanges.
    pub exchanges: Vec<Exchange>,
}

/// The placeholder a normalised recording has for its root directory.
pub const ROOT: &str = "/ROOT";

/// The fixed value a normalised recording has for an answer's key whose value differs from
/// run to run (times, the boot ID, check counters, and the owner of files, as root's).
fn fixed_value(key: &str) -> Option<Value> {
    Some(match key {
        "boot-id" => Value::from("00000000-0000-0000-0000-000000000000"),
        "spawn-time" | "ready-time" | "current-since" | "last-modified" => Value::from("2026-01-01T00:00:00Z"),
        "successes" | "failures" | "user-id" | "group-id" => Value::from(0),
        "user" | "group" => Value::from("root"),
        _ => return None,
    })
}

/// Keys dropped from answers: the changes that run checks, whose IDs depend on when the
/// checks ran.
const DROPPED: &[&str] = &["change-id", "prev-change-id"];

impl PebbleRecording {
    /// The recording with what differs between runs made the same: `root` (the test's temporary
    /// directory) becomes [`ROOT`], the values that differ fixed ones (times, boot ID,
    /// check counters, and the owner of files, as root's), check change IDs dropped, task log
    /// lines' timestamps fixed, lists of changes sorted by ID (Pebble lists them in a Go map's
    /// order), Pebble's temporary file names one name, requests' extra wait (not recorded) zero, and the daemon's multipart boundaries one text. JSON answers
    /// are rewritten with sorted keys.
    pub fn normalized(&self, root: &str) -> PebbleRecording {
        let exchanges = self
            .exchanges
            .iter()
            .map(|exchange| Exchange {
                request: Request {
                    target: exchange.request.target.replace(root, ROOT),
                    body: replace_in_body(&exchange.request.body, root),
                    extra_wait: std::time::Duration::ZERO,
                    ..exchange.request.clone()
                },
                response: exchange.response.as_ref().map(|response| normalize_response(response, root)),
            })
            .collect();
        PebbleRecording { exchanges }
    }

    /// The recording as pretty JSON, ending with a newline: the text to commit.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A recording from its JSON.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Where this recording's JSON differs from `committed` (a recording's JSON): the first line
    /// that differs, each side cut to 300 characters, for a test's failure message; `None` when
    /// they are the same.
    pub fn difference(&self, committed: &str) -> Option<String> {
        let live = self.to_json();
        if live == committed {
            return None;
        }
        let (line, (was, is)) =
            committed.lines().zip(live.lines()).enumerate().find(|(_, (a, b))| a != b).unwrap_or_default();
        let cut = |text: &str| text.chars().take(300).collect::<String>();
        Some(format!("at line {}:\n  recorded: {}\n  this run: {}", line + 1, cut(was), cut(is)))
    }
}

fn replace_in_body(body: &HttpBody, root: &str) -> HttpBody {
    match body {
        HttpBody::Text(text) => HttpBody::Text(text.replace(root, ROOT)),
        HttpBody::Bytes(bytes) => HttpBody::Bytes(bytes.clone()),
    }
}

fn normalize_response(response: &Response, root: &str) -> Response {
    let content_type = response.content_type.clone().unwrap_or_default();
    let HttpBody::Text(text) = replace_in_body(&response.body, root) else {
        return response.clone();
    };
    if let Some(boundary) = multipart::boundary_of(&content_type) {
        const FIXED: &str = "recorded-boundary-0000000000000000000000000000000000000000";
        return Response {
            status: response.status,
            content_type: Some(content_type.replace(&boundary, FIXED)),
            body: HttpBody::Text(text.replace(&boundary, FIXED)),
        };
    }
    let body = match serde_json::from_str::<Value>(&text) {
        Ok(mut value) => {
            normalize_value(&mut value);
            value.to_string()
        }
        Err(_) => text,
    };
    Response { status: response.status, content_type: response.content_type.clone(), body: HttpBody::Text(body) }
}

fn normalize_value(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in DROPPED {
                map.remove(*key);
            }
            for (key, slot) in map.iter_mut() {
                if let Some(fixed) = fixed_value(key)
                    && !slot.is_null()
                {
                    *slot = fixed;
                }
            }
            if let Some(Value::Array(lines)) = map.get_mut("log") {
                for line in lines {
                    if let Value::String(text) = line
                        && let Some((_, rest)) = text.split_once(' ')
                    {
                        *text = format!("2026-01-01T00:00:00Z {rest}");
                    }
                }
            }
            map.values_mut().for_each(normalize_value);
        }
        Value::String(text) => *text = fixed_temporary_names(text),
        Value::Array(items) => {
            items.iter_mut().for_each(normalize_value);
            // Pebble lists changes in the order of a Go map: by ID here.
            if items.iter().all(|item| item.get("id").is_some() && item.get("kind").is_some()) {
                let id = |item: &Value| item["id"].as_str().and_then(|id| id.parse::<u64>().ok()).unwrap_or(u64::MAX);
                items.sort_by_key(id);
            }
        }
        _ => {}
    }
}

/// `text` with the temporary files Pebble writes to before renaming (`config.yaml.2677318321~`,
/// in its errors) given one name (`config.yaml.0~`).
fn fixed_temporary_names(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('.') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest[digits..].starts_with('~') {
            out.push('0');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// A transport that keeps each exchange of the one it wraps.
#[derive(Debug)]
pub struct Recorder<T> {
    inner: T,
    exchanges: Mutex<Vec<Exchange>>,
}

impl<T: Transport> Recorder<T> {
    /// Records the exchanges over `inner`.
    pub fn new(inner: T) -> Self {
        Self { inner, exchanges: Mutex::new(Vec::new()) }
    }

    /// What was recorded so far.
    pub fn recording(&self) -> PebbleRecording {
        let exchanges = self.exchanges.lock().map(|exchanges| exchanges.clone()).unwrap_or_default();
        PebbleRecording { exchanges }
    }
}

impl<T: Transport> Transport for Recorder<T> {
    fn round_trip(&self, request: &Request) -> Result<Response, PebbleError> {
        let outcome = self.inner.round_trip(request);
        let response = match &outcome {
            Ok(response) => Some(response.clone()),
            Err(PebbleError::NotReady { .. }) => None,
            Err(_) => return outcome,
        };
        if let Ok(mut exchanges) = self.exchanges.lock() {
            exchanges.push(Exchange { request: request.clone(), response });
        }
        outcome
    }
}

/// A transport that answers from a recording, in order. A request other than the recorded
/// one, or one past the end, is answered with [`PebbleError::Protocol`] naming both, and kept:
/// [`Replay::finish`] reports it, and the exchanges never asked for.
#[derive(Debug)]
pub struct Replay {
    state: Mutex<ReplayState>,
}

#[derive(Debug)]
struct ReplayState {
    exchanges: VecDeque<Exchange>,
    asked: usize,
    wrong: Vec<String>,
}

impl Replay {
    /// Answers from `recording`, with [`ROOT`] read as `root` (the directory the test runs
    /// the charm under).
    pub fn new(recording: &PebbleRecording, root: &str) -> Self {
        let exchanges = recording
            .exchanges
            .iter()
            .map(|exchange| {
                let unroot = |body: &HttpBody| match body {
                    HttpBody::Text(text) => HttpBody::Text(text.replace(ROOT, root)),
                    HttpBody::Bytes(bytes) => HttpBody::Bytes(bytes.clone()),
                };
                Exchange {
                    request: Request {
                        target: exchange.request.target.replace(ROOT, root),
                        body: unroot(&exchange.request.body),
                        ..exchange.request.clone()
                    },
                    response: exchange
                        .response
                        .as_ref()
                        .map(|response| Response { body: unroot(&response.body), ..response.clone() }),
                }
            })
            .collect();
        Self { state: Mutex::new(ReplayState { exchanges, asked: 0, wrong: Vec::new() }) }
    }

    /// How many requests were answered (or refused) so far.
    pub fn asked(&self) -> usize {
        self.state.lock().map(|state| state.asked).unwrap_or_default()
    }

    /// Whether every recorded exchange was asked for, in order, and nothing else: `Err` lists
    /// what went wrong.
    pub fn finish(&self) -> Result<(), Vec<String>> {
        let Ok(state) = self.state.lock() else { return Err(vec!["the replay's lock is poisoned".into()]) };
        let mut problems = state.wrong.clone();
        problems.extend(
            state.exchanges.iter().map(|left| format!("never asked: {} {}", left.request.method, left.request.target)),
        );
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }
}

impl Transport for Replay {
    fn round_trip(&self, request: &Request) -> Result<Response, PebbleError> {
        let refuse = |problem: String| PebbleError::Protocol {
            method: request.method.clone(),
            target: request.target.clone(),
            problem,
        };
        let Ok(mut state) = self.state.lock() else { return Err(refuse("the replay's lock is poisoned".into())) };
        state.asked += 1;
        let problem = match state.exchanges.front() {
            None => "the recorded Pebble has no more answers".to_owned(),
            Some(next) if same_request(&next.request, request) => {
                let next = state.exchanges.pop_front().map(|exchange| exchange.response);
                return match next.flatten() {
                    Some(response) => Ok(response),
                    None => Err(PebbleError::NotReady {
                        socket: PathBuf::from("<recorded>"),
                        source: std::io::Error::new(std::io::ErrorKind::NotFound, "nothing listened when recorded"),
                    }),
                };
            }
            Some(next) => format!(
                "the recorded Pebble expected {} {} with {:?}, and was asked with {:?}",
                next.request.method, next.request.target, next.request.body, request.body
            ),
        };
        let message = format!("{} {}: {problem}", request.method, request.target);
        state.wrong.push(message);
        Err(refuse(problem))
    }
}

fn same_request(recorded: &Request, asked: &Request) -> bool {
    recorded.method == asked.method
        && recorded.target == asked.target
        && recorded.content_type == asked.content_type
        && recorded.accept == asked.accept
        && recorded.body.as_bytes() == asked.body.as_bytes()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_difference_names_its_first_line() {
        let empty = PebbleRecording { exchanges: Vec::new() };
        assert_eq!(empty.difference(&empty.to_json()), None);
        let committed = empty.to_json().replace("[]", "[1]");
        let difference = empty.difference(&committed).expect("they differ");
        assert!(difference.starts_with("at line 2:"), "{difference}");
        assert!(difference.contains("recorded:") && difference.contains("this run:"), "{difference}");
    }

    use super::*;

    #[test]
    fn temporary_names_are_fixed() {
        assert_eq!(
            fixed_temporary_names("open /r/a.yaml.2677318321~: no such file; v1.32.1 a.1~"),
            "open /r/a.yaml.0~: no such file; v1.32.1 a.0~"
        );
    }
}

//! The HTTP/1.1 exchange with Pebble: a request, a response, the [`Transport`] that carries one
//! to the other, and [`UnixSocket`], the transport of a charm.
//!
//! Pebble's API server is Go's `net/http` on a unix socket (`internals/daemon/daemon.go`); one
//! request a connection (`Connection: close`) keeps the client small: a hook makes a handful of
//! calls, and connecting to a local socket costs microseconds. A response body is framed by
//! `Content-Length` or by chunked transfer coding (Go chooses chunked when a handler writes more
//! than its buffer before finishing, as a large pull does), or else runs to the end of the
//! connection.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::PebbleError as Error;

/// One request to Pebble's API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    /// `GET` or `POST`.
    pub method: String,
    /// The path and query, as sent on the request line (`/v1/files?action=list&path=%2Fetc`).
    pub target: String,
    /// The `Content-Type` of the body, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The `Accept` header, when the call needs one (a pull accepts `multipart/form-data`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<String>,
    /// The body.
    #[serde(default, skip_serializing_if = "HttpBody::is_empty")]
    pub body: HttpBody,
    /// How much longer than the transport's own timeout the answer may take (a change's wait).
    #[serde(skip)]
    pub extra_wait: Duration,
}

/// One response from Pebble.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// The body, unframed.
    #[serde(default, skip_serializing_if = "HttpBody::is_empty")]
    pub body: HttpBody,
}

/// A request's or a response's body: text where it is UTF-8 (so a recording reads as what was
/// said), bytes otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum HttpBody {
    /// UTF-8 text.
    Text(String),
    /// Anything else.
    Bytes(Vec<u8>),
}

impl HttpBody {
    /// The body of these bytes: text where they are UTF-8.
    pub fn new(bytes: Vec<u8>) -> Self {
        match String::from_utf8(bytes) {
            Ok(text) => HttpBody::Text(text),
            Err(err) => HttpBody::Bytes(err.into_bytes()),
        }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            HttpBody::Text(text) => text.as_bytes(),
            HttpBody::Bytes(bytes) => bytes,
        }
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }
}

impl Default for HttpBody {
    fn default() -> Self {
        HttpBody::Text(String::new())
    }
}

/// Carries a request to Pebble and brings back its response: [`UnixSocket`] in a charm; in tests,
/// the recorded Pebble of `testing` (feature `testing`).
pub trait Transport {
    /// One exchange. The error is [`Error::NotReady`] when nothing listens (the container is not
    /// up yet), [`Error::Connection`] when the exchange broke, [`Error::Protocol`] when the
    /// answer is not HTTP.
    fn round_trip(&self, request: &Request) -> Result<Response, Error>;
}

impl<T: Transport + ?Sized> Transport for &T {
    fn round_trip(&self, request: &Request) -> Result<Response, Error> {
        (**self).round_trip(request)
    }
}

impl<T: Transport + ?Sized> Transport for std::rc::Rc<T> {
    fn round_trip(&self, request: &Request) -> Result<Response, Error> {
        (**self).round_trip(request)
    }
}

impl<T: Transport + ?Sized> Transport for std::sync::Arc<T> {
    fn round_trip(&self, request: &Request) -> Result<Response, Error> {
        (**self).round_trip(request)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn round_trip(&self, request: &Request) -> Result<Response, Error> {
        (**self).round_trip(request)
    }
}

/// Pebble's unix socket: in a charm container, `/charm/containers/<container>/pebble.socket`
/// (Juju's layout, as ops's `Container` builds the path); for `pebble run`, `$PEBBLE/.pebble.socket`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixSocket {
    path: PathBuf,
    timeout: Duration,
}

impl UnixSocket {
    /// How long one read or write on the socket may take, by default: Pebble answers at once
    /// (a change runs after its answer), but a stuck daemon must not hang a hook forever.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

    /// The socket at `path`, with [`Self::DEFAULT_TIMEOUT`].
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), timeout: Self::DEFAULT_TIMEOUT }
    }

    /// The same socket with another timeout for each read and write (at least a millisecond).
    #[must_use]
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Self { timeout: timeout.max(Duration::from_millis(1)), ..self }
    }

    /// The socket's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Transport for UnixSocket {
    fn round_trip(&self, request: &Request) -> Result<Response, Error> {
        let broke = |source| Error::Connection {
            socket: self.path.clone(),
            method: request.method.clone(),
            target: request.target.clone(),
            source,
        };
        let stream = UnixStream::connect(&self.path).map_err(|source| match source.kind() {
            // No socket file yet, or one that nothing listens on: the container is not up.
            std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                Error::NotReady { socket: self.path.clone(), source }
            }
            _ => broke(source),
        })?;
        stream.set_write_timeout(Some(self.timeout)).map_err(broke)?;
        stream.set_read_timeout(Some(self.timeout.saturating_add(request.extra_wait))).map_err(broke)?;
        let mut writer = &stream;
        writer.write_all(&encode_request(request)).map_err(broke)?;
        writer.flush().map_err(broke)?;
        read_response(&mut BufReader::new(&stream)).map_err(|err| match err {
            ReadError::Io(source) => broke(source),
            ReadError::Malformed(problem) => {
                Error::Protocol { method: request.method.clone(), target: request.target.clone(), problem }
            }
        })
    }
}

/// The bytes of a request, as sent.
pub(crate) fn encode_request(request: &Request) -> Vec<u8> {
    let body = request.body.as_bytes();
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: pyroscope-cluster-pebble/{}\r\nConnection: close\r\n",
        request.method,
        request.target,
        env!("CARGO_PKG_VERSION")
    );
    if let Some(content_type) = &request.content_type {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    if let Some(accept) = &request.accept {
        head.push_str(&format!("Accept: {accept}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// Why a response could not be read.
#[derive(Debug)]
pub(crate) enum ReadError {
    Io(std::io::Error),
    Malformed(String),
}

impl From<std::io::Error> for ReadError {
    fn from(err: std::io::Error) -> Self {
        ReadError::Io(err)
    }
}

/// The longest status line or header line taken: Pebble's are short.
const MAX_LINE: usize = 64 * 1024;

fn read_line(reader: &mut impl BufRead) -> Result<String, ReadError> {
    let mut line = Vec::new();
    let read = reader.take(MAX_LINE as u64).read_until(b'\n', &mut line)?;
    if read == 0 {
        return Err(ReadError::Malformed("the connection closed before the response ended".into()));
    }
    if line.last() != Some(&b'\n') {
        return Err(ReadError::Malformed("a line of the response has no end".into()));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| ReadError::Malformed("a response header is not UTF-8".into()))
}

/// Reads one HTTP/1.1 response: status line, headers, and a body framed by `Content-Length`,
/// chunked coding, or the end of the connection.
pub(crate) fn read_response(reader: &mut impl BufRead) -> Result<Response, ReadError> {
    let status_line = read_line(reader)?;
    let mut words = status_line.splitn(3, ' ');
    let (version, code) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    if !version.starts_with("HTTP/1.") {
        return Err(ReadError::Malformed(format!("the status line {status_line:?} is not HTTP/1.x")));
    }
    let status = code
        .parse::<u16>()
        .ok()
        .filter(|code| (100..1000).contains(code))
        .ok_or_else(|| ReadError::Malformed(format!("the status line {status_line:?} has no status code")))?;
    let mut content_type = None;
    let mut content_length = None;
    let mut chunked = false;
    loop {
        let line = read_line(reader)?;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| ReadError::Malformed(format!("the header line {line:?} has no colon")))?;
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => content_type = Some(value.to_owned()),
            "content-length" => {
                content_length = Some(
                    value
                        .parse::<u64>()
                        .map_err(|_| ReadError::Malformed(format!("the Content-Length {value:?} is not a number")))?,
                );
            }
            "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let size_line = read_line(reader)?;
            let size = size_line.split(';').next().unwrap_or_default().trim();
            let size = u64::from_str_radix(size, 16)
                .map_err(|_| ReadError::Malformed(format!("the chunk size {size_line:?} is not hexadecimal")))?;
            if size == 0 {
                // Trailers, if any, up to the empty line.
                while !read_line(reader)?.is_empty() {}
                break;
            }
            read_exactly(reader, size, &mut body)?;
            if !read_line(reader)?.is_empty() {
                return Err(ReadError::Malformed("a chunk is longer than its size".into()));
            }
        }
    } else if let Some(length) = content_length {
        read_exactly(reader, length, &mut body)?;
    } else if !(status == 204 || status == 304 || (100..200).contains(&status)) {
        reader.read_to_end(&mut body)?;
    }
    Ok(Response { status, content_type, body: HttpBody::new(body) })
}

fn read_exactly(reader: &mut impl BufRead, length: u64, body: &mut Vec<u8>) -> Result<(), ReadError> {
    let read = reader.take(length).read_to_end(body)?;
    if (read as u64) < length {
        return Err(ReadError::Malformed(format!(
            "the connection closed {} bytes before the body's end",
            length - read as u64
        )));
    }
    Ok(())
}

/// A query string's component, percent-encoded as Go's `url.QueryEscape` does but keeping `/`
/// (which Pebble's paths are full of, and which a query may hold as it is).
pub(crate) fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(raw: &str, status: u16, body: &str) {
        let response = read_response(&mut raw.as_bytes()).unwrap();
        assert_eq!((response.status, response.body), (status, HttpBody::Text(body.to_owned())));
    }

    #[track_caller]
    fn check_malformed(raw: &str, expect: &str) {
        match read_response(&mut raw.as_bytes()) {
            Err(ReadError::Malformed(problem)) => assert!(problem.contains(expect), "{problem}"),
            other => panic!("expected a malformed response, got {other:?}"),
        }
    }

    proptest::proptest! {
        /// Any bytes are a response or an error, never a panic.
        #[test]
        fn any_bytes_are_read_or_refused(raw in "(HTTP/1\\.1 [0-9]{1,4} OK\r\n)?((Content-Length: [0-9]{1,3}|Transfer-Encoding: chunked|[a-z:]{0,5})\r\n){0,3}(\r\n)?([0-9a-f]{1,3}\r\n[a-z]{0,9}\r\n){0,3}") {
            let _ = read_response(&mut raw.as_bytes());
        }
    }

    #[test]
    fn responses_are_framed_by_length_chunks_or_the_end() {
        check("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}trailing", 200, "{}");
        check(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\nT: 1\r\n\r\n",
            200,
            "abcde",
        );
        check("HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n\r\nto the end", 404, "to the end");
        check("HTTP/1.0 204 No Content\r\n\r\n", 204, "");
    }

    #[test]
    fn malformed_responses_are_errors_not_panics() {
        check_malformed("", "closed before");
        check_malformed("SSH-2.0-OpenSSH\r\n\r\n", "not HTTP");
        check_malformed("HTTP/1.1 abc OK\r\n\r\n", "no status code");
        check_malformed("HTTP/1.1 200 OK\r\nbad header\r\n\r\n", "no colon");
        check_malformed("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "not a number");
        check_malformed("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort", "4 bytes before");
        check_malformed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not hexadecimal");
        check_malformed(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n0\r\n\r\n",
            "longer than its size",
        );
    }

    #[test]
    fn requests_carry_their_length_and_close() {
        let request = Request {
            method: "POST".into(),
            target: "/v1/services".into(),
            content_type: Some("application/json".into()),
            accept: None,
            body: HttpBody::Text("{}".into()),
            extra_wait: Duration::ZERO,
        };
        let text = String::from_utf8(encode_request(&request)).unwrap();
        assert!(text.starts_with("POST /v1/services HTTP/1.1\r\nHost: localhost\r\n"), "{text}");
        assert!(text.contains("Connection: close\r\n"), "{text}");
        assert!(text.ends_with("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"), "{text}");
    }

    #[test]
    fn query_components_are_escaped() {
        assert_eq!(query_escape("/etc/a b&c=d%é"), "/etc/a%20b%26c%3Dd%25%C3%A9");
    }
}

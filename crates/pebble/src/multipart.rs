//! `multipart/form-data`, as Pebble's files API speaks it: a push's body as Pebble's own client
//! writes it (`client/files.go`, `Push`: a `request` part of JSON metadata, then one `files`
//! part per file, its `filename` the remote path), and a pull's answer as the daemon writes it
//! (`internals/daemon/api_files.go`, `readFilesResponse`: a `files` part per file read, then a
//! `response` part of JSON).

/// One part of a multipart body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part<'a> {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The `filename` of its `Content-Disposition`, if any.
    pub filename: Option<String>,
    /// Its content.
    pub body: &'a [u8],
}

/// A push's body for one file, and its `Content-Type`. The boundary is derived from the content
/// (and is in neither the content nor the metadata), so the same push is the same bytes: a
/// recorded exchange can be matched.
pub(crate) fn encode_push(metadata: &str, path: &str, content: &[u8]) -> (Vec<u8>, String) {
    let boundary = boundary_for(metadata.as_bytes(), content);
    let escaped = path.replace('\\', "\\\\").replace('"', "\\\"");
    let mut body = Vec::with_capacity(content.len() + metadata.len() + 4 * boundary.len() + 256);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"request\"\r\nContent-Type: application/json\r\n\r\n{metadata}\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{escaped}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// A boundary of at least 32 characters (Pebble's `minBoundaryLength`) found in neither input.
fn boundary_for(metadata: &[u8], content: &[u8]) -> String {
    // FNV-1a, 64 bits, of the content alone (so a push's bytes do not depend on its path's
    // directory, and a recording replays under another root): a spread, not a secret.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in content {
        hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    boundary_from(hash, metadata, content)
}

/// The first of `hash`, `hash + 1`, ... whose boundary is in neither input.
fn boundary_from(hash: u64, metadata: &[u8], content: &[u8]) -> String {
    (0u64..)
        .map(|salt| format!("pyroscope-cluster-pebble-{:016x}", hash.wrapping_add(salt)))
        .find(|boundary| !contains(content, boundary.as_bytes()) && !contains(metadata, boundary.as_bytes()))
        .unwrap_or_default()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// The boundary of a `multipart/form-data` content type.
pub(crate) fn boundary_of(content_type: &str) -> Option<String> {
    let (media, params) = content_type.split_once(';')?;
    if !media.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parameters(params).into_iter().find(|(name, _)| name.eq_ignore_ascii_case("boundary")).map(|(_, value)| value)
}

/// `name=value; name="quoted \"value\""` parameters, as Go's `mime.ParseMediaType` reads them.
fn parameters(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text.trim_start_matches([';', ' ']);
    while let Some((name, after)) = rest.split_once('=') {
        let name = name.trim().to_owned();
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((at, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = at + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        out.push((name, value));
        rest = after.trim_start_matches([';', ' ']);
    }
    out
}

/// The parts of a multipart body, or what is wrong with it.
pub(crate) fn parts<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let opening = format!("--{boundary}");
    let delimiter = format!("\r\n--{boundary}");
    let mut rest = body
        .strip_prefix(opening.as_bytes())
        .ok_or_else(|| format!("the multipart body does not open with its boundary {boundary:?}"))?;
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest.strip_prefix(b"\r\n").ok_or("a multipart boundary is not followed by a line end")?;
        let head_end = find(rest, b"\r\n\r\n").ok_or("a multipart part's headers have no end")?;
        let head = std::str::from_utf8(&rest[..head_end]).map_err(|_| "a multipart part's headers are not UTF-8")?;
        let after_head = &rest[head_end + 4..];
        let body_end = find(after_head, delimiter.as_bytes()).ok_or("a multipart part has no closing boundary")?;
        let mut name = None;
        let mut filename = None;
        for line in head.split("\r\n") {
            let Some((header, value)) = line.split_once(':') else {
                return Err(format!("the multipart header line {line:?} has no colon"));
            };
            if header.trim().eq_ignore_ascii_case("content-disposition") {
                for (param, value) in parameters(value.split_once(';').map_or("", |(_, params)| params)) {
                    match param.as_str() {
                        "name" => name = Some(value),
                        "filename" => filename = Some(value),
                        _ => {}
                    }
                }
            }
        }
        let name = name.ok_or("a multipart part has no name")?;
        parts.push(Part { name, filename, body: &after_head[..body_end] });
        rest = &after_head[body_end + delimiter.len()..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_is_the_bytes_pebbles_client_sends() {
        let (body, content_type) = encode_push(r#"{"action":"write"}"#, "/etc/a \"b\".yaml", b"x: 1\n");
        let boundary = boundary_of(&content_type).unwrap();
        assert!(boundary.len() >= 32);
        let text = String::from_utf8(body.clone()).unwrap();
        assert!(text.starts_with(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"request\"\r\nContent-Type: application/json\r\n\r\n{{\"action\":\"write\"}}\n\r\n--{boundary}\r\n")), "{text}");
        assert!(
            text.ends_with(&format!("Content-Type: application/octet-stream\r\n\r\nx: 1\n\r\n--{boundary}--\r\n")),
            "{text}"
        );
        // And it reads back as Pebble reads it.
        let parts = parts(&body, &boundary).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!((parts[0].name.as_str(), parts[0].body), ("request", &b"{\"action\":\"write\"}\n"[..]));
        assert_eq!(parts[1].filename.as_deref(), Some("/etc/a \"b\".yaml"));
        assert_eq!(parts[1].body, b"x: 1\n");
    }

    #[test]
    fn the_boundary_is_never_in_the_content() {
        let taken = format!("pyroscope-cluster-pebble-{:016x}", 7);
        assert_eq!(boundary_from(7, b"", b""), taken);
        assert_eq!(boundary_from(7, b"", taken.as_bytes()), format!("pyroscope-cluster-pebble-{:016x}", 8));
        assert_eq!(boundary_from(7, taken.as_bytes(), b""), format!("pyroscope-cluster-pebble-{:016x}", 8));
    }

    proptest::proptest! {
        /// Any body is parts or an error, never a panic.
        #[test]
        fn any_body_is_read_or_refused(body in "(--b(--)?(\r\n)?((Content-Disposition: form-data; name=\"[a-z]{0,3}\"(; filename=\"[a-z\\\\\"]{0,4}\")?|[a-z:]{0,4})\r\n){0,2}(\r\n)?[a-z-]{0,5}\r\n){0,4}") {
            let _ = parts(body.as_bytes(), "b");
        }
    }

    #[test]
    fn malformed_multipart_bodies_are_errors() {
        for (body, problem) in [
            ("nope", "does not open"),
            ("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nbody", "no closing boundary"),
            ("--b\r\nbroken\r\n\r\nbody\r\n--b--", "no colon"),
            ("--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n--b--", "no name"),
            ("--bX", "not followed by a line end"),
        ] {
            let err = parts(body.as_bytes(), "b").unwrap_err();
            assert!(err.contains(problem), "{body}: {err}");
        }
    }
}

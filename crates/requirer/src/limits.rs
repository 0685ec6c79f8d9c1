//! What a worker takes from a coordinator before it parses or uses it: `worker_config` within
//! bounds of size, entries and nesting ([`check_bounds`]), and TLS material of the form it will
//! write or hand to Juju ([`check_tls`]).
//!
//! The coordinator is trusted for the configuration's content, not for the worker's resources:
//! a hook must finish in well under a second whatever the databag holds, and a value that goes
//! into a hook tool's arguments or a file must be what its key says.

use std::fmt;

/// The most bytes of `worker_config` a worker parses: 4 MiB, some 50,000 gossip members
/// (a configuration for 10,000 worker units is under 1 MiB).
pub const MAX_WORKER_CONFIG_BYTES: usize = 4 << 20;

/// The most entries of `worker_config` a worker parses, counted before parsing as the lines
/// that hold something plus the flow separators (`,`, `[`, `{`) in them: at least as many as the
/// keys of all its mappings and the items of all its lists.
pub const MAX_WORKER_CONFIG_ENTRIES: usize = 100_000;

/// The deepest nesting of `worker_config` a worker parses, counted before parsing from each
/// line's indentation, its `- ` markers and the flow brackets open (Pyroscope's deepest key is
/// six levels down).
pub const MAX_WORKER_CONFIG_DEPTH: usize = 32;

/// The longest PEM text a worker takes for `ca_cert` or `server_cert`: 64 KiB, dozens of
/// certificates.
pub const MAX_CERTIFICATE_BYTES: usize = 64 << 10;

/// Which bound `worker_config` passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigBound {
    /// Its size, in bytes ([`MAX_WORKER_CONFIG_BYTES`]).
    Bytes {
        /// Its size.
        found: usize,
    },
    /// Its entries ([`MAX_WORKER_CONFIG_ENTRIES`]); counting stops past the bound.
    Entries,
    /// Its nesting ([`MAX_WORKER_CONFIG_DEPTH`]).
    Depth {
        /// The line (from 1) where it nests too deep.
        line: usize,
    },
}

impl fmt::Display for ConfigBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigBound::Bytes { found } => {
                write!(f, "is {found} bytes long, more than the {MAX_WORKER_CONFIG_BYTES} a worker takes (bound: size)")
            }
            ConfigBound::Entries => write!(
                f,
                "has more than the {MAX_WORKER_CONFIG_ENTRIES} entries a worker takes (bound: entries, counted as \
                 lines and flow separators)"
            ),
            ConfigBound::Depth { line } => write!(
                f,
                "nests deeper than the {MAX_WORKER_CONFIG_DEPTH} levels a worker takes at line {line} (bound: nesting)"
            ),
        }
    }
}

/// Checks `text` (a `worker_config`) against the bounds, in one pass and without parsing it.
pub fn check_bounds(text: &str) -> Result<(), ConfigBound> {
    if text.len() > MAX_WORKER_CONFIG_BYTES {
        return Err(ConfigBound::Bytes { found: text.len() });
    }
    let mut entries = 0usize;
    // The indentations of the block levels open, innermost last.
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    for (n, line) in text.lines().enumerate() {
        let content = line.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        entries += 1 + content.bytes().filter(|byte| matches!(byte, b',' | b'[' | b'{')).count();
        if entries > MAX_WORKER_CONFIG_ENTRIES {
            return Err(ConfigBound::Entries);
        }
        let indent = line.len() - content.len();
        while indents.last().is_some_and(|&open| open >= indent) {
            indents.pop();
        }
        indents.push(indent);
        // `- - - x`: a list in a list on one line, a level each.
        let mut inline = 0;
        let mut rest = content;
        while let Some(after) = rest.strip_prefix('-').filter(|after| after.is_empty() || after.starts_with(' ')) {
            inline += 1;
            rest = after.trim_start_matches(' ');
        }
        // Brackets in quoted text count too: the bound is on what a parser could be made to nest.
        let mut deepest_flow = flow;
        for byte in content.bytes() {
            match byte {
                b'[' | b'{' => {
                    flow += 1;
                    deepest_flow = deepest_flow.max(flow);
                }
                b']' | b'}' => flow = flow.saturating_sub(1),
                _ => {}
            }
        }
        if indents.len() + inline + deepest_flow > MAX_WORKER_CONFIG_DEPTH {
            return Err(ConfigBound::Depth { line: n + 1 });
        }
    }
    Ok(())
}

/// What is wrong with one TLS value the coordinator sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsProblem {
    /// `privkey_secret_id` is not a Juju secret URI.
    SecretId,
    /// A certificate is longer than [`MAX_CERTIFICATE_BYTES`].
    TooLong,
    /// A certificate is not PEM `CERTIFICATE` blocks.
    NotPem,
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsProblem::SecretId => {
                "is not a Juju secret URI (`secret:` and a 20-character ID, or `secret://<model UUID>/<ID>`)"
            }
            TlsProblem::TooLong => "is longer than the 65536 bytes a worker takes for a certificate",
            TlsProblem::NotPem => "is not PEM: one or more `-----BEGIN CERTIFICATE-----` blocks of base64",
        })
    }
}

/// Checks the TLS values (a `ReceivedTls`'s) before the worker uses them: the secret ID before
/// it goes to `secret-get`, the certificates before they are written to files Pyroscope reads.
/// The first problem, with its key.
pub fn check_tls(ca_cert: &str, server_cert: &str, privkey_secret_id: &str) -> Result<(), (&'static str, TlsProblem)> {
    if !is_secret_uri(privkey_secret_id) {
        return Err(("privkey_secret_id", TlsProblem::SecretId));
    }
    for (key, pem) in [("ca_cert", ca_cert), ("server_cert", server_cert)] {
        if pem.len() > MAX_CERTIFICATE_BYTES {
            return Err((key, TlsProblem::TooLong));
        }
        if !is_certificate_pem(pem) {
            return Err((key, TlsProblem::NotPem));
        }
    }
    Ok(())
}

/// A Juju secret URI as Juju parses one (juju/juju `core/secrets/secret.go`, `ParseURI`): the
/// scheme `secret:`, an optional source model UUID (`secret://<uuid>/<id>` or
/// `secret:<uuid>/<id>`), and an ID of 20 characters `[0-9a-z]` (an xid).
pub fn is_secret_uri(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("secret:") else { return false };
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let id = match rest.split_once('/') {
        Some((uuid, id)) if is_uuid(uuid) => id,
        Some(_) => return false,
        None => rest,
    };
    id.len() == 20 && id.bytes().all(|byte| byte.is_ascii_digit() || byte.is_ascii_lowercase())
}

/// A lowercase UUID: 8-4-4-4-12 hexadecimal digits.
fn is_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(group, len)| {
            group.len() == len && group.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
        })
}

/// One or more PEM `CERTIFICATE` blocks (RFC 7468): each a BEGIN line, base64 lines, an END line;
/// blank lines around them; nothing else, no control character but line ends.
fn is_certificate_pem(text: &str) -> bool {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut blocks = 0;
    let mut inside = false;
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line).trim_end_matches([' ', '\t']);
        match (inside, line) {
            (false, "") => {}
            (false, BEGIN) => inside = true,
            (true, END) => {
                inside = false;
                blocks += 1;
            }
            (true, body) if !body.is_empty() => {
                if !body.bytes().all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'+' | b'/' | b'=')) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    !inside && blocks > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_uris() {
        for good in [
            "secret:cmn0vhv7n3es7ag2k7ug",
            "secret://f47ac10b-58cc-4372-a567-0e02b2c3d479/cmn0vhv7n3es7ag2k7ug",
            "secret:f47ac10b-58cc-4372-a567-0e02b2c3d479/cmn0vhv7n3es7ag2k7ug",
        ] {
            assert!(is_secret_uri(good), "{good}");
        }
        for bad in [
            "--peek",
            "--label=x",
            "cmn0vhv7n3es7ag2k7ug",
            "secret:",
            "secret:abc",
            "secret:cmn0vhv7n3es7ag2k7uG",
            "secret:cmn0vhv7n3es7ag2k7ug ",
            "secret:-mn0vhv7n3es7ag2k7ug",
            "secret://host/cmn0vhv7n3es7ag2k7ug",
            "secret:cmn0vhv7n3es7ag2k7ug/cmn0vhv7n3es7ag2k7ug",
        ] {
            assert!(!is_secret_uri(bad), "{bad}");
        }
    }

    #[test]
    fn certificates() {
        let block = "-----BEGIN CERTIFICATE-----\nMIIB+zCCAaGgAwIBAgIU\nAA==\n-----END CERTIFICATE-----";
        for good in
            [block.to_owned(), format!("{block}\n"), format!("{block}\n\n{block}\n"), block.replace('\n', "\r\n")]
        {
            assert!(is_certificate_pem(&good), "{good:?}");
        }
        for bad in [
            String::new(),
            "CA".to_owned(),
            block.replace("CERTIFICATE", "PRIVATE KEY"),
            block.replace("AA==", "AA==\u{1b}[2J"),
            block.replace("-----END CERTIFICATE-----", ""),
            format!("{block}\nsomething"),
        ] {
            assert!(!is_certificate_pem(&bad), "{bad:?}");
        }
    }

    #[test]
    fn bounds() {
        assert_eq!(check_bounds("a: 1\n"), Ok(()));
        let members: String = (0..10_000).map(|i| format!("  - pyroscope-worker-{i}.endpoints:7946\n")).collect();
        assert_eq!(check_bounds(&format!("memberlist:\n  join_members:\n{members}")), Ok(()));
        let flow: String = (0..10_000).map(|i| format!("'10.0.{}.{}:7946', ", i / 256, i % 256)).collect();
        assert_eq!(check_bounds(&format!("memberlist: {{join_members: [{flow}]}}\n")), Ok(()));

        let big = format!("a: '{}'\n", "x".repeat(MAX_WORKER_CONFIG_BYTES));
        assert_eq!(check_bounds(&big), Err(ConfigBound::Bytes { found: MAX_WORKER_CONFIG_BYTES + 6 }));
        let lines: String = (0..=MAX_WORKER_CONFIG_ENTRIES).map(|i| format!("k{i}: 1\n")).collect();
        assert_eq!(check_bounds(&lines), Err(ConfigBound::Entries));
        let flow: String = (0..=MAX_WORKER_CONFIG_ENTRIES).map(|i| format!("k{i}: 1,")).collect();
        assert_eq!(check_bounds(&format!("{{{flow}}}")), Err(ConfigBound::Entries));

        let nested = |depth: usize| -> String {
            (0..depth).map(|level| format!("{}k{level}:\n", " ".repeat(level * 2))).collect()
        };
        assert_eq!(check_bounds(&nested(MAX_WORKER_CONFIG_DEPTH)), Ok(()));
        assert_eq!(check_bounds(&nested(MAX_WORKER_CONFIG_DEPTH + 1)), Err(ConfigBound::Depth { line: 33 }));
        let dashes = format!("a:\n{}x\n", "- ".repeat(MAX_WORKER_CONFIG_DEPTH));
        assert_eq!(check_bounds(&dashes), Err(ConfigBound::Depth { line: 2 }));
        let brackets = format!("a: {}{}\n", "[".repeat(MAX_WORKER_CONFIG_DEPTH), "]".repeat(MAX_WORKER_CONFIG_DEPTH));
        assert_eq!(check_bounds(&brackets), Err(ConfigBound::Depth { line: 1 }));
        // Back out of a deep level, the count starts again from the indentation.
        let back = format!("{}b: 1\n", nested(MAX_WORKER_CONFIG_DEPTH));
        assert_eq!(check_bounds(&back), Ok(()));
    }
}

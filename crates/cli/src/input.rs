//! Reading the input of a verb: a file, or standard input for `-` or no file; then parsing it.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use pyroscope_cluster_model::yaml;
use pyroscope_cluster_provider::ReconcileInput;
use serde::de::DeserializeOwned;

use crate::Failure;

/// Where a verb's input comes from; named in every error message.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    pub(crate) fn from_arg(arg: Option<&Path>) -> Self {
        match arg {
            None => Source::Stdin,
            Some(path) if path == Path::new("-") => Source::Stdin,
            Some(path) => Source::File(path.to_owned()),
        }
    }

    /// The name errors use: the path, or `<stdin>`.
    pub(crate) fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".to_owned(),
            Source::File(path) => path.display().to_string(),
        }
    }

    /// The whole input as text, read up to [`MAX_INPUT`] bytes. A file that cannot be opened or
    /// read is a usage error (exit 2); input that is larger, that is binary by its first bytes
    /// (refused before the rest is read), or that is not UTF-8 is invalid input (exit 1).
    pub(crate) fn read(&self) -> Result<String, Failure> {
        let cannot_read = |err: std::io::Error| Failure::usage(format!("{}: cannot read: {err}", self.name()));
        let read = match self {
            Source::Stdin => {
                let stdin = std::io::stdin();
                if stdin.is_terminal() {
                    // Not a silent wait: a person who forgot the FILE learns what is expected.
                    let _ = writeln!(
                        std::io::stderr(),
                        "pyroscope-cluster: reading standard input (give a FILE, or end the input with Ctrl-D)"
                    );
                }
                read_text(stdin.lock(), MAX_INPUT)
            }
            Source::File(path) => {
                let file = std::fs::File::open(path).map_err(cannot_read)?;
                // A regular file's size is known: a large one is refused unread.
                let size = file.metadata().ok().filter(std::fs::Metadata::is_file).map(|metadata| metadata.len());
                match size {
                    Some(size) if size > MAX_INPUT as u64 => Err(NotText::TooLarge),
                    _ => read_text(file, MAX_INPUT),
                }
            }
        };
        read.map_err(|err| match err {
            NotText::Io(err) => cannot_read(err),
            refused => Failure::invalid(format!("{}: {refused}", self.name())),
        })
    }
}

/// The most a verb reads from one input: 64 MiB. No capture comes near it (the `juju show-unit`
/// capture of a coordinator with 10,000 worker units is about 5 MB); an endless input
/// (`/dev/zero`, a runaway pipe) stops here, in bounded memory.
pub(crate) const MAX_INPUT: usize = 64 << 20;

/// How much of an input is looked at before the rest is read, to tell binary data from text.
const SNIFF: usize = 8 << 10;

/// Why an input is not read as text.
#[derive(Debug)]
enum NotText {
    Io(std::io::Error),
    /// More than [`MAX_INPUT`] bytes.
    TooLarge,
    /// Binary data by its first bytes: what was found, where, and the first bytes in hex.
    Binary {
        what: &'static str,
        at: usize,
        head: String,
    },
    /// Not UTF-8: the first byte that is not.
    NotUtf8 {
        at: usize,
    },
}

impl std::fmt::Display for NotText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotText::Io(err) => write!(f, "cannot read: {err}"),
            NotText::TooLarge => write!(
                f,
                "larger than {} MiB, the most read from one input (no capture comes near it): not read",
                MAX_INPUT >> 20
            ),
            NotText::Binary { what, at, head } => {
                write!(
                    f,
                    "binary data, not YAML or JSON text ({what} at byte {at}; it starts {head}): not read further"
                )
            }
            NotText::NotUtf8 { at } => write!(f, "not UTF-8 text (byte {at})"),
        }
    }
}

/// Reads `reader` to its end as text, at most `limit` bytes: its first [`SNIFF`] bytes are
/// checked to be text ([`binary`]) before the rest is read.
fn read_text(reader: impl Read, limit: usize) -> Result<String, NotText> {
    let mut reader = reader.take(limit as u64 + 1);
    let mut bytes = Vec::new();
    (&mut reader).take(SNIFF as u64).read_to_end(&mut bytes).map_err(NotText::Io)?;
    if let Some((what, at)) = binary(&bytes) {
        let head: Vec<String> = bytes.iter().take(8).map(|byte| format!("{byte:02x}")).collect();
        return Err(NotText::Binary { what, at, head: head.join(" ") });
    }
    if bytes.len() == SNIFF {
        reader.read_to_end(&mut bytes).map_err(NotText::Io)?;
    }
    if bytes.len() > limit {
        return Err(NotText::TooLarge);
    }
    String::from_utf8(bytes).map_err(|err| NotText::NotUtf8 { at: err.utf8_error().valid_up_to() })
}

/// Whether the first bytes of an input show binary data, and where: a NUL byte, a control
/// character that no YAML or JSON text holds (a C0 control other than tab, line feed and
/// carriage return, or DEL), or a byte that is not UTF-8 (a character cut at the end of `head`
/// is not counted).
fn binary(head: &[u8]) -> Option<(&'static str, usize)> {
    let control = |byte: u8| (byte < 0x20 && !matches!(byte, b'\t' | b'\n' | b'\r')) || byte == 0x7f;
    if let Some(at) = head.iter().position(|&byte| control(byte)) {
        return Some((if head[at] == 0 { "a NUL byte" } else { "a control character" }, at));
    }
    match std::str::from_utf8(head) {
        Err(err) if err.error_len().is_some() => Some(("a byte that is not UTF-8", err.valid_up_to())),
        _ => None,
    }
}

/// Reads YAML or JSON: JSON (an object or a list at the top) with the JSON parser, which is much
/// faster on large inputs, then as YAML if that fails (YAML's flow style also starts so), and
/// anything else as YAML, of which JSON is a subset. The error names the format it was read as
/// and the parser's message, with its line and column, and says what the text looks like when it
/// is a format that is not read (TOML, XML). Empty input, and a YAML tag (`!!python/object`), are
/// errors: neither is ever what a person meant.
pub(crate) fn parse_yaml_or_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    if text.trim().is_empty() {
        return Err("the input is empty".to_owned());
    }
    let start = text.trim_start().chars().next().unwrap_or(' ');
    let err = if matches!(start, '{' | '[') {
        let json = match serde_json::from_str(text) {
            Ok(value) => return Ok(value),
            Err(err) => err,
        };
        match yaml::from_str_untagged(text) {
            Ok(value) => return Ok(value),
            // A document that is valid JSON but not of the right shape: its JSON error says where.
            Err(_) => {
                format!("read as JSON (it starts with `{start}`): {}", crate::hints::parser_message(&json.to_string()))
            }
        }
    } else {
        match yaml::from_str_untagged(text) {
            Ok(value) => return Ok(value),
            Err(err) => format!("read as YAML: {}", crate::hints::parser_message(&err.to_string())),
        }
    };
    Err(match crate::hints::looks_like(text) {
        Some(looks) => format!("{err}; {looks}"),
        None => err,
    })
}

/// A reconcile input, read as [`parse_yaml_or_json`] reads it.
pub(crate) fn parse_reconcile_input(text: &str) -> Result<ReconcileInput, String> {
    parse_yaml_or_json(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_whole_large_or_small() {
        let dir = tempfile::tempdir().unwrap();
        for size in [0, 5, (1 << 20) - 1, 1 << 20, 3 << 20] {
            let text: String = (0..size).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            let path = dir.path().join(format!("input-{size}"));
            std::fs::write(&path, &text).unwrap();
            assert_eq!(Source::File(path).read().ok(), Some(text), "{size} bytes");
        }
        let missing = Source::File(dir.path().join("missing"));
        let failure = missing.read().unwrap_err();
        assert_eq!(failure.code, 2, "a usage error");
        assert!(failure.message.contains("missing: cannot read: "), "{}", failure.message);
    }

    /// Endless or binary input is refused in bounded memory: binary data by its first bytes,
    /// before the rest is read; text beyond the limit once the limit is passed.
    #[test]
    fn endless_or_binary_input_is_refused() {
        let endless = std::io::repeat;
        let err = read_text(endless(0), MAX_INPUT).unwrap_err().to_string();
        assert_eq!(
            err,
            "binary data, not YAML or JSON text (a NUL byte at byte 0; it starts 00 00 00 00 00 00 00 00): not read \
             further"
        );
        // Noise, as /dev/urandom gives: bytes that are not UTF-8 (or controls) early on.
        let noise: Vec<u8> = (0u32..4096).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        let err = read_text(std::io::Cursor::new(noise).chain(endless(0xff)), MAX_INPUT).unwrap_err();
        assert!(matches!(err, NotText::Binary { .. }), "{err}");
        let err = read_text(endless(b'a'), 1 << 20).unwrap_err().to_string();
        assert!(err.starts_with("larger than 64 MiB"), "{err}");
        assert_eq!(MAX_INPUT >> 20, 64, "the limit is named in the message and in --help");
        assert!(crate::INPUT_HELP.contains("at most 64 MiB"));
        // Text up to the limit is read; a control character (ESC) is binary.
        assert_eq!(read_text(&b"a: 1\n"[..], 5).unwrap(), "a: 1\n");
        assert!(matches!(read_text(&b"a: 1\n"[..], 4), Err(NotText::TooLarge)));
        assert!(matches!(read_text(&b"a: \x1b[31m"[..], 100), Err(NotText::Binary { at: 3, .. })));
        assert!(read_text(&b"tab:\t1\r\n"[..], 100).is_ok());
        // A character cut at the end of the first bytes is text, read whole.
        let text = format!("{}\u{e9}", "a".repeat(SNIFF - 1));
        assert_eq!(read_text(text.as_bytes(), MAX_INPUT).unwrap(), text);
        // Past the first bytes, a byte that is not UTF-8 is still refused.
        let late = [vec![b'a'; SNIFF + 10], vec![0xff]].concat();
        assert!(matches!(read_text(&late[..], MAX_INPUT), Err(NotText::NotUtf8 { at }) if at == SNIFF + 10));
    }

    /// A regular file over the limit is refused by its size, unread.
    #[test]
    fn a_large_regular_file_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sparse");
        // Sparse: as large as the limit and one byte, without writing it.
        std::fs::File::create(&path).unwrap().set_len(MAX_INPUT as u64 + 1).unwrap();
        let failure = Source::File(path).read().unwrap_err();
        assert_eq!(failure.code, 1);
        assert!(
            failure
                .message
                .ends_with("larger than 64 MiB, the most read from one input (no capture comes near it): not read"),
            "{}",
            failure.message
        );
    }

    #[test]
    fn json_and_yaml_read_alike() {
        let json = r#"{"settings": {"retention_period": "7d"}, "relations": []}"#;
        let yaml = "settings:\n  retention_period: 7d\nrelations: []\n";
        let (json, yaml) = (parse_reconcile_input(json).unwrap(), parse_reconcile_input(yaml).unwrap());
        assert_eq!(json, yaml);
        assert_eq!(parse_reconcile_input("  \n").unwrap_err(), "the input is empty");
    }
}

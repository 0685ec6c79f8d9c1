//! YAML, the encoding of `worker_config`'s content (a Pyroscope configuration file).
//!
//! Every crate of the workspace goes through this module for YAML, so that the YAML library can be
//! swapped here alone. It knows nothing of Pyroscope's configuration keys.
//!
//! Reading is serde_yaml's. Writing is this module's own block-style writer (`emit`), over ten
//! times faster than serde_yaml's on a configuration that lists thousands of workers, and laid out
//! as serde_yaml 0.9 lays it out, byte for byte wherever both write a string the same way. It is
//! stricter about plain (unquoted) strings: it writes one plain only when YAML 1.1 and 1.2 both
//! read it back as that string (so `yes`, `on`, `12:30` or `1_000` are quoted, for Go's yaml
//! and PyYAML as much as for serde_yaml). The few shapes it does not write (enum variants with
//! data, which YAML writes as tags; keys that are sequences or mappings) go to serde_yaml whole.
//!
//! [`to_string_pyyaml`] is the same writer with PyYAML's choices of string style (`yaml.dump`
//! with its defaults: YAML 1.1 resolution, ASCII only, folding at the 80th column): the bytes the
//! Canonical coordinator writes `worker_config` with, which `tests/fixtures/pyyaml-vectors.json`
//! (written by the real PyYAML) pins.

use serde::Serialize;
use serde::de::DeserializeOwned;

mod emit;
mod pyyaml;
#[cfg(test)]
mod tests;

/// A YAML document that could not be read into the requested type, or a value that could not be
/// written as YAML.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    message: String,
}

impl YamlError {
    fn new(err: serde_yaml::Error) -> Self {
        Self { message: err.to_string() }
    }
}

/// Writes `value` as a YAML document. Map keys come out in the order the value serializes them,
/// so a value made of structs and `BTreeMap`s always gives the same text.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    match emit::to_string(value, emit::Flavor::SerdeYaml) {
        Ok(text) => Ok(text),
        Err(emit::Error::Unsupported) => serde_yaml::to_string(value).map_err(YamlError::new),
        Err(emit::Error::Custom(message)) => Err(YamlError { message }),
    }
}

/// Writes `value` as PyYAML's `yaml.dump(value)` does with its default settings, byte for byte:
/// what the Canonical Pyroscope coordinator renders `worker_config` with. Map keys come out in the
/// order the value serializes them: sort them (structs with fields in alphabetical order,
/// `BTreeMap`s), as `yaml.dump` does.
///
/// The layout is the same as [`to_string`]'s; strings differ (see `pyyaml.rs`): a string is plain
/// whenever PyYAML's YAML 1.1 resolvers read it back as a string (`1e3`, `0o17` and `-dash` are
/// plain; `'yes'` and `'0123'` are quoted), every non-ASCII character is escaped in double quotes
/// (`"\xFCmlaut"`), and a long string folds at a space past the 80th column. Floating-point
/// numbers, enum variants with data and non-scalar keys are an error.
pub fn to_string_pyyaml<T: Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    emit::to_string(value, emit::Flavor::PyYaml).map_err(|err| YamlError { message: err.to_string() })
}

/// How deeply flow collections (`[...]`, `{...}`) may nest. serde_yaml refuses more than 128
/// levels of nesting anyway, but only after its parser has scanned the whole document, in time
/// quadratic in the depth: 40,000 levels (80 kB) take seconds. Checked first, it costs one pass.
const MAX_FLOW_DEPTH: usize = 128;

/// Reads one YAML document into `T`.
///
/// To compare configurations without knowing their keys, read into [`serde_json::Value`]: YAML
/// style, quoting and key order then no longer matter.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    if let Some(line) = flow_too_deep(text, MAX_FLOW_DEPTH) {
        return Err(YamlError {
            message: format!("flow collections nest deeper than {MAX_FLOW_DEPTH} levels at line {line}"),
        });
    }
    serde_yaml::from_str(text).map_err(YamlError::new)
}

/// Reads one YAML document into `T`, as [`from_str`], but refuses any tag (`!!python/object`,
/// `!Custom`): input from a person or a script, where a tag is a mistake that would otherwise be
/// dropped silently (serde reads the tagged value as if the tag were not there). An empty (or
/// `null`) document is an error too.
pub fn from_str_untagged<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    if let Some(line) = flow_too_deep(text, MAX_FLOW_DEPTH) {
        return Err(YamlError {
            message: format!("flow collections nest deeper than {MAX_FLOW_DEPTH} levels at line {line}"),
        });
    }
    let document: serde_yaml::Value = serde_yaml::from_str(text).map_err(YamlError::new)?;
    if document.is_null() {
        return Err(YamlError { message: "the document is empty (or `null`)".to_owned() });
    }
    // serde_yaml resolves the `!!` handle's tags (`!!python/object`) without keeping them in the
    // value: a `!!` where a token starts is one (an unquoted scalar cannot start with `!`).
    let secondary = text.lines().find_map(|line| {
        let at = line.find("!!")?;
        let before = line[..at].trim_end();
        let token_start = before.is_empty() || before.ends_with([':', '-', '[', '{', ',']);
        let quoted = before.contains(['\'', '"', '#']);
        (token_start && !quoted).then(|| line[at..].split_whitespace().next().unwrap_or("!!").to_owned())
    });
    if let Some(tag) = first_tag(&document).or(secondary) {
        return Err(YamlError { message: format!("YAML tags are not taken (found `{tag}`): write plain values") });
    }
    serde_yaml::from_str(text).map_err(YamlError::new)
}

/// The first tag in `value`, depth first.
fn first_tag(value: &serde_yaml::Value) -> Option<String> {
    match value {
        serde_yaml::Value::Tagged(tagged) => Some(tagged.tag.to_string()),
        serde_yaml::Value::Sequence(items) => items.iter().find_map(first_tag),
        serde_yaml::Value::Mapping(map) => {
            map.iter().find_map(|(key, value)| first_tag(key).or_else(|| first_tag(value)))
        }
        _ => None,
    }
}

/// The line at which `[` and `{` nest deeper than `limit`, if they do. Brackets inside quoted
/// scalars and comments do not count; a quote opens a scalar only where a token can start (after
/// white space, `[`, `{`, `,` or `:`, or at the start), so the `'` of `don't` does not.
fn flow_too_deep(text: &str, limit: usize) -> Option<usize> {
    let (mut depth, mut line) = (0usize, 1usize);
    let mut previous = b'\n';
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        let at_token_start = matches!(previous, b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':');
        match byte {
            b'\n' => line += 1,
            b'#' if matches!(previous, b' ' | b'\t' | b'\n' | b'\r') => {
                for next in bytes.by_ref() {
                    if next == b'\n' {
                        line += 1;
                        break;
                    }
                }
            }
            b'"' if at_token_start => {
                let mut escaped = false;
                for next in bytes.by_ref() {
                    match next {
                        b'\n' => line += 1,
                        b'\\' if !escaped => {
                            escaped = true;
                            continue;
                        }
                        b'"' if !escaped => break,
                        _ => {}
                    }
                    escaped = false;
                }
            }
            b'\'' if at_token_start => {
                for next in bytes.by_ref() {
                    match next {
                        b'\n' => line += 1,
                        b'\'' => break,
                        _ => {}
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(line);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = byte;
    }
    None
}

//! Secrets out of every output by default: a Pyroscope configuration's secret values show as
//! `<N bytes, not shown>` (N: the value's size) in JSON and in text; `--show-secrets` shows them.
//!
//! A value is secret by its key, or by its shape:
//! - its key's last name is in the model's table of secret configuration keys
//!   ([`SECRET_CONFIG_KEYS`]: `secret_access_key`, `access_key_id`, `password`, ...), or looks
//!   like one: a name with `secret`, `password`, `passwd`, `token` or `credential` in it, or
//!   within two edits of a table entry of six letters or more (`secret_acess_key`);
//! - every scalar under such a key, in a list or a mapping, is secret too;
//! - wherever it is: a text that holds a private key (`-----BEGIN ... PRIVATE KEY-----`), an AWS
//!   access key ID (`AKIA` and 16 capitals or digits), or a URL with credentials
//!   (`scheme://user:password@host`).
//!
//! A redacted value becomes a string, whatever it was (a secret number is one too); the rest of
//! the configuration keeps its keys, order and values.

use pyroscope_cluster_model::yaml;
use pyroscope_cluster_release::SECRET_CONFIG_KEYS;
use serde_json::Value;

/// How a redacted value of `size` bytes shows: the model's form.
pub(crate) fn not_shown(size: usize) -> String {
    format!("<{size} bytes, not shown>")
}

/// Whether a configuration key named `leaf` holds a secret (see the module's docs).
pub(crate) fn is_secret_key(leaf: &str) -> bool {
    let leaf = leaf.to_ascii_lowercase();
    if SECRET_CONFIG_KEYS.contains(&leaf.as_str()) {
        return true;
    }
    if ["secret", "password", "passwd", "token", "credential"].iter().any(|word| leaf.contains(word)) {
        return true;
    }
    SECRET_CONFIG_KEYS.iter().filter(|key| key.len() >= 6).any(|key| within_two_edits(&leaf, key))
}

/// Whether a text is secret by its shape, wherever it is (see the module's docs).
pub(crate) fn is_secret_shape(text: &str) -> bool {
    if text.contains("PRIVATE KEY-----") {
        return true;
    }
    let aws_key = text.as_bytes().windows(20).any(|window| {
        window.starts_with(b"AKIA") && window[4..].iter().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit())
    });
    if aws_key {
        return true;
    }
    // `scheme://user:password@host`: credentials before the host.
    text.split("://").skip(1).any(|rest| {
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        authority.rsplit_once('@').is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

/// Redacts, in a parsed configuration, every secret value (see the module's docs); how many.
pub(crate) fn redact_tree(value: &mut Value) -> usize {
    redact_at(value, false)
}

fn redact_at(value: &mut Value, under_secret: bool) -> usize {
    match value {
        Value::Object(map) => {
            map.iter_mut().map(|(key, value)| redact_at(value, under_secret || is_secret_key(key))).sum()
        }
        Value::Array(items) => items.iter_mut().map(|item| redact_at(item, under_secret)).sum(),
        Value::Null => 0,
        scalar => {
            let text = match &*scalar {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            // Already redacted (the output of a verb read again): as it is.
            let redacted = text.starts_with('<') && text.ends_with(" not shown>");
            if !redacted && (under_secret || is_secret_shape(&text)) {
                *scalar = Value::String(not_shown(text.len()));
                1
            } else {
                0
            }
        }
    }
}

/// A Pyroscope configuration (YAML text) with its secrets redacted: `None` when it holds none (the
/// text stays as it is, byte for byte); the whole text as its size when it is not YAML.
///
/// Only the top-level sections that may hold a secret ([`may_hold_a_secret`], by their lines)
/// are parsed, redacted and written again; the others stay as they are (and are not checked to
/// be YAML: a text that is not, with no line that may hold a secret, is kept as it is). A coordinator's
/// configuration lists every worker in `memberlist.join_members`: at 10,000 workers, parsing and
/// writing it all again took 40 ms, a third of `reconcile`'s run. A text that is not split into
/// sections so (anything but a mapping in block style at the top) is parsed whole.
pub(crate) fn redact_config(text: &str) -> Option<String> {
    match redact_sections(text) {
        Some(result) => result,
        None => redact_whole(text),
    }
}

/// [`redact_config`] on the whole text.
fn redact_whole(text: &str) -> Option<String> {
    let Ok(mut tree) = yaml::from_str::<Value>(text) else {
        return Some(format!("<{} bytes, not YAML, not shown>", text.len()));
    };
    if redact_tree(&mut tree) == 0 {
        return None;
    }
    Some(yaml::to_string_pyyaml(&tree).unwrap_or_else(|_| not_shown(text.len())))
}

/// [`redact_config`] section by section: `None` when the text is not a block mapping at the top
/// (or a section does not read alone), for [`redact_whole`]; else what [`redact_config`] gives.
fn redact_sections(text: &str) -> Option<Option<String>> {
    // An anchor or an alias may tie a section to another: read whole.
    let bytes = text.as_bytes();
    let tied = bytes.iter().enumerate().any(|(at, byte)| {
        matches!(byte, b'&' | b'*') && (at == 0 || matches!(bytes[at - 1], b' ' | b'\n' | b'[' | b'{' | b','))
    });
    if tied {
        return None;
    }
    // A top-level key starts a line; a section is its line and those after it up to the next
    // top-level key (a list under a top-level key may start its lines with `- `, at column 0).
    let mut sections: Vec<&str> = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let first = line.as_bytes().first().copied();
        let top_level = match first {
            None | Some(b' ' | b'\n' | b'\r') => false,
            Some(b'-') if line.starts_with("- ") || line.trim_end() == "-" => false,
            // Comments, documents, directives, explicit keys, anchors, tags, flow or block
            // scalars at the top: read whole.
            Some(b'#' | b'-' | b'.' | b'%' | b'?' | b'&' | b'*' | b'!' | b'{' | b'[' | b'|' | b'>' | b'\t') => {
                return None;
            }
            Some(_) => true,
        };
        if top_level && offset > 0 {
            sections.push(&text[start..offset]);
            start = offset;
        }
        if offset == 0 && !top_level {
            return None;
        }
        offset += line.len();
    }
    if start < text.len() {
        sections.push(&text[start..]);
    }
    let mut out = String::with_capacity(text.len());
    let mut redacted = 0;
    for section in sections {
        if !may_hold_a_secret(section) {
            out.push_str(section);
            continue;
        }
        let mut tree: Value = yaml::from_str(section).ok()?;
        if tree.as_object().is_none_or(|map| map.len() != 1) {
            return None;
        }
        match redact_tree(&mut tree) {
            0 => out.push_str(section),
            n => {
                redacted += n;
                out.push_str(&yaml::to_string_pyyaml(&tree).ok()?);
            }
        }
    }
    // The sections read alone must read together as the whole does.
    Some((redacted > 0).then_some(out))
}

/// Whether a section of a configuration may hold a secret, by its lines: a key (a name before
/// `:` and a space or the line's end, in block or flow style) that [`is_secret_key`] takes, or a
/// line shaped like a secret ([`is_secret_shape`]). It may say yes for nothing (the section is
/// then parsed); it never says no for a secret.
fn may_hold_a_secret(section: &str) -> bool {
    section.lines().any(|line| is_secret_shape(line) || line_keys(line).any(is_secret_key))
}

/// The names before each `:` that ends a key in `line` (followed by a space or the line's end),
/// quotes dropped.
fn line_keys(line: &str) -> impl Iterator<Item = &str> {
    let bytes = line.as_bytes();
    (0..bytes.len()).filter_map(move |at| {
        let ends_key = bytes[at] == b':' && bytes.get(at + 1).is_none_or(|next| next.is_ascii_whitespace());
        if !ends_key {
            return None;
        }
        let start = line[..at]
            .rfind(|c: char| c.is_ascii_whitespace() || matches!(c, '{' | ',' | '['))
            .map_or(0, |space| space + 1);
        let key = line[start..at].trim_matches(['"', '\'']);
        Some(key)
    })
}

/// Whether `a` and `b` are at most two edits apart (Levenshtein, as the key hints measure it).
fn within_two_edits(a: &str, b: &str) -> bool {
    a.len().abs_diff(b.len()) <= 2 && crate::hints::edit_distance(a, b) <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_keys_by_the_table_and_by_their_name() {
        for key in ["secret_access_key", "access_key_id", "password", "key", "secret_acess_key", "acces_key_id"] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["client_token", "SECRET", "db_passwd", "credentials"] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in ["bucket_name", "endpoint", "region", "insecure", "kvstore", "key_file", "http_listen_port"] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn secret_values_by_their_shape() {
        assert!(is_secret_shape("AKIAIOSFODNN7EXAMPLE"));
        assert!(is_secret_shape("-----BEGIN RSA PRIVATE KEY-----\nMII...\n-----END RSA PRIVATE KEY-----"));
        assert!(is_secret_shape("https://user:hunter2@minio:9000"));
        assert!(!is_secret_shape("https://minio:9000/path@x"));
        assert!(!is_secret_shape("pyroscope-worker-0@host"));
        assert!(!is_secret_shape("AKIA short"));
    }

    /// Every secret goes, by the table, in a list, misspelt, by shape; the rest stays.
    #[test]
    fn a_configuration_keeps_everything_but_its_secrets() {
        let config = "storage:\n  backend: s3\n  s3:\n    access_key_id: AKIAIOSFODNN7EXAMPLE\n    bucket_name: p\n    \
                      secret_access_key: [hunter2, more]\n    secret_acess_key: typo-secret\n    endpoint: minio:9000\n\
                      memberlist:\n  join_members:\n  - a:7946\n  - https://u:pw@b:7946\n  bind_port: 7946\n\
                      extra:\n  password: 1234\n";
        let redacted = redact_config(config).unwrap();
        for secret in ["AKIAIOSFODNN7EXAMPLE", "hunter2", "more", "typo-secret", "u:pw", "1234"] {
            assert!(!redacted.contains(secret), "{secret} in {redacted}");
        }
        for kept in ["backend: s3", "bucket_name: p", "endpoint: minio:9000", "- a:7946", "bind_port: 7946"] {
            assert!(redacted.contains(kept), "{kept} not in {redacted}");
        }
        assert!(
            redacted.contains("secret_access_key:\n    - <7 bytes, not shown>\n    - <4 bytes, not shown>\n"),
            "{redacted}"
        );
        assert!(redacted.contains("password: <4 bytes, not shown>"), "{redacted}");
        assert_eq!(redact_config("a: 1\nb: [x]\n"), None, "nothing secret: the text stays as it is");
        assert_eq!(redact_config(&redacted), None, "redacted once: as it is");
        assert_eq!(redact_whole("a: [").as_deref(), Some("<4 bytes, not YAML, not shown>"));
        // Not YAML, and a secret's key in it: the whole text goes.
        assert_eq!(redact_config("a:\n  password: [").as_deref(), Some("<16 bytes, not YAML, not shown>"));
        // Not YAML, and no line that may hold a secret: as it is.
        assert_eq!(redact_config("a: ["), None);
    }

    /// Section by section or whole, the same configuration: secrets in any section, in flow
    /// style, in a list at the top level, under a quoted key; texts that are not split so.
    #[test]
    fn sections_redact_as_the_whole_does() {
        let members: String = (0..50).map(|i| format!("  - w-{i}.svc:7946\n")).collect();
        let texts = [
            format!(
                "api: {{}}\nmemberlist:\n  bind_port: 7946\n  join_members:\n{members}storage:\n  s3:\n    secret_access_key: x\n"
            ),
            "a:\n- 1\n- 2\nb: {c: 1, secret_key: s}\n".to_owned(),
            "a:\n  \"password\": p\nz: 1\n".to_owned(),
            "a:\n  acess_kye_id: k\n".to_owned(),
            "a: 1\nb:\n  url: https://u:p@h\n".to_owned(),
            "a: 1\nb:\n  pem: \"-----BEGIN PRIVATE KEY-----\\nMII\\n-----END PRIVATE KEY-----\"\n".to_owned(),
            "# a comment\na:\n  password: p\n".to_owned(),
            "---\na:\n  password: p\n".to_owned(),
            "- password: p\n".to_owned(),
            "a: &x\n  password: p\nb: *x\n".to_owned(),
            "a: 1\nb: 2\n".to_owned(),
        ];
        for text in &texts {
            let whole = redact_whole(text);
            let by_sections = redact_config(text);
            assert_eq!(by_sections.is_some(), whole.is_some(), "{text}");
            if let (Some(whole), Some(by_sections)) = (whole, by_sections) {
                let (a, b): (Value, Value) = (yaml::from_str(&whole).unwrap(), yaml::from_str(&by_sections).unwrap());
                assert_eq!(a, b, "{text}");
                for secret in [": x", ": s\n", ": p\n", ": k\n", "u:p@", "MII"] {
                    assert!(!by_sections.contains(secret), "{secret} in {by_sections}");
                }
            }
        }
        // The members' section is not parsed, and stays as it was.
        assert!(redact_config(&texts[0]).unwrap().contains(&members));
        assert!(!may_hold_a_secret(&members));
        assert_eq!(line_keys("  b: {c: 1, secret_key: s}").collect::<Vec<_>>(), ["b", "c", "secret_key"]);
        assert_eq!(line_keys("  - '[fd00::1]:7946'").count(), 0);
    }
}

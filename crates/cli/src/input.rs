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

    /// The whole input as text. A file that cannot be read is a usage error; text that is not
    /// UTF-8 is invalid input.
    pub(crate) fn read(&self) -> Result<String, Failure> {
        let mut bytes = Vec::new();
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
                stdin.lock().read_to_end(&mut bytes).map(drop)
            }
            Source::File(path) => std::fs::read(path).map(|content| bytes = content),
        };
        read.map_err(|err| Failure::usage(format!("{}: cannot read: {err}", self.name())))?;
        String::from_utf8(bytes).map_err(|err| {
            Failure::invalid(format!("{}: not UTF-8 text (byte {})", self.name(), err.utf8_error().valid_up_to()))
        })
    }
}

/// Reads YAML or JSON: JSON (an object or a list at the top) with the JSON parser, which is much
/// faster on large inputs, and anything else as YAML, of which JSON is a subset. The error is the
/// parser's, with its line and column. Empty input, and a YAML tag (`!!python/object`), are
/// errors: neither is ever what a person meant.
pub(crate) fn parse_yaml_or_json<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    if text.trim().is_empty() {
        return Err("the input is empty".to_owned());
    }
    if text.trim_start().starts_with(['{', '[']) {
        serde_json::from_str(text).map_err(|err| err.to_string())
    } else {
        yaml::from_str_untagged(text).map_err(|err| err.to_string())
    }
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

    #[test]
    fn json_and_yaml_read_alike() {
        let json = r#"{"settings": {"retention_period": "7d"}, "relations": []}"#;
        let yaml = "settings:\n  retention_period: 7d\nrelations: []\n";
        let (json, yaml) = (parse_reconcile_input(json).unwrap(), parse_reconcile_input(yaml).unwrap());
        assert_eq!(json, yaml);
        assert_eq!(parse_reconcile_input("  \n").unwrap_err(), "the input is empty");
    }
}

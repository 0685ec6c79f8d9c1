//! Reading the input of a verb: a file, or standard input for `-` or no file.

use std::io::{IsTerminal, Read, Write};

use pyroscope_cluster_model::yaml;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

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

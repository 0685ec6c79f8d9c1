//! YAML, the encoding of `worker_config`'s content (a Pyroscope configuration file).
//!
//! Every crate of the workspace goes through this module for YAML, so that the YAML library can be
//! swapped here alone. It knows nothing of Pyroscope's configuration keys.

use serde::Serialize;
use serde::de::DeserializeOwned;

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
    serde_yaml::to_string(value).map_err(YamlError::new)
}

/// Reads one YAML document into `T`.
///
/// To compare configurations without knowing their keys, read into [`serde_json::Value`]: YAML
/// style, quoting and key order then no longer matter.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(YamlError::new)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn style_and_order_do_not_change_the_value() {
        let block: serde_json::Value = super::from_str("b: 1\na:\n  - x\n  - 'y'\n").unwrap();
        let flow: serde_json::Value = super::from_str("{a: [x, \"y\"], b: 1}").unwrap();
        assert_eq!(block, flow);
        assert_eq!(block, json!({"a": ["x", "y"], "b": 1}));
    }

    #[test]
    fn errors_say_where() {
        let err = super::from_str::<serde_json::Value>("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.to_string().contains("line "), "{err}");
    }
}

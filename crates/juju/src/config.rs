//! [`CharmConfig`]: a charm's options as `config-get` gives them, read into typed values with one
//! error for a bad option ([`OptionError`]).

use std::error::Error;
use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

/// The option of the charms on this crate that sets [`HookTools::refresh_cache_every`]
/// (`hook-cache-full-read-every`, an `int`).
///
/// [`HookTools::refresh_cache_every`]: crate::HookTools::refresh_cache_every
pub const CACHE_REFRESH_OPTION: &str = "hook-cache-full-read-every";

/// A charm's options as `config-get --format=json` gives them: every option that is set or has a
/// default. Read each with [`parse`](Self::parse) or [`flag`](Self::flag): a bad value is an
/// [`OptionError`] that names the option and its value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CharmConfig {
    options: Map<String, Value>,
}

impl CharmConfig {
    /// The options of a `config-get` answer.
    pub fn new(options: Map<String, Value>) -> Self {
        Self { options }
    }

    /// An option's value, as Juju gave it.
    pub fn get(&self, option: &str) -> Option<&Value> {
        self.options.get(option)
    }

    /// Every option, in name order.
    pub fn options(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.options.iter().map(|(name, value)| (name.as_str(), value))
    }

    /// The option's text (a string option's value; another type's JSON text), `None` when unset.
    pub fn text(&self, option: &str) -> Option<String> {
        self.get(option).map(|value| value.as_str().map_or_else(|| value.to_string(), str::to_owned))
    }

    /// The option read by `T`'s [`FromStr`]; `None` when unset.
    pub fn parse<T>(&self, option: &str) -> Result<Option<T>, OptionError>
    where
        T: FromStr,
        T::Err: Error + Send + Sync + 'static,
    {
        let Some(text) = self.text(option) else { return Ok(None) };
        text.parse().map(Some).map_err(|err| OptionError::new(option, text, err))
    }

    /// A boolean option; `None` when unset.
    pub fn flag(&self, option: &str) -> Result<Option<bool>, OptionError> {
        match self.get(option) {
            None => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(other) => Err(OptionError::new(option, other.to_string(), NotABoolean)),
        }
    }
}

#[derive(Debug)]
struct NotABoolean;

impl fmt::Display for NotABoolean {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not a boolean")
    }
}

impl Error for NotABoolean {}

/// A charm option whose value the charm cannot use: the option, its value, and why (the source).
#[derive(Debug, thiserror::Error)]
#[error("option {option} = {value:?}")]
pub struct OptionError {
    /// The option.
    pub option: String,
    /// Its value, as text.
    pub value: String,
    /// Why it is refused.
    #[source]
    pub source: Box<dyn Error + Send + Sync>,
}

impl OptionError {
    /// `option` = `value`, refused for `why`.
    pub fn new(option: &str, value: impl Into<String>, why: impl Error + Send + Sync + 'static) -> Self {
        Self { option: option.to_owned(), value: value.into(), source: Box::new(why) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> CharmConfig {
        CharmConfig::new(serde_json::from_str(json).unwrap())
    }

    #[test]
    fn options_read_typed_or_refused_with_option_and_value() {
        let config = config(r#"{"port": "80", "bad": "x", "on": true, "num": 3, "word": "yes"}"#);
        assert_eq!(config.parse::<u16>("port").unwrap(), Some(80));
        assert_eq!(config.parse::<u16>("num").unwrap(), Some(3));
        assert_eq!(config.parse::<u16>("absent").unwrap(), None);
        let err = config.parse::<u16>("bad").unwrap_err();
        assert_eq!(crate::error_chain(&err), "option bad = \"x\": invalid digit found in string");
        assert_eq!(config.flag("on").unwrap(), Some(true));
        assert_eq!(
            crate::error_chain(&config.flag("word").unwrap_err()),
            "option word = \"\\\"yes\\\"\": not a boolean"
        );
    }
}

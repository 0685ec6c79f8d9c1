//! [`Period`]: a duration setting as the operator wrote it, and [`DurationValue`], how it is
//! written for one key of the configuration file.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use pyroscope_cluster_release::{DurationError, PyroscopeRelease, go_duration, go_text, prometheus_duration};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration setting (`retention_period`, `compactor_cleanup_interval`, `compactor_deletion_delay`)
/// as the operator wrote it: `30d`, `90m`, `1h30m`, `0`.
///
/// It takes what either of Pyroscope's duration parsers takes, unsigned: Prometheus's (whole
/// numbers with units `y`, `w`, `d`, `h`, `m`, `s`, `ms`, largest first: `30d`, `1h30m`, and `0`,
/// the Canonical charm's options) and Go's (`1.5h`, `300ms`, `90s`). Each key of the configuration
/// is then written in the form its decoder takes, keeping the operator's spelling wherever it
/// does (see [`PyroscopeConfig::build`](crate::PyroscopeConfig::build)), as the Canonical
/// coordinator does: `30d` stays `30d` for the retention, `90m` stays `90m` for the compactor.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Period {
    text: Cow<'static, str>,
}

impl Period {
    /// `0`: for the retention, keep profiles for ever.
    pub const ZERO: Period = Period { text: Cow::Borrowed("0") };

    /// A period from a text known to be valid (the defaults).
    pub(crate) const fn known(text: &'static str) -> Self {
        Self { text: Cow::Borrowed(text) }
    }

    /// The text as the operator wrote it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// For a key Pyroscope decodes as a Prometheus `model.Duration`
    /// (`limits.compactor_blocks_retention_period`): the text as written (`30d`, `2y`), and `0` as
    /// the YAML integer `0` (as the Canonical coordinator writes it; the decoder reads an integer
    /// as its text).
    pub fn for_prometheus(&self) -> Result<DurationValue, DurationError> {
        prometheus_duration(&self.text)?;
        Ok(if self.text == "0" { DurationValue::Zero } else { DurationValue::Text(self.text.to_string()) })
    }

    /// For a key Pyroscope decodes as a Go `time.Duration` (`compactor.*`), on `release`:
    /// - a text in Go's grammar as written (`90m`, `12h`, `1h30m`, `1.5h`), but `0` as `zero`
    ///   says;
    /// - whole days, weeks or years (`1d`, `2w`, `1y`), which Go durations lack, as the same time
    ///   in hours (`24h`, `336h`, `8760h`).
    ///
    /// `zero` is how the Canonical coordinator writes `0` for that key: the YAML integer (for
    /// `deletion_delay`), which the releases whose decoder takes it get (1.18 to 2.0; 2.2 gets
    /// `0s`), or the string `'0'` (for `cleanup_interval`), which every release takes.
    pub fn for_go(&self, zero: ZeroAs, release: PyroscopeRelease) -> Result<DurationValue, DurationError> {
        if self.text == "0" {
            return Ok(match zero {
                ZeroAs::Integer if release.takes_int_zero_for_go_duration() => DurationValue::Zero,
                ZeroAs::Integer => DurationValue::Text("0s".to_owned()),
                ZeroAs::String => DurationValue::Text("0".to_owned()),
            });
        }
        match go_duration(&self.text) {
            Ok(_) => Ok(DurationValue::Text(self.text.to_string())),
            Err(go) => match prometheus_duration(&self.text) {
                Ok(nanos) => Ok(DurationValue::Text(go_text(nanos))),
                Err(_) => Err(go),
            },
        }
    }
}

/// How the Canonical coordinator writes a Go duration setting of `0`: see [`Period::for_go`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ZeroAs {
    /// The YAML integer `0` (`deletion_delay`).
    Integer,
    /// The string `'0'` (`cleanup_interval`).
    String,
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Why a string is not a [`Period`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is not a duration: it {why}; write whole numbers with units y, w, d, h, m, s, ms, largest first (`30d`, `1h30m`), a Go duration (`1.5h`, `300ms`), or `0`"
)]
pub struct PeriodError {
    /// The string as given.
    pub text: String,
    /// What is wrong with it (as Prometheus's parser, or Go's for a text with a fraction or a unit
    /// only Go has, sees it).
    pub why: DurationError,
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why| PeriodError { text: s.to_owned(), why };
        if s.starts_with('-') {
            return Err(err(DurationError::Negative));
        }
        let prometheus = prometheus_duration(s);
        let go = if s.starts_with('+') { Err(DurationError::Invalid) } else { go_duration(s).map(|_| ()) };
        match (prometheus, go) {
            (Ok(_), _) | (_, Ok(())) => Ok(Self { text: Cow::Owned(s.to_owned()) }),
            (Err(_), Err(go)) if s.contains(['.', 'n', 'u', '\u{b5}', '\u{3bc}']) => Err(err(go)),
            (Err(prometheus), Err(_)) => Err(err(prometheus)),
        }
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A duration as written in the configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DurationValue {
    /// The YAML integer `0`.
    Zero,
    /// A string: `90m`, `30d`, `0` (quoted, `'0'`), `24h`.
    Text(String),
}

impl fmt::Display for DurationValue {
    /// `0`, or the text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationValue::Zero => f.write_str("0"),
            DurationValue::Text(text) => f.write_str(text),
        }
    }
}

impl Serialize for DurationValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            DurationValue::Zero => serializer.serialize_u64(0),
            DurationValue::Text(text) => serializer.serialize_str(text),
        }
    }
}

impl<'de> Deserialize<'de> for DurationValue {
    /// The integer 0 or a string (as the file holds it; not checked).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = DurationValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration: the integer 0 or a string")
            }
            fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<DurationValue, E> {
                match value {
                    0 => Ok(DurationValue::Zero),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Unsigned(value), &self)),
                }
            }
            fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<DurationValue, E> {
                match value {
                    0 => Ok(DurationValue::Zero),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Signed(value), &self)),
                }
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<DurationValue, E> {
                Ok(DurationValue::Text(text.to_owned()))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn parse(input: &str, expect: Result<(), DurationError>) {
        assert_eq!(
            input.parse::<Period>().map(|p| assert_eq!(p.as_str(), input)).map_err(|err| err.why),
            expect,
            "{input:?}"
        );
    }

    #[test]
    fn parse_table() {
        use DurationError::*;
        for good in
            ["0", "0s", "15m", "12h", "30d", "1w", "2y", "1h30m", "90m", "1s500ms", "1.5h", "300ms", "10ns", "1d12h"]
        {
            parse(good, Ok(()));
        }
        parse("", Err(Empty));
        parse("15", Err(MissingUnit));
        parse("h", Err(Invalid));
        parse("-1h", Err(Negative));
        parse("+1h", Err(Invalid));
        parse("1.5d", Err(UnknownUnit("d".into())));
        parse("3x", Err(UnknownUnit("x".into())));
        parse("1 h", Err(UnknownUnit(" h".into())));
        parse("300y", Err(OutOfRange));
        parse("99999999999999999999s", Err(OutOfRange));
        parse("1d1d", Err(UnitOrder));
        let err = "1.5x".parse::<Period>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"1.5x\" is not a duration: it has the unit \"x\", which this duration does not take; write whole \
             numbers with units y, w, d, h, m, s, ms, largest first (`30d`, `1h30m`), a Go duration (`1.5h`, \
             `300ms`), or `0`"
        );
    }

    #[track_caller]
    fn go(input: &str, zero: ZeroAs, release: PyroscopeRelease, expect: Result<DurationValue, DurationError>) {
        let period: Period = input.parse().unwrap();
        assert_eq!(period.for_go(zero, release), expect, "{input:?} {zero:?} {release}");
    }

    #[test]
    fn go_keys_keep_the_spelling_where_go_takes_it() {
        use DurationValue::*;
        let (old, new) = (PyroscopeRelease::V1_18_2, PyroscopeRelease::V2_2_1);
        for release in [old, new] {
            for kept in ["90m", "12h", "1h30m", "15m", "30s", "0s", "1.5h", "300ms", "45s"] {
                go(kept, ZeroAs::Integer, release, Ok(Text(kept.into())));
            }
            go("1d", ZeroAs::Integer, release, Ok(Text("24h".into())));
            go("1w", ZeroAs::Integer, release, Ok(Text("168h".into())));
            go("2w", ZeroAs::String, release, Ok(Text("336h".into())));
            go("1y", ZeroAs::Integer, release, Ok(Text("8760h".into())));
            go("1d12h", ZeroAs::Integer, release, Ok(Text("36h".into())));
            go("1d30m", ZeroAs::Integer, release, Ok(Text("24h30m".into())));
            go("0", ZeroAs::String, release, Ok(Text("0".into())));
        }
        go("0", ZeroAs::Integer, old, Ok(Zero));
        go("0", ZeroAs::Integer, PyroscopeRelease::V2_0_6, Ok(Zero));
        go("0", ZeroAs::Integer, new, Ok(Text("0s".into())));
    }

    #[test]
    fn prometheus_keys_keep_the_spelling() {
        use DurationValue::*;
        for kept in ["30d", "2y", "1w", "90m", "720h", "1h30m", "0s", "45s"] {
            assert_eq!(kept.parse::<Period>().unwrap().for_prometheus(), Ok(Text(kept.into())));
        }
        assert_eq!(Period::ZERO.for_prometheus(), Ok(Zero));
        assert_eq!("1.5h".parse::<Period>().unwrap().for_prometheus(), Err(DurationError::Fraction));
        assert_eq!("30m1h".parse::<Period>().unwrap().for_prometheus(), Err(DurationError::UnitOrder));
        assert_eq!("10ns".parse::<Period>().unwrap().for_prometheus(), Err(DurationError::UnknownUnit("ns".into())));
    }

    #[test]
    fn serde() {
        let period: Period = serde_json::from_str(r#""30d""#).unwrap();
        assert_eq!(serde_json::to_string(&period).unwrap(), r#""30d""#);
        assert!(serde_json::from_str::<Period>(r#""30x""#).is_err());
        let values: Vec<DurationValue> = serde_json::from_str(r#"[0, "0", "90m"]"#).unwrap();
        assert_eq!(values, [DurationValue::Zero, DurationValue::Text("0".into()), DurationValue::Text("90m".into())]);
        assert!(serde_json::from_str::<DurationValue>("5").is_err());
        assert_eq!(serde_json::to_string(&values).unwrap(), r#"[0,"0","90m"]"#);
    }
}

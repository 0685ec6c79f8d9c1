//! [`Period`]: a duration as Pyroscope's configuration file takes it.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const MS_PER_SECOND: u64 = 1_000;
const MS_PER_MINUTE: u64 = 60 * MS_PER_SECOND;
const MS_PER_HOUR: u64 = 60 * MS_PER_MINUTE;
const MS_PER_DAY: u64 = 24 * MS_PER_HOUR;

/// The longest period Pyroscope can hold: Go's `time.Duration` and Prometheus's `model.Duration`
/// are `i64` nanoseconds.
const MAX_MS: u64 = i64::MAX as u64 / 1_000_000;

/// The units a period may be written in, longest first; years and weeks are fixed lengths, as in
/// Prometheus (`y` = 365 days).
const UNITS: &[(&str, u64)] = &[
    ("y", 365 * MS_PER_DAY),
    ("w", 7 * MS_PER_DAY),
    ("d", MS_PER_DAY),
    ("h", MS_PER_HOUR),
    ("ms", 1),
    ("m", MS_PER_MINUTE),
    ("s", MS_PER_SECOND),
];

/// A non-negative duration with millisecond precision, as a Pyroscope configuration takes it
/// (`compactor_blocks_retention_period`, `cleanup_interval`, `deletion_delay`).
///
/// Parsed from whole numbers with units `y`, `w`, `d`, `h`, `m`, `s`, `ms` (`30d`, `1h30m`, or
/// `0`), so a charm option in Prometheus style works. Written with hours as the largest unit
/// (`30d` becomes `720h`, zero is `0s`): the one form that both of Pyroscope's duration parsers
/// (Go's `time.ParseDuration`, which has no days, and Prometheus's `model.ParseDuration`, which
/// has no fractions) accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Period {
    ms: u64,
}

impl Period {
    /// Zero: for `compactor_blocks_retention_period`, keep profiles for ever.
    pub const ZERO: Period = Period { ms: 0 };

    /// A period of whole seconds; `None` when longer than Pyroscope can hold (about 292 years).
    pub const fn from_secs(secs: u64) -> Option<Self> {
        match secs.checked_mul(MS_PER_SECOND) {
            Some(ms) => Self::from_millis(ms),
            None => None,
        }
    }

    /// A period of whole milliseconds; `None` when longer than Pyroscope can hold.
    pub const fn from_millis(ms: u64) -> Option<Self> {
        if ms <= MAX_MS { Some(Self { ms }) } else { None }
    }

    /// The period in milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.ms
    }

    /// The period as a [`Duration`].
    pub const fn as_duration(self) -> Duration {
        Duration::from_millis(self.ms)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ms == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.ms;
        for (unit, size) in [("h", MS_PER_HOUR), ("m", MS_PER_MINUTE), ("s", MS_PER_SECOND), ("ms", 1)] {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

/// Why a string is not a [`Period`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a duration: {why} (write whole numbers with units y, w, d, h, m, s, ms: `30d`, `1h30m`, `0`)")]
pub struct PeriodError {
    /// The string as given.
    pub text: String,
    /// What is wrong with it.
    pub why: &'static str,
}

impl FromStr for Period {
    type Err = PeriodError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |why| PeriodError { text: s.to_owned(), why };
        if s == "0" {
            return Ok(Self::ZERO);
        }
        if s.is_empty() {
            return Err(err("it is empty"));
        }
        let mut rest = s;
        let mut ms: u64 = 0;
        while !rest.is_empty() {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return Err(err(match rest.as_bytes()[0] {
                    b'-' => "it is negative",
                    b'.' => "it has a fraction",
                    _ => "a unit has no number before it",
                }));
            }
            let number: u64 = rest[..digits].parse().map_err(|_| err("it is too long for Pyroscope"))?;
            rest = &rest[digits..];
            let Some(&(unit, size)) = UNITS.iter().find(|(unit, _)| rest.starts_with(unit)) else {
                return Err(err(match rest.bytes().next() {
                    None => "the last number has no unit",
                    Some(b'.') => "it has a fraction",
                    Some(_) => "it has an unknown unit",
                }));
            };
            rest = &rest[unit.len()..];
            ms = number
                .checked_mul(size)
                .and_then(|part| ms.checked_add(part))
                .ok_or(err("it is too long for Pyroscope"))?;
        }
        Self::from_millis(ms).ok_or(err("it is too long for Pyroscope"))
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expect: Result<&str, &str>) {
        match (input.parse::<Period>(), expect) {
            (Ok(period), Ok(shown)) => {
                assert_eq!(period.to_string(), shown, "{input:?}");
                assert_eq!(shown.parse::<Period>(), Ok(period), "the written form must read back");
            }
            (Err(err), Err(why)) => assert_eq!(err.why, why, "{input:?}"),
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parse_and_write_table() {
        check("0", Ok("0s"));
        check("0s", Ok("0s"));
        check("15m", Ok("15m"));
        check("12h", Ok("12h"));
        check("30d", Ok("720h"));
        check("1w", Ok("168h"));
        check("1y", Ok("8760h"));
        check("1h30m", Ok("1h30m"));
        check("90m", Ok("1h30m"));
        check("1s500ms", Ok("1s500ms"));
        check("1500ms", Ok("1s500ms"));
        check("1h0m0s", Ok("1h"));
        check("2562047h", Ok("2562047h"));
        check("", Err("it is empty"));
        check("15", Err("the last number has no unit"));
        check("h", Err("a unit has no number before it"));
        check("-1h", Err("it is negative"));
        check("1.5h", Err("it has a fraction"));
        check(".5h", Err("it has a fraction"));
        check("3x", Err("it has an unknown unit"));
        check("1 h", Err("it has an unknown unit"));
        check("2562048h", Err("it is too long for Pyroscope"));
        check("99999999999999999999s", Err("it is too long for Pyroscope"));
        check("300y", Err("it is too long for Pyroscope"));
    }

    #[test]
    fn constructors_bound_the_length() {
        assert_eq!(Period::from_secs(90).map(|p| p.to_string()), Some("1m30s".to_owned()));
        assert_eq!(Period::from_secs(u64::MAX), None);
        assert_eq!(Period::from_millis(MAX_MS + 1), None);
        assert_eq!(Period::from_millis(1_500).map(Period::as_duration), Some(Duration::from_millis(1_500)));
    }

    #[test]
    fn error_message_names_the_value_and_the_fix() {
        let err = "1.5h".parse::<Period>().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""1.5h" is not a duration: it has a fraction (write whole numbers with units y, w, d, h, m, s, ms: `30d`, `1h30m`, `0`)"#
        );
    }
}

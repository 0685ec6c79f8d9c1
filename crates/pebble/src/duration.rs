//! Go's durations, as Pebble's layers take them (`time.ParseDuration`) and its plan writes them
//! (`time.Duration.String`): a layer's `1m` reads back from the plan as `1m0s`, and the two are
//! the same [`GoDuration`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative duration with Go's text: parsed as `time.ParseDuration` parses
/// (`1h2m3.5s`, `500ms`, `0`), shown as `time.Duration.String` shows (`1h2m3.5s`, `500ms`,
/// `0s`). Go's durations are nanoseconds in an `int64`; so are these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration(Duration);

/// Why a text is not a Go duration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a Go duration (such as 30s, 1m30s or 500ms): {problem}")]
pub struct GoDurationError {
    text: String,
    problem: &'static str,
}

impl GoDuration {
    /// The longest: Go's `math.MaxInt64` nanoseconds.
    pub const MAX: GoDuration = GoDuration(Duration::from_nanos(i64::MAX as u64));

    /// This duration, if Go can hold it (at most [`Self::MAX`]).
    pub fn new(duration: Duration) -> Option<Self> {
        (duration <= Self::MAX.0).then_some(Self(duration))
    }

    /// The duration.
    pub fn get(self) -> Duration {
        self.0
    }
}

impl TryFrom<Duration> for GoDuration {
    type Error = GoDurationError;

    fn try_from(duration: Duration) -> Result<Self, Self::Error> {
        Self::new(duration).ok_or_else(|| GoDurationError {
            text: format!("{duration:?}"),
            problem: "longer than Go's int64 nanoseconds",
        })
    }
}

impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.0.as_nanos() as u64;
        if nanos == 0 {
            return f.write_str("0s");
        }
        if nanos < 1_000 {
            return write!(f, "{nanos}ns");
        }
        if nanos < 1_000_000 {
            return write!(f, "{}µs", fraction(nanos, 3));
        }
        if nanos < 1_000_000_000 {
            return write!(f, "{}ms", fraction(nanos, 6));
        }
        let seconds = nanos / 1_000_000_000;
        let (minutes, hours) = (seconds / 60, seconds / 3600);
        let second_text = fraction(nanos % 60_000_000_000, 9);
        if hours > 0 {
            write!(f, "{hours}h{}m{second_text}s", minutes % 60)
        } else if minutes > 0 {
            write!(f, "{minutes}m{second_text}s")
        } else {
            write!(f, "{second_text}s")
        }
    }
}

/// `value / 10^digits` in decimal, without trailing zeros (Go's `fmtFrac` and `fmtInt`).
fn fraction(value: u64, digits: u32) -> String {
    let unit = 10u64.pow(digits);
    let (whole, part) = (value / unit, value % unit);
    if part == 0 {
        return whole.to_string();
    }
    let part = format!("{part:0width$}", width = digits as usize);
    format!("{whole}.{}", part.trim_end_matches('0'))
}

impl FromStr for GoDuration {
    type Err = GoDurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |problem| GoDurationError { text: text.to_owned(), problem };
        let rest = text.strip_prefix('+').unwrap_or(text);
        if rest.starts_with('-') && rest != "-0" {
            return Err(fail("negative"));
        }
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        if rest == "0" {
            return Ok(Self::default());
        }
        if rest.is_empty() {
            return Err(fail("empty"));
        }
        let mut total: u128 = 0;
        let mut rest = rest;
        while !rest.is_empty() {
            let whole_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            let (whole, after) = rest.split_at(whole_len);
            let (part, after) = match after.strip_prefix('.') {
                Some(after) => {
                    let len = after.bytes().take_while(u8::is_ascii_digit).count();
                    after.split_at(len)
                }
                None => ("", after),
            };
            if whole.is_empty() && part.is_empty() {
                return Err(fail("a number is missing"));
            }
            let unit_len = after.find(|c: char| c == '.' || c.is_ascii_digit()).unwrap_or(after.len());
            let (unit, after) = after.split_at(unit_len);
            let scale: u128 = match unit {
                "ns" => 1,
                "us" | "µs" | "μs" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                "" => return Err(fail("a unit is missing")),
                _ => return Err(fail("the unit is not one of ns, us, µs, ms, s, m, h")),
            };
            let whole: u128 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| fail("out of range"))? };
            let mut value = whole.checked_mul(scale).ok_or_else(|| fail("out of range"))?;
            // The fraction, digit by digit, as Go does (rounding down).
            let mut place = scale;
            for digit in part.bytes() {
                place /= 10;
                if place == 0 {
                    break;
                }
                value += u128::from(digit - b'0') * place;
            }
            total = total.checked_add(value).ok_or_else(|| fail("out of range"))?;
            if total > i64::MAX as u128 {
                return Err(fail("out of range"));
            }
            rest = after;
        }
        Ok(Self(Duration::from_nanos(total as u64)))
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(text: &str, nanos: u64, shown: &str) {
        let duration: GoDuration = text.parse().unwrap();
        assert_eq!(duration.get(), Duration::from_nanos(nanos), "{text}");
        assert_eq!(duration.to_string(), shown, "{text}");
        assert_eq!(shown.parse::<GoDuration>().unwrap(), duration, "{shown}");
    }

    #[test]
    fn go_texts_read_and_show_as_go_does() {
        // Go's own table (`time/time_test.go`, `durationTests` and `parseDurationTests`).
        check("0", 0, "0s");
        check("0s", 0, "0s");
        check("1ns", 1, "1ns");
        check("1.1µs", 1_100, "1.1µs");
        check("2.2ms", 2_200_000, "2.2ms");
        check("3.3s", 3_300_000_000, "3.3s");
        check("4m5s", 245_000_000_000, "4m5s");
        check("4m5.001s", 245_001_000_000, "4m5.001s");
        check("5h6m7.001s", 18_367_001_000_000, "5h6m7.001s");
        check("8m0.000000001s", 480_000_000_001, "8m0.000000001s");
        check("2562047h47m16.854775807s", i64::MAX as u64, "2562047h47m16.854775807s");
        check("1m", 60_000_000_000, "1m0s");
        check("90s", 90_000_000_000, "1m30s");
        check("1h", 3_600_000_000_000, "1h0m0s");
        check("1.5h", 5_400_000_000_000, "1h30m0s");
        check("100us", 100_000, "100µs");
        check("10μs", 10_000, "10µs");
        check(".5s", 500_000_000, "500ms");
        check("1.s", 1_000_000_000, "1s");
        check("+30s", 30_000_000_000, "30s");
    }

    #[test]
    fn other_texts_are_refused_with_a_reason() {
        for (text, problem) in [
            ("", "empty"),
            ("-1s", "negative"),
            ("1", "a unit is missing"),
            ("s", "a number is missing"),
            (".s", "a number is missing"),
            ("1d", "not one of"),
            ("3000000h", "out of range"),
            ("9223372036854775808ns", "out of range"),
        ] {
            let err = text.parse::<GoDuration>().unwrap_err();
            assert!(err.to_string().contains(problem), "{text}: {err}");
        }
    }
}

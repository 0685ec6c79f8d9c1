//! The two duration grammars of Pyroscope's config file, as its decoders apply them.
//!
//! - [`go_duration`]: Go's `time.ParseDuration` (golang/go `src/time/format.go`), for keys of Go type
//!   `time.Duration`: an optional sign, then numbers with optional fractions, each with a unit of
//!   `ns`, `us`, `µs`, `μs`, `ms`, `s`, `m`, `h` (no days, weeks or years), in any order; or `0`.
//! - [`prometheus_duration`]: `model.ParseDuration` of prometheus/common (`model/time.go`, v0.66.1
//!   and v0.67.5, the versions Pyroscope 1.18 to 2.2 build with), for keys of type `model.Duration`:
//!   whole numbers with units `y`, `w`, `d`, `h`, `m`, `s`, `ms`, each at most once and from the
//!   largest to the smallest; or `0`. No sign, no fraction.
//!
//! Both accept exactly what their Go originals accept, and give the same value (nanoseconds).

use std::fmt;

/// Nanoseconds in a millisecond, second, ... (Go's `time` constants).
const MS: u64 = 1_000_000;
const SECOND: u64 = 1_000 * MS;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

/// `1 << 63`: the bound both parsers check against.
const LIMIT: u64 = 1 << 63;

/// Why a text is not a duration of one of the grammars. The message is a clause: "is negative".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// The text is empty.
    #[error("is empty")]
    Empty,
    /// A number has no unit after it.
    #[error("has a number without a unit")]
    MissingUnit,
    /// A unit the grammar does not have.
    #[error("has the unit {0:?}, which this duration does not take")]
    UnknownUnit(String),
    /// A sign (Prometheus durations have none).
    #[error("is negative")]
    Negative,
    /// A fraction (Prometheus durations have none).
    #[error("has a fraction")]
    Fraction,
    /// Units not from the largest to the smallest, or one twice (Prometheus).
    #[error("does not give its units once each from the largest to the smallest")]
    UnitOrder,
    /// Longer than a Go duration holds (about 292 years).
    #[error("is longer than Pyroscope can hold (about 292 years)")]
    OutOfRange,
    /// Anything else the grammar does not take (a unit with no number, a stray character).
    #[error("is not a duration")]
    Invalid,
}

/// A duration as Go's `time.ParseDuration` reads it, in nanoseconds (negative when signed `-`).
///
/// ```
/// use pyroscope_cluster_release::{DurationError, go_duration};
/// assert_eq!(go_duration("1h30m"), Ok(5_400_000_000_000));
/// assert_eq!(go_duration("1.5h"), Ok(5_400_000_000_000));
/// assert_eq!(go_duration("0"), Ok(0));
/// assert_eq!(go_duration("1d"), Err(DurationError::UnknownUnit("d".into())));
/// ```
pub fn go_duration(text: &str) -> Result<i64, DurationError> {
    let mut s = text.as_bytes();
    let mut negative = false;
    if let [sign @ (b'-' | b'+'), rest @ ..] = s {
        negative = *sign == b'-';
        s = rest;
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(if text.is_empty() { DurationError::Empty } else { DurationError::Invalid });
    }
    let mut total: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(DurationError::Invalid);
        }
        // [0-9]*
        let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
        let mut whole: u64 = 0;
        for &digit in &s[..digits] {
            if whole > LIMIT / 10 {
                return Err(DurationError::OutOfRange);
            }
            whole = whole * 10 + u64::from(digit - b'0');
            if whole > LIMIT {
                return Err(DurationError::OutOfRange);
            }
        }
        s = &s[digits..];
        // (\.[0-9]*)?
        let mut fraction: u64 = 0;
        let mut scale: f64 = 1.0;
        let mut post = false;
        if let [b'.', rest @ ..] = s {
            s = rest;
            let fraction_digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
            let mut overflow = false;
            for &digit in &s[..fraction_digits] {
                if overflow {
                    continue;
                }
                if fraction > (LIMIT - 1) / 10 {
                    overflow = true;
                    continue;
                }
                let next = fraction * 10 + u64::from(digit - b'0');
                if next > LIMIT {
                    overflow = true;
                    continue;
                }
                fraction = next;
                scale *= 10.0;
            }
            post = fraction_digits > 0;
            s = &s[fraction_digits..];
        }
        if digits == 0 && !post {
            return Err(DurationError::Invalid);
        }
        // The unit: everything up to the next digit or dot.
        let unit_len = s.iter().take_while(|b| !(**b == b'.' || b.is_ascii_digit())).count();
        if unit_len == 0 {
            return Err(DurationError::MissingUnit);
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let size = match unit {
            b"ns" => 1,
            // `us`, `µs` (U+00B5, micro sign) and `μs` (U+03BC, Greek mu), in UTF-8.
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => MS,
            b"s" => SECOND,
            b"m" => MINUTE,
            b"h" => HOUR,
            other => return Err(DurationError::UnknownUnit(String::from_utf8_lossy(other).into_owned())),
        };
        if whole > LIMIT / size {
            return Err(DurationError::OutOfRange);
        }
        let mut value = whole * size;
        if fraction > 0 {
            // As Go does: float64 is accurate to the nanosecond for fractions of an hour.
            value += (fraction as f64 * (size as f64 / scale)) as u64;
            if value > LIMIT {
                return Err(DurationError::OutOfRange);
            }
        }
        total += value;
        if total > LIMIT {
            return Err(DurationError::OutOfRange);
        }
    }
    if negative {
        // -(1 << 63) is i64::MIN: Go allows it.
        return Ok((total as i128).wrapping_neg() as i64);
    }
    i64::try_from(total).map_err(|_| DurationError::OutOfRange)
}

/// A duration as prometheus/common's `model.ParseDuration` reads it, in nanoseconds.
///
/// ```
/// use pyroscope_cluster_release::{DurationError, prometheus_duration};
/// assert_eq!(prometheus_duration("30d"), Ok(30 * 24 * 3_600_000_000_000));
/// assert_eq!(prometheus_duration("0"), Ok(0));
/// assert_eq!(prometheus_duration("1.5d"), Err(DurationError::Fraction));
/// assert_eq!(prometheus_duration("30m1h"), Err(DurationError::UnitOrder));
/// ```
pub fn prometheus_duration(text: &str) -> Result<u64, DurationError> {
    match text {
        "0" => return Ok(0),
        "" => return Err(DurationError::Empty),
        _ => {}
    }
    let mut s = text.as_bytes();
    let mut total: u64 = 0;
    let mut last_position = 0;
    while !s.is_empty() {
        if !s[0].is_ascii_digit() {
            return Err(match s[0] {
                b'-' if s.len() == text.len() => DurationError::Negative,
                b'.' => DurationError::Fraction,
                _ => DurationError::Invalid,
            });
        }
        let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
        let number = std::str::from_utf8(&s[..digits]).ok().and_then(|text| text.parse::<u64>().ok());
        let number = number.ok_or(DurationError::OutOfRange)?;
        s = &s[digits..];
        let unit_len = s.iter().take_while(|b| !b.is_ascii_digit()).count();
        if unit_len == 0 {
            return Err(DurationError::MissingUnit);
        }
        let unit = &s[..unit_len];
        s = &s[unit_len..];
        let (position, size) = match unit {
            b"y" => (1, 365 * DAY),
            b"w" => (2, 7 * DAY),
            b"d" => (3, DAY),
            b"h" => (4, HOUR),
            b"m" => (5, MINUTE),
            b"s" => (6, SECOND),
            b"ms" => (7, MS),
            other if other.starts_with(b".") => return Err(DurationError::Fraction),
            other => return Err(DurationError::UnknownUnit(String::from_utf8_lossy(other).into_owned())),
        };
        if position <= last_position {
            return Err(DurationError::UnitOrder);
        }
        last_position = position;
        if number > LIMIT / size {
            return Err(DurationError::OutOfRange);
        }
        total += number * size;
        if total > LIMIT - 1 {
            return Err(DurationError::OutOfRange);
        }
    }
    Ok(total)
}

/// A whole number of nanoseconds written in Go's grammar with hours as the largest unit: `24h`,
/// `1h30m`, `1m0.5s` never (fractions are written in the smaller units: `1m500ms`), `0s` for zero.
pub fn go_text(nanos: u64) -> String {
    GoText(nanos).to_string()
}

struct GoText(u64);

impl fmt::Display for GoText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.0;
        for (unit, size) in [("h", HOUR), ("m", MINUTE), ("s", SECOND), ("ms", MS), ("us", 1_000), ("ns", 1)] {
            if rest >= size {
                write!(f, "{}{unit}", rest / size)?;
                rest %= size;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn go(text: &str, expect: Result<i64, DurationError>) {
        assert_eq!(go_duration(text), expect, "{text:?}");
    }

    #[track_caller]
    fn prom(text: &str, expect: Result<u64, DurationError>) {
        assert_eq!(prometheus_duration(text), expect, "{text:?}");
    }

    const H: i64 = HOUR as i64;
    const M: i64 = MINUTE as i64;
    const S: i64 = SECOND as i64;

    /// Cases from Go's own `parseDurationTests` (`src/time/time_test.go`) and more.
    #[test]
    fn go_table() {
        use DurationError::*;
        go("0", Ok(0));
        go("-0", Ok(0));
        go("+0", Ok(0));
        go("5s", Ok(5 * S));
        go("30s", Ok(30 * S));
        go("1478s", Ok(1478 * S));
        go("-5s", Ok(-5 * S));
        go("+5s", Ok(5 * S));
        go("-0s", Ok(0));
        go("5.0s", Ok(5 * S));
        go("5.6s", Ok(5 * S + 600_000_000));
        go("5.s", Ok(5 * S));
        go(".5s", Ok(500_000_000));
        go("1.0s", Ok(S));
        go("1.00s", Ok(S));
        go("1.004s", Ok(S + 4_000_000));
        go("100.00100s", Ok(100 * S + 1_000_000));
        go("10ns", Ok(10));
        go("11us", Ok(11_000));
        go("12µs", Ok(12_000));
        go("12μs", Ok(12_000));
        go("13ms", Ok(13_000_000));
        go("14s", Ok(14 * S));
        go("15m", Ok(15 * M));
        go("16h", Ok(16 * H));
        go("3h30m", Ok(3 * H + 30 * M));
        go("30m3h", Ok(3 * H + 30 * M));
        go("1h1h", Ok(2 * H));
        go("10.5s4m", Ok(4 * M + 10 * S + 500_000_000));
        go("-2m3.4s", Ok(-(2 * M + 3 * S + 400_000_000)));
        go("1h2m3s4ms5us6ns", Ok(H + 2 * M + 3 * S + 4_000_000 + 5_000 + 6));
        go("39h9m14.425s", Ok(39 * H + 9 * M + 14 * S + 425_000_000));
        go("52763797000ns", Ok(52_763_797_000));
        go("0.3333333333333333333h", Ok(20 * M));
        go("9007199254740993ns", Ok(9_007_199_254_740_993));
        go("9223372036854775807ns", Ok(i64::MAX));
        go("9223372036854775.807us", Ok(i64::MAX));
        go("9223372036s854ms775us807ns", Ok(i64::MAX));
        go("-9223372036854775808ns", Ok(i64::MIN));
        go("-9223372036854775.808us", Ok(i64::MIN));
        go("0.100000000000000000000h", Ok(6 * M));
        go("0.830103483285477580700h", Ok(49 * M + 48 * S + 372_539_827));
        go("2562047h", Ok(2_562_047 * H));
        go("", Err(Empty));
        go("3", Err(MissingUnit));
        go("-", Err(Invalid));
        go("s", Err(Invalid));
        go(".", Err(Invalid));
        go("-.", Err(Invalid));
        go(".s", Err(Invalid));
        go("+.s", Err(Invalid));
        go("1d", Err(UnknownUnit("d".into())));
        go("1w", Err(UnknownUnit("w".into())));
        go("1y", Err(UnknownUnit("y".into())));
        go("3000000h", Err(OutOfRange));
        go("9223372036854775808ns", Err(OutOfRange));
        go("9223372036854775.808us", Err(OutOfRange));
        go("9223372036854ms775us808ns", Err(OutOfRange));
        go("1 h", Err(UnknownUnit(" h".into())));
        go("1h ", Err(UnknownUnit("h ".into())));
        go("00", Err(MissingUnit));
    }

    #[test]
    fn prometheus_table() {
        use DurationError::*;
        const D: u64 = DAY;
        prom("0", Ok(0));
        prom("0s", Ok(0));
        prom("324ms", Ok(324 * MS));
        prom("3s", Ok(3 * SECOND));
        prom("5m", Ok(5 * MINUTE));
        prom("1h", Ok(HOUR));
        prom("4d", Ok(4 * D));
        prom("4d1h", Ok(4 * D + HOUR));
        prom("14d", Ok(14 * D));
        prom("3w", Ok(21 * D));
        prom("3w2d1h", Ok(23 * D + HOUR));
        prom("10y", Ok(3650 * D));
        prom("1y1w1d1h1m1s1ms", Ok(365 * D + 7 * D + D + HOUR + MINUTE + SECOND + MS));
        prom("01d", Ok(D));
        prom("90m", Ok(90 * MINUTE));
        prom("292y", Ok(292 * 365 * D));
        prom("", Err(Empty));
        prom("00", Err(MissingUnit));
        prom("1", Err(MissingUnit));
        prom("1h30", Err(MissingUnit));
        prom("-1h", Err(Negative));
        prom("+1h", Err(Invalid));
        prom("1.5h", Err(Fraction));
        prom(".5h", Err(Fraction));
        prom("30m1h", Err(UnitOrder));
        prom("1h1h", Err(UnitOrder));
        prom("1ns", Err(UnknownUnit("ns".into())));
        prom("1us", Err(UnknownUnit("us".into())));
        prom("1 h", Err(UnknownUnit(" h".into())));
        prom("h", Err(Invalid));
        prom("293y", Err(OutOfRange));
        prom("99999999999999999999s", Err(OutOfRange));
    }

    #[test]
    fn go_text_reads_back() {
        for nanos in [0, 1, 999, 1_000, MS, SECOND, 90 * MINUTE, DAY, 365 * DAY, DAY + 1, LIMIT - 1] {
            let text = go_text(nanos);
            assert_eq!(go_duration(&text), Ok(nanos as i64), "{nanos} written {text:?}");
        }
        assert_eq!(go_text(DAY), "24h");
        assert_eq!(go_text(90 * MINUTE), "1h30m");
        assert_eq!(go_text(0), "0s");
    }
}

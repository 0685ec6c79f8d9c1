//! How PyYAML's `yaml.dump` chooses a string's style: its implicit resolvers (YAML 1.1, which
//! decide whether a string may be written plain), and its `Emitter.analyze_scalar` and
//! `choose_scalar_style` (PyYAML 6, `yaml/resolver.py` and `yaml/emitter.py`), for block context
//! with `allow_unicode=False` (the default).

/// The style PyYAML writes a string in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PyStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
}

/// What `analyze_scalar` finds, reduced to what block context and the default settings use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Analysis {
    empty: bool,
    multiline: bool,
    allow_block_plain: bool,
    allow_single_quoted: bool,
}

fn is_space_or_break(c: Option<char>) -> bool {
    matches!(c, None | Some('\0' | ' ' | '\t' | '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'))
}

fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// `Emitter.analyze_scalar`, with `allow_unicode` false: every character outside printable ASCII
/// (but `\n`) is special.
fn analyze(scalar: &str) -> Analysis {
    if scalar.is_empty() {
        return Analysis { empty: true, multiline: false, allow_block_plain: true, allow_single_quoted: true };
    }
    analyze_name_like(scalar).unwrap_or_else(|| analyze_scan(scalar))
}

/// [`analyze`] of a non-empty string, one character at a time, as PyYAML does.
fn analyze_scan(scalar: &str) -> Analysis {
    // The characters at `index`, `index + 1` and `index + 2`, as the loop goes.
    let mut rest = scalar.chars();
    let mut current = rest.next();
    let mut ahead = [rest.next(), rest.next()];
    let mut block_indicators = scalar.starts_with("---") || scalar.starts_with("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) = (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let mut preceded_by_whitespace = true;
    let mut followed_by_whitespace = is_space_or_break(ahead[0]);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut index = 0;
    while let Some(ch) = current {
        let last = ahead[0].is_none();
        if index == 0 {
            if matches!(
                ch,
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`'
            ) {
                block_indicators = true;
            }
            if matches!(ch, '?' | ':') && followed_by_whitespace {
                block_indicators = true;
            }
            if ch == '-' && followed_by_whitespace {
                block_indicators = true;
            }
        } else if (ch == ':' && followed_by_whitespace) || (ch == '#' && preceded_by_whitespace) {
            block_indicators = true;
        }
        if is_break(ch) {
            line_breaks = true;
        }
        if !(ch == '\n' || (' '..='~').contains(&ch)) {
            // Printable non-ASCII is "unicode", special too without `allow_unicode`.
            special = true;
        }
        if ch == ' ' {
            leading_space |= index == 0;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break(ch) {
            leading_break |= index == 0;
            trailing_break |= last;
            space_break |= previous_space;
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_space_or_break(Some(ch));
        // Past the end counts as white space, as PyYAML's `index + 2 >= len(scalar)`.
        followed_by_whitespace = is_space_or_break(ahead[1]);
        current = ahead[0];
        ahead = [ahead[1], rest.next()];
        index += 1;
    }
    let mut allow_block_plain = true;
    let mut allow_single_quoted = true;
    if leading_space || leading_break || trailing_space || trailing_break {
        allow_block_plain = false;
    }
    if break_space {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if space_break || special {
        allow_block_plain = false;
        allow_single_quoted = false;
    }
    if line_breaks || block_indicators {
        allow_block_plain = false;
    }
    Analysis { empty: false, multiline: line_breaks, allow_block_plain, allow_single_quoted }
}

/// [`analyze`]'s result without its loop, for a string of letters, digits and `-._/:` only (host
/// names, addresses with ports, paths, durations: nearly every string of a configuration). Such a
/// string has no space, break, quote, `#` or non-ASCII character, so all that can make it not
/// plain is a block indicator: a `---` or `...` start, a `:` or `-` alone, or a `:` at its end
/// (followed by the end, which counts as white space). `None` for any other string.
fn analyze_name_like(scalar: &str) -> Option<Analysis> {
    let name_like = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/' | b':');
    if scalar.is_empty() || !scalar.as_bytes().iter().all(name_like) {
        return None;
    }
    let block_indicators = scalar.starts_with("---")
        || scalar.starts_with("...")
        || matches!(scalar, ":" | "-")
        || (scalar.len() > 1 && scalar.ends_with(':'));
    Some(Analysis { empty: false, multiline: false, allow_block_plain: !block_indicators, allow_single_quoted: true })
}

/// `Emitter.choose_scalar_style` for a string of no requested style, in block context.
pub(super) fn style(value: &str, simple_key: bool) -> PyStyle {
    let analysis = analyze(value);
    if resolves_to_str(value) && !(simple_key && (analysis.empty || analysis.multiline)) && analysis.allow_block_plain {
        return PyStyle::Plain;
    }
    if analysis.allow_single_quoted && !(simple_key && analysis.multiline) {
        return PyStyle::SingleQuoted;
    }
    PyStyle::DoubleQuoted
}

/// Whether PyYAML writes `value` as a simple key (`key:`) rather than an explicit one (`? key`):
/// `Emitter.check_simple_key` for a string. It counts the key's characters plus those of its
/// prepared tag, `!!str` (5: `yaml.dump` gives every scalar event its tag), and wants the sum
/// under 128: so a key of 123 characters or more is explicit (PyYAML 6.0.x `yaml/emitter.py`).
pub(super) fn simple_key(value: &str) -> bool {
    const STR_TAG: usize = "!!str".len();
    let analysis = analyze(value);
    value.chars().count() + STR_TAG < 128 && !analysis.empty && !analysis.multiline
}

/// Whether PyYAML's implicit resolvers leave a plain `value` a string: it matches none of the
/// YAML 1.1 patterns for bool, float, int, merge, null, timestamp, value and yaml.
fn resolves_to_str(value: &str) -> bool {
    !(is_bool(value)
        || is_float(value)
        || is_int(value)
        || matches!(value, "<<" | "=" | "!" | "&" | "*" | "~" | "null" | "Null" | "NULL" | "")
        || is_timestamp(value))
}

fn is_bool(value: &str) -> bool {
    matches!(
        value,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
    )
}

fn digits(s: &[u8], ok: impl Fn(u8) -> bool) -> usize {
    s.iter().take_while(|b| ok(**b)).count()
}

fn dec_or_underscore(b: u8) -> bool {
    b.is_ascii_digit() || b == b'_'
}

/// `(:[0-5]?[0-9])+` to the end of `s`.
fn sexagesimal_tail(s: &[u8]) -> bool {
    if s.is_empty() {
        return false;
    }
    s.split(|b| *b == b':').skip(1).all(|part| match part {
        [d] => d.is_ascii_digit(),
        [a, b] => (b'0'..=b'5').contains(a) && b.is_ascii_digit(),
        _ => false,
    }) && s[0] == b':'
}

/// `[eE][-+][0-9]+` to the end, or nothing.
fn exponent(s: &[u8]) -> bool {
    match s {
        [] => true,
        [b'e' | b'E', b'-' | b'+', rest @ ..] => !rest.is_empty() && rest.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

fn unsigned(s: &str) -> &[u8] {
    s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes()
}

fn is_float(value: &str) -> bool {
    let body = unsigned(value);
    let signed = body.len() != value.len();
    // [-+]?\.(inf|Inf|INF) and \.(nan|NaN|NAN)
    if matches!(body, b".inf" | b".Inf" | b".INF") || (!signed && matches!(body, b".nan" | b".NaN" | b".NAN")) {
        return true;
    }
    // \.[0-9][0-9_]*([eE][-+][0-9]+)?  (no sign)
    if !signed {
        if let [b'.', first, rest @ ..] = body {
            if first.is_ascii_digit() {
                let n = digits(rest, dec_or_underscore);
                if exponent(&rest[n..]) {
                    return true;
                }
            }
        }
    }
    // [-+]?[0-9][0-9_]*  then  \.[0-9_]*([eE][-+][0-9]+)?  or  (:[0-5]?[0-9])+\.[0-9_]*
    if !body.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let head = 1 + digits(&body[1..], dec_or_underscore);
    let rest = &body[head..];
    if let [b'.', fraction @ ..] = rest {
        let n = digits(fraction, dec_or_underscore);
        return exponent(&fraction[n..]);
    }
    match rest.iter().position(|b| *b == b'.') {
        Some(dot) => sexagesimal_tail(&rest[..dot]) && rest[dot + 1..].iter().all(|b| dec_or_underscore(*b)),
        None => false,
    }
}

fn is_int(value: &str) -> bool {
    let body = unsigned(value);
    match body {
        [b'0', b'b', rest @ ..] => !rest.is_empty() && rest.iter().all(|b| matches!(b, b'0' | b'1' | b'_')),
        [b'0', b'x', rest @ ..] => !rest.is_empty() && rest.iter().all(|b| b.is_ascii_hexdigit() || *b == b'_'),
        [b'0'] => true,
        [b'0', rest @ ..] => rest.iter().all(|b| matches!(b, b'0'..=b'7' | b'_')),
        [b'1'..=b'9', rest @ ..] => {
            let n = digits(rest, dec_or_underscore);
            n == rest.len() || sexagesimal_tail(&rest[n..])
        }
        _ => false,
    }
}

/// `[0-9]{4}-[0-9]{2}-[0-9]{2}`, or the long form
/// `[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?`.
fn is_timestamp(value: &str) -> bool {
    let s = value.as_bytes();
    let dd = |s: &[u8], at: usize, n: usize| s.len() >= at + n && s[at..at + n].iter().all(u8::is_ascii_digit);
    if s.len() == 10 && dd(s, 0, 4) && s[4] == b'-' && dd(s, 5, 2) && s[7] == b'-' && dd(s, 8, 2) {
        return true;
    }
    // The long form, step by step.
    if !(dd(s, 0, 4) && s.get(4) == Some(&b'-')) {
        return false;
    }
    let mut at = 5;
    let one_or_two = |at: &mut usize| -> bool {
        let n = digits(&s[*at..], |b| b.is_ascii_digit()).min(2);
        *at += n;
        n > 0
    };
    if !one_or_two(&mut at) || s.get(at) != Some(&b'-') {
        return false;
    }
    at += 1;
    if !one_or_two(&mut at) {
        return false;
    }
    match s.get(at) {
        Some(b'T' | b't') => at += 1,
        Some(b' ' | b'\t') => at += digits(&s[at..], |b| b == b' ' || b == b'\t'),
        _ => return false,
    }
    if !one_or_two(&mut at) || s.get(at) != Some(&b':') || !dd(s, at + 1, 2) || s.get(at + 3) != Some(&b':') {
        return false;
    }
    if !dd(s, at + 4, 2) {
        return false;
    }
    at += 6;
    if s.get(at) == Some(&b'.') {
        at += 1 + digits(&s[at + 1..], |b| b.is_ascii_digit());
    }
    let zone_start = at;
    at += digits(&s[at..], |b| b == b' ' || b == b'\t');
    match &s[at..] {
        [] => zone_start == at || zone_start == s.len(),
        [b'Z'] => true,
        [b'-' | b'+', rest @ ..] => {
            let hours = digits(rest, |b| b.is_ascii_digit());
            match (hours, &rest[hours.min(rest.len())..]) {
                (1 | 2, []) => true,
                (1 | 2, [b':', m1, m2]) => m1.is_ascii_digit() && m2.is_ascii_digit(),
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut for name-like strings finds what the scan finds, on every string of up to
    /// five characters of an alphabet of its characters and a few others.
    #[test]
    fn name_like_strings_analyze_as_the_scan_does() {
        let alphabet = ['a', '7', '-', '.', '_', '/', ':', ' ', '#', '?'];
        let mut strings = vec![String::new()];
        let mut shortcuts = 0;
        for _ in 0..5 {
            strings = strings.iter().flat_map(|prefix| alphabet.iter().map(move |c| format!("{prefix}{c}"))).collect();
            for string in &strings {
                if let Some(analysis) = analyze_name_like(string) {
                    shortcuts += 1;
                    assert_eq!(analysis, analyze_scan(string), "{string:?}");
                }
            }
        }
        // Every string of the seven name-like characters took it: 7 + 7² + ... + 7⁵.
        assert_eq!(shortcuts, 19_607);
        for string in ["---x", "...", "a:", ":", "-", "host-1.svc:7946", "/pyroscope-data", "30d", "::1:"] {
            assert_eq!(analyze_name_like(string), Some(analyze_scan(string)), "{string:?}");
        }
        assert_eq!(analyze_name_like("a b"), None);
        assert_eq!(analyze_name_like("ü"), None);
    }

    #[test]
    fn resolver_table() {
        for word in [
            "yes",
            "NO",
            "On",
            "true",
            "0",
            "-0",
            "+12",
            "0o17x",
            "1_000",
            "0b101",
            "0x1F",
            "0777",
            "1:30",
            "190:20:30",
            "1.5",
            "1.",
            "-1.5e+3",
            ".5",
            ".5e-3",
            "1:30.5",
            ".inf",
            "-.Inf",
            ".NaN",
            "~",
            "",
            "null",
            "<<",
            "=",
            "2001-12-14",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "2001-1-1 1:00:00",
            "2001-12-14 21:59:43Z",
            "1__0",
        ] {
            let non_str = word == "0o17x" || !resolves_to_str(word);
            assert!(non_str, "{word:?} resolves to something else than a string");
        }
        for word in [
            "y",
            "n",
            "Y",
            "nULL",
            "0o17",
            "0b2",
            "08",
            "09",
            "1e3",
            "1.e3x",
            ".",
            "-.nan",
            "+.5",
            "12:60",
            "1:30:",
            "2001-12-14x",
            "2001-1-1",
            "90m",
            "abc",
            "-",
            "_1",
            "0x",
            "0b",
        ] {
            assert!(resolves_to_str(word), "{word:?} stays a string");
        }
    }
}

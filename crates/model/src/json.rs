//! The JSON of one databag value, written byte-for-byte as Python's `json.dumps` writes it.
//!
//! Python's defaults are: separators `", "` and `": "`, `ensure_ascii=True` (every character
//! outside printable ASCII, DEL included, as `\uXXXX`, with a surrogate pair beyond the BMP),
//! `/` not escaped, and object keys in the order the writer holds them. serde_json already escapes
//! `"`, `\` and control characters as Python does (`\n`, `\t`, ..., `\u001f`, lowercase hex), so a
//! [`serde_json::ser::Formatter`] that changes the separators and escapes non-ASCII is all it takes;
//! [`string`] writes a string alone as that formatter does, in one pass over its bytes.
//!
//! This is the only place in the workspace that formats JSON for a databag.

use std::io;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::ser::Formatter;

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PathStep {
    /// The value of an object's key.
    Key(String),
    /// An array's element.
    Index(usize),
}

/// Formats like Python's `json.dumps` with default arguments.
#[derive(Debug, Clone, Copy, Default)]
struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    /// serde_json hands over runs of characters that need no JSON escape; Python's `ensure_ascii`
    /// still escapes everything outside `' '..='~'` among them.
    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        if fragment.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if (' '..='~').contains(&c) {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[start..i])?;
            write_unicode_escape(writer, c)?;
            start = i + c.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// `c` as Python's `ensure_ascii` escapes it: `\\uXXXX` (lowercase hex), a surrogate pair beyond
/// the BMP.
fn write_unicode_escape<W: ?Sized + io::Write>(writer: &mut W, c: char) -> io::Result<()> {
    let mut units = [0u16; 2];
    for unit in c.encode_utf16(&mut units) {
        write!(writer, "\\u{unit:04x}")?;
    }
    Ok(())
}

/// Encodes `value` as Python's `json.dumps(value)` would.
pub(crate) fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::with_capacity(64);
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    // Our databag types serialize only strings, integers, sequences and string-keyed maps,
    // which cannot fail, and the formatter writes only ASCII.
    match value.serialize(&mut serializer) {
        Ok(()) => String::from_utf8(out).unwrap_or_else(|err| unreachable!("formatter wrote non-UTF-8: {err}")),
        Err(err) => unreachable!("databag values always serialize: {err}"),
    }
}

/// Encodes a string as Python's `json.dumps(text)` would: what [`to_string`] writes for it, in one
/// pass over its bytes (a configuration file of a 10,000-unit cluster is a megabyte, a line of
/// which is a fragment to serde_json's formatter).
pub(crate) fn string(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(text.len() + text.len() / 16 + 2);
    out.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if (b' '..=b'~').contains(&byte) && byte != b'"' && byte != b'\\' {
            i += 1;
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        let named: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            _ => b"",
        };
        if named.is_empty() {
            // A control character, DEL, or the first byte of a character beyond ASCII: `\uXXXX`,
            // a surrogate pair beyond the BMP.
            // `i` is at the start of a character: every step above is a whole character.
            let Some(c) = text[i..].chars().next() else { unreachable!("a character at byte {i} of {text:?}") };
            // Writing to memory cannot fail.
            let _ = write_unicode_escape(&mut out, c);
            i += c.len_utf8();
        } else {
            out.extend_from_slice(named);
            i += 1;
        }
        start = i;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
    // Only ASCII was written.
    String::from_utf8(out).unwrap_or_else(|err| unreachable!("wrote non-UTF-8: {err}"))
}

/// Why one databag value's JSON text could not be read, and where in it.
#[derive(Debug)]
pub(crate) struct ReadError {
    /// Where in the value; it stops where serde could not tell the step, and an object that
    /// lacks a field or repeats a key is pointed at itself.
    pub(crate) path: Vec<PathStep>,
    /// serde_json's words, with the line and column.
    pub(crate) message: String,
    /// The text is JSON, but not of the type read: serde's words may quote the value
    /// (`invalid type: integer `7``).
    pub(crate) wrong_type: bool,
    /// Where in the text (1-based line, and column).
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// Decodes one databag value. Any JSON spacing is accepted; NaN and Infinity (not JSON) and lone
/// surrogate escapes are rejected; nesting is bounded by serde_json's recursion limit.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, ReadError> {
    // Most values are valid, and where in a value a problem is only matters when there is one:
    // read without tracking the path first, and again with it only to report the problem.
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let read = |err: serde_json::Error, path: Vec<PathStep>| ReadError {
        path,
        message: err.to_string(),
        wrong_type: err.classify() == serde_json::error::Category::Data,
        line: err.line(),
        column: err.column(),
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let path = steps(err.path());
        read(err.into_inner(), path)
    })?;
    deserializer.end().map_err(|err| read(err, Vec::new()))?;
    Ok(value)
}

/// The string that `text` is, when `text` is a JSON string without escapes and without spacing
/// around it (`"worker-0.endpoints"`): what [`from_str`] reads from it, without a copy. `None`
/// for any other text, which [`from_str`] reads, or refuses.
pub(crate) fn plain_string(text: &str) -> Option<&str> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    // JSON takes any character in a string but `"`, `\` and the control characters U+0000 to
    // U+001F.
    inner.bytes().all(|b| b >= b' ' && b != b'"' && b != b'\\').then_some(inner)
}

/// Whether the text is JSON `null` (with any spacing).
pub(crate) fn is_null(text: &str) -> bool {
    serde_json::from_str::<()>(text).is_ok()
}

/// A serde path as steps, up to the first serde could not tell.
fn steps(path: &serde_path_to_error::Path) -> Vec<PathStep> {
    use serde_path_to_error::Segment;
    path.iter()
        .map_while(|segment| match segment {
            Segment::Seq { index } => Some(PathStep::Index(*index)),
            Segment::Map { key } | Segment::Enum { variant: key } => Some(PathStep::Key(key.clone())),
            Segment::Unknown => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use crate::PathStep;

    #[track_caller]
    fn check<T: serde::Serialize>(value: T, python: &str) {
        assert_eq!(super::to_string(&value), python);
    }

    #[test]
    fn matches_python_json_dumps() {
        // Each expected string is what CPython 3.11's json.dumps printed for the same value.
        check("querier", r#""querier""#);
        check("a/b", r#""a/b""#);
        check("é", r#""\u00e9""#);
        check("日本", r#""\u65e5\u672c""#);
        check("😀", r#""\ud83d\ude00""#);
        check("\u{7f}", r#""\u007f""#);
        check("\u{1f}\u{0}", r#""\u001f\u0000""#);
        check("tab\there\nnew\r\u{8}\u{c}", r#""tab\there\nnew\r\b\f""#);
        check("quote\" back\\", r#""quote\" back\\""#);
        check(vec![7946, 4040], "[7946, 4040]");
        check(Vec::<u16>::new(), "[]");
        check(BTreeMap::from([("a", "x"), ("b", "y")]), r#"{"a": "x", "b": "y"}"#);
        check(BTreeMap::<String, String>::new(), "{}");
        check(
            vec![BTreeMap::from([("url", "http://p:9090/api/v1/write")])],
            r#"[{"url": "http://p:9090/api/v1/write"}]"#,
        );
    }

    #[test]
    fn a_string_is_written_as_serde_json_writes_it() {
        for text in [
            "",
            "querier",
            "a\"b\\c",
            "tab\there\nnew\r\u{8}\u{c}",
            "\u{0}\u{1f}\u{7f}",
            "é日本😀x",
            "api: {}\n  a: 'b'\n",
        ] {
            assert_eq!(super::string(text), super::to_string(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any text, characters of every kind mixed.
        #[test]
        fn any_string_is_written_as_serde_json_writes_it(text in "(?s).{0,40}|[ -~\\n\"\\\\\u{0}-\u{1f}\u{7f}é😀]{0,40}") {
            proptest::prop_assert_eq!(super::string(&text), super::to_string(&text));
        }
    }

    #[test]
    fn a_plain_string_is_what_from_str_reads() {
        for text in [r#""""#, r#""worker-0.endpoints""#, r#""a b/c:é""#, "\"\u{7f}\""] {
            let plain = super::plain_string(text).map(str::to_owned);
            assert_eq!(plain, super::from_str::<String>(text).ok(), "{text:?}");
        }
        // Read by `from_str` (or refused), not in place.
        for text in [r#""a\"b""#, r#""a\nb""#, "\"a\u{1}b\"", r#" "a""#, r#""a" "#, r#"""#, r#""a"#, "7", "null", ""] {
            assert_eq!(super::plain_string(text), None, "{text:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// A JSON string, plain or not, quoted or not.
        #[test]
        fn a_plain_string_is_read_as_from_str_reads_it(text in "\"?[ -~\u{0}-\u{1f}é]{0,12}\"?") {
            if let Some(plain) = super::plain_string(&text) {
                proptest::prop_assert_eq!(Some(plain.to_owned()), super::from_str::<String>(&text).ok());
            }
        }
    }

    #[track_caller]
    fn rejects(text: &str) {
        assert!(super::from_str::<serde_json::Value>(text).is_err(), "{text:?} must not decode");
    }

    #[test]
    fn rejects_what_is_not_strict_json() {
        rejects("NaN");
        rejects("Infinity");
        rejects("-Infinity");
        rejects("[NaN]");
        rejects(r#""\ud800""#);
        rejects(r#""\udc00x""#);
        rejects(r#""a" "b""#);
        rejects("");
        rejects(&"[".repeat(10_000));
    }

    #[test]
    fn accepts_any_spacing() {
        let value: Vec<u16> = super::from_str(" [ 1 ,\n\t2 ] \r\n").unwrap();
        assert_eq!(value, [1, 2]);
        assert!(super::is_null(" null\n"));
        assert!(!super::is_null("\"null\""));
    }

    #[track_caller]
    fn points<T: serde::de::DeserializeOwned + std::fmt::Debug>(text: &str, path: &[PathStep], wrong_type: bool) {
        let err = super::from_str::<T>(text).unwrap_err();
        assert_eq!((err.path.as_slice(), err.wrong_type), (path, wrong_type), "{text}: {err:?}");
    }

    #[test]
    fn errors_point_into_the_value() {
        use PathStep::{Index, Key};
        type Map = BTreeMap<String, Vec<BTreeMap<String, u16>>>;
        points::<Map>(r#"{"a/b": [{"c": 1}, {"c": "x"}]}"#, &[Key("a/b".into()), Index(1), Key("c".into())], true);
        points::<Map>(r#"{"a": [{"c": 1}, {"c": 1,]}"#, &[Key("a".into()), Index(1)], false);
        points::<Map>(r#"{"a": []} x"#, &[], false);
        points::<Vec<u16>>("[1, 2, -3]", &[Index(2)], true);
        points::<Vec<u16>>("[1, 2", &[], false);
    }
}

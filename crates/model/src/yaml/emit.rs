//! The YAML writer behind [`super::to_string`]: a [`serde::Serializer`] that writes one block-style
//! document straight into a `String`.
//!
//! The layout is libyaml's emitter as serde_yaml 0.9 drives it (unlimited line width, indent 2,
//! Unicode written as is), ported for the events serde produces: the same `column`, `whitespace`
//! and `indention` state and the same `write_indent` / `write_indicator` rules, so that a value
//! whose strings are plain or quoted alike by both gives the same bytes as `serde_yaml::to_string`.
//! What differs is the choice of scalar style, which is stricter here (see [`Style`]): a string is
//! written plain only when it reads back as the same string in YAML 1.1 (PyYAML, Go's yaml.v2)
//! and 1.2 (serde_yaml, Go's yaml.v3) alike.
//!
//! Enum variants with data (YAML tags), keys that are sequences or mappings, and bytes are not
//! written here: [`Error::Unsupported`] tells the caller to hand the whole value to serde_yaml.

use std::fmt::{self, Write as _};

use serde::Serialize;
use serde::ser::{self, Impossible};

use super::pyyaml;

/// Writes `value` as one YAML document, ending with a newline and without `---`.
pub(super) fn to_string<T: Serialize + ?Sized>(value: &T, flavor: Flavor) -> Result<String, Error> {
    let mut emitter = Emitter::new(flavor);
    value.serialize(Node { em: &mut emitter, ctx: Ctx::ROOT })?;
    emitter.document_end();
    Ok(emitter.out)
}

/// Whose choices of scalar style the writer follows; the layout (indentation, sequences in
/// mappings, empty collections) is libyaml's in both, which PyYAML's emitter also follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavor {
    /// serde_yaml's, with stricter plain scalars (see [`Style`]); no line folding; Unicode as is.
    SerdeYaml,
    /// PyYAML's `yaml.dump` with its defaults (see [`super::pyyaml`]): a string is plain when
    /// YAML 1.1 reads it back as a string, else single-quoted, else double-quoted; non-ASCII
    /// characters are escaped; long lines fold at the 80th column; a plain root scalar ends the
    /// document with `...`.
    PyYaml,
}

/// PyYAML's default `width`: a scalar folds at a space past this column.
const BEST_WIDTH: usize = 80;

/// Why a value was not written.
#[derive(Debug)]
pub(super) enum Error {
    /// A shape this writer leaves to serde_yaml: an enum variant with data (written as a YAML tag),
    /// a key that is a sequence or a mapping, bytes.
    Unsupported,
    /// The value's `Serialize` implementation failed, with this message.
    Custom(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported => f.write_str("a value this YAML writer does not support"),
            Self::Custom(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self::Custom(msg.to_string())
    }
}

/// Keys longer than this (in bytes) are written as explicit keys (`? key` then `: value`), as
/// libyaml does; YAML limits implicit keys to 1024 characters.
const MAX_SIMPLE_KEY: usize = 128;

/// libyaml's emitter state, for block collections and scalars.
struct Emitter {
    out: String,
    /// Where the current line starts in `out`: the column is `out.len() - line_start` (bytes, not
    /// characters as in libyaml, which only matters after non-ASCII text, when `indention` is false
    /// and the column is not looked at).
    line_start: usize,
    /// The indentation of the innermost collection; -1 outside any.
    indent: isize,
    /// The last thing written is white space (or nothing).
    whitespace: bool,
    /// Only indentation and indicators are on the current line.
    indention: bool,
    /// Whose scalar styles.
    flavor: Flavor,
    /// A plain scalar at the root was written: PyYAML then ends the document with `...`.
    open_ended: bool,
}

impl Emitter {
    fn new(flavor: Flavor) -> Self {
        Self {
            out: String::with_capacity(256),
            line_start: 0,
            indent: -1,
            whitespace: true,
            indention: true,
            flavor,
            open_ended: false,
        }
    }

    fn column(&self) -> usize {
        self.out.len() - self.line_start
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.line_start = self.out.len();
    }

    /// libyaml's `yaml_emitter_write_indent`.
    fn write_indent(&mut self) {
        let indent = usize::try_from(self.indent).unwrap_or(0);
        let column = self.column();
        if !self.indention || column > indent || (column == indent && !self.whitespace) {
            self.put_break();
        }
        for _ in self.column()..indent {
            self.out.push(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    /// libyaml's `yaml_emitter_write_indicator`.
    fn write_indicator(&mut self, indicator: &str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.out.push(' ');
        }
        self.out.push_str(indicator);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    /// libyaml's `yaml_emitter_increase_indent` for a block collection; returns the indentation to
    /// restore at its end.
    fn increase_indent(&mut self, indentless: bool) -> isize {
        let saved = self.indent;
        if self.indent < 0 {
            self.indent = 0;
        } else if !indentless {
            self.indent += 2;
        }
        saved
    }

    /// The end of the document: a final line break unless the last line is already ended.
    fn document_end(&mut self) {
        self.indent = -1;
        self.write_indent();
        if self.open_ended {
            self.out.push_str("...");
            self.put_break();
        }
    }

    /// `[]` or `{}`: an empty collection, in flow style as libyaml writes it.
    fn flow_empty(&mut self, text: &str) {
        self.write_indicator(text, true, false, false);
    }

    /// A plain scalar that is not a string (`null`, a boolean, a number).
    fn plain_display(&mut self, value: impl fmt::Display) {
        self.space_before_scalar();
        let _ = write!(self.out, "{value}");
        self.whitespace = false;
        self.indention = false;
    }

    fn space_before_scalar(&mut self) {
        if !self.whitespace {
            self.out.push(' ');
        }
    }

    fn f64(&mut self, value: f64) {
        self.float(value, || shortest_digits(value), false);
    }

    fn f32(&mut self, value: f32) {
        self.float(value.into(), || shortest_digits(value), true);
    }

    /// A float as serde_yaml writes it: `.nan`, `.inf`, `-.inf`, or as ryu writes it.
    fn float(&mut self, value: f64, shortest_digits: impl FnOnce() -> String, f32: bool) {
        self.space_before_scalar();
        if value.is_nan() {
            self.out.push_str(".nan");
        } else if value.is_infinite() {
            self.out.push_str(if value > 0.0 { ".inf" } else { "-.inf" });
        } else {
            push_ryu_like(&mut self.out, &shortest_digits(), f32);
        }
        self.whitespace = false;
        self.indention = false;
    }

    /// A string node: a mapping value or sequence item (`simple_key` false), or a key.
    fn string(&mut self, value: &str, simple_key: bool, root: bool) {
        if self.flavor == Flavor::PyYaml {
            return self.py_string(value, simple_key, root);
        }
        match Style::select(value, simple_key, root) {
            Style::Plain => {
                self.space_before_scalar();
                self.out.push_str(value);
                self.whitespace = false;
                self.indention = false;
            }
            Style::SingleQuoted => self.single_quoted(value),
            Style::DoubleQuoted => self.double_quoted(value),
            Style::Literal { indent_hint, chomp } => self.literal(value, indent_hint, chomp),
        }
    }

    /// A `char`, which serde_yaml always quotes.
    fn char(&mut self, value: char) {
        let mut buf = [0; 4];
        let text = value.encode_utf8(&mut buf);
        if self.flavor == Flavor::PyYaml {
            return self.py_string(text, false, false);
        }
        if raw_in_quotes(value) { self.single_quoted(text) } else { self.double_quoted(text) }
    }

    fn single_quoted(&mut self, value: &str) {
        self.write_indicator("'", true, false, false);
        let mut parts = value.split('\'');
        if let Some(first) = parts.next() {
            self.out.push_str(first);
        }
        for part in parts {
            self.out.push_str("''");
            self.out.push_str(part);
        }
        self.write_indicator("'", false, false, false);
    }

    /// Double quotes, escaping what libyaml escapes: non-printable characters, line breaks, the
    /// byte order mark, `"` and `\`.
    fn double_quoted(&mut self, value: &str) {
        self.write_indicator("\"", true, false, false);
        let mut start = 0;
        for (at, c) in value.char_indices() {
            if raw_in_quotes(c) && c != '"' && c != '\\' {
                continue;
            }
            self.out.push_str(&value[start..at]);
            start = at + c.len_utf8();
            self.out.push('\\');
            let Some(short) = short_escape(c) else {
                let code = u32::from(c);
                let _ = match code {
                    0..=0xFF => write!(self.out, "x{code:02X}"),
                    0x100..=0xFFFF => write!(self.out, "u{code:04X}"),
                    _ => write!(self.out, "U{code:08X}"),
                };
                continue;
            };
            self.out.push(short);
        }
        self.out.push_str(&value[start..]);
        self.write_indicator("\"", false, false, false);
    }

    /// A literal block scalar (`|`), its content indented 2 more than the enclosing collection.
    fn literal(&mut self, value: &str, indent_hint: bool, chomp: Chomp) {
        self.write_indicator("|", true, false, false);
        if indent_hint {
            self.write_indicator("2", false, false, false);
        }
        match chomp {
            Chomp::Strip => self.write_indicator("-", false, false, false),
            Chomp::Keep => self.write_indicator("+", false, false, false),
            Chomp::Clip => {}
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let saved = self.indent;
        self.indent = if saved < 0 { 2 } else { saved + 2 };
        for (i, line) in value.split('\n').enumerate() {
            if i > 0 {
                self.put_break();
                self.indention = true;
            }
            if !line.is_empty() {
                self.write_indent();
                self.out.push_str(line);
                self.indention = false;
            }
        }
        self.indent = saved;
    }

    /// A key that is a string: simple (`key: value`) when short and on one line, else explicit
    /// (`? key`, then `: value` on the next line). Returns whether it is simple.
    fn key_str(&mut self, key: &str) -> bool {
        let simple = match self.flavor {
            Flavor::SerdeYaml => key.len() <= MAX_SIMPLE_KEY && !key.chars().any(is_break),
            Flavor::PyYaml => pyyaml::simple_key(key),
        };
        if !simple {
            self.write_indicator("?", true, false, true);
        }
        self.string(key, simple, false);
        simple
    }
}

impl Emitter {
    /// A string as PyYAML writes it: [`pyyaml::style`], then `write_plain`, `write_single_quoted` or
    /// `write_double_quoted` of PyYAML's emitter, which fold a line at a space past
    /// [`BEST_WIDTH`] (not in a simple key).
    fn py_string(&mut self, value: &str, simple_key: bool, root: bool) {
        let split = !simple_key;
        match pyyaml::style(value, simple_key) {
            pyyaml::PyStyle::Plain => {
                self.py_plain(value, split);
                self.open_ended |= root;
            }
            pyyaml::PyStyle::SingleQuoted => self.py_single_quoted(value, split),
            pyyaml::PyStyle::DoubleQuoted => self.py_double_quoted(value, split),
        }
    }

    /// A plain scalar was written at `ctx`: at the root, PyYAML ends the document with `...`.
    fn plain_at(&mut self, ctx: Ctx) {
        self.open_ended |= ctx.root && self.flavor == Flavor::PyYaml;
    }

    /// PyYAML writes floats as Python's `repr` does, which this writer does not imitate.
    fn no_pyyaml_float(&self) -> Result<(), Error> {
        match self.flavor {
            Flavor::SerdeYaml => Ok(()),
            Flavor::PyYaml => {
                Err(Error::Custom("a floating-point number, which PyYAML's layout is not written for".into()))
            }
        }
    }

    /// The indentation of a scalar's continuation lines: PyYAML's `increase_indent(flow=True)`
    /// around a scalar, two more than the enclosing collection's (2 at the root).
    fn scalar_indent(&self) -> usize {
        usize::try_from(self.indent).map_or(2, |indent| indent + 2)
    }

    /// PyYAML's `write_indent` to `indent`.
    fn py_write_indent(&mut self, indent: usize) {
        let column = self.column();
        if !self.indention || column > indent || (column == indent && !self.whitespace) {
            self.py_line_break();
        }
        if self.column() < indent {
            self.whitespace = true;
            for _ in self.column()..indent {
                self.out.push(' ');
            }
        }
    }

    fn py_line_break(&mut self) {
        self.put_break();
        self.whitespace = true;
        self.indention = true;
    }

    /// `write_plain`. Plain scalars here are printable ASCII without line breaks.
    fn py_plain(&mut self, text: &str, split: bool) {
        if text.is_empty() {
            return;
        }
        self.space_before_scalar();
        self.whitespace = false;
        self.indention = false;
        let indent = self.scalar_indent();
        let bytes = text.as_bytes();
        let (mut start, mut spaces) = (0, false);
        for end in 0..=bytes.len() {
            let ch = bytes.get(end).copied();
            if spaces {
                if ch != Some(b' ') {
                    if start + 1 == end && self.column() > BEST_WIDTH && split {
                        self.py_write_indent(indent);
                        self.whitespace = false;
                        self.indention = false;
                    } else {
                        self.out.push_str(&text[start..end]);
                    }
                    start = end;
                }
            } else if ch.is_none_or(|c| c == b' ') {
                self.out.push_str(&text[start..end]);
                start = end;
            }
            if let Some(c) = ch {
                spaces = c == b' ';
            }
        }
    }

    /// `write_single_quoted`. Its characters are printable ASCII and `\n`.
    fn py_single_quoted(&mut self, text: &str, split: bool) {
        self.write_indicator("'", true, false, false);
        let indent = self.scalar_indent();
        let bytes = text.as_bytes();
        let (mut start, mut spaces, mut breaks) = (0, false, false);
        for end in 0..=bytes.len() {
            let ch = bytes.get(end).copied();
            if spaces {
                if ch != Some(b' ') {
                    if start + 1 == end && self.column() > BEST_WIDTH && split && start != 0 && end != bytes.len() {
                        self.py_write_indent(indent);
                    } else {
                        self.out.push_str(&text[start..end]);
                    }
                    start = end;
                }
            } else if breaks {
                if ch != Some(b'\n') {
                    if bytes[start] == b'\n' {
                        self.py_line_break();
                    }
                    for _ in start..end {
                        self.py_line_break();
                    }
                    self.py_write_indent(indent);
                    start = end;
                }
            } else if matches!(ch, None | Some(b' ' | b'\n' | b'\'')) && start < end {
                self.out.push_str(&text[start..end]);
                start = end;
            }
            if ch == Some(b'\'') {
                self.out.push_str("''");
                start = end + 1;
            }
            if let Some(c) = ch {
                spaces = c == b' ';
                breaks = c == b'\n';
            }
        }
        self.write_indicator("'", false, false, false);
    }

    /// `write_double_quoted`, escaping every character outside printable ASCII.
    fn py_double_quoted(&mut self, text: &str, split: bool) {
        self.write_indicator("\"", true, false, false);
        let indent = self.scalar_indent();
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let at = |i: usize| chars.get(i).map_or(text.len(), |(offset, _)| *offset);
        let mut start = 0;
        for end in 0..=chars.len() {
            let ch = chars.get(end).map(|(_, c)| *c);
            if ch.is_none_or(|c| matches!(c, '"' | '\\') || !(' '..='~').contains(&c)) {
                if start < end {
                    self.out.push_str(&text[at(start)..at(end)]);
                    start = end;
                }
                if let Some(c) = ch {
                    self.out.push('\\');
                    match short_escape(c) {
                        Some(short) => self.out.push(short),
                        None => {
                            let code = u32::from(c);
                            let _ = match code {
                                0..=0xFF => write!(self.out, "x{code:02X}"),
                                0x100..=0xFFFF => write!(self.out, "u{code:04X}"),
                                _ => write!(self.out, "U{code:08X}"),
                            };
                        }
                    }
                    start = end + 1;
                }
            }
            // `start` may be past `end` (after an escape): PyYAML's arithmetic is signed.
            let pending = end as isize - start as isize;
            if 0 < end
                && end + 1 < chars.len()
                && (ch == Some(' ') || start >= end)
                && self.column() as isize + pending > BEST_WIDTH as isize
                && split
            {
                if start < end {
                    self.out.push_str(&text[at(start)..at(end)]);
                    start = end;
                }
                self.out.push('\\');
                self.py_write_indent(indent);
                self.whitespace = false;
                self.indention = false;
                if chars.get(start).is_some_and(|(_, c)| *c == ' ') {
                    self.out.push('\\');
                }
            }
        }
        self.write_indicator("\"", false, false, false);
    }
}

/// The one-letter escapes of a double-quoted scalar: PyYAML's `ESCAPE_REPLACEMENTS`, and the same
/// table in libyaml's `yaml_emitter_write_double_quoted`.
fn short_escape(c: char) -> Option<char> {
    Some(match c {
        '\0' => '0',
        '\x07' => 'a',
        '\x08' => 'b',
        '\t' => 't',
        '\n' => 'n',
        '\x0b' => 'v',
        '\x0c' => 'f',
        '\r' => 'r',
        '\x1b' => 'e',
        '"' => '"',
        '\\' => '\\',
        '\u{85}' => 'N',
        '\u{a0}' => '_',
        '\u{2028}' => 'L',
        '\u{2029}' => 'P',
        _ => return None,
    })
}

/// How a string scalar is written.
///
/// - **Plain** only when it is unambiguous in YAML 1.1 and 1.2: not empty, no leading or trailing
///   space, every character ASCII-graphic but `[]{}`, a space, or a non-ASCII letter or digit; not
///   starting with an indicator (`` -?:,[]{}#&*!|>'"%@` ``) or `...`; no `: `, ` #` or final `:`;
///   and not a word or number that some YAML version resolves to something else than a string
///   ([`resolves_to_non_string`]).
/// - Otherwise **single-quoted** when every character can stand in quotes as is (YAML-printable,
///   no line break, no byte order mark), as serde_yaml does for `'[fd00::1]:7946'` or `'true'`.
/// - Otherwise **double-quoted**, with libyaml's escapes.
/// - A string with a line feed, but for a key, is a **literal block** (`|`, `|-` or `|+`, with an
///   indentation indicator when it starts with a space or a line break) as serde_yaml writes it,
///   when its lines allow: no character that needs escaping, no space at the end of the string or
///   before a line break; and not at the root when an indentation indicator would be needed.
///   Otherwise it is double-quoted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal { indent_hint: bool, chomp: Chomp },
}

/// A literal block scalar's chomping indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chomp {
    /// `-`: no final line break.
    Strip,
    /// No indicator: one final line break.
    Clip,
    /// `+`: several final line breaks, all kept.
    Keep,
}

impl Style {
    fn select(value: &str, simple_key: bool, root: bool) -> Self {
        if is_plain_safe(value) {
            Self::Plain
        } else if value.contains('\n') {
            match literal_style(value, root) {
                Some(literal) if !simple_key => literal,
                _ => Self::DoubleQuoted,
            }
        } else if value.chars().all(raw_in_quotes) {
            Self::SingleQuoted
        } else {
            Self::DoubleQuoted
        }
    }
}

fn literal_style(value: &str, root: bool) -> Option<Style> {
    let ok = !value.ends_with(' ') && !value.contains(" \n") && value.chars().all(|c| c == '\n' || raw_in_quotes(c));
    let indent_hint = value.starts_with([' ', '\n']);
    if !ok || (indent_hint && root) {
        return None;
    }
    let chomp = if !value.ends_with('\n') {
        Chomp::Strip
    } else if value == "\n" || value.ends_with("\n\n") {
        Chomp::Keep
    } else {
        Chomp::Clip
    };
    Some(Style::Literal { indent_hint, chomp })
}

/// A line break to YAML 1.1 (and libyaml): CR, LF, NEL, LS, PS.
fn is_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// A character written as is between quotes: printable to libyaml (and to YAML 1.1 and 1.2), not a
/// line break, not the byte order mark.
fn raw_in_quotes(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && !matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}')
}

/// The bytes a plain scalar does not start with, one bit each: YAML's indicators, and a space.
const START_INDICATORS: u128 = {
    let mut mask = 0;
    let indicators = b"-?:,[]{}#&*!|>'\"%@` ";
    let mut i = 0;
    while i < indicators.len() {
        mask |= 1 << indicators[i];
        i += 1;
    }
    mask
};

/// Whether `value` can be written plain: see [`Style`].
fn is_plain_safe(value: &str) -> bool {
    let bytes = value.as_bytes();
    let (Some(first), Some(last)) = (bytes.first(), bytes.last()) else {
        return false;
    };
    let indicator = first.is_ascii() && (START_INDICATORS >> first) & 1 == 1;
    if indicator || matches!(last, b' ' | b':') || value.starts_with("...") {
        return false;
    }
    let (ascii_plain, spaces) = ascii_plain_bytes(bytes);
    let chars_ok = if ascii_plain {
        // The common case: printable ASCII, and maybe spaces.
        !spaces || !bytes.windows(2).any(|pair| matches!(pair, b": " | b" #"))
    } else if value.is_ascii() {
        false
    } else {
        let mut prev = '\0';
        value.chars().all(|c| {
            let ok = match c {
                '#' => prev != ' ',
                ' ' => prev != ':',
                '[' | ']' | '{' | '}' => false,
                '!'..='~' => true,
                c => !c.is_ascii() && c.is_alphanumeric(),
            };
            prev = c;
            ok
        })
    };
    if !chars_ok {
        return false;
    }
    !resolves_to_non_string(value)
}

/// Whether every byte is a space or ASCII-graphic but `[]{}`, and whether there are spaces. Without
/// an early exit, so that it vectorizes.
fn ascii_plain_bytes(bytes: &[u8]) -> (bool, bool) {
    bytes.iter().fold((true, false), |(ok, spaces), &b| {
        let graphic = b.wrapping_sub(b'!') <= b'~' - b'!';
        // `[` and `]` are `{` and `}` without bit 5.
        let bracket = matches!(b | 0x20, b'{' | b'}');
        let space = b == b' ';
        (ok & ((graphic & !bracket) | space), spaces | space)
    })
}

/// Whether a plain scalar `value` would be read as something else than a string by YAML 1.2's core
/// schema, YAML 1.1's types, serde_yaml, Go's yaml.v3 or PyYAML: null, a boolean (`yes`, `on`, `y`...),
/// a number in any of their notations, `.inf`/`.nan`, a 1.1 timestamp, merge key or value key.
/// Errs on the side of `true`: quoting a string is never wrong.
fn resolves_to_non_string(value: &str) -> bool {
    const WORDS: [&str; 9] = ["null", "true", "false", "yes", "no", "on", "off", "y", "n"];
    if value.len() <= 5
        && (matches!(value, "" | "~" | "=" | "<<") || WORDS.iter().any(|w| value.eq_ignore_ascii_case(w)))
    {
        return true;
    }
    is_number(value) || is_timestamp(value)
}

/// Every notation of YAML 1.1 and 1.2 numbers, and of those serde_yaml and Go's yaml.v3 read, with
/// an optional sign: decimal (`1_000`, leading zeros), `0x`/`0o`/`0b` (any case, with `_`), floats
/// (`.5`, `5.`, `1e3`, 1.1's `1.2.3` and `.`), sexagesimal (`12:30`, `1:20.5`), `.inf`, `.nan`.
fn is_number(value: &str) -> bool {
    let body = value.strip_prefix(['+', '-']).unwrap_or(value).as_bytes();
    if !body.first().is_some_and(|&b| b.is_ascii_digit() || b == b'.') {
        return false;
    }
    let prefixed = |digits: &[u8], radix: u32| {
        !digits.is_empty() && digits.iter().all(|&b| b == b'_' || char::from(b).is_digit(radix))
    };
    match body {
        [b'.', word @ ..] if word.eq_ignore_ascii_case(b"inf") || word.eq_ignore_ascii_case(b"nan") => true,
        [b'0', b'x' | b'X', digits @ ..] => prefixed(digits, 16),
        [b'0', b'o' | b'O', digits @ ..] => prefixed(digits, 8),
        [b'0', b'b' | b'B', digits @ ..] => prefixed(digits, 2),
        _ => is_decimal(body),
    }
}

fn is_decimal(body: &[u8]) -> bool {
    let (mantissa, exponent) = match body.iter().position(|&b| b == b'e' || b == b'E') {
        Some(at) => (&body[..at], Some(&body[at + 1..])),
        None => (body, None),
    };
    if let Some(exponent) = exponent {
        let digits = exponent.strip_prefix(b"+").or_else(|| exponent.strip_prefix(b"-")).unwrap_or(exponent);
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return false;
        }
    }
    if mantissa.contains(&b':') {
        // Sexagesimal, as `[0-9][0-9_:]*(\.[0-9_]*)?` (a superset of YAML 1.1's), no exponent.
        let (head, fraction) = match mantissa.iter().position(|&b| b == b'.') {
            Some(at) => (&mantissa[..at], &mantissa[at + 1..]),
            None => (mantissa, &[][..]),
        };
        return exponent.is_none()
            && head.first().is_some_and(u8::is_ascii_digit)
            && head.iter().all(|&b| b.is_ascii_digit() || b == b'_' || b == b':')
            && fraction.iter().all(|&b| b.is_ascii_digit() || b == b'_');
    }
    // `[0-9_.]+` with a digit or a dot: integers, and floats as YAML 1.1's `([0-9][0-9_]*)?\.[0-9.]*`
    // and 1.2's `(\.[0-9]+|[0-9]+(\.[0-9]*)?)` write them.
    mantissa.iter().all(|&b| b.is_ascii_digit() || b == b'_' || b == b'.')
        && mantissa.iter().any(|&b| b.is_ascii_digit() || b == b'.')
}

/// YAML 1.1 timestamps start with `yyyy-m-d`.
fn is_timestamp(value: &str) -> bool {
    let b = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| b.get(range).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if !(digits(0..4) && b.get(4) == Some(&b'-')) {
        return false;
    }
    let month = if digits(5..7) {
        7
    } else if digits(5..6) {
        6
    } else {
        return false;
    };
    b.get(month) == Some(&b'-') && b.get(month + 1).is_some_and(u8::is_ascii_digit)
}

/// A finite float's shortest round-trip digits in scientific notation (`4.3265312e3`), as ryu
/// (serde_yaml's float writer) chooses them: Rust's `{:e}` gives the shortest digits, but where two
/// candidates of that length are equally close it rounds half up and ryu half to even, which
/// Rust's exact formatting to that many digits does too.
fn shortest_digits<F>(value: F) -> String
where
    F: fmt::LowerExp + std::str::FromStr + PartialEq + Copy,
{
    let shortest = format!("{value:e}");
    let mantissa = shortest.split('e').next().unwrap_or_default();
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let nearest = format!("{value:.precision$e}", precision = digits.saturating_sub(1));
    if nearest != shortest && nearest.parse::<F>().is_ok_and(|back| back == value) { nearest } else { shortest }
}

/// Writes a finite float as ryu (serde_yaml's float writer) lays it out, from its shortest digits
/// in scientific notation: `1.0`, `0.5`, `0.0001`, `1e16`, `1.5e-7`, `-0.0`. ryu writes `f32`s
/// without an exponent up to 13 integer digits and from 6 leading zeros, `f64`s 16 and 5.
fn push_ryu_like(out: &mut String, sci: &str, f32: bool) {
    let (negative, unsigned) = match sci.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, sci),
    };
    let Some((Ok(exponent), mantissa)) = unsigned.split_once('e').map(|(m, e)| (e.parse::<isize>(), m)) else {
        out.push_str(sci);
        return;
    };
    if negative {
        out.push('-');
    }
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int == "0" && frac.is_empty() {
        out.push_str("0.0");
        return;
    }
    let digits = || int.chars().chain(frac.chars());
    let length = (int.len() + frac.len()) as isize;
    // The value is 0.DIGITS * 10^kk, and DIGITS * 10^k.
    let kk = exponent + 1;
    let k = kk - length;
    let (max, min) = if f32 { (13, -6) } else { (16, -5) };
    if 0 <= k && kk <= max {
        out.extend(digits());
        out.extend(std::iter::repeat_n('0', k.unsigned_abs()));
        out.push_str(".0");
    } else if 0 < kk && kk <= max {
        let point = kk.unsigned_abs();
        out.extend(digits().take(point));
        out.push('.');
        out.extend(digits().skip(point));
    } else if min < kk && kk <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', kk.unsigned_abs()));
        out.extend(digits());
    } else {
        out.push_str(int);
        if !frac.is_empty() {
            out.push('.');
            out.push_str(frac);
        }
        let _ = write!(out, "e{}", kk - 1);
    }
}

/// Where a node is: at the root of the document, or a mapping's value (a sequence there is written
/// at the mapping's indentation), or elsewhere (a sequence item, an explicit key).
#[derive(Clone, Copy)]
struct Ctx {
    root: bool,
    mapping: bool,
}

impl Ctx {
    const ROOT: Self = Self { root: true, mapping: false };
    const ITEM: Self = Self { root: false, mapping: false };
    const VALUE: Self = Self { root: false, mapping: true };
}

/// Serializes one node (not a key).
struct Node<'a> {
    em: &'a mut Emitter,
    ctx: Ctx,
}

impl<'a> ser::Serializer for Node<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Map<'a>;
    type SerializeStruct = Map<'a>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.em.plain_display(v);
        self.em.plain_at(self.ctx);
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.em.plain_display(v);
        self.em.plain_at(self.ctx);
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.em.plain_display(v);
        self.em.plain_at(self.ctx);
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.em.plain_display(v);
        self.em.plain_at(self.ctx);
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.em.plain_display(v);
        self.em.plain_at(self.ctx);
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.em.no_pyyaml_float()?;
        self.em.f32(v);
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.em.no_pyyaml_float()?;
        self.em.f64(v);
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.em.char(v);
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.em.string(v, false, self.ctx.root);
        Ok(())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(Error::Unsupported)
    }

    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), Error> {
        self.em.plain_display("null");
        self.em.plain_at(self.ctx);
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), Error> {
        Err(Error::Unsupported)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>, Error> {
        Ok(Seq { em: self.em, ctx: self.ctx, saved: None })
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Seq<'a>, Error> {
        self.serialize_seq(Some(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error::Unsupported)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'a>, Error> {
        Ok(Map { em: self.em, saved: None, simple_key: true })
    }

    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<Map<'a>, Error> {
        self.serialize_map(Some(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error::Unsupported)
    }
}

/// A block sequence, started at its first item (an empty one is `[]`).
struct Seq<'a> {
    em: &'a mut Emitter,
    ctx: Ctx,
    /// The indentation to restore at the end, once the first item is written.
    saved: Option<isize>,
}

impl Seq<'_> {
    fn item<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        if self.saved.is_none() {
            let indentless = self.ctx.mapping && !self.em.indention;
            self.saved = Some(self.em.increase_indent(indentless));
        }
        self.em.write_indent();
        self.em.write_indicator("-", true, false, true);
        value.serialize(Node { em: &mut *self.em, ctx: Ctx::ITEM })
    }

    fn finish(self) -> Result<(), Error> {
        match self.saved {
            Some(indent) => self.em.indent = indent,
            None => self.em.flow_empty("[]"),
        }
        Ok(())
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// A block mapping, started at its first key (an empty one is `{}`).
struct Map<'a> {
    em: &'a mut Emitter,
    /// The indentation to restore at the end, once the first key is written.
    saved: Option<isize>,
    /// Whether the last key was simple (`key:`) rather than explicit (`? key`).
    simple_key: bool,
}

impl Map<'_> {
    fn start_key(&mut self) {
        if self.saved.is_none() {
            self.saved = Some(self.em.increase_indent(false));
        }
        self.em.write_indent();
    }

    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        if self.simple_key {
            self.em.write_indicator(":", false, false, false);
        } else {
            self.em.write_indent();
            self.em.write_indicator(":", true, false, true);
        }
        value.serialize(Node { em: &mut *self.em, ctx: Ctx::VALUE })
    }

    fn finish(self) -> Result<(), Error> {
        match self.saved {
            Some(indent) => self.em.indent = indent,
            None => self.em.flow_empty("{}"),
        }
        Ok(())
    }
}

impl ser::SerializeMap for Map<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Error> {
        self.start_key();
        self.simple_key = key.serialize(Key { em: &mut *self.em })?;
        Ok(())
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Error> {
        self.value(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for Map<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.start_key();
        self.simple_key = self.em.key_str(key);
        self.value(value)
    }

    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// Serializes a mapping key, which must be a scalar; `Ok` tells whether it was written as a simple
/// key.
struct Key<'a> {
    em: &'a mut Emitter,
}

impl Key<'_> {
    fn plain(self, value: impl fmt::Display) -> Result<bool, Error> {
        self.em.plain_display(value);
        Ok(true)
    }
}

impl ser::Serializer for Key<'_> {
    type Ok = bool;
    type Error = Error;
    type SerializeSeq = Impossible<bool, Error>;
    type SerializeTuple = Impossible<bool, Error>;
    type SerializeTupleStruct = Impossible<bool, Error>;
    type SerializeTupleVariant = Impossible<bool, Error>;
    type SerializeMap = Impossible<bool, Error>;
    type SerializeStruct = Impossible<bool, Error>;
    type SerializeStructVariant = Impossible<bool, Error>;

    fn serialize_bool(self, v: bool) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_i8(self, v: i8) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_i16(self, v: i16) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_i32(self, v: i32) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_i64(self, v: i64) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_i128(self, v: i128) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_u8(self, v: u8) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_u16(self, v: u16) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_u32(self, v: u32) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_u64(self, v: u64) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_u128(self, v: u128) -> Result<bool, Error> {
        self.plain(v)
    }

    fn serialize_f32(self, v: f32) -> Result<bool, Error> {
        self.em.no_pyyaml_float()?;
        self.em.f32(v);
        Ok(true)
    }

    fn serialize_f64(self, v: f64) -> Result<bool, Error> {
        self.em.no_pyyaml_float()?;
        self.em.f64(v);
        Ok(true)
    }

    fn serialize_char(self, v: char) -> Result<bool, Error> {
        if self.em.flavor == Flavor::PyYaml {
            return Ok(self.em.key_str(v.encode_utf8(&mut [0; 4])));
        }
        let simple = !is_break(v);
        if !simple {
            self.em.write_indicator("?", true, false, true);
        }
        self.em.char(v);
        Ok(simple)
    }

    fn serialize_str(self, v: &str) -> Result<bool, Error> {
        Ok(self.em.key_str(v))
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<bool, Error> {
        Err(Error::Unsupported)
    }

    fn serialize_none(self) -> Result<bool, Error> {
        self.plain("null")
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<bool, Error> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<bool, Error> {
        self.plain("null")
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<bool, Error> {
        self.plain("null")
    }

    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<bool, Error> {
        self.serialize_str(variant)
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result<bool, Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<bool, Error> {
        Err(Error::Unsupported)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(Error::Unsupported)
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(Error::Unsupported)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, Error> {
        Err(Error::Unsupported)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error::Unsupported)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(Error::Unsupported)
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, Error> {
        Err(Error::Unsupported)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error::Unsupported)
    }
}

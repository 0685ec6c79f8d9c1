//! Reads the plan's text: the block YAML that Pebble's `GET /v1/plan?format=yaml` answers
//! (`internals/daemon/api_plan.go`: `yaml.Marshal(plan)`, gopkg.in/yaml.v3), into a JSON value
//! that the plan's serde types then decode.
//!
//! It reads what yaml.v3's emitter writes for a plan, and refuses the rest by name rather than
//! guess: block mappings and sequences (four-space indentation), plain scalars (resolved as
//! yaml.v3 resolves them: the emitter quotes any string that would read as something else),
//! single- and double-quoted scalars on one line (yaml.v3 no longer folds long lines), literal
//! block scalars with their chomping and indentation indicators (a string with a newline), and
//! `{}`/`[]`. Anchors, tags, flow collections with content, folded scalars, complex keys and
//! YAML 1.1 line breaks (U+0085, U+2028, U+2029, which yaml.v3 writes as breaks) are errors.

use serde_json::{Map, Number, Value};

/// Why the plan's text could not be read: its line (from 1) and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the plan: {problem}")]
pub struct PlanTextError {
    /// The line, from 1.
    pub line: usize,
    /// What was wrong there.
    pub problem: String,
}

/// The plan's text as a JSON value (an empty text is an empty mapping, as an empty plan is).
pub(crate) fn read(text: &str) -> Result<Value, PlanTextError> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') {
        lines.pop();
    }
    let mut reader = Reader { lines, at: 0 };
    reader.skip_blank();
    if reader.at == reader.lines.len() {
        return Ok(Value::Object(Map::new()));
    }
    let (indent, content) = reader.current();
    let value = if indent == 0 && matches!(content, "{}" | "[]") {
        reader.at += 1;
        if content == "{}" { Value::Object(Map::new()) } else { Value::Array(Vec::new()) }
    } else {
        reader.block(0)?
    };
    reader.skip_blank();
    if reader.at < reader.lines.len() {
        return Err(reader.fail("more text after the document"));
    }
    Ok(value)
}

struct Reader<'a> {
    lines: Vec<&'a str>,
    at: usize,
}

/// The line breaks of YAML 1.1 that are not `\n`: yaml.v3's emitter writes them as breaks, so
/// a scalar holding one cannot be read back exactly.
const OLD_BREAKS: [char; 3] = ['\u{85}', '\u{2028}', '\u{2029}'];

impl<'a> Reader<'a> {
    fn fail(&self, problem: impl Into<String>) -> PlanTextError {
        PlanTextError { line: self.at + 1, problem: problem.into() }
    }

    fn is_blank(line: &str) -> bool {
        line.bytes().all(|b| b == b' ')
    }

    fn skip_blank(&mut self) {
        while self.at < self.lines.len() && Self::is_blank(self.lines[self.at]) {
            self.at += 1;
        }
    }

    /// The current line's indentation and content.
    fn current(&self) -> (usize, &'a str) {
        let line = self.lines[self.at];
        let content = line.trim_start_matches(' ');
        (line.len() - content.len(), content)
    }

    /// The next non-blank line's indentation and content, if any.
    fn peek(&mut self) -> Option<(usize, &'a str)> {
        self.skip_blank();
        (self.at < self.lines.len()).then(|| self.current())
    }

    fn is_item(content: &str) -> bool {
        content == "-" || content.starts_with("- ")
    }

    /// The mapping or sequence whose lines start at `indent`.
    fn block(&mut self, indent: usize) -> Result<Value, PlanTextError> {
        match self.peek() {
            Some((_, content)) if content.starts_with('\t') => Err(self.fail("a tab in the indentation")),
            Some((_, content)) if Self::is_item(content) => self.sequence(indent),
            Some(_) => self.mapping(indent),
            None => Err(self.fail("the document ended where a value was expected")),
        }
    }

    fn mapping(&mut self, indent: usize) -> Result<Value, PlanTextError> {
        let mut map = Map::new();
        while let Some((at, content)) = self.peek() {
            if at < indent {
                break;
            }
            if at > indent {
                return Err(self.fail(format!("indented by {at} where {indent} was expected")));
            }
            if content.starts_with('\t') {
                return Err(self.fail("a tab in the indentation"));
            }
            if Self::is_item(content) {
                return Err(self.fail("a sequence item among a mapping's keys"));
            }
            let (key, rest) = self.key(content)?;
            let key_line = self.at;
            self.at += 1;
            let value = if rest.is_empty() {
                match self.peek() {
                    Some((deeper, _)) if deeper > indent => self.block(deeper)?,
                    Some((same, next)) if same == indent && Self::is_item(next) => self.sequence(indent)?,
                    _ => Value::Null,
                }
            } else {
                self.at = key_line;
                let value = self.inline(rest, indent)?;
                if self.at == key_line {
                    self.at += 1;
                }
                value
            };
            if map.insert(key.clone(), value).is_some() {
                self.at = key_line;
                return Err(self.fail(format!("the key {key:?} is repeated")));
            }
        }
        Ok(Value::Object(map))
    }

    fn sequence(&mut self, indent: usize) -> Result<Value, PlanTextError> {
        let mut items = Vec::new();
        while let Some((at, content)) = self.peek() {
            if at != indent || !Self::is_item(content) {
                if at > indent {
                    return Err(self.fail(format!("indented by {at} where {indent} was expected")));
                }
                break;
            }
            let rest = content[1..].trim_start_matches(' ');
            let item_line = self.at;
            if rest.is_empty() {
                self.at += 1;
                match self.peek() {
                    Some((deeper, _)) if deeper > indent => items.push(self.block(deeper)?),
                    _ => items.push(Value::Null),
                }
                continue;
            }
            if Self::is_item(rest) || self.split_key(rest).is_some() {
                return Err(self.fail("a sequence item that is itself a collection"));
            }
            let value = self.inline(rest, indent)?;
            if self.at == item_line {
                self.at += 1;
            }
            items.push(value);
        }
        Ok(Value::Array(items))
    }

    /// Where a `key: value` or `key:` line's key ends, if it is one: the key's text and the rest.
    fn split_key(&self, content: &'a str) -> Option<(&'a str, &'a str)> {
        let key_end = match content.chars().next()? {
            quote @ ('"' | '\'') => {
                let closing = quoted_end(content, quote)?;
                content[closing..].starts_with(':').then_some(closing)?
            }
            _ => content.find(": ").or_else(|| content.strip_suffix(':').map(str::len))?,
        };
        let rest = &content[key_end + 1..];
        (rest.is_empty() || rest.starts_with(' ')).then(|| (&content[..key_end], rest.trim_start_matches(' ')))
    }

    fn key(&self, content: &'a str) -> Result<(String, &'a str), PlanTextError> {
        if content.starts_with("? ") || content == "?" {
            return Err(self.fail("a complex mapping key"));
        }
        let (key, rest) =
            self.split_key(content).ok_or_else(|| self.fail(format!("{content:?} is not a `key: value` line")))?;
        let key = match self.scalar(key)? {
            Value::String(key) => key,
            other => other.to_string(),
        };
        Ok((key, rest))
    }

    /// A value on the line of its key or item: a scalar, `{}`/`[]`, or a literal block's header.
    fn inline(&mut self, text: &'a str, indent: usize) -> Result<Value, PlanTextError> {
        match text.chars().next() {
            Some('|') => self.literal(&text[1..], indent).map(Value::String),
            Some('>') => Err(self.fail("a folded block scalar")),
            _ if text == "{}" => Ok(Value::Object(Map::new())),
            _ if text == "[]" => Ok(Value::Array(Vec::new())),
            Some('{' | '[') => Err(self.fail("a flow collection with content")),
            Some('&' | '*' | '!') => Err(self.fail("an anchor, alias or tag")),
            _ => self.scalar(text),
        }
    }

    /// A scalar that sits on one line.
    fn scalar(&self, text: &str) -> Result<Value, PlanTextError> {
        let value = match text.chars().next() {
            Some('"') => {
                let end = quoted_end(text, '"').filter(|end| *end == text.len());
                let end = end.ok_or_else(|| self.fail("a double-quoted scalar does not end on its line"))?;
                Value::String(self.unescape(&text[1..end - 1])?)
            }
            Some('\'') => {
                let end = quoted_end(text, '\'').filter(|end| *end == text.len());
                let end = end.ok_or_else(|| self.fail("a single-quoted scalar does not end on its line"))?;
                Value::String(text[1..end - 1].replace("''", "'"))
            }
            _ => resolve_plain(text),
        };
        if let Value::String(text) = &value
            && text.contains(OLD_BREAKS)
        {
            return Err(self.fail("a YAML 1.1 line break (U+0085, U+2028 or U+2029) in a scalar"));
        }
        Ok(value)
    }

    fn unescape(&self, text: &str) -> Result<String, PlanTextError> {
        let mut out = String::with_capacity(text.len());
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            let escape = chars.next().ok_or_else(|| self.fail("a backslash ends a double-quoted scalar"))?;
            let hex_len = match escape {
                '0' => Some('\0'),
                'a' => Some('\x07'),
                'b' => Some('\x08'),
                't' | '\t' => Some('\t'),
                'n' => Some('\n'),
                'v' => Some('\x0b'),
                'f' => Some('\x0c'),
                'r' => Some('\r'),
                'e' => Some('\x1b'),
                ' ' => Some(' '),
                '"' => Some('"'),
                '/' => Some('/'),
                '\\' => Some('\\'),
                'N' => Some('\u{85}'),
                '_' => Some('\u{a0}'),
                'L' => Some('\u{2028}'),
                'P' => Some('\u{2029}'),
                'x' | 'u' | 'U' => None,
                other => return Err(self.fail(format!("the escape \\{other} in a double-quoted scalar"))),
            };
            match hex_len {
                Some(c) => out.push(c),
                None => {
                    let len = match escape {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let digits: String = chars.by_ref().take(len).collect();
                    let c = u32::from_str_radix(&digits, 16)
                        .ok()
                        .filter(|_| digits.len() == len)
                        .and_then(char::from_u32)
                        .ok_or_else(|| self.fail(format!("the escape \\{escape}{digits} is not a character")))?;
                    out.push(c);
                }
            }
        }
        Ok(out)
    }

    /// A literal block scalar (`|`, `|-`, `|+`, `|4-`): `header` is what follows the `|`, and
    /// the reader stands on the line of the header; it ends past the block.
    fn literal(&mut self, header: &str, indent: usize) -> Result<String, PlanTextError> {
        let mut explicit = None;
        let mut chomp = ' ';
        for c in header.chars() {
            match c {
                '1'..='9' if explicit.is_none() => explicit = Some(c as usize - '0' as usize),
                '-' | '+' if chomp == ' ' => chomp = c,
                _ => return Err(self.fail(format!("the block scalar header |{header}"))),
            }
        }
        self.at += 1;
        let content_indent = match explicit {
            Some(n) => indent + n,
            None => {
                let first = self.lines[self.at..].iter().find(|line| !Self::is_blank(line));
                let found = first.map(|line| line.len() - line.trim_start_matches(' ').len());
                found.filter(|found| *found > indent).unwrap_or(indent + 1)
            }
        };
        let mut block: Vec<&str> = Vec::new();
        while self.at < self.lines.len() {
            let line = self.lines[self.at];
            let spaces = line.len() - line.trim_start_matches(' ').len();
            if spaces >= content_indent {
                block.push(&line[content_indent..]);
            } else if Self::is_blank(line) {
                block.push("");
            } else {
                break;
            }
            self.at += 1;
        }
        // Blank lines after the block that are not its own (less indented than its content)
        // belong to no one; chomping decides what the trailing empty lines count for.
        let last_content = block.iter().rposition(|line| !line.is_empty()).map_or(0, |at| at + 1);
        let trailing_empty = block.len() - last_content;
        let mut text = block[..last_content].join("\n");
        if text.contains(OLD_BREAKS) {
            return Err(self.fail("a YAML 1.1 line break (U+0085, U+2028 or U+2029) in a block scalar"));
        }
        match chomp {
            '-' => {}
            '+' => {
                if last_content > 0 {
                    text.push('\n');
                }
                text.push_str(&"\n".repeat(trailing_empty));
            }
            _ if last_content > 0 => text.push('\n'),
            _ => {}
        }
        Ok(text)
    }
}

/// Where the quoted scalar that opens `text` ends (just past its closing quote), if on this line.
fn quoted_end(text: &str, quote: char) -> Option<usize> {
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' if quote == '"' => {
                chars.next();
            }
            '\'' if quote == '\'' && chars.peek().is_some_and(|(_, next)| *next == '\'') => {
                chars.next();
            }
            c if c == quote => return Some(at + 1),
            _ => {}
        }
    }
    None
}

/// A plain scalar as yaml.v3 resolves it (`resolve.go`): null, a boolean, an integer, a float,
/// or else a string. yaml.v3's encoder quotes any string that would resolve to something else,
/// so a plain scalar that looks like a number is one.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(int) = text.parse::<i64>() {
            return Value::Number(int.into());
        }
        if let Ok(int) = text.trim_start_matches('+').parse::<u64>() {
            return Value::Number(int.into());
        }
    }
    let looks_like_float = digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'))
        && digits.bytes().any(|b| b.is_ascii_digit());
    if looks_like_float && let Some(number) = text.parse::<f64>().ok().and_then(Number::from_f64) {
        return Value::Number(number);
    }
    Value::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[track_caller]
    fn check(text: &str, expect: Value) {
        assert_eq!(read(text).unwrap(), expect, "{text}");
    }

    #[track_caller]
    fn check_refused(text: &str, line: usize, problem: &str) {
        let err = read(text).unwrap_err();
        assert_eq!(err.line, line, "{err}");
        assert!(err.problem.contains(problem), "{err}");
    }

    proptest::proptest! {
        /// Any text is read or refused, never a panic: lines of the characters YAML's
        /// structure is made of, so that the reader goes deep.
        #[test]
        fn any_text_is_read_or_refused(text in "([ ]{0,9}(- |[a-z]{0,3}: ?|[|>+'\"\\\\#:{}\\[\\]0-9a-z\u{e9}\u{2028}-]{0,6}){0,4}\n){0,12}") {
            let _ = read(&text);
        }
    }

    #[test]
    fn the_empty_plan_is_an_empty_mapping() {
        check("{}\n", json!({}));
        check("", json!({}));
    }

    /// What Pebble v1.32.1 answered for a layer of awkward strings (seen with `curl` while this
    /// module was written, and held true against the daemon by the live tests' property).
    #[test]
    fn yaml_v3_output_reads_back() {
        let text = r#"services:
    svc:
        startup: enabled
        override: replace
        command: /bin/sh -c "sleep 1000; echo it's"
        after:
            - x
            - "y"
        environment:
            BOOL: "on"
            CRLF: "a\r\nb"
            CTL: "x\x01y"
            DASH: '-'
            'KEY WITH: colon': v
            LN: |4-
                  two
                lines
            NL: |
                a
            Q: it's "q"
            SP: ' '
            T: 'it''s '
            TR: |+
                end

            U: "\u00e9\U0001F600"
            Z: ""
        user-id: 0
        backoff-factor: 1.5
        kill-delay: 1m30s
checks:
    ready:
        threshold: 3
        tcp:
            port: 4040
"#;
        check(
            text,
            json!({
                "services": {"svc": {
                    "startup": "enabled", "override": "replace",
                    "command": "/bin/sh -c \"sleep 1000; echo it's\"",
                    "after": ["x", "y"],
                    "environment": {
                        "BOOL": "on", "CRLF": "a\r\nb", "CTL": "x\u{1}y", "DASH": "-",
                        "KEY WITH: colon": "v", "LN": "  two\nlines", "NL": "a\n", "Q": "it's \"q\"",
                        "SP": " ", "T": "it's ", "TR": "end\n\n", "U": "é😀", "Z": ""
                    },
                    "user-id": 0, "backoff-factor": 1.5, "kill-delay": "1m30s"
                }},
                "checks": {"ready": {"threshold": 3, "tcp": {"port": 4040}}}
            }),
        );
    }

    #[test]
    fn plain_scalars_resolve_as_yaml_v3_resolves_them() {
        check(
            "a: ~\nb: true\nc: -12\nd: 1.5e3\ne: 1.2.3\nf: .5\ng: x\n",
            json!({"a": null, "b": true, "c": -12, "d": 1500.0, "e": "1.2.3", "f": 0.5, "g": "x"}),
        );
    }

    #[test]
    fn what_yaml_v3_does_not_write_for_a_plan_is_refused() {
        check_refused("a: &x 1\n", 1, "anchor");
        check_refused("a: {b: 1}\n", 1, "flow collection");
        check_refused("a: >\n  folded\n", 1, "folded");
        check_refused("a: \"open\n  more\"\n", 1, "does not end on its line");
        check_refused("a: 'x\u{2028}y'\n", 1, "YAML 1.1 line break");
        check_refused("a: 1\na: 2\n", 2, "repeated");
        check_refused("a:\n    b: 1\n  c: 2\n", 3, "indented by 2 where 0");
        check_refused("a: 1\n...\n", 2, "not a `key: value` line");
        check_refused("a: 1\n    b: 2\n", 2, "indented by 4");
        check_refused("a:\n    - b: 1\n", 2, "itself a collection");
        check_refused("? a\n: 1\n", 1, "complex mapping key");
        check_refused("a: \"\\q\"\n", 1, "escape \\q");
        check_refused("just text\n", 1, "not a `key: value` line");
        check_refused("a:\n\t- b\n", 2, "tab");
    }
}

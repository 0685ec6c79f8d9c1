//! What an error adds for a person: the format the input was read as and what it looks like,
//! letters that look like ASCII ones and are not, and the nearest known key for an unknown one.

use std::fmt::Write as _;

use pyroscope_cluster_release::PyroscopeRelease;

/// Letters and marks that look like an ASCII character and are not: the character, the ASCII
/// one it looks like, and its script or kind. (The confusables that reach a role list or a key:
/// Cyrillic and Greek letters, dashes, spaces; fullwidth forms are handled apart.)
const LOOK_ALIKES: &[(char, char, &str)] = &[
    ('а', 'a', "Cyrillic"),
    ('в', 'b', "Cyrillic"),
    ('е', 'e', "Cyrillic"),
    ('ё', 'e', "Cyrillic"),
    ('һ', 'h', "Cyrillic"),
    ('і', 'i', "Cyrillic"),
    ('ј', 'j', "Cyrillic"),
    ('к', 'k', "Cyrillic"),
    ('м', 'm', "Cyrillic"),
    ('н', 'h', "Cyrillic"),
    ('о', 'o', "Cyrillic"),
    ('р', 'p', "Cyrillic"),
    ('с', 'c', "Cyrillic"),
    ('ѕ', 's', "Cyrillic"),
    ('т', 't', "Cyrillic"),
    ('у', 'y', "Cyrillic"),
    ('х', 'x', "Cyrillic"),
    ('ԁ', 'd', "Cyrillic"),
    ('ԛ', 'q', "Cyrillic"),
    ('ԝ', 'w', "Cyrillic"),
    ('А', 'A', "Cyrillic"),
    ('В', 'B', "Cyrillic"),
    ('Е', 'E', "Cyrillic"),
    ('К', 'K', "Cyrillic"),
    ('М', 'M', "Cyrillic"),
    ('Н', 'H', "Cyrillic"),
    ('О', 'O', "Cyrillic"),
    ('Р', 'P', "Cyrillic"),
    ('С', 'C', "Cyrillic"),
    ('Т', 'T', "Cyrillic"),
    ('Х', 'X', "Cyrillic"),
    ('α', 'a', "Greek"),
    ('ε', 'e', "Greek"),
    ('ι', 'i', "Greek"),
    ('κ', 'k', "Greek"),
    ('ν', 'v', "Greek"),
    ('ο', 'o', "Greek"),
    ('ρ', 'p', "Greek"),
    ('τ', 't', "Greek"),
    ('υ', 'u', "Greek"),
    ('χ', 'x', "Greek"),
    ('Α', 'A', "Greek"),
    ('Β', 'B', "Greek"),
    ('Ε', 'E', "Greek"),
    ('Η', 'H', "Greek"),
    ('Ι', 'I', "Greek"),
    ('Κ', 'K', "Greek"),
    ('Μ', 'M', "Greek"),
    ('Ν', 'N', "Greek"),
    ('Ο', 'O', "Greek"),
    ('Ρ', 'P', "Greek"),
    ('Τ', 'T', "Greek"),
    ('Χ', 'X', "Greek"),
    ('‐', '-', "a hyphen"),
    ('‑', '-', "a non-breaking hyphen"),
    ('‒', '-', "a figure dash"),
    ('–', '-', "an en dash"),
    ('—', '-', "an em dash"),
    ('−', '-', "a minus sign"),
    ('\u{a0}', ' ', "a no-break space"),
    ('’', '\'', "a right single quotation mark"),
    ('“', '"', "a left double quotation mark"),
    ('”', '"', "a right double quotation mark"),
];

/// What a character that looks like another is, and which ASCII character it looks like;
/// `None` for ASCII and for characters that look like none. Invisible characters (zero-width
/// spaces and joiners, the byte-order mark) look like nothing, which is worth saying too.
fn look_alike(c: char) -> Option<(String, Option<char>)> {
    if c.is_ascii() {
        return None;
    }
    if let Some((_, ascii, kind)) = LOOK_ALIKES.iter().find(|(other, _, _)| *other == c) {
        return Some((format!("{kind} \"{c}\""), Some(*ascii)));
    }
    // Fullwidth ASCII (U+FF01 to U+FF5E): the ASCII character 0xFEE0 below.
    if let Some(ascii) = ('\u{ff01}'..='\u{ff5e}').contains(&c).then(|| char::from_u32(c as u32 - 0xfee0)).flatten() {
        return Some((format!("fullwidth \"{c}\""), Some(ascii)));
    }
    if matches!(c, '\u{200b}'..='\u{200d}' | '\u{2060}' | '\u{feff}') {
        return Some(("an invisible character".to_owned(), None));
    }
    None
}

/// A note on the characters of `text` that look like ASCII ones and are not (`"quеry-frontend"`
/// with a Cyrillic "е"), each with where it is in its word and what it looks like; `None` when
/// there is none.
pub(crate) fn look_alikes(text: &str) -> Option<String> {
    let mut found = Vec::new();
    for word in text
        .split(|c: char| c.is_ascii_whitespace() || matches!(c, '"' | '`' | '\'' | '\\' | ',' | ':' | '=' | '(' | ')'))
    {
        for (at, c) in word.chars().enumerate() {
            if let Some((what, ascii)) = look_alike(c) {
                let mut note = format!("{what} U+{:04X} at character {} of \"{word}\"", c as u32, at + 1);
                if let Some(ascii) = ascii {
                    let _ = write!(note, ", which looks like \"{ascii}\"");
                }
                if !found.contains(&note) {
                    found.push(note);
                }
            }
        }
    }
    (!found.is_empty()).then(|| format!("note: not ASCII: {}", found.join("; ")))
}

/// `message`, and the note of [`look_alikes`] on it, if any.
pub(crate) fn with_look_alikes(message: String) -> String {
    match look_alikes(&message) {
        Some(note) => format!("{message} ({note})"),
        None => message,
    }
}

/// What a text that failed to parse looks like, when it is a format that is not read (TOML,
/// XML, INI): a sentence, or `None`.
pub(crate) fn looks_like(text: &str) -> Option<&'static str> {
    let lines = || text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#'));
    let section = |line: &str| {
        line.starts_with('[')
            && line.ends_with(']')
            && line[1..line.len() - 1]
                .trim_matches(['[', ']'])
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
            && line.len() > 2
    };
    let assignment = |line: &str| {
        line.split_once('=').is_some_and(|(key, _)| {
            let key = key.trim();
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '"'))
        })
    };
    if text.trim_start().starts_with('<') {
        return Some("it looks like XML or HTML, which is not read: give YAML or JSON");
    }
    if lines().any(section)
        || (lines().next().is_some_and(assignment) && lines().all(|line| assignment(line) || section(line)))
    {
        return Some("it looks like TOML or INI (`[section]`, `key = value`), which is not read: give YAML or JSON");
    }
    None
}

/// A parser's message made readable: an integer too large for any value (serde_yaml reads one
/// of more than 64 bits as `u128`, which nothing here takes: "invalid type: integer `N` as u128,
/// expected any YAML value") said as such.
pub(crate) fn parser_message(message: &str) -> String {
    let Some(start) = message.find("invalid type: integer `") else { return message.to_owned() };
    let rest = &message[start + "invalid type: integer `".len()..];
    let Some((number, after)) = rest.split_once("` as u128") else { return message.to_owned() };
    let tail = after.split_once(" at line ").map_or(String::new(), |(_, at)| format!(" at line {at}"));
    format!(
        "{}the integer {number} is too large: no value here is more than 64 bits (a relation ID at most \
         {}){tail}",
        &message[..start],
        u32::MAX
    )
}

/// The known key of `release` nearest to the unknown `path` (dotted): among its siblings (the
/// keys under the same parent), the one at the smallest edit distance from its last part, if
/// that distance is small for its length (at most a third of it, and at least 1: a typo, not
/// another word).
pub(crate) fn nearest_key(release: PyroscopeRelease, path: &str) -> Option<String> {
    let path = path.split('[').next().unwrap_or(path);
    let (parent, name) = path.rsplit_once('.').unwrap_or(("", path));
    let prefix = if parent.is_empty() { String::new() } else { format!("{parent}.") };
    let mut siblings: Vec<&str> = release
        .keys()
        .filter_map(|(key, _)| key.strip_prefix(prefix.as_str()))
        .map(|rest| rest.split('.').next().unwrap_or(rest))
        .collect();
    siblings.dedup();
    let bound = (name.chars().count() / 3).max(1);
    siblings
        .into_iter()
        .map(|sibling| (edit_distance(name, sibling), sibling))
        .filter(|(distance, _)| (1..=bound).contains(distance))
        .min()
        .map(|(_, sibling)| format!("{prefix}{sibling}"))
}

/// The Levenshtein distance between `a` and `b`, by characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb)).min(above + 1).min(row[j] + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alike_letters_are_named() {
        let note = look_alikes(r#"unknown role "quеry-frontend" (known roles: all, querier)"#).unwrap();
        assert_eq!(
            note,
            r#"note: not ASCII: Cyrillic "е" U+0435 at character 3 of "quеry-frontend", which looks like "e""#
        );
        let note = look_alikes("role \u{201c}all\u{201d} ａll in\u{200b}gester").unwrap();
        assert!(note.contains("fullwidth \"ａ\" U+FF41 at character 1 of \"ａll\", which looks like \"a\""), "{note}");
        assert!(note.contains("an invisible character U+200B at character 3"), "{note}");
        assert!(note.contains("a left double quotation mark \"\u{201c}\" U+201C"), "{note}");
        assert_eq!(look_alikes("unknown role \"ingestor\""), None);
        assert_eq!(look_alikes("日本"), None, "not a look-alike: nothing to say");
    }

    #[test]
    fn formats_that_are_not_read_are_named() {
        let toml = "[settings]\nretention_period = \"7d\"\n";
        assert!(looks_like(toml).unwrap().starts_with("it looks like TOML"));
        assert!(looks_like("retention_period = 7d\n").unwrap().starts_with("it looks like TOML"));
        assert!(looks_like("<settings/>").unwrap().starts_with("it looks like XML"));
        assert_eq!(looks_like("[1, 2]"), None);
        assert_eq!(looks_like("settings:\n  a: b = c\n"), None);
        assert_eq!(looks_like("{\"a\": 1,}"), None);
    }

    #[test]
    fn a_huge_integer_is_said_to_be_too_large() {
        let message = "relations[0].id: invalid type: integer `12345678901234567890123` as u128, expected any YAML \
                       value at line 1 column 18";
        assert_eq!(
            parser_message(message),
            "relations[0].id: the integer 12345678901234567890123 is too large: no value here is more than 64 \
             bits (a relation ID at most 4294967295) at line 1 column 18"
        );
        assert_eq!(parser_message("expected value at line 1 column 2"), "expected value at line 1 column 2");
    }

    #[test]
    fn the_nearest_key_is_suggested() {
        let release = PyroscopeRelease::DEFAULT;
        let at = |path: &str| nearest_key(release, path);
        assert_eq!(
            at("ingester.lifecycler.ring.replication_facter").as_deref(),
            Some("ingester.lifecycler.ring.replication_factor")
        );
        assert_eq!(at("servre").as_deref(), Some("server"));
        assert_eq!(at("storage.s3.secret_acess_key").as_deref(), Some("storage.s3.secret_access_key"));
        assert_eq!(at("completely_different"), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
    }
}

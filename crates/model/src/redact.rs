//! [`Shown`]: a databag value as an error message or `Debug` shows it, secrets hidden.
//!
//! The one place that says which values are secret and how a value is cut short: the decoder's
//! errors, the databags' `Debug`, [`DatabagChanges`](crate::DatabagChanges)' `Debug` and the
//! schema crate's validation issues all go through it.

use std::fmt;

/// The keys whose values hold secrets: `worker_config` carries the S3 credentials. No error and
/// no `Debug` shows their values, only their size.
pub const SECRET_KEYS: &[&str] = &["worker_config"];

/// The longest excerpt of a value an error shows, in characters.
pub const EXCERPT_CHARS: usize = 80;

/// The value of a databag key as an error message or `Debug` shows it.
///
/// The value of a [secret key](SECRET_KEYS) shows as its size only: `<46 bytes, not shown>`. Any
/// other value shows quoted and escaped (no control character reaches a terminal); `Display`
/// cuts it after [`EXCERPT_CHARS`] characters and notes the full length, `Debug` shows it whole.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Shown<'a> {
    key: &'a str,
    value: &'a str,
}

impl<'a> Shown<'a> {
    /// The value `value` of the key `key`.
    pub fn new(key: &'a str, value: &'a str) -> Self {
        Self { key, value }
    }

    /// Whether `key`'s values are secret.
    pub fn is_secret(key: &str) -> bool {
        SECRET_KEYS.contains(&key)
    }

    /// The excerpt an error message quotes, or `None` for a secret: such a message says nothing
    /// of the value, not even its size.
    pub fn excerpt(&self) -> Option<String> {
        (!Self::is_secret(self.key)).then(|| self.to_string())
    }

    fn hidden(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&not_shown(self.value.len()))
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if Self::is_secret(self.key) {
            return self.hidden(f);
        }
        match self.value.char_indices().nth(EXCERPT_CHARS) {
            None => write!(f, "{:?}", self.value),
            Some((cut, _)) => write!(f, "{:?}... ({} bytes in all)", &self.value[..cut], self.value.len()),
        }
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if Self::is_secret(self.key) { self.hidden(f) } else { fmt::Debug::fmt(self.value, f) }
    }
}

/// What stands for a secret of `size` bytes, in `Debug`, errors and the CLI's text.
fn not_shown(size: usize) -> String {
    format!("<{size} bytes, not shown>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_is_escaped_and_bounded() {
        assert_eq!(Shown::new("address", "a\u{1b}[31m").to_string(), r#""a\u{1b}[31m""#);
        let long = "x".repeat(1_000_000);
        let shown = Shown::new("address", &long).to_string();
        assert_eq!(shown, format!("{:?}... (1000000 bytes in all)", "x".repeat(EXCERPT_CHARS)));
        let wide = "é".repeat(100);
        assert_eq!(Shown::new("address", &wide).to_string(), format!("{:?}... (200 bytes in all)", "é".repeat(80)));
        let exact = "y".repeat(EXCERPT_CHARS);
        assert_eq!(Shown::new("address", &exact).to_string(), format!("{exact:?}"), "not cut at the limit");
        assert_eq!(format!("{:?}", Shown::new("address", &long)), format!("{long:?}"), "Debug shows it whole");
    }

    #[test]
    fn secrets_show_their_size_only() {
        let secret = "secret_access_key: hunter2";
        for shown in
            [Shown::new("worker_config", secret).to_string(), format!("{:?}", Shown::new("worker_config", secret))]
        {
            assert_eq!(shown, "<26 bytes, not shown>");
        }
        assert_eq!(Shown::new("worker_config", secret).excerpt(), None);
        assert_eq!(Shown::new("role", "\"querier\"").excerpt().as_deref(), Some(r#""\"querier\"""#));
    }
}

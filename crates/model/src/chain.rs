//! An error and its causes on one line, the one way the workspace shows an error chain.

use std::error::Error;
use std::fmt;

/// Shows `err` and each of its [`source`](Error::source)s, joined with `: `.
///
/// Every error type of the workspace says what failed at its own level and leaves the cause to
/// `source()`; this puts the levels back together for a status, a log line or a reason shown in
/// a value (what `{:#}` does for anyhow).
///
/// ```
/// use pyroscope_cluster_model::{DatabagModel, ErrorChain, RawDatabag, RequirerAppData};
/// let bag = RawDatabag::from([("role".to_owned(), "all".to_owned())]);
/// let err = RequirerAppData::decode(&bag).unwrap_err();
/// assert!(ErrorChain(&err).to_string().starts_with("invalid requirer app databag: key `role`"));
/// ```
#[derive(Clone, Copy)]
pub struct ErrorChain<'a>(pub &'a dyn Error);

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl fmt::Debug for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("middle")]
    struct Middle(#[source] std::io::Error);

    #[test]
    fn every_level_once_in_order() {
        let err = Outer(Middle(std::io::Error::other("inner")));
        assert_eq!(ErrorChain(&err).to_string(), "outer: middle: inner");
        assert_eq!(ErrorChain(&std::io::Error::other("alone")).to_string(), "alone");
    }
}

//! The vocabulary of a relation state: its four databags, the forms their values are written in,
//! and the issues found in them, each at its path.

use std::fmt;
use std::str::FromStr;

use pyroscope_cluster_model::DatabagKind;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::generate::Side;

/// One of the four databags of a relation state: the three a peer writes (the model's
/// [`DatabagKind`]) and the coordinator unit's, which this interface leaves empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RelationDatabag {
    /// The coordinator's application databag.
    ProviderApp,
    /// A coordinator unit's databag (unused by this interface).
    ProviderUnit,
    /// A worker application's databag.
    RequirerApp,
    /// A worker unit's databag.
    RequirerUnit,
}

impl RelationDatabag {
    /// The four databags, in the order of a relation state.
    pub const ALL: [RelationDatabag; 4] = [
        RelationDatabag::ProviderApp,
        RelationDatabag::ProviderUnit,
        RelationDatabag::RequirerApp,
        RelationDatabag::RequirerUnit,
    ];

    /// The side that writes it.
    pub const fn side(self) -> Side {
        match self {
            RelationDatabag::ProviderApp | RelationDatabag::ProviderUnit => Side::Provider,
            RelationDatabag::RequirerApp | RelationDatabag::RequirerUnit => Side::Requirer,
        }
    }

    /// `app` or `unit`: its property in the side's schema and its key in a relation state.
    pub const fn name(self) -> &'static str {
        match self {
            RelationDatabag::ProviderApp | RelationDatabag::RequirerApp => "app",
            RelationDatabag::ProviderUnit | RelationDatabag::RequirerUnit => "unit",
        }
    }

    /// Its path in a relation state, which starts every [`Issue::path`] in it: `requirer.unit`.
    pub const fn path(self) -> &'static str {
        match self {
            RelationDatabag::ProviderApp => "provider.app",
            RelationDatabag::ProviderUnit => "provider.unit",
            RelationDatabag::RequirerApp => "requirer.app",
            RelationDatabag::RequirerUnit => "requirer.unit",
        }
    }

    pub(crate) fn of(side: Side, name: &str) -> Option<RelationDatabag> {
        RelationDatabag::ALL.into_iter().find(|databag| databag.side() == side && databag.name() == name)
    }
}

impl FromStr for RelationDatabag {
    type Err = String;

    /// Reads [`RelationDatabag::path`]: `requirer.unit`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RelationDatabag::ALL.into_iter().find(|databag| databag.path() == s).ok_or_else(|| {
            format!("unknown databag {s:?} (known: provider.app, provider.unit, requirer.app, requirer.unit)")
        })
    }
}

impl<'de> Deserialize<'de> for RelationDatabag {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

impl From<DatabagKind> for RelationDatabag {
    fn from(kind: DatabagKind) -> Self {
        match kind {
            DatabagKind::ProviderApp => RelationDatabag::ProviderApp,
            DatabagKind::RequirerApp => RelationDatabag::RequirerApp,
            DatabagKind::RequirerUnit => RelationDatabag::RequirerUnit,
        }
    }
}

impl fmt::Display for RelationDatabag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}

/// How the databags of a relation state are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Form {
    /// As Juju holds them: every value a string of JSON text (`"role": "\"querier\""`), as
    /// `relation-get --format=json` prints them.
    Wire,
    /// Every value decoded (`"role": "querier"`), as the interface's README writes its example.
    Decoded,
}

/// One problem found: where, and what.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Issue {
    /// Where, from the relation state's root: `requirer.unit.juju_topology.application`,
    /// `provider.app.worker_ports[2]`, `provider.app.loki_endpoints["a.b"]`; empty for the root.
    pub path: String,
    /// What is wrong, e.g. `missing`.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A path may hold a key from a databag: its control characters are escaped, and a
        // path longer than any real one (160 characters) is cut.
        if self.path.is_empty() {
            return write!(f, "(relation state): {}", self.message);
        }
        let shown: String = self
            .path
            .chars()
            .take(160)
            .map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() })
            .collect();
        let cut = if self.path.chars().nth(160).is_some() { "…" } else { "" };
        write!(f, "{shown}{cut}: {}", self.message)
    }
}

/// A databag or relation state that is not valid, with every problem found, sorted by path
/// (then message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", DisplayIssues(.issues))]
pub struct Invalid {
    /// The problems; never empty.
    pub issues: Vec<Issue>,
}

struct DisplayIssues<'a>(&'a [Issue]);

impl fmt::Display for DisplayIssues<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            issue.fmt(f)?;
        }
        Ok(())
    }
}

/// A location in a relation state, as a dotted path.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Path(String);

impl Path {
    pub(crate) fn databag(databag: RelationDatabag) -> Self {
        Self(databag.path().to_owned())
    }

    /// The path of `key` in the object at this path: `.key`, or `["a.b"]` when the key is not a
    /// plain name.
    pub(crate) fn key(&self, key: &str) -> Self {
        let plain = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        match (plain, self.0.is_empty()) {
            (true, true) => Self(key.to_owned()),
            (true, false) => Self(format!("{}.{key}", self.0)),
            (false, _) => Self(format!("{}[{}]", self.0, Value::from(key))),
        }
    }

    pub(crate) fn index(&self, index: usize) -> Self {
        Self(format!("{}[{index}]", self.0))
    }

    pub(crate) fn issue(&self, message: impl Into<String>) -> Issue {
        Issue { path: self.0.clone(), message: message.into() }
    }
}

/// A databag field's value: JSON text as Juju holds it, or already decoded.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Input<'a> {
    Text(&'a str),
    Decoded(&'a Value),
    /// Present, but not checked further: a problem with it is already reported.
    Reported,
}

//! The input: what the coordinator's leader sees of its worker relations at one moment.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use pyroscope_cluster_model::RawDatabag;
use serde::{Deserialize, Serialize};

/// A Juju relation ID: the `3` of `pyroscope-cluster:3`.
///
/// Deserializes from a number (`3`) or a string as [`FromStr`] reads it (`"pyroscope-cluster:3"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
#[serde(transparent)]
pub struct RelationId(pub u32);

impl<'de> Deserialize<'de> for RelationId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged, expecting = "a relation ID: a number, or `<endpoint>:<number>`")]
        enum Wire {
            Number(u32),
            Text(String),
        }
        match Wire::deserialize(deserializer)? {
            Wire::Number(id) => Ok(Self(id)),
            Wire::Text(text) => text.parse().map_err(serde::de::Error::custom),
        }
    }
}

impl fmt::Display for RelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<u32> for RelationId {
    fn from(id: u32) -> Self {
        Self(id)
    }
}

/// Why a string is not a [`RelationId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a relation ID: expected a number, or `<endpoint>:<number>` as `relation-ids` prints it")]
pub struct RelationIdError {
    /// The string as given.
    pub text: String,
}

impl FromStr for RelationId {
    type Err = RelationIdError;

    /// Accepts `3` and `pyroscope-cluster:3` (what `relation-ids` and `JUJU_RELATION_ID` hold).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let number = s.rsplit_once(':').map_or(s, |(endpoint, number)| if endpoint.is_empty() { "" } else { number });
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RelationIdError { text: s.to_owned() });
        }
        number.parse().map(Self).map_err(|_| RelationIdError { text: s.to_owned() })
    }
}

/// One relation between the coordinator and a worker application, as the coordinator's leader
/// reads it: plain values, no IO behind them.
///
/// `Debug` shows the keys of [`published`](Self::published) but not its values: `worker_config`
/// holds S3 credentials.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerRelation {
    /// The relation's ID.
    pub id: RelationId,
    /// The remote (worker) application's name, e.g. `pyroscope-querier`.
    pub app: String,
    /// The worker application's databag (`role`).
    #[serde(default)]
    pub app_data: RawDatabag,
    /// Each remote unit's databag (`address`, `juju_topology`, and Juju's own keys), by unit name
    /// (`pyroscope-querier/0`). A unit that joined but wrote nothing yet has an empty databag.
    #[serde(default)]
    pub units: BTreeMap<String, RawDatabag>,
    /// What the coordinator's own app databag on this relation holds now (what it published
    /// last), against which the [publish plan](crate::PublishPlan) computes its writes.
    #[serde(default)]
    pub published: RawDatabag,
}

impl fmt::Debug for WorkerRelation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerRelation")
            .field("id", &self.id)
            .field("app", &self.app)
            .field("app_data", &self.app_data)
            .field("units", &self.units)
            .field("published", &Redacted(&self.published))
            .finish()
    }
}

/// A databag shown as its keys and the size of each value.
pub(crate) struct Redacted<'a>(pub(crate) &'a RawDatabag);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (key, value) in self.0 {
            map.entry(key, &format_args!("<{} bytes>", value.len()));
        }
        map.finish()
    }
}

/// Everything the provider decides from: the coordinator's worker relations at one moment.
///
/// The order of [`relations`](Self::relations) does not matter: every output is sorted by relation
/// ID. Two relations with the same ID (which Juju never shows) are both reported not ready.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// The worker relations, in any order.
    pub relations: Vec<WorkerRelation>,
}

impl FromIterator<WorkerRelation> for Snapshot {
    fn from_iter<I: IntoIterator<Item = WorkerRelation>>(iter: I) -> Self {
        Self { relations: iter.into_iter().collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expect: Option<u32>) {
        assert_eq!(input.parse::<RelationId>().ok(), expect.map(RelationId), "{input:?}");
    }

    #[test]
    fn relation_id_parse_table() {
        check("3", Some(3));
        check("pyroscope-cluster:3", Some(3));
        check("a:b:17", Some(17));
        check("", None);
        check(":3", None);
        check("pyroscope-cluster:", None);
        check("pyroscope-cluster", None);
        check("-3", None);
        check("+3", None);
        check("99999999999", None);
        let err = "x".parse::<RelationId>().unwrap_err();
        assert_eq!(
            err.to_string(),
            r#""x" is not a relation ID: expected a number, or `<endpoint>:<number>` as `relation-ids` prints it"#
        );
    }

    #[test]
    fn relation_id_deserializes_from_number_or_string() {
        let ids: Vec<RelationId> = serde_json::from_str(r#"[3, "7", "pyroscope-cluster:9"]"#).unwrap();
        assert_eq!(ids, [RelationId(3), RelationId(7), RelationId(9)]);
        let err = serde_json::from_str::<RelationId>(r#""cluster""#).unwrap_err();
        assert!(err.to_string().starts_with(r#""cluster" is not a relation ID"#), "{err}");
        assert!(serde_json::from_str::<RelationId>("-1").is_err());
    }

    #[test]
    fn debug_hides_published_values() {
        let relation = WorkerRelation {
            published: RawDatabag::from([("worker_config".into(), "\"secret_access_key: hunter2\"".into())]),
            ..WorkerRelation::default()
        };
        let shown = format!("{relation:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains(r#"published: {"worker_config": <28 bytes>}"#), "{shown}");
    }
}

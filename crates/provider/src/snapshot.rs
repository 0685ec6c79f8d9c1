//! The input: what the coordinator's leader sees of its worker relations at one moment.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use pyroscope_cluster_model::{DatabagModel, DecodeError, RawDatabag, RequirerUnitData};
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

/// A worker relation as [`WorkerRelation`], each unit databag decoded
/// ([`RequirerUnitData::decode`]) as it was read and not kept raw: what
/// [`reconcile_decoded`](crate::reconcile_decoded) takes.
///
/// A reader of a large snapshot (thousands of units, read from a file) so never holds every raw
/// databag beside its decoded form, and decodes where it reads. It deserializes from the same
/// document as [`WorkerRelation`], and refuses what that refuses, with the same message; or it is
/// made from one ([`From`]). `Debug` hides the values of [`published`](Self::published), as
/// [`WorkerRelation`]'s does.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct DecodedRelation {
    /// The relation's ID.
    pub id: RelationId,
    /// The remote (worker) application's name, e.g. `pyroscope-querier`.
    pub app: String,
    /// The worker application's databag (`role`), raw: it is small, and what is wrong with it is
    /// reported against it.
    pub app_data: RawDatabag,
    /// Each remote unit's databag decoded, by unit name: sorted by it, a name once, as read (in any
    /// other order, gathering sorts it, keeping the last of a name).
    pub units: Vec<(String, Result<RequirerUnitData, DecodeError>)>,
    /// What the coordinator's own app databag on this relation holds now.
    pub published: RawDatabag,
}

impl From<WorkerRelation> for DecodedRelation {
    fn from(relation: WorkerRelation) -> Self {
        let WorkerRelation { id, app, app_data, units, published } = relation;
        let units = units.into_iter().map(|(unit, databag)| (unit, RequirerUnitData::decode(&databag))).collect();
        Self { id, app, app_data, units, published }
    }
}

impl<'de> Deserialize<'de> for DecodedRelation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// [`WorkerRelation`]'s fields, with the unit databags decoded as they are read; named as
        /// that type, for serde's messages (`expected struct WorkerRelation`) to be its own.
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct WorkerRelation {
            id: RelationId,
            app: String,
            #[serde(default)]
            app_data: RawDatabag,
            #[serde(default)]
            units: DecodedUnits,
            #[serde(default)]
            published: RawDatabag,
        }
        let WorkerRelation { id, app, app_data, units, published } = WorkerRelation::deserialize(deserializer)?;
        Ok(Self { id, app, app_data, units: units.0, published })
    }
}

/// A JSON object of unit name to databag, each databag decoded as soon as it is read (its raw
/// form is dropped at once, its memory used again for the next one); sorted by unit name, and a
/// name given twice keeps its last databag, as a map of raw databags does.
#[derive(Default)]
struct DecodedUnits(Vec<(String, Result<RequirerUnitData, DecodeError>)>);

impl<'de> Deserialize<'de> for DecodedUnits {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Unit(Result<RequirerUnitData, DecodeError>);

        impl<'de> Deserialize<'de> for Unit {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_map(UnitVisitor)
            }
        }

        /// A unit databag, of which only the keys the decoder reads are kept (Juju's
        /// `ingress-address` and the like are checked to be strings, as in a raw databag, but not
        /// copied).
        struct UnitVisitor;

        impl<'de> serde::de::Visitor<'de> for UnitVisitor {
            type Value = Unit;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Unit, A::Error> {
                let mut databag = RawDatabag::new();
                while let Some(key) = map.next_key::<Text<'de>>()? {
                    match RequirerUnitData::KEYS.iter().find(|known| **known == key.0.as_ref()) {
                        Some(known) => {
                            databag.insert((*known).to_owned(), map.next_value()?);
                        }
                        None => {
                            map.next_value::<AnyString>()?;
                        }
                    }
                }
                Ok(Unit(RequirerUnitData::decode(&databag)))
            }
        }

        /// Any string, checked and dropped.
        struct AnyString;

        impl<'de> Deserialize<'de> for AnyString {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;

                impl serde::de::Visitor<'_> for Visitor {
                    type Value = AnyString;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a string")
                    }

                    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<AnyString, E> {
                        Ok(AnyString)
                    }
                }

                deserializer.deserialize_str(Visitor)
            }
        }

        /// A string, borrowed where the input lets it be.
        struct Text<'de>(std::borrow::Cow<'de, str>);

        impl<'de> Deserialize<'de> for Text<'de> {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;

                impl<'de> serde::de::Visitor<'de> for Visitor {
                    type Value = Text<'de>;

                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str("a string")
                    }

                    fn visit_borrowed_str<E: serde::de::Error>(self, text: &'de str) -> Result<Text<'de>, E> {
                        Ok(Text(std::borrow::Cow::Borrowed(text)))
                    }

                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Text<'de>, E> {
                        Ok(Text(std::borrow::Cow::Owned(text.to_owned())))
                    }

                    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Text<'de>, E> {
                        Ok(Text(std::borrow::Cow::Owned(text)))
                    }
                }

                deserializer.deserialize_str(Visitor)
            }
        }

        struct Units;

        impl<'de> serde::de::Visitor<'de> for Units {
            type Value = DecodedUnits;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<DecodedUnits, A::Error> {
                let mut units = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
                while let Some((name, Unit(decoded))) = map.next_entry::<String, Unit>()? {
                    units.push((name, decoded));
                }
                sort_units(&mut units);
                Ok(DecodedUnits(units))
            }
        }

        deserializer.deserialize_map(Units)
    }
}

/// Sorts `units` by name, keeping the last of a name given more than once (as a map does); a
/// list that is sorted already, as read, is left as it is.
pub(crate) fn sort_units(units: &mut Vec<(String, Result<RequirerUnitData, DecodeError>)>) {
    if units.is_sorted_by(|(a, _), (b, _)| a < b) {
        return;
    }
    // Stable: of a name given twice, the last is the one kept.
    units.sort_by(|(a, _), (b, _)| a.cmp(b));
    units.dedup_by(|later, earlier| {
        let same = later.0 == earlier.0;
        if same {
            std::mem::swap(later, earlier);
        }
        same
    });
}

impl fmt::Debug for DecodedRelation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodedRelation")
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

    /// A unit databag as the Python worker writes it.
    fn unit(n: u32) -> String {
        format!(
            r#"{{"address": "\"w-{n}.w-endpoints\"", "juju_topology": "{{\"application\": \"w\", \"unit\": \"w/{n}\", \"charm_name\": \"c\"}}"}}"#
        )
    }

    /// `document` read as a [`DecodedRelation`], and as a [`WorkerRelation`] then decoded: the
    /// same relation, or both refused.
    #[track_caller]
    fn read_both(document: &str) -> Result<DecodedRelation, String> {
        let decoded = serde_json::from_str::<DecodedRelation>(document).map_err(|err| err.to_string());
        let raw = serde_json::from_str::<WorkerRelation>(document).map_err(|err| err.to_string());
        assert_eq!(decoded, raw.map(DecodedRelation::from), "{document}");
        decoded
    }

    #[test]
    fn decoded_relations_read_what_worker_relations_read() {
        let units = format!(r#"{{"w/10": {}, "w/2": {}, "w/1": {{}}, "w/3": {{"address": "7"}}}}"#, unit(10), unit(2));
        let relation = read_both(&format!(
            r#"{{"id": "pyroscope-cluster:4", "app": "w", "app_data": {{"role": "\"all\""}}, "units": {units}, "published": {{"k": "v"}}}}"#
        ))
        .unwrap();
        assert_eq!(relation.id, RelationId(4));
        let names: Vec<&str> = relation.units.iter().map(|(unit, _)| unit.as_str()).collect();
        assert_eq!(names, ["w/1", "w/10", "w/2", "w/3"], "sorted by name");
        let valid: Vec<bool> = relation.units.iter().map(|(_, decoded)| decoded.is_ok()).collect();
        assert_eq!(valid, [false, true, true, false]);
        assert_eq!(relation.units[1].1.as_ref().unwrap().address.as_str(), "w-10.w-endpoints");
        // Keys the decoder does not read are checked but not kept; a key with an escape is read.
        let escaped =
            r#"{"id": 1, "app": "w", "units": {"w/0": {"addr\u0065ss": "\"\u0068\"", "ingress-address": "\u0031"}}}"#;
        let relation = read_both(escaped).unwrap();
        let problems = relation.units[0].1.as_ref().unwrap_err().problems.iter().map(|p| p.key).collect::<Vec<_>>();
        assert_eq!(problems, ["juju_topology"], "the address is read, the topology is missing");
        // Optional fields, and a relation without units.
        assert!(read_both(r#"{"id": 1, "app": "w"}"#).unwrap().units.is_empty());
        // A key given twice in a unit databag keeps its last value, as in a map.
        let twice = r#"{"id": 1, "app": "w", "units": {"w/0": {"address": "7", "address": "\"h\"", "juju_topology": "{\"application\": \"w\", \"unit\": \"w/0\", \"charm_name\": \"c\"}"}}}"#;
        assert!(read_both(twice).unwrap().units[0].1.is_ok(), "{twice}");
        // What both refuse, with the same message.
        for document in [
            "5",
            "[1]",
            r#"{"id": 1}"#,
            r#"{"id": 1, "app": "w", "extra": 0}"#,
            r#"{"id": "x", "app": "w"}"#,
            r#"{"id": 1, "app": "w", "units": []}"#,
            r#"{"id": 1, "app": "w", "units": {"w/0": {"address": 7}}}"#,
            r#"{"id": 1, "app": "w", "units": {"w/0": {"ingress-address": 7}}}"#,
            r#"{"id": 1, "app": "w", "units": {"w/0": {"x": null, "address": "\"h\""}}}"#,
            r#"{"id": 1, "app": "w", "units": {"w/0": []}}"#,
            r#"{"id": 1, "app": "w", "units": {"w/0": {}}"#,
        ] {
            assert!(read_both(document).is_err(), "{document}");
        }
    }

    #[test]
    fn a_unit_named_twice_keeps_its_last_databag_as_a_map_does() {
        let document = format!(
            r#"{{"id": 1, "app": "w", "units": {{"w/0": {}, "w/1": {{}}, "w/0": {}, "w/0": {}}}}}"#,
            unit(0),
            unit(5),
            unit(6)
        );
        let relation = read_both(&document).unwrap();
        assert_eq!(relation.units.len(), 2);
        assert_eq!(relation.units[0].1.as_ref().unwrap().juju_topology.unit, "w/6");
    }

    #[test]
    fn debug_of_a_decoded_relation_hides_published_values() {
        let relation = DecodedRelation::from(WorkerRelation {
            published: RawDatabag::from([("worker_config".into(), "\"secret_access_key: hunter2\"".into())]),
            ..WorkerRelation::default()
        });
        let shown = format!("{relation:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains(r#"published: {"worker_config": <28 bytes>}"#), "{shown}");
    }
}

//! [`StringMap`]: a string-to-string JSON object that keeps its keys in the order they were written.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JSON object of string to string (`loki_endpoints`, tracing receivers, `worker_labels`), with
/// its keys in the order they were inserted or decoded.
///
/// The Python peer writes dicts in insertion order, and re-encoding must give back its bytes, so
/// the order is part of the value: two maps with the same entries in another order are not equal.
/// Keys are unique; decoding an object that repeats a key is an error.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, schemars::JsonSchema)]
#[schemars(transform = crate::schema::string_map)]
pub struct StringMap {
    #[schemars(skip)]
    entries: Vec<(String, String)>,
}

impl StringMap {
    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Sets `key` to `value`: replaced in place if present, appended otherwise.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (key, value) = (key.into(), value.into());
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, slot)) => *slot = value,
            None => self.entries.push((key, value)),
        }
    }

    /// The entries in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for StringMap {
    /// Collects in iteration order; a repeated key keeps its first position and its last value.
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut positions: BTreeMap<String, usize> = BTreeMap::new();
        let mut entries: Vec<(String, String)> = Vec::new();
        for (key, value) in iter {
            let (key, value) = (key.into(), value.into());
            match positions.get(&key) {
                Some(&at) => entries[at].1 = value,
                None => {
                    positions.insert(key.clone(), entries.len());
                    entries.push((key, value));
                }
            }
        }
        Self { entries }
    }
}

impl Serialize for StringMap {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, value) in &self.entries {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for StringMap {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor;

        impl<'de> Visitor<'de> for MapVisitor {
            type Value = StringMap;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of string to string")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<StringMap, A::Error> {
                let mut entries: Vec<(String, String)> = Vec::with_capacity(access.size_hint().unwrap_or(0).min(64));
                // Seen keys, so that a hostile object of many keys costs N log N, not N².
                let mut seen = std::collections::BTreeSet::new();
                while let Some((key, value)) = access.next_entry::<String, String>()? {
                    if !seen.insert(key.clone()) {
                        return Err(serde::de::Error::custom(format_args!("duplicate key {key:?}")));
                    }
                    entries.push((key, value));
                }
                Ok(StringMap { entries })
            }
        }

        deserializer.deserialize_map(MapVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_insertion_order_and_rejects_duplicates() {
        let map: StringMap = serde_json::from_str(r#"{"z": "1", "a": "2"}"#).unwrap();
        assert_eq!(map.iter().collect::<Vec<_>>(), [("z", "1"), ("a", "2")]);
        assert_eq!(map.get("a"), Some("2"));
        assert_ne!(map, StringMap::from_iter([("a", "2"), ("z", "1")]));
        let err = serde_json::from_str::<StringMap>(r#"{"a": "1", "a": "2"}"#).unwrap_err();
        assert!(err.to_string().starts_with("duplicate key \"a\""), "{err}");
        let err = serde_json::from_str::<StringMap>(r#"{"a": 1}"#).unwrap_err();
        assert!(err.to_string().starts_with("invalid type: integer `1`, expected a string"), "{err}");
    }

    #[test]
    fn insert_replaces_in_place() {
        let mut map = StringMap::from_iter([("a", "1"), ("b", "2")]);
        map.insert("a", "3");
        assert_eq!(map.iter().collect::<Vec<_>>(), [("a", "3"), ("b", "2")]);
    }
}

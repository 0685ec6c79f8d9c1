//! [`DatabagChanges`]: what to write so that a databag holds what it must, and nothing else.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::RawDatabag;
use crate::redact::Shown;

/// The keys Juju writes into every unit databag itself. A unit never deletes them.
pub const JUJU_UNIT_KEYS: &[&str] = &["egress-subnets", "ingress-address", "private-address"];

/// The changes that bring one databag to what it must hold: keys to set (to these values) and keys
/// to delete. Only what differs from the databag as it is now is in it, so an up-to-date databag
/// gives an empty set of changes, no write, and no `relation-changed` event on the other side.
///
/// `Debug` shows the size of `worker_config`, not its value: it holds S3 credentials.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct DatabagChanges {
    /// Keys to set, with their new values.
    pub set: BTreeMap<String, String>,
    /// Keys to delete.
    pub delete: BTreeSet<String>,
}

/// The keys of [`DatabagChanges`] without the values: for a writer that holds the wanted databag
/// anyway and copies a value only when it writes it (a coordinator publishes one databag of
/// hundreds of kilobytes to many relations).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ChangedKeys {
    /// Keys to set.
    pub set: BTreeSet<String>,
    /// Keys to delete.
    pub delete: BTreeSet<String>,
}

impl ChangedKeys {
    /// The keys [`DatabagChanges::between`] sets and deletes.
    pub fn between(current: &RawDatabag, wanted: &RawDatabag, keep: &[&str]) -> Self {
        let set =
            wanted.iter().filter(|(key, value)| current.get(key.as_str()) != Some(value)).map(|(key, _)| key.clone());
        let delete =
            current.keys().filter(|key| !wanted.contains_key(key.as_str()) && !keep.contains(&key.as_str())).cloned();
        Self { set: set.collect(), delete: delete.collect() }
    }

    /// Whether nothing is to be set or deleted.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.delete.is_empty()
    }

    /// The changes, with the values of `wanted` for the keys to set. `wanted` must be the databag
    /// the keys were found against ([`between`](Self::between)'s): a key to set that another
    /// databag lacks is left out, so the changes would not bring the databag to it.
    pub fn with_values(&self, wanted: &RawDatabag) -> DatabagChanges {
        let set = self.set.iter().filter_map(|key| wanted.get(key).map(|value| (key.clone(), value.clone())));
        DatabagChanges { set: set.collect(), delete: self.delete.clone() }
    }
}

impl DatabagChanges {
    /// The changes from `current` to `wanted`. Keys of `current` that `wanted` lacks are deleted,
    /// as the Python peer's `DatabagModel.dump` clears the databag before writing, except those
    /// in `keep` (for a unit databag, [`JUJU_UNIT_KEYS`]).
    pub fn between(current: &RawDatabag, wanted: &RawDatabag, keep: &[&str]) -> Self {
        ChangedKeys::between(current, wanted, keep).with_values(wanted)
    }

    /// The keys this sets and deletes.
    pub fn keys(&self) -> ChangedKeys {
        ChangedKeys { set: self.set.keys().cloned().collect(), delete: self.delete.clone() }
    }

    /// Whether there is nothing to change.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.delete.is_empty()
    }

    /// Applies the changes to a databag held in memory (a test double, or a cached copy).
    pub fn apply(&self, databag: &mut RawDatabag) {
        for key in &self.delete {
            databag.remove(key);
        }
        databag.extend(self.set.iter().map(|(key, value)| (key.clone(), value.clone())));
    }
}

impl fmt::Debug for DatabagChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Set<'a>(&'a BTreeMap<String, String>);
        impl fmt::Debug for Set<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for (key, value) in self.0 {
                    map.entry(key, &Shown::new(key, value));
                }
                map.finish()
            }
        }
        f.debug_struct("DatabagChanges").field("set", &Set(&self.set)).field("delete", &self.delete).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(entries: &[(&str, &str)]) -> RawDatabag {
        entries.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[track_caller]
    fn check(current: &[(&str, &str)], wanted: &[(&str, &str)], keep: &[&str], set: &[(&str, &str)], delete: &[&str]) {
        let (current, wanted) = (bag(current), bag(wanted));
        let changes = DatabagChanges::between(&current, &wanted, keep);
        assert_eq!(changes.set, bag(set));
        assert_eq!(changes.delete, delete.iter().map(|key| (*key).to_owned()).collect::<BTreeSet<_>>());
        assert_eq!(changes.is_empty(), set.is_empty() && delete.is_empty());
        let keys = ChangedKeys::between(&current, &wanted, keep);
        assert_eq!(keys, changes.keys());
        assert_eq!(keys.is_empty(), changes.is_empty());
        assert_eq!(keys.with_values(&wanted), changes);
        let mut after = current.clone();
        changes.apply(&mut after);
        let kept: RawDatabag = current.into_iter().filter(|(k, _)| keep.contains(&k.as_str())).collect();
        let mut expect = wanted.clone();
        expect.extend(kept);
        assert_eq!(after, expect);
        assert!(DatabagChanges::between(&after, &wanted, keep).is_empty(), "applied changes leave nothing to do");
    }

    #[test]
    fn debug_hides_worker_config() {
        let changes = DatabagChanges::between(
            &bag(&[]),
            &bag(&[("worker_config", "\"secret_access_key: hunter2\""), ("a", "1")]),
            &[],
        );
        let shown = format!("{changes:?}");
        assert_eq!(shown, r#"DatabagChanges { set: {"a": "1", "worker_config": <28 bytes, not shown>}, delete: {} }"#);
    }

    #[test]
    fn table() {
        check(&[], &[], &[], &[], &[]);
        check(&[], &[("a", "1")], &[], &[("a", "1")], &[]);
        check(&[("a", "1")], &[("a", "1")], &[], &[], &[]);
        check(&[("a", "1"), ("b", "2")], &[("a", "3")], &[], &[("a", "3")], &["b"]);
        check(&[("ingress-address", "10.0.0.1"), ("old", "x")], &[("a", "1")], JUJU_UNIT_KEYS, &[("a", "1")], &["old"]);
    }
}

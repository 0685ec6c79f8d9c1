//! [`HookCache`]: what a charm last read from and wrote to Juju, so that a hook reads only what
//! its event says changed.
//!
//! Juju tells a hook what changed, and a hook's relation writes are committed only when it
//! succeeds (see `docs/hook-cache.md` for each fact and its source in juju/juju). So a charm that
//! keeps what it read and wrote, commits that record only when the hook succeeds, and forgets what
//! each event names, reads the same data as a charm that reads everything, in a fraction of the
//! calls. [`HookTools`](crate::HookTools) consults the cache on every read and keeps it up to date
//! on every write; a charm sees the same methods with or without it.
//!
//! The cache is thrown away, and the hook reads everything, whenever it cannot be trusted: no
//! cache, one that does not parse, another format version, another unit, model or charm
//! binary; a hook that did not finish (a marker is written before the hook runs and cleared by
//! the record written after it succeeds); `install`, `upgrade-charm` and `leader-elected`; and
//! every K-th `update-status` when the charm asks ([`HookTools::refresh_cache_every`]).
//!
//! [`HookTools::refresh_cache_every`]: crate::HookTools::refresh_cache_every

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Databag;
use crate::call::StatusName;
use crate::context::{Event, HookContext, RelationEventKind};

/// The format of the record; another is thrown away.
pub const CACHE_FORMAT: u32 = 1;

/// The name of the cache file in the charm's directory ([`dispatch`](crate::dispatch)).
pub const CACHE_FILE: &str = ".juju-hook-cache.json";

/// What a charm last read from and wrote to Juju: per relation, the remote application, its
/// units and every databag; this unit's statuses and open ports; and what it needs to know
/// whether the record can be trusted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookCache {
    /// [`CACHE_FORMAT`] when written.
    pub format: u32,
    /// The unit that wrote it.
    pub unit: String,
    /// The model it was written in (`JUJU_MODEL_UUID`).
    pub model_uuid: String,
    /// The charm that wrote it (its binary's identity, see [`dispatch`](crate::dispatch)).
    pub charm: String,
    /// `true` from before a hook runs until its record is written: a record left so was not
    /// committed by a successful hook.
    pub in_progress: bool,
    /// Whether the unit was the leader when the record was written (what it holds of its own
    /// application databags is the leader's).
    pub leader: Option<bool>,
    /// `update-status` hooks since the last full read.
    pub update_status_runs: u32,
    /// What is known of each relation, by ID.
    pub relations: BTreeMap<u32, CachedRelation>,
    /// The unit status last set.
    pub unit_status: Option<(StatusName, String)>,
    /// The application status last set (leader).
    pub app_status: Option<(StatusName, String)>,
    /// The TCP ports open, as last read or changed.
    pub opened_ports: Option<BTreeSet<u16>>,
}

/// What is known of one relation; `None` (or a missing entry) is not known, and is read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedRelation {
    /// The endpoint.
    pub endpoint: String,
    /// The remote application.
    pub remote_app: Option<String>,
    /// The remote units this unit has seen join.
    pub units: Option<BTreeSet<String>>,
    /// The remote application's databag.
    pub remote_app_data: Option<Databag>,
    /// Each remote unit's databag.
    pub remote_unit_data: BTreeMap<String, Databag>,
    /// This unit's application's databag (leader).
    pub own_app_data: Option<Databag>,
    /// This unit's databag.
    pub own_unit_data: Option<Databag>,
}

/// Why a hook reads everything instead of trusting the cache.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FullRead {
    /// No record (a first hook, or a pod rescheduled with a fresh charm directory).
    Missing,
    /// The record does not parse.
    Unreadable,
    /// Another format version.
    Format(u32),
    /// Written by another unit, model or charm binary.
    Elsewhere,
    /// The hook that wrote it did not finish (failed, killed).
    Unfinished,
    /// The event asks for it (`install`, `upgrade-charm`, `leader-elected`).
    Event(String),
    /// The charm's periodic full read on `update-status`.
    Periodic,
}

impl fmt::Display for FullRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FullRead::Missing => f.write_str("no hook cache yet"),
            FullRead::Unreadable => f.write_str("the hook cache does not parse"),
            FullRead::Format(format) => write!(f, "the hook cache is of format {format}, not {CACHE_FORMAT}"),
            FullRead::Elsewhere => f.write_str("the hook cache is another unit's, model's or charm's"),
            FullRead::Unfinished => f.write_str("the hook that wrote the cache did not finish"),
            FullRead::Event(event) => write!(f, "{event} reads everything"),
            FullRead::Periodic => f.write_str("the periodic full read"),
        }
    }
}

impl HookCache {
    /// An empty record for this hook: everything is read.
    pub fn empty(context: &HookContext, charm: &str) -> Self {
        Self {
            format: CACHE_FORMAT,
            unit: context.unit.clone(),
            model_uuid: context.model_uuid.clone().unwrap_or_default(),
            charm: charm.to_owned(),
            ..Self::default()
        }
    }

    /// The record to start this hook from: `stored` (the text last saved) when it can be
    /// trusted, with what the event names forgotten; else an empty one, and why.
    pub fn open(stored: Option<&str>, context: &HookContext, charm: &str) -> (Self, Option<FullRead>) {
        match Self::trusted(stored, context, charm) {
            Ok(mut cache) => {
                cache.forget(context);
                if context.event == Event::UpdateStatus {
                    cache.update_status_runs = cache.update_status_runs.saturating_add(1);
                }
                (cache, None)
            }
            Err(why) => (Self::empty(context, charm), Some(why)),
        }
    }

    fn trusted(stored: Option<&str>, context: &HookContext, charm: &str) -> Result<Self, FullRead> {
        let text = stored.ok_or(FullRead::Missing)?;
        let format = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|_| FullRead::Unreadable)?
            .get("format")
            .and_then(serde_json::Value::as_u64)
            .ok_or(FullRead::Unreadable)?;
        if format != u64::from(CACHE_FORMAT) {
            return Err(FullRead::Format(u32::try_from(format).unwrap_or(u32::MAX)));
        }
        let cache: Self = serde_json::from_str(text).map_err(|_| FullRead::Unreadable)?;
        if cache.unit != context.unit
            || cache.model_uuid != context.model_uuid.clone().unwrap_or_default()
            || cache.charm != charm
        {
            return Err(FullRead::Elsewhere);
        }
        if cache.in_progress {
            return Err(FullRead::Unfinished);
        }
        match &context.event {
            Event::Install | Event::UpgradeCharm | Event::LeaderElected => {
                Err(FullRead::Event(context.event.to_string()))
            }
            _ => Ok(cache),
        }
    }

    /// Forgets what the event says changed: the remote unit's databag of a `relation-changed`
    /// (the remote app's when no unit is named), a joining unit's, a departing unit (and its
    /// databag), a relation being created or broken.
    fn forget(&mut self, context: &HookContext) {
        let Event::Relation { endpoint, kind } = &context.event else { return };
        let Some(relation) = &context.relation else { return };
        let id = relation.id;
        match kind {
            RelationEventKind::Created | RelationEventKind::Broken => {
                self.relations.remove(&id);
            }
            RelationEventKind::Joined | RelationEventKind::Changed => {
                let cached = self
                    .relations
                    .entry(id)
                    .or_insert_with(|| CachedRelation { endpoint: endpoint.clone(), ..CachedRelation::default() });
                match &context.remote_unit {
                    Some(unit) => {
                        cached.remote_unit_data.remove(unit);
                        if let Some(units) = &mut cached.units {
                            units.insert(unit.clone());
                        }
                    }
                    None => cached.remote_app_data = None,
                }
                if cached.remote_app.is_none() {
                    cached.remote_app.clone_from(&context.remote_app);
                }
            }
            RelationEventKind::Departed => {
                if let Some(cached) = self.relations.get_mut(&id) {
                    // `JUJU_REMOTE_UNIT` is the departed unit; `JUJU_DEPARTING_UNIT` is this unit
                    // instead when it is the one leaving (juju/juju `relation/resolver.go`).
                    let gone = context.remote_unit.as_ref().or(context.departing_unit.as_ref());
                    if let Some(gone) = gone {
                        cached.remote_unit_data.remove(gone);
                        if let Some(units) = &mut cached.units {
                            units.remove(gone);
                        }
                    }
                }
            }
        }
    }

    /// Drops what is known of the relations, the statuses and the open ports: the next reads
    /// go to Juju, and the statuses are set again (an operator's `juju exec open-port`, or a
    /// write Juju dropped when it committed a hook, is seen again).
    pub fn forget_relations(&mut self) {
        self.relations.clear();
        self.unit_status = None;
        self.app_status = None;
        self.opened_ports = None;
    }

    /// The record as saved: JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a cache is JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(vars: &[(&str, &str)]) -> HookContext {
        let vars: BTreeMap<&str, &str> = vars.iter().copied().collect();
        HookContext::from_vars(|name| vars.get(name).map(|value| (*value).to_owned())).unwrap()
    }

    fn hook(name: &str) -> HookContext {
        context(&[
            ("JUJU_UNIT_NAME", "c/0"),
            ("JUJU_MODEL_UUID", "m"),
            ("JUJU_DISPATCH_PATH", &format!("hooks/{name}")),
        ])
    }

    fn saved() -> String {
        let mut cache = HookCache::empty(&hook("update-status"), "bin");
        cache.relations.insert(
            3,
            CachedRelation {
                endpoint: "db".into(),
                remote_app: Some("w".into()),
                units: Some(["w/0".to_owned(), "w/1".to_owned()].into()),
                remote_app_data: Some(Databag::new()),
                remote_unit_data: [("w/0".to_owned(), Databag::new()), ("w/1".to_owned(), Databag::new())].into(),
                ..CachedRelation::default()
            },
        );
        cache.to_json()
    }

    #[track_caller]
    fn check(stored: Option<&str>, context: &HookContext, why: Option<FullRead>) -> HookCache {
        let (cache, got) = HookCache::open(stored, context, "bin");
        assert_eq!(got, why);
        cache
    }

    #[test]
    fn untrusted_records_are_thrown_away_with_the_reason() {
        let saved = saved();
        check(None, &hook("update-status"), Some(FullRead::Missing));
        check(Some("{"), &hook("update-status"), Some(FullRead::Unreadable));
        check(Some(&saved.replace("\"format\":1", "\"format\":2")), &hook("update-status"), Some(FullRead::Format(2)));
        check(Some(&saved.replace("\"unit\":\"c/0\"", "\"unit\":\"c/1\"")), &hook("start"), Some(FullRead::Elsewhere));
        check(
            Some(&saved.replace("\"charm\":\"bin\"", "\"charm\":\"old\"")),
            &hook("start"),
            Some(FullRead::Elsewhere),
        );
        let unfinished = saved.replace("\"in_progress\":false", "\"in_progress\":true");
        check(Some(&unfinished), &hook("update-status"), Some(FullRead::Unfinished));
        for event in ["install", "upgrade-charm", "leader-elected"] {
            check(Some(&saved), &hook(event), Some(FullRead::Event(event.into())));
        }
        assert_eq!(check(Some(&saved), &hook("config-changed"), None).to_json(), saved);
    }

    #[test]
    fn each_relation_event_forgets_what_it_names() {
        let saved = saved();
        let relation_hook = |name: &str, remote_unit: &str, departing: &str| {
            context(&[
                ("JUJU_UNIT_NAME", "c/0"),
                ("JUJU_MODEL_UUID", "m"),
                ("JUJU_DISPATCH_PATH", &format!("hooks/db-relation-{name}")),
                ("JUJU_RELATION", "db"),
                ("JUJU_RELATION_ID", "db:3"),
                ("JUJU_REMOTE_APP", "w"),
                ("JUJU_REMOTE_UNIT", remote_unit),
                ("JUJU_DEPARTING_UNIT", departing),
            ])
        };
        let cache = check(Some(&saved), &relation_hook("changed", "w/1", ""), None);
        assert_eq!(cache.relations[&3].remote_unit_data.keys().collect::<Vec<_>>(), ["w/0"]);
        assert!(cache.relations[&3].remote_app_data.is_some());
        let cache = check(Some(&saved), &relation_hook("changed", "", ""), None);
        assert_eq!(cache.relations[&3].remote_unit_data.len(), 2);
        assert!(cache.relations[&3].remote_app_data.is_none());
        let cache = check(Some(&saved), &relation_hook("joined", "w/2", ""), None);
        assert_eq!(cache.relations[&3].units.as_ref().unwrap().len(), 3);
        let cache = check(Some(&saved), &relation_hook("departed", "w/0", "w/0"), None);
        assert_eq!(cache.relations[&3].units.as_ref().unwrap().iter().collect::<Vec<_>>(), ["w/1"]);
        assert_eq!(cache.relations[&3].remote_unit_data.keys().collect::<Vec<_>>(), ["w/1"]);
        assert!(check(Some(&saved), &relation_hook("broken", "", ""), None).relations.is_empty());
        assert!(check(Some(&saved), &relation_hook("created", "", ""), None).relations.is_empty());
    }
}

/// Where a [`HookCache`] is kept between hooks: a file in the charm's directory
/// ([`CacheFile`]), or, in the in-memory Juju, the unit's state.
pub trait CacheStore {
    /// The text last saved, if any.
    fn load(&mut self) -> Option<String>;
    /// Saves `text` in place of what was there, atomically (a reader sees the old text or the
    /// new one).
    fn save(&mut self, text: &str) -> std::io::Result<()>;
    /// Removes what is saved.
    fn remove(&mut self) -> std::io::Result<()>;
}

/// A [`CacheStore`] in a file, written atomically and readable by its owner only
/// ([`write_config_file`](crate::write_config_file)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheFile(pub std::path::PathBuf);

impl CacheStore for CacheFile {
    fn load(&mut self) -> Option<String> {
        std::fs::read_to_string(&self.0).ok()
    }

    fn save(&mut self, text: &str) -> std::io::Result<()> {
        crate::write_config_file(&self.0, text).map_err(std::io::Error::other)
    }

    fn remove(&mut self) -> std::io::Result<()> {
        match std::fs::remove_file(&self.0) {
            Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
            _ => Ok(()),
        }
    }
}

/// Runs `hook` with hook tools that read through the cache kept in `store`, and commits the
/// cache only when the hook succeeds.
///
/// Before the hook, the record is saved marked unfinished; after a hook that returns `Ok`, the
/// record the hook leaves is saved unmarked. A hook that fails, panics or is killed leaves the
/// mark, and the next hook reads everything, as Juju discards that hook's relation writes. When
/// the mark cannot be saved (a full disk), the stored record is removed and the hook runs
/// without a cache; when the final record cannot be saved, it is removed too: a record is
/// either one a successful hook wrote, or none.
pub fn run_with_cache<R: crate::Runner, T, E>(
    store: &mut dyn CacheStore,
    context: &HookContext,
    charm: &str,
    runner: R,
    hook: impl FnOnce(&HookContext, &mut crate::HookTools<R>) -> Result<T, E>,
) -> (Result<T, E>, Option<FullRead>) {
    let stored = store.load();
    let (mut cache, full_read) = HookCache::open(stored.as_deref(), context, charm);
    cache.in_progress = true;
    if store.save(&cache.to_json()).is_err() {
        let _ = store.remove();
        let mut tools = crate::HookTools::new(runner, context.unit.clone());
        return (hook(context, &mut tools), full_read);
    }
    let mut tools = crate::HookTools::with_cache(runner, context.unit.clone(), cache);
    let result = hook(context, &mut tools);
    if result.is_ok() {
        if let Some(mut cache) = tools.take_cache() {
            cache.in_progress = false;
            if store.save(&cache.to_json()).is_err() {
                let _ = store.remove();
            }
        }
    }
    (result, full_read)
}

//! [`HookContext`]: the hook Juju runs, read from the environment as a typed [`Event`].

use std::fmt;

use crate::call::{RelationRef, RelationRefError};

/// What happened to a relation (`<endpoint>-relation-<kind>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelationEventKind {
    /// `relation-created`: the relation exists; no remote unit has joined yet.
    Created,
    /// `relation-joined`: a remote unit joined (`JUJU_REMOTE_UNIT`).
    Joined,
    /// `relation-changed`: a remote databag changed.
    Changed,
    /// `relation-departed`: a remote unit left (`JUJU_DEPARTING_UNIT`).
    Departed,
    /// `relation-broken`: the relation is being removed.
    Broken,
}

impl RelationEventKind {
    const ALL: [(RelationEventKind, &'static str); 5] = [
        (Self::Created, "created"),
        (Self::Joined, "joined"),
        (Self::Changed, "changed"),
        (Self::Departed, "departed"),
        (Self::Broken, "broken"),
    ];

    /// `created`, `joined`, ...
    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(kind, _)| *kind == self).map(|(_, name)| *name).expect("every kind is listed")
    }
}

/// The event of a hook.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Event {
    /// `install`.
    Install,
    /// `start`.
    Start,
    /// `stop`.
    Stop,
    /// `remove`.
    Remove,
    /// `config-changed`.
    ConfigChanged,
    /// `update-status`.
    UpdateStatus,
    /// `upgrade-charm`.
    UpgradeCharm,
    /// `leader-elected`.
    LeaderElected,
    /// `leader-settings-changed`.
    LeaderSettingsChanged,
    /// `<endpoint>-relation-<kind>`.
    Relation {
        /// The endpoint (`JUJU_RELATION`).
        endpoint: String,
        /// What happened.
        kind: RelationEventKind,
    },
    /// `secret-changed`, `secret-rotate`, `secret-remove`, `secret-expired`.
    Secret {
        /// The hook name.
        hook: String,
    },
    /// An action (`JUJU_DISPATCH_PATH=actions/<name>`).
    Action {
        /// The action.
        name: String,
    },
    /// A hook this crate does not know (a newer Juju's, a storage or Pebble hook): a value, so
    /// that a charm can log it and carry on.
    Unknown {
        /// The hook name.
        hook: String,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Install => f.write_str("install"),
            Event::Start => f.write_str("start"),
            Event::Stop => f.write_str("stop"),
            Event::Remove => f.write_str("remove"),
            Event::ConfigChanged => f.write_str("config-changed"),
            Event::UpdateStatus => f.write_str("update-status"),
            Event::UpgradeCharm => f.write_str("upgrade-charm"),
            Event::LeaderElected => f.write_str("leader-elected"),
            Event::LeaderSettingsChanged => f.write_str("leader-settings-changed"),
            Event::Relation { endpoint, kind } => write!(f, "{endpoint}-relation-{}", kind.as_str()),
            Event::Secret { hook } | Event::Unknown { hook } => f.write_str(hook),
            Event::Action { name } => write!(f, "action {name}"),
        }
    }
}

impl Event {
    /// The event of the hook named `hook`; `endpoint` is `JUJU_RELATION`, which names the
    /// endpoint of a relation hook whatever the endpoint's own name holds.
    pub fn from_hook(hook: &str, endpoint: Option<&str>) -> Event {
        let simple = match hook {
            "install" => Some(Event::Install),
            "start" => Some(Event::Start),
            "stop" => Some(Event::Stop),
            "remove" => Some(Event::Remove),
            "config-changed" => Some(Event::ConfigChanged),
            "update-status" => Some(Event::UpdateStatus),
            "upgrade-charm" => Some(Event::UpgradeCharm),
            "leader-elected" => Some(Event::LeaderElected),
            "leader-settings-changed" => Some(Event::LeaderSettingsChanged),
            "secret-changed" | "secret-rotate" | "secret-remove" | "secret-expired" => {
                Some(Event::Secret { hook: hook.to_owned() })
            }
            _ => None,
        };
        if let Some(event) = simple {
            return event;
        }
        for (kind, name) in RelationEventKind::ALL {
            let suffix = format!("-relation-{name}");
            if let Some(prefix) = hook.strip_suffix(&suffix) {
                let endpoint = endpoint.filter(|endpoint| !endpoint.is_empty()).unwrap_or(prefix);
                if !prefix.is_empty() {
                    return Event::Relation { endpoint: endpoint.to_owned(), kind };
                }
            }
        }
        Event::Unknown { hook: hook.to_owned() }
    }

    /// The relation event on `endpoint`, if this is one.
    pub fn relation_kind(&self, on: &str) -> Option<RelationEventKind> {
        match self {
            Event::Relation { endpoint, kind } if endpoint == on => Some(*kind),
            _ => None,
        }
    }
}

/// Why the environment is not a hook's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// A variable every hook has is not set.
    #[error("{variable} is not set: this program runs as a Juju hook (`dispatch`), with Juju's environment")]
    Missing {
        /// The variable.
        variable: &'static str,
    },
    /// `JUJU_RELATION_ID` is not `<endpoint>:<number>`.
    #[error("JUJU_RELATION_ID is malformed")]
    RelationId(#[source] RelationRefError),
    /// `JUJU_UNIT_NAME` is not `<application>/<number>`.
    #[error("JUJU_UNIT_NAME {unit:?} is not `<application>/<number>`")]
    UnitName {
        /// The value.
        unit: String,
    },
}

/// The hook Juju runs: who, what, and on which relation, from the `JUJU_*` environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookContext {
    /// `JUJU_UNIT_NAME`: this unit (`postgresql/0`).
    pub unit: String,
    /// The unit's application.
    pub app: String,
    /// `JUJU_MODEL_NAME`.
    pub model: Option<String>,
    /// `JUJU_MODEL_UUID`.
    pub model_uuid: Option<String>,
    /// `JUJU_VERSION`.
    pub juju_version: Option<String>,
    /// `JUJU_CHARM_DIR`.
    pub charm_dir: Option<String>,
    /// The event, from `JUJU_DISPATCH_PATH` (`hooks/<name>`, `actions/<name>`), else
    /// `JUJU_HOOK_NAME`.
    pub event: Event,
    /// `JUJU_RELATION_ID`, on a relation hook.
    pub relation: Option<RelationRef>,
    /// `JUJU_REMOTE_APP`.
    pub remote_app: Option<String>,
    /// `JUJU_REMOTE_UNIT` (empty for a change of the remote application's databag: `None`).
    pub remote_unit: Option<String>,
    /// `JUJU_DEPARTING_UNIT`, on `relation-departed`.
    pub departing_unit: Option<String>,
}

impl HookContext {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ContextError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the context from `var`, which gives a variable's value.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ContextError> {
        let get = |name: &str| var(name).filter(|value| !value.is_empty());
        let unit = get("JUJU_UNIT_NAME").ok_or(ContextError::Missing { variable: "JUJU_UNIT_NAME" })?;
        let app = match unit.split_once('/') {
            Some((app, number))
                if !app.is_empty() && !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) =>
            {
                app.to_owned()
            }
            _ => return Err(ContextError::UnitName { unit }),
        };
        let endpoint = get("JUJU_RELATION");
        let event = match get("JUJU_DISPATCH_PATH") {
            Some(path) => match path.split_once('/') {
                Some(("actions", name)) => Event::Action { name: name.to_owned() },
                Some((_, hook)) => Event::from_hook(hook, endpoint.as_deref()),
                None => Event::from_hook(&path, endpoint.as_deref()),
            },
            None => {
                let hook = get("JUJU_HOOK_NAME").ok_or(ContextError::Missing { variable: "JUJU_DISPATCH_PATH" })?;
                Event::from_hook(&hook, endpoint.as_deref())
            }
        };
        let relation = match get("JUJU_RELATION_ID") {
            Some(text) => {
                let mut relation: RelationRef = text.parse().map_err(ContextError::RelationId)?;
                if relation.endpoint.is_empty() {
                    relation.endpoint = endpoint.clone().unwrap_or_default();
                }
                Some(relation)
            }
            None => None,
        };
        Ok(Self {
            unit,
            app,
            model: get("JUJU_MODEL_NAME"),
            model_uuid: get("JUJU_MODEL_UUID"),
            juju_version: get("JUJU_VERSION"),
            charm_dir: get("JUJU_CHARM_DIR"),
            event,
            relation,
            remote_app: get("JUJU_REMOTE_APP"),
            remote_unit: get("JUJU_REMOTE_UNIT"),
            departing_unit: get("JUJU_DEPARTING_UNIT"),
        })
    }

    /// The relation being broken on `endpoint` in this hook, if this is its `relation-broken`.
    pub fn broken_relation(&self, endpoint: &str) -> Option<&RelationRef> {
        match self.event.relation_kind(endpoint) {
            Some(RelationEventKind::Broken) => self.relation.as_ref(),
            _ => None,
        }
    }
}

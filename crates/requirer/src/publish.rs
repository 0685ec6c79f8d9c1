//! What a worker publishes: its roles in the worker app databag (leader only), its address and
//! topology in its unit databag (every unit), as changes against what the databags hold now.

use pyroscope_cluster_model::{
    Address, DatabagChanges, DatabagModel, JUJU_UNIT_KEYS, JujuTopology, RawDatabag, RequirerAppData, RequirerUnitData,
    Role, Roles, UnknownRole,
};

/// The prefix of the charm options that enable a role: `role-all`, `role-querier`, ...
pub const ROLE_OPTION_PREFIX: &str = "role-";

/// Why a worker's `role-*` charm options do not give a role list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoleOptionsError {
    /// No `role-*` option is true: the worker is not part of the cluster.
    #[error(
        "no role enabled: none of the `role-*` options is true; enable one, e.g. `juju config <worker app> role-all=true`"
    )]
    NoneEnabled,
    /// A `role-*` option that is true names no known role.
    #[error("option `{option}` is true, but names no role")]
    Unknown {
        /// The option, e.g. `role-imposter`.
        option: String,
        /// The unknown role.
        #[source]
        source: UnknownRole,
    },
}

/// The roles a worker runs, from its charm options, as the Python worker reads them: every option
/// named `role-<role>` whose value is `true`, in the order given. Options without the `role-`
/// prefix are ignored; an enabled option that names no known role is an error (the Python worker
/// would publish it, and the coordinator would refuse the whole worker app).
///
/// ```
/// # use pyroscope_cluster_requirer::{roles_from_options, RoleOptionsError};
/// let roles = roles_from_options([("role-all", false), ("role-querier", true), ("cpu_limit", true)])?;
/// assert_eq!(roles.to_string(), "querier");
/// assert_eq!(roles_from_options([("role-all", false)]), Err(RoleOptionsError::NoneEnabled));
/// # Ok::<(), RoleOptionsError>(())
/// ```
pub fn roles_from_options<'a>(options: impl IntoIterator<Item = (&'a str, bool)>) -> Result<Roles, RoleOptionsError> {
    let mut roles = Vec::new();
    for (option, enabled) in options {
        let Some(name) = option.strip_prefix(ROLE_OPTION_PREFIX) else { continue };
        if !enabled {
            continue;
        }
        let role =
            name.parse::<Role>().map_err(|source| RoleOptionsError::Unknown { option: option.to_owned(), source })?;
        roles.push(role);
    }
    Roles::new(roles).ok_or(RoleOptionsError::NoneEnabled)
}

/// What a worker unit says about itself: the facts both of its databags are made of.
///
/// `roles` is `None` when the worker has no role enabled (see [`roles_from_options`]): the unit
/// still publishes its address, and the leader withdraws the app's `role` key, so that the
/// coordinator leaves the app out of the cluster, with a reason, rather than counting units that
/// no longer run Pyroscope under the roles they had. (The Python worker leaves the stale role.)
///
/// For a unit databag byte-identical to the Python worker's, leave `juju_topology.model` and
/// `juju_topology.model_uuid` at `None`: the Python worker writes only `application`, `unit` and
/// `charm_name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Announcement {
    /// The roles this worker app runs, in any order; `None` when none is enabled.
    pub roles: Option<Roles>,
    /// This unit's address (the Python worker publishes `socket.getfqdn()`).
    pub address: Address,
    /// This unit's Juju topology.
    pub juju_topology: JujuTopology,
}

/// Whether this unit may write its app databag, and if so what that databag holds now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leadership<'a> {
    /// The unit is the leader; the app databag holds this now.
    Leader {
        /// This worker app's databag on the relation, as it is now.
        app_databag: &'a RawDatabag,
    },
    /// The unit is not the leader: it can neither read nor write its app databag.
    Follower,
}

/// A follower was asked for app databag changes: only the leader may write the app databag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unit {unit:?} is not the leader: only the leader may write the worker app databag (key `role`), \
     and Juju refuses a follower's write with `permission denied`; a follower publishes its unit databag only"
)]
pub struct NotLeader {
    /// The follower unit's name, from its topology.
    pub unit: String,
}

/// What a worker unit writes in this hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementPlan {
    /// Changes to the worker app databag, or [`NotLeader`] for a follower, which must not write it.
    pub app: Result<DatabagChanges, NotLeader>,
    /// Changes to this unit's databag.
    pub unit: DatabagChanges,
}

impl Announcement {
    /// The worker app databag's content: the roles sorted by name and comma-joined, as the Python
    /// worker publishes them (`",".join(sorted(roles))`), so that both write the same bytes;
    /// `None` when no role is enabled.
    pub fn app_data(&self) -> Option<RequirerAppData> {
        let roles = self.roles.as_ref()?;
        let mut sorted: Vec<Role> = roles.distinct().into_iter().collect();
        sorted.sort_unstable_by_key(|role| role.as_str());
        Roles::new(sorted).map(|role| RequirerAppData { role })
    }

    /// This unit's databag content.
    pub fn unit_data(&self) -> RequirerUnitData {
        RequirerUnitData { address: self.address.clone(), juju_topology: self.juju_topology.clone() }
    }

    /// The changes this unit must make: to its unit databag (which holds `unit_databag` now), and,
    /// when it is the leader, to the app databag; a follower gets [`NotLeader`] for the app databag.
    pub fn plan(&self, unit_databag: &RawDatabag, leadership: Leadership<'_>) -> AnnouncementPlan {
        let unit = DatabagChanges::between(unit_databag, &self.unit_data().encode(), JUJU_UNIT_KEYS);
        let app = match leadership {
            Leadership::Leader { app_databag } => {
                let wanted = self.app_data().map(|data| data.encode()).unwrap_or_default();
                Ok(DatabagChanges::between(app_databag, &wanted, &[]))
            }
            Leadership::Follower => Err(NotLeader { unit: self.juju_topology.unit.clone() }),
        };
        AnnouncementPlan { app, unit }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use pyroscope_cluster_model::ErrorChain;

    fn bag(entries: &[(&str, &str)]) -> RawDatabag {
        entries.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[track_caller]
    fn check_options(options: &[(&str, bool)], expect: Result<&str, &str>) {
        match (roles_from_options(options.iter().copied()), expect) {
            (Ok(roles), Ok(want)) => assert_eq!(roles.to_string(), want),
            (Err(err), Err(want)) => assert_eq!(ErrorChain(&err).to_string(), want),
            (got, want) => panic!("{options:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn roles_from_options_table() {
        check_options(&[("role-all", true)], Ok("all"));
        check_options(&[("role-querier", true), ("role-all", true)], Ok("querier,all"));
        check_options(&[("role-all", false), ("role-ingester", true), ("role-querier", true)], Ok("ingester,querier"));
        check_options(&[("cpu_limit", true), ("role-compactor", true)], Ok("compactor"));
        check_options(&[("role-imposter", false), ("role-store-gateway", true)], Ok("store-gateway"));
        let none = "no role enabled: none of the `role-*` options is true; enable one, e.g. \
                    `juju config <worker app> role-all=true`";
        check_options(&[], Err(none));
        check_options(&[("role-all", false), ("roles", true)], Err(none));
        check_options(
            &[("role-imposter", true)],
            Err(
                "option `role-imposter` is true, but names no role: unknown role \"imposter\" (known roles: all, querier, \
                 query-frontend, query-scheduler, ingester, distributor, compactor, store-gateway, \
                 tenant-settings, ad-hoc-profiles, query-backend, segment-writer, metastore, compaction-worker)",
            ),
        );
    }

    fn announcement(roles: Option<&str>) -> Announcement {
        Announcement {
            roles: roles.map(|r| r.parse().unwrap()),
            address: "worker-0.worker-endpoints".parse().unwrap(),
            juju_topology: JujuTopology {
                application: "worker".into(),
                unit: "worker/1".into(),
                charm_name: "pyroscope-worker-k8s".into(),
                model: None,
                model_uuid: None,
            },
        }
    }

    #[track_caller]
    fn check_app(roles: Option<&str>, current: &[(&str, &str)], set: &[(&str, &str)], delete: &[&str]) {
        let current = bag(current);
        let plan = announcement(roles).plan(&RawDatabag::new(), Leadership::Leader { app_databag: &current });
        let app = plan.app.expect("leader");
        assert_eq!(app.set, bag(set));
        assert_eq!(app.delete, delete.iter().map(|k| (*k).to_owned()).collect::<BTreeSet<_>>());
    }

    #[test]
    fn leader_app_table() {
        check_app(Some("all"), &[], &[("role", r#""all""#)], &[]);
        check_app(Some("querier,ingester"), &[], &[("role", r#""ingester,querier""#)], &[]);
        check_app(Some("store-gateway,all,querier"), &[], &[("role", r#""all,querier,store-gateway""#)], &[]);
        check_app(Some("querier,querier"), &[], &[("role", r#""querier""#)], &[]);
        check_app(Some("querier,ingester"), &[("role", r#""ingester,querier""#)], &[], &[]);
        check_app(
            Some("querier,ingester"),
            &[("role", r#""querier,ingester""#)],
            &[("role", r#""ingester,querier""#)],
            &[],
        );
        check_app(None, &[("role", r#""all""#)], &[], &["role"]);
        check_app(None, &[], &[], &[]);
    }

    #[test]
    fn follower_gets_not_leader_and_still_its_unit_changes() {
        let plan = announcement(Some("all")).plan(&RawDatabag::new(), Leadership::Follower);
        let err = plan.app.unwrap_err();
        assert_eq!(err, NotLeader { unit: "worker/1".into() });
        assert!(err.to_string().starts_with("unit \"worker/1\" is not the leader"), "{err}");
        assert_eq!(plan.unit.set.keys().collect::<Vec<_>>(), ["address", "juju_topology"]);
        assert!(plan.unit.delete.is_empty());
    }

    #[test]
    fn unit_plan_is_empty_once_applied() {
        let me = announcement(None);
        let mut unit = bag(&[("ingress-address", "10.0.0.1")]);
        me.plan(&unit, Leadership::Follower).unit.apply(&mut unit);
        assert!(me.plan(&unit, Leadership::Follower).unit.is_empty());
        assert_eq!(unit["ingress-address"], "10.0.0.1");
    }
}

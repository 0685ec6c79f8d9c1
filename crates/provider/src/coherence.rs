//! Whether the workers add up to a Pyroscope cluster: the minimal and the recommended deployment.

use std::fmt;

use pyroscope_cluster_model::{Architecture, Role};

use crate::view::ClusterView;

/// The minimal deployment of v1: without a unit of each of these roles, Pyroscope cannot ingest,
/// store and query profiles. A cluster short of it is incoherent (the coordinator is `Blocked`).
pub const MINIMAL_DEPLOYMENT: &[(Role, usize)] = &[
    (Role::Querier, 1),
    (Role::QueryFrontend, 1),
    (Role::QueryScheduler, 1),
    (Role::Ingester, 1),
    (Role::Distributor, 1),
    (Role::Compactor, 1),
    (Role::StoreGateway, 1),
    (Role::TenantSettings, 1),
    (Role::AdHocProfiles, 1),
];

/// The recommended deployment of v1 (after Grafana's microservices Helm values): units per role
/// for a cluster that survives the loss of a unit.
pub const RECOMMENDED_DEPLOYMENT: &[(Role, usize)] = &[
    (Role::Querier, 3),
    (Role::QueryFrontend, 2),
    (Role::QueryScheduler, 2),
    (Role::Ingester, 3),
    (Role::Distributor, 2),
    (Role::Compactor, 3),
    (Role::StoreGateway, 3),
    (Role::TenantSettings, 1),
    (Role::AdHocProfiles, 1),
];

/// The minimal deployment of v2: one unit of each v2 role (canonical/pyroscope-operators, branch
/// `feat/pyroscope-v2`).
pub const V2_MINIMAL_DEPLOYMENT: &[(Role, usize)] = &[
    (Role::QueryFrontend, 1),
    (Role::QueryBackend, 1),
    (Role::Distributor, 1),
    (Role::SegmentWriter, 1),
    (Role::Metastore, 1),
    (Role::CompactionWorker, 1),
    (Role::TenantSettings, 1),
    (Role::AdHocProfiles, 1),
];

/// The recommended deployment of v2: the counts of the juju-doctor probe of
/// canonical/pyroscope-operators (branch `feat/pyroscope-v2`). Three segment-writers give their
/// ring three copies; three metastores a Raft group that survives the loss of one.
pub const V2_RECOMMENDED_DEPLOYMENT: &[(Role, usize)] = &[
    (Role::QueryFrontend, 2),
    (Role::QueryBackend, 3),
    (Role::Distributor, 2),
    (Role::SegmentWriter, 3),
    (Role::Metastore, 3),
    (Role::CompactionWorker, 3),
    (Role::TenantSettings, 1),
    (Role::AdHocProfiles, 1),
];

/// The minimal deployment of `architecture`: [`MINIMAL_DEPLOYMENT`] or [`V2_MINIMAL_DEPLOYMENT`].
pub fn minimal_deployment(architecture: Architecture) -> &'static [(Role, usize)] {
    match architecture {
        Architecture::V2 => V2_MINIMAL_DEPLOYMENT,
        _ => MINIMAL_DEPLOYMENT,
    }
}

/// The recommended deployment of `architecture`: [`RECOMMENDED_DEPLOYMENT`] or
/// [`V2_RECOMMENDED_DEPLOYMENT`].
pub fn recommended_deployment(architecture: Architecture) -> &'static [(Role, usize)] {
    match architecture {
        Architecture::V2 => V2_RECOMMENDED_DEPLOYMENT,
        _ => RECOMMENDED_DEPLOYMENT,
    }
}

/// An even number of metastore units: a Raft group of `have` members tolerates no more failures
/// than one of `have - 1`, and two cannot lose any. `odd` is the count that would do (one more).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EvenMetastores {
    /// How many metastore units count.
    pub have: usize,
    /// The odd count to scale to: `have + 1`.
    pub odd: usize,
}

impl fmt::Display for EvenMetastores {
    /// `metastore 2 is even (Raft): run 3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "metastore {} is even (Raft): run {}", self.have, self.odd)
    }
}

/// A role with fewer units than a deployment asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Shortfall {
    /// The role.
    pub role: Role,
    /// How many units that count run it.
    pub have: usize,
    /// How many the deployment asks for.
    pub want: usize,
}

impl fmt::Display for Shortfall {
    /// `querier 1/3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.role, self.have, self.want)
    }
}

/// How the cluster compares with the minimal and the recommended deployment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Coherence {
    /// The roles of the minimal deployment short of units, in table order.
    pub missing: Vec<Shortfall>,
    /// The roles of the recommended deployment short of units, in table order.
    pub below_recommended: Vec<Shortfall>,
    /// In v2, an even number (two or more) of metastore units; `None` otherwise.
    pub even_metastores: Option<EvenMetastores>,
}

impl Coherence {
    /// Compares the units that count in `view` with the minimal and recommended deployments of
    /// its architecture ([`minimal_deployment`], [`recommended_deployment`]), and in v2 checks
    /// that the metastores are an odd number.
    pub fn of(view: &ClusterView) -> Self {
        let architecture = view.architecture();
        let short = |table: &[(Role, usize)]| {
            table
                .iter()
                .map(|&(role, want)| Shortfall { role, have: view.units_with(role), want })
                .filter(|shortfall| shortfall.have < shortfall.want)
                .collect()
        };
        let metastores = view.units_with(Role::Metastore);
        let even_metastores = (architecture == Architecture::V2 && metastores > 0 && metastores % 2 == 0)
            .then_some(EvenMetastores { have: metastores, odd: metastores + 1 });
        Self {
            missing: short(minimal_deployment(architecture)),
            below_recommended: short(recommended_deployment(architecture)),
            even_metastores,
        }
    }

    /// Whether the minimal deployment is met: every role has a unit.
    pub fn is_coherent(&self) -> bool {
        self.missing.is_empty()
    }

    /// Whether the recommended deployment is met, with an odd number of metastores in v2.
    pub fn is_recommended(&self) -> bool {
        self.below_recommended.is_empty() && self.even_metastores.is_none()
    }
}

impl fmt::Display for Coherence {
    /// In v2 with an even number of metastores, first `metastore 2 is even (Raft): run 3` (the
    /// one fault that is not a count short, kept first so that a shortened status still shows
    /// it); then `missing roles: compactor, store-gateway` when incoherent (a role short of more
    /// than one unit shows as `compactor 1/2`), else `below recommended: querier 1/3, ...`, else,
    /// when there is nothing else to say, `recommended deployment`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shortfalls = !self.missing.is_empty() || !self.below_recommended.is_empty();
        if let Some(even) = &self.even_metastores {
            even.fmt(f)?;
            if shortfalls {
                f.write_str("; ")?;
            }
        }
        if !self.missing.is_empty() {
            f.write_str("missing roles: ")?;
            join(
                f,
                &self.missing,
                |f, s| {
                    if s.have == 0 && s.want == 1 { f.write_str(s.role.as_str()) } else { s.fmt(f) }
                },
            )
        } else if !self.below_recommended.is_empty() {
            f.write_str("below recommended: ")?;
            join(f, &self.below_recommended, |f, s| s.fmt(f))
        } else if self.even_metastores.is_none() {
            f.write_str("recommended deployment")
        } else {
            Ok(())
        }
    }
}

fn join<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    each: impl Fn(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        each(f, item)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_cover_every_role_of_their_architecture_once() {
        for &architecture in Architecture::ALL {
            for table in [minimal_deployment(architecture), recommended_deployment(architecture)] {
                let roles: Vec<Role> = table.iter().map(|(role, _)| *role).collect();
                assert_eq!(roles, architecture.roles(), "{architecture}");
            }
            let pairs = minimal_deployment(architecture).iter().zip(recommended_deployment(architecture));
            for ((role, minimal), (_, recommended)) in pairs {
                assert!(minimal <= recommended, "{role}");
            }
        }
        let metastores = V2_RECOMMENDED_DEPLOYMENT.iter().find(|(role, _)| *role == Role::Metastore);
        assert_eq!(metastores.map(|(_, count)| count % 2), Some(1), "a Raft group of an odd count");
    }

    #[test]
    fn display() {
        let coherence = Coherence {
            missing: vec![
                Shortfall { role: Role::Compactor, have: 0, want: 1 },
                Shortfall { role: Role::Ingester, have: 1, want: 2 },
            ],
            below_recommended: vec![Shortfall { role: Role::Querier, have: 1, want: 3 }],
            even_metastores: None,
        };
        assert_eq!(coherence.to_string(), "missing roles: compactor, ingester 1/2");
        let degraded = Coherence { missing: vec![], ..coherence.clone() };
        assert_eq!(degraded.to_string(), "below recommended: querier 1/3");
        assert_eq!(Coherence::default().to_string(), "recommended deployment");
        let even = Some(EvenMetastores { have: 2, odd: 3 });
        let missing_and_even = Coherence { even_metastores: even, ..coherence };
        assert_eq!(
            missing_and_even.to_string(),
            "metastore 2 is even (Raft): run 3; missing roles: compactor, ingester 1/2"
        );
        let only_even = Coherence { even_metastores: even, ..Coherence::default() };
        assert_eq!(only_even.to_string(), "metastore 2 is even (Raft): run 3");
        assert!(!only_even.is_recommended() && only_even.is_coherent());
    }
}

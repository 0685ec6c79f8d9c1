//! Whether the workers add up to a Pyroscope cluster: the minimal and the recommended deployment.

use std::fmt;

use pyroscope_cluster_model::Role;

use crate::view::ClusterView;

/// The minimal deployment: without a unit of each of these roles, Pyroscope cannot ingest, store
/// and query profiles. A cluster short of it is incoherent (the coordinator is `Blocked`).
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

/// The recommended deployment (after Grafana's microservices Helm values): units per role for a
/// cluster that survives the loss of a unit.
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
}

impl Coherence {
    /// Compares the units that count in `view` with [`MINIMAL_DEPLOYMENT`] and
    /// [`RECOMMENDED_DEPLOYMENT`].
    pub fn of(view: &ClusterView) -> Self {
        let short = |table: &[(Role, usize)]| {
            table
                .iter()
                .map(|&(role, want)| Shortfall { role, have: view.units_with(role), want })
                .filter(|shortfall| shortfall.have < shortfall.want)
                .collect()
        };
        Self { missing: short(MINIMAL_DEPLOYMENT), below_recommended: short(RECOMMENDED_DEPLOYMENT) }
    }

    /// Whether the minimal deployment is met: every role has a unit.
    pub fn is_coherent(&self) -> bool {
        self.missing.is_empty()
    }

    /// Whether the recommended deployment is met.
    pub fn is_recommended(&self) -> bool {
        self.below_recommended.is_empty()
    }
}

impl fmt::Display for Coherence {
    /// `missing roles: compactor, store-gateway` when incoherent (a role short of more than
    /// one unit shows as `compactor 1/2`), else `below recommended: querier 1/3, ...`, else
    /// `recommended deployment`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.missing.is_empty() {
            f.write_str("missing roles: ")?;
            return join(f, &self.missing, |f, s| {
                if s.have == 0 && s.want == 1 { f.write_str(s.role.as_str()) } else { s.fmt(f) }
            });
        }
        if !self.below_recommended.is_empty() {
            f.write_str("below recommended: ")?;
            return join(f, &self.below_recommended, |f, s| s.fmt(f));
        }
        f.write_str("recommended deployment")
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
    fn tables_cover_every_core_role_once() {
        for table in [MINIMAL_DEPLOYMENT, RECOMMENDED_DEPLOYMENT] {
            let roles: Vec<Role> = table.iter().map(|(role, _)| *role).collect();
            assert_eq!(roles, Role::CORE);
        }
        for ((role, minimal), (_, recommended)) in MINIMAL_DEPLOYMENT.iter().zip(RECOMMENDED_DEPLOYMENT) {
            assert!(minimal <= recommended, "{role}");
        }
    }

    #[test]
    fn display() {
        let coherence = Coherence {
            missing: vec![
                Shortfall { role: Role::Compactor, have: 0, want: 1 },
                Shortfall { role: Role::Ingester, have: 1, want: 2 },
            ],
            below_recommended: vec![Shortfall { role: Role::Querier, have: 1, want: 3 }],
        };
        assert_eq!(coherence.to_string(), "missing roles: compactor, ingester 1/2");
        let degraded = Coherence { missing: vec![], ..coherence };
        assert_eq!(degraded.to_string(), "below recommended: querier 1/3");
        assert_eq!(Coherence::default().to_string(), "recommended deployment");
    }
}

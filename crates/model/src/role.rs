//! Pyroscope roles (the `-target` modules a worker runs) and the set of them a worker app declares.

use std::collections::BTreeSet;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Pyroscope component a worker can run, as named on the wire (kebab-case).
///
/// Roles belong to one or both of Pyroscope's storage architectures ([`Architecture`]): v1's
/// querier, query-scheduler, ingester, compactor and store-gateway; v2's query-backend,
/// segment-writer, metastore and compaction-worker; `all`, query-frontend, distributor,
/// tenant-settings and ad-hoc-profiles in both. The enum is `#[non_exhaustive]`: code that needs
/// "every role of this set" asks [`Architecture::roles`] or [`Role::expand_for`] rather than
/// matching exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, schemars::JsonSchema)]
#[schemars(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Role {
    /// Meta-role: every concrete role of the architecture in one process, as Pyroscope's
    /// single-binary `all` target runs them ([`Architecture::roles`]; [`Role::CORE`] in v1).
    All,
    /// Serves queries against ingesters and store-gateways.
    Querier,
    /// Splits and caches queries in front of the queriers.
    QueryFrontend,
    /// Queues queries between query-frontends and queriers.
    QueryScheduler,
    /// Holds recent profiles in memory and writes blocks to storage.
    Ingester,
    /// Receives profiles and spreads them across ingesters.
    Distributor,
    /// Compacts blocks in object storage and applies retention.
    Compactor,
    /// Serves queries against blocks in object storage.
    StoreGateway,
    /// Serves per-tenant settings.
    TenantSettings,
    /// Stores and serves ad-hoc (uploaded) profiles.
    AdHocProfiles,
    /// v2: serves queries against the blocks in object storage, planned by the query-frontend.
    QueryBackend,
    /// v2: receives profiles from the distributors and writes segments to object storage.
    SegmentWriter,
    /// v2: the Raft group that indexes the blocks and schedules compaction.
    Metastore,
    /// v2: compacts blocks and applies retention, as the metastore schedules it.
    CompactionWorker,
}

impl Role {
    /// Every role this crate knows, meta-roles included, in wire-declaration order.
    pub const KNOWN: &'static [Role] = &[
        Role::All,
        Role::Querier,
        Role::QueryFrontend,
        Role::QueryScheduler,
        Role::Ingester,
        Role::Distributor,
        Role::Compactor,
        Role::StoreGateway,
        Role::TenantSettings,
        Role::AdHocProfiles,
        Role::QueryBackend,
        Role::SegmentWriter,
        Role::Metastore,
        Role::CompactionWorker,
    ];

    /// The nine concrete roles of Pyroscope's v1 (microservices) architecture: what `all` expands to
    /// in v1 ([`Architecture::V1`]'s [`roles`](Architecture::roles)).
    pub const CORE: &'static [Role] = &[
        Role::Querier,
        Role::QueryFrontend,
        Role::QueryScheduler,
        Role::Ingester,
        Role::Distributor,
        Role::Compactor,
        Role::StoreGateway,
        Role::TenantSettings,
        Role::AdHocProfiles,
    ];

    /// The name of this role on the wire and on Pyroscope's `-target` flag.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::All => "all",
            Role::Querier => "querier",
            Role::QueryFrontend => "query-frontend",
            Role::QueryScheduler => "query-scheduler",
            Role::Ingester => "ingester",
            Role::Distributor => "distributor",
            Role::Compactor => "compactor",
            Role::StoreGateway => "store-gateway",
            Role::TenantSettings => "tenant-settings",
            Role::AdHocProfiles => "ad-hoc-profiles",
            Role::QueryBackend => "query-backend",
            Role::SegmentWriter => "segment-writer",
            Role::Metastore => "metastore",
            Role::CompactionWorker => "compaction-worker",
        }
    }

    /// Whether this is a meta-role, standing for a set of concrete roles.
    pub const fn is_meta(self) -> bool {
        matches!(self, Role::All)
    }

    /// The concrete roles this role stands for in v1: itself, or a meta-role's members
    /// ([`Role::CORE`]). [`Role::expand_for`] for another architecture.
    pub fn expand(&self) -> &[Role] {
        self.expand_for(Architecture::V1)
    }

    /// The concrete roles this role stands for in `architecture`: itself, or a meta-role's
    /// members ([`Architecture::roles`]).
    pub fn expand_for(&self, architecture: Architecture) -> &[Role] {
        match self {
            Role::All => architecture.roles(),
            concrete => std::slice::from_ref(concrete),
        }
    }

    /// Whether a worker of `architecture` runs this role: `all` and the roles of
    /// [`Architecture::roles`].
    pub fn is_in(self, architecture: Architecture) -> bool {
        self.is_meta() || architecture.roles().contains(&self)
    }
}

/// Pyroscope's storage architectures (`-architecture.storage`, from Pyroscope 2.0), each with its
/// own roles: a worker runs the roles of the architecture its coordinator runs.
///
/// `v1` (the default) is the ingester-based storage of every 1.x release; `v2` the
/// segment-writer and metastore storage of 2.x (the Canonical charms' branch
/// `feat/pyroscope-v2`, Pyroscope 2.2.1). Written `v1` and `v2`, as Pyroscope's flag and the
/// config key `architecture_storage` take them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[non_exhaustive]
pub enum Architecture {
    /// `v1`: ingesters, store-gateways, compactors.
    #[default]
    #[serde(rename = "v1")]
    V1,
    /// `v2`: segment-writers, metastores, query-backends, compaction-workers.
    #[serde(rename = "v2")]
    V2,
}

impl Architecture {
    /// Both, in order.
    pub const ALL: &'static [Architecture] = &[Architecture::V1, Architecture::V2];

    /// The concrete roles of v2: what `all` expands to in v2 (canonical/pyroscope-operators,
    /// branch `feat/pyroscope-v2`, `coordinator/src/pyroscope.py`).
    pub const V2_ROLES: &'static [Role] = &[
        Role::QueryFrontend,
        Role::QueryBackend,
        Role::Distributor,
        Role::SegmentWriter,
        Role::Metastore,
        Role::CompactionWorker,
        Role::TenantSettings,
        Role::AdHocProfiles,
    ];

    /// The concrete roles of this architecture, `all` excluded: what `all` expands to.
    pub const fn roles(self) -> &'static [Role] {
        match self {
            Architecture::V1 => Role::CORE,
            Architecture::V2 => Architecture::V2_ROLES,
        }
    }

    /// `v1` or `v2`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Architecture::V1 => "v1",
            Architecture::V2 => "v2",
        }
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::KNOWN`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {name:?} (known roles: {known})", known = KnownRoles)]
pub struct UnknownRole {
    /// The name as it was given.
    pub name: String,
}

struct KnownRoles;

impl fmt::Display for KnownRoles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_joined(f, Role::KNOWN, ", ")
    }
}

/// Writes the roles' names joined with `separator`.
fn write_joined(f: &mut fmt::Formatter<'_>, roles: &[Role], separator: &str) -> fmt::Result {
    for (i, role) in roles.iter().enumerate() {
        if i > 0 {
            f.write_str(separator)?;
        }
        f.write_str(role.as_str())?;
    }
    Ok(())
}

impl FromStr for Role {
    type Err = UnknownRole;

    /// Exact, case-sensitive match on the wire name: `" ingester"` and `"QUERIER"` are not roles.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::KNOWN.iter().copied().find(|role| role.as_str() == s).ok_or_else(|| UnknownRole { name: s.to_owned() })
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a comma-joined role string is not a valid [`Roles`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RolesError {
    /// The string was empty: a worker with no role is not part of the cluster.
    #[error("no role given")]
    Empty,
    /// An element between commas was empty (`"querier,"`, `",querier"`, `"querier,,ingester"`).
    #[error("empty role name at position {position} of {text:?}")]
    EmptyElement {
        /// 1-based position of the empty element.
        position: usize,
        /// The whole string as given.
        text: String,
    },
    /// An element was not a known role name.
    #[error(transparent)]
    Unknown(#[from] UnknownRole),
}

/// The non-empty list of roles a worker app declares, as on the wire: `"querier,ingester"`.
///
/// The order the roles were given in is kept, so that re-encoding reproduces the same bytes.
/// Equality and hashing ignore order and repetition (`"querier,all"` equals `"all,querier"`), and
/// [`Roles::expanded`] resolves meta-roles. A role named twice is accepted, as the Python peer
/// accepts it.
///
/// The Python worker publishes its roles sorted by name (`",".join(sorted(roles))`): to write
/// the bytes it writes, build from [`Roles::to_sorted_string`], as `pyroscope-cluster-requirer`'s
/// `Announcement` does.
#[derive(Debug, Clone, schemars::JsonSchema)]
#[schemars(title = "comma-joined role list", transform = roles_schema)]
pub struct Roles {
    #[schemars(skip)]
    given: Vec<Role>,
}

/// The JSON Schema of [`Roles`] on the wire: the names of [`Role::KNOWN`], comma-joined, no
/// spaces, no empty element (see `schema.rs`).
fn roles_schema(schema: &mut schemars::Schema) {
    let names: Vec<&str> = Role::KNOWN.iter().map(|role| role.as_str()).collect();
    let name = format!("(?:{})", names.join("|"));
    crate::schema::reshape(
        schema,
        serde_json::json!({
            "type": "string",
            "pattern": format!("^{name}(?:,{name})*$"),
            "examples": ["all", "querier,query-frontend"],
        }),
    );
}

impl Roles {
    /// Roles from a list; `None` when the list is empty.
    pub fn new(roles: impl IntoIterator<Item = Role>) -> Option<Self> {
        let given: Vec<Role> = roles.into_iter().collect();
        (!given.is_empty()).then_some(Self { given })
    }

    /// A single role.
    pub fn one(role: Role) -> Self {
        Self { given: vec![role] }
    }

    /// The roles in the order they were given.
    pub fn as_slice(&self) -> &[Role] {
        &self.given
    }

    /// The distinct roles as given (meta-roles not expanded), sorted.
    pub fn distinct(&self) -> BTreeSet<Role> {
        self.given.iter().copied().collect()
    }

    /// The concrete roles, meta-roles expanded as in v1, sorted and de-duplicated.
    pub fn expanded(&self) -> BTreeSet<Role> {
        self.expanded_for(Architecture::V1)
    }

    /// The concrete roles, meta-roles expanded as in `architecture`, sorted and de-duplicated.
    pub fn expanded_for(&self, architecture: Architecture) -> BTreeSet<Role> {
        self.given.iter().flat_map(|role| role.expand_for(architecture).iter().copied()).collect()
    }

    /// The distinct roles given that are not roles of `architecture` (sorted): a worker that
    /// declares any is not part of a cluster of that architecture.
    pub fn foreign_to(&self, architecture: Architecture) -> Vec<Role> {
        self.distinct().into_iter().filter(|role| !role.is_in(architecture)).collect()
    }

    /// Whether this worker runs `role` (after meta-role expansion).
    pub fn contains(&self, role: Role) -> bool {
        self.given.iter().any(|given| role.expand().iter().all(|r| given.expand().contains(r)))
    }

    /// The wire form with the roles sorted by name, as the Python worker publishes them
    /// (`",".join(sorted(roles))`) and as Pyroscope's `-target` flag takes them.
    pub fn to_sorted_string(&self) -> String {
        let mut names: Vec<&str> = self.distinct().into_iter().map(Role::as_str).collect();
        names.sort_unstable();
        names.join(",")
    }
}

impl PartialEq for Roles {
    fn eq(&self, other: &Self) -> bool {
        self.distinct() == other.distinct()
    }
}

impl Eq for Roles {}

impl Hash for Roles {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.distinct().hash(state);
    }
}

impl From<Role> for Roles {
    fn from(role: Role) -> Self {
        Self::one(role)
    }
}

impl fmt::Display for Roles {
    /// The wire form: the roles in the order given, joined with `,`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_joined(f, &self.given, ",")
    }
}

impl FromStr for Roles {
    type Err = RolesError;

    /// Parses the comma-joined wire form. No trimming: `"querier, ingester"` names the unknown
    /// role `" ingester"`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(RolesError::Empty);
        }
        let given = s
            .split(',')
            .enumerate()
            .map(|(i, name)| {
                if name.is_empty() {
                    Err(RolesError::EmptyElement { position: i + 1, text: s.to_owned() })
                } else {
                    Ok(name.parse::<Role>()?)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self { given })
    }
}

impl TryFrom<String> for Roles {
    type Error = RolesError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl Serialize for Roles {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Roles {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expect: Result<&[Role], &str>) {
        let got = input.parse::<Roles>();
        match (got, expect) {
            (Ok(roles), Ok(want)) => {
                assert_eq!(roles.as_slice(), want);
                assert_eq!(roles.to_string(), input, "display must reproduce the wire bytes");
            }
            (Err(err), Err(want)) => assert_eq!(err.to_string(), want),
            (got, want) => panic!("{input:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn parse_table() {
        use Role::*;
        check("querier", Ok(&[Querier]));
        check("all", Ok(&[All]));
        check("all,querier", Ok(&[All, Querier]));
        check("querier,ingester", Ok(&[Querier, Ingester]));
        check("ingester,querier", Ok(&[Ingester, Querier]));
        check("querier,querier", Ok(&[Querier, Querier]));
        check("ad-hoc-profiles,tenant-settings", Ok(&[AdHocProfiles, TenantSettings]));
        check("", Err("no role given"));
        check("querier,", Err(r#"empty role name at position 2 of "querier,""#));
        check(",querier", Err(r#"empty role name at position 1 of ",querier""#));
        check("imposter", Err(&unknown("imposter")));
        check("querier, ingester", Err(&unknown(" ingester")));
        check("QUERIER", Err(&unknown("QUERIER")));
        check("query_frontend", Err(&unknown("query_frontend")));
        check("querier\n", Err(&unknown("querier\n")));
    }

    fn unknown(name: &str) -> String {
        format!(
            "unknown role {name:?} (known roles: all, querier, query-frontend, query-scheduler, \
             ingester, distributor, compactor, store-gateway, tenant-settings, ad-hoc-profiles, \
             query-backend, segment-writer, metastore, compaction-worker)"
        )
    }

    #[test]
    fn every_known_role_round_trips_by_name() {
        for role in Role::KNOWN {
            assert_eq!(role.as_str().parse::<Role>(), Ok(*role));
        }
        for architecture in Architecture::ALL {
            assert!(architecture.roles().iter().all(|role| !role.is_meta() && role.is_in(*architecture)));
        }
        let union: BTreeSet<Role> = Architecture::ALL.iter().flat_map(|a| a.roles().iter().copied()).collect();
        assert_eq!(Role::KNOWN.len(), union.len() + 1, "every role but `all` is in some architecture");
    }

    #[test]
    fn all_expands_per_architecture() {
        let all: Roles = "all".parse().unwrap();
        assert_eq!(all.expanded_for(Architecture::V1).len(), 9);
        assert_eq!(all.expanded_for(Architecture::V2).len(), 8);
        assert!(all.expanded_for(Architecture::V2).contains(&Role::Metastore));
        assert!(!all.expanded_for(Architecture::V2).contains(&Role::Ingester));
        let mixed: Roles = "segment-writer,querier,all,distributor".parse().unwrap();
        assert_eq!(mixed.foreign_to(Architecture::V1), [Role::SegmentWriter]);
        assert_eq!(mixed.foreign_to(Architecture::V2), [Role::Querier]);
        assert_eq!(all.foreign_to(Architecture::V2), []);
    }

    #[test]
    fn equality_ignores_order_and_repetition_but_not_expansion() {
        let a: Roles = "all,querier".parse().unwrap();
        let b: Roles = "querier,all,querier".parse().unwrap();
        assert_eq!(a, b);
        let nine = Role::CORE.iter().copied().map(Role::as_str).collect::<Vec<_>>().join(",");
        let explicit: Roles = nine.parse().unwrap();
        let all: Roles = "all".parse().unwrap();
        assert_ne!(explicit, all, "`all` is its own -target, not the nine modules");
        assert_eq!(explicit.expanded(), all.expanded());
    }

    #[test]
    fn expansion_and_containment() {
        let roles: Roles = "all".parse().unwrap();
        assert_eq!(roles.expanded().len(), 9);
        assert!(roles.contains(Role::Compactor));
        assert!(roles.contains(Role::All));
        let some: Roles = "querier,ingester".parse().unwrap();
        assert!(some.contains(Role::Ingester));
        assert!(!some.contains(Role::Compactor));
        assert!(!some.contains(Role::All));
    }

    #[test]
    fn sorted_string_matches_python_sorted_join() {
        let roles: Roles = "store-gateway,all,querier,ad-hoc-profiles,querier".parse().unwrap();
        assert_eq!(roles.to_sorted_string(), "ad-hoc-profiles,all,querier,store-gateway");
    }
}

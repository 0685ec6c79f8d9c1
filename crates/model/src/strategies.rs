//! proptest strategies for every type of this crate, for this crate's tests and those of the
//! crates above it (enable the `proptest` feature).
//!
//! Strings are drawn from all of Unicode, control characters and characters beyond the BMP
//! included, since those are where a JSON encoder goes wrong.

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::databag::FieldStrategy;
use crate::{
    Address, Architecture, JujuTopology, Port, ProviderAppData, RemoteWriteEndpoint, RequirerAppData, RequirerUnitData,
    Role, Roles, StringMap,
};

/// Any string of up to `max` characters from all of Unicode.
pub fn text(max: usize) -> impl Strategy<Value = String> {
    vec(any::<char>(), 0..=max).prop_map(|chars| chars.into_iter().collect())
}

/// Any role of the v1 architecture, `all` included ([`role_of`] for another).
pub fn role() -> impl Strategy<Value = Role> {
    role_of(Architecture::V1)
}

/// Any role of `architecture`, `all` included.
pub fn role_of(architecture: Architecture) -> impl Strategy<Value = Role> {
    let roles: Vec<Role> = std::iter::once(Role::All).chain(architecture.roles().iter().copied()).collect();
    proptest::sample::select(roles)
}

/// A non-empty role list of up to four roles of v1, repetitions and meta-roles included.
pub fn roles() -> impl Strategy<Value = Roles> {
    roles_of(Architecture::V1)
}

/// A non-empty role list of up to four roles of `architecture`, repetitions and `all` included.
pub fn roles_of(architecture: Architecture) -> impl Strategy<Value = Roles> {
    vec(role_of(architecture), 1..=4).prop_map(|roles| Roles::new(roles).expect("non-empty by construction"))
}

/// A valid RFC 1123 host name of one to four labels.
pub fn host_name() -> impl Strategy<Value = String> {
    vec("[a-zA-Z0-9]([a-zA-Z0-9-]{0,10}[a-zA-Z0-9])?", 1..=4)
        .prop_filter("last label must not be numeric", |labels| {
            labels.len() == 1 || !labels.last().is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()))
        })
        .prop_map(|labels| labels.join("."))
}

/// Any valid address: host name, IPv4 or IPv6.
pub fn address() -> impl Strategy<Value = Address> {
    prop_oneof![
        3 => host_name().prop_map(|name| Address::try_from(name).expect("valid host name by construction")),
        1 => any::<[u8; 4]>().prop_map(|octets| Address::from(Ipv4Addr::from(octets))),
        1 => any::<[u16; 8]>().prop_map(|segments| Address::from(Ipv6Addr::from(segments))),
    ]
}

/// Any topology; strings are arbitrary Unicode.
pub fn juju_topology() -> impl Strategy<Value = JujuTopology> {
    (text(20), text(20), text(20), option::of(text(10)), option::of(text(36))).prop_map(
        |(application, unit, charm_name, model, model_uuid)| JujuTopology {
            application,
            unit,
            charm_name,
            model,
            model_uuid,
        },
    )
}

/// A map of up to four entries with arbitrary keys and values, in arbitrary order.
pub fn string_map() -> impl Strategy<Value = StringMap> {
    vec((text(12), text(30)), 0..=4).prop_map(StringMap::from_iter)
}

/// Any port, 1 to 65535.
pub fn port() -> impl Strategy<Value = Port> {
    (1..=u16::MAX).prop_map(|port| Port::new(port).expect("non-zero by construction"))
}

impl FieldStrategy for String {
    fn strategy() -> BoxedStrategy<Self> {
        text(40).boxed()
    }
}

impl<T: FieldStrategy + 'static> FieldStrategy for Option<T> {
    fn strategy() -> BoxedStrategy<Self> {
        option::of(T::strategy()).boxed()
    }
}

impl FieldStrategy for Roles {
    fn strategy() -> BoxedStrategy<Self> {
        roles().boxed()
    }
}

impl FieldStrategy for Address {
    fn strategy() -> BoxedStrategy<Self> {
        address().boxed()
    }
}

impl FieldStrategy for JujuTopology {
    fn strategy() -> BoxedStrategy<Self> {
        juju_topology().boxed()
    }
}

impl FieldStrategy for StringMap {
    fn strategy() -> BoxedStrategy<Self> {
        string_map().boxed()
    }
}

impl FieldStrategy for Vec<RemoteWriteEndpoint> {
    fn strategy() -> BoxedStrategy<Self> {
        vec(text(30).prop_map(|url| RemoteWriteEndpoint { url }), 0..=3).boxed()
    }
}

impl FieldStrategy for Vec<Port> {
    fn strategy() -> BoxedStrategy<Self> {
        vec(port(), 0..=4).boxed()
    }
}

/// Any worker app databag.
pub fn requirer_app_data() -> impl Strategy<Value = RequirerAppData> {
    RequirerAppData::strategy()
}

/// Any worker unit databag.
pub fn requirer_unit_data() -> impl Strategy<Value = RequirerUnitData> {
    RequirerUnitData::strategy()
}

/// Any coordinator app databag, each optional field present or not.
pub fn provider_app_data() -> impl Strategy<Value = ProviderAppData> {
    ProviderAppData::strategy()
}

//! Deserialization helpers shared by the databag types.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserializer;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, MapAccess, Visitor};

/// Deserializes a struct from an object only.
///
/// serde's derive also accepts a struct as a sequence of its fields in declaration order, so
/// `["w", "w/0", "c"]` would pass for a topology: neither the Python peer nor the schema allows
/// that, and a databag that says it is malformed.
pub(crate) fn object_only<'de, D, T>(deserializer: D, expecting: &'static str) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct ObjectVisitor<T> {
        expecting: &'static str,
        marker: PhantomData<T>,
    }

    impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectVisitor<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.expecting)
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(MapAccessDeserializer::new(map))
        }
    }

    deserializer.deserialize_map(ObjectVisitor { expecting, marker: PhantomData })
}

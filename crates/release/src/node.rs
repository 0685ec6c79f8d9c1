//! [`Node`]: a YAML document as a tree that keeps what Pyroscope's decoder looks at.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

mod from_value;

pub use from_value::NotANode;

/// A YAML node after resolution: what a config check needs to see of a document. Unlike a JSON
/// value, a mapping keeps its keys in order and repeated (Pyroscope refuses a repeated key), and
/// keys that are not strings.
///
/// Read it from YAML text with `pyroscope_cluster_model::yaml::from_str::<Node>`; scalars are
/// resolved as the YAML 1.2 core schema does (plain `0` is an integer, `'0'` and `90m` strings).
/// Or build it from a value without the text, with [`Node::from_value`].
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`, `~`, or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, its entries in document order.
    Map(Vec<(Node, Node)>),
}

impl Node {
    /// What the node is, for a message: `a string`, `an integer`, `a mapping`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Node::Null => "null",
            Node::Bool(_) => "a boolean",
            Node::Int(_) => "an integer",
            Node::Float(_) => "a floating-point number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }

    /// A scalar's text as Go's YAML decoder hands it to a string field (`0`, `true`, `90m`);
    /// `None` for a collection or null.
    pub fn scalar_text(&self) -> Option<String> {
        match self {
            Node::Null | Node::Seq(_) | Node::Map(_) => None,
            Node::Bool(value) => Some(value.to_string()),
            Node::Int(value) => Some(value.to_string()),
            Node::Float(value) => Some(value.to_string()),
            Node::Str(text) => Some(text.clone()),
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML node")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        Node::deserialize(deserializer)
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Node, E> {
        Ok(Node::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Node, E> {
        Ok(Node::Int(value.into()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Node, E> {
        Ok(Node::Int(value.into()))
    }

    fn visit_i128<E: de::Error>(self, value: i128) -> Result<Node, E> {
        Ok(Node::Int(value))
    }

    fn visit_u128<E: de::Error>(self, value: u128) -> Result<Node, E> {
        // Beyond every Go integer type either way.
        Ok(i128::try_from(value).map_or(Node::Float(value as f64), Node::Int))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Node, E> {
        Ok(Node::Float(value))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Node, E> {
        Ok(Node::Str(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Node, E> {
        Ok(Node::Str(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(1024));
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Node::Map(entries))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Node, A::Error> {
        Err(de::Error::custom("a YAML tag other than the standard ones (`!name value`), which Pyroscope does not read"))
    }
}

#[cfg(test)]
mod tests {
    use pyroscope_cluster_model::yaml;

    use super::*;

    fn str(text: &str) -> Node {
        Node::Str(text.to_owned())
    }

    #[test]
    fn scalars_resolve_as_yaml_1_2_does() {
        let node: Node = yaml::from_str(
            "a: 0\nb: '0'\nc: 90m\nd: ~\ne: true\nf: yes\ng: 1.5\nh: 0x10\ni: 1e3\nj: !!str 7\nk: 18446744073709551616\nl:\n",
        )
        .unwrap();
        let want = Node::Map(vec![
            (str("a"), Node::Int(0)),
            (str("b"), str("0")),
            (str("c"), str("90m")),
            (str("d"), Node::Null),
            (str("e"), Node::Bool(true)),
            (str("f"), str("yes")),
            (str("g"), Node::Float(1.5)),
            (str("h"), Node::Int(16)),
            (str("i"), Node::Float(1000.0)),
            (str("j"), str("7")),
            (str("k"), Node::Int(18_446_744_073_709_551_616)),
            (str("l"), Node::Null),
        ]);
        assert_eq!(node, want);
    }

    #[test]
    fn mappings_keep_order_repeats_and_odd_keys() {
        let node: Node = yaml::from_str("b: 1\na: [x, 2]\nb: 3\n1: one\n").unwrap();
        let want = Node::Map(vec![
            (str("b"), Node::Int(1)),
            (str("a"), Node::Seq(vec![str("x"), Node::Int(2)])),
            (str("b"), Node::Int(3)),
            (Node::Int(1), str("one")),
        ]);
        assert_eq!(node, want);
        assert_eq!(Node::Int(1).scalar_text().as_deref(), Some("1"));
        assert_eq!(Node::Seq(vec![]).scalar_text(), None);
    }

    #[test]
    fn custom_tags_are_an_error() {
        let err = yaml::from_str::<Node>("a: !thing x\n").unwrap_err().to_string();
        assert!(err.contains("a YAML tag other than the standard ones"), "{err}");
    }
}

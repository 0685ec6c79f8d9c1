//! [`Node::from_value`]: the tree a configuration value is, without writing and re-reading text.

use std::fmt;

use serde::ser::{self, Serialize};

use super::Node;

/// A value that has no YAML node (bytes, an enum variant with data): it is not a configuration
/// file's content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotANode(String);

impl ser::Error for NotANode {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

impl Node {
    /// The node a serializable value is: what reading its YAML (as
    /// `pyroscope_cluster_model::yaml` writes it) gives back, built without the text. An integer
    /// is a [`Node::Int`], `None` and `()` [`Node::Null`], a unit variant its name, a struct or
    /// map a [`Node::Map`] in the order it serializes, a sequence or tuple a [`Node::Seq`].
    ///
    /// A string is a [`Node::Str`] of its text, which is what Go's YAML decoder puts in a string
    /// field. The writers quote every string a YAML 1.1 reader would take for something else
    /// (`'0'`, `'yes'`); the few that only YAML 1.2 takes for a number (PyYAML writes `1e3`
    /// plain) read back as numbers, which [`check`](crate::check) takes for a string key all
    /// the same.
    ///
    /// Bytes and enum variants with data have no node of their own here and are an error (the
    /// PyYAML writer refuses them too).
    ///
    /// ```
    /// use pyroscope_cluster_release::Node;
    ///
    /// #[derive(serde::Serialize)]
    /// struct Server { http_listen_port: u16, tls: Option<bool>, name: String }
    /// let node = Node::from_value(&Server { http_listen_port: 4040, tls: None, name: "0".into() }).unwrap();
    /// assert_eq!(
    ///     node,
    ///     Node::Map(vec![
    ///         (Node::Str("http_listen_port".into()), Node::Int(4040)),
    ///         (Node::Str("tls".into()), Node::Null),
    ///         (Node::Str("name".into()), Node::Str("0".into())),
    ///     ])
    /// );
    /// ```
    pub fn from_value<T: Serialize + ?Sized>(value: &T) -> Result<Node, NotANode> {
        value.serialize(Builder)
    }
}

/// Builds one [`Node`].
struct Builder;

/// A sequence being built.
struct SeqBuilder(Vec<Node>);

/// A mapping being built, with the key of the entry whose value comes next.
struct MapBuilder {
    entries: Vec<(Node, Node)>,
    key: Option<Node>,
}

fn unsupported(what: &str) -> NotANode {
    NotANode(format!("{what} is not a value of a configuration file"))
}

impl ser::Serializer for Builder {
    type Ok = Node;
    type Error = NotANode;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = ser::Impossible<Node, NotANode>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = ser::Impossible<Node, NotANode>;

    fn serialize_bool(self, v: bool) -> Result<Node, NotANode> {
        Ok(Node::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Node, NotANode> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<Node, NotANode> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<Node, NotANode> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<Node, NotANode> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_i128(self, v: i128) -> Result<Node, NotANode> {
        Ok(Node::Int(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Node, NotANode> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<Node, NotANode> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<Node, NotANode> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<Node, NotANode> {
        Ok(Node::Int(v.into()))
    }
    fn serialize_u128(self, v: u128) -> Result<Node, NotANode> {
        // As a reader does with an integer beyond i128 (see `Node`'s `Deserialize`).
        Ok(i128::try_from(v).map_or(Node::Float(v as f64), Node::Int))
    }
    fn serialize_f32(self, v: f32) -> Result<Node, NotANode> {
        Ok(Node::Float(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<Node, NotANode> {
        Ok(Node::Float(v))
    }
    fn serialize_char(self, v: char) -> Result<Node, NotANode> {
        Ok(Node::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Node, NotANode> {
        Ok(Node::Str(v.to_owned()))
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<Node, NotANode> {
        Err(unsupported("a byte string"))
    }
    fn serialize_none(self) -> Result<Node, NotANode> {
        Ok(Node::Null)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Node, NotANode> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Node, NotANode> {
        Ok(Node::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Node, NotANode> {
        Ok(Node::Null)
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<Node, NotANode> {
        Ok(Node::Str(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, value: &T) -> Result<Node, NotANode> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<Node, NotANode> {
        Err(unsupported(&format!("the enum variant `{variant}` with data")))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, NotANode> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, NotANode> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<SeqBuilder, NotANode> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, NotANode> {
        Err(unsupported(&format!("the enum variant `{variant}` with data")))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, NotANode> {
        Ok(MapBuilder { entries: Vec::with_capacity(len.unwrap_or(0)), key: None })
    }
    fn serialize_struct(self, _name: &'static str, len: usize) -> Result<MapBuilder, NotANode> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, NotANode> {
        Err(unsupported(&format!("the enum variant `{variant}` with data")))
    }
}

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Node;
    type Error = NotANode;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), NotANode> {
        self.0.push(value.serialize(Builder)?);
        Ok(())
    }
    fn end(self) -> Result<Node, NotANode> {
        Ok(Node::Seq(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Node;
    type Error = NotANode;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), NotANode> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node, NotANode> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Node;
    type Error = NotANode;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), NotANode> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node, NotANode> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Node;
    type Error = NotANode;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), NotANode> {
        self.key = Some(key.serialize(Builder)?);
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), NotANode> {
        let key = self.key.take().ok_or_else(|| NotANode("a map value without its key".to_owned()))?;
        self.entries.push((key, value.serialize(Builder)?));
        Ok(())
    }
    fn end(self) -> Result<Node, NotANode> {
        Ok(Node::Map(self.entries))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Node;
    type Error = NotANode;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), NotANode> {
        self.entries.push((Node::Str(key.to_owned()), value.serialize(Builder)?));
        Ok(())
    }
    fn end(self) -> Result<Node, NotANode> {
        Ok(Node::Map(self.entries))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use pyroscope_cluster_model::yaml;
    use serde::Serialize;

    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Backend {
        S3,
    }

    #[derive(Serialize)]
    struct Sample {
        port: u16,
        negative: i64,
        flag: bool,
        absent: Option<String>,
        backend: Backend,
        // Strings that would read back as something else unquoted: the writer quotes them.
        words: Vec<&'static str>,
        labels: BTreeMap<String, String>,
        pair: (u8, String),
    }

    fn sample() -> Sample {
        Sample {
            port: 7946,
            negative: -3,
            flag: true,
            absent: None,
            backend: Backend::S3,
            words: vec!["0", "yes", "null", "~", "90m", "1_000", "0x10", "12:30", "", " x", "host:7946"],
            labels: BTreeMap::from([("b".to_owned(), "true".to_owned()), ("a".to_owned(), "1.5".to_owned())]),
            pair: (1, "2".to_owned()),
        }
    }

    /// What a reader makes of the YAML the writers write is the value's node.
    #[test]
    fn is_what_the_written_text_reads_back_as() {
        let node = Node::from_value(&sample()).unwrap();
        for text in [yaml::to_string(&sample()).unwrap(), yaml::to_string_pyyaml(&sample()).unwrap()] {
            assert_eq!(yaml::from_str::<Node>(&text).unwrap(), node, "{text}");
        }
    }

    /// But for the strings PyYAML writes plain that YAML 1.2 takes for numbers: strings here (the
    /// text a Go string field gets), numbers read back.
    #[test]
    fn yaml_1_2_numbers_written_plain_are_strings() {
        for (word, read_back) in [("1e3", Node::Float(1000.0)), ("0o17", Node::Int(15))] {
            let text = yaml::to_string_pyyaml(&[word]).unwrap();
            assert_eq!(text, format!("- {word}\n"));
            assert_eq!(yaml::from_str::<Node>(&text).unwrap(), Node::Seq(vec![read_back]));
            assert_eq!(Node::from_value(&[word]).unwrap(), Node::Seq(vec![Node::Str(word.to_owned())]));
        }
    }

    #[test]
    fn data_variants_and_bytes_are_errors() {
        #[derive(Serialize)]
        enum Shape {
            Circle(u8),
        }
        let err = Node::from_value(&Shape::Circle(1)).unwrap_err();
        assert_eq!(err.to_string(), "the enum variant `Circle` with data is not a value of a configuration file");
        let err = Node::from_value(&serde_bytes_like()).unwrap_err();
        assert_eq!(err.to_string(), "a byte string is not a value of a configuration file");
    }

    /// A value that serializes as bytes.
    fn serde_bytes_like() -> impl Serialize {
        struct Bytes;
        impl Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_bytes(b"x")
            }
        }
        Bytes
    }
}

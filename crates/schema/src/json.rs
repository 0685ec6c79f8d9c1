//! Reading one databag value's JSON text as the model's decoder reads it.
//!
//! Two things set the decoder apart from parsing into a [`Value`], and the reader here does
//! both, guided by the field's schema:
//! - it rejects an object that repeats a key it reads (serde's derive reports a duplicate field;
//!   `StringMap` refuses a repeated key), while a parsed [`Value`] keeps the last entry: so the
//!   reader notes where keys were repeated;
//! - it skips the value of a key it does not read without looking into it, so serde_json's
//!   nesting limit (128) does not apply there: so the reader skips those values too.

use std::fmt;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::applicable::Applicable;

/// One step into a JSON value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Step {
    /// The value of an object's key.
    Key(String),
    /// An array's element.
    Index(usize),
}

/// A JSON value and the keys its text repeated.
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The value; of a repeated key, the last occurrence (as serde_json and Python keep it).
    /// Keys the schema does not name are left out.
    pub(crate) value: Value,
    /// Each repeated key: the object it is in, and the key.
    pub(crate) repeated: Vec<(Vec<Step>, String)>,
}

impl Parsed {
    /// A value parsed otherwise, with no repeated keys noted.
    pub(crate) fn plain(value: Value) -> Self {
        Self { value, repeated: Vec::new() }
    }
}

/// Parses one JSON text whose schema is `schema` as the model's decoder does (serde_json: strict
/// JSON, any spacing, no trailing characters, nesting bounded where read), noting repeated keys
/// and skipping the keys the schema does not name.
pub(crate) fn parse(text: &str, schema: &Value) -> Result<Parsed, serde_json::Error> {
    let mut repeated = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let seed = ValueSeed { path: Vec::new(), here: Applicable::root(schema), repeated: &mut repeated };
    let value = seed.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(Parsed { value, repeated })
}

struct ValueSeed<'a, 's> {
    path: Vec<Step>,
    here: Applicable<'s>,
    repeated: &'a mut Vec<(Vec<Step>, String)>,
}

impl<'s> ValueSeed<'_, 's> {
    fn child(&mut self, step: Step) -> ValueSeed<'_, 's> {
        let here = self.here.step(&step);
        let mut path = self.path.clone();
        path.push(step);
        ValueSeed { path, here, repeated: self.repeated }
    }
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    /// serde_json calls this for a number written with a fraction or an exponent, or too large for
    /// 64 bits; such a number stays a float, which is how the model's decoder sees it too.
    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Value, E> {
        Number::from_f64(value).map(Value::Number).ok_or_else(|| E::custom("a number that is not finite"))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child(Step::Index(items.len())))? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if !self.here.declares(&key) {
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let value = map.next_value_seed(self.child(Step::Key(key.clone())))?;
            if object.insert(key.clone(), value).is_some() {
                self.repeated.push((self.path.clone(), key));
            }
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A schema that names every key.
    fn any_map() -> Value {
        json!({"additionalProperties": {"additionalProperties": {}, "items": {"additionalProperties": {}}}})
    }

    #[test]
    fn notes_repeated_keys_where_they_are() {
        let parsed = parse(r#"{"a": 1, "b": [{"c": 1, "c": 2}], "a": 3}"#, &any_map()).unwrap();
        assert_eq!(parsed.value, json!({"a": 3, "b": [{"c": 2}]}));
        assert_eq!(
            parsed.repeated,
            [(vec![Step::Key("b".into()), Step::Index(0)], "c".to_owned()), (vec![], "a".to_owned())]
        );
    }

    #[test]
    fn skips_keys_the_schema_does_not_name_unread() {
        let schema = json!({"properties": {"a": {}}});
        let deep = format!("{}{}", "[".repeat(500), "]".repeat(500));
        let parsed = parse(&format!(r#"{{"a": 1, "b": {deep}, "b": 2}}"#), &schema).unwrap();
        assert_eq!(parsed.value, json!({"a": 1}));
        assert!(parsed.repeated.is_empty());
        assert!(parse(&format!(r#"{{"a": {deep}}}"#), &schema).is_err(), "a named key is read, and bounded");
        assert!(parse(r#"{"b": [1,]}"#, &schema).is_err(), "a skipped value must still be JSON");
    }

    #[test]
    fn reads_like_serde_json() {
        for text in
            [" [1 ,2]\n", "7946.0", "1e3", "-0", "18446744073709551616", r#""\u00e9""#, "null", r#"{"a": [{}]}"#]
        {
            assert_eq!(parse(text, &any_map()).unwrap().value, serde_json::from_str::<Value>(text).unwrap(), "{text}");
        }
        for text in ["", "NaN", "[1,]", "1 2", r#""\ud800""#, &"[".repeat(200)] {
            assert!(parse(text, &any_map()).is_err(), "{text}");
        }
    }
}

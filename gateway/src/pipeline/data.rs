//! The response tree the executor merges subgraph answers into.
//!
//! A JSON value whose objects are small vectors of key-value pairs rather than maps: the
//! objects of GraphQL responses have a handful of keys, which a linear scan finds faster
//! than a hash or tree lookup, and a vector costs one allocation where an ordered map costs
//! two and a hash per key. Keys and strings are `SmolStr`s: nearly all are short enough to
//! be stored inline, without an allocation each. It also keeps the gateway independent of
//! which `serde_json` features other crates of the build turn on (`preserve_order` swaps
//! its maps). Answers are parsed with sonic-rs (SIMD), the parser the planner already uses.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;
use smol_str::SmolStr;

/// A JSON value of a subgraph answer.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) enum Data {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(SmolStr),
    List(Vec<Data>),
    Object(Object),
}

/// A JSON object: keys in the order they arrived, each once.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Object(Vec<(SmolStr, Data)>);

impl Object {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Object(Vec::with_capacity(capacity))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Data> {
        self.0
            .iter()
            .find(|(known, _)| &**known == key)
            .map(|(_, value)| value)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Data> {
        self.0
            .iter_mut()
            .find(|(known, _)| &**known == key)
            .map(|(_, value)| value)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(known, _)| &**known == key)
    }

    /// Sets `key` to `value`, replacing what was there.
    pub(crate) fn insert(&mut self, key: SmolStr, value: Data) {
        match self.get_mut(&key) {
            Some(existing) => *existing = value,
            None => self.0.push((key, value)),
        }
    }

    /// Adds `key`, which the caller has just looked for and not found.
    pub(crate) fn push_new(&mut self, key: SmolStr, value: Data) {
        debug_assert!(!self.contains_key(&key));
        self.0.push((key, value));
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<Data> {
        let position = self.0.iter().position(|(known, _)| &**known == key)?;
        Some(self.0.remove(position).1)
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = (&SmolStr, &Data)> {
        self.0.iter().map(|(key, value)| (key, value))
    }

    pub(crate) fn into_entries(self) -> impl Iterator<Item = (SmolStr, Data)> {
        self.0.into_iter()
    }

    /// The `__typename` of the object, when it has one.
    pub(crate) fn typename(&self) -> Option<&str> {
        self.get("__typename").and_then(Data::as_str)
    }
}

impl Data {
    /// Reads a subgraph answer. Strings must be valid UTF-8 and escapes valid; keys and
    /// strings of up to 23 bytes are stored inline.
    pub(crate) fn parse(json: &[u8]) -> Result<Data, sonic_rs::Error> {
        sonic_rs::from_slice(json)
    }

    pub(crate) fn is_null(&self) -> bool {
        matches!(self, Data::Null)
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Data::String(text) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn as_object(&self) -> Option<&Object> {
        match self {
            Data::Object(object) => Some(object),
            _ => None,
        }
    }

    pub(crate) fn take(&mut self) -> Data {
        std::mem::take(self)
    }
}

impl Serialize for Data {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Data::Null => serializer.serialize_unit(),
            Data::Bool(boolean) => serializer.serialize_bool(*boolean),
            Data::Number(number) => number.serialize(serializer),
            Data::String(text) => serializer.serialize_str(text),
            Data::List(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Data::Object(object) => {
                let mut map = serializer.serialize_map(Some(object.0.len()))?;
                for (key, value) in &object.0 {
                    map.serialize_entry(&**key, value)?;
                }
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Data {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Data, D::Error> {
        deserializer.deserialize_any(DataVisitor)
    }
}

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = Data;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Data, E> {
        Ok(Data::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Data, E> {
        Ok(Data::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Data, E> {
        Ok(Data::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Data, E> {
        Ok(Number::from_f64(value).map_or(Data::Null, Data::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Data, E> {
        Ok(Data::String(value.into()))
    }

    fn visit_none<E>(self) -> Result<Data, E> {
        Ok(Data::Null)
    }

    fn visit_unit<E>(self) -> Result<Data, E> {
        Ok(Data::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Data, D::Error> {
        Deserialize::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Data, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Data::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Data, A::Error> {
        let mut object = Object::with_capacity(map.size_hint().unwrap_or(0).min(64));
        // Keys are pushed without looking for duplicates: GraphQL responses have none, and
        // where a broken answer repeats one, lookups find its first value.
        while let Some(key) = map.next_key::<KeyString>()? {
            let value: Data = map.next_value()?;
            object.0.push((key.0, value));
        }
        Ok(Data::Object(object))
    }
}

/// An object key, read without an intermediate `String` when the input allows it.
struct KeyString(SmolStr);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = KeyString;
            fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
                formatter.write_str("an object key")
            }
            fn visit_str<E>(self, value: &str) -> Result<KeyString, E> {
                Ok(KeyString(value.into()))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trips_with_key_order_kept() {
        let data = Data::parse(br#"{"b":1,"a":[true,null,"x",2.5,{"k":-3}]}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            r#"{"b":1,"a":[true,null,"x",2.5,{"k":-3}]}"#
        );
    }

    #[test]
    fn strings_and_numbers_read_as_json_says() {
        let long = "第一区科学技术协会科普工作委员会";
        let json = format!(
            r#"{{"escaped":"a\"b\\c\n\u00e9\ud83d\ude00","long":"{long}","{long}":1,"big":18446744073709551615,"negative":-9007199254740993}}"#
        );
        let data = Data::parse(json.as_bytes()).unwrap();
        let object = data.as_object().unwrap();
        assert_eq!(
            object.get("escaped").and_then(Data::as_str),
            Some("a\"b\\c\né😀")
        );
        assert_eq!(object.get("long").and_then(Data::as_str), Some(long));
        assert_eq!(object.get(long), Some(&Data::Number(1.into())));
        assert_eq!(object.get("big"), Some(&Data::Number(u64::MAX.into())));
        assert_eq!(
            object.get("negative"),
            Some(&Data::Number((-9007199254740993i64).into()))
        );
    }

    #[test]
    fn broken_answers_are_errors() {
        for broken in [
            &b"{\"a\":\"\xff\"}"[..],
            br#"{"a":"\ud800"}"#,
            br#"{"a":1"#,
            br#"{"a":1}x"#,
            b"",
        ] {
            assert!(
                Data::parse(broken).is_err(),
                "{:?} should not parse",
                String::from_utf8_lossy(broken)
            );
        }
    }

    #[test]
    fn a_repeated_key_reads_as_its_first_value() {
        let data = Data::parse(br#"{"b":1,"b":2}"#).unwrap();
        assert_eq!(
            data.as_object().unwrap().get("b"),
            Some(&Data::Number(1.into()))
        );
    }
}

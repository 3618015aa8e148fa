//! The response tree the executor merges subgraph answers into.
//!
//! A JSON value whose objects are small vectors of key-value pairs rather than maps: the
//! objects of GraphQL responses have a handful of keys, which a linear scan finds faster
//! than a hash or tree lookup, and a vector costs one allocation where an ordered map costs
//! two and a hash per key. Keys and strings borrow from the bytes of the answer they came
//! in (`'a`: the answers are kept until the client's response is written, see
//! `execute::Answers`) — a string holding escapes, or one the gateway makes, is owned. It
//! also keeps the gateway independent of which `serde_json` features other crates of the
//! build turn on (`preserve_order` swaps its maps). Answers are read by [`read`], which
//! builds the tree in one pass.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Number;
use std::borrow::Cow;

mod read;

/// A key or a string of the tree: borrowed from an answer, or owned.
pub(crate) type Text<'a> = Cow<'a, str>;

/// A JSON value of a subgraph answer.
///
/// The tag is a whole word so that every variant's payload starts at byte 8. Left to the
/// compiler, `Bool`'s payload sat at byte 1, and moving a value copied its bytes 1–31 in
/// overlapping, misaligned pieces that the processor could not forward from the stores
/// that had just written them: reading (b)'s answers took a quarter longer for it
/// (bench/gateway/README.md, "Reading answers without serde").
#[derive(Clone, Debug, Default, PartialEq)]
#[repr(u64)]
pub(crate) enum Data<'a> {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Text<'a>),
    List(Vec<Data<'a>>),
    Object(Object<'a>),
}

/// A JSON object: keys in the order they arrived, each once.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Object<'a>(Vec<(Text<'a>, Data<'a>)>);

impl<'a> Object<'a> {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Object(Vec::with_capacity(capacity))
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Data<'a>> {
        self.0
            .iter()
            .find(|(known, _)| &**known == key)
            .map(|(_, value)| value)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Data<'a>> {
        self.0
            .iter_mut()
            .find(|(known, _)| &**known == key)
            .map(|(_, value)| value)
    }

    pub(crate) fn contains_key(&self, key: &str) -> bool {
        self.0.iter().any(|(known, _)| &**known == key)
    }

    /// Sets `key` to `value`, replacing what was there.
    pub(crate) fn insert(&mut self, key: Text<'a>, value: Data<'a>) {
        match self.get_mut(&key) {
            Some(existing) => *existing = value,
            None => self.0.push((key, value)),
        }
    }

    /// Adds `key`, which the caller has just looked for and not found.
    pub(crate) fn push_new(&mut self, key: Text<'a>, value: Data<'a>) {
        debug_assert!(!self.contains_key(&key));
        self.0.push((key, value));
    }

    pub(crate) fn remove(&mut self, key: &str) -> Option<Data<'a>> {
        let position = self.0.iter().position(|(known, _)| &**known == key)?;
        Some(self.0.remove(position).1)
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = (&Text<'a>, &Data<'a>)> {
        self.0.iter().map(|(key, value)| (key, value))
    }

    pub(crate) fn into_entries(self) -> impl Iterator<Item = (Text<'a>, Data<'a>)> {
        self.0.into_iter()
    }

    /// The `__typename` of the object, when it has one.
    pub(crate) fn typename(&self) -> Option<&str> {
        self.get("__typename").and_then(Data::as_str)
    }
}

impl<'a> FromIterator<(Text<'a>, Data<'a>)> for Object<'a> {
    /// An object of the pairs, which the caller knows to have distinct keys.
    fn from_iter<I: IntoIterator<Item = (Text<'a>, Data<'a>)>>(pairs: I) -> Self {
        Object(pairs.into_iter().collect())
    }
}

impl<'a> Data<'a> {
    /// Reads a subgraph answer ([`read`]), borrowing its keys and strings. Strings must be
    /// valid UTF-8 and escapes valid.
    pub(crate) fn parse(json: &'a [u8]) -> Result<Data<'a>, read::ReadError> {
        read::read(json)
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

    pub(crate) fn as_object(&self) -> Option<&Object<'a>> {
        match self {
            Data::Object(object) => Some(object),
            _ => None,
        }
    }

    pub(crate) fn take(&mut self) -> Data<'a> {
        std::mem::take(self)
    }
}

impl Serialize for Data<'_> {
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

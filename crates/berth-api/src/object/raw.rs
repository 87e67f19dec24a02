//! An object's JSON edited without decoding it: [`RawObject`] is one JSON object as its
//! ordered `(key, value)` entries, each value kept as the text it came as (borrowed from the
//! input) until it is read or replaced. Server-side rewrites that change a few fields of a
//! large object (a pod's binding: its `nodeName`, one condition, its `generation`) use it
//! instead of a full [`super::Object`] decode and encode, which builds and frees a tree of
//! every field.
//!
//! Invariants:
//! - Writing a `RawObject` that was not edited gives the input back, but for insignificant
//!   whitespace: key order and every value's text are kept.
//! - [`RawObject::set`] replaces an entry in place, or inserts a new one before the first key
//!   that sorts after it: on objects whose keys are sorted (the body maps Berth writes) the
//!   result is what encoding the edited object would give.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

/// One entry's value: the input's text, or a replacement.
#[derive(Debug)]
enum Entry<'a> {
    Borrowed(&'a RawValue),
    Owned(Box<RawValue>),
    Object(RawObject<'a>),
}

/// A JSON object as ordered entries (see the module documentation).
#[derive(Debug, Default)]
pub struct RawObject<'a> {
    entries: Vec<(Cow<'a, str>, Entry<'a>)>,
}

impl<'a> RawObject<'a> {
    /// Parses `json`, which must be one JSON object; its values stay unparsed.
    pub fn parse(json: &'a [u8]) -> Result<RawObject<'a>, serde_json::Error> {
        let mut de = serde_json::Deserializer::from_slice(json);
        let object = de.deserialize_map(EntriesVisitor)?;
        de.end()?;
        Ok(object)
    }

    /// The entry of `key`: the last one if the input repeated it, as decoding keeps the last.
    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().rposition(|(k, _)| k == key)
    }

    /// Whether `key` is present (with any value, `null` included).
    pub fn has(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// The value of `key` decoded as `T`; `None` when absent, `null` or of another type.
    pub fn get<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Option<T> {
        let (_, entry) = &self.entries[self.position(key)?];
        match entry {
            Entry::Borrowed(raw) => serde_json::from_str(raw.get()).ok(),
            Entry::Owned(raw) => serde_json::from_str(raw.get()).ok(),
            Entry::Object(object) => serde_json::from_slice(&object.to_json()).ok(),
        }
    }

    /// The object under `key`, for editing in place; `Ok(None)` when `key` is absent or
    /// `null`, an error when its value is not an object.
    pub fn object_mut(
        &mut self,
        key: &str,
    ) -> Result<Option<&mut RawObject<'a>>, serde_json::Error> {
        let Some(i) = self.position(key) else {
            return Ok(None);
        };
        let entry = &mut self.entries[i].1;
        let parsed = match entry {
            Entry::Object(_) => None,
            Entry::Borrowed(raw) if raw.get() == "null" => return Ok(None),
            Entry::Borrowed(raw) => Some(RawObject::parse(raw.get().as_bytes())?),
            Entry::Owned(raw) if raw.get() == "null" => return Ok(None),
            // Replacements are small: decode and re-encode them as an owned object.
            Entry::Owned(raw) => Some(RawObject::owned(raw.get())?),
        };
        if let Some(parsed) = parsed {
            *entry = Entry::Object(parsed);
        }
        match entry {
            Entry::Object(object) => Ok(Some(object)),
            _ => Ok(None),
        }
    }

    /// The object under `key`, created empty when absent or `null`.
    pub fn object_entry(&mut self, key: &str) -> Result<&mut RawObject<'a>, serde_json::Error> {
        if self.object_mut(key)?.is_none() {
            self.put(key, Entry::Object(RawObject::default()));
        }
        self.object_mut(key)?
            .ok_or_else(|| de::Error::custom(format!("{key} is not an object")))
    }

    /// Sets `key` to `value` (see the module invariants for where a new key goes).
    pub fn set<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        let raw = serde_json::value::to_raw_value(value)?;
        self.put(key, Entry::Owned(raw));
        Ok(())
    }

    /// Sets `key` to `value`, inserting a new key right after the last of `after` present
    /// (first when none is): for objects whose keys follow a declaration order.
    pub fn set_after<T: Serialize + ?Sized>(
        &mut self,
        key: &str,
        value: &T,
        after: &[&str],
    ) -> Result<(), serde_json::Error> {
        let raw = serde_json::value::to_raw_value(value)?;
        self.put_where(key, Entry::Owned(raw), |entries| {
            entries
                .iter()
                .rposition(|(k, _)| after.contains(&k.as_ref()))
                .map_or(0, |i| i + 1)
        });
        Ok(())
    }

    /// Removes `key`; whether it was there.
    pub fn remove(&mut self, key: &str) -> bool {
        match self.position(key) {
            Some(i) => {
                self.entries.remove(i);
                true
            }
            None => false,
        }
    }

    /// Replaces `key`'s entry, or inserts it before the first key that sorts after it.
    fn put(&mut self, key: &str, entry: Entry<'a>) {
        self.put_where(key, entry, |entries| {
            entries
                .iter()
                .position(|(k, _)| k.as_ref() > key)
                .unwrap_or(entries.len())
        });
    }

    /// Replaces `key`'s entry, or inserts it at the index `at` picks.
    #[allow(clippy::type_complexity)]
    fn put_where(
        &mut self,
        key: &str,
        entry: Entry<'a>,
        at: impl FnOnce(&[(Cow<'a, str>, Entry<'a>)]) -> usize,
    ) {
        match self.position(key) {
            Some(i) => self.entries[i].1 = entry,
            None => {
                let at = at(&self.entries);
                self.entries
                    .insert(at, (Cow::Owned(key.to_string()), entry));
            }
        }
    }

    fn owned(json: &str) -> Result<RawObject<'a>, serde_json::Error> {
        Ok(RawObject::parse(json.as_bytes())?.into_owned())
    }

    /// The same entries, borrowing nothing.
    fn into_owned(self) -> RawObject<'static> {
        let entries = self
            .entries
            .into_iter()
            .map(|(key, entry)| {
                let entry = match entry {
                    Entry::Borrowed(raw) => Entry::Owned(raw.to_owned()),
                    Entry::Owned(raw) => Entry::Owned(raw),
                    Entry::Object(object) => Entry::Object(object.into_owned()),
                };
                (Cow::Owned(key.into_owned()), entry)
            })
            .collect();
        RawObject { entries }
    }

    /// Appends the JSON text to `out`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        self.write(out, &[], &mut None);
    }

    /// Appends the JSON text to `out` like [`RawObject::write_to`], and returns the offset in
    /// `out` just past the value of entry `after` of the object under `key`: where an entry
    /// inserted after it goes (preceded by a comma). `None` if either is absent, or if the
    /// object under `key` was not opened for editing ([`RawObject::object_mut`]).
    pub fn write_marking(&self, out: &mut Vec<u8>, key: &str, after: &str) -> Option<usize> {
        let mut mark = None;
        self.write(out, &[key, after], &mut mark);
        mark
    }

    /// Writes the entries; records in `mark` the offset just past the value at `path` (a
    /// key in each nested object, opened ones only), if there is one.
    fn write(&self, out: &mut Vec<u8>, path: &[&str], mark: &mut Option<usize>) {
        out.push(b'{');
        for (i, (key, entry)) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // A string always serialises.
            let _ = serde_json::to_writer(&mut *out, key.as_ref());
            out.push(b':');
            match (entry, path) {
                (Entry::Object(object), [first, rest @ ..]) if !rest.is_empty() && key == first => {
                    object.write(out, rest, mark);
                }
                _ => entry.write_to(out),
            }
            if let [last] = path
                && key == last
            {
                *mark = Some(out.len());
            }
        }
        out.push(b'}');
    }

    /// The JSON text.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out);
        out
    }
}

/// `stored` (an object's JSON without its resourceVersion, as the registry stores it) with
/// `metadata.resourceVersion` set to `revision`, where encoding the object puts it.
pub fn with_resource_version(stored: &[u8], revision: &str) -> Result<Vec<u8>, serde_json::Error> {
    let mut object = RawObject::parse(stored)?;
    object.object_entry("metadata")?.set_after(
        "resourceVersion",
        revision,
        &["name", "generateName", "namespace", "uid"],
    )?;
    let mut out = Vec::with_capacity(stored.len() + revision.len() + 22);
    object.write_to(&mut out);
    Ok(out)
}

impl Entry<'_> {
    fn write_to(&self, out: &mut Vec<u8>) {
        match self {
            Entry::Borrowed(raw) => out.extend_from_slice(raw.get().as_bytes()),
            Entry::Owned(raw) => out.extend_from_slice(raw.get().as_bytes()),
            Entry::Object(object) => object.write_to(out),
        }
    }
}

/// `stored` with `"resourceVersion":"<revision>"` inserted at `at`, an offset just past an
/// entry of its metadata (see [`RawObject::write_marking`]). `None` if `at` is not inside
/// `stored`.
pub fn insert_resource_version(stored: &[u8], at: usize, revision: &str) -> Option<Vec<u8>> {
    let (head, tail) = (stored.get(..at)?, stored.get(at..)?);
    let mut out = Vec::with_capacity(stored.len() + revision.len() + 22);
    out.extend_from_slice(head);
    out.extend_from_slice(b",\"resourceVersion\":");
    serde_json::to_writer(&mut out, revision).ok()?;
    out.extend_from_slice(tail);
    Some(out)
}

/// A key, borrowed from the input unless it had escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Key<'de>, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct EntriesVisitor;

impl<'de> Visitor<'de> for EntriesVisitor {
    type Value = RawObject<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawObject<'de>, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some(Key(key)) = map.next_key()? {
            let value: &'de RawValue = map.next_value_seed(RawSeed)?;
            entries.push((key, Entry::Borrowed(value)));
        }
        Ok(RawObject { entries })
    }
}

struct RawSeed;

impl<'de> DeserializeSeed<'de> for RawSeed {
    type Value = &'de RawValue;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<&'de RawValue, D::Error> {
        <&'de RawValue>::deserialize(deserializer)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn an_unedited_object_writes_back_as_it_came() {
        let input = br#"{"b":{"x":[1,2,{"y":"\u00e9"}]},"a":"q\"uote","c":null,"d":1.50}"#;
        let object = RawObject::parse(input).expect("parse");
        assert_eq!(object.to_json(), input.to_vec());
    }

    #[test]
    fn edits_replace_in_place_and_insert_in_key_order() {
        let input = br#"{"apiVersion":"v1","metadata":{"name":"p","resourceVersion":"7","generation":1},"spec":{"containers":[{"name":"c"}],"restartPolicy":"Always"}}"#;
        let mut object = RawObject::parse(input).expect("parse");
        let meta = object
            .object_mut("metadata")
            .expect("meta")
            .expect("present");
        assert!(meta.remove("resourceVersion"));
        let generation: i64 = meta.get("generation").expect("generation");
        meta.set("generation", &(generation + 1)).expect("set");
        let spec = object.object_entry("spec").expect("spec");
        spec.set("nodeName", "n1").expect("set");
        let status = object.object_entry("status").expect("status");
        status
            .set("conditions", &json!([{"type": "PodScheduled"}]))
            .expect("set");
        let written: Value = serde_json::from_slice(&object.to_json()).expect("json");
        assert_eq!(
            written,
            json!({
                "apiVersion": "v1",
                "metadata": {"name": "p", "generation": 2},
                "spec": {"containers": [{"name": "c"}], "nodeName": "n1", "restartPolicy": "Always"},
                "status": {"conditions": [{"type": "PodScheduled"}]},
            })
        );
        // Key order as encoding the edited object gives (sorted body maps).
        let text = String::from_utf8(object.to_json()).expect("utf8");
        assert!(text.find("containers") < text.find("nodeName"));
        assert!(text.find("nodeName") < text.find("restartPolicy"));
        assert!(text.find("\"spec\"") < text.find("\"status\""));
    }

    #[test]
    fn reads_typed_values_and_refuses_what_is_not_an_object() {
        let mut object =
            RawObject::parse(br#"{"s":"x","n":null,"o":{"k":true},"a":[1]}"#).expect("parse");
        assert_eq!(object.get::<String>("s").as_deref(), Some("x"));
        assert_eq!(object.get::<String>("n"), None);
        assert_eq!(object.get::<String>("missing"), None);
        assert!(object.object_mut("n").expect("null is no object").is_none());
        assert!(object.object_mut("a").is_err());
        let o = object.object_mut("o").expect("o").expect("present");
        assert_eq!(o.get::<bool>("k"), Some(true));
        assert!(RawObject::parse(b"[1]").is_err());
        // A repeated key reads as decoding reads it: the last one.
        let repeated = RawObject::parse(br#"{"k":"first","k":"last"}"#).expect("parse");
        assert_eq!(repeated.get::<String>("k").as_deref(), Some("last"));
        assert!(RawObject::parse(br#"{"a":1} x"#).is_err());
    }

    #[test]
    fn the_resource_version_goes_where_encoding_puts_it() {
        let object: crate::Object = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "d", "uid": "u", "generation": 3,
                         "labels": {"a": "b"}},
            "spec": {"nodeName": "n"},
        }))
        .expect("object");
        let stored = object.to_json();
        let mut versioned = object.clone();
        versioned.metadata.resource_version = "42".into();
        assert_eq!(
            with_resource_version(&stored, "42").expect("splice"),
            versioned.to_json()
        );
    }

    #[test]
    fn a_marked_write_places_the_resource_version_as_encoding_does() {
        let object: crate::Object = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "d", "uid": "u", "generation": 3},
            "spec": {"nodeName": "n"},
        }))
        .expect("object");
        let stored = object.to_json();
        let mut raw = RawObject::parse(&stored).expect("parse");
        raw.object_mut("metadata").expect("metadata");
        let mut out = Vec::new();
        let at = raw
            .write_marking(&mut out, "metadata", "uid")
            .expect("marked");
        assert_eq!(out, stored, "the same text");
        let mut versioned = object.clone();
        versioned.metadata.resource_version = "42".into();
        assert_eq!(
            insert_resource_version(&out, at, "42").expect("insert"),
            versioned.to_json()
        );
        assert!(insert_resource_version(&out, out.len() + 1, "42").is_none());
        // Unopened or absent: no mark.
        let raw = RawObject::parse(&stored).expect("parse");
        assert_eq!(raw.write_marking(&mut Vec::new(), "metadata", "uid"), None);
    }

    #[test]
    fn an_edited_replacement_stays_valid() {
        let mut object = RawObject::parse(br#"{"a":1}"#).expect("parse");
        object.set("o", &json!({"z": 1, "b": 2})).expect("set");
        object
            .object_mut("o")
            .expect("o")
            .expect("present")
            .set("c", &3)
            .expect("set");
        let written: Value = serde_json::from_slice(&object.to_json()).expect("json");
        assert_eq!(written, json!({"a": 1, "o": {"z": 1, "b": 2, "c": 3}}));
    }
}

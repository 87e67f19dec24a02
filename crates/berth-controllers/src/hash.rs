//! Hashes of object templates, as upstream's `ComputeHash`: FNV-1a (32 bits) over a canonical
//! JSON form (sorted keys; nulls, empty objects and empty arrays dropped, so server defaults
//! and absent fields hash alike) and the owner's collision count, the decimal digits spelled
//! in a vowel-free alphabet. Names the ReplicaSets of Deployments (`pod-template-hash`) and
//! the ControllerRevisions of DaemonSets and StatefulSets (`controller-revision-hash`).

use std::collections::BTreeMap;

use serde_json::Value;

/// The characters upstream's `SafeEncodeString` maps digits onto (no vowels, no look-alikes).
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `value` without nulls, empty objects and empty arrays, recursively.
pub fn canonical(value: Value) -> Option<Value> {
    match value {
        Value::Null => None,
        Value::Object(map) => {
            let map: serde_json::Map<String, Value> = map
                .into_iter()
                .filter_map(|(k, v)| canonical(v).map(|v| (k, v)))
                .collect();
            (!map.is_empty()).then_some(Value::Object(map))
        }
        Value::Array(items) => {
            let items: Vec<Value> = items
                .into_iter()
                .map(|v| canonical(v).unwrap_or(Value::Null))
                .collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        other => Some(other),
    }
}

/// Canonical JSON text with sorted keys.
fn canonical_text(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical_text(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_text(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The hash of `value` (canonical already) and `collision_count`.
pub fn of(value: Option<&Value>, collision_count: Option<i32>) -> String {
    let mut text = String::new();
    if let Some(value) = value {
        canonical_text(value, &mut text);
    }
    let mut h: u32 = 0x811c_9dc5;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u32::from(*b);
            h = h.wrapping_mul(0x0100_0193);
        }
    };
    feed(text.as_bytes());
    if let Some(count) = collision_count {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&count.to_le_bytes());
        feed(&bytes);
    }
    h.to_string()
        .bytes()
        .map(|d| char::from(ALPHANUMS[usize::from(d) % ALPHANUMS.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hashes_are_canonical_and_safe() {
        let a = canonical(json!({"b": 1, "a": {"x": []}, "c": null}));
        let b = canonical(json!({"a": {}, "b": 1}));
        assert_eq!(a, b);
        assert_eq!(of(a.as_ref(), None), of(b.as_ref(), None));
        assert_ne!(of(a.as_ref(), None), of(a.as_ref(), Some(1)));
        assert!(of(a.as_ref(), None).bytes().all(|c| ALPHANUMS.contains(&c)));
    }
}

//! Keys and key ranges.
//!
//! Keys are UTF-8 strings such as `/registry/pods/default/web-0`. A prefix selects the half-open
//! byte range `[prefix, prefix_end(prefix))`, exactly as etcd's `WithPrefix` does, so both
//! backends agree on what a prefix contains.

use crate::StoreError;

/// The longest key either backend accepts (etcd's default request limit is far larger; this
/// keeps a runaway caller from storing megabyte keys).
pub const MAX_KEY_LEN: usize = 4096;

/// Checks that `key` can be stored: not empty, no NUL byte, at most [`MAX_KEY_LEN`] bytes.
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    let reason = if key.is_empty() {
        "must not be empty"
    } else if key.len() > MAX_KEY_LEN {
        "is longer than 4096 bytes"
    } else if key.contains('\0') {
        "must not contain a NUL byte"
    } else {
        return Ok(());
    };
    Err(StoreError::InvalidKey {
        key: key.chars().take(128).collect(),
        reason,
    })
}

/// The first byte string after every key that starts with `prefix`, or `None` when no such
/// bound exists (an empty prefix, or one made only of 0xff bytes): the range is then unbounded.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_increments_the_last_byte() {
        assert_eq!(
            prefix_end(b"/registry/pods/"),
            Some(b"/registry/pods0".to_vec())
        );
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn bad_keys_are_rejected_with_a_reason() {
        for (key, ok) in [("/a", true), ("", false), ("a\0b", false)] {
            assert_eq!(validate_key(key).is_ok(), ok, "{key:?}");
        }
        let long = "k".repeat(MAX_KEY_LEN + 1);
        let err = validate_key(&long).expect_err("too long");
        assert!(err.to_string().contains("longer than"), "{err}");
    }
}

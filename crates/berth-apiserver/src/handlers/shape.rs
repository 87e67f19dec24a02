//! What a read returns, negotiated from its `Accept` header as upstream does: the objects
//! themselves, a `Table` (kubectl's `get`), or their metadata only (`PartialObjectMetadata`,
//! what metadata-only informers such as a garbage collector's ask for). The first media type
//! in the header that names one of these wins.

use axum::http::{HeaderMap, header};
use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Objects,
    Table,
    /// `PartialObjectMetadata` (one object, or each item and watch event) in a
    /// `PartialObjectMetadataList` (a list).
    Metadata,
}

/// The shape the client asked for.
pub fn shape(headers: &HeaderMap) -> Shape {
    for media in headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
    {
        if media.contains("as=Table") {
            return Shape::Table;
        }
        if media.contains("as=PartialObjectMetadata") {
            return Shape::Metadata;
        }
        if !media.contains("as=") {
            return Shape::Objects;
        }
    }
    Shape::Objects
}

pub const METADATA_API_VERSION: &str = "meta.k8s.io/v1";

/// The `PartialObjectMetadata` of a serialised object: its `metadata` as it is, under the
/// metadata kind.
pub fn metadata_of(object: &[u8]) -> Vec<u8> {
    #[derive(Deserialize)]
    struct Metadata<'a> {
        #[serde(borrow)]
        metadata: Option<&'a RawValue>,
    }
    let metadata = serde_json::from_slice::<Metadata>(object)
        .ok()
        .and_then(|m| m.metadata)
        .map_or("{}", RawValue::get);
    let head = br#"{"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":"#;
    let mut out = Vec::with_capacity(head.len() + metadata.len() + 1);
    out.extend_from_slice(head);
    out.extend_from_slice(metadata.as_bytes());
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn accept(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_static(value));
        headers
    }

    #[test]
    fn the_first_acceptable_media_type_wins() {
        assert_eq!(shape(&HeaderMap::new()), Shape::Objects);
        assert_eq!(shape(&accept("application/json")), Shape::Objects);
        assert_eq!(
            shape(&accept(
                "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
            )),
            Shape::Table
        );
        assert_eq!(
            shape(&accept(
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
            )),
            Shape::Metadata
        );
        assert_eq!(
            shape(&accept(
                "application/json,application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
            )),
            Shape::Objects
        );
    }

    #[test]
    fn metadata_keeps_the_metadata_and_nothing_else() {
        let object = br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","uid":"u","finalizers":["f"]},"data":{"k":"v"}}"#;
        let partial: serde_json::Value =
            serde_json::from_slice(&metadata_of(object)).expect("json");
        assert_eq!(
            partial,
            serde_json::json!({
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": {"name": "a", "uid": "u", "finalizers": ["f"]},
            })
        );
    }
}

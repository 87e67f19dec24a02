//! OpenAPI v3, generated from the catalogue: the index (`/openapi/v3`) and one document per
//! group version (`/openapi/v3/apis/apps/v1`).
//!
//! kubectl decides from these documents whether the server validates fields itself: it looks
//! for PATCH operations tagged with `x-kubernetes-group-version-kind` that accept a
//! `fieldValidation` parameter. Without them `apply`, `create -f`, `replace` and `edit` refuse to
//! run unless `--validate=false`. The schemas here are minimal (apiVersion, kind, metadata and an
//! open object); full schemas with descriptions, for `kubectl explain`, come later.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use berth_api::ResourceType;
use berth_api::catalogue::{groups, resources_of};
use serde_json::{Map, Value, json};

/// The path segment of a group version in OpenAPI URLs: `api/v1` or `apis/apps/v1`.
fn gv_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// A stable hash of a document, for the index's cache-busting `hash` parameter.
fn hash(text: &str) -> String {
    // FNV-1a, 64 bit: enough to change when the document does.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016X}")
}

fn schema_name(rt: &ResourceType) -> String {
    let group = if rt.group.is_empty() {
        "core"
    } else {
        rt.group
    };
    format!("io.berth.{group}.{}.{}", rt.version, rt.kind)
}

fn parameters() -> Value {
    json!([
        {"name": "dryRun", "in": "query", "description": "When present, indicates that modifications should not be persisted.", "schema": {"type": "string", "uniqueItems": true}},
        {"name": "fieldManager", "in": "query", "description": "fieldManager is a name associated with the actor or entity that is making these changes.", "schema": {"type": "string", "uniqueItems": true}},
        {"name": "fieldValidation", "in": "query", "description": "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.", "schema": {"type": "string", "uniqueItems": true}},
    ])
}

fn document(group: &str, version: &str) -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    for rt in resources_of(group, version) {
        let gvk = json!({"group": rt.group, "version": rt.version, "kind": rt.kind});
        let reference = json!({"$ref": format!("#/components/schemas/{}", schema_name(rt))});
        let item = if rt.namespaced() {
            format!(
                "/{}/namespaces/{{namespace}}/{}/{{name}}",
                gv_path(group, version),
                rt.plural
            )
        } else {
            format!("/{}/{}/{{name}}", gv_path(group, version), rt.plural)
        };
        let ok = json!({"200": {"description": "OK", "content": {"application/json": {"schema": reference}}}});
        paths.insert(
            item,
            json!({
                "get": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "get", "responses": ok},
                "put": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "put", "parameters": parameters(),
                        "requestBody": {"content": {"application/json": {"schema": reference}}}, "responses": ok},
                "patch": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch", "parameters": parameters(),
                          "requestBody": {"content": {"application/merge-patch+json": {"schema": {"type": "object"}}}},
                          "responses": ok},
            }),
        );
        schemas.insert(
            schema_name(rt),
            json!({
                "type": "object",
                "description": format!("{} of {}", rt.kind, if group.is_empty() { "core".to_string() } else { group.to_string() }),
                "properties": {
                    "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."},
                    "kind": {"type": "string", "description": "Kind is a string value representing the REST resource this object represents."},
                    "metadata": {"type": "object", "description": "Standard object's metadata.", "x-kubernetes-preserve-unknown-fields": true},
                },
                "x-kubernetes-preserve-unknown-fields": true,
                "x-kubernetes-group-version-kind": [{"group": rt.group, "version": rt.version, "kind": rt.kind}],
            }),
        );
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

fn json_response(body: &Value, cache: &'static str) -> Response {
    let mut response = serde_json::to_vec(body).unwrap_or_default().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `GET /openapi/v3`.
pub fn index() -> Response {
    let mut paths = Map::new();
    for (group, versions) in groups() {
        for version in versions {
            let path = gv_path(group, version);
            let doc = document(group, version).to_string();
            paths.insert(
                path.clone(),
                json!({"serverRelativeURL": format!("/openapi/v3/{path}?hash={}", hash(&doc))}),
            );
        }
    }
    json_response(&json!({"paths": paths}), "no-cache, private")
}

/// `GET /openapi/v3/<api/v1 | apis/g/v>`, if served.
pub fn group_version(path: &str) -> Option<Response> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version) = match segments.as_slice() {
        ["api", version] => ("", *version),
        ["apis", group, version] => (*group, *version),
        _ => return None,
    };
    resources_of(group, version).next()?;
    Some(json_response(
        &document(group, version),
        "public, immutable",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_operations_declare_gvk_and_field_validation() {
        let doc = document("apps", "v1");
        let op = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(op["x-kubernetes-group-version-kind"]["kind"], "Deployment");
        assert!(
            op["parameters"]
                .as_array()
                .expect("params")
                .iter()
                .any(|p| p["name"] == "fieldValidation")
        );
        let nodes = document("", "v1");
        assert!(
            nodes["paths"].get("/api/v1/nodes/{name}").is_some(),
            "cluster-scoped path"
        );
    }
}

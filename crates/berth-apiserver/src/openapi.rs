//! OpenAPI v3, generated from the catalogue: the index (`/openapi/v3`) and one document per
//! group version (`/openapi/v3/apis/apps/v1`).
//!
//! kubectl decides from these documents whether the server validates fields itself: it looks
//! for PATCH operations tagged with `x-kubernetes-group-version-kind` that accept a
//! `fieldValidation` parameter. Without them `apply`, `create -f`, `replace` and `edit` refuse to
//! run unless `--validate=false`.
//!
//! Schemas come from the same upstream message schemas the protobuf decoder uses: every field
//! with its type, lists with their strategic-merge metadata (`x-kubernetes-patch-merge-key`,
//! `x-kubernetes-list-type`) and upstream's descriptions ([`berth_api::protobuf`]), so
//! `kubectl explain` reads as on any cluster. Kinds without a message schema get an open object.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use berth_api::ResourceType;
use berth_api::catalogue::{groups, resources_of};
use berth_api::protobuf::{self, Ty};
use berth_api::strategic_merge::{ListStrategy, message_list_strategy};
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
    let message = protobuf::message_name(&rt.group_version().api_version(), rt.kind);
    if protobuf::message_fields(&message).is_some() {
        component_name(&message)
    } else {
        let group = if rt.group.is_empty() {
            "core"
        } else {
            rt.group
        };
        format!("io.berth.{group}.{}.{}", rt.version, rt.kind)
    }
}

/// Upstream's OpenAPI name of a protobuf message: `k8s.io.api.apps.v1.Deployment` →
/// `io.k8s.api.apps.v1.Deployment`.
fn component_name(message: &str) -> String {
    match message.strip_prefix("k8s.io.") {
        Some(rest) => format!("io.k8s.{rest}"),
        None => message.to_string(),
    }
}

fn scalar_schema(ty: Ty) -> Value {
    match ty {
        Ty::String => json!({"type": "string"}),
        Ty::Bytes => json!({"type": "string", "format": "byte"}),
        Ty::Bool => json!({"type": "boolean"}),
        Ty::Int32 | Ty::Uint32 => json!({"type": "integer", "format": "int32"}),
        Ty::Int64 | Ty::Uint64 => json!({"type": "integer", "format": "int64"}),
        Ty::Double | Ty::Float => json!({"type": "number", "format": "double"}),
        Ty::Message(_) | Ty::Map(..) => json!({"type": "object"}),
    }
}

/// The schema of a value of type `ty`; referenced messages are queued for emission.
fn type_schema(ty: Ty, pending: &mut Vec<&'static str>) -> Value {
    match ty {
        Ty::Message(name) => match name {
            "k8s.io.apimachinery.pkg.util.intstr.IntOrString" => {
                json!({"x-kubernetes-int-or-string": true})
            }
            "k8s.io.apimachinery.pkg.api.resource.Quantity" => json!({"type": "string"}),
            "k8s.io.apimachinery.pkg.apis.meta.v1.Time"
            | "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime" => {
                json!({"type": "string", "format": "date-time"})
            }
            "k8s.io.apimachinery.pkg.apis.meta.v1.Duration" => json!({"type": "string"}),
            "k8s.io.apimachinery.pkg.runtime.RawExtension"
            | "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1" => json!({"type": "object"}),
            _ => {
                pending.push(name);
                json!({"allOf": [{"$ref": format!("#/components/schemas/{}", component_name(name))}], "default": {}})
            }
        },
        Ty::Map(_, value) => {
            json!({"type": "object", "additionalProperties": type_schema(*value, pending)})
        }
        scalar => scalar_schema(scalar),
    }
}

/// Properties of a message, with inlined (embedded) messages' properties merged in.
fn properties(message: &'static str, pending: &mut Vec<&'static str>) -> Map<String, Value> {
    let mut out = Map::new();
    for field in protobuf::message_fields(message).unwrap_or(&[]) {
        if protobuf::INLINED.contains(&field.name)
            && let Ty::Message(inner) = field.ty
        {
            out.extend(properties(inner, pending));
            continue;
        }
        let item = type_schema(field.ty, pending);
        let mut schema = if field.repeated {
            let mut list = json!({"type": "array", "items": item});
            match message_list_strategy(message, field.name) {
                ListStrategy::MergeByKey(key) => {
                    list["x-kubernetes-patch-merge-key"] = json!(key);
                    list["x-kubernetes-patch-strategy"] = json!("merge");
                    list["x-kubernetes-list-type"] = json!("map");
                    list["x-kubernetes-list-map-keys"] = json!([key]);
                }
                ListStrategy::MergeSet => {
                    list["x-kubernetes-patch-strategy"] = json!("merge");
                    list["x-kubernetes-list-type"] = json!("set");
                }
                ListStrategy::Replace => list["x-kubernetes-list-type"] = json!("atomic"),
            }
            list
        } else {
            item
        };
        if let Some(doc) = protobuf::field_description(message, field.tag) {
            schema["description"] = json!(doc);
        }
        out.insert(protobuf::json_name(field.name).to_string(), schema);
    }
    out
}

/// Component schemas for a kind's message and every message it references.
fn message_schemas(root: &'static str, rt: &ResourceType, schemas: &mut Map<String, Value>) {
    let mut pending = vec![root];
    while let Some(message) = pending.pop() {
        let name = component_name(message);
        if schemas.contains_key(&name) {
            continue;
        }
        let mut props = properties(message, &mut pending);
        let mut schema = json!({"type": "object"});
        if let Some(doc) = protobuf::message_description(message) {
            schema["description"] = json!(doc);
        }
        if message == root {
            props.insert("apiVersion".into(), json!({"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."}));
            props.insert("kind".into(), json!({"type": "string", "description": "Kind is a string value representing the REST resource this object represents."}));
            schema["x-kubernetes-group-version-kind"] =
                json!([{"group": rt.group, "version": rt.version, "kind": rt.kind}]);
        }
        schema["properties"] = Value::Object(props);
        schemas.insert(name, schema);
    }
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
        let message = protobuf::message_name(&rt.group_version().api_version(), rt.kind);
        if let Some(root) = protobuf::MESSAGE_NAMES
            .iter()
            .copied()
            .find(|m| *m == message)
        {
            message_schemas(root, rt, &mut schemas);
            continue;
        }
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
    fn schemas_carry_types_and_patch_metadata() {
        let doc = document("apps", "v1");
        let schemas = &doc["components"]["schemas"];
        let deployment = &schemas["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            deployment["x-kubernetes-group-version-kind"][0]["kind"],
            "Deployment"
        );
        let pod_spec = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"];
        assert_eq!(
            pod_spec["containers"]["x-kubernetes-patch-merge-key"],
            "name"
        );
        let container = &schemas["io.k8s.api.core.v1.Container"]["properties"];
        assert_eq!(
            container["ports"]["x-kubernetes-patch-merge-key"],
            "containerPort"
        );
        assert_eq!(container["image"]["type"], "string");
        // Probe inlines its handler.
        assert!(
            schemas["io.k8s.api.core.v1.Probe"]["properties"]
                .get("httpGet")
                .is_some()
        );
    }

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

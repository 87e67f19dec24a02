//! OpenAPI, generated from the catalogue: v3 (the index `/openapi/v3` and one document per group
//! version, `/openapi/v3/apis/apps/v1`) and v2 (`/openapi/v2`, one swagger 2.0 document for
//! everything, as JSON or as gnostic's protobuf `openapi.v2.Document`).
//!
//! kubectl decides from the v3 documents whether the server validates fields itself: it looks
//! for PATCH operations tagged with `x-kubernetes-group-version-kind` that accept a
//! `fieldValidation` parameter. Without them `apply`, `create -f`, `replace` and `edit` refuse to
//! run unless `--validate=false`.
//!
//! kubectl reads v2 where it validates on the client: a `kind: List` document (its fieldValidation
//! verifier calls `v1 List` unsupported, so with the default `--validate=strict` every item is
//! checked against the v2 definitions by their `x-kubernetes-group-version-kind`). client-go's
//! `OpenAPISchema()` asks for `application/com.github.proto-openapi.spec.v2@v1.0+protobuf` only
//! and feeds the body to `proto.Unmarshal`, so JSON is no fallback there: the protobuf form is
//! hand-encoded here ([`gnostic`]). Both forms are built once, on first use.
//!
//! Schemas come from the same upstream message schemas the protobuf decoder uses: every field
//! with its type, lists with their strategic-merge metadata (`x-kubernetes-patch-merge-key`,
//! `x-kubernetes-list-type`) and upstream's descriptions ([`berth_api::protobuf`]), so
//! `kubectl explain` reads as on any cluster. Kinds without a message schema get an open object.

use std::sync::OnceLock;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use berth_api::ResourceType;
use berth_api::catalogue::{groups, resources_of};
use berth_api::protobuf::{self, Ty};
use berth_api::strategic_merge::{ListStrategy, message_list_strategy};
use bytes::Bytes;
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

/// The two shapes the same schemas are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// OpenAPI 3 (`#/components/schemas/…`), references wrapped in `allOf` as upstream does.
    V3,
    /// Swagger 2.0 (`#/definitions/…`) in the forms kubectl's parser (kube-openapi's
    /// `proto.NewOpenAPIData`) accepts: a `$ref` stands alone (no type, no properties),
    /// arrays have one `items` schema, every reference resolves.
    V2,
}

impl Dialect {
    fn reference(self, name: &str) -> Value {
        match self {
            Dialect::V3 => {
                json!({"allOf": [{"$ref": format!("#/components/schemas/{name}")}], "default": {}})
            }
            Dialect::V2 => json!({"$ref": format!("#/definitions/{name}")}),
        }
    }
}

fn schema_name(rt: &ResourceType) -> String {
    match kind_message(rt) {
        Some(message) => component_name(message),
        None => {
            let group = if rt.group.is_empty() {
                "core"
            } else {
                rt.group
            };
            format!("io.berth.{group}.{}.{}", rt.version, rt.kind)
        }
    }
}

/// The message schema of a kind, if the schema table has one.
fn kind_message(rt: &ResourceType) -> Option<&'static str> {
    let message = protobuf::message_name(&rt.group_version().api_version(), rt.kind);
    protobuf::MESSAGE_NAMES
        .iter()
        .copied()
        .find(|m| *m == message)
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
fn type_schema(ty: Ty, pending: &mut Vec<&'static str>, dialect: Dialect) -> Value {
    match ty {
        Ty::Message(name) => match name {
            "k8s.io.apimachinery.pkg.util.intstr.IntOrString" => match dialect {
                Dialect::V3 => json!({"x-kubernetes-int-or-string": true}),
                Dialect::V2 => json!({"type": "string", "format": "int-or-string"}),
            },
            "k8s.io.apimachinery.pkg.api.resource.Quantity" => json!({"type": "string"}),
            "k8s.io.apimachinery.pkg.apis.meta.v1.Time"
            | "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime" => {
                json!({"type": "string", "format": "date-time"})
            }
            "k8s.io.apimachinery.pkg.apis.meta.v1.Duration" => json!({"type": "string"}),
            "k8s.io.apimachinery.pkg.runtime.RawExtension"
            | "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1" => json!({"type": "object"}),
            // A message on the wire, a list of strings in JSON (`type ExtraValue []string`).
            "k8s.io.api.authentication.v1.ExtraValue"
            | "k8s.io.api.authorization.v1.ExtraValue" => {
                json!({"type": "array", "items": {"type": "string"}})
            }
            // Not in the schema table: an object of any shape rather than one without fields.
            _ if protobuf::message_fields(name).is_none() => json!({"type": "object"}),
            _ => {
                pending.push(name);
                dialect.reference(&component_name(name))
            }
        },
        Ty::Map(_, value) => {
            json!({"type": "object", "additionalProperties": type_schema(*value, pending, dialect)})
        }
        scalar => scalar_schema(scalar),
    }
}

/// Properties of a message, with inlined (embedded) messages' properties merged in.
fn properties(
    message: &'static str,
    pending: &mut Vec<&'static str>,
    dialect: Dialect,
) -> Map<String, Value> {
    let mut out = Map::new();
    for field in protobuf::message_fields(message).unwrap_or(&[]) {
        if protobuf::INLINED.contains(&field.name)
            && let Ty::Message(inner) = field.ty
        {
            out.extend(properties(inner, pending, dialect));
            continue;
        }
        let item = type_schema(field.ty, pending, dialect);
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

/// Schemas for `root` and every message it references, skipping those already in `schemas`.
fn message_schemas(root: &'static str, dialect: Dialect, schemas: &mut Map<String, Value>) {
    let mut pending = vec![root];
    while let Some(message) = pending.pop() {
        let name = component_name(message);
        if schemas.contains_key(&name) {
            continue;
        }
        let props = properties(message, &mut pending, dialect);
        let mut schema = json!({"type": "object"});
        if let Some(doc) = protobuf::message_description(message) {
            schema["description"] = json!(doc);
        }
        schema["properties"] = Value::Object(props);
        schemas.insert(name, schema);
    }
}

/// The properties every kind has besides its message's fields.
fn type_meta(props: &mut Map<String, Value>) {
    props.insert("apiVersion".into(), json!({"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."}));
    props.insert("kind".into(), json!({"type": "string", "description": "Kind is a string value representing the REST resource this object represents."}));
}

/// Makes a message's schema the schema of `rt`'s kind: `apiVersion` and `kind` properties and
/// the kind in `x-kubernetes-group-version-kind` (a list: one message may serve several).
fn mark_kind(schema: &mut Value, rt: &ResourceType) {
    if let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        type_meta(props);
    }
    let gvk = json!({"group": rt.group, "version": rt.version, "kind": rt.kind});
    match schema
        .get_mut("x-kubernetes-group-version-kind")
        .and_then(Value::as_array_mut)
    {
        Some(kinds) if kinds.contains(&gvk) => {}
        Some(kinds) => kinds.push(gvk),
        None => schema["x-kubernetes-group-version-kind"] = json!([gvk]),
    }
}

/// The schema of a kind without a message schema: any fields.
fn open_kind(rt: &ResourceType, dialect: Dialect) -> Value {
    let group = if rt.group.is_empty() {
        "core"
    } else {
        rt.group
    };
    let mut schema = json!({
        "type": "object",
        "description": format!("{} of {group}", rt.kind),
        "x-kubernetes-group-version-kind": [{"group": rt.group, "version": rt.version, "kind": rt.kind}],
    });
    // Swagger 2.0 as kubectl reads it has no `x-kubernetes-preserve-unknown-fields`: an object
    // without properties is its open object; listed properties would make others unknown.
    if dialect == Dialect::V3 {
        schema["properties"] = json!({
            "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."},
            "kind": {"type": "string", "description": "Kind is a string value representing the REST resource this object represents."},
            "metadata": {"type": "object", "description": "Standard object's metadata.", "x-kubernetes-preserve-unknown-fields": true},
        });
        schema["x-kubernetes-preserve-unknown-fields"] = json!(true);
    }
    schema
}

/// Every kind's schema (and what it references) into `schemas`.
fn kind_schemas<'a>(
    kinds: impl Iterator<Item = &'a ResourceType>,
    dialect: Dialect,
    schemas: &mut Map<String, Value>,
) {
    for rt in kinds {
        match kind_message(rt) {
            Some(root) => {
                message_schemas(root, dialect, schemas);
                if let Some(schema) = schemas.get_mut(&component_name(root)) {
                    mark_kind(schema, rt);
                }
            }
            None => {
                schemas.insert(schema_name(rt), open_kind(rt, dialect));
            }
        }
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
    }
    let mut schemas = Map::new();
    kind_schemas(resources_of(group, version), Dialect::V3, &mut schemas);
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// The swagger 2.0 document: every served kind's definition. `paths` stays empty: kubectl needs
/// v2 for its definitions only. (Its v2 patch-type lookup for client-side apply then finds no
/// PATCH operation and falls back to its built-in types, the strategic merge patch it sent before
/// v2 was served; whether the server validates fields it reads from v3.)
fn swagger() -> Value {
    let mut definitions = Map::new();
    for (group, versions) in groups() {
        for version in versions {
            kind_schemas(resources_of(group, version), Dialect::V2, &mut definitions);
        }
    }
    json!({
        "swagger": "2.0",
        "info": {"title": "Kubernetes", "version": "v1.33.0"},
        "paths": {},
        "definitions": definitions,
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

/// The media type kubectl asks `/openapi/v2` for (client-go's `openapiV2mimePb`), and the one
/// upstream answers with: `@` is no token character, so Go's `mime.ParseMediaType` (run by
/// client-go on every response's Content-Type) would refuse the first.
const PROTOBUF_ACCEPTED: &str = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
const PROTOBUF: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// `/openapi/v2` in both encodings, with their ETags.
struct SwaggerDocument {
    json: Bytes,
    json_etag: HeaderValue,
    protobuf: Bytes,
    protobuf_etag: HeaderValue,
}

fn swagger_document() -> &'static SwaggerDocument {
    static DOCUMENT: OnceLock<SwaggerDocument> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let doc = swagger();
        let json = Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
        let protobuf = Bytes::from(gnostic::document(&doc));
        SwaggerDocument {
            json_etag: etag(&json),
            json,
            protobuf_etag: etag(&protobuf),
            protobuf,
        }
    })
}

/// Upstream's ETag: the quoted upper-case hex SHA-512 of the body.
fn etag(body: &[u8]) -> HeaderValue {
    let digest = ring::digest::digest(&ring::digest::SHA512, body);
    let hex: String = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    HeaderValue::from_str(&format!("\"{hex}\"")).unwrap_or(HeaderValue::from_static("\"\""))
}

/// `GET /openapi/v2`: protobuf when the Accept header asks for it, else JSON (for no Accept,
/// `application/json`, `application/*` or `*/*`); anything else is 406, as upstream.
pub fn v2(headers: &HeaderMap) -> Response {
    let accepted: Vec<String> = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|t| !t.is_empty())
        .collect();
    let document = swagger_document();
    let protobuf = accepted
        .iter()
        .any(|t| t == PROTOBUF_ACCEPTED || t == PROTOBUF);
    let json = accepted.is_empty()
        || accepted
            .iter()
            .any(|t| t == "application/json" || t == "application/*" || t == "*/*");
    let (body, content_type, etag) = if protobuf {
        (&document.protobuf, PROTOBUF, &document.protobuf_etag)
    } else if json {
        (&document.json, "application/json", &document.json_etag)
    } else {
        return (
            StatusCode::NOT_ACCEPTABLE,
            format!(
                "/openapi/v2 is served as application/json or {PROTOBUF}, not {}",
                accepted.join(", ")
            ),
        )
            .into_response();
    };
    let fresh = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().as_bytes() == etag.as_bytes());
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.clone().into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(header::ETAG, etag.clone());
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, private"),
    );
    out.insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}

/// The protobuf encoding of a swagger 2.0 JSON document as gnostic's `openapi.v2.Document`
/// (github.com/google/gnostic-models, `openapiv2/OpenAPIv2.proto`), the form client-go decodes.
/// Covers what [`swagger`] writes: the document's header, `definitions` and every schema
/// keyword of swagger 2.0. `paths` is written as an empty `Paths` (the document has none).
/// Free-form values (`default`, `enum`, `example`, `x-…` extensions) are gnostic `Any`s holding
/// YAML text, which JSON is.
mod gnostic {
    use serde_json::Value;

    const VARINT: u32 = 0;
    const FIXED64: u32 = 1;
    const LEN: u32 = 2;

    fn varint(out: &mut Vec<u8>, mut value: u64) {
        while value >= 0x80 {
            out.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }

    fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
        varint(out, u64::from((field << 3) | wire));
    }

    fn bytes(out: &mut Vec<u8>, field: u32, data: &[u8]) {
        key(out, field, LEN);
        varint(out, data.len() as u64);
        out.extend_from_slice(data);
    }

    fn message(out: &mut Vec<u8>, field: u32, encode: impl FnOnce(&mut Vec<u8>)) {
        let mut inner = Vec::new();
        encode(&mut inner);
        bytes(out, field, &inner);
    }

    fn string(out: &mut Vec<u8>, field: u32, value: &Value) {
        if let Some(text) = value.as_str() {
            bytes(out, field, text.as_bytes());
        }
    }

    /// A `repeated string` from a string or an array of strings.
    fn strings(out: &mut Vec<u8>, field: u32, value: &Value) {
        match value {
            Value::Array(items) => items.iter().for_each(|item| string(out, field, item)),
            other => string(out, field, other),
        }
    }

    fn boolean(out: &mut Vec<u8>, field: u32, value: &Value) {
        if value.as_bool() == Some(true) {
            key(out, field, VARINT);
            out.push(1);
        }
    }

    fn int64(out: &mut Vec<u8>, field: u32, value: &Value) {
        if let Some(n) = value.as_i64() {
            key(out, field, VARINT);
            // Two's complement, as protobuf writes negative int64s.
            varint(out, n as u64);
        }
    }

    fn double(out: &mut Vec<u8>, field: u32, value: &Value) {
        if let Some(n) = value.as_f64() {
            key(out, field, FIXED64);
            out.extend_from_slice(&n.to_le_bytes());
        }
    }

    /// `Any { string yaml = 2; }`. Pretty JSON, so every `:` is followed by a space as YAML
    /// wants.
    fn any(out: &mut Vec<u8>, field: u32, value: &Value) {
        let yaml = serde_json::to_string_pretty(value).unwrap_or_default();
        message(out, field, |any| bytes(any, 2, yaml.as_bytes()));
    }

    /// `repeated NamedAny vendor_extension`: the object's `x-…` keys.
    fn vendor_extensions(out: &mut Vec<u8>, field: u32, object: &Value) {
        for (name, value) in object.as_object().into_iter().flatten() {
            if name.starts_with("x-") {
                message(out, field, |named| {
                    bytes(named, 1, name.as_bytes());
                    any(named, 2, value);
                });
            }
        }
    }

    /// `repeated NamedSchema` from a JSON object of schemas.
    fn named_schemas(out: &mut Vec<u8>, field: u32, object: &Value) {
        for (name, value) in object.as_object().into_iter().flatten() {
            message(out, field, |named| {
                bytes(named, 1, name.as_bytes());
                message(named, 2, |s| schema(s, value));
            });
        }
    }

    /// `openapi.v2.Document`.
    pub fn document(doc: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        string(&mut out, 1, &doc["swagger"]);
        if doc["info"].is_object() {
            let info = &doc["info"];
            message(&mut out, 2, |m| {
                string(m, 1, &info["title"]);
                string(m, 2, &info["version"]);
                string(m, 3, &info["description"]);
                string(m, 4, &info["termsOfService"]);
                vendor_extensions(m, 7, info);
            });
        }
        string(&mut out, 3, &doc["host"]);
        string(&mut out, 4, &doc["basePath"]);
        strings(&mut out, 5, &doc["schemes"]);
        strings(&mut out, 6, &doc["consumes"]);
        strings(&mut out, 7, &doc["produces"]);
        message(&mut out, 8, |paths| {
            vendor_extensions(paths, 1, &doc["paths"])
        });
        message(&mut out, 9, |definitions| {
            named_schemas(definitions, 1, &doc["definitions"]);
        });
        vendor_extensions(&mut out, 16, doc);
        out
    }

    /// `openapi.v2.Schema`.
    fn schema(out: &mut Vec<u8>, s: &Value) {
        string(out, 1, &s["$ref"]);
        string(out, 2, &s["format"]);
        string(out, 3, &s["title"]);
        string(out, 4, &s["description"]);
        if let Some(default) = s.get("default") {
            any(out, 5, default);
        }
        double(out, 6, &s["multipleOf"]);
        double(out, 7, &s["maximum"]);
        boolean(out, 8, &s["exclusiveMaximum"]);
        double(out, 9, &s["minimum"]);
        boolean(out, 10, &s["exclusiveMinimum"]);
        int64(out, 11, &s["maxLength"]);
        int64(out, 12, &s["minLength"]);
        string(out, 13, &s["pattern"]);
        int64(out, 14, &s["maxItems"]);
        int64(out, 15, &s["minItems"]);
        boolean(out, 16, &s["uniqueItems"]);
        int64(out, 17, &s["maxProperties"]);
        int64(out, 18, &s["minProperties"]);
        strings(out, 19, &s["required"]);
        for value in s["enum"].as_array().into_iter().flatten() {
            any(out, 20, value);
        }
        match &s["additionalProperties"] {
            // A oneof: `false` is written too.
            Value::Bool(allowed) => message(out, 21, |m| {
                key(m, 2, VARINT);
                m.push(u8::from(*allowed));
            }),
            additional @ Value::Object(_) => {
                message(out, 21, |m| {
                    message(m, 1, |inner| schema(inner, additional))
                });
            }
            _ => {}
        }
        if !s["type"].is_null() {
            message(out, 22, |m| strings(m, 1, &s["type"]));
        }
        match &s["items"] {
            Value::Array(items) => message(out, 23, |m| {
                for item in items {
                    message(m, 1, |inner| schema(inner, item));
                }
            }),
            item @ Value::Object(_) => {
                message(out, 23, |m| message(m, 1, |inner| schema(inner, item)));
            }
            _ => {}
        }
        for item in s["allOf"].as_array().into_iter().flatten() {
            message(out, 24, |inner| schema(inner, item));
        }
        if s["properties"].is_object() {
            message(out, 25, |m| named_schemas(m, 1, &s["properties"]));
        }
        string(out, 26, &s["discriminator"]);
        boolean(out, 27, &s["readOnly"]);
        if let Some(example) = s.get("example") {
            any(out, 30, example);
        }
        vendor_extensions(out, 31, s);
    }
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

    /// Every schema in `value` (recursively), with its path.
    fn walk<'a>(path: String, value: &'a Value, out: &mut Vec<(String, &'a Value)>) {
        out.push((path.clone(), value));
        for (name, prop) in value["properties"].as_object().into_iter().flatten() {
            walk(format!("{path}.{name}"), prop, out);
        }
        if value["items"].is_object() {
            walk(format!("{path}[]"), &value["items"], out);
        }
        if value["additionalProperties"].is_object() {
            walk(format!("{path}{{}}"), &value["additionalProperties"], out);
        }
    }

    #[test]
    fn swagger_definitions_take_the_shapes_kubectl_parses() {
        let doc = swagger();
        assert_eq!(doc["swagger"], "2.0");
        assert_eq!(
            doc["paths"],
            json!({}),
            "the protobuf encoding writes no paths"
        );
        let definitions = doc["definitions"].as_object().expect("definitions");
        let mut schemas = Vec::new();
        for (name, schema) in definitions {
            walk(name.clone(), schema, &mut schemas);
        }
        for (path, schema) in schemas {
            if let Some(reference) = schema.get("$ref") {
                let target = reference
                    .as_str()
                    .and_then(|r| r.strip_prefix("#/definitions/"))
                    .unwrap_or_else(|| panic!("{path}: reference {reference}"));
                assert!(
                    definitions.contains_key(target),
                    "{path}: dangling {target}"
                );
                assert!(schema.get("type").is_none() && schema.get("properties").is_none());
            }
            assert!(schema.get("allOf").is_none(), "{path}");
            assert!(
                schema["type"].is_string() || schema["type"].is_null(),
                "{path}"
            );
            if schema["type"] == "array" {
                assert!(schema["items"].is_object(), "{path}: one items schema");
            }
        }
        let pod = &definitions["io.k8s.api.core.v1.Pod"];
        assert_eq!(
            pod["x-kubernetes-group-version-kind"],
            json!([{"group": "", "version": "v1", "kind": "Pod"}])
        );
        assert_eq!(pod["properties"]["kind"]["type"], "string");
        assert_eq!(
            pod["properties"]["spec"]["$ref"],
            "#/definitions/io.k8s.api.core.v1.PodSpec"
        );
        let container = &definitions["io.k8s.api.core.v1.Container"]["properties"];
        assert_eq!(
            container["ports"]["items"]["$ref"],
            "#/definitions/io.k8s.api.core.v1.ContainerPort"
        );
        assert_eq!(
            container["ports"]["x-kubernetes-patch-merge-key"],
            "containerPort"
        );
        let port = &definitions["io.k8s.api.core.v1.ServicePort"]["properties"]["targetPort"];
        assert_eq!(port["format"], "int-or-string");
        let deployment = &definitions["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(
            deployment["x-kubernetes-group-version-kind"][0]["group"],
            "apps"
        );
    }

    #[test]
    fn gnostic_encoding_of_a_small_document() {
        let doc = json!({
            "swagger": "2.0",
            "info": {"title": "T", "version": "1"},
            "paths": {},
            "definitions": {"A": {"type": "object", "x-k": true}},
        });
        let expected: Vec<u8> = [
            &[0x0a, 3][..],
            b"2.0",
            &[0x12, 6, 0x0a, 1, b'T', 0x12, 1, b'1'],
            &[0x42, 0],
            // definitions { additional_properties { name: "A" value { type, vendor_extension } } }
            &[0x4a, 34, 0x0a, 32, 0x0a, 1, b'A', 0x12, 27],
            &[0xb2, 0x01, 8, 0x0a, 6],
            b"object",
            &[0xfa, 0x01, 13, 0x0a, 3],
            b"x-k",
            &[0x12, 6, 0x12, 4],
            b"true",
        ]
        .concat();
        assert_eq!(gnostic::document(&doc), expected);
    }

    #[test]
    fn v2_negotiates_protobuf_json_and_etags() {
        let get = |pairs: &[(header::HeaderName, &str)]| {
            let mut headers = HeaderMap::new();
            for (name, value) in pairs {
                headers.insert(name, HeaderValue::from_str(value).expect("header"));
            }
            v2(&headers)
        };
        let protobuf = get(&[(header::ACCEPT, PROTOBUF_ACCEPTED)]);
        assert_eq!(protobuf.status(), StatusCode::OK);
        assert_eq!(protobuf.headers()[header::CONTENT_TYPE], PROTOBUF);
        let json = get(&[]);
        assert_eq!(json.headers()[header::CONTENT_TYPE], "application/json");
        let etag = json.headers()[header::ETAG]
            .to_str()
            .expect("etag")
            .to_string();
        assert_ne!(etag, protobuf.headers()[header::ETAG]);
        assert_eq!(
            get(&[(header::ACCEPT, "application/json, */*")]).headers()[header::ETAG],
            etag.as_str()
        );
        assert_eq!(
            get(&[(header::IF_NONE_MATCH, &etag)]).status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            get(&[(header::ACCEPT, "application/yaml")]).status(),
            StatusCode::NOT_ACCEPTABLE
        );
    }
}

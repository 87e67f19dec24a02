//! Decoding Kubernetes protobuf request bodies into JSON objects.
//!
//! kubectl's typed commands (`create namespace|configmap|secret|service|deployment|job|…`,
//! `create token`, `auth can-i`) send `application/vnd.kubernetes.protobuf`: the magic
//! `k8s\0`, then a `runtime.Unknown` whose `typeMeta` names the apiVersion and kind and whose
//! `raw` bytes are the object's message. The message is decoded field by field with the
//! schemas in [`schema`] into the same JSON the object would have had, so everything after
//! this module handles one representation.
//!
//! Invariant: malformed input is an error, never a panic; unknown fields are skipped (as
//! protobuf readers do), so a newer client's extra fields do not fail the request.

mod descriptions;
mod schema;

use std::collections::HashMap;
use std::sync::OnceLock;

use base64::Engine;
use serde_json::{Map, Number, Value};

/// A field's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    Uint32,
    Uint64,
    Double,
    Float,
    /// Another message, by its full name.
    Message(&'static str),
    /// A `map<K, V>` field.
    Map(&'static Ty, &'static Ty),
}

/// One field of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub tag: u32,
    pub name: &'static str,
    pub ty: Ty,
    pub repeated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtobufError {
    #[error("not a Kubernetes protobuf body (missing the k8s\\0 prefix)")]
    NoMagic,
    #[error("truncated protobuf data")]
    Truncated,
    #[error("invalid protobuf data: {0}")]
    Invalid(String),
    #[error("protobuf bodies of {api_version} {kind} are not supported; send JSON")]
    Unsupported { api_version: String, kind: String },
}

/// Fields that are Go embedded structs: JSON inlines their fields into the parent.
pub const INLINED: &[&str] = &[
    "handler",
    "volumeSource",
    "ephemeralContainerCommon",
    "ingressRuleValue",
    "localObjectReference",
];

/// Scalar fields that are pointers in Go: written on the wire only when set, so a zero or
/// `false` is a real value. Every other scalar field is a Go value type that the encoder
/// always writes; JSON leaves out its zero (`omitempty`), and so does this decoder.
const POINTER_SCALARS: &[&str] = &[
    "activeDeadlineSeconds",
    "allocateLoadBalancerNodePorts",
    "allowPrivilegeEscalation",
    "automountServiceAccountToken",
    "backoffLimit",
    "backoffLimitPerIndex",
    "completions",
    "defaultMode",
    "enableServiceLinks",
    "expirationSeconds",
    "failedJobsHistoryLimit",
    "fsGroup",
    "hostUsers",
    "immutable",
    "manualSelector",
    "maxFailedIndexes",
    "mode",
    "optional",
    "parallelism",
    "priority",
    "privileged",
    "progressDeadlineSeconds",
    "readOnlyRootFilesystem",
    "replicas",
    "revisionHistoryLimit",
    "runAsGroup",
    "runAsNonRoot",
    "runAsUser",
    "setHostnameAsFQDN",
    "shareProcessNamespace",
    "startingDeadlineSeconds",
    "successfulJobsHistoryLimit",
    "suspend",
    "terminationGracePeriodSeconds",
    "tolerationSeconds",
    "ttlSecondsAfterFinished",
    "value",
];

/// Whether a decoded value is a Go zero value JSON would omit.
fn omitted(name: &str, value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(b) => !b && !POINTER_SCALARS.contains(&name),
        Value::Number(n) => n.as_f64() == Some(0.0) && !POINTER_SCALARS.contains(&name),
        _ => false,
    }
}

/// Proto field names that differ from the JSON names.
pub fn json_name(proto: &'static str) -> &'static str {
    match proto {
        "aPIGroup" => "apiGroup",
        "uID" => "uid",
        other => other,
    }
}

/// The magic prefix of Kubernetes protobuf bodies.
pub const MAGIC: &[u8] = b"k8s\0";

/// Every message name with a schema (static, for callers that need `&'static str`).
pub static MESSAGE_NAMES: std::sync::LazyLock<Vec<&'static str>> =
    std::sync::LazyLock::new(|| schema::MESSAGES.iter().map(|(name, _)| *name).collect());

type Docs = HashMap<&'static str, (&'static str, &'static [(u32, &'static str)])>;

fn descriptions() -> &'static Docs {
    static INDEX: OnceLock<Docs> = OnceLock::new();
    INDEX.get_or_init(|| {
        descriptions::DESCRIPTIONS
            .iter()
            .map(|(name, doc, fields)| (*name, (*doc, *fields)))
            .collect()
    })
}

/// Upstream's description of a message.
pub fn message_description(name: &str) -> Option<&'static str> {
    descriptions()
        .get(name)
        .map(|(doc, _)| *doc)
        .filter(|d| !d.is_empty())
}

/// Upstream's description of a message's field.
pub fn field_description(name: &str, tag: u32) -> Option<&'static str> {
    let (_, fields) = descriptions().get(name)?;
    fields.iter().find(|(t, _)| *t == tag).map(|(_, doc)| *doc)
}

/// The fields of a message, by its full name.
pub fn message_fields(name: &str) -> Option<&'static [Field]> {
    messages().get(name).copied()
}

/// Whether a message is one JSON represents as a scalar or free-form value (IntOrString,
/// Quantity, Time, Duration, RawExtension, FieldsV1).
pub fn is_scalar_message(name: &str) -> bool {
    matches!(
        name,
        "k8s.io.apimachinery.pkg.util.intstr.IntOrString"
            | "k8s.io.apimachinery.pkg.api.resource.Quantity"
            | "k8s.io.apimachinery.pkg.apis.meta.v1.Time"
            | "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime"
            | "k8s.io.apimachinery.pkg.apis.meta.v1.Duration"
            | "k8s.io.apimachinery.pkg.runtime.RawExtension"
            | "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1"
    )
}

fn messages() -> &'static HashMap<&'static str, &'static [Field]> {
    static INDEX: OnceLock<HashMap<&'static str, &'static [Field]>> = OnceLock::new();
    INDEX.get_or_init(|| schema::MESSAGES.iter().copied().collect())
}

/// The protobuf message of an apiVersion and kind: `apps/v1 Deployment` →
/// `k8s.io.api.apps.v1.Deployment`.
pub fn message_name(api_version: &str, kind: &str) -> String {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let package = match group {
        "" => "core",
        g => g.split('.').next().unwrap_or(g),
    };
    format!("k8s.io.api.{package}.{version}.{kind}")
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn done(&self) -> bool {
        self.at >= self.bytes.len()
    }

    fn varint(&mut self) -> Result<u64, ProtobufError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.at).ok_or(ProtobufError::Truncated)?;
            self.at += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(ProtobufError::Invalid("varint longer than 10 bytes".into()))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtobufError> {
        let end = self.at.checked_add(n).ok_or(ProtobufError::Truncated)?;
        let slice = self
            .bytes
            .get(self.at..end)
            .ok_or(ProtobufError::Truncated)?;
        self.at = end;
        Ok(slice)
    }

    fn length_delimited(&mut self) -> Result<&'a [u8], ProtobufError> {
        let n = usize::try_from(self.varint()?).map_err(|_| ProtobufError::Truncated)?;
        self.take(n)
    }

    fn skip(&mut self, wire: u64) -> Result<(), ProtobufError> {
        match wire {
            0 => self.varint().map(drop),
            1 => self.take(8).map(drop),
            2 => self.length_delimited().map(drop),
            5 => self.take(4).map(drop),
            other => Err(ProtobufError::Invalid(format!(
                "unsupported wire type {other}"
            ))),
        }
    }
}

/// Go's `time.Duration.String()` of nanoseconds: `1h2m3s`, `1.5s`, `300ms`.
fn go_duration(ns: i64) -> String {
    if ns == 0 {
        return "0s".into();
    }
    let sign = if ns < 0 { "-" } else { "" };
    let ns = ns.unsigned_abs();
    if ns < 1_000_000_000 {
        return format!("{sign}{}ms", ns as f64 / 1e6);
    }
    let (h, rest) = (ns / 3_600_000_000_000, ns % 3_600_000_000_000);
    let (m, rest) = (rest / 60_000_000_000, rest % 60_000_000_000);
    let s = rest as f64 / 1e9;
    match (h, m) {
        (0, 0) => format!("{sign}{s}s"),
        (0, m) => format!("{sign}{m}m{s}s"),
        (h, m) => format!("{sign}{h}h{m}m{s}s"),
    }
}

/// Values of the well-known messages that JSON represents as scalars.
fn special(name: &str, bytes: &[u8]) -> Result<Option<Value>, ProtobufError> {
    let fields = || decode_fields(bytes, messages().get(name).copied().unwrap_or(&[]));
    Ok(Some(match name {
        "k8s.io.apimachinery.pkg.util.intstr.IntOrString" => {
            let f = fields()?;
            if f.get("type").and_then(Value::as_i64) == Some(1) {
                f.get("strVal")
                    .cloned()
                    .unwrap_or(Value::String(String::new()))
            } else {
                f.get("intVal").cloned().unwrap_or(Value::from(0))
            }
        }
        "k8s.io.apimachinery.pkg.api.resource.Quantity" => fields()?
            .get("string")
            .cloned()
            .unwrap_or(Value::String("0".into())),
        "k8s.io.apimachinery.pkg.apis.meta.v1.Time"
        | "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime" => {
            let f = fields()?;
            let seconds = f.get("seconds").and_then(Value::as_i64).unwrap_or(0);
            let nanos = f.get("nanos").and_then(Value::as_i64).unwrap_or(0);
            if seconds == 0 && nanos == 0 {
                // Go's zero time marshals as null.
                return Ok(Some(Value::Null));
            }
            let time = jiff::Timestamp::new(seconds, i32::try_from(nanos).unwrap_or(0))
                .map_err(|e| ProtobufError::Invalid(format!("time out of range: {e}")))?;
            Value::String(time.to_string())
        }
        "k8s.io.apimachinery.pkg.apis.meta.v1.Duration" => {
            let f = fields()?;
            Value::String(go_duration(
                f.get("duration").and_then(Value::as_i64).unwrap_or(0),
            ))
        }
        "k8s.io.apimachinery.pkg.runtime.RawExtension"
        | "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1" => {
            let mut reader = Reader { bytes, at: 0 };
            let mut raw: &[u8] = &[];
            while !reader.done() {
                let key = reader.varint()?;
                if key >> 3 == 1 && key & 7 == 2 {
                    raw = reader.length_delimited()?;
                } else {
                    reader.skip(key & 7)?;
                }
            }
            serde_json::from_slice(raw)
                .map_err(|e| ProtobufError::Invalid(format!("embedded JSON: {e}")))?
        }
        _ => return Ok(None),
    }))
}

fn scalar(ty: Ty, raw: u64) -> Value {
    match ty {
        Ty::Bool => Value::Bool(raw != 0),
        Ty::Int32 => Value::from(raw as i64 as i32),
        Ty::Int64 => Value::from(raw as i64),
        Ty::Uint32 => Value::from(raw as u32),
        _ => Value::from(raw),
    }
}

fn is_varint(ty: Ty) -> bool {
    matches!(
        ty,
        Ty::Bool | Ty::Int32 | Ty::Int64 | Ty::Uint32 | Ty::Uint64
    )
}

/// Decodes one value of type `ty` at the reader (its key already read, with wire type `wire`).
fn value(ty: Ty, wire: u64, reader: &mut Reader<'_>) -> Result<Vec<Value>, ProtobufError> {
    let mismatch =
        || ProtobufError::Invalid(format!("wire type {wire} does not fit a {ty:?} field"));
    Ok(match (ty, wire) {
        (t, 0) if is_varint(t) => vec![scalar(t, reader.varint()?)],
        // Packed repeated scalars.
        (t, 2) if is_varint(t) => {
            let mut packed = Reader {
                bytes: reader.length_delimited()?,
                at: 0,
            };
            let mut values = Vec::new();
            while !packed.done() {
                values.push(scalar(t, packed.varint()?));
            }
            values
        }
        (Ty::Double, 1) => {
            let b = reader.take(8)?;
            let n = f64::from_le_bytes(b.try_into().map_err(|_| ProtobufError::Truncated)?);
            vec![Number::from_f64(n).map_or(Value::Null, Value::Number)]
        }
        (Ty::Float, 5) => {
            let b = reader.take(4)?;
            let n = f32::from_le_bytes(b.try_into().map_err(|_| ProtobufError::Truncated)?);
            vec![Number::from_f64(f64::from(n)).map_or(Value::Null, Value::Number)]
        }
        (Ty::String, 2) => {
            let b = reader.length_delimited()?;
            vec![Value::String(
                std::str::from_utf8(b)
                    .map_err(|_| ProtobufError::Invalid("a string field is not UTF-8".into()))?
                    .to_string(),
            )]
        }
        (Ty::Bytes, 2) => {
            vec![Value::String(
                base64::engine::general_purpose::STANDARD.encode(reader.length_delimited()?),
            )]
        }
        (Ty::Message(name), 2) => {
            let bytes = reader.length_delimited()?;
            match special(name, bytes)? {
                Some(v) => vec![v],
                None => {
                    let fields = messages().get(name).copied().ok_or_else(|| {
                        ProtobufError::Invalid(format!("no schema for message {name}"))
                    })?;
                    vec![Value::Object(decode_fields(bytes, fields)?)]
                }
            }
        }
        _ => return Err(mismatch()),
    })
}

fn decode_fields(bytes: &[u8], fields: &[Field]) -> Result<Map<String, Value>, ProtobufError> {
    let mut reader = Reader { bytes, at: 0 };
    let mut out = Map::new();
    while !reader.done() {
        let key = reader.varint()?;
        let (tag, wire) = (key >> 3, key & 7);
        let Some(field) = fields.iter().find(|f| u64::from(f.tag) == tag) else {
            reader.skip(wire)?;
            continue;
        };
        if let Ty::Map(key_ty, value_ty) = field.ty {
            if wire != 2 {
                return Err(ProtobufError::Invalid(format!(
                    "map field {} is not length-delimited",
                    field.name
                )));
            }
            let mut entry = Reader {
                bytes: reader.length_delimited()?,
                at: 0,
            };
            let (mut k, mut v) = (None, None);
            while !entry.done() {
                let key = entry.varint()?;
                match key >> 3 {
                    1 => k = value(*key_ty, key & 7, &mut entry)?.pop(),
                    2 => v = value(*value_ty, key & 7, &mut entry)?.pop(),
                    _ => entry.skip(key & 7)?,
                }
            }
            let k = match k {
                Some(Value::String(s)) => s,
                Some(other) => other.to_string(),
                None => String::new(),
            };
            let v = v.unwrap_or_else(|| match value_ty {
                Ty::String | Ty::Bytes => Value::String(String::new()),
                _ => Value::Null,
            });
            if let Value::Object(map) = out
                .entry(json_name(field.name))
                .or_insert_with(|| Value::Object(Map::new()))
            {
                map.insert(k, v);
            }
            continue;
        }
        let values = value(field.ty, wire, &mut reader)?;
        let name = json_name(field.name);
        if field.repeated {
            if let Value::Array(list) = out.entry(name).or_insert_with(|| Value::Array(Vec::new()))
            {
                list.extend(values);
            }
        } else if let Some(v) = values.into_iter().last() {
            if omitted(field.name, &v) && !matches!(field.ty, Ty::Message(_)) {
                continue;
            }
            match v {
                Value::Null => {}
                Value::Object(inner) if INLINED.contains(&field.name) => out.extend(inner),
                v => {
                    out.insert(name.to_string(), v);
                }
            }
        }
    }
    Ok(out)
}

/// Decodes a Kubernetes protobuf request body into its apiVersion, kind and JSON object.
pub fn decode(body: &[u8]) -> Result<Value, ProtobufError> {
    let unknown = body.strip_prefix(MAGIC).ok_or(ProtobufError::NoMagic)?;
    let mut reader = Reader {
        bytes: unknown,
        at: 0,
    };
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), None);
    while !reader.done() {
        let key = reader.varint()?;
        match (key >> 3, key & 7) {
            (1, 2) => {
                let mut type_meta = Reader {
                    bytes: reader.length_delimited()?,
                    at: 0,
                };
                while !type_meta.done() {
                    let key = type_meta.varint()?;
                    let text = |r: &mut Reader<'_>| -> Result<String, ProtobufError> {
                        Ok(String::from_utf8_lossy(r.length_delimited()?).into_owned())
                    };
                    match (key >> 3, key & 7) {
                        (1, 2) => api_version = text(&mut type_meta)?,
                        (2, 2) => kind = text(&mut type_meta)?,
                        (_, wire) => type_meta.skip(wire)?,
                    }
                }
            }
            (2, 2) => raw = Some(reader.length_delimited()?),
            (_, wire) => reader.skip(wire)?,
        }
    }
    let name = message_name(&api_version, &kind);
    let fields =
        messages()
            .get(name.as_str())
            .copied()
            .ok_or_else(|| ProtobufError::Unsupported {
                api_version: api_version.clone(),
                kind: kind.clone(),
            })?;
    let mut object = decode_fields(raw.unwrap_or_default(), fields)?;
    object.insert("apiVersion".into(), Value::String(api_version));
    object.insert("kind".into(), Value::String(kind));
    Ok(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A minimal protobuf writer for building test bodies.
    fn varint(mut n: u64, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    fn bytes_field(tag: u64, data: &[u8], out: &mut Vec<u8>) {
        varint(tag << 3 | 2, out);
        varint(data.len() as u64, out);
        out.extend_from_slice(data);
    }
    fn varint_field(tag: u64, n: u64, out: &mut Vec<u8>) {
        varint(tag << 3, out);
        varint(n, out);
    }
    fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
        let mut type_meta = Vec::new();
        bytes_field(1, api_version.as_bytes(), &mut type_meta);
        bytes_field(2, kind.as_bytes(), &mut type_meta);
        let mut body = MAGIC.to_vec();
        bytes_field(1, &type_meta, &mut body);
        bytes_field(2, raw, &mut body);
        body
    }

    #[test]
    fn decodes_a_deployment_like_kubectl_create_sends() {
        // ObjectMeta{name: "web", labels: {app: web}}
        let mut meta = Vec::new();
        bytes_field(1, b"web", &mut meta);
        let mut label = Vec::new();
        bytes_field(1, b"app", &mut label);
        bytes_field(2, b"web", &mut label);
        bytes_field(11, &label, &mut meta);
        // Container{name: "nginx", image: "nginx:1.27", ports: [{containerPort: 80}]}
        let mut port = Vec::new();
        varint_field(3, 80, &mut port);
        let mut container = Vec::new();
        bytes_field(1, b"nginx", &mut container);
        bytes_field(2, b"nginx:1.27", &mut container);
        bytes_field(6, &port, &mut container);
        let mut pod_spec = Vec::new();
        bytes_field(2, &container, &mut pod_spec);
        let mut template = Vec::new();
        bytes_field(1, &meta, &mut template);
        bytes_field(2, &pod_spec, &mut template);
        let mut selector = Vec::new();
        bytes_field(1, &label, &mut selector);
        let mut spec = Vec::new();
        varint_field(1, 2, &mut spec);
        bytes_field(2, &selector, &mut spec);
        bytes_field(3, &template, &mut spec);
        let mut deployment = Vec::new();
        bytes_field(1, &meta, &mut deployment);
        bytes_field(2, &spec, &mut deployment);

        let object = decode(&envelope("apps/v1", "Deployment", &deployment)).expect("decode");
        assert_eq!(object["apiVersion"], "apps/v1");
        assert_eq!(object["kind"], "Deployment");
        assert_eq!(
            object["metadata"],
            json!({"name": "web", "labels": {"app": "web"}})
        );
        assert_eq!(object["spec"]["replicas"], 2);
        assert_eq!(
            object["spec"]["selector"],
            json!({"matchLabels": {"app": "web"}})
        );
        assert_eq!(
            object["spec"]["template"]["spec"]["containers"],
            json!([{"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}])
        );
    }

    #[test]
    fn secrets_bytes_become_base64_and_int_or_string_works() {
        let mut entry = Vec::new();
        bytes_field(1, b"password", &mut entry);
        bytes_field(2, b"hunter2", &mut entry);
        let mut secret = Vec::new();
        bytes_field(2, &entry, &mut secret);
        let object = decode(&envelope("v1", "Secret", &secret)).expect("decode");
        assert_eq!(object["data"]["password"], "aHVudGVyMg==");

        let mut target = Vec::new();
        varint_field(1, 1, &mut target);
        bytes_field(3, b"http", &mut target);
        let mut port = Vec::new();
        varint_field(3, 80, &mut port);
        bytes_field(4, &target, &mut port);
        let mut spec = Vec::new();
        bytes_field(1, &port, &mut spec);
        let mut service = Vec::new();
        bytes_field(2, &spec, &mut service);
        let object = decode(&envelope("v1", "Service", &service)).expect("decode");
        assert_eq!(
            object["spec"]["ports"],
            json!([{"port": 80, "targetPort": "http"}])
        );
    }

    #[test]
    fn embedded_structs_are_inlined() {
        // Volume{name: "cfg", volumeSource: {configMap: {localObjectReference: {name: "web"}}}}
        let mut reference = Vec::new();
        bytes_field(1, b"web", &mut reference);
        let mut config_map = Vec::new();
        bytes_field(1, &reference, &mut config_map);
        let mut source = Vec::new();
        bytes_field(19, &config_map, &mut source);
        let mut volume = Vec::new();
        bytes_field(1, b"cfg", &mut volume);
        bytes_field(2, &source, &mut volume);
        let mut pod_spec = Vec::new();
        bytes_field(1, &volume, &mut pod_spec);
        let mut pod = Vec::new();
        bytes_field(2, &pod_spec, &mut pod);
        let object = decode(&envelope("v1", "Pod", &pod)).expect("decode");
        assert_eq!(
            object["spec"]["volumes"],
            json!([{"name": "cfg", "configMap": {"name": "web"}}])
        );
    }

    #[test]
    fn bad_bodies_are_errors_not_panics() {
        assert_eq!(decode(b"{\"json\":1}"), Err(ProtobufError::NoMagic));
        assert_eq!(decode(b"k8s\0\x0a\xff"), Err(ProtobufError::Truncated));
        assert!(matches!(
            decode(&envelope("example.com/v1", "Widget", b"")),
            Err(ProtobufError::Unsupported { .. })
        ));
        // A string field holding invalid UTF-8.
        let mut meta = Vec::new();
        bytes_field(1, &[0xff, 0xfe], &mut meta);
        let mut cm = Vec::new();
        bytes_field(1, &meta, &mut cm);
        assert!(decode(&envelope("v1", "ConfigMap", &cm)).is_err());
        // Every truncation of a valid body fails cleanly.
        let mut meta = Vec::new();
        bytes_field(1, b"name", &mut meta);
        let mut cm = Vec::new();
        bytes_field(1, &meta, &mut cm);
        let body = envelope("v1", "ConfigMap", &cm);
        for cut in 4..body.len() {
            let _ = decode(&body[..cut]);
        }
        assert_eq!(go_duration(3_723_000_000_000), "1h2m3s");
    }
}

//! Strict field validation: which fields of an object its type does not have.
//!
//! The API server asks this for `fieldValidation=Strict` (kubectl's default for `apply`,
//! `create -f`, `replace` and `edit`) and `Warn`, so a typo such as `imagee:` is an error or a
//! warning instead of being silently dropped. The structure comes from the same upstream schemas
//! the protobuf decoder uses ([`crate::protobuf`]); kinds without a schema there are not
//! checked.

use serde_json::Value;

use crate::protobuf::{self, Field, INLINED, Ty, is_scalar_message, json_name, message_fields};

/// The unknown fields of `object` (as `spec.template.spec.containers[0].imagee`), or `None`
/// when the kind has no schema.
pub fn unknown_fields(api_version: &str, kind: &str, object: &Value) -> Option<Vec<String>> {
    let fields = message_fields(&protobuf::message_name(api_version, kind))?;
    let mut unknown = Vec::new();
    if let Value::Object(map) = object {
        for (key, value) in map {
            if key == "apiVersion" || key == "kind" {
                continue;
            }
            check_field(fields, key, value, key, &mut unknown);
        }
    }
    Some(unknown)
}

/// Finds `key` among `fields`, looking through inlined (embedded) fields too.
fn find(fields: &'static [Field], key: &str) -> Option<&'static Field> {
    if let Some(field) = fields.iter().find(|f| json_name(f.name) == key) {
        return Some(field);
    }
    fields
        .iter()
        .filter(|f| INLINED.contains(&f.name))
        .filter_map(|f| match f.ty {
            Ty::Message(name) => message_fields(name),
            _ => None,
        })
        .find_map(|inner| find(inner, key))
}

fn check_field(
    fields: &'static [Field],
    key: &str,
    value: &Value,
    path: &str,
    unknown: &mut Vec<String>,
) {
    let Some(field) = find(fields, key) else {
        unknown.push(path.to_string());
        return;
    };
    let message = match field.ty {
        Ty::Message(name) if !is_scalar_message(name) => name,
        Ty::Map(_, Ty::Message(name)) if !is_scalar_message(name) => {
            if let Value::Object(entries) = value {
                for (k, v) in entries {
                    check_message(name, v, &format!("{path}.{k}"), unknown);
                }
            }
            return;
        }
        _ => return,
    };
    match (field.repeated, value) {
        (true, Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check_message(message, item, &format!("{path}[{i}]"), unknown);
            }
        }
        (false, item) => check_message(message, item, path, unknown),
        _ => {}
    }
}

fn check_message(name: &str, value: &Value, path: &str, unknown: &mut Vec<String>) {
    let (Some(fields), Value::Object(map)) = (message_fields(name), value) else {
        return;
    };
    for (key, v) in map {
        check_field(fields, key, v, &format!("{path}.{key}"), unknown);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_typos_at_any_depth() {
        let deployment = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"any": "label"}, "colour": "blue"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {
                    "containers": [{"name": "web", "imagee": "nginx", "ports": [{"containerPort": 80, "protocl": "TCP"}],
                                    "resources": {"limits": {"cpu": "1"}},
                                    "livenessProbe": {"httpGet": {"path": "/", "port": "http"}, "periodSeconds": 5}}],
                    "volumes": [{"name": "v", "configMap": {"name": "cfg"}, "emptyDir": {}}],
                }},
                "strategy": {"rollingUpdate": {"maxSurge": "25%"}},
            },
            "status": {},
        });
        let unknown = unknown_fields("apps/v1", "Deployment", &deployment).expect("a schema");
        assert_eq!(
            unknown,
            vec![
                "metadata.colour",
                "spec.template.spec.containers[0].imagee",
                "spec.template.spec.containers[0].ports[0].protocl",
            ]
        );
    }

    #[test]
    fn kinds_without_a_schema_are_not_checked() {
        assert_eq!(
            unknown_fields("example.com/v1", "Widget", &json!({"x": 1})),
            None
        );
        assert_eq!(
            unknown_fields(
                "v1",
                "ConfigMap",
                &json!({"metadata": {"name": "c"}, "data": {"k": "v"}})
            ),
            Some(vec![])
        );
    }
}

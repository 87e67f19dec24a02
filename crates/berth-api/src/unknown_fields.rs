//! Strict field validation: which fields of an object its type does not have.
//!
//! The API server asks this for `fieldValidation=Strict` (kubectl's default for `apply`,
//! `create -f`, `replace` and `edit`) and `Warn`, so a typo such as `imagee:` is an error or a
//! warning instead of being silently dropped. The structure comes from the same upstream schemas
//! the protobuf decoder uses ([`crate::protobuf`]); kinds without a schema there are not
//! checked.

use serde_json::Value;

use crate::Object;
use crate::protobuf::{self, Field, INLINED, Ty, is_scalar_message, json_name, message_fields};

/// The unknown fields of `object` (as `spec.template.spec.containers[0].imagee`), or `None`
/// when the kind has no schema.
pub fn unknown_fields(api_version: &str, kind: &str, object: &Value) -> Option<Vec<String>> {
    let fields = message_fields(&protobuf::message_name(api_version, kind))?;
    let mut check = Check::default();
    if let Value::Object(map) = object {
        for (key, value) in map {
            if key == "apiVersion" || key == "kind" {
                continue;
            }
            check.field(fields, key, value);
        }
    }
    Some(check.unknown)
}

/// [`unknown_fields`] of a parsed [`Object`]: the same fields, in the same order, read from
/// its typed metadata and its body.
pub fn unknown_fields_of(api_version: &str, kind: &str, object: &Object) -> Option<Vec<String>> {
    let fields = message_fields(&protobuf::message_name(api_version, kind))?;
    let mut check = Check::default();
    let (before, after): (Vec<_>, Vec<_>) = object
        .body
        .iter()
        .partition(|(key, _)| key.as_str() < "metadata");
    for (key, value) in before {
        check.field(fields, key, value);
    }
    if let Some(meta) = find(fields, "metadata").and_then(|f| match f.ty {
        Ty::Message(name) => message_fields(name),
        _ => None,
    }) {
        // Typed fields hold only strings and maps of strings, except these lists of objects;
        // fields the type does not model are kept in `other`.
        let metadata = &object.metadata;
        check.path.push_str("metadata");
        let lists = [
            ("ownerReferences", &metadata.owner_references),
            ("managedFields", &metadata.managed_fields),
        ];
        let mut keys: Vec<&str> = lists
            .iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(key, _)| *key)
            .collect();
        keys.extend(metadata.other.keys().map(String::as_str));
        keys.sort_unstable();
        for key in keys {
            let items = lists.iter().find(|(list, _)| *list == key).map(|(_, i)| i);
            let len = check.path.len();
            check.path.push('.');
            check.path.push_str(key);
            match items {
                Some(items) => check.items(meta, key, items),
                None => {
                    if let Some(value) = metadata.other.get(key) {
                        check.field_at(meta, key, value);
                    }
                }
            }
            check.path.truncate(len);
        }
        check.path.clear();
    }
    for (key, value) in after {
        check.field(fields, key, value);
    }
    Some(check.unknown)
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

/// One walk: the path of the field being checked (one buffer, grown and cut back as the
/// walk goes down and up) and the unknown paths found.
#[derive(Default)]
struct Check {
    path: String,
    unknown: Vec<String>,
}

impl Check {
    /// Checks the field `key` of a message with `fields`, at the current path + `key`.
    fn field(&mut self, fields: &'static [Field], key: &str, value: &Value) {
        let len = self.path.len();
        if len > 0 {
            self.path.push('.');
        }
        self.path.push_str(key);
        self.field_at(fields, key, value);
        self.path.truncate(len);
    }

    /// Checks the field `key` of a message with `fields`, the path already naming it.
    fn field_at(&mut self, fields: &'static [Field], key: &str, value: &Value) {
        let Some(field) = find(fields, key) else {
            self.unknown.push(self.path.clone());
            return;
        };
        let message = match field.ty {
            Ty::Message(name) if !is_scalar_message(name) => name,
            Ty::Map(_, Ty::Message(name)) if !is_scalar_message(name) => {
                if let Value::Object(entries) = value {
                    for (k, v) in entries {
                        let len = self.path.len();
                        self.path.push('.');
                        self.path.push_str(k);
                        self.message(name, v);
                        self.path.truncate(len);
                    }
                }
                return;
            }
            _ => return,
        };
        match (field.repeated, value) {
            (true, Value::Array(items)) => self.each(message, items),
            (false, item) => self.message(message, item),
            _ => {}
        }
    }

    /// Checks the repeated message field `key` whose items are `items`.
    fn items(&mut self, fields: &'static [Field], key: &str, items: &[Value]) {
        match find(fields, key).map(|f| f.ty) {
            Some(Ty::Message(name)) if !is_scalar_message(name) => self.each(name, items),
            Some(_) => {}
            None => self.unknown.push(self.path.clone()),
        }
    }

    fn each(&mut self, message: &str, items: &[Value]) {
        for (i, item) in items.iter().enumerate() {
            let len = self.path.len();
            self.path.push('[');
            self.path.push_str(&i.to_string());
            self.path.push(']');
            self.message(message, item);
            self.path.truncate(len);
        }
    }

    fn message(&mut self, name: &str, value: &Value) {
        let (Some(fields), Value::Object(map)) = (message_fields(name), value) else {
            return;
        };
        for (key, v) in map {
            self.field(fields, key, v);
        }
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
    fn a_parsed_object_reports_the_same_fields() {
        let cases = [
            (
                "apps/v1",
                "Deployment",
                json!({
                    "apiVersion": "apps/v1", "kind": "Deployment",
                    "metadata": {"name": "web", "labels": {"any": "label"}, "colour": "blue",
                                 "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "x", "uid": "u", "typo": 1}],
                                 "managedFields": [{"manager": "m", "operation": "Update", "extra": true}]},
                    "spec": {"template": {"spec": {"containers": [{"name": "c", "imagee": "x"}]}}},
                    "bogus": 1,
                }),
            ),
            (
                "v1",
                "ConfigMap",
                json!({
                    "apiVersion": "v1", "kind": "ConfigMap", "data": {"k": "v"}, "binaryDatum": {},
                    "metadata": {"name": "c", "selfLink": "/x", "zzz": 1, "aaa": 2},
                }),
            ),
            (
                "v1",
                "Pod",
                json!({"metadata": {}, "spec": {"containers": []}}),
            ),
        ];
        for (api_version, kind, value) in cases {
            let object: Object = serde_json::from_value(value.clone()).expect("object");
            let from_value = unknown_fields(api_version, kind, &value).expect("schema");
            assert!(!from_value.is_empty() || kind == "Pod", "{from_value:?}");
            assert_eq!(
                unknown_fields_of(api_version, kind, &object).expect("schema"),
                from_value
            );
        }
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

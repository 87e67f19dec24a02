//! Field ownership for server-side apply: field sets in upstream's `FieldsV1` form, which
//! fields an object sets, which managers' fields a change touches, and the apply merge.
//!
//! A field set is a tree keyed by path elements as upstream writes them: `f:<field>` for a
//! map or struct field, `k:{"name":"web"}` for an element of a list merged by key,
//! `v:<json>` for an element of a set-like list. A node with no children is a leaf (an owned
//! value); list elements also carry `"."` (the element itself is owned). Which lists merge by
//! key comes from [`crate::strategic_merge::list_strategy`], so ownership and patching agree.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::strategic_merge::{ListStrategy, list_strategy};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Element {
    Field(String),
    Key(String),
    Value(String),
}

impl Element {
    fn encode(&self) -> String {
        match self {
            Element::Field(f) => format!("f:{f}"),
            Element::Key(k) => format!("k:{k}"),
            Element::Value(v) => format!("v:{v}"),
        }
    }

    fn decode(text: &str) -> Option<Element> {
        let (prefix, rest) = text.split_at_checked(2)?;
        Some(match prefix {
            "f:" => Element::Field(rest.to_string()),
            "k:" => Element::Key(rest.to_string()),
            "v:" => Element::Value(rest.to_string()),
            _ => return None,
        })
    }
}

/// A set of owned fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSet {
    /// The node itself is owned (list elements: `"."`).
    pub itself: bool,
    pub children: BTreeMap<Element, FieldSet>,
}

/// Top-level and metadata fields that no manager owns: identity and server-set metadata.
const UNTRACKED_TOP: &[&str] = &["apiVersion", "kind", "status"];
const UNTRACKED_META: &[&str] = &[
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

impl FieldSet {
    pub fn is_empty(&self) -> bool {
        !self.itself && self.children.is_empty()
    }

    /// Leaves (owned values) and owned list elements, as paths.
    pub fn paths(&self) -> Vec<Vec<Element>> {
        let mut out = Vec::new();
        self.collect(&mut Vec::new(), &mut out);
        out
    }

    fn collect(&self, prefix: &mut Vec<Element>, out: &mut Vec<Vec<Element>>) {
        if (self.itself || self.children.is_empty()) && !prefix.is_empty() {
            out.push(prefix.clone());
        }
        for (element, child) in &self.children {
            prefix.push(element.clone());
            child.collect(prefix, out);
            prefix.pop();
        }
    }

    pub fn contains(&self, path: &[Element]) -> bool {
        match path.split_first() {
            None => true,
            Some((first, rest)) => self.children.get(first).is_some_and(|c| c.contains(rest)),
        }
    }

    /// Adds a path. A list element keyed by its fields is owned as itself (`.`), as
    /// [`fields_of`] marks it, whether its fields are added before or after it.
    pub fn insert(&mut self, path: &[Element]) {
        if let Some((first, rest)) = path.split_first() {
            let child = self.children.entry(first.clone()).or_default();
            if rest.is_empty() && (!child.children.is_empty() || matches!(first, Element::Key(_))) {
                child.itself = true;
            }
            child.insert(rest);
        }
    }

    /// Removes a path (and everything under it); prunes empty parents.
    pub fn remove(&mut self, path: &[Element]) {
        let Some((first, rest)) = path.split_first() else {
            return;
        };
        if rest.is_empty() {
            self.children.remove(first);
            return;
        }
        if let Some(child) = self.children.get_mut(first) {
            child.remove(rest);
            if child.children.is_empty() && !child.itself {
                self.children.remove(first);
            }
        }
    }

    /// `FieldsV1` JSON.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        if self.itself {
            map.insert(".".into(), json!({}));
        }
        for (element, child) in &self.children {
            map.insert(element.encode(), child.to_json());
        }
        Value::Object(map)
    }

    pub fn from_json(value: &Value) -> FieldSet {
        let mut set = FieldSet::default();
        if let Value::Object(map) = value {
            for (key, child) in map {
                if key == "." {
                    set.itself = true;
                } else if let Some(element) = Element::decode(key) {
                    set.children.insert(element, FieldSet::from_json(child));
                }
            }
        }
        set
    }
}

/// The fields an object sets (for `kind`'s list strategies).
pub fn fields_of(kind: &str, object: &Value) -> FieldSet {
    let Value::Object(map) = object else {
        return FieldSet::default();
    };
    let mut fields = Map::new();
    for (key, value) in map {
        if UNTRACKED_TOP.contains(&key.as_str()) {
            continue;
        }
        if key == "metadata" {
            if let Value::Object(meta) = value {
                let tracked = meta
                    .iter()
                    .filter(|(k, _)| !UNTRACKED_META.contains(&k.as_str()));
                if let Some(child) = metadata_fields(kind, tracked) {
                    fields.insert("f:metadata".into(), child);
                }
            }
            continue;
        }
        fields.insert(format!("f:{key}"), walk(kind, value, &mut vec![key]));
    }
    FieldSet::from_json(&Value::Object(fields))
}

/// The `FieldsV1` of every field a new object sets — what [`fields_of`] gives for the
/// tracked parts of `object` ([`tracked_parts`]`(None, object)`), built in one walk of the
/// object as it is, without copying it.
pub fn fields_v1_of(kind: &str, object: &crate::Object) -> Value {
    let meta = &object.metadata;
    let mut tracked: Vec<(&str, Value)> = Vec::new();
    if !meta.generate_name.is_empty() {
        tracked.push(("generateName", Value::Object(Map::new())));
    }
    let keys = |map: &BTreeMap<String, String>| {
        Value::Object(
            map.keys()
                .map(|k| (format!("f:{k}"), Value::Object(Map::new())))
                .collect(),
        )
    };
    if !meta.labels.is_empty() {
        tracked.push(("labels", keys(&meta.labels)));
    }
    if !meta.annotations.is_empty() {
        tracked.push(("annotations", keys(&meta.annotations)));
    }
    let finalizers: Vec<Value> = meta.finalizers.iter().map(|f| json!(f)).collect();
    let mut path = vec!["metadata", "ownerReferences"];
    if !meta.owner_references.is_empty() {
        tracked.push((
            "ownerReferences",
            list(kind, &meta.owner_references, &mut path),
        ));
    }
    if !finalizers.is_empty() {
        path[1] = "finalizers";
        tracked.push(("finalizers", list(kind, &finalizers, &mut path)));
    }
    let mut metadata: Map<String, Value> = tracked
        .into_iter()
        .map(|(k, v)| (format!("f:{k}"), v))
        .collect();
    for (key, value) in &meta.other {
        if !UNTRACKED_META.contains(&key.as_str()) {
            path[1] = key;
            metadata.insert(format!("f:{key}"), walk(kind, value, &mut path));
        }
    }
    let mut fields = Map::new();
    if !metadata.is_empty() {
        fields.insert("f:metadata".into(), Value::Object(metadata));
    }
    for (key, value) in &object.body {
        if !UNTRACKED_TOP.contains(&key.as_str()) {
            fields.insert(format!("f:{key}"), walk(kind, value, &mut vec![key]));
        }
    }
    Value::Object(fields)
}

/// The `f:metadata` node for tracked metadata entries, if any.
fn metadata_fields<'a>(
    kind: &str,
    entries: impl Iterator<Item = (&'a String, &'a Value)>,
) -> Option<Value> {
    let mut path = vec!["metadata", ""];
    let fields: Map<String, Value> = entries
        .map(|(key, value)| {
            path[1] = key;
            (format!("f:{key}"), walk(kind, value, &mut path))
        })
        .collect();
    (!fields.is_empty()).then_some(Value::Object(fields))
}

/// The `FieldsV1` node of `value` at `path`: its fields, keyed list elements or set members
/// (a scalar or an atomic list is a leaf, `{}`).
fn walk<'a>(kind: &str, value: &'a Value, path: &mut Vec<&'a str>) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, v)| {
                    path.push(key);
                    let child = walk(kind, v, path);
                    path.pop();
                    (format!("f:{key}"), child)
                })
                .collect(),
        ),
        Value::Array(items) => list(kind, items, path),
        _ => Value::Object(Map::new()),
    }
}

/// The `FieldsV1` node of the list `items` at `path`, by the list's merge strategy.
fn list<'a>(kind: &str, items: &'a [Value], path: &mut Vec<&'a str>) -> Value {
    let mut fields = Map::new();
    match list_strategy(kind, path) {
        ListStrategy::MergeByKey(key) => {
            for item in items {
                let Some(id) = item.get(key) else { continue };
                let mut child = walk(kind, item, path);
                if let Value::Object(child) = &mut child {
                    child.insert(".".into(), Value::Object(Map::new()));
                }
                fields.insert(format!("k:{}", json!({ key: id })), child);
            }
        }
        ListStrategy::MergeSet => {
            for item in items {
                fields.insert(format!("v:{item}"), Value::Object(Map::new()));
            }
        }
        // An atomic list is one value: a leaf.
        ListStrategy::Replace => {}
    }
    Value::Object(fields)
}

/// The value at a path, if present.
pub fn value_at<'a>(object: &'a Value, path: &[Element]) -> Option<&'a Value> {
    let mut current = object;
    for element in path {
        current = match element {
            Element::Field(f) => current.get(f)?,
            Element::Key(k) => {
                let wanted: Map<String, Value> = serde_json::from_str(k).ok()?;
                current
                    .as_array()?
                    .iter()
                    .find(|item| wanted.iter().all(|(wk, wv)| item.get(wk) == Some(wv)))?
            }
            Element::Value(v) => {
                let wanted: Value = serde_json::from_str(v).ok()?;
                current.as_array()?.iter().find(|item| **item == wanted)?
            }
        };
    }
    Some(current)
}

/// Removes the value at a path from an object (a field, or a list element).
pub fn remove_at(object: &mut Value, path: &[Element]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut current = object;
    for element in parents {
        let next = match element {
            Element::Field(f) => current.get_mut(f),
            Element::Key(k) => {
                let Ok(wanted) = serde_json::from_str::<Map<String, Value>>(k) else {
                    return;
                };
                current.as_array_mut().and_then(|items| {
                    items
                        .iter_mut()
                        .find(|item| wanted.iter().all(|(wk, wv)| item.get(wk) == Some(wv)))
                })
            }
            Element::Value(_) => None,
        };
        let Some(next) = next else { return };
        current = next;
    }
    match last {
        Element::Field(f) => {
            if let Some(map) = current.as_object_mut() {
                map.remove(f);
            }
        }
        Element::Key(k) => {
            if let (Ok(wanted), Some(items)) = (
                serde_json::from_str::<Map<String, Value>>(k),
                current.as_array_mut(),
            ) {
                items.retain(|item| !wanted.iter().all(|(wk, wv)| item.get(wk) == Some(wv)));
            }
        }
        Element::Value(v) => {
            if let (Ok(wanted), Some(items)) =
                (serde_json::from_str::<Value>(v), current.as_array_mut())
            {
                items.retain(|item| *item != wanted);
            }
        }
    }
}

/// `.spec.replicas`, `.spec.containers[name="web"].image`: how upstream prints a path.
pub fn display(path: &[Element]) -> String {
    let mut text = String::new();
    for element in path {
        match element {
            Element::Field(f) => {
                text.push('.');
                text.push_str(f);
            }
            Element::Key(k) => {
                let fields: Map<String, Value> = serde_json::from_str(k).unwrap_or_default();
                let inner: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
                text.push_str(&format!("[{}]", inner.join(",")));
            }
            Element::Value(v) => text.push_str(&format!("[={v}]")),
        }
    }
    text
}

/// The tracked parts of a write's object before (absent for a create) and after, as JSON for
/// [`changed`]: the metadata managers can own, and the top-level sections that differ.
/// Equal sections have no changed paths, so leaving them out changes no result — only the
/// cost: a status write no longer copies the spec, nor any write the managedFields.
pub fn tracked_parts(before: Option<&crate::Object>, after: &crate::Object) -> (Value, Value) {
    let mut sections: Vec<&str> = Vec::new();
    let empty = serde_json::Map::new();
    let before_body = before.map_or(&empty, |b| &b.body);
    for key in before_body.keys().chain(after.body.keys()) {
        if UNTRACKED_TOP.contains(&key.as_str()) || sections.contains(&key.as_str()) {
            continue;
        }
        if before_body.get(key) != after.body.get(key) {
            sections.push(key);
        }
    }
    let part = |object: &crate::Object| {
        let meta = &object.metadata;
        let mut metadata = serde_json::Map::new();
        if !meta.generate_name.is_empty() {
            metadata.insert("generateName".into(), json!(meta.generate_name));
        }
        if !meta.labels.is_empty() {
            metadata.insert("labels".into(), json!(meta.labels));
        }
        if !meta.annotations.is_empty() {
            metadata.insert("annotations".into(), json!(meta.annotations));
        }
        if !meta.owner_references.is_empty() {
            metadata.insert(
                "ownerReferences".into(),
                Value::Array(meta.owner_references.clone()),
            );
        }
        if !meta.finalizers.is_empty() {
            metadata.insert("finalizers".into(), json!(meta.finalizers));
        }
        for (key, value) in &meta.other {
            if !UNTRACKED_META.contains(&key.as_str()) {
                metadata.insert(key.clone(), value.clone());
            }
        }
        let mut map = serde_json::Map::new();
        map.insert("metadata".into(), Value::Object(metadata));
        for section in &sections {
            if let Some(value) = object.body.get(*section) {
                map.insert((*section).to_string(), value.clone());
            }
        }
        Value::Object(map)
    };
    (before.map(part).unwrap_or_else(|| json!({})), part(after))
}

/// Paths whose values differ between two objects (leaves and list elements of either).
pub fn changed(kind: &str, before: &Value, after: &Value) -> Vec<Vec<Element>> {
    let mut paths = fields_of(kind, after).paths();
    let known: std::collections::HashSet<Vec<Element>> = paths.iter().cloned().collect();
    for path in fields_of(kind, before).paths() {
        if !known.contains(&path) {
            paths.push(path);
        }
    }
    paths.retain(|p| match p.last() {
        // A list element is owned as "it exists"; changes inside it are their own paths.
        Some(Element::Key(_) | Element::Value(_)) => {
            value_at(before, p).is_some() != value_at(after, p).is_some()
        }
        _ => value_at(before, p) != value_at(after, p),
    });
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deployment(image: &str, replicas: i64) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
        })
    }

    #[test]
    fn field_sets_look_like_upstream_fieldsv1() {
        let set = fields_of("Deployment", &deployment("nginx", 2));
        assert_eq!(
            set.to_json(),
            json!({
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"web\"}": {".": {}, "f:image": {}, "f:name": {}}}}}},
            })
        );
        assert_eq!(FieldSet::from_json(&set.to_json()), set);
    }

    #[test]
    fn a_new_objects_fields_in_one_walk_are_the_tracked_parts_fields() {
        let objects = [
            deployment("nginx", 2),
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"}}),
            json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"generateName": "web-", "namespace": "d", "uid": "u", "resourceVersion": "3",
                    "labels": {"app": "web", "tier": "a"}, "annotations": {"x/y": "1"},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1", "controller": true}],
                    "finalizers": ["a/b", "c/d"], "creationTimestamp": "2026-01-01T00:00:00Z",
                    "managedFields": [{"manager": "m", "fieldsV1": {"f:spec": {}}}]},
                "spec": {"containers": [
                        {"name": "web", "image": "nginx", "args": ["-g", "x"],
                         "ports": [{"containerPort": 80, "protocol": "TCP"}],
                         "env": [{"name": "A", "value": "1"}, {"value": "keyless"}],
                         "volumeMounts": [{"name": "v", "mountPath": "/data"}]},
                        {"name": "side", "image": "busybox"}],
                    "volumes": [{"name": "v", "emptyDir": {}}],
                    "tolerations": [{"key": "k", "operator": "Exists"}],
                    "nodeSelector": {}},
                "status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False"}]}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                "spec": {"ports": [{"port": 80, "targetPort": 8080}], "selector": {"app": "web"}}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
                "data": {"a": "1"}, "immutable": true}),
        ];
        // FieldsV1 of each, as the tree-building walk wrote them before this one-walk form.
        let expected = [
            r#"{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"web\"}":{".":{},"f:image":{},"f:name":{}}}}}}}"#,
            r#"{}"#,
            r#"{"f:metadata":{"f:annotations":{"f:x/y":{}},"f:finalizers":{"v:\"a/b\"":{},"v:\"c/d\"":{}},"f:generateName":{},"f:labels":{"f:app":{},"f:tier":{}},"f:ownerReferences":{"k:{\"uid\":\"u1\"}":{".":{},"f:apiVersion":{},"f:controller":{},"f:kind":{},"f:name":{},"f:uid":{}}}},"f:spec":{"f:containers":{"k:{\"name\":\"side\"}":{".":{},"f:image":{},"f:name":{}},"k:{\"name\":\"web\"}":{".":{},"f:args":{},"f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},"f:ports":{"k:{\"containerPort\":80}":{".":{},"f:containerPort":{},"f:protocol":{}}},"f:volumeMounts":{"k:{\"mountPath\":\"/data\"}":{".":{},"f:mountPath":{},"f:name":{}}}}},"f:nodeSelector":{},"f:tolerations":{},"f:volumes":{"k:{\"name\":\"v\"}":{".":{},"f:emptyDir":{},"f:name":{}}}}}"#,
            r#"{"f:spec":{"f:ports":{"k:{\"port\":80}":{".":{},"f:port":{},"f:targetPort":{}}},"f:selector":{"f:app":{}}}}"#,
            r#"{"f:data":{"f:a":{}},"f:immutable":{}}"#,
        ];
        for (value, expected) in objects.into_iter().zip(expected) {
            let expected: Value = serde_json::from_str(expected).expect("expected");
            let object = crate::Object::from_json(value.to_string().as_bytes()).expect("object");
            let kind = object.kind.clone();
            let (_, tracked) = tracked_parts(None, &object);
            assert_eq!(fields_v1_of(&kind, &object), expected, "{value}");
            assert_eq!(fields_of(&kind, &tracked).to_json(), expected, "{value}");
        }
    }

    #[test]
    fn tracked_parts_change_exactly_what_whole_objects_change() {
        let pod = |image: &str, node: &str, phase: &str, labels: Value| {
            crate::Object::from_json(
                json!({
                    "apiVersion": "v1", "kind": "Pod",
                    "metadata": {"name": "p", "resourceVersion": "7", "labels": labels,
                        "managedFields": [{"manager": "kubectl", "operation": "Update",
                            "fieldsV1": {"f:spec": {}}}]},
                    "spec": {"nodeName": node, "containers": [{"name": "c", "image": image}]},
                    "status": {"phase": phase},
                })
                .to_string()
                .as_bytes(),
            )
            .expect("pod")
        };
        let base = pod("a", "", "Pending", json!({"app": "x"}));
        let writes = [
            pod("b", "", "Pending", json!({"app": "x"})),
            pod("a", "n1", "Pending", json!({"app": "x"})),
            pod("a", "", "Running", json!({"app": "x"})),
            pod("a", "", "Pending", json!({"app": "y", "tier": "web"})),
            pod("a", "", "Pending", json!({})),
        ];
        let shown = |paths: Vec<Vec<Element>>| {
            let mut shown: Vec<String> = paths.iter().map(|p| display(p)).collect();
            shown.sort();
            shown
        };
        for after in &writes {
            let whole = changed("Pod", &base.to_value(), &after.to_value());
            let (old, new) = tracked_parts(Some(&base), after);
            assert_eq!(shown(changed("Pod", &old, &new)), shown(whole));
        }
        let (old, new) = tracked_parts(None, &base);
        assert_eq!(
            shown(changed("Pod", &old, &new)),
            shown(changed("Pod", &json!({}), &base.to_value()))
        );
    }

    #[test]
    fn paths_values_and_changes() {
        let before = deployment("nginx:1", 2);
        let after = deployment("nginx:2", 2);
        let changed = changed("Deployment", &before, &after);
        assert_eq!(changed.len(), 1);
        assert_eq!(
            display(&changed[0]),
            ".spec.template.spec.containers[name=\"web\"].image"
        );
        assert_eq!(value_at(&after, &changed[0]), Some(&json!("nginx:2")));
        let mut object = after.clone();
        remove_at(&mut object, &changed[0]);
        assert_eq!(
            object["spec"]["template"]["spec"]["containers"][0],
            json!({"name": "web"})
        );
        let key = &changed[0][..changed[0].len() - 1];
        remove_at(&mut object, key);
        assert_eq!(object["spec"]["template"]["spec"]["containers"], json!([]));
    }

    #[test]
    fn set_operations() {
        let mut set = fields_of("Deployment", &deployment("nginx", 1));
        let replicas = vec![
            Element::Field("spec".into()),
            Element::Field("replicas".into()),
        ];
        assert!(set.contains(&replicas));
        set.remove(&replicas);
        assert!(!set.contains(&replicas));
        set.insert(&replicas);
        assert!(set.contains(&replicas));
        assert!(set.paths().contains(&replicas));
    }
}

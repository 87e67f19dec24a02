//! Strategic merge patch (`application/strategic-merge-patch+json`), as kubectl sends for
//! `apply`, `edit`, `set`, `label` and `annotate`.
//!
//! It is JSON merge patch (maps merge recursively, `null` deletes a key, scalars replace) plus,
//! per list field, the strategy from the type's patch metadata: lists of objects with a merge key
//! (`containers` by `name`) merge element by element, lists with the `merge` strategy and no key
//! (`finalizers`) merge as sets, all others are replaced whole. Directives: `$patch`
//! (`replace`, `delete`, `merge`) in maps and list elements, `$retainKeys`,
//! `$setElementOrder/<field>` and `$deleteFromPrimitiveList/<field>`.
//!
//! The patch metadata of the built-in kinds is [`list_strategy`], taken from the
//! `patchStrategy`/`patchMergeKey` tags of upstream's API types.

use serde_json::{Map, Value};

/// How a list field is patched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListStrategy {
    /// The patch's list replaces the original.
    Replace,
    /// Elements are objects matched by this key and merged.
    MergeByKey(&'static str),
    /// Elements are scalars; the result is the union.
    MergeSet,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    #[error("invalid strategic merge patch: {0}")]
    Invalid(String),
}

/// The strategy of the list at `path` (field names from the object's root, list elements
/// skipped) in an object of `kind`.
pub fn list_strategy(kind: &str, path: &[&str]) -> ListStrategy {
    use ListStrategy::*;
    let Some((&field, parents)) = path.split_last() else {
        return Replace;
    };
    let parent = parents.last().copied().unwrap_or_default();
    match field {
        "containers" | "initContainers" | "ephemeralContainers" => MergeByKey("name"),
        "env" | "volumes" | "imagePullSecrets" | "resourceClaims" | "schedulingGates" => {
            MergeByKey("name")
        }
        "volumeMounts" => MergeByKey("mountPath"),
        "volumeDevices" => MergeByKey("devicePath"),
        "hostAliases" => MergeByKey("ip"),
        "conditions" => MergeByKey("type"),
        "ownerReferences" => MergeByKey("uid"),
        "topologySpreadConstraints" => MergeByKey("topologyKey"),
        "finalizers" if parent == "metadata" => MergeSet,
        "ports" => {
            if kind == "Service" && parents == ["spec"] {
                MergeByKey("port")
            } else if matches!(
                parent,
                "containers" | "initContainers" | "ephemeralContainers"
            ) {
                MergeByKey("containerPort")
            } else {
                Replace
            }
        }
        _ => Replace,
    }
}

/// The strategy of a list field of a protobuf message (for schemas, where the path from the
/// object's root is not known but the enclosing type is).
pub fn message_list_strategy(message: &str, field: &str) -> ListStrategy {
    match (message.rsplit('.').next().unwrap_or(message), field) {
        ("ServiceSpec", "ports") => ListStrategy::MergeByKey("port"),
        ("Container" | "EphemeralContainerCommon", "ports") => {
            ListStrategy::MergeByKey("containerPort")
        }
        ("ObjectMeta", "finalizers") => ListStrategy::MergeSet,
        (_, "ports" | "finalizers") => ListStrategy::Replace,
        (parent, field) => list_strategy("", &[parent, field]),
    }
}

fn directive(key: &str) -> bool {
    key.starts_with('$')
}

/// Applies `patch` to `original` (an object of `kind`).
pub fn apply(kind: &str, original: &Value, patch: &Value) -> Result<Value, PatchError> {
    let mut path = Vec::new();
    match (original, patch) {
        (Value::Object(o), Value::Object(p)) => Ok(merge_map(kind, o, p, &mut path)?
            .map(Value::Object)
            .unwrap_or(Value::Object(Map::new()))),
        (_, Value::Object(p)) => Ok(merge_map(kind, &Map::new(), p, &mut path)?
            .map(Value::Object)
            .unwrap_or(Value::Object(Map::new()))),
        _ => Err(PatchError::Invalid(
            "the patch must be a JSON object".into(),
        )),
    }
}

/// A map without its directives (for values inserted whole).
fn strip(value: &Value) -> Value {
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, _)| !directive(k))
                .map(|(k, v)| (k.clone(), strip(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
        other => other.clone(),
    }
}

fn string_list(value: &Value, what: &str) -> Result<Vec<Value>, PatchError> {
    value
        .as_array()
        .cloned()
        .ok_or_else(|| PatchError::Invalid(format!("{what} must be a list")))
}

/// Merges a patch map into an original map. `None`: the map is deleted (`$patch: delete`).
fn merge_map(
    kind: &str,
    original: &Map<String, Value>,
    patch: &Map<String, Value>,
    path: &mut Vec<String>,
) -> Result<Option<Map<String, Value>>, PatchError> {
    match patch.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            return Ok(Some(
                patch
                    .iter()
                    .filter(|(k, _)| !directive(k))
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ));
        }
        Some("delete") => return Ok(None),
        Some("merge") | None => {}
        Some(other) => return Err(PatchError::Invalid(format!("unknown $patch: {other}"))),
    }
    let mut result = original.clone();
    for (key, value) in patch {
        if directive(key) {
            continue;
        }
        if value.is_null() {
            result.remove(key);
            continue;
        }
        path.push(key.clone());
        let merged = match (original.get(key), value) {
            (Some(Value::Object(o)), Value::Object(p)) => {
                merge_map(kind, o, p, path)?.map(Value::Object)
            }
            (None | Some(Value::Null), Value::Object(p)) => {
                merge_map(kind, &Map::new(), p, path)?.map(Value::Object)
            }
            (Some(Value::Array(o)), Value::Array(p)) => {
                Some(Value::Array(merge_list(kind, o, p, path)?))
            }
            (None | Some(Value::Null), Value::Array(p)) => {
                Some(Value::Array(merge_list(kind, &[], p, path)?))
            }
            (_, other) => Some(strip(other)),
        };
        path.pop();
        match merged {
            Some(v) => result.insert(key.clone(), v),
            None => result.remove(key),
        };
    }
    for (key, value) in patch {
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            let remove = string_list(value, key)?;
            if let Some(Value::Array(list)) = result.get_mut(field) {
                list.retain(|v| !remove.contains(v));
            }
        } else if let Some(field) = key.strip_prefix("$setElementOrder/") {
            let order = string_list(value, key)?;
            path.push(field.to_string());
            let strategy =
                list_strategy(kind, &path.iter().map(String::as_str).collect::<Vec<_>>());
            path.pop();
            if let Some(Value::Array(list)) = result.get_mut(field) {
                reorder(list, &order, strategy);
            }
        }
    }
    if let Some(retain) = patch.get("$retainKeys") {
        let keep = string_list(retain, "$retainKeys")?;
        result.retain(|k, _| keep.iter().any(|v| v.as_str() == Some(k)));
    }
    Ok(Some(result))
}

/// Orders `list` as `order` says; elements `order` does not name keep their relative order
/// after the named ones.
fn reorder(list: &mut Vec<Value>, order: &[Value], strategy: ListStrategy) {
    let identity = |v: &Value| -> Value {
        match strategy {
            ListStrategy::MergeByKey(key) => v.get(key).cloned().unwrap_or(Value::Null),
            _ => v.clone(),
        }
    };
    let position = |v: &Value| {
        let id = identity(v);
        order.iter().position(|o| identity(o) == id)
    };
    let (mut named, rest): (Vec<Value>, Vec<Value>) =
        list.drain(..).partition(|v| position(v).is_some());
    named.sort_by_key(|v| position(v).unwrap_or(usize::MAX));
    named.extend(rest);
    *list = named;
}

fn merge_list(
    kind: &str,
    original: &[Value],
    patch: &[Value],
    path: &mut Vec<String>,
) -> Result<Vec<Value>, PatchError> {
    let strategy = list_strategy(kind, &path.iter().map(String::as_str).collect::<Vec<_>>());
    let replace_all = patch
        .iter()
        .any(|e| e.get("$patch").and_then(Value::as_str) == Some("replace"));
    match strategy {
        _ if replace_all => Ok(patch
            .iter()
            .filter(|e| e.get("$patch").is_none())
            .map(strip)
            .collect()),
        ListStrategy::Replace => Ok(patch.iter().map(strip).collect()),
        ListStrategy::MergeSet => {
            let mut result = original.to_vec();
            for item in patch {
                if !result.contains(item) {
                    result.push(item.clone());
                }
            }
            Ok(result)
        }
        ListStrategy::MergeByKey(key) => {
            let mut result = original.to_vec();
            for item in patch {
                let Value::Object(element) = item else {
                    return Err(PatchError::Invalid(format!(
                        "elements of {} must be objects with the merge key {key:?}",
                        path.join(".")
                    )));
                };
                let id = element.get(key).ok_or_else(|| {
                    PatchError::Invalid(format!(
                        "an element of {} lacks its merge key {key:?}",
                        path.join(".")
                    ))
                })?;
                let found = result.iter().position(|o| o.get(key) == Some(id));
                let delete = element.get("$patch").and_then(Value::as_str) == Some("delete");
                match (found, delete) {
                    (Some(i), true) => {
                        result.remove(i);
                    }
                    (None, true) => {}
                    (Some(i), false) => {
                        let current = result[i].as_object().cloned().unwrap_or_default();
                        match merge_map(kind, &current, element, path)? {
                            Some(merged) => result[i] = Value::Object(merged),
                            None => {
                                result.remove(i);
                            }
                        }
                    }
                    (None, false) => result.push(strip(item)),
                }
            }
            Ok(result)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(kind: &str, original: Value, patch: Value, expected: Value) {
        assert_eq!(
            apply(kind, &original, &patch).expect("patch applies"),
            expected
        );
    }

    #[test]
    fn maps_merge_and_null_deletes() {
        check(
            "ConfigMap",
            json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "data": {"x": "1"}}),
            json!({"metadata": {"labels": {"a": null, "c": "3"}}, "data": {"x": "2"}}),
            json!({"metadata": {"labels": {"b": "2", "c": "3"}}, "data": {"x": "2"}}),
        );
    }

    #[test]
    fn containers_merge_by_name_and_keep_other_fields() {
        check(
            "Deployment",
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "web", "image": "nginx:1.27", "env": [{"name": "A", "value": "1"}]},
                {"name": "side", "image": "busybox"}]}}}}),
            json!({"spec": {"template": {"spec": {
                "$setElementOrder/containers": [{"name": "web"}, {"name": "side"}],
                "containers": [{"name": "web", "image": "nginx:1.28", "env": [{"name": "B", "value": "2"}]}]}}}}),
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "web", "image": "nginx:1.28", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                {"name": "side", "image": "busybox"}]}}}}),
        );
    }

    #[test]
    fn list_directives() {
        // $patch: delete removes an element; $patch: replace replaces the list.
        check(
            "Pod",
            json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}),
            json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
            json!({"spec": {"containers": [{"name": "b"}]}}),
        );
        check(
            "Pod",
            json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}),
            json!({"spec": {"containers": [{"name": "c"}, {"$patch": "replace"}]}}),
            json!({"spec": {"containers": [{"name": "c"}]}}),
        );
        // Atomic lists are replaced; finalizers merge as a set.
        check(
            "Pod",
            json!({"metadata": {"finalizers": ["a"]}, "spec": {"containers": [{"name": "a", "args": ["x", "y"]}]}}),
            json!({"metadata": {"finalizers": ["b", "a"]}, "spec": {"containers": [{"name": "a", "args": ["z"]}]}}),
            json!({"metadata": {"finalizers": ["a", "b"]}, "spec": {"containers": [{"name": "a", "args": ["z"]}]}}),
        );
        check(
            "Pod",
            json!({"metadata": {"finalizers": ["a", "b"]}}),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
            json!({"metadata": {"finalizers": ["b"]}}),
        );
    }

    #[test]
    fn map_directives() {
        check(
            "Deployment",
            json!({"spec": {"strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1}}}}),
            json!({"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}),
            json!({"spec": {"strategy": {"type": "Recreate"}}}),
        );
        check(
            "ConfigMap",
            json!({"data": {"a": "1", "b": "2"}}),
            json!({"data": {"$patch": "replace", "c": "3"}}),
            json!({"data": {"c": "3"}}),
        );
    }

    #[test]
    fn service_and_container_ports_use_their_own_keys() {
        assert_eq!(
            list_strategy("Service", &["spec", "ports"]),
            ListStrategy::MergeByKey("port")
        );
        assert_eq!(
            list_strategy("Pod", &["spec", "containers", "ports"]),
            ListStrategy::MergeByKey("containerPort")
        );
        assert_eq!(
            list_strategy("Pod", &["spec", "tolerations"]),
            ListStrategy::Replace
        );
    }

    #[test]
    fn bad_patches_are_errors_not_panics() {
        assert!(apply("Pod", &json!({}), &json!([1, 2])).is_err());
        assert!(
            apply(
                "Pod",
                &json!({"spec": {"containers": [{"name": "a"}]}}),
                &json!({"spec": {"containers": ["x"]}})
            )
            .is_err()
        );
        assert!(
            apply(
                "Pod",
                &json!({}),
                &json!({"spec": {"containers": [{"image": "x"}]}})
            )
            .is_err()
        );
        assert!(apply("Pod", &json!({}), &json!({"$patch": "explode"})).is_err());
    }
}

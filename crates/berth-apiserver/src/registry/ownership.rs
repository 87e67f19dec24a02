//! `metadata.managedFields`: which manager set which fields, as upstream's server-side apply
//! records it, and the apply operation itself.
//!
//! - Every write through the API names a field manager (the `fieldManager` parameter, else the
//!   client's User-Agent product, e.g. `kubectl`). An ordinary write (`Update`) gives its
//!   manager the fields it changed and takes them from everyone else.
//! - An apply (`Apply`) declares the complete set of fields its manager wants to own: fields
//!   another manager owns with a different value are conflicts (409) unless forced, fields the
//!   manager applied before and no longer applies are removed when nobody else owns them, and
//!   the manager's set becomes exactly what it applied.
//! - A write that sets `managedFields` itself (kubectl's client-side → server-side apply
//!   migration) is taken as given.

use berth_api::managed_fields::{
    Element, FieldSet, changed, display, fields_of, fields_v1_of, remove_at, tracked_parts,
    value_at,
};
use berth_api::{Object, ResourceType};
use serde_json::{Value, json};

use super::now_rfc3339;

/// kubectl's client-side apply annotation.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Who is writing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldManager {
    pub name: String,
}

impl FieldManager {
    /// The manager of a request: `fieldManager`, else the User-Agent's product name.
    pub fn from_request(field_manager: Option<&str>, user_agent: Option<&str>) -> FieldManager {
        let name = field_manager
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .or_else(|| {
                user_agent
                    .and_then(|ua| ua.split('/').next())
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "unknown".into());
        FieldManager {
            name: name.chars().take(128).collect(),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    manager: String,
    operation: String,
    api_version: String,
    time: String,
    subresource: Option<String>,
    fields: FieldSet,
}

impl Entry {
    /// `manager`'s entry for an `operation` ("Update", "Apply") made now on `rt`.
    fn new(manager: &FieldManager, operation: &str, rt: &ResourceType, fields: FieldSet) -> Entry {
        Entry {
            manager: manager.name.clone(),
            operation: operation.into(),
            api_version: rt.group_version().api_version(),
            time: now_rfc3339(),
            subresource: None,
            fields,
        }
    }

    fn parse(value: &Value) -> Option<Entry> {
        Some(Entry {
            manager: value.get("manager")?.as_str()?.to_string(),
            operation: value
                .get("operation")
                .and_then(Value::as_str)
                .unwrap_or("Update")
                .to_string(),
            api_version: value
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            time: value
                .get("time")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            subresource: value
                .get("subresource")
                .and_then(Value::as_str)
                .map(str::to_string),
            fields: FieldSet::from_json(value.get("fieldsV1").unwrap_or(&Value::Null)),
        })
    }

    fn to_json(&self) -> Value {
        let mut entry = entry_json(
            &self.manager,
            &self.operation,
            &self.api_version,
            &self.time,
            self.fields.to_json(),
        );
        if let Some(sub) = &self.subresource {
            entry["subresource"] = json!(sub);
        }
        entry
    }

    fn is(&self, manager: &str, operation: &str) -> bool {
        self.manager == manager && self.operation == operation && self.subresource.is_none()
    }
}

/// A managedFields entry with `fields` (FieldsV1 JSON).
fn entry_json(
    manager: &str,
    operation: &str,
    api_version: &str,
    time: &str,
    fields: Value,
) -> Value {
    // Built by hand: `json!` would copy `fields` (it serialises every value it is given).
    let mut entry = serde_json::Map::new();
    entry.insert("manager".into(), Value::from(manager));
    entry.insert("operation".into(), Value::from(operation));
    entry.insert("apiVersion".into(), Value::from(api_version));
    entry.insert("time".into(), Value::from(time));
    entry.insert("fieldsType".into(), Value::from("FieldsV1"));
    entry.insert("fieldsV1".into(), fields);
    Value::Object(entry)
}

fn entries(object: &Object) -> Vec<Entry> {
    object
        .metadata
        .managed_fields
        .iter()
        .filter_map(Entry::parse)
        .collect()
}

fn store(object: &mut Object, entries: Vec<Entry>) {
    object.metadata.managed_fields = entries
        .into_iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| e.to_json())
        .collect();
}

/// Records an ordinary write by `manager` (`before` is `None` for a create).
pub fn track_update(
    rt: &ResourceType,
    before: Option<&Object>,
    after: &mut Object,
    manager: &FieldManager,
) {
    if let Some(before) = before
        && after.metadata.managed_fields != before.metadata.managed_fields
        && !after.metadata.managed_fields.is_empty()
    {
        return;
    }
    let Some(before) = before else {
        // A create: the manager owns every field the object sets, and nobody else owns any.
        let fields = fields_v1_of(rt.kind, after);
        let owns_some = fields.as_object().is_some_and(|f| !f.is_empty());
        after.metadata.managed_fields = if owns_some {
            let api_version = rt.group_version().api_version();
            let entry = entry_json(
                &manager.name,
                "Update",
                &api_version,
                &now_rfc3339(),
                fields,
            );
            vec![entry]
        } else {
            Vec::new()
        };
        return;
    };
    let mut list = entries(before);
    let (old, new) = tracked_parts(Some(before), after);
    let paths = changed(rt.kind, &old, &new);
    if paths.is_empty() {
        // No field changed hands (a status write: status is not tracked). The entries stay
        // as they are, unless storing would drop some (unreadable or empty ones).
        let kept = list.len() == after.metadata.managed_fields.len()
            && list.iter().all(|e| !e.fields.is_empty());
        if !kept {
            store(after, list);
        }
        return;
    }
    for entry in &mut list {
        if !entry.is(&manager.name, "Update") {
            for path in &paths {
                entry.fields.remove(path);
            }
        }
    }
    let api_version = rt.group_version().api_version();
    let index = match list.iter().position(|e| e.is(&manager.name, "Update")) {
        Some(i) => i,
        None => {
            list.push(Entry::new(manager, "Update", rt, FieldSet::default()));
            list.len() - 1
        }
    };
    let entry = &mut list[index];
    for path in &paths {
        if value_at(&new, path).is_some() {
            entry.fields.insert(path);
        } else {
            entry.fields.remove(path);
        }
    }
    entry.time = now_rfc3339();
    entry.api_version = api_version;
    store(after, list);
}

/// A field another manager owns with a different value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub manager: String,
    pub api_version: String,
    pub field: String,
}

fn same(live: &Value, applied: &Value, path: &[Element]) -> bool {
    match path.last() {
        Some(Element::Key(_) | Element::Value(_)) => {
            value_at(live, path).is_some() == value_at(applied, path).is_some()
        }
        _ => value_at(live, path) == value_at(applied, path),
    }
}

/// Server-side apply of `applied` (the manager's complete intent) onto `live` (absent for a
/// create). Returns the resulting object, or the conflicts when not forced.
pub fn apply(
    rt: &ResourceType,
    live: Option<&Object>,
    applied: &Object,
    manager: &FieldManager,
    force: bool,
) -> Result<Object, Vec<Conflict>> {
    let applied_value = applied.to_value();
    let applied_set = fields_of(rt.kind, &applied_value);
    let applied_paths = applied_set.paths();
    let live_value = live.map(Object::to_value).unwrap_or_else(|| json!({}));
    let mut list = live.map(entries).unwrap_or_default();

    // Moving from client-side to server-side apply: fields that the client-side apply's
    // last-applied configuration declares are the user's own, so applying new values for them
    // takes them over instead of conflicting (upstream's lastAppliedManager).
    let last_applied = live
        .and_then(|l| l.metadata.annotations.get(LAST_APPLIED))
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .map(|config| fields_of(rt.kind, &config));

    let mut conflicts = Vec::new();
    for entry in list.iter_mut().filter(|e| !e.is(&manager.name, "Apply")) {
        let clashing: Vec<Vec<Element>> = applied_paths
            .iter()
            .filter(|p| {
                entry.fields.contains(p)
                    && value_at(&live_value, p).is_some()
                    && !same(&live_value, &applied_value, p)
            })
            .cloned()
            .collect();
        let user_owned =
            |p: &Vec<Element>| last_applied.as_ref().is_some_and(|set| set.contains(p));
        if force || clashing.iter().all(user_owned) {
            for path in &clashing {
                entry.fields.remove(path);
            }
        } else {
            conflicts.extend(clashing.iter().map(|p| Conflict {
                manager: entry.manager.clone(),
                api_version: entry.api_version.clone(),
                field: display(p),
            }));
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }

    // Fields this manager applied before and no longer does: removed unless someone else
    // owns them.
    let mut result = live_value.clone();
    if let Some(previous) = list.iter().find(|e| e.is(&manager.name, "Apply")) {
        for path in previous.fields.paths() {
            let still_applied = applied_set.contains(&path);
            let owned_elsewhere = list
                .iter()
                .any(|e| !e.is(&manager.name, "Apply") && e.fields.contains(&path));
            if !still_applied && !owned_elsewhere {
                remove_at(&mut result, &path);
            }
        }
    }
    let mut merged = berth_api::strategic_merge::apply(rt.kind, &result, &applied_value)
        .unwrap_or(applied_value);
    if let Some(map) = merged.as_object_mut()
        && let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut)
    {
        meta.remove("managedFields");
    }
    let mut object: Object = serde_json::from_value(merged).unwrap_or_else(|_| applied.clone());
    if let Some(live) = live {
        // Identity and server-set metadata stay the live object's.
        object.metadata.uid = live.metadata.uid.clone();
        object.metadata.resource_version = live.metadata.resource_version.clone();
        object.metadata.creation_timestamp = live.metadata.creation_timestamp.clone();
        object.metadata.generation = live.metadata.generation;
    }
    let entry = Entry::new(manager, "Apply", rt, applied_set);
    list.retain(|e| !e.is(&manager.name, "Apply"));
    list.push(entry);
    store(&mut object, list);
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt() -> &'static ResourceType {
        berth_api::catalogue::lookup("apps", "v1", "deployments").expect("deployments")
    }

    fn object(value: Value) -> Object {
        serde_json::from_value(value).expect("object")
    }

    fn manager(name: &str) -> FieldManager {
        FieldManager { name: name.into() }
    }

    #[test]
    fn a_create_owns_exactly_the_fields_it_sets() {
        let pods = berth_api::catalogue::lookup("", "v1", "pods").expect("pods");
        let mut pod = object(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "labels": {"app": "web"}, "finalizers": ["a/b"]},
            "spec": {
                "containers": [{"name": "web", "image": "nginx", "args": ["-g", "x"],
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "env": [{"name": "A", "value": "1"}]}],
                "tolerations": [{"key": "k", "operator": "Exists"}],
            },
            "status": {"phase": "Pending"},
        }));
        let (_, sets) = tracked_parts(None, &pod);
        track_update(pods, None, &mut pod, &manager("kubectl-create"));
        let entries: Vec<Value> = pod.metadata.managed_fields.clone();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0]["manager"], "kubectl-create");
        assert_eq!(entries[0]["operation"], "Update");
        assert_eq!(entries[0]["fieldsV1"], fields_of("Pod", &sets).to_json());
        let container = &entries[0]["fieldsV1"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"];
        assert_eq!(container["."], json!({}), "{container}");
        assert_eq!(container["f:image"], json!({}));
    }

    #[test]
    fn apply_conflicts_with_another_managers_value_unless_forced() {
        let applied = object(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2}}),
        );
        let first = apply(rt(), None, &applied, &manager("kubectl"), false).expect("create");
        // Another writer changes replicas.
        let mut scaled = first.clone();
        scaled.body.insert("spec".into(), json!({"replicas": 5}));
        track_update(rt(), Some(&first), &mut scaled, &manager("ops"));
        let owners: Vec<String> = scaled
            .metadata
            .managed_fields
            .iter()
            .map(|e| e["manager"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(
            owners,
            vec!["ops"],
            "replicas moved to ops; kubectl owned nothing else"
        );

        let again = object(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 3}}),
        );
        let conflicts =
            apply(rt(), Some(&scaled), &again, &manager("kubectl"), false).expect_err("conflict");
        assert_eq!(
            conflicts,
            vec![Conflict {
                manager: "ops".into(),
                api_version: "apps/v1".into(),
                field: ".spec.replicas".into()
            }]
        );
        // The same value is shared ownership, not a conflict.
        let same = object(
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 5}}),
        );
        apply(rt(), Some(&scaled), &same, &manager("kubectl"), false).expect("no conflict");
        let forced = apply(rt(), Some(&scaled), &again, &manager("kubectl"), true).expect("forced");
        assert_eq!(forced.body["spec"]["replicas"], 3);
        assert_eq!(
            forced.metadata.managed_fields.len(),
            1,
            "ops lost its only field"
        );
    }

    #[test]
    fn fields_no_longer_applied_are_removed() {
        let v1 = object(
            json!({"metadata": {"name": "web", "labels": {"a": "1", "b": "2"}}, "spec": {"replicas": 1}}),
        );
        let first = apply(rt(), None, &v1, &manager("kubectl"), false).expect("create");
        let v2 = object(
            json!({"metadata": {"name": "web", "labels": {"a": "1"}}, "spec": {"replicas": 1}}),
        );
        let second = apply(rt(), Some(&first), &v2, &manager("kubectl"), false).expect("apply");
        assert_eq!(second.metadata.labels.len(), 1);
        assert_eq!(
            second.metadata.labels.get("a").map(String::as_str),
            Some("1")
        );
    }
}

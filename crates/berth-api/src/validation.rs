//! Validation of built-in objects, as upstream's `Validate*` functions: required fields, field
//! formats and immutable fields. Every problem is one cause (field path, message, reason), so
//! the API server answers 422 Invalid with a `* field: message` line per problem, as kubectl
//! users know it.
//!
//! Covered: labels and annotations of every object; Pod specs (in Pods and pod templates);
//! Deployments, ReplicaSets, StatefulSets, DaemonSets and Jobs (selectors matching their
//! templates, non-negative counts, immutable selectors); ConfigMap and Secret keys and
//! `immutable`.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Object;
use crate::names::{NameRule, validate as validate_name};
use crate::selector::LabelSelector;

/// One validation failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    pub field: String,
    pub message: String,
    pub reason: &'static str,
}

fn required(field: impl Into<String>) -> Cause {
    Cause {
        field: field.into(),
        message: "Required value".into(),
        reason: "FieldValueRequired",
    }
}

fn invalid(field: impl Into<String>, value: &Value, why: &str) -> Cause {
    let shown = match value {
        Value::String(s) => format!("\"{s}\""),
        other => other.to_string(),
    };
    Cause {
        field: field.into(),
        message: format!("Invalid value: {shown}: {why}"),
        reason: "FieldValueInvalid",
    }
}

fn immutable(field: impl Into<String>, value: &Value) -> Cause {
    invalid(field, value, "field is immutable")
}

/// A qualified name (label and annotation keys): `[prefix/]name`.
fn check_qualified_name(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if let Some(prefix) = prefix
        && validate_name(prefix, NameRule::Subdomain).is_err()
    {
        return Err("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character".into());
    }
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')".into())
    }
}

fn check_label_value(value: &str) -> Result<(), String> {
    let ok = value.is_empty()
        || (value.len() <= 63
            && value.starts_with(|c: char| c.is_ascii_alphanumeric())
            && value.ends_with(|c: char| c.is_ascii_alphanumeric())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')));
    if ok {
        Ok(())
    } else {
        Err("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')".into())
    }
}

fn labels(field: &str, labels: &BTreeMap<String, String>, causes: &mut Vec<Cause>) {
    for (key, value) in labels {
        if let Err(why) = check_qualified_name(key) {
            causes.push(invalid(field, &Value::String(key.clone()), &why));
        }
        if let Err(why) = check_label_value(value) {
            causes.push(invalid(field, &Value::String(value.clone()), &why));
        }
    }
}

fn labels_of(value: Option<&Value>) -> BTreeMap<String, String> {
    value
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn non_negative(spec: &Value, field: &str, path: &str, causes: &mut Vec<Cause>) {
    if let Some(n) = spec.get(field).and_then(Value::as_i64)
        && n < 0
    {
        causes.push(invalid(
            format!("{path}.{field}"),
            &Value::from(n),
            "must be greater than or equal to 0",
        ));
    }
}

/// A PodSpec at `path`.
pub fn pod_spec(spec: &Value, path: &str, causes: &mut Vec<Cause>) {
    let containers = spec.get("containers").and_then(Value::as_array);
    if containers.is_none_or(Vec::is_empty) {
        causes.push(required(format!("{path}.containers")));
    }
    let mut seen = Vec::new();
    for list in ["initContainers", "containers"] {
        for (i, c) in spec
            .get(list)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            let at = format!("{path}.{list}[{i}]");
            match c.get("name").and_then(Value::as_str) {
                None | Some("") => causes.push(required(format!("{at}.name"))),
                Some(name) => {
                    if let Err(why) = validate_name(name, NameRule::Label) {
                        causes.push(invalid(
                            format!("{at}.name"),
                            &Value::String(name.into()),
                            &why,
                        ));
                    } else if seen.contains(&name.to_string()) {
                        causes.push(Cause {
                            field: format!("{at}.name"),
                            message: format!("Duplicate value: \"{name}\""),
                            reason: "FieldValueDuplicate",
                        });
                    }
                    seen.push(name.to_string());
                }
            }
            if c.get("image")
                .and_then(Value::as_str)
                .is_none_or(|s| s.trim().is_empty())
            {
                causes.push(required(format!("{at}.image")));
            }
            for (j, port) in c
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let number = port
                    .get("containerPort")
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                if !(1..=65535).contains(&number) {
                    causes.push(invalid(
                        format!("{at}.ports[{j}].containerPort"),
                        &Value::from(number),
                        "must be between 1 and 65535, inclusive",
                    ));
                }
            }
        }
    }
    scheduling_gates(spec, path, causes);
    if let Some(policy) = spec.get("restartPolicy").and_then(Value::as_str)
        && !matches!(policy, "Always" | "OnFailure" | "Never")
    {
        causes.push(Cause {
            field: format!("{path}.restartPolicy"),
            message: format!("Unsupported value: \"{policy}\": supported values: \"Always\", \"OnFailure\", \"Never\""),
            reason: "FieldValueNotSupported",
        });
    }
}

fn forbidden(field: impl Into<String>, why: &str) -> Cause {
    Cause {
        field: field.into(),
        message: format!("Forbidden: {why}"),
        reason: "FieldValueForbidden",
    }
}

/// The names in a PodSpec's `schedulingGates` (a gate without a name reads as "").
fn gate_names(spec: &Value) -> Vec<&str> {
    spec.get("schedulingGates")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|g| g.get("name").and_then(Value::as_str).unwrap_or_default())
        .collect()
}

/// `schedulingGates`: qualified names, no repeats.
fn scheduling_gates(spec: &Value, path: &str, causes: &mut Vec<Cause>) {
    let names = gate_names(spec);
    for (i, name) in names.iter().enumerate() {
        let at = format!("{path}.schedulingGates[{i}]");
        if let Err(why) = check_qualified_name(name) {
            causes.push(invalid(at.clone(), &Value::String((*name).into()), &why));
        }
        if names[..i].contains(name) {
            causes.push(Cause {
                field: at,
                message: format!("Duplicate value: \"{name}\""),
                reason: "FieldValueDuplicate",
            });
        }
    }
}

/// A new Pod names no node while it has scheduling gates (a gated pod has not been
/// scheduled); upstream checks this on create only.
fn no_node_while_gated(spec: &Value, causes: &mut Vec<Cause>) {
    if !gate_names(spec).is_empty()
        && spec
            .get("nodeName")
            .and_then(Value::as_str)
            .is_some_and(|n| !n.is_empty())
    {
        causes.push(forbidden(
            "spec.nodeName",
            "cannot be set until all schedulingGates have been cleared",
        ));
    }
}

/// A Pod update may remove scheduling gates but not add them.
fn only_removed_gates(spec: &Value, old_spec: &Value, causes: &mut Vec<Cause>) {
    let old = gate_names(old_spec);
    for (i, name) in gate_names(spec).iter().enumerate() {
        if !old.contains(name) {
            causes.push(forbidden(
                format!("spec.schedulingGates[{i}].name"),
                &format!("only deletion is allowed, but found new scheduling gate '{name}'"),
            ));
        }
    }
}

/// A workload's selector and template (`spec.selector`, `spec.template`).
fn selector_and_template(spec: &Value, causes: &mut Vec<Cause>, require_selector: bool) {
    let selector = spec.get("selector");
    let template_labels = labels_of(spec.pointer("/template/metadata/labels"));
    match selector {
        None | Some(Value::Null) if require_selector => causes.push(required("spec.selector")),
        None | Some(Value::Null) => {}
        Some(selector) => {
            let match_labels = labels_of(selector.get("matchLabels"));
            let has_expressions = selector
                .get("matchExpressions")
                .and_then(Value::as_array)
                .is_some_and(|e| !e.is_empty());
            if match_labels.is_empty() && !has_expressions {
                causes.push(invalid(
                    "spec.selector",
                    selector,
                    "empty selector is invalid for deployment",
                ));
            } else {
                let text: Vec<String> = match_labels
                    .iter()
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                if let Ok(parsed) = LabelSelector::parse(&text.join(","))
                    && !parsed.matches(&template_labels)
                {
                    causes.push(invalid(
                        "spec.template.metadata.labels",
                        &serde_json::to_value(&template_labels).unwrap_or(Value::Null),
                        "`selector` does not match template `labels`",
                    ));
                }
            }
        }
    }
    match spec.get("template").and_then(|t| t.get("spec")) {
        Some(pod) => pod_spec(pod, "spec.template.spec", causes),
        None => causes.push(required("spec.template")),
    }
}

/// Validates `object` of `group/kind`; `old` is the stored object on an update.
pub fn validate(group: &str, kind: &str, object: &Object, old: Option<&Object>) -> Vec<Cause> {
    let mut causes = Vec::new();
    labels("metadata.labels", &object.metadata.labels, &mut causes);
    for key in object.metadata.annotations.keys() {
        if let Err(why) = check_qualified_name(key) {
            causes.push(invalid(
                "metadata.annotations",
                &Value::String(key.clone()),
                &why,
            ));
        }
    }
    let spec = object.body.get("spec").unwrap_or(&Value::Null);
    let old_spec = old.and_then(|o| o.body.get("spec"));
    match (group, kind) {
        ("", "Pod") => {
            pod_spec(spec, "spec", &mut causes);
            match old_spec {
                Some(old_spec) => only_removed_gates(spec, old_spec, &mut causes),
                None => no_node_while_gated(spec, &mut causes),
            }
        }
        ("apps", "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet") => {
            non_negative(spec, "replicas", "spec", &mut causes);
            non_negative(spec, "minReadySeconds", "spec", &mut causes);
            non_negative(spec, "revisionHistoryLimit", "spec", &mut causes);
            selector_and_template(spec, &mut causes, true);
            if let Some(old_spec) = old_spec
                && old_spec.get("selector") != spec.get("selector")
            {
                causes.push(immutable(
                    "spec.selector",
                    spec.get("selector").unwrap_or(&Value::Null),
                ));
            }
        }
        ("", "ReplicationController") => {
            non_negative(spec, "replicas", "spec", &mut causes);
        }
        ("batch", "Job") => {
            for field in [
                "parallelism",
                "completions",
                "backoffLimit",
                "activeDeadlineSeconds",
            ] {
                non_negative(spec, field, "spec", &mut causes);
            }
            match spec.pointer("/template/spec") {
                Some(pod) => {
                    pod_spec(pod, "spec.template.spec", &mut causes);
                    let policy = pod.get("restartPolicy").and_then(Value::as_str);
                    if !matches!(policy, Some("OnFailure" | "Never")) {
                        causes.push(Cause {
                            field: "spec.template.spec.restartPolicy".into(),
                            message: format!(
                                "Required value: valid values: \"OnFailure\", \"Never\"{}",
                                policy
                                    .map(|p| format!(" (got \"{p}\")"))
                                    .unwrap_or_default()
                            ),
                            reason: "FieldValueRequired",
                        });
                    }
                }
                None => causes.push(required("spec.template")),
            }
            if let Some(old_spec) = old_spec
                && old_spec.get("template") != spec.get("template")
                && old_spec.get("suspend") != Some(&Value::Bool(true))
            {
                causes.push(immutable("spec.template", &Value::String("…".into())));
            }
        }
        ("batch", "CronJob") => {
            match spec.get("schedule").and_then(Value::as_str) {
                None | Some("") => causes.push(required("spec.schedule")),
                Some(schedule) if schedule.contains("TZ") => causes.push(invalid(
                    "spec.schedule",
                    &Value::String(schedule.into()),
                    "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
                )),
                Some(schedule) => {
                    if let Err(e) = crate::cron::Schedule::parse(schedule) {
                        causes.push(invalid(
                            "spec.schedule",
                            &Value::String(schedule.into()),
                            &e.to_string(),
                        ));
                    }
                }
            }
            if let Some(zone) = spec.get("timeZone").and_then(Value::as_str)
                && jiff::tz::TimeZone::get(zone).is_err()
            {
                causes.push(invalid(
                    "spec.timeZone",
                    &Value::String(zone.into()),
                    &format!("unknown time zone {zone}"),
                ));
            }
        }
        ("", "ConfigMap" | "Secret") => {
            for data in ["data", "binaryData", "stringData"] {
                for key in object
                    .body
                    .get(data)
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                    .map(|(k, _)| k)
                {
                    let ok = !key.is_empty()
                        && key.len() <= 253
                        && key
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
                    if !ok {
                        causes.push(invalid(
                            format!("{data}[{key}]"),
                            &Value::String(key.clone()),
                            "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                        ));
                    }
                }
            }
            if let Some(old) = old
                && old.body.get("immutable") == Some(&Value::Bool(true))
            {
                for field in ["data", "binaryData", "immutable"] {
                    if old.body.get(field) != object.body.get(field) {
                        causes.push(Cause {
                            field: field.into(),
                            message: "Forbidden: field is immutable when `immutable` is set".into(),
                            reason: "FieldValueForbidden",
                        });
                    }
                }
            }
        }
        _ => {}
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn causes(group: &str, kind: &str, value: Value) -> Vec<String> {
        let object: Object = serde_json::from_value(value).expect("object");
        validate(group, kind, &object, None)
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn deployments_need_a_matching_selector_and_images() {
        let found = causes(
            "apps",
            "Deployment",
            json!({
                "metadata": {"name": "web"},
                "spec": {"replicas": -1, "selector": {"matchLabels": {"app": "web"}},
                         "template": {"metadata": {"labels": {"app": "other"}}, "spec": {"containers": [{"name": "web"}]}}},
            }),
        );
        assert!(
            found
                .iter()
                .any(|c| c.starts_with("spec.replicas: Invalid value: -1")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|c| c.contains("`selector` does not match template `labels`")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|c| c == "spec.template.spec.containers[0].image: Required value"),
            "{found:?}"
        );
    }

    #[test]
    fn a_valid_pod_has_no_causes() {
        assert_eq!(
            causes(
                "",
                "Pod",
                json!({"metadata": {"name": "p", "labels": {"app.kubernetes.io/name": "web"}},
            "spec": {"containers": [{"name": "c", "image": "busybox", "ports": [{"containerPort": 80}]}]}})
            ),
            Vec::<String>::new()
        );
    }

    #[test]
    fn bad_labels_and_pods() {
        let found = causes(
            "",
            "Pod",
            json!({"metadata": {"name": "p", "labels": {"bad key": "v", "k": "-bad"}},
            "spec": {"containers": [{"name": "c", "image": "x"}, {"name": "c", "image": "y"}], "restartPolicy": "Sometimes"}}),
        );
        assert_eq!(
            found
                .iter()
                .filter(|c| c.starts_with("metadata.labels"))
                .count(),
            2,
            "{found:?}"
        );
        assert!(
            found.iter().any(|c| c.contains("Duplicate value: \"c\"")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|c| c.starts_with("spec.restartPolicy: Unsupported value")),
            "{found:?}"
        );
        let found = causes("", "Pod", json!({"metadata": {"name": "p"}, "spec": {}}));
        assert_eq!(found, vec!["spec.containers: Required value"]);
    }

    #[test]
    fn scheduling_gates_are_names_set_at_creation_and_only_removed() {
        let pod = |spec: Value| -> Object {
            let mut spec = spec;
            spec["containers"] = json!([{"name": "c", "image": "x"}]);
            serde_json::from_value(json!({"metadata": {"name": "p"}, "spec": spec})).expect("pod")
        };
        let messages = |found: Vec<Cause>| -> Vec<String> {
            found
                .into_iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect()
        };
        let gated = pod(json!({"schedulingGates": [{"name": "example.com/a"}, {"name": "b"}]}));
        assert!(validate("", "Pod", &gated, None).is_empty());
        let found = messages(validate(
            "",
            "Pod",
            &pod(
                json!({"schedulingGates": [{"name": "b"}, {"name": "b"}, {"name": "-x"}],
                        "nodeName": "n1"}),
            ),
            None,
        ));
        assert!(
            found.contains(&"spec.schedulingGates[1]: Duplicate value: \"b\"".to_string()),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|c| c.starts_with("spec.schedulingGates[2]: Invalid value: \"-x\"")),
            "{found:?}"
        );
        assert!(
            found.contains(
                &"spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared"
                    .to_string()
            ),
            "{found:?}"
        );
        // Only on create: an existing pod with both, or a template with both, is not refused.
        let both = pod(json!({"schedulingGates": [{"name": "b"}], "nodeName": "n1"}));
        assert!(validate("", "Pod", &both, Some(&both)).is_empty());
        let deployment: Object = serde_json::from_value(json!({"metadata": {"name": "d"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "x"}], "nodeName": "n1",
                         "schedulingGates": [{"name": "g"}]}}}}))
        .expect("deployment");
        assert!(validate("apps", "Deployment", &deployment, None).is_empty());
        // Removing gates is an update; adding one is not.
        let fewer = pod(json!({"schedulingGates": [{"name": "b"}]}));
        assert!(validate("", "Pod", &fewer, Some(&gated)).is_empty());
        let none = pod(json!({}));
        assert!(validate("", "Pod", &none, Some(&gated)).is_empty());
        let found = messages(validate("", "Pod", &gated, Some(&fewer)));
        assert_eq!(
            found,
            vec![
                "spec.schedulingGates[0].name: Forbidden: only deletion is allowed, but found new scheduling gate 'example.com/a'"
            ]
        );
    }

    #[test]
    fn selectors_are_immutable_and_jobs_need_a_restart_policy() {
        let old: Object = serde_json::from_value(json!({"metadata": {"name": "web"}, "spec": {"selector": {"matchLabels": {"app": "a"}},
            "template": {"metadata": {"labels": {"app": "a", "b": "c"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})).expect("old");
        let mut new = old.clone();
        new.body.insert("spec".into(), json!({"selector": {"matchLabels": {"b": "c"}},
            "template": {"metadata": {"labels": {"app": "a", "b": "c"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}));
        let found = validate("apps", "Deployment", &new, Some(&old));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "spec.selector");
        let found = causes(
            "batch",
            "Job",
            json!({"metadata": {"name": "j"}, "spec": {"template": {"spec": {"restartPolicy": "Always", "containers": [{"name": "c", "image": "i"}]}}}}),
        );
        assert_eq!(found.len(), 1, "{found:?}");
    }
}

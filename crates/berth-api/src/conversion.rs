//! Conversion between the versions of a resource that share one storage.
//!
//! A resource served in several versions is stored once, in its storage version, and
//! converted on the way in and out, as upstream:
//! - HorizontalPodAutoscaler: stored as `autoscaling/v2` (the first version the catalogue
//!   lists), also served as `autoscaling/v1`. What v1 cannot express is kept in annotations, as
//!   upstream does, so a v1 round trip loses nothing.
//! - Event: stored as core `v1`, also served as `events.k8s.io/v1` (`regarding` for
//!   `involvedObject`, `note` for `message`, `deprecated*` for the series fields).

use serde_json::{Map, Value, json};

use crate::{Object, ResourceType};

/// v2 metrics that v1 cannot express, kept on v1 objects as upstream does.
const HPA_METRICS: &str = "autoscaling.alpha.kubernetes.io/metrics";
const HPA_CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";
const HPA_CURRENT_METRICS: &str = "autoscaling.alpha.kubernetes.io/current-metrics";

/// The version objects of `rt`'s resource are stored in.
pub fn storage_version(rt: &ResourceType) -> Option<&'static ResourceType> {
    let group = if rt.group == "events.k8s.io" && rt.plural == "events" {
        ""
    } else {
        rt.group
    };
    crate::catalogue::preferred(group, rt.plural)
}

/// core/v1 Event field ↔ events.k8s.io/v1 Event field.
const EVENT_FIELDS: &[(&str, &str)] = &[
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
    ("reportingComponent", "reportingController"),
];

fn rename_fields(object: &mut Object, to_events_group: bool) {
    for (core, events) in EVENT_FIELDS {
        let (from, to) = if to_events_group {
            (core, events)
        } else {
            (events, core)
        };
        if let Some(value) = object.body.remove(*from) {
            object.body.insert((*to).to_string(), value);
        }
    }
}

/// Converts `object` (in whatever version its `apiVersion` says) to `target`'s version.
pub fn convert(object: &mut Object, target: &ResourceType) {
    let wanted = target.group_version().api_version();
    if object.api_version == wanted || object.api_version.is_empty() {
        object.api_version = wanted;
        return;
    }
    if target.kind == "Event" {
        match (object.api_version.as_str(), target.group) {
            ("v1", "events.k8s.io") => rename_fields(object, true),
            ("events.k8s.io/v1", "") => rename_fields(object, false),
            _ => {}
        }
    }
    if target.group == "autoscaling" && target.kind == "HorizontalPodAutoscaler" {
        match (object.api_version.as_str(), target.version) {
            ("autoscaling/v2", "v1") => hpa_v2_to_v1(object),
            ("autoscaling/v1", "v2") => hpa_v1_to_v2(object),
            _ => {}
        }
    }
    object.api_version = wanted;
}

fn take_json_annotation(object: &mut Object, key: &str) -> Option<Value> {
    object
        .metadata
        .annotations
        .remove(key)
        .and_then(|text| serde_json::from_str(&text).ok())
}

fn is_cpu_utilization(metric: &Value) -> bool {
    metric.get("type").and_then(Value::as_str) == Some("Resource")
        && metric.pointer("/resource/name").and_then(Value::as_str) == Some("cpu")
        && metric
            .pointer("/resource/target/type")
            .and_then(Value::as_str)
            == Some("Utilization")
}

fn hpa_v2_to_v1(object: &mut Object) {
    let mut spec = object
        .body
        .get("spec")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let metrics = spec
        .remove("metrics")
        .and_then(|m| m.as_array().cloned())
        .unwrap_or_default();
    spec.remove("behavior");
    let (cpu, others): (Vec<Value>, Vec<Value>) = metrics.into_iter().partition(is_cpu_utilization);
    if let Some(target) = cpu
        .first()
        .and_then(|m| m.pointer("/resource/target/averageUtilization"))
    {
        spec.insert("targetCPUUtilizationPercentage".into(), target.clone());
    }
    if !others.is_empty() {
        object
            .metadata
            .annotations
            .insert(HPA_METRICS.into(), Value::Array(others).to_string());
    }
    object.body.insert("spec".into(), Value::Object(spec));
    if let Some(mut status) = object
        .body
        .get("status")
        .and_then(Value::as_object)
        .cloned()
    {
        let current = status
            .remove("currentMetrics")
            .and_then(|m| m.as_array().cloned())
            .unwrap_or_default();
        let (cpu, others): (Vec<Value>, Vec<Value>) = current.into_iter().partition(|m| {
            m.get("type").and_then(Value::as_str) == Some("Resource")
                && m.pointer("/resource/name").and_then(Value::as_str) == Some("cpu")
        });
        if let Some(value) = cpu
            .first()
            .and_then(|m| m.pointer("/resource/current/averageUtilization"))
        {
            status.insert("currentCPUUtilizationPercentage".into(), value.clone());
        }
        if !others.is_empty() {
            object
                .metadata
                .annotations
                .insert(HPA_CURRENT_METRICS.into(), Value::Array(others).to_string());
        }
        if let Some(conditions) = status.remove("conditions") {
            object
                .metadata
                .annotations
                .insert(HPA_CONDITIONS.into(), conditions.to_string());
        }
        object.body.insert("status".into(), Value::Object(status));
    }
}

fn hpa_v1_to_v2(object: &mut Object) {
    let mut spec: Map<String, Value> = object
        .body
        .get("spec")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut metrics = Vec::new();
    if let Some(target) = spec.remove("targetCPUUtilizationPercentage") {
        metrics.push(json!({"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": target}}}));
    }
    if let Some(Value::Array(others)) = take_json_annotation(object, HPA_METRICS) {
        metrics.extend(others);
    }
    if !metrics.is_empty() {
        spec.insert("metrics".into(), Value::Array(metrics));
    }
    object.body.insert("spec".into(), Value::Object(spec));
    let current_others = take_json_annotation(object, HPA_CURRENT_METRICS);
    let conditions = take_json_annotation(object, HPA_CONDITIONS);
    if let Some(mut status) = object
        .body
        .get("status")
        .and_then(Value::as_object)
        .cloned()
    {
        let mut current = Vec::new();
        if let Some(value) = status.remove("currentCPUUtilizationPercentage") {
            current.push(json!({"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": value}}}));
        }
        if let Some(Value::Array(others)) = current_others {
            current.extend(others);
        }
        if !current.is_empty() {
            status.insert("currentMetrics".into(), Value::Array(current));
        }
        if let Some(conditions) = conditions {
            status.insert("conditions".into(), conditions);
        }
        object.body.insert("status".into(), Value::Object(status));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::lookup;

    #[test]
    fn events_share_core_storage() {
        let core = lookup("", "v1", "events").expect("core events");
        let events = lookup("events.k8s.io", "v1", "events").expect("events.k8s.io");
        assert!(storage_version(events).is_some_and(|s| std::ptr::eq(s, core)));
        assert_eq!(events.storage_prefix(), core.storage_prefix());
        let mut object: Object = serde_json::from_value(json!({
            "apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "e"},
            "regarding": {"kind": "Pod", "name": "web-0"}, "note": "Scheduled", "reason": "Scheduled",
            "reportingController": "berth-scheduler", "type": "Normal",
        })).expect("event");
        let original = object.clone();
        convert(&mut object, core);
        assert_eq!(object.body["involvedObject"]["name"], "web-0");
        assert_eq!(object.body["message"], "Scheduled");
        assert_eq!(object.body["reportingComponent"], "berth-scheduler");
        convert(&mut object, events);
        assert_eq!(object, original);
    }

    #[test]
    fn hpa_round_trips_between_v1_and_v2() {
        let v1 = lookup("autoscaling", "v1", "horizontalpodautoscalers").expect("v1");
        let v2 = lookup("autoscaling", "v2", "horizontalpodautoscalers").expect("v2");
        assert!(storage_version(v1).is_some_and(|s| std::ptr::eq(s, v2)));
        let mut object: Object = serde_json::from_value(json!({
            "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": "web"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web", "apiVersion": "apps/v1"},
                     "minReplicas": 1, "maxReplicas": 5,
                     "metrics": [
                        {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
                        {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}}]},
        })).expect("hpa");
        let original = object.clone();
        convert(&mut object, v1);
        assert_eq!(object.api_version, "autoscaling/v1");
        assert_eq!(object.body["spec"]["targetCPUUtilizationPercentage"], 60);
        assert!(object.body["spec"].get("metrics").is_none());
        assert!(object.metadata.annotations.contains_key(HPA_METRICS));
        convert(&mut object, v2);
        assert_eq!(object, original);
    }
}

//! Defaulting, as upstream's `SetDefaults_*` functions: fields a user may leave out get the
//! values a Kubernetes API server would store, so `kubectl get -o yaml` shows what users know
//! and controllers can rely on them. Applied on every create and update.
//!
//! Covered: Pod specs (in Pods and in every pod template), Deployment, ReplicaSet,
//! StatefulSet, DaemonSet, Job, CronJob, ReplicationController. Services are defaulted with
//! their address allocation in the API server.

use serde_json::{Map, Value, json};

fn object<'a>(map: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    map.entry(key).or_insert_with(|| json!({})).as_object_mut()
}

fn default(map: &mut Map<String, Value>, key: &str, value: Value) {
    if map.get(key).is_none_or(Value::is_null) {
        map.insert(key.to_string(), value);
    }
}

/// `IfNotPresent`, unless the image is `:latest` or untagged (then `Always`).
fn pull_policy(image: &str) -> &'static str {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    match last.rsplit_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ if image.contains('@') => "IfNotPresent",
        _ => "Always",
    }
}

fn probe(probe: &mut Map<String, Value>) {
    default(probe, "timeoutSeconds", json!(1));
    default(probe, "periodSeconds", json!(10));
    default(probe, "successThreshold", json!(1));
    default(probe, "failureThreshold", json!(3));
    if let Some(http) = probe.get_mut("httpGet").and_then(Value::as_object_mut) {
        default(http, "scheme", json!("HTTP"));
        default(http, "path", json!("/"));
    }
}

fn container(c: &mut Map<String, Value>) {
    let image = c
        .get("image")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    default(c, "imagePullPolicy", json!(pull_policy(&image)));
    default(c, "terminationMessagePath", json!("/dev/termination-log"));
    default(c, "terminationMessagePolicy", json!("File"));
    default(c, "resources", json!({}));
    for port in c
        .get_mut("ports")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(port) = port.as_object_mut() {
            default(port, "protocol", json!("TCP"));
        }
    }
    for key in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(key).and_then(Value::as_object_mut) {
            probe(p);
        }
    }
    for env in c
        .get_mut("env")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if let Some(field_ref) = env
            .pointer_mut("/valueFrom/fieldRef")
            .and_then(Value::as_object_mut)
        {
            default(field_ref, "apiVersion", json!("v1"));
        }
    }
}

/// Defaults of a PodSpec.
pub fn pod_spec(spec: &mut Map<String, Value>) {
    default(spec, "restartPolicy", json!("Always"));
    default(spec, "terminationGracePeriodSeconds", json!(30));
    default(spec, "dnsPolicy", json!("ClusterFirst"));
    default(spec, "securityContext", json!({}));
    default(spec, "schedulerName", json!("default-scheduler"));
    default(spec, "enableServiceLinks", json!(true));
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for c in spec
            .get_mut(key)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(c) = c.as_object_mut() {
                container(c);
            }
        }
    }
    for volume in spec
        .get_mut("volumes")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let Some(volume) = volume.as_object_mut() else {
            continue;
        };
        for key in ["configMap", "secret", "downwardAPI", "projected"] {
            if let Some(source) = volume.get_mut(key).and_then(Value::as_object_mut) {
                default(source, "defaultMode", json!(420));
            }
        }
    }
}

fn template(spec: &mut Map<String, Value>) {
    if let Some(pod) = spec
        .get_mut("template")
        .and_then(Value::as_object_mut)
        .and_then(|t| object(t, "spec"))
    {
        pod_spec(pod);
    }
}

/// Applies the defaults of `group/kind` to an object's top-level fields.
pub fn apply(group: &str, kind: &str, body: &mut Map<String, Value>) {
    match (group, kind) {
        ("", "Pod") => {
            if let Some(spec) = object(body, "spec") {
                pod_spec(spec);
            }
        }
        ("", "ReplicationController") | ("apps", "ReplicaSet") => {
            if let Some(spec) = object(body, "spec") {
                default(spec, "replicas", json!(1));
                template(spec);
            }
        }
        ("apps", "Deployment") => {
            if let Some(spec) = object(body, "spec") {
                default(spec, "replicas", json!(1));
                default(spec, "revisionHistoryLimit", json!(10));
                default(spec, "progressDeadlineSeconds", json!(600));
                if let Some(strategy) = object(spec, "strategy") {
                    default(strategy, "type", json!("RollingUpdate"));
                    if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
                        && let Some(rolling) = object(strategy, "rollingUpdate")
                    {
                        default(rolling, "maxSurge", json!("25%"));
                        default(rolling, "maxUnavailable", json!("25%"));
                    }
                }
                template(spec);
            }
        }
        ("apps", "StatefulSet") => {
            if let Some(spec) = object(body, "spec") {
                default(spec, "replicas", json!(1));
                default(spec, "podManagementPolicy", json!("OrderedReady"));
                default(spec, "revisionHistoryLimit", json!(10));
                default(
                    spec,
                    "persistentVolumeClaimRetentionPolicy",
                    json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
                );
                if let Some(strategy) = object(spec, "updateStrategy") {
                    default(strategy, "type", json!("RollingUpdate"));
                    if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
                        && let Some(rolling) = object(strategy, "rollingUpdate")
                    {
                        default(rolling, "partition", json!(0));
                    }
                }
                template(spec);
            }
        }
        ("apps", "DaemonSet") => {
            if let Some(spec) = object(body, "spec") {
                default(spec, "revisionHistoryLimit", json!(10));
                if let Some(strategy) = object(spec, "updateStrategy") {
                    default(strategy, "type", json!("RollingUpdate"));
                    if strategy.get("type").and_then(Value::as_str) == Some("RollingUpdate")
                        && let Some(rolling) = object(strategy, "rollingUpdate")
                    {
                        default(rolling, "maxUnavailable", json!(1));
                        default(rolling, "maxSurge", json!(0));
                    }
                }
                template(spec);
            }
        }
        ("batch", "Job") => {
            if let Some(spec) = object(body, "spec") {
                job_spec(spec);
            }
        }
        ("batch", "CronJob") => {
            if let Some(spec) = object(body, "spec") {
                default(spec, "concurrencyPolicy", json!("Allow"));
                default(spec, "suspend", json!(false));
                default(spec, "successfulJobsHistoryLimit", json!(3));
                default(spec, "failedJobsHistoryLimit", json!(1));
                if let Some(job) = spec
                    .get_mut("jobTemplate")
                    .and_then(Value::as_object_mut)
                    .and_then(|t| object(t, "spec"))
                {
                    job_spec(job);
                }
            }
        }
        _ => {}
    }
}

/// Labels a Job's pods carry and its generated selector matches (upstream's
/// `generateSelector`): set on create unless `spec.manualSelector` is true.
pub fn job_selector(body: &mut Map<String, Value>, uid: &str, name: &str) {
    let Some(spec) = object(body, "spec") else {
        return;
    };
    if spec.get("manualSelector") == Some(&Value::Bool(true)) {
        return;
    }
    spec.insert(
        "selector".into(),
        json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}),
    );
    let Some(template) = object(spec, "template") else {
        return;
    };
    let Some(metadata) = template
        .entry("metadata")
        .or_insert_with(|| json!({}))
        .as_object_mut()
    else {
        return;
    };
    let labels = metadata.entry("labels").or_insert_with(|| json!({}));
    if !labels.is_object() {
        *labels = json!({});
    }
    if let Some(labels) = labels.as_object_mut() {
        for (key, value) in [
            ("batch.kubernetes.io/controller-uid", uid),
            ("batch.kubernetes.io/job-name", name),
            ("controller-uid", uid),
            ("job-name", name),
        ] {
            labels.insert(key.into(), json!(value));
        }
    }
}

fn job_spec(spec: &mut Map<String, Value>) {
    let parallelism_set = spec.get("parallelism").is_some_and(|v| !v.is_null());
    let completions_set = spec.get("completions").is_some_and(|v| !v.is_null());
    if !parallelism_set && !completions_set {
        spec.insert("completions".into(), json!(1));
    }
    default(spec, "parallelism", json!(1));
    default(spec, "backoffLimit", json!(6));
    default(spec, "completionMode", json!("NonIndexed"));
    default(spec, "suspend", json!(false));
    default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    template(spec);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaulted(group: &str, kind: &str, value: Value) -> Value {
        let mut map = value.as_object().cloned().unwrap_or_default();
        apply(group, kind, &mut map);
        Value::Object(map)
    }

    #[test]
    fn deployments_get_upstream_defaults() {
        let d = defaulted(
            "apps",
            "Deployment",
            json!({"spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}],
             "readinessProbe": {"httpGet": {"port": 80}}}]}}}}),
        );
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(
            d["spec"]["strategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
        );
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Always");
        assert_eq!(pod["terminationGracePeriodSeconds"], 30);
        let c = &pod["containers"][0];
        assert_eq!(c["imagePullPolicy"], "IfNotPresent");
        assert_eq!(c["ports"][0]["protocol"], "TCP");
        assert_eq!(c["readinessProbe"]["periodSeconds"], 10);
        assert_eq!(c["readinessProbe"]["httpGet"]["scheme"], "HTTP");
    }

    #[test]
    fn explicit_values_win_and_recreate_has_no_rolling_update() {
        let d = defaulted(
            "apps",
            "Deployment",
            json!({"spec": {"replicas": 0, "strategy": {"type": "Recreate"}}}),
        );
        assert_eq!(d["spec"]["replicas"], 0);
        assert_eq!(d["spec"]["strategy"], json!({"type": "Recreate"}));
    }

    #[test]
    fn pull_policy_follows_the_tag() {
        for (image, policy) in [
            ("nginx", "Always"),
            ("nginx:latest", "Always"),
            ("nginx:1.27", "IfNotPresent"),
            ("localhost:5000/app", "Always"),
            ("localhost:5000/app:v2", "IfNotPresent"),
            ("app@sha256:abcd", "IfNotPresent"),
        ] {
            assert_eq!(pull_policy(image), policy, "{image}");
        }
    }

    #[test]
    fn jobs_get_a_generated_selector_unless_manual() {
        let mut body = json!({"spec": {"template": {"spec": {}}}});
        let map = body.as_object_mut().map(std::mem::take).unwrap_or_default();
        let mut map = map;
        job_selector(&mut map, "u-1", "pi");
        let v = Value::Object(map);
        assert_eq!(
            v["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"],
            "u-1"
        );
        assert_eq!(
            v["spec"]["template"]["metadata"]["labels"]["job-name"],
            "pi"
        );
        let mut manual =
            json!({"spec": {"manualSelector": true, "selector": {"matchLabels": {"a": "b"}}}})
                .as_object()
                .cloned()
                .unwrap_or_default();
        job_selector(&mut manual, "u-1", "pi");
        assert_eq!(
            Value::Object(manual)["spec"]["selector"]["matchLabels"]["a"],
            "b"
        );
    }

    #[test]
    fn jobs_default_completions_only_when_neither_is_set() {
        let j = defaulted("batch", "Job", json!({"spec": {"parallelism": 3}}));
        assert_eq!(j["spec"].get("completions"), None);
        let j = defaulted("batch", "Job", json!({"spec": {}}));
        assert_eq!(
            (
                j["spec"]["completions"].clone(),
                j["spec"]["parallelism"].clone()
            ),
            (json!(1), json!(1))
        );
        assert_eq!(j["spec"]["backoffLimit"], 6);
    }
}

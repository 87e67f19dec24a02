//! Server-side printing: objects → `meta.k8s.io/v1` `Table` with upstream's columns, so
//! `kubectl get` shows what users expect. Kinds without a printer here get upstream's default
//! columns (Name, Created At).

use berth_api::{Object, ResourceType};
use serde_json::{Value, json};

/// `includeObject` of a Table request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(text: Option<&str>) -> IncludeObject {
        match text {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

/// Kubernetes' `duration.HumanDuration`: `45s`, `3m12s`, `5h3m`, `2d4h`, `3y20d`.
pub fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    let s = seconds.max(0);
    let (m, h) = (s / 60, s / 3600);
    let d = h / 24;
    let y = d / 365;
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else if d < 365 * 8 {
        if d % 365 == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{}d", d % 365)
        }
    } else {
        format!("{y}y")
    }
}

fn age(object: &Object) -> String {
    let created: Result<jiff::Timestamp, _> = object.metadata.creation_timestamp.parse();
    match created {
        Ok(t) => human_duration(jiff::Timestamp::now().as_second() - t.as_second()),
        Err(_) => "<unknown>".into(),
    }
}

fn column(name: &str, kind: &str, format: &str, priority: i32, description: &str) -> Value {
    json!({"name": name, "type": kind, "format": format, "description": description, "priority": priority})
}

fn get<'a>(object: &'a Object, path: &[&str]) -> &'a Value {
    let mut current = object.body.get(path[0]).unwrap_or(&Value::Null);
    for p in &path[1..] {
        current = current.get(p).unwrap_or(&Value::Null);
    }
    current
}

fn count(value: &Value) -> i64 {
    match value {
        Value::Object(m) => m.len() as i64,
        Value::Array(a) => a.len() as i64,
        _ => 0,
    }
}

fn text(value: &Value, default: &str) -> String {
    value
        .as_str()
        .map_or_else(|| default.to_string(), str::to_string)
}

/// An integer field, 0 when absent.
fn int(o: &Object, path: &[&str]) -> i64 {
    get(o, path).as_i64().unwrap_or(0)
}

/// Access modes as kubectl abbreviates them: `RWO,ROX`.
fn access_modes(modes: &Value) -> String {
    modes
        .as_array()
        .map(|m| {
            m.iter()
                .filter_map(Value::as_str)
                .map(|mode| match mode {
                    "ReadWriteOnce" => "RWO",
                    "ReadOnlyMany" => "ROX",
                    "ReadWriteMany" => "RWX",
                    "ReadWriteOncePod" => "RWOP",
                    other => other,
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// `k=v,k2=v2` of a label map.
fn label_string(map: &Value) -> String {
    map.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

/// The wide CONTAINERS, IMAGES and SELECTOR columns of workloads with a pod template.
fn template_column_definitions() -> [Value; 3] {
    [
        column(
            "Containers",
            "string",
            "",
            1,
            "Names of each container in the template.",
        ),
        column(
            "Images",
            "string",
            "",
            1,
            "Images referenced by each container in the template.",
        ),
        column("Selector", "string", "", 1, "Label selector for pods."),
    ]
}

/// The CONTAINERS, IMAGES and SELECTOR cells of workloads with a pod template.
fn template_columns(o: &Object) -> (String, String, String) {
    let containers = get(o, &["spec", "template", "spec", "containers"])
        .as_array()
        .cloned()
        .unwrap_or_default();
    let field = |name: &str| {
        containers
            .iter()
            .filter_map(|c| c.get(name).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(",")
    };
    (
        field("name"),
        field("image"),
        label_string(get(o, &["spec", "selector", "matchLabels"])),
    )
}

/// Builds one row's cells.
type RowFn = fn(&Object) -> Vec<Value>;

/// Columns and a row builder for one kind.
fn printer(rt: &ResourceType) -> (Vec<Value>, RowFn) {
    let name = column(
        "Name",
        "string",
        "name",
        0,
        "Name must be unique within a namespace.",
    );
    let age_col = column(
        "Age",
        "string",
        "",
        0,
        "CreationTimestamp is a timestamp representing the server time when this object was created.",
    );
    match (rt.group, rt.kind) {
        ("", "Namespace") => (
            vec![
                name,
                column("Status", "string", "", 0, "The status of the namespace"),
                age_col,
            ],
            |o| {
                vec![
                    json!(o.metadata.name),
                    json!(text(get(o, &["status", "phase"]), "Active")),
                    json!(age(o)),
                ]
            },
        ),
        ("", "ConfigMap") => (
            vec![
                name,
                column("Data", "string", "", 0, "Number of data items"),
                age_col,
            ],
            |o| {
                vec![
                    json!(o.metadata.name),
                    json!(count(get(o, &["data"])) + count(get(o, &["binaryData"]))),
                    json!(age(o)),
                ]
            },
        ),
        ("", "Secret") => (
            vec![
                name,
                column("Type", "string", "", 0, "The type of the secret"),
                column("Data", "string", "", 0, "Number of data items"),
                age_col,
            ],
            |o| {
                vec![
                    json!(o.metadata.name),
                    json!(text(get(o, &["type"]), "Opaque")),
                    json!(count(get(o, &["data"]))),
                    json!(age(o)),
                ]
            },
        ),
        ("", "Pod") => (
            vec![
                name,
                column(
                    "Ready",
                    "string",
                    "",
                    0,
                    "The aggregate readiness state of this pod for accepting traffic.",
                ),
                column(
                    "Status",
                    "string",
                    "",
                    0,
                    "The aggregate status of the containers in this pod.",
                ),
                column(
                    "Restarts",
                    "string",
                    "",
                    0,
                    "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
                ),
                age_col,
                column("IP", "string", "", 1, "IP address allocated to the pod."),
                column(
                    "Node",
                    "string",
                    "",
                    1,
                    "Name of the node assigned to this pod.",
                ),
                column(
                    "Nominated Node",
                    "string",
                    "",
                    1,
                    "Name of the node nominated for this pod.",
                ),
                column(
                    "Readiness Gates",
                    "string",
                    "",
                    1,
                    "The readiness gates of this pod.",
                ),
            ],
            |o| {
                let containers = count(get(o, &["spec", "containers"]));
                let statuses = get(o, &["status", "containerStatuses"])
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let ready = statuses
                    .iter()
                    .filter(|s| s.get("ready").and_then(Value::as_bool) == Some(true))
                    .count();
                let restarts: i64 = statuses
                    .iter()
                    .filter_map(|s| s.get("restartCount").and_then(Value::as_i64))
                    .sum();
                let mut status = text(get(o, &["status", "phase"]), "Pending");
                if let Some(reason) = get(o, &["status", "reason"]).as_str() {
                    status = reason.to_string();
                }
                let gated = get(o, &["status", "conditions"])
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|c| c["type"] == "PodScheduled" && c["reason"] == "SchedulingGated");
                if gated {
                    status = "SchedulingGated".into();
                }
                for s in &statuses {
                    if let Some(reason) = s
                        .pointer("/state/waiting/reason")
                        .or_else(|| s.pointer("/state/terminated/reason"))
                        .and_then(Value::as_str)
                    {
                        status = reason.to_string();
                    }
                }
                if o.metadata.deletion_timestamp.is_some() {
                    status = "Terminating".into();
                }
                vec![
                    json!(o.metadata.name),
                    json!(format!("{ready}/{containers}")),
                    json!(status),
                    json!(restarts.to_string()),
                    json!(age(o)),
                    json!(text(get(o, &["status", "podIP"]), "<none>")),
                    json!(text(get(o, &["spec", "nodeName"]), "<none>")),
                    json!(text(get(o, &["status", "nominatedNodeName"]), "<none>")),
                    json!("<none>"),
                ]
            },
        ),
        ("", "Service") => (
            vec![
                name,
                column("Type", "string", "", 0, "The type of the service."),
                column(
                    "Cluster-IP",
                    "string",
                    "",
                    0,
                    "The cluster IP of the service.",
                ),
                column(
                    "External-IP",
                    "string",
                    "",
                    0,
                    "The external IP of the service.",
                ),
                column("Port(s)", "string", "", 0, "The ports of the service."),
                age_col,
                column("Selector", "string", "", 1, "The selector of the service."),
            ],
            |o| {
                let kind = text(get(o, &["spec", "type"]), "ClusterIP");
                let cluster_ip = text(get(o, &["spec", "clusterIP"]), "<none>");
                let ingress: Vec<String> = get(o, &["status", "loadBalancer", "ingress"])
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|i| {
                                i.get("ip")
                                    .or_else(|| i.get("hostname"))
                                    .and_then(Value::as_str)
                                    .map(str::to_string)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let external = match kind.as_str() {
                    "ExternalName" => text(get(o, &["spec", "externalName"]), "<none>"),
                    "LoadBalancer" if ingress.is_empty() => "<pending>".into(),
                    "LoadBalancer" => ingress.join(","),
                    _ => get(o, &["spec", "externalIPs"])
                        .as_array()
                        .filter(|a| !a.is_empty())
                        .map_or_else(
                            || "<none>".to_string(),
                            |a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(",")
                            },
                        ),
                };
                let ports: Vec<String> = get(o, &["spec", "ports"])
                    .as_array()
                    .map(|ports| {
                        ports
                            .iter()
                            .map(|p| {
                                let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
                                let proto =
                                    p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
                                match p.get("nodePort").and_then(Value::as_i64) {
                                    Some(node) => format!("{port}:{node}/{proto}"),
                                    None => format!("{port}/{proto}"),
                                }
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let selector = Some(label_string(get(o, &["spec", "selector"])))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "<none>".into());
                vec![
                    json!(o.metadata.name),
                    json!(kind),
                    json!(cluster_ip),
                    json!(external),
                    json!(if ports.is_empty() {
                        "<none>".to_string()
                    } else {
                        ports.join(",")
                    }),
                    json!(age(o)),
                    json!(selector),
                ]
            },
        ),
        ("", "ServiceAccount") => (
            vec![
                name,
                column(
                    "Secrets",
                    "string",
                    "",
                    0,
                    "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.",
                ),
                age_col,
            ],
            |o| {
                vec![
                    json!(o.metadata.name),
                    json!(count(get(o, &["secrets"]))),
                    json!(age(o)),
                ]
            },
        ),
        ("", "Node") => (
            vec![
                name,
                column("Status", "string", "", 0, "The status of the node"),
                column("Roles", "string", "", 0, "The roles of the node"),
                age_col,
                column(
                    "Version",
                    "string",
                    "",
                    0,
                    "Kubelet Version reported by the node.",
                ),
                column("Internal-IP", "string", "", 1, "List of internal IPs."),
                column("External-IP", "string", "", 1, "List of external IPs."),
                column(
                    "OS-Image",
                    "string",
                    "",
                    1,
                    "OS image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).",
                ),
                column(
                    "Kernel-Version",
                    "string",
                    "",
                    1,
                    "Kernel version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
                ),
                column(
                    "Container-Runtime",
                    "string",
                    "",
                    1,
                    "Container runtime version reported by the node.",
                ),
            ],
            |o| {
                let ready = get(o, &["status", "conditions"])
                    .as_array()
                    .and_then(|c| {
                        c.iter()
                            .find(|c| c.get("type").and_then(Value::as_str) == Some("Ready"))
                    })
                    .and_then(|c| c.get("status"))
                    .and_then(Value::as_str);
                let mut status = match ready {
                    Some("True") => "Ready".to_string(),
                    _ => "NotReady".to_string(),
                };
                if get(o, &["spec", "unschedulable"]).as_bool() == Some(true) {
                    status.push_str(",SchedulingDisabled");
                }
                let roles: Vec<&str> = o
                    .metadata
                    .labels
                    .keys()
                    .filter_map(|k| k.strip_prefix("node-role.kubernetes.io/"))
                    .collect();
                let address = |kind: &str| {
                    get(o, &["status", "addresses"])
                        .as_array()
                        .and_then(|a| {
                            a.iter()
                                .find(|x| x.get("type").and_then(Value::as_str) == Some(kind))
                        })
                        .and_then(|x| x.get("address"))
                        .and_then(Value::as_str)
                        .unwrap_or("<none>")
                        .to_string()
                };
                vec![
                    json!(o.metadata.name),
                    json!(status),
                    json!(if roles.is_empty() {
                        "<none>".to_string()
                    } else {
                        roles.join(",")
                    }),
                    json!(age(o)),
                    json!(text(get(o, &["status", "nodeInfo", "kubeletVersion"]), "")),
                    json!(address("InternalIP")),
                    json!(address("ExternalIP")),
                    json!(text(
                        get(o, &["status", "nodeInfo", "osImage"]),
                        "<unknown>"
                    )),
                    json!(text(
                        get(o, &["status", "nodeInfo", "kernelVersion"]),
                        "<unknown>"
                    )),
                    json!(text(
                        get(o, &["status", "nodeInfo", "containerRuntimeVersion"]),
                        "<unknown>"
                    )),
                ]
            },
        ),
        ("", "Event") => (
            vec![
                column(
                    "Last Seen",
                    "string",
                    "",
                    0,
                    "Time when this Event was last seen",
                ),
                column(
                    "Type",
                    "string",
                    "",
                    0,
                    "Type of this event (Normal, Warning), new types could be added in the future.",
                ),
                column(
                    "Reason",
                    "string",
                    "",
                    0,
                    "Reason is why the action was taken. It is human-readable.",
                ),
                column(
                    "Object",
                    "string",
                    "",
                    0,
                    "The object that this event is about.",
                ),
                column(
                    "Message",
                    "string",
                    "",
                    0,
                    "A human-readable description of the status of this operation.",
                ),
                column(
                    "Name",
                    "string",
                    "name",
                    1,
                    "Name must be unique within a namespace.",
                ),
            ],
            |o| {
                let last: Option<jiff::Timestamp> = get(o, &["lastTimestamp"])
                    .as_str()
                    .or_else(|| get(o, &["eventTime"]).as_str())
                    .and_then(|t| t.parse().ok());
                let seen = last.map_or_else(
                    || "<unknown>".to_string(),
                    |t| human_duration(jiff::Timestamp::now().as_second() - t.as_second()),
                );
                let object = format!(
                    "{}/{}",
                    text(get(o, &["involvedObject", "kind"]), "").to_lowercase(),
                    text(get(o, &["involvedObject", "name"]), "")
                );
                vec![
                    json!(seen),
                    json!(text(get(o, &["type"]), "")),
                    json!(text(get(o, &["reason"]), "")),
                    json!(object),
                    json!(text(get(o, &["message"]), "")),
                    json!(o.metadata.name),
                ]
            },
        ),
        ("apps", "ReplicaSet") => (
            vec![
                name,
                column("Desired", "integer", "", 0, "Number of desired pods."),
                column("Current", "integer", "", 0, "Number of actual pods."),
                column("Ready", "integer", "", 0, "Number of ready pods."),
                age_col,
            ]
            .into_iter()
            .chain(template_column_definitions())
            .collect(),
            |o| {
                let n = |path: &[&str]| get(o, path).as_i64().unwrap_or(0);
                let (names, images, selector) = template_columns(o);
                vec![
                    json!(o.metadata.name),
                    json!(get(o, &["spec", "replicas"]).as_i64().unwrap_or(1)),
                    json!(n(&["status", "replicas"])),
                    json!(n(&["status", "readyReplicas"])),
                    json!(age(o)),
                    json!(names),
                    json!(images),
                    json!(selector),
                ]
            },
        ),
        ("apps", "StatefulSet") => (
            vec![
                name,
                column(
                    "Ready",
                    "string",
                    "",
                    0,
                    "Number of the pod with ready state",
                ),
                age_col,
                column(
                    "Containers",
                    "string",
                    "",
                    1,
                    "Names of each container in the template.",
                ),
                column(
                    "Images",
                    "string",
                    "",
                    1,
                    "Images referenced by each container in the template.",
                ),
            ],
            |o| {
                let (names, images, _) = template_columns(o);
                vec![
                    json!(o.metadata.name),
                    json!(format!(
                        "{}/{}",
                        int(o, &["status", "readyReplicas"]),
                        get(o, &["spec", "replicas"]).as_i64().unwrap_or(1)
                    )),
                    json!(age(o)),
                    json!(names),
                    json!(images),
                ]
            },
        ),
        ("apps", "DaemonSet") => (
            vec![
                name,
                column(
                    "Desired",
                    "integer",
                    "",
                    0,
                    "The number of nodes that should be running the daemon pod.",
                ),
                column(
                    "Current",
                    "integer",
                    "",
                    0,
                    "The number of nodes running at least one daemon pod.",
                ),
                column(
                    "Ready",
                    "integer",
                    "",
                    0,
                    "The number of nodes that should be running the daemon pod and have one or more running and ready.",
                ),
                column(
                    "Up-to-date",
                    "integer",
                    "",
                    0,
                    "The total number of nodes that are running updated daemon pod",
                ),
                column(
                    "Available",
                    "integer",
                    "",
                    0,
                    "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.",
                ),
                column(
                    "Node Selector",
                    "string",
                    "",
                    0,
                    "NodeSelector is a selector which must be true for the pod to fit on a node.",
                ),
                age_col,
            ]
            .into_iter()
            .chain(template_column_definitions())
            .collect(),
            |o| {
                let (names, images, selector) = template_columns(o);
                let node_selector = Some(label_string(get(
                    o,
                    &["spec", "template", "spec", "nodeSelector"],
                )))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "<none>".into());
                vec![
                    json!(o.metadata.name),
                    json!(int(o, &["status", "desiredNumberScheduled"])),
                    json!(int(o, &["status", "currentNumberScheduled"])),
                    json!(int(o, &["status", "numberReady"])),
                    json!(int(o, &["status", "updatedNumberScheduled"])),
                    json!(int(o, &["status", "numberAvailable"])),
                    json!(node_selector),
                    json!(age(o)),
                    json!(names),
                    json!(images),
                    json!(selector),
                ]
            },
        ),
        ("batch", "Job") => (
            vec![
                name,
                column("Status", "string", "", 0, "Status of the job."),
                column(
                    "Completions",
                    "string",
                    "",
                    0,
                    "The desired number of successfully finished pods the job should be run with.",
                ),
                column(
                    "Duration",
                    "string",
                    "",
                    0,
                    "Time required to complete the job.",
                ),
                age_col,
            ]
            .into_iter()
            .chain(template_column_definitions())
            .collect(),
            |o| {
                let (names, images, selector) = template_columns(o);
                let conditions = get(o, &["status", "conditions"])
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let has = |kind: &str| {
                    conditions.iter().any(|c| {
                        c.get("type").and_then(Value::as_str) == Some(kind)
                            && c.get("status").and_then(Value::as_str) == Some("True")
                    })
                };
                let status = if has("Complete") {
                    "Complete"
                } else if has("Failed") {
                    "Failed"
                } else if get(o, &["spec", "suspend"]).as_bool() == Some(true) {
                    "Suspended"
                } else {
                    "Running"
                };
                let completions = match get(o, &["spec", "completions"]).as_i64() {
                    Some(c) => format!("{}/{c}", int(o, &["status", "succeeded"])),
                    None => format!(
                        "{}/1 of {}",
                        int(o, &["status", "succeeded"]),
                        get(o, &["spec", "parallelism"]).as_i64().unwrap_or(1)
                    ),
                };
                let start: Option<jiff::Timestamp> = get(o, &["status", "startTime"])
                    .as_str()
                    .and_then(|t| t.parse().ok());
                let end: Option<jiff::Timestamp> = get(o, &["status", "completionTime"])
                    .as_str()
                    .and_then(|t| t.parse().ok());
                let duration = match start {
                    Some(s) => human_duration(
                        end.unwrap_or_else(jiff::Timestamp::now).as_second() - s.as_second(),
                    ),
                    None => String::new(),
                };
                vec![
                    json!(o.metadata.name),
                    json!(status),
                    json!(completions),
                    json!(duration),
                    json!(age(o)),
                    json!(names),
                    json!(images),
                    json!(selector),
                ]
            },
        ),
        ("batch", "CronJob") => (
            vec![
                name,
                column("Schedule", "string", "", 0, "The schedule in Cron format."),
                column(
                    "Timezone",
                    "string",
                    "",
                    0,
                    "The time zone name for the given schedule.",
                ),
                column(
                    "Suspend",
                    "boolean",
                    "",
                    0,
                    "This flag tells the controller to suspend subsequent executions.",
                ),
                column(
                    "Active",
                    "integer",
                    "",
                    0,
                    "A list of pointers to currently running jobs.",
                ),
                column(
                    "Last Schedule",
                    "string",
                    "",
                    0,
                    "Information when was the last time the job was successfully scheduled.",
                ),
                age_col,
            ],
            |o| {
                let last = get(o, &["status", "lastScheduleTime"])
                    .as_str()
                    .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                    .map_or_else(
                        || "<none>".to_string(),
                        |t| human_duration(jiff::Timestamp::now().as_second() - t.as_second()),
                    );
                vec![
                    json!(o.metadata.name),
                    json!(text(get(o, &["spec", "schedule"]), "")),
                    json!(text(get(o, &["spec", "timeZone"]), "<none>")),
                    json!(if get(o, &["spec", "suspend"]).as_bool() == Some(true) {
                        "True"
                    } else {
                        "False"
                    }),
                    json!(count(get(o, &["status", "active"]))),
                    json!(last),
                    json!(age(o)),
                ]
            },
        ),
        ("networking.k8s.io", "Ingress") => (
            vec![
                name,
                column(
                    "Class",
                    "string",
                    "",
                    0,
                    "The name of the IngressClass resource.",
                ),
                column(
                    "Hosts",
                    "string",
                    "",
                    0,
                    "Hosts that incoming requests are matched against before the ingress rule",
                ),
                column(
                    "Address",
                    "string",
                    "",
                    0,
                    "Address is a list containing ingress points for the load-balancer",
                ),
                column(
                    "Ports",
                    "string",
                    "",
                    0,
                    "Ports of TLS configurations that open",
                ),
                age_col,
            ],
            |o| {
                let hosts: Vec<String> = get(o, &["spec", "rules"])
                    .as_array()
                    .map(|r| {
                        r.iter()
                            .filter_map(|r| {
                                r.get("host").and_then(Value::as_str).map(str::to_string)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let address: Vec<String> = get(o, &["status", "loadBalancer", "ingress"])
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|i| {
                                i.get("ip")
                                    .or_else(|| i.get("hostname"))
                                    .and_then(Value::as_str)
                                    .map(str::to_string)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let ports = if count(get(o, &["spec", "tls"])) > 0 {
                    "80, 443"
                } else {
                    "80"
                };
                vec![
                    json!(o.metadata.name),
                    json!(text(get(o, &["spec", "ingressClassName"]), "<none>")),
                    json!(if hosts.is_empty() {
                        "*".to_string()
                    } else {
                        hosts.join(",")
                    }),
                    json!(address.join(",")),
                    json!(ports),
                    json!(age(o)),
                ]
            },
        ),
        ("", "Endpoints") => (
            vec![
                name,
                column("Endpoints", "string", "", 0, "Endpoints of the service"),
                age_col,
            ],
            |o| {
                let mut endpoints = Vec::new();
                for subset in get(o, &["subsets"]).as_array().into_iter().flatten() {
                    let ports: Vec<i64> = subset
                        .get("ports")
                        .and_then(Value::as_array)
                        .map(|p| {
                            p.iter()
                                .filter_map(|p| p.get("port").and_then(Value::as_i64))
                                .collect()
                        })
                        .unwrap_or_default();
                    for address in subset
                        .get("addresses")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let ip = address
                            .get("ip")
                            .and_then(Value::as_str)
                            .unwrap_or_default();
                        if ports.is_empty() {
                            endpoints.push(ip.to_string());
                        }
                        endpoints.extend(ports.iter().map(|p| format!("{ip}:{p}")));
                    }
                }
                let shown = match endpoints.len() {
                    0 => "<none>".to_string(),
                    n if n > 3 => format!("{} + {} more...", endpoints[..3].join(","), n - 3),
                    _ => endpoints.join(","),
                };
                vec![json!(o.metadata.name), json!(shown), json!(age(o))]
            },
        ),
        ("discovery.k8s.io", "EndpointSlice") => (
            vec![
                name,
                column(
                    "AddressType",
                    "string",
                    "",
                    0,
                    "Type of address carried by this EndpointSlice",
                ),
                column(
                    "Ports",
                    "string",
                    "",
                    0,
                    "Ports advertised by this EndpointSlice",
                ),
                column(
                    "Endpoints",
                    "string",
                    "",
                    0,
                    "Endpoints represented by this EndpointSlice",
                ),
                age_col,
            ],
            |o| {
                let ports: Vec<String> = get(o, &["ports"])
                    .as_array()
                    .map(|p| {
                        p.iter()
                            .filter_map(|p| {
                                p.get("port").and_then(Value::as_i64).map(|n| n.to_string())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let addresses: Vec<String> = get(o, &["endpoints"])
                    .as_array()
                    .map(|e| {
                        e.iter()
                            .flat_map(|e| {
                                e.get("addresses")
                                    .and_then(Value::as_array)
                                    .cloned()
                                    .unwrap_or_default()
                            })
                            .filter_map(|a| a.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                let shown = match addresses.len() {
                    0 => "<unset>".to_string(),
                    n if n > 3 => format!("{} + {} more...", addresses[..3].join(","), n - 3),
                    _ => addresses.join(","),
                };
                vec![
                    json!(o.metadata.name),
                    json!(text(get(o, &["addressType"]), "")),
                    json!(if ports.is_empty() {
                        "<unset>".to_string()
                    } else {
                        ports.join(",")
                    }),
                    json!(shown),
                    json!(age(o)),
                ]
            },
        ),
        ("coordination.k8s.io", "Lease") => (
            vec![
                name,
                column("Holder", "string", "", 0, "The holder of the lease."),
                age_col,
            ],
            |o| {
                vec![
                    json!(o.metadata.name),
                    json!(text(get(o, &["spec", "holderIdentity"]), "")),
                    json!(age(o)),
                ]
            },
        ),
        ("", "PersistentVolumeClaim") => (
            vec![
                name,
                column("Status", "string", "", 0, "The phase of the claim."),
                column("Volume", "string", "", 0, "The name of the bound volume."),
                column(
                    "Capacity",
                    "string",
                    "",
                    0,
                    "The capacity of the bound volume.",
                ),
                column(
                    "Access Modes",
                    "string",
                    "",
                    0,
                    "All access modes of the volume.",
                ),
                column(
                    "StorageClass",
                    "string",
                    "",
                    0,
                    "The storage class of the claim.",
                ),
                column(
                    "VolumeAttributesClass",
                    "string",
                    "",
                    0,
                    "The volume attributes class of the claim.",
                ),
                age_col,
            ],
            |o| {
                let modes = access_modes(get(o, &["status", "accessModes"]));
                vec![
                    json!(o.metadata.name),
                    json!(text(get(o, &["status", "phase"]), "Pending")),
                    json!(text(get(o, &["spec", "volumeName"]), "")),
                    json!(text(get(o, &["status", "capacity", "storage"]), "")),
                    json!(modes),
                    json!(text(get(o, &["spec", "storageClassName"]), "<unset>")),
                    json!(text(
                        get(o, &["spec", "volumeAttributesClassName"]),
                        "<unset>"
                    )),
                    json!(age(o)),
                ]
            },
        ),
        ("", "PersistentVolume") => (
            vec![
                name,
                column("Capacity", "string", "", 0, "The capacity of the volume."),
                column(
                    "Access Modes",
                    "string",
                    "",
                    0,
                    "All access modes of the volume.",
                ),
                column(
                    "Reclaim Policy",
                    "string",
                    "",
                    0,
                    "What happens to the volume when released from its claim.",
                ),
                column("Status", "string", "", 0, "The phase of the volume."),
                column("Claim", "string", "", 0, "The claim bound to the volume."),
                column(
                    "StorageClass",
                    "string",
                    "",
                    0,
                    "The storage class of the volume.",
                ),
                column(
                    "VolumeAttributesClass",
                    "string",
                    "",
                    0,
                    "The volume attributes class of the volume.",
                ),
                column("Reason", "string", "", 0, "Why the volume is in its phase."),
                age_col,
            ],
            |o| {
                let claim = match (
                    get(o, &["spec", "claimRef", "namespace"]).as_str(),
                    get(o, &["spec", "claimRef", "name"]).as_str(),
                ) {
                    (Some(ns), Some(n)) => format!("{ns}/{n}"),
                    _ => String::new(),
                };
                vec![
                    json!(o.metadata.name),
                    json!(text(get(o, &["spec", "capacity", "storage"]), "")),
                    json!(access_modes(get(o, &["spec", "accessModes"]))),
                    json!(text(
                        get(o, &["spec", "persistentVolumeReclaimPolicy"]),
                        "Retain"
                    )),
                    json!(text(get(o, &["status", "phase"]), "Pending")),
                    json!(claim),
                    json!(text(get(o, &["spec", "storageClassName"]), "")),
                    json!(text(
                        get(o, &["spec", "volumeAttributesClassName"]),
                        "<unset>"
                    )),
                    json!(text(get(o, &["status", "reason"]), "")),
                    json!(age(o)),
                ]
            },
        ),
        ("autoscaling", "HorizontalPodAutoscaler") => (
            vec![
                name,
                column("Reference", "string", "", 0, "The target resource."),
                column(
                    "Targets",
                    "string",
                    "",
                    0,
                    "The current and target metrics.",
                ),
                column(
                    "MinPods",
                    "string",
                    "",
                    0,
                    "The lower limit for the number of pods.",
                ),
                column(
                    "MaxPods",
                    "integer",
                    "",
                    0,
                    "The upper limit for the number of pods.",
                ),
                column(
                    "Replicas",
                    "integer",
                    "",
                    0,
                    "Current number of replicas of pods managed by this autoscaler.",
                ),
                age_col,
            ],
            |o| {
                let reference = format!(
                    "{}/{}",
                    text(get(o, &["spec", "scaleTargetRef", "kind"]), ""),
                    text(get(o, &["spec", "scaleTargetRef", "name"]), "")
                );
                let min = get(o, &["spec", "minReplicas"])
                    .as_i64()
                    .map_or_else(|| "<unset>".to_string(), |n| n.to_string());
                vec![
                    json!(o.metadata.name),
                    json!(reference),
                    json!("<unknown>"),
                    json!(min),
                    json!(int(o, &["spec", "maxReplicas"])),
                    json!(int(o, &["status", "currentReplicas"])),
                    json!(age(o)),
                ]
            },
        ),
        ("policy", "PodDisruptionBudget") => (
            vec![
                name,
                column(
                    "Min Available",
                    "string",
                    "",
                    0,
                    "The minimum number of pods that must be available.",
                ),
                column(
                    "Max Unavailable",
                    "string",
                    "",
                    0,
                    "The maximum number of pods that may be unavailable.",
                ),
                column(
                    "Allowed Disruptions",
                    "integer",
                    "",
                    0,
                    "Calculated number of pods that may be disrupted at this time.",
                ),
                age_col,
            ],
            |o| {
                let shown = |path: &[&str]| match get(o, path) {
                    Value::Null => "N/A".to_string(),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                vec![
                    json!(o.metadata.name),
                    json!(shown(&["spec", "minAvailable"])),
                    json!(shown(&["spec", "maxUnavailable"])),
                    json!(int(o, &["status", "disruptionsAllowed"])),
                    json!(age(o)),
                ]
            },
        ),
        ("scheduling.k8s.io", "PriorityClass") => (
            vec![
                name,
                column(
                    "Value",
                    "integer",
                    "",
                    0,
                    "The value of this priority class.",
                ),
                column(
                    "Global-Default",
                    "boolean",
                    "",
                    0,
                    "Whether this is the global default priority class.",
                ),
                age_col,
                column(
                    "PreemptionPolicy",
                    "string",
                    "",
                    0,
                    "The policy for preempting pods with lower priority.",
                ),
            ],
            |o| {
                vec![
                    json!(o.metadata.name),
                    json!(o.body.get("value").and_then(Value::as_i64).unwrap_or(0)),
                    json!(
                        if o.body.get("globalDefault").and_then(Value::as_bool) == Some(true) {
                            "true"
                        } else {
                            "false"
                        }
                    ),
                    json!(age(o)),
                    json!(
                        o.body
                            .get("preemptionPolicy")
                            .and_then(Value::as_str)
                            .unwrap_or("PreemptLowerPriority")
                    ),
                ]
            },
        ),
        ("storage.k8s.io", "StorageClass") => (
            vec![
                name,
                column(
                    "Provisioner",
                    "string",
                    "",
                    0,
                    "Indicates the type of the provisioner.",
                ),
                column(
                    "ReclaimPolicy",
                    "string",
                    "",
                    0,
                    "Indicates the type of the reclaim policy.",
                ),
                column(
                    "VolumeBindingMode",
                    "string",
                    "",
                    0,
                    "Indicates how volume binding is handled.",
                ),
                column(
                    "AllowVolumeExpansion",
                    "string",
                    "",
                    0,
                    "Indicates whether the storage class allow volume expand.",
                ),
                age_col,
            ],
            |o| {
                vec![
                    json!(o.metadata.name),
                    json!(
                        o.body
                            .get("provisioner")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                    ),
                    json!(
                        o.body
                            .get("reclaimPolicy")
                            .and_then(Value::as_str)
                            .unwrap_or("Delete")
                    ),
                    json!(
                        o.body
                            .get("volumeBindingMode")
                            .and_then(Value::as_str)
                            .unwrap_or("Immediate")
                    ),
                    json!(
                        o.body
                            .get("allowVolumeExpansion")
                            .and_then(Value::as_bool)
                            .unwrap_or(false)
                            .to_string()
                    ),
                    json!(age(o)),
                ]
            },
        ),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => (
            vec![
                name,
                column(
                    "Role",
                    "string",
                    "",
                    0,
                    "Role indicates the role this binding refers to.",
                ),
                age_col,
                column("Users", "string", "", 1, "Users in the binding."),
                column("Groups", "string", "", 1, "Groups in the binding."),
                column(
                    "ServiceAccounts",
                    "string",
                    "",
                    1,
                    "ServiceAccounts in the binding.",
                ),
            ],
            |o| {
                let subjects = get(o, &["subjects"])
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let of_kind = |kind: &str| {
                    subjects
                        .iter()
                        .filter(|s| s.get("kind").and_then(Value::as_str) == Some(kind))
                        .map(|s| {
                            match (
                                s.get("namespace").and_then(Value::as_str),
                                s.get("name").and_then(Value::as_str),
                            ) {
                                (Some(ns), Some(n)) if kind == "ServiceAccount" => {
                                    format!("{ns}/{n}")
                                }
                                (_, n) => n.unwrap_or_default().to_string(),
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                let role = format!(
                    "{}/{}",
                    text(get(o, &["roleRef", "kind"]), ""),
                    text(get(o, &["roleRef", "name"]), "")
                );
                vec![
                    json!(o.metadata.name),
                    json!(role),
                    json!(age(o)),
                    json!(of_kind("User")),
                    json!(of_kind("Group")),
                    json!(of_kind("ServiceAccount")),
                ]
            },
        ),
        ("", "ReplicationController") => (
            vec![
                name,
                column("Desired", "integer", "", 0, "Number of desired pods."),
                column("Current", "integer", "", 0, "Number of actual pods."),
                column("Ready", "integer", "", 0, "Number of ready pods."),
                age_col,
            ],
            |o| {
                vec![
                    json!(o.metadata.name),
                    json!(get(o, &["spec", "replicas"]).as_i64().unwrap_or(1)),
                    json!(int(o, &["status", "replicas"])),
                    json!(int(o, &["status", "readyReplicas"])),
                    json!(age(o)),
                ]
            },
        ),
        ("networking.k8s.io", "NetworkPolicy") => (
            vec![
                name,
                column(
                    "Pod-Selector",
                    "string",
                    "",
                    0,
                    "Select the pods to which this NetworkPolicy object applies.",
                ),
                age_col,
            ],
            |o| {
                let selector = Some(label_string(get(
                    o,
                    &["spec", "podSelector", "matchLabels"],
                )))
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "<none>".into());
                vec![json!(o.metadata.name), json!(selector), json!(age(o))]
            },
        ),
        ("networking.k8s.io", "IngressClass") => (
            vec![
                name,
                column(
                    "Controller",
                    "string",
                    "",
                    0,
                    "Controller that is responsible for handling this class.",
                ),
                column(
                    "Parameters",
                    "string",
                    "",
                    0,
                    "A reference to a resource with additional parameters.",
                ),
                age_col,
            ],
            |o| {
                let parameters = match get(o, &["spec", "parameters", "name"]).as_str() {
                    Some(n) => format!("{}/{n}", text(get(o, &["spec", "parameters", "kind"]), "")),
                    None => "<none>".into(),
                };
                vec![
                    json!(o.metadata.name),
                    json!(text(get(o, &["spec", "controller"]), "")),
                    json!(parameters),
                    json!(age(o)),
                ]
            },
        ),
        ("", "ResourceQuota") => (
            vec![
                name,
                age_col,
                column(
                    "Request",
                    "string",
                    "",
                    0,
                    "Request represents a minimum amount of cpu/memory that a container may consume.",
                ),
                column(
                    "Limit",
                    "string",
                    "",
                    0,
                    "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
                ),
            ],
            |o| {
                let hard = get(o, &["status", "hard"])
                    .as_object()
                    .cloned()
                    .or_else(|| get(o, &["spec", "hard"]).as_object().cloned())
                    .unwrap_or_default();
                let used = get(o, &["status", "used"])
                    .as_object()
                    .cloned()
                    .unwrap_or_default();
                let (mut requests, mut limits) = (Vec::new(), Vec::new());
                for (resource, total) in &hard {
                    let now = used.get(resource).and_then(Value::as_str).unwrap_or("0");
                    let entry = format!("{resource}: {now}/{}", total.as_str().unwrap_or_default());
                    if resource.starts_with("limits.") {
                        limits.push(entry)
                    } else {
                        requests.push(entry)
                    }
                }
                vec![
                    json!(o.metadata.name),
                    json!(age(o)),
                    json!(requests.join(", ")),
                    json!(limits.join(", ")),
                ]
            },
        ),
        ("apps", "ControllerRevision") => (
            vec![
                name,
                column("Controller", "string", "", 0, "Controller of the object."),
                column(
                    "Revision",
                    "integer",
                    "",
                    0,
                    "Revision of the ControllerRevision.",
                ),
                age_col,
            ],
            |o| {
                let controller = o
                    .metadata
                    .owner_references
                    .iter()
                    .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
                    .map(|r| {
                        format!(
                            "{}/{}",
                            r.get("kind")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_lowercase(),
                            r.get("name").and_then(Value::as_str).unwrap_or_default()
                        )
                    })
                    .unwrap_or_else(|| "<none>".into());
                vec![
                    json!(o.metadata.name),
                    json!(controller),
                    json!(o.body.get("revision").and_then(Value::as_i64).unwrap_or(0)),
                    json!(age(o)),
                ]
            },
        ),
        ("storage.k8s.io", "CSIDriver") => (
            vec![
                name,
                column(
                    "AttachRequired",
                    "boolean",
                    "",
                    0,
                    "Indicates this CSI volume driver requires an attach operation.",
                ),
                column(
                    "PodInfoOnMount",
                    "boolean",
                    "",
                    0,
                    "Indicates this CSI volume driver requires additional pod information during mount operations.",
                ),
                column(
                    "StorageCapacity",
                    "boolean",
                    "",
                    0,
                    "Indicates this CSI volume driver reports storage capacity.",
                ),
                column(
                    "TokenRequests",
                    "string",
                    "",
                    0,
                    "Indicates the CSI driver needs pods' service account tokens.",
                ),
                column(
                    "RequiresRepublish",
                    "boolean",
                    "",
                    0,
                    "Indicates the CSI driver wants NodePublishVolume being periodically called.",
                ),
                column(
                    "Modes",
                    "string",
                    "",
                    0,
                    "Volume lifecycle modes supported by the driver.",
                ),
                age_col,
            ],
            |o| {
                let flag = |field: &str, default: bool| {
                    get(o, &["spec", field])
                        .as_bool()
                        .unwrap_or(default)
                        .to_string()
                };
                let audiences: Vec<String> = get(o, &["spec", "tokenRequests"])
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|r| {
                                r.get("audience")
                                    .and_then(Value::as_str)
                                    .map(str::to_string)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let modes: Vec<&str> = get(o, &["spec", "volumeLifecycleModes"])
                    .as_array()
                    .map(|m| m.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                vec![
                    json!(o.metadata.name),
                    json!(flag("attachRequired", true)),
                    json!(flag("podInfoOnMount", false)),
                    json!(flag("storageCapacity", false)),
                    json!(if audiences.is_empty() {
                        "<unset>".to_string()
                    } else {
                        audiences.join(",")
                    }),
                    json!(flag("requiresRepublish", false)),
                    json!(if modes.is_empty() {
                        "Persistent".to_string()
                    } else {
                        modes.join(",")
                    }),
                    json!(age(o)),
                ]
            },
        ),
        ("storage.k8s.io", "CSINode") => (
            vec![
                name,
                column(
                    "Drivers",
                    "integer",
                    "",
                    0,
                    "Drivers indicates the number of CSI drivers registered on the node",
                ),
                age_col,
            ],
            |o| {
                vec![
                    json!(o.metadata.name),
                    json!(count(get(o, &["spec", "drivers"]))),
                    json!(age(o)),
                ]
            },
        ),
        ("storage.k8s.io", "VolumeAttachment") => (
            vec![
                name,
                column(
                    "Attacher",
                    "string",
                    "",
                    0,
                    "Attacher indicates the name of the volume driver that MUST handle this request.",
                ),
                column(
                    "PV",
                    "string",
                    "",
                    0,
                    "Name of the persistent volume to be attached.",
                ),
                column(
                    "Node",
                    "string",
                    "",
                    0,
                    "The node that the volume should be attached to.",
                ),
                column(
                    "Attached",
                    "boolean",
                    "",
                    0,
                    "Indicates the volume is successfully attached.",
                ),
                age_col,
            ],
            |o| {
                vec![
                    json!(o.metadata.name),
                    json!(text(get(o, &["spec", "attacher"]), "")),
                    json!(text(
                        get(o, &["spec", "source", "persistentVolumeName"]),
                        ""
                    )),
                    json!(text(get(o, &["spec", "nodeName"]), "")),
                    json!(
                        get(o, &["status", "attached"])
                            .as_bool()
                            .unwrap_or(false)
                            .to_string()
                    ),
                    json!(age(o)),
                ]
            },
        ),
        ("", "PodTemplate") => (
            vec![
                column(
                    "Template",
                    "string",
                    "name",
                    0,
                    "Name must be unique within a namespace.",
                ),
                column(
                    "Containers",
                    "string",
                    "",
                    0,
                    "Names of each container in the template.",
                ),
                column(
                    "Images",
                    "string",
                    "",
                    0,
                    "Images referenced by each container in the template.",
                ),
                column(
                    "Pod Labels",
                    "string",
                    "",
                    0,
                    "The labels for the pod template.",
                ),
            ],
            |o| {
                let containers = get(o, &["template", "spec", "containers"])
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let field = |f: &str| {
                    containers
                        .iter()
                        .filter_map(|c| c.get(f).and_then(Value::as_str))
                        .collect::<Vec<_>>()
                        .join(",")
                };
                vec![
                    json!(o.metadata.name),
                    json!(field("name")),
                    json!(field("image")),
                    json!(
                        Some(label_string(get(o, &["template", "metadata", "labels"])))
                            .filter(|s| !s.is_empty())
                            .unwrap_or_else(|| "<none>".into())
                    ),
                ]
            },
        ),
        ("apps", "Deployment") => (
            vec![
                name,
                column(
                    "Ready",
                    "string",
                    "",
                    0,
                    "Number of the pod with ready state",
                ),
                column(
                    "Up-to-date",
                    "string",
                    "",
                    0,
                    "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
                ),
                column(
                    "Available",
                    "string",
                    "",
                    0,
                    "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
                ),
                age_col,
            ]
            .into_iter()
            .chain(template_column_definitions())
            .collect(),
            |o| {
                let n = |path: &[&str]| get(o, path).as_i64().unwrap_or(0);
                let (names, images, selector) = template_columns(o);
                vec![
                    json!(o.metadata.name),
                    json!(format!(
                        "{}/{}",
                        n(&["status", "readyReplicas"]),
                        get(o, &["spec", "replicas"]).as_i64().unwrap_or(1)
                    )),
                    json!(n(&["status", "updatedReplicas"])),
                    json!(n(&["status", "availableReplicas"])),
                    json!(age(o)),
                    json!(names),
                    json!(images),
                    json!(selector),
                ]
            },
        ),
        _ => (
            vec![
                name,
                column(
                    "Created At",
                    "date",
                    "",
                    0,
                    "CreationTimestamp is a timestamp representing the server time when this object was created.",
                ),
            ],
            |o| vec![json!(o.metadata.name), json!(o.metadata.creation_timestamp)],
        ),
    }
}

fn row_object(object: &Object, include: IncludeObject) -> Value {
    match include {
        IncludeObject::None => Value::Null,
        IncludeObject::Object => object.to_value(),
        IncludeObject::Metadata => {
            let mut metadata = serde_json::to_value(&object.metadata).unwrap_or(Value::Null);
            if let Some(m) = metadata.as_object_mut() {
                m.remove("managedFields");
            }
            json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": metadata})
        }
    }
}

/// A Table of `objects`.
pub fn table(
    rt: &ResourceType,
    objects: &[Object],
    include: IncludeObject,
    resource_version: &str,
    continue_token: Option<&str>,
) -> Value {
    // events.k8s.io Events print like core Events, from the same stored fields.
    if rt.group == "events.k8s.io"
        && rt.kind == "Event"
        && let Some(core) = berth_api::catalogue::lookup("", "v1", "events")
    {
        let converted: Vec<Object> = objects
            .iter()
            .map(|o| {
                let mut o = o.clone();
                berth_api::conversion::convert(&mut o, core);
                o
            })
            .collect();
        return table(core, &converted, include, resource_version, continue_token);
    }
    let (columns, row) = printer(rt);
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut r = json!({"cells": row(o)});
            let object = row_object(o, include);
            if !object.is_null() {
                r["object"] = object;
            }
            r
        })
        .collect();
    let mut metadata = json!({"resourceVersion": resource_version});
    if let Some(token) = continue_token {
        metadata["continue"] = json!(token);
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "columnDefinitions": columns, "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_like_kubectl() {
        for (secs, text) in [
            (5, "5s"),
            (119, "119s"),
            (150, "2m30s"),
            (600, "10m"),
            (3 * 3600, "3h"),
            (3 * 3600 + 120, "3h2m"),
            (30 * 3600, "30h"),
            (50 * 3600, "2d2h"),
            (10 * 86400, "10d"),
            (800 * 86400, "2y70d"),
            (-5, "<invalid>"),
        ] {
            assert_eq!(human_duration(secs), text, "{secs}");
        }
    }

    #[test]
    fn pods_get_upstream_columns() {
        let rt = berth_api::catalogue::lookup("", "v1", "pods").expect("pods");
        let pod: Object = serde_json::from_value(json!({
            "metadata": {"name": "web-0", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "n1"},
            "status": {"phase": "Running", "podIP": "10.42.0.5",
                       "containerStatuses": [{"ready": true, "restartCount": 2}, {"ready": false, "restartCount": 1}]}
        })).expect("pod");
        let t = table(rt, &[pod], IncludeObject::Metadata, "7", None);
        let names: Vec<&str> = t["columnDefinitions"]
            .as_array()
            .expect("cols")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(&names[..5], &["Name", "Ready", "Status", "Restarts", "Age"]);
        let cells = &t["rows"][0]["cells"];
        assert_eq!(cells[0], "web-0");
        assert_eq!(cells[1], "1/2");
        assert_eq!(cells[2], "Running");
        assert_eq!(cells[3], "3");
        assert_eq!(cells[5], "10.42.0.5");
        assert_eq!(t["rows"][0]["object"]["metadata"]["name"], "web-0");

        let gated: Object = serde_json::from_value(json!({
            "metadata": {"name": "held"},
            "spec": {"containers": [{"name": "a"}], "schedulingGates": [{"name": "g"}]},
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled",
                       "status": "False", "reason": "SchedulingGated"}]}
        }))
        .expect("pod");
        let t = table(rt, &[gated], IncludeObject::Metadata, "7", None);
        assert_eq!(t["rows"][0]["cells"][2], "SchedulingGated");
    }
}

//! From a pod's container to a runtime [`ContainerSpec`]: the command (Kubernetes'
//! command/args over the image's Entrypoint/Cmd), the environment (image env, then `env`
//! with `$(VAR)` expansion, field and resource references, ConfigMap and Secret keys,
//! `envFrom`), the user (securityContext over the image's `User`), capabilities, mounts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::{Container, Pod};

use crate::image::oci::ImageConfig;
use crate::runtime::{BindMount, ContainerSpec, Resources, SharedNamespaces};

/// Why a container cannot be made (`CreateContainerConfigError` upstream).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The argv: upstream's rules for command/args over Entrypoint/Cmd.
pub fn argv(container: &Container, image: &ImageConfig) -> Vec<String> {
    let run = image.config.clone().unwrap_or_default();
    let expand = |list: &Vec<String>, env: &BTreeMap<String, String>| -> Vec<String> {
        list.iter().map(|a| expand_vars(a, env)).collect()
    };
    let env = BTreeMap::new();
    match (&container.command, &container.args) {
        (Some(command), args) => {
            let mut all = expand(command, &env);
            all.extend(args.iter().flatten().map(|a| expand_vars(a, &env)));
            all
        }
        (None, Some(args)) => {
            let mut all = run.entrypoint.unwrap_or_default();
            all.extend(expand(args, &env));
            all
        }
        (None, None) => {
            let mut all = run.entrypoint.unwrap_or_default();
            all.extend(run.cmd.unwrap_or_default());
            all
        }
    }
}

/// `$(NAME)` → its value when defined; `$$(NAME)` → `$(NAME)`; otherwise unchanged.
pub fn expand_vars(text: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && i + 1 < bytes.len() {
            if bytes[i + 1] == b'$' {
                out.push('$');
                i += 2;
                continue;
            }
            if bytes[i + 1] == b'('
                && let Some(end) = text[i + 2..].find(')')
            {
                let name = &text[i + 2..i + 2 + end];
                if let Some(value) = env.get(name) {
                    out.push_str(value);
                    i += end + 3;
                    continue;
                }
            }
        }
        let ch = text[i..].chars().next().unwrap_or_default();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// A pod field for `fieldRef`.
pub fn field_value(pod: &Pod, path: &str) -> Option<String> {
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let status = pod.status.as_ref();
    let bracketed = |prefix: &str, map: &Option<BTreeMap<String, String>>| {
        let key = path
            .strip_prefix(prefix)?
            .strip_prefix("['")?
            .strip_suffix("']")?;
        map.as_ref()?.get(key).cloned()
    };
    match path {
        "metadata.name" => meta.name.clone(),
        "metadata.namespace" => meta.namespace.clone(),
        "metadata.uid" => meta.uid.clone(),
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()),
        "spec.serviceAccountName" => spec.and_then(|s| s.service_account_name.clone()),
        "status.podIP" => status.and_then(|s| s.pod_ip.clone()),
        "status.hostIP" => status.and_then(|s| s.host_ip.clone()),
        "status.podIPs" => status.and_then(|s| {
            Some(
                s.pod_ips
                    .as_ref()?
                    .iter()
                    .map(|ip| ip.ip.clone())
                    .collect::<Vec<_>>()
                    .join(","),
            )
        }),
        _ if path.starts_with("metadata.labels") => bracketed("metadata.labels", &meta.labels),
        _ if path.starts_with("metadata.annotations") => {
            bracketed("metadata.annotations", &meta.annotations)
        }
        _ => None,
    }
}

/// Keys of the ConfigMaps and Secrets a container refers to, fetched by the caller.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    pub config_maps: BTreeMap<String, BTreeMap<String, String>>,
    pub secrets: BTreeMap<String, BTreeMap<String, String>>,
}

/// The environment: the image's, then `envFrom`, then `env` (later wins), `$(VAR)` expanded
/// against what came before.
pub fn environment(
    pod: &Pod,
    container: &Container,
    image: &ImageConfig,
    sources: &Sources,
) -> Result<Vec<String>, ConfigError> {
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut set = |env: &mut BTreeMap<String, String>, key: String, value: String| {
        if !order.contains(&key) {
            order.push(key.clone());
        }
        env.insert(key, value);
    };
    for pair in image
        .config
        .as_ref()
        .and_then(|c| c.env.clone())
        .unwrap_or_default()
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair.as_str(), ""));
        set(&mut env, k.to_string(), v.to_string());
    }
    for from in container.env_from.iter().flatten() {
        let prefix = from.prefix.clone().unwrap_or_default();
        if let Some(cm) = &from.config_map_ref {
            match sources.config_maps.get(&cm.name) {
                Some(data) => {
                    for (k, v) in data {
                        set(&mut env, format!("{prefix}{k}"), v.clone());
                    }
                }
                None if cm.optional == Some(true) => {}
                None => return Err(ConfigError(format!("configmap \"{}\" not found", cm.name))),
            }
        }
        if let Some(secret) = &from.secret_ref {
            match sources.secrets.get(&secret.name) {
                Some(data) => {
                    for (k, v) in data {
                        set(&mut env, format!("{prefix}{k}"), v.clone());
                    }
                }
                None if secret.optional == Some(true) => {}
                None => return Err(ConfigError(format!("secret \"{}\" not found", secret.name))),
            }
        }
    }
    for var in container.env.iter().flatten() {
        let value = if let Some(value) = &var.value {
            Some(expand_vars(value, &env))
        } else if let Some(from) = &var.value_from {
            if let Some(field) = &from.field_ref {
                field_value(pod, &field.field_path)
            } else if let Some(resource) = &from.resource_field_ref {
                Some(resource_value(container, &resource.resource))
            } else if let Some(key) = &from.config_map_key_ref {
                match sources
                    .config_maps
                    .get(&key.name)
                    .and_then(|d| d.get(&key.key))
                {
                    Some(v) => Some(v.clone()),
                    None if key.optional == Some(true) => None,
                    None => {
                        return Err(ConfigError(format!(
                            "couldn't find key {} in ConfigMap {}",
                            key.key, key.name
                        )));
                    }
                }
            } else if let Some(key) = &from.secret_key_ref {
                match sources.secrets.get(&key.name).and_then(|d| d.get(&key.key)) {
                    Some(v) => Some(v.clone()),
                    None if key.optional == Some(true) => None,
                    None => {
                        return Err(ConfigError(format!(
                            "couldn't find key {} in Secret {}",
                            key.key, key.name
                        )));
                    }
                }
            } else {
                None
            }
        } else {
            Some(String::new())
        };
        if let Some(value) = value {
            set(&mut env, var.name.clone(), value);
        }
    }
    Ok(order
        .iter()
        .filter_map(|k| env.get(k).map(|v| format!("{k}={v}")))
        .collect())
}

/// `limits.cpu` and friends for `resourceFieldRef` (limits, else requests, else 0), in the
/// units upstream uses: whole CPUs rounded up, bytes.
fn resource_value(container: &Container, resource: &str) -> String {
    let resources = container.resources.clone().unwrap_or_default();
    let (kind, name) = resource.split_once('.').unwrap_or(("limits", resource));
    let map = if kind == "requests" {
        resources.requests
    } else {
        resources.limits.or(resources.requests)
    };
    let quantity = map.and_then(|m| m.get(name).cloned());
    let Some(quantity) = quantity.and_then(|q| berth_api::quantity::Quantity::parse(&q.0).ok())
    else {
        return "0".into();
    };
    // Whole units rounded up: CPUs for cpu, bytes for memory.
    quantity.units().to_string()
}

/// uid and gid: securityContext (container over pod) over the image's `User`
/// (`uid[:gid]` or a name looked up in the image's /etc/passwd).
pub fn user(
    pod: &Pod,
    container: &Container,
    image: &ImageConfig,
    rootfs: &Path,
) -> Result<(u32, u32), ConfigError> {
    let pod_sc = pod.spec.as_ref().and_then(|s| s.security_context.clone());
    let sc = container.security_context.clone();
    let run_as_user = sc
        .as_ref()
        .and_then(|s| s.run_as_user)
        .or_else(|| pod_sc.as_ref().and_then(|s| s.run_as_user));
    let run_as_group = sc
        .as_ref()
        .and_then(|s| s.run_as_group)
        .or_else(|| pod_sc.as_ref().and_then(|s| s.run_as_group));
    let image_user = image
        .config
        .as_ref()
        .and_then(|c| c.user.clone())
        .filter(|u| !u.is_empty());
    let (mut uid, mut gid) = (0u32, 0u32);
    if let Some(user) = image_user {
        let (u, g) = user
            .split_once(':')
            .map_or((user.as_str(), None), |(u, g)| (u, Some(g)));
        let passwd = std::fs::read_to_string(rootfs.join("etc/passwd")).unwrap_or_default();
        match u.parse::<u32>() {
            Ok(n) => {
                uid = n;
                gid = passwd
                    .lines()
                    .map(|l| l.split(':').collect::<Vec<_>>())
                    .find(|f| f.get(2) == Some(&u))
                    .and_then(|f| f.get(3)?.parse().ok())
                    .unwrap_or(0);
            }
            Err(_) => {
                let entry = passwd
                    .lines()
                    .map(|l| l.split(':').collect::<Vec<_>>())
                    .find(|f| f.first() == Some(&u))
                    .ok_or_else(|| {
                        ConfigError(format!(
                            "unable to find user {u}: no matching entries in passwd file"
                        ))
                    })?;
                uid = entry.get(2).and_then(|v| v.parse().ok()).unwrap_or(0);
                gid = entry.get(3).and_then(|v| v.parse().ok()).unwrap_or(0);
            }
        }
        if let Some(g) = g {
            gid = g
                .parse()
                .map_err(|_| ConfigError(format!("unsupported group {g}")))?;
        }
    }
    if let Some(u) = run_as_user {
        uid = u32::try_from(u).map_err(|_| ConfigError(format!("invalid runAsUser {u}")))?;
        if run_as_group.is_none() && gid == 0 {
            gid = 0;
        }
    }
    if let Some(g) = run_as_group {
        gid = u32::try_from(g).map_err(|_| ConfigError(format!("invalid runAsGroup {g}")))?;
    }
    Ok((uid, gid))
}

/// What [`spec`] needs from the pod's worker besides the pod and container.
pub struct Context<'a> {
    pub id: String,
    pub image: &'a ImageConfig,
    pub rootfs_for_lookup: &'a Path,
    pub sources: &'a Sources,
    pub namespaces: SharedNamespaces,
    pub mounts: Vec<BindMount>,
    pub cgroup_path: String,
    pub hostname: String,
}

/// The runtime spec of `container` in `pod`.
pub fn spec(
    pod: &Pod,
    container: &Container,
    ctx: Context<'_>,
) -> Result<ContainerSpec, ConfigError> {
    let mut args = argv(container, ctx.image);
    let env = environment(pod, container, ctx.image, ctx.sources)?;
    let env_map: BTreeMap<String, String> = env
        .iter()
        .filter_map(|p| {
            p.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
        })
        .collect();
    // $(VAR) in command and args refers to the container's environment.
    if container.command.is_some() || container.args.is_some() {
        args = args.iter().map(|a| expand_vars(a, &env_map)).collect();
    }
    if args.is_empty() {
        return Err(ConfigError("no command specified".into()));
    }
    let (uid, gid) = user(pod, container, ctx.image, ctx.rootfs_for_lookup)?;
    let sc = container.security_context.clone().unwrap_or_default();
    let pod_sc = pod
        .spec
        .as_ref()
        .and_then(|s| s.security_context.clone())
        .unwrap_or_default();
    let caps = sc.capabilities.clone().unwrap_or_default();
    let cwd = container
        .working_dir
        .clone()
        .or_else(|| {
            ctx.image
                .config
                .as_ref()
                .and_then(|c| c.working_dir.clone())
        })
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "/".into());
    let resources = container.resources.clone().unwrap_or_default();
    let quantity = |map: &Option<
        BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >,
                    name: &str| {
        map.as_ref()
            .and_then(|m| m.get(name))
            .and_then(|q| berth_api::quantity::Quantity::parse(&q.0).ok())
    };
    let cpu_request = quantity(&resources.requests, "cpu").map(|q| q.milli());
    let cpu_limit = quantity(&resources.limits, "cpu").map(|q| q.milli());
    let memory_limit = quantity(&resources.limits, "memory").map(|q| q.units());
    Ok(ContainerSpec {
        id: ctx.id,
        args,
        env,
        cwd,
        uid,
        gid,
        additional_gids: pod_sc
            .supplemental_groups
            .iter()
            .flatten()
            .filter_map(|g| u32::try_from(*g).ok())
            .collect(),
        hostname: ctx.hostname,
        privileged: sc.privileged == Some(true),
        readonly_rootfs: sc.read_only_root_filesystem == Some(true),
        add_capabilities: caps.add.unwrap_or_default(),
        drop_capabilities: caps.drop.unwrap_or_default(),
        mounts: ctx.mounts,
        namespaces: ctx.namespaces,
        cgroup_path: ctx.cgroup_path,
        resources: Resources {
            // Upstream: 1024 shares per CPU requested, at least 2.
            cpu_shares: Some(
                cpu_request
                    .or(cpu_limit)
                    .map(|m| u64::try_from((m * 1024 / 1000).max(2)).unwrap_or(2))
                    .unwrap_or(2),
            ),
            cpu_quota: cpu_limit.map(|m| (m * 100).max(1000)),
            memory_limit,
            pids_limit: None,
        },
        no_new_privileges: sc.allow_privilege_escalation == Some(false),
        stdin: container.stdin == Some(true),
        tty: container.tty == Some(true),
    })
}

/// Where a volume's files are for this pod (`emptyDir` under the pod dir, `hostPath` on the
/// host), if the agent supports its kind.
pub fn volume_source(
    pod_dir: &Path,
    volume: &k8s_openapi::api::core::v1::Volume,
) -> Option<PathBuf> {
    if volume.empty_dir.is_some() {
        return Some(pod_dir.join("volumes").join(&volume.name));
    }
    if let Some(host) = &volume.host_path {
        return Some(PathBuf::from(&host.path));
    }
    if volume.config_map.is_some()
        || volume.secret.is_some()
        || volume.downward_api.is_some()
        || volume.projected.is_some()
    {
        return Some(pod_dir.join("volumes").join(&volume.name));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn container(value: serde_json::Value) -> Container {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("{e}"))
    }

    fn image(entrypoint: Option<Vec<&str>>, cmd: Option<Vec<&str>>) -> ImageConfig {
        serde_json::from_value(json!({
            "config": {"Entrypoint": entrypoint, "Cmd": cmd, "Env": ["PATH=/bin", "A=image"]},
            "rootfs": {"type": "layers", "diff_ids": []},
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn command_and_args_override_entrypoint_and_cmd_as_upstream() {
        let img = image(Some(vec!["/entry"]), Some(vec!["default"]));
        let c = |v| argv(&container(v), &img);
        assert_eq!(c(json!({"name": "c"})), vec!["/entry", "default"]);
        assert_eq!(c(json!({"name": "c", "args": ["x"]})), vec!["/entry", "x"]);
        assert_eq!(c(json!({"name": "c", "command": ["sh"]})), vec!["sh"]);
        assert_eq!(
            c(json!({"name": "c", "command": ["sh"], "args": ["-c", "true"]})),
            vec!["sh", "-c", "true"]
        );
    }

    #[test]
    fn variables_expand_and_escape() {
        let env: BTreeMap<String, String> = [("A".to_string(), "1".to_string())].into();
        assert_eq!(expand_vars("$(A)-$(B)-$$(A)", &env), "1-$(B)-$(A)");
    }

    #[test]
    fn environment_layers_image_env_from_and_env() {
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {"name": "p", "namespace": "ns", "labels": {"app": "web"}},
            "spec": {"containers": [], "nodeName": "n1"},
        }))
        .unwrap_or_default();
        let c = container(json!({"name": "c",
        "envFrom": [{"configMapRef": {"name": "cm"}, "prefix": "CM_"}],
        "env": [
            {"name": "A", "value": "pod-$(A)"},
            {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
            {"name": "PASS", "valueFrom": {"secretKeyRef": {"name": "s", "key": "password"}}},
        ]}));
        let mut sources = Sources::default();
        sources
            .config_maps
            .insert("cm".into(), [("K".to_string(), "v".to_string())].into());
        sources.secrets.insert(
            "s".into(),
            [("password".to_string(), "hunter2".to_string())].into(),
        );
        let env =
            environment(&pod, &c, &image(None, None), &sources).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            env,
            vec![
                "PATH=/bin",
                "A=pod-image",
                "CM_K=v",
                "NODE=n1",
                "APP=web",
                "PASS=hunter2"
            ]
        );
        let missing = container(json!({"name": "c", "env": [
            {"name": "X", "valueFrom": {"configMapKeyRef": {"name": "nope", "key": "k"}}}]}));
        assert!(environment(&pod, &missing, &image(None, None), &sources).is_err());
    }
}

//! A container's image before it starts, as the kubelet's image manager does it: the pull
//! policy (`Never`, `IfNotPresent`, `Always`), the pod's `imagePullSecrets` as credentials,
//! the pull itself, and the events that say what happened (`Pulling`, `Pulled`, `Failed`,
//! `ErrImageNeverPull`, `FailedToRetrieveImagePullSecret`) with upstream's wording.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use berth_client::events::EventType;
use k8s_openapi::api::core::v1::{Container, Pod, Secret};
use kube::api::Api;

use super::pod_worker::{Shared, reference};
use crate::image::registry::Keyring;
use crate::image::{ImageRef, Unpacked};

/// Why a container cannot start yet: the waiting reason and its message.
pub struct NotReady {
    pub reason: &'static str,
    pub message: String,
}

fn not_ready(reason: &'static str, message: String) -> NotReady {
    NotReady { reason, message }
}

/// The pull policy the API server defaults, should a pod arrive without one.
fn pull_policy(c: &Container, reference: &ImageRef) -> &'static str {
    match c.image_pull_policy.as_deref() {
        Some("Always") => "Always",
        Some("Never") => "Never",
        Some(_) => "IfNotPresent",
        None if reference.digest.is_none() && reference.tag.as_deref() == Some("latest") => {
            "Always"
        }
        None => "IfNotPresent",
    }
}

/// The image of `c`, unpacked, pulled first if its policy says so.
pub async fn ensure_image(
    shared: &Shared,
    pod: &Pod,
    c: &Container,
    field: Option<String>,
    first_attempt: bool,
) -> Result<Unpacked, NotReady> {
    let image_name = c.image.clone().unwrap_or_default();
    let image = ImageRef::parse(&image_name).map_err(|e| {
        not_ready(
            "InvalidImageName",
            format!("Failed to apply default image tag \"{image_name}\": {e}"),
        )
    })?;
    let event = |kind, reason: &str, message: String| {
        shared
            .events
            .record(reference(pod, field.clone()), kind, reason, message);
    };
    let policy = pull_policy(c, &image);
    let present = if policy == "Always" {
        None
    } else {
        local(shared, &image).await?
    };
    if let Some(unpacked) = present {
        if first_attempt {
            event(
                EventType::Normal,
                "Pulled",
                format!("Container image \"{image_name}\" already present on machine"),
            );
        }
        return Ok(unpacked);
    }
    if policy == "Never" {
        let message =
            format!("Container image \"{image_name}\" is not present with pull policy of Never");
        event(EventType::Warning, "ErrImageNeverPull", message.clone());
        return Err(not_ready("ErrImageNeverPull", message));
    }
    let keyring = pull_secrets(shared, pod, &event).await;
    event(
        EventType::Normal,
        "Pulling",
        format!("Pulling image \"{image_name}\""),
    );
    let started = Instant::now();
    let pulled = shared
        .puller
        .pull(&shared.images, &image, &keyring.lookup(&image))
        .await;
    let pulled = match pulled {
        Ok(pulled) => pulled,
        Err(e) => {
            let message = format!("Failed to pull image \"{image_name}\": {e}");
            event(EventType::Warning, "Failed", message.clone());
            event(
                EventType::Warning,
                "Failed",
                "Error: ErrImagePull".to_string(),
            );
            return Err(not_ready("ErrImagePull", message));
        }
    };
    let total = started.elapsed();
    event(
        EventType::Normal,
        "Pulled",
        format!(
            "Successfully pulled image \"{image_name}\" in {} ({} including waiting). Image size: {} bytes.",
            go_duration(total.saturating_sub(pulled.waited)),
            go_duration(total),
            pulled.image.size
        ),
    );
    let store = shared.images.clone();
    let image = pulled.image;
    tokio::task::spawn_blocking(move || store.unpack(&image))
        .await
        .map_err(|e| not_ready("ErrImagePull", e.to_string()))?
        .map_err(|e| not_ready("ErrImagePull", e.to_string()))
}

/// The image from the node's store, unpacked, if it is there.
async fn local(shared: &Shared, image: &ImageRef) -> Result<Option<Unpacked>, NotReady> {
    let store = shared.images.clone();
    let wanted = image.to_string();
    tokio::task::spawn_blocking(move || -> Result<Option<Unpacked>, String> {
        match store.resolve(&wanted).map_err(|e| e.to_string())? {
            Some(image) => store.unpack(&image).map(Some).map_err(|e| e.to_string()),
            None => Ok(None),
        }
    })
    .await
    .map_err(|e| not_ready("ErrImagePull", e.to_string()))?
    .map_err(|e| not_ready("ErrImagePull", e))
}

/// The credentials in the pod's `imagePullSecrets`. Secrets that are missing or malformed
/// are reported (as the kubelet does) and skipped; the pull is still tried.
async fn pull_secrets(
    shared: &Shared,
    pod: &Pod,
    event: &impl Fn(EventType, &str, String),
) -> Keyring {
    let mut keyring = Keyring::default();
    let names: Vec<String> = pod
        .spec
        .as_ref()
        .and_then(|s| s.image_pull_secrets.as_ref())
        .into_iter()
        .flatten()
        .map(|r| r.name.clone())
        .filter(|n| !n.is_empty())
        .collect();
    if names.is_empty() {
        return keyring;
    }
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let api: Api<Secret> = Api::namespaced(shared.client.clone(), &namespace);
    let mut missing = Vec::new();
    for name in names {
        match api.get_opt(&name).await {
            Ok(Some(secret)) => {
                let data: BTreeMap<String, Vec<u8>> = secret
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0))
                    .chain(
                        secret
                            .string_data
                            .unwrap_or_default()
                            .into_iter()
                            .map(|(k, v)| (k, v.into_bytes())),
                    )
                    .collect();
                let kind = secret.type_.unwrap_or_default();
                if let Err(why) = keyring.add_secret(&name, &kind, &data) {
                    event(
                        EventType::Warning,
                        "FailedToRetrieveImagePullSecret",
                        format!("Unable to use image pull secret \"{name}\": {why}"),
                    );
                }
            }
            Ok(None) => missing.push(name),
            Err(e) => {
                tracing::warn!(secret = %name, error = %e, "reading an image pull secret");
                missing.push(name);
            }
        }
    }
    if !missing.is_empty() {
        event(
            EventType::Warning,
            "FailedToRetrieveImagePullSecret",
            format!(
                "Unable to retrieve some image pull secrets ({}); attempting to pull the image may not succeed.",
                missing.join(", ")
            ),
        );
    }
    keyring
}

/// A duration as Go prints one (`1.226s`, `845.2ms`), which upstream's messages use.
fn go_duration(d: Duration) -> String {
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if d >= Duration::from_secs(1) {
        format!("{}s", trim(format!("{:.3}", d.as_secs_f64())))
    } else {
        format!("{}ms", trim(format!("{:.3}", d.as_secs_f64() * 1000.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_print_as_go_prints_them() {
        assert_eq!(go_duration(Duration::from_millis(1226)), "1.226s");
        assert_eq!(go_duration(Duration::from_secs(2)), "2s");
        assert_eq!(go_duration(Duration::from_micros(845_200)), "845.2ms");
        assert_eq!(go_duration(Duration::from_millis(12)), "12ms");
    }

    #[test]
    fn latest_defaults_to_always() {
        let c = Container::default();
        let latest = ImageRef::parse("busybox").expect("ref");
        let pinned = ImageRef::parse("busybox:1.36").expect("ref");
        assert_eq!(pull_policy(&c, &latest), "Always");
        assert_eq!(pull_policy(&c, &pinned), "IfNotPresent");
        let never = Container {
            image_pull_policy: Some("Never".into()),
            ..Container::default()
        };
        assert_eq!(pull_policy(&never, &latest), "Never");
    }
}

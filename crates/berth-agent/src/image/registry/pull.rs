//! A pull: resolve the reference at each endpoint in turn (mirrors first), pick this
//! machine's platform from an index, fetch the configuration and the layers the store
//! lacks — streamed to disk through a digest check, never a whole layer in memory —
//! unpack every layer (checking its diff ID), and only then name the image.
//!
//! Pulls are serialized, as the kubelet serializes them by default: a second pod waiting
//! for the same image finds it in the store when its turn comes.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::Mutex;
use std::time::Duration;

use bytes::{Buf, Bytes};
use http_body_util::BodyExt;

use super::RegistryError;
use super::auth::Credential;
use super::client::{Http, RepositoryClient, http_client, read_small};
use super::config::{RegistriesConfig, Scheme};
use crate::image::oci::{Index, Manifest, Platform, host_platform, is_index};
use crate::image::{Digest, Image, ImageError, ImageRef, ImageStore};

/// How long a blob download may go without a byte arriving.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// What a pull did.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub image: Image,
    /// Bytes downloaded (0 when every blob was already in the store).
    pub downloaded: u64,
    /// How long the pull waited for the one before it.
    pub waited: Duration,
}

pub struct Puller {
    config: std::sync::Arc<RegistriesConfig>,
    /// HTTP clients by endpoint host (each has its host's TLS settings).
    clients: Mutex<HashMap<String, Http>>,
    serial: tokio::sync::Mutex<()>,
}

impl Puller {
    pub fn new(config: std::sync::Arc<RegistriesConfig>) -> Puller {
        Puller {
            config,
            clients: Mutex::new(HashMap::new()),
            serial: tokio::sync::Mutex::new(()),
        }
    }

    /// Pulls `reference` into `store`, trying `credentials` (a pod's pull secrets that match
    /// the image) at the registry itself, and the registries configuration's own
    /// credentials at every endpoint it names.
    pub async fn pull(
        &self,
        store: &ImageStore,
        reference: &ImageRef,
        credentials: &[Credential],
    ) -> Result<Pulled, RegistryError> {
        let asked = std::time::Instant::now();
        let _turn = self.serial.lock().await;
        let waited = asked.elapsed();
        let mut failures = Vec::new();
        for endpoint in self.config.endpoints(&reference.registry) {
            let repository = if endpoint.is_default {
                reference.repository.clone()
            } else {
                self.config
                    .rewrite(&reference.registry, &reference.repository)
            };
            let mut candidates: Vec<Credential> = self
                .config
                .host(&endpoint.host)
                .and_then(|h| h.auth.as_ref())
                .and_then(|a| {
                    Credential::from_config(
                        a,
                        format!("registries.yaml (configs.\"{}\")", endpoint.host),
                    )
                })
                .into_iter()
                .collect();
            if endpoint.is_default || endpoint.host == reference.registry {
                candidates.extend(credentials.iter().cloned());
            }
            let mut endpoint = endpoint;
            // TLS settings for a loopback registry mean it speaks HTTPS.
            if endpoint.scheme == Scheme::HttpsOrHttp
                && self
                    .config
                    .host(&endpoint.host)
                    .is_some_and(|h| h.tls.is_some())
            {
                endpoint.scheme = Scheme::Https;
            }
            let http = self.http(&endpoint.host)?;
            let host = endpoint.host.clone();
            let client = RepositoryClient::new(http, endpoint, repository, candidates);
            match pull_from(&client, store, reference).await {
                Ok(pulled) => return Ok(Pulled { waited, ..pulled }),
                Err(e) => {
                    tracing::info!(image = %reference, endpoint = %host, error = %e, "pull failed at this endpoint");
                    failures.push((host, e));
                }
            }
        }
        match failures.len() {
            0 => Err(RegistryError::Invalid(format!(
                "{reference}: no endpoint to pull from"
            ))),
            1 => Err(failures.remove(0).1),
            _ => Err(RegistryError::Endpoints(failures)),
        }
    }

    fn http(&self, host: &str) -> Result<Http, RegistryError> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = clients.get(host) {
            return Ok(client.clone());
        }
        let tls = self.config.host(host).and_then(|h| h.tls.as_ref());
        let client = http_client(tls)?;
        clients.insert(host.to_string(), client.clone());
        Ok(client)
    }
}

async fn pull_from(
    client: &RepositoryClient,
    store: &ImageStore,
    reference: &ImageRef,
) -> Result<Pulled, RegistryError> {
    let shown = reference.to_string();
    let wanted = match (&reference.digest, &reference.tag) {
        (Some(digest), _) => digest.to_string(),
        (None, Some(tag)) => tag.clone(),
        (None, None) => "latest".to_string(),
    };
    let (mut bytes, mut media_type) = fetch_manifest(client, &wanted).await?;
    let mut digest = Digest::of(&bytes);
    if let Some(expected) = reference.digest.as_ref().filter(|d| **d != digest) {
        return Err(RegistryError::Tampered {
            reference: shown,
            what: "a manifest whose digest is",
            expected: expected.clone(),
            actual: digest,
        });
    }
    if is_index(&media_type) {
        let index: Index = serde_json::from_slice(&bytes)
            .map_err(|e| RegistryError::Invalid(format!("{shown}: malformed index: {e}")))?;
        let platform = host_platform();
        let chosen =
            choose_platform(&index, &platform).ok_or_else(|| RegistryError::NoPlatform {
                reference: shown.clone(),
                platform: format!("{}/{}", platform.os, platform.architecture),
                available: index
                    .manifests
                    .iter()
                    .filter_map(|d| d.platform.as_ref())
                    .map(|p| format!("{}/{}", p.os, p.architecture))
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let expected = chosen.digest.clone();
        (bytes, media_type) = fetch_manifest(client, &expected.to_string()).await?;
        digest = Digest::of(&bytes);
        if digest != expected {
            return Err(RegistryError::Tampered {
                reference: shown,
                what: "a manifest whose digest is",
                expected,
                actual: digest,
            });
        }
    }
    if media_type.starts_with("application/vnd.docker.distribution.manifest.v1") {
        return Err(RegistryError::Invalid(format!(
            "{shown}: Docker schema 1 manifests are not supported ({media_type})"
        )));
    }
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| RegistryError::Invalid(format!("{shown}: malformed manifest: {e}")))?;
    let writing = {
        let store = store.clone();
        tokio::task::spawn_blocking(move || store.writing())
            .await
            .map_err(|e| RegistryError::Invalid(e.to_string()))??
    };
    let result = fetch_and_unpack(client, store, reference, &manifest, &bytes, &digest).await;
    drop(writing);
    if result.is_err() {
        let store = store.clone();
        let collected = tokio::task::spawn_blocking(move || store.collect_garbage()).await;
        if let Ok(Err(e)) = collected {
            tracing::warn!(error = %e, "collecting what a failed pull left");
        }
    }
    result
}

async fn fetch_and_unpack(
    client: &RepositoryClient,
    store: &ImageStore,
    reference: &ImageRef,
    manifest: &Manifest,
    manifest_bytes: &[u8],
    manifest_digest: &Digest,
) -> Result<Pulled, RegistryError> {
    let mut downloaded = 0;
    for descriptor in std::iter::once(&manifest.config).chain(&manifest.layers) {
        if store.has_blob(&descriptor.digest) {
            continue;
        }
        downloaded += fetch_blob(client, store, &descriptor.digest)
            .await
            .map_err(|e| match e {
                RegistryError::Image(source) => RegistryError::Layer {
                    layer: descriptor.digest.clone(),
                    source,
                },
                other => other,
            })?;
    }
    let store = store.clone();
    let name = reference.clone();
    let bytes = manifest_bytes.to_vec();
    let digest = manifest_digest.clone();
    let image = tokio::task::spawn_blocking(move || -> Result<Image, ImageError> {
        store.write_blob(&mut &bytes[..], Some(&digest))?;
        let manifest = store.manifest(&digest)?;
        let image = Image {
            name: name.clone(),
            manifest: digest.clone(),
            id: manifest.config.digest.clone(),
            size: manifest.size(),
        };
        // Every layer unpacks to its diff ID before the image gets its name.
        store.unpack(&image)?;
        store.tag(&name, &digest)?;
        Ok(image)
    })
    .await
    .map_err(|e| RegistryError::Invalid(e.to_string()))??;
    Ok(Pulled {
        image,
        downloaded,
        waited: Duration::ZERO,
    })
}

/// The manifest (or index) `reference` names, with its media type.
async fn fetch_manifest(
    client: &RepositoryClient,
    reference: &str,
) -> Result<(Bytes, String), RegistryError> {
    let response = client.manifest(reference).await?;
    let header_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_string());
    let bytes =
        read_small(response.into_body())
            .await
            .map_err(|reason| RegistryError::Request {
                url: format!(
                    "{}/v2/{}/manifests/{reference}",
                    client.host(),
                    client.repository()
                ),
                reason,
            })?;
    // The document's own mediaType wins over a generic Content-Type.
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Typed {
        #[serde(default)]
        media_type: Option<String>,
        #[serde(default)]
        manifests: Option<serde_json::Value>,
    }
    let typed: Option<Typed> = serde_json::from_slice(&bytes).ok();
    let media_type = typed
        .as_ref()
        .and_then(|t| t.media_type.clone())
        .or_else(|| {
            typed
                .as_ref()
                .and_then(|t| t.manifests.as_ref())
                .map(|_| crate::image::oci::MEDIA_OCI_INDEX.to_string())
        })
        .or(header_type)
        .unwrap_or_else(|| crate::image::oci::MEDIA_OCI_MANIFEST.to_string());
    Ok((bytes, media_type))
}

/// This platform's manifest in an index; attestations (`unknown/unknown`) never match.
fn choose_platform<'a>(
    index: &'a Index,
    platform: &Platform,
) -> Option<&'a crate::image::oci::Descriptor> {
    let candidates = index.manifests.iter().filter(|d| {
        d.platform
            .as_ref()
            .is_some_and(|p| p.os == platform.os && p.architecture == platform.architecture)
    });
    let preferred_variant = match platform.architecture.as_str() {
        "arm64" => Some("v8"),
        "arm" => Some("v7"),
        _ => None,
    };
    let mut best = None;
    for d in candidates {
        let variant = d.platform.as_ref().and_then(|p| p.variant.as_deref());
        if variant.is_none() || variant == preferred_variant {
            return Some(d);
        }
        best.get_or_insert(d);
    }
    best
}

/// Streams one blob into the store through its digest check; returns its size.
async fn fetch_blob(
    client: &RepositoryClient,
    store: &ImageStore,
    digest: &Digest,
) -> Result<u64, RegistryError> {
    let response = client.blob(&digest.to_string()).await?;
    let (sender, receiver) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(8);
    let writer = {
        let store = store.clone();
        let digest = digest.clone();
        tokio::task::spawn_blocking(move || {
            let mut reader = ChannelReader {
                receiver,
                current: Bytes::new(),
            };
            store.write_blob(&mut reader, Some(&digest))
        })
    };
    let mut body = response.into_body();
    loop {
        let frame = match tokio::time::timeout(STALL_TIMEOUT, body.frame()).await {
            Ok(Some(Ok(frame))) => frame,
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                let _ = sender.send(Err(io::Error::other(e))).await;
                break;
            }
            Err(_) => {
                let _ = sender
                    .send(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!("no data for {} s", STALL_TIMEOUT.as_secs()),
                    )))
                    .await;
                break;
            }
        };
        if let Ok(data) = frame.into_data()
            && sender.send(Ok(data)).await.is_err()
        {
            // The writer stopped (a disk error); its result says why.
            break;
        }
    }
    drop(sender);
    let (_, size) = writer
        .await
        .map_err(|e| RegistryError::Invalid(e.to_string()))??;
    Ok(size)
}

/// The blocking side of a blob download: reads what the async side sends.
struct ChannelReader {
    receiver: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while !self.current.has_remaining() {
            match self.receiver.blocking_recv() {
                Some(Ok(bytes)) => self.current = bytes,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        self.current.copy_to_slice(&mut buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::oci::Descriptor;

    fn entry(os: &str, arch: &str, variant: Option<&str>, n: u8) -> Descriptor {
        Descriptor {
            media_type: crate::image::oci::MEDIA_OCI_MANIFEST.into(),
            digest: Digest::of(&[n]),
            size: 1,
            platform: Some(Platform {
                os: os.into(),
                architecture: arch.into(),
                variant: variant.map(str::to_string),
            }),
            annotations: Default::default(),
        }
    }

    #[test]
    fn the_index_entry_for_this_platform_is_chosen() {
        let index = Index {
            manifests: vec![
                entry("unknown", "unknown", None, 0),
                entry("linux", "arm", Some("v6"), 1),
                entry("linux", "arm", Some("v7"), 2),
                entry("linux", "amd64", None, 3),
                entry("linux", "arm64", Some("v8"), 4),
            ],
            ..Index::default()
        };
        let pick = |arch: &str| {
            choose_platform(
                &index,
                &Platform {
                    os: "linux".into(),
                    architecture: arch.into(),
                    variant: None,
                },
            )
            .map(|d| d.digest.clone())
        };
        assert_eq!(pick("amd64"), Some(Digest::of(&[3])));
        assert_eq!(pick("arm64"), Some(Digest::of(&[4])));
        assert_eq!(pick("arm"), Some(Digest::of(&[2])));
        assert_eq!(pick("s390x"), None);
    }

    #[test]
    fn the_channel_reader_reassembles_chunks() {
        let (sender, receiver) = tokio::sync::mpsc::channel(4);
        let feeder = std::thread::spawn(move || {
            for chunk in [&b"hello "[..], b"", b"world"] {
                sender
                    .blocking_send(Ok(Bytes::from_static(chunk)))
                    .expect("send");
            }
        });
        let mut reader = ChannelReader {
            receiver,
            current: Bytes::new(),
        };
        let mut text = String::new();
        reader.read_to_string(&mut text).expect("read");
        feeder.join().expect("feeder");
        assert_eq!(text, "hello world");
    }
}

//! Image references, normalized as Docker and containerd do: `busybox` is
//! `docker.io/library/busybox:latest`, `localhost:5000/app` is `localhost:5000/app:latest`,
//! and a digest (`name@sha256:…`) pins the content.
//!
//! Invariant: an [`ImageRef`] is always fully qualified (registry, repository, and a tag or a
//! digest), so two spellings of one image compare equal.

use std::fmt;

use super::digest::Digest;

/// The registry Docker Hub references resolve to.
pub const DOCKER_HUB: &str = "docker.io";

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ImageRef {
    /// `docker.io`, `localhost:5000`, `registry.example.com`.
    pub registry: String,
    /// `library/busybox`, `team/app`.
    pub repository: String,
    /// `latest` when neither tag nor digest was given.
    pub tag: Option<String>,
    pub digest: Option<Digest>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("invalid image reference {reference:?}: {reason}")]
pub struct ReferenceError {
    pub reference: String,
    pub reason: &'static str,
}

impl ImageRef {
    pub fn parse(text: &str) -> Result<ImageRef, ReferenceError> {
        let bad = |reason| ReferenceError {
            reference: text.to_string(),
            reason,
        };
        if text.is_empty() || text.len() > 4096 || text.trim() != text {
            return Err(bad("empty, too long, or surrounded by spaces"));
        }
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => (
                rest,
                Some(Digest::parse(digest).map_err(|_| bad("the digest is not sha256:<64 hex>"))?),
            ),
            None => (text, None),
        };
        // A tag is after the last ':' that follows the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (
                &rest[..last_slash + i],
                Some(rest[last_slash + i + 1..].to_string()),
            ),
            None => (rest, None),
        };
        if let Some(tag) = &tag {
            let valid = !tag.is_empty()
                && tag.len() <= 128
                && !tag.starts_with(['.', '-'])
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !valid {
                return Err(bad("a tag is up to 128 letters, digits, '_', '.' or '-'"));
            }
        }
        let (registry, repository) = match name.split_once('/') {
            Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => {
                (first.to_string(), rest.to_string())
            }
            _ => (DOCKER_HUB.to_string(), name.to_string()),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_string()
        } else {
            registry
        };
        let repository = if registry == DOCKER_HUB && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.starts_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
                && c.ends_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
                && c.chars().all(|ch| {
                    ch.is_ascii_lowercase() || ch.is_ascii_digit() || matches!(ch, '.' | '_' | '-')
                })
        };
        if !repository.split('/').all(component_ok) {
            return Err(bad(
                "repository names are lowercase letters, digits and separators ('.', '_', '-', '/')",
            ));
        }
        // host, host:port, [v6], [v6]:port — a port is digits.
        let (host, port) = if registry.ends_with(']') {
            (registry.as_str(), None)
        } else {
            match registry.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (registry.as_str(), None),
            }
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            || port.is_some_and(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(bad("invalid registry host"));
        }
        let tag = match (&tag, &digest) {
            (None, None) => Some("latest".to_string()),
            _ => tag,
        };
        Ok(ImageRef {
            registry,
            repository,
            tag,
            digest,
        })
    }

    /// `registry/repository` without tag or digest.
    pub fn name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }

    /// The same image by digest (`registry/repository@sha256:…`), as `imageID`s are shown.
    pub fn with_digest(&self, digest: &Digest) -> ImageRef {
        ImageRef {
            tag: None,
            digest: Some(digest.clone()),
            ..self.clone()
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for ImageRef {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ImageRef::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(text: &str) -> String {
        ImageRef::parse(text)
            .map(|r| r.to_string())
            .unwrap_or_else(|e| e.to_string())
    }

    #[test]
    fn references_normalize_as_docker_does() {
        assert_eq!(full("busybox"), "docker.io/library/busybox:latest");
        assert_eq!(full("busybox:1.36"), "docker.io/library/busybox:1.36");
        assert_eq!(full("team/app:v2"), "docker.io/team/app:v2");
        assert_eq!(
            full("index.docker.io/library/nginx"),
            "docker.io/library/nginx:latest"
        );
        assert_eq!(full("localhost:5000/app"), "localhost:5000/app:latest");
        assert_eq!(full("localhost/app:1"), "localhost/app:1");
        assert_eq!(full("[::1]:5000/app:1"), "[::1]:5000/app:1");
        assert_eq!(
            full("registry.example.com/a/b/c:1.0-rc_1"),
            "registry.example.com/a/b/c:1.0-rc_1"
        );
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            full(&format!("app@{digest}")),
            format!("docker.io/library/app@{digest}")
        );
        assert_eq!(
            full(&format!("127.0.0.1:5000/app:1@{digest}")),
            format!("127.0.0.1:5000/app:1@{digest}")
        );
    }

    #[test]
    fn bad_references_are_refused() {
        for bad in [
            "",
            "Busybox",
            "app:",
            "app:-x",
            "app@sha256:abc",
            " app",
            "a//b",
            "app:has/slash:x",
        ] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}

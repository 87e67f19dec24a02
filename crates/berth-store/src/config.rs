//! [`DatastoreConfig`]: which backend, where, and how much history to keep; parsed once from the
//! k3s-style `--datastore-endpoint` value.
//!
//! Accepted endpoints: empty (SQLite at `<data-dir>/server/db/state.db`, as k3s), `sqlite://PATH`
//! (`sqlite:///abs/path`), or a comma-separated list of `http://host:port` etcd URLs.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::compactor::CompactionPolicy;
use crate::etcd::EtcdConfig;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite { path: PathBuf },
    Etcd(EtcdConfig),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatastoreConfig {
    pub backend: Backend,
    /// `None` disables automatic compaction.
    pub compaction: Option<CompactionPolicy>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DatastoreConfigError {
    #[error("datastore endpoint {endpoint:?}: {reason}")]
    Endpoint { endpoint: String, reason: String },
}

impl DatastoreConfig {
    /// The SQLite file of a data dir when no endpoint is given.
    pub fn default_sqlite_path(data_dir: &Path) -> PathBuf {
        data_dir.join("server").join("db").join("state.db")
    }

    /// Parses a `--datastore-endpoint` value (`None` or empty: embedded SQLite in `data_dir`).
    pub fn from_endpoint(
        endpoint: Option<&str>,
        data_dir: &Path,
    ) -> Result<DatastoreConfig, DatastoreConfigError> {
        let endpoint = endpoint.map(str::trim).unwrap_or_default();
        let bad = |reason: &str| DatastoreConfigError::Endpoint {
            endpoint: endpoint.to_string(),
            reason: reason.to_string(),
        };
        let backend = if endpoint.is_empty() {
            Backend::Sqlite {
                path: Self::default_sqlite_path(data_dir),
            }
        } else if let Some(path) = endpoint.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(bad(
                    "sqlite:// needs a file path, e.g. sqlite:///var/lib/berth/state.db",
                ));
            }
            Backend::Sqlite {
                path: PathBuf::from(path),
            }
        } else {
            let mut endpoints = Vec::new();
            for url in endpoint.split(',').map(str::trim).filter(|u| !u.is_empty()) {
                if url.starts_with("https://") {
                    return Err(bad(
                        "TLS to etcd is not supported yet; use http:// on a trusted network",
                    ));
                }
                let Some(rest) = url.strip_prefix("http://") else {
                    return Err(bad("expected sqlite://PATH or http://host:port[,http://…]"));
                };
                let host_port = rest.trim_end_matches('/');
                match host_port.rsplit_once(':') {
                    Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
                    _ => return Err(bad("an etcd URL needs a host and a port")),
                }
                endpoints.push(format!("http://{host_port}"));
            }
            if endpoints.is_empty() {
                return Err(bad("no etcd endpoints"));
            }
            Backend::Etcd(EtcdConfig::new(endpoints))
        };
        Ok(DatastoreConfig {
            backend,
            compaction: Some(CompactionPolicy::default()),
        })
    }

    /// Keeps `window` of history (and compacts every `window / 5`, at least every minute).
    pub fn with_compaction_window(mut self, window: Duration) -> Self {
        self.compaction = Some(CompactionPolicy::with_window(window));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backend(endpoint: Option<&str>) -> Result<Backend, DatastoreConfigError> {
        DatastoreConfig::from_endpoint(endpoint, Path::new("/data")).map(|c| c.backend)
    }

    #[test]
    fn endpoints_select_the_backend() {
        let sqlite = |p: &str| {
            Ok(Backend::Sqlite {
                path: PathBuf::from(p),
            })
        };
        assert_eq!(backend(None), sqlite("/data/server/db/state.db"));
        assert_eq!(backend(Some("")), sqlite("/data/server/db/state.db"));
        assert_eq!(
            backend(Some("sqlite:///x/y.db?_journal=WAL")),
            sqlite("/x/y.db")
        );
        assert_eq!(
            backend(Some("http://127.0.0.1:2379, http://10.0.0.2:2379/")),
            Ok(Backend::Etcd(EtcdConfig::new(vec![
                "http://127.0.0.1:2379".into(),
                "http://10.0.0.2:2379".into()
            ])))
        );
    }

    #[test]
    fn bad_endpoints_say_what_is_wrong() {
        for (endpoint, needle) in [
            ("https://e:2379", "TLS"),
            ("mysql://db", "expected sqlite://"),
            ("http://e", "host and a port"),
            ("http://:2379", "host and a port"),
            ("sqlite://", "needs a file path"),
            (",", "no etcd endpoints"),
        ] {
            let err = backend(Some(endpoint)).expect_err(endpoint);
            assert!(err.to_string().contains(needle), "{endpoint}: {err}");
        }
    }
}

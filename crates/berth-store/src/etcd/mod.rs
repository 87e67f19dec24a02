//! The etcd backend: the same [`Store`] on etcd's native revisions, transactions and watches.
//!
//! Keys are stored as `namespace + key`; the namespace (empty by default, like
//! kube-apiserver's `--etcd-prefix` it isolates several users of one etcd) is stripped again
//! from everything returned. Conditional writes are single etcd transactions comparing
//! `create_revision`, `version` and `mod_revision`, so there is no read-modify-write race.
//!
//! Faults: opening retries with exponential backoff until `startup_timeout`, then fails naming
//! the endpoints. Reads retry briefly when etcd is unreachable; writes never retry, because a
//! write whose answer was lost may have been applied.

mod watcher;
mod wire;

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use etcd_client::{
    Client, Compare, CompareOp, ConnectOptions, DeleteOptions, GetOptions, KvClient, PutOptions,
    Txn, TxnOp, TxnOpResponse, WatchClient,
};
use tonic::Code;

use crate::key::{prefix_end, validate_key};
use crate::{
    DeleteResponse, KeyValue, RangeRequest, RangeResponse, Revision, Store, StoreError, WatchStream,
};
use wire::Wire;

/// How to reach etcd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EtcdConfig {
    /// `http://host:port` URLs of the cluster's members.
    pub endpoints: Vec<String>,
    /// Prepended to every key on the wire.
    pub namespace: String,
    /// How long opening the store keeps retrying an unreachable etcd.
    pub startup_timeout: Duration,
    /// Deadline of each request.
    pub request_timeout: Duration,
}

impl EtcdConfig {
    pub fn new(endpoints: Vec<String>) -> Self {
        EtcdConfig {
            endpoints,
            namespace: String::new(),
            startup_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(10),
        }
    }
}

/// The etcd store. Cheap to share: the client multiplexes over one channel per endpoint.
pub struct EtcdStore {
    kv: KvClient,
    watch: WatchClient,
    wire: Wire,
}

/// The largest response accepted from etcd, as kube-apiserver's (the client's default of 4 MiB
/// fails a range over a few thousand objects).
const MAX_RESPONSE_BYTES: usize = i32::MAX as usize;

/// Delays between retries: 50 ms doubling to 2 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(50u64.saturating_mul(1 << attempt.min(6))).min(Duration::from_secs(2))
}

impl EtcdStore {
    /// Connects to etcd and waits (with backoff, up to `startup_timeout`) until it answers.
    pub async fn open(config: EtcdConfig) -> Result<EtcdStore, StoreError> {
        let endpoints = config.endpoints.join(",");
        if config.endpoints.is_empty() {
            return Err(StoreError::EtcdProtocol {
                endpoints,
                detail: "no etcd endpoints were given".into(),
            });
        }
        let options = ConnectOptions::new()
            .with_connect_timeout(config.request_timeout.min(Duration::from_secs(5)))
            .with_timeout(config.request_timeout)
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(5));
        let client = Client::connect(&config.endpoints, Some(options))
            .await
            .map_err(|source| StoreError::EtcdUnavailable {
                endpoints: endpoints.clone(),
                source,
            })?;
        let store = EtcdStore {
            kv: client
                .kv_client()
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
            watch: client
                .watch_client()
                .max_decoding_message_size(MAX_RESPONSE_BYTES),
            wire: Wire {
                namespace: config.namespace,
                endpoints,
            },
        };
        let started = tokio::time::Instant::now();
        let mut attempt = 0;
        loop {
            match store.current_revision_once().await {
                Ok(_) => return Ok(store),
                Err(err @ StoreError::EtcdUnavailable { .. })
                    if started.elapsed() < config.startup_timeout =>
                {
                    tracing::warn!(error = %crate::error::chain(&err), "waiting for etcd");
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// Classifies a client error: unreachable, one of the model's outcomes, or another fault.
    fn error(&self, source: etcd_client::Error, requested: Revision) -> StoreError {
        let endpoints = self.wire.endpoints.clone();
        match &source {
            etcd_client::Error::GRpcStatus(status) => {
                let message = status.message();
                if message.contains("required revision has been compacted") {
                    StoreError::Compacted {
                        requested,
                        compacted: None,
                    }
                } else if message.contains("required revision is a future revision") {
                    StoreError::FutureRevision {
                        requested,
                        current: Revision::ZERO,
                    }
                } else if matches!(status.code(), Code::Unavailable | Code::DeadlineExceeded) {
                    StoreError::EtcdUnavailable { endpoints, source }
                } else {
                    StoreError::Etcd { endpoints, source }
                }
            }
            etcd_client::Error::TransportError(_) | etcd_client::Error::IoError(_) => {
                StoreError::EtcdUnavailable { endpoints, source }
            }
            _ => StoreError::Etcd { endpoints, source },
        }
    }

    fn header_revision(
        &self,
        header: Option<&etcd_client::ResponseHeader>,
    ) -> Result<Revision, StoreError> {
        header
            .map(|h| Revision::new(h.revision()))
            .ok_or_else(|| self.wire.protocol("a response without a header"))
    }

    async fn current_revision_once(&self) -> Result<Revision, StoreError> {
        let response = self
            .kv
            .clone()
            .get(
                self.wire.key("/"),
                Some(GetOptions::new().with_count_only()),
            )
            .await
            .map_err(|e| self.error(e, Revision::ZERO))?;
        self.header_revision(response.header())
    }

    /// Runs a read, retrying a few times while etcd is unreachable.
    async fn read<T, F, Fut>(&self, mut read: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let mut attempt = 0;
        loop {
            match read().await {
                Err(StoreError::EtcdUnavailable { .. }) if attempt < 3 => {
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    /// The current value of `wire` from the `or_else` branch of a failed transaction.
    fn current_from(
        &self,
        response: &etcd_client::TxnResponse,
    ) -> Result<Option<KeyValue>, StoreError> {
        for op in response.op_responses() {
            if let TxnOpResponse::Get(get) = op {
                return get.kvs().first().map(|kv| self.wire.kv(kv)).transpose();
            }
        }
        Err(self.wire.protocol("a failed transaction without its read"))
    }
}

#[async_trait]
impl Store for EtcdStore {
    async fn get(&self, key: &str) -> Result<Option<KeyValue>, StoreError> {
        validate_key(key)?;
        let wire = self.wire.key(key);
        self.read(|| async {
            let response = self
                .kv
                .clone()
                .get(wire.clone(), None)
                .await
                .map_err(|e| self.error(e, Revision::ZERO))?;
            response
                .kvs()
                .first()
                .map(|kv| self.wire.kv(kv))
                .transpose()
        })
        .await
    }

    async fn range(&self, request: RangeRequest) -> Result<RangeResponse, StoreError> {
        let wire_prefix = self.wire.key(&request.prefix);
        let start = match &request.start_after {
            Some(after) => {
                let mut start = self.wire.key(after);
                start.push(0);
                start.max(wire_prefix.clone())
            }
            None => wire_prefix.clone(),
        };
        // etcd's "\0" range end means "to the end of the key space".
        let end = prefix_end(&wire_prefix).unwrap_or_else(|| vec![0]);
        let requested = request.revision.filter(|r| r.get() > 0);
        let mut options = GetOptions::new().with_range(end);
        if let Some(limit) = request.limit {
            options = options.with_limit(i64::try_from(limit).unwrap_or(i64::MAX));
        }
        if let Some(revision) = requested {
            options = options.with_revision(revision.get());
        }
        let response = self
            .read(|| async {
                self.kv
                    .clone()
                    .get(start.clone(), Some(options.clone()))
                    .await
                    .map_err(|e| self.error(e, requested.unwrap_or(Revision::ZERO)))
            })
            .await;
        let response = match response {
            Err(StoreError::FutureRevision { requested, .. }) => {
                return Err(StoreError::FutureRevision {
                    requested,
                    current: self.current_revision().await?,
                });
            }
            other => other?,
        };
        let kvs = response
            .kvs()
            .iter()
            .map(|kv| self.wire.kv(kv))
            .collect::<Result<Vec<_>, _>>()?;
        let revision = match requested {
            Some(revision) => revision,
            None => self.header_revision(response.header())?,
        };
        Ok(RangeResponse {
            kvs,
            more: response.more(),
            count: Some(u64::try_from(response.count()).unwrap_or(0)),
            revision,
        })
    }

    async fn create(&self, key: &str, value: Bytes) -> Result<KeyValue, StoreError> {
        validate_key(key)?;
        let wire = self.wire.key(key);
        let txn = Txn::new()
            .when([Compare::create_revision(wire.clone(), CompareOp::Equal, 0)])
            .and_then([TxnOp::put(wire.clone(), value.to_vec(), None)])
            .or_else([TxnOp::get(wire, None)]);
        let response = self
            .kv
            .clone()
            .txn(txn)
            .await
            .map_err(|e| self.error(e, Revision::ZERO))?;
        if !response.succeeded() {
            return match self.current_from(&response)? {
                Some(current) => Err(StoreError::AlreadyExists {
                    key: key.to_string(),
                    current: Box::new(current),
                }),
                None => Err(self
                    .wire
                    .protocol("create failed but the key does not exist")),
            };
        }
        let revision = self.header_revision(response.header())?;
        Ok(KeyValue {
            key: key.to_string(),
            value,
            create_revision: revision,
            mod_revision: revision,
            version: 1,
        })
    }

    async fn update(
        &self,
        key: &str,
        value: Bytes,
        expected: Revision,
    ) -> Result<KeyValue, StoreError> {
        validate_key(key)?;
        let wire = self.wire.key(key);
        let txn = Txn::new()
            .when([
                Compare::version(wire.clone(), CompareOp::Greater, 0),
                Compare::mod_revision(wire.clone(), CompareOp::Equal, expected.get()),
            ])
            .and_then([TxnOp::put(
                wire.clone(),
                value.to_vec(),
                Some(PutOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(wire, None)]);
        let response = self
            .kv
            .clone()
            .txn(txn)
            .await
            .map_err(|e| self.error(e, Revision::ZERO))?;
        if !response.succeeded() {
            return match self.current_from(&response)? {
                None => Err(StoreError::NotFound {
                    key: key.to_string(),
                }),
                Some(current) => Err(StoreError::Conflict {
                    key: key.to_string(),
                    expected,
                    current: Some(Box::new(current)),
                }),
            };
        }
        let revision = self.header_revision(response.header())?;
        let prev = response
            .op_responses()
            .into_iter()
            .find_map(|op| match op {
                TxnOpResponse::Put(put) => put.prev_key().map(|kv| self.wire.kv(kv)),
                _ => None,
            })
            .transpose()?
            .ok_or_else(|| self.wire.protocol("an update without the previous value"))?;
        Ok(KeyValue {
            key: key.to_string(),
            value,
            create_revision: prev.create_revision,
            mod_revision: revision,
            version: prev.version + 1,
        })
    }

    async fn delete(
        &self,
        key: &str,
        expected: Option<Revision>,
    ) -> Result<DeleteResponse, StoreError> {
        validate_key(key)?;
        let wire = self.wire.key(key);
        let mut compares = vec![Compare::version(wire.clone(), CompareOp::Greater, 0)];
        if let Some(expected) = expected {
            compares.push(Compare::mod_revision(
                wire.clone(),
                CompareOp::Equal,
                expected.get(),
            ));
        }
        let txn = Txn::new()
            .when(compares)
            .and_then([TxnOp::delete(
                wire.clone(),
                Some(DeleteOptions::new().with_prev_key()),
            )])
            .or_else([TxnOp::get(wire, None)]);
        let response = self
            .kv
            .clone()
            .txn(txn)
            .await
            .map_err(|e| self.error(e, Revision::ZERO))?;
        if !response.succeeded() {
            return match (self.current_from(&response)?, expected) {
                (None, _) | (Some(_), None) => Err(StoreError::NotFound {
                    key: key.to_string(),
                }),
                (Some(current), Some(expected)) => Err(StoreError::Conflict {
                    key: key.to_string(),
                    expected,
                    current: Some(Box::new(current)),
                }),
            };
        }
        let revision = self.header_revision(response.header())?;
        let prev = response
            .op_responses()
            .into_iter()
            .find_map(|op| match op {
                TxnOpResponse::Delete(delete) => {
                    delete.prev_kvs().first().map(|kv| self.wire.kv(kv))
                }
                _ => None,
            })
            .transpose()?
            .ok_or_else(|| self.wire.protocol("a delete without the previous value"))?;
        Ok(DeleteResponse { revision, prev })
    }

    async fn watch(&self, prefix: &str, from: Revision) -> Result<WatchStream, StoreError> {
        let from = if from == Revision::ZERO {
            self.current_revision().await?.next()
        } else {
            // A read at `from` fails exactly when `from` is compacted, so a stale start
            // revision is an error of `watch` itself, as on the SQLite backend.
            let probe = RangeRequest::prefix(prefix).with_limit(1).at_revision(from);
            match self.range(probe).await {
                Ok(_) | Err(StoreError::FutureRevision { .. }) => from,
                Err(err) => return Err(err),
            }
        };
        let wire_prefix = self.wire.key(prefix);
        Ok(watcher::start(
            self.watch.clone(),
            self.wire.clone(),
            wire_prefix,
            from,
        ))
    }

    async fn compact(&self, revision: Revision) -> Result<(), StoreError> {
        match self.kv.clone().compact(revision.get(), None).await {
            Ok(_) => Ok(()),
            Err(e) => match self.error(e, revision) {
                StoreError::Compacted { .. } => Ok(()),
                StoreError::FutureRevision { requested, .. } => Err(StoreError::FutureRevision {
                    requested,
                    current: self.current_revision().await?,
                }),
                other => Err(other),
            },
        }
    }

    async fn current_revision(&self) -> Result<Revision, StoreError> {
        self.read(|| self.current_revision_once()).await
    }

    fn describe(&self) -> String {
        format!("etcd {}", self.wire.endpoints)
    }
}

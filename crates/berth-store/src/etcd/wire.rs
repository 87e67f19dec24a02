//! Translation between the store's keys and values and etcd's: the namespace prefix on the
//! wire, UTF-8 keys, and errors that name the endpoints.

use bytes::Bytes;

use crate::{KeyValue, Revision, StoreError};

#[derive(Debug, Clone)]
pub(super) struct Wire {
    /// Prepended to every key on the wire.
    pub namespace: String,
    /// The endpoints, comma-separated, for messages.
    pub endpoints: String,
}

impl Wire {
    pub fn key(&self, key: &str) -> Vec<u8> {
        let mut wire = Vec::with_capacity(self.namespace.len() + key.len());
        wire.extend_from_slice(self.namespace.as_bytes());
        wire.extend_from_slice(key.as_bytes());
        wire
    }

    pub fn protocol(&self, detail: impl Into<String>) -> StoreError {
        StoreError::EtcdProtocol {
            endpoints: self.endpoints.clone(),
            detail: detail.into(),
        }
    }

    /// Converts an etcd key-value, stripping the namespace.
    pub fn kv(&self, kv: &etcd_client::KeyValue) -> Result<KeyValue, StoreError> {
        let key = kv
            .key()
            .strip_prefix(self.namespace.as_bytes())
            .ok_or_else(|| self.protocol("a key outside the namespace"))?;
        let key =
            std::str::from_utf8(key).map_err(|_| self.protocol("a key that is not valid UTF-8"))?;
        Ok(KeyValue {
            key: key.to_string(),
            value: Bytes::copy_from_slice(kv.value()),
            create_revision: Revision::new(kv.create_revision()),
            mod_revision: Revision::new(kv.mod_revision()),
            version: kv.version(),
        })
    }
}

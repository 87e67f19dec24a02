//! [`Revision`]: the store's global logical clock.
//!
//! Invariant: revisions handed out by a store are unique and strictly increasing over the
//! lifetime of its data, across restarts and compactions. Revision 0 means "none" (a key that
//! was never written, or a deleted key's `create_revision`).

use std::fmt;

/// A position in the store's history; every successful write creates exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Revision(i64);

impl Revision {
    /// The revision before any write.
    pub const ZERO: Revision = Revision(0);

    /// Wraps a raw revision number as stored by a backend.
    pub const fn new(raw: i64) -> Self {
        Revision(raw)
    }

    /// The raw number, as etcd and Kubernetes' `resourceVersion` use it.
    pub const fn get(self) -> i64 {
        self.0
    }

    /// The revision right after this one.
    pub const fn next(self) -> Self {
        Revision(self.0 + 1)
    }
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<i64> for Revision {
    fn from(raw: i64) -> Self {
        Revision(raw)
    }
}

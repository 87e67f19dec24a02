//! Berth's scheduler: assigns pending pods to nodes through `pods/binding`.
//!
//! - [`model`]: pods and nodes parsed once into what placement needs.
//! - [`cache`]: nodes with their bound and assumed pods; claims and volumes.
//! - [`queue`]: pending pods by priority, with backoff and the unschedulable pool.
//! - [`plugins`]: upstream's filters and scores, one file each.
//! - [`algorithm`]: one decision (sample, filter, score, pick); [`preemption`] when none fits.
//! - [`run`]: the watches, the loop that owns cache and queue, binding and events.
//!
//! The loop is the only owner of the cache and the queue, so decisions are sequential and
//! consistent; bindings and status writes run concurrently beside it and report back.

pub mod algorithm;
pub mod cache;
pub mod model;
pub mod plugins;
pub mod preemption;
pub mod profile;
pub mod queue;
pub mod run;

pub use run::run;

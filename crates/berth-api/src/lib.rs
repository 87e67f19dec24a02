//! Berth's model of the Kubernetes API, with no I/O: which resources exist and how they are
//! named ([`catalogue`]), what a valid object name is ([`names`]), how label and field selectors
//! read and match ([`selector`]), and the typed envelope every object is parsed into once at the
//! edge ([`object`]).
//!
//! The API server speaks the wire; this crate only knows the model, so it stays testable without
//! a network or a runtime.

pub mod catalogue;
pub mod cidr;
pub mod conversion;
pub mod cron;
pub mod defaults;
pub mod managed_fields;
pub mod names;
pub mod object;
pub mod protobuf;
pub mod quantity;
pub mod selector;
pub mod strategic_merge;
pub mod unknown_fields;
pub mod validation;

pub use catalogue::{GroupVersion, ResourceType, Scope, Subresource};
pub use object::{Object, ObjectMeta};

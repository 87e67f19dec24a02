//! A pod's network: its [`sandbox`] (shared namespaces) attached through [`cni`].

pub mod cni;
pub mod sandbox;

pub use cni::{Attachment, CniConfig, CniError};
pub use sandbox::{Sandbox, SandboxError};

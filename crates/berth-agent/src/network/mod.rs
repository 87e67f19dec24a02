//! A pod's network: its [`sandbox`] (shared namespaces) attached through [`cni`]; the
//! node's [`service_route`] keeps Service traffic on the machine.

pub mod cni;
pub mod sandbox;
pub mod service_route;

pub use cni::{Attachment, CniConfig, CniError};
pub use sandbox::{Sandbox, SandboxError};

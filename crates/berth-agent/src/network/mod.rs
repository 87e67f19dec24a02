//! A pod's network: its [`sandbox`] (shared namespaces, [`loopback`] up) attached through
//! [`cni`]; the node's [`service_route`] keeps Service traffic on the machine; [`nat`] maps
//! host ports and masquerades pod egress.

pub mod cni;
pub mod loopback;
pub mod nat;
pub mod sandbox;
pub mod service_route;

pub use cni::{Attachment, CniConfig, CniError};
pub use sandbox::{Sandbox, SandboxError};

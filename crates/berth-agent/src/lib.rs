//! Berth's node agent. Today: [`simulated`] nodes (like kubemark's hollow nodes or KWOK),
//! which register Node objects, renew their Leases and move the pods bound to them through
//! their lifecycle without starting containers. The agent that runs real containers arrives
//! beside it, piece by piece: [`image`] is its image store (OCI layout, unpacked layers,
//! archive import), [`runtime`] runs containers with runc through a per-container shim.

pub mod heartbeat;
pub mod image;
pub mod network;
pub mod node;
pub mod runtime;
pub mod simulated;

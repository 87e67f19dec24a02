//! Berth's node agent. Today: [`simulated`] nodes (like kubemark's hollow nodes or KWOK),
//! which register Node objects, renew their Leases and move the pods bound to them through
//! their lifecycle without starting containers. The agent that runs real containers (images,
//! CNI, runc through a shim) arrives beside it.

pub mod simulated;

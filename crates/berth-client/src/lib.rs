//! What Berth's components share as API clients, whether they run inside `berth server`
//! (in-process transport) or on another machine (HTTPS): [`connect`] joins a server with a
//! token, [`events`] records Kubernetes Events the way upstream's recorder does, [`leader`]
//! elects one active instance of a component through a Lease, [`lean`] decodes watched pods
//! and nodes without their managedFields.

pub mod connect;
pub mod events;
pub mod leader;
pub mod lean;

pub use connect::{ConnectError, connect};
pub use events::{EventRecorder, EventType};

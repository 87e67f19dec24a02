//! Scheduler profiles, chosen by a pod's `spec.schedulerName`. Both run every filter; they
//! differ in how they rank nodes by resources.

use crate::plugins::ResourceStrategy;

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub strategy: ResourceStrategy,
}

/// The profile upstream runs: spread pods over the emptiest nodes.
pub const DEFAULT: &str = "default-scheduler";
/// Bin-packing: fill nodes before starting new ones (fewer nodes in use).
pub const BINPACK: &str = "berth-binpack";

pub fn builtin() -> Vec<Profile> {
    vec![
        Profile {
            name: DEFAULT.into(),
            strategy: ResourceStrategy::LeastAllocated,
        },
        Profile {
            name: BINPACK.into(),
            strategy: ResourceStrategy::MostAllocated,
        },
    ]
}

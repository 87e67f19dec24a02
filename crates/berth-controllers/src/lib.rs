//! Berth's controllers, each a level-triggered loop over watched state: it recomputes what
//! should be from what is, writes only differences, and is safe to restart at any point.
//!
//! - [`node_ipam`]: each real node gets a /24 of the cluster CIDR as its podCIDR.
//! - [`node_lifecycle`]: Ready from Lease renewals; NotReady/Unknown and the matching taints;
//!   pods on lost nodes marked not Ready.
//! - [`taint_eviction`]: pods on nodes with NoExecute taints are deleted after their
//!   `tolerationSeconds`.
//! - [`disruption`]: PodDisruptionBudget status (`disruptionsAllowed`), which eviction reads.
//! - [`pod_gc`]: pods bound to nodes that no longer exist are removed.
//! - [`garbage_collector`]: dependents of deleted owners (`ownerReferences`), with
//!   Background, Foreground and Orphan propagation.
//! - [`namespace`]: a deleted namespace is emptied, then finalized; every namespace gets
//!   a `default` ServiceAccount.
//! - [`event_ttl`]: Events expire an hour (`--event-ttl`) after their last update.
//! - [`replicaset`]: ReplicaSets and ReplicationControllers keep their number of pods
//!   (adopting, releasing, creating, deleting the least useful first).
//! - [`job`]: Jobs run pods to completion (parallelism, completions, Indexed, backoff,
//!   deadlines, suspend); [`ttl_after_finished`] deletes finished Jobs after their TTL.
//! - [`cronjob`]: CronJobs create Jobs on their schedule (time zones, concurrency policy,
//!   starting deadline, history limits).
//! - [`daemonset`]: one pod per eligible node, rolling updates, ControllerRevision history
//!   ([`history`]).
//! - [`statefulset`]: ordered pods with stable names and claims, partitioned rolling
//!   updates.
//! - [`endpoints`]: EndpointSlices and Endpoints of Services from the pods they select.
//! - [`deployment`]: Deployments roll their pod template out through ReplicaSets (rolling
//!   update, recreate, rollback, pause, revision history, progress deadline).
//!
//! [`informer`] holds the watched state they share (one watch per kind, each kept in a
//! [`store`]); [`spawn_all`]
//! starts them all. [`pod_state`], [`ownership`] and [`int_or_percent`] are what the
//! workload controllers share: readiness and availability, controller references and
//! adoption, counts-or-percentages; [`retry`] spaces the retries of failed syncs.

pub mod cronjob;
pub mod daemonset;
pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod event_ttl;
pub mod expectations;
pub mod garbage_collector;
pub mod hash;
pub mod history;
pub mod informer;
pub mod int_or_percent;
pub mod job;
pub mod namespace;
pub mod node_ipam;
pub mod node_lifecycle;
pub mod ownership;
pub mod pod_gc;
pub mod pod_state;
pub mod replicaset;
pub mod retry;
pub mod statefulset;
pub mod store;
pub mod taint_eviction;
pub mod ttl_after_finished;

use std::time::Duration;

/// Settings of the controllers (`berth server` flags).
#[derive(Debug, Clone)]
pub struct ControllerConfig {
    /// `--node-monitor-grace-period`: how long a Lease may go unrenewed.
    pub node_monitor_grace_period: Duration,
    /// `--event-ttl`: how long an Event is kept after its last update.
    pub event_ttl: Duration,
    /// `--cluster-cidr`: nodes' pod ranges are carved from it.
    pub cluster_cidr: Option<berth_api::cidr::Ipv4Cidr>,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig {
            node_monitor_grace_period: Duration::from_secs(50),
            event_ttl: Duration::from_secs(3600),
            cluster_cidr: None,
        }
    }
}

/// Starts every controller on `client`; they run until the runtime stops.
pub fn spawn_all(client: kube::Client, config: ControllerConfig) {
    let informers = informer::Informers::start(&client);
    tokio::spawn(node_lifecycle::run(
        client.clone(),
        informers.clone(),
        config.node_monitor_grace_period,
    ));
    if let Some(cidr) = config.cluster_cidr {
        tokio::spawn(node_ipam::run(client.clone(), informers.clone(), cidr));
    }
    tokio::spawn(taint_eviction::run(client.clone(), informers.clone()));
    tokio::spawn(disruption::run(client.clone(), informers.clone()));
    tokio::spawn(replicaset::run(client.clone(), informers.clone()));
    tokio::spawn(replicaset::run_replication_controllers(
        client.clone(),
        informers.clone(),
    ));
    tokio::spawn(deployment::run(client.clone(), informers.clone()));
    tokio::spawn(job::run(client.clone(), informers.clone()));
    tokio::spawn(daemonset::run(client.clone(), informers.clone()));
    tokio::spawn(statefulset::run(client.clone(), informers.clone()));
    tokio::spawn(endpoints::run(client.clone(), informers.clone()));
    tokio::spawn(cronjob::run(client.clone(), informers.clone()));
    tokio::spawn(ttl_after_finished::run(client.clone(), informers.clone()));
    tokio::spawn(garbage_collector::run(client.clone(), informers.clone()));
    tokio::spawn(namespace::run(client.clone(), informers.clone()));
    tokio::spawn(event_ttl::run(
        client.clone(),
        informers.clone(),
        config.event_ttl,
    ));
    tokio::spawn(pod_gc::run(client, informers));
}

//! Lease-based leader election, as client-go's `leaderelection` does it, so that several
//! servers can run the controllers and the scheduler with exactly one of each active.
//!
//! A `coordination.k8s.io/v1` Lease (`kube-system/kube-controller-manager`,
//! `kube-system/kube-scheduler`) names its holder. A candidate takes the Lease when it is
//! absent, released, or has not changed for `leaseDurationSeconds` *as observed locally*
//! (client-go's rule: no trust in other machines' clocks); the leader renews it every
//! retry period and gives up when it cannot renew within the renew deadline.
//!
//! Invariants: every write carries the `resourceVersion` that was read, so two candidates
//! never both succeed; a term ends before the Lease can expire for the others
//! (renew deadline < lease duration), and [`spawn_elected`] runs each term on a runtime of
//! its own that is dropped when the term ends, so nothing a former leader started keeps
//! running.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{Api, PostParams};

/// Timings, as kube-controller-manager's defaults.
#[derive(Debug, Clone, Copy)]
pub struct Timings {
    /// How long a Lease not renewed keeps others away (`--leader-elect-lease-duration`).
    pub lease_duration: Duration,
    /// How long the leader keeps trying to renew before it stops leading.
    pub renew_deadline: Duration,
    /// How often candidates retry and the leader renews.
    pub retry_period: Duration,
}

impl Default for Timings {
    fn default() -> Self {
        Timings {
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// One candidate for one Lease.
pub struct LeaderElection {
    api: Api<Lease>,
    name: String,
    identity: String,
    timings: Timings,
    /// The holder and renew time last seen, and when they were first seen locally.
    observed: Option<(Option<String>, Option<MicroTime>, Instant)>,
}

/// What one attempt found.
#[derive(Debug, PartialEq, Eq)]
enum Attempt {
    /// This candidate holds the Lease (acquired or renewed).
    Holding,
    /// Another candidate holds an unexpired Lease.
    HeldElsewhere,
}

impl LeaderElection {
    /// A candidate named `identity` for the Lease `namespace/name`.
    pub fn new(
        client: kube::Client,
        namespace: &str,
        name: &str,
        identity: &str,
        timings: Timings,
    ) -> LeaderElection {
        LeaderElection {
            api: Api::namespaced(client, namespace),
            name: name.to_string(),
            identity: identity.to_string(),
            timings,
            observed: None,
        }
    }

    /// A unique identity for this process: `<hostname>_<random>`, as upstream.
    pub fn default_identity() -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "berth".into());
        let mut random = [0u8; 8];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut random);
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        format!("{host}_{suffix}")
    }

    /// Waits until this candidate holds the Lease.
    pub async fn acquire(&mut self) {
        let mut announced = false;
        loop {
            match self.try_acquire_or_renew().await {
                Ok(Attempt::Holding) => {
                    tracing::info!(lease = %self.name, identity = %self.identity, "became leader");
                    return;
                }
                Ok(Attempt::HeldElsewhere) => {
                    if !announced {
                        tracing::info!(lease = %self.name, "another instance leads; waiting");
                        announced = true;
                    }
                }
                Err(e) => tracing::debug!(lease = %self.name, error = %e, "acquiring; will retry"),
            }
            tokio::time::sleep(self.timings.retry_period).await;
        }
    }

    /// Renews the Lease every retry period; returns when leadership is lost (another holder,
    /// or no successful renewal within the renew deadline).
    pub async fn hold(&mut self) {
        let mut renewed = Instant::now();
        loop {
            tokio::time::sleep(self.timings.retry_period).await;
            match self.try_acquire_or_renew().await {
                Ok(Attempt::Holding) => renewed = Instant::now(),
                Ok(Attempt::HeldElsewhere) => {
                    tracing::warn!(lease = %self.name, "leadership taken by another instance");
                    return;
                }
                Err(e) => {
                    tracing::debug!(lease = %self.name, error = %e, "renewing; will retry");
                    if renewed.elapsed() >= self.timings.renew_deadline {
                        tracing::warn!(lease = %self.name, "could not renew in time; leadership lost");
                        return;
                    }
                }
            }
        }
    }

    /// One round of client-go's `tryAcquireOrRenew`.
    async fn try_acquire_or_renew(&mut self) -> Result<Attempt, kube::Error> {
        let now = MicroTime(jiff::Timestamp::now());
        let duration = i32::try_from(self.timings.lease_duration.as_secs()).unwrap_or(15);
        let Some(mut lease) = self.api.get_opt(&self.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.identity.clone()),
                    lease_duration_seconds: Some(duration),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(Attempt::Holding),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(Attempt::HeldElsewhere),
                Err(e) => Err(e),
            };
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        // Expiry is judged by when this process saw the record change, not by its clock.
        let seen = (holder.clone(), spec.renew_time.clone());
        let since = match &self.observed {
            Some((h, r, at)) if (h, r) == (&seen.0, &seen.1) => *at,
            _ => Instant::now(),
        };
        self.observed = Some((seen.0, seen.1, since));
        let held_by_me = holder.as_deref() == Some(self.identity.as_str());
        let lease_for = spec
            .lease_duration_seconds
            .and_then(|s| u64::try_from(s).ok())
            .map_or(self.timings.lease_duration, Duration::from_secs);
        if !held_by_me && holder.is_some() && since.elapsed() < lease_for {
            return Ok(Attempt::HeldElsewhere);
        }
        let mut next = spec.clone();
        if !held_by_me {
            next.acquire_time = Some(now.clone());
            next.lease_transitions =
                Some(spec.lease_transitions.unwrap_or(0) + i32::from(holder.is_some()));
        }
        next.holder_identity = Some(self.identity.clone());
        next.lease_duration_seconds = Some(duration);
        next.renew_time = Some(now);
        lease.spec = Some(next);
        // The read resourceVersion rides along: a concurrent writer makes this a 409.
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(Attempt::Holding),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(Attempt::HeldElsewhere),
            Err(e) => Err(e),
        }
    }
}

/// Runs `start` on a thread named `thread` while `election` leads. Each term gets a fresh
/// current-thread runtime: `start` spawns its tasks onto it, and the runtime — with every
/// task — is dropped when the term ends; then the candidate campaigns again.
pub fn spawn_elected<F>(
    thread: &str,
    mut election: LeaderElection,
    start: F,
) -> std::io::Result<std::thread::JoinHandle<()>>
where
    F: Fn() + Send + 'static,
{
    std::thread::Builder::new()
        .name(thread.to_string())
        .spawn(move || {
            loop {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        tracing::error!(error = %e, "starting a runtime; not leading");
                        return;
                    }
                };
                runtime.block_on(async {
                    election.acquire().await;
                    start();
                    election.hold().await;
                });
                drop(runtime);
            }
        })
}

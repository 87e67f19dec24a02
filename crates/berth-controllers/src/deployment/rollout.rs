//! The arithmetic of a rollout, as upstream's deployment controller: how far the new
//! ReplicaSet may scale up (`maxSurge`), how far the old ones may scale down
//! (`maxUnavailable`), and how a replica change mid-rollout is shared between them
//! (proportional scaling). Pure functions over ReplicaSet sizes; the writes are elsewhere.
//!
//! Invariants (RollingUpdate): the sum of `spec.replicas` over all ReplicaSets never exceeds
//! `replicas + maxSurge`, and old ReplicaSets are scaled down only as far as keeps
//! `replicas - maxUnavailable` pods available (counted from ReplicaSet status capped at each
//! set's size, so that a status that lags a scale-down never counts pods about to go).

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::template;
use crate::int_or_percent;

/// `spec.replicas` of the Deployment (defaulted to 1 by the API server).
pub fn replicas(d: &Deployment) -> i32 {
    d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// `spec.replicas` of a ReplicaSet.
pub fn size(rs: &ReplicaSet) -> i32 {
    rs.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1)
}

/// The available pods a ReplicaSet can be counted on for: `status.availableReplicas`, but
/// never more than `spec.replicas` — a ReplicaSet just scaled down still reports the pods it
/// is about to delete, and counting them would let the next pass scale down again.
pub fn available(rs: &ReplicaSet) -> i32 {
    rs.status
        .as_ref()
        .and_then(|s| s.available_replicas)
        .unwrap_or(0)
        .min(size(rs))
}

/// Sum of `spec.replicas`.
pub fn total_size<'a>(sets: impl IntoIterator<Item = &'a ReplicaSet>) -> i32 {
    sets.into_iter().map(size).sum()
}

pub fn is_rolling(d: &Deployment) -> bool {
    d.spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.type_.as_deref())
        .is_none_or(|t| t == "RollingUpdate")
}

/// `(maxSurge, maxUnavailable)` resolved against `replicas` (surge rounded up, unavailable
/// down); both zero would deadlock, so unavailable becomes 1.
fn fenceposts(d: &Deployment) -> (i32, i32) {
    let default = IntOrString::String("25%".into());
    let rolling = d
        .spec
        .as_ref()
        .and_then(|s| s.strategy.as_ref())
        .and_then(|s| s.rolling_update.as_ref());
    let surge = rolling
        .and_then(|r| r.max_surge.as_ref())
        .unwrap_or(&default);
    let unavailable = rolling
        .and_then(|r| r.max_unavailable.as_ref())
        .unwrap_or(&default);
    let total = replicas(d);
    let surge = int_or_percent::resolve(surge, total, true).max(0);
    let unavailable = int_or_percent::resolve(unavailable, total, false).max(0);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// Pods allowed above `replicas` during a rolling update.
pub fn max_surge(d: &Deployment) -> i32 {
    if is_rolling(d) { fenceposts(d).0 } else { 0 }
}

/// Pods allowed below `replicas` during a rolling update.
pub fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling(d) || replicas(d) == 0 {
        return 0;
    }
    fenceposts(d).1.min(replicas(d))
}

/// The size the new ReplicaSet should have now (`all` includes it if it exists).
pub fn new_rs_size(d: &Deployment, all: &[&ReplicaSet], new: Option<&ReplicaSet>) -> i32 {
    let wanted = replicas(d);
    if !is_rolling(d) {
        return wanted;
    }
    let current_new = new.map(size).unwrap_or(0);
    let max_total = wanted + max_surge(d);
    // A set scaled down still has its surplus pods until its controller deletes them
    // (`status.replicas` says how many): they count against the surge.
    let current: i32 = all
        .iter()
        .map(|rs| size(rs).max(rs.status.as_ref().map_or(0, |s| s.replicas)))
        .sum();
    if current >= max_total {
        return current_new;
    }
    let up = (max_total - current).min(wanted - current_new).max(0);
    current_new + up
}

/// Old ReplicaSets with unavailable pods, scaled down first (they cost no availability):
/// `(index into old, new size)` for at most `limit` pods, oldest first.
pub fn cleanup_unhealthy(old: &[&ReplicaSet], limit: i32) -> Vec<(usize, i32)> {
    let mut order: Vec<usize> = (0..old.len()).collect();
    order.sort_by_key(|&i| created(old[i]));
    let mut plan = Vec::new();
    let mut total = 0;
    for i in order {
        if total >= limit {
            break;
        }
        let rs = old[i];
        let (spec, available) = (size(rs), available(rs));
        if spec == 0 || spec <= available {
            continue;
        }
        let down = (limit - total).min(spec - available);
        total += down;
        plan.push((i, spec - down));
    }
    plan
}

/// How many old pods may go now without dropping below minimum availability.
pub fn old_scale_down_budget(d: &Deployment, all: &[&ReplicaSet], new: Option<&ReplicaSet>) -> i32 {
    let min_available = replicas(d) - max_unavailable(d);
    let new_unavailable = new.map(|n| size(n) - available(n)).unwrap_or(0).max(0);
    total_size(all.iter().copied()) - min_available - new_unavailable
}

/// Scales old ReplicaSets down, oldest first, by what availability allows:
/// `(index into old, new size)`.
pub fn scale_down_old(
    d: &Deployment,
    all: &[&ReplicaSet],
    old: &[&ReplicaSet],
) -> Vec<(usize, i32)> {
    let min_available = replicas(d) - max_unavailable(d);
    let available_now: i32 = all.iter().map(|rs| available(rs)).sum();
    if available_now <= min_available {
        return Vec::new();
    }
    let budget = available_now - min_available;
    let mut order: Vec<usize> = (0..old.len()).collect();
    order.sort_by_key(|&i| created(old[i]));
    let mut plan = Vec::new();
    let mut total = 0;
    for i in order {
        if total >= budget {
            break;
        }
        let spec = size(old[i]);
        if spec == 0 {
            continue;
        }
        let down = spec.min(budget - total);
        total += down;
        plan.push((i, spec - down));
    }
    plan
}

/// `(creation time, name)`: upstream's ReplicaSetsByCreationTimestamp.
pub fn created(rs: &ReplicaSet) -> (i64, String) {
    (
        rs.metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_second())
            .unwrap_or(0),
        rs.metadata.name.clone().unwrap_or_default(),
    )
}

/// Whether the replica count changed since the active ReplicaSets were last sized for it.
pub fn is_scaling_event(d: &Deployment, sets: &[&ReplicaSet]) -> bool {
    sets.iter()
        .filter(|rs| size(rs) > 0)
        .any(|rs| template::desired_replicas(rs).is_some_and(|want| want != replicas(d)))
}

/// New sizes for a replica change: one active ReplicaSet (or none: the newest) takes the
/// whole count; a saturated new ReplicaSet leaves the old ones at zero; otherwise, during a
/// rolling update, the change is shared in proportion to sizes (`max-replicas`), the
/// remainder to the largest. Returns `(index into sets, new size)`; `sets[0]` is the new
/// ReplicaSet when there is one.
pub fn proportional(d: &Deployment, sets: &[&ReplicaSet], has_new: bool) -> Vec<(usize, i32)> {
    let wanted = replicas(d);
    let active: Vec<usize> = (0..sets.len()).filter(|&i| size(sets[i]) > 0).collect();
    if active.len() <= 1 {
        let target = match active.first() {
            Some(&i) => Some(i),
            None if has_new => Some(0),
            None => (0..sets.len()).max_by_key(|&i| created(sets[i])),
        };
        return match target {
            Some(i) if size(sets[i]) != wanted => vec![(i, wanted)],
            _ => Vec::new(),
        };
    }
    if has_new {
        let new = sets[0];
        let saturated = size(new) == wanted
            && template::desired_replicas(new) == Some(wanted)
            && available(new) == wanted;
        if saturated {
            return active
                .into_iter()
                .filter(|&i| i != 0)
                .map(|i| (i, 0))
                .collect();
        }
    }
    if !is_rolling(d) {
        return Vec::new();
    }
    let current = total_size(active.iter().map(|&i| sets[i]));
    let allowed = if wanted > 0 { wanted + max_surge(d) } else { 0 };
    let to_add = allowed - current;
    if to_add == 0 {
        return Vec::new();
    }
    let mut order = active;
    // Growing: largest (then newest) first; shrinking: largest (then oldest) first.
    if to_add > 0 {
        order.sort_by(|&a, &b| {
            size(sets[b])
                .cmp(&size(sets[a]))
                .then(created(sets[b]).cmp(&created(sets[a])))
        });
    } else {
        order.sort_by(|&a, &b| {
            size(sets[b])
                .cmp(&size(sets[a]))
                .then(created(sets[a]).cmp(&created(sets[b])))
        });
    }
    let mut sizes: Vec<(usize, i32)> = Vec::new();
    let mut added = 0;
    for &i in &order {
        let rs = sets[i];
        let mut part = 0;
        if to_add != added {
            let fraction = if wanted == 0 {
                -size(rs)
            } else {
                let annotated = template::max_replicas(rs)
                    .filter(|m| *m > 0)
                    .unwrap_or_else(|| {
                        d.status
                            .as_ref()
                            .map(|s| s.replicas.unwrap_or(0))
                            .unwrap_or(0)
                            .max(1)
                    });
                let scaled = f64::from(size(rs)) * f64::from(allowed) / f64::from(annotated);
                // Rounded sizes are small integers: the cast is exact.
                #[allow(clippy::cast_possible_truncation)]
                let rounded = scaled.round() as i32;
                rounded - size(rs)
            };
            let remaining = to_add - added;
            part = if to_add > 0 {
                fraction.min(remaining)
            } else {
                fraction.max(remaining)
            };
        }
        added += part;
        sizes.push((i, size(rs) + part));
    }
    if let Some(first) = sizes.first_mut() {
        first.1 = (first.1 + to_add - added).max(0);
    }
    sizes.retain(|&(i, n)| n != size(sets[i]));
    sizes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(
        replicas: i32,
        surge: serde_json::Value,
        unavailable: serde_json::Value,
    ) -> Deployment {
        serde_json::from_value(json!({
            "metadata": {"name": "d"},
            "spec": {"replicas": replicas, "selector": {}, "template": {},
                     "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}},
        }))
        .unwrap_or_default()
    }

    fn rs(name: &str, created: i64, size: i32, available: i32) -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": name, "creationTimestamp": jiff::Timestamp::from_second(created).unwrap_or_default().to_string()},
            "spec": {"replicas": size, "selector": {}},
            "status": {"replicas": size, "availableReplicas": available},
        }))
        .unwrap_or_default()
    }

    #[test]
    fn fenceposts_follow_upstream() {
        let d = deployment(10, json!("25%"), json!("25%"));
        assert_eq!((max_surge(&d), max_unavailable(&d)), (3, 2));
        let d = deployment(3, json!("0%"), json!("0%"));
        assert_eq!((max_surge(&d), max_unavailable(&d)), (0, 1));
    }

    #[test]
    fn the_new_set_grows_within_the_surge() {
        let d = deployment(3, json!(1), json!(0));
        let old = rs("old", 1, 3, 3);
        let new = rs("new", 2, 0, 0);
        assert_eq!(new_rs_size(&d, &[&old, &new], Some(&new)), 1);
        let new = rs("new", 2, 1, 0);
        assert_eq!(new_rs_size(&d, &[&old, &new], Some(&new)), 1);
        // Nothing old left: straight to the full count.
        assert_eq!(new_rs_size(&d, &[&new], Some(&new)), 3);
    }

    #[test]
    fn pods_a_scaled_down_set_has_not_deleted_yet_count_against_the_surge() {
        let d = deployment(3, json!(1), json!(1));
        // Old scaled 3 → 2 but still has 3 pods; the new set has 1: 4 pods, the maximum.
        let mut old = rs("old", 1, 2, 3);
        if let Some(status) = old.status.as_mut() {
            status.replicas = 3;
        }
        let new = rs("new", 2, 1, 1);
        assert_eq!(new_rs_size(&d, &[&new, &old], Some(&new)), 1);
    }

    #[test]
    fn a_scaled_down_set_is_not_counted_for_pods_it_is_deleting() {
        let d = deployment(3, json!(1), json!(1));
        // The old set was just scaled 3 → 2; its status still shows 3 available.
        let old = rs("old", 1, 2, 3);
        let new = rs("new", 2, 1, 0);
        let all = [&new, &old];
        assert!(scale_down_old(&d, &all, &[&old]).is_empty());
    }

    #[test]
    fn old_sets_shrink_only_as_availability_allows() {
        let d = deployment(3, json!(1), json!(0));
        let old = rs("old", 1, 3, 3);
        let new = rs("new", 2, 1, 0);
        // The new pod is not available yet: nothing may go.
        assert!(scale_down_old(&d, &[&old, &new], &[&old]).is_empty());
        let new = rs("new", 2, 1, 1);
        assert_eq!(scale_down_old(&d, &[&old, &new], &[&old]), vec![(0, 2)]);
        // Unhealthy old pods go first, within the budget.
        let sick = rs("sick", 0, 2, 0);
        assert_eq!(cleanup_unhealthy(&[&sick, &old], 1), vec![(0, 1)]);
    }

    #[test]
    fn scaling_mid_rollout_is_proportional() {
        let d = deployment(20, json!(3), json!(2));
        // Was 10 (max 13): new 5, old 8 → now 20 (max 23): +10 shared about 5/8.
        let mut new = rs("new", 2, 5, 5);
        let mut old = rs("old", 1, 8, 8);
        for set in [&mut new, &mut old] {
            set.metadata.annotations =
                Some([(template::MAX_REPLICAS.to_string(), "13".to_string())].into());
        }
        let plan = proportional(&d, &[&new, &old], true);
        let total: i32 = plan.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 23);
        assert!(
            plan.contains(&(0, 9)) && plan.contains(&(1, 14)),
            "{plan:?}"
        );
    }
}

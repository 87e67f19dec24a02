//! End-to-end: Events expire `--event-ttl` after their last update, as kube-apiserver's do.

mod support;

use support::Cluster;

fn event(name: &str, last: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Event\nmetadata: {{name: {name}}}\ninvolvedObject: {{kind: Pod, name: p, namespace: default}}\nreason: Test\nmessage: hello\ntype: Normal\nfirstTimestamp: \"{last}\"\nlastTimestamp: \"{last}\"\ncount: 1\n"
    )
}

#[test]
fn events_expire_after_the_ttl() {
    let cluster = Cluster::start_with(&["--disable-agent", "--event-ttl=10s"]);
    let fresh = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .expect("now")
        .to_string();
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &event("old", "2020-01-01T00:00:00Z"))
        .ok();
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &event("fresh", &fresh))
        .ok();
    cluster.wait_until("the old event to expire", || {
        (!cluster.kubectl(&["get", "event", "old"]).status.success()).then_some(())
    });
    assert!(
        cluster.kubectl(&["get", "event", "fresh"]).status.success(),
        "an event younger than the TTL is kept"
    );
    cluster.wait_until("the fresh event to expire too", || {
        (!cluster.kubectl(&["get", "event", "fresh"]).status.success()).then_some(())
    });
}

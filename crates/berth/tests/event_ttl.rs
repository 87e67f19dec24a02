//! End-to-end: Events expire `--event-ttl` after their last write, as kube-apiserver's do
//! (whatever timestamps they carry).

mod support;

use support::Cluster;

fn event(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Event\nmetadata: {{name: {name}}}\ninvolvedObject: {{kind: Pod, name: p, namespace: default}}\nreason: Test\nmessage: hello\ntype: Normal\nfirstTimestamp: \"2020-01-01T00:00:00Z\"\nlastTimestamp: \"2020-01-01T00:00:00Z\"\ncount: 1\n"
    )
}

#[test]
fn events_expire_after_their_last_write() {
    let cluster = Cluster::start_with(&["--disable-agent", "--event-ttl=6s"]);
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &event("once"))
        .ok();
    cluster
        .kubectl_stdin(&["apply", "-f", "-"], &event("kept"))
        .ok();
    // An old lastTimestamp does not expire an Event just written.
    assert!(cluster.kubectl(&["get", "event", "once"]).status.success());
    // Keep writing `kept` while `once`, written once, reaches its TTL.
    let mut count = 1;
    cluster.wait_until("the event written once to expire", || {
        count += 1;
        cluster
            .kubectl(&[
                "patch",
                "event",
                "kept",
                "--type=merge",
                "-p",
                &format!(r#"{{"count":{count}}}"#),
            ])
            .ok();
        (!cluster.kubectl(&["get", "event", "once"]).status.success()).then_some(())
    });
    assert!(
        cluster.kubectl(&["get", "event", "kept"]).status.success(),
        "an event written within the TTL is kept"
    );
    // Left alone, it expires too.
    cluster.wait_until("the other event to expire", || {
        (!cluster.kubectl(&["get", "event", "kept"]).status.success()).then_some(())
    });
}

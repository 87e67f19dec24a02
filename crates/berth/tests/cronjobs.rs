//! End-to-end: CronJobs with the real kubectl on simulated nodes — a `*/1` schedule creates
//! a Job each minute and keeps only `successfulJobsHistoryLimit` finished ones; schedules and
//! time zones are validated; `kubectl create job --from=cronjob/…` works.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::Cluster;

const CRONJOB: &str = "apiVersion: batch/v1
kind: CronJob
metadata: {name: tick}
spec:
  schedule: '*/1 * * * *'
  timeZone: Etc/UTC
  successfulJobsHistoryLimit: 1
  jobTemplate:
    spec:
      template:
        metadata: {annotations: {berth.dev/simulated-exit-code: '0'}}
        spec: {restartPolicy: Never, containers: [{name: c, image: registry.invalid/tick:1}]}
";

#[test]
fn a_minutely_cronjob_creates_jobs_and_keeps_its_history_limit() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("cron", 1, "", "");

    // Bad input is refused with the field and the reason.
    let bad_schedule = CRONJOB.replace("'*/1 * * * *'", "'*/1 * * *'");
    let run = cluster
        .kubectl_stdin(&["apply", "-f", "-"], &bad_schedule)
        .failed();
    assert!(run.stderr.contains("spec.schedule"), "{}", run.stderr);
    let bad_zone = CRONJOB.replace("Etc/UTC", "Mars/Olympus_Mons");
    let run = cluster
        .kubectl_stdin(&["apply", "-f", "-"], &bad_zone)
        .failed();
    assert!(
        run.stderr.contains("spec.timeZone") && run.stderr.contains("unknown time zone"),
        "{}",
        run.stderr
    );

    cluster.kubectl_stdin(&["apply", "-f", "-"], CRONJOB).ok();
    // A Job by hand from the template.
    cluster
        .kubectl(&["create", "job", "manual", "--from=cronjob/tick"])
        .ok();
    cluster
        .kubectl(&[
            "wait",
            "--for=condition=complete",
            "job/manual",
            "--timeout=60s",
        ])
        .ok();

    // Two scheduled runs: each creates a Job named for its minute; once the second has
    // finished, only it is kept.
    let mut seen: BTreeSet<String> = BTreeSet::new();
    cluster.wait_until_within(
        Duration::from_secs(180),
        "two scheduled Jobs, the older removed",
        || {
            let out = cluster.jsonpath(
                &["jobs"],
                r#"{range .items[*]}{.metadata.name}|{.metadata.ownerReferences[0].kind}|{.status.succeeded}{"\n"}{end}"#,
            );
            let scheduled: Vec<(&str, &str)> = out
                .lines()
                .filter_map(|l| {
                    let parts: Vec<&str> = l.split('|').collect();
                    let scheduled = parts.len() == 3
                        && parts[1] == "CronJob"
                        && parts[0].starts_with("tick-");
                    scheduled.then(|| (parts[0], parts[2]))
                })
                .collect();
            seen.extend(scheduled.iter().map(|(n, _)| n.to_string()));
            let kept_done = scheduled.iter().filter(|(_, s)| *s == "1").count();
            (seen.len() >= 2 && kept_done == 1 && scheduled.len() == 1).then_some(())
        },
    );
    for name in &seen {
        let minutes = name.trim_start_matches("tick-");
        assert!(
            minutes.parse::<i64>().is_ok_and(|m| m > 29_000_000),
            "a Job named for its scheduled minute: {name}"
        );
    }
    let status = cluster.jsonpath(
        &["cronjob", "tick"],
        "{.status.lastScheduleTime}|{.status.lastSuccessfulTime}",
    );
    let (scheduled, succeeded) = status.split_once('|').unwrap_or_default();
    assert!(
        !scheduled.is_empty() && !succeeded.is_empty(),
        "status: {status}"
    );
    // `create job --from` makes the CronJob its controller (as upstream), so the finished
    // manual Job counts toward the history limit too and, being older, is gone.
    assert!(!cluster.kubectl(&["get", "job", "manual"]).status.success());
}

//! End-to-end: Jobs with the real kubectl on simulated nodes (whose pods exit with the code
//! in their `berth.dev/simulated-exit-code` annotation) — completions and parallelism,
//! Indexed completion, backoffLimit, activeDeadlineSeconds, suspend/resume and
//! ttlSecondsAfterFinished.

mod support;

use support::Cluster;

/// A Job whose pods exit with `exit` (`None`: they keep running); `extra` goes under `spec`.
fn job(name: &str, exit: Option<i32>, extra: &str) -> String {
    let annotations = exit
        .map(|code| format!("annotations: {{berth.dev/simulated-exit-code: \"{code}\"}}"))
        .unwrap_or_else(|| "annotations: {}".to_string());
    format!(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {{name: {name}}}\nspec:\n{extra}  template:\n    metadata: {{{annotations}}}\n    spec: {{restartPolicy: Never, containers: [{{name: c, image: registry.invalid/batch:1}}]}}\n"
    )
}

fn wait_condition(cluster: &Cluster, job: &str, condition: &str) {
    cluster
        .kubectl(&[
            "wait",
            &format!("--for=condition={condition}"),
            &format!("job/{job}"),
            "--timeout=60s",
        ])
        .ok();
}

#[test]
fn jobs_complete_fail_and_expire() {
    let cluster = Cluster::start_with(&["--disable-agent"]);
    let _nodes = cluster.simulate("job", 2, "", "");

    // Three completions, two at a time.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &job("ok", Some(0), "  completions: 3\n  parallelism: 2\n"),
        )
        .ok();
    wait_condition(&cluster, "ok", "complete");
    let status = cluster.jsonpath(
        &["job", "ok"],
        "{.status.succeeded}/{.status.failed}/{.status.active}/{.status.completionTime}",
    );
    let parts: Vec<&str> = status.split('/').collect();
    assert_eq!(&parts[..3], &["3", "0", "0"], "{status}");
    assert!(!parts[3].is_empty(), "no completionTime: {status}");
    // Every pod was counted and let go: no tracking finalizer is left.
    let finalizers = cluster.jsonpath(
        &["pods", "-l", "job-name=ok"],
        "{.items[*].metadata.finalizers}",
    );
    assert!(
        !finalizers.contains("job-tracking"),
        "finalizers left: {finalizers}"
    );
    let pods = cluster.jsonpath(&["pods", "-l", "job-name=ok"], "{.items[*].metadata.name}");
    assert_eq!(pods.split_whitespace().count(), 3, "{pods}");

    // Indexed: one success per index.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &job(
                "indexed",
                Some(0),
                "  completions: 3\n  parallelism: 3\n  completionMode: Indexed\n",
            ),
        )
        .ok();
    wait_condition(&cluster, "indexed", "complete");
    assert_eq!(
        cluster.jsonpath(&["job", "indexed"], "{.status.completedIndexes}"),
        "0-2"
    );
    let indexes = cluster.jsonpath(
        &["pods", "-l", "job-name=indexed"],
        r#"{range .items[*]}{.metadata.annotations.batch\.kubernetes\.io/job-completion-index}{" "}{end}"#,
    );
    let mut indexes: Vec<&str> = indexes.split_whitespace().collect();
    indexes.sort_unstable();
    assert_eq!(indexes, vec!["0", "1", "2"]);

    // Failing pods: retried after a backoff, then Failed once backoffLimit is exceeded.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &job("bad", Some(1), "  backoffLimit: 1\n"),
        )
        .ok();
    wait_condition(&cluster, "bad", "failed");
    assert_eq!(
        cluster.jsonpath(
            &["job", "bad"],
            r#"{.status.failed}/{.status.conditions[?(@.type=="Failed")].reason}"#
        ),
        "2/BackoffLimitExceeded"
    );
    let describe = cluster.kubectl(&["describe", "job", "bad"]).ok();
    assert!(
        describe
            .stdout
            .contains("Job has reached the specified backoff limit"),
        "{}",
        describe.stdout
    );

    // Running longer than activeDeadlineSeconds: Failed, its pods stopped.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &job("slow", None, "  activeDeadlineSeconds: 2\n"),
        )
        .ok();
    wait_condition(&cluster, "slow", "failed");
    assert_eq!(
        cluster.jsonpath(
            &["job", "slow"],
            r#"{.status.conditions[?(@.type=="Failed")].reason}"#
        ),
        "DeadlineExceeded"
    );
    cluster.wait_until("the slow job's pods gone", || {
        cluster
            .jsonpath(
                &["pods", "-l", "job-name=slow"],
                "{.items[*].metadata.name}",
            )
            .is_empty()
            .then_some(())
    });

    // Suspended: no pods until resumed; then it completes, and its TTL removes it.
    cluster
        .kubectl_stdin(
            &["apply", "-f", "-"],
            &job(
                "later",
                Some(0),
                "  suspend: true\n  ttlSecondsAfterFinished: 1\n",
            ),
        )
        .ok();
    wait_condition(&cluster, "later", "suspended");
    assert!(
        cluster
            .jsonpath(
                &["pods", "-l", "job-name=later"],
                "{.items[*].metadata.name}"
            )
            .is_empty()
    );
    cluster
        .kubectl(&[
            "patch",
            "job",
            "later",
            "--type=merge",
            "-p",
            r#"{"spec":{"suspend":false}}"#,
        ])
        .ok();
    cluster.wait_until("the finished job removed by its TTL", || {
        let run = cluster.kubectl(&["get", "job", "later"]);
        (!run.status.success() && run.stderr.contains("NotFound")).then_some(())
    });
    cluster.wait_until("its pods removed with it", || {
        cluster
            .jsonpath(
                &["pods", "-l", "job-name=later"],
                "{.items[*].metadata.name}",
            )
            .is_empty()
            .then_some(())
    });
}

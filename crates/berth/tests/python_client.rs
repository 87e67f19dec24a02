//! The official Python `kubernetes` client does CRUD and watch against `berth server`.
//! `scripts/test` installs it into a virtualenv and sets `BERTH_TEST_PYTHON`.

mod support;

use std::process::Command;

use support::Cluster;

#[test]
fn python_client_crud_and_watch() {
    let python = std::env::var("BERTH_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "BERTH_TEST_PYTHON is not set: run through scripts/test, which installs the Python \
             kubernetes client into a virtualenv, or point it at a python with `kubernetes` installed"
        )
    });
    let cluster = Cluster::start();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/crud_watch.py");
    let output = Command::new(python)
        .arg(script)
        .env("KUBECONFIG", cluster.kubeconfig())
        .env("HOME", cluster.home())
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    for step in [
        "list namespaces ok",
        "create ok",
        "read and list ok",
        "patch and conflict ok",
        "deployment ok",
        "watch ok",
        "delete ok",
    ] {
        assert!(stdout.contains(step), "missing {step:?}:\n{stdout}");
    }
}

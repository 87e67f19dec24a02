//! `berth up`: one machine, one command — the server with its node agent (what `berth server`
//! runs), after importing image archives (`--import`, the demo image when run by
//! `scripts/up`), then the example app applied once the API is up, and where to reach it.
//! Ctrl-C stops it; running it again resumes the same cluster (same data dir; the example
//! is created only if absent).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use berth_agent::image::{ImageStore, archive};
use clap::Args;
use futures_util::{FutureExt, StreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, PostParams};
use kube::runtime::watcher;
use serde_json::json;

use super::server::{self, ServerArgs};

/// The demo image `scripts/make-demo-image` builds.
pub const DEMO_IMAGE: &str = "berth.local/demo/busybox:1";

#[derive(Debug, Args)]
pub struct UpArgs {
    #[command(flatten)]
    server: ServerArgs,

    /// Image archives to import into this node's store first (repeatable).
    #[arg(long = "import", value_name = "FILE")]
    imports: Vec<PathBuf>,

    /// Don't apply the example app (a 2-replica httpd Deployment named `hello`).
    #[arg(long)]
    no_example: bool,
}

pub fn run(args: UpArgs) -> anyhow::Result<()> {
    let data_dir = args.server.data_dir().to_path_buf();
    let root = berth_agent::image::store_root(&data_dir);
    let store = ImageStore::open(&root)
        .with_context(|| format!("opening the image store {}", root.display()))?;
    for file in &args.imports {
        let reader =
            std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?;
        for image in archive::import(&store, reader, file)? {
            eprintln!("imported {}", image.name);
        }
    }
    let has_demo = store.resolve(DEMO_IMAGE)?.is_some();
    let kubeconfig = args.server.kubeconfig().to_path_buf();
    let on_ready: Option<server::OnReady> = (!args.no_example).then(|| {
        Box::new(move |client: kube::Client| {
            async move {
                if let Err(e) = example(client, has_demo, &kubeconfig).await {
                    eprintln!("berth up: the example app: {e:#}");
                }
            }
            .boxed()
        }) as server::OnReady
    });
    server::run_with(args.server, on_ready)
}

async fn example(
    client: kube::Client,
    has_demo: bool,
    kubeconfig: &std::path::Path,
) -> anyhow::Result<()> {
    let export = format!("export KUBECONFIG={}", kubeconfig.display());
    if !has_demo {
        println!(
            "\nBerth is up.\n  {export}\n  kubectl get nodes\n(No demo image in this node's store: make one with scripts/make-demo-image and `berth image import`.)"
        );
        return Ok(());
    }
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    if deployments.get_opt("hello").await?.is_none() {
        let hello: Deployment = serde_json::from_value(json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "hello", "labels": {"app": "hello"}},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "hello"}},
                "template": {
                    "metadata": {"labels": {"app": "hello"}},
                    "spec": {"containers": [{
                        "name": "httpd",
                        "image": DEMO_IMAGE,
                        "command": ["httpd", "-f", "-p", "8080", "-h", "/var/www"],
                        "ports": [{"containerPort": 8080}],
                    }]},
                },
            },
        }))?;
        deployments.create(&PostParams::default(), &hello).await?;
    }
    // Wait (on a watch) for the example's pods to run, then say where they answer.
    let pods: Api<Pod> = Api::namespaced(client, "default");
    let selector = "app=hello";
    let ready = async {
        let mut stream =
            watcher::watcher(pods.clone(), watcher::Config::default().labels(selector)).boxed();
        while let Some(event) = stream.next().await {
            if event.is_err() {
                continue;
            }
            let list = pods.list(&ListParams::default().labels(selector)).await?;
            let ips: Vec<String> = list
                .items
                .iter()
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
                .filter_map(|p| p.status.as_ref()?.pod_ip.clone())
                .collect();
            if ips.len() >= 2 {
                return Ok::<_, kube::Error>(ips);
            }
        }
        Ok(Vec::new())
    };
    let ips = tokio::time::timeout(Duration::from_secs(120), ready)
        .await
        .unwrap_or(Ok(Vec::new()))?;
    let mut message = format!(
        "\nBerth is up.\n  {export}\n  kubectl get pods -o wide\n\nThe example app \"hello\" (kubectl get deployment hello) answers on its pods' addresses:\n"
    );
    for ip in &ips {
        message.push_str(&format!("  curl http://{ip}:8080/\n"));
    }
    if ips.is_empty() {
        message.push_str("  (its pods are not running yet: kubectl describe pods -l app=hello)\n");
    }
    message.push_str("Ctrl-C stops Berth; containers keep running and `berth up` resumes them.");
    println!("{message}");
    Ok(())
}

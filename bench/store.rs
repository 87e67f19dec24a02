//! Datastore benchmark: prints figures, decides nothing.
//!
//! `cargo bench -p berth-store --bench store` measures the SQLite backend; with
//! `BERTH_BENCH_ETCD=http://127.0.0.1:PORT` it measures that etcd too, side by side.
//! Figures: write throughput and latency at 1, 8 and 64 concurrent writers (group commit makes
//! throughput grow with concurrency), get latency, a full range of 10,000 keys, and the delay
//! from a write's acknowledgement to its watch event.

use std::sync::Arc;
use std::time::{Duration, Instant};

use berth_store::etcd::{EtcdConfig, EtcdStore};
use berth_store::sqlite::SqliteStore;
use berth_store::{RangeRequest, Revision, Store};
use bytes::Bytes;

const VALUE_BYTES: usize = 1024;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1000.0)
}

async fn writes(store: &Arc<dyn Store>, prefix: &str, writers: usize, per_writer: usize) {
    let value = Bytes::from(vec![b'v'; VALUE_BYTES]);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let (store, value, prefix) = (store.clone(), value.clone(), prefix.to_string());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_writer);
            for i in 0..per_writer {
                let t = Instant::now();
                store
                    .create(&format!("{prefix}{w}-{i}"), value.clone())
                    .await
                    .expect("create");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("writer"));
    }
    let elapsed = started.elapsed();
    all.sort();
    println!(
        "  creates, {writers:>2} writers: {:>8.0} writes/s   p50 {} ms   p99 {} ms",
        all.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
    );
}

async fn run(name: &str, store: Arc<dyn Store>) {
    println!("{name} ({})", store.describe());
    writes(&store, "/bench/w1/", 1, 2000).await;
    writes(&store, "/bench/w8/", 8, 1000).await;
    writes(&store, "/bench/w64/", 64, 200).await;

    let mut latencies = Vec::new();
    for i in 0..2000 {
        let t = Instant::now();
        store
            .get(&format!("/bench/w8/{}-{}", i % 8, i % 1000))
            .await
            .expect("get")
            .expect("exists");
        latencies.push(t.elapsed());
    }
    latencies.sort();
    println!(
        "  get: p50 {} ms   p99 {} ms",
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99))
    );

    let t = Instant::now();
    let all = store
        .range(RangeRequest::prefix("/bench/w64/"))
        .await
        .expect("range");
    println!("  range of {} keys: {} ms", all.kvs.len(), ms(t.elapsed()));

    let mut stream = store
        .watch("/bench/watch/", Revision::ZERO)
        .await
        .expect("watch");
    let mut delays = Vec::new();
    for i in 0..500 {
        store
            .create(&format!("/bench/watch/{i}"), Bytes::from("x"))
            .await
            .expect("create");
        let t = Instant::now();
        stream.next().await.expect("event").expect("no error");
        delays.push(t.elapsed());
    }
    delays.sort();
    println!(
        "  watch event after ack: p50 {} ms   p99 {} ms",
        ms(percentile(&delays, 0.5)),
        ms(percentile(&delays, 0.99))
    );
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        println!(
            "berth-store benchmark, {} CPUs, value {VALUE_BYTES} B",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = SqliteStore::open(dir.path().join("state.db"))
            .await
            .expect("open sqlite");
        run("sqlite", Arc::new(sqlite)).await;
        if let Ok(endpoint) = std::env::var("BERTH_BENCH_ETCD") {
            let mut config = EtcdConfig::new(vec![endpoint]);
            config.namespace = format!("/berth-bench-{}", std::process::id());
            let etcd = EtcdStore::open(config).await.expect("open etcd");
            run("etcd", Arc::new(etcd)).await;
        }
    });
}

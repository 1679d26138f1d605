//! The long fuzz run: the release holder binary as its own process, `FUZZ_CASES` generated
//! cases (default 1,000,000; `fuzz/engine.rs` says which) from `FUZZ_SEED` with
//! `FUZZ_CONCURRENCY` workers (default 64), then the answers by status, 5xx, dropped connections, the
//! holder's RSS before and after, the canary's fetches and the wall time. Exits 1 when any 5xx,
//! dropped connection or canary fetch was seen.
//!
//!   cargo bench -p mock-holder --bench fuzz          # or scripts/fuzz-holder

#![allow(clippy::unwrap_used, unreachable_pub)]

#[path = "../fuzz/engine.rs"]
mod engine;
#[path = "../fuzz/process.rs"]
mod process;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let cases: u64 = env_or("FUZZ_CASES", 1_000_000);
    let seed: u64 = env_or("FUZZ_SEED", 1);
    let concurrency: usize = env_or("FUZZ_CONCURRENCY", 64);
    let dir = std::env::temp_dir().join(format!("mock-holder-fuzz-{}", uuid::Uuid::new_v4()));
    let ecosystem = process::Ecosystem::start().await;
    let canary = wiremock::MockServer::start().await;
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_mock-holder"));
    let holder = process::Holder::start(&bin, &dir, &ecosystem, "").await;
    let pid = holder.pid();
    let rss_idle = process::rss_kb(pid);

    // One registered client and a token of it, for token and management cases.
    let client = holder.client(false, 4);
    let base = holder.mtls_base();
    let created: Value = client
        .post(format!("{base}/register"))
        .header("content-type", "application/jwt")
        .body(ecosystem.registration(&holder.issuer()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = created["client_id"].as_str().unwrap().to_string();
    let access_token = ecosystem
        .token(&client, &client_id, &format!("{base}/token"))
        .await
        .unwrap();
    let target = Arc::new(engine::Target {
        mtls_addr: format!("127.0.0.1:{}", holder.mtls).parse().unwrap(),
        issuer: holder.issuer(),
        registration_endpoint: format!("{base}/register"),
        token_endpoint: format!("{base}/token"),
        ca_pem: holder.ca_pem(),
        identity_pem: holder.identity_pem(),
        register_key: ecosystem.register_key.clone(),
        recipient_key: ecosystem.recipient_key.clone(),
        recipient_jwks_uri: ecosystem.recipient_jwks_uri(),
        canary: canary.uri(),
        client_id,
        access_token,
    });

    // Warm-up (allocator pools, caches), then the measured run.
    let warm_up = engine::run(target.clone(), 2_000, seed ^ 0xffff, concurrency).await;
    let rss_before = process::rss_kb(pid);
    let started = Instant::now();
    let tally = engine::run(target, cases, seed, concurrency).await;
    let wall = started.elapsed();
    let rss_after = process::rss_kb(pid);
    let fetched = canary.received_requests().await.unwrap_or_default().len();
    let alive = std::net::TcpStream::connect(("127.0.0.1", holder.mtls)).is_ok();
    println!(
        "holder fuzz run: seed {seed}, {concurrency} workers, release binary {}",
        bin.display()
    );
    println!("{}", tally.render());
    println!(
        "RSS: idle {rss_idle} kB, before {rss_before} kB (after a 2,000-case warm-up), after {rss_after} kB"
    );
    println!("canary fetches (JOSE header URLs): {fetched}");
    println!(
        "wall time: {:.1} s ({:.0} cases/s); holder still answering: {alive}",
        wall.as_secs_f64(),
        cases as f64 / wall.as_secs_f64()
    );
    if !tally.examples.is_empty() || !warm_up.examples.is_empty() {
        println!("examples: {:#?}", tally.examples);
    }
    holder.stop();
    let _ = std::fs::remove_dir_all(&dir);
    if tally.five_xx() > 0 || tally.dropped > 0 || fetched > 0 || !alive {
        std::process::exit(1);
    }
}

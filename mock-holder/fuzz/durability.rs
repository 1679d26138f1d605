//! Durability at scale: `kill -9` of the holder process while `concurrency` registrations are
//! in flight; after a restart every registration it acknowledged (201) must be there (a token
//! can be had for it and `GET /register/{id}` answers 200 with it).
//!
//! Shared by the bounded test (`tests/api/durability.rs`) and the long run
//! (`benches/durability.rs`).

#![allow(dead_code, unreachable_pub)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::Value;

use crate::process::{Ecosystem, Holder};

/// What a run saw.
#[derive(Debug)]
pub struct Outcome {
    /// Registrations allowed in flight at once.
    pub concurrency: usize,
    /// Registrations sent.
    pub sent: usize,
    /// Registrations in flight (sent, not yet answered) when the holder was killed.
    pub in_flight_at_kill: u64,
    /// The client ids the holder acknowledged with 201 before it died.
    pub acknowledged: Vec<String>,
    /// Acknowledged registrations found after the restart.
    pub found: usize,
    /// Acknowledged registrations not found (must be empty), with what was answered.
    pub missing: Vec<String>,
}

impl Outcome {
    pub fn render(&self) -> String {
        format!(
            "concurrency {}, sent {}, in flight at kill -9: {}, acknowledged {}, found after restart {}, missing {}",
            self.concurrency,
            self.sent,
            self.in_flight_at_kill,
            self.acknowledged.len(),
            self.found,
            self.missing.len()
        )
    }
}

/// Sends `2 × concurrency` registrations, at most `concurrency` at once (over HTTP/1.1, one
/// connection each), kills the holder with SIGKILL once `kill_after` were acknowledged,
/// restarts it and looks every acknowledged one up.
pub async fn run(bin: &Path, dir: &Path, concurrency: usize, kill_after: usize) -> Outcome {
    let ecosystem = Ecosystem::start().await;
    let extra = format!("connections: {{max_connections: {}}}\n", concurrency + 64);
    let mut holder = Holder::start(bin, dir, &ecosystem, &extra).await;
    let issuer = holder.issuer();
    let register = format!("{}/register", holder.mtls_base());
    let sent = concurrency * 2;
    let requests: Vec<String> = (0..sent).map(|_| ecosystem.registration(&issuer)).collect();
    let client = holder.client(true, concurrency);
    let gate = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let (started, finished, acks) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let tasks: Vec<_> = requests
        .into_iter()
        .map(|jwt| {
            let (client, url, gate) = (client.clone(), register.clone(), gate.clone());
            let (started, finished, acks) = (started.clone(), finished.clone(), acks.clone());
            tokio::spawn(async move {
                let _permit = gate.acquire_owned().await.ok()?;
                started.fetch_add(1, Ordering::SeqCst);
                let answer = client
                    .post(url)
                    .header("content-type", "application/jwt")
                    .body(jwt)
                    .send()
                    .await;
                let id = match answer {
                    Ok(r) if r.status() == 201 => r
                        .json::<Value>()
                        .await
                        .ok()
                        .and_then(|b| b["client_id"].as_str().map(str::to_string)),
                    _ => None,
                };
                finished.fetch_add(1, Ordering::SeqCst);
                if id.is_some() {
                    acks.fetch_add(1, Ordering::SeqCst);
                }
                id
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(300);
    while acks.load(Ordering::SeqCst) < kill_after as u64 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let in_flight_at_kill = started.load(Ordering::SeqCst) - finished.load(Ordering::SeqCst);
    holder.kill_9();
    let mut acknowledged = Vec::new();
    for t in tasks {
        if let Ok(Some(id)) = t.await {
            acknowledged.push(id);
        }
    }
    // Nothing is listening now; start again on the same database.
    holder.restart(bin).await;
    let client = holder.client(false, 64);
    let token_endpoint = format!("{}/token", holder.mtls_base());
    let checks = futures::stream::iter(acknowledged.clone())
        .map(|id| {
            let (client, ecosystem, token_endpoint, register) =
                (&client, &ecosystem, &token_endpoint, &register);
            async move {
                let token = ecosystem
                    .token(client, &id, token_endpoint)
                    .await
                    .map_err(|e| format!("{id}: {e}"))?;
                let got = client
                    .get(format!("{register}/{id}"))
                    .bearer_auth(token)
                    .send()
                    .await
                    .map_err(|e| format!("{id}: GET {e}"))?;
                if got.status() != 200 {
                    return Err(format!("{id}: GET HTTP {}", got.status()));
                }
                let body: Value = got.json().await.map_err(|e| format!("{id}: {e}"))?;
                if body["client_id"] != id.as_str() {
                    return Err(format!("{id}: GET answered another client"));
                }
                Ok(())
            }
        })
        .buffer_unordered(64)
        .collect::<Vec<_>>()
        .await;
    holder.stop();
    let missing: Vec<String> = checks.into_iter().filter_map(Result::err).collect();
    Outcome {
        concurrency,
        sent,
        in_flight_at_kill,
        found: acknowledged.len() - missing.len(),
        acknowledged,
        missing,
    }
}

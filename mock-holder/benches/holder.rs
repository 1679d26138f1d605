//! Benchmark of the `mock-holder` binary, run as a separate process so its memory can be read
//! from `/proc/<pid>/status`:
//!
//! 1. start it from a config file (temp dir database, generated PKI, `RUST_LOG=warn`), with
//!    wiremock serving the Register's and the recipient's JWKS (ES256 keys: the holder still
//!    verifies every SSA and request signature);
//! 2. read VmRSS / VmHWM idle;
//! 3. pre-sign `BENCH_REGISTRATIONS` (default 100,000) registration requests, each with its own
//!    software_id and SSA, then POST them over mTLS with keep-alive from 8 clients and 64
//!    requests in flight: registrations per second;
//! 4. read VmRSS / VmHWM again;
//! 5. 64 clients (64 TLS connections), each with its own cert-bound `cdr:registration` token,
//!    GET their registration in a loop: throughput at saturation and p50 / p99 / max latency
//!    (closed loop: each client sends its next request when the last one is answered);
//! 6. the same 64 clients on a fixed schedule offering half the saturated rate (open loop,
//!    latency from each request's scheduled time): p50 / p99 / max.
//!
//! The load generator runs on one thread (a current-thread runtime) so that it takes at most
//! one of the machine's cores from the holder it measures.
//!
//! Run: `cargo bench -p mock-holder --bench holder` (`BENCH_REGISTRATIONS` changes N,
//! `BENCH_GETS_PER_CLIENT` the GETs per client, default 500).

#![allow(clippy::unwrap_used, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use dcr_vectors::jose::{header_for, sign_claims, sign_compact};
use dcr_vectors::{RegistrationTemplate, SigningAlg, SigningKey, SsaTemplate, time};
use reqwest::{Certificate, Client, Identity};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CONCURRENCY: usize = 64;
const POST_CLIENTS: usize = 8;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn memory(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l[name.len()..].trim().to_string())
            .unwrap_or_else(|| "?".into())
    };
    format!("VmRSS {} VmHWM {}", field("VmRSS:"), field("VmHWM:"))
}

fn client(dir: &Path) -> Client {
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    Client::builder()
        .tls_certs_only([Certificate::from_pem(read("ca.pem").as_bytes()).unwrap()])
        .identity(
            Identity::from_pem(
                format!("{}{}", read("client-a.pem"), read("client-a.key")).as_bytes(),
            )
            .unwrap(),
        )
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::var("BENCH_REGISTRATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let gets_per_client: usize = std::env::var("BENCH_GETS_PER_CLIENT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let dir = std::env::temp_dir().join(format!("mock-holder-bench-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();

    let register_key = SigningKey::generate(SigningAlg::Es256, "cdr-register-1").unwrap();
    let recipient_key = SigningKey::generate(SigningAlg::Es256, "recipient-1").unwrap();
    let jwks = MockServer::start().await;
    for (p, key) in [("/register", &register_key), ("/recipient", &recipient_key)] {
        Mock::given(method("GET"))
            .and(path(p))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(dcr_vectors::keys::public_jwks([key]).unwrap()),
            )
            .mount(&jwks)
            .await;
    }

    let (public, mtls) = (free_port(), free_port());
    let config = dir.join("holder.yaml");
    std::fs::write(
        &config,
        format!(
            "listen: {{public: '127.0.0.1:{public}', mtls: '127.0.0.1:{mtls}'}}\n\
             tls: {{generate: '{pki}'}}\nregister_jwks_uri: '{jwks}/register'\n\
             database: '{db}'\njwks_cache_seconds: 3600\n",
            pki = dir.join("pki").display(),
            jwks = jwks.uri(),
            db = dir.join("holder.db").display(),
        ),
    )
    .unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_mock-holder"));
    let mut child: Child = Command::new(&bin)
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    while std::net::TcpStream::connect(("127.0.0.1", public)).is_err() {
        assert!(child.try_wait().unwrap().is_none(), "holder exited");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("holder: {} (pid {pid})", bin.display());
    println!("idle:                       {}", memory(pid));

    let issuer = format!("https://127.0.0.1:{public}");
    let base = format!("https://127.0.0.1:{mtls}");

    // Pre-sign (not timed as part of the holder's throughput).
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let recipient = dcr_vectors::templates::recipients().unwrap().remove(0);
    let requests: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (register_key, recipient_key, recipient, issuer, jwks) = (
                    &register_key,
                    &recipient_key,
                    &recipient,
                    &issuer,
                    jwks.uri(),
                );
                s.spawn(move || {
                    let ssa_t = SsaTemplate::load().unwrap();
                    let reg_t = RegistrationTemplate::load().unwrap();
                    // One signer per key: building a signer from a JWK costs more than signing.
                    let (ssa_signer, req_signer) = (
                        register_key.signer().unwrap(),
                        recipient_key.signer().unwrap(),
                    );
                    let (ssa_header, req_header) =
                        (header_for(register_key), header_for(recipient_key));
                    let sign = |h: &serde_json::Map<String, Value>,
                                c: &serde_json::Map<String, Value>,
                                s: &dyn josekit::jws::JwsSigner| {
                        sign_compact(h, &serde_json::to_vec(c).unwrap(), s).unwrap()
                    };
                    (t..n)
                        .step_by(threads)
                        .map(|i| {
                            let software_id = format!("bench-{i:06}-{}", uuid::Uuid::new_v4());
                            let now = time::now();
                            let mut ssa = ssa_t
                                .claims(
                                    recipient,
                                    &format!("{jwks}/recipient"),
                                    "https://a.recipient.example",
                                    now,
                                )
                                .unwrap();
                            ssa.insert("software_id".into(), json!(software_id));
                            // Long enough for the whole run.
                            ssa.insert("exp".into(), json!(now + 3600));
                            let ssa = sign(&ssa_header, &ssa, ssa_signer.as_ref());
                            let mut req = reg_t
                                .claims(&software_id, issuer, &recipient.redirect_uris, &ssa, now)
                                .unwrap();
                            req.insert("exp".into(), json!(now + 3600));
                            // Client assertions are signed with this (ES256) key, and the holder
                            // holds a client to its registered algorithm.
                            req.insert(
                                "token_endpoint_auth_signing_alg".into(),
                                json!(recipient_key.alg().as_str()),
                            );
                            sign(&req_header, &req, req_signer.as_ref())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    println!(
        "pre-signed {n} registration requests (ES256 SSA + ES256 request) in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // POST /register.
    let pki = dir.join("pki");
    let clients: Vec<Client> = (0..POST_CLIENTS).map(|_| client(&pki)).collect();
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!("{base}/register");
    let started = Instant::now();
    let tasks: Vec<_> = (0..CONCURRENCY)
        .map(|t| {
            let (client, requests, next, url) = (
                clients[t % POST_CLIENTS].clone(),
                requests.clone(),
                next.clone(),
                url.clone(),
            );
            tokio::spawn(async move {
                let mut ids = Vec::new();
                let mut failures = 0usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = requests.get(i) else { break };
                    let r = client
                        .post(&url)
                        .header("content-type", "application/jwt")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    if r.status() == 201 {
                        let v: Value = r.json().await.unwrap();
                        ids.push(v["client_id"].as_str().unwrap().to_string());
                    } else {
                        failures += 1;
                        if failures == 1 {
                            eprintln!(
                                "unexpected {}: {}",
                                r.status(),
                                r.text().await.unwrap_or_default()
                            );
                        }
                    }
                }
                (ids, failures)
            })
        })
        .collect();
    let mut ids = Vec::new();
    let mut failures = 0;
    for t in tasks {
        let (i, f) = t.await.unwrap();
        ids.extend(i);
        failures += f;
    }
    let elapsed = started.elapsed();
    println!(
        "POST /register: {} created, {failures} failed in {:.1} s = {:.0} registrations/s ({CONCURRENCY} in flight over {POST_CLIENTS} mTLS clients)",
        ids.len(),
        elapsed.as_secs_f64(),
        ids.len() as f64 / elapsed.as_secs_f64()
    );
    println!("after {:>6} registrations: {}", ids.len(), memory(pid));

    // GET /register/{id}: 64 clients, each with its own connection and token.
    let get_clients: Vec<Client> = (0..CONCURRENCY).map(|_| client(&pki)).collect();
    let mut tokens = Vec::new();
    for (i, c) in get_clients.iter().enumerate() {
        let id = &ids[i];
        let now = time::now();
        let assertion = sign_claims(
            &dcr_vectors::jose::client_assertion_claims(id, &format!("{base}/token"), now),
            &recipient_key,
        )
        .unwrap();
        let r: Value = c
            .post(format!("{base}/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &assertion),
                ("scope", "cdr:registration"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        tokens.push(r["access_token"].as_str().unwrap().to_string());
    }
    let run_gets = |count: usize| {
        let tasks: Vec<_> = get_clients
            .iter()
            .zip(&tokens)
            .zip(&ids)
            .map(|((c, token), id)| {
                let (c, token, url) = (c.clone(), token.clone(), format!("{base}/register/{id}"));
                tokio::spawn(async move {
                    let mut lat = Vec::with_capacity(count);
                    for _ in 0..count {
                        let t = Instant::now();
                        let r = c.get(&url).bearer_auth(&token).send().await.unwrap();
                        assert_eq!(r.status(), 200);
                        r.bytes().await.unwrap();
                        lat.push(t.elapsed());
                    }
                    lat
                })
            })
            .collect::<Vec<_>>();
        async move {
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.unwrap());
            }
            all
        }
    };
    run_gets(20).await; // warm-up: connections, caches
    let started = Instant::now();
    let mut lat = run_gets(gets_per_client).await;
    let elapsed = started.elapsed();
    lat.sort_unstable();
    let saturation = lat.len() as f64 / elapsed.as_secs_f64();
    println!(
        "GET /register/{{id}} closed loop (saturated): {} requests, {CONCURRENCY} concurrent clients, {saturation:.0} req/s, p50 {} p99 {} max {}",
        lat.len(),
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.99)),
        ms(*lat.last().unwrap())
    );

    // Open loop: the same 64 clients, each sending on a fixed schedule so that together they
    // offer half the saturated rate. Latency is measured from each request's scheduled time,
    // so a stalled holder is charged for the requests it delayed (no coordinated omission).
    let offered = saturation / 2.0;
    let interval = Duration::from_secs_f64(CONCURRENCY as f64 / offered);
    let tasks: Vec<_> = get_clients
        .iter()
        .zip(&tokens)
        .zip(&ids)
        .enumerate()
        .map(|(i, ((c, token), id))| {
            let (c, token, url) = (c.clone(), token.clone(), format!("{base}/register/{id}"));
            // Stagger the clients across one interval.
            let start =
                tokio::time::Instant::now() + interval.mul_f64(i as f64 / CONCURRENCY as f64);
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(gets_per_client);
                for k in 0..gets_per_client {
                    let scheduled = start + interval * k as u32;
                    tokio::time::sleep_until(scheduled).await;
                    let r = c.get(&url).bearer_auth(&token).send().await.unwrap();
                    assert_eq!(r.status(), 200);
                    r.bytes().await.unwrap();
                    lat.push(scheduled.elapsed());
                }
                lat
            })
        })
        .collect();
    let started = Instant::now();
    let mut open = Vec::new();
    for t in tasks {
        open.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    open.sort_unstable();
    println!(
        "GET /register/{{id}} open loop at half saturation: {} requests, {CONCURRENCY} clients offering {offered:.0} req/s (achieved {:.0}), p50 {} p99 {} max {}",
        open.len(),
        open.len() as f64 / elapsed.as_secs_f64(),
        ms(percentile(&open, 0.50)),
        ms(percentile(&open, 0.99)),
        ms(*open.last().unwrap())
    );
    println!("final:                      {}", memory(pid));

    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

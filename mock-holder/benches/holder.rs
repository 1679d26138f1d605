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
//! 5. restart the holder (kill -9) on one CPU, so that it runs one worker thread, and move this
//!    load generator to the other CPU: GETs measure the holder, not the two fighting over the
//!    cores (`BENCH_PIN=0` skips this and leaves the first holder to the scheduler);
//! 6. 64 clients (64 TLS connections), each with its own cert-bound `cdr:registration` token,
//!    GET their registration in a loop, over HTTP/1.1 and then over HTTP/2: throughput at
//!    saturation, p50 / p99 / max latency and the holder's CPU time per request (closed loop:
//!    each client sends its next request when the last one is answered);
//! 7. the same 64 clients on a fixed schedule offering half the saturated rate (open loop; a
//!    request made late by the holder is charged from its scheduled time): p50 / p99 / max.
//!
//! The load generator runs on one thread (a current-thread runtime) so that it takes at most
//! one of the machine's cores from the holder it measures.
//!
//! Run: `cargo bench -p mock-holder --bench holder` (`BENCH_REGISTRATIONS` changes N,
//! `BENCH_GETS_PER_CLIENT` the GETs per client and protocol, default 500).

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

/// CPU time (user + system) the process has used so far.
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces): state is
    // field 3, utime 14 and stime 15, in clock ticks (USER_HZ, 100 on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|v| v.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

/// An mTLS client with recipient A's certificate. `http1` forces HTTP/1.1; otherwise the
/// protocol is negotiated by ALPN (HTTP/2 with the mock holder).
fn client(dir: &Path, http1: bool) -> Client {
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap();
    let builder = Client::builder()
        .tls_certs_only([Certificate::from_pem(read("ca.pem").as_bytes()).unwrap()])
        .identity(
            Identity::from_pem(
                format!("{}{}", read("client-a.pem"), read("client-a.key")).as_bytes(),
            )
            .unwrap(),
        )
        .pool_max_idle_per_host(CONCURRENCY);
    let builder = if http1 { builder.http1_only() } else { builder };
    builder.build().unwrap()
}

/// The CPUs this process may run on (`Cpus_allowed_list` in `/proc/self/status`, such as
/// `0-3,6`).
fn allowed_cpus() -> Vec<usize> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let list = status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .unwrap_or_default();
    list.trim()
        .split(',')
        .filter_map(|range| {
            let (from, to) = range.split_once('-').unwrap_or((range, range));
            Some(from.trim().parse::<usize>().ok()?..=to.trim().parse::<usize>().ok()?)
        })
        .flatten()
        .collect()
}

/// Pins the thread `tid` (a process's main thread when it is the process id) to `cpu` with
/// util-linux's `taskset`. False when it cannot.
fn pin(tid: u32, cpu: usize) -> bool {
    Command::new("taskset")
        .args(["-p", "-c", &cpu.to_string(), &tid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts the holder from `config` (on CPU `cpu` only, when given) and waits until its public
/// listener on `port` accepts connections.
async fn start_holder(bin: &Path, config: &Path, port: u16, cpu: Option<usize>) -> Child {
    let mut cmd = match cpu {
        Some(cpu) => {
            let mut cmd = Command::new("taskset");
            cmd.args(["-c", &cpu.to_string()]).arg(bin);
            cmd
        }
        None => Command::new(bin),
    };
    let mut child = cmd
        .args(["serve", "--config"])
        .arg(config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(child.try_wait().unwrap().is_none(), "holder exited");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// One GET answered 200, read to the end.
async fn get(client: &Client, url: &str, token: &str) {
    let r = client.get(url).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap();
}

/// The latencies the client tasks measured, all together.
async fn latencies(tasks: Vec<tokio::task::JoinHandle<Vec<Duration>>>) -> Vec<Duration> {
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// Each client GETs its registration `count` times, sending the next request when the last is
/// answered: the latencies.
async fn closed_loop(
    clients: &[Client],
    targets: &[(String, String)],
    count: usize,
) -> Vec<Duration> {
    let tasks: Vec<_> = clients
        .iter()
        .zip(targets)
        .map(|(c, (token, url))| {
            let (c, token, url) = (c.clone(), token.clone(), url.clone());
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(count);
                for _ in 0..count {
                    let t = Instant::now();
                    get(&c, &url, &token).await;
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    latencies(tasks).await
}

/// Each client sends `count` GETs on a fixed schedule, the clients together offering `rate`
/// requests per second, staggered across one interval: the latencies.
///
/// A request that is late because the holder had not yet answered the client's previous one is
/// charged from its scheduled time, so a stalled holder pays for the requests it delayed (no
/// coordinated omission). A request on time is charged from when it was sent: the timer wakes
/// up to a millisecond after the scheduled instant, and that delay is the load generator's.
async fn open_loop(
    clients: &[Client],
    targets: &[(String, String)],
    count: usize,
    rate: f64,
) -> Vec<Duration> {
    let interval = Duration::from_secs_f64(clients.len() as f64 / rate);
    let tasks: Vec<_> = clients
        .iter()
        .zip(targets)
        .enumerate()
        .map(|(i, (c, (token, url)))| {
            let (c, token, url) = (c.clone(), token.clone(), url.clone());
            let start = Instant::now() + interval.mul_f64(i as f64 / clients.len() as f64);
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(count);
                let mut previous_done = Instant::now();
                for k in 0..count {
                    let scheduled = start + interval * k as u32;
                    let late = previous_done > scheduled;
                    if !late {
                        tokio::time::sleep_until(scheduled.into()).await;
                    }
                    let sent = Instant::now();
                    get(&c, &url, &token).await;
                    previous_done = Instant::now();
                    lat.push(previous_done - if late { scheduled } else { sent });
                }
                lat
            })
        })
        .collect();
    latencies(tasks).await
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
    let mut child = start_holder(&bin, &config, public, None).await;
    let mut pid = child.id();
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("holder: {} (pid {pid})", bin.display());
    println!("idle:                       {}", memory(pid));

    let issuer = format!("https://127.0.0.1:{public}");
    let base = format!("https://127.0.0.1:{mtls}");

    // Pre-sign (not timed as part of the holder's throughput).
    let started = Instant::now();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let recipient = dcr_vectors::templates::software_products()
        .unwrap()
        .remove(0);
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
    let clients: Vec<Client> = (0..POST_CLIENTS).map(|_| client(&pki, false)).collect();
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

    // GET /register/{id}: the holder alone on one core, this load generator on the other, so
    // that neither takes CPU from the other mid-request. The holder is restarted for that
    // (kill -9: what it acknowledged is in its database): started on one CPU, its runtime runs
    // one worker thread, as it would on a one-core allocation. BENCH_PIN=0 leaves the holder
    // running as it is and both processes to the scheduler.
    let taskset = Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let cpus = allowed_cpus();
    match (&cpus[..], std::env::var("BENCH_PIN").as_deref()) {
        ([holder_cpu, generator_cpu, ..], pin_env) if pin_env != Ok("0") && taskset => {
            child.kill().unwrap();
            child.wait().unwrap();
            child = start_holder(&bin, &config, public, Some(*holder_cpu)).await;
            pid = child.id();
            let moved = pin(std::process::id(), *generator_cpu);
            println!(
                "GET phases: holder restarted after kill -9 (pid {pid}) on CPU {holder_cpu} only (one worker thread), load generator {}",
                if moved {
                    format!("on CPU {generator_cpu}")
                } else {
                    "not pinned (taskset failed)".to_string()
                }
            );
        }
        _ => println!(
            "GET phases: not pinned (BENCH_PIN=0, fewer than two CPUs allowed, or no taskset)"
        ),
    }

    // 64 clients, each with its own connection and token (the tokens are bound to recipient
    // A's certificate, which every client presents).
    let mut tokens = Vec::new();
    let token_client = client(&pki, false);
    for id in &ids[..CONCURRENCY] {
        let now = time::now();
        let assertion = sign_claims(
            &dcr_vectors::jose::client_assertion_claims(id, &format!("{base}/token"), now),
            &recipient_key,
        )
        .unwrap();
        let r: Value = token_client
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
    let targets: Vec<(String, String)> = tokens
        .into_iter()
        .zip(&ids)
        .map(|(token, id)| (token, format!("{base}/register/{id}")))
        .collect();

    for (label, http1) in [("HTTP/1.1", true), ("HTTP/2", false)] {
        let clients: Vec<Client> = (0..CONCURRENCY).map(|_| client(&pki, http1)).collect();
        closed_loop(&clients, &targets, 20).await; // warm-up: connections, caches
        let (started, cpu) = (Instant::now(), cpu_time(pid));
        let mut lat = closed_loop(&clients, &targets, gets_per_client).await;
        let (elapsed, cpu) = (started.elapsed(), cpu_time(pid) - cpu);
        lat.sort_unstable();
        let saturation = lat.len() as f64 / elapsed.as_secs_f64();
        println!(
            "GET /register/{{id}} {label} closed loop (saturated): {} requests, {CONCURRENCY} clients, {saturation:.0} req/s, p50 {} p99 {} max {}; holder CPU {:.0} µs/request",
            lat.len(),
            ms(percentile(&lat, 0.50)),
            ms(percentile(&lat, 0.99)),
            ms(*lat.last().unwrap()),
            cpu.as_secs_f64() * 1e6 / lat.len() as f64
        );
        let offered = saturation / 2.0;
        let started = Instant::now();
        let mut open = open_loop(&clients, &targets, gets_per_client, offered).await;
        let elapsed = started.elapsed();
        open.sort_unstable();
        println!(
            "GET /register/{{id}} {label} open loop at half that rate: {} requests, {CONCURRENCY} clients offering {offered:.0} req/s (achieved {:.0}), p50 {} p99 {} max {}",
            open.len(),
            open.len() as f64 / elapsed.as_secs_f64(),
            ms(percentile(&open, 0.50)),
            ms(percentile(&open, 0.99)),
            ms(*open.last().unwrap())
        );
    }
    println!(
        "after the GET phases:       {} (the holder they ran on)",
        memory(pid)
    );

    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

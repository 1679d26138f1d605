//! A target that hangs, resets connections, answers with 10 MB of garbage or drips bytes
//! slowly: the affected scenarios fail with a message saying what happened, the run finishes
//! within its timeouts, writes every report, and nothing panics. A target whose discovery
//! works but whose registrations answer 201 with a body nested 10,000 arrays deep, or shorter
//! than its Content-Length: the failures say "unparseable" and "truncated".

mod support;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dcr_vectors::TestPki;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Accepts the connection and never says a word.
    Hang,
    /// Accepts and resets the connection at once.
    Reset,
    /// Completes TLS, then answers 200 with 10 MB of random-looking bytes.
    Garbage,
    /// Completes TLS, then sends a header byte every 300 ms, forever.
    Drip,
}

/// Serves `behaviour` on a loopback port with the PKI's server certificate; returns the port.
async fn hostile(behaviour: Behaviour, pki: &TestPki) -> u16 {
    let acceptor = support::tls_acceptor(pki);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match behaviour {
                    Behaviour::Hang => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        drop(tcp);
                    }
                    Behaviour::Reset => {
                        let _ = tcp.set_zero_linger();
                        drop(tcp);
                    }
                    Behaviour::Garbage | Behaviour::Drip => {
                        let Ok(mut tls) = acceptor.accept(tcp).await else {
                            return;
                        };
                        let mut buf = [0u8; 4096];
                        let _ = tls.read(&mut buf).await;
                        if let Behaviour::Garbage = behaviour {
                            let _ = tls
                                .write_all(
                                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n",
                                )
                                .await;
                            let mut x: u32 = 0x9e37_79b9;
                            let chunk: Vec<u8> = (0..65536)
                                .map(|_| {
                                    x ^= x << 13;
                                    x ^= x >> 17;
                                    x ^= x << 5;
                                    x as u8
                                })
                                .collect();
                            for _ in 0..160 {
                                if tls.write_all(&chunk).await.is_err() {
                                    return;
                                }
                            }
                            let _ = tls.shutdown().await;
                        } else {
                            for b in b"HTTP/1.1 200 OK\r\nx-slow: ".iter().cycle() {
                                if tls.write_all(&[*b]).await.is_err() {
                                    return;
                                }
                                tokio::time::sleep(Duration::from_millis(300)).await;
                            }
                        }
                    }
                }
            });
        }
    });
    port
}

#[test]
fn a_hostile_target_fails_its_scenarios_with_a_message_and_the_run_completes() {
    let dir = support::scratch("hostile");
    let pki = support::target_material(&dir);

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let cases = [
        (Behaviour::Hang, "hang", "Timeout"),
        (Behaviour::Reset, "reset", "no response"),
        (Behaviour::Garbage, "garbage", "larger than"),
        (Behaviour::Drip, "drip", "Timeout"),
    ];
    for (behaviour, name, expected) in cases {
        let port = runtime.block_on(hostile(behaviour, &pki));
        let target = support::target_file(&dir, &format!("hostile-{name}"), port, 2);
        let reports = dir.join(format!("reports-{name}"));
        let started = Instant::now();
        // Discovery, a registration, and a management scenario: each reaches the target first
        // through discovery, so each must fail on it.
        let out = Command::new(env!("CARGO_BIN_EXE_dcr-conformance"))
            .args(["run", "--progress", "off", "--target"])
            .arg(&target)
            .arg("--report-dir")
            .arg(&reports)
            .args([
                "--rule",
                "DCR-REQ-001",
                "--rule",
                "DCR-REQ-019",
                "--rule",
                "DCR-REQ-068",
            ])
            .env_remove("CI")
            .output()
            .expect("dcr-conformance runs");
        let elapsed = started.elapsed();
        let text = format!(
            "{name}: status {:?} after {elapsed:?}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{text}");
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("panicked"),
            "{text}"
        );
        assert!(elapsed < Duration::from_secs(90), "{text}");
        for report in ["summary.json", "junit.xml", "report.html", "cucumber.json"] {
            assert!(reports.join(report).is_file(), "{report} missing\n{text}");
        }
        let summary: Value = serde_json::from_str(
            &std::fs::read_to_string(reports.join("summary.json")).expect("summary"),
        )
        .expect("json");
        let scenarios = summary["scenarios"].as_array().expect("scenarios");
        assert!(scenarios.len() >= 3, "{text}");
        for s in scenarios {
            // A failed SHOULD scenario is a warning (TOK-006); MUST scenarios fail.
            let want = if s["level"] == "SHOULD" {
                "warning"
            } else {
                "failed"
            };
            assert_eq!(s["verdict"], want, "{name}: {s}");
            let reason = s["reason"].as_str().unwrap_or("");
            assert!(
                reason.contains(expected),
                "{name}: the reason should say {expected:?}: {reason}"
            );
        }
    }
}

/// A holder that answers discovery properly, then every other request with `response`.
async fn answering(pki: &TestPki, response: fn() -> Vec<u8>) -> u16 {
    let own_port = Arc::new(std::sync::OnceLock::new());
    let seen = own_port.clone();
    let port = support::serve_https(pki, move |request| {
        if request.path().contains("openid-configuration") {
            let port = seen.get().copied().unwrap_or_default();
            return support::json_response(200, "", &support::discovery_document(port));
        }
        response()
    })
    .await;
    own_port.set(port).expect("once");
    port
}

/// 201 with a JSON body of 10,000 nested arrays (deeper than any parser should follow).
fn deeply_nested() -> Vec<u8> {
    let body = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    support::json_response(201, "", &body)
}

/// 201 whose Content-Length promises more body than is sent before the connection closes.
fn short_body() -> Vec<u8> {
    b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 5000\r\nconnection: close\r\n\r\n{\"client_id\": \"abc\"".to_vec()
}

/// A body that cannot be parsed is reported as unparseable, and a body shorter than its
/// Content-Length as truncated, in the failure of the registration scenarios (not as a bare
/// "actual: HTTP 201").
#[test]
fn unparseable_and_truncated_bodies_are_reported_as_such() {
    let dir = support::scratch("hostile-bodies");
    let pki = support::target_material(&dir);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    type Case = (&'static str, fn() -> Vec<u8>, &'static str);
    let cases: [Case; 2] = [
        (
            "nested",
            deeply_nested,
            "with an unparseable JSON body (recursion limit exceeded",
        ),
        (
            "short",
            short_body,
            "with a truncated body: 19 of the 5000 bytes of its Content-Length",
        ),
    ];
    for (name, response, expected) in cases {
        let port = runtime.block_on(answering(&pki, response));
        let target = support::target_file(&dir, name, port, 2);
        let reports = dir.join(format!("reports-{name}"));
        let out = support::run_target(&target, &reports, &["--rule", "DCR-REQ-019"], &[]);
        let text = format!(
            "{name}: status {:?}\nstdout:\n{}\nstderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(1), "{text}");
        let summary: Value = serde_json::from_str(
            &std::fs::read_to_string(reports.join("summary.json")).expect("summary"),
        )
        .expect("json");
        let scenarios = summary["scenarios"].as_array().expect("scenarios");
        assert!(!scenarios.is_empty(), "{text}");
        for s in scenarios {
            let reason = s["reason"].as_str().unwrap_or("");
            assert_eq!(s["verdict"], "failed", "{name}: {s}");
            assert!(
                reason.contains(expected),
                "{name}: the reason should say {expected:?}: {reason}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

//! Slow and silent clients, over real TCP and TLS on loopback, each with a valid client
//! certificate: the holder keeps answering everyone else while they hang, closes each of them
//! after its timeout, and closes connections over its limit at once, so neither listener ever
//! runs out of descriptors.
//!
//! The holder here runs with short limits (1 s timeouts, 16 connections per listener); the
//! bounds the test checks are generous (a slow client must be closed within 20 s), so that a
//! busy machine cannot make it flake. How fast it happens is not what is tested.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mock_holder::ConnectionLimits;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{TestApp, spawn_app_with};

const LIMIT: usize = 16;
/// Longest a slow client may stay connected: many times the 1 s timeouts.
const FREED_WITHIN: Duration = Duration::from_secs(20);

fn limits() -> ConnectionLimits {
    ConnectionLimits {
        max_connections: LIMIT,
        tls_handshake_timeout: Duration::from_secs(1),
        header_read_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(2),
        idle_timeout: Duration::from_secs(1),
        ..ConnectionLimits::default()
    }
}

/// A TLS connector presenting recipient A's certificate, offering `alpn`.
fn connector(app: &TestApp, alpn: &[u8]) -> tokio_rustls::TlsConnector {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(app.pki.ca.cert_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let identity = app.pki.client_a.identity_pem();
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(identity.as_bytes())
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_slice(identity.as_bytes()).unwrap();
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_auth_cert(certs, key)
        .unwrap();
    config.alpn_protocols = vec![alpn.to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

/// Ways of holding a connection open without finishing a request.
#[derive(Debug, Clone, Copy)]
enum Slow {
    /// TCP only: never starts the TLS handshake.
    SilentTcp,
    /// Completes TLS, then says nothing.
    SilentTls,
    /// Sends half a request head and stops.
    HalfHead,
    /// Sends a request head one byte every 300 ms.
    DrippingHead,
    /// Sends a whole head announcing 1000 bytes of body, then 10 of them.
    HalfBody,
    /// Makes one request, reads the answer, keeps the connection open.
    IdleKeepAlive,
    /// Negotiates HTTP/2, sends the connection preface and nothing more.
    Http2PrefaceOnly,
}

/// Reads until the server closes the connection; returns what it sent.
async fn until_closed(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(FREED_WITHIN, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return seen,
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
            Err(_) => panic!("the holder kept a slow connection open for {FREED_WITHIN:?}"),
        }
    }
}

async fn write_all(stream: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) {
    let _ = stream.write_all(bytes).await;
    let _ = stream.flush().await;
}

/// Opens a connection behaving as `slow` to `addr`; returns what the holder sent before it
/// closed the connection, and how long that took.
async fn slow_client(app: Arc<TestApp>, slow: Slow) -> (Slow, Vec<u8>, Duration) {
    let addr = app.holder.mtls_addr;
    let started = Instant::now();
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    if let Slow::SilentTcp = slow {
        let seen = until_closed(&mut tcp).await;
        return (slow, seen, started.elapsed());
    }
    let alpn: &[u8] = if let Slow::Http2PrefaceOnly = slow {
        b"h2"
    } else {
        b"http/1.1"
    };
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = connector(&app, alpn).connect(name, tcp).await.unwrap();
    let head =
        format!("POST /register HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/jwt\r\n");
    match slow {
        Slow::SilentTcp | Slow::SilentTls => {}
        Slow::HalfHead => write_all(&mut tls, &head.as_bytes()[..30]).await,
        Slow::DrippingHead => {
            // Until the holder closes; each byte resets no timer but the idle one.
            for b in head.bytes().cycle().take(200) {
                if tls.write_all(&[b]).await.is_err() || tls.flush().await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
        }
        Slow::HalfBody => {
            write_all(
                &mut tls,
                format!("{head}content-length: 1000\r\n\r\n0123456789").as_bytes(),
            )
            .await;
        }
        Slow::IdleKeepAlive => {
            write_all(
                &mut tls,
                format!("GET /.well-known/openid-configuration HTTP/1.1\r\nhost: {addr}\r\n\r\n")
                    .as_bytes(),
            )
            .await;
        }
        Slow::Http2PrefaceOnly => write_all(&mut tls, b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await,
    }
    let seen = until_closed(&mut tls).await;
    (slow, seen, started.elapsed())
}

async fn discovery_works(app: &TestApp, public: bool) -> bool {
    // A fresh client (and so a fresh connection) each time: a pooled connection would not show
    // whether new ones are served.
    let (client, url) = if public {
        let client = reqwest::Client::builder()
            .tls_certs_only([
                reqwest::Certificate::from_pem(app.pki.ca.cert_pem.as_bytes()).unwrap(),
            ])
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        (
            client,
            format!(
                "{}/.well-known/openid-configuration",
                app.holder.urls.issuer
            ),
        )
    } else {
        let client =
            crate::helpers::mtls_client(&app.pki.ca.cert_pem, &app.pki.client_a.identity_pem());
        let url = format!(
            "https://{}/.well-known/openid-configuration",
            app.holder.mtls_addr
        );
        (client, url)
    };
    client
        .get(url)
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

/// Slow clients of every kind hold connections; others are served meanwhile; each slow one
/// is closed after its timeout (the half body after a 408).
#[tokio::test]
async fn slow_clients_are_closed_and_others_are_served_meanwhile() {
    let app = Arc::new(spawn_app_with(|s| s.connections = limits()).await);
    let kinds = [
        Slow::SilentTcp,
        Slow::SilentTls,
        Slow::HalfHead,
        Slow::DrippingHead,
        Slow::HalfBody,
        Slow::IdleKeepAlive,
        Slow::Http2PrefaceOnly,
    ];
    let tasks: Vec<_> = kinds
        .iter()
        .map(|k| tokio::spawn(slow_client(app.clone(), *k)))
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        discovery_works(&app, false).await,
        "the mTLS listener must answer while slow clients hang"
    );
    let id = app.register_new().await;
    assert!(!id.is_empty());
    for task in tasks {
        let (slow, seen, elapsed) = task.await.unwrap();
        assert!(elapsed < FREED_WITHIN, "{slow:?} held {elapsed:?}");
        let text = String::from_utf8_lossy(&seen);
        match slow {
            Slow::HalfBody => assert!(
                text.starts_with("HTTP/1.1 408") && text.contains("invalid_request"),
                "{slow:?}: {text}"
            ),
            Slow::IdleKeepAlive => {
                assert!(text.starts_with("HTTP/1.1 200"), "{slow:?}: {text}")
            }
            _ => {}
        }
    }
    assert!(discovery_works(&app, false).await);
}

/// Connections over the limit are closed at once; the other listener keeps answering; once the
/// holder has closed the silent ones, the listener answers again.
#[tokio::test]
async fn connections_over_the_limit_are_closed_at_once_and_service_resumes() {
    let app = Arc::new(spawn_app_with(|s| s.connections = limits()).await);
    let mut held = Vec::new();
    for _ in 0..LIMIT {
        held.push(TcpStream::connect(app.holder.mtls_addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Over the limit: accepted and closed before TLS.
    let mut extra = TcpStream::connect(app.holder.mtls_addr).await.unwrap();
    let started = Instant::now();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(FREED_WITHIN, extra.read(&mut byte)).await;
    assert!(
        matches!(read, Ok(Ok(0)) | Ok(Err(_))),
        "a connection over the limit must be closed: {read:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        discovery_works(&app, true).await,
        "the public listener must answer while the mTLS one is full"
    );
    // The silent connections are closed by the TLS handshake timeout; then service resumes.
    for mut tcp in held {
        let seen = until_closed(&mut tcp).await;
        assert!(seen.is_empty());
    }
    let deadline = Instant::now() + FREED_WITHIN;
    while !discovery_works(&app, false).await {
        assert!(
            Instant::now() < deadline,
            "the mTLS listener did not recover"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

//! Helpers shared by the report test targets: running the `dcr-conformance` binary in a
//! scratch folder, and reading everything it wrote.

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The report fixture: a small fixed catalogue and feature files (`tests/fixtures/features`).
pub fn fixture_features() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/features")
}

/// A fresh scratch folder under cargo's per-target temporary folder.
pub fn scratch(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// Runs `dcr-conformance run` against the embedded mock holder with `features`, writing reports
/// into `dir/reports` and snapshots under `dir/snapshots`, with insta told to write every new
/// snapshot as `.snap.new` and to stay quiet. `extra` adds arguments, `env` variables.
pub fn run(features: &Path, dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dcr-conformance"));
    cmd.arg("run")
        .arg("--features")
        .arg(features)
        .arg("--report-dir")
        .arg(dir.join("reports"))
        .arg("--snapshots")
        .arg(dir.join("snapshots"))
        .args(["--concurrency", "1"])
        .args(extra)
        .env_remove("CI")
        .env_remove("INSTA_FORCE_PASS")
        .env("INSTA_UPDATE", "new")
        .env("INSTA_OUTPUT", "none");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run dcr-conformance")
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A request as a hostile holder of [`serve_https`] sees it: the head (request line and
/// headers) and the body.
pub struct RawRequest {
    pub head: String,
    pub body: Vec<u8>,
}

impl RawRequest {
    /// The request line's path.
    pub fn path(&self) -> &str {
        self.head.split_whitespace().nth(1).unwrap_or("")
    }

    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// A discovery document naming `port` on loopback for every endpoint.
pub fn discovery_document(port: u16) -> String {
    let base = format!("https://127.0.0.1:{port}");
    serde_json::json!({
        "issuer": base,
        "registration_endpoint": format!("{base}/register"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["PS256", "ES256"],
        "tls_client_certificate_bound_access_tokens": true,
    })
    .to_string()
}

/// A TLS acceptor with `pki`'s server certificate, asking for no client certificate.
pub fn tls_acceptor(pki: &dcr_vectors::TestPki) -> tokio_rustls::TlsAcceptor {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(pki.server.cert_pem.as_bytes())
            .flatten()
            .collect();
    let key = PrivateKeyDer::from_pem_slice(pki.server.key_pem.as_bytes()).expect("key");
    let mut config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config))
}

/// Serves HTTPS/1.1 on a loopback port with `pki`'s server certificate (no client certificate
/// asked for): reads each request whole (head, and a body of its Content-Length), writes what
/// `respond` returns, raw, and closes the connection. Returns the port.
pub async fn serve_https(
    pki: &dcr_vectors::TestPki,
    respond: impl Fn(&RawRequest) -> Vec<u8> + Send + Sync + 'static,
) -> u16 {
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let acceptor = tls_acceptor(pki);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, respond) = (acceptor.clone(), respond.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut data = Vec::new();
                let mut buf = [0u8; 8192];
                let request = loop {
                    let Ok(n) = tls.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else {
                        continue;
                    };
                    let head = String::from_utf8_lossy(&data[..end]).into_owned();
                    let mut request = RawRequest {
                        head,
                        body: data[end + 4..].to_vec(),
                    };
                    let length: usize = request
                        .header("content-length")
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(0);
                    while request.body.len() < length {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.body.extend_from_slice(&buf[..n]),
                        }
                    }
                    break request;
                };
                let _ = tls.write_all(&respond(&request)).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

/// An HTTP/1.1 response with `status`, a JSON body and `connection: close`.
pub fn json_response(status: u16, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Writes the PKI and the keys a target file of [`target_file`] names into `dir`.
pub fn target_material(dir: &Path) -> dcr_vectors::TestPki {
    use dcr_vectors::{SigningAlg, SigningKey};
    let pki = dcr_vectors::TestPki::generate(&[]).expect("pki");
    pki.write_to_dir(dir).expect("pki files");
    let write = |file: &str, key: SigningKey| {
        std::fs::write(dir.join(file), key.private_jwk_json().expect("jwk")).expect("write")
    };
    write(
        "register.jwk",
        SigningKey::generate(SigningAlg::Ps256, "r1").expect("key"),
    );
    write(
        "a.jwk",
        SigningKey::generate(SigningAlg::Es256, "a1").expect("key"),
    );
    pki
}

/// A target file for a holder on loopback `port`, using the material of [`target_material`],
/// with a run timeout of `timeout_seconds`.
pub fn target_file(dir: &Path, name: &str, port: u16, timeout_seconds: u64) -> PathBuf {
    let text = format!(
        r#"name: {name}
holder:
  discovery_url: https://127.0.0.1:{port}/.well-known/openid-configuration
  clock_skew_seconds: 60
  token_lifetime_seconds: 5
tls:
  ca_bundle: ca.pem
register:
  signing_key: {{ jwk: register.jwk }}
recipients:
  - name: A
    certificate: client-a.pem
    private_key: client-a.key
    signing_key: {{ jwk: a.jwk }}
    jwks: {{ uri: "https://127.0.0.1:{port}/jwks" }}
run:
  timeout_seconds: {timeout_seconds}
"#
    );
    let path = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, text).expect("target file");
    path
}

/// Runs `dcr-conformance run --target target` with `args` (and `env`), reports into `reports`.
pub fn run_target(target: &Path, reports: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dcr-conformance"));
    cmd.args(["run", "--progress", "off", "--target"])
        .arg(target)
        .arg("--report-dir")
        .arg(reports)
        .args(args)
        .env_remove("CI")
        .env("INSTA_UPDATE", "new")
        .env("INSTA_OUTPUT", "none");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run dcr-conformance")
}

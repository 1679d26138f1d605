//! One HTTP exchange with the target, captured whole: what was sent, what came back (or how the
//! transport failed). Steps assert on it; reports show it (with secrets redacted).
//!
//! Sending never panics and never hangs: every client has a timeout, and a transport failure is
//! an outcome like any other, classified so that a TLS refusal (which some rules accept) is
//! never confused with a holder that is simply down.

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

/// How a request failed below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportFailure {
    /// The connection was refused at the TLS layer, e.g. for no or an untrusted client
    /// certificate: an alert in the handshake, or the connection closed right after the
    /// handshake without a response (see [`probe_tls`]).
    TlsRefused,
    /// No answer within the timeout.
    Timeout,
    /// Could not connect (refused, unreachable).
    Connect,
    /// Anything else (reset mid-response, malformed HTTP...).
    Other,
}

/// What came back.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// An HTTP response.
    Response {
        /// Status code.
        status: u16,
        /// Response headers, in order.
        headers: Vec<(String, String)>,
        /// Body as text (lossy UTF-8).
        body: String,
    },
    /// No HTTP response.
    Transport {
        /// Classification.
        failure: TransportFailure,
        /// The error chain as text.
        message: String,
    },
}

/// A request and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Exchange {
    /// Method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Request headers as sent (redacted when rendered).
    pub request_headers: Vec<(String, String)>,
    /// Request body, if any.
    pub request_body: Option<String>,
    /// Which client certificate was presented ("recipient A", "none", "rogue CA").
    pub certificate: String,
    /// Outcome.
    pub outcome: Outcome,
    /// Wall time of the exchange in milliseconds.
    pub elapsed_ms: f64,
}

impl Exchange {
    /// The status, if there was a response.
    pub fn status(&self) -> Option<u16> {
        match &self.outcome {
            Outcome::Response { status, .. } => Some(*status),
            Outcome::Transport { .. } => None,
        }
    }

    /// The response body, if there was a response.
    pub fn body(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Response { body, .. } => Some(body),
            Outcome::Transport { .. } => None,
        }
    }

    /// The body parsed as JSON, if it is JSON.
    pub fn json(&self) -> Option<Value> {
        self.body().and_then(|b| serde_json::from_str(b).ok())
    }

    /// A response header (case-insensitive name), first value.
    pub fn header(&self, name: &str) -> Option<&str> {
        match &self.outcome {
            Outcome::Response { headers, .. } => headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str()),
            Outcome::Transport { .. } => None,
        }
    }

    /// Every value of a response header (case-insensitive name), in the order received: a
    /// field sent on several lines is one list (RFC 9110 §5.3).
    pub fn header_values(&self, name: &str) -> Vec<&str> {
        match &self.outcome {
            Outcome::Response { headers, .. } => headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .collect(),
            Outcome::Transport { .. } => Vec::new(),
        }
    }

    /// Why the body does not parse, when it claims to be JSON (a JSON `Content-Type`, or a
    /// body starting with `{` or `[`) and is not: too deeply nested, cut short, malformed.
    pub fn unparseable_json(&self) -> Option<String> {
        let body = self.body()?.trim_start();
        let claims_json = self
            .header("content-type")
            .is_some_and(|t| t.to_ascii_lowercase().contains("json"))
            || body.starts_with('{')
            || body.starts_with('[');
        if body.is_empty() || !claims_json {
            return None;
        }
        serde_json::from_str::<Value>(body)
            .err()
            .map(|e| e.to_string())
    }

    /// A redirect answer (3xx) and where it pointed (`Location`, or "no Location"): the suite
    /// follows none, so a caller that needs a final answer reports this instead.
    pub fn redirect(&self) -> Option<(u16, String)> {
        let status = self.status().filter(|s| (300..400).contains(s))?;
        let location = self
            .header("location")
            .map(str::to_string)
            .unwrap_or_else(|| "no Location".to_string());
        Some((status, location))
    }

    /// One line for failure messages: `POST https://... → 400` or `→ TLS refused (...)`.
    ///
    /// A response says more when its body is not what it claims: a JSON body that does not
    /// parse (`→ HTTP 201 with an unparseable JSON body: recursion limit exceeded ...`), or a
    /// redirect (`→ HTTP 307 redirect to <Location>, not followed`).
    pub fn summary(&self) -> String {
        match &self.outcome {
            Outcome::Response { status, .. } => {
                let mut line = format!("{} {} → HTTP {status}", self.method, self.url);
                if let Some((_, location)) = self.redirect() {
                    line.push_str(&format!(" redirect to {location}, not followed"));
                } else if let Some(error) = self.unparseable_json() {
                    line.push_str(&format!(" with an unparseable JSON body ({error})"));
                }
                line
            }
            Outcome::Transport { failure, message } => {
                format!(
                    "{} {} → no response ({failure:?}: {message})",
                    self.method, self.url
                )
            }
        }
    }

    /// The exchange as text for a failure message, secrets redacted.
    pub fn render(&self) -> String {
        let mut out = format!(
            "> {} {}  [client certificate: {}]\n",
            self.method, self.url, self.certificate
        );
        for (k, v) in &self.request_headers {
            out.push_str(&format!("> {k}: {}\n", crate::redact::header_value(k, v)));
        }
        if let Some(body) = &self.request_body {
            out.push_str(&format!("> \n{}\n", crate::redact::body(body)));
        }
        match &self.outcome {
            Outcome::Response {
                status,
                headers,
                body,
            } => {
                out.push_str(&format!("< HTTP {status}  ({:.0} ms)\n", self.elapsed_ms));
                for (k, v) in headers {
                    out.push_str(&format!("< {k}: {}\n", crate::redact::header_value(k, v)));
                }
                out.push_str(&format!(
                    "< \n{}\n",
                    crate::redact::body(&truncate(body, 4000))
                ));
            }
            Outcome::Transport { failure, message } => {
                out.push_str(&format!("< no response: {failure:?}: {message}\n"));
            }
        }
        // A holder may echo a credential it was sent (verbatim, where no pattern finds it).
        crate::redact::strip(
            &out,
            &crate::redact::secrets_in(&self.request_headers, self.request_body.as_deref()),
        )
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} more bytes]", &text[..end], text.len() - end)
}

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// Method.
    pub method: reqwest::Method,
    /// URL.
    pub url: String,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<String>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: reqwest::Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets header `name` to `value`, replacing any earlier value (names compared without
    /// case).
    pub fn replace_header(self, name: &str, value: impl Into<String>) -> Self {
        self.without_header(name).header(name, value)
    }

    /// Removes header `name` (compared without case).
    pub fn without_header(mut self, name: &str) -> Self {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }
}

/// Largest response body kept; more is a failure of the target, not a reason to run out of memory.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Sends `request` with `client` (which presents `certificate`), capturing everything.
pub async fn send(
    client: &reqwest::Client,
    certificate: &str,
    request: Request,
    timeout: Duration,
) -> Exchange {
    let started = Instant::now();
    let mut builder = client.request(request.method.clone(), &request.url);
    for (k, v) in &request.headers {
        builder = builder.header(k, v);
    }
    if let Some(body) = &request.body {
        builder = builder.body(body.clone());
    }
    let outcome = match tokio::time::timeout(timeout, read(builder)).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::Transport {
            failure: TransportFailure::Timeout,
            message: format!("no complete response within {:.1} s", timeout.as_secs_f64()),
        },
    };
    Exchange {
        method: request.method.to_string(),
        url: request.url,
        request_headers: request.headers,
        request_body: request.body,
        certificate: certificate.to_string(),
        outcome,
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

async fn read(builder: reqwest::RequestBuilder) -> Outcome {
    let mut response = match builder.send().await {
        Ok(r) => r,
        Err(e) => return transport(&e),
    };
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let content_length = response.content_length();
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_RESPONSE_BYTES {
                    return Outcome::Transport {
                        failure: TransportFailure::Other,
                        message: format!(
                            "HTTP {status} with a body larger than {MAX_RESPONSE_BYTES} bytes"
                        ),
                    };
                }
            }
            Ok(None) => break,
            Err(e) => {
                return match content_length {
                    Some(expected) if (body.len() as u64) < expected => Outcome::Transport {
                        failure: TransportFailure::Other,
                        message: format!(
                            "HTTP {status} with a truncated body: {} of the {expected} bytes of its Content-Length arrived before the connection ended ({})",
                            body.len(),
                            error_chain(&e)
                        ),
                    },
                    _ => transport(&e),
                };
            }
        }
    }
    Outcome::Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// `e` and its sources, as one line.
fn error_chain(e: &reqwest::Error) -> String {
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(e);
    while let Some(err) = source {
        chain.push(err.to_string());
        source = err.source();
    }
    chain.join(": ")
}

fn transport(e: &reqwest::Error) -> Outcome {
    let message = error_chain(e);
    let lower = message.to_ascii_lowercase();
    let failure = if lower.contains("alert")
        || lower.contains("certificaterequired")
        || lower.contains("handshake")
    {
        TransportFailure::TlsRefused
    } else if e.is_timeout() {
        TransportFailure::Timeout
    } else if e.is_connect() && !lower.contains("tls") {
        TransportFailure::Connect
    } else {
        TransportFailure::Other
    };
    Outcome::Transport { failure, message }
}

/// A reqwest client trusting only the CA certificate(s) of `ca_pem`, presenting `identity_pem` if given.
///
/// # Errors
/// Fails when the PEM material does not parse.
pub fn client(
    ca_pem: &str,
    identity_pem: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<reqwest::Client> {
    client_trusting(Some(ca_pem), identity_pem, timeout)
}

/// A reqwest client trusting the CA certificate(s) of `ca_pem`, or the platform's roots when
/// `None` (a public JWKS, a Register), presenting `identity_pem` if given.
///
/// Every client of the suite is built here (or by [`client`]), so every one follows **no
/// redirect**: a 3xx is an answer like any other, reported with its `Location` (see
/// [`Exchange::redirect`]), and never a reason to send a client certificate, a bearer token or
/// a client assertion to another host or port. Each has a timeout and a connect timeout.
///
/// # Errors
/// Fails when the PEM material does not parse.
pub fn client_trusting(
    ca_pem: Option<&str>,
    identity_pem: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<reqwest::Client> {
    Ok(builder(ca_pem, identity_pem, timeout)?.build()?)
}

/// A client like [`client`] for `identity` that keeps no idle connection, so that each request
/// it sends has a connection of its own, closed after it: for deliberately broken traffic,
/// whose connection the holder may close or leave unread, so that no later request inherits it.
///
/// # Errors
/// Fails when the PEM material does not parse.
pub fn unpooled_client(
    identity: &TlsIdentity,
    timeout: Duration,
) -> anyhow::Result<reqwest::Client> {
    Ok(builder(
        Some(&identity.ca_pem),
        identity.identity_pem.as_deref(),
        timeout,
    )?
    .pool_max_idle_per_host(0)
    .build()?)
}

fn builder(
    ca_pem: Option<&str>,
    identity_pem: Option<&str>,
    timeout: Duration,
) -> anyhow::Result<reqwest::ClientBuilder> {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout);
    if let Some(pem) = ca_pem {
        builder = builder.tls_certs_only(reqwest::Certificate::from_pem_bundle(pem.as_bytes())?);
    }
    if let Some(pem) = identity_pem {
        builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes())?);
    }
    Ok(builder)
}

/// Client-side TLS material for [`probe_tls`].
#[derive(Clone)]
pub struct TlsIdentity {
    /// CA bundle trusted for the server.
    pub ca_pem: String,
    /// Client certificate and key (PEM), or none.
    pub identity_pem: Option<String>,
}

impl std::fmt::Debug for TlsIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsIdentity")
            .field("client_certificate", &self.identity_pem.is_some())
            .finish()
    }
}

/// Opens a TLS connection to the host of `url` with `identity` and waits briefly for the server
/// to speak. Under TLS 1.3 a server rejects a client certificate only after the client has
/// finished its handshake, so an HTTP client sees a broken pipe rather than the alert; this
/// probe reads the alert itself. Returns the alert text when the server refused the handshake,
/// or a note when it closed the connection right after the handshake without an alert (a
/// refusal too: the CDS lets a holder refuse at the TLS layer, and TLS 1.3 lets it judge the
/// certificate late).
pub async fn probe_tls(url: &str, identity: &TlsIdentity, timeout: Duration) -> Option<String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
    use tokio::io::AsyncReadExt;

    let url = url::Url::parse(url).ok()?;
    let host = url.host_str()?.to_string();
    let port = url.port_or_known_default()?;
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(identity.ca_pem.as_bytes()).flatten() {
        roots.add(cert).ok()?;
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .ok()?
        .with_root_certificates(roots);
    let config = match &identity.identity_pem {
        Some(pem) => {
            let certs: Vec<CertificateDer<'static>> =
                CertificateDer::pem_slice_iter(pem.as_bytes())
                    .flatten()
                    .collect();
            let key = PrivateKeyDer::from_pem_slice(pem.as_bytes()).ok()?;
            builder.with_client_auth_cert(certs, key).ok()?
        }
        None => builder.with_no_client_auth(),
    };
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let server_name = ServerName::try_from(host.clone()).ok()?;
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .ok()?;
        let mut tls = match connector.connect(server_name, tcp).await {
            Ok(tls) => tls,
            Err(e) => return Some(e.to_string()).filter(|m| m.contains("alert")),
        };
        let mut buf = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(500), tls.read(&mut buf)).await {
            Ok(Err(e)) if e.to_string().contains("alert") => Some(e.to_string()),
            // Under TLS 1.3 the server judges the client certificate after the client's
            // Finished (RFC 8446 §4.4.2.4), when the client's handshake is already over: a
            // server that refuses it then may close the connection without an alert, before
            // any request. A server that accepted the connection keeps it open for one.
            Ok(Ok(0)) => Some(CLOSED_AFTER_HANDSHAKE.to_string()),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Some(CLOSED_AFTER_HANDSHAKE.to_string())
            }
            _ => None,
        }
    };
    tokio::time::timeout(timeout, attempt).await.ok().flatten()
}

/// What [`probe_tls`] reports for a connection the server closed right after the handshake.
const CLOSED_AFTER_HANDSHAKE: &str = "the server closed the connection right after the handshake, without a response (a refusal of the client certificate judged after the handshake)";

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
        Exchange {
            method: "POST".into(),
            url: "https://holder/register".into(),
            request_headers: Vec::new(),
            request_body: None,
            certificate: "recipient A".into(),
            outcome: Outcome::Response {
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                body: body.into(),
            },
            elapsed_ms: 1.0,
        }
    }

    #[test]
    fn a_json_body_that_does_not_parse_is_named_in_the_summary() {
        let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        let e = response(201, &[("content-type", "application/json")], &nested);
        let summary = e.summary();
        assert!(
            summary.contains("HTTP 201 with an unparseable JSON body (recursion limit exceeded"),
            "{summary}"
        );
        let ok = response(201, &[("content-type", "application/json")], r#"{"a":1}"#);
        assert_eq!(ok.summary(), "POST https://holder/register → HTTP 201");
        let text = response(400, &[("content-type", "text/html")], "<html>");
        assert_eq!(text.summary(), "POST https://holder/register → HTTP 400");
    }

    #[test]
    fn a_redirect_is_named_with_its_location() {
        let e = response(307, &[("location", "https://elsewhere/token")], "");
        assert_eq!(
            e.redirect(),
            Some((307, "https://elsewhere/token".to_string()))
        );
        assert!(
            e.summary()
                .ends_with("HTTP 307 redirect to https://elsewhere/token, not followed")
        );
        assert_eq!(response(200, &[], "").redirect(), None);
    }

    #[test]
    fn a_credential_the_request_carried_leaves_the_rendered_response() {
        let mut e = response(
            401,
            &[],
            r#"{"error":"invalid_token","error_description":"token SECRETTOKEN123 refused"}"#,
        );
        e.request_headers = vec![("Authorization".into(), "Bearer SECRETTOKEN123".into())];
        let rendered = e.render();
        assert!(!rendered.contains("SECRETTOKEN123"), "{rendered}");
        assert!(rendered.contains("invalid_token"), "{rendered}");
    }
}

//! The environment a run executes in: the target holder, the Data Recipients the suite acts
//! as, and the CDR Register whose key signs SSAs.
//!
//! * [`embedded`]: the default, self-contained environment on loopback (`Environment::embedded`);
//! * [`target`]: the target file (`--target`): schema, loading, what it lets run;
//! * [`targeted`]: the environment a target file describes (`Environment::from_target`);
//! * [`capabilities`]: what scenarios may need from an environment, and what it lacks;
//! * [`register`]: the CDR Register as the suite plays it, and the client of a real one;
//! * [`doctor`]: `doctor --target`, the pre-flight checks of a target.

pub mod capabilities;
pub mod doctor;
pub mod embedded;
pub mod register;
pub mod target;
pub mod targeted;

use std::time::Duration;

use anyhow::Context;
use dcr_vectors::SigningKey;
use dcr_vectors::keys::public_jwks;
use dcr_vectors::templates::SoftwareProduct;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::environment::capabilities::Capabilities;
use crate::environment::register::Register;
use crate::http;

/// A Data Recipient recipient the suite acts as.
#[derive(Debug)]
pub struct RecipientIdentity {
    /// Register data (software product, brand, redirect URIs).
    pub product: SoftwareProduct,
    /// Its request-signing key (published at `jwks_uri`).
    pub key: SigningKey,
    /// A key of the same algorithm and `kid` that is *not* published: requests signed with it
    /// must fail signature verification.
    pub impostor: SigningKey,
    /// Where its JWKS is published.
    pub jwks_uri: String,
    /// Base of its own endpoints (`recipient_base_uri`).
    pub base_uri: String,
    /// HTTP client presenting its transport certificate.
    pub client: reqwest::Client,
    /// Its software statement, when it is fixed (obtained from the target file's source rather
    /// than minted per scenario).
    pub ssa: Option<String>,
    /// RFC 8705 thumbprint of its transport certificate.
    pub thumbprint: String,
    /// A second signing key published at a second `jwks_uri`, which the recipient moves to
    /// when it rotates (DCR-REQ-084); only where the suite serves that key set (embedded run).
    pub successor: Option<Successor>,
    /// Its transport certificate's subject, as an RFC 4514 string (what a
    /// `tls_client_auth_subject_dn` registers, RFC 8705 §2.1.2).
    pub subject_dn: String,
}

/// A recipient's next signing key and the `jwks_uri` that publishes it (and not the first key).
#[derive(Debug, Clone)]
pub struct Successor {
    /// The key (same algorithm as the first, another `kid`).
    pub key: SigningKey,
    /// Where its JWKS is published.
    pub jwks_uri: String,
}

/// The run's environment, shared by every scenario.
pub struct Environment {
    /// Name of the target, used for snapshot and report directories.
    pub target: String,
    /// The holder's discovery document URL.
    pub discovery_url: String,
    /// The registration endpoint, when the target file names it (a holder whose discovery
    /// document does not advertise the endpoint the profile uses).
    pub registration_endpoint: Option<String>,
    /// The `aud` registration requests carry, when the target file sets it
    /// (`holder.registration_aud`: a UK ASPSP's Directory organisation id); otherwise the
    /// holder's issuer from discovery.
    pub registration_aud: Option<String>,
    /// The recipients, "A" first.
    pub recipients: Vec<RecipientIdentity>,
    /// The Register, when the suite holds its key (embedded run).
    pub register: Option<Register>,
    /// A client presenting no certificate (the doctor's, when a target names no recipient).
    /// Scenarios send without a certificate, or with the other CA's, on a client of their own
    /// built from `tls_identities` (see `DcrWorld::send`).
    pub anonymous: reqwest::Client,
    /// TLS material per certificate name ("A", "B", "none", "rogue"), for TLS probes and for
    /// the clients of requests that present no certificate or the other CA's.
    pub tls_identities: std::collections::HashMap<String, http::TlsIdentity>,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Longest wait for an access token to expire (expired-token scenarios).
    pub max_token_wait: Duration,
    /// How long after a token's declared lifetime (`expires_in`) the suite waits before it uses
    /// the token as expired: the difference between the suite's and the holder's clocks, and a
    /// whole-second `exp` rounded down (2 s for a target; see the embedded environment's).
    pub token_expiry_margin: Duration,
    /// The holder's allowed clock skew, when known (boundary scenarios need it).
    pub clock_skew: Option<i64>,
    /// Whether each scenario may use a fresh software product id (true when the suite mints
    /// SSAs itself), which keeps scenarios independent of each other.
    pub fresh_software_ids: bool,
    /// What scenarios may need that this environment cannot provide, with the reasons.
    pub capabilities: Capabilities,
    /// Spaces requests out when the target file sets a request-rate limit.
    pacer: Option<tokio::sync::Mutex<tokio::time::Interval>>,
    _keep_alive: Vec<Box<dyn std::any::Any + Send + Sync>>,
    holder: Option<mock_holder::RunningHolder>,
}

/// The embedded holder is shut down. The servers the suite runs (the Register's JWKS host, the
/// recipients' JWKS host: wiremock servers) are dropped on a thread of their own, which nothing
/// waits for: a wiremock server's `Drop` blocks on an async check of its state, and once, at
/// the end of a run in the conformance test target, that check spun on the dropping tokio
/// worker for more than ten minutes (not reproduced on demand). Off the runtime and unawaited,
/// no such check can hold up the end of a run.
impl Drop for Environment {
    fn drop(&mut self) {
        if let Some(h) = &self.holder {
            h.shutdown();
        }
        let keep_alive = std::mem::take(&mut self._keep_alive);
        let register_host = self.register.as_mut().and_then(|r| r.jwks_host.take());
        if keep_alive.is_empty() && register_host.is_none() {
            return;
        }
        let stop = move || {
            drop(register_host);
            drop(keep_alive);
        };
        // Without a thread (none can be started), the servers are dropped here.
        if let Err(e) = std::thread::Builder::new()
            .name("stop-jwks-hosts".into())
            .spawn(stop)
        {
            tracing::warn!("cannot start a thread to stop the JWKS hosts: {e}");
        }
    }
}

impl std::fmt::Debug for Environment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Environment")
            .field("target", &self.target)
            .field("discovery_url", &self.discovery_url)
            .finish_non_exhaustive()
    }
}

impl Environment {
    /// The recipient recipient called `name` ("A", "B").
    ///
    /// # Errors
    /// Fails when there is no such recipient.
    pub fn recipient(&self, name: &str) -> anyhow::Result<&RecipientIdentity> {
        self.recipients
            .iter()
            .find(|a| a.product.name == name)
            .with_context(|| format!("no recipient {name:?} in this environment"))
    }

    /// Makes the access tokens issued to `client_id` from now on short-lived, when this
    /// environment's holder lets it: the embedded holder gives that one client
    /// [`embedded::EMBEDDED_SHORT_TOKEN_LIFETIME`] (its other clients keep the default), and
    /// the lifetime is returned. `None` for a target: its tokens keep the lifetime they
    /// declare, and an expired-token scenario waits that out.
    pub fn shorten_token_lifetime(&self, client_id: &str) -> Option<Duration> {
        let holder = self.holder.as_ref()?;
        holder.set_token_lifetime(client_id, embedded::EMBEDDED_SHORT_TOKEN_LIFETIME);
        Some(embedded::EMBEDDED_SHORT_TOKEN_LIFETIME)
    }

    /// What scenarios may need that this environment cannot provide, with what the holder's
    /// discovery document advertises added: read once before the run (as recipient A), so
    /// that a scenario of an optional feature the holder does not offer is skipped with the
    /// reason rather than failed. An unreadable document leaves those scenarios out with the
    /// reason; the discovery scenarios report it as a failure.
    pub async fn capabilities_with_discovery(&self) -> Capabilities {
        let mut caps = self.capabilities.clone();
        let doc = match self.recipients.first() {
            None => Err("the environment has no recipient to read it as".to_string()),
            Some(a) => {
                self.pace().await;
                read_json_object(&a.client, &self.discovery_url).await
            }
        };
        caps.advertised(doc.as_ref().map_err(Clone::clone));
        caps
    }

    /// Waits for the request-rate limit, if the target file sets one.
    pub async fn pace(&self) {
        if let Some(pacer) = &self.pacer {
            pacer.lock().await.tick().await;
        }
    }
}

/// The JSON object at `url`, or why there is none (a transport error, a status other than 200,
/// a body that is not a JSON object).
async fn read_json_object(
    client: &reqwest::Client,
    url: &str,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(format!("GET {url} answered {status}"));
    }
    match response.json::<serde_json::Value>().await {
        Ok(serde_json::Value::Object(doc)) => Ok(doc),
        Ok(_) => Err(format!("GET {url} answered JSON that is not an object")),
        Err(e) => Err(format!("GET {url}: the body is not JSON: {e}")),
    }
}

/// Serves the public half of `key` as a JWKS at `jwks_path` on `server`, with the recipient's
/// `transport` certificate as a `use` = `tls` key where one is given (an OB Directory software
/// JWKS publishes the TPP's transport certificates; a UK holder may register only over one,
/// UK-REQ-006).
async fn serve_jwks(
    server: &MockServer,
    jwks_path: &str,
    key: &SigningKey,
    transport: Option<&serde_json::Value>,
) -> anyhow::Result<()> {
    let mut jwks = public_jwks([key])?;
    if let (Some(jwk), Some(keys)) = (transport, jwks["keys"].as_array_mut()) {
        keys.push(jwk.clone());
    }
    Mock::given(method("GET"))
        .and(path(jwks_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(jwks))
        .mount(server)
        .await;
    Ok(())
}

/// A JWKS host bound where the target file says.
async fn bind_host(bind: std::net::SocketAddr, what: &str) -> anyhow::Result<MockServer> {
    let listener = std::net::TcpListener::bind(bind)
        .with_context(|| format!("cannot bind {what} to {bind}"))?;
    Ok(MockServer::builder().listener(listener).start().await)
}

/// The HTTP clients of a run and the TLS material behind each: no certificate, a certificate
/// from a CA no holder trusts (material only), and one per recipient.
struct Clients {
    ca_pem: String,
    timeout: Duration,
    anonymous: reqwest::Client,
    tls_identities: std::collections::HashMap<String, http::TlsIdentity>,
}

impl Clients {
    fn new(ca_pem: &str, rogue_identity_pem: String, timeout: Duration) -> anyhow::Result<Self> {
        let identity = |pem: Option<String>| http::TlsIdentity {
            ca_pem: ca_pem.to_string(),
            identity_pem: pem,
        };
        Ok(Self {
            anonymous: http::client(ca_pem, None, timeout)?,
            tls_identities: std::collections::HashMap::from([
                ("none".to_string(), identity(None)),
                ("rogue".to_string(), identity(Some(rogue_identity_pem))),
            ]),
            ca_pem: ca_pem.to_string(),
            timeout,
        })
    }

    /// The client presenting recipient `name`'s certificate (its identity is kept for probes).
    fn recipient(&mut self, name: &str, identity_pem: &str) -> anyhow::Result<reqwest::Client> {
        self.tls_identities.insert(
            name.to_string(),
            http::TlsIdentity {
                ca_pem: self.ca_pem.clone(),
                identity_pem: Some(identity_pem.to_string()),
            },
        );
        http::client(&self.ca_pem, Some(identity_pem), self.timeout)
    }
}

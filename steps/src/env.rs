//! The environment a run executes in: the target holder, the Data Recipients the suite acts
//! as, and the CDR Register whose key signs SSAs.
//!
//! [`Env::embedded`] builds the default, self-contained environment on 127.0.0.1 ephemeral
//! ports: a test PKI generated now; a mock CDR Register (wiremock) publishing its JWKS; an ADR
//! JWKS host (wiremock) publishing each recipient's signing keys; and the mock holder behind
//! rustls requiring client certificates from the test CA. Nothing is configured, nothing can
//! expire in the repository.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use dcr_vectors::keys::public_jwks;
use dcr_vectors::templates::{self, Recipient};
use dcr_vectors::{RegistrationTemplate, SigningAlg, SigningKey, SsaTemplate, TestPki};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::http;
use crate::needs::Capabilities;
use crate::target::{Jwks, Target, fetch_ssa};

/// Access token lifetime of the embedded holder: long enough for any scenario's calls, short
/// enough that waiting for a real expiry costs seconds.
const EMBEDDED_TOKEN_LIFETIME: Duration = Duration::from_secs(8);

/// Path of the mock Register's JWKS.
const REGISTER_JWKS_PATH: &str = "/cdr-register/v1/jwks";

/// A Data Recipient persona the suite acts as.
#[derive(Debug)]
pub struct Actor {
    /// Register data (software product, brand, redirect URIs).
    pub recipient: Recipient,
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
}

/// The CDR Register as far as the suite can act for it.
#[derive(Debug)]
pub struct Register {
    /// The key that signs SSAs (its public half is in the Register JWKS the holder trusts).
    pub key: SigningKey,
    /// A key that is *not* the Register's, with the Register key's `kid`: SSAs signed with it
    /// must fail signature verification, not merely key lookup.
    pub impostor: SigningKey,
    /// A key whose `kid` the Register JWKS does not list.
    pub unpublished: SigningKey,
    /// The Register's next key: published only when a scenario rotates keys.
    pub next: SigningKey,
    /// The Register's JWKS host and the path it serves, when the suite runs it (needed to
    /// publish `next`).
    pub jwks_host: Option<(MockServer, String)>,
}

impl Register {
    /// Publishes `next` beside the current key (the current key stays, so scenarios running
    /// at the same time are unaffected). Idempotent.
    ///
    /// # Errors
    /// Only for malformed keys.
    pub async fn publish_next_key(&self) -> anyhow::Result<()> {
        let (server, jwks_path) = self.jwks_host.as_ref().context(
            "the suite does not serve the Register's JWKS on this target (register.jwks_host)",
        )?;
        Mock::given(method("GET"))
            .and(path(jwks_path.as_str()))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(public_jwks([&self.key, &self.next])?),
            )
            .with_priority(1)
            .mount(server)
            .await;
        Ok(())
    }

    /// The Register as the suite plays it with `key`: impostor, unpublished and next keys
    /// are generated here.
    fn with_key(key: SigningKey, jwks_host: Option<(MockServer, String)>) -> anyhow::Result<Self> {
        Ok(Self {
            impostor: SigningKey::generate(key.alg(), key.kid())?,
            unpublished: SigningKey::generate(SigningAlg::Es256, "cdr-register-unpublished")?,
            next: SigningKey::generate(key.alg(), format!("{}-next", key.kid()))?,
            key,
            jwks_host,
        })
    }
}

/// The run's environment, shared by every scenario.
pub struct Env {
    /// Name of the target, used for snapshot and report directories.
    pub target: String,
    /// The holder's discovery document URL.
    pub discovery_url: String,
    /// The recipients, "A" first.
    pub actors: Vec<Actor>,
    /// The Register, when the suite holds its key (embedded run).
    pub register: Option<Register>,
    /// A client presenting no certificate.
    pub anonymous: reqwest::Client,
    /// A client presenting a certificate from another CA.
    pub rogue: reqwest::Client,
    /// TLS material per certificate name ("A", "B", "none", "rogue"), for TLS probes.
    pub tls_identities: std::collections::HashMap<String, http::TlsIdentity>,
    /// SSA template.
    pub ssa_template: SsaTemplate,
    /// Registration request template.
    pub registration_template: RegistrationTemplate,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Longest wait for an access token to expire (expired-token scenarios).
    pub max_token_wait: Duration,
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

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Env")
            .field("target", &self.target)
            .field("discovery_url", &self.discovery_url)
            .finish_non_exhaustive()
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(h) = &self.holder {
            h.shutdown();
        }
    }
}

impl Env {
    /// The recipient persona called `name` ("A", "B").
    ///
    /// # Errors
    /// Fails when there is no such recipient.
    pub fn actor(&self, name: &str) -> anyhow::Result<&Actor> {
        self.actors
            .iter()
            .find(|a| a.recipient.name == name)
            .with_context(|| format!("no recipient {name:?} in this environment"))
    }

    /// Waits for the request-rate limit, if the target file sets one.
    pub async fn pace(&self) {
        if let Some(pacer) = &self.pacer {
            pacer.lock().await.tick().await;
        }
    }

    /// Builds the environment a target file describes: clients with the recipients'
    /// certificates, JWKS hosts the file asks the suite to run, the Register's key when given,
    /// and each recipient's fixed SSA otherwise (obtained now, once).
    ///
    /// # Errors
    /// Fails when a JWKS host cannot bind or a software statement cannot be obtained.
    pub async fn from_target(target: Target, timeout: Duration) -> anyhow::Result<Arc<Self>> {
        let capabilities = target.capabilities();
        // A client certificate from a CA of our own, which no holder may trust.
        let rogue_pki = TestPki::generate(&[])?;
        let mut clients = Clients::new(&target.ca_pem, rogue_pki.rogue.identity_pem(), timeout)?;
        let mut keep_alive: Vec<Box<dyn std::any::Any + Send + Sync>> = Vec::new();
        let register = match target.register {
            None => None,
            Some(r) => {
                let host = match &r.jwks_host {
                    None => None,
                    Some(h) => {
                        let server = bind_host(h.bind, "register.jwks_host").await?;
                        let jwks_path = h.public_url.path().to_string();
                        serve_jwks(&server, &jwks_path, &r.key).await?;
                        Some((server, jwks_path))
                    }
                };
                Some(Register::with_key(r.key, host)?)
            }
        };
        let templates = templates::recipients()?;
        let mut actors = Vec::new();
        for r in target.recipients {
            let lower = r.name.to_ascii_lowercase();
            if let Jwks::Served(h) = &r.jwks {
                let server =
                    bind_host(h.bind, &format!("JWKS host of recipient {}", r.name)).await?;
                serve_jwks(&server, h.public_url.path(), &r.key).await?;
                keep_alive.push(Box::new(server));
            }
            let (recipient, base_uri, ssa) = match &r.ssa {
                None => {
                    let recipient = templates
                        .iter()
                        .find(|t| t.name == r.name)
                        .cloned()
                        .with_context(|| format!("no template for recipient {}", r.name))?;
                    (
                        recipient,
                        format!("https://{lower}.recipient.example"),
                        None,
                    )
                }
                Some(source) => {
                    let ssa = fetch_ssa(source, &r.identity_pem, &r.key, timeout)
                        .await
                        .with_context(|| format!("obtaining the SSA of recipient {}", r.name))?;
                    let (recipient, base_uri) = recipient_from_ssa(&r.name, &ssa)?;
                    (recipient, base_uri, Some(ssa))
                }
            };
            actors.push(Actor {
                jwks_uri: r.jwks.uri(),
                base_uri,
                client: clients.recipient(&r.name, &r.identity_pem)?,
                thumbprint: r.thumbprint,
                impostor: SigningKey::generate(r.key.alg(), r.key.kid())?,
                key: r.key,
                recipient,
                ssa,
            });
        }
        let pacer = target.requests_per_second.map(|rps| {
            let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rps));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tokio::sync::Mutex::new(interval)
        });
        Ok(Arc::new(Self {
            target: target.name,
            discovery_url: target.discovery_url,
            anonymous: clients.anonymous,
            rogue: clients.rogue,
            actors,
            tls_identities: clients.tls_identities,
            fresh_software_ids: register.is_some(),
            register,
            ssa_template: SsaTemplate::load()?,
            registration_template: RegistrationTemplate::load()?,
            timeout,
            max_token_wait: target.max_token_wait,
            clock_skew: target.clock_skew.map(|d| d.as_secs() as i64),
            capabilities,
            pacer,
            _keep_alive: keep_alive,
            holder: None,
        }))
    }

    /// Starts the embedded environment.
    ///
    /// # Errors
    /// Fails when a port cannot be bound or key material cannot be generated.
    pub async fn embedded(timeout: Duration) -> anyhow::Result<Arc<Self>> {
        Self::embedded_with(timeout, None).await
    }

    /// [`Env::embedded`], with the mock holder started with `defect` (the self-check:
    /// `dcr-conformance selfcheck`).
    ///
    /// # Errors
    /// As [`Env::embedded`].
    pub async fn embedded_with(
        timeout: Duration,
        defect: Option<mock_holder::Defect>,
    ) -> anyhow::Result<Arc<Self>> {
        let pki = TestPki::generate(&[])?;
        let register_server = MockServer::start().await;
        let register_jwks_uri = format!("{}{REGISTER_JWKS_PATH}", register_server.uri());
        let register_key = SigningKey::generate(SigningAlg::Ps256, "cdr-register-1")?;
        serve_jwks(&register_server, REGISTER_JWKS_PATH, &register_key).await?;
        let register = Register::with_key(
            register_key,
            Some((register_server, REGISTER_JWKS_PATH.to_string())),
        )?;

        let jwks_host = MockServer::start().await;
        let mut clients = Clients::new(&pki.ca.cert_pem, pki.rogue.identity_pem(), timeout)?;
        let mut actors = Vec::new();
        let certs = [&pki.client_a, &pki.client_b];
        // Recipient A signs with PS256 and recipient B with ES256, so both algorithms the CDS
        // allows are exercised on every run.
        let algs = [SigningAlg::Ps256, SigningAlg::Es256];
        for ((recipient, cert), alg) in templates::recipients()?.into_iter().zip(certs).zip(algs) {
            let lower = recipient.name.to_ascii_lowercase();
            let key = SigningKey::generate(alg, format!("{lower}-sig-1"))?;
            let impostor = SigningKey::generate(alg, format!("{lower}-sig-1"))?;
            let jwks_path = format!("/{lower}/jwks");
            serve_jwks(&jwks_host, &jwks_path, &key).await?;
            actors.push(Actor {
                jwks_uri: format!("{}{jwks_path}", jwks_host.uri()),
                base_uri: format!("https://{lower}.recipient.example"),
                client: clients.recipient(&recipient.name, &cert.identity_pem())?,
                thumbprint: cert.thumbprint(),
                recipient,
                key,
                impostor,
                ssa: None,
            });
        }

        let tls = mock_holder::tls::TlsMaterial {
            client_ca_pem: pki.ca.cert_pem.clone(),
            cert_pem: pki.server.cert_pem.clone(),
            key_pem: pki.server.key_pem.clone(),
        };
        let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let mut settings = mock_holder::Settings::new(loopback, loopback, tls, register_jwks_uri);
        // Short-lived tokens let the expired-token scenarios wait for real expiry.
        settings.token_lifetime = EMBEDDED_TOKEN_LIFETIME;
        settings.defect = defect;
        let holder = mock_holder::start(settings)
            .await
            .context("starting the mock holder")?;

        Ok(Arc::new(Self {
            target: "mock-holder".into(),
            discovery_url: format!("{}/.well-known/openid-configuration", holder.urls.issuer),
            anonymous: clients.anonymous,
            rogue: clients.rogue,
            actors,
            tls_identities: clients.tls_identities,
            register: Some(register),
            ssa_template: SsaTemplate::load()?,
            registration_template: RegistrationTemplate::load()?,
            timeout,
            fresh_software_ids: true,
            max_token_wait: Duration::from_secs(30),
            clock_skew: Some(holder.settings().clock_skew.as_secs() as i64),
            capabilities: Capabilities::all(),
            pacer: None,
            _keep_alive: vec![Box::new(jwks_host)],
            holder: Some(holder),
        }))
    }
}

/// Serves the public half of `key` as a JWKS at `jwks_path` on `server`.
async fn serve_jwks(server: &MockServer, jwks_path: &str, key: &SigningKey) -> anyhow::Result<()> {
    Mock::given(method("GET"))
        .and(path(jwks_path))
        .respond_with(ResponseTemplate::new(200).set_body_json(public_jwks([key])?))
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

/// The recipient a fixed SSA describes, and its `recipient_base_uri`.
fn recipient_from_ssa(name: &str, ssa: &str) -> anyhow::Result<(Recipient, String)> {
    let claims = dcr_vectors::jose::decode_unverified(ssa)?.claims;
    let text = |claim: &str| -> anyhow::Result<String> {
        match claims.get(claim).and_then(serde_json::Value::as_str) {
            Some(v) => Ok(v.to_string()),
            None => bail!("the SSA of recipient {name} has no string claim {claim:?}"),
        }
    };
    let redirect_uris = claims
        .get("redirect_uris")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.is_empty())
        .with_context(|| format!("the SSA of recipient {name} has no redirect_uris"))?;
    let recipient = Recipient {
        name: name.to_string(),
        software_id: text("software_id")?,
        org_id: text("org_id").unwrap_or_default(),
        org_name: text("org_name").unwrap_or_default(),
        legal_entity_id: text("legal_entity_id").unwrap_or_default(),
        legal_entity_name: text("legal_entity_name").unwrap_or_default(),
        client_name: text("client_name").unwrap_or_default(),
        client_description: text("client_description").unwrap_or_default(),
        redirect_uris,
    };
    Ok((recipient, text("recipient_base_uri").unwrap_or_default()))
}

/// The HTTP clients of a run and the TLS material behind each, for TLS probes: no
/// certificate, a certificate from a CA no holder trusts, and one per recipient.
struct Clients {
    ca_pem: String,
    timeout: Duration,
    anonymous: reqwest::Client,
    rogue: reqwest::Client,
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
            rogue: http::client(ca_pem, Some(&rogue_identity_pem), timeout)?,
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

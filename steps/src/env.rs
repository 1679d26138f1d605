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

use anyhow::Context;
use dcr_vectors::keys::public_jwks;
use dcr_vectors::templates::{self, Recipient};
use dcr_vectors::{RegistrationTemplate, SigningAlg, SigningKey, SsaTemplate, TestPki};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::http;

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
    /// The mock Register's server, to publish `next` (embedded run only).
    pub server: MockServer,
}

impl Register {
    /// Publishes `next` beside the current key (the current key stays, so scenarios running
    /// at the same time are unaffected). Idempotent.
    ///
    /// # Errors
    /// Only for malformed keys.
    pub async fn publish_next_key(&self) -> anyhow::Result<()> {
        Mock::given(method("GET"))
            .and(path(REGISTER_JWKS_PATH))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(public_jwks([&self.key, &self.next])?),
            )
            .with_priority(1)
            .mount(&self.server)
            .await;
        Ok(())
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
        let register = Register {
            key: SigningKey::generate(SigningAlg::Ps256, "cdr-register-1")?,
            impostor: SigningKey::generate(SigningAlg::Ps256, "cdr-register-1")?,
            unpublished: SigningKey::generate(SigningAlg::Es256, "cdr-register-unpublished")?,
            next: SigningKey::generate(SigningAlg::Ps256, "cdr-register-2")?,
            server: register_server,
        };
        Mock::given(method("GET"))
            .and(path(REGISTER_JWKS_PATH))
            .respond_with(ResponseTemplate::new(200).set_body_json(public_jwks([&register.key])?))
            .mount(&register.server)
            .await;

        let jwks_host = MockServer::start().await;
        let identity = |pem: Option<String>| http::TlsIdentity {
            ca_pem: pki.ca.cert_pem.clone(),
            identity_pem: pem,
        };
        let mut tls_identities = std::collections::HashMap::from([
            ("none".to_string(), identity(None)),
            (
                "rogue".to_string(),
                identity(Some(pki.rogue.identity_pem())),
            ),
        ]);
        let mut actors = Vec::new();
        let certs = [&pki.client_a, &pki.client_b];
        // Recipient A signs with PS256 and recipient B with ES256, so both algorithms the CDS
        // allows are exercised on every run.
        let algs = [SigningAlg::Ps256, SigningAlg::Es256];
        for ((recipient, cert), alg) in templates::recipients()?.into_iter().zip(certs).zip(algs) {
            let lower = recipient.name.to_ascii_lowercase();
            tls_identities.insert(recipient.name.clone(), identity(Some(cert.identity_pem())));
            let key = SigningKey::generate(alg, format!("{lower}-sig-1"))?;
            let impostor = SigningKey::generate(alg, format!("{lower}-sig-1"))?;
            let jwks_path = format!("/{lower}/jwks");
            Mock::given(method("GET"))
                .and(path(jwks_path.clone()))
                .respond_with(ResponseTemplate::new(200).set_body_json(public_jwks([&key])?))
                .mount(&jwks_host)
                .await;
            actors.push(Actor {
                jwks_uri: format!("{}{jwks_path}", jwks_host.uri()),
                base_uri: format!("https://{lower}.recipient.example"),
                client: http::client(&pki.ca.cert_pem, Some(&cert.identity_pem()), timeout)?,
                thumbprint: cert.thumbprint(),
                recipient,
                key,
                impostor,
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
            anonymous: http::client(&pki.ca.cert_pem, None, timeout)?,
            rogue: http::client(&pki.ca.cert_pem, Some(&pki.rogue.identity_pem()), timeout)?,
            actors,
            tls_identities,
            register: Some(register),
            ssa_template: SsaTemplate::load()?,
            registration_template: RegistrationTemplate::load()?,
            timeout,
            fresh_software_ids: true,
            max_token_wait: Duration::from_secs(30),
            clock_skew: Some(holder.state.0.settings.clock_skew.as_secs() as i64),
            _keep_alive: vec![Box::new(jwks_host)],
            holder: Some(holder),
        }))
    }
}

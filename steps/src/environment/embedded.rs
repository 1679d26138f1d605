//! The embedded environment: everything on 127.0.0.1 ephemeral ports, nothing to configure. A
//! test PKI generated now; a mock CDR Register (wiremock) publishing its JWKS; an ADR JWKS host
//! (wiremock) publishing each recipient's signing keys; and the mock holder behind rustls
//! requiring client certificates from the test CA. Nothing can expire in the repository.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dcr_vectors::templates;
use dcr_vectors::{RegistrationTemplate, SigningAlg, SigningKey, SsaTemplate, TestPki};
use wiremock::MockServer;

use crate::environment::capabilities::Capabilities;
use crate::environment::register::Register;
use crate::environment::{Clients, Environment, RecipientIdentity, serve_jwks};

/// Access token lifetime of the embedded holder: long enough for any scenario's calls, short
/// enough that waiting for a real expiry costs seconds.
const EMBEDDED_TOKEN_LIFETIME: Duration = Duration::from_secs(8);

/// Path of the mock Register's JWKS.
const REGISTER_JWKS_PATH: &str = "/cdr-register/v1/jwks";

impl Environment {
    /// Starts the embedded environment.
    ///
    /// # Errors
    /// Fails when a port cannot be bound or key material cannot be generated.
    pub async fn embedded(timeout: Duration) -> anyhow::Result<Arc<Self>> {
        Self::embedded_with(timeout, None, mock_holder::Flavour::default(), &[]).await
    }

    /// [`Environment::embedded`], with the mock holder in `flavour` (a profile's) and started
    /// with `defect` (the self-check: `dcr-conformance selfcheck`); the recipients sign with
    /// `signing_algs` in turn (A the first; PS256 and ES256 when empty).
    ///
    /// # Errors
    /// As [`Environment::embedded`].
    pub async fn embedded_with(
        timeout: Duration,
        defect: Option<mock_holder::Defect>,
        flavour: mock_holder::Flavour,
        signing_algs: &[SigningAlg],
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
        let mut recipients = Vec::new();
        let certs = [&pki.client_a, &pki.client_b];
        // Recipient A signs with PS256 and recipient B with ES256, so both algorithms the CDS
        // allows are exercised on every run (a profile whose release takes fewer says so).
        let fapi = [SigningAlg::Ps256, SigningAlg::Es256];
        let algs = if signing_algs.is_empty() {
            &fapi[..]
        } else {
            signing_algs
        };
        for ((product, cert), alg) in templates::software_products()?
            .into_iter()
            .zip(certs)
            .zip(algs.iter().copied().cycle())
        {
            let lower = product.name.to_ascii_lowercase();
            let key = SigningKey::generate(alg, format!("{lower}-sig-1"))?;
            let impostor = SigningKey::generate(alg, format!("{lower}-sig-1"))?;
            let jwks_path = format!("/{lower}/jwks");
            serve_jwks(&jwks_host, &jwks_path, &key).await?;
            recipients.push(RecipientIdentity {
                jwks_uri: format!("{}{jwks_path}", jwks_host.uri()),
                base_uri: format!("https://{lower}.recipient.example"),
                client: clients.recipient(&product.name, &cert.identity_pem())?,
                thumbprint: cert.thumbprint(),
                product,
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
        settings.flavour = flavour;
        let holder = mock_holder::start(settings)
            .await
            .context("starting the mock holder")?;

        Ok(Arc::new(Self {
            target: "mock-holder".into(),
            discovery_url: format!("{}/.well-known/openid-configuration", holder.urls.issuer),
            registration_endpoint: None,
            anonymous: clients.anonymous,
            rogue: clients.rogue,
            recipients,
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

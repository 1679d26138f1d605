//! The embedded environment: everything on 127.0.0.1 ephemeral ports, nothing to configure. A
//! test PKI generated now; a mock CDR Register (wiremock) publishing its JWKS; an ADR JWKS host
//! (wiremock) publishing each recipient's signing keys; and the mock holder behind rustls
//! requiring client certificates from the test CA. Nothing can expire in the repository.
//!
//! The signing keys (the Register's, each recipient's, and the impostors beside them) are
//! generated at run time too, but once per process, in parallel, and shared by every embedded
//! environment the process starts ([`EmbeddedKeys`]): RSA key generation was most of a run's
//! start-up, and the self-check starts one environment per run. Everything that holds state
//! stays per environment: the PKI, the holder (its database and its own token key), the
//! Register's and the recipients' JWKS hosts.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dcr_vectors::templates::{self, SoftwareProduct};
use dcr_vectors::{SigningAlg, SigningKey, TestPki};
use wiremock::MockServer;

use crate::environment::capabilities::Capabilities;
use crate::environment::register::{Register, RegisterKeys};
use crate::environment::{Clients, Environment, RecipientIdentity, Successor, serve_jwks};

/// Lifetime of the access tokens of a client whose expiry a scenario waits out (see
/// [`Environment::shorten_token_lifetime`]); every other token of the embedded holder keeps the
/// holder's default lifetime (600 s), so no other scenario can see a token expire under it.
pub const EMBEDDED_SHORT_TOKEN_LIFETIME: Duration = Duration::from_secs(1);

/// How long after a short-lived token's declared lifetime the suite waits before it uses the
/// token as expired. The embedded holder shares this process's clock and expires such tokens
/// to the millisecond, so the margin covers only the difference between the monotonic clock
/// the suite waits with and the wall clock the holder checks with.
const EMBEDDED_EXPIRY_MARGIN: Duration = Duration::from_millis(50);

/// Path of the mock Register's JWKS.
const REGISTER_JWKS_PATH: &str = "/cdr-register/v1/jwks";

/// The Register key's `kid`.
const REGISTER_KID: &str = "cdr-register-1";

/// How the embedded mock holder is set up. A value rather than arguments so that it can grow
/// with the holder's selectors (a defect, the DCR flavour, the recipients' algorithms,
/// variations) without touching its callers: `run` (its hidden `--holder-*` options),
/// the self-check's runs in this process and its child runs (`selfcheck --isolate`) all
/// describe a holder with it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolderSetup {
    /// A rule the holder breaks on purpose (the self-check); `None` for a correct holder.
    pub defect: Option<mock_holder::Defect>,
    /// The flavour the holder emulates (a profile's).
    pub flavour: mock_holder::Flavour,
    /// The algorithms the recipients sign with, in turn (recipient A the first); empty: both
    /// the CDS allows, A PS256 and B ES256 (a profile whose release takes fewer says so).
    pub signing_algs: Vec<SigningAlg>,
    /// Behaviours the standards allow that the holder shows instead of its defaults (the
    /// self-check's variation runs); empty for the default behaviour.
    pub variations: Vec<mock_holder::Variation>,
}

impl HolderSetup {
    /// A correct holder with the default behaviour.
    pub fn correct() -> Self {
        Self::default()
    }

    /// A holder with `defect` injected.
    pub fn with_defect(defect: mock_holder::Defect) -> Self {
        Self {
            defect: Some(defect),
            ..Self::default()
        }
    }

    /// The correct holder a run of `profile` starts: in the profile's `flavour`, its
    /// recipients signing with the profile's `wire.signing_algs`.
    ///
    /// # Errors
    /// When the profile names a flavour the mock holder does not emulate, or an algorithm
    /// the recipients cannot sign with.
    pub fn for_profile(profile: &crate::catalogue::Profile) -> anyhow::Result<Self> {
        let flavour = profile.flavour.parse().map_err(|e| {
            anyhow::anyhow!(
                "profile {} runs the embedded mock holder in flavour {:?}: {e} (run it against a --target instead)",
                profile.name,
                profile.flavour
            )
        })?;
        let signing_algs = profile
            .wire
            .signing_algs
            .iter()
            .map(|a| a.parse())
            .collect::<Result<_, _>>()?;
        Ok(Self {
            defect: None,
            flavour,
            signing_algs,
            variations: Vec::new(),
        })
    }

    /// Writes the setup into the holder's settings.
    fn apply(&self, settings: &mut mock_holder::Settings) {
        settings.defect = self.defect;
        settings.flavour = self.flavour;
        settings.variations = self.variations.clone();
    }

    /// The algorithm recipient `index` signs with.
    fn recipient_alg(&self, index: usize) -> SigningAlg {
        let algs = if self.signing_algs.is_empty() {
            &RECIPIENT_ALGS[..]
        } else {
            &self.signing_algs[..]
        };
        algs[index % algs.len()]
    }
}

/// The signing keys of the embedded environment: the Register's (key, impostor, next,
/// unpublished) and, per recipient and per algorithm it may sign with, its key and an impostor
/// with the same `kid`.
#[derive(Debug)]
struct EmbeddedKeys {
    register: RegisterKeys,
    /// Per software product template, in order, per algorithm of [`RECIPIENT_ALGS`]: (key,
    /// impostor, successor).
    recipients: Vec<Vec<(SigningKey, SigningKey, SigningKey)>>,
}

/// The algorithms a recipient may sign with. By default recipient A signs with PS256 and
/// recipient B with ES256, so both algorithms the CDS allows are exercised on every run.
const RECIPIENT_ALGS: [SigningAlg; 2] = [SigningAlg::Ps256, SigningAlg::Es256];

fn recipient_kid(product: &SoftwareProduct) -> String {
    format!("{}-sig-1", product.name.to_ascii_lowercase())
}

impl EmbeddedKeys {
    /// Generates every key, each on its own thread (RSA-2048 generation takes tens to hundreds
    /// of milliseconds; the ES256 keys take microseconds).
    fn generate(products: &[SoftwareProduct]) -> anyhow::Result<Self> {
        let mut specs = vec![
            (SigningAlg::Ps256, REGISTER_KID.to_string()),
            (SigningAlg::Ps256, REGISTER_KID.to_string()),
            (SigningAlg::Ps256, format!("{REGISTER_KID}-next")),
            (SigningAlg::Es256, "cdr-register-unpublished".to_string()),
        ];
        for product in products {
            for alg in RECIPIENT_ALGS {
                specs.push((alg, recipient_kid(product)));
                specs.push((alg, recipient_kid(product)));
                specs.push((alg, format!("{}-sig-2", product.name.to_ascii_lowercase())));
            }
        }
        let keys = std::thread::scope(|scope| {
            let handles: Vec<_> = specs
                .iter()
                .map(|(alg, kid)| scope.spawn(move || SigningKey::generate(*alg, kid.as_str())))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|_| anyhow::anyhow!("key generation panicked"))?
                })
                .collect::<anyhow::Result<Vec<_>>>()
        })?;
        let mut keys = keys.into_iter();
        let mut next = || keys.next().context("a key was not generated");
        let register = RegisterKeys {
            key: next()?,
            impostor: next()?,
            next: next()?,
            unpublished: next()?,
        };
        let mut recipients = Vec::new();
        for _ in products {
            let mut per_alg = Vec::new();
            for _ in RECIPIENT_ALGS {
                per_alg.push((next()?, next()?, next()?));
            }
            recipients.push(per_alg);
        }
        Ok(Self {
            register,
            recipients,
        })
    }

    /// The keys of this process, generated on first use (concurrent first callers wait for
    /// the one generation).
    async fn shared(products: &[SoftwareProduct]) -> anyhow::Result<Arc<Self>> {
        static KEYS: tokio::sync::OnceCell<Arc<EmbeddedKeys>> = tokio::sync::OnceCell::const_new();
        KEYS.get_or_try_init(|| async {
            let products = products.to_vec();
            tokio::task::spawn_blocking(move || EmbeddedKeys::generate(&products))
                .await
                .context("key generation did not finish")?
                .map(Arc::new)
        })
        .await
        .cloned()
    }
}

impl Environment {
    /// Starts the embedded environment.
    ///
    /// # Errors
    /// Fails when a port cannot be bound or key material cannot be generated.
    pub async fn embedded(timeout: Duration) -> anyhow::Result<Arc<Self>> {
        Self::embedded_with(timeout, &HolderSetup::correct()).await
    }

    /// [`Environment::embedded`], with the mock holder set up as `holder` says (the
    /// self-check: `dcr-conformance selfcheck`).
    ///
    /// # Errors
    /// As [`Environment::embedded`].
    pub async fn embedded_with(
        timeout: Duration,
        holder: &HolderSetup,
    ) -> anyhow::Result<Arc<Self>> {
        let products = templates::software_products()?;
        // The keys (first use in this process: generated on other threads) while the PKI and
        // the servers start here.
        let (keys, started) = tokio::join!(EmbeddedKeys::shared(&products), async {
            let pki = TestPki::generate(&[])?;
            let register_server = MockServer::start().await;
            let jwks_host = MockServer::start().await;
            anyhow::Ok((pki, register_server, jwks_host))
        });
        let (keys, (pki, register_server, jwks_host)) = (keys?, started?);

        let register_jwks_uri = format!("{}{REGISTER_JWKS_PATH}", register_server.uri());
        serve_jwks(
            &register_server,
            REGISTER_JWKS_PATH,
            &keys.register.key,
            None,
        )
        .await?;
        let register = Register::with_keys(
            keys.register.clone(),
            Some((register_server, REGISTER_JWKS_PATH.to_string())),
        );

        let mut clients = Clients::new(&pki.ca.cert_pem, pki.rogue.identity_pem(), timeout)?;
        let mut recipients = Vec::new();
        let certs = [&pki.client_a, &pki.client_b];
        for (index, (product, cert)) in products.into_iter().zip(certs).enumerate() {
            let alg = holder.recipient_alg(index);
            let slot = RECIPIENT_ALGS
                .iter()
                .position(|a| *a == alg)
                .with_context(|| format!("recipients cannot sign with {alg:?}"))?;
            let (key, impostor, successor) = keys
                .recipients
                .get(index)
                .and_then(|per_alg| per_alg.get(slot))
                .context("no key for this recipient")?;
            let lower = product.name.to_ascii_lowercase();
            let jwks_path = format!("/{lower}/jwks");
            let transport = cert.transport_jwk(&format!("{lower}-tls"))?;
            serve_jwks(&jwks_host, &jwks_path, key, Some(&transport)).await?;
            let successor_path = format!("/{lower}/jwks-2");
            serve_jwks(&jwks_host, &successor_path, successor, Some(&transport)).await?;
            recipients.push(RecipientIdentity {
                successor: Some(Successor {
                    key: successor.clone(),
                    jwks_uri: format!("{}{successor_path}", jwks_host.uri()),
                }),
                jwks_uri: format!("{}{jwks_path}", jwks_host.uri()),
                base_uri: format!("https://{lower}.recipient.example"),
                client: clients.recipient(&product.name, &cert.identity_pem())?,
                thumbprint: cert.thumbprint(),
                subject_dn: cert.subject_dn.clone(),
                product,
                key: key.clone(),
                impostor: impostor.clone(),
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
        holder.apply(&mut settings);
        let holder = mock_holder::start(settings)
            .await
            .context("starting the mock holder")?;

        Ok(Arc::new(Self {
            target: "mock-holder".into(),
            discovery_url: format!("{}/.well-known/openid-configuration", holder.urls.issuer),
            registration_endpoint: None,
            registration_aud: None,
            anonymous: clients.anonymous,
            recipients,
            tls_identities: clients.tls_identities,
            register: Some(register),
            timeout,
            fresh_software_ids: true,
            max_token_wait: Duration::from_secs(30),
            token_expiry_margin: EMBEDDED_EXPIRY_MARGIN,
            clock_skew: Some(holder.settings().clock_skew.as_secs() as i64),
            capabilities: Capabilities::all(),
            pacer: None,
            _keep_alive: vec![Box::new(jwks_host)],
            holder: Some(holder),
        }))
    }
}

//! The environment a target file describes: a Data Holder the user does not control, the
//! recipients the suite acts as there, and the Register as far as the file lets the suite act
//! for it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use dcr_vectors::templates::{self, SoftwareProduct};
use dcr_vectors::{RegistrationTemplate, SigningKey, SsaTemplate, TestPki};

use crate::environment::register::{Register, fetch_ssa};
use crate::environment::target::{Jwks, Target};
use crate::environment::{Clients, Environment, RecipientIdentity, bind_host, serve_jwks};

/// How long after a token's declared lifetime the suite waits before it uses the token as
/// expired on a target: its clock may differ from ours, and a whole-second `exp` may be
/// rounded either way.
const TARGET_EXPIRY_MARGIN: Duration = Duration::from_secs(2);

impl Environment {
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
        let templates = templates::software_products()?;
        let mut recipients = Vec::new();
        for r in target.recipients {
            let lower = r.name.to_ascii_lowercase();
            if let Jwks::Served(h) = &r.jwks {
                let server =
                    bind_host(h.bind, &format!("JWKS host of recipient {}", r.name)).await?;
                serve_jwks(&server, h.public_url.path(), &r.key).await?;
                keep_alive.push(Box::new(server));
            }
            let (product, base_uri, ssa) = match &r.ssa {
                None => {
                    let product = templates
                        .iter()
                        .find(|t| t.name == r.name)
                        .cloned()
                        .with_context(|| format!("no template for recipient {}", r.name))?;
                    (product, format!("https://{lower}.recipient.example"), None)
                }
                Some(source) => {
                    let ssa = fetch_ssa(source, &r.identity_pem, &r.key, timeout)
                        .await
                        .with_context(|| format!("obtaining the SSA of recipient {}", r.name))?;
                    let (product, base_uri) = product_from_ssa(&r.name, &ssa)?;
                    (product, base_uri, Some(ssa))
                }
            };
            recipients.push(RecipientIdentity {
                jwks_uri: r.jwks.uri(),
                base_uri,
                client: clients.recipient(&r.name, &r.identity_pem)?,
                thumbprint: r.thumbprint,
                impostor: SigningKey::generate(r.key.alg(), r.key.kid())?,
                key: r.key,
                product,
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
            registration_endpoint: target.registration_endpoint,
            anonymous: clients.anonymous,
            rogue: clients.rogue,
            recipients,
            tls_identities: clients.tls_identities,
            fresh_software_ids: register.is_some(),
            register,
            ssa_template: SsaTemplate::load()?,
            registration_template: RegistrationTemplate::load()?,
            timeout,
            max_token_wait: target.max_token_wait,
            token_expiry_margin: TARGET_EXPIRY_MARGIN,
            clock_skew: target.clock_skew.map(|d| d.as_secs() as i64),
            capabilities,
            pacer,
            _keep_alive: keep_alive,
            holder: None,
        }))
    }
}

/// The recipient a fixed SSA describes, and its `recipient_base_uri`.
fn product_from_ssa(name: &str, ssa: &str) -> anyhow::Result<(SoftwareProduct, String)> {
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
    let product = SoftwareProduct {
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
    Ok((product, text("recipient_base_uri").unwrap_or_default()))
}

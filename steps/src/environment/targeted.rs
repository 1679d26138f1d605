//! The environment a target file describes: a Data Holder the user does not control, the
//! recipients the suite acts as there, and the Register as far as the file lets the suite act
//! for it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use dcr_vectors::templates::{self, SoftwareProduct};
use dcr_vectors::{SigningKey, TestPki};

use crate::environment::register::{Register, fetch_ssa};
use crate::environment::target::{Jwks, Target};
use crate::environment::{
    Clients, Environment, RecipientIdentity, Successor, bind_host, serve_jwks,
};

/// How long after a token's declared lifetime the suite waits before it uses the token as
/// expired on a target: its clock may differ from ours, and a whole-second `exp` may be
/// rounded either way.
pub const TARGET_EXPIRY_MARGIN: Duration = Duration::from_secs(2);

/// A part of a target's environment that could not be set up: what it is (`recipient A`,
/// `Register`), what went wrong, and how to fix it.
#[derive(Debug)]
pub struct SetupProblem {
    /// The part: `recipient A`, `Register`, or `environment`.
    pub part: String,
    /// What went wrong.
    pub error: anyhow::Error,
    /// How to fix it, naming the target file's field.
    pub fix: String,
}

impl Environment {
    /// Builds the environment a target file describes: clients with the recipients'
    /// certificates, JWKS hosts the file asks the suite to run, the Register's key when given,
    /// and each recipient's fixed SSA otherwise (obtained now, once).
    ///
    /// # Errors
    /// Fails when a JWKS host cannot bind or a software statement cannot be obtained.
    pub async fn from_target(target: Target, timeout: Duration) -> anyhow::Result<Arc<Self>> {
        match Self::build(target, timeout, false).await {
            (Some(env), problems) if problems.is_empty() => Ok(env),
            (_, problems) => Err(problems.into_iter().next().map_or_else(
                || anyhow::anyhow!("the environment was not built"),
                |p| p.error,
            )),
        }
    }

    /// [`Environment::from_target`] that keeps going (doctor): a recipient or Register JWKS
    /// host that cannot be set up is left out and reported, and the rest is built. `None`
    /// only when nothing of the environment could be built.
    pub async fn from_target_keep_going(
        target: Target,
        timeout: Duration,
    ) -> (Option<Arc<Self>>, Vec<SetupProblem>) {
        Self::build(target, timeout, true).await
    }

    async fn build(
        target: Target,
        timeout: Duration,
        keep_going: bool,
    ) -> (Option<Arc<Self>>, Vec<SetupProblem>) {
        let mut problems = Vec::new();
        let env = Self::build_into(target, timeout, keep_going, &mut problems).await;
        match env {
            Ok(env) => (Some(env), problems),
            Err(e) if e.to_string() == STOPPED => (None, problems),
            Err(e) => {
                problems.push(SetupProblem {
                    part: "environment".into(),
                    error: e,
                    fix: "check tls.ca_bundle and the recipients' certificates and keys".into(),
                });
                (None, problems)
            }
        }
    }

    /// Builds the environment; a failing recipient or Register JWKS host goes into
    /// `problems` (left out when `keep_going`, else the build stops: `Err` of a sentinel).
    async fn build_into(
        target: Target,
        timeout: Duration,
        keep_going: bool,
        problems: &mut Vec<SetupProblem>,
    ) -> anyhow::Result<Arc<Self>> {
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
                    Some(h) => match register_host(h, &r.key).await {
                        Ok(host) => Some(host),
                        Err(error) => {
                            problems.push(SetupProblem {
                                part: "Register".into(),
                                error,
                                fix: format!(
                                    "register.jwks_host.bind: {} must be free on this machine (stop what holds it, or choose another address)",
                                    h.bind
                                ),
                            });
                            if !keep_going {
                                bail!(STOPPED);
                            }
                            None
                        }
                    },
                };
                Some(Register::with_key(r.key, host)?)
            }
        };
        let templates = templates::software_products()?;
        let mut recipients = Vec::new();
        for (i, r) in target.recipients.into_iter().enumerate() {
            let field = format!("recipients[{i}]");
            match recipient(r, &templates, &mut clients, &mut keep_alive, timeout).await {
                Ok(identity) => recipients.push(identity),
                Err((name, error, fix)) => {
                    problems.push(SetupProblem {
                        part: format!("recipient {name}"),
                        error,
                        fix: fix.replace("{field}", &field),
                    });
                    if !keep_going {
                        bail!(STOPPED);
                    }
                }
            }
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
            registration_aud: target.registration_aud.clone(),
            anonymous: clients.anonymous,
            recipients,
            tls_identities: clients.tls_identities,
            fresh_software_ids: register.is_some(),
            register,
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

/// The error of a build stopped at its first problem (the problem itself is in the list).
const STOPPED: &str = "set-up stopped at the first problem";

/// The Register's JWKS host, serving its key.
async fn register_host(
    h: &crate::environment::target::Host,
    key: &SigningKey,
) -> anyhow::Result<(wiremock::MockServer, String)> {
    let server = bind_host(h.bind, "register.jwks_host").await?;
    let jwks_path = h.public_url.path().to_string();
    serve_jwks(&server, &jwks_path, key, None).await?;
    Ok((server, jwks_path))
}

/// One recipient of a target: its JWKS host when the suite serves it, its SSA, its client.
/// On failure: the recipient's name, the error and the fix (`{field}` stands for the
/// recipient's field).
async fn recipient(
    r: crate::environment::target::TargetRecipient,
    templates: &[SoftwareProduct],
    clients: &mut Clients,
    keep_alive: &mut Vec<Box<dyn std::any::Any + Send + Sync>>,
    timeout: Duration,
) -> Result<RecipientIdentity, (String, anyhow::Error, String)> {
    let name = r.name.clone();
    let fail = |error: anyhow::Error, fix: &str| (name.clone(), error, fix.to_string());
    let lower = r.name.to_ascii_lowercase();
    let mut successor = None;
    if let Jwks::Served(h) = &r.jwks {
        let server = bind_host(h.bind, &format!("JWKS host of recipient {}", r.name))
            .await
            .map_err(|e| {
                fail(
                    e,
                    &format!(
                        "{{field}}.jwks.serve.bind: {} must be free on this machine (stop what holds it, or choose another address)",
                        h.bind
                    ),
                )
            })?;
        serve_jwks(
            &server,
            h.public_url.path(),
            &r.key,
            r.transport_jwk.as_ref(),
        )
        .await
        .map_err(|e| fail(e, "{field}.signing_key: its public JWK cannot be served"))?;
        // The key the recipient moves to when it rotates (DCR-REQ-084), at a path of its own
        // beside the first key set's.
        let key = SigningKey::generate(r.key.alg(), format!("{}-next", r.key.kid()))
            .map_err(|e| fail(e, "{field}.signing_key: PS256 or ES256"))?;
        let mut jwks_uri = h.public_url.clone();
        jwks_uri.set_path(&format!(
            "{}-next",
            h.public_url.path().trim_end_matches('/')
        ));
        serve_jwks(&server, jwks_uri.path(), &key, r.transport_jwk.as_ref())
            .await
            .map_err(|e| fail(e, "{field}.signing_key: its public JWK cannot be served"))?;
        successor = Some(Successor {
            key,
            jwks_uri: jwks_uri.to_string(),
        });
        keep_alive.push(Box::new(server));
    }
    let (product, base_uri, ssa) = match &r.ssa {
        None => {
            let product = templates
                .iter()
                .find(|t| t.name == r.name)
                .cloned()
                .with_context(|| format!("no template for recipient {}", r.name))
                .map_err(|e| fail(e, "{field}.name: expected A or B"))?;
            (product, format!("https://{lower}.recipient.example"), None)
        }
        Some(source) => {
            let ssa = fetch_ssa(source, &r.identity_pem, &r.key, timeout)
                .await
                .with_context(|| format!("obtaining the SSA of recipient {}", r.name))
                .map_err(|e| {
                    fail(
                        e,
                        "{field}.ssa: the SSA source must yield the Register's SSA for this software product; try it on its own",
                    )
                })?;
            let (product, base_uri) = product_from_ssa(&r.name, &ssa).map_err(|e| {
                fail(
                    e,
                    "{field}.ssa: the SSA must carry software_id and redirect_uris (a CDR Register SSA)",
                )
            })?;
            (product, base_uri, Some(ssa))
        }
    };
    let client = clients.recipient(&r.name, &r.identity_pem).map_err(|e| {
        fail(
            e,
            "{field}.certificate and {field}.private_key: give the transport certificate and its own private key",
        )
    })?;
    let impostor = SigningKey::generate(r.key.alg(), r.key.kid())
        .map_err(|e| fail(e, "{field}.signing_key: PS256 or ES256"))?;
    Ok(RecipientIdentity {
        jwks_uri: r.jwks.uri(),
        base_uri,
        client,
        thumbprint: r.thumbprint,
        subject_dn: r.subject_dn,
        impostor,
        key: r.key,
        product,
        ssa,
        successor,
    })
}

/// The recipient a fixed SSA describes, and its `recipient_base_uri`. A CDR Register SSA names
/// its members as RFC 7591 does (`redirect_uris`, `client_name`); an OB Directory SSA as the
/// Directory does (`software_redirect_uris`, `software_client_name`, `software_client_uri`):
/// either is read.
fn product_from_ssa(name: &str, ssa: &str) -> anyhow::Result<(SoftwareProduct, String)> {
    let claims = dcr_vectors::jose::decode_unverified(ssa)?.claims;
    let text = |claim: &str| -> anyhow::Result<String> {
        let directory = format!("software_{claim}");
        match [claim, directory.as_str()]
            .iter()
            .find_map(|c| claims.get(*c).and_then(serde_json::Value::as_str))
        {
            Some(v) => Ok(v.to_string()),
            None => bail!("the SSA of recipient {name} has no string claim {claim:?}"),
        }
    };
    let redirect_uris = claims
        .get("redirect_uris")
        .or_else(|| claims.get("software_redirect_uris"))
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .filter(|v| !v.is_empty())
        .with_context(|| {
            format!("the SSA of recipient {name} has no redirect_uris (nor software_redirect_uris)")
        })?;
    let product = SoftwareProduct {
        name: name.to_string(),
        software_id: text("software_id")?,
        org_id: text("org_id").unwrap_or_default(),
        org_name: text("org_name").unwrap_or_default(),
        ob_org_id: text("org_id").unwrap_or_default(),
        legal_entity_id: text("legal_entity_id").unwrap_or_default(),
        legal_entity_name: text("legal_entity_name").unwrap_or_default(),
        client_name: text("client_name").unwrap_or_default(),
        client_description: text("client_description").unwrap_or_default(),
        redirect_uris,
    };
    let base = text("recipient_base_uri")
        .or_else(|_| text("client_uri"))
        .unwrap_or_default();
    Ok((product, base))
}

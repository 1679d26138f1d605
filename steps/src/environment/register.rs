//! The CDR Register, both as the suite plays it (its signing key, impostor, unpublished and next
//! keys, and the JWKS host that publishes them) and as a network service the suite is a client
//! of (obtaining a recipient's software statement from the source a target file names: a file,
//! a command, or the Register's Get SSA API).

use std::time::Duration;

use anyhow::Context;
use dcr_vectors::keys::public_jwks;
use dcr_vectors::{SigningAlg, SigningKey};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::environment::target::SsaSource;
use crate::http::{self, Exchange, Request};

/// `exchange` with the Register's `endpoint`, when it answered 2xx; otherwise what it did
/// instead: no answer, a redirect (never followed: it would carry the client certificate and
/// the assertion or token elsewhere), or another status.
fn register_answer<'a>(exchange: &'a Exchange, endpoint: &str) -> anyhow::Result<&'a Exchange> {
    if let Some((status, location)) = exchange.redirect() {
        anyhow::bail!(
            "the Register answered {status} → {location} at its {endpoint} ({} {}); the suite follows no redirect",
            exchange.method,
            exchange.url
        );
    }
    match exchange.status() {
        Some(s) if (200..300).contains(&s) => Ok(exchange),
        Some(_) => anyhow::bail!(
            "the Register's {endpoint} refused the request: {}",
            crate::redact::scrub::text(&exchange.summary())
        ),
        None => anyhow::bail!(
            "the Register's {endpoint} did not answer: {}",
            crate::redact::scrub::text(&exchange.summary())
        ),
    }
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
    pub(crate) fn with_key(
        key: SigningKey,
        jwks_host: Option<(MockServer, String)>,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            impostor: SigningKey::generate(key.alg(), key.kid())?,
            unpublished: SigningKey::generate(SigningAlg::Es256, "cdr-register-unpublished")?,
            next: SigningKey::generate(key.alg(), format!("{}-next", key.kid()))?,
            key,
            jwks_host,
        })
    }
}

/// Obtains the SSA `source` describes. `client` presents the recipient's transport
/// certificate (the Register's API uses mutual TLS too); `key` signs its client assertion.
///
/// # Errors
/// A message naming the source and what went wrong.
pub async fn fetch_ssa(
    source: &SsaSource,
    identity_pem: &str,
    key: &SigningKey,
    timeout: Duration,
) -> anyhow::Result<String> {
    let ssa = match source {
        SsaSource::Fixed(jwt) => jwt.clone(),
        SsaSource::Command(argv) => {
            let out = tokio::time::timeout(
                timeout,
                tokio::process::Command::new(&argv[0])
                    .args(&argv[1..])
                    .kill_on_drop(true)
                    .output(),
            )
            .await
            .with_context(|| {
                format!(
                    "ssa.command {:?} did not finish within {timeout:?}",
                    argv[0]
                )
            })?
            .with_context(|| format!("ssa.command {:?} could not be started", argv[0]))?;
            if !out.status.success() {
                anyhow::bail!(
                    "ssa.command {:?} exited with {}: {}",
                    argv[0],
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            String::from_utf8(out.stdout)
                .context("ssa.command printed something that is not UTF-8")?
                .trim()
                .to_string()
        }
        SsaSource::RegisterApi {
            token_endpoint,
            ssa_endpoint,
            client_id,
            ca_pem,
            scope,
        } => {
            let client = http::client_trusting(ca_pem.as_deref(), Some(identity_pem), timeout)?;
            let now = dcr_vectors::time::now();
            let claims = dcr_vectors::jose::client_assertion_claims(client_id, token_endpoint, now);
            let assertion = dcr_vectors::jose::sign_claims(&claims, key)?;
            let form = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "client_credentials")
                .append_pair("client_id", client_id)
                .append_pair("scope", scope)
                .append_pair(
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                )
                .append_pair("client_assertion", &assertion)
                .finish();
            let request = Request::new(reqwest::Method::POST, token_endpoint.clone())
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form);
            let exchange = http::send(&client, "recipient", request, timeout).await;
            let token = register_answer(&exchange, "token endpoint")?;
            let access = token
                .json()
                .as_ref()
                .and_then(|t| t.get("access_token"))
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
                .with_context(|| {
                    format!(
                        "the Register's token response has no access_token: {}",
                        token.summary()
                    )
                })?;
            let request = Request::new(reqwest::Method::GET, ssa_endpoint.clone())
                .header("authorization", format!("Bearer {access}"))
                .header("x-v", "3");
            let exchange = http::send(&client, "recipient", request, timeout).await;
            register_answer(&exchange, "SSA endpoint")?
                .body()
                .unwrap_or_default()
                .trim()
                .to_string()
        }
    };
    dcr_vectors::jose::decode_unverified(&ssa)
        .context("the software statement obtained is not a compact JWS")?;
    Ok(ssa)
}

//! The token endpoint: client_credentials with a private_key_jwt client assertion (CDS "Client
//! Authentication"), used to obtain the `cdr:registration` tokens that management calls need.

use anyhow::{Context, bail};
use cucumber::{given, then, when};
use dcr_vectors::jose;
use serde_json::Value;

use crate::environment::capabilities::Need;
use crate::http::Request;
use crate::scenario::needs::step;
use crate::scenario::params::{AssertionFlaw, Certificate, Recipient, RuleId, Transport};
use crate::scenario::steps::response::{fail, outcome_accepted_by};
use crate::scenario::steps::{management, registration};
use crate::scenario::world::{DcrWorld, Token};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client assertion of recipient `r` with `jti`: valid, or with one `flaw` (see
/// [`AssertionFlaw`]: everything else stays valid).
async fn assertion(
    w: &mut DcrWorld,
    r: Recipient,
    flaw: Option<AssertionFlaw>,
    jti: &str,
) -> anyhow::Result<String> {
    let client_id = w.client_id(r)?;
    let token_endpoint = w.discovered("token_endpoint").await?;
    let issuer = w.discovered("issuer").await?;
    let now = dcr_vectors::time::now();
    let mut claims = jose::client_assertion_claims(&client_id, &token_endpoint, now);
    claims.insert("jti".into(), jti.into());
    let mut set = |name: &str, value: Value| {
        claims.insert(name.into(), value);
    };
    match flaw {
        None | Some(AssertionFlaw::WrongKey | AssertionFlaw::Unsigned | AssertionFlaw::NoKid) => {}
        Some(AssertionFlaw::Hs256WithPublicKey | AssertionFlaw::PreviousKey) => {}
        Some(AssertionFlaw::AudIssuer) => set("aud", issuer.into()),
        Some(AssertionFlaw::WrongIss) => set("iss", "someone-else".into()),
        Some(AssertionFlaw::IssWithSuffix) => {
            set("iss", format!("{client_id}x").into());
            set("sub", format!("{client_id}x").into());
        }
        Some(AssertionFlaw::IssPrefix) => {
            set("iss", without_last_char(&client_id).into());
            set("sub", without_last_char(&client_id).into());
        }
        Some(AssertionFlaw::WrongSub) => set("sub", "someone-else".into()),
        Some(AssertionFlaw::WrongAud) => set("aud", "https://another-holder.example/token".into()),
        Some(AssertionFlaw::AudTrailingSlash) => set("aud", format!("{token_endpoint}/").into()),
        Some(AssertionFlaw::AudWithSuffix) => set("aud", format!("{token_endpoint}x").into()),
        Some(AssertionFlaw::AudPrefix) => set("aud", without_last_char(&token_endpoint).into()),
        Some(AssertionFlaw::AudUpperCasePath) => {
            set(
                "aud",
                near_miss_url(&token_endpoint, NearMiss::UpperCasePath)?.into(),
            );
        }
        Some(AssertionFlaw::AudDotSegment) => {
            set(
                "aud",
                near_miss_url(&token_endpoint, NearMiss::DotSegment)?.into(),
            );
        }
        Some(AssertionFlaw::NoIss) => {
            claims.remove("iss");
        }
        Some(AssertionFlaw::NoSub) => {
            claims.remove("sub");
        }
        Some(AssertionFlaw::NoAud) => {
            claims.remove("aud");
        }
        Some(AssertionFlaw::NoJti) => {
            claims.remove("jti");
        }
        Some(AssertionFlaw::NoExp) => {
            claims.remove("exp");
        }
        Some(AssertionFlaw::Expired) => {
            set("iat", (now - 3600).into());
            set("exp", (now - 3000).into());
        }
        Some(AssertionFlaw::NotYetValid) => set("nbf", (now + 3000).into()),
        Some(AssertionFlaw::PastNbf) => set("nbf", (now - 30).into()),
        Some(AssertionFlaw::ShortLived) => set("exp", (now + 30).into()),
    }
    let env = w.ctx.env.clone();
    let identity = env.recipient(r.name())?;
    let (key, _) = w.current_key(r)?;
    match flaw {
        Some(AssertionFlaw::WrongKey) => jose::sign_claims(&claims, &identity.impostor),
        Some(AssertionFlaw::PreviousKey) => {
            if !w.rotated.contains(&r) {
                bail!("recipient {r} has not moved to a new key in this scenario");
            }
            jose::sign_claims(&claims, &identity.key)
        }
        Some(AssertionFlaw::NoKid) => jose::sign_claims_without_kid(&claims, key),
        Some(AssertionFlaw::Unsigned) => jose::unsecured(&claims, Some(key.kid())),
        Some(AssertionFlaw::Hs256WithPublicKey) => {
            jose::hs256(&claims, &key.public_pem()?, key.kid())
        }
        _ => jose::sign_claims(&claims, key),
    }
}

/// `text` without its last character.
fn without_last_char(text: &str) -> &str {
    text.char_indices().last().map_or(text, |(i, _)| &text[..i])
}

/// A URL that a lenient matcher takes for another but that differs from it as a string (RFC 7519
/// §2: StringOrURI values are compared as case-sensitive strings, without canonicalisation).
#[derive(Debug, Clone, Copy)]
enum NearMiss {
    /// The path in upper case.
    UpperCasePath,
    /// A `.` segment before the last path segment.
    DotSegment,
}

/// `url` made into the near-miss `how`.
///
/// # Errors
/// The URL does not parse, or its path has nothing the near-miss can change (no letters for
/// upper case), so that the result would equal the URL.
fn near_miss_url(url: &str, how: NearMiss) -> anyhow::Result<String> {
    // The path as written (a parsed URL would have its own normalisation).
    let after_scheme = url
        .find("://")
        .map(|i| i + 3)
        .with_context(|| format!("the token endpoint {url:?} is not an absolute URL"))?;
    let start = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    let end = url[start..]
        .find(['?', '#'])
        .map_or(url.len(), |i| start + i);
    let path = if start == end { "/" } else { &url[start..end] };
    let new_path = match how {
        NearMiss::UpperCasePath => path.to_uppercase(),
        NearMiss::DotSegment => match path.rsplit_once('/') {
            Some((head, last)) => format!("{head}/./{last}"),
            None => format!("/.{path}"),
        },
    };
    let near = format!("{}{new_path}{}", &url[..start], &url[end..]);
    if near == url {
        bail!("the token endpoint {url:?} has no path the {how:?} near-miss can change");
    }
    Ok(near)
}

/// How recipient `r` authenticates at the token endpoint: as it registered
/// (`token_endpoint_auth_method` in its registration; `private_key_jwt` when it registered
/// none, as every CDS client does).
enum ClientAuthentication {
    /// `private_key_jwt` (RFC 7523 §2.2): the client assertion.
    PrivateKeyJwt,
    /// `tls_client_auth` (RFC 8705 §2.1.1): the `client_id` form member and the certificate.
    TlsClientAuth(String),
    /// `client_secret_basic` (RFC 6749 §2.3.1): HTTP Basic with the issued secret.
    ClientSecretBasic(String, String),
}

fn client_auth(w: &DcrWorld, r: Recipient) -> anyhow::Result<ClientAuthentication> {
    let Some(registration) = w.registrations.get(&r) else {
        return Ok(ClientAuthentication::PrivateKeyJwt);
    };
    let member = |name: &str| {
        registration
            .get(&w.wire_name(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Ok(
        match member("token_endpoint_auth_method").as_deref() {
            Some("tls_client_auth") => ClientAuthentication::TlsClientAuth(w.client_id(r)?),
            Some("client_secret_basic") => ClientAuthentication::ClientSecretBasic(
                w.client_id(r)?,
                member("client_secret").with_context(|| {
                    format!("recipient {r} registered client_secret_basic but its registration has no client_secret")
                })?,
            ),
            _ => ClientAuthentication::PrivateKeyJwt,
        },
    )
}

/// `text` form-urlencoded.
fn form_encoded(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Posts recipient `r`'s token request with `assertion` and `scope`, presenting `certificate`.
/// A client that registered `tls_client_auth` or `client_secret_basic` authenticates so
/// instead of with the assertion.
async fn token_request(
    w: &mut DcrWorld,
    r: Recipient,
    certificate: Certificate,
    assertion: &str,
    scope: &str,
) -> anyhow::Result<()> {
    let auth = client_auth(w, r)?;
    token_request_as(w, r, certificate, &auth, assertion, scope).await
}

/// Posts recipient `r`'s token request authenticating with `auth` (`assertion` is used for
/// `private_key_jwt`), with `scope`, presenting `certificate`.
async fn token_request_as(
    w: &mut DcrWorld,
    r: Recipient,
    certificate: Certificate,
    auth: &ClientAuthentication,
    assertion: &str,
    scope: &str,
) -> anyhow::Result<()> {
    let endpoint = w.discovered("token_endpoint").await?;
    let mut form = vec![("grant_type", "client_credentials")];
    let mut basic = None;
    match auth {
        ClientAuthentication::PrivateKeyJwt => {
            form.push(("client_assertion_type", ASSERTION_TYPE));
            form.push(("client_assertion", assertion));
        }
        ClientAuthentication::TlsClientAuth(client_id) => form.push(("client_id", client_id)),
        ClientAuthentication::ClientSecretBasic(client_id, secret) => {
            // RFC 6749 §2.3.1: both form-urlencoded before they are joined.
            let pair = format!("{}:{}", form_encoded(client_id), form_encoded(secret));
            basic = Some(format!(
                "Basic {}",
                base64::Engine::encode(&base64::engine::general_purpose::STANDARD, pair)
            ));
        }
    }
    form.push(("scope", scope));
    let body = form
        .iter()
        .map(|(k, v)| format!("{k}={}", form_encoded(v)))
        .collect::<Vec<_>>()
        .join("&");
    let mut request = Request::new(reqwest::Method::POST, endpoint)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json")
        .body(body);
    if let Some(basic) = basic {
        request = request.header("Authorization", &basic);
    }
    w.send(certificate, request).await?;
    let last = w.last()?;
    if last.status() == Some(200)
        && let Some(json) = last.json()
        && let Some(token) = json.get("access_token").and_then(Value::as_str)
    {
        let token = Token {
            access_token: token.to_string(),
            expires_in: json.get("expires_in").and_then(Value::as_u64),
            obtained: std::time::Instant::now(),
        };
        w.tokens.insert(r, token);
    }
    Ok(())
}

/// Registers recipient `r` (fresh SSA, signed request, POST) and keeps the registration.
pub(crate) async fn register(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
    registration::mint(w, r).await?;
    registration::sign_valid(w, r).await?;
    registration::post_request(w, r, r.into()).await?;
    // Its jti is spent: a later PUT must sign a fresh request.
    if let Some(request) = w.requests.get_mut(&r) {
        request.jwt.clear();
    }
    let last = w.last()?;
    match (last.status(), last.json()) {
        (Some(201), Some(Value::Object(registration))) => {
            w.registrations.insert(r, registration);
            Ok(())
        }
        _ => Err(fail(
            "HTTP 201 with a registration (this scenario needs a registered client)",
            last,
        )),
    }
}

step! {
    needs [Need::Isolation];
    #[given(expr = "recipient {recipient} is registered")]
    async fn registered(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        register(w, r).await
    }
}

step! {
    needs [Need::Isolation];
    /// After a registration the holder may make or refuse (a method it need not offer): on 201
    /// the registration from the response is kept; on any other answer recipient `r` registers
    /// as `recipient {r} is registered` does, so that what follows has a client either way. Not
    /// a check: what the status may be is a step of its own.
    #[then(
        expr = "recipient {recipient} keeps the registration from the response, or is registered as usual if it was refused"
    )]
    async fn keep_or_register(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let last = w.last()?;
        if let (Some(201), Some(Value::Object(registration))) = (last.status(), last.json()) {
            w.registrations.insert(r, registration);
            return Ok(());
        }
        register(w, r).await
    }
}

step! {
    needs [Need::Isolation];
    /// Registers and obtains a `cdr:registration` token: the usual start of a management
    /// scenario.
    #[given(expr = "recipient {recipient} is registered and holds a registration access token")]
    async fn registered_with_token(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        register(w, r).await?;
        let scope = w.registration_scope();
        obtain(w, r, &scope).await?;
        if !w.tokens.contains_key(&r) {
            let last = w.last()?;
            return Err(fail(
                "HTTP 200 with an access_token (this scenario needs a cdr:registration token)",
                last,
            ));
        }
        Ok(())
    }
}

step! {
    needs [];
    /// A registration access token for a client the scenario registered itself (with a request
    /// of its own making).
    #[when(expr = "recipient {recipient} obtains a registration access token")]
    async fn obtains_token(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let scope = w.registration_scope();
        obtain_fresh(w, r, &scope).await
    }
}

step! {
    needs [];
    /// After an update that may have changed how the client authenticates: a token obtained
    /// as the registration now stands (a holder may revoke tokens when the auth method
    /// changes), or the one held where no new one can be had (a `client_secret_basic`
    /// registration answered without a secret gives no credential; a refused token request).
    /// Not a check of the token endpoint: the scenario's checks come after it.
    #[when(expr = "recipient {recipient} renews its registration access token where it can")]
    async fn renew_token(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        if client_auth(w, r).is_err() {
            return Ok(());
        }
        let held = w.tokens.remove(&r);
        let scope = w.registration_scope();
        obtain(w, r, &scope).await?;
        if let Some(held) = held
            && !w.tokens.contains_key(&r)
        {
            w.tokens.insert(r, held);
        }
        Ok(())
    }
}

/// Obtains an access token for `scope` with a valid client assertion of recipient `r`.
pub(crate) async fn obtain(w: &mut DcrWorld, r: Recipient, scope: &str) -> anyhow::Result<()> {
    let jti = uuid::Uuid::new_v4().to_string();
    let assertion = assertion(w, r, None, &jti).await?;
    token_request(w, r, r.into(), &assertion, scope).await
}

/// Obtains an access token for `scope` for recipient `r`, failing the step without one. A
/// token held from before is dropped first, so it never stands in for one this request
/// failed to obtain.
async fn obtain_fresh(w: &mut DcrWorld, r: Recipient, scope: &str) -> anyhow::Result<()> {
    w.tokens.remove(&r);
    obtain(w, r, scope).await?;
    if !w.tokens.contains_key(&r) {
        let last = w.last()?;
        return Err(fail(
            &format!("HTTP 200 with an access_token for scope {scope:?}"),
            last,
        ));
    }
    Ok(())
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} requests an access token with scope {string}")]
    async fn request_token(w: &mut DcrWorld, r: Recipient, scope: String) -> anyhow::Result<()> {
        w.tokens.remove(&r);
        obtain(w, r, &scope).await
    }
}

step! {
    needs [];
    /// The profile's registration scope with `extra` added: a request that differs from an
    /// accepted one (TOK-001) by the added value alone.
    #[when(
        expr = "recipient {recipient} requests an access token with its registration scope and {string}"
    )]
    async fn request_token_with_extra(
        w: &mut DcrWorld,
        r: Recipient,
        extra: String,
    ) -> anyhow::Result<()> {
        w.tokens.remove(&r);
        let scope = format!("{} {extra}", w.registration_scope());
        obtain(w, r, scope.trim()).await
    }
}

step! {
    needs [];
    #[given(expr = "recipient {recipient} holds an access token with scope {string}")]
    async fn holds_token(w: &mut DcrWorld, r: Recipient, scope: String) -> anyhow::Result<()> {
        obtain_fresh(w, r, &scope).await
    }
}

step! {
    needs [];
    #[when(
        expr = "recipient {recipient} requests an access token with a client assertion that {assertion_flaw}"
    )]
    async fn request_with_bad_assertion(
        w: &mut DcrWorld,
        r: Recipient,
        flaw: AssertionFlaw,
    ) -> anyhow::Result<()> {
        let jti = uuid::Uuid::new_v4().to_string();
        let assertion = assertion(w, r, Some(flaw), &jti).await?;
        let scope = w.registration_scope();
        token_request(w, r, r.into(), &assertion, &scope).await
    }
}

step! {
    needs [Need::ClientSecretBasic];
    /// Recipient `r` authenticates with HTTP Basic (RFC 6749 §2.3.1) and a secret that is not
    /// the one issued: where it registered `client_secret_basic`, the issued secret with a
    /// suffix, so that a holder comparing prefixes accepts it; where the holder registered it
    /// for another method, its client_id with a secret it was never given (RFC 6749 §5.2's
    /// 401 is owed to any client that attempted HTTP Basic).
    #[when(expr = "recipient {recipient} requests an access token with a wrong client secret")]
    async fn request_with_wrong_secret(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let wrong = match client_auth(w, r)? {
            ClientAuthentication::ClientSecretBasic(client_id, secret) => {
                ClientAuthentication::ClientSecretBasic(client_id, format!("{secret}x"))
            }
            _ => ClientAuthentication::ClientSecretBasic(
                w.client_id(r)?,
                "a-secret-never-issued".to_string(),
            ),
        };
        let scope = w.registration_scope();
        token_request_as(w, r, r.into(), &wrong, "", &scope).await
    }
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} requests two access tokens with the same client assertion")]
    async fn replay_assertion(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let jti = uuid::Uuid::new_v4().to_string();
        let assertion = assertion(w, r, None, &jti).await?;
        let scope = w.registration_scope();
        token_request(w, r, r.into(), &assertion, &scope).await?;
        if w.last()?.status() != Some(200) {
            return Err(fail(
                "HTTP 200 for the first use of the assertion",
                w.last()?,
            ));
        }
        let scope = w.registration_scope();
        token_request(w, r, r.into(), &assertion, &scope).await
    }
}

step! {
    needs [];
    #[when(expr = "a token request for recipient {recipient} is sent {transport}")]
    async fn token_without_cert(
        w: &mut DcrWorld,
        r: Recipient,
        transport: Transport,
    ) -> anyhow::Result<()> {
        let jti = uuid::Uuid::new_v4().to_string();
        let assertion = assertion(w, r, None, &jti).await?;
        let scope = w.registration_scope();
        token_request(w, r, transport.0, &assertion, &scope).await
    }
}

step! {
    needs [Need::SecondRecipient];
    /// Recipient `r`'s token request (its valid assertion, or its `tls_client_auth` client_id)
    /// presenting recipient `other`'s transport certificate.
    #[when(
        expr = "a token request for recipient {recipient} is sent over the certificate of recipient {recipient}"
    )]
    async fn token_over_other_cert(
        w: &mut DcrWorld,
        r: Recipient,
        other: Recipient,
    ) -> anyhow::Result<()> {
        let jti = uuid::Uuid::new_v4().to_string();
        let assertion = assertion(w, r, None, &jti).await?;
        let scope = w.registration_scope();
        token_request(w, r, other.into(), &assertion, &scope).await
    }
}

step! {
    needs [];
    #[then("the token response is a bearer token")]
    fn bearer_token(w: &mut DcrWorld) -> anyhow::Result<()> {
        let last = w.last()?;
        let json = last.json().unwrap_or_default();
        let ok = last.status() == Some(200)
            && json
                .get("access_token")
                .and_then(Value::as_str)
                .is_some_and(|t| !t.is_empty())
            && json
                .get("token_type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("bearer"));
        if !ok {
            return Err(fail(
                "HTTP 200 with access_token and token_type Bearer",
                last,
            ));
        }
        Ok(())
    }
}

step! {
    needs [];
    /// RFC 8705 §3.1: a certificate-bound JWT access token carries `cnf` with the `x5t#S256`
    /// of the certificate it is bound to. Only a token the suite can read is checked here (a JWT
    /// with a JSON payload); an opaque token's binding shows when it is used over another
    /// certificate (DCR-REQ-073).
    #[then(
        expr = "the access token, where it is a JWT, is bound to recipient {recipient}'s certificate"
    )]
    fn token_bound(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let last = w.last()?;
        let json = last.json().unwrap_or_default();
        let Some(token) = json.get("access_token").and_then(Value::as_str) else {
            return Err(fail("HTTP 200 with an access_token", last));
        };
        let Ok(decoded) = jose::decode_unverified(token) else {
            return Ok(());
        };
        let want = w.recipient(r)?.thumbprint.clone();
        let got = decoded
            .claims
            .get("cnf")
            .and_then(|c| c.get("x5t#S256"))
            .and_then(Value::as_str);
        if got != Some(want.as_str()) {
            return Err(fail(
                &format!(
                    "a JWT access token whose cnf.x5t#S256 is the thumbprint of recipient {r}'s certificate ({want}); the token's cnf is {}",
                    decoded
                        .claims
                        .get("cnf")
                        .map_or("absent".into(), Value::to_string)
                ),
                last,
            ));
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then("the token response carries no refresh token")]
    fn no_refresh_token(w: &mut DcrWorld) -> anyhow::Result<()> {
        let last = w.last()?;
        let json = last.json().unwrap_or_default();
        if last.status() != Some(200) || json.get("refresh_token").is_some() {
            return Err(fail("HTTP 200 without a refresh_token", last));
        }
        Ok(())
    }
}

step! {
    needs [];
    /// A token the holder issued (HTTP 200) does not carry `value`: its `scope` member names
    /// the scope granted and leaves `value` out. Without a `scope` member the token carries
    /// the scope requested (RFC 6749 §5.1: the member may be left out only when the two are
    /// identical), so `value` with it. Any other answer passes here: the outcome step judges
    /// its status.
    #[then(expr = "a token the holder issued does not carry the scope {string}")]
    fn issued_without_scope(w: &mut DcrWorld, value: String) -> anyhow::Result<()> {
        let last = w.last()?;
        if last.status() != Some(200) {
            return Ok(());
        }
        let json = last.json().unwrap_or_default();
        match json.get("scope") {
            Some(Value::String(granted)) if !granted.split_whitespace().any(|v| v == value) => {
                Ok(())
            }
            Some(Value::String(_)) => Err(fail(
                &format!("a token whose scope leaves out {value:?} (the client did not register it)"),
                last,
            )),
            Some(_) => Err(fail("a scope member that is a string", last)),
            None => Err(fail(
                &format!(
                    "a scope member naming the scope granted: without one the token carries the scope requested (RFC 6749 §5.1), {value:?} included"
                ),
                last,
            )),
        }
    }
}

/// How many times a token is obtained afresh when the check that it works came back only after
/// its lifetime (a machine too slow for a one-second token), before the step gives up.
const EXPIRY_ATTEMPTS: usize = 3;

step! {
    needs [Need::TokenExpiry];
    /// A real token that worked, waited out for its real lifetime. Where the environment can
    /// give this client short-lived tokens (the embedded holder: one second, this client only)
    /// a fresh token is obtained with that lifetime; on a target the token held keeps its
    /// declared lifetime. The token must then work (the recipient reads its registration with
    /// it: HTTP 200), and the step waits until its `expires_in` and the environment's margin
    /// have passed since it was issued, so that the next step uses a token that expired.
    #[given(expr = "the access token of recipient {recipient} has expired")]
    async fn wait_for_expiry(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let env = w.ctx.env.clone();
        let client_id = w.client_id(r)?;
        let given = env.shorten_token_lifetime(&client_id);
        let shortened = given.is_some();
        for attempt in 1..=EXPIRY_ATTEMPTS {
            let attempt_started = w.exchanges.len();
            if shortened || !w.tokens.contains_key(&r) {
                w.tokens.remove(&r);
                let scope = w.registration_scope();
                obtain(w, r, &scope).await?;
            }
            let token = w
                .tokens
                .get(&r)
                .cloned()
                .with_context(|| format!("recipient {r} holds no token"))?;
            // expires_in is RECOMMENDED, not required (RFC 6749 §5.1: when it is left out the
            // lifetime is given by other means): the lifetime the environment gave the client
            // stands in for it.
            let lifetime = match (token.expires_in, given) {
                (Some(seconds), _) => std::time::Duration::from_secs(seconds),
                (None, Some(given)) => given,
                (None, None) => bail!(
                    "the token response gave no expires_in and the environment cannot shorten its lifetime, so expiry cannot be awaited"
                ),
            };
            let limit = env.max_token_wait;
            if lifetime > limit {
                bail!(
                    "the token lives {} s, longer than the {} s this run may wait for it to expire (--max-token-wait)",
                    lifetime.as_secs(),
                    limit.as_secs()
                );
            }
            management::read_own(w, r).await?;
            let checked = token.obtained.elapsed();
            let last = w.last()?;
            if last.status() == Some(200) {
                let deadline = token.obtained + lifetime + env.token_expiry_margin;
                let _wait = w
                    .ctx
                    .waits
                    .begin(format!("recipient {r}'s access token to expire"), deadline);
                tokio::time::sleep_until(deadline.into()).await;
                return Ok(());
            }
            // A refusal that came back late (more than half the lifetime after the token was
            // obtained) may be its expiry: try again with a fresh token.
            if !(shortened && checked >= lifetime / 2 && attempt < EXPIRY_ATTEMPTS) {
                return Err(fail(
                    "HTTP 200 reading the registration with the token before its lifetime is over (a token must work before its expiry can be observed)",
                    last,
                ));
            }
            // The attempt's exchanges stay in the reports, not in the scenario's snapshot.
            w.unpinned.push(attempt_started..w.exchanges.len());
        }
        bail!("no token could be checked within its lifetime in {EXPIRY_ATTEMPTS} attempts")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_misses_differ_from_the_url_only_where_they_say() {
        let url = "https://127.0.0.1:8443/connect/token?x=1";
        assert_eq!(
            near_miss_url(url, NearMiss::UpperCasePath).expect("upper"),
            "https://127.0.0.1:8443/CONNECT/TOKEN?x=1"
        );
        assert_eq!(
            near_miss_url(url, NearMiss::DotSegment).expect("dot"),
            "https://127.0.0.1:8443/connect/./token?x=1"
        );
        assert_eq!(
            near_miss_url("https://h.example", NearMiss::DotSegment).expect("root"),
            "https://h.example/./"
        );
        assert!(near_miss_url("https://h.example/123", NearMiss::UpperCasePath).is_err());
        assert!(near_miss_url("token", NearMiss::DotSegment).is_err());
        assert_eq!(without_last_char("abc"), "ab");
        assert_eq!(without_last_char(""), "");
    }
}

step! {
    needs [Need::SecondRecipient];
    /// For a request whose metadata a holder may refuse or ignore (RFC 7591 §2 and §3.2.2: a
    /// value the server will not honour is refused as `invalid_client_metadata`, or the member
    /// is ignored): a refusal must be a 400 with `code`; a registration is kept, and its
    /// recipient's own token, used over `other`'s certificate, is judged by `rule`.
    #[then(
        expr = "either the registration is refused with 400 {string}, or recipient {recipient}'s token from it is refused over the certificate of recipient {recipient} as {rule_id} accepts"
    )]
    async fn refused_or_judged_over_other_cert(
        w: &mut DcrWorld,
        code: String,
        r: Recipient,
        other: Recipient,
        rule: RuleId,
    ) -> anyhow::Result<()> {
        let last = w.last()?;
        if last.status() != Some(201) {
            let got = last.json().and_then(|body| w.profile().wire.errors.code(&body));
            if last.status() == Some(400) && got.as_deref() == Some(code.as_str()) {
                return Ok(());
            }
            return Err(fail(
                &format!("HTTP 201 with a registration, or HTTP 400 with error {code:?}"),
                last,
            ));
        }
        let Some(Value::Object(registration)) = last.json() else {
            return Err(fail("a JSON registration", last));
        };
        w.registrations.insert(r, registration);
        let scope = w.registration_scope();
        obtain(w, r, &scope).await?;
        if !w.tokens.contains_key(&r) {
            return Err(fail(
                "HTTP 200 with an access_token for the registered client",
                w.last()?,
            ));
        }
        management::read_own_over(w, r, other.into()).await?;
        outcome_accepted_by(w, &rule.0)
    }
}

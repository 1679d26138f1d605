//! `POST /token`: the client credentials grant (RFC 6749 §4.4) with `private_key_jwt` client
//! authentication (RFC 7523, CDS "Client Authentication"), issuing certificate-bound access
//! tokens (RFC 8705).
//!
//! The client assertion is checked in this order: `alg` PS256/ES256 and a `kid`; `iss` names a
//! registered client; the signature verifies with that client's key (by `kid`) from its
//! registered `jwks_uri`; `sub` = `iss`; `aud` is the issuer or the token endpoint URL (string
//! or array); `exp` present and not past (with the configured skew); `iat`, if present, not in
//! the future; `jti` present and never seen before. Every failure is 400 `invalid_client`.
//!
//! UK flavours (`TokenAuth::Registered`): a client authenticates by the method it registered
//! (`private_key_jwt`, possibly without `kid`; `tls_client_auth`; `client_secret_basic`), and
//! `scope` may be absent or empty (a management token needs none, uk-dcr.md §1.3).
//!
//! Scope: the requested scopes must be a non-empty subset of the client's registered `scope`.
//! The mock deliberately issues client_credentials tokens for *any* registered scope (e.g.
//! `openid`), not only `cdr:registration`, so that a suite can obtain a token without
//! `cdr:registration` and check that management calls answer 403 with it. A flavour may grant
//! some scopes to any client (`TokenRules::always_grantable`: WSO2 OB's `openid`).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::{Map, Value, json};

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::extract::FormBody;
use crate::flavour::TokenAuth;
use crate::jose::{ALLOWED_ALGS, header_alg_and_kid, split_jws, str_claim, verify_compact};
use crate::jwks::JwksError;
use crate::lifetime::{Clock, numeric_date};
use crate::state::{AppState, blocking};
use crate::store::StoredClient;
use crate::tls::ClientCert;
use crate::tokens;
use crate::variation::Variation;

/// RFC 7523 §2.2.
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The token route.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(
        "/token",
        post(answer).fallback(|| async { OAuthError::MethodNotAllowed("POST") }),
    )
}

fn client_error(text: impl Into<String>) -> OAuthError {
    OAuthError::InvalidClient(text.into())
}

fn param<'a>(form: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    form.get(name).map(String::as_str).filter(|v| !v.is_empty())
}

/// `POST /token`: the token request's answer; a failed client authentication is 401 under the
/// `token-invalid-client-401` variation (RFC 6749 §5.2 allows either).
async fn answer(
    State(state): State<AppState>,
    cert: Extension<ClientCert>,
    headers: HeaderMap,
    form: FormBody,
) -> Response {
    match token(State(state.clone()), cert, headers, form).await {
        Ok(r) => r.into_response(),
        Err(e @ OAuthError::InvalidClient(_))
            if state.variation(Variation::TokenInvalidClient401) =>
        {
            let mut response = e.into_response();
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer error=\"invalid_client\""),
            );
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn token(
    State(state): State<AppState>,
    Extension(cert): Extension<ClientCert>,
    headers: HeaderMap,
    FormBody(form): FormBody,
) -> Result<impl IntoResponse, OAuthError> {
    match param(&form, "grant_type") {
        None => return Err(OAuthError::InvalidRequest("grant_type is required".into())),
        Some("client_credentials") => {}
        Some(other) => {
            return Err(OAuthError::UnsupportedGrantType(format!(
                "The grant_type {other} is not supported; use client_credentials"
            )));
        }
    }
    let client = match state.policy().token.auth {
        TokenAuth::PrivateKeyJwt => private_key_jwt(&state, &form).await?,
        TokenAuth::Registered => authenticate_registered(&state, &headers, &form, &cert).await?,
    };
    if let Some(id) = param(&form, "client_id")
        && id != client.client_id
    {
        return Err(client_error(
            "client_id does not match the client_assertion iss",
        ));
    }
    let thumbprint = cert
        .thumbprint
        .ok_or_else(|| client_error("A client certificate is required"))?;

    let registered = client
        .metadata
        .get("scope")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut requested: Vec<&str> = param(&form, "scope")
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    if requested.is_empty() && !state.policy().token.scope_optional {
        return Err(OAuthError::InvalidScope(
            "scope is required (for registration management: cdr:registration)".into(),
        ));
    }
    let always = state.policy().token.always_grantable;
    // Variation `token-drops-unregistered-scope`: the values the client may have are granted
    // and the others left out (RFC 6749 §3.3), where any remain.
    let grantable = |s: &&str| registered.split_whitespace().any(|r| r == *s) || always.contains(s);
    if state.variation(Variation::TokenDropsUnregisteredScope) && requested.iter().any(grantable) {
        requested.retain(grantable);
    }
    if let Some(bad) = requested
        .iter()
        .find(|s| !grantable(s) && !state.defect(Defect::TokenGrantsUnregisteredScope))
    {
        return Err(OAuthError::InvalidScope(format!(
            "The scope {bad} is not registered for this client"
        )));
    }
    let mut scope: Vec<&str> = Vec::with_capacity(requested.len());
    for s in requested {
        if !scope.contains(&s) {
            scope.push(s);
        }
    }
    let scope = scope.join(" ");
    // Defect `honour-unbound-tokens`: a client that asked for unbound tokens gets one bound to
    // no certificate.
    let thumbprint = if state.defect(Defect::HonourUnboundTokens)
        && client.metadata.get(super::register::UNBOUND_TOKENS) == Some(&Value::Bool(false))
    {
        String::new()
    } else {
        thumbprint
    };
    let issued = tokens::issue(
        &state,
        &client.client_id,
        &client.metadata,
        &scope,
        &thumbprint,
    )?;
    tracing::info!(client_id = client.client_id, scope, "access token issued");
    let mut response = json!({
        "access_token": issued.token,
        "token_type": if state.variation(Variation::LowercaseBearer) { "bearer" } else { "Bearer" },
        "expires_in": issued.expires_in,
        "scope": scope,
    });
    if (state.variation(Variation::TokenWithoutScope) || scope.is_empty())
        && let Some(members) = response.as_object_mut()
    {
        members.remove("scope");
    }
    if state.variation(Variation::TokenWithoutExpiresIn)
        && let Some(members) = response.as_object_mut()
    {
        members.remove("expires_in");
    }
    if state.variation(Variation::ExtraTokenMembers) {
        response["mock_holder_extension"] = json!("an unknown member a recipient ignores");
    }
    if state.defect(Defect::IssueRefreshToken) {
        response["refresh_token"] = json!(uuid::Uuid::new_v4().to_string());
    }
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::PRAGMA, "no-cache"),
        ],
        Json(response),
    ))
}

/// The client authenticated by the `private_key_jwt` assertion of `form`.
async fn private_key_jwt(
    state: &AppState,
    form: &HashMap<String, String>,
) -> Result<StoredClient, OAuthError> {
    if param(form, "client_assertion_type") != Some(JWT_BEARER) {
        return Err(client_error(format!(
            "client_assertion_type must be {JWT_BEARER}"
        )));
    }
    let assertion = param(form, "client_assertion")
        .ok_or_else(|| client_error("client_assertion is required"))?;
    authenticate(state, assertion).await
}

/// The registration of `client_id`, or `invalid_client`.
async fn registered_client(state: &AppState, client_id: &str) -> Result<StoredClient, OAuthError> {
    let (lookup, id) = (state.clone(), client_id.to_string());
    blocking(move || Ok(lookup.store().client(&id)?))
        .await?
        .ok_or_else(|| client_error("The client is unknown"))
}

/// A failed HTTP Basic authentication: 401 with a `Basic` challenge (RFC 6749 §5.2).
fn basic_error(text: &str) -> OAuthError {
    OAuthError::Flavoured(Box::new(crate::error::Flavoured {
        status: StatusCode::UNAUTHORIZED,
        code: "invalid_client",
        description: text.into(),
        challenge: Some("Basic realm=\"token\"".into()),
    }))
}

/// `value`, form-urlencoded as RFC 6749 §2.3.1 has Basic credentials encoded, decoded.
fn form_decoded(value: &str) -> String {
    let pair = format!("v={value}");
    url::form_urlencoded::parse(pair.as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// UK DCR: the client authenticated by the method it registered (uk-dcr.md §1.3):
/// `private_key_jwt` (an assertion, possibly without `kid`), `client_secret_basic` (HTTP
/// Basic, RFC 6749 §2.3.1) or `tls_client_auth` (the form's `client_id` and this connection's
/// certificate, whose subject DN must be the registered `tls_client_auth_subject_dn`, RFC
/// 8705 §2.1, UK-REQ-060; compared by `crate::dn`).
async fn authenticate_registered(
    state: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    cert: &ClientCert,
) -> Result<StoredClient, OAuthError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("Basic"))
        .map(|(_, credentials)| credentials.trim().to_string());
    let (client, method) = if param(form, "client_assertion").is_some() {
        (private_key_jwt(state, form).await?, "private_key_jwt")
    } else if let Some(credentials) = basic {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| basic_error("The Basic credentials are not base64 of id:secret"))?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| basic_error("The Basic credentials are not base64 of id:secret"))?;
        let (id, secret) = (form_decoded(id), form_decoded(secret));
        let client = registered_client(state, &id)
            .await
            .map_err(|_| basic_error("The client is unknown"))?;
        let registered = client.metadata.get("client_secret").and_then(Value::as_str);
        let same = registered.is_some_and(|r| {
            use sha2::Digest;
            sha2::Sha256::digest(r.as_bytes()) == sha2::Sha256::digest(secret.as_bytes())
        });
        if !same {
            return Err(basic_error("The client secret is not valid"));
        }
        (client, "client_secret_basic")
    } else if let Some(id) = param(form, "client_id") {
        let client = registered_client(state, id).await?;
        let wanted = client
            .metadata
            .get("tls_client_auth_subject_dn")
            .and_then(Value::as_str)
            .and_then(crate::dn::parse);
        let presented = cert.leaf.as_deref().and_then(crate::dn::of_certificate);
        let matches = matches!((&wanted, &presented), (Some(w), Some(p)) if w == p);
        if !matches && !state.defect(Defect::UkTlsClientAuthDnUnchecked) {
            return Err(client_error(
                "The client certificate's subject DN is not the registered tls_client_auth_subject_dn",
            ));
        }
        (client, "tls_client_auth")
    } else {
        return Err(client_error(
            "Client authentication is required: a client_assertion (private_key_jwt), HTTP Basic (client_secret_basic) or client_id with the registered certificate (tls_client_auth)",
        ));
    };
    let registered = client
        .metadata
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
        .unwrap_or("private_key_jwt");
    if registered != method {
        return Err(client_error(format!(
            "The client registered token_endpoint_auth_method {registered}, not {method}"
        )));
    }
    Ok(client)
}

/// The header's `alg` of an assertion without `kid` (PS256 or ES256 only).
fn kidless_alg(header: &Map<String, Value>) -> Result<&str, OAuthError> {
    match header.get("alg").and_then(Value::as_str) {
        Some(alg) if ALLOWED_ALGS.contains(&alg) => Ok(alg),
        Some(alg) => Err(client_error(format!(
            "the client_assertion must be signed with PS256 or ES256, not {alg}"
        ))),
        None => Err(client_error("the client_assertion header has no alg")),
    }
}

/// Authenticates the client by its `private_key_jwt` assertion; returns its registration.
async fn authenticate(state: &AppState, assertion: &str) -> Result<StoredClient, OAuthError> {
    let (header, unverified) = split_jws(assertion.trim())
        .ok_or_else(|| client_error("The client_assertion is not a compact JWS"))?;
    // Defect `assertion-iss-optional`: an assertion without iss names its client by sub.
    let iss = str_claim(&unverified, "iss")
        .or_else(|| {
            state
                .defect(Defect::AssertionIssOptional)
                .then(|| str_claim(&unverified, "sub"))
                .flatten()
        })
        .ok_or_else(|| client_error("The client_assertion has no iss"))?
        .to_string();
    let lookup = state.clone();
    let id = iss.clone();
    let prefix_match = state.defect(Defect::AssertionClientPrefixMatch);
    let client = blocking(move || {
        let store = lookup.store();
        Ok(match store.client(&id)? {
            None if prefix_match => store.client_by_prefix(&id)?,
            found => found,
        })
    })
    .await?
    .ok_or_else(|| client_error("The client is unknown"))?;
    if state.defect(Defect::AcceptUnsignedAssertion)
        && header.get("alg").and_then(Value::as_str) == Some("none")
    {
        let clock = state.clock();
        check_claims(state, clock, &unverified, &iss)?;
        return Ok(client);
    }
    // UK DCR (uk-dcr.md §1.3, UK-REQ-059): CT signs its assertion without `kid`; every key of
    // the client's key set is then tried.
    let kidless = state.policy().token.kidless_assertions
        && !header.contains_key("kid")
        && !state.defect(Defect::UkKidlessAssertionRefused);
    let (alg, kid) = if kidless {
        (kidless_alg(&header)?, None)
    } else {
        let (alg, kid) = header_alg_and_kid(&header, "client_assertion").map_err(client_error)?;
        (alg, Some(kid))
    };
    // OIDC Core §9 / RFC 7591: the client signs with the algorithm it registered (a flavour
    // where it is optional names the algorithms of a client that registered none).
    let registered_alg = client
        .metadata
        .get("token_endpoint_auth_signing_alg")
        .and_then(Value::as_str);
    let unregistered_ok =
        registered_alg.is_none() && state.policy().token.algs_when_unregistered.contains(&alg);
    let registered_alg = registered_alg.unwrap_or_default();
    if alg != registered_alg && !unregistered_ok {
        return Err(client_error(format!(
            "The client_assertion is signed with {alg}, but the client registered token_endpoint_auth_signing_alg {registered_alg}"
        )));
    }
    // WSO2 Accelerator 3.x registrations keep the SSA's key set apart when they answer no
    // `jwks_uri` (registration/accelerator.rs).
    let jwks_uri = client
        .metadata
        .get("jwks_uri")
        .or_else(|| client.metadata.get("software_jwks_endpoint"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let claims = match kid {
        // Defect `assertion-signature-unchecked`: the header is read, the signature not.
        _ if state.defect(Defect::AssertionSignatureUnchecked) => unverified,
        Some(kid) => {
            let verifier = state
                .jwks()
                .verifier_for(jwks_uri, kid, alg, "client_assertion", true)
                .await
                .map_err(|e| match e {
                    Ok(text) => client_error(text),
                    Err(JwksError::UnknownKid { .. }) => client_error(format!(
                        "No key with kid {kid} at the client's registered jwks_uri"
                    )),
                    Err(other) => {
                        client_error(format!("Could not load the client's JWKS: {other}"))
                    }
                })?;
            verify_compact(assertion.trim(), verifier.as_ref()).map_err(|e| {
                client_error(format!("The client_assertion signature is not valid: {e}"))
            })?
        }
        None => state
            .jwks()
            .verifiers_for_alg(jwks_uri, alg)
            .await
            .map_err(|e| client_error(format!("Could not load the client's JWKS: {e}")))?
            .iter()
            .find_map(|v| verify_compact(assertion.trim(), v.as_ref()).ok())
            .ok_or_else(|| {
                client_error(format!(
                    "The client_assertion (no kid) verifies with no {alg} key of the client's registered jwks_uri"
                ))
            })?,
    };
    let clock = state.clock();
    let exp = check_claims(state, clock, &claims, &iss)?;
    let Some(jti) = str_claim(&claims, "jti").map(str::to_string) else {
        if state.defect(Defect::AssertionJtiOptional) {
            return Ok(client);
        }
        return Err(client_error("The client_assertion has no jti"));
    };
    let recorder = state.clone();
    let fresh = blocking(move || {
        Ok(recorder.store().record_jti(
            "client_assertion",
            &jti,
            clock.replay_until(exp),
            clock.now,
        )?)
    })
    .await?;
    if !fresh {
        return Err(client_error(
            "The client_assertion jti has been used before",
        ));
    }
    Ok(client)
}

/// The assertion's own claims; returns its `exp`.
fn check_claims(
    state: &AppState,
    clock: Clock,
    claims: &Map<String, Value>,
    iss: &str,
) -> Result<i64, OAuthError> {
    let iss_absent_taken =
        state.defect(Defect::AssertionIssOptional) && !claims.contains_key("iss");
    if str_claim(claims, "iss") != Some(iss) && !iss_absent_taken {
        return Err(client_error("The client_assertion iss changed"));
    }
    if str_claim(claims, "sub") != Some(iss) && !state.defect(Defect::AssertionSubUnchecked) {
        return Err(client_error(
            "The client_assertion sub must equal its iss (the client_id)",
        ));
    }
    let urls = &state.urls();
    let accepted = [urls.issuer.as_str(), urls.token_endpoint.as_str()];
    let matches = |a: &str| {
        accepted.contains(&a)
            || (state.defect(Defect::AssertionAudNormalised)
                && accepted.iter().any(|u| loosely(u) == loosely(a)))
            || (state.defect(Defect::AssertionAudPrefixMatch)
                && accepted
                    .iter()
                    .any(|u| u.starts_with(a) || a.starts_with(u)))
    };
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => matches(a),
        Some(Value::Array(items)) => items.iter().any(|a| a.as_str().is_some_and(matches)),
        _ => false,
    };
    if !aud_ok && !state.defect(Defect::SkipAssertionAud) {
        return Err(client_error(format!(
            "The client_assertion aud must be {} or {}",
            urls.issuer, urls.token_endpoint
        )));
    }
    let now = clock.now;
    let time = |name: &str| numeric_date(claims, name, SUBJECT).map_err(client_error);
    // Defect `assertion-exp-optional`: an assertion without exp is taken as valid for a minute
    // (its jti is remembered that long).
    let exp = match time("exp")? {
        Some(exp) => exp,
        None if state.defect(Defect::AssertionExpOptional) => now + 60,
        None => return Err(client_error("The client_assertion has no exp")),
    };
    if state.defect(Defect::MinimumAssertionLifetime) && exp < now + 60 {
        return Err(client_error(
            "The client_assertion must be valid for at least 60 seconds",
        ));
    }
    if clock.is_past(exp) {
        return Err(client_error(format!(
            "The client_assertion has expired (exp {exp}, now {now})"
        )));
    }
    if clock.is_too_far(exp) {
        return Err(client_error(clock.too_far_message(SUBJECT, exp)));
    }
    if let Some(iat) = time("iat")?
        && clock.is_future(iat)
    {
        return Err(client_error(format!(
            "The client_assertion was issued in the future (iat {iat}, now {now})"
        )));
    }
    if state.defect(Defect::RefuseAnyNbf) && claims.contains_key("nbf") {
        return Err(client_error("The client_assertion must not carry nbf"));
    }
    if let Some(nbf) = time("nbf")?
        && clock.is_future(nbf)
        && !state.defect(Defect::AssertionNbfIgnored)
    {
        return Err(client_error(format!(
            "The client_assertion is not valid yet (nbf {nbf}, now {now})"
        )));
    }
    Ok(exp)
}

/// A URL as a lenient matcher sees it (defect `assertion-aud-normalised`): lower case, no
/// `.` segments, no trailing slash.
fn loosely(url: &str) -> String {
    url.to_ascii_lowercase()
        .replace("/./", "/")
        .trim_end_matches('/')
        .to_string()
}

/// How the assertion is named in messages about its times.
const SUBJECT: &str = "The client_assertion";

//! Access tokens: issued by the token endpoint, checked by the registration management
//! endpoints.
//!
//! An access token is a JWT signed by the holder's own ES256 key (persisted in the store, so
//! tokens survive a restart) carrying `iss`, `sub` = `client_id`, `scope`, `iat`, `exp`, `jti`
//! and the RFC 8705 confirmation `cnf.x5t#S256` of the client certificate it was issued to.
//! [`authorize`] applies the checks of RFC 6750 and the CDS in this order: a token is present
//! (else 401 `Bearer`), it verifies with our key, is ours (`iss`), unexpired and not revoked
//! (else 401 `invalid_token`), it is bound to the certificate of this connection (else 401
//! `invalid_token`), it has `cdr:registration` (else 403 `insufficient_scope`), and its client
//! is the one in the path and still registered (else 401, and the token is revoked: RFC 7592).
//!
//! The flavour's policy (`Management`) says which scope is needed (WSO2 OB 1.4: none), whether
//! the token naming an unknown client is revoked, and whether a DELETE revoked the client's
//! tokens (then a later call with one is a revoked token, not an unknown client); the handlers
//! word the errors in the flavour's dialect.

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::jose::{split_jws, str_claim};
use crate::lifetime::Clock;
use crate::state::{AppState, blocking};
use crate::store::ClientRow;
use crate::tls::ClientCert;
use crate::token_key::{AUTH_METHOD_CLAIM, TokenClaims};
use crate::variation::Variation;

/// A freshly issued access token.
#[derive(Debug)]
pub(crate) struct Issued {
    /// The compact JWT.
    pub(crate) token: String,
    /// Lifetime in seconds.
    pub(crate) expires_in: i64,
}

/// Issues a token for `client_id` with `scope`, bound to the certificate `thumbprint`.
/// `metadata` is the client's as registered: variation `revoke-tokens-on-auth-change` writes
/// its `token_endpoint_auth_method` into the token, which then serves only while the
/// registration keeps it.
///
/// # Errors
/// Fails only when signing fails.
pub(crate) fn issue(
    state: &AppState,
    client_id: &str,
    metadata: &Map<String, Value>,
    scope: &str,
    thumbprint: &str,
) -> Result<Issued, OAuthError> {
    let now = state.now();
    let (exp, expires_in) = match state.client_token_lifetime(client_id) {
        // A lifetime given to this client expires to the millisecond: with a whole-second
        // `exp`, a one-second token issued late in a second would live only what is left of
        // that second. `expires_in` is whole seconds (RFC 6749 §5.1), rounded up, so the token
        // never outlives what it declares.
        Some(lifetime) => {
            let millis = lifetime.as_millis() as i64;
            let exp = (state.now_millis() + millis) as f64 / 1000.0;
            (json!(exp), (millis + 999) / 1000)
        }
        None => {
            let expires_in = crate::lifetime::seconds(state.settings().token_lifetime);
            (json!(now.saturating_add(expires_in)), expires_in)
        }
    };
    let mut claims = json!({
        "iss": state.urls().issuer,
        "sub": client_id,
        "client_id": client_id,
        "scope": scope,
        "iat": now,
        "exp": exp,
        "jti": uuid::Uuid::new_v4().to_string(),
        "cnf": {"x5t#S256": confirmation(state, thumbprint)},
    });
    if state.variation(Variation::RevokeTokensOnAuthChange) {
        claims[AUTH_METHOD_CLAIM] = json!(auth_method(metadata));
    }
    let mut header = dcr_vectors::jose::header_for(state.token_key().key());
    header.insert("typ".into(), Value::String("at+jwt".into()));
    let payload = serde_json::to_vec(&claims).map_err(anyhow::Error::from)?;
    let token = dcr_vectors::jose::sign_compact(&header, &payload, state.token_key().signer())?;
    let token = if state.variation(Variation::OpaqueAccessToken) {
        state.opaque_token(token)
    } else {
        token
    };
    Ok(Issued { token, expires_in })
}

/// The `cnf.x5t#S256` written for the certificate `thumbprint` (base64url of its SHA-256,
/// RFC 8705 §3.1). Defect `cnf-hex-thumbprint` writes the digest in hex instead, and compares
/// the connection's certificate the same way, so its tokens still work only over their own
/// certificate: only a client reading `cnf` sees the fault.
fn confirmation(state: &AppState, thumbprint: &str) -> String {
    use base64::Engine as _;
    if !state.defect(Defect::CnfHexThumbprint) || thumbprint.is_empty() {
        return thumbprint.to_string();
    }
    match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(thumbprint) {
        Ok(digest) => digest.iter().map(|b| format!("{b:02x}")).collect(),
        Err(_) => thumbprint.to_string(),
    }
}

/// The `token_endpoint_auth_method` of a stored registration, if it has one.
fn registered_auth_method(client: &ClientRow) -> Option<String> {
    let metadata = serde_json::from_str::<Map<String, Value>>(&client.metadata_json).ok()?;
    auth_method(&metadata).map(str::to_string)
}

/// The `token_endpoint_auth_method` of a client's metadata, if it has one.
fn auth_method(metadata: &Map<String, Value>) -> Option<&str> {
    metadata
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
}

fn invalid(text: impl Into<String>) -> OAuthError {
    OAuthError::InvalidToken(text.into())
}

/// The bearer token of `headers`, if any (RFC 6750 §2.1; the scheme is case-insensitive).
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("Bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// Verifies the signature and the claims every use of a token needs. A token whose signature
/// was verified before is taken from the [`crate::token_key::VerifiedTokens`] cache; its expiry (and, by the
/// caller, its revocation) is still checked on every use.
fn verify(state: &AppState, token: &str) -> Result<Arc<TokenClaims>, OAuthError> {
    let signed;
    let token = if state.variation(Variation::OpaqueAccessToken) {
        signed = state
            .signed_token(token)
            .ok_or_else(|| invalid("The access token was not issued by this holder"))?;
        signed.as_str()
    } else {
        token
    };
    let claims = match state.token_key().verified().get(token) {
        Some(claims) => claims,
        None if state.defect(Defect::TrustUnverifiedTokens) => Arc::new(TokenClaims::from_payload(
            &split_jws(token)
                .ok_or_else(|| invalid("The access token is malformed"))?
                .1,
        )),
        None => {
            let claims = Arc::new(TokenClaims::from_payload(&verify_signature(state, token)?));
            state.token_key().verified().put(token, claims.clone());
            claims
        }
    };
    let exp_ms = claims
        .exp_ms
        .ok_or_else(|| invalid("The access token has no exp"))?;
    if exp_ms <= state.now_millis() && !state.defect(Defect::AcceptExpiredToken) {
        return Err(invalid("The access token has expired"));
    }
    // Only a token this holder signed gets here, and it issues none longer than its token
    // lifetime: an `exp` beyond that is absurd (a forged or corrupted token), not a long lease.
    let longest = state
        .settings()
        .token_lifetime
        .max(state.settings().max_jwt_lifetime);
    let exp = exp_ms.div_euclid(1000);
    if Clock::new(state.now(), state.settings().clock_skew, longest).is_too_far(exp) {
        return Err(invalid("The access token expires too far in the future"));
    }
    Ok(claims)
}

/// Checks the bearer token of `headers` as a management call would, without the client and
/// scope checks (only the `check-authorization-on-post` defect: see [`crate::defect`]).
///
/// # Errors
/// 401 as in [`authorize`].
pub(crate) fn verify_bearer(state: &AppState, headers: &HeaderMap) -> Result<(), OAuthError> {
    let token = bearer(headers).ok_or(OAuthError::MissingToken)?;
    verify(state, token).map(|_| ())
}

fn verify_signature(state: &AppState, token: &str) -> Result<Map<String, Value>, OAuthError> {
    let (header, _) = split_jws(token).ok_or_else(|| invalid("The access token is malformed"))?;
    if header.get("alg").and_then(Value::as_str) != Some("ES256")
        || header.get("kid").and_then(Value::as_str) != Some(state.token_key().key().kid())
    {
        return Err(invalid("The access token was not issued by this holder"));
    }
    let (payload, _) = josekit::jws::deserialize_compact(token, state.token_key().verifier())
        .map_err(|_| invalid("The access token signature is not valid"))?;
    let claims: Map<String, Value> = serde_json::from_slice(&payload)
        .map_err(|_| invalid("The access token payload is not a JSON object"))?;
    if str_claim(&claims, "iss") != Some(state.urls().issuer.as_str()) {
        return Err(invalid("The access token was not issued by this holder"));
    }
    Ok(claims)
}

/// Authorizes a management call on the registration `path_client_id`, made with `headers` on
/// a connection with `cert`; returns the registration, as stored. Handlers get this through
/// the [`crate::extract::ManagedClient`] extractor.
///
/// # Errors
/// 401 (`Bearer`, or `invalid_token`) or 403 (`insufficient_scope`) as described in the module
/// documentation; 500 on store failures.
pub(crate) async fn authorize(
    state: &AppState,
    headers: &HeaderMap,
    cert: &ClientCert,
    path_client_id: &str,
) -> Result<ClientRow, OAuthError> {
    let Some(token) = bearer(headers) else {
        if state.defect(Defect::ManagementWithoutToken) {
            let lookup = state.clone();
            let id = path_client_id.to_string();
            return match blocking(move || Ok(lookup.store().client_row(&id)?)).await? {
                Some(client) => Ok(client),
                None => Err(OAuthError::UnknownClient),
            };
        }
        if state.defect(Defect::UkMissingToken403) {
            return Err(OAuthError::flavoured(
                axum::http::StatusCode::FORBIDDEN,
                "access_denied",
                "A bearer access token is required",
            ));
        }
        return Err(OAuthError::MissingToken);
    };
    let claims = verify(state, token)?;
    let jti = claims
        .jti
        .clone()
        .ok_or_else(|| invalid("The access token has no jti"))?;
    // Whole seconds, rounded up: the revocation is kept until the token has expired.
    let exp = claims
        .exp_ms
        .unwrap_or_default()
        .saturating_add(999)
        .div_euclid(1000);
    let client_id = claims
        .client_id
        .clone()
        .ok_or_else(|| invalid("The access token has no client_id"))?;
    let state2 = state.clone();
    let (jti2, id2) = (jti.clone(), client_id.clone());
    let (revoked, client) =
        blocking(move || Ok(state2.store().authorization(&jti2, &id2)?)).await?;
    if revoked {
        return Err(invalid("The access token has been revoked"));
    }
    // Defect `honour-unbound-tokens`: a token bound to no certificate (an empty thumbprint)
    // is taken over any connection.
    let unbound = state.defect(Defect::HonourUnboundTokens) && claims.bound.as_deref() == Some("");
    let presented = cert.thumbprint.as_deref().map(|t| confirmation(state, t));
    if (claims.bound.is_none() || claims.bound != presented)
        && !state.defect(Defect::SkipHolderOfKey)
        && !unbound
    {
        return Err(OAuthError::WrongCertificate(
            "The access token is not bound to the client certificate of this connection".into(),
        ));
    }
    let management = state.policy().management;
    if let Some(scope) = management.scope {
        let has_scope = claims.scope.split_whitespace().any(|s| s == scope);
        if !has_scope
            && !state.defect(Defect::SkipRegistrationScope)
            && !state.defect(Defect::AcceleratorScopeUnchecked)
        {
            return Err(OAuthError::InsufficientScope(format!(
                "The access token does not have the {scope} scope"
            )));
        }
    }
    if state.defect(Defect::UkManagementNeedsScope) && claims.scope.trim().is_empty() {
        return Err(OAuthError::InsufficientScope(
            "The access token has no scope".into(),
        ));
    }
    match client {
        // Variation `revoke-tokens-on-auth-change`: a token issued while the client
        // authenticated otherwise ended with that method.
        Some(client)
            if client.client_id == path_client_id
                && state.variation(Variation::RevokeTokensOnAuthChange)
                && registered_auth_method(&client).as_deref() != claims.auth_method.as_deref() =>
        {
            return Err(invalid(
                "The access token was issued before the client's token_endpoint_auth_method changed",
            ));
        }
        Some(client) if client.client_id == path_client_id => return Ok(client),
        // UK DCR: the token of another client on an existing client's path is refused without
        // revoking it; "immediately revokes" is for an unknown ClientId (uk-dcr.md §1.3, §9.10).
        Some(_)
            if (management.revoke_on_unknown_client && !management.revoke_on_other_client)
                || state.defect(Defect::UkOtherClientAllowed) =>
        {
            let (state2, id) = (state.clone(), path_client_id.to_string());
            if let Some(other) = blocking(move || Ok(state2.store().client_row(&id)?)).await? {
                if state.defect(Defect::UkOtherClientAllowed) {
                    return Ok(other);
                }
                if state.variation(Variation::UkOtherClient403) {
                    return Err(OAuthError::flavoured(
                        axum::http::StatusCode::FORBIDDEN,
                        "access_denied",
                        "The access token was issued to another client",
                    ));
                }
                return Err(OAuthError::UnknownClient);
            }
        }
        None if management.delete_revokes_tokens => {
            // A DELETE revoked the client's tokens with it.
            let (state2, id) = (state.clone(), client_id.clone());
            if blocking(move || Ok(state2.store().deleted_at(&id)?))
                .await?
                .is_some()
            {
                return Err(invalid("The access token has been revoked"));
            }
        }
        _ => {}
    }
    // RFC 7592 §2: the client is unknown (or not this token's), so the token SHOULD be
    // revoked immediately (where the flavour does).
    if management.revoke_on_unknown_client
        && !state.defect(Defect::NoRevokeOnUnknownClient)
        && !state.defect(Defect::UkUnknownClientNoRevoke)
    {
        let state2 = state.clone();
        let now = state.now();
        blocking(move || {
            state2
                .store()
                .revoke_token(&jti, &client_id, exp, now)
                .map_err(OAuthError::from)
        })
        .await?;
    }
    // Defect `accelerator-unknown-client-body`: the accelerator's bare 401 given a body.
    if state.defect(Defect::AcceleratorUnknownClientBody) {
        return Err(OAuthError::flavoured(
            axum::http::StatusCode::UNAUTHORIZED,
            "invalid_client",
            crate::flavour::UNKNOWN_CLIENT,
        ));
    }
    if state.defect(Defect::UkUnknownClient404) {
        return Err(OAuthError::NotFound);
    }
    if state.defect(Defect::UnknownClient400) {
        return Err(OAuthError::InvalidRequest("The client is unknown".into()));
    }
    if state.variation(Variation::UnknownClientInvalidToken) {
        return Err(invalid("The access token is not valid for this client"));
    }
    Err(OAuthError::UnknownClient)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use rstest::rstest;

    #[rstest]
    #[case::bearer("Bearer abc", Some("abc"))]
    #[case::lower_case_scheme("bearer abc", Some("abc"))]
    #[case::basic("Basic abc", None)]
    #[case::empty_token("Bearer ", None)]
    #[case::no_token("Bearer", None)]
    fn bearer_tokens_are_found_only_with_the_bearer_scheme(
        #[case] value: &str,
        #[case] want: Option<&str>,
    ) {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).expect("header"),
        );
        assert_eq!(bearer(&headers), want);
    }
}

//! Steps 3 and 4 of a registration: the request JWT itself. Its signature is checked with the
//! recipient key from the (already verified) SSA's `jwks_uri`; then its own claims: `iss`,
//! `aud`, lifetime and a `jti` that is never used twice.

use serde_json::{Map, Value};

use super::{LifetimeChecks, check_lifetime, metadata_error};
use crate::defect::Defect;
use crate::error::OAuthError;
use crate::jose::{header_alg_and_kid, str_claim, verify_compact};
use crate::jwks::JwksError;
use crate::state::AppState;

/// Step 3: the claims of the request `body` (decoded as `header` and `unverified`), once its
/// signature verifies with the recipient key from the verified `ssa`'s `jwks_uri`.
pub(super) async fn verified_claims(
    state: &AppState,
    body: &str,
    header: &Map<String, Value>,
    unverified: Map<String, Value>,
    ssa: &Map<String, Value>,
) -> Result<Map<String, Value>, OAuthError> {
    let unsigned = state.defect(Defect::AcceptAlgNoneRequest)
        && header.get("alg").and_then(Value::as_str) == Some("none");
    if unsigned || state.defect(Defect::SkipRequestSignature) {
        if !unsigned {
            header_alg_and_kid(header, "registration request").map_err(metadata_error)?;
        }
        return Ok(unverified);
    }
    verify_signature(state, body, header, ssa).await
}

/// Verifies the request `body` with the recipient key (by the header's `kid`) at the
/// verified `ssa`'s `jwks_uri`; returns the request's claims.
async fn verify_signature(
    state: &AppState,
    body: &str,
    header: &Map<String, Value>,
    ssa: &Map<String, Value>,
) -> Result<Map<String, Value>, OAuthError> {
    let (alg, kid) = header_alg_and_kid(header, "registration request").map_err(metadata_error)?;
    let jwks_uri = str_claim(ssa, "jwks_uri").unwrap_or_default();
    match url::Url::parse(jwks_uri) {
        Ok(u) if u.scheme() == "https" || u.scheme() == "http" => {}
        _ => {
            return Err(metadata_error(
                "The software_statement jwks_uri is not an absolute URL",
            ));
        }
    }
    let verifier = state
        .jwks()
        .verifier_for(jwks_uri, kid, alg, "registration request", true)
        .await
        .map_err(|e| match e {
            Ok(text) => metadata_error(text),
            Err(JwksError::UnknownKid { .. }) => metadata_error(format!(
                "No key with kid {kid} at the jwks_uri of the software_statement"
            )),
            Err(other) if state.defect(Defect::RecipientJwksFailure500) => {
                OAuthError::Internal(anyhow::anyhow!("recipient JWKS: {other}"))
            }
            Err(other) => {
                metadata_error(format!("Could not load the Data Recipient JWKS: {other}"))
            }
        })?;
    verify_compact(body, verifier.as_ref()).map_err(|e| {
        metadata_error(format!(
            "The registration request signature is not valid: {e}"
        ))
    })
}

/// Step 4: the request's own `claims`, for the SSA's `software_id`. A fresh `jti` is
/// remembered (until `exp` + skew, saturating), so a request can never be replayed.
pub(super) fn check_claims(
    state: &AppState,
    claims: &Map<String, Value>,
    software_id: &str,
) -> Result<(), OAuthError> {
    if str_claim(claims, "iss") != Some(software_id) && !state.defect(Defect::SkipRequestIss) {
        return Err(metadata_error(
            "The request iss must equal the software_statement software_id",
        ));
    }
    let issuer = &state.urls().issuer;
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == issuer,
        Some(Value::Array(items)) => items.iter().any(|a| a == issuer.as_str()),
        _ => false,
    };
    if !aud_ok && !state.defect(Defect::SkipRequestAud) {
        return Err(metadata_error(format!(
            "The request aud must be the issuer {issuer}"
        )));
    }
    let clock = state.clock();
    let checks = LifetimeChecks {
        require_iat: !state.defect(Defect::OptionalRequestIat),
        check_expiry: !state.defect(Defect::AcceptExpiredRequest),
    };
    let exp =
        check_lifetime(claims, clock, "registration request", checks).map_err(metadata_error)?;
    match str_claim(claims, "jti") {
        None if state.defect(Defect::OptionalRequestJti) => {}
        None => return Err(metadata_error("The request has no jti")),
        Some(_) if state.defect(Defect::SkipJtiReplay) => {}
        Some(jti) => {
            if !state
                .store()
                .record_jti("registration", jti, clock.replay_until(exp), clock.now)?
            {
                return Err(metadata_error("The request jti has been used before"));
            }
        }
    }
    Ok(())
}

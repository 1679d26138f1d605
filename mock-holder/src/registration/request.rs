//! Steps 3 and 4 of a registration: the request JWT itself. Its signature is checked with the
//! recipient key from the (already verified) SSA's `jwks_uri`; then its own claims: `iss`,
//! `aud`, lifetime and a `jti` that is never used twice.

use serde_json::{Map, Value};

use super::checks::{self, SignatureFailure};
use super::{LifetimeChecks, check_lifetime, metadata_error};
use crate::defect::Defect;
use crate::error::OAuthError;
use crate::jose::str_claim;
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
    let jwks_uri = str_claim(ssa, "jwks_uri");
    checks::request_signature(state, body, header, unverified, jwks_uri)
        .await
        .map_err(|e| match e {
            SignatureFailure::Header(text) | SignatureFailure::WrongKey(text) => {
                metadata_error(text)
            }
            SignatureFailure::NoJwksUri => {
                metadata_error("The software_statement jwks_uri is not an absolute URL")
            }
            SignatureFailure::UnknownKid(kid) => metadata_error(format!(
                "No key with kid {kid} at the jwks_uri of the software_statement"
            )),
            SignatureFailure::Jwks(other) => {
                metadata_error(format!("Could not load the Data Recipient JWKS: {other}"))
            }
            SignatureFailure::Invalid(e) => metadata_error(format!(
                "The registration request signature is not valid: {e}"
            )),
            SignatureFailure::Internal(e) => OAuthError::Internal(e),
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
        bound_lifetime: true,
    };
    let exp = check_lifetime(claims, clock, "registration request", checks)
        .map_err(|e| metadata_error(e.text))?;
    match str_claim(claims, "jti") {
        None if state.defect(Defect::OptionalRequestJti) => {}
        None => return Err(metadata_error("The request has no jti")),
        Some(jti) => {
            if !checks::fresh_jti(state, jti, clock.replay_until(exp))? {
                return Err(metadata_error("The request jti has been used before"));
            }
        }
    }
    Ok(())
}

//! Step 2 of a registration: the software statement (SSA) issued by the CDR Register. Its
//! signature is checked first, with the Register key its `kid` names; only a verified SSA's
//! claims (`iss`, lifetime, the required claims, `software_roles`, `jti`) are looked at.

use serde_json::{Map, Value};

use super::checks::{self, SignatureFailure};
use super::{LifetimeChecks, Operation, check_lifetime, metadata_error, ssa_error};
use crate::defect::Defect;
use crate::error::OAuthError;
use crate::jose::{split_jws, str_claim};
use crate::state::AppState;
use crate::variation::Variation;

/// The SSA issuer (the CDR Register).
pub(super) const SSA_ISSUER: &str = "cdr-register";
/// The only `software_roles` a Data Recipient software product has; registered as is.
pub(super) const SOFTWARE_ROLE: &str = "data-recipient-software-product";
/// SSA claims the holder itself uses to build a registration (the only ones checked under the
/// `skip-ssa-required-claims` defect).
const USED_SSA_CLAIMS: &[&str] = &[
    "software_id",
    "jwks_uri",
    "redirect_uris",
    "software_roles",
    "scope",
];
/// SSA claims without which a registration cannot be built (CDS SSA definition, Required).
const REQUIRED_SSA_CLAIMS: &[&str] = &[
    "software_id",
    "jwks_uri",
    "redirect_uris",
    "org_id",
    "org_name",
    "client_name",
    "client_description",
    "client_uri",
    "logo_uri",
    "recipient_base_uri",
    "software_roles",
    "scope",
];

/// Step 2: verifies the SSA `ssa` (sent for `operation`) and returns its claims.
/// RFC 7591 §3.2.2 `unapproved_software_statement` (the `untrusted-ssa-unapproved`
/// variation).
fn unapproved(text: impl Into<String>) -> OAuthError {
    OAuthError::flavoured(
        axum::http::StatusCode::BAD_REQUEST,
        "unapproved_software_statement",
        text.into(),
    )
}

pub(super) async fn verify(
    state: &AppState,
    ssa: &str,
    operation: Operation,
) -> Result<Map<String, Value>, OAuthError> {
    let (header, unverified) =
        split_jws(ssa).ok_or_else(|| ssa_error("The software_statement is not a compact JWS"))?;
    let claims = checks::ssa_signature(state, ssa, &header, unverified, operation)
        .await
        .map_err(|e| match e {
            SignatureFailure::UnknownKid(_) | SignatureFailure::Invalid(_)
                if state.variation(Variation::UntrustedSsaUnapproved) =>
            {
                unapproved("The software_statement is not signed by a CDR Register key")
            }
            SignatureFailure::Header(text) | SignatureFailure::WrongKey(text) => ssa_error(text),
            SignatureFailure::UnknownKid(_) => {
                ssa_error("The software_statement is not signed by a CDR Register key")
            }
            SignatureFailure::Jwks(other) => {
                ssa_error(format!("Could not load the CDR Register JWKS: {other}"))
            }
            SignatureFailure::Invalid(e) => ssa_error(format!(
                "The software_statement signature is not valid: {e}"
            )),
            // Raised for a request's key set only.
            other @ (SignatureFailure::NoJwksUri | SignatureFailure::Internal(_)) => {
                OAuthError::Internal(anyhow::anyhow!("SSA signature: {other:?}"))
            }
        })?;
    if str_claim(&claims, "iss") != Some(SSA_ISSUER)
        && !state.defect(Defect::SkipSsaIss)
        && state.variation(Variation::UntrustedSsaUnapproved)
    {
        return Err(unapproved(format!(
            "The software_statement iss must be {SSA_ISSUER}"
        )));
    }
    if str_claim(&claims, "iss") != Some(SSA_ISSUER) && !state.defect(Defect::SkipSsaIss) {
        return Err(ssa_error(format!(
            "The software_statement iss must be {SSA_ISSUER}"
        )));
    }
    let checks = LifetimeChecks {
        check_expiry: !state.defect(Defect::AcceptExpiredSsa),
        ..LifetimeChecks::ALL
    };
    let lifetime_skipped =
        operation == Operation::Update && state.defect(Defect::PutSkipsSsaLifetime);
    (if lifetime_skipped {
        Ok(())
    } else {
        check_lifetime(&claims, state.clock(), "software_statement", checks).map(|_| ())
    })
    .map_err(|e| {
        if state.defect(Defect::ExpiredSsaAsClientMetadata) {
            metadata_error(e.text)
        } else {
            ssa_error(e.text)
        }
    })?;
    let required = if state.defect(Defect::SkipSsaRequiredClaims) {
        USED_SSA_CLAIMS
    } else {
        REQUIRED_SSA_CLAIMS
    };
    for name in required {
        if !claims.get(*name).is_some_and(|v| !v.is_null() && v != "") {
            return Err(ssa_error(format!("The software_statement has no {name}")));
        }
    }
    if claims["software_roles"]
        .as_str()
        .is_none_or(|r| r != SOFTWARE_ROLE)
    {
        return Err(ssa_error(format!(
            "The software_statement software_roles must be {SOFTWARE_ROLE}"
        )));
    }
    if str_claim(&claims, "jti").is_none() {
        return Err(ssa_error("The software_statement has no jti"));
    }
    Ok(claims)
}

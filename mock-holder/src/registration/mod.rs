//! Validation of a registration request (POST /register and PUT /register/{ClientId}) by the
//! pipeline of the holder's flavour ([`validate`]), and the registration written in the
//! flavour's response shape ([`render`]).
//!
//! The WSO2 flavours have pipelines of their own, in the order and words of their sources:
//! [`toolkit`] (the CDS toolkit's DCR 0.2), [`accelerator`] (Accelerator 3.x's generic DCR)
//! and [`product`] (WSO2 Open Banking 1.4 / 2.0); so
//! do the UK OBIE DCR 3.2 / 3.3 flavours ([`uk`], OB Directory SSAs). All
//! pipelines compose the same building blocks ([`checks`]). The CDS flavours follow the order
//! the CDS registration sequence implies:
//!
//! 1. the body is a compact JWS whose payload carries a `software_statement` (here);
//! 2. the SSA's signature verifies with the CDR Register's key named by its `kid` (Register JWKS
//!    fetched, cached, refreshed on an unknown `kid`); then its `iss`, `iat`, `exp` and required
//!    claims ([`ssa`]);
//! 3. only then is the SSA's `jwks_uri` trusted: the request's signature verifies with the
//!    recipient's key from it (`alg` PS256 or ES256 only) ([`request`]);
//! 4. the request's own claims: `iss` = SSA `software_id`, `aud` = our issuer, `iat`, `exp`,
//!    `jti` (never reused) ([`request`]);
//! 5. the client metadata rules, one family of members at a time, producing the registration
//!    (RegistrationProperties) to store ([`metadata`]).
//!
//! The first failure is returned, as an RFC 7591 error. The suite checks this order and the
//! exact error texts, so both are part of the holder's behaviour.

mod accelerator;
mod checks;
mod hybrid;
mod metadata;
mod product;
mod render;
mod request;
mod ssa;
mod toolkit;
mod uk;

use axum::http::StatusCode;
use serde_json::{Map, Value};

pub(crate) use render::render;

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::flavour::{Pipeline, Release};
use crate::jose::{split_jws, str_claim};
use crate::lifetime::{Clock, numeric_date};
use crate::state::AppState;
use crate::variation::Variation;

/// Which operation a registration request is validated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// `POST /register`.
    Create,
    /// `PUT /register/{ClientId}`.
    Update,
}

/// A request that passed every check: the registration to store (without `client_id` and
/// `client_id_issued_at`, which the caller provisions).
#[derive(Debug)]
pub(crate) struct ValidRegistration {
    /// The SSA's `software_id`.
    pub(crate) software_id: String,
    /// RegistrationProperties to store and return.
    pub(crate) metadata: Map<String, Value>,
}

fn metadata_error(text: impl Into<String>) -> OAuthError {
    OAuthError::InvalidClientMetadata(text.into())
}

fn ssa_error(text: impl Into<String>) -> OAuthError {
    OAuthError::InvalidSoftwareStatement(text.into())
}

/// Which lifetime checks apply; every one unless a defect switches one off.
#[derive(Debug, Clone, Copy)]
struct LifetimeChecks {
    /// `iat` must be present.
    require_iat: bool,
    /// `exp` must not be past.
    check_expiry: bool,
    /// `exp` must not be beyond the longest lifetime accepted: where a `jti` is remembered
    /// until `exp` (the CDS pipeline), so that no sender can make the replay cache keep an
    /// entry forever. The WSO2 pipelines remember a `jti` for a fixed time and accept the far
    /// `exp` their own samples carry (the OB 1.4 SSA's is 2038).
    bound_lifetime: bool,
}

impl LifetimeChecks {
    const ALL: Self = Self {
        require_iat: true,
        check_expiry: true,
        bound_lifetime: true,
    };
}

/// Which lifetime rule a JWT broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LifetimeFault {
    /// `iat` or `exp` is missing, or is not a number.
    Missing,
    /// `iat` or `nbf` is in the future.
    Early,
    /// `exp` is past.
    Expired,
    /// `exp` is beyond the longest lifetime accepted.
    TooFar,
}

/// A lifetime check that failed: which rule, and the holder's own text for it.
#[derive(Debug)]
pub(super) struct LifetimeError {
    /// The rule broken.
    pub(super) fault: LifetimeFault,
    /// "the {what} has expired (exp ..., now ...)" etc.
    pub(super) text: String,
}

/// Checks `iat`, `exp` and `nbf` against `clock`; returns the `exp`. A time claim that is not a
/// number is refused by name; an `exp` beyond the longest lifetime accepted is refused too (see
/// [`crate::lifetime`]), so that no arithmetic on a sender's times can overflow.
fn check_lifetime(
    claims: &Map<String, Value>,
    clock: Clock,
    what: &str,
    checks: LifetimeChecks,
) -> Result<i64, LifetimeError> {
    let fail = |fault, text: String| LifetimeError { fault, text };
    let subject = format!("the {what}");
    let now = clock.now;
    let date =
        |name| numeric_date(claims, name, &subject).map_err(|t| fail(LifetimeFault::Missing, t));
    let iat = match date("iat")? {
        Some(iat) => iat,
        None if !checks.require_iat => now,
        None => {
            return Err(fail(
                LifetimeFault::Missing,
                format!("the {what} has no iat"),
            ));
        }
    };
    let Some(exp) = date("exp")? else {
        return Err(fail(
            LifetimeFault::Missing,
            format!("the {what} has no exp"),
        ));
    };
    if clock.is_future(iat) {
        return Err(fail(
            LifetimeFault::Early,
            format!("the {what} was issued in the future (iat {iat}, now {now})"),
        ));
    }
    if checks.check_expiry && clock.is_past(exp) {
        return Err(fail(
            LifetimeFault::Expired,
            format!("the {what} has expired (exp {exp}, now {now})"),
        ));
    }
    if checks.bound_lifetime && clock.is_too_far(exp) {
        return Err(fail(
            LifetimeFault::TooFar,
            clock.too_far_message(&subject, exp),
        ));
    }
    if let Some(nbf) = date("nbf")?
        && clock.is_future(nbf)
    {
        return Err(fail(
            LifetimeFault::Early,
            format!("the {what} is not valid yet (nbf {nbf}, now {now})"),
        ));
    }
    Ok(exp)
}

/// Validates `body`, sent for `operation`, with the pipeline of the holder's flavour.
///
/// # Errors
/// The first error found, in the flavour's words.
pub(crate) async fn validate(
    state: &AppState,
    body: &str,
    operation: Operation,
    peer: Option<&[u8]>,
) -> Result<ValidRegistration, OAuthError> {
    match state.policy().pipeline {
        Pipeline::Cds { .. } => validate_cds(state, body, operation).await,
        Pipeline::Wso2Toolkit => toolkit::validate(state, body, operation).await,
        Pipeline::Wso2Product {
            release,
            ssa_signature,
        } => product::validate(state, body, operation, release, ssa_signature).await,
        Pipeline::Uk { version } => uk::validate(state, body, operation, version, peer).await,
        Pipeline::Wso2Accelerator(rules) => {
            accelerator::validate(state, body, operation, rules).await
        }
    }
}

/// The answer body for the stored registration `metadata`: [`render`]ed in the flavour's
/// shape (`access_token`: the caller's bearer token on GET and PUT), with the UK response
/// defects applied.
pub(crate) fn respond(
    state: &AppState,
    metadata: Map<String, Value>,
    access_token: Option<&str>,
) -> Map<String, Value> {
    let mut out = render(state.policy(), metadata, access_token);
    if matches!(state.policy().pipeline, Pipeline::Uk { .. }) && state.settings().defect.is_some() {
        uk::response_defects(state, &mut out);
    }
    // Defect `accelerator-issued-at-integer`: the issued-at written as a JSON number.
    if state.defect(Defect::AcceleratorIssuedAtInteger)
        && let Some(Value::String(t)) = out.get("client_id_issued_at")
        && let Ok(t) = t.parse::<i64>()
    {
        out.insert("client_id_issued_at".into(), t.into());
    }
    out
}

/// The answer to a POST for a `software_id` that is already registered.
pub(crate) fn duplicate(state: &AppState, software_id: &str) -> OAuthError {
    match state.policy().pipeline {
        Pipeline::Cds { .. } if state.variation(Variation::DuplicateAsInvalidSoftwareStatement) => {
            OAuthError::InvalidSoftwareStatement(
                "A registration for this software_id already exists".into(),
            )
        }
        Pipeline::Cds { .. } | Pipeline::Uk { .. } => OAuthError::InvalidClientMetadata(
            "Duplicate registrations for a given software_id are not valid".into(),
        ),
        // IS DCRM's message (wso2-flavours §2 "Duplicate app name", §4.1 "Duplicate
        // registration"): the application is named after the software_id.
        Pipeline::Wso2Toolkit => OAuthError::InvalidClientMetadata(format!(
            "Application with the name {software_id} already exist in the system"
        ))
        .backend(),
        // The same IS message (§8 "Duplicate POST"); the accelerator's applications are named
        // by the SSA's client name, the store's key for this pipeline.
        Pipeline::Wso2Accelerator(_) => OAuthError::InvalidClientMetadata(format!(
            "Application with the name {software_id} already exist in the system"
        ))
        .backend(),
        // The OB 2.0 family's 409 (wso2-flavours §6 d1); OB 1.4's swagger declares no 409,
        // so its answer is that text as a 400.
        Pipeline::Wso2Product { release, .. } => {
            const TEXT: &str = "An application created with the given SSA is already available. Please use HTTP PUT method if you need to update the existing application";
            match release {
                Release::Ob14 => OAuthError::InvalidClientMetadata(TEXT.into()),
                Release::Ob20 => {
                    OAuthError::flavoured(StatusCode::CONFLICT, "resource_already_exists", TEXT)
                }
            }
        }
    }
}

/// The answer to a PUT whose SSA is for `sent`, another software product than the client's
/// (`registered`).
pub(crate) fn software_id_changed(state: &AppState, sent: &str, registered: &str) -> OAuthError {
    match state.policy().pipeline {
        // FOB `RegistrationServiceHandler.updateRegistration` (wso2-flavours §4.1): the
        // application name is the software_id.
        Pipeline::Wso2Toolkit | Pipeline::Wso2Accelerator(_) => {
            OAuthError::InvalidClientMetadata("Invalid application name".into()).backend()
        }
        Pipeline::Cds { .. } | Pipeline::Wso2Product { .. } | Pipeline::Uk { .. } => {
            OAuthError::InvalidSoftwareStatement(format!(
                "The software_statement is for software_id {sent}, but this client is registered for {registered}"
            ))
        }
    }
}

/// The CDS pipeline: steps 1 to 5 for `body`, sent for `operation`.
///
/// # Errors
/// The first RFC 7591 error found.
async fn validate_cds(
    state: &AppState,
    body: &str,
    operation: Operation,
) -> Result<ValidRegistration, OAuthError> {
    let body = body.trim();
    let Some((header, unverified)) = split_jws(body) else {
        if state.defect(Defect::MalformedBody500) {
            return Err(OAuthError::Internal(anyhow::anyhow!(
                "the request body is not a compact JWS"
            )));
        }
        if state.variation(Variation::MalformedBody415) {
            return Err(OAuthError::UnsupportedMediaType(
                "The request body is not a compact JWS (JWT)".into(),
            ));
        }
        return Err(metadata_error(
            "The request body is not a compact JWS (JWT)",
        ));
    };
    let ssa_text = match unverified.get("software_statement") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => return Err(ssa_error("The software_statement must be a JWT string")),
        None if state.defect(Defect::MissingSsaInvalidRequest) => {
            return Err(OAuthError::InvalidRequest(
                "The software_statement is missing".into(),
            ));
        }
        None if state.variation(Variation::MissingSsaInvalidClientMetadata) => {
            return Err(metadata_error("The software_statement is missing"));
        }
        None => return Err(ssa_error("The software_statement is missing")),
    };
    let ssa = ssa::verify(state, &ssa_text, operation).await?;
    let claims = request::verified_claims(state, body, &header, unverified, &ssa).await?;
    let software_id = str_claim(&ssa, "software_id")
        .unwrap_or_default()
        .to_string();
    let update = operation == Operation::Update;
    if !(update && state.defect(Defect::PutSkipsClaimChecks)) {
        request::check_claims(state, &claims, &software_id)?;
    }
    let metadata = match metadata::build(state, &claims, &ssa, ssa_text) {
        // Defect `put-skips-metadata-checks`: an update's metadata is taken as sent.
        Err(_) if update && state.defect(Defect::PutSkipsMetadataChecks) => {
            let mut taken = claims.clone();
            for claim in ["iss", "aud", "iat", "exp", "nbf", "jti"] {
                taken.remove(claim);
            }
            taken
        }
        other => other?,
    };
    Ok(ValidRegistration {
        software_id,
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::valid(100, 400, None)]
    #[case::expired_beyond_skew(0, 30, Some("expired"))]
    #[case::expired_within_skew(0, 90, None)]
    #[case::future_beyond_skew(200, 900, Some("future"))]
    #[case::future_within_skew(150, 900, None)]
    #[case::exp_at_the_longest_lifetime(100, 100 + 60 + 3600, None)]
    #[case::exp_beyond_the_longest_lifetime(100, 100 + 60 + 3601, Some("too far"))]
    #[case::exp_at_i64_max(100, i64::MAX, Some("too far"))]
    #[case::iat_at_i64_max(i64::MAX, 400, Some("future"))]
    #[case::exp_at_i64_min(100, i64::MIN, Some("expired"))]
    fn lifetime_honours_the_skew(#[case] iat: i64, #[case] exp: i64, #[case] err: Option<&str>) {
        let claims: Map<String, Value> = serde_json::json!({"iat": iat, "exp": exp})
            .as_object()
            .cloned()
            .expect("obj");
        let clock = Clock::new(
            100,
            std::time::Duration::from_secs(60),
            std::time::Duration::from_secs(3600),
        );
        match (
            check_lifetime(&claims, clock, "x", LifetimeChecks::ALL),
            err,
        ) {
            (Ok(_), None) => {}
            (Err(e), Some(want)) => assert!(e.text.contains(want), "{e:?}"),
            (got, want) => panic!("got {got:?}, want error {want:?}"),
        }
    }
}

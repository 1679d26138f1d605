//! WSO2 Open Banking 1.4 and 2.0 (the closed-source product line, `com.wso2.finance`) DCR v0.1
//! (flavours `wso2-ob-au-0.1` and `wso2-ob20-au-0.1`).
//!
//! The claims and their rules are seed 000's table (l.145-160): `iss`, `iat`, `exp`, `aud`,
//! `jti`, `token_endpoint_auth_method` (`private_key_jwt` only), `grant_types` and the
//! `software_statement` required; `redirect_uris` (a subset of the SSA's), `response_types`
//! (`[code id_token]`), `application_type` (`web`) and the algorithms (PS256, "as constrained
//! by FAPI-RW"; DCR API 0.1 allowed PS256 only, cdr-dcr.md §1.4) optional. The product's
//! validator source is not public; its order is that of the OB 2.0 family's UK v3.2 validator
//! (wso2-flavours §6 d1: mandatory claims, request signature, SSA signature, `iss`, `jti`,
//! then the metadata), and so are the texts it publishes; the other texts are this holder's.
//!
//! What differs between the releases:
//! * OB 1.4 does not compare `iss` with the SSA's `software_id` and keeps no `jti` cache: its
//!   own sample request (seed 000 l.119, iss "Mock Company") would fail otherwise, and the
//!   `request_jti_validation` switch appears with OB 2.0. Its errors use the 0.1 swagger's
//!   RFC 7591 codes only.
//! * OB 2.0 checks `iss` = `software_id` and request `jti` replay within `jti_cache_expiry_time`
//!   = 60 s (wso2-flavours §3 "Validations / config"), verifies the SSA's signature only when
//!   `ssa_signature_validation` is on, and answers signature failures with its custom code
//!   `signature_validation_failed` (§3 "Error shape", §6 d1).
//!
//! Neither release compares `aud` with anything (seed 000's sample sends the CDR infosec token
//! URL to `localhost:8243`), and OB 1.4 never verifies the SSA's signature (seed 000 l.98).

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::checks::{self, SignatureFailure, present, strings};
use super::metadata::software_statement;
use super::ssa::SSA_ISSUER;
use super::{
    LifetimeChecks, Operation, ValidRegistration, check_lifetime, metadata_error, ssa_error,
};
use crate::defect::Defect;
use crate::error::OAuthError;
use crate::flavour::Release;
use crate::jose::{split_jws, str_claim};
use crate::state::AppState;

/// The product family's malformed-JWT answer (wso2-flavours §6 d1, `UKErrorResponseUtil`).
const MALFORMED: &str = "Provided jwt is malformed and cannot be decoded";
/// §6 d1 item 2.
const BAD_REQUEST_SIGNATURE: &str = "Failed to validate jwt signature";
/// §6 d1 item 3.
const BAD_SSA_SIGNATURE: &str = "Failed to validate SSA signature";
/// §6 d1 item 4.
const ISS_MISMATCH: &str = "ISS claim of the request JWT does not match with the SSA's software ID";
/// §6 d1 item 6.
const REDIRECT_MISMATCH: &str = "Provided redirect uris does not match with the SSA";
/// OB 2.0 `jti_cache_expiry_time = 60` (wso2-flavours §3 "Validations / config").
const JTI_CACHE_SECONDS: i64 = 60;
/// Seed 000 l.153: the supported grant types.
const GRANT_TYPES: &[&str] = &[
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
];
/// Seed 000 l.154.
const RESPONSE_TYPE: &str = "code id_token";
/// DCR API 0.1's algorithm (cdr-dcr.md §1.4).
const ALG: &str = "PS256";
/// Required request claims in the order checked (seed 000 l.145-155, §6 d1 order), with the
/// defect that makes each optional.
const REQUIRED: &[(&str, Option<Defect>)] = &[
    ("iss", None),
    ("iat", Some(Defect::OptionalRequestIat)),
    ("exp", None),
    ("jti", Some(Defect::OptionalRequestJti)),
    ("aud", None),
    ("token_endpoint_auth_method", Some(Defect::AnyAuthMethod)),
    // §6 d1: the signing alg is mandatory when the method is private_key_jwt (the only one).
    (
        "token_endpoint_auth_signing_alg",
        Some(Defect::AnyAuthSigningAlg),
    ),
    ("grant_types", None),
];
/// SSA claims registered as top-level metadata (those the product's responses show).
const ECHOED_SSA_CLAIMS: &[&str] = &[
    "client_name",
    "client_description",
    "client_uri",
    "org_id",
    "org_name",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "revocation_uri",
    "software_id",
    "software_roles",
];

/// A signature failure: OB 2.0's custom code, OB 1.4's RFC 7591 `invalid_client_metadata`.
fn signature_error(release: Release, text: &str) -> OAuthError {
    match release {
        Release::Ob14 => metadata_error(text),
        Release::Ob20 => {
            OAuthError::flavoured(StatusCode::BAD_REQUEST, "signature_validation_failed", text)
        }
    }
}

/// The SSA's key set: `jwks_uri` (CDR SSAs), or `software_jwks_endpoint` (the UK name, which
/// seed 000 l.46 asks for "to obtain an application access token").
fn recipient_jwks_uri(ssa: &Map<String, Value>) -> Option<&str> {
    str_claim(ssa, "jwks_uri").or_else(|| str_claim(ssa, "software_jwks_endpoint"))
}

/// Validates `body`, sent for `operation`, as the product `release` would.
///
/// # Errors
/// The first failure (see the module documentation for the order).
pub(super) async fn validate(
    state: &AppState,
    body: &str,
    operation: Operation,
    release: Release,
    ssa_signature: bool,
) -> Result<ValidRegistration, OAuthError> {
    let body = body.trim();
    let Some((header, unverified)) = split_jws(body) else {
        if state.defect(Defect::MalformedBody500) {
            return Err(OAuthError::Internal(anyhow::anyhow!(
                "the request body is not a compact JWS"
            )));
        }
        return Err(metadata_error(MALFORMED));
    };
    for (claim, defect) in REQUIRED {
        if present(&unverified, claim).is_none() && !defect.is_some_and(|d| state.defect(d)) {
            return Err(metadata_error(format!(
                "Required parameter {claim} not found in the request"
            )));
        }
    }
    let ssa_text = match str_claim(&unverified, "software_statement") {
        // Kept as sent: it is echoed byte for byte.
        Some(s) => s.to_string(),
        None if state.defect(Defect::MissingSsaInvalidRequest) => {
            return Err(OAuthError::InvalidRequest(
                "The software_statement is missing".into(),
            ));
        }
        None => {
            return Err(ssa_error(
                "Required parameter software_statement not found in the request",
            ));
        }
    };
    let (ssa_header, unverified_ssa) = split_jws(&ssa_text).ok_or_else(|| {
        ssa_error("Provided software statement is malformed and cannot be decoded")
    })?;
    for claim in ["software_id", "redirect_uris"] {
        if present(&unverified_ssa, claim).is_none() {
            return Err(ssa_error(format!(
                "Required claim {claim} not found in the software statement"
            )));
        }
    }
    let claims =
        request_signature(state, body, &header, unverified, &unverified_ssa, release).await?;
    let ssa = if ssa_signature {
        verify_ssa(
            state,
            &ssa_text,
            &ssa_header,
            unverified_ssa,
            operation,
            release,
        )
        .await?
    } else {
        unverified_ssa
    };
    ssa_claims(state, &ssa)?;
    request_claims(state, &claims, &ssa, release)?;
    let redirect_uris = redirect_uris(state, &claims, &ssa)?;
    metadata_values(state, &claims)?;
    let software_id = str_claim(&ssa, "software_id")
        .unwrap_or_default()
        .to_string();
    Ok(ValidRegistration {
        software_id,
        metadata: registration(state, &claims, &ssa, ssa_text, redirect_uris),
    })
}

/// The request's claims once its signature verifies with the key (by `kid`) at the SSA's key
/// set. Seed 000 l.92: a changed request must be signed with the page's test keys, so the
/// signature counts.
async fn request_signature(
    state: &AppState,
    body: &str,
    header: &Map<String, Value>,
    unverified: Map<String, Value>,
    ssa: &Map<String, Value>,
    release: Release,
) -> Result<Map<String, Value>, OAuthError> {
    checks::request_signature(state, body, header, unverified, recipient_jwks_uri(ssa))
        .await
        .map_err(|e| match e {
            SignatureFailure::Internal(e) => OAuthError::Internal(e),
            _ => signature_error(release, BAD_REQUEST_SIGNATURE),
        })
}

/// OB 2.0 with `ssa_signature_validation` on: the SSA verifies with the Register's key named
/// by its `kid`; returns its claims.
async fn verify_ssa(
    state: &AppState,
    ssa_text: &str,
    header: &Map<String, Value>,
    unverified: Map<String, Value>,
    operation: Operation,
    release: Release,
) -> Result<Map<String, Value>, OAuthError> {
    checks::ssa_signature(state, ssa_text, header, unverified, operation)
        .await
        .map_err(|_| signature_error(release, BAD_SSA_SIGNATURE))
}

/// The SSA's `iss` and lifetime (seed 000 l.161: the SSA is validated as the CDR DCR
/// specification says, its signature apart).
fn ssa_claims(state: &AppState, ssa: &Map<String, Value>) -> Result<(), OAuthError> {
    if str_claim(ssa, "iss") != Some(SSA_ISSUER) && !state.defect(Defect::SkipSsaIss) {
        return Err(ssa_error(format!(
            "The issuer of the software statement must be {SSA_ISSUER}"
        )));
    }
    let checks = LifetimeChecks {
        check_expiry: !state.defect(Defect::AcceptExpiredSsa),
        // Seed 000's own SSA expires in 2038; a `jti` is remembered for a fixed time.
        bound_lifetime: false,
        ..LifetimeChecks::ALL
    };
    check_lifetime(ssa, state.clock(), "software statement", checks)
        .map(drop)
        .map_err(|e| ssa_error(format!("Invalid software statement: {}", e.text)))
}

/// The request's lifetime, then (OB 2.0) `iss` = SSA `software_id` and `jti` replay.
fn request_claims(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa: &Map<String, Value>,
    release: Release,
) -> Result<(), OAuthError> {
    let checks = LifetimeChecks {
        require_iat: !state.defect(Defect::OptionalRequestIat),
        check_expiry: !state.defect(Defect::AcceptExpiredRequest),
        bound_lifetime: false,
    };
    check_lifetime(claims, state.clock(), "request JWT", checks)
        .map_err(|e| metadata_error(format!("Invalid request JWT: {}", e.text)))?;
    if release == Release::Ob14 {
        return Ok(());
    }
    if str_claim(claims, "iss") != str_claim(ssa, "software_id")
        && !state.defect(Defect::SkipRequestIss)
    {
        return Err(metadata_error(ISS_MISMATCH));
    }
    if let Some(jti) = str_claim(claims, "jti")
        && !checks::fresh_jti(state, jti, state.now() + JTI_CACHE_SECONDS)?
    {
        return Err(metadata_error("JTI of the request JWT has been replayed"));
    }
    Ok(())
}

/// `redirect_uris`: each requested one in the SSA (exact match); without any, the SSA's
/// (seed 000 l.151: "Only required if overwrites a list of values in the software statement").
fn redirect_uris(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa: &Map<String, Value>,
) -> Result<Vec<String>, OAuthError> {
    let ssa_redirects = present(ssa, "redirect_uris")
        .and_then(strings)
        .ok_or_else(|| {
            ssa_error("The redirect_uris of the software statement must be an array of strings")
        })?;
    checks::requested_redirects(state, claims, ssa_redirects)
        .map_err(|_| OAuthError::InvalidRedirectUri(REDIRECT_MISMATCH.into()))
}

/// The metadata values of seed 000's table (l.152-160).
fn metadata_values(state: &AppState, claims: &Map<String, Value>) -> Result<(), OAuthError> {
    if !state.defect(Defect::AnyAuthMethod)
        && str_claim(claims, "token_endpoint_auth_method") != Some("private_key_jwt")
    {
        return Err(metadata_error(
            "Invalid token_endpoint_auth_method: the only supported method is private_key_jwt",
        ));
    }
    if let Some(kind) = present(claims, "application_type")
        && kind != "web"
        && !state.defect(Defect::AnyApplicationType)
    {
        return Err(metadata_error(
            "Invalid application_type: the only supported application type is web",
        ));
    }
    let grants = present(claims, "grant_types").and_then(strings);
    let grants_ok = grants
        .is_some_and(|g| !g.is_empty() && g.iter().all(|g| GRANT_TYPES.contains(&g.as_str())));
    if !grants_ok && !state.defect(Defect::AnyGrantType) {
        return Err(metadata_error(format!(
            "Invalid grant_types: supported values are {}",
            GRANT_TYPES.join(", ")
        )));
    }
    if let Some(value) = present(claims, "response_types")
        && strings(value).is_none_or(|t| t != [RESPONSE_TYPE])
    {
        return Err(metadata_error(format!(
            "Invalid response_types: the only supported value is [{RESPONSE_TYPE}]"
        )));
    }
    for (claim, defect) in [
        ("token_endpoint_auth_signing_alg", Defect::AnyAuthSigningAlg),
        ("id_token_signed_response_alg", Defect::AnyIdTokenAlg),
        ("request_object_signing_alg", Defect::AnyRequestObjectAlg),
    ] {
        if let Some(v) = present(claims, claim)
            && v != ALG
            && !state.defect(defect)
        {
            return Err(metadata_error(format!(
                "Invalid {claim}: the only supported algorithm is {ALG}"
            )));
        }
    }
    Ok(())
}

/// The registration to store (snake_case RegistrationProperties, written in the release's
/// shape by `registration/render.rs`): the SSA's metadata with its `scope` as it is (the
/// product predates the CDS rule that drops unsupported scopes, and seed 000's sample answers
/// the SSA's `accounts`), and the request's metadata as sent, without defaults.
fn registration(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa: &Map<String, Value>,
    ssa_text: String,
    redirect_uris: Vec<String>,
) -> Map<String, Value> {
    let mut out = Map::new();
    checks::echo_ssa(state, ssa, ECHOED_SSA_CLAIMS, &mut out);
    if let Some(jwks_uri) = recipient_jwks_uri(ssa) {
        out.insert("jwks_uri".into(), jwks_uri.into());
    }
    if let Some(scope) = present(ssa, "scope") {
        out.insert("scope".into(), scope.clone());
    }
    out.insert("redirect_uris".into(), redirect_uris.into());
    checks::copy_present(
        claims,
        &[
            "token_endpoint_auth_method",
            "token_endpoint_auth_signing_alg",
            "response_types",
            "application_type",
            "id_token_signed_response_alg",
            "request_object_signing_alg",
        ],
        &mut out,
    );
    let grants = present(claims, "grant_types")
        .and_then(strings)
        .unwrap_or_default();
    out.insert(
        "grant_types".into(),
        checks::registered_grants(state, grants).into(),
    );
    out.insert(
        "software_statement".into(),
        software_statement(state, ssa_text, ssa).into(),
    );
    out
}

//! WSO2 Open Banking Accelerator 3.x's generic DCR (flavour `wso2-accelerator-3`, FOB v3.2.13),
//! read from `shared/spec/wso2-flavours.md` §2 and §5 and from seed 004 (WSO2's own
//! accelerator DCR page, first-hand where the two disagree).
//!
//! A registration request passes the API gateway's `DCRExecutor.preProcessRequest`, whose
//! failures `OBDefaultErrorHandler` writes as `{"errors":[{"Code","Title","Message"}]}` (§5
//! "Error shape"), then the Identity Server's default validator (`DefaultRegistrationValidator
//! Impl`), whose failures are `{"error","error_description"}` 400 (§2 "Hop 2"), split from the
//! bean-validation message `"<description>:<error_code>"`: no description holds a colon, and
//! fields are named by their Java bean names.
//!
//! Gateway (all 400, Title `invalid_client_metadata`):
//! 1. the body is a compact JWS, else `Malformed request JWT`;
//! 2. it carries a `software_statement`, else `Required parameter software statement cannot be
//!    null` (the gateway's text, §4.1); the SSA decodes, else `Malformed request JWT`;
//! 3. the request's signature verifies with the key (by `kid`) at the *unverified* SSA's
//!    `software_jwks_endpoint` (config `JWKSEndpointName`, [`AcceleratorRules`]), else
//!    `Invalid request signature` (the Nimbus tail is not published, §9.7). An SSA that has
//!    only the AU name `jwks_uri` gives the gateway no key set: refused here.
//!
//! Identity Server, groups MandatoryChecks → AttributeChecks → SignatureCheck (§2):
//! 4. MandatoryChecks: the required parameters of §5 "Default validations", in its order:
//!    `grantTypes, issuer, audience, tokenEndPointAuthentication, idTokenSignedResponseAlg,
//!    softwareStatement`, each `Required parameter <bean> cannot be null`;
//! 5. AttributeChecks: allowed values where configured (the generic default configures none:
//!    `aud` only where [`AcceleratorRules::audience_checked`], `Invalid audience provided`); the
//!    signing algorithms in the allowed list (PS256, ES256), `Invalid signing algorithm sent`;
//!    `iss` = the SSA's `software_id`, `Invalid issuer`;
//! 6. SignatureCheck: the SSA verifies with the Directory keystore (the holder's
//!    `register_jwks_uri`, as for the UK flavours), else `invalid_software_statement` /
//!    `Invalid signature for SSA`.
//!
//! The SSA model maps both UK and AU names (§5 "SSA model mapping"): `software_client_name` |
//! `client_name` (the application's name), `software_redirect_uris` | `redirect_uris`,
//! `software_jwks_endpoint` | `jwks_uri`. Nothing else of the SSA is checked: "the default
//! validator adds no spec checks" (§5).
//!
//! Choices where the sources are silent (each a field of [`AcceleratorRules`] where a reasonable
//! deployment could differ; README "wso2-accelerator-3"):
//! - the request JWT's `iat`, `exp` and `jti` are not checked, nor replayed `jti`s: they are
//!   not among the default `<Required>` parameters (§5), the gateway verifies the signature
//!   only (§2), and seed 004's sample request (iat 2019) is the documented way to register;
//! - the request's `redirect_uris` need not be among the SSA's: not among §5's validations,
//!   and seed 004's sample registers `mockcompany.com.au` URIs beside an SSA listing only
//!   `https://wso2.com`; without any, the SSA's are registered (the merged map, §2);
//! - `aud` is required but not compared (its `allowed_values` are unset by default);
//! - the SSA's issuer, `iat` age and roles are not checked (the regulatory issuer `OpenBanking
//!   Ltd` selects the APIs subscribed, §5 "Regulatory handling"; no validation names it);
//! - the application is named by the SSA's client name (the software_id when it has none):
//!   a second POST of that name is IS's duplicate, a PUT of another name `Invalid application
//!   name`.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::checks::{self, SignatureFailure, present, strings};
use super::metadata::software_statement;
use super::{LifetimeChecks, LifetimeFault, Operation, ValidRegistration, check_lifetime};
use crate::defect::Defect;
use crate::error::OAuthError;
use crate::flavour::AcceleratorRules;
use crate::jose::{ALLOWED_ALGS, header_alg_and_kid, split_jws, str_claim};
use crate::state::AppState;

/// §5 "Error shape": the gateway's message for a body or SSA that does not decode.
pub(crate) const MALFORMED: &str = "Malformed request JWT";
/// §4.1 "No software_statement" (`DCRExecutor`).
pub(crate) const NO_SSA: &str = "Required parameter software statement cannot be null";
/// §4.1 "Bad request-JWT signature" (the Nimbus tail is not published, §9.7).
pub(crate) const BAD_SIGNATURE: &str = "Invalid request signature";
/// The `error` of most validator failures.
const METADATA: &str = "invalid_client_metadata";
/// §5 "Default validations": the required parameters (claim, Java bean name), in its order.
const REQUIRED: &[(&str, &str)] = &[
    ("grant_types", "grantTypes"),
    ("iss", "issuer"),
    ("aud", "audience"),
    ("token_endpoint_auth_method", "tokenEndPointAuthentication"),
    ("id_token_signed_response_alg", "idTokenSignedResponseAlg"),
    ("software_statement", "softwareStatement"),
];
/// Where the key set of the client is kept for the token endpoint when the registration has
/// no `jwks_uri` member (the accelerator answers `jwks_uri` only when a claim of that name
/// was sent, §5 "Response members").
pub(crate) const KEY_SET_MEMBER: &str = "software_jwks_endpoint";
/// Where the application's name is kept (not answered: no client name in the response).
const APP_NAME_MEMBER: &str = "client_name";

/// An Identity Server failure: `error` and `error_description`.
type IsFailure = (&'static str, String);

/// The first SSA claim of `names` that is there (the model's UK | AU mapping).
fn mapped<'a>(ssa: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names.iter().find_map(|n| present(ssa, n))
}

/// A gateway failure (status 400, Title `title`), in the gateway's shape unless the defect
/// `accelerator-gateway-errors-as-is` answers it as the Identity Server would.
fn gateway(state: &AppState, title: &'static str, message: &str) -> OAuthError {
    if state.defect(Defect::AcceleratorGatewayErrorsAsIs) {
        return OAuthError::flavoured(StatusCode::BAD_REQUEST, title, message);
    }
    OAuthError::gateway(StatusCode::BAD_REQUEST, title, message)
}

/// An Identity Server failure as answered (400 `{error, error_description}`, marked backend),
/// or in the gateway's shape under the defect `accelerator-is-errors-as-gateway`.
fn identity_server_error(state: &AppState, (code, text): IsFailure) -> OAuthError {
    if state.defect(Defect::AcceleratorIsErrorsAsGateway) {
        return OAuthError::gateway(StatusCode::BAD_REQUEST, code, text);
    }
    OAuthError::flavoured(StatusCode::BAD_REQUEST, code, text).backend()
}

/// Validates `body`, sent for `operation`, as the gateway and then the Identity Server would.
///
/// # Errors
/// The first failure, in the shape of the layer that finds it.
pub(super) async fn validate(
    state: &AppState,
    body: &str,
    operation: Operation,
    rules: AcceleratorRules,
) -> Result<ValidRegistration, OAuthError> {
    let body = body.trim();
    let Some((header, unverified)) = split_jws(body) else {
        if state.defect(Defect::UkMalformedBody500) {
            return Err(OAuthError::Internal(anyhow::anyhow!(
                "the request body is not a compact JWS"
            )));
        }
        return Err(gateway(state, METADATA, MALFORMED));
    };
    let ssa_text = match present(&unverified, "software_statement") {
        // Kept as sent: it is echoed byte for byte.
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) | None => {
            if state.defect(Defect::UkMissingSsaInvalidRequest) {
                return Err(gateway(state, "invalid_request", NO_SSA));
            }
            return Err(gateway(state, METADATA, NO_SSA));
        }
        Some(_) => return Err(gateway(state, METADATA, MALFORMED)),
    };
    let Some((ssa_header, ssa)) = split_jws(&ssa_text) else {
        return Err(gateway(state, METADATA, MALFORMED));
    };
    let claims = request_signature(state, body, &header, unverified, &ssa, rules).await?;
    identity_server(
        state,
        &claims,
        &ssa_text,
        &ssa_header,
        &ssa,
        operation,
        rules,
    )
    .await
    .map_err(|failure| identity_server_error(state, failure))?;
    let (software_id, metadata) = registration(state, &claims, ssa_text, &ssa);
    Ok(ValidRegistration {
        software_id,
        metadata,
    })
}

/// Gateway step 3: the request's claims once its signature verifies with the key at the SSA's
/// `JWKSEndpointName` claim (the SSA itself is not verified yet: the Identity Server does that
/// last).
async fn request_signature(
    state: &AppState,
    body: &str,
    header: &Map<String, Value>,
    unverified: Map<String, Value>,
    ssa: &Map<String, Value>,
    rules: AcceleratorRules,
) -> Result<Map<String, Value>, OAuthError> {
    let alg = header.get("alg").and_then(Value::as_str);
    if state.defect(Defect::UkRequestSignatureUnchecked)
        || (alg == Some("none") && state.defect(Defect::UkUnsignedRequestAccepted))
    {
        if alg != Some("none") {
            header_alg_and_kid(header, "registration request")
                .map_err(|_| gateway(state, METADATA, BAD_SIGNATURE))?;
        }
        return Ok(unverified);
    }
    let jwks_uri = str_claim(ssa, rules.jwks_endpoint_name);
    checks::request_signature(state, body, header, unverified, jwks_uri)
        .await
        .map_err(|e| match e {
            SignatureFailure::Internal(e) => OAuthError::Internal(e),
            SignatureFailure::Jwks(e) if state.defect(Defect::UkJwksFailure500) => {
                OAuthError::Internal(anyhow::anyhow!("software_jwks_endpoint: {e}"))
            }
            _ => gateway(state, METADATA, BAD_SIGNATURE),
        })
}

/// Steps 4 to 6, the first failure answered.
async fn identity_server(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa_text: &str,
    ssa_header: &Map<String, Value>,
    ssa: &Map<String, Value>,
    operation: Operation,
    rules: AcceleratorRules,
) -> Result<(), IsFailure> {
    // MandatoryChecks.
    for (claim, bean) in REQUIRED {
        if present(claims, claim).is_none() {
            return Err((
                METADATA,
                format!("Required parameter {bean} cannot be null"),
            ));
        }
    }
    // AttributeChecks.
    if rules.request_lifetime {
        lifetime(state, claims)?;
    }
    if rules.audience_checked && !audience_ok(state, claims) {
        return Err((METADATA, "Invalid audience provided".into()));
    }
    if !state.defect(Defect::UkRs256MetadataAccepted) {
        for claim in [
            "token_endpoint_auth_signing_alg",
            "id_token_signed_response_alg",
            "request_object_signing_alg",
        ] {
            if let Some(v) = present(claims, claim)
                && !v.as_str().is_some_and(|a| ALLOWED_ALGS.contains(&a))
            {
                return Err((METADATA, "Invalid signing algorithm sent".into()));
            }
        }
    }
    if rules.redirect_uris_in_ssa
        && let Some(requested) = present(claims, "redirect_uris").and_then(strings)
    {
        let listed = mapped(ssa, &["software_redirect_uris", "redirect_uris"])
            .and_then(strings)
            .unwrap_or_default();
        if requested.iter().any(|u| !listed.contains(u)) {
            return Err((METADATA, "Invalid callback uris".into()));
        }
    }
    let iss_unchecked = state.defect(Defect::UkRequestIssUnchecked)
        || (operation == Operation::Update && state.defect(Defect::UkPutIssUnchecked));
    let software_id = str_claim(ssa, "software_id");
    if (software_id.is_none() || str_claim(claims, "iss") != software_id) && !iss_unchecked {
        return Err((METADATA, "Invalid issuer".into()));
    }
    // SignatureCheck.
    ssa_signature(state, ssa_text, ssa_header, ssa, operation).await
}

/// `aud` names this holder (its issuer or token endpoint): only where the deployment
/// configures the audience's allowed values.
fn audience_ok(state: &AppState, claims: &Map<String, Value>) -> bool {
    let urls = state.urls();
    let accepted = [urls.token_endpoint.as_str(), urls.issuer.as_str()];
    match claims.get("aud") {
        Some(Value::String(a)) => accepted.contains(&a.as_str()),
        Some(Value::Array(items)) => items
            .iter()
            .any(|a| a.as_str().is_some_and(|a| accepted.contains(&a))),
        _ => false,
    }
}

/// The request JWT's `exp` (and an `iat`/`nbf` not in the future), with the skew: only where
/// [`AcceleratorRules::request_lifetime`] is on.
fn lifetime(state: &AppState, claims: &Map<String, Value>) -> Result<(), IsFailure> {
    let checks = LifetimeChecks {
        require_iat: false,
        check_expiry: true,
        bound_lifetime: false,
    };
    check_lifetime(claims, state.clock(), "request JWT", checks)
        .map(drop)
        .map_err(|e| {
            let text = match e.fault {
                LifetimeFault::Expired => "Request JWT is expired",
                LifetimeFault::Early => "Request JWT is not valid yet",
                LifetimeFault::Missing => "Required parameter exp cannot be null",
                LifetimeFault::TooFar => "Request JWT expires too far in the future",
            };
            (METADATA, text.to_string())
        })
}

/// Step 6 (`SignatureValidator`): the SSA verifies with the Directory keystore's key named by
/// its `kid`.
async fn ssa_signature(
    state: &AppState,
    ssa_text: &str,
    header: &Map<String, Value>,
    ssa: &Map<String, Value>,
    operation: Operation,
) -> Result<(), IsFailure> {
    let alg = header.get("alg").and_then(Value::as_str);
    if alg == Some("none") && state.defect(Defect::UkUnsignedSsaAccepted) {
        return Ok(());
    }
    if state.defect(Defect::UkSsaSignatureUnchecked) {
        return header_alg_and_kid(header, "software_statement")
            .map(drop)
            .map_err(|_| invalid_ssa());
    }
    checks::ssa_signature(state, ssa_text, header, ssa.clone(), operation)
        .await
        .map(drop)
        .map_err(|_| invalid_ssa())
}

fn invalid_ssa() -> IsFailure {
    (
        "invalid_software_statement",
        "Invalid signature for SSA".into(),
    )
}

/// The registration to store, and the application's name (the store's per-software key):
/// the merged map of §2 "Success response" reduced to what the response class and the token
/// endpoint use. The request's members first; the SSA's where the request has none.
fn registration(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa_text: String,
    ssa: &Map<String, Value>,
) -> (String, Map<String, Value>) {
    let mut out = Map::new();
    let redirects = present(claims, "redirect_uris")
        .filter(|v| strings(v).is_some())
        .or_else(|| mapped(ssa, &["software_redirect_uris", "redirect_uris"]));
    if let Some(v) = redirects {
        out.insert("redirect_uris".into(), v.clone());
    }
    checks::copy_present(
        claims,
        &[
            "grant_types",
            "response_types",
            "application_type",
            "id_token_signed_response_alg",
            "request_object_signing_alg",
            "token_endpoint_auth_method",
            // Not answered (§5: no such response member), kept for the token endpoint.
            "token_endpoint_auth_signing_alg",
        ],
        &mut out,
    );
    if let Some(v) = present(claims, "scope").or_else(|| present(ssa, "scope")) {
        out.insert("scope".into(), v.clone());
    }
    let software_id = str_claim(ssa, "software_id")
        .unwrap_or_default()
        .to_string();
    out.insert("software_id".into(), software_id.clone().into());
    // §5: `jwks_uri` only when the request or the SSA has a claim of that name.
    if let Some(v) = present(claims, "jwks_uri").or_else(|| present(ssa, "jwks_uri")) {
        out.insert("jwks_uri".into(), v.clone());
    }
    if let Some(v) = mapped(ssa, &["software_jwks_endpoint", "jwks_uri"]) {
        out.insert(KEY_SET_MEMBER.into(), v.clone());
    }
    let app_name = mapped(ssa, &["software_client_name", "client_name"])
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .map_or_else(|| software_id.clone(), str::to_string);
    out.insert(APP_NAME_MEMBER.into(), app_name.clone().into());
    out.insert(
        "software_statement".into(),
        software_statement(state, ssa_text, ssa).into(),
    );
    (app_name, out)
}

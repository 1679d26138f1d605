//! The WSO2 CDS toolkit's DCR API 0.2 on Open Banking Accelerator 3.x (flavour `wso2-cds-0.2`):
//! a registration request passes the API gateway's `DCRExecutor`, then the Identity Server's
//! validator groups (wso2-flavours §2 "Validation pipeline", §4 "Validations"), and the first
//! failure is answered with the exact strings the CDS toolkit's tests assert (§4.1).
//!
//! Gateway (`DCRExecutor.preProcessRequest`), answered with `x-fapi-interaction-id`:
//! 1. the body is a compact JWS, else `Malformed request JWT`;
//! 2. it carries a `software_statement`, else `Required parameter software statement cannot be
//!    null`; the SSA decodes, else `Malformed request JWT`;
//! 3. the request's signature verifies with the key (by `kid`) at the *unverified* SSA's
//!    `jwks_uri` (`JWKSEndpointName = jwks_uri`), else `Invalid request signature`.
//!
//! Identity Server (marked [`OAuthError::Backend`]), groups MandatoryChecks → AttributeChecks
//! → SignatureCheck. Within a group the order of the bean checks is not published; this
//! holder's (a choice, README "Flavours"):
//! 4. required parameters, `Required parameter <beanName> cannot be null`;
//! 5. the request's lifetime (own texts: §9.7, the tests leave them open);
//! 6. allowed values (`Invalid <beanName> provided`), then the algorithms (`Invalid signing
//!    algorithm sent`), then `iss` = SSA `software_id` (`Invalid issuer`);
//! 7. the SSA's own claims (`CDSSoftwareStatementBody`), then the request's `redirect_uris` ⊆
//!    the SSA's (`Invalid callback uris`), then `jti` replay (5 min cache);
//! 8. the SSA's signature with the Register's JWKS (`Invalid signature for SSA`).
//!
//! Not checked, as shipped: the SSA's `exp` (not among §4's validations), URI reachability,
//! logo/tos/policy host names and the sector identifier (switches off by default), SSA `jti`
//! replay (off). JARM members are not part of the model: ignored, never stored.

use serde_json::{Map, Value};

use super::checks::{self, SignatureFailure, present, strings};
use super::metadata::{scope, software_statement};
use super::ssa::{SOFTWARE_ROLE, SSA_ISSUER};
use super::{
    LifetimeChecks, LifetimeFault, Operation, ValidRegistration, check_lifetime, metadata_error,
};
use crate::defect::Defect;
use crate::error::OAuthError;
use crate::jose::{ALLOWED_ALGS, split_jws, str_claim};
use crate::state::AppState;

/// §4.1 "Malformed SSA/JWT".
const MALFORMED: &str = "Malformed request JWT";
/// §4.1 "No software_statement".
const NO_SSA: &str = "Required parameter software statement cannot be null";
/// §4.1 "Bad request-JWT signature" (the Nimbus tail is not published, §9.7).
const BAD_SIGNATURE: &str = "Invalid request signature";
/// §4 "CDS switches": the request JTI cache expires after 5 minutes.
const JTI_CACHE_SECONDS: i64 = 300;
/// §4 "Default TOML": `grant_types` allowed values.
const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];
/// §4 "Default TOML": id_token encryption allowed values.
const ENC_ALGS: &[&str] = &["RSA-OAEP", "RSA-OAEP-256"];
const ENC_ENCS: &[&str] = &["A256GCM", "A128CBC-HS256"];
/// `RequiredParamsValidator`'s parameters: (claim, Java bean name), in the order checked. The
/// bean names of `iat`, `exp` and `jti` are not published: their wire names stand in.
const REQUIRED: &[(&str, &str)] = &[
    ("iss", "issuer"),
    ("aud", "audience"),
    ("iat", "iat"),
    ("exp", "exp"),
    ("jti", "jti"),
    ("token_endpoint_auth_method", "tokenEndPointAuthentication"),
    (
        "token_endpoint_auth_signing_alg",
        "tokenEndPointAuthSigningAlg",
    ),
    ("grant_types", "grantTypes"),
    ("response_types", "responseTypes"),
    ("id_token_signed_response_alg", "idTokenSignedResponseAlg"),
];
/// SSA claims the CDS response class carries as top-level members (§4 "Response members").
const ECHOED_SSA_CLAIMS: &[&str] = &[
    "client_name",
    "client_description",
    "client_uri",
    "org_id",
    "org_name",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "legal_entity_id",
    "legal_entity_name",
    "sector_identifier_uri",
    "revocation_uri",
    "recipient_base_uri",
    "software_id",
];

/// Validates `body`, sent for `operation`, as the gateway and then the Identity Server would.
///
/// # Errors
/// The first failure, in the words of §4.1; Identity Server errors are marked backend.
pub(super) async fn validate(
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
        return Err(metadata_error(MALFORMED));
    };
    let ssa_text = match unverified.get("software_statement") {
        None | Some(Value::Null) if state.defect(Defect::MissingSsaInvalidRequest) => {
            return Err(OAuthError::InvalidRequest(
                "The software_statement is missing".into(),
            ));
        }
        None | Some(Value::Null) => return Err(metadata_error(NO_SSA)),
        // Kept as sent: it is echoed byte for byte.
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(Value::String(_)) => return Err(metadata_error(NO_SSA)),
        Some(_) => return Err(metadata_error(MALFORMED)),
    };
    let Some((ssa_header, ssa)) = split_jws(&ssa_text) else {
        return Err(metadata_error(MALFORMED));
    };
    let claims = request_signature(state, body, &header, unverified, &ssa).await?;
    identity_server(state, &claims, ssa_text, &ssa_header, &ssa, operation)
        .await
        .map_err(OAuthError::backend)
}

/// Gateway step 3: the request's claims once its signature verifies with the key at the SSA's
/// `jwks_uri` (the SSA itself is not verified yet: the Identity Server does that last).
async fn request_signature(
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
            SignatureFailure::Internal(e) => OAuthError::Internal(e),
            _ => metadata_error(BAD_SIGNATURE),
        })
}

/// Steps 4 to 8, and the registration they produce.
async fn identity_server(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa_text: String,
    ssa_header: &Map<String, Value>,
    ssa: &Map<String, Value>,
    operation: Operation,
) -> Result<ValidRegistration, OAuthError> {
    required(state, claims)?;
    lifetime(state, claims)?;
    allowed_values(state, claims)?;
    algorithms(state, claims)?;
    let software_id = str_claim(ssa, "software_id")
        .unwrap_or_default()
        .to_string();
    if str_claim(claims, "iss") != Some(software_id.as_str())
        && !state.defect(Defect::SkipRequestIss)
    {
        return Err(metadata_error("Invalid issuer"));
    }
    software_statement_body(state, ssa)?;
    let redirect_uris = callback_uris(state, claims, ssa)?;
    replay(state, claims)?;
    ssa_signature(state, &ssa_text, ssa_header, ssa, operation).await?;
    Ok(ValidRegistration {
        software_id,
        metadata: registration(state, claims, ssa, ssa_text, redirect_uris),
    })
}

/// Step 4: `RequiredParamsValidator` (MandatoryChecks).
fn required(state: &AppState, claims: &Map<String, Value>) -> Result<(), OAuthError> {
    for (claim, bean) in REQUIRED {
        let exempt = match *claim {
            "iat" => Some(Defect::OptionalRequestIat),
            "jti" => Some(Defect::OptionalRequestJti),
            "token_endpoint_auth_method" => Some(Defect::AnyAuthMethod),
            "token_endpoint_auth_signing_alg" => Some(Defect::AnyAuthSigningAlg),
            "response_types" => Some(Defect::OptionalResponseTypes),
            "id_token_signed_response_alg" => Some(Defect::AnyIdTokenAlg),
            _ => None,
        }
        .is_some_and(|d| state.defect(d));
        if present(claims, claim).is_none() && !exempt {
            return Err(metadata_error(format!(
                "Required parameter {bean} cannot be null"
            )));
        }
    }
    Ok(())
}

/// Step 5: the request JWT's `exp` (and an `iat`/`nbf` not in the future), with the skew.
fn lifetime(state: &AppState, claims: &Map<String, Value>) -> Result<(), OAuthError> {
    let checks = LifetimeChecks {
        // `iat` is a required parameter: step 4 answered its absence.
        require_iat: false,
        check_expiry: !state.defect(Defect::AcceptExpiredRequest),
        // A `jti` is remembered for a fixed time (step 7), so a far `exp` is harmless.
        bound_lifetime: false,
    };
    check_lifetime(claims, state.clock(), "request JWT", checks)
        .map(drop)
        .map_err(|e| {
            metadata_error(match e.fault {
                LifetimeFault::Expired => "Request JWT is expired",
                LifetimeFault::Early => "Request JWT is not valid yet",
                // A non-numeric `exp` is null to the validator's bean.
                LifetimeFault::Missing => "Required parameter exp cannot be null",
                // Not checked here (`bound_lifetime` is off); in the holder's words if it were.
                LifetimeFault::TooFar => return metadata_error(e.text),
            })
        })
}

/// Step 6: the allowed values of §4's default TOML, each `Invalid <beanName> provided`.
fn allowed_values(state: &AppState, claims: &Map<String, Value>) -> Result<(), OAuthError> {
    if !state.defect(Defect::SkipRequestAud) {
        // The IS token endpoint (`https://IS_HOSTNAME:9446/oauth2/token`), which is also the
        // IS issuer; here the token endpoint or the issuer.
        let urls = state.urls();
        let accepted = [urls.token_endpoint.as_str(), urls.issuer.as_str()];
        let ok = match claims.get("aud") {
            Some(Value::String(a)) => accepted.contains(&a.as_str()),
            Some(Value::Array(items)) => items
                .iter()
                .any(|a| a.as_str().is_some_and(|a| accepted.contains(&a))),
            _ => false,
        };
        if !ok {
            return Err(metadata_error("Invalid audience provided"));
        }
    }
    if !state.defect(Defect::AnyAuthMethod)
        && str_claim(claims, "token_endpoint_auth_method") != Some("private_key_jwt")
    {
        return Err(metadata_error(
            "Invalid tokenEndPointAuthentication provided",
        ));
    }
    if !state.defect(Defect::AnyGrantType) {
        let grants = present(claims, "grant_types").and_then(strings);
        if !grants.is_some_and(|g| g.iter().all(|g| GRANT_TYPES.contains(&g.as_str()))) {
            return Err(metadata_error("Invalid grantTypes provided"));
        }
    }
    if let Some(value) = present(claims, "response_types") {
        let hybrid = state.defect(Defect::AcceptHybrid);
        let ok = strings(value).is_some_and(|types| {
            types
                .iter()
                .all(|t| t == "code" || (hybrid && t == "code id_token"))
        });
        if !ok {
            return Err(metadata_error("Invalid responseTypes provided"));
        }
    }
    if let Some(kind) = present(claims, "application_type")
        && kind != "web"
        && !state.defect(Defect::AnyApplicationType)
    {
        return Err(metadata_error("Invalid applicationType provided"));
    }
    for (claim, allowed, bean) in [
        (
            "id_token_encrypted_response_alg",
            ENC_ALGS,
            "idTokenEncryptionResponseAlg",
        ),
        (
            "id_token_encrypted_response_enc",
            ENC_ENCS,
            "idTokenEncryptionResponseEnc",
        ),
    ] {
        if let Some(v) = present(claims, claim)
            && !v.as_str().is_some_and(|v| allowed.contains(&v))
        {
            return Err(metadata_error(format!("Invalid {bean} provided")));
        }
    }
    Ok(())
}

/// Step 6, `AlgorithmValidator`: the signing algorithms a client registers.
fn algorithms(state: &AppState, claims: &Map<String, Value>) -> Result<(), OAuthError> {
    for (claim, defect) in [
        ("token_endpoint_auth_signing_alg", Defect::AnyAuthSigningAlg),
        ("id_token_signed_response_alg", Defect::AnyIdTokenAlg),
        ("request_object_signing_alg", Defect::AnyRequestObjectAlg),
    ] {
        if let Some(v) = present(claims, claim)
            && !v.as_str().is_some_and(|a| ALLOWED_ALGS.contains(&a))
            && !state.defect(defect)
        {
            return Err(metadata_error("Invalid signing algorithm sent"));
        }
    }
    Ok(())
}

/// Step 7, `CDSSoftwareStatementBody`: the SSA's issuer, roles, scopes and redirect URIs.
fn software_statement_body(state: &AppState, ssa: &Map<String, Value>) -> Result<(), OAuthError> {
    match str_claim(ssa, "iss") {
        None => return Err(metadata_error("Issuer can not be null or empty in SSA")),
        Some(iss) if iss != SSA_ISSUER && !state.defect(Defect::SkipSsaIss) => {
            return Err(metadata_error("Invalid Issuer in software statement"));
        }
        Some(_) => {}
    }
    match str_claim(ssa, "software_roles") {
        None => {
            return Err(metadata_error(
                "Software Roles can not be null or empty in SSA",
            ));
        }
        Some(role) if role != SOFTWARE_ROLE => {
            return Err(metadata_error(
                "Invalid Software Roles in software statement",
            ));
        }
        Some(_) => {}
    }
    match str_claim(ssa, "scope") {
        None => return Err(metadata_error("Scopes can not be null or empty in SSA")),
        Some(scope) => {
            let has = |s: &str| scope.split_whitespace().any(|x| x == s);
            if !(has("openid") && has("cdr:registration")) {
                return Err(metadata_error(
                    "Mandatory scopes are not given in the software statement",
                ));
            }
        }
    }
    let redirects = present(ssa, "redirect_uris")
        .and_then(strings)
        .filter(|r| !r.is_empty())
        .ok_or_else(|| metadata_error("Redirect URIs can not be null or empty in SSA"))?;
    if redirects.iter().any(|u| !u.contains("https")) {
        return Err(OAuthError::InvalidRedirectUri(
            "Invalid redirect_uris found in the SSA".into(),
        ));
    }
    // `enable_redirect_uri_hostname_validation = true` (§4 "CDS switches").
    let host = |u: &String| {
        url::Url::parse(u)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
    };
    let first = host(&redirects[0]);
    if redirects.iter().any(|u| host(u) != first) {
        return Err(metadata_error(
            "Redirect URIs do not contain the same hostname",
        ));
    }
    Ok(())
}

/// Step 7, `CallbackUrisValidator`: the request's `redirect_uris` ⊆ the SSA's (exact match);
/// without any, the SSA's are registered (CDS test OB-1166).
fn callback_uris(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa: &Map<String, Value>,
) -> Result<Vec<String>, OAuthError> {
    let ssa_redirects = present(ssa, "redirect_uris")
        .and_then(strings)
        .unwrap_or_default();
    checks::requested_redirects(state, claims, ssa_redirects)
        .map_err(|_| metadata_error("Invalid callback uris"))
}

/// Step 7, `JTIValidator`: a request `jti` seen in the last 5 minutes is a replay.
fn replay(state: &AppState, claims: &Map<String, Value>) -> Result<(), OAuthError> {
    let Some(jti) = str_claim(claims, "jti") else {
        return Ok(());
    };
    if !checks::fresh_jti(state, jti, state.now() + JTI_CACHE_SECONDS)? {
        return Err(metadata_error(
            "JTI value of the registration request has been replayed",
        ));
    }
    Ok(())
}

/// Step 8, `SignatureValidator` (SignatureCheck, the last group): the SSA verifies with the
/// Register's key named by its `kid`.
async fn ssa_signature(
    state: &AppState,
    ssa_text: &str,
    header: &Map<String, Value>,
    ssa: &Map<String, Value>,
    operation: Operation,
) -> Result<(), OAuthError> {
    checks::ssa_signature(state, ssa_text, header, ssa.clone(), operation)
        .await
        .map_err(|_| OAuthError::InvalidSoftwareStatement("Invalid signature for SSA".into()))?;
    Ok(())
}

/// The registration to store (snake_case RegistrationProperties; `registration/render.rs`
/// writes it in the 0.2 shape): the SSA's metadata, the request's, and the defaults the
/// validator provisions (`request_object_signing_alg` PS256, §4 "Response members").
fn registration(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa: &Map<String, Value>,
    ssa_text: String,
    redirect_uris: Vec<String>,
) -> Map<String, Value> {
    let mut out = Map::new();
    checks::echo_ssa(state, ssa, ECHOED_SSA_CLAIMS, &mut out);
    if let Some(role) = present(ssa, "software_roles") {
        out.insert("software_roles".into(), role.clone());
    }
    // "Unsupported SSA scopes are silently dropped" (§4 "Validations").
    out.insert("scope".into(), scope(state, ssa).into());
    out.insert("redirect_uris".into(), redirect_uris.into());
    checks::copy_present(
        claims,
        &[
            "token_endpoint_auth_method",
            "token_endpoint_auth_signing_alg",
            "id_token_signed_response_alg",
            "application_type",
            "id_token_encrypted_response_alg",
            "id_token_encrypted_response_enc",
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
    let response_types = present(claims, "response_types")
        .cloned()
        .unwrap_or_else(|| Value::from(vec!["code"]));
    out.insert("response_types".into(), response_types);
    match present(claims, "request_object_signing_alg") {
        Some(alg) => {
            out.insert("request_object_signing_alg".into(), alg.clone());
        }
        None if state.defect(Defect::NoRequestObjectAlgDefault) => {}
        None => {
            out.insert("request_object_signing_alg".into(), "PS256".into());
        }
    }
    out.insert(
        "software_statement".into(),
        software_statement(state, ssa_text, ssa).into(),
    );
    out
}

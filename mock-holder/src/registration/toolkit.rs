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

use super::metadata::reserialised;
use super::{Operation, ValidRegistration};
use crate::defect::Defect;
use crate::error::OAuthError;
use crate::jose::{ALLOWED_ALGS, header_alg_and_kid, split_jws, str_claim, verify_compact};
use crate::jwks::JwksError;
use crate::state::AppState;

/// §4.1 "Malformed SSA/JWT".
const MALFORMED: &str = "Malformed request JWT";
/// §4.1 "No software_statement".
const NO_SSA: &str = "Required parameter software statement cannot be null";
/// §4.1 "Bad request-JWT signature" (the Nimbus tail is not published, §9.7).
const BAD_SIGNATURE: &str = "Invalid request signature";
/// The regulatory issuer of CDS SSAs (§4 "Default TOML").
const SSA_ISSUER: &str = "cdr-register";
/// The only `software_roles` the CDS validator accepts.
const SOFTWARE_ROLE: &str = "data-recipient-software-product";
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

fn metadata_error(text: impl Into<String>) -> OAuthError {
    OAuthError::InvalidClientMetadata(text.into())
}

fn present<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).filter(|v| !v.is_null())
}

/// The strings of an array member; `None` when it is not an array of strings.
fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

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
    let unsigned = state.defect(Defect::AcceptAlgNoneRequest)
        && header.get("alg").and_then(Value::as_str) == Some("none");
    if unsigned || state.defect(Defect::SkipRequestSignature) {
        return Ok(unverified);
    }
    let (alg, kid) = header_alg_and_kid(header, "registration request")
        .map_err(|_| metadata_error(BAD_SIGNATURE))?;
    let jwks_uri = str_claim(ssa, "jwks_uri")
        .filter(|u| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
        .ok_or_else(|| metadata_error(BAD_SIGNATURE))?;
    let verifier = state
        .jwks()
        .verifier_for(jwks_uri, kid, alg, "registration request", true)
        .await
        .map_err(|e| match e {
            Err(JwksError::UnknownKid { .. }) | Ok(_) => metadata_error(BAD_SIGNATURE),
            Err(other) if state.defect(Defect::RecipientJwksFailure500) => {
                OAuthError::Internal(anyhow::anyhow!("recipient JWKS: {other}"))
            }
            Err(_) => metadata_error(BAD_SIGNATURE),
        })?;
    verify_compact(body, verifier.as_ref()).map_err(|_| metadata_error(BAD_SIGNATURE))
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
    ssa_signature(state, &ssa_text, ssa_header, operation).await?;
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
    let (now, skew) = (state.now(), state.skew());
    let number = |name: &str| crate::jose::int_claim(claims, name);
    if let Some(exp) = number("exp")
        && exp < now - skew
        && !state.defect(Defect::AcceptExpiredRequest)
    {
        return Err(metadata_error("Request JWT is expired"));
    }
    if number("exp").is_none() && present(claims, "exp").is_some() {
        return Err(metadata_error("Request JWT exp is not a number"));
    }
    for name in ["iat", "nbf"] {
        if number(name).is_some_and(|t| t > now + skew) {
            return Err(metadata_error("Request JWT is not valid yet"));
        }
    }
    Ok(())
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
    let Some(value) = present(claims, "redirect_uris") else {
        if state.defect(Defect::NoDefaultRedirects) {
            return Ok(Vec::new());
        }
        return Ok(ssa_redirects);
    };
    let invalid = || metadata_error("Invalid callback uris");
    let requested = strings(value)
        .filter(|r| !r.is_empty())
        .ok_or_else(invalid)?;
    let ignore_case = state.defect(Defect::CaseInsensitiveRedirects);
    let in_ssa = |u: &String| {
        ssa_redirects
            .iter()
            .any(|s| s == u || (ignore_case && s.eq_ignore_ascii_case(u)))
    };
    if !state.defect(Defect::SkipRedirectCheck) && !requested.iter().all(in_ssa) {
        return Err(invalid());
    }
    Ok(requested)
}

/// Step 7, `JTIValidator`: a request `jti` seen in the last 5 minutes is a replay.
fn replay(state: &AppState, claims: &Map<String, Value>) -> Result<(), OAuthError> {
    let Some(jti) = str_claim(claims, "jti") else {
        return Ok(());
    };
    if state.defect(Defect::SkipJtiReplay) {
        return Ok(());
    }
    let now = state.now();
    if !state
        .store()
        .record_jti("registration", jti, now + JTI_CACHE_SECONDS, now)?
    {
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
    operation: Operation,
) -> Result<(), OAuthError> {
    if state.defect(Defect::SkipSsaSignature)
        || (operation == Operation::Update && state.defect(Defect::PutSkipsSsaVerification))
    {
        return Ok(());
    }
    let invalid = || OAuthError::InvalidSoftwareStatement("Invalid signature for SSA".into());
    let (alg, kid) = header_alg_and_kid(header, "software_statement").map_err(|_| invalid())?;
    let refresh = !state.defect(Defect::NoRegisterJwksRefresh);
    let verifier = state
        .jwks()
        .verifier_for(
            &state.settings().register_jwks_uri,
            kid,
            alg,
            "software_statement",
            refresh,
        )
        .await
        .map_err(|_| invalid())?;
    verify_compact(ssa_text, verifier.as_ref()).map_err(|_| invalid())?;
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
    for name in ECHOED_SSA_CLAIMS {
        if let Some(v) = present(ssa, name) {
            out.insert((*name).into(), v.clone());
        }
    }
    if state.defect(Defect::DropSsaPolicyUris) {
        out.remove("tos_uri");
        out.remove("policy_uri");
    }
    if state.defect(Defect::OmitClientDescription) {
        out.remove("client_description");
    }
    if let Some(role) = present(ssa, "software_roles") {
        out.insert("software_roles".into(), role.clone());
    }
    // "Unsupported SSA scopes are silently dropped" (§4 "Validations").
    let supported = &state.settings().supported_scopes;
    let keep_all = state.defect(Defect::KeepUnsupportedScopes);
    let scope: Vec<&str> = str_claim(ssa, "scope")
        .unwrap_or_default()
        .split_whitespace()
        .filter(|s| keep_all || supported.iter().any(|x| x == s))
        .collect();
    out.insert("scope".into(), scope.join(" ").into());
    out.insert("redirect_uris".into(), redirect_uris.into());
    for name in [
        "token_endpoint_auth_method",
        "token_endpoint_auth_signing_alg",
        "id_token_signed_response_alg",
        "application_type",
        "id_token_encrypted_response_alg",
        "id_token_encrypted_response_enc",
    ] {
        if let Some(v) = present(claims, name) {
            out.insert(name.into(), v.clone());
        }
    }
    let mut grants = present(claims, "grant_types")
        .and_then(strings)
        .unwrap_or_default();
    if state.defect(Defect::DropClientCredentialsGrant) {
        grants.retain(|g| g != "client_credentials");
    }
    out.insert("grant_types".into(), grants.into());
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
    let ssa_out = if state.defect(Defect::ReserialiseSsa) {
        reserialised(&ssa_text, ssa)
    } else {
        ssa_text
    };
    out.insert("software_statement".into(), ssa_out.into());
    out
}

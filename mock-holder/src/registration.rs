//! Validation of a registration request (POST /register and PUT /register/{ClientId}), in the
//! order the CDS registration sequence implies:
//!
//! 1. the body is a compact JWS whose payload carries a `software_statement`;
//! 2. the SSA's signature verifies with the CDR Register's key named by its `kid` (Register JWKS
//!    fetched, cached, refreshed on an unknown `kid`); then its `iss`, `iat`, `exp` and required
//!    claims;
//! 3. only then is the SSA's `jwks_uri` trusted: the request's signature verifies with the
//!    recipient's key from it (`alg` PS256 or ES256 only);
//! 4. the request's own claims: `iss` = SSA `software_id`, `aud` = our issuer, `iat`, `exp`,
//!    `jti` (never reused);
//! 5. the client metadata rules, producing the registration (RegistrationProperties) to store.
//!
//! The first failure is returned, as an RFC 7591 error.

use serde_json::{Map, Value};

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::jose::{
    ALLOWED_ALGS, header_alg_and_kid, int_claim, split_jws, str_claim, verify_compact,
};
use crate::jwks::JwksError;
use crate::state::AppState;

const SSA_ISSUER: &str = "cdr-register";
const SOFTWARE_ROLE: &str = "data-recipient-software-product";
const GRANT_TYPES: &[&str] = &["client_credentials", "authorization_code", "refresh_token"];
const JARM_ENC_ALGS: &[&str] = &["RSA-OAEP", "RSA-OAEP-256"];
const JARM_ENC_ENCS: &[&str] = &["A256GCM", "A128CBC-HS256"];
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
/// SSA claims echoed as top-level client metadata when present.
const ECHOED_SSA_CLAIMS: &[&str] = &[
    "client_name",
    "client_description",
    "client_uri",
    "legal_entity_id",
    "legal_entity_name",
    "org_id",
    "org_name",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "revocation_uri",
    "recipient_base_uri",
    "sector_identifier_uri",
    "software_id",
];

/// Which operation a registration request is validated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST /register`.
    Create,
    /// `PUT /register/{ClientId}`.
    Update,
}

/// A request that passed every check: the registration to store (without `client_id` and
/// `client_id_issued_at`, which the caller provisions).
#[derive(Debug)]
pub struct ValidRegistration {
    /// The SSA's `software_id`.
    pub software_id: String,
    /// RegistrationProperties to store and return.
    pub metadata: Map<String, Value>,
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
}

impl LifetimeChecks {
    const ALL: Self = Self {
        require_iat: true,
        check_expiry: true,
    };
}

/// Checks `iat` and `exp` against now with the configured skew.
fn check_lifetime(
    claims: &Map<String, Value>,
    now: i64,
    skew: i64,
    what: &str,
    checks: LifetimeChecks,
) -> Result<(), String> {
    let iat = match int_claim(claims, "iat") {
        Some(iat) => iat,
        None if !checks.require_iat => now,
        None => return Err(format!("the {what} has no iat")),
    };
    let exp = int_claim(claims, "exp").ok_or(format!("the {what} has no exp"))?;
    if iat > now + skew {
        return Err(format!(
            "the {what} was issued in the future (iat {iat}, now {now})"
        ));
    }
    if checks.check_expiry && exp < now - skew {
        return Err(format!("the {what} has expired (exp {exp}, now {now})"));
    }
    if let Some(nbf) = int_claim(claims, "nbf")
        && nbf > now + skew
    {
        return Err(format!(
            "the {what} is not valid yet (nbf {nbf}, now {now})"
        ));
    }
    Ok(())
}

/// Step 2: the SSA.
async fn verify_ssa(
    state: &AppState,
    ssa: &str,
    operation: Operation,
) -> Result<Map<String, Value>, OAuthError> {
    let (header, unverified) =
        split_jws(ssa).ok_or_else(|| ssa_error("The software_statement is not a compact JWS"))?;
    let (alg, kid) = header_alg_and_kid(&header, "software_statement").map_err(ssa_error)?;
    let claims = if state.defect(Defect::SkipSsaSignature)
        || (operation == Operation::Update && state.defect(Defect::PutSkipsSsaVerification))
    {
        unverified
    } else {
        let register = &state.settings().register_jwks_uri;
        let refresh = !state.defect(Defect::NoRegisterJwksRefresh);
        let lookup = state
            .jwks()
            .verifier_for(register, kid, alg, "software_statement", refresh)
            .await;
        let verifier = lookup.map_err(|e| match e {
            Ok(text) => ssa_error(text),
            Err(JwksError::UnknownKid { .. }) => {
                ssa_error("The software_statement is not signed by a CDR Register key")
            }
            Err(other) => ssa_error(format!("Could not load the CDR Register JWKS: {other}")),
        })?;
        verify_compact(ssa, verifier.as_ref()).map_err(|e| {
            ssa_error(format!(
                "The software_statement signature is not valid: {e}"
            ))
        })?
    };
    if str_claim(&claims, "iss") != Some(SSA_ISSUER) && !state.defect(Defect::SkipSsaIss) {
        return Err(ssa_error(format!(
            "The software_statement iss must be {SSA_ISSUER}"
        )));
    }
    let checks = LifetimeChecks {
        check_expiry: !state.defect(Defect::AcceptExpiredSsa),
        ..LifetimeChecks::ALL
    };
    check_lifetime(
        &claims,
        state.now(),
        state.skew(),
        "software_statement",
        checks,
    )
    .map_err(ssa_error)?;
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

/// Steps 1 to 5 for `body`, sent for `operation`.
///
/// # Errors
/// The first RFC 7591 error found.
pub async fn validate(
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
        None => return Err(ssa_error("The software_statement is missing")),
    };
    let ssa = verify_ssa(state, &ssa_text, operation).await?;

    // Step 3: the request signature, with the recipient key from the SSA's jwks_uri.
    let unsigned = state.defect(Defect::AcceptAlgNoneRequest)
        && header.get("alg").and_then(Value::as_str) == Some("none");
    let claims = if unsigned || state.defect(Defect::SkipRequestSignature) {
        if !unsigned {
            header_alg_and_kid(&header, "registration request").map_err(metadata_error)?;
        }
        unverified
    } else {
        verify_request(state, body, &header, &ssa).await?
    };

    // Step 4: the request's own claims.
    let software_id = str_claim(&ssa, "software_id")
        .unwrap_or_default()
        .to_string();
    if str_claim(&claims, "iss") != Some(software_id.as_str())
        && !state.defect(Defect::SkipRequestIss)
    {
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
    let now = state.now();
    let checks = LifetimeChecks {
        require_iat: !state.defect(Defect::OptionalRequestIat),
        check_expiry: !state.defect(Defect::AcceptExpiredRequest),
    };
    check_lifetime(&claims, now, state.skew(), "registration request", checks)
        .map_err(metadata_error)?;
    match str_claim(&claims, "jti") {
        None if state.defect(Defect::OptionalRequestJti) => {}
        None => return Err(metadata_error("The request has no jti")),
        Some(_) if state.defect(Defect::SkipJtiReplay) => {}
        Some(jti) => {
            let exp = int_claim(&claims, "exp").unwrap_or(now);
            if !state
                .store()
                .record_jti("registration", jti, exp + state.skew(), now)?
            {
                return Err(metadata_error("The request jti has been used before"));
            }
        }
    }

    // Step 5: metadata.
    let metadata = build_metadata(state, &claims, &ssa, ssa_text)?;
    Ok(ValidRegistration {
        software_id,
        metadata,
    })
}

/// Step 3: verifies the request `body` with the recipient key (by the header's `kid`) at the
/// verified `ssa`'s `jwks_uri`; returns the request's claims.
async fn verify_request(
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

fn string_array(value: &Value, name: &str) -> Result<Vec<String>, OAuthError> {
    let items = value
        .as_array()
        .ok_or_else(|| metadata_error(format!("{name} must be an array of strings")))?;
    items
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| metadata_error(format!("{name} must be an array of strings")))
        })
        .collect()
}

fn one_of<'a>(
    claims: &'a Map<String, Value>,
    name: &str,
    allowed: &[&str],
    required: bool,
) -> Result<Option<&'a str>, OAuthError> {
    match claims.get(name) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(metadata_error(format!("{name} is required"))),
        Some(Value::String(v)) if allowed.contains(&v.as_str()) => Ok(Some(v)),
        Some(_) => Err(metadata_error(format!(
            "{name} must be one of {}",
            allowed.join(", ")
        ))),
    }
}

fn build_metadata(
    state: &AppState,
    request: &Map<String, Value>,
    ssa: &Map<String, Value>,
    ssa_text: String,
) -> Result<Map<String, Value>, OAuthError> {
    let mut out = Map::new();

    // Redirect URIs: each requested one must appear in the SSA (exact match); default = SSA list.
    let ssa_redirects = string_array(&ssa["redirect_uris"], "software_statement redirect_uris")
        .map_err(|_| {
            ssa_error("The software_statement redirect_uris must be an array of strings")
        })?;
    let redirects = match request.get("redirect_uris") {
        None | Some(Value::Null) if state.defect(Defect::NoDefaultRedirects) => Vec::new(),
        None | Some(Value::Null) => ssa_redirects.clone(),
        Some(v) => {
            let requested = string_array(v, "redirect_uris").map_err(|_| {
                OAuthError::InvalidRedirectUri("redirect_uris must be an array of strings".into())
            })?;
            if requested.is_empty() {
                return Err(OAuthError::InvalidRedirectUri(
                    "redirect_uris must not be empty".into(),
                ));
            }
            let ignore_case = state.defect(Defect::CaseInsensitiveRedirects);
            let in_ssa = |u: &String| {
                ssa_redirects
                    .iter()
                    .any(|s| s == u || (ignore_case && s.eq_ignore_ascii_case(u)))
            };
            if !state.defect(Defect::SkipRedirectCheck)
                && let Some(bad) = requested.iter().find(|u| !in_ssa(u))
            {
                return Err(OAuthError::InvalidRedirectUri(format!(
                    "The redirect_uri {bad} is not in the software_statement"
                )));
            }
            requested
        }
    };

    if !state.defect(Defect::AnyAuthMethod) {
        one_of(
            request,
            "token_endpoint_auth_method",
            &["private_key_jwt"],
            true,
        )?;
    }
    if !state.defect(Defect::AnyAuthSigningAlg) {
        one_of(
            request,
            "token_endpoint_auth_signing_alg",
            ALLOWED_ALGS,
            true,
        )?;
    }

    let grant_types = match request.get("grant_types") {
        None | Some(Value::Null) => return Err(metadata_error("grant_types is required")),
        Some(v) => string_array(v, "grant_types")?,
    };
    if !state.defect(Defect::AnyGrantType)
        && let Some(bad) = grant_types
            .iter()
            .find(|g| !GRANT_TYPES.contains(&g.as_str()))
    {
        return Err(metadata_error(format!(
            "grant_types value {bad} is not supported"
        )));
    }
    if !grant_types.iter().any(|g| g == "authorization_code")
        && !state.defect(Defect::AuthorizationCodeGrantOptional)
    {
        return Err(metadata_error(
            "grant_types must contain authorization_code",
        ));
    }

    let response_types = match request.get("response_types") {
        None | Some(Value::Null) if state.defect(Defect::OptionalResponseTypes) => {
            vec!["code".to_string()]
        }
        None | Some(Value::Null) => return Err(metadata_error("response_types is required")),
        Some(v) => string_array(v, "response_types")?,
    };
    let hybrid_allowed = state.defect(Defect::AcceptHybrid);
    if response_types.is_empty()
        || response_types
            .iter()
            .any(|r| r != "code" && !(hybrid_allowed && r == "code id_token"))
    {
        return Err(metadata_error(
            "response_types must be [\"code\"] (Authorization Code Flow)",
        ));
    }
    if !state.defect(Defect::AnyAuthzSignedAlg) {
        one_of(
            request,
            "authorization_signed_response_alg",
            ALLOWED_ALGS,
            !state.defect(Defect::OptionalAuthzSignedAlg),
        )?;
    }
    let (enc_alg, enc_enc) = if state.defect(Defect::AnyJarmEncryption) {
        (
            str_claim(request, "authorization_encrypted_response_alg"),
            str_claim(request, "authorization_encrypted_response_enc"),
        )
    } else {
        (
            one_of(
                request,
                "authorization_encrypted_response_alg",
                JARM_ENC_ALGS,
                false,
            )?,
            one_of(
                request,
                "authorization_encrypted_response_enc",
                JARM_ENC_ENCS,
                false,
            )?,
        )
    };
    if enc_alg == Some("RSA-OAEP-256") && state.defect(Defect::RefuseRsaOaep256) {
        return Err(metadata_error(
            "authorization_encrypted_response_alg must be one of RSA-OAEP",
        ));
    }
    if enc_enc.is_some() && enc_alg.is_none() && !state.defect(Defect::JarmEncWithoutAlg) {
        return Err(metadata_error(
            "authorization_encrypted_response_alg is required when authorization_encrypted_response_enc is given",
        ));
    }
    if !state.defect(Defect::AnyIdTokenAlg) {
        one_of(request, "id_token_signed_response_alg", ALLOWED_ALGS, true)?;
    }
    if state.defect(Defect::RequireIdTokenEncryption)
        && (str_claim(request, "id_token_encrypted_response_alg").is_none()
            || str_claim(request, "id_token_encrypted_response_enc").is_none())
    {
        return Err(metadata_error(
            "id_token_encrypted_response_alg and id_token_encrypted_response_enc are required",
        ));
    }
    if !state.defect(Defect::AnyRequestObjectAlg) {
        one_of(request, "request_object_signing_alg", ALLOWED_ALGS, false)?;
    }
    if !state.defect(Defect::AnyApplicationType) {
        one_of(request, "application_type", &["web"], false)?;
    }

    // SSA-provided metadata, echoed as top-level members.
    for name in ECHOED_SSA_CLAIMS {
        if let Some(v) = ssa.get(*name).filter(|v| !v.is_null()) {
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
    out.insert("software_roles".into(), Value::String(SOFTWARE_ROLE.into()));
    let supported = &state.settings().supported_scopes;
    let keep_all = state.defect(Defect::KeepUnsupportedScopes);
    let scope: Vec<&str> = ssa["scope"]
        .as_str()
        .unwrap_or_default()
        .split_whitespace()
        .filter(|s| keep_all || supported.iter().any(|x| x == s))
        .collect();
    out.insert("scope".into(), Value::String(scope.join(" ")));
    out.insert(
        "redirect_uris".into(),
        serde_json::to_value(redirects).map_err(anyhow::Error::from)?,
    );

    // Request-provided metadata, with defaults the holder provisions.
    for name in [
        "token_endpoint_auth_method",
        "token_endpoint_auth_signing_alg",
        "id_token_signed_response_alg",
        "authorization_signed_response_alg",
    ] {
        if let Some(value) = request.get(name) {
            out.insert(name.into(), value.clone());
        }
    }
    if state.defect(Defect::AuthzSignedAlgAlwaysPs256) {
        out.insert("authorization_signed_response_alg".into(), "PS256".into());
    }
    let registered_grants: Vec<&String> = grant_types
        .iter()
        .filter(|g| {
            !(state.defect(Defect::DropClientCredentialsGrant) && *g == "client_credentials")
        })
        .collect();
    out.insert(
        "grant_types".into(),
        serde_json::to_value(registered_grants).map_err(anyhow::Error::from)?,
    );
    out.insert(
        "response_types".into(),
        serde_json::to_value(response_types).map_err(anyhow::Error::from)?,
    );
    match request
        .get("request_object_signing_alg")
        .filter(|v| !v.is_null())
    {
        Some(alg) => {
            out.insert("request_object_signing_alg".into(), alg.clone());
        }
        None if state.defect(Defect::NoRequestObjectAlgDefault) => {}
        None => {
            out.insert("request_object_signing_alg".into(), "PS256".into());
        }
    }
    match request.get("application_type").filter(|v| !v.is_null()) {
        Some(kind) => {
            out.insert("application_type".into(), kind.clone());
        }
        None if state.defect(Defect::NoApplicationTypeDefault) => {}
        None => {
            out.insert("application_type".into(), "web".into());
        }
    }
    if state.settings().jarm_encryption {
        let enc_alg = enc_alg.or_else(|| {
            state
                .defect(Defect::JarmEncryptionByDefault)
                .then_some("RSA-OAEP")
        });
        if let Some(alg) = enc_alg {
            let default_enc = if state.defect(Defect::JarmEncDefaultA256gcm) {
                "A256GCM"
            } else {
                "A128CBC-HS256"
            };
            out.insert("authorization_encrypted_response_alg".into(), alg.into());
            out.insert(
                "authorization_encrypted_response_enc".into(),
                enc_enc.unwrap_or(default_enc).into(),
            );
        }
    }
    // id_token encryption fields are for the retired hybrid flow: ignored, not stored.
    if state.defect(Defect::KeepIdTokenEncryption) {
        for name in [
            "id_token_encrypted_response_alg",
            "id_token_encrypted_response_enc",
        ] {
            if let Some(value) = request.get(name) {
                out.insert(name.into(), value.clone());
            }
        }
    }
    let ssa_text = if state.defect(Defect::ReserialiseSsa) {
        reserialised(&ssa_text, ssa)
    } else {
        ssa_text
    };
    out.insert("software_statement".into(), Value::String(ssa_text));
    if state.defect(Defect::KeepUnknownMembers) {
        for (name, value) in request {
            let envelope = matches!(
                name.as_str(),
                "iss" | "aud" | "iat" | "exp" | "nbf" | "jti" | "client_id"
            );
            if !envelope && !out.contains_key(name) {
                out.insert(name.clone(), value.clone());
            }
        }
    }
    Ok(out)
}

/// The `reserialise-ssa` defect: `ssa` with its payload re-encoded from the parsed `claims`
/// (pretty-printed), header and signature kept.
fn reserialised(ssa: &str, claims: &Map<String, Value>) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = ssa.split('.');
    let (header, signature) = (
        parts.next().unwrap_or_default(),
        parts.nth(1).unwrap_or_default(),
    );
    let payload = serde_json::to_vec_pretty(claims).unwrap_or_default();
    format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(payload))
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
    fn lifetime_honours_the_skew(#[case] iat: i64, #[case] exp: i64, #[case] err: Option<&str>) {
        let claims: Map<String, Value> = serde_json::json!({"iat": iat, "exp": exp})
            .as_object()
            .cloned()
            .expect("obj");
        // now = 100, skew = 60
        match (
            check_lifetime(&claims, 100, 60, "x", LifetimeChecks::ALL),
            err,
        ) {
            (Ok(()), None) => {}
            (Err(e), Some(want)) => assert!(e.contains(want), "{e}"),
            (got, want) => panic!("got {got:?}, want error {want:?}"),
        }
    }
}

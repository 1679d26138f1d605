//! UK Open Banking (OBIE) DCR v3.2 and v3.3 (flavours `uk-obie-3.2`, `uk-obie-3.3`), read from
//! the project's digest `shared/spec/uk-dcr.md` (cited by section below).
//!
//! The order follows the Directory's "Request Validation" duties (§3.2) and the data
//! dictionary (§2.2):
//!
//! 1. the body is a compact JWS whose (unverified) payload carries a `software_statement`
//!    (UK-REQ-010, UK-REQ-021);
//! 2. the SSA (OB Directory format, §3.1): header `alg` PS256 or ES256, `typ` JWT when present,
//!    signature verified with the key named by its `kid` in the Directory keystore (the
//!    holder's `register_jwks_uri` setting) (UK-REQ-022, UK-REQ-024); then its claims: `iss`
//!    `OpenBanking Ltd` (else `unapproved_software_statement`, UK-REQ-023), `iat` present, not
//!    in the future and not older than the maximum SSA age (OB SSAs carry no `exp`; one that
//!    does must not be past, UK-REQ-025/026), and the claims the holder uses (`software_id`,
//!    `software_jwks_endpoint`, `software_redirect_uris`, `software_roles`, `org_id`, `jti`);
//! 3. only then is the SSA's `software_jwks_endpoint` trusted: the request verifies with the
//!    key named by its header `kid` there, `alg` PS256 or ES256 only; keys or key URLs in the
//!    request header (`jwk`, `x5c`, `x5u`) are never used (UK-REQ-011..015, §2.1);
//! 4. the request's own claims: `iss` = SSA `software_id`, `iat`, `exp` (not past), `jti`
//!    (never reused), `aud` (the issuer URL or the holder's OB organisation id), an optional
//!    `software_id` equal to the SSA's (UK-REQ-016..020, UK-REQ-030);
//! 5. the client metadata (UK-REQ-031..046), producing the registration to store.
//!
//! Errors: a bad redirect is `invalid_redirect_uri`, a bad SSA `invalid_software_statement`,
//! an untrusted SSA issuer `unapproved_software_statement`, everything else
//! `invalid_client_metadata` (§5.1 code choice). Unknown claims are ignored (UK-REQ-045).

use axum::http::StatusCode;
use serde_json::{Map, Value};

use super::checks::{self, RedirectFailure, SignatureFailure, present, strings};
use super::metadata::software_statement;
use super::{
    LifetimeChecks, Operation, ValidRegistration, check_lifetime, metadata_error, ssa_error,
};
use crate::defect::Defect;
use crate::error::OAuthError;
use crate::flavour::{CIBA_GRANT, UK_SCOPES, UkVersion};
use crate::jose::{ALLOWED_ALGS, header_alg_and_kid, split_jws, str_claim};
use crate::lifetime::{numeric_date, seconds};
use crate::state::AppState;
use crate::variation::Variation;

/// The OB Directory's SSA issuer (§3.1 `iss`; SAPIG's trusted directory entry).
pub(crate) const OB_DIRECTORY_ISSUER: &str = "OpenBanking Ltd";
/// §2.2 `token_endpoint_auth_method`: the methods this holder supports (FAPI's two and
/// `client_secret_basic`); the enum's others are refused (UK-REQ-034).
pub(crate) const AUTH_METHODS: &[&str] =
    &["private_key_jwt", "tls_client_auth", "client_secret_basic"];
/// §2.2 `grant_types` (3.2); 3.3 adds [`CIBA_GRANT`].
const GRANTS: &[&str] = &["client_credentials", "authorization_code", "refresh_token"];
/// §2.2 `response_types`.
const RESPONSE_TYPES: &[&str] = &["code", "code id_token"];
/// §2.2 `response_types`: "Defaults to code id_token when absent" (UK-REQ-039).
const DEFAULT_RESPONSE_TYPE: &str = "code id_token";
/// §2.2 `application_type` (3.2 / 3.3).
const APPLICATION_TYPES: &[&str] = &["web", "mobile"];
/// §2.2 CIBA rows: FAPI-CIBA allows `poll` or `ping` only.
const CIBA_MODES: &[&str] = &["poll", "ping"];
/// §3.3: the SSA role each resource scope needs (`openid` needs none).
const ROLE_OF_SCOPE: &[(&str, &str)] = &[
    ("accounts", "AISP"),
    ("payments", "PISP"),
    ("fundsconfirmations", "CBPII"),
];
/// §2.2: the longest redirect URI.
const MAX_REDIRECT_LEN: usize = 256;
/// The response members the CIBA grant registers (§2.2, 3.3).
const CIBA_MEMBERS: &[&str] = &[
    "backchannel_token_delivery_mode",
    "backchannel_client_notification_endpoint",
    "backchannel_authentication_request_signing_alg",
    "backchannel_user_code_parameter_supported",
];

/// Validates `body`, sent for `operation`, as a UK ASPSP of `version` would (see the module
/// documentation for the order).
///
/// # Errors
/// The first failure, as an RFC 7591 error.
pub(super) async fn validate(
    state: &AppState,
    body: &str,
    operation: Operation,
    version: UkVersion,
    peer: Option<&[u8]>,
) -> Result<ValidRegistration, OAuthError> {
    let body = body.trim();
    let Some((header, unverified)) = split_jws(body) else {
        if state.defect(Defect::UkMalformedBody500) {
            return Err(OAuthError::Internal(anyhow::anyhow!(
                "the request body is not a compact JWS"
            )));
        }
        return Err(metadata_error(
            "The request body is not a compact JWS (JWT)",
        ));
    };
    let ssa_text = match present(&unverified, "software_statement") {
        // Kept as sent: it is echoed byte for byte.
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => return Err(ssa_error("The software_statement must be a JWT string")),
        None if state.defect(Defect::UkMissingSsaInvalidRequest) => {
            return Err(OAuthError::InvalidRequest(
                "The request has no software_statement".into(),
            ));
        }
        None => return Err(ssa_error("The request has no software_statement")),
    };
    let ssa = verify_ssa(state, &ssa_text, operation).await?;
    ssa_claims(state, &ssa)?;
    let claims = request_signature(state, body, &header, unverified, &ssa).await?;
    transport_certificate(state, &ssa, peer).await?;
    let software_id = str_claim(&ssa, "software_id")
        .unwrap_or_default()
        .to_string();
    request_claims(state, &claims, &software_id, operation)?;
    let metadata = registration(state, &claims, &ssa, ssa_text, version)?;
    Ok(ValidRegistration {
        software_id,
        metadata,
    })
}

/// Step 3, once the SSA's `software_jwks_endpoint` is trusted: the TLS client certificate is
/// one the software statement's JWKS publishes with `use` = `tls` (`x5c`), so that the
/// registration comes from the TPP the SSA names (UK-REQ-006, a SHOULD: DIR §Request
/// Validation; SecureApiGateway answers `invalid_software_statement`). Without a certificate
/// (only under the optional-certificate defects) the listener's rule stands.
async fn transport_certificate(
    state: &AppState,
    ssa: &Map<String, Value>,
    peer: Option<&[u8]>,
) -> Result<(), OAuthError> {
    let (Some(peer), Some(url)) = (peer, str_claim(ssa, "software_jwks_endpoint")) else {
        return Ok(());
    };
    if state.defect(Defect::UkTransportCertUnchecked) {
        return Ok(());
    }
    match state.jwks().tls_certificates(url).await {
        Ok(certs) if certs.iter().any(|c| c.as_slice() == peer) => Ok(()),
        Ok(_) => Err(ssa_error(
            "The TLS client certificate is not a transport certificate (use tls) of the software_statement's software_jwks_endpoint",
        )),
        Err(e) => Err(ssa_error(format!(
            "The software_statement's software_jwks_endpoint cannot be used: {e}"
        ))),
    }
}

/// A signature failure in words (`what` names the JWS).
fn signature_text(what: &str, failure: SignatureFailure) -> String {
    match failure {
        SignatureFailure::Header(text) | SignatureFailure::WrongKey(text) => text,
        SignatureFailure::NoJwksUri => {
            "The software_statement names no absolute https software_jwks_endpoint".into()
        }
        SignatureFailure::UnknownKid(kid) => format!("No key with kid {kid} verifies the {what}"),
        SignatureFailure::Jwks(e) => format!("The key set of the {what} cannot be used: {e}"),
        SignatureFailure::Invalid(e) => format!("The {what} signature is not valid: {e}"),
        SignatureFailure::Internal(e) => format!("The {what} cannot be verified: {e}"),
    }
}

/// Step 2: the SSA's header and signature (OB Directory keystore, key by `kid`); its claims.
async fn verify_ssa(
    state: &AppState,
    ssa_text: &str,
    operation: Operation,
) -> Result<Map<String, Value>, OAuthError> {
    const WHAT: &str = "software_statement";
    let (header, unverified) = split_jws(ssa_text)
        .ok_or_else(|| ssa_error("The software_statement is not an encoded JWT (compact JWS)"))?;
    // Defect `uk-unsigned-ssa-accepted`: `alg: none` taken as it is (UK-REQ-024).
    if header.get("alg").and_then(Value::as_str) == Some("none")
        && state.defect(Defect::UkUnsignedSsaAccepted)
    {
        return Ok(unverified);
    }
    // §3.1 header: `typ` MUST be JWT (compared as RFC 7515 §4.1.9 says, ignoring case).
    if let Some(typ) = header.get("typ")
        && !typ.as_str().is_some_and(|t| t.eq_ignore_ascii_case("JWT"))
    {
        return Err(ssa_error("The software_statement header typ must be JWT"));
    }
    if state.defect(Defect::UkSsaSignatureUnchecked) {
        header_alg_and_kid(&header, WHAT).map_err(ssa_error)?;
        return Ok(unverified);
    }
    checks::ssa_signature(state, ssa_text, &header, unverified, operation)
        .await
        .map_err(|e| ssa_error(signature_text(WHAT, e)))
}

/// Step 2, the SSA's claims (§3.1, §3.2 item 4).
fn ssa_claims(state: &AppState, ssa: &Map<String, Value>) -> Result<(), OAuthError> {
    if str_claim(ssa, "iss") != Some(OB_DIRECTORY_ISSUER) && !state.defect(Defect::UkAnySsaIssuer) {
        return Err(OAuthError::flavoured(
            StatusCode::BAD_REQUEST,
            "unapproved_software_statement",
            format!(
                "The issuer of the software statement is not trusted; this holder trusts {OB_DIRECTORY_ISSUER}"
            ),
        ));
    }
    let clock = state.clock();
    let now = clock.now;
    const SUBJECT: &str = "the software statement";
    let iat = numeric_date(ssa, "iat", SUBJECT)
        .map_err(ssa_error)?
        .ok_or_else(|| ssa_error("The software statement has no iat"))?;
    if clock.is_future(iat) {
        return Err(ssa_error(format!(
            "The software statement was issued in the future (iat {iat}, now {now})"
        )));
    }
    let max_age = seconds(state.settings().ssa_max_age);
    // The window is the holder's own (§3.2 item 4): no clock skew is added to it.
    if iat.saturating_add(max_age) < now && !state.defect(Defect::UkStaleSsaAccepted) {
        return Err(ssa_error(format!(
            "The software statement is too old (iat {iat}, now {now}; the oldest accepted is {max_age} s)"
        )));
    }
    if let Some(exp) = numeric_date(ssa, "exp", SUBJECT).map_err(ssa_error)?
        && clock.is_past(exp)
    {
        return Err(ssa_error(format!(
            "The software statement has expired (exp {exp}, now {now})"
        )));
    }
    for claim in ["software_id", "software_jwks_endpoint", "org_id", "jti"] {
        if str_claim(ssa, claim).is_none() {
            return Err(ssa_error(format!(
                "The software statement has no {claim} (a non-empty string)"
            )));
        }
    }
    for claim in ["software_redirect_uris", "software_roles"] {
        if present(ssa, claim).and_then(strings).is_none() {
            return Err(ssa_error(format!(
                "The software statement's {claim} must be an array of strings"
            )));
        }
    }
    Ok(())
}

/// Step 3: the request's claims once its signature verifies with the SSA's
/// `software_jwks_endpoint` (key by `kid`; header keys never used).
async fn request_signature(
    state: &AppState,
    body: &str,
    header: &Map<String, Value>,
    unverified: Map<String, Value>,
    ssa: &Map<String, Value>,
) -> Result<Map<String, Value>, OAuthError> {
    const WHAT: &str = "registration request";
    let alg = header.get("alg").and_then(Value::as_str);
    if alg == Some("RS256") && state.defect(Defect::UkRs256Accepted) {
        return Ok(unverified);
    }
    if state.defect(Defect::UkHeaderJwkUsed)
        && let Some(Value::Object(jwk)) = header.get("jwk")
    {
        return checks::verify_with_jwk(body, jwk, alg.unwrap_or_default())
            .map_err(|e| metadata_error(format!("The {WHAT} signature is not valid: {e}")));
    }
    if state.defect(Defect::UkRequestSignatureUnchecked)
        || (alg == Some("none") && state.defect(Defect::UkUnsignedRequestAccepted))
    {
        if alg != Some("none") {
            header_alg_and_kid(header, WHAT).map_err(metadata_error)?;
        }
        return Ok(unverified);
    }
    let jwks_uri = str_claim(ssa, "software_jwks_endpoint");
    match checks::request_signature(state, body, header, unverified, jwks_uri).await {
        Ok(claims) => Ok(claims),
        Err(SignatureFailure::Internal(e)) => Err(OAuthError::Internal(e)),
        Err(SignatureFailure::Jwks(e)) if state.defect(Defect::UkJwksFailure500) => Err(
            OAuthError::Internal(anyhow::anyhow!("software_jwks_endpoint: {e}")),
        ),
        // Defect `uk-unknown-kid-any-key`: the kid is not looked for; any key of the set does.
        Err(SignatureFailure::UnknownKid(_))
            if state.defect(Defect::UkUnknownKidAnyKey) && jwks_uri.is_some() =>
        {
            let alg = alg.unwrap_or_default();
            let verifiers = state
                .jwks()
                .verifiers_for_alg(jwks_uri.unwrap_or_default(), alg)
                .await
                .map_err(|e| metadata_error(e.to_string()))?;
            verifiers
                .iter()
                .find_map(|v| verify_any_kid(body, v.as_ref()))
                .ok_or_else(|| metadata_error("The registration request signature is not valid"))
        }
        Err(other) => Err(metadata_error(signature_text(WHAT, other))),
    }
}

/// Defect `uk-unknown-kid-any-key`: `body` verified with a verifier that has no key id,
/// whatever `kid` its header names.
fn verify_any_kid(
    body: &str,
    verifier: &dyn josekit::jws::JwsVerifier,
) -> Option<Map<String, Value>> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut parts = body.split('.');
    let (h, p, sig) = (parts.next()?, parts.next()?, parts.next()?);
    let signature = URL_SAFE_NO_PAD.decode(sig).ok()?;
    verifier
        .verify(format!("{h}.{p}").as_bytes(), &signature)
        .ok()?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
}

/// Step 4: the request's own claims (§2.2 `iss`, `iat`, `exp`, `aud`, `jti`, `software_id`).
fn request_claims(
    state: &AppState,
    claims: &Map<String, Value>,
    software_id: &str,
    operation: Operation,
) -> Result<(), OAuthError> {
    let unchecked = state.defect(Defect::UkRequestIssUnchecked)
        || (operation == Operation::Update && state.defect(Defect::UkPutIssUnchecked));
    if str_claim(claims, "iss") != Some(software_id) && !unchecked {
        return Err(metadata_error(
            "The request iss must be the software_statement's software_id",
        ));
    }
    let clock = state.clock();
    let checks = LifetimeChecks {
        require_iat: !state.defect(Defect::UkRequestIatOptional),
        check_expiry: !state.defect(Defect::UkRequestExpUnchecked),
        bound_lifetime: true,
    };
    let exp = check_lifetime(claims, clock, "registration request", checks)
        .map_err(|e| metadata_error(e.text))?;
    match str_claim(claims, "jti") {
        None if state.defect(Defect::UkRequestJtiOptional) => {}
        None => return Err(metadata_error("The request has no jti")),
        Some(jti) => {
            if !checks::fresh_jti(state, jti, clock.replay_until(exp))? {
                return Err(metadata_error("The request jti has been used before"));
            }
        }
    }
    let issuer = state.urls().issuer.as_str();
    let org = state.settings().ob_organisation_id.as_str();
    let ours = |a: &Value| a.as_str().is_some_and(|a| a == issuer || a == org);
    let aud = present(claims, "aud");
    let aud_ok = match aud {
        None => state.defect(Defect::UkRequestAudOptional),
        // UK-REQ-020: a holder MAY validate the value (variation `uk-aud-unchecked`: it does
        // not).
        Some(_) if state.variation(Variation::UkAudUnchecked) => true,
        Some(Value::Array(items)) => items.iter().any(ours),
        Some(one) => ours(one),
    };
    if !aud_ok {
        return Err(metadata_error(format!(
            "The request aud must be this holder's issuer {issuer} or its OB organisation id {org}"
        )));
    }
    if let Some(sent) = present(claims, "software_id")
        && sent.as_str() != Some(software_id)
        && !state.defect(Defect::UkSoftwareIdMismatchAccepted)
    {
        return Err(metadata_error(
            "The request software_id must be the software_statement's software_id",
        ));
    }
    Ok(())
}

/// A string member of the request that must be one of `allowed` (absent: `None`).
fn one_of(
    claims: &Map<String, Value>,
    name: &str,
    allowed: &[&str],
    any: bool,
) -> Result<Option<String>, OAuthError> {
    let Some(value) = present(claims, name) else {
        return Ok(None);
    };
    match value.as_str() {
        Some(v) if any || allowed.contains(&v) => Ok(Some(v.to_string())),
        _ => Err(metadata_error(format!(
            "{name} must be one of {}",
            allowed.join(", ")
        ))),
    }
}

/// A required member that must be one of `allowed`.
fn required_one_of(
    claims: &Map<String, Value>,
    name: &str,
    allowed: &[&str],
    any: bool,
) -> Result<String, OAuthError> {
    one_of(claims, name, allowed, any)?.ok_or_else(|| {
        metadata_error(format!(
            "The request has no {name} (one of {})",
            allowed.join(", ")
        ))
    })
}

/// Why a redirect URI breaks the OB URL rule (§2.2 `redirect_uris`; CT's rules.go), if it does.
fn redirect_fault(uri: &str) -> Option<&'static str> {
    if uri.len() > MAX_REDIRECT_LEN {
        return Some("is longer than 256 characters");
    }
    let Ok(url) = url::Url::parse(uri) else {
        return Some("is not an absolute URL");
    };
    if url.scheme() != "https" {
        return Some("must use https");
    }
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    if host == "localhost" || host == "127.0.0.1" || host.ends_with(".localhost") {
        return Some("must not name localhost");
    }
    if url.fragment().is_some() {
        return Some("must not have a fragment");
    }
    None
}

/// §2.2 `redirect_uris` (UK-REQ-031..033): each an https URL, not localhost, without a
/// fragment, at most 256 characters, and among the SSA's `software_redirect_uris`.
fn redirect_uris(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa: &Map<String, Value>,
) -> Result<Vec<String>, OAuthError> {
    let ssa_redirects = present(ssa, "software_redirect_uris")
        .and_then(strings)
        .unwrap_or_default();
    let bad = |text: String| OAuthError::InvalidRedirectUri(text);
    let Some(value) = present(claims, "redirect_uris") else {
        // UK-REQ-033: §2.2 says both 1..* and "the entire software_redirect_uris ... are
        // considered requested"; refused unless the variation takes the SSA's.
        if state.variation(Variation::UkRedirectOmittedUsesSsa) {
            return Ok(ssa_redirects);
        }
        return Err(bad("The request has no redirect_uris".into()));
    };
    let requested =
        strings(value).ok_or_else(|| bad("redirect_uris must be an array of strings".into()))?;
    if requested.is_empty() {
        return Err(bad("redirect_uris must not be empty".into()));
    }
    if !state.defect(Defect::UkRedirectHttpAllowed) {
        for uri in &requested {
            if let Some(fault) = redirect_fault(uri) {
                return Err(bad(format!("The redirect URI {uri} {fault}")));
            }
        }
    }
    if state.defect(Defect::UkRedirectNotInSsa) {
        return Ok(requested);
    }
    let request = Map::from_iter([("redirect_uris".to_string(), Value::from(requested))]);
    checks::requested_redirects(state, &request, ssa_redirects).map_err(|e| match e {
        RedirectFailure::NotInSsa(uri) => bad(format!(
            "invalid registration request redirect_uris value, must match or be a subset of the software_redirect_uris ({uri} is not)"
        )),
        RedirectFailure::NotStrings | RedirectFailure::Empty => {
            bad("redirect_uris must be a non-empty array of strings".into())
        }
    })
}

/// §2.2 `scope` (UK-REQ-040/041): a space-separated string of UK scopes, each allowed by the
/// SSA's roles; returned as registered (duplicates dropped, order kept).
fn scope(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa: &Map<String, Value>,
) -> Result<Option<String>, OAuthError> {
    let Some(value) = present(claims, "scope") else {
        if state.defect(Defect::UkScopeOptional) {
            return Ok(None);
        }
        return Err(metadata_error("The request has no scope"));
    };
    let text = value
        .as_str()
        .ok_or_else(|| metadata_error("scope must be a space-separated string"))?;
    let roles = present(ssa, "software_roles")
        .and_then(strings)
        .unwrap_or_default();
    let mut out: Vec<&str> = Vec::new();
    let mut last = 0;
    for s in text.split_whitespace() {
        // Defect `uk-scope-order-sensitive`: scopes out of the holder's own order are refused.
        if let Some(i) = UK_SCOPES.iter().position(|x| *x == s) {
            if i < last && state.defect(Defect::UkScopeOrderSensitive) {
                return Err(metadata_error(format!(
                    "The scope {s} is out of order; the scopes are {}",
                    UK_SCOPES.join(" ")
                )));
            }
            last = i;
        }
        if !UK_SCOPES.contains(&s) {
            return Err(metadata_error(format!(
                "The scope {s} is not supported; the scopes are {}",
                UK_SCOPES.join(" ")
            )));
        }
        let allowed = ROLE_OF_SCOPE
            .iter()
            .find(|(scope, _)| *scope == s)
            .is_none_or(|(_, role)| roles.iter().any(|r| r == role));
        if !allowed && !state.defect(Defect::UkScopeBeyondRoles) {
            return Err(metadata_error(format!(
                "registration request contains scopes not allowed for the presented software statement ({s})"
            )));
        }
        if !out.contains(&s) {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(metadata_error("scope must name at least one scope"));
    }
    Ok(Some(out.join(" ")))
}

/// §2.2 CIBA rows (3.3, UK-REQ-046): the `backchannel_*` members of a client registering the
/// CIBA grant, written into `out`.
fn ciba(
    state: &AppState,
    claims: &Map<String, Value>,
    out: &mut Map<String, Value>,
) -> Result<(), OAuthError> {
    if state.defect(Defect::UkCibaUnchecked) {
        checks::copy_present(claims, CIBA_MEMBERS, out);
        return Ok(());
    }
    let mode = required_one_of(claims, "backchannel_token_delivery_mode", CIBA_MODES, false)?;
    let alg = required_one_of(
        claims,
        "backchannel_authentication_request_signing_alg",
        ALLOWED_ALGS,
        false,
    )?;
    out.insert(
        "backchannel_token_delivery_mode".into(),
        mode.clone().into(),
    );
    match present(claims, "backchannel_client_notification_endpoint") {
        Some(Value::String(endpoint)) => {
            let https = url::Url::parse(endpoint).is_ok_and(|u| u.scheme() == "https");
            if !https || endpoint.len() > MAX_REDIRECT_LEN {
                return Err(metadata_error(
                    "backchannel_client_notification_endpoint must be an https URL of at most 256 characters",
                ));
            }
            out.insert(
                "backchannel_client_notification_endpoint".into(),
                endpoint.clone().into(),
            );
        }
        Some(_) => {
            return Err(metadata_error(
                "backchannel_client_notification_endpoint must be an https URL",
            ));
        }
        None if mode != "poll" => {
            return Err(metadata_error(format!(
                "The request has no backchannel_client_notification_endpoint (required for the {mode} mode)"
            )));
        }
        None => {}
    }
    out.insert(
        "backchannel_authentication_request_signing_alg".into(),
        alg.into(),
    );
    match present(claims, "backchannel_user_code_parameter_supported") {
        None => {}
        Some(Value::Bool(false)) => {
            out.insert(
                "backchannel_user_code_parameter_supported".into(),
                false.into(),
            );
        }
        Some(_) => {
            return Err(metadata_error(
                "backchannel_user_code_parameter_supported must be false when present",
            ));
        }
    }
    Ok(())
}

/// A new client secret (§2.2 `client_secret`: String(36)).
fn new_secret() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Step 5: the client metadata (§2.2), and the registration to store (the members of §4.1;
/// `jwks_uri`, the SSA's `software_jwks_endpoint`, is kept for the token endpoint and not
/// answered).
fn registration(
    state: &AppState,
    claims: &Map<String, Value>,
    ssa: &Map<String, Value>,
    ssa_text: String,
    version: UkVersion,
) -> Result<Map<String, Value>, OAuthError> {
    let mut out = Map::new();
    let redirects = redirect_uris(state, claims, ssa)?;
    out.insert("redirect_uris".into(), redirects.into());

    let any_method = state.defect(Defect::UkAnyAuthMethod);
    let method = required_one_of(
        claims,
        "token_endpoint_auth_method",
        AUTH_METHODS,
        any_method,
    )?;
    if method == "client_secret_basic" && state.variation(Variation::UkClientSecretBasicTokenOnly) {
        return Err(metadata_error(
            "token_endpoint_auth_method client_secret_basic is taken at the token endpoint only: register private_key_jwt or tls_client_auth",
        ));
    }
    let signing_alg = one_of(
        claims,
        "token_endpoint_auth_signing_alg",
        ALLOWED_ALGS,
        false,
    )?;
    if method == "private_key_jwt" {
        match signing_alg {
            Some(alg) => {
                out.insert("token_endpoint_auth_signing_alg".into(), alg.into());
            }
            None if state.defect(Defect::UkAuthAlgUnchecked) => {}
            None => {
                return Err(metadata_error(
                    "The request has no token_endpoint_auth_signing_alg (required for private_key_jwt)",
                ));
            }
        }
    }
    let dn = present(claims, "tls_client_auth_subject_dn");
    match (method.as_str(), dn) {
        ("tls_client_auth", Some(Value::String(dn))) if crate::dn::parse(dn).is_some() => {
            out.insert("tls_client_auth_subject_dn".into(), dn.clone().into());
        }
        ("tls_client_auth", Some(_)) => {
            return Err(metadata_error(
                "tls_client_auth_subject_dn must be a distinguished name such as CN=...,O=...,C=GB",
            ));
        }
        ("tls_client_auth", None) if state.defect(Defect::UkDnRequiredUnchecked) => {}
        ("tls_client_auth", None) => {
            return Err(metadata_error(
                "tls_client_auth_subject_dn must be provided to use tls_client_auth",
            ));
        }
        (_, Some(_)) if !state.defect(Defect::UkDnRequiredUnchecked) => {
            return Err(metadata_error(
                "tls_client_auth_subject_dn is only for the tls_client_auth method",
            ));
        }
        _ => {}
    }
    out.insert("token_endpoint_auth_method".into(), method.clone().into());
    if method == "client_secret_basic" {
        out.insert("client_secret".into(), new_secret().into());
        out.insert("client_secret_expires_at".into(), 0.into());
    }

    let v33 = version == UkVersion::V33;
    let grants = present(claims, "grant_types").and_then(strings);
    let allowed = |g: &String| GRANTS.contains(&g.as_str()) || (v33 && g == CIBA_GRANT);
    let grants = match grants {
        Some(g) if state.defect(Defect::UkAnyGrantType) => g,
        Some(g) if !g.is_empty() && g.iter().all(allowed) => g,
        _ => {
            let mut names = GRANTS.to_vec();
            if v33 {
                names.push(CIBA_GRANT);
            }
            return Err(metadata_error(format!(
                "grant_types must be a non-empty array of {}",
                names.join(", ")
            )));
        }
    };
    if v33 && grants.iter().any(|g| g == CIBA_GRANT) {
        ciba(state, claims, &mut out)?;
    }
    out.insert("grant_types".into(), grants.into());

    let response_types = match present(claims, "response_types") {
        None => {
            if state.defect(Defect::UkResponseTypesDefaultMissing) {
                None
            } else {
                Some(vec![DEFAULT_RESPONSE_TYPE.to_string()])
            }
        }
        Some(value) => {
            let types = strings(value).filter(|t| {
                state.defect(Defect::UkAnyResponseType)
                    || t.iter().all(|t| RESPONSE_TYPES.contains(&t.as_str()))
            });
            match types {
                Some(t) if t.is_empty() => Some(vec![DEFAULT_RESPONSE_TYPE.to_string()]),
                Some(t) => Some(t),
                None => {
                    return Err(metadata_error(
                        "response_types must be an array of \"code\" or \"code id_token\"",
                    ));
                }
            }
        }
    };
    if let Some(types) = response_types {
        out.insert("response_types".into(), types.into());
    }
    if let Some(software_id) = str_claim(ssa, "software_id") {
        out.insert("software_id".into(), software_id.into());
    }
    if let Some(scope) = scope(state, claims, ssa)? {
        out.insert("scope".into(), scope.into());
    }
    out.insert(
        "software_statement".into(),
        software_statement(state, ssa_text, ssa).into(),
    );
    let any_type = state.defect(Defect::UkApplicationTypeUnchecked);
    match one_of(claims, "application_type", APPLICATION_TYPES, any_type)? {
        Some(kind) => {
            out.insert("application_type".into(), kind.into());
        }
        None if any_type => {}
        None => {
            return Err(metadata_error(
                "The request has no application_type (web or mobile)",
            ));
        }
    }
    let any_alg = state.defect(Defect::UkRs256MetadataAccepted);
    for name in ["id_token_signed_response_alg", "request_object_signing_alg"] {
        let alg = required_one_of(claims, name, ALLOWED_ALGS, any_alg)?;
        out.insert(name.into(), alg.into());
    }
    if let Some(jwks) = str_claim(ssa, "software_jwks_endpoint") {
        out.insert("jwks_uri".into(), jwks.into());
    }
    Ok(out)
}

/// The UK defects that pervert a registration response (`out`, already rendered).
pub(super) fn response_defects(state: &AppState, out: &mut Map<String, Value>) {
    if state.defect(Defect::UkResponseMissingRequired) {
        out.remove("application_type");
    }
    if state.defect(Defect::UkScopeStringAsArray)
        && let Some(Value::String(scope)) = out.get("scope")
    {
        let items: Vec<Value> = scope.split_whitespace().map(Value::from).collect();
        out.insert("scope".into(), items.into());
    }
    if state.defect(Defect::UkSecretNotReturned) {
        out.remove("client_secret");
    }
    if state.defect(Defect::UkResponseDnMissing) {
        out.remove("tls_client_auth_subject_dn");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::fine("https://tpp.example/cb", None)]
    #[case::http("http://tpp.example/cb", Some("https"))]
    #[case::localhost("https://localhost/cb", Some("localhost"))]
    #[case::loopback("https://127.0.0.1/cb", Some("localhost"))]
    #[case::sub_localhost("https://a.localhost/cb", Some("localhost"))]
    #[case::fragment("https://tpp.example/cb#x", Some("fragment"))]
    #[case::relative("/cb", Some("absolute"))]
    fn redirect_uris_follow_the_ob_url_rule(#[case] uri: &str, #[case] want: Option<&str>) {
        match (redirect_fault(uri), want) {
            (None, None) => {}
            (Some(fault), Some(w)) => assert!(fault.contains(w), "{uri}: {fault}"),
            (got, want) => panic!("{uri}: got {got:?}, want {want:?}"),
        }
        let long = format!("https://tpp.example/{}", "a".repeat(240));
        assert_eq!(redirect_fault(&long), Some("is longer than 256 characters"));
    }
}

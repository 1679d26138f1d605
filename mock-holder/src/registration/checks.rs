//! The building blocks every registration pipeline composes: verifying the request's and the
//! SSA's signatures, the `redirect_uris` subset rule, request `jti` replay, and the SSA metadata
//! a registration echoes. Each carries the defects that pervert its behaviour, so a defect is
//! wired once whichever flavour's pipeline runs it; the pipelines decide the order and word
//! the failures (the CDS sequence, the WSO2 toolkit and product each in their own texts).

use serde_json::{Map, Value};

use super::Operation;
use crate::defect::Defect;
use crate::error::OAuthError;
use crate::jose::{header_alg_and_kid, verify_compact};
use crate::jwks::JwksError;
use crate::state::AppState;

/// A member that is there and not `null`.
pub(super) fn present<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    claims.get(name).filter(|v| !v.is_null())
}

/// Copies into `out` each member of `names` that `claims` has (a JSON `null` counts as absent).
pub(super) fn copy_present(
    claims: &Map<String, Value>,
    names: &[&str],
    out: &mut Map<String, Value>,
) {
    for name in names {
        if let Some(v) = present(claims, name) {
            out.insert((*name).into(), v.clone());
        }
    }
}

/// The strings of an array member; `None` when it is not an array of strings.
pub(super) fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_string))
        .collect()
}

/// Why a signature could not be verified.
#[derive(Debug)]
pub(super) enum SignatureFailure {
    /// The header's `alg` or `kid` (the text says which).
    Header(String),
    /// The SSA names no absolute http(s) key set URL.
    NoJwksUri,
    /// The key with the `kid` cannot verify the header's `alg` (the text says why).
    WrongKey(String),
    /// The key set has no key with this `kid`, even after a refresh.
    UnknownKid(String),
    /// The key set could not be fetched or read.
    Jwks(JwksError),
    /// The signature does not verify (the verifier's text).
    Invalid(String),
    /// The holder's own failure (only the `recipient-jwks-failure-500` defect).
    Internal(anyhow::Error),
}

/// The request's claims once its signature (`alg` PS256 or ES256, key by `kid`) verifies with
/// the recipient key set at `jwks_uri` (taken from the SSA by the caller).
pub(super) async fn request_signature(
    state: &AppState,
    body: &str,
    header: &Map<String, Value>,
    unverified: Map<String, Value>,
    jwks_uri: Option<&str>,
) -> Result<Map<String, Value>, SignatureFailure> {
    let what = "registration request";
    let unsigned = (state.defect(Defect::AcceptAlgNoneRequest)
        || state.defect(Defect::AcceptJsonRegistration))
        && header.get("alg").and_then(Value::as_str) == Some("none");
    if unsigned || state.defect(Defect::SkipRequestSignature) {
        if !unsigned {
            header_alg_and_kid(header, what).map_err(SignatureFailure::Header)?;
        }
        return Ok(unverified);
    }
    let (alg, kid) = header_alg_and_kid(header, what).map_err(SignatureFailure::Header)?;
    if (state.defect(Defect::RequestJwksUsed) || state.defect(Defect::UkRequestJwksUsed))
        && let Some(jwk) = request_jwk(&unverified, kid)
    {
        return verify_with_jwk(body, jwk, alg).map_err(SignatureFailure::WrongKey);
    }
    let jwks_uri = jwks_uri
        .filter(|u| url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https")))
        .ok_or(SignatureFailure::NoJwksUri)?;
    let verifier = state
        .jwks()
        .verifier_for(jwks_uri, kid, alg, what, true)
        .await
        .map_err(|e| match e {
            Ok(text) => SignatureFailure::WrongKey(text),
            Err(JwksError::UnknownKid { .. }) => SignatureFailure::UnknownKid(kid.to_string()),
            Err(other) if state.defect(Defect::RecipientJwksFailure500) => {
                SignatureFailure::Internal(anyhow::anyhow!("recipient JWKS: {other}"))
            }
            Err(other) => SignatureFailure::Jwks(other),
        })?;
    verify_compact(body, verifier.as_ref()).map_err(SignatureFailure::Invalid)
}

/// Defects `request-jwks-used` and `uk-request-jwks-used`: the key with `kid` in the request's
/// own (unverified) `jwks` member, trusted instead of the SSA's key set.
fn request_jwk<'a>(claims: &'a Map<String, Value>, kid: &str) -> Option<&'a Map<String, Value>> {
    claims
        .get("jwks")?
        .get("keys")?
        .as_array()?
        .iter()
        .filter_map(Value::as_object)
        .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid))
}

/// The claims of the compact JWS `body` once it verifies with `jwk` under `alg` (PS256 or
/// ES256). Only defects verify with a key that is not from a trusted key set: a header's
/// embedded `jwk` (`uk-header-jwk-used`) or the request's own `jwks` (`request-jwks-used`).
pub(super) fn verify_with_jwk(
    body: &str,
    jwk: &Map<String, Value>,
    alg: &str,
) -> Result<Map<String, Value>, String> {
    let jwk = josekit::jwk::Jwk::from_map(jwk.clone()).map_err(|e| e.to_string())?;
    match alg {
        "PS256" => {
            let v = josekit::jws::PS256
                .verifier_from_jwk(&jwk)
                .map_err(|e| e.to_string())?;
            verify_compact(body, &v)
        }
        "ES256" => {
            let v = josekit::jws::ES256
                .verifier_from_jwk(&jwk)
                .map_err(|e| e.to_string())?;
            verify_compact(body, &v)
        }
        other => Err(format!("alg {other} is not PS256 or ES256")),
    }
}

/// The SSA's claims once its signature verifies with the CDR Register's key named by its
/// `kid` (the Register JWKS cached, refreshed on an unknown `kid`). Its header is checked
/// first, also where a defect skips the signature (`unverified` is then answered).
pub(super) async fn ssa_signature(
    state: &AppState,
    ssa: &str,
    header: &Map<String, Value>,
    unverified: Map<String, Value>,
    operation: Operation,
) -> Result<Map<String, Value>, SignatureFailure> {
    let what = "software_statement";
    let (alg, kid) = header_alg_and_kid(header, what).map_err(SignatureFailure::Header)?;
    if state.defect(Defect::SkipSsaSignature)
        || (operation == Operation::Update && state.defect(Defect::PutSkipsSsaVerification))
    {
        return Ok(unverified);
    }
    let register = &state.settings().register_jwks_uri;
    let refresh = !state.defect(Defect::NoRegisterJwksRefresh);
    let verifier = state
        .jwks()
        .verifier_for(register, kid, alg, what, refresh)
        .await
        .map_err(|e| match e {
            Ok(text) => SignatureFailure::WrongKey(text),
            Err(JwksError::UnknownKid { .. }) => SignatureFailure::UnknownKid(kid.to_string()),
            Err(other) => SignatureFailure::Jwks(other),
        })?;
    verify_compact(ssa, verifier.as_ref()).map_err(SignatureFailure::Invalid)
}

/// Why the requested `redirect_uris` cannot be registered.
#[derive(Debug)]
pub(super) enum RedirectFailure {
    /// Not an array of strings.
    NotStrings,
    /// An empty array.
    Empty,
    /// This one is not among the SSA's.
    NotInSsa(String),
}

/// The `redirect_uris` to register: the request's, each one among `ssa_redirects` (exact
/// match); without any, the SSA's.
pub(super) fn requested_redirects(
    state: &AppState,
    request: &Map<String, Value>,
    ssa_redirects: Vec<String>,
) -> Result<Vec<String>, RedirectFailure> {
    let Some(value) = present(request, "redirect_uris") else {
        if state.defect(Defect::NoDefaultRedirects) {
            return Ok(Vec::new());
        }
        return Ok(ssa_redirects);
    };
    let requested = strings(value).ok_or(RedirectFailure::NotStrings)?;
    if requested.is_empty() {
        return Err(RedirectFailure::Empty);
    }
    let ignore_case = state.defect(Defect::CaseInsensitiveRedirects);
    // Defects `redirect-prefix-match`, `uk-redirect-prefix-match`, `redirect-normalised`: the
    // lenient matchers a correct holder's simple string comparison (RFC 6749 §3.1.2.3) is not.
    let prefix =
        state.defect(Defect::RedirectPrefixMatch) || state.defect(Defect::UkRedirectPrefixMatch);
    let normalised = state.defect(Defect::RedirectNormalised);
    let in_ssa = |u: &String| {
        ssa_redirects.iter().any(|s| {
            s == u
                || (ignore_case && s.eq_ignore_ascii_case(u))
                || (prefix && u.starts_with(s.as_str()))
                || (normalised && normal_form(s).is_some() && normal_form(s) == normal_form(u))
        })
    };
    if !state.defect(Defect::SkipRedirectCheck)
        && let Some(bad) = requested.iter().find(|u| !in_ssa(u))
    {
        return Err(RedirectFailure::NotInSsa(bad.clone()));
    }
    Ok(requested)
}

/// A URL as a normalising matcher compares it (defect `redirect-normalised`): dot segments
/// removed (the URL parser does that), a trailing slash dropped.
fn normal_form(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    Some(url.as_str().trim_end_matches('/').to_string())
}

/// Whether the request `jti` is fresh: recorded until `expires_at`, or refused as a replay
/// when it was recorded before.
///
/// # Errors
/// 500 on store failures.
pub(super) fn fresh_jti(state: &AppState, jti: &str, expires_at: i64) -> Result<bool, OAuthError> {
    if state.defect(Defect::SkipJtiReplay) {
        return Ok(true);
    }
    Ok(state
        .store()
        .record_jti("registration", jti, expires_at, state.now())?)
}

/// Copies the SSA claims `names` that the SSA has into `out` (the metadata a registration
/// echoes from its SSA).
pub(super) fn echo_ssa(
    state: &AppState,
    ssa: &Map<String, Value>,
    names: &[&str],
    out: &mut Map<String, Value>,
) {
    copy_present(ssa, names, out);
    if state.defect(Defect::DropSsaPolicyUris) {
        out.remove("tos_uri");
        out.remove("policy_uri");
    }
    if state.defect(Defect::OmitClientDescription) {
        out.remove("client_description");
    }
}

/// The grant types to register of those requested (and validated).
pub(super) fn registered_grants(state: &AppState, grants: Vec<String>) -> Vec<String> {
    let drop = state.defect(Defect::DropClientCredentialsGrant);
    grants
        .into_iter()
        .filter(|g| !(drop && g == "client_credentials"))
        .collect()
}

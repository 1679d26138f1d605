//! Step 5 of a registration: the client metadata rules, producing the registration
//! (RegistrationProperties) to store and answer with.
//!
//! One function per family of members checks that family and returns what it registers; the
//! families are checked in the order below, so that the first failure answered is the same as
//! it always was. [`build`] then writes the members in a fixed order: serde_json keeps the
//! insertion order in this build (josekit enables its `preserve_order` feature), so the order
//! is visible in every answer and in the stored registration, and it is kept as it was.
//!
//! | family | members | defaults the holder provisions |
//! |---|---|---|
//! | [`redirect_uris`] | `redirect_uris` ⊆ the SSA's (exact match) | the SSA's list |
//! | [`token_endpoint_auth`] | `token_endpoint_auth_method`, `token_endpoint_auth_signing_alg` | – |
//! | [`grant_types`], [`response_types`] | `grant_types` (with `authorization_code`), `response_types` = `["code"]` (hybrid era: and/or `code id_token`) | – |
//! | [`authorization_response`] | JARM: `authorization_signed_response_alg`, `authorization_encrypted_response_*` (hybrid era: only with `code`) | `enc` A128CBC-HS256 |
//! | [`id_token`] | `id_token_signed_response_alg`; the encryption members are ignored (hybrid era: required with `code id_token`, see `super::hybrid`) | – |
//! | [`request_object_alg`] | `request_object_signing_alg` | PS256 |
//! | [`application_type`] | `application_type` = `web` | `web` |
//! | [`ssa_members`], [`scope`], [`software_statement`] | echoed from the SSA | – |
//! | [`unknown_members`] | anything else in the request: dropped | – |

use serde_json::{Map, Value};

use super::checks::{self, RedirectFailure};
use super::hybrid;
use super::ssa::SOFTWARE_ROLE;
use super::{metadata_error, ssa_error};
use crate::defect::Defect;
use crate::error::OAuthError;
use crate::flavour::Pipeline;
use crate::jose::{ALLOWED_ALGS, str_claim};
use crate::state::AppState;
use crate::variation::Variation;

const GRANT_TYPES: &[&str] = &["client_credentials", "authorization_code", "refresh_token"];
const JARM_ENC_ALGS: &[&str] = &["RSA-OAEP", "RSA-OAEP-256"];
const JARM_ENC_ENCS: &[&str] = &["A256GCM", "A128CBC-HS256"];
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

/// The registration for the verified `request` claims and `ssa` claims (`ssa_text` as sent).
pub(super) fn build(
    state: &AppState,
    request: &Map<String, Value>,
    ssa: &Map<String, Value>,
    ssa_text: String,
) -> Result<Map<String, Value>, OAuthError> {
    // The checks, in the order their failures are answered in.
    let redirect_uris = redirect_uris(state, request, ssa)?;
    token_endpoint_auth(state, request)?;
    let grant_types = grant_types(state, request)?;
    let response_types = response_types(state, request)?;
    let hybrid_era = hybrid_era(state);
    // Hybrid era: JARM applies to a registration with `code` only (see `super::hybrid`).
    let authorization = if !hybrid_era || response_types.iter().any(|r| r == "code") {
        authorization_response(state, request)?
    } else {
        AuthorizationResponse {
            signed_alg: None,
            encryption: None,
        }
    };
    let hybrid_registered = hybrid_era && response_types.iter().any(|r| r == hybrid::HYBRID);
    let id_token = id_token(state, request, hybrid_registered)?;
    let request_object_alg = request_object_alg(state, request)?;
    let application_type = application_type(state, request)?;

    // The members, in the order registrations have always been written in.
    let mut out = Map::new();
    ssa_members(state, ssa, &mut out);
    out.insert("scope".into(), Value::String(scope(state, ssa)));
    out.insert("redirect_uris".into(), json(redirect_uris)?);
    for name in [
        "token_endpoint_auth_method",
        "token_endpoint_auth_signing_alg",
    ] {
        if let Some(value) = request.get(name) {
            out.insert(name.into(), value.clone());
        }
    }
    insert_some(
        &mut out,
        "id_token_signed_response_alg",
        id_token.signed_alg,
    );
    insert_some(
        &mut out,
        "authorization_signed_response_alg",
        authorization.signed_alg,
    );
    out.insert("grant_types".into(), json(grant_types)?);
    out.insert("response_types".into(), json(response_types)?);
    insert_some(&mut out, "request_object_signing_alg", request_object_alg);
    insert_some(&mut out, "application_type", application_type);
    if let Some((alg, enc)) = authorization.encryption {
        out.insert("authorization_encrypted_response_alg".into(), alg.into());
        out.insert("authorization_encrypted_response_enc".into(), enc.into());
    }
    for (name, value) in id_token.encryption {
        out.insert(name.into(), value);
    }
    out.insert(
        "software_statement".into(),
        Value::String(software_statement(state, ssa_text, ssa)),
    );
    unknown_members(state, request, &mut out);
    Ok(out)
}

fn json(values: Vec<String>) -> Result<Value, OAuthError> {
    Ok(serde_json::to_value(values).map_err(anyhow::Error::from)?)
}

fn insert_some(out: &mut Map<String, Value>, name: &str, value: Option<Value>) {
    if let Some(value) = value {
        out.insert(name.into(), value);
    }
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

/// Whether the holder emulates the hybrid era (flavour `cds-au-hybrid`).
fn hybrid_era(state: &AppState) -> bool {
    matches!(state.policy().pipeline, Pipeline::Cds { hybrid: true })
}

pub(super) fn one_of<'a>(
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

/// `redirect_uris`: each requested one must appear in the SSA (exact match); without any, the
/// SSA's list is registered.
fn redirect_uris(
    state: &AppState,
    request: &Map<String, Value>,
    ssa: &Map<String, Value>,
) -> Result<Vec<String>, OAuthError> {
    let ssa_redirects = string_array(&ssa["redirect_uris"], "software_statement redirect_uris")
        .map_err(|_| {
            ssa_error("The software_statement redirect_uris must be an array of strings")
        })?;
    checks::requested_redirects(state, request, ssa_redirects).map_err(|e| {
        let error = if state.variation(Variation::RedirectMismatchInvalidClientMetadata) {
            OAuthError::InvalidClientMetadata
        } else {
            OAuthError::InvalidRedirectUri
        };
        error(match e {
            RedirectFailure::NotStrings => "redirect_uris must be an array of strings".into(),
            RedirectFailure::Empty => "redirect_uris must not be empty".into(),
            RedirectFailure::NotInSsa(bad) => {
                format!("The redirect_uri {bad} is not in the software_statement")
            }
        })
    })
}

/// `token_endpoint_auth_method` (`private_key_jwt`) and `token_endpoint_auth_signing_alg`
/// (PS256 or ES256), both required; registered as sent.
fn token_endpoint_auth(state: &AppState, request: &Map<String, Value>) -> Result<(), OAuthError> {
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
    Ok(())
}

/// `grant_types`: required, each one supported, `authorization_code` among them. Returns the
/// grants registered.
fn grant_types(state: &AppState, request: &Map<String, Value>) -> Result<Vec<String>, OAuthError> {
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
    if state.defect(Defect::GrantTypesOrderSensitive)
        && grant_types
            .iter()
            .map(String::as_str)
            .ne(GRANT_TYPES.iter().copied())
    {
        return Err(metadata_error(format!(
            "grant_types must be {}",
            GRANT_TYPES.join(", ")
        )));
    }
    if !grant_types.iter().any(|g| g == "authorization_code")
        && !state.defect(Defect::AuthorizationCodeGrantOptional)
    {
        return Err(metadata_error(
            "grant_types must contain authorization_code",
        ));
    }
    Ok(checks::registered_grants(state, grant_types))
}

/// `response_types`: required, and exactly `["code"]` (the Authorization Code Flow; hybrid is
/// retired). In the hybrid era, `code` and/or `code id_token`.
fn response_types(
    state: &AppState,
    request: &Map<String, Value>,
) -> Result<Vec<String>, OAuthError> {
    let response_types = match request.get("response_types") {
        None | Some(Value::Null) if state.defect(Defect::OptionalResponseTypes) => {
            vec!["code".to_string()]
        }
        None | Some(Value::Null) => return Err(metadata_error("response_types is required")),
        Some(v) => string_array(v, "response_types")?,
    };
    if hybrid_era(state) {
        if response_types.is_empty()
            || response_types
                .iter()
                .any(|r| !hybrid::RESPONSE_TYPES.contains(&r.as_str()))
        {
            return Err(metadata_error(
                "response_types must be [\"code\"], [\"code id_token\"] or both",
            ));
        }
        return Ok(response_types);
    }
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
    Ok(response_types)
}

/// What [`authorization_response`] registers.
#[derive(Debug)]
struct AuthorizationResponse {
    /// `authorization_signed_response_alg`, as sent.
    signed_alg: Option<Value>,
    /// `authorization_encrypted_response_alg` and `_enc`, when encryption is supported and
    /// asked for.
    encryption: Option<(String, String)>,
}

/// JARM: `authorization_signed_response_alg` (PS256 or ES256, required), and the optional
/// encryption pair: `alg` RSA-OAEP or RSA-OAEP-256, `enc` A256GCM or A128CBC-HS256 (the
/// default), `enc` only with an `alg`. With `jarm_encryption: false` the pair is validated but
/// not registered.
fn authorization_response(
    state: &AppState,
    request: &Map<String, Value>,
) -> Result<AuthorizationResponse, OAuthError> {
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

    let signed_alg = if state.defect(Defect::AuthzSignedAlgAlwaysPs256) {
        Some("PS256".into())
    } else {
        request.get("authorization_signed_response_alg").cloned()
    };
    let mut encryption = None;
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
            encryption = Some((alg.to_string(), enc_enc.unwrap_or(default_enc).to_string()));
        }
    }
    Ok(AuthorizationResponse {
        signed_alg,
        encryption,
    })
}

/// What [`id_token`] registers.
#[derive(Debug)]
struct IdToken {
    /// `id_token_signed_response_alg`, as sent.
    signed_alg: Option<Value>,
    /// The id_token encryption members registered (none: see [`id_token`]).
    encryption: Vec<(&'static str, Value)>,
}

/// `id_token_signed_response_alg` (PS256 or ES256, required). The id_token encryption members
/// are for the retired hybrid flow: ignored, not stored (CDS v1.22 "must be ignored"), unless
/// `hybrid_registered` (the hybrid era, `code id_token` registered): then required.
fn id_token(
    state: &AppState,
    request: &Map<String, Value>,
    hybrid_registered: bool,
) -> Result<IdToken, OAuthError> {
    if !state.defect(Defect::AnyIdTokenAlg) {
        one_of(request, "id_token_signed_response_alg", ALLOWED_ALGS, true)?;
    }
    if hybrid_registered {
        return Ok(IdToken {
            signed_alg: request.get("id_token_signed_response_alg").cloned(),
            encryption: hybrid::id_token_encryption(request)?,
        });
    }
    if state.defect(Defect::RequireIdTokenEncryption)
        && (str_claim(request, "id_token_encrypted_response_alg").is_none()
            || str_claim(request, "id_token_encrypted_response_enc").is_none())
    {
        return Err(metadata_error(
            "id_token_encrypted_response_alg and id_token_encrypted_response_enc are required",
        ));
    }
    let mut encryption = Vec::new();
    if state.defect(Defect::KeepIdTokenEncryption) {
        for name in [
            "id_token_encrypted_response_alg",
            "id_token_encrypted_response_enc",
        ] {
            if let Some(value) = request.get(name) {
                encryption.push((name, value.clone()));
            }
        }
    }
    Ok(IdToken {
        signed_alg: request.get("id_token_signed_response_alg").cloned(),
        encryption,
    })
}

/// `request_object_signing_alg`: PS256 or ES256, PS256 when not sent.
fn request_object_alg(
    state: &AppState,
    request: &Map<String, Value>,
) -> Result<Option<Value>, OAuthError> {
    if !state.defect(Defect::AnyRequestObjectAlg) {
        one_of(request, "request_object_signing_alg", ALLOWED_ALGS, false)?;
    }
    Ok(
        match request
            .get("request_object_signing_alg")
            .filter(|v| !v.is_null())
        {
            Some(alg) => Some(alg.clone()),
            None if state.defect(Defect::NoRequestObjectAlgDefault) => None,
            None => Some("PS256".into()),
        },
    )
}

/// `application_type`: `web`, also when not sent.
fn application_type(
    state: &AppState,
    request: &Map<String, Value>,
) -> Result<Option<Value>, OAuthError> {
    if !state.defect(Defect::AnyApplicationType) {
        one_of(request, "application_type", &["web"], false)?;
    }
    // Defect `null-is-a-value`: a null member is a value, and not one of those allowed.
    if state.defect(Defect::NullIsAValue) && request.get("application_type") == Some(&Value::Null) {
        return Err(metadata_error("application_type must be one of web"));
    }
    Ok(
        match request.get("application_type").filter(|v| !v.is_null()) {
            Some(kind) => Some(kind.clone()),
            None if state.defect(Defect::NoApplicationTypeDefault) => None,
            None => Some("web".into()),
        },
    )
}

/// The SSA-provided metadata, echoed as top-level members, and `software_roles`.
fn ssa_members(state: &AppState, ssa: &Map<String, Value>, out: &mut Map<String, Value>) {
    checks::echo_ssa(state, ssa, ECHOED_SSA_CLAIMS, out);
    out.insert("software_roles".into(), Value::String(SOFTWARE_ROLE.into()));
}

/// `scope`: the SSA's scopes that the holder supports (CDS: unsupported ones are ignored).
pub(super) fn scope(state: &AppState, ssa: &Map<String, Value>) -> String {
    let supported = &state.settings().supported_scopes;
    let keep_all = state.defect(Defect::KeepUnsupportedScopes);
    let mut scope: Vec<&str> = str_claim(ssa, "scope")
        .unwrap_or_default()
        .split_whitespace()
        .filter(|s| keep_all || supported.iter().any(|x| x == s))
        .collect();
    // Defect `scope-order-sensitive`: the SSA's scopes are matched against the supported list
    // in one forward pass, as if both were in the same order; a scope listed before one that
    // comes earlier in the supported list is lost.
    if state.defect(Defect::ScopeOrderSensitive) {
        let mut next = 0;
        scope.retain(|s| match supported.iter().skip(next).position(|x| x == s) {
            Some(i) => {
                next += i + 1;
                true
            }
            None => false,
        });
    }
    scope.join(" ")
}

/// `software_statement`: the SSA byte for byte as sent (GET returns it).
pub(super) fn software_statement(
    state: &AppState,
    ssa_text: String,
    ssa: &Map<String, Value>,
) -> String {
    if state.defect(Defect::ReserialiseSsa) {
        reserialised(&ssa_text, ssa)
    } else {
        ssa_text
    }
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

/// Request members that are not client metadata the holder knows are dropped; the
/// `keep-unknown-members` defect registers them (last, after every known member).
fn unknown_members(state: &AppState, request: &Map<String, Value>, out: &mut Map<String, Value>) {
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
}

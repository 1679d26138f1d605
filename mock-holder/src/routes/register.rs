//! `POST /register`: create a registration (RFC 7591 §3.1, CDS "Register a client using a CDR
//! Register issued Software Statement Assertion"), at the flavour's registration path, validated
//! by its pipeline and answered in its shape and words.

use axum::Extension;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, post};
use axum::{Json, Router};
use serde_json::Value;

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::extract::JwtBody;
use crate::flavour::{ACCELERATOR_MANAGEMENT_SCOPE, Pipeline, Policy};
use crate::jose;
use crate::registration::{self, Operation};
use crate::state::AppState;
use crate::store::{Inserted, StoredClient};
use crate::tls::ClientCert;
use crate::variation::Variation;

/// The registration route at the flavour's path (and, where the policy says so, with a
/// trailing slash).
pub(crate) fn routes(policy: &Policy) -> Router<AppState> {
    let route = || -> MethodRouter<AppState> {
        post(create).fallback(|State(state): State<AppState>| async move {
            if state.defect(Defect::UnsupportedMethodCarriedOut) {
                return (StatusCode::OK, Json(serde_json::json!({}))).into_response();
            }
            if state.defect(Defect::MethodNotAllowed404)
                || state.variation(Variation::UnsupportedMethod404)
            {
                return OAuthError::NotFound.into_response();
            }
            OAuthError::MethodNotAllowed("POST").into_response()
        })
    };
    let router = Router::new().route(policy.registration_path, route());
    if policy.trailing_slash {
        return router.route(&format!("{}/", policy.registration_path), route());
    }
    router
}

/// The defects that act on the request before it is validated (see [`crate::defect`]).
async fn defective_preamble(state: &AppState, headers: &HeaderMap) -> Result<(), OAuthError> {
    if state.defect(Defect::SlowRegistration) {
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    }
    if state.defect(Defect::RejectUnknownXV)
        && let Some(version) = headers.get("x-v")
        && !matches!(version.as_bytes(), b"1" | b"2")
    {
        return Err(OAuthError::InvalidRequest(
            "The version requested in x-v is not supported".into(),
        ));
    }
    if state.defect(Defect::UkPostNeedsToken) && !headers.contains_key(header::AUTHORIZATION) {
        return Err(OAuthError::MissingToken);
    }
    if state.defect(Defect::CheckAuthorizationOnPost) && headers.contains_key(header::AUTHORIZATION)
    {
        crate::tokens::verify_bearer(state, headers)?;
    }
    Ok(())
}

async fn create(
    State(state): State<AppState>,
    Extension(cert): Extension<ClientCert>,
    headers: HeaderMap,
    JwtBody(body): JwtBody,
) -> Result<(StatusCode, Json<Value>), OAuthError> {
    let dialect = state.policy().dialect;
    register(state, cert, headers, body)
        .await
        .map_err(|e| dialect.adapt(e))
}

async fn register(
    state: AppState,
    cert: ClientCert,
    headers: HeaderMap,
    body: String,
) -> Result<(StatusCode, Json<Value>), OAuthError> {
    let peer = cert.leaf.as_deref();
    if state.settings().defect.is_some() {
        defective_preamble(&state, &headers).await?;
    }
    let valid = registration::validate(&state, &body, Operation::Create, peer).await?;
    // Variation `refuse-unbound-tokens-request`: a value the holder will not honour refused
    // (RFC 7591 §3.2.2) rather than ignored.
    if state.variation(Variation::RefuseUnboundTokensRequest) && asks_for_unbound_tokens(&body) {
        return Err(OAuthError::InvalidClientMetadata(format!(
            "{UNBOUND_TOKENS} false is not supported: every access token is bound to the client certificate"
        )));
    }
    let client_id = match requested_client_id(&state, &body) {
        Some(id) => id,
        None if state.defect(Defect::ClientIdFromSoftwareId) => valid.software_id.clone(),
        None => uuid::Uuid::new_v4().to_string(),
    };
    let issued_at = if state.defect(Defect::ClientIdIssuedAtInMs) {
        state.now().saturating_mul(1000)
    } else {
        state.now()
    };
    let mut metadata = valid.metadata;
    if state.defect(Defect::HonourUnboundTokens) && asks_for_unbound_tokens(&body) {
        metadata.insert(UNBOUND_TOKENS.into(), Value::Bool(false));
    }
    metadata.insert("client_id".into(), Value::String(client_id.clone()));
    metadata.insert("client_id_issued_at".into(), Value::from(issued_at));
    let client = StoredClient {
        client_id: client_id.clone(),
        software_id: valid.software_id,
        issued_at,
        metadata,
    };
    // A short indexed insert: run inline (see state::blocking).
    let inserted = if state.defect(Defect::AllowDuplicateSoftwareId) {
        state.store().replace_client(&client)?
    } else if !state.policy().one_registration_per_software
        || state.defect(Defect::AcceleratorDuplicateRegistered)
    {
        state.store().insert_client_beside(&client)?
    } else {
        state.store().insert_client(&client)?
    };
    if inserted == Inserted::DuplicateSoftwareId {
        return Err(registration::duplicate(&state, &client.software_id));
    }
    tracing::info!(client_id, software_id = client.software_id, "registered");
    let status =
        if state.defect(Defect::RegisterAnswers200) || state.defect(Defect::UkRegisterAnswers200) {
            StatusCode::OK
        } else {
            StatusCode::CREATED
        };
    let body = match state.policy().pipeline {
        Pipeline::Wso2Accelerator(rules) if rules.append_registration_attributes => {
            registration_attributes(&state, &cert, client.metadata)?
        }
        Pipeline::Wso2Accelerator(_) if state.defect(Defect::AcceleratorClientUriWithoutToken) => {
            let mut metadata = client.metadata;
            metadata.insert(
                "registration_client_uri".into(),
                format!("{}/{client_id}", state.urls().registration_endpoint).into(),
            );
            registration::respond(&state, metadata, None)
        }
        _ => registration::respond(&state, client.metadata, None),
    };
    Ok((status, Json(Value::Object(body))))
}

/// WSO2 Accelerator 3.x with `append_registration_attributes_in_response` on (wso2-flavours §2
/// "registration_access_token"): the answer to a POST adds a freshly minted client credentials
/// token (scope `cdr-registration openid`, bound to the connection's certificate, usable for
/// management) and `registration_client_uri`, the registration URL + `/` + client_id.
fn registration_attributes(
    state: &AppState,
    cert: &ClientCert,
    mut metadata: serde_json::Map<String, Value>,
) -> Result<serde_json::Map<String, Value>, OAuthError> {
    let client_id = metadata
        .get("client_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let thumbprint = cert.thumbprint.clone().unwrap_or_default();
    let scope = format!("{ACCELERATOR_MANAGEMENT_SCOPE} openid");
    let issued = crate::tokens::issue(state, &client_id, &metadata, &scope, &thumbprint)?;
    metadata.insert(
        "registration_client_uri".into(),
        format!("{}/{client_id}", state.urls().registration_endpoint).into(),
    );
    Ok(registration::respond(state, metadata, Some(&issued.token)))
}

/// RFC 8705 §3.4's client metadata, which the `honour-unbound-tokens` defect honours when it is
/// `false` (a correct holder ignores it, as any member the CDS does not define: DCR-REQ-055).
pub(crate) const UNBOUND_TOKENS: &str = "tls_client_certificate_bound_access_tokens";

/// Whether the request `body` asks for tokens bound to no certificate.
fn asks_for_unbound_tokens(body: &str) -> bool {
    jose::split_jws(body.trim())
        .is_some_and(|(_, claims)| claims.get(UNBOUND_TOKENS) == Some(&Value::Bool(false)))
}

/// The `adopt-request-client-id` defect: the `client_id` member of the (already validated)
/// request `body`, if it has one.
fn requested_client_id(state: &AppState, body: &str) -> Option<String> {
    if !state.defect(Defect::AdoptRequestClientId) {
        return None;
    }
    let (_, claims) = jose::split_jws(body.trim())?;
    jose::str_claim(&claims, "client_id").map(str::to_string)
}

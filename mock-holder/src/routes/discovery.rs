//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery, CDS-profiled) and the
//! holder's own JWKS (`GET /jwks`).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::state::AppState;

/// Discovery and JWKS routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(configuration).fallback(|| async { OAuthError::MethodNotAllowed("GET") }),
        )
        .route(
            "/jwks",
            get(jwks).fallback(|| async { OAuthError::MethodNotAllowed("GET") }),
        )
}

async fn configuration(State(state): State<AppState>) -> Json<Value> {
    let urls = &state.urls();
    let algs = ["PS256", "ES256"];
    let mut doc = json!({
        "issuer": urls.issuer,
        "jwks_uri": urls.jwks_uri,
        "registration_endpoint": urls.registration_endpoint,
        "token_endpoint": urls.token_endpoint,
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": algs,
        "id_token_signing_alg_values_supported": algs,
        "request_object_signing_alg_values_supported": algs,
        "authorization_signing_alg_values_supported": algs,
        "response_types_supported": ["code"],
        "response_modes_supported": ["jwt"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "scopes_supported": state.settings().supported_scopes,
        "subject_types_supported": ["pairwise"],
        "claims_supported": ["sub", "acr", "auth_time", "name", "given_name", "family_name", "updated_at"],
        "tls_client_certificate_bound_access_tokens": true,
    });
    if state.settings().defect.is_some() {
        defective_configuration(&state, &mut doc);
    }
    if state.settings().jarm_encryption {
        doc["authorization_encryption_alg_values_supported"] = json!(["RSA-OAEP", "RSA-OAEP-256"]);
        doc["authorization_encryption_enc_values_supported"] = json!(["A256GCM", "A128CBC-HS256"]);
    }
    Json(doc)
}

/// The discovery defects (see [`crate::defect`]).
fn defective_configuration(state: &AppState, doc: &mut Value) {
    if state.defect(Defect::RegistrationEndpointHttp) {
        let http = state
            .urls()
            .registration_endpoint
            .replacen("https://", "http://", 1);
        doc["registration_endpoint"] = json!(http);
    }
    if state.defect(Defect::AdvertiseClientSecretBasic) {
        doc["token_endpoint_auth_methods_supported"] =
            json!(["private_key_jwt", "client_secret_basic"]);
    }
    if state.defect(Defect::AdvertiseHybrid) {
        doc["response_types_supported"] = json!(["code", "code id_token"]);
    }
    if state.defect(Defect::AdvertiseUnboundTokens) {
        doc["tls_client_certificate_bound_access_tokens"] = json!(false);
    }
}

async fn jwks(State(state): State<AppState>) -> Result<Json<Value>, OAuthError> {
    Ok(Json(dcr_vectors::keys::public_jwks([state
        .token_key()
        .key()])?))
}

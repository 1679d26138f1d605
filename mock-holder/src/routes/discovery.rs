//! `GET /.well-known/openid-configuration` (OpenID Connect Discovery, CDS-profiled) and the
//! holder's own JWKS (`GET /jwks`). What is advertised beyond the endpoints is the flavour's
//! (`Policy::discovery`): its algorithms, response types and modes, JARM, id_token encryption,
//! token endpoint auth methods, scopes (UK: fixed) and the CIBA members (UK 3.3).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value, json};

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
    let offer = &state.policy().discovery;
    let algs = offer.signing_algs;
    // Written member by member, in the order the CDS document always had.
    let mut map = Map::new();
    let mut put = |name: &str, value: Value| {
        map.insert(name.into(), value);
    };
    put("issuer", json!(urls.issuer));
    put("jwks_uri", json!(urls.jwks_uri));
    put("registration_endpoint", json!(urls.registration_endpoint));
    put("token_endpoint", json!(urls.token_endpoint));
    put(
        "token_endpoint_auth_methods_supported",
        json!(offer.auth_methods),
    );
    put(
        "token_endpoint_auth_signing_alg_values_supported",
        json!(algs),
    );
    put("id_token_signing_alg_values_supported", json!(algs));
    put("request_object_signing_alg_values_supported", json!(algs));
    if offer.jarm {
        put("authorization_signing_alg_values_supported", json!(algs));
    }
    put("response_types_supported", json!(offer.response_types));
    if !offer.response_modes.is_empty() {
        put("response_modes_supported", json!(offer.response_modes));
    }
    put("grant_types_supported", json!(offer.grant_types));
    match offer.scopes {
        Some(scopes) => put("scopes_supported", json!(scopes)),
        None => put("scopes_supported", json!(state.settings().supported_scopes)),
    }
    if offer.ciba {
        // UK DCR 3.3 (uk-dcr.md §2.2 CIBA rows): FAPI-CIBA's modes and algorithms.
        put(
            "backchannel_token_delivery_modes_supported",
            json!(["poll", "ping"]),
        );
        put(
            "backchannel_authentication_request_signing_alg_values_supported",
            json!(algs),
        );
        put("backchannel_user_code_parameter_supported", json!(false));
    }
    put("subject_types_supported", json!(["pairwise"]));
    put(
        "claims_supported",
        json!([
            "sub",
            "acr",
            "auth_time",
            "name",
            "given_name",
            "family_name",
            "updated_at"
        ]),
    );
    put("tls_client_certificate_bound_access_tokens", json!(true));
    if offer.id_token_encryption {
        put(
            "id_token_encryption_alg_values_supported",
            json!(["RSA-OAEP", "RSA-OAEP-256"]),
        );
        put(
            "id_token_encryption_enc_values_supported",
            json!(["A256GCM", "A128CBC-HS256"]),
        );
    }
    let mut doc = Value::Object(map);
    if state.settings().defect.is_some() {
        defective_configuration(&state, &mut doc);
    }
    if offer.jarm
        && state.settings().jarm_encryption
        && !state.defect(Defect::JarmEncryptionUnadvertised)
    {
        doc["authorization_encryption_alg_values_supported"] = json!(["RSA-OAEP", "RSA-OAEP-256"]);
        doc["authorization_encryption_enc_values_supported"] = json!(["A256GCM", "A128CBC-HS256"]);
    }
    Json(doc)
}

/// The discovery defects (see [`crate::defect`]).
fn defective_configuration(state: &AppState, doc: &mut Value) {
    if let Some(members) = doc.as_object_mut() {
        if state.defect(Defect::UkDiscoveryWithoutRegistrationEndpoint) {
            members.remove("registration_endpoint");
        }
        if state.defect(Defect::UkDiscoveryWithoutAuthMethods) {
            members.remove("token_endpoint_auth_methods_supported");
        }
    }
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

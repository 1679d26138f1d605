//! `POST /register`: create a registration (RFC 7591 §3.1, CDS "Register a client using a CDR
//! Register issued Software Statement Assertion").

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;

use crate::error::OAuthError;
use crate::extract::JwtBody;
use crate::registration;
use crate::state::AppState;
use crate::store::{Inserted, StoredClient};

/// The registration routes.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/register",
        post(create).fallback(|| async { OAuthError::MethodNotAllowed("POST") }),
    )
}

async fn create(
    State(state): State<AppState>,
    JwtBody(body): JwtBody,
) -> Result<(StatusCode, Json<Value>), OAuthError> {
    let valid = registration::validate(&state, &body).await?;
    let client_id = uuid::Uuid::new_v4().to_string();
    let issued_at = state.now();
    let mut metadata = valid.metadata;
    metadata.insert("client_id".into(), Value::String(client_id.clone()));
    metadata.insert("client_id_issued_at".into(), Value::from(issued_at));
    let client = StoredClient {
        client_id: client_id.clone(),
        software_id: valid.software_id,
        issued_at,
        metadata,
    };
    // A short indexed insert: run inline (see tokens::blocking).
    let inserted = state.0.store.insert_client(&client)?;
    if inserted == Inserted::DuplicateSoftwareId {
        return Err(OAuthError::InvalidClientMetadata(
            "Duplicate registrations for a given software_id are not valid".into(),
        ));
    }
    tracing::info!(client_id, software_id = client.software_id, "registered");
    Ok((StatusCode::CREATED, Json(Value::Object(client.metadata))))
}

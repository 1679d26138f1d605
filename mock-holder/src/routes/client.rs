//! `GET | PUT | DELETE /register/{ClientId}`: registration management (RFC 7592, CDS
//! "Registration Management"). Every call needs a certificate-bound `cdr:registration` access
//! token of the client in the path: each handler takes a [`ManagedClient`], which checks it
//! (see [`crate::tokens::authorize`]). PUT takes it before its [`JwtBody`], so authorization is
//! checked before the body is read, and an unauthenticated PUT gets 401 whatever it sends.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::Value;

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::extract::{JwtBody, ManagedClient};
use crate::registration::{self, Operation};
use crate::state::{AppState, blocking};

/// The management routes.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(
        "/register/{client_id}",
        get(read)
            .put(update)
            .delete(remove)
            .fallback(|State(state): State<AppState>| async move {
                if state.defect(Defect::MethodNotAllowed404) {
                    return OAuthError::NotFound;
                }
                OAuthError::MethodNotAllowed("GET, PUT, DELETE")
            }),
    )
}

async fn read(
    State(state): State<AppState>,
    managed: ManagedClient,
) -> Result<Response, OAuthError> {
    if state.defect(Defect::GetDropsIssuedAt) {
        let mut metadata = managed.client.parse()?.metadata;
        metadata.remove("client_id_issued_at");
        return Ok(Json(Value::Object(metadata)).into_response());
    }
    // The stored text is the JSON the registration was answered with: no need to parse it and
    // write it again.
    Ok((
        [(header::CONTENT_TYPE, "application/json")],
        managed.client.metadata_json,
    )
        .into_response())
}

async fn update(
    State(state): State<AppState>,
    managed: ManagedClient,
    JwtBody(body): JwtBody,
) -> Result<(StatusCode, Json<Value>), OAuthError> {
    let ManagedClient {
        client_id,
        client: registered,
    } = managed;
    let valid = registration::validate(&state, &body, Operation::Update).await?;
    if state.defect(Defect::PutRefusedAsDuplicate) {
        return Err(OAuthError::InvalidClientMetadata(
            "Duplicate registrations for a given software_id are not valid".into(),
        ));
    }
    if valid.software_id != registered.software_id && !state.defect(Defect::PutRebindsSoftwareId) {
        return Err(OAuthError::InvalidSoftwareStatement(format!(
            "The software_statement is for software_id {}, but this client is registered for {}",
            valid.software_id, registered.software_id
        )));
    }
    let mut metadata = valid.metadata;
    metadata.insert(
        "client_id".into(),
        Value::String(registered.client_id.clone()),
    );
    if !state.defect(Defect::PutDropsIssuedAt) {
        metadata.insert(
            "client_id_issued_at".into(),
            Value::from(registered.issued_at),
        );
    }
    if !state.defect(Defect::PutNotStored) {
        let (store_state, stored) = (state.clone(), metadata.clone());
        let id = registered.client_id.clone();
        let updated =
            blocking(move || Ok(store_state.store().update_client(&id, &stored)?)).await?;
        if !updated {
            // Deleted between the authorization and the update.
            return Err(OAuthError::UnknownClient);
        }
    }
    tracing::info!(client_id, "registration updated");
    let status = if state.defect(Defect::PutAnswers201) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(Value::Object(metadata))))
}

async fn remove(
    State(state): State<AppState>,
    managed: ManagedClient,
) -> Result<Response, OAuthError> {
    let client_id = managed.client_id.as_str();
    if !state.defect(Defect::DeleteIsANoOp) {
        let (store_state, id, now) = (state.clone(), client_id.to_string(), state.now());
        let deleted = blocking(move || Ok(store_state.store().delete_client(&id, now)?)).await?;
        if !deleted {
            return Err(OAuthError::UnknownClient);
        }
    }
    tracing::info!(client_id, "registration deleted");
    if state.defect(Defect::DeleteAnswers200) {
        return Ok(Json(Value::Object(managed.client.parse()?.metadata)).into_response());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

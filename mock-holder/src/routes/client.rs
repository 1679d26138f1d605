//! `GET | PUT | DELETE /register/{ClientId}`: registration management (RFC 7592, CDS
//! "Registration Management"), under the flavour's registration path. Every call needs a
//! certificate-bound access token of the client in the path (with the scope the flavour
//! requires): each handler takes a [`ManagedClient`], which checks it (see
//! [`crate::tokens::authorize`]). PUT takes it before its [`JwtBody`], so authorization is
//! checked before the body is read, and an unauthenticated PUT gets 401 whatever it sends.
//! Answers are written in the flavour's shape (`registration::render`) and errors in its words.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Map, Value};

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::extract::{JwtBody, ManagedClient};
use crate::flavour::{Policy, ResponseShape};
use crate::registration::{self, Operation};
use crate::state::{AppState, blocking};
use crate::variation::Variation;

/// The management routes, at `{registration path}/{ClientId}`.
pub(crate) fn routes(policy: &Policy) -> Router<AppState> {
    Router::new().route(
        &format!("{}/{{client_id}}", policy.registration_path),
        get(read)
            .put(update)
            .delete(remove)
            .fallback(|State(state): State<AppState>| async move {
                if state.defect(Defect::UnsupportedMethodCarriedOut) {
                    return (StatusCode::OK, Json(Value::Object(Map::new()))).into_response();
                }
                if state.defect(Defect::MethodNotAllowed404)
                    || state.variation(Variation::UnsupportedMethod404)
                {
                    return OAuthError::NotFound.into_response();
                }
                OAuthError::MethodNotAllowed("GET, PUT, DELETE").into_response()
            }),
    )
}

/// The answer body for `metadata`, read by a call with `bearer`.
fn answer(state: &AppState, metadata: Map<String, Value>, bearer: Option<&str>) -> Json<Value> {
    Json(Value::Object(registration::render(
        state.policy(),
        metadata,
        bearer,
    )))
}

async fn read(
    State(state): State<AppState>,
    managed: ManagedClient,
) -> Result<Response, OAuthError> {
    let dialect = state.policy().dialect;
    let drop_issued_at = state.defect(Defect::GetDropsIssuedAt);
    if state.policy().response == ResponseShape::Cds && !drop_issued_at {
        // The stored text is the JSON the registration was answered with: no need to parse it
        // and write it again.
        return Ok((
            [(header::CONTENT_TYPE, "application/json")],
            managed.client.metadata_json,
        )
            .into_response());
    }
    let bearer = managed.bearer;
    let mut metadata = managed
        .client
        .parse()
        .map_err(|e| dialect.adapt(e.into()))?
        .metadata;
    if drop_issued_at {
        metadata.remove("client_id_issued_at");
    }
    Ok(answer(&state, metadata, bearer.as_deref()).into_response())
}

async fn update(
    State(state): State<AppState>,
    managed: ManagedClient,
    JwtBody(body): JwtBody,
) -> Result<(StatusCode, Json<Value>), OAuthError> {
    let dialect = state.policy().dialect;
    replace(state, managed, body)
        .await
        .map_err(|e| dialect.adapt(e))
}

async fn replace(
    state: AppState,
    managed: ManagedClient,
    body: String,
) -> Result<(StatusCode, Json<Value>), OAuthError> {
    let ManagedClient {
        client_id,
        client: registered,
        bearer,
    } = managed;
    let valid = match registration::validate(&state, &body, Operation::Update).await {
        Ok(valid) => valid,
        Err(refusal) => {
            if state.defect(Defect::PutAppliesRefusedUpdate) {
                apply_unverified(&state, &registered, &body).await?;
            }
            return Err(refusal);
        }
    };
    if state.defect(Defect::PutRefusedAsDuplicate) {
        return Err(registration::duplicate(&state, &valid.software_id));
    }
    if valid.software_id != registered.software_id && !state.defect(Defect::PutRebindsSoftwareId) {
        return Err(registration::software_id_changed(
            &state,
            &valid.software_id,
            &registered.software_id,
        ));
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
    Ok((status, answer(&state, metadata, bearer.as_deref())))
}

/// Defect `put-applies-refused-update`: the members of a refused PUT's (unverified) claims that
/// the registration has are stored before the refusal is answered.
async fn apply_unverified(
    state: &AppState,
    registered: &crate::store::ClientRow,
    body: &str,
) -> Result<(), OAuthError> {
    let Some((_, claims)) = crate::jose::split_jws(body.trim()) else {
        return Ok(());
    };
    let Ok(mut metadata) = serde_json::from_str::<Map<String, Value>>(&registered.metadata_json)
    else {
        return Ok(());
    };
    for (name, value) in claims {
        if metadata.contains_key(&name) && name != "client_id" {
            metadata.insert(name, value);
        }
    }
    let (store_state, id) = (state.clone(), registered.client_id.clone());
    blocking(move || Ok(store_state.store().update_client(&id, &metadata)?)).await?;
    Ok(())
}

async fn remove(
    State(state): State<AppState>,
    managed: ManagedClient,
) -> Result<Response, OAuthError> {
    let dialect = state.policy().dialect;
    delete(state, managed).await.map_err(|e| dialect.adapt(e))
}

async fn delete(state: AppState, managed: ManagedClient) -> Result<Response, OAuthError> {
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
        let metadata = managed.client.parse()?.metadata;
        return Ok(answer(&state, metadata, managed.bearer.as_deref()).into_response());
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

//! `GET | PUT | DELETE /register/{ClientId}`: registration management (RFC 7592, CDS
//! "Registration Management"), under the flavour's registration path. Every call needs a
//! certificate-bound access token of the client in the path (with the scope the flavour
//! requires): each handler takes a [`ManagedClient`], which checks it (see
//! [`crate::tokens::authorize`]). PUT takes it before its [`JwtBody`], so authorization is
//! checked before the body is read, and an unauthenticated PUT gets 401 whatever it sends.
//! Answers are written in the flavour's shape (`registration::respond`) and errors in its words.
//! The operations served are the configured ones (`Settings::operations`).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use axum::{Json, Router};
use serde_json::{Map, Value};

use crate::defect::Defect;
use crate::error::OAuthError;
use crate::extract::{JwtBody, ManagedClient};
use crate::flavour::{Policy, ResponseShape};
use crate::registration::{self, Operation};
use crate::settings::Operations;
use crate::state::{AppState, blocking};
use crate::variation::Variation;

/// The `Allow` value of the management path when `operations` are served.
fn allowed(operations: Operations) -> &'static str {
    match (operations.get, operations.put, operations.delete) {
        (true, true, true) => "GET, PUT, DELETE",
        (true, true, false) => "GET, PUT",
        (true, false, true) => "GET, DELETE",
        (false, true, true) => "PUT, DELETE",
        (true, false, false) => "GET",
        (false, true, false) => "PUT",
        (false, false, true) => "DELETE",
        (false, false, false) => "",
    }
}

/// The management routes, at `{registration path}/{ClientId}`: the `operations` served (UK
/// DCR makes each optional, uk-dcr.md §1.1, UK-REQ-070/071); another method is answered 405
/// with `Allow` naming them.
pub(crate) fn routes(policy: &Policy, operations: Operations) -> Router<AppState> {
    let allow = allowed(operations);
    let mut route = MethodRouter::new();
    if operations.get {
        route = route.get(read);
    }
    if operations.put {
        route = route.put(update);
    }
    if operations.delete {
        route = route.delete(remove);
    }
    Router::new().route(
        &format!("{}/{{client_id}}", policy.registration_path),
        route.fallback(move |State(state): State<AppState>| async move {
            if state.defect(Defect::UnsupportedMethodCarriedOut) {
                return (StatusCode::OK, Json(Value::Object(Map::new()))).into_response();
            }
            if state.defect(Defect::MethodNotAllowed404)
                || state.defect(Defect::UkDeleteOff404)
                || state.variation(Variation::UnsupportedMethod404)
            {
                return OAuthError::NotFound.into_response();
            }
            OAuthError::MethodNotAllowed(allow).into_response()
        }),
    )
}

/// The answer body for `metadata`, read by a call with `bearer`.
fn answer(state: &AppState, metadata: Map<String, Value>, bearer: Option<&str>) -> Json<Value> {
    Json(Value::Object(registration::respond(
        state, metadata, bearer,
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
        peer,
    } = managed;
    let valid =
        match registration::validate(&state, &body, Operation::Update, peer.as_deref()).await {
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
    keep_client_secret(&registered, &mut metadata);
    if state.defect(Defect::PutKeepsJwksUri) {
        keep_first_jwks_uri(&registered, &mut metadata);
    }
    let answered_id = if state.defect(Defect::UkPutClientIdChanges) {
        uuid::Uuid::new_v4().to_string()
    } else {
        registered.client_id.clone()
    };
    metadata.insert("client_id".into(), Value::String(answered_id));
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

/// A client authenticating with a secret keeps the one it was given: an update that registers
/// `client_secret_basic` again (the pipeline gives it a new secret) answers the old one.
fn keep_client_secret(registered: &crate::store::ClientRow, metadata: &mut Map<String, Value>) {
    if !metadata.contains_key("client_secret") {
        return;
    }
    let old = serde_json::from_str::<Map<String, Value>>(&registered.metadata_json)
        .ok()
        .and_then(|m| m.get("client_secret").cloned());
    if let Some(secret) = old {
        metadata.insert("client_secret".into(), secret);
    }
}

/// Defect `put-keeps-jwks-uri`: the update keeps the `jwks_uri` the client registered first.
fn keep_first_jwks_uri(registered: &crate::store::ClientRow, metadata: &mut Map<String, Value>) {
    let old = serde_json::from_str::<Map<String, Value>>(&registered.metadata_json)
        .ok()
        .and_then(|m| m.get("jwks_uri").cloned());
    if let Some(uri) = old {
        metadata.insert("jwks_uri".into(), uri);
    }
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
    if !state.defect(Defect::DeleteIsANoOp) && !state.defect(Defect::UkDeleteKeepsClient) {
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

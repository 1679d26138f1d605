//! After a scenario on a target with fixed software statements: delete every registration it
//! created, so the next scenario can register the same software product again.

use serde_json::Value;

use crate::scenario::params::Recipient;
use crate::scenario::world::DcrWorld;

/// The client_ids this scenario's exchanges show the holder created and did not delete, by
/// recipient: 201 answers to POSTs (whatever the scenario expected), minus 204 answers to
/// DELETEs.
fn created(w: &DcrWorld) -> Vec<(Recipient, String)> {
    let client_id = w.wire_name("client_id");
    let mut live: Vec<(Recipient, String)> = Vec::new();
    for e in &w.exchanges {
        let Some(Ok(r)) = e
            .certificate
            .strip_prefix("recipient ")
            .map(str::parse::<Recipient>)
        else {
            continue;
        };
        match (e.method.as_str(), e.status()) {
            ("POST", Some(201)) => {
                if let Some(id) = e.json().and_then(|j| {
                    j.get(&client_id)
                        .and_then(Value::as_str)
                        .map(str::to_string)
                }) {
                    live.push((r, id));
                }
            }
            ("DELETE", Some(204)) => live.retain(|(_, id)| !e.url.ends_with(&format!("/{id}"))),
            _ => {}
        }
    }
    live
}

/// Deletes what the scenario registered. Best effort: a registration that cannot be deleted is
/// reported on the console, because the next scenario registering that recipient will fail on
/// it and the reason should be visible.
pub async fn cleanup(w: &mut DcrWorld) {
    for (name, client_id) in created(w) {
        if let Err(e) = delete(w, name, &client_id).await {
            eprintln!(
                "cleanup: registration {client_id} of recipient {name} could not be deleted ({}); later scenarios registering recipient {name} may fail on it",
                crate::redact::chain::chain(&e)
            );
        }
    }
}

async fn delete(w: &mut DcrWorld, name: Recipient, client_id: &str) -> anyhow::Result<()> {
    let mut registration = serde_json::Map::new();
    registration.insert("client_id".into(), client_id.into());
    w.registrations.insert(name, registration);
    w.tokens.remove(&name);
    let scope = w.registration_scope();
    crate::scenario::steps::token::obtain(w, name, &scope).await?;
    let token = w
        .tokens
        .get(&name)
        .map(|t| t.access_token.clone())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "no access token: {}",
                w.last().map(|e| e.summary()).unwrap_or_default()
            )
        })?;
    let endpoint = w.registration_endpoint().await?;
    let request = w
        .management_call(
            reqwest::Method::DELETE,
            format!("{}/{client_id}", endpoint.trim_end_matches('/')),
        )
        .header("Authorization", format!("Bearer {token}"));
    let e = w.send(name, request).await?;
    match e.status() {
        Some(204) => Ok(()),
        _ => anyhow::bail!("{}", e.summary()),
    }
}

//! Registration management: GET, PUT and DELETE on `/register/{ClientId}` (CDS "Registration
//! Management", RFC 7592), with the bearer token, certificate and client id each step names.

use anyhow::{Context, bail};
use cucumber::{then, when};
use serde_json::Value;

use crate::http::Request;
use crate::scenario::steps::response::fail;
use crate::scenario::world::DcrWorld;

/// Which token a management call carries.
enum Bearer {
    Own,
    None,
    Forged,
}

async fn manage(
    w: &mut DcrWorld,
    method: reqwest::Method,
    caller: &str,
    client_of: Option<&str>,
    bearer: Bearer,
    certificate: &str,
    body: Option<String>,
) -> anyhow::Result<()> {
    let endpoint = w.discovered("registration_endpoint").await?;
    let client_id = match client_of {
        Some(owner) => w.client_id(owner)?,
        None => uuid::Uuid::new_v4().to_string(),
    };
    let url = format!("{}/{client_id}", endpoint.trim_end_matches('/'));
    let mut request = Request::new(method, url).header("Accept", "application/json");
    let token = match bearer {
        Bearer::Own => Some(
            w.tokens
                .get(caller)
                .with_context(|| format!("recipient {caller} holds no token"))?
                .access_token
                .clone(),
        ),
        Bearer::None => None,
        Bearer::Forged => Some(forged_token(w, caller)?),
    };
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        request = request.header("Content-Type", "application/jwt").body(body);
    }
    w.send(certificate, request).await?;
    Ok(())
}

/// A token shaped like a JWT access token for `caller`'s client, bound to its certificate, but
/// signed by a key the holder never issued tokens with.
fn forged_token(w: &DcrWorld, caller: &str) -> anyhow::Result<String> {
    let client_id = w.client_id(caller)?;
    let actor = w.actor(caller)?;
    let now = dcr_vectors::time::now();
    let claims = serde_json::json!({
        "iss": "https://forger.example", "sub": client_id, "client_id": client_id,
        "scope": "cdr:registration", "iat": now, "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(), "cnf": {"x5t#S256": actor.thumbprint},
    });
    dcr_vectors::jose::sign_claims(claims.as_object().context("claims")?, &actor.impostor)
}

fn method(verb: &str) -> anyhow::Result<reqwest::Method> {
    Ok(match verb {
        "reads" => reqwest::Method::GET,
        "deletes" => reqwest::Method::DELETE,
        other => bail!("unknown management verb {other:?}"),
    })
}

/// Recipient `name` acts on its own registration: `updates` is a PUT of a freshly signed
/// request, `reads` and `deletes` carry no body.
async fn act_on_own(
    w: &mut DcrWorld,
    name: &str,
    verb: &str,
    bearer: Bearer,
    certificate: &str,
) -> anyhow::Result<()> {
    if verb == "updates" {
        return put(w, name, name, bearer, certificate).await;
    }
    manage(
        w,
        method(verb)?,
        name,
        Some(name),
        bearer,
        certificate,
        None,
    )
    .await
}

#[when(expr = "recipient {word} {word} its registration")]
async fn own(w: &mut DcrWorld, name: String, verb: String) -> anyhow::Result<()> {
    act_on_own(w, &name, &verb, Bearer::Own, &name).await
}

#[when(expr = "recipient {word} {word} its registration without a token")]
async fn own_without_token(w: &mut DcrWorld, name: String, verb: String) -> anyhow::Result<()> {
    act_on_own(w, &name, &verb, Bearer::None, &name).await
}

#[when(expr = "recipient {word} {word} its registration with a forged token")]
async fn own_with_forged(w: &mut DcrWorld, name: String, verb: String) -> anyhow::Result<()> {
    act_on_own(w, &name, &verb, Bearer::Forged, &name).await
}

#[when(expr = "recipient {word} {word} its registration over the certificate of recipient {word}")]
async fn own_over_other_cert(
    w: &mut DcrWorld,
    name: String,
    verb: String,
    other: String,
) -> anyhow::Result<()> {
    act_on_own(w, &name, &verb, Bearer::Own, &other).await
}

#[when(expr = "recipient {word} {word} its registration {word}")]
async fn own_without_cert(
    w: &mut DcrWorld,
    name: String,
    verb: String,
    how: String,
) -> anyhow::Result<()> {
    let certificate = match how.as_str() {
        "without-a-client-certificate" => "none",
        "with-a-certificate-from-another-CA" => "rogue",
        other => bail!("unknown transport variant {other}"),
    };
    act_on_own(w, &name, &verb, Bearer::Own, certificate).await
}

#[when(expr = "recipient {word} {word} the registration of recipient {word}")]
async fn others(
    w: &mut DcrWorld,
    caller: String,
    verb: String,
    owner: String,
) -> anyhow::Result<()> {
    if verb == "updates" {
        return put(w, &caller, &owner, Bearer::Own, &caller).await;
    }
    manage(
        w,
        method(&verb)?,
        &caller,
        Some(&owner),
        Bearer::Own,
        &caller,
        None,
    )
    .await
}

#[when(expr = "recipient {word} {word} the registration of an unknown client")]
async fn unknown(w: &mut DcrWorld, caller: String, verb: String) -> anyhow::Result<()> {
    let m = if verb == "updates" {
        reqwest::Method::PUT
    } else {
        method(&verb)?
    };
    let body = if verb == "updates" {
        crate::scenario::steps::registration::sign_valid(w, &caller).await?;
        Some(w.requests[&caller].jwt.clone())
    } else {
        None
    };
    manage(w, m, &caller, None, Bearer::Own, &caller, body).await
}

/// PUT of `signer`'s freshly signed request on `owner`'s client id.
async fn put(
    w: &mut DcrWorld,
    signer: &str,
    owner: &str,
    bearer: Bearer,
    certificate: &str,
) -> anyhow::Result<()> {
    if !w.requests.contains_key(signer) || w.requests[signer].jwt.is_empty() {
        crate::scenario::steps::registration::sign_valid(w, signer).await?;
    }
    let body = w.requests[signer].jwt.clone();
    // A request is single-use (its jti); a later PUT signs a fresh one.
    if let Some(r) = w.requests.get_mut(signer) {
        r.jwt.clear()
    }
    manage(
        w,
        reqwest::Method::PUT,
        signer,
        Some(owner),
        bearer,
        certificate,
        Some(body),
    )
    .await
}

#[when(expr = "recipient {word} updates its registration with mutation {string}")]
async fn put_mutated(w: &mut DcrWorld, name: String, mutation: String) -> anyhow::Result<()> {
    crate::scenario::steps::registration::sign_with_mutation(w, &name, &mutation).await?;
    put(w, &name, &name, Bearer::Own, &name).await
}

#[when(
    expr = "recipient {word} updates its registration with a software statement with mutation {string}"
)]
async fn put_ssa_mutated(w: &mut DcrWorld, name: String, mutation: String) -> anyhow::Result<()> {
    crate::scenario::steps::registration::mint_with_mutation(w, &name, &mutation).await?;
    crate::scenario::steps::registration::sign_valid(w, &name).await?;
    put(w, &name, &name, Bearer::Own, &name).await
}

#[when(expr = "recipient {word} sends the same update twice")]
async fn put_twice(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    crate::scenario::steps::registration::sign_valid(w, &name).await?;
    let body = w.requests[&name].jwt.clone();
    manage(
        w,
        reqwest::Method::PUT,
        &name,
        Some(&name),
        Bearer::Own,
        &name,
        Some(body.clone()),
    )
    .await?;
    if w.last()?.status() != Some(200) {
        return Err(fail("HTTP 200 for the first PUT", w.last()?));
    }
    manage(
        w,
        reqwest::Method::PUT,
        &name,
        Some(&name),
        Bearer::Own,
        &name,
        Some(body),
    )
    .await
}

#[when(expr = "recipient {word} sends {word} to its registration")]
async fn other_method(w: &mut DcrWorld, name: String, verb: String) -> anyhow::Result<()> {
    let m = reqwest::Method::from_bytes(verb.as_bytes()).context("not an HTTP method")?;
    manage(w, m, &name, Some(&name), Bearer::Own, &name, None).await
}

#[when(expr = "recipient {word} sends {word} to the registration endpoint")]
async fn other_method_on_collection(
    w: &mut DcrWorld,
    name: String,
    verb: String,
) -> anyhow::Result<()> {
    let endpoint = w.discovered("registration_endpoint").await?;
    let m = reqwest::Method::from_bytes(verb.as_bytes()).context("not an HTTP method")?;
    let mut request = Request::new(m, endpoint).header("Accept", "application/json");
    if let Some(token) = w.tokens.get(&name) {
        request = request.header("Authorization", format!("Bearer {}", token.access_token));
    }
    w.send(&name, request).await?;
    Ok(())
}

#[then(expr = "the response is the registration recipient {word} holds")]
fn same_registration(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    let want = w
        .registrations
        .get(&name)
        .cloned()
        .with_context(|| format!("recipient {name} has no registration"))?;
    let last = w.last()?;
    let Some(Value::Object(got)) = last.json() else {
        return Err(fail("a JSON registration", last));
    };
    let mut differences = Vec::new();
    for key in want.keys().chain(got.keys()) {
        if want.get(key) != got.get(key) && !differences.contains(key) {
            differences.push(key.clone());
        }
    }
    if !differences.is_empty() {
        return Err(fail(
            &format!(
                "the registration returned at registration time; these members differ: {differences:?}"
            ),
            last,
        ));
    }
    Ok(())
}

#[then(expr = "recipient {word} keeps the registration from the response")]
fn keep(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    let last = w.last()?;
    let Some(Value::Object(registration)) = last.json() else {
        return Err(fail("a JSON registration", last));
    };
    w.registrations.insert(name, registration);
    Ok(())
}

#[then(expr = "the response {string} is the one recipient {word} was first given")]
fn unchanged_member(w: &mut DcrWorld, member: String, name: String) -> anyhow::Result<()> {
    let want = w
        .registrations
        .get(&name)
        .and_then(|r| r.get(&member).cloned())
        .with_context(|| format!("no first {member}"))?;
    let last = w.last()?;
    let got = last.json().and_then(|j| j.get(&member).cloned());
    if got.as_ref() != Some(&want) {
        return Err(fail(&format!("{member:?} unchanged ({want})"), last));
    }
    Ok(())
}

#[then("the response has an empty body")]
fn empty_body(w: &mut DcrWorld) -> anyhow::Result<()> {
    let last = w.last()?;
    if last.body().is_none_or(|b| !b.is_empty()) {
        return Err(fail("an empty body", last));
    }
    Ok(())
}

#[then(expr = "the response has a {string} header")]
fn has_header(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    let last = w.last()?;
    if last.header(&name).is_none() {
        return Err(fail(&format!("a {name} header"), last));
    }
    Ok(())
}

#[then(expr = "the {string} header starts with {string}")]
fn header_prefix(w: &mut DcrWorld, name: String, prefix: String) -> anyhow::Result<()> {
    let last = w.last()?;
    if !last.header(&name).is_some_and(|v| v.starts_with(&prefix)) {
        return Err(fail(
            &format!("a {name} header starting with {prefix:?}"),
            last,
        ));
    }
    Ok(())
}

#[when(
    expr = "recipient {word} updates its registration with a software statement for another software product"
)]
async fn put_other_product(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    // The SSA and request are for a different software_id (iss matches it, so only the
    // software product differs from the registered client's).
    w.software_ids
        .insert(name.clone(), uuid::Uuid::new_v4().to_string());
    crate::scenario::steps::registration::mint(w, &name).await?;
    crate::scenario::steps::registration::sign_valid(w, &name).await?;
    put(w, &name, &name, Bearer::Own, &name).await
}

#[when(expr = "recipient {word} registers again with the same software product")]
async fn register_again(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    crate::scenario::steps::registration::mint(w, &name).await?;
    crate::scenario::steps::registration::sign_valid(w, &name).await?;
    crate::scenario::steps::registration::post_request(w, &name, &name).await
}

//! Software statements (minted as the Register would), registration requests (signed as the
//! recipient would) and sending them to the holder's registration endpoint.

use anyhow::{Context, bail};
use cucumber::{given, when};
use dcr_vectors::jose;

use crate::http::Request;
use crate::world::{DcrWorld, PendingRequest};

/// Which key signs a minted SSA.
#[derive(Debug, Clone, Copy)]
enum SsaSigner {
    Register,
    Impostor,
}

fn mint_ssa(w: &mut DcrWorld, name: &str, signer: SsaSigner) -> anyhow::Result<()> {
    let software_id = w.software_id(name)?;
    let env = w.ctx.env.clone();
    let register = env.register.as_ref().context(
        "this scenario mints software statements, which needs the Register's signing key (only the embedded run has it)",
    )?;
    let actor = env.actor(name)?;
    let mut recipient = actor.recipient.clone();
    recipient.software_id = software_id;
    let claims = env.ssa_template.claims(
        &recipient,
        &actor.jwks_uri,
        &actor.base_uri,
        dcr_vectors::time::now(),
    )?;
    let key = match signer {
        SsaSigner::Register => &register.key,
        SsaSigner::Impostor => &register.impostor,
    };
    w.ssas
        .insert(name.to_string(), jose::sign_claims(&claims, key)?);
    Ok(())
}

#[given(expr = "recipient {word} holds a software statement issued by the Register")]
fn ssa_from_register(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    mint_ssa(w, &name, SsaSigner::Register)
}

#[given(
    expr = "recipient {word} holds a software statement signed by a key that is not the Register's"
)]
fn ssa_from_impostor(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    mint_ssa(w, &name, SsaSigner::Impostor)
}

#[given(expr = "recipient {word} signs a registration request carrying its software statement")]
async fn sign_request(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    let ssa = w
        .ssas
        .get(&name)
        .cloned()
        .with_context(|| format!("recipient {name} holds no software statement"))?;
    let issuer = w.discovered("issuer").await?;
    let software_id = w.software_id(&name)?;
    let env = w.ctx.env.clone();
    let actor = env.actor(&name)?;
    let claims = env.registration_template.claims(
        &software_id,
        &issuer,
        &actor.recipient.redirect_uris,
        &ssa,
        dcr_vectors::time::now(),
    )?;
    let jwt = jose::sign_claims(&claims, &actor.key)?;
    w.requests.insert(name, PendingRequest { claims, jwt });
    Ok(())
}

async fn post(w: &mut DcrWorld, name: &str, certificate: &str) -> anyhow::Result<()> {
    let Some(request) = w.requests.get(name).cloned() else {
        bail!("recipient {name} has not prepared a registration request");
    };
    let endpoint = w.discovered("registration_endpoint").await?;
    let request = Request::new(reqwest::Method::POST, endpoint)
        .header("Content-Type", "application/jwt")
        .header("Accept", "application/json")
        .body(request.jwt);
    w.send(certificate, request).await?;
    Ok(())
}

#[when(expr = "recipient {word} posts the registration request")]
async fn post_own(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    post(w, &name, &name).await
}

#[when(
    expr = "the registration request of recipient {word} is posted without a client certificate"
)]
async fn post_anonymous(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    post(w, &name, "none").await
}

#[when(
    expr = "the registration request of recipient {word} is posted with a certificate from another CA"
)]
async fn post_rogue(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    post(w, &name, "rogue").await
}

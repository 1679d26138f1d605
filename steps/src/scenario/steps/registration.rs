//! Software statements (minted as the Register would, optionally mutated), registration
//! requests (signed as the recipient would, optionally mutated) and sending them to the
//! holder's registration endpoint.

use anyhow::{Context, bail};
use cucumber::gherkin::Step;
use cucumber::{given, when};
use dcr_vectors::jose;
use dcr_vectors::mutation::{Mutation, MutationFile, Vars};
use dcr_vectors::{SigningAlg, SigningKey};
use josekit::jws::RS256;
use serde_json::{Map, Value};
use std::sync::LazyLock;

use crate::environment::capabilities::Need;
use crate::scenario::needs::step;
use crate::scenario::params::{Certificate, Recipient, RequestMutation, SsaMutation};
use crate::scenario::world::{DcrWorld, PendingRequest};

static SSA_MUTATIONS: LazyLock<MutationFile> = LazyLock::new(|| {
    MutationFile::ssa().expect("vectors/mutations/ssa.yaml is checked by its unit tests")
});
/// Values a mutation may refer to.
async fn vars(w: &mut DcrWorld, r: Recipient, needs_skew: bool) -> anyhow::Result<Vars> {
    let mut vars = Vars {
        now: dcr_vectors::time::now(),
        skew: 0,
        values: Default::default(),
    };
    if needs_skew {
        vars.skew = w.env().clock_skew.context(
            "this mutation is relative to the holder's allowed clock skew, which this target does not declare",
        )?;
    }
    let software_id = w.software_id(r)?;
    let mut product = w.recipient(r)?.product.clone();
    product.software_id = software_id.clone();
    vars.values.insert(
        "software_client_name".into(),
        Value::String(product.software_client_name()),
    );
    vars.values
        .insert("software_id".into(), Value::String(software_id));
    vars.values.insert(
        "issuer".into(),
        Value::String(w.discovered("issuer").await?),
    );
    vars.values.insert(
        "subject_dn".into(),
        Value::String(w.recipient(r)?.subject_dn.clone()),
    );
    // The impostor's public key as a JWK set, under the kid of the recipient's own key: what a
    // request would carry as its `jwks` to be verified with a key the SSA does not name.
    let identity = w.recipient(r)?;
    let mut impostor = identity.impostor.public_jwk()?;
    impostor.set_key_id(identity.key.kid());
    let impostor: Value = serde_json::from_str(&impostor.to_string())?;
    vars.values.insert(
        "impostor_jwks".into(),
        serde_json::json!({ "keys": [impostor] }),
    );
    Ok(vars)
}

/// Signs `claims` with `header` as `signer` says; `legit` is the legitimate key, `impostor` the
/// same-kid impostor, `unpublished` a key with an unknown kid.
fn sign(
    signer: &str,
    mut header: Map<String, Value>,
    claims: &Map<String, Value>,
    legit: &SigningKey,
    impostor: &SigningKey,
    unpublished: Option<(&SigningKey, &SigningKey)>,
) -> anyhow::Result<String> {
    let payload = serde_json::to_vec(claims)?;
    let kid = legit.kid().to_string();
    let signed_by = |key: &SigningKey, mut header: Map<String, Value>| -> anyhow::Result<String> {
        header.insert("alg".into(), key.alg().as_str().into());
        jose::sign_compact(&header, &payload, key.signer()?.as_ref())
    };
    match signer {
        "register" | "recipient" => signed_by(legit, header),
        "impostor" => signed_by(impostor, header),
        // The impostor's public key carried in the header (RFC 7515 §4.1.3 `jwk`), as if the
        // header could vouch for its own key.
        "impostor-embedded-jwk" => {
            let jwk: Value = serde_json::from_str(&impostor.public_jwk()?.to_string())?;
            header.insert("jwk".into(), jwk);
            signed_by(impostor, header)
        }
        "next" => {
            let key = unpublished_or_next(unpublished, "next")?;
            header.insert("kid".into(), key.kid().into());
            signed_by(key, header)
        }
        "unpublished" => {
            let key = unpublished_or_next(unpublished, "unpublished")?;
            header.insert("kid".into(), key.kid().into());
            signed_by(key, header)
        }
        "none" => unsecured(header, &payload),
        "hs256-public-key" => jose::hs256(claims, &legit.public_pem()?, &kid),
        "rs256" => {
            header.insert("alg".into(), "RS256".into());
            let mut jwk = josekit::jwk::Jwk::from_bytes(legit.private_jwk_json()?.as_bytes())?;
            jwk.set_algorithm("RS256");
            let signer = RS256
                .signer_from_jwk(&jwk)
                .context("RS256 needs an RSA key (recipient A signs with RSA)")?;
            jose::sign_compact(&header, &payload, &signer)
        }
        other => bail!("unknown signer {other:?}"),
    }
}

fn unpublished_or_next<'a>(
    keys: Option<(&'a SigningKey, &'a SigningKey)>,
    which: &str,
) -> anyhow::Result<&'a SigningKey> {
    let (unpublished, next) = keys.context("this signer exists only for software statements")?;
    Ok(if which == "next" { next } else { unpublished })
}

/// Builds the signed token for `claims` under `mutation`, applying header, signer and tamper.
#[allow(clippy::too_many_arguments)]
fn finish(
    mutation: Option<&Mutation>,
    vars: &Vars,
    header: Map<String, Value>,
    claims: Map<String, Value>,
    legit: &SigningKey,
    impostor: &SigningKey,
    unpublished: Option<(&SigningKey, &SigningKey)>,
    default_signer: &str,
) -> anyhow::Result<String> {
    let mut header = header;
    if let Some(m) = mutation {
        m.apply_header(&mut header, vars)?;
    }
    let signer = mutation
        .and_then(|m| m.signer.as_deref())
        .unwrap_or(default_signer);
    let token = sign(signer, header, &claims, legit, impostor, unpublished)?;
    match mutation
        .map(|m| m.tampered(&claims, vars))
        .transpose()?
        .flatten()
    {
        Some(tampered) => jose::with_payload_replaced(&token, &tampered),
        None => Ok(token),
    }
}

/// An unsecured JWS (RFC 7515 appendix A.5): `alg` none and an empty signature.
fn unsecured(mut header: Map<String, Value>, payload: &[u8]) -> anyhow::Result<String> {
    header.insert("alg".into(), "none".into());
    Ok(format!(
        "{}.{}.",
        jose::b64(&serde_json::to_vec(&header)?),
        jose::b64(payload)
    ))
}

/// Applies `mutation` (one that [`Mutation::works_on_issued_token`]) to an SSA the Register
/// issued, without the Register's key: signed again by an impostor key of the same algorithm
/// under the same header (so with the Register's kid), unsigned (`alg` none), or with its
/// payload changed under the original signature.
fn mutate_issued_ssa(ssa: &str, mutation: &Mutation, vars: &Vars) -> anyhow::Result<String> {
    let issued = jose::decode_unverified(ssa).context("the target's software statement")?;
    let payload = serde_json::to_vec(&issued.claims)?;
    match mutation.signer.as_deref() {
        Some("impostor") => {
            let alg: SigningAlg = issued
                .header
                .get("alg")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .parse()
                .context("the target's software statement is not signed with PS256 or ES256")?;
            let impostor = SigningKey::generate(alg, "impostor")?;
            jose::sign_compact(&issued.header, &payload, impostor.signer()?.as_ref())
        }
        Some("none") => unsecured(issued.header, &payload),
        _ => match mutation.tampered(&issued.claims, vars)? {
            Some(tampered) => jose::with_payload_replaced(ssa, &tampered),
            None => bail!(
                "mutation {} cannot be made from an issued software statement",
                mutation.id
            ),
        },
    }
}

async fn mint_ssa(
    w: &mut DcrWorld,
    r: Recipient,
    mutation: Option<&Mutation>,
) -> anyhow::Result<()> {
    if let Some(m) = mutation {
        w.mutations.push(m.id.clone());
    }
    let env = w.ctx.env.clone();
    if mutation.is_none()
        && let Some(ssa) = &env.recipient(r.name())?.ssa
    {
        // A fixed SSA from the target file's source: the Register issued it, not the suite.
        w.ssas.insert(r, ssa.clone());
        return Ok(());
    }
    let vars = vars(w, r, mutation.is_some_and(Mutation::uses_skew)).await?;
    if env.register.is_none()
        && let (Some(ssa), Some(m)) = (&env.recipient(r.name())?.ssa, mutation)
        && m.works_on_issued_token()
    {
        let mutated = mutate_issued_ssa(ssa, m, &vars)?;
        w.ssas.insert(r, mutated);
        return Ok(());
    }
    let software_id = w.software_id(r)?;
    let register = env.register.as_ref().context(
        "this scenario mints software statements, which needs the Register's signing key (register.signing_key in the target file)",
    )?;
    let identity = env.recipient(r.name())?;
    let mut product = identity.product.clone();
    product.software_id = software_id;
    let (_, jwks_uri) = w.current_key(r)?;
    let mut claims =
        w.profile()
            .templates
            .ssa
            .claims(&product, jwks_uri, &identity.base_uri, vars.now)?;
    // The profile's release reads some claims under other names.
    for (new, existing) in &w.profile().wire.ssa.copy {
        if let Some(value) = claims.get(existing).cloned() {
            claims.insert(new.clone(), value);
        }
    }
    if let Some(m) = mutation {
        m.apply_claims(&mut claims, &vars)?;
    }
    let header = jose::header_for(&register.key);
    let ssa = finish(
        mutation,
        &vars,
        header,
        claims,
        &register.key,
        &register.impostor,
        Some((&register.unpublished, &register.next)),
        "register",
    )?;
    w.ssas.insert(r, ssa);
    Ok(())
}

async fn sign_request(
    w: &mut DcrWorld,
    r: Recipient,
    mutation: Option<&Mutation>,
    changes: &Map<String, Value>,
) -> anyhow::Result<()> {
    if let Some(m) = mutation {
        w.mutations.push(m.id.clone());
    }
    let ssa = w
        .ssas
        .get(&r)
        .cloned()
        .with_context(|| format!("recipient {r} holds no software statement"))?;
    let vars = vars(w, r, mutation.is_some_and(Mutation::uses_skew)).await?;
    let issuer = match &w.ctx.env.registration_aud {
        Some(aud) => aud.clone(),
        None => w.discovered("issuer").await?,
    };
    let software_id = w.software_id(r)?;
    let env = w.ctx.env.clone();
    let identity = env.recipient(r.name())?;
    let mut claims = w.profile().templates.registration.claims(
        &software_id,
        &issuer,
        &identity.product.redirect_uris,
        &ssa,
        vars.now,
    )?;
    // The recipient signs its client assertions with its own key, so it registers that key's
    // algorithm (a holder may insist that the two match).
    let (key, _) = w.current_key(r)?;
    let key = key.clone();
    claims.insert(
        "token_endpoint_auth_signing_alg".into(),
        key.alg().as_str().into(),
    );
    // The request follows the SSA it carries: an SSA without redirect_uris (SSA mutation
    // missing-redirect_uris) leaves no listed URI to send, and sending the recipient's would
    // add a second fault (URIs outside the SSA, invalid_redirect_uri) the holder could refuse
    // for instead of the missing claim. Without the member the SSA's list applies
    // (DCR-REQ-031), so the SSA's gap is the request's only difference from an accepted one.
    // (An OB Directory SSA's list is software_redirect_uris.)
    if jose::decode_unverified(&ssa).is_ok_and(|t| {
        !t.claims.contains_key("redirect_uris") && !t.claims.contains_key("software_redirect_uris")
    }) {
        claims.remove("redirect_uris");
    }
    // The profile's flavour registers with other metadata (e.g. the hybrid response type).
    let wire = &w.profile().wire.request;
    for (k, v) in &wire.set {
        claims.insert(k.clone(), v.clone());
    }
    for k in &wire.remove {
        claims.remove(k);
    }
    if let Some(m) = mutation {
        m.apply_claims(&mut claims, &vars)?;
    }
    for (k, v) in changes {
        if v.is_null() {
            claims.remove(k);
        } else {
            claims.insert(k.clone(), v.clone());
        }
    }
    let mut header = w.profile().templates.registration.header().clone();
    header.insert("kid".into(), key.kid().into());
    let jwt = finish(
        mutation,
        &vars,
        header,
        claims.clone(),
        &key,
        &identity.impostor,
        None,
        "recipient",
    )?;
    w.requests.insert(r, PendingRequest { claims, jwt });
    Ok(())
}

step! {
    needs [];
    #[given(expr = "recipient {recipient} holds a software statement issued by the Register")]
    async fn ssa_from_register(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        mint_ssa(w, r, None).await
    }
}

step! {
    needs [];
    /// The UK profiles' wording of the step above: their SSA issuer is the Open Banking
    /// Directory (the profile's `wire.ssa.template` says whose SSAs are minted).
    #[given(expr = "recipient {recipient} holds a software statement issued by the OB Directory")]
    async fn ssa_from_directory(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        mint_ssa(w, r, None).await
    }
}

step! {
    needs [];
    #[given(
        expr = "recipient {recipient} holds a software statement signed by a key that is not the Register's"
    )]
    async fn ssa_from_impostor(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        mint_ssa(w, r, Some(SSA_MUTATIONS.get("impostor-signature")?)).await
    }
}

step! {
    needs [];
    #[given(expr = "recipient {recipient} holds a software statement with mutation {ssa_mutation}")]
    async fn ssa_mutated(w: &mut DcrWorld, r: Recipient, m: SsaMutation) -> anyhow::Result<()> {
        mint_ssa(w, r, Some(m.0)).await
    }
}

step! {
    needs [];
    #[given(expr = "recipient {recipient} signs a registration request carrying its software statement")]
    async fn sign_plain(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        sign_request(w, r, None, &Map::new()).await
    }
}

step! {
    needs [];
    #[given(expr = "recipient {recipient} signs a registration request with mutation {request_mutation}")]
    async fn sign_mutated(w: &mut DcrWorld, r: Recipient, m: RequestMutation) -> anyhow::Result<()> {
        sign_request(w, r, Some(m.0), &Map::new()).await
    }
}

step! {
    needs [];
    /// The request mutation `m` of a member left out, with each member it leaves out sent as
    /// JSON `null` instead: a holder treats a null member as a missing one (RFC 7591 §2 gives
    /// each metadata member a type, a string, an array or an object, and null is none of them:
    /// it cannot satisfy a member that is required, and an optional one sent as null is not
    /// sent).
    #[given(
        expr = "recipient {recipient} signs a registration request with mutation {request_mutation}, sending the members it leaves out as JSON null"
    )]
    async fn sign_nulled(w: &mut DcrWorld, r: Recipient, m: RequestMutation) -> anyhow::Result<()> {
        sign_request(w, r, Some(&nulled(m.0)?), &Map::new()).await
    }
}

step! {
    needs [];
    /// The SSA mutation `m` of a claim left out, with each claim it leaves out sent as JSON
    /// `null` instead: a claim the SSA definition requires (a string, a list) is not there when
    /// it is null, so the SSA is refused as one without it.
    #[given(
        expr = "recipient {recipient} holds a software statement with mutation {ssa_mutation}, sending the claims it leaves out as JSON null"
    )]
    async fn ssa_nulled(w: &mut DcrWorld, r: Recipient, m: SsaMutation) -> anyhow::Result<()> {
        mint_ssa(w, r, Some(&nulled(m.0)?)).await
    }
}

/// Mutation `m` (of members or claims left out) with what it leaves out set to JSON `null`
/// instead; same id, so that a profile's cases for `m` apply to it.
fn nulled(m: &Mutation) -> anyhow::Result<Mutation> {
    let mut nulled = m.clone();
    if nulled.remove.is_empty() {
        bail!(
            "mutation {} leaves nothing out, so it has nothing to send as null",
            nulled.id
        );
    }
    for member in std::mem::take(&mut nulled.remove) {
        nulled.set.insert(member, Value::Null);
    }
    Ok(nulled)
}

step! {
    needs [];
    /// A table `| member | value |`; a value that parses as JSON is used as JSON (arrays, null
    /// removes the member), anything else as a string.
    #[given(expr = "recipient {recipient} signs a registration request with these members:")]
    async fn sign_with_members(w: &mut DcrWorld, r: Recipient, step: &Step) -> anyhow::Result<()> {
        let table = step
            .table
            .as_ref()
            .context("this step needs a | member | value | table")?;
        let mut changes = Map::new();
        for row in table.rows.iter().skip(1) {
            let [member, value] = row.as_slice() else {
                bail!("each row needs a member and a value")
            };
            let value =
                serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.clone()));
            changes.insert(member.clone(), value);
        }
        sign_request(w, r, None, &changes).await
    }
}

/// What a registration POST says its body is.
#[derive(Debug, Clone, Copy)]
enum ContentType<'a> {
    /// The profile's registration content type.
    Profile,
    /// This one (a scenario checking how another media type is treated).
    Given(&'a str),
    /// No `Content-Type` header at all.
    Omitted,
}

async fn post(
    w: &mut DcrWorld,
    r: Recipient,
    certificate: Certificate,
    content_type: ContentType<'_>,
) -> anyhow::Result<()> {
    let Some(request) = w.requests.get(&r).cloned() else {
        bail!("recipient {r} has not prepared a registration request");
    };
    let endpoint = w.registration_endpoint().await?;
    let mut http = w.registration_call(reqwest::Method::POST, endpoint);
    match content_type {
        ContentType::Profile => {}
        ContentType::Given(ct) => http = http.replace_header("Content-Type", ct),
        ContentType::Omitted => http = http.without_header("Content-Type"),
    }
    w.send(certificate, http.body(request.jwt)).await?;
    Ok(())
}

step! {
    needs [Need::Isolation];
    #[when(expr = "recipient {recipient} posts the registration request")]
    async fn post_own(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        post(w, r, r.into(), ContentType::Profile).await
    }
}

step! {
    needs [Need::Isolation];
    #[when(expr = "recipient {recipient} posts the registration request as {string}")]
    async fn post_as(w: &mut DcrWorld, r: Recipient, content_type: String) -> anyhow::Result<()> {
        let content_type = if content_type == "no content type" {
            ContentType::Omitted
        } else {
            ContentType::Given(&content_type)
        };
        post(w, r, r.into(), content_type).await
    }
}

step! {
    needs [Need::Isolation];
    #[when(expr = "recipient {recipient} posts the registration request again")]
    async fn post_again(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        post(w, r, r.into(), ContentType::Profile).await
    }
}

step! {
    needs [Need::Isolation];
    #[when(
        expr = "the registration request of recipient {recipient} is posted without a client certificate"
    )]
    async fn post_anonymous(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        post(w, r, Certificate::None, ContentType::Profile).await
    }
}

step! {
    needs [Need::Isolation];
    #[when(
        expr = "the registration request of recipient {recipient} is posted with a certificate from another CA"
    )]
    async fn post_rogue(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        post(w, r, Certificate::Rogue, ContentType::Profile).await
    }
}

step! {
    needs [Need::Isolation, Need::SecondRecipient];
    /// The prepared request, unchanged, over another recipient's certificate (one the holder
    /// trusts for mTLS, but not the transport certificate of the software statement's TPP).
    #[when(
        expr = "the registration request of recipient {recipient} is posted over the certificate of recipient {recipient}"
    )]
    async fn post_over_other_cert(
        w: &mut DcrWorld,
        r: Recipient,
        other: Recipient,
    ) -> anyhow::Result<()> {
        post(w, r, other.into(), ContentType::Profile).await
    }
}

step! {
    needs [Need::Isolation];
    /// The claims of the prepared request as a plain JSON object (RFC 7591's unsigned form),
    /// sent as `application/json`: everything but the signature is what a valid POST carries.
    #[when(expr = "recipient {recipient} posts its registration claims unsigned, as JSON")]
    async fn post_unsigned_json(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let Some(request) = w.requests.get(&r).cloned() else {
            bail!("recipient {r} has not prepared a registration request");
        };
        let endpoint = w.registration_endpoint().await?;
        let http = w
            .registration_call(reqwest::Method::POST, endpoint)
            .replace_header("Content-Type", "application/json")
            .body(serde_json::to_string(&request.claims)?);
        w.send(r, http).await?;
        Ok(())
    }
}

step! {
    needs [Need::Isolation];
    #[when(expr = "recipient {recipient} posts {string} as the registration request")]
    async fn post_raw(w: &mut DcrWorld, r: Recipient, body: String) -> anyhow::Result<()> {
        post_body(w, r, body).await
    }
}

/// Posts `body` as a registration request (the profile's content type) from recipient `r`.
async fn post_body(w: &mut DcrWorld, r: Recipient, body: String) -> anyhow::Result<()> {
    let endpoint = w.registration_endpoint().await?;
    let request = w
        .registration_call(reqwest::Method::POST, endpoint)
        .body(body);
    w.send(r, request).await?;
    Ok(())
}

step! {
    needs [Need::Isolation];
    #[when(
        expr = "recipient {recipient} posts the registration request with header {string} set to {string}"
    )]
    async fn post_with_header(
        w: &mut DcrWorld,
        r: Recipient,
        header: String,
        value: String,
    ) -> anyhow::Result<()> {
        let Some(request) = w.requests.get(&r).cloned() else {
            bail!("recipient {r} has not prepared a registration request");
        };
        let endpoint = w.registration_endpoint().await?;
        let http = w
            .registration_call(reqwest::Method::POST, endpoint)
            .replace_header(&header, &value)
            .body(request.jwt);
        w.send(r, http).await?;
        Ok(())
    }
}

step! {
    needs [Need::Isolation];
    #[when(
        expr = "{int} registration requests of recipient {recipient} for the same software product are posted at once"
    )]
    async fn post_concurrently(w: &mut DcrWorld, count: usize, r: Recipient) -> anyhow::Result<()> {
        let endpoint = w.registration_endpoint().await?;
        let mut bodies = Vec::with_capacity(count);
        for _ in 0..count {
            // Each copy is signed anew: the same software product, a fresh jti.
            sign_request(w, r, None, &Map::new()).await?;
            bodies.push(w.requests[&r].jwt.clone());
        }
        let env = w.ctx.env.clone();
        let client = env.recipient(r.name())?.client.clone();
        let label = format!("recipient {r}");
        let template = w.registration_call(reqwest::Method::POST, endpoint);
        let sends = bodies.into_iter().map(|body| {
            let request = template.clone().body(body);
            crate::http::send(&client, &label, request, env.timeout)
        });
        let exchanges = futures::future::join_all(sends).await;
        w.exchanges.extend(exchanges.iter().cloned());
        w.batch = exchanges;
        Ok(())
    }
}

/// Mints a valid SSA for recipient `r` (used by composite steps).
pub(crate) async fn mint(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
    mint_ssa(w, r, None).await
}

/// Signs a valid registration request for recipient `r` (used by composite steps).
pub(crate) async fn sign_valid(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
    sign_request(w, r, None, &Map::new()).await
}

/// Posts recipient `r`'s prepared request presenting `certificate`.
pub(crate) async fn post_request(
    w: &mut DcrWorld,
    r: Recipient,
    certificate: Certificate,
) -> anyhow::Result<()> {
    post(w, r, certificate, ContentType::Profile).await
}

/// Signs recipient `r`'s request with a mutation (used by PUT steps).
pub(crate) async fn sign_with_mutation(
    w: &mut DcrWorld,
    r: Recipient,
    mutation: &Mutation,
) -> anyhow::Result<()> {
    sign_request(w, r, Some(mutation), &Map::new()).await
}

/// Mints recipient `r`'s SSA with a mutation (used by PUT steps).
pub(crate) async fn mint_with_mutation(
    w: &mut DcrWorld,
    r: Recipient,
    mutation: &Mutation,
) -> anyhow::Result<()> {
    mint_ssa(w, r, Some(mutation)).await
}

step! {
    needs [Need::RegisterKey, Need::RegisterJwksHost];
    #[given("the CDR Register publishes a new signing key")]
    async fn register_rotates(w: &mut DcrWorld) -> anyhow::Result<()> {
        let env = w.ctx.env.clone();
        let register = env
            .register
            .as_ref()
            .context("rotating keys needs the suite's mock Register (embedded run)")?;
        register.publish_next_key().await
    }
}

step! {
    needs [Need::RecipientNextKey];
    /// From here on the recipient signs with its second key, which only its second `jwks_uri`
    /// publishes; the SSAs minted for it name that `jwks_uri` (a key rotation the Register
    /// reflects in a newly issued SSA, DCR-REQ-084).
    #[given(expr = "recipient {recipient} moves to a new signing key at a new jwks_uri")]
    async fn recipient_rotates(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        w.rotated.insert(r);
        w.current_key(r).map(|_| ())
    }
}

step! {
    needs [Need::Isolation];
    #[when(expr = "recipient {recipient} posts a registration body of {int} KiB")]
    async fn post_oversized(w: &mut DcrWorld, r: Recipient, kib: usize) -> anyhow::Result<()> {
        // Shaped like a compact JWS so that only its size is wrong. Sent on a connection of its
        // own: the holder may close it or leave the rest unread (World::send_alone).
        let filler = "A".repeat(kib * 1024);
        let endpoint = w.registration_endpoint().await?;
        let request = w
            .registration_call(reqwest::Method::POST, endpoint)
            .body(format!("eyJhbGciOiJQUzI1NiJ9.{filler}.sig"));
        w.send_alone(r, request).await?;
        Ok(())
    }
}

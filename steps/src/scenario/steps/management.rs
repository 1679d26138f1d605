//! Registration management: GET, PUT and DELETE on `/register/{ClientId}` (CDS "Registration
//! Management", RFC 7592), with the bearer token, certificate and client id each step names.

use anyhow::Context;
use cucumber::{then, when};
use serde_json::Value;

use crate::environment::capabilities::Need;
use crate::scenario::needs::step;
use crate::scenario::params::{
    Certificate, Method, Operation, Recipient, RequestMutation, SsaMutation, Transport,
};
use crate::scenario::steps::registration;
use crate::scenario::steps::response::fail;
use crate::scenario::world::DcrWorld;

/// Which token a management call carries.
enum Bearer {
    Own,
    None,
    /// `Authorization: Bearer ` with nothing after the scheme (the UK conformance tool's
    /// DCR-007).
    Empty,
    Forged,
}

async fn manage(
    w: &mut DcrWorld,
    method: reqwest::Method,
    caller: Recipient,
    client_of: Option<Recipient>,
    bearer: Bearer,
    certificate: Certificate,
    body: Option<String>,
) -> anyhow::Result<()> {
    let body = body.map(|b| (b, None));
    manage_typed(w, method, caller, client_of, bearer, certificate, body).await
}

/// [`manage`] with the body's `Content-Type` given (`None`: the profile's).
async fn manage_typed(
    w: &mut DcrWorld,
    method: reqwest::Method,
    caller: Recipient,
    client_of: Option<Recipient>,
    bearer: Bearer,
    certificate: Certificate,
    body: Option<(String, Option<&str>)>,
) -> anyhow::Result<()> {
    let endpoint = w.registration_endpoint().await?;
    let client_id = match client_of {
        Some(owner) => w.client_id(owner)?,
        None => uuid::Uuid::new_v4().to_string(),
    };
    let url = format!("{}/{client_id}", endpoint.trim_end_matches('/'));
    let mut request = w.management_call(method, url);
    let token = match bearer {
        Bearer::Own => Some(
            w.tokens
                .get(&caller)
                .with_context(|| format!("recipient {caller} holds no token"))?
                .access_token
                .clone(),
        ),
        Bearer::None => None,
        Bearer::Empty => Some(String::new()),
        Bearer::Forged => Some(forged_token(w, caller)?),
    };
    if let Some(token) = token {
        request = request.header("Authorization", format!("Bearer {token}"));
    }
    if let Some((body, content_type)) = body {
        let content_type = content_type
            .map(str::to_string)
            .unwrap_or_else(|| w.registration_content_type().to_string());
        request = request.header("Content-Type", content_type).body(body);
    }
    w.send(certificate, request).await?;
    Ok(())
}

/// A token shaped like a JWT access token for `caller`'s client, bound to its certificate, but
/// signed by a key the holder never issued tokens with.
fn forged_token(w: &DcrWorld, caller: Recipient) -> anyhow::Result<String> {
    let client_id = w.client_id(caller)?;
    let identity = w.recipient(caller)?;
    let now = dcr_vectors::time::now();
    let claims = serde_json::json!({
        "iss": "https://forger.example", "sub": client_id, "client_id": client_id,
        "scope": w.registration_scope(), "iat": now, "exp": now + 300,
        "jti": uuid::Uuid::new_v4().to_string(), "cnf": {"x5t#S256": identity.thumbprint},
    });
    dcr_vectors::jose::sign_claims(claims.as_object().context("claims")?, &identity.impostor)
}

/// Recipient `caller` performs `op` on `owner`'s registration: an update is a PUT of a freshly
/// signed request of `caller`, a read or a deletion carries no body.
async fn act(
    w: &mut DcrWorld,
    caller: Recipient,
    owner: Recipient,
    op: Operation,
    bearer: Bearer,
    certificate: Certificate,
) -> anyhow::Result<()> {
    if op == Operation::Update {
        return put(w, caller, owner, bearer, certificate).await;
    }
    manage(
        w,
        op.method(),
        caller,
        Some(owner),
        bearer,
        certificate,
        None,
    )
    .await
}

/// Recipient `r` reads its own registration with its current token and its certificate.
pub(crate) async fn read_own(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
    read_own_over(w, r, r.into()).await
}

/// Recipient `r` reads its own registration with its current token, presenting `certificate`.
pub(crate) async fn read_own_over(
    w: &mut DcrWorld,
    r: Recipient,
    certificate: Certificate,
) -> anyhow::Result<()> {
    act(w, r, r, Operation::Read, Bearer::Own, certificate).await
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} {operation} its registration")]
    async fn own(w: &mut DcrWorld, r: Recipient, op: Operation) -> anyhow::Result<()> {
        act(w, r, r, op, Bearer::Own, r.into()).await
    }
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} {operation} its registration without a token")]
    async fn own_without_token(w: &mut DcrWorld, r: Recipient, op: Operation) -> anyhow::Result<()> {
        act(w, r, r, op, Bearer::None, r.into()).await
    }
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} {operation} its registration with an empty bearer token")]
    async fn own_with_empty(w: &mut DcrWorld, r: Recipient, op: Operation) -> anyhow::Result<()> {
        act(w, r, r, op, Bearer::Empty, r.into()).await
    }
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} {operation} its registration with a forged token")]
    async fn own_with_forged(w: &mut DcrWorld, r: Recipient, op: Operation) -> anyhow::Result<()> {
        act(w, r, r, op, Bearer::Forged, r.into()).await
    }
}

step! {
    needs [];
    #[when(
        expr = "recipient {recipient} {operation} its registration over the certificate of recipient {recipient}"
    )]
    async fn own_over_other_cert(
        w: &mut DcrWorld,
        r: Recipient,
        op: Operation,
        other: Recipient,
    ) -> anyhow::Result<()> {
        act(w, r, r, op, Bearer::Own, other.into()).await
    }
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} {operation} its registration {transport}")]
    async fn own_without_cert(
        w: &mut DcrWorld,
        r: Recipient,
        op: Operation,
        transport: Transport,
    ) -> anyhow::Result<()> {
        act(w, r, r, op, Bearer::Own, transport.0).await
    }
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} {operation} the registration of recipient {recipient}")]
    async fn others(
        w: &mut DcrWorld,
        caller: Recipient,
        op: Operation,
        owner: Recipient,
    ) -> anyhow::Result<()> {
        act(w, caller, owner, op, Bearer::Own, caller.into()).await
    }
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} {operation} the registration of an unknown client")]
    async fn unknown(w: &mut DcrWorld, caller: Recipient, op: Operation) -> anyhow::Result<()> {
        let body = if op == Operation::Update {
            registration::sign_valid(w, caller).await?;
            Some(w.requests[&caller].jwt.clone())
        } else {
            None
        };
        manage(w, op.method(), caller, None, Bearer::Own, caller.into(), body).await
    }
}

/// PUT of `signer`'s freshly signed request on `owner`'s client id.
async fn put(
    w: &mut DcrWorld,
    signer: Recipient,
    owner: Recipient,
    bearer: Bearer,
    certificate: Certificate,
) -> anyhow::Result<()> {
    if !w.requests.contains_key(&signer) || w.requests[&signer].jwt.is_empty() {
        registration::sign_valid(w, signer).await?;
    }
    let body = w.requests[&signer].jwt.clone();
    // A request is single-use (its jti); a later PUT signs a fresh one.
    if let Some(r) = w.requests.get_mut(&signer) {
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

step! {
    needs [Need::Update];
    #[when(expr = "recipient {recipient} updates its registration with mutation {request_mutation}")]
    async fn put_mutated(w: &mut DcrWorld, r: Recipient, m: RequestMutation) -> anyhow::Result<()> {
        registration::sign_with_mutation(w, r, m.0).await?;
        put(w, r, r, Bearer::Own, r.into()).await
    }
}

step! {
    needs [Need::Update];
    /// The claims of a fresh, valid update as a plain JSON object (RFC 7591's unsigned form),
    /// sent as `application/json`: everything but the signature is what a valid PUT carries.
    #[when(expr = "recipient {recipient} updates its registration with its claims unsigned, as JSON")]
    async fn put_unsigned_json(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        registration::sign_valid(w, r).await?;
        let body = serde_json::to_string(&w.requests[&r].claims)?;
        if let Some(request) = w.requests.get_mut(&r) {
            request.jwt.clear();
        }
        let body = Some((body, Some("application/json")));
        manage_typed(w, reqwest::Method::PUT, r, Some(r), Bearer::Own, r.into(), body).await
    }
}

step! {
    needs [Need::Update];
    #[when(
        expr = "recipient {recipient} updates its registration with a software statement with mutation {ssa_mutation}"
    )]
    async fn put_ssa_mutated(w: &mut DcrWorld, r: Recipient, m: SsaMutation) -> anyhow::Result<()> {
        registration::mint_with_mutation(w, r, m.0).await?;
        registration::sign_valid(w, r).await?;
        put(w, r, r, Bearer::Own, r.into()).await
    }
}

step! {
    needs [Need::Update];
    /// A PUT with a fresh SSA with `ssa` and a request with `request` (the pair a POST case
    /// sends, e.g. an http redirect URI the SSA lists).
    #[when(
        expr = "recipient {recipient} updates its registration with mutation {request_mutation} and a software statement with mutation {ssa_mutation}"
    )]
    async fn put_both_mutated(
        w: &mut DcrWorld,
        r: Recipient,
        request: RequestMutation,
        ssa: SsaMutation,
    ) -> anyhow::Result<()> {
        registration::mint_with_mutation(w, r, ssa.0).await?;
        registration::sign_with_mutation(w, r, request.0).await?;
        put(w, r, r, Bearer::Own, r.into()).await
    }
}

step! {
    needs [Need::Update];
    #[when(expr = "recipient {recipient} sends the same update twice")]
    async fn put_twice(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        registration::sign_valid(w, r).await?;
        let body = w.requests[&r].jwt.clone();
        manage(
            w,
            reqwest::Method::PUT,
            r,
            Some(r),
            Bearer::Own,
            r.into(),
            Some(body.clone()),
        )
        .await?;
        if w.last()?.status() != Some(200) {
            return Err(fail("HTTP 200 for the first PUT", w.last()?));
        }
        manage(w, reqwest::Method::PUT, r, Some(r), Bearer::Own, r.into(), Some(body)).await
    }
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} sends {method} to its registration")]
    async fn other_method(w: &mut DcrWorld, r: Recipient, m: Method) -> anyhow::Result<()> {
        manage(w, m.0, r, Some(r), Bearer::Own, r.into(), None).await
    }
}

step! {
    needs [];
    #[when(expr = "recipient {recipient} sends {method} to the registration endpoint")]
    async fn other_method_on_collection(
        w: &mut DcrWorld,
        r: Recipient,
        m: Method,
    ) -> anyhow::Result<()> {
        let endpoint = w.registration_endpoint().await?;
        let mut request = w.management_call(m.0, endpoint);
        if let Some(token) = w.tokens.get(&r) {
            request = request.header("Authorization", format!("Bearer {}", token.access_token));
        }
        w.send(r, request).await?;
        Ok(())
    }
}

/// Which path a 405 answered: the methods it serves are not the same.
#[derive(Debug, Clone, Copy)]
enum RegistrationPath {
    /// The registration endpoint (`/register`): POST.
    Endpoint,
    /// A client's configuration endpoint (`/register/{ClientId}`): GET, PUT and DELETE, less
    /// those the target file says the holder does not offer (UK DCR makes each optional).
    Client,
}

/// The methods of `path` the holder serves, as the suite knows them: those it must list in the
/// `Allow` of a 405 (RFC 9110 §15.5.6: "a list of the target resource's currently supported
/// methods").
fn served_methods(w: &DcrWorld, path: RegistrationPath) -> Vec<&'static str> {
    match path {
        RegistrationPath::Endpoint => vec!["POST"],
        RegistrationPath::Client => [
            ("GET", Need::Read),
            ("PUT", Need::Update),
            ("DELETE", Need::Delete),
        ]
        .into_iter()
        .filter(|(_, need)| w.env().capabilities.missing(*need).is_none())
        .map(|(method, _)| method)
        .collect(),
    }
}

/// The methods an `Allow` field lists: a comma-separated list of method tokens over all its
/// lines, empty elements ignored (RFC 9110 §10.2.1, §5.6.1).
fn allow_list<'a>(values: &[&'a str]) -> Vec<&'a str> {
    values
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .collect()
}

/// DCR-REQ-096: a 405 answer carries `Allow` listing what `path` serves and not the method it
/// refused. Method names are case-sensitive (RFC 9110 §9.1). Another status has no `Allow` to
/// check: whether it should have been 405 is DCR-REQ-095's question. No answer at all fails.
fn check_allow(w: &DcrWorld, path: RegistrationPath) -> anyhow::Result<()> {
    let last = w.last()?;
    match last.status() {
        None => return Err(fail("an HTTP answer", last)),
        Some(405) => {}
        Some(_) => return Ok(()),
    }
    let values = last.header_values("allow");
    if values.is_empty() {
        return Err(fail(
            "a 405 answer with an Allow header (RFC 9110 §15.5.6: the origin server MUST generate one)",
            last,
        ));
    }
    let listed = allow_list(&values);
    let refused = last.method.as_str();
    if listed.contains(&refused) {
        return Err(fail(
            &format!("an Allow header that does not list {refused}, the method the 405 refused"),
            last,
        ));
    }
    let served = served_methods(w, path);
    let missing: Vec<&str> = served
        .iter()
        .copied()
        .filter(|m| !listed.contains(m))
        .collect();
    if !missing.is_empty() {
        return Err(fail(
            &format!(
                "an Allow header listing {} (the path's supported methods, RFC 9110 §15.5.6; method names are case-sensitive, §9.1); it lacks {}",
                served.join(", "),
                missing.join(", ")
            ),
            last,
        ));
    }
    Ok(())
}

step! {
    needs [];
    #[then(expr = "a 405 answer lists in Allow the methods a registration serves")]
    fn allow_of_registration(w: &mut DcrWorld) -> anyhow::Result<()> {
        check_allow(w, RegistrationPath::Client)
    }
}

step! {
    needs [];
    #[then(expr = "a 405 answer lists in Allow the methods the registration endpoint serves")]
    fn allow_of_endpoint(w: &mut DcrWorld) -> anyhow::Result<()> {
        check_allow(w, RegistrationPath::Endpoint)
    }
}

step! {
    needs [];
    #[then(expr = "the response is the registration recipient {recipient} holds")]
    fn same_registration(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let want = w
            .registrations
            .get(&r)
            .cloned()
            .with_context(|| format!("recipient {r} has no registration"))?;
        let last = w.last()?;
        let Some(Value::Object(got)) = last.json() else {
            return Err(fail("a JSON registration", last));
        };
        // Members a release adds to management answers only (e.g. the caller's own token
        // echoed back) are not part of the registration.
        let ignored: Vec<String> = w
            .profile()
            .wire
            .response
            .management_members
            .iter()
            .map(|m| w.wire_name(m))
            .collect();
        let mut differences = Vec::new();
        for key in want.keys().chain(got.keys()) {
            if want.get(key) != got.get(key)
                && !differences.contains(key)
                && !ignored.contains(key)
            {
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
}

step! {
    needs [];
    #[then(expr = "recipient {recipient} keeps the registration from the response")]
    fn keep(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let last = w.last()?;
        let Some(Value::Object(registration)) = last.json() else {
            return Err(fail("a JSON registration", last));
        };
        w.registrations.insert(r, registration);
        Ok(())
    }
}

step! {
    needs [];
    /// After a request the holder may accept or refuse (a PUT of metadata it need not offer):
    /// on 200 or 201 the registration from the response replaces the one held, so that what
    /// follows (a token request with the registered auth method) uses it; on a refusal the
    /// registration held stays. Not a check: what the status must be is a step of its own.
    #[then(expr = "recipient {recipient} keeps the registration from the response if it was accepted")]
    fn keep_if_accepted(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let last = w.last()?;
        if let (Some(200 | 201), Some(Value::Object(registration))) = (last.status(), last.json()) {
            w.registrations.insert(r, registration);
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the response {string} is the one recipient {recipient} was first given")]
    fn unchanged_member(w: &mut DcrWorld, member: String, r: Recipient) -> anyhow::Result<()> {
        let want = w
            .registrations
            .get(&r)
            .and_then(|r| r.get(&w.wire_name(&member)).cloned())
            .with_context(|| format!("no first {member}"))?;
        let last = w.last()?;
        let got = last.json().and_then(|j| w.member(&j, &member).cloned());
        if got.as_ref() != Some(&want) {
            return Err(fail(&format!("{member:?} unchanged ({want})"), last));
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then("the response has an empty body")]
    fn empty_body(w: &mut DcrWorld) -> anyhow::Result<()> {
        let last = w.last()?;
        if last.body().is_none_or(|b| !b.is_empty()) {
            return Err(fail("an empty body", last));
        }
        Ok(())
    }
}

step! {
    needs [];
    /// A `WWW-Authenticate` header (one or several, each of one or more challenges) offers a
    /// challenge for `scheme`, its name compared without case (RFC 9110 §11.1, §11.6.1).
    #[then(expr = "the response challenges with the {string} scheme")]
    fn challenge_scheme(w: &mut DcrWorld, scheme: String) -> anyhow::Result<()> {
        let last = w.last()?;
        let offered = last
            .header_values("www-authenticate")
            .iter()
            .any(|value| challenge_schemes(value).any(|s| s.eq_ignore_ascii_case(&scheme)));
        if !offered {
            return Err(fail(
                &format!("a WWW-Authenticate challenge for the {scheme} scheme"),
                last,
            ));
        }
        Ok(())
    }
}

/// The scheme names of a `WWW-Authenticate` value: the first token of each comma-separated
/// part that is not an auth-param (`name=value`); quoted strings are skipped, so that a comma
/// inside one does not start a part.
fn challenge_schemes(value: &str) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts.into_iter().filter_map(|part| {
        let token = part.split_whitespace().next()?;
        (!token.contains('=')).then_some(token)
    })
}

step! {
    needs [Need::RegisterKey, Need::Update];
    #[when(
        expr = "recipient {recipient} updates its registration with a software statement for another software product"
    )]
    async fn put_other_product(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        // The SSA and request are for a different software_id (iss matches it, so only the
        // software product differs from the registered client's).
        let other = w.profile().templates.ssa.software_ids().fresh();
        w.software_ids.insert(r, other);
        registration::mint(w, r).await?;
        registration::sign_valid(w, r).await?;
        put(w, r, r, Bearer::Own, r.into()).await
    }
}

step! {
    needs [Need::RegisterKey, Need::Update];
    /// A PUT with a software statement issued afresh for the recipient's own software product
    /// (naming the recipient's current `jwks_uri`), signed with its current key.
    #[when(expr = "recipient {recipient} updates its registration with a newly issued software statement")]
    async fn put_new_ssa(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        registration::mint(w, r).await?;
        registration::sign_valid(w, r).await?;
        put(w, r, r, Bearer::Own, r.into()).await
    }
}

step! {
    needs [Need::Isolation];
    #[when(expr = "recipient {recipient} registers again with the same software product")]
    async fn register_again(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        post_again(w, r).await
    }
}

/// Recipient `r` registers its software product again: a fresh SSA, a signed request, a POST.
async fn post_again(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
    registration::mint(w, r).await?;
    registration::sign_valid(w, r).await?;
    registration::post_request(w, r, r.into()).await
}

step! {
    needs [Need::Isolation];
    /// Registers again after a DELETE and holds the new registration in place of the deleted
    /// one, keeping the access token obtained before the DELETE (and the deleted client_id, for
    /// comparison).
    #[when(
        expr = "recipient {recipient} registers again with the same software product, keeping the token it held"
    )]
    async fn register_again_keeping_token(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let deleted = w.client_id(r)?;
        post_again(w, r).await?;
        let last = w.last()?;
        match (last.status(), last.json()) {
            (Some(201), Some(Value::Object(registration))) => {
                w.registrations.insert(r, registration);
                w.deleted_client_ids.insert(r, deleted);
                Ok(())
            }
            _ => Err(fail(
                "HTTP 201 with a registration: the software product registers again after DELETE (DCR-REQ-059), as this scenario needs",
                last,
            )),
        }
    }
}

step! {
    needs [];
    #[then(expr = "recipient {recipient}'s new client_id differs from the deleted one")]
    fn new_client_id_differs(w: &mut DcrWorld, r: Recipient) -> anyhow::Result<()> {
        let deleted = w
            .deleted_client_ids
            .get(&r)
            .with_context(|| format!("recipient {r} did not register again after a DELETE"))?;
        if &w.client_id(r)? == deleted {
            return Err(fail(
                "a client_id other than the deleted registration's (RFC 7592 §2.3: a deleted client_id becomes invalid)",
                w.last()?,
            ));
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the registration recipient {recipient} holds has no {string}")]
    fn held_lacks(w: &mut DcrWorld, r: Recipient, member: String) -> anyhow::Result<()> {
        let held = w
            .registrations
            .get(&r)
            .with_context(|| format!("recipient {r} has no registration"))?;
        match held.get(&w.wire_name(&member)) {
            None | Some(Value::Null) => Ok(()),
            Some(_) => {
                let last = w.last()?;
                Err(fail(
                    &format!(
                        "the registration answer kept by recipient {r} without a {member:?} member"
                    ),
                    last,
                ))
            }
        }
    }
}

step! {
    needs [];
    /// Compares a member with the bearer token the recipient sent, without ever printing
    /// either (reports redact tokens; the message says only whether they are equal).
    #[then(expr = "the response {string} is the access token recipient {recipient} sent")]
    fn echoes_token(w: &mut DcrWorld, member: String, r: Recipient) -> anyhow::Result<()> {
        let sent = w
            .tokens
            .get(&r)
            .map(|t| t.access_token.clone())
            .with_context(|| format!("recipient {r} holds no token"))?;
        let last = w.last()?;
        let got = last
            .json()
            .and_then(|j| w.member(&j, &member).and_then(Value::as_str).map(str::to_string));
        match got {
            Some(token) if token == sent => Ok(()),
            Some(_) => Err(fail(
                &format!("{member:?} equal to the bearer token recipient {r} sent; it is another value"),
                last,
            )),
            None => Err(fail(&format!("a string {member:?} member"), last)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{allow_list, challenge_schemes};

    #[test]
    fn challenge_schemes_are_the_first_token_of_each_challenge() {
        let schemes = |v| challenge_schemes(v).collect::<Vec<_>>();
        assert_eq!(schemes("Basic realm=\"token\""), ["Basic"]);
        assert_eq!(
            schemes(
                "Bearer error=\"invalid_token\", error_description=\"a, b\", basic realm=\"x\""
            ),
            ["Bearer", "basic"]
        );
        assert_eq!(schemes("Bearer"), ["Bearer"]);
        assert_eq!(
            schemes("Newauth realm=\"apps\", type=1, title=\"Login\""),
            ["Newauth"]
        );
        assert!(schemes("").is_empty());
    }

    #[test]
    fn allow_list_reads_every_line_and_skips_empty_elements() {
        assert_eq!(
            allow_list(&["GET, PUT", " ,DELETE,, HEAD "]),
            ["GET", "PUT", "DELETE", "HEAD"]
        );
        assert!(allow_list(&[""]).is_empty());
        assert_eq!(allow_list(&["get"]), ["get"]);
    }
}

//! Assertions on the last exchange. Every failure names what was expected, what came back, and
//! shows the exchange (secrets redacted).

use anyhow::{Context, bail};
use cucumber::then;
use serde_json::Value;

use crate::http::{Exchange, Outcome, TransportFailure};
use crate::world::DcrWorld;

fn fail(expected: &str, exchange: &Exchange) -> anyhow::Error {
    anyhow::anyhow!(
        "expected {expected}\nactual: {}\n{}",
        exchange.summary(),
        exchange.render()
    )
}

#[then(expr = "the response status is {int}")]
fn status(w: &mut DcrWorld, code: u16) -> anyhow::Result<()> {
    let last = w.last()?;
    if last.status() != Some(code) {
        return Err(fail(&format!("HTTP {code}"), last));
    }
    Ok(())
}

#[then("the response is JSON")]
fn is_json(w: &mut DcrWorld) -> anyhow::Result<()> {
    let last = w.last()?;
    let content_type = last.header("content-type").unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(fail("Content-Type: application/json", last));
    }
    if !matches!(last.json(), Some(Value::Object(_))) {
        return Err(fail("a JSON object body", last));
    }
    Ok(())
}

#[then(expr = "the response has a non-empty {string}")]
fn non_empty(w: &mut DcrWorld, member: String) -> anyhow::Result<()> {
    let last = w.last()?;
    let ok = match last.json().as_ref().and_then(|j| j.get(&member)) {
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Null) | None => false,
        Some(_) => true,
    };
    if !ok {
        return Err(fail(&format!("a non-empty {member:?} member"), last));
    }
    Ok(())
}

#[then(
    expr = "the response {string} is the software statement recipient {word} submitted, unchanged"
)]
fn ssa_unchanged(w: &mut DcrWorld, member: String, name: String) -> anyhow::Result<()> {
    let submitted = w
        .ssas
        .get(&name)
        .cloned()
        .with_context(|| format!("recipient {name} holds no software statement"))?;
    let last = w.last()?;
    let returned = last
        .json()
        .and_then(|j| j.get(&member).and_then(Value::as_str).map(str::to_string));
    match returned {
        Some(r) if r == submitted => Ok(()),
        Some(r) => Err(fail(
            &format!(
                "{member:?} byte-for-byte equal to the submitted SSA ({} bytes); returned {} bytes, first difference at byte {}",
                submitted.len(),
                r.len(),
                submitted
                    .bytes()
                    .zip(r.bytes())
                    .take_while(|(a, b)| a == b)
                    .count()
            ),
            last,
        )),
        None => Err(fail(&format!("a string {member:?} member"), last)),
    }
}

/// The OAuth error code of a response: from the JSON body, else from a Bearer challenge.
fn error_code(exchange: &Exchange) -> Option<String> {
    if let Some(code) = exchange
        .json()
        .and_then(|j| j.get("error").and_then(Value::as_str).map(str::to_string))
    {
        return Some(code);
    }
    let challenge = exchange.header("www-authenticate")?;
    let start = challenge.find("error=\"")? + 7;
    let end = challenge[start..].find('"')? + start;
    Some(challenge[start..end].to_string())
}

#[then(expr = "the outcome is one that {word} accepts")]
fn accepted_by_rule(w: &mut DcrWorld, rule_id: String) -> anyhow::Result<()> {
    let rule = w
        .ctx
        .catalogue
        .rule(&rule_id)
        .with_context(|| format!("{rule_id} is not in the catalogue"))?;
    let accepts = rule
        .accepts
        .clone()
        .with_context(|| format!("{rule_id} has no accepts set in the catalogue"))?;
    let last = w.last()?;
    let mut expected = format!("HTTP {:?}", accepts.status);
    if !accepts.error.is_empty() {
        expected.push_str(&format!(" with error in {:?}", accepts.error));
    }
    if accepts.tls_refusal {
        expected.push_str(", or a refused TLS handshake");
    }
    match &last.outcome {
        Outcome::Transport {
            failure: TransportFailure::TlsRefused,
            ..
        } if accepts.tls_refusal => Ok(()),
        Outcome::Transport { .. } => Err(fail(&expected, last)),
        Outcome::Response { status, .. } => {
            if !accepts.status.contains(status) {
                return Err(fail(&expected, last));
            }
            let code = error_code(last);
            match (*status, code) {
                (_, _) if accepts.error.is_empty() => Ok(()),
                (400, None) => Err(fail(
                    &format!("{expected} (a 400 must carry an error code)"),
                    last,
                )),
                (_, None) => Ok(()),
                (_, Some(code)) if accepts.error.contains(&code) => Ok(()),
                (_, Some(code)) => Err(fail(&format!("{expected}; got error {code:?}"), last)),
            }
        }
    }
}

#[then(expr = "the response body matches the snapshot {string}")]
fn snapshot(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
    let last = w.last()?;
    let Some(body) = last.json() else {
        bail!(
            "expected a JSON body to compare with snapshot {name:?}\nactual: {}\n{}",
            last.summary(),
            last.render()
        );
    };
    crate::snapshot::assert_matches(&w.ctx.snapshot_dir, &name, &body)
}

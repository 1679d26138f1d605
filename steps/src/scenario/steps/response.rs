//! Assertions on the last exchange. Every failure names what was expected, what came back, and
//! shows the exchange (secrets redacted).

use std::collections::BTreeSet;

use anyhow::{Context, bail};
use cucumber::then;
use serde_json::Value;

use crate::catalogue::profile::{ErrorWire, IssuedAt};
use crate::catalogue::{Accepts, Level, Rule, Treatment};
use crate::http::{Exchange, Outcome, TransportFailure};
use crate::scenario::needs::step;
use crate::scenario::params::{Recipient, RuleId, Statuses};
use crate::scenario::world::DcrWorld;

pub(crate) fn fail(expected: &str, exchange: &Exchange) -> anyhow::Error {
    let expected = if expected.starts_with("(rule ") {
        expected.to_string()
    } else {
        format!("expected {expected}")
    };
    anyhow::anyhow!(
        "{expected}\nactual: {}\n{}",
        exchange.summary(),
        exchange.render()
    )
}

step! {
    needs [];
    #[then(expr = "the response status is one of {statuses}")]
    fn status_one_of(w: &mut DcrWorld, codes: Statuses) -> anyhow::Result<()> {
        let allowed = codes.0;
        let last = w.last()?;
        if !last.status().is_some_and(|s| allowed.contains(&s)) {
            return Err(fail(&format!("HTTP status in {allowed:?}"), last));
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the response status is {int}")]
    fn status(w: &mut DcrWorld, code: u16) -> anyhow::Result<()> {
        let last = w.last()?;
        if last.status() != Some(code) {
            return Err(fail(&format!("HTTP {code}"), last));
        }
        Ok(())
    }
}

step! {
    needs [];
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
}

/// Whether a member value counts as absent: missing, null, blank string or empty array.
fn is_empty_value(value: Option<&Value>) -> bool {
    match value {
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Null) | None => true,
        Some(_) => false,
    }
}

step! {
    needs [];
    #[then(expr = "the response has a non-empty {string}")]
    fn non_empty(w: &mut DcrWorld, member: String) -> anyhow::Result<()> {
        let last = w.last()?;
        if is_empty_value(super::response::member(w, last, &member).as_ref()) {
            return Err(fail(&format!("a non-empty {member:?} member"), last));
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(
        expr = "the response {string} is the software statement recipient {recipient} submitted, unchanged"
    )]
    fn ssa_unchanged(w: &mut DcrWorld, member: String, r: Recipient) -> anyhow::Result<()> {
        let submitted = w
            .ssas
            .get(&r)
            .cloned()
            .with_context(|| format!("recipient {r} holds no software statement"))?;
        let last = w.last()?;
        let returned = last
            .json()
            .and_then(|j| w.member(&j, &member).and_then(Value::as_str).map(str::to_string));
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
}

step! {
    needs [];
    #[then(
        expr = "the response {string}, if present, is a time in seconds since the epoch within an hour of now"
    )]
    fn epoch_seconds(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
        let last = w.last()?;
        let now = dcr_vectors::time::now();
        let near = |t: i64| (t - now).abs() <= 3600;
        let form = w.profile().wire.response.client_id_issued_at;
        match (member(w, last, &name), form) {
            (None | Some(Value::Null), _) => Ok(()),
            (Some(Value::Number(n)), IssuedAt::Number) if n.as_i64().is_some_and(near) => Ok(()),
            // A release that writes the time as a string of decimal digits (its profile says so).
            (Some(Value::String(s)), IssuedAt::String)
                if !s.is_empty()
                    && s.bytes().all(|b| b.is_ascii_digit())
                    && s.parse::<i64>().is_ok_and(near) =>
            {
                Ok(())
            }
            (Some(other), form) => Err(fail(
                &format!(
                    "{name:?} as whole seconds since 1970-01-01T00:00:00Z (RFC 7591 §3.2.1){}, within an hour of now ({now}); got {other}",
                    match form {
                        IssuedAt::Number => " as a JSON number",
                        IssuedAt::String => {
                            " written as a JSON string of decimal digits, as this profile's release does"
                        }
                    }
                ),
                last,
            )),
        }
    }
}

/// The OAuth error code of a response: from the JSON body (in any error shape the profile
/// names), else from a Bearer challenge.
pub(crate) fn error_code(errors: &ErrorWire, exchange: &Exchange) -> Option<String> {
    if let Some(code) = exchange.json().and_then(|j| errors.code(&j)) {
        return Some(code);
    }
    let challenge = exchange.header("www-authenticate")?;
    let start = challenge.find("error=\"")? + 7;
    let end = challenge[start..].find('"')? + start;
    Some(challenge[start..end].to_string())
}

/// Rule `rule_id` as the profile checks it: its level and the outcomes it accepts (the
/// profile's, where it changes the catalogue's), and whether the sources leave it unsettled.
fn rule_accepts(w: &DcrWorld, rule_id: &str) -> anyhow::Result<Expectation> {
    let (rule, level, accepts, unsettled) = match w.profile().rule(rule_id) {
        // An input of this scenario the profile settles differently from the rule.
        Some(c) if let Some(case) = w.mutations.iter().find_map(|m| c.cases.get(m)) => (
            c.rule.clone(),
            c.level,
            Some(case.accepts.clone()),
            case.unsettled.clone(),
        ),
        Some(c) => (
            c.rule.clone(),
            c.level,
            c.accepts.clone(),
            match &c.treatment {
                Treatment::Unsettled { why } => Some(why.clone()),
                _ => None,
            },
        ),
        None => {
            let rule = w
                .ctx
                .catalogue
                .rule(rule_id)
                .with_context(|| format!("{rule_id} is not in the catalogue"))?;
            (rule.clone(), rule.level, rule.accepts.clone(), None)
        }
    };
    let accepts = accepts.with_context(|| {
        format!(
            "{rule_id} has no accepts set (catalogue or profile {})",
            w.profile().name
        )
    })?;
    Ok(Expectation {
        rule,
        level,
        accepts,
        unsettled,
        errors: w.profile().wire.errors.clone(),
    })
}

/// What a refusal must look like under a rule.
struct Expectation {
    rule: Rule,
    level: Level,
    accepts: Accepts,
    unsettled: Option<String>,
    errors: ErrorWire,
}

impl Expectation {
    /// Checks `exchange`: a status in the set; on a 400 an error code from the set; on a 401
    /// or 403 the code is checked only when present (the CDS makes WWW-Authenticate
    /// optional); on any other status (415, 405, 5xx) the code is not checked, since no
    /// specification defines an error code for it (RFC 7591 §3.2.2 defines the 400 codes,
    /// RFC 6750 §3.1 those of 401 and 403; SOURCES.md §8.4: "415 (the code is then not
    /// checked)"); a refused TLS handshake only when the rule allows it; the error description
    /// when the rule names one (a release's exact string).
    fn check(&self, exchange: &Exchange) -> anyhow::Result<()> {
        let (rule, accepts) = (&self.rule, &self.accepts);
        let mut expected = format!(
            "(rule {} [{}]: {}; source: {})\nexpected HTTP {:?}",
            rule.id,
            self.level.as_str(),
            rule.rule,
            rule.source.join("; "),
            accepts.status
        );
        if !accepts.error.is_empty() {
            expected.push_str(&format!(" with error in {:?}", accepts.error));
        }
        if let Some(text) = &accepts.description {
            expected.push_str(&format!(" and error description {text}"));
        }
        if accepts.tls_refusal {
            expected.push_str(", or a refused TLS handshake");
        }
        if let Some(reason) = &self.unsettled {
            expected.push_str(&format!(
                " (unsettled: every candidate the sources leave open is accepted; {reason})"
            ));
        }
        match &exchange.outcome {
            Outcome::Transport {
                failure: TransportFailure::TlsRefused,
                ..
            } if accepts.tls_refusal => Ok(()),
            Outcome::Transport { .. } => Err(fail(&expected, exchange)),
            Outcome::Response { status, .. } => {
                if !accepts.status.contains(status) {
                    return Err(fail(&expected, exchange));
                }
                match (*status, error_code(&self.errors, exchange)) {
                    (_, _) if accepts.error.is_empty() => {}
                    (status, _) if !matches!(status, 400 | 401 | 403) => {}
                    (400, None) => {
                        return Err(fail(
                            &format!("{expected} (a 400 must carry an error code)"),
                            exchange,
                        ));
                    }
                    (_, None) => {}
                    (_, Some(code)) if accepts.error.contains(&code) => {}
                    (_, Some(code)) => {
                        return Err(fail(&format!("{expected}; got error {code:?}"), exchange));
                    }
                }
                if let Some(text) = &accepts.description {
                    let got = exchange.json().and_then(|j| self.errors.description(&j));
                    if !got.as_deref().is_some_and(|d| text.matches(d)) {
                        return Err(fail(
                            &format!("{expected}; got error description {got:?}"),
                            exchange,
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

step! {
    needs [];
    #[then(expr = "the outcome is one that {rule_id} accepts")]
    fn accepted_by_rule(w: &mut DcrWorld, rule_id: RuleId) -> anyhow::Result<()> {
        outcome_accepted_by(w, &rule_id.0)
    }
}

/// Whether the last exchange is an outcome rule `rule_id` accepts, as the profile sets it.
///
/// # Errors
/// The outcome the rule does not accept, with the exchange.
pub(crate) fn outcome_accepted_by(w: &DcrWorld, rule_id: &str) -> anyhow::Result<()> {
    rule_accepts(w, rule_id)?.check(w.last()?)
}

step! {
    needs [];
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
        let matched = crate::scenario::snapshot::assert_matches(
            &w.ctx.snapshot_dir,
            &name,
            &body,
            w.ctx.snapshots,
        )?;
        if let crate::scenario::snapshot::Matched::Recorded(path) = matched
            && let Ok(mut recorded) = w.ctx.new_snapshots.lock()
        {
            recorded.push(path);
        }
        Ok(())
    }
}

/// Whether the registered value `got` of member `name` is the value `want` that was asked for:
/// arrays (`grant_types`, `response_types`, `redirect_uris`) are sets (RFC 7591 §2 gives them no
/// order), and `scope` is a set of space-separated values (RFC 6749 §3.3: their order does not
/// matter); anything else is compared as it is.
fn same_registered_value(name: &str, got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Array(g), Value::Array(r)) => g.len() == r.len() && g.iter().all(|x| r.contains(x)),
        (Value::String(g), Value::String(r)) if name == "scope" => {
            let set = |s: &str| {
                s.split_whitespace()
                    .map(str::to_string)
                    .collect::<BTreeSet<_>>()
            };
            set(g) == set(r)
        }
        (g, r) => g == r,
    }
}

/// The member `name` (an RFC 7591 name) of a JSON response, under the profile's naming.
fn member(w: &DcrWorld, exchange: &Exchange, name: &str) -> Option<Value> {
    exchange.json().and_then(|j| w.member(&j, name).cloned())
}

fn parse_value(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

step! {
    needs [];
    #[then(expr = "the response {string} is {string}")]
    fn member_is(w: &mut DcrWorld, name: String, value: String) -> anyhow::Result<()> {
        let last = w.last()?;
        let want = parse_value(&value);
        match member(w, last, &name) {
            Some(got) if got == want => Ok(()),
            got => Err(fail(
                &format!(
                    "{name:?} = {want}, got {}",
                    got.map(|g| g.to_string()).unwrap_or("nothing".into())
                ),
                last,
            )),
        }
    }
}

step! {
    needs [];
    #[then(expr = "the response has no {string}")]
    fn member_absent(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
        let last = w.last()?;
        match member(w, last, &name) {
            None | Some(Value::Null) => Ok(()),
            Some(v) => Err(fail(&format!("no {name:?} member, got {v}"), last)),
        }
    }
}

step! {
    needs [];
    /// A member of the first entry of an error body's `errors` list: the WSO2 API gateway's
    /// shape `{"errors": [{"Code", "Title", "Message"}]}`, whose `Code` is the status's phrase.
    #[then(expr = "the response's first error has {string} {string}")]
    fn first_error_member_is(w: &mut DcrWorld, name: String, value: String) -> anyhow::Result<()> {
        let last = w.last()?;
        let got = last
            .json()
            .and_then(|j| j.get("errors")?.as_array()?.first()?.get(&name).cloned());
        match got {
            Some(Value::String(got)) if got == value => Ok(()),
            got => Err(fail(
                &format!(
                    "errors[0].{name} = {value:?}, got {}",
                    got.map_or("nothing".into(), |g| g.to_string())
                ),
                last,
            )),
        }
    }
}

step! {
    needs [];
    /// Members that a release writes together or not at all (e.g. an accelerator's
    /// `registration_access_token` and `registration_client_uri`, both behind one switch).
    #[then(expr = "the response has both or neither of {string} and {string}")]
    fn members_together(w: &mut DcrWorld, first: String, second: String) -> anyhow::Result<()> {
        let last = w.last()?;
        let present = |name: &str| !matches!(member(w, last, name), None | Some(Value::Null));
        match (present(&first), present(&second)) {
            (true, true) | (false, false) => Ok(()),
            (a, _) => {
                let (has, lacks) = if a { (&first, &second) } else { (&second, &first) };
                Err(fail(&format!("{lacks:?} beside {has:?}, or neither"), last))
            }
        }
    }
}

step! {
    needs [];
    #[then(expr = "the response {string} is what recipient {recipient} requested")]
    fn member_as_requested(w: &mut DcrWorld, name: String, recipient: Recipient) -> anyhow::Result<()> {
        let request = w
            .requests
            .get(&recipient)
            .context("no request was prepared")?;
        let want = request
            .claims
            .get(&name)
            .cloned()
            .with_context(|| format!("the request has no {name:?}"))?;
        let last = w.last()?;
        let got = member(w, last, &name);
        let same = got.as_ref().is_some_and(|g| same_registered_value(&name, g, &want));
        if !same {
            return Err(fail(
                &format!(
                    "{name:?} = {want} as requested, got {}",
                    got.map(|g| g.to_string()).unwrap_or("nothing".into())
                ),
                last,
            ));
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the response {string} is what the software statement of recipient {recipient} says")]
    fn member_from_ssa(w: &mut DcrWorld, name: String, recipient: Recipient) -> anyhow::Result<()> {
        let ssa = w.ssas.get(&recipient).context("no software statement")?;
        let claims = dcr_vectors::jose::decode_unverified(ssa)?.claims;
        // An OB Directory SSA names its members software_* (software_redirect_uris).
        let want = claims
            .get(&name)
            .or_else(|| claims.get(&format!("software_{name}")))
            .cloned()
            .with_context(|| format!("the software statement has no {name:?}"))?;
        let last = w.last()?;
        match member(w, last, &name) {
            Some(got) if same_registered_value(&name, &got, &want) => Ok(()),
            got => Err(fail(
                &format!(
                    "{name:?} = {want} from the SSA, got {}",
                    got.map(|g| g.to_string()).unwrap_or("nothing".into())
                ),
                last,
            )),
        }
    }
}

step! {
    needs [];
    #[then("the response has a non-empty value for each of:")]
    fn members_present(w: &mut DcrWorld, step: &cucumber::gherkin::Step) -> anyhow::Result<()> {
        let table = step
            .table
            .as_ref()
            .context("this step needs a one-column table of member names")?;
        let last = w.last()?;
        let missing: Vec<&str> = table
            .rows
            .iter()
            .filter_map(|r| r.first())
            .map(String::as_str)
            .filter(|name| is_empty_value(member(w, last, name).as_ref()))
            .collect();
        if !missing.is_empty() {
            return Err(fail(&format!("non-empty values for {missing:?}"), last));
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the response {string} does not contain the value {string}")]
    fn list_lacks(w: &mut DcrWorld, name: String, value: String) -> anyhow::Result<()> {
        let last = w.last()?;
        let values: Vec<String> = match member(w, last, &name) {
            Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => return Err(fail(&format!("a {name:?} member"), last)),
        };
        if values.contains(&value) {
            return Err(fail(&format!("{name:?} without {value:?}"), last));
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the response {string} contains the value {string}")]
    fn list_has(w: &mut DcrWorld, name: String, value: String) -> anyhow::Result<()> {
        let last = w.last()?;
        let ok = match member(w, last, &name) {
            Some(Value::String(s)) => s.split_whitespace().any(|v| v == value),
            Some(Value::Array(a)) => a.iter().any(|v| v.as_str() == Some(value.as_str())),
            _ => false,
        };
        if !ok {
            return Err(fail(&format!("{name:?} containing {value:?}"), last));
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "the response {string} differs from the {string} recipient {recipient} sent")]
    fn member_differs(
        w: &mut DcrWorld,
        name: String,
        sent: String,
        recipient: Recipient,
    ) -> anyhow::Result<()> {
        let request = w
            .requests
            .get(&recipient)
            .context("no request was prepared")?;
        let sent = request.claims.get(&sent).cloned();
        let last = w.last()?;
        let got = member(w, last, &name);
        if got.is_none() || got == sent {
            return Err(fail(
                &format!("a holder-issued {name:?} different from the request's {sent:?}"),
                last,
            ));
        }
        Ok(())
    }
}

/// RFC 7591 §3.2.2 as the CDS lists it (RegistrationError).
const REGISTRATION_ERRORS: &[&str] = &[
    "invalid_redirect_uri",
    "invalid_client_metadata",
    "invalid_software_statement",
    "unapproved_software_statement",
];

step! {
    needs [];
    #[then("the response is an RFC 7591 registration error")]
    fn registration_error_shape(w: &mut DcrWorld) -> anyhow::Result<()> {
        let last = w.last()?;
        let expected = "HTTP 400, Content-Type application/json, error in the RFC 7591 set, ASCII error_description";
        if last.status() != Some(400)
            || !last
                .header("content-type")
                .unwrap_or_default()
                .starts_with("application/json")
        {
            return Err(fail(expected, last));
        }
        let json = last.json().unwrap_or_default();
        let code_ok = json
            .get("error")
            .and_then(Value::as_str)
            .is_some_and(|c| REGISTRATION_ERRORS.contains(&c));
        let description_ok = match json.get("error_description") {
            None => true,
            Some(Value::String(d)) => d.chars().all(|c| (' '..='~').contains(&c)),
            Some(_) => false,
        };
        if !code_ok || !description_ok {
            return Err(fail(expected, last));
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(expr = "every exchange of this scenario took less than {int} ms")]
    fn latency(w: &mut DcrWorld, limit: u64) -> anyhow::Result<()> {
        if let Some(slow) = w.exchanges.iter().find(|e| e.elapsed_ms >= limit as f64) {
            return Err(fail(
                &format!(
                    "a response within {limit} ms (CDS NFR, DCR tier); this one took {:.0} ms",
                    slow.elapsed_ms
                ),
                slow,
            ));
        }
        if w.exchanges.is_empty() {
            bail!("no exchange to time");
        }
        Ok(())
    }
}

step! {
    needs [];
    #[then(
        expr = "exactly one of the simultaneous requests got {int} and every other one is what {rule_id} accepts"
    )]
    fn one_winner(w: &mut DcrWorld, status: u16, rule_id: RuleId) -> anyhow::Result<()> {
        let expectation = rule_accepts(w, &rule_id.0)?;
        let winners = w
            .batch
            .iter()
            .filter(|e| e.status() == Some(status))
            .count();
        if winners != 1 {
            let statuses: Vec<String> = w
                .batch
                .iter()
                .map(|e| e.status().map_or("none".into(), |s| s.to_string()))
                .collect();
            bail!(
                "expected exactly one HTTP {status} among {} simultaneous requests, got {winners}; statuses: {}",
                w.batch.len(),
                statuses.join(",")
            );
        }
        for loser in w.batch.iter().filter(|e| e.status() != Some(status)) {
            expectation.check(loser)?;
        }
        Ok(())
    }
}

/// The RFC 7591 / CDS names of registration response members that contain an underscore.
const SNAKE_CASE_MEMBERS: &[&str] = &[
    "client_id",
    "client_id_issued_at",
    "client_name",
    "client_description",
    "client_uri",
    "org_id",
    "org_name",
    "redirect_uris",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "revocation_uri",
    "software_id",
    "software_roles",
    "software_statement",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "grant_types",
    "response_types",
    "application_type",
    "id_token_signed_response_alg",
    "request_object_signing_alg",
];

step! {
    needs [];
    #[then("the response has none of the RFC 7591 member names")]
    fn no_snake_case(w: &mut DcrWorld) -> anyhow::Result<()> {
        let last = w.last()?;
        let Some(Value::Object(body)) = last.json() else {
            return Err(fail("a JSON object", last));
        };
        let found: Vec<&str> = SNAKE_CASE_MEMBERS
            .iter()
            .copied()
            .filter(|m| body.contains_key(*m))
            .collect();
        if !found.is_empty() {
            return Err(fail(
                &format!("no snake_case registration members; found {found:?}"),
                last,
            ));
        }
        Ok(())
    }
}

/// The JSON type a member must have (`{json_type}`).
fn json_type_is(value: &Value, kind: &str) -> anyhow::Result<bool> {
    Ok(match kind {
        "string" => value.is_string(),
        "array" => value.is_array(),
        "array of strings" => value
            .as_array()
            .is_some_and(|a| a.iter().all(Value::is_string)),
        "integer" => value.is_i64() || value.is_u64(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        other => bail!(
            "unknown JSON type {other:?}; expected string, array, array of strings, integer, boolean or object"
        ),
    })
}

step! {
    needs [];
    /// The member is present with this JSON type (RFC 8259: a number written without a
    /// fraction or exponent for an integer).
    #[then(expr = "the response {string} is a JSON {word}")]
    fn member_type(w: &mut DcrWorld, name: String, kind: String) -> anyhow::Result<()> {
        let last = w.last()?;
        match member(w, last, &name) {
            Some(v) if json_type_is(&v, &kind)? => Ok(()),
            got => Err(fail(
                &format!(
                    "{name:?} as a JSON {kind}, got {}",
                    got.map_or("nothing".into(), |g| g.to_string())
                ),
                last,
            )),
        }
    }
}

step! {
    needs [];
    #[then(expr = "the response {string}, if present, is a JSON {word}")]
    fn optional_member_type(w: &mut DcrWorld, name: String, kind: String) -> anyhow::Result<()> {
        let last = w.last()?;
        match member(w, last, &name) {
            None => Ok(()),
            Some(v) if json_type_is(&v, &kind)? => Ok(()),
            Some(v) => Err(fail(
                &format!("{name:?}, when present, as a JSON {kind}; got {v}"),
                last,
            )),
        }
    }
}

step! {
    needs [];
    #[then(expr = "the response {string} is a JSON array of strings")]
    fn member_string_array(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
        let last = w.last()?;
        match member(w, last, &name) {
            Some(v) if json_type_is(&v, "array of strings")? => Ok(()),
            got => Err(fail(
                &format!(
                    "{name:?} as a JSON array of strings, got {}",
                    got.map_or("nothing".into(), |g| g.to_string())
                ),
                last,
            )),
        }
    }
}

step! {
    needs [];
    /// Only a registration that was made (HTTP 201) must carry the member: a holder may
    /// refuse the request instead (the scenario's outcome step says which answers pass).
    #[then(expr = "a registration the holder created has a non-empty {string}")]
    fn created_has(w: &mut DcrWorld, name: String) -> anyhow::Result<()> {
        let last = w.last()?;
        if !made_registration(last) {
            return Ok(());
        }
        if is_empty_value(member(w, last, &name).as_ref()) {
            return Err(fail(
                &format!("a non-empty {name:?} member in the 201 registration"),
                last,
            ));
        }
        Ok(())
    }
}

/// Whether `exchange` answered with a registration the holder made: 201 to a POST, 200 to a
/// PUT (the steps named "a registration the holder created ..." check such an answer and pass
/// any other, whose status the scenario's outcome step judges).
fn made_registration(exchange: &Exchange) -> bool {
    match exchange.method.as_str() {
        "PUT" => exchange.status() == Some(200),
        _ => exchange.status() == Some(201),
    }
}

/// The comma-separated values of a step's `"a, b, c"` argument.
fn listed(values: &str) -> Vec<String> {
    values.split(',').map(|v| v.trim().to_string()).collect()
}

step! {
    needs [];
    /// Where a holder may refuse a value or register another in its place (UK DCR 3.2 data
    /// dictionary: "reject ... or accept and replace it with one it supports, returning the
    /// changed value"), a registration it made carries one of the values allowed.
    #[then(expr = "a registration the holder created has {string} one of {string}")]
    fn created_one_of(w: &mut DcrWorld, name: String, allowed: String) -> anyhow::Result<()> {
        let last = w.last()?;
        if !made_registration(last) {
            return Ok(());
        }
        let allowed = listed(&allowed);
        match member(w, last, &name) {
            Some(Value::String(v)) if allowed.contains(&v) => Ok(()),
            got => Err(fail(
                &format!(
                    "the registration's {name:?} one of {allowed:?} (the value registered in place of the one refused), got {}",
                    got.map_or("nothing".into(), |g| g.to_string())
                ),
                last,
            )),
        }
    }
}

step! {
    needs [];
    /// [`created_one_of`] for a list-valued member: non-empty, and each value allowed.
    #[then(expr = "a registration the holder created has {string} holding only values from {string}")]
    fn created_only_from(w: &mut DcrWorld, name: String, allowed: String) -> anyhow::Result<()> {
        let last = w.last()?;
        if !made_registration(last) {
            return Ok(());
        }
        let allowed = listed(&allowed);
        let got = member(w, last, &name);
        let values: Option<Vec<String>> = match &got {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect(),
            // A space-separated string (scope).
            Some(Value::String(s)) => Some(s.split_whitespace().map(str::to_string).collect()),
            _ => None,
        };
        match values {
            Some(v) if !v.is_empty() && v.iter().all(|x| allowed.contains(x)) => Ok(()),
            _ => Err(fail(
                &format!(
                    "the registration's {name:?} non-empty and holding only {allowed:?}, got {}",
                    got.map_or("nothing".into(), |g| g.to_string())
                ),
                last,
            )),
        }
    }
}

step! {
    needs [];
    /// [`created_only_from`] with the values of the SSA's member of that name (or, in an OB
    /// Directory SSA, `software_<name>`).
    #[then(
        expr = "a registration the holder created has {string} holding only values the software statement of recipient {recipient} lists"
    )]
    fn created_only_from_ssa(w: &mut DcrWorld, name: String, r: Recipient) -> anyhow::Result<()> {
        let ssa = w.ssas.get(&r).context("no software statement")?;
        let claims = dcr_vectors::jose::decode_unverified(ssa)?.claims;
        let listed = claims
            .get(&name)
            .or_else(|| claims.get(&format!("software_{name}")))
            .and_then(Value::as_array)
            .with_context(|| format!("the software statement lists no {name:?}"))?
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        created_only_from(w, name, listed)
    }
}

step! {
    needs [];
    /// A registration the holder made names a value its discovery document advertises (UK
    /// DCR: an unsupported value is refused or replaced by a supported one).
    #[then(
        expr = "a registration the holder created has {string} listed in the discovery {string}"
    )]
    async fn created_listed_in_discovery(
        w: &mut DcrWorld,
        name: String,
        discovery_member: String,
    ) -> anyhow::Result<()> {
        let doc = w.discovery().await?;
        let listed = doc
            .get(&discovery_member)
            .and_then(Value::as_array)
            .with_context(|| format!("the discovery document has no list {discovery_member:?}"))?
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        created_one_of(w, name, listed)
    }
}

//! The software statement's claims, and the request checked against its SSA.

use serde_json::{Map, Value};

use super::*;

/// The SSA's own claims.
pub(crate) fn ssa_claims(c: &Map<String, Value>, clock: Clock) -> Vec<Check> {
    let mut out = Vec::new();
    match c.get("iss") {
        Some(Value::String(s)) if s == "cdr-register" => out.push(check(
            Outcome::Pass,
            &["DCR-REQ-023"],
            "iss \"cdr-register\"",
        )),
        Some(other) => out.push(check(
            Outcome::Problem,
            &["DCR-REQ-023"],
            format!("iss {other} is not \"cdr-register\""),
        )),
        None => out.push(check(
            Outcome::Problem,
            &["DCR-REQ-023"],
            "iss is missing; it must be \"cdr-register\"",
        )),
    }
    out.extend(lifetime(c, clock, SSA_LIFETIME));
    if str_claim(c, "jti").is_none_or(str::is_empty) {
        out.push(check(Outcome::Problem, &["DCR-REQ-026"], "jti is missing"));
    }
    let missing: Vec<&str> = SSA_REQUIRED
        .iter()
        .copied()
        .filter(|k| c.get(*k).is_none_or(|v| v.is_null() || v == ""))
        .collect();
    if missing.is_empty() {
        out.push(check(
            Outcome::Pass,
            &["DCR-REQ-026"],
            "every claim the CDS SSA table requires is present",
        ));
    } else {
        let mut message = format!(
            "missing claims the CDS SSA table requires: {}",
            missing.join(", ")
        );
        if missing.contains(&"revocation_uri") {
            message.push_str(
                " (revocation_uri is legacy and optional in the response schema, SOURCES.md §8.15)",
            );
        }
        out.push(check(Outcome::Problem, &["DCR-REQ-026"], message));
    }
    if let Some(v) = c.get("redirect_uris")
        && string_list(v).is_none_or(|l| l.is_empty())
    {
        out.push(check(
            Outcome::Problem,
            &["DCR-REQ-026"],
            "redirect_uris is not a non-empty array of strings",
        ));
    }
    match c.get("jwks_uri") {
        None => out.push(check(
            Outcome::Problem,
            &["DCR-REQ-012", "DCR-REQ-026"],
            "jwks_uri is missing: a holder has no recipient key to verify the request with",
        )),
        Some(v) => match v.as_str().map(url::Url::parse) {
            Some(Ok(_)) => out.push(check(
                Outcome::Pass,
                &["DCR-REQ-013"],
                format!("jwks_uri {v} is an absolute URL (not fetched offline)"),
            )),
            _ => out.push(check(
                Outcome::Problem,
                &["DCR-REQ-012", "DCR-REQ-013"],
                format!("jwks_uri {v} is not an absolute URL: a holder cannot fetch the recipient's keys from it"),
            )),
        },
    }
    match c.get("software_roles") {
        Some(Value::String(r)) if r == SOFTWARE_ROLE => out.push(check(
            Outcome::Pass,
            &["DCR-REQ-027"],
            format!("software_roles {r:?}"),
        )),
        Some(other) => out.push(check(
            Outcome::Problem,
            &["DCR-REQ-027"],
            format!("software_roles {other} is not {SOFTWARE_ROLE:?}"),
        )),
        None => {}
    }
    if let Some(scope) = str_claim(c, "scope") {
        let values: Vec<&str> = scope.split_whitespace().collect();
        let lacking: Vec<&str> = ["openid", "cdr:registration"]
            .into_iter()
            .filter(|s| !values.contains(s))
            .collect();
        if !lacking.is_empty() {
            out.push(check(
                Outcome::Caution,
                &[],
                format!(
                    "scope lacks {}: the CDS SSA scope includes openid profile ... cdr:registration, and WSO2 refuses an SSA without openid and cdr:registration (SOURCES.md §8.21)",
                    lacking.join(" and ")
                ),
            ));
        }
        out.push(check(
            Outcome::Note,
            &["DCR-REQ-057"],
            format!(
                "scope has {} value(s); a holder registers those it supports and drops the rest",
                values.len()
            ),
        ));
    }
    if c.contains_key("sector_identifier_uri") {
        out.push(check(
            Outcome::Note,
            &["DCR-REQ-029"],
            "sector_identifier_uri present: the reference implementation fetches it and refuses the registration on a non-2xx answer",
        ));
    }
    out
}

/// What the request must agree on with its SSA: `iss` and the redirect URI subset.
pub(crate) fn request_against_ssa(
    request: &Map<String, Value>,
    ssa: &Map<String, Value>,
) -> Vec<Check> {
    let mut out = Vec::new();
    match (str_claim(request, "iss"), str_claim(ssa, "software_id")) {
        (None, _) => {}
        (Some(_), None) => out.push(check(
            Outcome::Problem,
            &["DCR-REQ-015"],
            "the SSA has no software_id for the request's iss to match",
        )),
        (Some(iss), Some(id)) if iss == id => out.push(check(
            Outcome::Pass,
            &["DCR-REQ-015"],
            format!("iss {iss:?} is the SSA's software_id"),
        )),
        (Some(iss), Some(id)) => out.push(check(
            Outcome::Problem,
            &["DCR-REQ-015", "WSO2-CDS02-017"],
            format!("iss {iss:?} is not the SSA's software_id {id:?}"),
        )),
    }
    let Some(asked) = request.get("redirect_uris").and_then(string_list) else {
        return out;
    };
    let Some(allowed) = ssa.get("redirect_uris").and_then(string_list) else {
        out.push(check(
            Outcome::Problem,
            &["DCR-REQ-030"],
            "the SSA has no redirect_uris list for the request's redirect_uris to be a subset of",
        ));
        return out;
    };
    let mut outside = Vec::new();
    let mut case_variants = Vec::new();
    for uri in &asked {
        if allowed.contains(uri) {
            continue;
        }
        if allowed.iter().any(|a| a.eq_ignore_ascii_case(uri)) {
            case_variants.push(*uri);
        } else {
            outside.push(*uri);
        }
    }
    if !outside.is_empty() {
        out.push(check(
            Outcome::Problem,
            &["DCR-REQ-030"],
            format!("redirect_uris not in the SSA's list: {}", quoted(&outside)),
        ));
    }
    if !case_variants.is_empty() {
        out.push(check(
            Outcome::Problem,
            &["DCR-REQ-094"],
            format!(
                "redirect_uris that match an SSA entry only when case is ignored: {} (the reference implementation ignores case; exact comparison refuses them)",
                quoted(&case_variants)
            ),
        ));
    }
    if outside.is_empty() && case_variants.is_empty() {
        out.push(check(
            Outcome::Pass,
            &["DCR-REQ-030"],
            format!(
                "each of the {} redirect_uris is in the SSA's list of {}",
                asked.len(),
                allowed.len()
            ),
        ));
    }
    out
}

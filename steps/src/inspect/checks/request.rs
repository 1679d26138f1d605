//! The registration request's claims: envelope, metadata values, audience, grant and response
//! types, JARM encryption.

use serde_json::{Map, Value};

use super::*;

/// The request's own claims and metadata (everything that does not need the SSA).
/// `issuer` is the holder's issuer, when known.
pub(crate) fn request_claims(
    c: &Map<String, Value>,
    clock: Clock,
    issuer: Option<&str>,
) -> Vec<Check> {
    let mut out = Vec::new();
    if str_claim(c, "iss").is_none_or(str::is_empty) {
        out.push(check(
            Outcome::Problem,
            &["DCR-REQ-015"],
            "iss is missing; it must be the SSA's software_id",
        ));
    }
    out.extend(aud(c.get("aud"), issuer));
    out.extend(lifetime(c, clock, REQUEST_LIFETIME));
    match str_claim(c, "jti") {
        Some(j) if !j.is_empty() => out.push(check(Outcome::Pass, &["DCR-REQ-019"], "jti present")),
        _ => out.push(check(Outcome::Problem, &["DCR-REQ-019"], "jti is missing")),
    }
    if !c.contains_key("software_statement") {
        out.push(check(
            Outcome::Problem,
            &["DCR-REQ-021", "WSO2-CDS02-001"],
            "software_statement is missing",
        ));
    }
    match c.get("redirect_uris") {
        None => out.push(check(
            Outcome::Note,
            &["DCR-REQ-031"],
            "redirect_uris omitted: a holder registers the SSA's list",
        )),
        Some(v) if string_list(v).is_none() => out.push(check(
            Outcome::Problem,
            &["DCR-REQ-030"],
            "redirect_uris is not an array of strings",
        )),
        Some(_) => {}
    }
    out.push(one_of(
        c,
        "token_endpoint_auth_method",
        &["private_key_jwt"],
        &["DCR-REQ-032", "WSO2-CDS02-015"],
    ));
    out.push(one_of(
        c,
        "token_endpoint_auth_signing_alg",
        SIGNING_ALGS,
        &["DCR-REQ-033"],
    ));
    out.extend(grant_types(c.get("grant_types")));
    out.extend(response_types(c));
    out.push(one_of(
        c,
        "id_token_signed_response_alg",
        SIGNING_ALGS,
        &["DCR-REQ-047"],
    ));
    let code_only = c
        .get("response_types")
        .and_then(string_list)
        .is_some_and(|r| r == ["code"]);
    let id_token_encryption: Vec<&str> = [
        "id_token_encrypted_response_alg",
        "id_token_encrypted_response_enc",
    ]
    .into_iter()
    .filter(|k| c.contains_key(*k))
    .collect();
    if code_only && !id_token_encryption.is_empty() {
        out.push(check(
            Outcome::Caution,
            &["DCR-REQ-049"],
            format!(
                "{} sent with response_types [\"code\"]: the CDS says these SHALL NOT be used with the Authorization Code Flow; a holder may ignore or refuse them",
                id_token_encryption.join(" and ")
            ),
        ));
    }
    if c.contains_key("request_object_signing_alg") {
        out.push(one_of(
            c,
            "request_object_signing_alg",
            SIGNING_ALGS,
            &["DCR-REQ-051"],
        ));
    } else {
        out.push(check(
            Outcome::Note,
            &["DCR-REQ-052"],
            "request_object_signing_alg omitted: a holder answers with its default",
        ));
    }
    if c.contains_key("application_type") {
        out.push(one_of(
            c,
            "application_type",
            &["web"],
            &["DCR-REQ-053", "WSO2-CDS02-014"],
        ));
    } else {
        out.push(check(
            Outcome::Note,
            &["DCR-REQ-054"],
            "application_type omitted: a holder registers web",
        ));
    }
    if let Some(id) = c.get("client_id") {
        out.push(check(
            Outcome::Note,
            &["DCR-REQ-056"],
            format!("client_id {id} is not metadata: a holder ignores it and issues its own"),
        ));
    }
    let unknown: Vec<&str> = c
        .keys()
        .map(String::as_str)
        .filter(|k| !REQUEST_MEMBERS.contains(k))
        .collect();
    if !unknown.is_empty() {
        out.push(check(
            Outcome::Note,
            &["DCR-REQ-055"],
            format!(
                "not CDS registration metadata, so a holder ignores and does not return: {}",
                unknown.join(", ")
            ),
        ));
    }
    out
}

fn aud(aud: Option<&Value>, issuer: Option<&str>) -> Vec<Check> {
    const RULES: &[&str] = &["DCR-REQ-016"];
    let values: Vec<&str> = match aud {
        None => return vec![check(Outcome::Problem, RULES, "aud is missing")],
        Some(Value::String(s)) => vec![s.as_str()],
        Some(v) => match string_list(v) {
            Some(list) if !list.is_empty() => list,
            _ => {
                return vec![check(
                    Outcome::Problem,
                    RULES,
                    "aud is neither a string nor an array of strings",
                )];
            }
        },
    };
    let shown = quoted(&values);
    if let Some(issuer) = issuer {
        return vec![if values.contains(&issuer) {
            check(
                Outcome::Pass,
                RULES,
                format!("aud {shown} is the holder's issuer"),
            )
        } else {
            check(
                Outcome::Problem,
                RULES,
                format!("aud {shown} is not the holder's issuer {issuer:?}"),
            )
        }];
    }
    let urls: Vec<url::Url> = values
        .iter()
        .filter_map(|v| url::Url::parse(v).ok())
        .filter(|u| u.scheme() == "https")
        .collect();
    if urls.is_empty() {
        return vec![check(
            Outcome::Problem,
            RULES,
            format!(
                "aud {shown} is not an https URL, so it cannot be a holder's issuer (OpenID Connect Discovery)"
            ),
        )];
    }
    if urls
        .iter()
        .all(|u| u.path().trim_end_matches('/').ends_with("token"))
    {
        return vec![check(
            Outcome::Caution,
            RULES,
            format!(
                "aud {shown} looks like a token endpoint; the registration request's aud is the holder's issuer (the token endpoint is accepted only for client assertions, DCR-REQ-069)"
            ),
        )];
    }
    vec![check(
        Outcome::Note,
        RULES,
        format!("aud {shown} is an https URL; whether it is the holder's issuer needs --issuer"),
    )]
}

/// `name` is present and one of `allowed` (callers skip optional members that are absent).
pub(super) fn one_of(
    c: &Map<String, Value>,
    name: &str,
    allowed: &[&str],
    rules: &'static [&'static str],
) -> Check {
    let expected = if allowed.len() == 1 {
        format!("{:?}", allowed[0])
    } else {
        format!("one of {}", quoted(allowed))
    };
    match c.get(name) {
        None => check(
            Outcome::Problem,
            rules,
            format!("{name} is missing; it must be {expected}"),
        ),
        Some(Value::String(v)) if allowed.contains(&v.as_str()) => {
            check(Outcome::Pass, rules, format!("{name} {v:?}"))
        }
        Some(v) => check(
            Outcome::Problem,
            rules,
            format!("{name} {v} is not {expected}"),
        ),
    }
}

fn grant_types(value: Option<&Value>) -> Vec<Check> {
    let Some(list) = value.and_then(string_list) else {
        return vec![check(
            Outcome::Problem,
            &["DCR-REQ-034"],
            match value {
                None => "grant_types is missing",
                Some(_) => "grant_types is not an array of strings",
            },
        )];
    };
    let mut out = Vec::new();
    let foreign: Vec<&str> = list
        .iter()
        .copied()
        .filter(|g| !GRANT_TYPES.contains(g))
        .collect();
    out.push(if foreign.is_empty() {
        check(
            Outcome::Pass,
            &["DCR-REQ-034"],
            format!("grant_types [{}]", quoted(&list)),
        )
    } else {
        check(
            Outcome::Problem,
            &["DCR-REQ-034", "WSO2-CDS02-012"],
            format!(
                "grant_types holds {} outside client_credentials, authorization_code, refresh_token",
                quoted(&foreign)
            ),
        )
    });
    if !list.contains(&"authorization_code") {
        out.push(check(
            Outcome::Problem,
            &["DCR-REQ-035"],
            "grant_types lacks authorization_code",
        ));
    }
    if !list.contains(&"client_credentials") {
        out.push(check(
            Outcome::Caution,
            &[],
            "grant_types lacks client_credentials, which the recipient needs for the cdr:registration token of GET/PUT/DELETE (the CDS is silent; SOURCES.md §8.12)",
        ));
    }
    out
}

fn response_types(c: &Map<String, Value>) -> Vec<Check> {
    let Some(value) = c.get("response_types") else {
        return vec![check(
            Outcome::Problem,
            &["DCR-REQ-036"],
            "response_types is missing",
        )];
    };
    let mut out = vec![check(
        Outcome::Pass,
        &["DCR-REQ-036"],
        "response_types present",
    )];
    let list = string_list(value).unwrap_or_default();
    if list == ["code"] {
        out.push(check(
            Outcome::Pass,
            &["DCR-REQ-037"],
            "response_types [\"code\"]",
        ));
    } else {
        out.push(check(
            Outcome::Problem,
            &["DCR-REQ-037", "WSO2-CDS02-013"],
            format!(
                "response_types {value} is not [\"code\"]; the hybrid flow (code id_token) was retired on 12 May 2025"
            ),
        ));
    }
    // The hybrid era: code and code id_token only; a hybrid registration names id_token
    // encryption (checked only under a profile of that era).
    if list.iter().all(|t| matches!(*t, "code" | "code id_token")) && !list.is_empty() {
        out.push(check(
            Outcome::Pass,
            &["CDS-HYB-001"],
            format!("response_types {value} within code and code id_token"),
        ));
    } else {
        out.push(check(
            Outcome::Problem,
            &["CDS-HYB-001"],
            format!("response_types {value} holds a value other than code and code id_token"),
        ));
    }
    if list.contains(&"code id_token") {
        out.extend(hybrid_id_token_encryption(c));
    }
    if list.contains(&"code") {
        match c.get("authorization_signed_response_alg") {
            None => out.push(check(
                Outcome::Problem,
                &["DCR-REQ-038"],
                "authorization_signed_response_alg is missing, and response type code requires it (JARM)",
            )),
            Some(Value::String(s)) if s.is_empty() => out.push(check(
                Outcome::Problem,
                &["DCR-REQ-038"],
                "authorization_signed_response_alg is empty, and response type code requires it (JARM)",
            )),
            Some(_) => out.push(check(
                Outcome::Pass,
                &["DCR-REQ-038"],
                "authorization_signed_response_alg present",
            )),
        }
    }
    if c.get("authorization_signed_response_alg")
        .is_some_and(|v| v.as_str() != Some(""))
    {
        out.push(one_of(
            c,
            "authorization_signed_response_alg",
            SIGNING_ALGS,
            &["DCR-REQ-039"],
        ));
    }
    out.extend(jarm_encryption(c));
    out
}

/// A code id_token registration names id_token encryption from the CDS sets (DCR-REQ-050).
fn hybrid_id_token_encryption(c: &Map<String, Value>) -> Vec<Check> {
    let alg = c
        .get("id_token_encrypted_response_alg")
        .and_then(Value::as_str);
    let enc = c
        .get("id_token_encrypted_response_enc")
        .and_then(Value::as_str);
    match (alg, enc) {
        (Some(a), Some(e)) if ID_TOKEN_ENC_ALGS.contains(&a) && ID_TOKEN_ENC_ENCS.contains(&e) => {
            vec![check(
                Outcome::Pass,
                &["DCR-REQ-050"],
                format!("code id_token with id_token encryption {a} / {e}"),
            )]
        }
        _ => vec![check(
            Outcome::Problem,
            &["DCR-REQ-050"],
            format!(
                "code id_token needs id_token_encrypted_response_alg from {} and _enc from {}; got {} / {}",
                quoted(ID_TOKEN_ENC_ALGS),
                quoted(ID_TOKEN_ENC_ENCS),
                alg.unwrap_or("(missing)"),
                enc.unwrap_or("(missing)")
            ),
        )],
    }
}

fn jarm_encryption(c: &Map<String, Value>) -> Vec<Check> {
    const ALG: &str = "authorization_encrypted_response_alg";
    const ENC: &str = "authorization_encrypted_response_enc";
    let mut out = Vec::new();
    match (c.contains_key(ALG), c.contains_key(ENC)) {
        (false, false) => {}
        (false, true) => out.push(check(
            Outcome::Problem,
            &["DCR-REQ-041"],
            format!("{ENC} without {ALG}"),
        )),
        (true, has_enc) => {
            out.push(one_of(c, ALG, JARM_ENC_ALGS, &["DCR-REQ-042"]));
            if has_enc {
                out.push(one_of(c, ENC, JARM_ENC_ENCS, &["DCR-REQ-042"]));
            } else {
                out.push(check(
                    Outcome::Note,
                    &["DCR-REQ-043"],
                    format!("{ALG} without {ENC}: a holder supporting JARM encryption uses A128CBC-HS256"),
                ));
            }
        }
    }
    out
}

//! What a decoded token is, and the offline checks on it.
//!
//! Every check names the catalogue rules it relates to. The rules are written from the holder's
//! side ("the holder refuses X"); a check turns that round: this input has X, so a holder that
//! follows the rule refuses it. The rule's level (read from the catalogue later, see
//! [`super::resolve`]) decides whether a problem is a failure or a warning. A check with no rule
//! says so rather than borrowing the nearest ID.

use serde_json::{Map, Value};

use super::time::{span, when};

/// What a token is, judged from its claims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A registration request (POST or PUT body).
    RegistrationRequest,
    /// A software statement assertion issued by the CDR Register.
    SoftwareStatement,
    /// Anything else (an access token, an ID token, ...): not inspected, not shown.
    Other,
}

impl Kind {
    /// As shown in the text output.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::RegistrationRequest => "registration request",
            Self::SoftwareStatement => "software statement (SSA)",
            Self::Other => "other JWT",
        }
    }
}

/// Request metadata that marks a claims set as a registration request.
const REQUEST_METADATA: &[&str] = &[
    "redirect_uris",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "grant_types",
    "response_types",
];

/// JWT envelope claims of a registration request.
const ENVELOPE: &[&str] = &["iss", "aud", "iat", "exp", "jti"];

/// Classifies a claims set: a `software_statement` with a JWT envelope (or an `aud` with
/// registration metadata) is a request; an `iss` of `cdr-register`, or a `software_id` with
/// other SSA claims, is an SSA; anything else (a registration response carrying a
/// `software_statement`, an access token) is another kind of token.
pub(crate) fn classify(claims: &Map<String, Value>) -> Kind {
    let has = |k: &str| claims.contains_key(k);
    if has("software_statement") {
        return if ENVELOPE.iter().any(|k| has(k)) {
            Kind::RegistrationRequest
        } else {
            Kind::Other
        };
    }
    if str_claim(claims, "iss") == Some("cdr-register")
        || (has("software_id")
            && ["org_id", "software_roles", "jwks_uri"]
                .iter()
                .any(|k| has(k)))
    {
        return Kind::SoftwareStatement;
    }
    if has("aud") && REQUEST_METADATA.iter().any(|k| has(k)) {
        return Kind::RegistrationRequest;
    }
    Kind::Other
}

/// How a check came out, before the rule's level is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The input meets the rule.
    Pass,
    /// The input breaks the rule: a failure at MUST/IMPL, a warning at SHOULD/REC/MAY, a
    /// warning when no rule applies.
    Problem,
    /// Worth a warning whatever the rule's level (inside the clock skew, a choice the sources
    /// leave open).
    Caution,
    /// Information: what a holder will do, or what cannot be judged offline.
    Note,
}

/// One check's result.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    /// How it came out.
    pub(crate) outcome: Outcome,
    /// Catalogue rule IDs it relates to (empty: no catalogue rule).
    pub(crate) rules: &'static [&'static str],
    /// What was found, in words.
    pub(crate) message: String,
}

fn check(outcome: Outcome, rules: &'static [&'static str], message: impl Into<String>) -> Check {
    Check {
        outcome,
        rules,
        message: message.into(),
    }
}

/// The time reference for lifetime checks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    /// Unix seconds taken as now.
    pub(crate) now: i64,
    /// Clock skew a holder is assumed to allow, in seconds.
    pub(crate) skew: i64,
}

/// Which token a header belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// The registration request JWT.
    Request,
    /// The software statement.
    Ssa,
}

const SIGNING_ALGS: &[&str] = &["PS256", "ES256"];
const JARM_ENC_ALGS: &[&str] = &["RSA-OAEP", "RSA-OAEP-256"];
const JARM_ENC_ENCS: &[&str] = &["A256GCM", "A128CBC-HS256"];
const GRANT_TYPES: &[&str] = &["client_credentials", "authorization_code", "refresh_token"];
const SOFTWARE_ROLE: &str = "data-recipient-software-product";
/// Which rules the times of a token fall under, and the longest lifetime the CDS gives it.
#[derive(Debug, Clone, Copy)]
struct Lifetime {
    /// The token, as named in messages.
    token: &'static str,
    /// `iat` missing or malformed.
    iat: &'static [&'static str],
    /// `exp` missing, malformed, not after `iat`, or past.
    exp: &'static [&'static str],
    /// `iat` or `nbf` beyond the clock skew in the future.
    not_yet: &'static [&'static str],
    /// The longest lifetime (`exp - iat`) the CDS allows, if it sets one.
    max_seconds: Option<i64>,
}

/// The CDS sets no maximum lifetime for a registration request (digest §8.8).
const REQUEST_LIFETIME: Lifetime = Lifetime {
    token: "a registration request",
    iat: &["DCR-REQ-017"],
    exp: &["DCR-REQ-018"],
    not_yet: &["DCR-REQ-017"],
    max_seconds: None,
};

/// The CDS gives an SSA 10 minutes (SSA Definition); a missing `iat` is a missing mandatory
/// claim.
const SSA_LIFETIME: Lifetime = Lifetime {
    token: "an SSA",
    iat: &["DCR-REQ-026"],
    exp: &["DCR-REQ-024"],
    not_yet: &["DCR-REQ-024"],
    max_seconds: Some(600),
};

/// Request members the CDS defines (Registration Request using JWT); others are ignored.
const REQUEST_MEMBERS: &[&str] = &[
    "iss",
    "iat",
    "exp",
    "jti",
    "aud",
    "nbf",
    "redirect_uris",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "grant_types",
    "response_types",
    "application_type",
    "id_token_signed_response_alg",
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "authorization_signed_response_alg",
    "authorization_encrypted_response_alg",
    "authorization_encrypted_response_enc",
    "request_object_signing_alg",
    "software_statement",
    "client_id",
];

/// SSA claims the CDS SSA table marks required, besides iss/iat/exp/jti and jwks_uri, which
/// have checks of their own. `legal_entity_id` and `legal_entity_name` are optional there.
const SSA_REQUIRED: &[&str] = &[
    "org_id",
    "org_name",
    "client_name",
    "client_description",
    "client_uri",
    "redirect_uris",
    "logo_uri",
    "revocation_uri",
    "recipient_base_uri",
    "software_id",
    "software_roles",
    "scope",
];

/// A string claim, if it is one.
pub(crate) fn str_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// A NumericDate claim: `None` when absent, `Some(Err)` when not a number.
fn date_claim(claims: &Map<String, Value>, name: &str) -> Option<Result<i64, ()>> {
    claims
        .get(name)
        .map(|v| v.as_f64().map(|f| f.floor() as i64).ok_or(()))
}

fn string_list(value: &Value) -> Option<Vec<&str>> {
    value.as_array()?.iter().map(Value::as_str).collect()
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("{s:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Header checks: the algorithm, `kid`, and whether there is a signature at all. `signature`
/// is the third part of the compact JWS (only its length matters).
pub(crate) fn header(role: Role, header: &Map<String, Value>, signature: &str) -> Vec<Check> {
    let mut out = Vec::new();
    let alg = str_claim(header, "alg");
    let (alg_rules, kid_rules): (&'static [&'static str], &'static [&'static str]) = match role {
        Role::Request => (&["DCR-REQ-011"], &["DCR-REQ-012"]),
        Role::Ssa => (&["DCR-REQ-022"], &["DCR-REQ-022"]),
    };
    match alg {
        None => out.push(check(Outcome::Problem, alg_rules, "header has no alg")),
        Some(alg) if !SIGNING_ALGS.contains(&alg) => out.push(check(
            Outcome::Problem,
            alg_rules,
            match role {
                Role::Request => format!(
                    "header alg {alg:?} is not PS256 or ES256 (FAPI 1.0 Advanced §8.6); a holder refuses none, HMAC and RS256"
                ),
                Role::Ssa => format!(
                    "header alg {alg:?} is not an algorithm of the Register's keys (PS256); a holder verifying against them refuses it"
                ),
            },
        )),
        Some("ES256") if role == Role::Ssa => out.push(check(
            Outcome::Caution,
            &[],
            "header alg \"ES256\": the CDS says the Register signs SSAs with PS256",
        )),
        Some(alg) => out.push(check(
            Outcome::Pass,
            alg_rules,
            format!("header alg {alg:?}"),
        )),
    }
    if signature.is_empty() && alg != Some("none") {
        out.push(check(
            Outcome::Problem,
            alg_rules,
            "the signature part is empty: the token is unsigned",
        ));
    }
    match str_claim(header, "kid") {
        Some(kid) if !kid.is_empty() => out.push(check(
            Outcome::Pass,
            kid_rules,
            format!(
                "header kid {kid:?} names the verifying key at {} (the signature is not verified offline)",
                match role {
                    Role::Request => "the SSA's jwks_uri",
                    Role::Ssa => "the Register's JWKS",
                }
            ),
        )),
        _ => out.push(check(
            Outcome::Problem,
            kid_rules,
            "header has no kid: a holder finds the verifying key by kid",
        )),
    }
    out
}

/// `iat`, `nbf`, `exp` and the lifetime of either token, against `clock`.
fn lifetime(claims: &Map<String, Value>, clock: Clock, rules: Lifetime) -> Vec<Check> {
    let mut out = Vec::new();
    let Clock { now, skew } = clock;
    let Lifetime {
        token,
        iat: iat_rules,
        exp: exp_rules,
        not_yet: not_yet_rules,
        max_seconds,
    } = rules;
    let iat = date_claim(claims, "iat");
    match iat {
        None => out.push(check(Outcome::Problem, iat_rules, "iat is missing")),
        Some(Err(())) => out.push(check(
            Outcome::Problem,
            iat_rules,
            "iat is not a NumericDate",
        )),
        Some(Ok(t)) if t > now + skew => out.push(check(
            Outcome::Problem,
            not_yet_rules,
            format!(
                "iat {} is in the future, beyond a {skew} s clock skew",
                when(t, now)
            ),
        )),
        Some(Ok(t)) if t > now => out.push(check(
            Outcome::Note,
            iat_rules,
            format!(
                "iat {} is in the future but inside a {skew} s clock skew",
                when(t, now)
            ),
        )),
        Some(Ok(t)) => out.push(check(
            Outcome::Pass,
            iat_rules,
            format!("iat {}", when(t, now)),
        )),
    }
    if let Some(nbf) = date_claim(claims, "nbf") {
        match nbf {
            Ok(t) if t > now + skew => out.push(check(
                Outcome::Problem,
                not_yet_rules,
                format!(
                    "nbf {} is in the future, beyond a {skew} s clock skew (RFC 7519 §4.1.5)",
                    when(t, now)
                ),
            )),
            Ok(_) => {}
            Err(()) => out.push(check(
                Outcome::Problem,
                not_yet_rules,
                "nbf is not a NumericDate",
            )),
        }
    }
    match date_claim(claims, "exp") {
        None => out.push(check(Outcome::Problem, exp_rules, "exp is missing")),
        Some(Err(())) => out.push(check(
            Outcome::Problem,
            exp_rules,
            "exp is not a NumericDate",
        )),
        Some(Ok(exp)) => {
            match (iat, max_seconds) {
                (Some(Ok(iat)), _) if exp <= iat => out.push(check(
                    Outcome::Problem,
                    exp_rules,
                    format!("exp {} is not after iat {}", when(exp, now), when(iat, now)),
                )),
                (Some(Ok(iat)), Some(max)) if exp - iat > max => out.push(check(
                    Outcome::Caution,
                    &[],
                    format!(
                        "lifetime {} (exp - iat) is longer than the {} the CDS gives {token}",
                        span(exp - iat),
                        span(max)
                    ),
                )),
                (Some(Ok(iat)), None) => out.push(check(
                    Outcome::Note,
                    &[],
                    format!(
                        "lifetime {} (exp - iat); the CDS sets no maximum for {token}",
                        span(exp - iat)
                    ),
                )),
                _ => {}
            }
            if exp < now - skew {
                out.push(check(
                    Outcome::Problem,
                    exp_rules,
                    format!("expired: exp {}", when(exp, now)),
                ));
            } else if exp < now {
                out.push(check(
                    Outcome::Caution,
                    exp_rules,
                    format!(
                        "exp {} has passed but is inside a {skew} s clock skew; a holder allowing less refuses it",
                        when(exp, now)
                    ),
                ));
            } else {
                out.push(check(
                    Outcome::Pass,
                    exp_rules,
                    format!("not expired: exp {}", when(exp, now)),
                ));
            }
        }
    }
    out
}

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
            &["DCR-REQ-021"],
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
        &["DCR-REQ-032"],
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
        out.push(one_of(c, "application_type", &["web"], &["DCR-REQ-053"]));
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
fn one_of(
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
            &["DCR-REQ-034"],
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
            "grant_types lacks client_credentials, which the recipient needs for the cdr:registration token of GET/PUT/DELETE (the CDS is silent; digest §8.12)",
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
            &["DCR-REQ-037"],
            format!(
                "response_types {value} is not [\"code\"]; the hybrid flow (code id_token) was retired on 12 May 2025"
            ),
        ));
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
                " (revocation_uri is legacy and optional in the response schema, digest §8.15)",
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
                    "scope lacks {}: the CDS SSA scope includes openid profile ... cdr:registration, and WSO2 refuses an SSA without openid and cdr:registration (digest §3.2)",
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
            &["DCR-REQ-015"],
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

//! The offline checks of a UK OBIE registration request and OB Directory SSA (catalogue family
//! `uk-obie`, `features/uk-obie/catalogue.yaml`): the same questions as the CDS checks, asked
//! with the UK data dictionary's members, values and rule IDs. A profile of the family that does
//! not check a rule (e.g. `wso2-accelerator-3`) turns its problems into warnings that say why.

use serde_json::{Map, Value};

use super::request::one_of;
use super::*;

/// UK DCR 3.2/3.3 `token_endpoint_auth_method` (UK-REQ-034).
const AUTH_METHODS: &[&str] = &[
    "private_key_jwt",
    "client_secret_jwt",
    "client_secret_basic",
    "client_secret_post",
    "tls_client_auth",
];
/// The 3.3 CIBA grant (UK-REQ-046; outside the 3.2 enum, UK-REQ-047).
const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";
/// UK `response_types` (UK-REQ-038).
const RESPONSE_TYPES: &[&str] = &["code", "code id_token"];
/// UK `application_type` (UK-REQ-042).
const APPLICATION_TYPES: &[&str] = &["web", "mobile"];
/// The SSA role each UK resource scope needs (UK-REQ-041); `openid` needs none.
const ROLE_OF_SCOPE: &[(&str, &str)] = &[
    ("accounts", "AISP"),
    ("payments", "PISP"),
    ("fundsconfirmations", "CBPII"),
];
/// The OB Directory's SSA issuer (UK-REQ-023).
const OB_DIRECTORY: &str = "OpenBanking Ltd";
/// The longest redirect URI and scope (UK DCR data dictionary).
const MAX_LEN: usize = 256;

const REQUEST_LIFETIME: Lifetime = Lifetime {
    token: "a registration request",
    iat: &["UK-REQ-017"],
    exp: &["UK-REQ-018"],
    not_yet: &["UK-REQ-017"],
    max_seconds: None,
    standard: "UK DCR",
};

/// Header checks of a UK request (PS256 or ES256, a `kid`) or of a Directory SSA.
pub(crate) fn header(role: Role, header: &Map<String, Value>, signature: &str) -> Vec<Check> {
    let mut out = Vec::new();
    let alg = str_claim(header, "alg");
    let (alg_rules, kid_rules): (&'static [&'static str], &'static [&'static str]) = match role {
        Role::Request => (&["UK-REQ-011"], &["UK-REQ-015"]),
        Role::Ssa => (&["UK-REQ-022"], &["UK-REQ-022"]),
    };
    let unsigned = alg == Some("none") || signature.is_empty();
    match (alg, role) {
        (None, _) => out.push(check(Outcome::Problem, alg_rules, "header has no alg")),
        (Some(_), Role::Request) if unsigned => out.push(check(
            Outcome::Problem,
            &["UK-REQ-012"],
            "the request is unsigned (alg none or no signature): an ASPSP refuses it",
        )),
        (Some(_), Role::Ssa) if unsigned => out.push(check(
            Outcome::Problem,
            &["UK-REQ-024"],
            "the SSA is unsigned (alg none or no signature): an ASPSP refuses it unless it documents that it takes self-signed SSAs",
        )),
        (Some(a), Role::Request) if a.starts_with("HS") => out.push(check(
            Outcome::Problem,
            &["UK-REQ-012"],
            format!("header alg {a:?} is an HMAC algorithm: an ASPSP refuses it"),
        )),
        (Some(a), _) if !SIGNING_ALGS.contains(&a) => out.push(check(
            Outcome::Problem,
            alg_rules,
            format!("header alg {a:?} is not PS256 or ES256 (FAPI, UK DCR §Data Dictionary)"),
        )),
        (Some(a), _) => out.push(check(Outcome::Pass, alg_rules, format!("header alg {a:?}"))),
    }
    match str_claim(header, "kid") {
        Some(kid) if !kid.is_empty() => out.push(check(
            Outcome::Pass,
            kid_rules,
            format!(
                "header kid {kid:?} names the verifying key at {} (the signature is not verified offline)",
                match role {
                    Role::Request => "the SSA's software_jwks_endpoint",
                    Role::Ssa => "the OB Directory keystore",
                }
            ),
        )),
        _ => out.push(check(
            Outcome::Problem,
            kid_rules,
            "header has no kid: an ASPSP finds the verifying key by kid",
        )),
    }
    out
}

/// The request's own claims and metadata (everything that does not need the SSA).
pub(crate) fn request_claims(c: &Map<String, Value>, clock: Clock) -> Vec<Check> {
    let mut out = Vec::new();
    if str_claim(c, "iss").is_none_or(str::is_empty) {
        out.push(check(
            Outcome::Problem,
            &["UK-REQ-016"],
            "iss is missing or empty; it must be the SSA's software_id",
        ));
    }
    out.extend(envelope_lifetime(c, clock));
    match str_claim(c, "jti") {
        Some(j) if !j.is_empty() => out.push(check(Outcome::Pass, &["UK-REQ-019"], "jti present")),
        _ => out.push(check(Outcome::Problem, &["UK-REQ-019"], "jti is missing")),
    }
    match c.get("aud") {
        None => out.push(check(Outcome::Problem, &["UK-REQ-020"], "aud is missing")),
        Some(aud) => out.push(check(
            Outcome::Note,
            &["UK-REQ-020"],
            format!(
                "aud {aud}: an ASPSP that validates aud compares it with its own identifier (its OB Directory organisation id, or its issuer)"
            ),
        )),
    }
    if !c.contains_key("software_statement") {
        out.push(check(
            Outcome::Problem,
            &["UK-REQ-021"],
            "software_statement is missing",
        ));
    }
    out.extend(redirect_uris(c.get("redirect_uris")));
    out.push(or_replaced(one_of(
        c,
        "token_endpoint_auth_method",
        AUTH_METHODS,
        &["UK-REQ-034"],
    )));
    out.extend(auth_members(c));
    out.extend(grant_types(c.get("grant_types")));
    if let Some(v) = c.get("response_types") {
        match string_list(v) {
            Some(types) if types.iter().all(|t| RESPONSE_TYPES.contains(t)) => out.push(check(
                Outcome::Pass,
                &["UK-REQ-038"],
                format!("response_types {}", quoted(&types)),
            )),
            _ => out.push(check(
                Outcome::Problem,
                &["UK-REQ-038"],
                format!(
                    "response_types {v} holds a value other than \"code\" and \"code id_token\""
                ),
            )),
        }
    }
    match c.get("scope") {
        None => out.push(check(
            Outcome::Note,
            &["UK-REQ-040"],
            "scope omitted: an ASPSP refuses the request or registers default scopes",
        )),
        Some(Value::String(s)) if s.len() <= MAX_LEN => out.push(check(
            Outcome::Pass,
            &["UK-REQ-040"],
            format!("scope {s:?}"),
        )),
        Some(v) => out.push(check(
            Outcome::Problem,
            &["UK-REQ-040"],
            format!("scope {v} is not a space-separated string of at most {MAX_LEN} characters"),
        )),
    }
    out.push(or_replaced(one_of(
        c,
        "application_type",
        APPLICATION_TYPES,
        &["UK-REQ-042"],
    )));
    for name in ["id_token_signed_response_alg", "request_object_signing_alg"] {
        out.push(or_replaced(one_of(c, name, SIGNING_ALGS, &["UK-REQ-043"])));
    }
    out
}

/// A value a "refused or replaced" rule governs (UK-REQ-034, -037, -042, -043): an ASPSP may
/// register a supported value in its place, so the input is not refused for certain.
fn or_replaced(mut c: Check) -> Check {
    if c.outcome == Outcome::Problem {
        c.outcome = Outcome::Caution;
        c.message
            .push_str(": an ASPSP refuses it or registers a supported value in its place");
    }
    c
}

fn envelope_lifetime(c: &Map<String, Value>, clock: Clock) -> Vec<Check> {
    super::lifetime(c, clock, REQUEST_LIFETIME)
}

fn redirect_uris(value: Option<&Value>) -> Vec<Check> {
    let Some(value) = value else {
        return vec![check(
            Outcome::Note,
            &["UK-REQ-033"],
            "redirect_uris omitted: an ASPSP registers the SSA's software_redirect_uris or refuses the request",
        )];
    };
    let Some(uris) = string_list(value).filter(|u| !u.is_empty()) else {
        return vec![check(
            Outcome::Problem,
            &["UK-REQ-031"],
            "redirect_uris is not a non-empty array of strings",
        )];
    };
    let bad: Vec<&str> = uris
        .iter()
        .copied()
        .filter(|u| {
            let host = u
                .strip_prefix("https://")
                .map(|rest| rest.split(['/', ':', '?', '#']).next().unwrap_or_default());
            match host {
                None => true,
                Some(h) => {
                    let h = h.to_ascii_lowercase();
                    u.len() > MAX_LEN
                        || u.contains('#')
                        || h == "localhost"
                        || h == "127.0.0.1"
                        || h.ends_with(".localhost")
                }
            }
        })
        .collect();
    if bad.is_empty() {
        vec![check(
            Outcome::Pass,
            &["UK-REQ-031"],
            format!(
                "each of the {} redirect_uris is https and not local",
                uris.len()
            ),
        )]
    } else {
        vec![check(
            Outcome::Problem,
            &["UK-REQ-031"],
            format!(
                "redirect_uris that are not https, name a local host, carry a fragment or exceed {MAX_LEN} characters: {}",
                quoted(&bad)
            ),
        )]
    }
}

/// The members an auth method brings: a signing alg for the JWT methods (UK-REQ-035), a
/// subject DN for `tls_client_auth` and only then (UK-REQ-036).
fn auth_members(c: &Map<String, Value>) -> Vec<Check> {
    let mut out = Vec::new();
    let method = str_claim(c, "token_endpoint_auth_method");
    if matches!(method, Some("private_key_jwt" | "client_secret_jwt")) {
        out.push(one_of(
            c,
            "token_endpoint_auth_signing_alg",
            SIGNING_ALGS,
            &["UK-REQ-035"],
        ));
    }
    let dn = str_claim(c, "tls_client_auth_subject_dn").filter(|d| !d.is_empty());
    match (method == Some("tls_client_auth"), dn) {
        (true, None) => out.push(check(
            Outcome::Problem,
            &["UK-REQ-036"],
            "tls_client_auth without tls_client_auth_subject_dn",
        )),
        (false, Some(_)) => out.push(check(
            Outcome::Problem,
            &["UK-REQ-036"],
            "tls_client_auth_subject_dn is sent, but the method is not tls_client_auth",
        )),
        (true, Some(dn)) => out.push(check(
            Outcome::Pass,
            &["UK-REQ-036"],
            format!("tls_client_auth_subject_dn {dn:?}"),
        )),
        (false, None) => {}
    }
    out
}

fn grant_types(value: Option<&Value>) -> Vec<Check> {
    let Some(list) = value.and_then(string_list).filter(|l| !l.is_empty()) else {
        return vec![check(
            Outcome::Problem,
            &["UK-REQ-037"],
            "grant_types is missing, empty or not an array of strings",
        )];
    };
    let mut out = Vec::new();
    let other: Vec<&str> = list
        .iter()
        .copied()
        .filter(|g| !GRANT_TYPES.contains(g) && *g != CIBA_GRANT)
        .collect();
    if other.is_empty() {
        out.push(check(
            Outcome::Pass,
            &["UK-REQ-037"],
            format!("grant_types {}", quoted(&list)),
        ));
    } else {
        out.push(check(
            Outcome::Caution,
            &["UK-REQ-037"],
            format!(
                "grant_types {} are not UK grant types: an ASPSP refuses them or registers without them",
                quoted(&other)
            ),
        ));
    }
    if list.contains(&CIBA_GRANT) {
        out.push(check(
            Outcome::Note,
            &["UK-REQ-046", "UK-REQ-047"],
            "the CIBA grant: DCR 3.3 takes it with its backchannel_* members; a 3.2 ASPSP refuses or ignores it",
        ));
    }
    out
}

/// The request against its SSA: `iss` and `software_id`, the redirect URIs, the scopes the
/// SSA's roles allow.
pub(crate) fn request_against_ssa(
    request: &Map<String, Value>,
    ssa: &Map<String, Value>,
) -> Vec<Check> {
    let mut out = Vec::new();
    let software_id = str_claim(ssa, "software_id");
    match (str_claim(request, "iss"), software_id) {
        (None, _) => {}
        (Some(_), None) => out.push(check(
            Outcome::Problem,
            &["UK-REQ-016"],
            "the SSA has no software_id for the request's iss to match",
        )),
        (Some(iss), Some(id)) if iss == id => out.push(check(
            Outcome::Pass,
            &["UK-REQ-016"],
            format!("iss {iss:?} is the SSA's software_id"),
        )),
        (Some(iss), Some(id)) => out.push(check(
            Outcome::Problem,
            &["UK-REQ-016"],
            format!("iss {iss:?} is not the SSA's software_id {id:?}"),
        )),
    }
    if let (Some(asked), Some(id)) = (str_claim(request, "software_id"), software_id)
        && asked != id
    {
        out.push(check(
            Outcome::Problem,
            &["UK-REQ-030"],
            format!("software_id {asked:?} is not the SSA's {id:?}"),
        ));
    }
    if let Some(asked) = request.get("redirect_uris").and_then(string_list) {
        match ssa.get("software_redirect_uris").and_then(string_list) {
            None => out.push(check(
                Outcome::Problem,
                &["UK-REQ-032"],
                "the SSA has no software_redirect_uris for the request's redirect_uris to be among",
            )),
            Some(allowed) => {
                let outside: Vec<&str> = asked
                    .iter()
                    .copied()
                    .filter(|u| !allowed.contains(u))
                    .collect();
                if outside.is_empty() {
                    out.push(check(
                        Outcome::Pass,
                        &["UK-REQ-032"],
                        format!(
                            "each of the {} redirect_uris is among the SSA's software_redirect_uris",
                            asked.len()
                        ),
                    ));
                } else {
                    out.push(check(
                        Outcome::Problem,
                        &["UK-REQ-032"],
                        format!(
                            "redirect_uris not among the SSA's software_redirect_uris: {}",
                            quoted(&outside)
                        ),
                    ));
                }
            }
        }
    }
    if let (Some(scope), Some(roles)) = (
        str_claim(request, "scope"),
        ssa.get("software_roles").and_then(string_list),
    ) {
        let denied: Vec<&str> = scope
            .split_whitespace()
            .filter(|s| {
                ROLE_OF_SCOPE
                    .iter()
                    .any(|(scope, role)| s == scope && !roles.contains(role))
            })
            .collect();
        if denied.is_empty() {
            out.push(check(
                Outcome::Pass,
                &["UK-REQ-041"],
                format!(
                    "every scope is allowed by the SSA's software_roles {}",
                    quoted(&roles)
                ),
            ));
        } else {
            out.push(check(
                Outcome::Problem,
                &["UK-REQ-041"],
                format!(
                    "scopes the SSA's software_roles {} do not allow: {}",
                    quoted(&roles),
                    quoted(&denied)
                ),
            ));
        }
    }
    out
}

/// An OB Directory SSA's own claims: its issuer, `iat` (no `exp`: the ASPSP's window runs from
/// `iat`) and the key set the request is verified with.
pub(crate) fn ssa_claims(c: &Map<String, Value>, clock: Clock) -> Vec<Check> {
    let mut out = Vec::new();
    match str_claim(c, "iss") {
        Some(OB_DIRECTORY) => out.push(check(
            Outcome::Pass,
            &["UK-REQ-023"],
            format!("iss {OB_DIRECTORY:?}, the OB Directory"),
        )),
        other => out.push(check(
            Outcome::Problem,
            &["UK-REQ-023"],
            format!(
                "iss {other:?} is not the OB Directory ({OB_DIRECTORY:?}): an ASPSP that trusts only it refuses the SSA as unapproved"
            ),
        )),
    }
    let Clock { now, skew } = clock;
    match date_claim(c, "iat") {
        None | Some(Err(())) => out.push(check(
            Outcome::Problem,
            &["UK-REQ-025"],
            "iat is missing or not a NumericDate: the ASPSP's acceptance window runs from it",
        )),
        Some(Ok(t)) if t > now + skew => out.push(check(
            Outcome::Problem,
            &["UK-REQ-026"],
            format!(
                "iat {} is in the future, beyond a {skew} s clock skew",
                crate::inspect::time::when(t, now)
            ),
        )),
        Some(Ok(t)) => out.push(check(
            Outcome::Note,
            &["UK-REQ-025"],
            format!(
                "issued {}: an ASPSP refuses an SSA older than its own acceptance window (OB SSAs carry no exp)",
                crate::inspect::time::when(t, now)
            ),
        )),
    }
    match str_claim(c, "software_jwks_endpoint") {
        Some(u) if u.starts_with("https://") => out.push(check(
            Outcome::Pass,
            &["UK-REQ-027"],
            format!("software_jwks_endpoint {u:?} (not fetched offline)"),
        )),
        other => out.push(check(
            Outcome::Problem,
            &["UK-REQ-027"],
            format!(
                "software_jwks_endpoint {other:?} is not an https URL: the request's signature cannot be verified"
            ),
        )),
    }
    out
}

//! The JOSE header and the time claims (iat, exp, nbf) of requests and SSAs.

use serde_json::{Map, Value};

use super::*;
use crate::inspect::time::{span, when};

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
pub(super) fn lifetime(claims: &Map<String, Value>, clock: Clock, rules: Lifetime) -> Vec<Check> {
    let mut out = Vec::new();
    let Clock { now, skew } = clock;
    let Lifetime {
        token,
        iat: iat_rules,
        exp: exp_rules,
        not_yet: not_yet_rules,
        max_seconds,
        standard,
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
                        "lifetime {} (exp - iat) is longer than the {} {standard} gives {token}",
                        span(exp - iat),
                        span(max)
                    ),
                )),
                (Some(Ok(iat)), None) => out.push(check(
                    Outcome::Note,
                    &[],
                    format!(
                        "lifetime {} (exp - iat); {standard} sets no maximum for {token}",
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

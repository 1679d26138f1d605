//! What a decoded token is, and the offline checks on it.
//!
//! Every check names the catalogue rules it relates to. The rules are written from the holder's
//! side ("the holder refuses X"); a check turns that round: this input has X, so a holder that
//! follows the rule refuses it. The rule's level (read from the catalogue later, see
//! [`super::resolve`]) decides whether a problem is a failure or a warning. A check with no rule
//! says so rather than borrowing the nearest ID.

use serde_json::{Map, Value};

mod envelope;
mod request;
mod ssa;
mod uk;

pub(crate) use envelope::header;
use envelope::lifetime;
pub(crate) use request::request_claims;
pub(crate) use ssa::{request_against_ssa, ssa_claims};
pub(crate) use uk::{
    header as uk_header, request_against_ssa as uk_request_against_ssa,
    request_claims as uk_request_claims, ssa_claims as uk_ssa_claims,
};

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
/// id_token encryption of a hybrid-era registration (CDS v1.22 to v1.32).
const ID_TOKEN_ENC_ALGS: &[&str] = &["RSA-OAEP", "RSA-OAEP-256"];
const ID_TOKEN_ENC_ENCS: &[&str] = &["A256GCM", "A128CBC-HS256"];
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
    /// The longest lifetime (`exp - iat`) the standard allows, if it sets one.
    max_seconds: Option<i64>,
    /// The standard, as named in messages (`the CDS`, `UK DCR`).
    standard: &'static str,
}

/// The CDS sets no maximum lifetime for a registration request (features/SOURCES.md §8.8).
const REQUEST_LIFETIME: Lifetime = Lifetime {
    token: "a registration request",
    iat: &["DCR-REQ-017"],
    exp: &["DCR-REQ-018"],
    not_yet: &["DCR-REQ-017"],
    max_seconds: None,
    standard: "the CDS",
};

/// The CDS gives an SSA 10 minutes (SSA Definition); a missing `iat` is a missing mandatory
/// claim.
const SSA_LIFETIME: Lifetime = Lifetime {
    token: "an SSA",
    iat: &["DCR-REQ-026"],
    exp: &["DCR-REQ-024"],
    not_yet: &["DCR-REQ-024"],
    max_seconds: Some(600),
    standard: "the CDS",
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

//! What `inspect` reports: each token with its findings, the rules they cite, the counts.

use serde::Serialize;
use serde_json::Value;

use crate::catalogue::Level;

use super::checks::Kind;
use super::render;

/// A finding's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A holder following the cited MUST (or IMPL) rule, as the profile checks it, refuses this
    /// input.
    Fail,
    /// A SHOULD/REC/MAY rule, no catalogue rule, or a choice the sources leave to the holder.
    Warn,
    /// The check passed.
    Ok,
    /// Information: what a holder will do, or what cannot be judged offline.
    Info,
}

impl Status {
    /// As printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fail => "FAIL",
            Self::Warn => "WARN",
            Self::Ok => "OK",
            Self::Info => "INFO",
        }
    }
}

/// A catalogue rule a finding relates to, as the catalogue states it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRef {
    /// `DCR-REQ-NNN`.
    pub id: String,
    /// Its level.
    pub level: Level,
    /// Its one-line text.
    pub rule: String,
}

/// One finding on one token.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// Its status.
    pub status: Status,
    /// The rules it relates to, the one deciding the status first; empty when no catalogue rule
    /// fits.
    pub rules: Vec<RuleRef>,
    /// What was found.
    pub message: String,
}

/// One inspected token.
#[derive(Debug, Clone, Serialize)]
pub struct Token {
    /// `#1`, `#2`, `#1.1` (the SSA inside request #1).
    pub label: String,
    /// What it is.
    pub kind: Kind,
    /// Where it was found.
    pub found: String,
    /// The decoded JOSE header (secrets redacted); `None` for an unsigned claims object.
    pub header: Option<Value>,
    /// The decoded claims (secrets redacted, nested JWTs summarised).
    pub claims: Value,
    /// What is said about the signature, which is never shown.
    pub signature: Option<String>,
    /// Findings, in check order.
    pub findings: Vec<Finding>,
    /// The SSA inside a request.
    pub nested: Vec<Token>,
}

/// A token that was found and not inspected.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    /// Where it was found.
    pub found: String,
    /// Why it was not inspected.
    pub reason: String,
}

/// Findings by status.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Counts {
    /// Failures.
    pub fail: usize,
    /// Warnings.
    pub warn: usize,
    /// Passed checks.
    pub ok: usize,
    /// Information.
    pub info: usize,
}

/// The result of an inspection.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// What was inspected (a path, "the argument", "standard input").
    pub input: String,
    /// Profile checked against.
    pub profile: String,
    /// Time reference, Unix seconds.
    pub now: i64,
    /// The same in UTC.
    pub now_utc: String,
    /// Clock skew assumed, in seconds.
    pub skew_seconds: i64,
    /// The holder's issuer, if given.
    pub issuer: Option<String>,
    /// Always false: inspection is offline.
    pub signatures_verified: bool,
    /// Inspected tokens.
    pub tokens: Vec<Token>,
    /// Tokens found and not inspected.
    pub skipped: Vec<Skipped>,
    /// Findings by status, nested tokens included.
    pub counts: Counts,
}

impl Report {
    /// Whether any finding is a failure.
    pub fn failed(&self) -> bool {
        self.counts.fail > 0
    }

    /// The report as text.
    pub fn to_text(&self) -> String {
        render::text(self)
    }
}

//! `dcr-conformance inspect JWT|FILE`: decodes a registration request or a software statement
//! (SSA), and the SSA nested in a request, and checks their claims against a catalogue profile
//! offline. Nothing is fetched and no signature is verified; signatures are never printed.
//!
//! The input is a compact JWT, a file holding one, or `-` for standard input. A file that is
//! not a single token is searched for JWT-looking tokens (web pages and logs with embedded
//! samples), and each registration request or SSA found is inspected with its place in the
//! text; other tokens (access tokens and the like) are listed by place only, never shown. A
//! JSON object is taken as unsigned claims, or, when it is neither a request nor an SSA (a
//! registration response, say), its `software_statement` is inspected.
//!
//! * `input`: reading the input and finding the tokens in it.
//! * `checks`: what a token is, and the checks, each tied to catalogue rules.
//! * `render`: the text output.
//! * `time`: NumericDates in UTC and relative, and `--now`.
//!
//! Exit codes: 0 no failure, 1 at least one failure (a MUST or IMPL rule a holder would refuse
//! the input under), 2 a usage error (unreadable input, no token, unknown profile).

mod checks;
mod input;
mod render;
mod time;

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::catalogue::{Catalogue, Level};
use crate::redact;
pub use checks::Kind;
use checks::{Check, Clock, Outcome, Role};
pub use time::parse_now;

/// What the command line asks for.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// A compact JWT, a file path, or `-`.
    pub input: String,
    /// Folder holding `catalogue.yaml`.
    pub features: PathBuf,
    /// Catalogue profile.
    pub profile: String,
    /// Time reference (Unix seconds); the system clock when `None`.
    pub now: Option<i64>,
    /// Clock skew a holder is assumed to allow, in seconds.
    pub skew: i64,
    /// The holder's issuer, to compare the request's `aud` with.
    pub issuer: Option<String>,
    /// Output format.
    pub format: Format,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Decoded tokens and findings for people.
    #[default]
    Text,
    /// The same as one JSON document.
    Json,
}

/// The settings an inspection runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Catalogue profile (must be one the catalogue defines).
    pub profile: String,
    /// Time reference, Unix seconds.
    pub now: i64,
    /// Clock skew a holder is assumed to allow, in seconds.
    pub skew: i64,
    /// The holder's issuer, if known.
    pub issuer: Option<String>,
}

/// Why nothing could be inspected (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum InspectError {
    /// The file or standard input could not be read.
    #[error("cannot read {what}: {source}")]
    Unreadable {
        /// What was read.
        what: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{what} is not UTF-8 text; {EXPECTED}")]
    NotText {
        /// The file.
        what: String,
    },
    /// The argument is neither an existing file nor a compact JWT.
    #[error("{what} is neither an existing file nor a compact JWT; {EXPECTED}")]
    NotInput {
        /// The argument (shortened when long).
        what: String,
    },
    /// No JWT-looking token in the text.
    #[error("{what} holds no compact JWT; {EXPECTED}")]
    NoToken {
        /// The input.
        what: String,
    },
    /// The token does not decode.
    #[error("{what} looks like a compact JWT but does not decode ({why}); {EXPECTED}")]
    Undecodable {
        /// The input.
        what: String,
        /// Why decoding failed.
        why: String,
    },
    /// Tokens were found, but none is a registration request or an SSA.
    #[error(
        "{what}: {found} JWT(s), none of them a registration request or a software statement (their contents are not shown); {EXPECTED}"
    )]
    NothingToInspect {
        /// The input.
        what: String,
        /// How many tokens were found.
        found: usize,
    },
    /// A JSON object that is neither a request nor an SSA and has no `software_statement`.
    #[error(
        "{what} holds a JSON object that is neither a registration request, a software statement nor an object with a software_statement member; {EXPECTED}"
    )]
    UnknownObject {
        /// The input.
        what: String,
    },
    /// `--profile` names no catalogue profile.
    #[error("--profile {profile}: unknown profile; valid profiles: {valid}")]
    UnknownProfile {
        /// The name given.
        profile: String,
        /// The catalogue's profiles.
        valid: String,
    },
    /// The catalogue is unusable (unreadable, or lacks a rule the checks cite).
    #[error("{0}")]
    Catalogue(String),
}

const EXPECTED: &str = "expected a compact JWT (base64url header.payload.signature, usually starting eyJ), a file holding one or holding text with JWTs in it, a JSON object of claims or with a software_statement member, or - for standard input";

/// A finding's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A holder following the cited MUST (or, under mock-compat, IMPL) rule refuses this input.
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

/// Runs `inspect` for the command line; returns the exit code.
pub fn command(inv: &Invocation) -> ExitCode {
    match run(inv) {
        Ok(report) => {
            match inv.format {
                Format::Text => print!("{}", report.to_text()),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                ),
            }
            if report.failed() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("dcr-conformance inspect: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(inv: &Invocation) -> Result<Report, InspectError> {
    let catalogue = Catalogue::load(&inv.features.join("catalogue.yaml"))
        .map_err(|e| InspectError::Catalogue(format!("{e:#}")))?;
    check_profile(&catalogue, &inv.profile)?;
    let (origin, text) = input::read(&inv.input)?;
    let settings = Settings {
        profile: inv.profile.clone(),
        now: inv.now.unwrap_or_else(time::system_now),
        skew: inv.skew,
        issuer: inv.issuer.clone(),
    };
    inspect(&text, &origin, &settings, &catalogue)
}

fn check_profile(catalogue: &Catalogue, profile: &str) -> Result<(), InspectError> {
    if catalogue.profiles.contains_key(profile) {
        return Ok(());
    }
    Err(InspectError::UnknownProfile {
        profile: profile.to_string(),
        valid: catalogue
            .profiles
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .join(", "),
    })
}

/// Inspects `text` (described as `origin` in messages) under `settings`.
///
/// # Errors
/// When the profile is unknown, the text holds nothing to inspect, or the catalogue lacks a
/// rule the checks cite.
pub fn inspect(
    text: &str,
    origin: &str,
    settings: &Settings,
    catalogue: &Catalogue,
) -> Result<Report, InspectError> {
    check_profile(catalogue, &settings.profile)?;
    let inspector = Inspector {
        catalogue,
        settings,
    };
    let mut tokens = Vec::new();
    let mut skipped = Vec::new();
    match input::locate(text) {
        input::Located::Whole(token) => {
            let decoded = Decoded::parse(&token).map_err(|why| InspectError::Undecodable {
                what: origin.to_string(),
                why,
            })?;
            match checks::classify(&decoded.claims) {
                Kind::Other => {
                    return Err(InspectError::NothingToInspect {
                        what: origin.to_string(),
                        found: 1,
                    });
                }
                kind => tokens.push(inspector.token("#1", "the whole input", decoded, kind)?),
            }
        }
        input::Located::Json(claims) => match checks::classify(&claims) {
            Kind::Other => {
                let Some(ssa) = checks::str_claim(&claims, "software_statement") else {
                    return Err(InspectError::UnknownObject {
                        what: origin.to_string(),
                    });
                };
                let decoded = Decoded::parse(ssa).map_err(|why| InspectError::Undecodable {
                    what: format!("the software_statement of the JSON object in {origin}"),
                    why,
                })?;
                tokens.push(inspector.token(
                    "#1",
                    "the software_statement member of the JSON object (the object itself is neither a request nor an SSA)",
                    decoded,
                    Kind::SoftwareStatement,
                )?);
            }
            kind => {
                let decoded = Decoded {
                    header: None,
                    claims,
                    signature: None,
                };
                tokens.push(inspector.token(
                    "#1",
                    "the whole input, a JSON object of claims",
                    decoded,
                    kind,
                )?);
            }
        },
        input::Located::Found(candidates) => {
            (tokens, skipped) = inspector.scan(&candidates)?;
            if tokens.is_empty() {
                return Err(if candidates.is_empty() {
                    InspectError::NoToken {
                        what: origin.to_string(),
                    }
                } else {
                    InspectError::NothingToInspect {
                        what: origin.to_string(),
                        found: candidates.len(),
                    }
                });
            }
        }
    }
    let mut counts = Counts::default();
    count(&tokens, &mut counts);
    Ok(Report {
        input: origin.to_string(),
        profile: settings.profile.clone(),
        now: settings.now,
        now_utc: time::utc(settings.now),
        skew_seconds: settings.skew,
        issuer: settings.issuer.clone(),
        signatures_verified: false,
        tokens,
        skipped,
        counts,
    })
}

fn count(tokens: &[Token], counts: &mut Counts) {
    for t in tokens {
        for f in &t.findings {
            match f.status {
                Status::Fail => counts.fail += 1,
                Status::Warn => counts.warn += 1,
                Status::Ok => counts.ok += 1,
                Status::Info => counts.info += 1,
            }
        }
        count(&t.nested, counts);
    }
}

/// A token's decoded parts. The signature is kept only to say how long it is.
#[derive(Debug, Clone)]
struct Decoded {
    header: Option<Map<String, Value>>,
    claims: Map<String, Value>,
    signature: Option<String>,
}

impl Decoded {
    /// Decodes a compact JWS without verifying it; the error says why, never echoing the input.
    fn parse(token: &str) -> Result<Self, String> {
        let decoded = dcr_vectors::jose::decode_unverified(token).map_err(|e| format!("{e:#}"))?;
        Ok(Self {
            header: Some(decoded.header),
            claims: decoded.claims,
            signature: token.rsplit('.').next().map(str::to_string),
        })
    }
}

struct Inspector<'a> {
    catalogue: &'a Catalogue,
    settings: &'a Settings,
}

impl Inspector<'_> {
    /// Inspects the requests and SSAs among tokens found in a text, each once (an SSA already
    /// seen inside a request is not repeated); lists the others by place only.
    fn scan(
        &self,
        candidates: &[input::Candidate],
    ) -> Result<(Vec<Token>, Vec<Skipped>), InspectError> {
        let mut tokens = Vec::new();
        let mut skipped = Vec::new();
        // Tokens already inspected, by compact form, with the label they got.
        let mut seen: Vec<(String, String)> = Vec::new();
        for c in candidates {
            let place = c.place();
            if c.more_parts {
                skipped.push(Skipped {
                    found: place,
                    reason: "more than three dot-separated parts (a JWE?): not inspected".into(),
                });
                continue;
            }
            if let Some((_, label)) = seen.iter().find(|(t, _)| *t == c.token) {
                skipped.push(Skipped {
                    found: place,
                    reason: format!("the same token as {label}, inspected there"),
                });
                continue;
            }
            let decoded = match Decoded::parse(&c.token) {
                Ok(d) => d,
                Err(why) => {
                    skipped.push(Skipped {
                        found: place,
                        reason: format!("does not decode ({why})"),
                    });
                    continue;
                }
            };
            let kind = checks::classify(&decoded.claims);
            if kind == Kind::Other {
                let credential = c.bearer
                    || c.member.as_deref().is_some_and(|m| m.contains("token"))
                    || decoded.claims.contains_key("cnf");
                skipped.push(Skipped {
                    found: place,
                    reason: if credential {
                        "looks like an access token (a bearer credential): not inspected, not shown".into()
                    } else {
                        "neither a registration request nor a software statement: not inspected, not shown".into()
                    },
                });
                continue;
            }
            let label = format!("#{}", tokens.len() + 1);
            let inner =
                checks::str_claim(&decoded.claims, "software_statement").map(str::to_string);
            let token = self.token(&label, &place, decoded, kind)?;
            seen.push((c.token.clone(), label));
            if let (Some(nested), Some(inner)) = (token.nested.first(), inner) {
                seen.push((inner, nested.label.clone()));
            }
            tokens.push(token);
        }
        Ok((tokens, skipped))
    }
    fn clock(&self) -> Clock {
        Clock {
            now: self.settings.now,
            skew: self.settings.skew,
        }
    }

    /// Checks one decoded token of `kind` (and the SSA inside a request).
    fn token(
        &self,
        label: &str,
        found: &str,
        decoded: Decoded,
        kind: Kind,
    ) -> Result<Token, InspectError> {
        let role = if kind == Kind::RegistrationRequest {
            Role::Request
        } else {
            Role::Ssa
        };
        let mut found_checks = Vec::new();
        match (&decoded.header, &decoded.signature) {
            (Some(header), Some(signature)) => {
                found_checks.extend(checks::header(role, header, signature));
            }
            _ => found_checks.push(Check {
                outcome: Outcome::Note,
                rules: &["DCR-REQ-010"],
                message: "an unsigned claims object: a holder accepts only a signed compact JWS, so header and signature checks are skipped".into(),
            }),
        }
        let mut nested = Vec::new();
        match role {
            Role::Request => {
                found_checks.extend(checks::request_claims(
                    &decoded.claims,
                    self.clock(),
                    self.settings.issuer.as_deref(),
                ));
                if let Some(value) = decoded.claims.get("software_statement") {
                    match value.as_str().map(Decoded::parse) {
                        Some(Ok(ssa)) => {
                            found_checks
                                .extend(checks::request_against_ssa(&decoded.claims, &ssa.claims));
                            nested.push(self.token(
                                &format!("{label}.1"),
                                &format!("the software_statement of {label}"),
                                ssa,
                                Kind::SoftwareStatement,
                            )?);
                        }
                        Some(Err(why)) => found_checks.push(Check {
                            outcome: Outcome::Problem,
                            rules: &["DCR-REQ-021"],
                            message: format!("software_statement is not a compact JWS ({why})"),
                        }),
                        None => found_checks.push(Check {
                            outcome: Outcome::Problem,
                            rules: &["DCR-REQ-021"],
                            message: "software_statement is not a string".into(),
                        }),
                    }
                }
            }
            Role::Ssa => found_checks.extend(checks::ssa_claims(&decoded.claims, self.clock())),
        }
        let mut findings = Vec::new();
        for c in found_checks {
            if let Some(f) = self.resolve(c)? {
                findings.push(f);
            }
        }
        // In rule order (checks of one rule keep their order), findings without a rule last.
        findings.sort_by_key(|f| (f.rules.is_empty(), f.rules.first().map(|r| r.id.clone())));
        Ok(Token {
            label: label.to_string(),
            kind,
            found: found.to_string(),
            header: decoded.header.map(|h| shown(Value::Object(h))),
            claims: shown(Value::Object(decoded.claims)),
            signature: decoded.signature.map(|s| {
                if s.is_empty() {
                    "empty (the token is unsigned)".to_string()
                } else {
                    format!("withheld ({} characters; not verified)", s.len())
                }
            }),
            findings,
            nested,
        })
    }

    /// Applies the catalogue and profile to a check: rules outside the profile are dropped
    /// (and a check whose rules all are, with them); the strongest remaining rule's level
    /// decides between failure and warning.
    fn resolve(&self, check: Check) -> Result<Option<Finding>, InspectError> {
        let mut rules = Vec::new();
        for id in check.rules {
            let rule = self.catalogue.rule(id).ok_or_else(|| {
                InspectError::Catalogue(format!(
                    "the catalogue has no rule {id}, which inspect cites"
                ))
            })?;
            if rule.profiles.contains(&self.settings.profile) {
                rules.push(RuleRef {
                    id: rule.id.clone(),
                    level: rule.level,
                    rule: rule.rule.clone(),
                });
            }
        }
        if !check.rules.is_empty() && rules.is_empty() {
            return Ok(None);
        }
        rules.sort_by_key(|r| r.level.failure_is_warning(false));
        let status = match check.outcome {
            Outcome::Pass => Status::Ok,
            Outcome::Note => Status::Info,
            Outcome::Caution => Status::Warn,
            Outcome::Problem => match rules.first() {
                Some(r) if !r.level.failure_is_warning(false) => Status::Fail,
                _ => Status::Warn,
            },
        };
        Ok(Some(Finding {
            status,
            rules,
            message: check.message,
        }))
    }
}

/// A decoded part as shown: secret members redacted and nested JWTs summarised, so no
/// credential or signature is ever printed.
fn shown(mut value: Value) -> Value {
    redact::json_value(&mut value);
    redact::summarise_nested_jwts(&mut value);
    value
}

#[cfg(test)]
mod tests;

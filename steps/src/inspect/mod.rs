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
//! * `inspector`: decoding each token and running its checks, nested SSAs included.
//! * `model`: findings, tokens and the report (what the text and JSON outputs show).
//! * `checks`: what a token is, and the checks, each tied to catalogue rules.
//! * `render`: the text output.
//! * `time`: NumericDates in UTC and relative, and `--now`.
//!
//! Exit codes: 0 no failure, 1 at least one failure (a MUST or IMPL rule a holder would refuse
//! the input under), 2 a usage error (unreadable input, no token, unknown profile).

mod checks;
mod input;
mod inspector;
mod model;
mod render;
#[cfg(test)]
mod tests;
mod time;

use std::process::ExitCode;

use crate::catalogue::{Catalogue, Profile};
pub use checks::Kind;
use inspector::{Decoded, Inspector, count};
pub use model::*;
pub use time::parse_now;

/// What the command line asks for.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// A compact JWT, a file path, or `-`.
    pub input: String,
    /// Where `catalogue.yaml` is read (the built-in features, or a folder).
    pub features: crate::catalogue::source::FeaturesSource,
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
    let catalogue = inv
        .features
        .dir()
        .and_then(|dir| Catalogue::load(&dir))
        .map_err(|e| InspectError::Catalogue(format!("{e:#}")))?;
    profile(&catalogue, &inv.profile)?;
    let (origin, text) = input::read(&inv.input)?;
    let settings = Settings {
        profile: inv.profile.clone(),
        now: inv.now.unwrap_or_else(time::system_now),
        skew: inv.skew,
        issuer: inv.issuer.clone(),
    };
    inspect(&text, &origin, &settings, &catalogue)
}

/// The profile `name`, resolved: an unknown name is a usage error listing the profiles.
fn profile(catalogue: &Catalogue, name: &str) -> Result<Profile, InspectError> {
    if !catalogue.profile_names().any(|n| n == name) {
        return Err(InspectError::UnknownProfile {
            profile: name.to_string(),
            valid: catalogue.profile_names().collect::<Vec<_>>().join(", "),
        });
    }
    catalogue
        .profile(name)
        .map_err(|e| InspectError::Catalogue(format!("{e:#}")))
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
    let profile = profile(catalogue, &settings.profile)?;
    let inspector = Inspector {
        catalogue,
        profile: &profile,
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

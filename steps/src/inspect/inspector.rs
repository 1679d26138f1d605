//! Decoding each token of the input and running its checks: the SSA nested in a request is
//! inspected too, and other tokens are listed by place only.

use serde_json::{Map, Value};

use crate::catalogue::{Catalogue, Profile, Treatment};
use crate::redact;

use super::checks::{self, Check, Clock, Kind, Outcome, Role};
use super::model::*;
use super::{InspectError, Settings, input};

pub(super) fn count(tokens: &[Token], counts: &mut Counts) {
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
pub(super) struct Decoded {
    pub(super) header: Option<Map<String, Value>>,
    pub(super) claims: Map<String, Value>,
    pub(super) signature: Option<String>,
}

impl Decoded {
    /// Decodes a compact JWS without verifying it; the error says why, never echoing the input.
    pub(super) fn parse(token: &str) -> Result<Self, String> {
        let decoded = dcr_vectors::jose::decode_unverified(token).map_err(|e| format!("{e:#}"))?;
        Ok(Self {
            header: Some(decoded.header),
            claims: decoded.claims,
            signature: token.rsplit('.').next().map(str::to_string),
        })
    }
}

/// The catalogue family whose rules the UK checks cite (`features/uk-obie/catalogue.yaml`).
const UK_FAMILY: &str = "uk-obie";

pub(super) struct Inspector<'a> {
    pub(super) catalogue: &'a Catalogue,
    pub(super) profile: &'a Profile,
    pub(super) settings: &'a Settings,
}

impl Inspector<'_> {
    /// Inspects the requests and SSAs among tokens found in a text, each once (an SSA already
    /// seen inside a request is not repeated); lists the others by place only.
    pub(super) fn scan(
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
    pub(super) fn token(
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
        // The UK family's checks ask the same questions with the UK members and rule IDs.
        let uk = self.profile.catalogue == UK_FAMILY;
        let mut found_checks = Vec::new();
        match (&decoded.header, &decoded.signature) {
            (Some(header), Some(signature)) if uk => {
                found_checks.extend(checks::uk_header(role, header, signature));
            }
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
                if uk {
                    found_checks.extend(checks::uk_request_claims(&decoded.claims, self.clock()));
                } else {
                    found_checks.extend(checks::request_claims(
                        &decoded.claims,
                        self.clock(),
                        self.settings.issuer.as_deref(),
                    ));
                }
                if let Some(value) = decoded.claims.get("software_statement") {
                    match value.as_str().map(Decoded::parse) {
                        Some(Ok(ssa)) => {
                            found_checks.extend(if uk {
                                checks::uk_request_against_ssa(&decoded.claims, &ssa.claims)
                            } else {
                                checks::request_against_ssa(&decoded.claims, &ssa.claims)
                            });
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
            Role::Ssa if uk => {
                found_checks.extend(checks::uk_ssa_claims(&decoded.claims, self.clock()));
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
    /// (and a check whose rules all are, with them); the strongest remaining rule's level,
    /// as the profile checks it, decides between failure and warning. A problem under a rule
    /// the profile's release documents as not checked, or whose behaviour the sources leave
    /// unsettled, is a warning: a holder of that release does not refuse it for certain.
    pub(super) fn resolve(&self, check: Check) -> Result<Option<Finding>, InspectError> {
        let mut rules = Vec::new();
        // Why a problem under the profile's strongest rule is only a warning, if it is.
        let mut caveat: Option<String> = None;
        for id in check.rules {
            let rule = self.catalogue.rule(id).ok_or_else(|| {
                InspectError::Catalogue(format!(
                    "the catalogue has no rule {id}, which inspect cites"
                ))
            })?;
            if let Some(checked) = self.profile.rule(&rule.id) {
                if caveat.is_none() {
                    caveat = match &checked.treatment {
                        Treatment::Checked => None,
                        Treatment::Unsettled { why } => Some(format!(
                            "unsettled under profile {}: {why}",
                            self.profile.name
                        )),
                        Treatment::NotChecked(n) => Some(format!(
                            "not checked by this release ({}): {}",
                            n.source, n.why
                        )),
                    };
                }
                rules.push((
                    RuleRef {
                        id: rule.id.clone(),
                        level: checked.level,
                        rule: rule.rule.clone(),
                    },
                    checked.treatment == Treatment::Checked,
                ));
            }
        }
        if !check.rules.is_empty() && rules.is_empty() {
            return Ok(None);
        }
        rules.sort_by_key(|(r, settled)| !settled || r.level.failure_is_warning(false));
        let refusing = rules
            .first()
            .is_some_and(|(r, settled)| *settled && !r.level.failure_is_warning(false));
        let rules: Vec<RuleRef> = rules.into_iter().map(|(r, _)| r).collect();
        let status = match check.outcome {
            Outcome::Pass => Status::Ok,
            Outcome::Note => Status::Info,
            Outcome::Caution => Status::Warn,
            Outcome::Problem if refusing => Status::Fail,
            Outcome::Problem => Status::Warn,
        };
        let message = match (status, caveat) {
            (Status::Warn, Some(caveat)) if check.outcome == Outcome::Problem => {
                format!("{} [{caveat}]", check.message)
            }
            _ => check.message,
        };
        Ok(Some(Finding {
            status,
            rules,
            message,
        }))
    }
}

/// A decoded part as shown: secret members redacted and nested JWTs summarised, so no
/// credential or signature is ever printed.
pub(super) fn shown(mut value: Value) -> Value {
    redact::json_value(&mut value);
    redact::summarise_nested_jwts(&mut value);
    value
}

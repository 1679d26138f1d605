//! `dcr-conformance doctor --target FILE`: the pre-flight check of a target, before any
//! scenario. Each check prints pass or fail with what it saw and, on failure, how to fix it.
//!
//! The checks use the environment exactly as a run would build it ([`Environment::from_target`]): the
//! same clients, the same JWKS hosts, the same software statements.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::environment::Environment;
use crate::environment::target::Target;
use crate::http::{self, Request};

/// Largest clock offset to the holder that passes: the CDS leaves the allowed skew to the
/// holder, and a few seconds of drift already eats into short-lived JWTs.
const MAX_CLOCK_OFFSET: Duration = Duration::from_secs(10);

/// Outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// It passed.
    Pass,
    /// It failed: the run would fail or mislead.
    Fail,
    /// Information (what the run will skip, and why).
    Info,
}

/// One check.
#[derive(Debug, Clone)]
pub struct Check {
    /// Pass, fail or information.
    pub mark: Mark,
    /// Short name, e.g. `tls A`.
    pub name: String,
    /// What was seen.
    pub detail: String,
    /// How to fix a failure.
    pub fix: Option<String>,
}

/// Every check, in order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The target's name.
    pub target: String,
    /// The checks.
    pub checks: Vec<Check>,
}

impl Report {
    fn add(&mut self, mark: Mark, name: impl Into<String>, detail: impl Into<String>) {
        self.checks.push(Check {
            mark,
            name: name.into(),
            detail: detail.into(),
            fix: None,
        });
    }

    fn fail(&mut self, name: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) {
        self.checks.push(Check {
            mark: Mark::Fail,
            name: name.into(),
            detail: detail.into(),
            fix: Some(fix.into()),
        });
    }

    /// Whether no check failed.
    pub fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.mark != Mark::Fail)
    }

    /// The report as console text.
    pub fn render(&self) -> String {
        let mut out = format!("doctor: target {}\n", self.target);
        for c in &self.checks {
            let mark = match c.mark {
                Mark::Pass => "PASS",
                Mark::Fail => "FAIL",
                Mark::Info => "INFO",
            };
            let _ = writeln!(out, "  {mark}  {:<14} {}", c.name, c.detail);
            if let Some(fix) = &c.fix {
                let _ = writeln!(out, "        {:<14} fix: {fix}", "");
            }
        }
        let count = |m| self.checks.iter().filter(|c| c.mark == m).count();
        let _ = writeln!(
            out,
            "doctor: {} passed, {} failed{}",
            count(Mark::Pass),
            count(Mark::Fail),
            if self.passed() {
                " — ready to run"
            } else {
                " — fix the failures before a run"
            }
        );
        out
    }
}

/// Runs every check against `target`.
pub async fn run(target: Target, timeout: Duration) -> Report {
    let mut report = Report {
        target: format!("{} ({})", target.name, target.path.display()),
        ..Report::default()
    };
    report.add(
        Mark::Pass,
        "target file",
        format!(
            "{} recipient(s); {}",
            target.recipients.len(),
            if target.register.is_some() {
                "the Register's key is given: SSAs are minted per scenario"
            } else {
                "fixed software statements: scenarios run one at a time and delete what they register"
            }
        ),
    );
    let mut caps = target.capabilities();
    if let Some(note) = expiry_note(
        target.token_lifetime,
        target.max_token_wait,
        target.register.is_some(),
    ) {
        report.add(Mark::Info, "token expiry", note);
    }
    // A part that cannot be set up is reported and left out; every other check still runs.
    let (env, problems) = Environment::from_target_keep_going(target, timeout).await;
    for p in problems {
        report.fail(
            format!("set-up {}", p.part),
            crate::redact::chain::chain(&p.error),
            p.fix,
        );
    }
    let Some(env) = env else {
        return report;
    };
    let discovery = discovery(&env, &mut report).await;
    // What the holder offers decides which side of its optional features runs (JARM
    // encryption): doctor lists those skips as a run would.
    caps.advertised(
        discovery
            .as_ref()
            .ok_or_else(|| "see the discovery check above".to_string()),
    );
    let registration = discovery
        .as_ref()
        .and_then(|doc| doc.get("registration_endpoint").and_then(Value::as_str))
        .map(str::to_string)
        .or_else(|| env.registration_endpoint.clone());
    match registration {
        Some(url) => tls(&env, &url, &mut report).await,
        None => report.add(
            Mark::Info,
            "tls",
            "not checked: the registration endpoint comes from discovery, which failed (or give holder.registration_endpoint)",
        ),
    }
    for identity in &env.recipients {
        jwks(
            &identity.product.name,
            &identity.jwks_uri,
            &identity.key,
            &env,
            &mut report,
        )
        .await;
        ssa(identity, &mut report);
    }
    if let Some(register) = &env.register
        && let Some((server, jwks_path)) = &register.jwks_host
    {
        let uri = format!("{}{jwks_path}", server.uri());
        jwks("Register", &uri, &register.key, &env, &mut report).await;
    }
    for (need, why) in caps.unmet() {
        report.add(
            Mark::Info,
            "skipped",
            format!("scenarios needing {}: {why}", need.name()),
        );
    }
    report
}

/// How long the scenarios waiting for a real token expiry will take, when they run: each waits
/// the configured lifetime plus the margin.
fn expiry_note(lifetime: Option<Duration>, max_wait: Duration, minted: bool) -> Option<String> {
    let lifetime = lifetime.filter(|l| *l <= max_wait)?;
    let wait = lifetime + crate::environment::targeted::TARGET_EXPIRY_MARGIN;
    Some(format!(
        "each scenario waiting for an access token to expire waits about {} s (holder.token_lifetime_seconds {} s + {} s margin){}",
        wait.as_secs(),
        lifetime.as_secs(),
        crate::environment::targeted::TARGET_EXPIRY_MARGIN.as_secs(),
        if minted {
            "; they run alongside the others"
        } else {
            "; with fixed SSAs scenarios run one at a time, so these waits add up"
        }
    ))
}

/// Fetches discovery with recipient A's client; checks the endpoints and the clock offset.
async fn discovery(
    env: &Arc<Environment>,
    report: &mut Report,
) -> Option<serde_json::Map<String, Value>> {
    let (client, who) = env.recipients.first().map_or_else(
        || (&env.anonymous, "none".to_string()),
        |r| (&r.client, format!("recipient {}", r.product.name)),
    );
    let before = SystemTime::now();
    let e = http::send(
        client,
        &who,
        Request::new(reqwest::Method::GET, env.discovery_url.clone()),
        env.timeout,
    )
    .await;
    let doc = match (e.status(), e.json()) {
        (Some(200), Some(Value::Object(doc))) => doc,
        _ => {
            report.fail(
                "discovery",
                e.summary(),
                "holder.discovery_url must serve the OpenID Provider configuration (JSON, HTTP 200); check the URL and tls.ca_bundle",
            );
            return None;
        }
    };
    let member = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_string);
    let endpoints = ["issuer", "registration_endpoint", "token_endpoint"];
    let missing: Vec<&str> = endpoints
        .into_iter()
        .filter(|m| member(m).is_none())
        .collect();
    let registration = member("registration_endpoint").unwrap_or_default();
    if !missing.is_empty() {
        report.fail(
            "discovery",
            format!("HTTP 200 but no {}", missing.join(", ")),
            "the holder's discovery document must advertise these (CDS OIDC Provider Configuration)",
        );
    } else if !registration.starts_with("https://") {
        report.fail(
            "discovery",
            format!("registration_endpoint {registration:?} is not an https URL"),
            "advertise the registration endpoint as an absolute https URL on the mTLS host",
        );
    } else {
        report.add(
            Mark::Pass,
            "discovery",
            format!("HTTP 200; registration_endpoint {registration}"),
        );
    }
    clock(e.header("date"), before, report);
    Some(doc)
}

/// Clock offset from the `Date` header (whole seconds; the request's own time is allowed for).
fn clock(date: Option<&str>, sent: SystemTime, report: &mut Report) {
    let Some(date) = date else {
        report.fail(
            "clock",
            "the holder sent no Date header, so the offset is unknown",
            "a holder should send Date (RFC 9110 §6.6.1); compare clocks by hand",
        );
        return;
    };
    let Ok(theirs) = httpdate::parse_http_date(date) else {
        report.fail(
            "clock",
            format!("Date {date:?} is not an HTTP date"),
            "the holder's Date header must be an IMF-fixdate",
        );
        return;
    };
    let ours = sent;
    let offset = match theirs.duration_since(ours) {
        Ok(ahead) => ahead.as_secs_f64(),
        Err(behind) => -behind.duration().as_secs_f64(),
    };
    // The header has a resolution of one second: round towards zero by that second.
    let effective = (offset.abs() - 1.0).max(0.0);
    let detail = format!("holder clock {offset:+.0} s from ours (Date: {date})");
    if effective <= MAX_CLOCK_OFFSET.as_secs_f64() {
        report.add(Mark::Pass, "clock", detail);
    } else {
        report.fail(
            "clock",
            detail,
            format!(
                "more than {} s apart: synchronise this machine's clock (NTP); JWT iat/exp checks at the holder will misfire",
                MAX_CLOCK_OFFSET.as_secs()
            ),
        );
    }
}

/// TLS with each recipient's certificate (and the rogue one) to the registration endpoint's
/// host: an HTTP answer to GET proves the handshake.
async fn tls(env: &Arc<Environment>, url: &str, report: &mut Report) {
    for identity in &env.recipients {
        let name = &identity.product.name;
        let e = http::send(
            &identity.client,
            &format!("recipient {name}"),
            Request::new(reqwest::Method::GET, url.to_string()),
            env.timeout,
        )
        .await;
        match e.status() {
            Some(status) => report.add(
                Mark::Pass,
                format!("tls {name}"),
                format!(
                    "handshake with recipient {name}'s certificate (x5t#S256 {}) accepted; GET {url} → HTTP {status}",
                    identity.thumbprint
                ),
            ),
            None => report.fail(
                format!("tls {name}"),
                e.summary(),
                format!(
                    "check tls.ca_bundle holds the CA of the holder's server certificate, and that recipients[{}].certificate is issued by a CA the holder trusts and not expired",
                    if name == "A" { 0 } else { 1 }
                ),
            ),
        }
    }
}

/// The signing key's `kid` is in the JWKS at `uri`, with the same public key.
async fn jwks(
    who: &str,
    uri: &str,
    key: &dcr_vectors::SigningKey,
    env: &Arc<Environment>,
    report: &mut Report,
) {
    let name = format!("jwks {who}");
    // Built by `http`, so it follows no redirect: a 3xx fails the check naming its Location.
    let client = match http::client_trusting(None, None, env.timeout) {
        Ok(c) => c,
        Err(e) => {
            report.fail(
                name,
                e.to_string(),
                "internal error building an HTTP client",
            );
            return;
        }
    };
    let e = http::send(
        &client,
        "none",
        Request::new(reqwest::Method::GET, uri.to_string()),
        env.timeout,
    )
    .await;
    let Some(Value::Object(doc)) = e.json().filter(|_| e.status() == Some(200)) else {
        report.fail(
            name,
            e.summary(),
            "the JWKS must be reachable from here (and from the holder) with HTTP 200 and JSON",
        );
        return;
    };
    let Ok(ours) = key.public_jwk() else {
        report.fail(
            name,
            "the signing key has no public half",
            "check the key file",
        );
        return;
    };
    let found = doc
        .get("keys")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|k| k.get("kid").and_then(Value::as_str) == Some(key.kid()));
    match found {
        None => report.fail(
            name,
            format!("no key with kid {:?} at {uri}", key.kid()),
            "publish the signing key's public JWK with this kid, or correct the kid in the target file",
        ),
        Some(theirs) => {
            let same = ["n", "e", "x", "y", "crv"].iter().all(|m| {
                ours.parameter(m).and_then(|v| v.as_str())
                    == theirs.get(*m).and_then(Value::as_str)
            });
            if same {
                report.add(
                    Mark::Pass,
                    name,
                    format!("kid {:?} ({}) published at {uri}", key.kid(), key.alg().as_str()),
                );
            } else {
                report.fail(
                    name,
                    format!("kid {:?} at {uri} is a different public key", key.kid()),
                    "the published key must be the public half of the configured signing key",
                );
            }
        }
    }
}

/// A fixed SSA decodes, is its issuer's (the CDR Register, or the OB Directory for an SSA in
/// the Directory's format), is not expired, and names this JWKS.
fn ssa(identity: &crate::environment::RecipientIdentity, report: &mut Report) {
    let name = format!("ssa {}", identity.product.name);
    let Some(ssa) = &identity.ssa else {
        report.add(
            Mark::Pass,
            name,
            "minted per scenario with the Register's key (fresh software product each time)",
        );
        return;
    };
    let claims = match dcr_vectors::jose::decode_unverified(ssa) {
        Ok(u) => u.claims,
        Err(e) => {
            report.fail(
                name,
                format!("does not decode: {}", crate::redact::chain::chain(&e)),
                "the SSA source must yield a compact JWS from the CDR Register",
            );
            return;
        }
    };
    let now = dcr_vectors::time::now();
    // An OB Directory SSA (UK) names its recipient's keys software_jwks_endpoint and carries no
    // exp; a CDR Register SSA names them jwks_uri and expires within minutes.
    let directory = claims.contains_key("software_jwks_endpoint");
    let exp = claims.get("exp").and_then(Value::as_i64);
    let mut problems = Vec::new();
    match exp {
        None if directory => {}
        None => problems.push("no exp".to_string()),
        Some(exp) if exp <= now => problems.push(format!("expired {} s ago", now - exp)),
        Some(_) => {}
    }
    let (issuer, jwks_claim) = if directory {
        ("OpenBanking Ltd", "software_jwks_endpoint")
    } else {
        ("cdr-register", "jwks_uri")
    };
    if claims.get("iss").and_then(Value::as_str) != Some(issuer) {
        problems.push(format!("iss is {:?}, not {issuer:?}", claims.get("iss")));
    }
    let ssa_jwks = claims.get(jwks_claim).and_then(Value::as_str).unwrap_or("");
    if ssa_jwks != identity.jwks_uri {
        problems.push(format!(
            "its {jwks_claim} {ssa_jwks:?} is not the target file's {:?}",
            identity.jwks_uri
        ));
    }
    if problems.is_empty() {
        let age = match (exp, claims.get("iat").and_then(Value::as_i64)) {
            (Some(exp), _) => format!("expires in {} s", exp - now),
            (None, Some(iat)) => format!(
                "issued {} s ago, no exp (the holder applies its own window to iat)",
                now - iat
            ),
            (None, None) => "no iat and no exp".to_string(),
        };
        report.add(
            Mark::Pass,
            name,
            format!("software_id {}, {age}", identity.product.software_id),
        );
    } else if directory {
        report.fail(
            name,
            problems.join("; "),
            "obtain a fresh SSA from the OB Directory for this software statement, and use the software_jwks_endpoint it names",
        );
    } else {
        report.fail(
            name,
            problems.join("; "),
            "obtain a fresh SSA from the Register for this software product (SSAs live minutes), and use the jwks_uri it names",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_passes_within_the_limit_and_fails_beyond_it() {
        let now = SystemTime::now();
        let mut report = Report::default();
        clock(Some(&httpdate::fmt_http_date(now)), now, &mut report);
        let far = now + Duration::from_secs(120);
        clock(Some(&httpdate::fmt_http_date(far)), now, &mut report);
        clock(None, now, &mut report);
        let marks: Vec<Mark> = report.checks.iter().map(|c| c.mark).collect();
        assert_eq!(marks, vec![Mark::Pass, Mark::Fail, Mark::Fail]);
        let detail = &report.checks[1].detail;
        assert!(
            detail.contains("+119 s") || detail.contains("+120 s"),
            "{detail}"
        );
        assert!(!report.passed());
    }

    #[test]
    fn doctor_says_how_long_the_expiry_checks_wait() {
        let note = expiry_note(
            Some(Duration::from_secs(300)),
            Duration::from_secs(330),
            false,
        )
        .expect("they run");
        assert!(note.contains("waits about 302 s"), "{note}");
        assert!(note.contains("add up"), "{note}");
        // Skipped (too long, or no lifetime): the capabilities say why; no note.
        assert!(
            expiry_note(
                Some(Duration::from_secs(600)),
                Duration::from_secs(330),
                true
            )
            .is_none()
        );
        assert!(expiry_note(None, Duration::from_secs(330), true).is_none());
    }

    #[test]
    fn the_rendering_shows_marks_fixes_and_totals() {
        let mut report = Report {
            target: "t".into(),
            ..Report::default()
        };
        report.add(Mark::Pass, "discovery", "HTTP 200");
        report.fail("jwks A", "no key with kid \"x\"", "publish it");
        let text = report.render();
        assert!(text.contains("PASS  discovery"), "{text}");
        assert!(text.contains("FAIL  jwks A"), "{text}");
        assert!(text.contains("fix: publish it"), "{text}");
        assert!(text.contains("1 passed, 1 failed"), "{text}");
    }

    /// A recipient whose JWKS host cannot bind is reported, and the checks go on.
    #[tokio::test]
    async fn a_failed_set_up_does_not_stop_the_other_checks() {
        use dcr_vectors::{SigningAlg, SigningKey};
        let dir = std::env::temp_dir().join(format!("dcr-doctor-{}", uuid::Uuid::new_v4()));
        let pki = dcr_vectors::TestPki::generate(&[]).expect("pki");
        pki.write_to_dir(&dir).expect("pki files");
        for (file, kid) in [("register.jwk", "r1"), ("a.jwk", "a1")] {
            let key = SigningKey::generate(SigningAlg::Es256, kid).expect("key");
            std::fs::write(dir.join(file), key.private_jwk_json().expect("jwk")).expect("jwk");
        }
        let held = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let held_at = held.local_addr().expect("addr");
        let closed = std::net::TcpListener::bind("127.0.0.1:0")
            .expect("bind")
            .local_addr()
            .expect("addr")
            .port();
        let yaml = format!(
            r#"name: t
holder:
  discovery_url: https://127.0.0.1:{closed}/.well-known/openid-configuration
tls:
  ca_bundle: ca.pem
register:
  signing_key: {{ jwk: register.jwk }}
recipients:
  - name: A
    certificate: client-a.pem
    private_key: client-a.key
    signing_key: {{ jwk: a.jwk }}
    jwks: {{ serve: {{ bind: "{held_at}", public_url: "http://{held_at}/jwks" }} }}
"#
        );
        let path = dir.join("t.yaml");
        std::fs::write(&path, yaml).expect("target");
        let target = Target::load_with_env(&path, &|_| None).unwrap_or_else(|e| panic!("{e}"));
        let report = run(target, Duration::from_secs(5)).await;
        std::fs::remove_dir_all(&dir).ok();
        let text = report.render();
        let failed: Vec<&str> = report
            .checks
            .iter()
            .filter(|c| c.mark == Mark::Fail)
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(failed, ["set-up recipient A", "discovery"], "{text}");
        assert!(
            text.contains(&format!(
                "fix: recipients[0].jwks.serve.bind: {held_at} must be free"
            )),
            "{text}"
        );
        assert!(text.contains("INFO  tls"), "{text}");
        drop(held);
    }
}

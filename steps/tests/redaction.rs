//! Redaction, proven end to end: a run seeds canary secrets into real requests (a bearer token
//! and Basic credentials in `Authorization` headers, a client assertion in a token form body, a
//! registration access token and a private JWK member in a JSON body), through the probe steps,
//! which take them from environment variables so the feature text never holds them. Then no
//! file the run wrote (every report, every snapshot) and nothing it printed (stdout, stderr,
//! at the most verbose console level) may contain any canary, while the reports must show that
//! the secrets were there and were redacted. A second run targets a hostile holder that
//! reflects the credentials it refused, verbatim and without their scheme, in its JSON error
//! body and its `WWW-Authenticate` challenge: again no report file holds them.

mod support;

use std::path::Path;

const CANARIES: &[(&str, &str)] = &[
    ("DCR_CANARY_BEARER", "CANARYbearer7f3a9c1d"),
    ("DCR_CANARY_BASIC", "Q0FOQVJZYmFzaWM6c2VjcmV0"),
    ("DCR_CANARY_ASSERTION", "CANARYassertion52e8b0"),
    ("DCR_CANARY_RAT", "CANARYrat9d41c7"),
    ("DCR_CANARY_JWK_D", "CANARYjwkd03b6e"),
];

const FEATURE: &str = r#"@area:security
Feature: Redaction canaries
  Secrets seeded into requests must not reach any report, snapshot or console line.

  Rule: DCR-REQ-090 probes carrying secrets leave no secret in any report

    @id:RED-001 @DCR-REQ-090 @REC
    Scenario: Canaries in headers, a form body and a JSON body
      When a request with header "Authorization" set to "Bearer ${DCR_CANARY_BEARER}" is sent to the registration endpoint
      And a request with header "Authorization" set to "Basic ${DCR_CANARY_BASIC}" is sent to the registration endpoint
      And the form "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${DCR_CANARY_ASSERTION}&scope=cdr%3Aregistration" is posted to the token endpoint
      And this JSON is posted to the registration endpoint:
        """
        {"registration_access_token": "${DCR_CANARY_RAT}", "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "x", "y": "y", "d": "${DCR_CANARY_JWK_D}"}]}}
        """
      Then the response status is 299

    @id:RED-002 @DCR-REQ-090 @REC
    Scenario: A snapshot of a probe's response differs from the stored one
      When a request with header "Authorization" set to "Bearer ${DCR_CANARY_BEARER}" is sent to the registration endpoint
      Then the response body matches the snapshot "redaction-probe"
"#;

const STORED_SNAPSHOT: &str =
    "---\nsource: features\n---\n{\n  \"error\": \"seeded-to-differ\"\n}\n";

/// A features folder under `dir` with the repository's catalogue and the profiles a run needs.
fn features_with_catalogue(dir: &Path) -> std::path::PathBuf {
    let features = dir.join("features");
    std::fs::create_dir_all(features.join("profiles")).expect("features");
    std::fs::copy(
        support::fixture_features().join("catalogue.yaml"),
        features.join("catalogue.yaml"),
    )
    .expect("catalogue");
    for profile in ["cds-au", "mock-compat"] {
        let file = format!("profiles/{profile}.yaml");
        std::fs::copy(
            support::fixture_features().join(&file),
            features.join(&file),
        )
        .expect("profile");
    }
    features
}

fn setup(dir: &Path) -> std::path::PathBuf {
    let features = features_with_catalogue(dir);
    std::fs::write(features.join("redaction.feature"), FEATURE).expect("feature");
    let snapshots = dir.join("snapshots/mock-holder/cds-au");
    std::fs::create_dir_all(&snapshots).expect("snapshots");
    std::fs::write(snapshots.join("redaction-probe.snap"), STORED_SNAPSHOT).expect("snapshot");
    features
}

/// No canary reaches a report, a snapshot, or the console; the reports show them redacted.
#[test]
fn seeded_secrets_appear_in_no_report_snapshot_or_log() {
    let dir = support::scratch("redaction");
    let features = setup(&dir);
    let out = support::run(&features, &dir, &["--progress", "lines", "-vv"], CANARIES);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    // Both scenarios fail at REC level: warnings, so the run itself passes.
    assert_eq!(
        out.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );

    let written = support::files_under(&dir.join("reports"))
        .into_iter()
        .chain(support::files_under(&dir.join("snapshots")))
        .collect::<Vec<_>>();
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in [
        "summary.json",
        "junit.xml",
        "cucumber.json",
        "report.html",
        "exchanges.json",
        "redaction-probe.snap.new",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} was not written: {names:?}"
        );
    }
    let mut leaks = Vec::new();
    for path in &written {
        let bytes = std::fs::read(path).expect("read");
        let text = String::from_utf8_lossy(&bytes);
        for (_, canary) in CANARIES {
            if text.contains(canary) {
                leaks.push(format!("{} contains {canary}", path.display()));
            }
        }
    }
    for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        for (_, canary) in CANARIES {
            if text.contains(canary) {
                leaks.push(format!("{stream} contains {canary}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));

    // The secrets were sent, and the reports show where they were, redacted.
    let html = std::fs::read_to_string(dir.join("reports/report.html")).expect("html");
    for shown in [
        "Bearer [redacted]",
        "Basic [redacted]",
        "client_assertion=[redacted]",
        "registration_access_token",
    ] {
        assert!(html.contains(shown), "report.html does not show {shown:?}");
    }
    // exchanges.json holds the same exchanges, redacted the same way, for machines.
    let exchanges: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("reports/exchanges.json")).expect("exchanges.json"),
    )
    .expect("exchanges.json is JSON");
    assert_eq!(exchanges["schema"], "dcr-conformance/exchanges");
    let red001 = exchanges["scenarios"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == "RED-001"))
        .expect("RED-001 in exchanges.json");
    let text = red001.to_string();
    for shown in [
        "Bearer [redacted]",
        "Basic [redacted]",
        "client_assertion=[redacted]",
        "registration_access_token",
    ] {
        assert!(
            text.contains(shown),
            "exchanges.json does not show {shown:?}"
        );
    }
    let json_exchanges: usize = exchanges["scenarios"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|s| s["exchanges"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    assert!(json_exchanges >= 5, "{json_exchanges} exchanges");
    // The snapshot mismatch's diff is in the HTML report, coloured as a diff.
    let diff = regex::Regex::new(r#"<span class="del">-[^<]*seeded-to-differ"#).expect("regex");
    assert!(
        diff.is_match(&html),
        "report.html does not show the snapshot diff"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A bearer token (a JWT, so its signature is a secret even where no pattern names it) and
/// Basic credentials that a hostile holder reflects verbatim, without their scheme, in the
/// `error_description` of a JSON error body and in `WWW-Authenticate`.
const REFLECTED: &[(&str, &str)] = &[
    (
        "DCR_CANARY_REFLECTED_JWT",
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJjYW5hcnkifQ.CANARYreflectedSignature0123456789abcdef",
    ),
    (
        "DCR_CANARY_REFLECTED_BASIC",
        "Q0FOQVJZcmVmbGVjdGVkOnNlY3JldA",
    ),
];

const REFLECTING_FEATURE: &str = r#"@area:security
Feature: Reflected canaries
  A holder that echoes the credentials it refused must not get them into any report.

  Rule: DCR-REQ-090 probes carrying secrets leave no secret in any report

    @id:RED-003 @DCR-REQ-090 @REC
    Scenario: The holder reflects the bearer token and the Basic credentials
      When a request with header "Authorization" set to "Bearer ${DCR_CANARY_REFLECTED_JWT}" is sent to the registration endpoint
      And a request with header "Authorization" set to "Basic ${DCR_CANARY_REFLECTED_BASIC}" is sent to the registration endpoint
      Then the response status is 299
"#;

/// The secret parts of the canaries: the whole values, and the JWT's signature alone.
fn reflected_secrets() -> Vec<&'static str> {
    let mut out: Vec<&str> = REFLECTED.iter().map(|(_, v)| *v).collect();
    out.push("CANARYreflectedSignature0123456789abcdef");
    out
}

/// A holder reflecting the credential it was sent (in its JSON error body and its challenge):
/// no report file, and nothing printed, holds the credential or the JWT's signature, and the
/// report still shows the error body.
#[test]
fn a_credential_reflected_in_a_json_error_body_appears_in_no_report() {
    let dir = support::scratch("reflected");
    let pki = support::target_material(&dir);
    let features = features_with_catalogue(&dir);
    std::fs::write(features.join("reflected.feature"), REFLECTING_FEATURE).expect("feature");

    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let own_port = std::sync::Arc::new(std::sync::OnceLock::new());
    let port_seen = own_port.clone();
    let port = runtime.block_on(support::serve_https(&pki, move |request| {
        if request.path().contains("openid-configuration") {
            let port = port_seen.get().copied().unwrap_or_default();
            return support::json_response(200, "", &support::discovery_document(port));
        }
        let credential = request
            .header("authorization")
            .and_then(|v| v.split_once(' ').map(|(_, c)| c.to_string()))
            .unwrap_or_default();
        let body = serde_json::json!({
            "error": "invalid_token",
            "error_description": format!("The token {credential} is not valid"),
        })
        .to_string();
        support::json_response(
            401,
            &format!(
                "www-authenticate: Bearer error=\"invalid_token\", error_description=\"token {credential}\"\r\n"
            ),
            &body,
        )
    }));
    own_port.set(port).expect("set once");
    let target = support::target_file(&dir, "reflecting", port, 3);
    let reports = dir.join("reports");
    let out = support::run_target(
        &target,
        &reports,
        &[
            "--features",
            features.to_str().expect("utf8"),
            "--snapshots",
            dir.join("snapshots").to_str().expect("utf8"),
            "-vv",
        ],
        REFLECTED,
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let written = support::files_under(&reports);
    let names: Vec<String> = written
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    for expected in ["summary.json", "junit.xml", "cucumber.json", "report.html"] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} was not written: {names:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
    }
    let mut leaks = Vec::new();
    for path in &written {
        let text = String::from_utf8_lossy(&std::fs::read(path).expect("read")).into_owned();
        for secret in reflected_secrets() {
            if text.contains(secret) {
                leaks.push(format!("{} contains {secret}", path.display()));
            }
        }
    }
    for (stream, text) in [("stdout", &stdout), ("stderr", &stderr)] {
        for secret in reflected_secrets() {
            if text.contains(secret) {
                leaks.push(format!("{stream} contains {secret}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
    // The reflected error body was shown, with the credential removed.
    let html = std::fs::read_to_string(reports.join("report.html")).expect("html");
    assert!(
        html.contains("invalid_token") && html.contains("is not valid"),
        "report.html does not show the error body"
    );
    std::fs::remove_dir_all(&dir).ok();
}

//! `dcr-conformance inspect` on the WSO2 sample tokens in `vectors/samples/` (see its README),
//! with a fixed time reference: the text output is pinned by insta snapshots, the exit code
//! says whether a failure was found, and no signature ever reaches the output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// 2026-01-01T00:00:00Z: after the samples' requests expired, before their SSAs do (2038).
const NOW: &str = "2026-01-01T00:00:00Z";

const SAMPLES: &[&str] = &[
    "wso2-ob14-dcr-0.1-registration-request.jwt",
    "wso2-ob14-dcr-0.1-ssa.jwt",
    "wso2-cds-toolkit-dcr-0.2-registration-request.jwt",
    "wso2-accelerator-ssa.jwt",
    "wso2-accelerator-registration-request.jwt",
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sample(name: &str) -> String {
    format!("vectors/samples/{name}")
}

/// Runs `dcr-conformance inspect` from the repository root (so paths print as given).
fn inspect(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dcr-conformance"))
        .current_dir(repo_root())
        .arg("inspect")
        .args(args)
        .output()
        .expect("run dcr-conformance inspect")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// The WSO2 OB 1.4 sample request: expired, hybrid, a jwt-bearer grant and an iss that is not
/// the SSA's software_id, so a conforming holder refuses it (exit 1).
#[test]
fn the_wso2_0_1_sample_request_fails_and_its_text_output_is_pinned() {
    let out = inspect(&[
        &sample("wso2-ob14-dcr-0.1-registration-request.jwt"),
        "--now",
        NOW,
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    snapshot("inspect_wso2_ob14_registration_request", &stdout(&out));
}

/// The accelerator sample SSA only draws warnings at this time reference (exit 0).
#[test]
fn the_wso2_accelerator_sample_ssa_passes_with_warnings() {
    let out = inspect(&[&sample("wso2-accelerator-ssa.jwt"), "--now", NOW]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    snapshot("inspect_wso2_accelerator_ssa", &stdout(&out));
}

/// Seed 004's accelerator sample request (an OB Directory SSA) under the profile of its release
/// and under UK DCR 3.2: the accelerator does not compare the request's redirect URIs with the
/// SSA's (its own sample registers others), so only UK DCR fails it; a grant type outside UK
/// DCR's is a warning under both (an ASPSP may register without it). The text output under the
/// release's profile is pinned.
#[test]
fn the_wso2_accelerator_sample_request_passes_its_release_and_fails_uk_dcr() {
    let file = sample("wso2-accelerator-registration-request.jwt");
    let release = inspect(&[&file, "--now", NOW, "--profile", "wso2-accelerator-3"]);
    let text = stdout(&release);
    assert_eq!(release.status.code(), Some(0), "{text}");
    assert!(findings(&text, "FAIL").is_empty(), "{text}");
    let warned: Vec<&str> = findings(&text, "WARN");
    assert!(
        warned
            .iter()
            .any(|l| l.contains("UK-REQ-032") && l.contains("not checked by this release")),
        "{text}"
    );
    assert!(warned.iter().any(|l| l.contains("UK-REQ-037")), "{text}");
    snapshot("inspect_wso2_accelerator_registration_request", &text);
    let uk = inspect(&[&file, "--now", NOW, "--profile", "uk-obie-3.2"]);
    let uk_text = stdout(&uk);
    assert_eq!(uk.status.code(), Some(1), "{uk_text}");
    let failed = findings(&uk_text, "FAIL");
    assert_eq!(failed.len(), 1, "{uk_text}");
    assert!(failed[0].contains("UK-REQ-032"), "{uk_text}");
    // The UK checks cite UK rules only.
    assert!(!uk_text.contains("DCR-REQ-"), "{uk_text}");
}

/// Under mock-compat the reference implementation's IMPL rules join in.
#[test]
fn mock_compat_adds_the_impl_rules() {
    let file = sample("wso2-cds-toolkit-dcr-0.2-registration-request.jwt");
    let cds = stdout(&inspect(&[&file, "--now", NOW]));
    let compat = stdout(&inspect(&[&file, "--now", NOW, "--profile", "mock-compat"]));
    assert!(!cds.contains("DCR-REQ-029"), "{cds}");
    assert!(compat.contains("INFO DCR-REQ-029 [IMPL]"), "{compat}");
}

/// The JSON output is one document with the same findings, and says nothing was verified.
#[test]
fn json_output_is_machine_readable() {
    let out = inspect(&[
        &sample("wso2-ob14-dcr-0.1-registration-request.jwt"),
        "--now",
        "1767225600",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(json["signatures_verified"], false);
    assert_eq!(json["now_utc"], NOW);
    assert_eq!(json["tokens"][0]["kind"], "registration_request");
    assert_eq!(json["tokens"][0]["nested"][0]["kind"], "software_statement");
    let fails: Vec<&str> = json["tokens"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["status"] == "fail")
        .map(|f| f["rules"][0]["id"].as_str().expect("rule id"))
        .collect();
    assert_eq!(
        fails,
        ["DCR-REQ-015", "DCR-REQ-018", "DCR-REQ-034", "DCR-REQ-037"]
    );
    assert_eq!(json["counts"]["fail"], 4);
}

/// Whatever the format, the signature of a sample or of its nested SSA is never printed.
#[test]
fn signatures_are_never_printed() {
    for name in SAMPLES {
        let token = std::fs::read_to_string(repo_root().join(sample(name))).expect("sample");
        let mut signatures = vec![token.trim().rsplit('.').next().expect("sig").to_string()];
        let payload = token.split('.').nth(1).expect("payload");
        let claims: serde_json::Value =
            serde_json::from_slice(&dcr_vectors::jose::unb64(payload).expect("base64url"))
                .expect("claims");
        if let Some(ssa) = claims["software_statement"].as_str() {
            signatures.push(ssa.rsplit('.').next().expect("sig").to_string());
        }
        for format in ["text", "json"] {
            let out = stdout(&inspect(&[&sample(name), "--now", NOW, "--format", format]));
            assert!(out.contains("not verified"), "{name} {format}");
            for s in &signatures {
                assert!(
                    !out.contains(s.as_str()),
                    "{name} {format}: signature printed"
                );
            }
        }
    }
}

/// A token given as the argument, or on standard input with `-`, is inspected the same way.
#[test]
fn the_token_can_be_the_argument_or_standard_input() {
    let file = sample("wso2-accelerator-ssa.jwt");
    let token = std::fs::read_to_string(repo_root().join(&file)).expect("sample");
    let from_file = stdout(&inspect(&[&file, "--now", NOW]));
    let from_arg = stdout(&inspect(&[token.trim(), "--now", NOW]));
    let mut child = Command::new(env!("CARGO_BIN_EXE_dcr-conformance"))
        .args(["inspect", "-", "--now", NOW])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(token.as_bytes()).expect("write");
    }
    let from_stdin = stdout(&child.wait_with_output().expect("wait"));
    let body = |s: &str| s.lines().skip(1).collect::<Vec<_>>().join("\n");
    assert!(
        from_arg.starts_with("inspect: the argument\n"),
        "{from_arg}"
    );
    assert!(
        from_stdin.starts_with("inspect: standard input\n"),
        "{from_stdin}"
    );
    assert_eq!(body(&from_arg), body(&from_file));
    assert_eq!(body(&from_stdin), body(&from_file));
}

/// Usage errors exit 2 with a message saying what was expected.
#[test]
fn usage_errors_exit_2_and_say_what_was_expected() {
    let cases: [(&[&str], &str); 4] = [
        (&["no-such-file.jwt"], "expected a compact JWT"),
        (&["Cargo.toml"], "holds no compact JWT"),
        (
            &[
                "vectors/samples/wso2-accelerator-ssa.jwt",
                "--profile",
                "uk",
            ],
            "unknown profile; valid profiles: cds-au,",
        ),
        (
            &["vectors/samples/README.md", "--now", "tomorrow"],
            "RFC 3339",
        ),
    ];
    for (args, message) in cases {
        let out = inspect(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// Lines of the text output that are findings with `status` (FAIL, WARN, ...).
fn findings<'a>(text: &'a str, status: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.trim_start().starts_with(&format!("{status} ")))
        .collect()
}

/// Seed 003's sample request, inspected as WSO2's CDS toolkit 0.2 would take it (at the time
/// its sample response was issued, against the identity server that is its audience): one
/// failure, the hybrid response type, cited with the release's own rule and string.
#[test]
fn the_wso2_0_2_sample_request_under_its_profile_fails_only_for_its_hybrid_response_type() {
    let out = inspect(&[
        &sample("wso2-cds-toolkit-dcr-0.2-registration-request.jwt"),
        "--now",
        "1649137285",
        "--issuer",
        "https://localhost:9446/oauth2/token",
        "--profile",
        "wso2-cds-0.2",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let fails = findings(&text, "FAIL");
    assert_eq!(fails.len(), 1, "{text}");
    assert!(
        fails[0].contains("DCR-REQ-037") && fails[0].contains("WSO2-CDS02-013 [IMPL]"),
        "{}",
        fails[0]
    );
    assert!(text.contains("profile wso2-cds-0.2"), "{text}");
}

/// The same request is a well-formed hybrid-era registration: no failure under cds-au-hybrid.
#[test]
fn the_wso2_0_2_sample_request_is_a_valid_hybrid_era_registration() {
    let out = inspect(&[
        &sample("wso2-cds-toolkit-dcr-0.2-registration-request.jwt"),
        "--now",
        "1649137285",
        "--issuer",
        "https://localhost:9446/oauth2/token",
        "--profile",
        "cds-au-hybrid",
    ]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(findings(&text, "FAIL").is_empty(), "{text}");
    assert!(text.contains("DCR-REQ-050"), "{text}");
}

/// Seed 000's sample request registered on WSO2 Open Banking 1.4, as its page shows: under
/// that release's profile, before its exp, nothing fails; what the release does not check is
/// a warning that says so. Under cds-au the same request still fails where it did.
#[test]
fn the_wso2_0_1_sample_request_has_no_failure_under_its_release() {
    let file = sample("wso2-ob14-dcr-0.1-registration-request.jwt");
    let out = inspect(&[&file, "--now", "1574233558", "--profile", "wso2-ob-au-0.1"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(findings(&text, "FAIL").is_empty(), "{text}");
    let iss = findings(&text, "WARN")
        .into_iter()
        .find(|l| l.contains("DCR-REQ-015"))
        .expect("the iss finding");
    assert!(iss.contains("not checked by this release"), "{iss}");
    let cds = inspect(&[&file, "--now", "1574233558"]);
    let cds_text = stdout(&cds);
    assert_eq!(cds.status.code(), Some(1), "{cds_text}");
    let fails = findings(&cds_text, "FAIL");
    for rule in ["DCR-REQ-015", "DCR-REQ-034", "DCR-REQ-037"] {
        assert!(fails.iter().any(|l| l.contains(rule)), "{rule}: {cds_text}");
    }
}

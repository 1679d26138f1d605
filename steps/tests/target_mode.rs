//! The path a bank's user takes: the mock holder runs as its own process from its own config
//! file, as a bank's server would, and the suite reaches it only through a target file
//! (`doctor --target`, `run --target`).
//!
//! * With the Register's key in the target file (a sandbox), the results are the embedded
//!   run's, scenario for scenario.
//! * With fixed software statements (a production-like target), scenarios that need the
//!   Register's key, a second recipient, the clock skew or a token expiry are skipped with their
//!   reasons, none counts as passed, and the rest pass one at a time, each deleting what it
//!   registered.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use dcr_vectors::{SigningAlg, SigningKey, TestPki};
use serde_json::Value;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The `mock-holder` binary cargo built beside ours (`cargo test --workspace` builds it for
/// the mock holder's own tests).
fn holder_binary() -> PathBuf {
    let ours = Path::new(env!("CARGO_BIN_EXE_dcr-conformance"));
    let theirs = ours.with_file_name(format!("mock-holder{}", std::env::consts::EXE_SUFFIX));
    assert!(
        theirs.exists(),
        "{} is missing: run `cargo test --workspace` (or `cargo build -p mock-holder`) first",
        theirs.display()
    );
    theirs
}

/// A mock holder process, killed on drop.
struct Holder {
    child: Child,
    log: PathBuf,
}

impl Drop for Holder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything one scenario of this file needs: a PKI and keys on disk, a holder process
/// configured from a file, and ports for the JWKS hosts the suite will run.
struct Sandbox {
    dir: PathBuf,
    register_port: u16,
    holder_public: u16,
    holder: Holder,
}

impl Sandbox {
    fn start(name: &str) -> Self {
        Self::start_with(name, None)
    }

    /// A sandbox whose holder runs with `defect` injected (see mock-holder/defects.yaml).
    fn start_with(name: &str, defect: Option<&str>) -> Self {
        let dir = support::scratch(name);
        TestPki::generate(&[])
            .expect("pki")
            .write_to_dir(&dir)
            .expect("pki files");
        let register = SigningKey::generate(SigningAlg::Ps256, "register-1").expect("key");
        let a = SigningKey::generate(SigningAlg::Ps256, "a-sig-1").expect("key");
        let b = SigningKey::generate(SigningAlg::Es256, "b-sig-1").expect("key");
        let write = |file: &str, text: &str| std::fs::write(dir.join(file), text).expect("write");
        write("register.jwk", &register.private_jwk_json().expect("jwk"));
        write("a-sig.pem", &a.private_pem().expect("pem"));
        write("b-sig.jwk", &b.private_jwk_json().expect("jwk"));

        let (register_port, holder_public, holder_mtls) = (free_port(), free_port(), free_port());
        let config = format!(
            "listen: {{public: '127.0.0.1:{holder_public}', mtls: '127.0.0.1:{holder_mtls}'}}\n\
             tls: {{ca: ca.pem, cert: server.pem, key: server.key}}\n\
             register_jwks_uri: http://127.0.0.1:{register_port}/cdr-register/v1/jwks\n\
             database: {db}\n\
             clock_skew_seconds: 60\n\
             token_lifetime_seconds: 8\n{defect}",
            db = dir.join("holder.db").display(),
            defect = defect.map(|d| format!("defect: {d}\n")).unwrap_or_default(),
        );
        write("holder.yaml", &config);
        let log = dir.join("holder.log");
        let child = Command::new(holder_binary())
            .current_dir(&dir)
            .args(["serve", "--config", "holder.yaml"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log"))
            .spawn()
            .expect("the mock-holder binary starts");
        let mut holder = Holder { child, log };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", holder_public)).is_err() {
            if let Ok(Some(status)) = holder.child.try_wait() {
                panic!(
                    "mock-holder exited with {status}: {}",
                    std::fs::read_to_string(&holder.log).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "mock-holder did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            dir,
            register_port,
            holder_public,
            holder,
        }
    }

    fn discovery_url(&self) -> String {
        format!(
            "https://127.0.0.1:{}/.well-known/openid-configuration",
            self.holder_public
        )
    }

    /// A sandbox target: the Register's key, both recipients, every capability declared.
    fn sandbox_target(&self) -> PathBuf {
        let (a_port, b_port) = (free_port(), free_port());
        let text = format!(
            r#"# The process-separated mock holder, as a sandbox where we hold the Register's key.
name: mock-holder
holder:
  discovery_url: {discovery}
  supports_delete: true
  clock_skew_seconds: 60
  token_lifetime_seconds: 8
tls:
  ca_bundle: ca.pem
register:
  signing_key: {{ jwk: register.jwk }}
  jwks_host: {{ bind: "127.0.0.1:{register}", public_url: "http://127.0.0.1:{register}/cdr-register/v1/jwks" }}
recipients:
  - name: A
    certificate: client-a.pem
    private_key: ${{DCR_TEST_A_KEY}}
    signing_key: {{ pem: a-sig.pem, kid: a-sig-1, alg: PS256 }}
    jwks: {{ serve: {{ bind: "127.0.0.1:{a_port}", public_url: "http://127.0.0.1:{a_port}/a/jwks" }} }}
  - name: B
    certificate: client-b.pem
    private_key: client-b.key
    signing_key: {{ jwk: b-sig.jwk }}
    jwks: {{ serve: {{ bind: "127.0.0.1:{b_port}", public_url: "http://127.0.0.1:{b_port}/b/jwks" }} }}
run:
  concurrency: 4
  timeout_seconds: 10
"#,
            discovery = self.discovery_url(),
            register = self.register_port,
        );
        let path = self.dir.join("target.yaml");
        std::fs::write(&path, text).expect("target file");
        path
    }

    fn suite(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_dcr-conformance"))
            .args(args)
            .env("DCR_TEST_A_KEY", self.dir.join("client-a.key"))
            .env_remove("CI")
            .env("INSTA_UPDATE", "no")
            .output()
            .expect("dcr-conformance runs")
    }

    fn run(&self, target: &Path, extra: &[&str]) -> (Output, Value) {
        let reports = self.dir.join(format!("reports-{}", uuid::Uuid::new_v4()));
        // The sandbox holder is another target than the embedded one whose answers the
        // repository pins (its token step, for one, cannot shorten lifetimes): its own folder.
        let snapshots = self.dir.join("snapshots");
        let mut args = vec![
            "run",
            "--target",
            target.to_str().expect("utf-8 path"),
            "--report-dir",
            reports.to_str().expect("utf-8 path"),
            "--snapshots",
            snapshots.to_str().expect("utf-8 path"),
            "--progress",
            "off",
        ];
        args.extend_from_slice(extra);
        let out = self.suite(&args);
        let summary = std::fs::read_to_string(reports.join("summary.json")).unwrap_or_else(|e| {
            panic!(
                "no summary.json ({e}); stderr:\n{}\nholder log:\n{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(&self.holder.log).unwrap_or_default()
            )
        });
        (
            out,
            serde_json::from_str(&summary).expect("summary.json is JSON"),
        )
    }
}

/// Scenario verdicts of a summary: `location -> verdict`.
fn verdicts(summary: &Value) -> BTreeMap<String, String> {
    summary["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .map(|s| {
            (
                format!(
                    "{} {}",
                    s["id"].as_str().unwrap_or(""),
                    s["name"].as_str().unwrap_or("")
                ),
                s["verdict"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// The verdict of the scenario `id` whose name contains `name_part` (an outline row).
fn verdict_of(summary: &Value, id: &str, name_part: &str) -> String {
    summary["scenarios"]
        .as_array()
        .expect("scenarios")
        .iter()
        .find(|s| s["id"] == id && s["name"].as_str().unwrap_or("").contains(name_part))
        .map(|s| s["verdict"].as_str().unwrap_or("").to_string())
        .unwrap_or_else(|| panic!("no scenario {id} ({name_part})"))
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_sandbox_target_gives_the_embedded_results() {
    let sandbox = Sandbox::start("target-sandbox");
    let target = sandbox.sandbox_target();

    let doctor = sandbox.suite(&["doctor", "--target", target.to_str().expect("path")]);
    let doctor_text = text(&doctor);
    println!("{doctor_text}");
    assert_eq!(doctor.status.code(), Some(0), "{doctor_text}");
    for check in [
        "PASS  discovery",
        "PASS  tls A",
        "PASS  tls B",
        "PASS  jwks A",
        "PASS  jwks B",
        "PASS  jwks Register",
        "PASS  clock",
    ] {
        assert!(
            doctor_text.contains(check),
            "missing {check:?}:\n{doctor_text}"
        );
    }
    // The holder offers JARM encryption (its discovery says so): doctor names the side that
    // will be skipped, as the run skips it.
    assert!(
        doctor_text.contains("scenarios needing no-jarm-encryption")
            && !doctor_text.contains("scenarios needing jarm-encryption"),
        "{doctor_text}"
    );

    let (out, through_target) = sandbox.run(&target, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let embedded_reports = sandbox.dir.join("embedded");
    // The committed snapshots of the embedded holder (cargo runs tests in `steps/`).
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots");
    let embedded = sandbox.suite(&[
        "run",
        "--report-dir",
        embedded_reports.to_str().expect("path"),
        "--snapshots",
        committed.to_str().expect("path"),
        "--progress",
        "off",
    ]);
    assert_eq!(embedded.status.code(), Some(0), "{}", text(&embedded));
    let embedded: Value = serde_json::from_str(
        &std::fs::read_to_string(embedded_reports.join("summary.json")).expect("summary"),
    )
    .expect("json");

    let (ours, theirs) = (verdicts(&through_target), verdicts(&embedded));
    assert!(ours.len() > 150, "only {} scenarios ran", ours.len());
    assert_eq!(ours, theirs, "the target run differs from the embedded run");
    assert_eq!(
        through_target["counts"], embedded["counts"],
        "totals differ"
    );
}

/// A target for `sandbox` as a real Data Holder is run: recipient A holds one SSA the Register
/// issued (the suite has no Register key and cannot mint others), and the Register's JWKS is
/// served for the holder by the returned server (keep it alive).
fn fixed_ssa_target(sandbox: &Sandbox) -> (PathBuf, tokio::runtime::Runtime, wiremock::MockServer) {
    // The Register issues recipient A one SSA: the suite cannot mint others.
    let register_key: SigningKey = SigningKey::from_private_jwk(
        &std::fs::read_to_string(sandbox.dir.join("register.jwk")).expect("jwk"),
        None,
        None,
    )
    .expect("register key");
    let a_port = free_port();
    let a_jwks = format!("http://127.0.0.1:{a_port}/a/jwks");
    let template = dcr_vectors::SsaTemplate::load().expect("template");
    let recipient = dcr_vectors::templates::software_products().expect("recipients")[0].clone();
    let claims = template
        .claims(
            &recipient,
            &a_jwks,
            "https://a.recipient.example",
            dcr_vectors::time::now(),
        )
        .expect("claims");
    let ssa = dcr_vectors::jose::sign_claims(&claims, &register_key).expect("ssa");
    std::fs::write(sandbox.dir.join("a.ssa"), &ssa).expect("ssa file");

    // The Register's JWKS must still be served for the holder: a plain file server stands in.
    let register_jwks = dcr_vectors::keys::public_jwks([&register_key]).expect("jwks");
    let register_port = sandbox.register_port;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let register = runtime.block_on(async move {
        let listener = std::net::TcpListener::bind(("127.0.0.1", register_port)).expect("bind");
        let server = wiremock::MockServer::builder()
            .listener(listener)
            .start()
            .await;
        wiremock::Mock::given(wiremock::matchers::path("/cdr-register/v1/jwks"))
            .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(register_jwks))
            .mount(&server)
            .await;
        server
    });

    let text_of_target = format!(
        r#"name: mock-holder
holder:
  discovery_url: {discovery}
tls:
  ca_bundle: ca.pem
recipients:
  - name: A
    certificate: client-a.pem
    private_key: client-a.key
    signing_key: {{ pem: a-sig.pem, kid: a-sig-1, alg: PS256 }}
    jwks: {{ serve: {{ bind: "127.0.0.1:{a_port}", public_url: "{a_jwks}" }} }}
    ssa: {{ file: a.ssa }}
"#,
        discovery = sandbox.discovery_url()
    );
    let target = sandbox.dir.join("fixed.yaml");
    std::fs::write(&target, text_of_target).expect("target");
    (target, runtime, register)
}

#[test]
fn fixed_software_statements_skip_what_they_cannot_provide_and_pass_the_rest() {
    let sandbox = Sandbox::start("target-fixed");
    let (target, _runtime, _register) = fixed_ssa_target(&sandbox);
    let doctor = sandbox.suite(&["doctor", "--target", target.to_str().expect("path")]);
    let doctor_text = text(&doctor);
    assert_eq!(doctor.status.code(), Some(0), "{doctor_text}");
    assert!(doctor_text.contains("PASS  ssa A"), "{doctor_text}");
    assert!(doctor_text.contains("INFO  skipped"), "{doctor_text}");

    let (out, summary) = sandbox.run(&target, &[]);
    let out_text = text(&out);
    assert_eq!(out.status.code(), Some(0), "{out_text}");
    let scenarios = summary["scenarios"].as_array().expect("scenarios");
    let skipped: Vec<&Value> = scenarios
        .iter()
        .filter(|s| s["verdict"] == "skipped")
        .collect();
    let passed = scenarios
        .iter()
        .filter(|s| s["verdict"] == "passed")
        .count();
    assert!(
        !skipped.is_empty() && passed > 50,
        "skipped {} passed {passed}\n{out_text}",
        skipped.len()
    );
    for s in &skipped {
        let reason = s["reason"].as_str().unwrap_or("");
        assert!(
            reason.starts_with("not run on this target: needs "),
            "a skip without its reason: {s}"
        );
    }
    assert_eq!(
        summary["counts"]["skipped"].as_u64(),
        Some(skipped.len() as u64)
    );
    let skipped_ids: Vec<&str> = skipped.iter().filter_map(|s| s["id"].as_str()).collect();
    // Each kind of need is represented.
    for (id, need) in [
        ("SSA-004", "register-key"),
        ("MGT-006", "second-recipient"),
        ("MGT-009", "token-expiry"),
    ] {
        let s = skipped
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("{id} not skipped; skipped: {skipped_ids:?}"));
        assert!(s["reason"].as_str().unwrap_or("").contains(need), "{s}");
    }
    // Signature-level SSA mutations are made from the issued SSA, without the Register's key.
    let verdict_of = |id: &str, name_part: &str| verdict_of(&summary, id, name_part);
    for (id, name_part) in [
        ("SSA-001", "impostor"),
        ("SSA-002", "alg-none"),
        ("SSA-002", "tampered-payload"),
    ] {
        assert_eq!(verdict_of(id, name_part), "passed", "{id} ({name_part})");
    }
    assert_eq!(verdict_of("SSA-002", "kid-missing"), "skipped");
}

#[test]
fn ssa_mutations_made_from_an_issued_ssa_catch_a_holder_that_skips_the_ssa_signature() {
    let sandbox = Sandbox::start_with("target-fixed-defect", Some("skip-ssa-signature"));
    let (target, _runtime, _register) = fixed_ssa_target(&sandbox);
    let (out, summary) = sandbox.run(&target, &["--rule", "DCR-REQ-022"]);
    let out_text = text(&out);
    assert_eq!(out.status.code(), Some(1), "{out_text}");
    let verdict_of = |id: &str, name_part: &str| verdict_of(&summary, id, name_part);
    // The defect skips verifying the signature; the holder's check of the header's alg still
    // refuses alg none, so that row passes here.
    for (id, name_part) in [("SSA-001", "impostor"), ("SSA-002", "tampered-payload")] {
        assert_eq!(
            verdict_of(id, name_part),
            "failed",
            "{id} ({name_part})\n{out_text}"
        );
    }
}

/// A wait for a token to expire (the sandbox's tokens live 8 s) is counted down in the plain
/// progress lines (doctor's own account of the wait is `doctor_says_how_long_the_expiry_checks_wait`).
#[test]
fn a_token_expiry_wait_is_counted_down() {
    let sandbox = Sandbox::start("target-countdown");
    let target = sandbox.sandbox_target();
    let reports = sandbox.dir.join("countdown-reports");
    let out = sandbox.suite(&[
        "run",
        "--target",
        target.to_str().expect("path"),
        "--report-dir",
        reports.to_str().expect("path"),
        "--snapshots",
        sandbox.dir.join("snapshots").to_str().expect("path"),
        "--progress",
        "lines",
        "--rule",
        "DCR-REQ-089",
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    let line = all
        .lines()
        .find(|l| {
            l.starts_with("waiting ") && l.ends_with(" s for recipient A's access token to expire")
        })
        .unwrap_or_else(|| panic!("no countdown line:\n{all}"));
    let seconds: u64 = line
        .trim_start_matches("waiting ")
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no seconds in {line:?}"));
    assert!((5..=10).contains(&seconds), "{line}");
}

/// The first number before `word` in `text` (`"6 passed"`), or 0 when there is none.
fn number_before(text: &str, word: &str) -> u64 {
    regex::Regex::new(&format!(r"(\d+) {word}\b"))
        .expect("regex")
        .captures(text)
        .map_or(0, |c| c[1].parse().expect("a number"))
}

/// The value of attribute `name` of the first `<tag ...>` in `xml`.
fn attribute(xml: &str, tag: &str, name: &str) -> u64 {
    regex::Regex::new(&format!(r#"<{tag} [^>]*\b{name}="(\d+)""#))
        .expect("regex")
        .captures(xml)
        .unwrap_or_else(|| panic!("no {tag} with {name} in junit.xml"))[1]
        .parse()
        .expect("a number")
}

/// The closing line, cucumber's own summary, `summary.json`, `junit.xml` and `report.html`
/// count the same scenarios: the same passed, failed, warned and skipped, and the same number
/// run (a skipped scenario did not run, so cucumber does not see it; cucumber has no warnings
/// and counts them as failed). The selection has all three kinds: a holder whose unsupported
/// methods answer 404 (DCR-REQ-095, SHOULD: warnings; DCR-REQ-086 passes) and a target that
/// declares no clock skew (DCR-REQ-018's skew-relative rows are skipped, its missing-exp row
/// passes).
#[test]
fn every_output_counts_the_same_scenarios() {
    let sandbox = Sandbox::start_with("target-counts", Some("method-not-allowed-404"));
    let target = sandbox.sandbox_target();
    let text_of_target = std::fs::read_to_string(&target).expect("target");
    let without_skew = text_of_target.replace("  clock_skew_seconds: 60\n", "");
    assert_ne!(without_skew, text_of_target, "the target declared a skew");
    std::fs::write(&target, without_skew).expect("target");
    let reports = sandbox.dir.join("reports-counts");
    let out = sandbox.suite(&[
        "run",
        "--target",
        target.to_str().expect("path"),
        "--report-dir",
        reports.to_str().expect("path"),
        "--snapshots",
        sandbox.dir.join("snapshots").to_str().expect("path"),
        "--progress",
        "off",
        "--rule",
        "DCR-REQ-018",
        "--rule",
        "DCR-REQ-086",
        "--rule",
        "DCR-REQ-095",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let out_text = text(&out);
    assert_eq!(
        out.status.code(),
        Some(0),
        "warnings do not fail a run\n{out_text}"
    );
    let read = |name: &str| std::fs::read_to_string(reports.join(name)).expect(name);

    // The closing line.
    let closing = stdout
        .lines()
        .find(|l| l.starts_with("conformance: "))
        .unwrap_or_else(|| panic!("no closing line\n{out_text}"));
    let count = |text: &str| {
        [
            number_before(text, "passed"),
            number_before(text, "failed"),
            number_before(text, "warn(?:ed|ing)"),
            number_before(text, "skipped"),
        ]
    };
    let console = count(closing);

    // summary.json.
    let summary: Value = serde_json::from_str(&read("summary.json")).expect("summary.json");
    let c = &summary["counts"];
    let n = |k: &str| c[k].as_u64().unwrap_or_else(|| panic!("counts.{k}"));
    let json = [n("passed"), n("failed"), n("warning"), n("skipped")];
    assert_eq!(n("not_checked"), 0);
    let [passed, failed, warned, skipped] = json;
    assert!(
        passed > 0 && warned > 0 && skipped > 0,
        "the selection has a pass, a warning and a skip: {c}\n{out_text}"
    );
    assert_eq!(n("scenarios"), passed + failed + warned + skipped, "{c}");
    assert_eq!(
        console, json,
        "closing line {closing:?} against summary.json {c}"
    );

    // report.html: the verdict counts.
    let html = read("report.html");
    let html_count = |class: &str| {
        regex::Regex::new(&format!(r#"class="count {class}">(\d+) "#))
            .expect("regex")
            .captures(&html)
            .unwrap_or_else(|| panic!("no {class} count in report.html"))[1]
            .parse::<u64>()
            .expect("a number")
    };
    let page = [
        html_count("passed"),
        html_count("failed"),
        html_count("warning"),
        html_count("skipped"),
    ];
    assert_eq!(page, json, "report.html against summary.json");

    // junit.xml: every scenario a test case; a failure is a MUST failure, a skip <skipped/>,
    // a warning a test case with verdict warning.
    let junit = read("junit.xml");
    let tests = attribute(&junit, "testsuites", "tests");
    let failures = attribute(&junit, "testsuites", "failures");
    let errors = attribute(&junit, "testsuites", "errors");
    let junit_skipped = attribute(&junit, "testsuites", "skipped");
    let junit_warned = junit
        .matches(r#"<property name="verdict" value="warning"/>"#)
        .count() as u64;
    let junit_passed = junit
        .matches(r#"<property name="verdict" value="passed"/>"#)
        .count() as u64;
    assert_eq!(
        [junit_passed, failures + errors, junit_warned, junit_skipped],
        json,
        "junit.xml against summary.json"
    );
    assert_eq!(tests, n("scenarios"));

    // Cucumber's own summary counts the scenarios that ran: a skipped one never reached it,
    // and a warning is a failed step to it.
    let cucumber = stdout
        .lines()
        .find(|l| {
            regex::Regex::new(r"^\d+ scenarios? \(")
                .expect("regex")
                .is_match(l)
        })
        .unwrap_or_else(|| panic!("no cucumber summary\n{out_text}"));
    let ran = number_before(cucumber, "scenarios?");
    assert_eq!(ran, passed + failed + warned, "{cucumber}");
    assert_eq!(number_before(cucumber, "passed"), passed, "{cucumber}");
    assert_eq!(
        number_before(cucumber, "failed"),
        failed + warned,
        "{cucumber}"
    );
    assert_eq!(number_before(cucumber, "skipped"), 0, "{cucumber}");
}

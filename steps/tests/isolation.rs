//! Runs that share a process (the self-check's default) cannot see each other's state:
//!
//! * two embedded environments in one process, a correct holder and a defective one, do not
//!   share registrations or tokens: a client registered at one is unknown to the other, its
//!   token is refused there, and one environment's clients cannot even complete a handshake
//!   with the other's holder (each has its own PKI);
//! * two runs polled together on one thread (the run context is a task-local, cucumber runs
//!   several scenarios of each at once) each send every request to their own holder and get
//!   the verdict their own holder deserves.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dcr_conformance::environment::Environment;
use dcr_conformance::environment::embedded::HolderSetup;
use dcr_conformance::run::progress::ProgressMode;
use dcr_conformance::run::runner::{self, Console, RunOptions, RunOutcome, SnapshotMode};
use dcr_conformance::run::verdict::Verdict;
use mock_holder::Defect;
use serde_json::{Map, Value, json};

const TIMEOUT: Duration = Duration::from_secs(10);

/// The discovery document of `env`'s holder.
async fn discovery(env: &Environment) -> Map<String, Value> {
    let response = env.recipients[0]
        .client
        .get(&env.discovery_url)
        .send()
        .await
        .expect("discovery");
    match response.json::<Value>().await.expect("json") {
        Value::Object(doc) => doc,
        other => panic!("discovery is not an object: {other}"),
    }
}

fn member(doc: &Map<String, Value>, name: &str) -> String {
    doc[name].as_str().expect(name).to_string()
}

/// Registers recipient A of `env` with a fresh software product (SSA signed by `env`'s
/// Register, request by A's key); the `client_id`.
async fn register(env: &Environment) -> String {
    let doc = discovery(env).await;
    let a = &env.recipients[0];
    let register = env.register.as_ref().expect("the embedded Register");
    let software_id = uuid::Uuid::new_v4().to_string();
    let now = dcr_vectors::time::now();
    let mut ssa = dcr_vectors::SsaTemplate::load()
        .expect("the CDS SSA template")
        .claims(&a.product, &a.jwks_uri, &a.base_uri, now)
        .expect("ssa claims");
    ssa.insert("software_id".into(), software_id.clone().into());
    let ssa = dcr_vectors::jose::sign_claims(&ssa, &register.key).expect("ssa");
    let mut request = dcr_vectors::RegistrationTemplate::load()
        .expect("the CDS registration template")
        .claims(
            &software_id,
            &member(&doc, "issuer"),
            &a.product.redirect_uris,
            &ssa,
            now,
        )
        .expect("request claims");
    request.insert(
        "token_endpoint_auth_signing_alg".into(),
        a.key.alg().as_str().into(),
    );
    let jwt = dcr_vectors::jose::sign_claims(&request, &a.key).expect("request");
    let response = a
        .client
        .post(member(&doc, "registration_endpoint"))
        .header("content-type", "application/jwt")
        .body(jwt)
        .send()
        .await
        .expect("POST /register");
    assert_eq!(response.status(), 201, "the registration is accepted");
    let body: Value = response.json().await.expect("json");
    body["client_id"].as_str().expect("client_id").to_string()
}

/// A token request of recipient A of `env` for `client_id`, sent to `env`'s holder.
async fn request_token(env: &Environment, client_id: &str) -> reqwest::Response {
    let doc = discovery(env).await;
    let token_endpoint = member(&doc, "token_endpoint");
    let mut claims = dcr_vectors::jose::client_assertion_claims(
        client_id,
        &token_endpoint,
        dcr_vectors::time::now(),
    );
    claims.insert("jti".into(), uuid::Uuid::new_v4().to_string().into());
    let assertion = dcr_vectors::jose::sign_claims(&claims, &env.recipients[0].key).expect("jwt");
    env.recipients[0]
        .client
        .post(token_endpoint)
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion.as_str()),
            ("scope", "cdr:registration"),
        ])
        .send()
        .await
        .expect("POST /token")
}

async fn token(env: &Environment, client_id: &str) -> String {
    let response = request_token(env, client_id).await;
    assert_eq!(response.status(), 200, "a token is issued");
    let body: Value = response.json().await.expect("json");
    body["access_token"].as_str().expect("token").to_string()
}

/// GET of `client_id`'s registration at `env`'s holder with `token`; the status.
async fn read(env: &Environment, client_id: &str, token: &str) -> u16 {
    let doc = discovery(env).await;
    env.recipients[0]
        .client
        .get(format!(
            "{}/{client_id}",
            member(&doc, "registration_endpoint")
        ))
        .bearer_auth(token)
        .send()
        .await
        .expect("GET")
        .status()
        .as_u16()
}

#[tokio::test]
async fn two_holders_in_one_process_share_no_registration_and_no_token() {
    let baseline = Environment::embedded_with(TIMEOUT, &HolderSetup::correct())
        .await
        .expect("baseline environment");
    // A holder that trusts unverified tokens would take any token that names a client it has.
    let defect = Environment::embedded_with(
        TIMEOUT,
        &HolderSetup::with_defect(Defect::TrustUnverifiedTokens),
    )
    .await
    .expect("defect environment");

    let client_id = register(&baseline).await;
    let baseline_token = token(&baseline, &client_id).await;
    assert_eq!(read(&baseline, &client_id, &baseline_token).await, 200);

    // The baseline's client is unknown to the defective holder: no token for it there...
    let refused = request_token(&defect, &client_id).await;
    assert_eq!(
        refused.status(),
        400,
        "no token for a client of another holder"
    );
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"], json!("invalid_client"));
    // ...its registration cannot be read there with the baseline's token...
    assert_eq!(
        read(&defect, &client_id, &baseline_token).await,
        401,
        "the baseline's token and registration mean nothing to the other holder"
    );
    // ...and the defect's own client and token do not reach the baseline's registrations.
    let own = register(&defect).await;
    let defect_token = token(&defect, &own).await;
    assert_eq!(read(&defect, &own, &defect_token).await, 200);
    assert_eq!(read(&baseline, &own, &defect_token).await, 401);
    assert_eq!(read(&baseline, &client_id, &defect_token).await, 401);

    // Each environment has its own PKI: the baseline's client certificate is not trusted by
    // the defect's holder, nor is its CA trusted for the defect's server certificate.
    let url = member(&discovery(&defect).await, "registration_endpoint");
    assert!(
        baseline.recipients[0].client.get(url).send().await.is_err(),
        "a client of one environment cannot complete a handshake with another's holder"
    );
    assert_ne!(baseline.discovery_url, defect.discovery_url);
}

fn options(name: &str) -> RunOptions {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("isolation-{name}"));
    std::fs::create_dir_all(&dir).expect("report dir");
    RunOptions {
        report_dir: dir.clone(),
        rules: vec!["DCR-REQ-073".into(), "DCR-REQ-078".into()],
        profile: "mock-compat".into(),
        progress: ProgressMode::Off,
        console: Console::File(dir.join("console.txt")),
        snapshots: SnapshotMode::CompareOnly,
        // The committed snapshots of the embedded holder (cargo runs tests in `steps/`).
        snapshot_root: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../snapshots"),
        ..RunOptions::new()
    }
}

/// The `host:port`s of `env`'s holder (public and mTLS listeners).
async fn holder_hosts(env: &Environment) -> Vec<String> {
    let doc = discovery(env).await;
    ["issuer", "registration_endpoint"]
        .iter()
        .map(|m| {
            let url = url::Url::parse(&member(&doc, m)).expect("url");
            format!(
                "{}:{}",
                url.host_str().expect("host"),
                url.port().expect("port")
            )
        })
        .collect()
}

fn assert_only_to(outcome: &RunOutcome, hosts: &[String], run: &str) {
    let mut exchanges = 0;
    for s in &outcome.results.scenarios {
        for e in &s.exchanges {
            exchanges += 1;
            assert!(
                hosts.iter().any(|h| e.url.contains(h.as_str())),
                "{run}: {} went to {} (its holder is {hosts:?})",
                s.name,
                e.url
            );
        }
    }
    assert!(exchanges > 4, "{run} made {exchanges} exchanges");
}

#[tokio::test]
async fn two_runs_polled_together_on_one_thread_each_judge_their_own_holder() {
    let baseline: Arc<Environment> = Environment::embedded_with(TIMEOUT, &HolderSetup::correct())
        .await
        .expect("baseline environment");
    let defect =
        Environment::embedded_with(TIMEOUT, &HolderSetup::with_defect(Defect::SkipHolderOfKey))
            .await
            .expect("defect environment");
    let (baseline_hosts, defect_hosts) =
        (holder_hosts(&baseline).await, holder_hosts(&defect).await);
    let (baseline_options, defect_options) = (options("baseline"), options("defect"));

    // One task, one thread: cucumber polls both runs' scenarios interleaved.
    let (baseline_run, defect_run) = futures::join!(
        runner::run(baseline, &baseline_options),
        runner::run(defect, &defect_options)
    );
    let (baseline_run, defect_run) = (baseline_run.expect("baseline"), defect_run.expect("defect"));

    assert_only_to(&baseline_run, &baseline_hosts, "the baseline");
    assert_only_to(&defect_run, &defect_hosts, "the defect run");
    assert!(
        baseline_run.passed() && baseline_run.assessment.count(Verdict::Failed) == 0,
        "the correct holder passes: {}",
        baseline_run.closing_line()
    );
    let caught: Vec<_> = defect_run
        .assessment
        .scenarios
        .iter()
        .filter(|s| s.verdict == Verdict::Failed)
        .collect();
    assert!(
        !caught.is_empty()
            && caught
                .iter()
                .all(|s| s.rules.iter().any(|r| r == "DCR-REQ-073")),
        "exactly the holder-of-key scenarios fail against skip-holder-of-key: {:?}",
        caught.iter().map(|s| &s.id).collect::<Vec<_>>()
    );
    assert!(
        defect_run
            .assessment
            .scenarios
            .iter()
            .any(|s| s.verdict == Verdict::Passed && s.rules.iter().any(|r| r == "DCR-REQ-078")),
        "the defect run's other scenarios still pass"
    );
}

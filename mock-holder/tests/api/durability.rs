//! A registration acknowledged with 201 survives `kill -9`; so do the holder's token key (a
//! token issued before the crash still works) and the replay caches.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{TestApp, mtls_client, spawn_app};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The holder binary, run as a child process.
pub struct Holder {
    child: Child,
    log: PathBuf,
}

impl Holder {
    async fn start(config: &Path, dir: &Path, public_port: u16) -> Self {
        Self::start_with(config, dir, public_port, &[]).await
    }

    /// `mock-holder serve --config CONFIG ARGS...`, once its public listener accepts.
    pub async fn start_with(config: &Path, dir: &Path, public_port: u16, args: &[&str]) -> Self {
        let log = dir.join(format!("holder-{}.log", uuid::Uuid::new_v4()));
        let child = Command::new(env!("CARGO_BIN_EXE_mock-holder"))
            .args(["serve", "--config"])
            .arg(config)
            .args(args)
            .env("RUST_LOG", "mock_holder=debug")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the holder binary starts");
        let mut holder = Self { child, log };
        // Ready when the public listener accepts connections.
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", public_port)).is_err() {
            if let Some(status) = holder.child.try_wait().unwrap() {
                panic!("holder exited with {status}: {}", holder.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "holder did not start: {}",
                holder.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        holder
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill_9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

#[tokio::test]
async fn a_registration_survives_kill_9_and_restart() {
    // The in-process app only provides keys, SSAs and the wiremock JWKS hosts.
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!("mock-holder-durability-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (public, mtls) = (free_port(), free_port());
    let config = dir.join("holder.yaml");
    std::fs::write(
        &config,
        format!(
            "listen: {{public: '127.0.0.1:{public}', mtls: '127.0.0.1:{mtls}'}}\n\
             tls: {{generate: '{pki}'}}\n\
             register_jwks_uri: '{register}/jwks'\n\
             database: '{db}'\n",
            pki = dir.join("pki").display(),
            register = app.register_jwks.uri(),
            db = dir.join("data/holder.db").display(),
        ),
    )
    .unwrap();

    let holder = Holder::start(&config, &dir, public).await;
    let ca = std::fs::read_to_string(dir.join("pki/ca.pem")).unwrap();
    let identity = format!(
        "{}{}",
        std::fs::read_to_string(dir.join("pki/client-a.pem")).unwrap(),
        std::fs::read_to_string(dir.join("pki/client-a.key")).unwrap()
    );
    let client = mtls_client(&ca, &identity);
    let issuer = format!("https://127.0.0.1:{public}");
    let base = format!("https://127.0.0.1:{mtls}");

    let software_id = uuid::Uuid::new_v4().to_string();
    let ssa = app.ssa(&software_id);
    let mut claims = app.request_claims(&software_id, &ssa);
    claims.insert("aud".into(), issuer.clone().into());
    let request = app.sign_request(&claims);
    let r = client
        .post(format!("{base}/register"))
        .header("content-type", "application/jwt")
        .body(request.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", holder.log_text());
    let created: Value = r.json().await.unwrap();
    let id = created["client_id"].as_str().unwrap().to_string();

    let token = |client: &reqwest::Client, assertion: String| {
        let client = client.clone();
        let url = format!("{base}/token");
        async move {
            let r = client
                .post(url)
                .form(&TestApp::token_form(&assertion, "cdr:registration"))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let mut assertion_claims = app.assertion_claims(&id);
    assertion_claims.insert("aud".into(), issuer.clone().into());
    let assertion = app.sign_request(&assertion_claims);
    let (status, body) = token(&client, assertion.clone()).await;
    assert_eq!(status, 200, "{body}");
    let before = body["access_token"].as_str().unwrap().to_string();

    holder.kill_9();
    let holder = Holder::start(&config, &dir, public).await;
    // A new client: the old one's pooled connection went with the killed process, and whether
    // it notices before its next request is a race this test is not about.
    let client = mtls_client(&ca, &identity);

    let get = |token: String| {
        let client = client.clone();
        let url = format!("{base}/register/{id}");
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };
    let r = get(before).await;
    assert_eq!(
        r.status(),
        200,
        "a token from before the crash still verifies"
    );
    assert_eq!(r.json::<Value>().await.unwrap(), created);

    let (status, body) = token(&client, assertion).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_client")),
        "the assertion jti is remembered"
    );
    let mut fresh = app.assertion_claims(&id);
    fresh.insert("aud".into(), issuer.into());
    let (status, body) = token(&client, app.sign_request(&fresh)).await;
    assert_eq!(status, 200, "{body}");
    let r = get(body["access_token"].as_str().unwrap().to_string()).await;
    assert_eq!(r.status(), 200);

    let replay = client
        .post(format!("{base}/register"))
        .header("content-type", "application/jwt")
        .body(request)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        400,
        "the request jti is remembered across the restart"
    );

    holder.kill_9();
    let _ = std::fs::remove_dir_all(&dir);
}

/// `kill -9` while 100 registrations are in flight (the bounded run of
/// `fuzz/durability.rs`; `cargo bench -p mock-holder --bench durability` runs 1,000): every
/// registration acknowledged with 201 is there after the restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_registration_survives_kill_9_under_concurrency() {
    let dir = std::env::temp_dir().join(format!("mock-holder-durability-{}", uuid::Uuid::new_v4()));
    let outcome = crate::durability_at_scale::run(
        Path::new(env!("CARGO_BIN_EXE_mock-holder")),
        &dir,
        100,
        40,
    )
    .await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(outcome.acknowledged.len() >= 40, "{}", outcome.render());
    assert!(
        outcome.missing.is_empty(),
        "{}\n{:?}",
        outcome.render(),
        outcome.missing
    );
    assert_eq!(
        outcome.found,
        outcome.acknowledged.len(),
        "{}",
        outcome.render()
    );
}

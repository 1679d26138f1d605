//! The holder as a separate process, for the long runs (`benches/fuzz.rs`,
//! `benches/durability.rs`) and the durability test at scale: its config file, starting it,
//! reading its memory, `kill -9`, and the Register and recipient JWKS it trusts (wiremock).

#![allow(dead_code, unreachable_pub)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dcr_vectors::jose::{header_for, sign_compact};
use dcr_vectors::{RegistrationTemplate, SigningAlg, SigningKey, SoftwareProduct, SsaTemplate};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The keys and JWKS host a holder trusts: `register_key` at `/register`, `recipient_key` at
/// `/recipient` (ES256 both: cheap to sign many requests with).
pub struct Ecosystem {
    pub register_key: SigningKey,
    pub recipient_key: SigningKey,
    pub jwks: MockServer,
    ssa: SsaTemplate,
    registration: RegistrationTemplate,
    product: SoftwareProduct,
}

impl Ecosystem {
    pub async fn start() -> Self {
        let register_key = SigningKey::generate(SigningAlg::Es256, "cdr-register-1").expect("key");
        let recipient_key = SigningKey::generate(SigningAlg::Es256, "recipient-1").expect("key");
        let jwks = MockServer::start().await;
        for (p, key) in [("/register", &register_key), ("/recipient", &recipient_key)] {
            Mock::given(method("GET"))
                .and(path(p))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(dcr_vectors::keys::public_jwks([key]).expect("jwks")),
                )
                .mount(&jwks)
                .await;
        }
        Self {
            register_key,
            recipient_key,
            jwks,
            ssa: SsaTemplate::load().expect("ssa template"),
            registration: RegistrationTemplate::load().expect("registration template"),
            product: dcr_vectors::templates::software_products()
                .expect("products")
                .remove(0),
        }
    }

    pub fn recipient_jwks_uri(&self) -> String {
        format!("{}/recipient", self.jwks.uri())
    }

    /// A valid registration request for a fresh software product, addressed to `issuer`.
    pub fn registration(&self, issuer: &str) -> String {
        let now = dcr_vectors::time::now();
        let software_id = uuid::Uuid::new_v4().to_string();
        let mut ssa = self
            .ssa
            .claims(
                &self.product,
                &self.recipient_jwks_uri(),
                "https://a.recipient.example",
                now,
            )
            .expect("ssa claims");
        ssa.insert("software_id".into(), json!(software_id));
        let sign = |claims: &serde_json::Map<String, Value>, key: &SigningKey| {
            let signer = key.signer().expect("signer");
            sign_compact(
                &header_for(key),
                &serde_json::to_vec(claims).expect("json"),
                signer.as_ref(),
            )
            .expect("sign")
        };
        let ssa = sign(&ssa, &self.register_key);
        let mut claims = self
            .registration
            .claims(&software_id, issuer, &self.product.redirect_uris, &ssa, now)
            .expect("request claims");
        claims.insert(
            "token_endpoint_auth_signing_alg".into(),
            json!(self.recipient_key.alg().as_str()),
        );
        sign(&claims, &self.recipient_key)
    }

    /// A `cdr:registration` access token for `client_id` from `token_endpoint`, over `client`.
    ///
    /// # Errors
    /// What the token endpoint answered instead.
    pub async fn token(
        &self,
        client: &reqwest::Client,
        client_id: &str,
        token_endpoint: &str,
    ) -> Result<String, String> {
        let assertion = self.assertion(client_id, token_endpoint);
        let r = client
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
            .map_err(|e| format!("token: {e}"))?;
        if r.status() != 200 {
            return Err(format!("token: HTTP {}", r.status()));
        }
        let body: Value = r.json().await.map_err(|e| format!("token: {e}"))?;
        body["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| "token: no access_token".to_string())
    }

    /// A client assertion of `client_id` for `token_endpoint`.
    pub fn assertion(&self, client_id: &str, token_endpoint: &str) -> String {
        let claims = dcr_vectors::jose::client_assertion_claims(
            client_id,
            token_endpoint,
            dcr_vectors::time::now(),
        );
        dcr_vectors::jose::sign_claims(&claims, &self.recipient_key).expect("sign")
    }
}

/// A holder process started from a config file in `dir`.
pub struct Holder {
    pub child: Child,
    pub dir: PathBuf,
    pub config: PathBuf,
    pub public: u16,
    pub mtls: u16,
    log: PathBuf,
}

impl Holder {
    /// Writes a config (generated PKI, a database file, `extra` YAML lines) into `dir` and
    /// starts `bin` with it.
    pub async fn start(bin: &Path, dir: &Path, ecosystem: &Ecosystem, extra: &str) -> Self {
        std::fs::create_dir_all(dir).expect("dir");
        let (public, mtls) = (free_port(), free_port());
        let config = dir.join("holder.yaml");
        std::fs::write(
            &config,
            format!(
                "listen: {{public: '127.0.0.1:{public}', mtls: '127.0.0.1:{mtls}'}}\n\
                 tls: {{generate: '{pki}'}}\nregister_jwks_uri: '{jwks}/register'\n\
                 database: '{db}'\njwks_cache_seconds: 3600\n{extra}",
                pki = dir.join("pki").display(),
                jwks = ecosystem.jwks.uri(),
                db = dir.join("holder.db").display(),
            ),
        )
        .expect("config");
        let mut holder = Self {
            child: Self::spawn(bin, &config, dir),
            dir: dir.to_path_buf(),
            config,
            public,
            mtls,
            log: dir.join("holder.log"),
        };
        holder.wait_ready().await;
        holder
    }

    fn spawn(bin: &Path, config: &Path, dir: &Path) -> Child {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("holder.log"))
            .expect("log");
        Command::new(bin)
            .args(["serve", "--config"])
            .arg(config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("the holder starts")
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", self.public)).is_err() {
            if let Some(status) = self.child.try_wait().expect("wait") {
                panic!("holder exited with {status}: {}", self.log_text());
            }
            assert!(Instant::now() < deadline, "holder did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill_9(&mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reaped");
    }

    /// Starts again from the same config (same database, same PKI), once killed.
    pub async fn restart(&mut self, bin: &Path) {
        self.child = Self::spawn(bin, &self.config, &self.dir);
        self.wait_ready().await;
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn issuer(&self) -> String {
        format!("https://127.0.0.1:{}", self.public)
    }

    pub fn mtls_base(&self) -> String {
        format!("https://127.0.0.1:{}", self.mtls)
    }

    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(self.dir.join("pki/ca.pem")).expect("ca")
    }

    pub fn identity_pem(&self) -> String {
        let read = |n: &str| std::fs::read_to_string(self.dir.join("pki").join(n)).expect(n);
        format!("{}{}", read("client-a.pem"), read("client-a.key"))
    }

    /// An mTLS client of recipient A; HTTP/1.1 only when `http1` (one connection per request
    /// in flight), else negotiated.
    pub fn client(&self, http1: bool, pool: usize) -> reqwest::Client {
        let builder = reqwest::Client::builder()
            .tls_certs_only([reqwest::Certificate::from_pem(self.ca_pem().as_bytes()).expect("ca")])
            .identity(reqwest::Identity::from_pem(self.identity_pem().as_bytes()).expect("id"))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(pool)
            .timeout(Duration::from_secs(60));
        let builder = if http1 { builder.http1_only() } else { builder };
        builder.build().expect("client")
    }

    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// VmRSS of `pid` in kB.
pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

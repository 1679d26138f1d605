//! The target file: how to reach a Data Holder the user does not control, and what the suite
//! may act as there (`run --target FILE`, `doctor --target FILE`).
//!
//! The file is YAML. Every string may hold `${NAME}` references to environment variables, so
//! keys and certificates need never sit in the file: a field holding key material takes a file
//! path (relative to the target file) or, through an environment variable, the material itself
//! (PEM, JWK JSON or a compact JWT). Everything is checked and loaded before anything runs; a
//! bad file is a usage error (exit 2) listing every problem with its field and what is
//! expected. Nothing from the file except `name` and the discovery URL reaches a report.
//!
//! See `vectors/targets/example-bank.yaml` for a commented example and the README for the
//! walk-through.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use dcr_vectors::{SigningAlg, SigningKey};
use serde::Deserialize;
use serde_yaml::Value;

use crate::needs::{Capabilities, Need};

/// The file as written (after `${ENV}` expansion).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    name: String,
    holder: HolderSection,
    tls: TlsSection,
    #[serde(default)]
    register: Option<RegisterSection>,
    recipients: Vec<RecipientSection>,
    #[serde(default)]
    run: RunSection,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolderSection {
    discovery_url: String,
    #[serde(default = "yes")]
    supports_delete: bool,
    #[serde(default)]
    clock_skew_seconds: Option<u64>,
    #[serde(default)]
    token_lifetime_seconds: Option<u64>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TlsSection {
    ca_bundle: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterSection {
    signing_key: KeySection,
    #[serde(default)]
    jwks_host: Option<HostSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeySection {
    #[serde(default)]
    jwk: Option<String>,
    #[serde(default)]
    pem: Option<String>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    alg: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostSection {
    bind: String,
    public_url: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RecipientSection {
    name: String,
    certificate: String,
    private_key: String,
    signing_key: KeySection,
    jwks: JwksSection,
    #[serde(default)]
    ssa: Option<SsaSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct JwksSection {
    #[serde(default)]
    uri: Option<String>,
    #[serde(default)]
    serve: Option<HostSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SsaSection {
    #[serde(default)]
    file: Option<String>,
    #[serde(default)]
    command: Option<Vec<String>>,
    #[serde(default)]
    register_api: Option<RegisterApiSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterApiSection {
    token_endpoint: String,
    ssa_endpoint: String,
    client_id: String,
    #[serde(default)]
    ca_bundle: Option<String>,
    #[serde(default = "register_scope")]
    scope: String,
}

fn register_scope() -> String {
    "cdr-register:read".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RunSection {
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    concurrency: Option<u16>,
    #[serde(default)]
    requests_per_second: Option<f64>,
    #[serde(default)]
    timeout_seconds: Option<u64>,
    #[serde(default = "default_token_wait")]
    max_token_wait_seconds: u64,
}

impl Default for RunSection {
    fn default() -> Self {
        Self {
            profile: None,
            concurrency: None,
            requests_per_second: None,
            timeout_seconds: None,
            max_token_wait_seconds: default_token_wait(),
        }
    }
}

fn default_token_wait() -> u64 {
    30
}

/// A loaded, checked target: everything the environment needs, material included.
pub struct Target {
    /// The file it was read from.
    pub path: PathBuf,
    /// Names the snapshot folder and the reports.
    pub name: String,
    /// The holder's discovery document.
    pub discovery_url: String,
    /// Whether the holder supports DELETE /register/{ClientId}.
    pub supports_delete: bool,
    /// The holder's allowed clock skew, when declared.
    pub clock_skew: Option<Duration>,
    /// The holder's access-token lifetime, when declared.
    pub token_lifetime: Option<Duration>,
    /// CA bundle (PEM) the holder's server certificates chain to.
    pub ca_pem: String,
    /// The Register's key and where to serve its JWKS, when the user controls the Register.
    pub register: Option<RegisterKey>,
    /// Recipients, "A" first.
    pub recipients: Vec<TargetRecipient>,
    /// Profile to check against, when set in the file.
    pub profile: Option<String>,
    /// Scenarios at once, when set in the file.
    pub concurrency: Option<u16>,
    /// Request-rate limit over the whole run, when set.
    pub requests_per_second: Option<f64>,
    /// Per-request timeout, when set in the file.
    pub timeout: Option<Duration>,
    /// Longest wait for an access token to expire.
    pub max_token_wait: Duration,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("path", &self.path)
            .field("name", &self.name)
            .field("discovery_url", &self.discovery_url)
            .field("register", &self.register)
            .field("recipients", &self.recipients)
            .finish_non_exhaustive()
    }
}

/// The Register as the target file provides it.
#[derive(Debug)]
pub struct RegisterKey {
    /// The key that signs SSAs.
    pub key: SigningKey,
    /// Where the suite serves the Register's JWKS, if it does.
    pub jwks_host: Option<Host>,
}

/// A listener the suite runs, and the URL others reach it at.
#[derive(Debug, Clone)]
pub struct Host {
    /// Address to bind.
    pub bind: SocketAddr,
    /// Public URL; its path is where the document is served.
    pub public_url: url::Url,
}

/// Where a recipient's JWKS is.
#[derive(Debug, Clone)]
pub enum Jwks {
    /// Published by the recipient already.
    Published(String),
    /// Served by the suite during the run.
    Served(Host),
}

impl Jwks {
    /// The `jwks_uri` the holder fetches.
    pub fn uri(&self) -> String {
        match self {
            Jwks::Published(uri) => uri.clone(),
            Jwks::Served(host) => host.public_url.to_string(),
        }
    }
}

/// How a recipient obtains its software statement.
#[derive(Debug, Clone)]
pub enum SsaSource {
    /// A compact JWT read from the file (or given through the environment).
    Fixed(String),
    /// A command whose standard output is the SSA.
    Command(Vec<String>),
    /// The CDR Register's Get Software Statement Assertion endpoint.
    RegisterApi {
        /// The Register's token endpoint (private_key_jwt, client credentials).
        token_endpoint: String,
        /// The SSA endpoint (brand and software product in the path).
        ssa_endpoint: String,
        /// The recipient's client id at the Register (its brand id).
        client_id: String,
        /// CA bundle for the Register's TLS, if not the holder's.
        ca_pem: Option<String>,
        /// Scope requested.
        scope: String,
    },
}

/// One recipient as the target file provides it.
pub struct TargetRecipient {
    /// "A" or "B".
    pub name: String,
    /// Transport certificate chain and key (PEM), the form reqwest takes.
    pub identity_pem: String,
    /// RFC 8705 thumbprint of the certificate.
    pub thumbprint: String,
    /// Request-signing key.
    pub key: SigningKey,
    /// Where its JWKS is.
    pub jwks: Jwks,
    /// How it obtains its SSA (None when the suite mints them with the Register's key).
    pub ssa: Option<SsaSource>,
}

impl std::fmt::Debug for TargetRecipient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetRecipient")
            .field("name", &self.name)
            .field("thumbprint", &self.thumbprint)
            .field("key", &self.key)
            .field("jwks", &self.jwks)
            .finish_non_exhaustive()
    }
}

/// Problems found in a target file, one per line, each naming its field.
#[derive(Debug)]
pub struct TargetError {
    /// The file.
    pub path: PathBuf,
    /// `field: what is wrong; what is expected`.
    pub problems: Vec<String>,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "target file {} is not usable:\n  {}",
            self.path.display(),
            self.problems.join("\n  ")
        )
    }
}

impl std::error::Error for TargetError {}

/// Replaces `${NAME}` in every string of `value` with the environment variable, recording a
/// problem (with the field's path) for each unset one.
fn expand_env(
    value: &mut Value,
    path: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    problems: &mut Vec<String>,
) {
    match value {
        Value::String(s) => {
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let Some(end) = rest[start..].find('}') else {
                    problems.push(format!(
                        "{path}: unterminated ${{ (write ${{NAME}} to use environment variable NAME)"
                    ));
                    return;
                };
                let name = &rest[start + 2..start + end];
                match lookup(name) {
                    Some(v) => out.push_str(&v),
                    None => problems.push(format!(
                        "{path}: environment variable {name} is not set (export it, or write the value in the file)"
                    )),
                }
                rest = &rest[start + end + 1..];
            }
            out.push_str(rest);
            *s = out;
        }
        Value::Sequence(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                expand_env(item, &format!("{path}[{i}]"), lookup, problems);
            }
        }
        Value::Mapping(map) => {
            for (k, v) in map.iter_mut() {
                let key = k.as_str().unwrap_or("?");
                let child = if path.is_empty() {
                    key.to_string()
                } else {
                    format!("{path}.{key}")
                };
                expand_env(v, &child, lookup, problems);
            }
        }
        Value::Tagged(t) => expand_env(&mut t.value, path, lookup, problems),
        _ => {}
    }
}

/// Resolves material fields: inline material (PEM, JWK, JWT) as is, anything else a path
/// relative to the target file.
struct Loader<'a> {
    dir: &'a Path,
    problems: Vec<String>,
}

impl Loader<'_> {
    fn material(&mut self, field: &str, value: &str, what: &str) -> Option<String> {
        let v = value.trim();
        if v.starts_with("-----BEGIN") || v.starts_with('{') || v.starts_with("eyJ") {
            return Some(v.to_string());
        }
        if v.is_empty() {
            self.problems.push(format!(
                "{field}: empty; expected {what} (a file path or ${{ENV}})"
            ));
            return None;
        }
        let path = self.dir.join(v);
        match std::fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) => {
                self.problems.push(format!(
                    "{field}: cannot read {} ({e}); expected {what}",
                    path.display()
                ));
                None
            }
        }
    }

    fn https_url(&mut self, field: &str, value: &str) -> Option<url::Url> {
        match url::Url::parse(value) {
            Ok(u) if u.scheme() == "https" => Some(u),
            Ok(u) => {
                self.problems.push(format!(
                    "{field}: {value:?} uses {}; expected an https URL",
                    u.scheme()
                ));
                None
            }
            Err(e) => {
                self.problems.push(format!(
                    "{field}: {value:?} is not a URL ({e}); expected an absolute https URL"
                ));
                None
            }
        }
    }

    fn host(&mut self, field: &str, section: &HostSection) -> Option<Host> {
        let bind = match section.bind.parse::<SocketAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.problems.push(format!(
                    "{field}.bind: {:?} is not a socket address; expected e.g. 127.0.0.1:8701 or 0.0.0.0:8701",
                    section.bind
                ));
                None
            }
        };
        let public_url = match url::Url::parse(&section.public_url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
            _ => {
                self.problems.push(format!(
                    "{field}.public_url: {:?}; expected the http(s) URL the holder reaches this host at, with the document's path",
                    section.public_url
                ));
                None
            }
        };
        Some(Host {
            bind: bind?,
            public_url: public_url?,
        })
    }

    fn key(&mut self, field: &str, section: &KeySection) -> Option<SigningKey> {
        let alg = match section.alg.as_deref().map(str::parse::<SigningAlg>) {
            None => None,
            Some(Ok(a)) => Some(a),
            Some(Err(_)) => {
                self.problems.push(format!(
                    "{field}.alg: {:?}; expected PS256 or ES256",
                    section.alg.as_deref().unwrap_or_default()
                ));
                return None;
            }
        };
        match (&section.jwk, &section.pem) {
            (Some(jwk), None) => {
                let text = self.material(&format!("{field}.jwk"), jwk, "a private JWK")?;
                match SigningKey::from_private_jwk(&text, section.kid.as_deref(), alg) {
                    Ok(k) => Some(k),
                    Err(e) => {
                        self.problems.push(format!(
                            "{field}.jwk: {e:#}; expected a private PS256 (RSA) or ES256 (P-256) JWK"
                        ));
                        None
                    }
                }
            }
            (None, Some(pem)) => {
                let (Some(kid), Some(alg)) = (&section.kid, alg) else {
                    self.problems.push(format!(
                        "{field}: a PEM key needs kid and alg (PS256 or ES256) beside it"
                    ));
                    return None;
                };
                let text = self.material(&format!("{field}.pem"), pem, "a private key in PEM")?;
                match SigningKey::from_private_pem(&text, kid, alg) {
                    Ok(k) => Some(k),
                    Err(e) => {
                        self.problems.push(format!("{field}.pem: {e:#}"));
                        None
                    }
                }
            }
            _ => {
                self.problems.push(format!(
                    "{field}: give exactly one of jwk (a private JWK) or pem (with kid and alg)"
                ));
                None
            }
        }
    }

    fn identity(&mut self, field: &str, r: &RecipientSection) -> Option<(String, String)> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let cert = self.material(
            &format!("{field}.certificate"),
            &r.certificate,
            "the transport certificate (PEM)",
        );
        let key = self.material(
            &format!("{field}.private_key"),
            &r.private_key,
            "the transport certificate's private key (PEM)",
        );
        let (cert, key) = (cert?, key?);
        let der = match CertificateDer::pem_slice_iter(cert.as_bytes()).next() {
            Some(Ok(der)) => der,
            _ => {
                self.problems.push(format!(
                    "{field}.certificate: no PEM certificate found; expected -----BEGIN CERTIFICATE-----"
                ));
                return None;
            }
        };
        if PrivateKeyDer::from_pem_slice(key.as_bytes()).is_err() {
            self.problems.push(format!(
                "{field}.private_key: no PEM private key found; expected -----BEGIN PRIVATE KEY----- (PKCS#8), RSA or EC"
            ));
            return None;
        }
        let identity = format!("{}\n{}", cert.trim_end(), key.trim_end());
        if let Err(e) = reqwest::Identity::from_pem(identity.as_bytes()) {
            self.problems.push(format!(
                "{field}: the certificate and private key do not form a usable TLS identity ({e})"
            ));
            return None;
        }
        Some((identity, dcr_vectors::pki::thumbprint(&der)))
    }

    fn ssa(
        &mut self,
        field: &str,
        section: Option<&SsaSection>,
        minted: bool,
    ) -> Option<SsaSource> {
        let Some(s) = section else {
            if !minted {
                self.problems.push(format!(
                    "{field}: missing; without register.signing_key each recipient needs ssa.file, ssa.command or ssa.register_api"
                ));
            }
            return None;
        };
        if minted {
            self.problems.push(format!(
                "{field}: not used when register.signing_key is given (the suite mints every SSA); remove one of them"
            ));
            return None;
        }
        match (&s.file, &s.command, &s.register_api) {
            (Some(file), None, None) => {
                let text = self.material(&format!("{field}.file"), file, "a compact JWT")?;
                Some(SsaSource::Fixed(text.trim().to_string()))
            }
            (None, Some(cmd), None) if !cmd.is_empty() => Some(SsaSource::Command(cmd.clone())),
            (None, Some(_), None) => {
                self.problems.push(format!(
                    "{field}.command: empty; expected the program and its arguments, e.g. [\"./get-ssa.sh\", \"A\"]"
                ));
                None
            }
            (None, None, Some(api)) => {
                let f = format!("{field}.register_api");
                let token = self.https_url(&format!("{f}.token_endpoint"), &api.token_endpoint);
                let ssa = self.https_url(&format!("{f}.ssa_endpoint"), &api.ssa_endpoint);
                let ca_pem = match &api.ca_bundle {
                    Some(c) => {
                        Some(self.material(&format!("{f}.ca_bundle"), c, "a PEM CA bundle")?)
                    }
                    None => None,
                };
                if api.client_id.trim().is_empty() {
                    self.problems.push(format!(
                        "{f}.client_id: empty; expected the recipient's client id at the Register"
                    ));
                }
                Some(SsaSource::RegisterApi {
                    token_endpoint: token?.to_string(),
                    ssa_endpoint: ssa?.to_string(),
                    client_id: api.client_id.clone(),
                    ca_pem,
                    scope: api.scope.clone(),
                })
            }
            _ => {
                self.problems.push(format!(
                    "{field}: give exactly one of file, command or register_api"
                ));
                None
            }
        }
    }
}

impl Target {
    /// Reads and checks the target file at `path` (environment from the process).
    ///
    /// # Errors
    /// A [`TargetError`] listing every problem.
    pub fn load(path: &Path) -> Result<Self, TargetError> {
        Self::load_with_env(path, &|name| std::env::var(name).ok())
    }

    /// [`Target::load`] with the environment given (tests).
    ///
    /// # Errors
    /// A [`TargetError`] listing every problem.
    pub fn load_with_env(
        path: &Path,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, TargetError> {
        let fail = |problems: Vec<String>| TargetError {
            path: path.to_path_buf(),
            problems,
        };
        let text = std::fs::read_to_string(path)
            .map_err(|e| fail(vec![format!("cannot read the file: {e}")]))?;
        let mut value: Value =
            serde_yaml::from_str(&text).map_err(|e| fail(vec![format!("not valid YAML: {e}")]))?;
        let mut problems = Vec::new();
        expand_env(&mut value, "", lookup, &mut problems);
        if !problems.is_empty() {
            return Err(fail(problems));
        }
        let file: File = serde_path_to_error::deserialize(value).map_err(|e| {
            let field = e.path().to_string();
            let field = if field == "." {
                "(top level)".into()
            } else {
                field
            };
            fail(vec![format!("{field}: {}", e.inner())])
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        Self::check(path, dir, file).map_err(fail)
    }

    fn check(path: &Path, dir: &Path, file: File) -> Result<Self, Vec<String>> {
        let mut l = Loader {
            dir,
            problems: Vec::new(),
        };
        let name_ok = !file.name.is_empty()
            && file
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !name_ok {
            l.problems.push(format!(
                "name: {:?}; expected letters, digits, '-', '_' or '.' (it names a folder)",
                file.name
            ));
        }
        let discovery = l.https_url("holder.discovery_url", &file.holder.discovery_url);
        let ca_pem = l.material("tls.ca_bundle", &file.tls.ca_bundle, "a PEM CA bundle");
        if let Some(pem) = &ca_pem
            && reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_or(true, |certs| certs.is_empty())
        {
            l.problems.push(
                "tls.ca_bundle: no PEM certificate found; expected the CA certificate(s) the holder's server certificate chains to".into(),
            );
        }
        let register = file.register.as_ref().and_then(|r| {
            let key = l.key("register.signing_key", &r.signing_key);
            let host = r
                .jwks_host
                .as_ref()
                .map(|h| l.host("register.jwks_host", h));
            Some(RegisterKey {
                key: key?,
                jwks_host: host.flatten(),
            })
        });
        let minted = file.register.is_some();

        let mut recipients = Vec::new();
        let mut names = BTreeSet::new();
        if file.recipients.is_empty() || file.recipients.len() > 2 {
            l.problems.push(format!(
                "recipients: {} given; expected recipient A, and B where cross-client scenarios should run",
                file.recipients.len()
            ));
        }
        for (i, r) in file.recipients.iter().enumerate() {
            let field = format!("recipients[{i}]");
            if !matches!(r.name.as_str(), "A" | "B") || !names.insert(r.name.clone()) {
                l.problems.push(format!(
                    "{field}.name: {:?}; expected A (first) and B (second), each once",
                    r.name
                ));
            }
            let identity = l.identity(&field, r);
            let key = l.key(&format!("{field}.signing_key"), &r.signing_key);
            let jwks = match (&r.jwks.uri, &r.jwks.serve) {
                (Some(uri), None) => l
                    .https_url(&format!("{field}.jwks.uri"), uri)
                    .map(|u| Jwks::Published(u.to_string())),
                (None, Some(serve)) => l
                    .host(&format!("{field}.jwks.serve"), serve)
                    .map(Jwks::Served),
                _ => {
                    l.problems.push(format!(
                        "{field}.jwks: give exactly one of uri (the published JWKS) or serve (bind and public_url of a JWKS host the suite runs)"
                    ));
                    None
                }
            };
            let ssa = l.ssa(&format!("{field}.ssa"), r.ssa.as_ref(), minted);
            if let (Some((identity_pem, thumbprint)), Some(key), Some(jwks)) = (identity, key, jwks)
            {
                recipients.push(TargetRecipient {
                    name: r.name.clone(),
                    identity_pem,
                    thumbprint,
                    key,
                    jwks,
                    ssa,
                });
            }
        }
        if names.contains("B") && !names.contains("A") {
            l.problems
                .push("recipients: B is given without A; expected A first".into());
        }
        recipients.sort_by(|a, b| a.name.cmp(&b.name));

        let mut binds = BTreeSet::new();
        let hosts = register.iter().filter_map(|r| r.jwks_host.as_ref()).chain(
            recipients.iter().filter_map(|r| match &r.jwks {
                Jwks::Served(h) => Some(h),
                Jwks::Published(_) => None,
            }),
        );
        for h in hosts {
            if !binds.insert(h.bind) {
                l.problems.push(format!(
                    "jwks hosts: {} is bound twice; expected a separate address for each JWKS host",
                    h.bind
                ));
            }
        }

        let run = &file.run;
        if let Some(c) = run.concurrency
            && !(1..=64).contains(&c)
        {
            l.problems
                .push(format!("run.concurrency: {c}; expected 1 to 64"));
        }
        if let Some(r) = run.requests_per_second
            && !(r > 0.0 && r.is_finite())
        {
            l.problems.push(format!(
                "run.requests_per_second: {r}; expected a positive number (omit it for no limit)"
            ));
        }
        if let Some(t) = run.timeout_seconds
            && !(1..=600).contains(&t)
        {
            l.problems
                .push(format!("run.timeout_seconds: {t}; expected 1 to 600"));
        }
        if !l.problems.is_empty() {
            return Err(l.problems);
        }
        let (Some(discovery_url), Some(ca_pem)) = (discovery, ca_pem) else {
            return Err(vec!["internal: a checked field was not loaded".into()]);
        };
        Ok(Self {
            path: path.to_path_buf(),
            name: file.name,
            discovery_url: discovery_url.to_string(),
            supports_delete: file.holder.supports_delete,
            clock_skew: file.holder.clock_skew_seconds.map(Duration::from_secs),
            token_lifetime: file.holder.token_lifetime_seconds.map(Duration::from_secs),
            ca_pem,
            register,
            recipients,
            profile: run.profile.clone(),
            concurrency: run.concurrency,
            requests_per_second: run.requests_per_second,
            timeout: run.timeout_seconds.map(Duration::from_secs),
            max_token_wait: Duration::from_secs(run.max_token_wait_seconds),
        })
    }

    /// What this target can provide; each gap names the field that would fill it.
    pub fn capabilities(&self) -> Capabilities {
        let mut caps = Capabilities::all();
        let Some(register) = &self.register else {
            caps.lacks(
                Need::RegisterKey,
                "minting software statements needs the Register's key (register.signing_key), which only a sandbox Register gives",
            );
            caps.lacks(
                Need::RegisterJwksHost,
                "rotating the Register's keys needs register.signing_key and register.jwks_host",
            );
            caps.lacks(
                Need::FreshProduct,
                "the scenario leaves a registration the recipient's key cannot delete, so it needs a software product minted for it (register.signing_key)",
            );
            self.isolation(&mut caps);
            self.common(&mut caps);
            return caps;
        };
        if register.jwks_host.is_none() {
            caps.lacks(
                Need::RegisterJwksHost,
                "rotating the Register's keys needs the suite to serve the Register's JWKS (register.jwks_host)",
            );
        }
        self.common(&mut caps);
        caps
    }

    fn isolation(&self, caps: &mut Capabilities) {
        if !self.supports_delete {
            caps.lacks(
                Need::Isolation,
                "with fixed software statements each scenario must delete the registration it made, and holder.supports_delete is false",
            );
        }
    }

    fn common(&self, caps: &mut Capabilities) {
        if self.recipients.len() < 2 {
            caps.lacks(
                Need::SecondRecipient,
                "cross-client checks need a second recipient (recipients[1], name B)",
            );
        }
        if !self.supports_delete {
            caps.lacks(Need::Delete, "holder.supports_delete is false");
        }
        if self.clock_skew.is_none() {
            caps.lacks(
                Need::ClockSkew,
                "boundary checks need the holder's allowed clock skew (holder.clock_skew_seconds)",
            );
        }
        match self.token_lifetime {
            None => caps.lacks(
                Need::TokenExpiry,
                "waiting for a token to expire needs the holder's token lifetime (holder.token_lifetime_seconds)",
            ),
            Some(l) if l > self.max_token_wait => caps.lacks(
                Need::TokenExpiry,
                format!(
                    "tokens live {} s, longer than run.max_token_wait_seconds ({} s)",
                    l.as_secs(),
                    self.max_token_wait.as_secs()
                ),
            ),
            Some(_) => {}
        }
    }
}

/// Obtains the SSA `source` describes. `client` presents the recipient's transport
/// certificate (the Register's API uses mutual TLS too); `key` signs its client assertion.
///
/// # Errors
/// A message naming the source and what went wrong.
pub async fn fetch_ssa(
    source: &SsaSource,
    identity_pem: &str,
    key: &SigningKey,
    timeout: Duration,
) -> anyhow::Result<String> {
    let ssa = match source {
        SsaSource::Fixed(jwt) => jwt.clone(),
        SsaSource::Command(argv) => {
            let out = tokio::time::timeout(
                timeout,
                tokio::process::Command::new(&argv[0])
                    .args(&argv[1..])
                    .kill_on_drop(true)
                    .output(),
            )
            .await
            .with_context(|| {
                format!(
                    "ssa.command {:?} did not finish within {timeout:?}",
                    argv[0]
                )
            })?
            .with_context(|| format!("ssa.command {:?} could not be started", argv[0]))?;
            if !out.status.success() {
                anyhow::bail!(
                    "ssa.command {:?} exited with {}: {}",
                    argv[0],
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
            String::from_utf8(out.stdout)
                .context("ssa.command printed something that is not UTF-8")?
                .trim()
                .to_string()
        }
        SsaSource::RegisterApi {
            token_endpoint,
            ssa_endpoint,
            client_id,
            ca_pem,
            scope,
        } => {
            let mut builder = reqwest::Client::builder()
                .timeout(timeout)
                .identity(reqwest::Identity::from_pem(identity_pem.as_bytes())?);
            if let Some(ca) = ca_pem {
                builder =
                    builder.tls_certs_only(reqwest::Certificate::from_pem_bundle(ca.as_bytes())?);
            }
            let client = builder.build()?;
            let now = dcr_vectors::time::now();
            let claims = dcr_vectors::jose::client_assertion_claims(client_id, token_endpoint, now);
            let assertion = dcr_vectors::jose::sign_claims(&claims, key)?;
            let token: serde_json::Value = client
                .post(token_endpoint)
                .form(&[
                    ("grant_type", "client_credentials"),
                    ("client_id", client_id.as_str()),
                    ("scope", scope.as_str()),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", assertion.as_str()),
                ])
                .send()
                .await
                .context("the Register's token endpoint did not answer")?
                .error_for_status()
                .context("the Register's token endpoint refused the client credentials grant")?
                .json()
                .await
                .context("the Register's token response is not JSON")?;
            let access = token
                .get("access_token")
                .and_then(serde_json::Value::as_str)
                .context("the Register's token response has no access_token")?;
            client
                .get(ssa_endpoint)
                .bearer_auth(access)
                .header("x-v", "3")
                .send()
                .await
                .context("the Register's SSA endpoint did not answer")?
                .error_for_status()
                .context("the Register's SSA endpoint refused the request")?
                .text()
                .await?
                .trim()
                .to_string()
        }
    };
    dcr_vectors::jose::decode_unverified(&ssa)
        .context("the software statement obtained is not a compact JWS")?;
    Ok(ssa)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Dir(PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }

    /// A folder with a test PKI and keys, and a target file written from `yaml`.
    fn fixture(yaml: &str) -> (Dir, PathBuf) {
        let dir = std::env::temp_dir().join(format!("dcr-target-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let pki = dcr_vectors::TestPki::generate(&[]).expect("pki");
        pki.write_to_dir(&dir).expect("pki files");
        let key = SigningKey::generate(SigningAlg::Es256, "a-sig-1").expect("key");
        std::fs::write(dir.join("a-sig.pem"), key.private_pem().expect("pem")).expect("pem");
        std::fs::write(
            dir.join("a.jwt"),
            "eyJhbGciOiJQUzI1NiJ9.eyJzb2Z0d2FyZV9pZCI6IngifQ.c2ln",
        )
        .expect("ssa");
        let path = dir.join("target.yaml");
        std::fs::write(&path, yaml).expect("yaml");
        (Dir(dir), path)
    }

    const GOOD: &str = r#"
name: bank-sandbox
holder:
  discovery_url: https://bank.example/.well-known/openid-configuration
tls:
  ca_bundle: ca.pem
recipients:
  - name: A
    certificate: client-a.pem
    private_key: ${A_KEY_FILE}
    signing_key: { pem: a-sig.pem, kid: a-sig-1, alg: ES256 }
    jwks: { uri: https://adr.example/jwks }
    ssa: { file: a.jwt }
"#;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn a_good_file_loads_with_env_references() {
        let (_d, path) = fixture(GOOD);
        let target = Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")]))
            .expect("loads");
        assert_eq!(target.name, "bank-sandbox");
        assert_eq!(target.recipients.len(), 1);
        assert!(matches!(
            target.recipients[0].ssa,
            Some(SsaSource::Fixed(_))
        ));
        let caps = target.capabilities();
        for need in [
            Need::RegisterKey,
            Need::SecondRecipient,
            Need::ClockSkew,
            Need::TokenExpiry,
        ] {
            assert!(caps.missing(need).is_some(), "{need:?}");
        }
        assert!(caps.missing(Need::Delete).is_none());
        assert!(caps.missing(Need::Isolation).is_none());
    }

    #[test]
    fn debug_output_holds_no_key_material() {
        let (_d, path) = fixture(GOOD);
        let target = Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")]))
            .expect("loads");
        let text = format!("{target:?}");
        assert!(!text.contains("PRIVATE KEY"), "{text}");
        assert!(!text.contains("BEGIN CERTIFICATE"), "{text}");
    }

    #[test]
    fn an_unset_variable_names_the_field_and_the_variable() {
        let (_d, path) = fixture(GOOD);
        let err = Target::load_with_env(&path, &env_of(&[])).expect_err("unset");
        assert_eq!(
            err.problems,
            vec![
                "recipients[0].private_key: environment variable A_KEY_FILE is not set (export it, or write the value in the file)"
                    .to_string()
            ]
        );
    }

    #[test]
    fn key_material_may_come_through_the_environment() {
        let (d, path) = fixture(GOOD);
        let pem = std::fs::read_to_string(d.0.join("client-a.key")).expect("key");
        Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", &pem)])).expect("inline PEM");
    }

    #[test]
    fn an_unknown_field_is_named_with_its_path() {
        let (_d, path) = fixture(&GOOD.replace("jwks: { uri:", "jwks: { url:"));
        let err = Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")]))
            .expect_err("unknown field");
        let text = err.to_string();
        assert!(text.contains("recipients[0].jwks"), "{text}");
        assert!(text.contains("unknown field `url`"), "{text}");
    }

    #[test]
    fn every_problem_is_listed_at_once() {
        let yaml = GOOD
            .replace("https://bank.example", "http://bank.example")
            .replace("ca.pem", "missing.pem")
            .replace("alg: ES256", "alg: RS256")
            .replace("name: A", "name: C");
        let (_d, path) = fixture(&yaml);
        let err = Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")]))
            .expect_err("bad");
        let text = err.to_string();
        for field in [
            "holder.discovery_url: \"http://bank.example/.well-known/openid-configuration\" uses http; expected an https URL",
            "tls.ca_bundle: cannot read",
            "recipients[0].signing_key.alg: \"RS256\"; expected PS256 or ES256",
            "recipients[0].name: \"C\"",
        ] {
            assert!(text.contains(field), "missing {field:?} in\n{text}");
        }
    }

    #[test]
    fn a_missing_ssa_source_is_explained() {
        let (_d, path) = fixture(&GOOD.replace("    ssa: { file: a.jwt }\n", ""));
        let err = Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")]))
            .expect_err("no ssa");
        assert!(
            err.to_string()
                .contains("recipients[0].ssa: missing; without register.signing_key"),
            "{err}"
        );
    }

    #[test]
    fn the_example_target_file_loads() {
        let example =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/targets/example-bank.yaml");
        let dir = std::env::temp_dir().join(format!("dcr-example-{}", uuid::Uuid::new_v4()));
        let _cleanup = Dir(dir.clone());
        for sub in ["certs", "keys"] {
            std::fs::create_dir_all(dir.join(sub)).expect("dir");
        }
        let pki = dcr_vectors::TestPki::generate(&[]).expect("pki");
        let a = SigningKey::generate(SigningAlg::Ps256, "adr-a-sig-2026").expect("key");
        let b = SigningKey::generate(SigningAlg::Es256, "adr-b-sig").expect("key");
        for (file, text) in [
            ("certs/holder-ca.pem", pki.ca.cert_pem.clone()),
            ("certs/register-ca.pem", pki.ca.cert_pem.clone()),
            ("certs/adr-a-transport.pem", pki.client_a.cert_pem.clone()),
            ("certs/adr-b-transport.pem", pki.client_b.cert_pem.clone()),
            ("keys/adr-a-signing.pem", a.private_pem().expect("pem")),
            ("keys/adr-b-signing.jwk", b.private_jwk_json().expect("jwk")),
            (
                "example-bank.yaml",
                std::fs::read_to_string(&example).expect("example"),
            ),
        ] {
            std::fs::write(dir.join(file), text).expect("write");
        }
        let env = env_of(&[
            ("ADR_A_TRANSPORT_KEY", &pki.client_a.key_pem),
            ("ADR_B_TRANSPORT_KEY", &pki.client_b.key_pem),
            ("ADR_A_BRAND_ID", "brand-a"),
            ("ADR_A_SOFTWARE_PRODUCT_ID", "product-a"),
        ]);
        let target = Target::load_with_env(&dir.join("example-bank.yaml"), &env)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(target.name, "example-bank-sandbox");
        assert_eq!(target.recipients.len(), 2);
        assert!(matches!(
            &target.recipients[0].ssa,
            Some(SsaSource::RegisterApi { ssa_endpoint, .. }) if ssa_endpoint.contains("/brands/brand-a/software-products/product-a/ssa")
        ));
        assert!(matches!(
            &target.recipients[1].ssa,
            Some(SsaSource::Command(_))
        ));
        assert!(matches!(&target.recipients[1].jwks, Jwks::Served(_)));
        assert_eq!(target.requests_per_second, Some(5.0));
        let caps = target.capabilities();
        assert!(caps.missing(Need::TokenExpiry).is_none());
        assert!(caps.missing(Need::RegisterKey).is_some());
    }

    #[test]
    fn a_long_token_lifetime_explains_the_skip() {
        let yaml = GOOD.replace(
            "  discovery_url:",
            "  token_lifetime_seconds: 600\n  discovery_url:",
        );
        let (_d, path) = fixture(&yaml);
        let target = Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")]))
            .expect("loads");
        let caps = target.capabilities();
        assert_eq!(
            caps.missing(Need::TokenExpiry),
            Some("tokens live 600 s, longer than run.max_token_wait_seconds (30 s)")
        );
    }
}

//! Loading a target file: YAML, `${ENV}` expansion, deserialisation with field paths, then
//! every field checked and its material (certificates, keys, SSAs) loaded, each problem
//! naming its field and what is expected.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use dcr_vectors::{SigningAlg, SigningKey};
use serde_yaml::Value;

use super::schema::{File, HostSection, KeySection, RecipientSection, SsaSection};
use super::{Host, Jwks, RegisterKey, SsaSource, Target, TargetError, TargetRecipient};

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

/// Why a published JWKS must be https, and the way to an http one.
const JWKS_URI_RULE: &str = " (a published JWKS is the SSA's jwks_uri, which a holder fetches over TLS); for an http JWKS, let the suite serve it with jwks: { serve: { bind, public_url } } (public_url may be http: it is whatever URL the holder reaches the suite's JWKS host at)";

/// Resolves material fields: inline material (PEM, JWK, JWT) as is, anything else a path
/// relative to the target file.
struct Loader<'a> {
    dir: &'a Path,
    problems: Vec<String>,
}

impl Loader<'_> {
    /// Where a material field's value came from, for a message: its file, or "the PEM given
    /// inline" (never the material itself).
    fn origin(&self, value: &str) -> String {
        let v = value.trim();
        if v.starts_with("-----BEGIN") {
            "the PEM given inline (or through a variable)".to_string()
        } else {
            self.dir.join(v).display().to_string()
        }
    }

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
        self.https_url_or(field, value, "")
    }

    /// [`Self::https_url`], with `alternative` appended to the message of a URL that is not
    /// https.
    fn https_url_or(&mut self, field: &str, value: &str, alternative: &str) -> Option<url::Url> {
        match url::Url::parse(value) {
            Ok(u) if u.scheme() == "https" => Some(u),
            Ok(u) => {
                self.problems.push(format!(
                    "{field}: {value:?} uses {}; expected an https URL{alternative}",
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
                            "{field}.jwk: {}; expected a private PS256 (RSA) or ES256 (P-256) JWK",
                            crate::redact::chain::chain(&e)
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
                        self.problems
                            .push(format!("{field}.pem: {}", crate::redact::chain::chain(&e)));
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

    fn identity(
        &mut self,
        field: &str,
        r: &RecipientSection,
    ) -> Option<(String, String, String, Option<serde_json::Value>)> {
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
        let Ok(private) = PrivateKeyDer::from_pem_slice(key.as_bytes()) else {
            self.problems.push(format!(
                "{field}.private_key: no PEM private key found; expected -----BEGIN PRIVATE KEY----- (PKCS#8), RSA or EC"
            ));
            return None;
        };
        let provider = rustls::crypto::aws_lc_rs::default_provider();
        match rustls::sign::CertifiedKey::from_der(
            vec![der.clone().into_owned()],
            private,
            &provider,
        ) {
            Ok(_) => {}
            Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
                self.problems.push(format!(
                    "{field}.certificate and {field}.private_key do not match: the certificate in {} was not issued for the key in {}; give the private key of this certificate (or the certificate of this key)",
                    self.origin(&r.certificate),
                    self.origin(&r.private_key),
                ));
                return None;
            }
            Err(e) => {
                self.problems.push(format!(
                    "{field}.private_key: not a usable TLS client key ({e}); expected the RSA or EC (P-256) private key of {field}.certificate"
                ));
                return None;
            }
        }
        let identity = format!("{}\n{}", cert.trim_end(), key.trim_end());
        if let Err(e) = reqwest::Identity::from_pem(identity.as_bytes()) {
            self.problems.push(format!(
                "{field}: the certificate and private key do not form a usable TLS identity ({e})"
            ));
            return None;
        }
        let subject_dn = match dcr_vectors::pki::subject_dn(&der) {
            Ok(dn) => dn,
            Err(e) => {
                self.problems.push(format!(
                    "{field}.certificate: its subject cannot be read ({e:#}); give an X.509 certificate whose subject attributes are strings"
                ));
                return None;
            }
        };
        let kid = format!("{}-tls", r.name.to_ascii_lowercase());
        let transport = dcr_vectors::pki::transport_jwk(&der, &key, &kid).ok();
        Some((
            identity,
            dcr_vectors::pki::thumbprint(&der),
            subject_dn,
            transport,
        ))
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
        let registration_endpoint = file
            .holder
            .registration_endpoint
            .as_ref()
            .and_then(|u| l.https_url("holder.registration_endpoint", u));
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
                    .https_url_or(&format!("{field}.jwks.uri"), uri, JWKS_URI_RULE)
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
            if let (
                Some((identity_pem, thumbprint, subject_dn, transport_jwk)),
                Some(key),
                Some(jwks),
            ) = (identity, key, jwks)
            {
                recipients.push(TargetRecipient {
                    name: r.name.clone(),
                    identity_pem,
                    thumbprint,
                    subject_dn,
                    transport_jwk,
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
            registration_endpoint: registration_endpoint.map(|u| u.to_string()),
            supports_read: file.holder.supports_read,
            supports_update: file.holder.supports_update,
            supports_delete: file.holder.supports_delete,
            registration_aud: file.holder.registration_aud.clone(),
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
}

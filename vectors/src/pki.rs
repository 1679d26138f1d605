//! A test PKI generated at start-up, so that nothing in the repository can expire.
//!
//! The embedded run needs: a CA that the mock holder trusts for client certificates and that
//! clients trust for the server; a server certificate for `localhost` / `127.0.0.1`; one client
//! (transport) certificate per Data Recipient; and one "rogue" client certificate issued by a
//! different CA, which a correct holder must refuse.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use sha2::{Digest, Sha256};

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub struct CertAndKey {
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The PKCS#8 private key, PEM. Never written to reports or logs.
    pub key_pem: String,
    /// The certificate's DER bytes (for thumbprints).
    pub cert_der: Vec<u8>,
}

impl std::fmt::Debug for CertAndKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertAndKey")
            .field("x5t#S256", &self.thumbprint())
            .field("key_pem", &"[redacted]")
            .finish()
    }
}

impl CertAndKey {
    /// RFC 8705 `x5t#S256`: base64url (no padding) of the SHA-256 of the certificate's DER.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.cert_der)
    }

    /// Certificate followed by key, the form reqwest's `Identity::from_pem` takes.
    pub fn identity_pem(&self) -> String {
        format!("{}{}", self.cert_pem, self.key_pem)
    }
}

/// RFC 8705 `x5t#S256` of a DER certificate.
pub fn thumbprint(cert_der: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(cert_der))
}

/// The whole test PKI.
#[derive(Debug, Clone)]
pub struct TestPki {
    /// The CA that issues the server and recipient certificates (stands in for the CDR CA).
    pub ca: CertAndKey,
    /// The holder's server certificate (SANs: `localhost`, `127.0.0.1` and any extra hosts).
    pub server: CertAndKey,
    /// Transport certificate of recipient A.
    pub client_a: CertAndKey,
    /// Transport certificate of recipient B.
    pub client_b: CertAndKey,
    /// A client certificate issued by another CA, which the holder must not trust.
    pub rogue: CertAndKey,
}

impl TestPki {
    /// Generates a fresh PKI. `extra_hosts` are added to the server certificate's SANs.
    ///
    /// # Errors
    /// Fails only if key generation or certificate signing fails.
    pub fn generate(extra_hosts: &[String]) -> anyhow::Result<Self> {
        let (ca, ca_issuer) = new_ca("dcr-conformance test CA")?;
        let mut hosts = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        hosts.extend(extra_hosts.iter().cloned());
        let server = leaf(
            &ca_issuer,
            "mock data holder",
            hosts,
            ExtendedKeyUsagePurpose::ServerAuth,
        )?;
        let client_a = leaf(
            &ca_issuer,
            "recipient A",
            vec![],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        let client_b = leaf(
            &ca_issuer,
            "recipient B",
            vec![],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        let (_rogue_ca, rogue_issuer) = new_ca("rogue CA")?;
        let rogue = leaf(
            &rogue_issuer,
            "recipient A",
            vec![],
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        Ok(Self {
            ca,
            server,
            client_a,
            client_b,
            rogue,
        })
    }

    /// Writes every certificate and key as PEM files into `dir` (created if needed):
    /// `ca.pem`, `server.pem`, `server.key`, `client-a.pem`, `client-a.key`, ...
    ///
    /// # Errors
    /// Fails when the directory or a file cannot be written.
    pub fn write_to_dir(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let write = |name: &str, body: &str| {
            let path = dir.join(name);
            std::fs::write(&path, body).with_context(|| format!("writing {}", path.display()))
        };
        write("ca.pem", &self.ca.cert_pem)?;
        for (name, ck) in [
            ("server", &self.server),
            ("client-a", &self.client_a),
            ("client-b", &self.client_b),
            ("rogue", &self.rogue),
        ] {
            write(&format!("{name}.pem"), &ck.cert_pem)?;
            write(&format!("{name}.key"), &ck.key_pem)?;
        }
        Ok(())
    }
}

fn new_ca(name: &str) -> anyhow::Result<(CertAndKey, Issuer<'static, KeyPair>)> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.distinguished_name = dn(name);
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let out = CertAndKey {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert_der: cert.der().to_vec(),
    };
    Ok((out, Issuer::new(params, key)))
}

fn leaf(
    issuer: &Issuer<'static, KeyPair>,
    cn: &str,
    sans: Vec<String>,
    usage: ExtendedKeyUsagePurpose,
) -> anyhow::Result<CertAndKey> {
    let mut params = CertificateParams::new(sans)?;
    params.distinguished_name = dn(cn);
    params.extended_key_usages.push(usage);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer)?;
    Ok(CertAndKey {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
        cert_der: cert.der().to_vec(),
    })
}

fn dn(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_pki_has_distinct_client_certificates() {
        let pki = TestPki::generate(&[]).expect("pki");
        assert_ne!(pki.client_a.thumbprint(), pki.client_b.thumbprint());
        assert_ne!(pki.client_a.thumbprint(), pki.rogue.thumbprint());
        assert!(
            pki.server
                .cert_pem
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        assert!(pki.client_a.key_pem.contains("PRIVATE KEY"));
    }

    #[test]
    fn thumbprint_is_base64url_sha256() {
        // SHA-256 is 32 bytes: 43 base64url characters without padding.
        let t = thumbprint(b"not really a certificate");
        assert_eq!(t.len(), 43);
        assert!(!t.contains('=') && !t.contains('+') && !t.contains('/'));
    }
}

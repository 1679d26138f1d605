//! TLS for the holder's two listeners, and the client certificate made visible to handlers.
//!
//! The **mTLS listener** (registration and token endpoints) requires a client certificate that
//! chains to the configured CA; a client without one fails the handshake with a
//! `certificate_required` alert, which is one of the refusals the CDS allows. The **public
//! listener** (discovery, JWKS) is plain server-authenticated TLS, as a Data Holder's public
//! host is. The leaf certificate's RFC 8705 thumbprint is computed once per connection and put
//! into the request extensions as `ClientCert`, so the token endpoint can bind tokens to it and
//! the management endpoints can check the binding (holder-of-key).

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;

use anyhow::Context;
use axum::Extension;
use axum_server::accept::{Accept, NoDelayAcceptor};
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use rustls::RootCertStore;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpStream;
use tower::Layer;

/// PEM material for one TLS listener.
#[derive(Clone)]
pub struct TlsMaterial {
    /// CA bundle trusted for client certificates (PEM, one or more certificates).
    pub client_ca_pem: String,
    /// Server certificate chain (PEM).
    pub cert_pem: String,
    /// Server private key (PEM). Never logged.
    pub key_pem: String,
}

impl std::fmt::Debug for TlsMaterial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsMaterial")
            .field("key_pem", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// The client certificate of the connection a request arrived on.
#[derive(Debug, Clone, Default)]
pub(crate) struct ClientCert {
    /// RFC 8705 `x5t#S256` of the leaf certificate, if the client presented one.
    pub(crate) thumbprint: Option<String>,
    /// The leaf certificate (DER), if the client presented one: its subject DN authenticates
    /// a `tls_client_auth` client (RFC 8705 §2.1).
    pub(crate) leaf: Option<Arc<[u8]>>,
    /// The HTTP status every request of the connection is refused with: its certificate (or
    /// its lack of one) was judged after the handshake and refused ([`LateRefusal::Status`]).
    pub(crate) refused: Option<u16>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    // Pin the provider: two providers in the tree make the implicit builder panic.
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Whether a listener asks for client certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientAuth {
    /// Server-authenticated TLS only (the public listener).
    None,
    /// Mutual TLS: a client certificate from the CA is required.
    Required,
    /// A certificate from the CA is checked when sent, but a client may send none (only the
    /// `optional-client-certificate` defect: see [`crate::defect`]).
    Optional,
    /// Every client passes the handshake, with any certificate or none (the signature over
    /// the handshake is still verified), and the certificate is judged after it, as
    /// [`LateRefusal`] says (the `cert-refused-*` variations: see [`crate::variation`]).
    Late,
}

/// How a client certificate judged after the handshake ([`ClientAuth::Late`]) is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LateRefusal {
    /// The connection is closed without an alert and without reading a request.
    Close,
    /// Every request on the connection is answered with this HTTP status.
    Status(u16),
}

/// Lets every client certificate (or none) through the handshake, checking only the
/// handshake signatures; the chain is judged after the handshake by [`ClientCertAcceptor`].
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<dyn rustls::server::danger::ClientCertVerifier>);

impl rustls::server::danger::ClientCertVerifier for AcceptAnyCertificate {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[rustls::DistinguishedName] {
        self.0.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::server::danger::ClientCertVerified, rustls::Error> {
        Ok(rustls::server::danger::ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// The verifier of client certificates chaining to the CA of `material`.
///
/// # Errors
/// Fails when the CA PEM does not parse.
pub(crate) fn client_verifier(
    material: &TlsMaterial,
) -> anyhow::Result<Arc<dyn rustls::server::danger::ClientCertVerifier>> {
    let mut roots = RootCertStore::empty();
    for ca in CertificateDer::pem_slice_iter(material.client_ca_pem.as_bytes()) {
        roots.add(ca.context("client CA PEM")?)?;
    }
    Ok(WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider()).build()?)
}

/// Builds a rustls server config for `client_auth`.
///
/// # Errors
/// Fails when the PEM material does not parse or the key does not match the certificate.
pub(crate) fn server_config(
    material: &TlsMaterial,
    client_auth: ClientAuth,
) -> anyhow::Result<rustls::ServerConfig> {
    let provider = provider();
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(material.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .context("server certificate PEM")?;
    let key =
        PrivateKeyDer::from_pem_slice(material.key_pem.as_bytes()).context("server key PEM")?;
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?;
    let builder = if client_auth == ClientAuth::None {
        builder.with_no_client_auth()
    } else if client_auth == ClientAuth::Late {
        builder
            .with_client_cert_verifier(Arc::new(AcceptAnyCertificate(client_verifier(material)?)))
    } else {
        let mut roots = RootCertStore::empty();
        for ca in CertificateDer::pem_slice_iter(material.client_ca_pem.as_bytes()) {
            roots.add(ca.context("client CA PEM")?)?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
        let verifier = if client_auth == ClientAuth::Optional {
            verifier.allow_unauthenticated()
        } else {
            verifier
        };
        builder.with_client_cert_verifier(verifier.build()?)
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .context("server certificate and key do not match")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// An axum-server acceptor that sets `TCP_NODELAY`, terminates TLS and adds [`ClientCert`] to
/// every request.
///
/// `TCP_NODELAY` because the holder answers requests: a response written in more than one
/// segment (HTTP/2 writes HEADERS and DATA frames apart) must not wait on Nagle's algorithm for
/// the client's delayed ACK.
#[derive(Clone)]
pub(crate) struct ClientCertAcceptor(
    RustlsAcceptor<NoDelayAcceptor>,
    Option<(
        Arc<dyn rustls::server::danger::ClientCertVerifier>,
        LateRefusal,
    )>,
);

impl std::fmt::Debug for ClientCertAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientCertAcceptor")
    }
}

impl ClientCertAcceptor {
    /// Wraps a rustls server config; a handshake longer than `handshake_timeout` fails.
    pub(crate) fn new(
        config: rustls::ServerConfig,
        handshake_timeout: std::time::Duration,
    ) -> Self {
        Self(
            RustlsAcceptor::new(RustlsConfig::from_config(Arc::new(config)))
                .handshake_timeout(handshake_timeout)
                .acceptor(NoDelayAcceptor::new()),
            None,
        )
    }

    /// Judges the client certificate with `verifier` after the handshake (for a config built
    /// with [`ClientAuth::Late`]), refusing one that does not verify, or none, as `refusal`.
    pub(crate) fn judged_late(
        mut self,
        verifier: Arc<dyn rustls::server::danger::ClientCertVerifier>,
        refusal: LateRefusal,
    ) -> Self {
        self.1 = Some((verifier, refusal));
        self
    }
}

impl<S> Accept<TcpStream, S> for ClientCertAcceptor
where
    S: Send + 'static,
{
    type Stream = tokio_rustls::server::TlsStream<TcpStream>;
    type Service = axum::middleware::AddExtension<S, ClientCert>;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        let inner = self.0.clone();
        let late = self.1.clone();
        Box::pin(async move {
            let (tls, service) = inner.accept(stream, service).await?;
            let chain = tls.get_ref().1.peer_certificates();
            let mut refused = None;
            if let Some((verifier, refusal)) = &late {
                let trusted = chain.is_some_and(|chain| {
                    chain.split_first().is_some_and(|(leaf, rest)| {
                        verifier
                            .verify_client_cert(leaf, rest, rustls::pki_types::UnixTime::now())
                            .is_ok()
                    })
                });
                match (trusted, refusal) {
                    (true, _) => {}
                    // Dropping the stream closes the TCP connection without a TLS alert.
                    (false, LateRefusal::Close) => {
                        return Err(io::Error::new(
                            io::ErrorKind::PermissionDenied,
                            "client certificate refused after the handshake",
                        ));
                    }
                    (false, LateRefusal::Status(status)) => refused = Some(*status),
                }
            }
            let leaf = chain.and_then(|chain| chain.first());
            let thumbprint = leaf.map(|leaf| dcr_vectors::pki::thumbprint(leaf.as_ref()));
            let leaf = leaf.map(|leaf| Arc::from(leaf.as_ref()));
            Ok((
                tls,
                Extension(ClientCert {
                    thumbprint,
                    leaf,
                    refused,
                })
                .layer(service),
            ))
        })
    }
}

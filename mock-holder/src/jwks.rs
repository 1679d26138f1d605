//! Fetching and caching the JWKS documents the holder verifies signatures with.
//!
//! Two kinds of JWKS are fetched: the CDR Register's (verifies SSAs) and each Data Recipient's
//! `jwks_uri` from its SSA (verifies registration requests and client assertions). Fetches are
//! bounded by a timeout and a size limit, so a slow or hostile endpoint cannot stall the holder.
//! Documents are cached per URL; a `kid` missing from a cached document triggers one refresh,
//! which is how key rotation at the Register is picked up without waiting for expiry.
//!
//! Nobody can make the holder fetch more than it must, even with `kid`s chosen at will (the
//! token endpoint picks a client's `jwks_uri` from an unverified `iss`):
//!
//! * **One fetch at a time per URL** (single flight): requests that need the same document
//!   while it is being fetched wait for that fetch instead of starting their own. A request
//!   whose `kid` is still missing from a fetch another `kid` started (it may have been sent
//!   just before a key was published) refetches once, again merged with the others.
//! * **Failures are remembered** for [`FAILURE_TTL`]: requests then get the same error at once,
//!   with no fetch, so a hanging or broken endpoint is not asked again by each request.
//! * **At most one fetch per [`MIN_FETCH_INTERVAL`] per URL**: a refresh asked for sooner waits
//!   for the interval to pass (it is not refused: a key published a moment ago must be found).
//!
//! A fetch runs as its own task, so it completes (and its result is cached) even when every
//! request that waited for it has gone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::prelude::BASE64_STANDARD;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use josekit::jwk::Jwk;
use josekit::jws::{ES256, JwsVerifier, PS256};

/// How long a failed fetch is remembered (and answered from memory).
pub(crate) const FAILURE_TTL: Duration = Duration::from_secs(2);
/// The shortest time between the starts of two fetches of one URL.
pub(crate) const MIN_FETCH_INTERVAL: Duration = Duration::from_millis(100);

/// Why a key could not be obtained.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum JwksError {
    /// Connection refused, DNS failure, TLS failure...
    #[error("could not reach {url}: {reason}")]
    Unreachable {
        /// The JWKS URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The endpoint did not answer within the timeout.
    #[error("{url} did not answer within {seconds:.1} s")]
    Timeout {
        /// The JWKS URL.
        url: String,
        /// The timeout.
        seconds: f64,
    },
    /// Non-2xx answer.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The JWKS URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The document exceeded the size limit.
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// The JWKS URL.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// Not a JWKS document.
    #[error("{url} did not return a JWKS document: {reason}")]
    Malformed {
        /// The JWKS URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The document has no key with this `kid`, even after a refresh.
    #[error("no key with kid {kid:?} at {url}")]
    UnknownKid {
        /// The JWKS URL.
        url: String,
        /// The requested key id.
        kid: String,
    },
}

/// Signature verifiers built once per fetched document: `(kid, alg, verifier)`. Building a
/// verifier from a JWK (OpenSSL key import) costs more than verifying a signature, so it is not
/// done per request.
type Verifiers = Vec<(String, &'static str, Arc<dyn JwsVerifier>)>;

/// A fetched document: its keys and their verifiers.
#[derive(Debug, Clone)]
struct Document {
    keys: Arc<Vec<Jwk>>,
    verifiers: Arc<Verifiers>,
    /// The leaf certificates (DER, `x5c[0]`) of the keys published with `use` = `tls`: the
    /// transport certificates the document's owner may present (OB Directory software JWKS).
    tls_certs: Arc<Vec<Vec<u8>>>,
}

impl Document {
    fn has(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.key_id() == Some(kid))
    }
}

/// A fetch in progress, shared by everyone waiting for it.
type Flight = Shared<BoxFuture<'static, Result<Document, JwksError>>>;

/// What is known of one URL.
#[derive(Default)]
struct UrlState {
    /// The last document fetched, and when.
    document: Option<(Instant, Document)>,
    /// The last fetch's failure, and when (cleared by a success).
    failure: Option<(Instant, JwksError)>,
    /// When the last fetch started (or will start, if it is waiting for its turn).
    last_start: Option<Instant>,
    /// The fetch in progress: its number, the `kid` it was started for, the fetch.
    flight: Option<(u64, String, Flight)>,
}

/// The fetcher's state, shared with the fetch tasks.
struct Inner {
    http: reqwest::Client,
    ttl: Duration,
    timeout: Duration,
    max_bytes: usize,
    urls: Mutex<HashMap<String, UrlState>>,
    flights: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("ttl", &self.ttl)
            .field("timeout", &self.timeout)
            .field("max_bytes", &self.max_bytes)
            .finish_non_exhaustive()
    }
}

/// The verifiers a key may be used with: its own `alg` if it names one (PS256 or ES256 only),
/// else by key type (RSA: PS256, EC: ES256).
fn build_verifiers(keys: &[Jwk]) -> Verifiers {
    let mut out: Verifiers = Vec::new();
    for jwk in keys {
        let Some(kid) = jwk.key_id() else { continue };
        let alg = match (jwk.algorithm(), jwk.key_type()) {
            (Some("PS256"), _) | (None, "RSA") => "PS256",
            (Some("ES256"), _) | (None, "EC") => "ES256",
            _ => continue,
        };
        let verifier: Option<Arc<dyn JwsVerifier>> = match alg {
            "PS256" => PS256
                .verifier_from_jwk(jwk)
                .ok()
                .map(|v| Arc::new(v) as Arc<dyn JwsVerifier>),
            _ => ES256
                .verifier_from_jwk(jwk)
                .ok()
                .map(|v| Arc::new(v) as Arc<dyn JwsVerifier>),
        };
        if let Some(v) = verifier {
            out.push((kid.to_string(), alg, v));
        }
    }
    out
}

fn pick(verifiers: &Verifiers, kid: &str, alg: &str) -> Option<Arc<dyn JwsVerifier>> {
    verifiers
        .iter()
        .find(|(k, a, _)| k == kid && *a == alg)
        .map(|(_, _, v)| v.clone())
}

/// A bounded, caching JWKS fetcher (see the module documentation).
#[derive(Debug)]
pub(crate) struct JwksCache(Arc<Inner>);

/// What [`JwksCache::next_step`] found to do.
enum Step {
    /// The answer, from memory.
    Done(Result<Option<Arc<dyn JwsVerifier>>, JwksError>),
    /// Wait for this fetch; `for_other_kid` when it was started for another `kid`.
    Wait { flight: Flight, for_other_kid: bool },
}

impl JwksCache {
    /// A cache whose entries live `ttl`, whose fetches time out after `timeout` and may not
    /// exceed `max_bytes`.
    ///
    /// # Errors
    /// Fails only when the HTTP client cannot be built.
    pub(crate) fn new(ttl: Duration, timeout: Duration, max_bytes: usize) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self(Arc::new(Inner {
            http,
            ttl,
            timeout,
            max_bytes,
            urls: Mutex::new(HashMap::new()),
            flights: std::sync::atomic::AtomicU64::new(0),
        })))
    }

    /// A (cached) verifier for `alg` with the key `kid` of the JWKS at `url`, fetching the
    /// document when it is missing or stale. A `kid` missing from a fresh cached document
    /// triggers one refresh, unless `refresh_on_unknown_kid` is false (only the
    /// `no-register-jwks-refresh` defect: see [`crate::defect`]).
    ///
    /// # Errors
    /// `Err(Ok(text))`: the key exists but cannot verify `alg` (another algorithm or key type),
    /// described for the `what` being verified; `Err(Err(e))`: why the JWKS could not be used
    /// (see [`JwksError`]).
    pub(crate) async fn verifier_for(
        &self,
        url: &str,
        kid: &str,
        alg: &str,
        what: &str,
        refresh_on_unknown_kid: bool,
    ) -> Result<Arc<dyn JwsVerifier>, Result<String, JwksError>> {
        match self.lookup(url, kid, alg, refresh_on_unknown_kid).await {
            Ok(Some(v)) => Ok(v),
            Ok(None) => Err(Ok(format!(
                "The {what} signature is not valid: alg {alg} does not match the key {kid}"
            ))),
            Err(e) => Err(Err(e)),
        }
    }

    /// Every (cached) verifier for `alg` of the JWKS at `url`, fetching the document when it is
    /// missing or stale: for a JWS without `kid` (UK DCR client assertions, uk-dcr.md §1.3),
    /// which is tried with each.
    ///
    /// # Errors
    /// Why the JWKS could not be used.
    pub(crate) async fn verifiers_for_alg(
        &self,
        url: &str,
        alg: &str,
    ) -> Result<Vec<Arc<dyn JwsVerifier>>, JwksError> {
        let keys = self.document(url).await?.keys;
        // Verifiers without a key id: josekit refuses a JWS without `kid` for a verifier
        // that has one.
        let bare: Vec<Jwk> = keys
            .iter()
            .filter_map(|k| {
                let mut k = k.clone();
                k.set_parameter("kid", None).ok()?;
                Some(k)
            })
            .collect();
        Ok(bare
            .iter()
            .filter_map(|jwk| {
                let (a, verifier): (&str, Option<Arc<dyn JwsVerifier>>) =
                    match (jwk.algorithm(), jwk.key_type()) {
                        (Some("PS256"), _) | (None, "RSA") => (
                            "PS256",
                            PS256
                                .verifier_from_jwk(jwk)
                                .ok()
                                .map(|v| Arc::new(v) as Arc<dyn JwsVerifier>),
                        ),
                        (Some("ES256"), _) | (None, "EC") => (
                            "ES256",
                            ES256
                                .verifier_from_jwk(jwk)
                                .ok()
                                .map(|v| Arc::new(v) as Arc<dyn JwsVerifier>),
                        ),
                        _ => return None,
                    };
                verifier.filter(|_| a == alg)
            })
            .collect())
    }

    /// The leaf certificates (DER) of the keys published with `use` = `tls` in the (cached)
    /// JWKS at `url`, fetching the document when it is missing or stale.
    ///
    /// # Errors
    /// Why the JWKS could not be used.
    pub(crate) async fn tls_certificates(&self, url: &str) -> Result<Arc<Vec<Vec<u8>>>, JwksError> {
        Ok(self.document(url).await?.tls_certs)
    }

    /// The (cached) document at `url`, fetched when it is missing or stale.
    async fn document(&self, url: &str) -> Result<Document, JwksError> {
        // No key has an empty `kid`: this fetches the document unless a fresh one is cached,
        // through the single flight, without a refresh for the missing kid.
        match self.lookup(url, "", "PS256", false).await {
            Ok(_) | Err(JwksError::UnknownKid { .. }) => {}
            Err(e) => return Err(e),
        }
        let urls = self.0.urls.lock().map_err(|_| JwksError::Unreachable {
            url: url.to_string(),
            reason: "the JWKS cache is unusable".into(),
        })?;
        urls.get(url)
            .and_then(|state| state.document.as_ref())
            .map(|(_, document)| document.clone())
            .ok_or_else(|| JwksError::Unreachable {
                url: url.to_string(),
                reason: "the JWKS document was not kept".into(),
            })
    }

    async fn lookup(
        &self,
        url: &str,
        kid: &str,
        alg: &str,
        refresh_on_unknown_kid: bool,
    ) -> Result<Option<Arc<dyn JwsVerifier>>, JwksError> {
        let unknown = || JwksError::UnknownKid {
            url: url.to_string(),
            kid: kid.to_string(),
        };
        // At most two rounds: a second only after waiting for a fetch another kid started.
        for round in 0..2 {
            match self.next_step(url, kid, alg, refresh_on_unknown_kid) {
                Step::Done(answer) => return answer,
                Step::Wait {
                    flight,
                    for_other_kid,
                } => {
                    let document = flight.await?;
                    if document.has(kid) {
                        return Ok(pick(&document.verifiers, kid, alg));
                    }
                    if !for_other_kid || round == 1 {
                        return Err(unknown());
                    }
                }
            }
        }
        Err(unknown())
    }

    /// What to do for `kid` at `url` now: answer from memory, or wait for a fetch (joining the
    /// one in progress, or starting one).
    fn next_step(&self, url: &str, kid: &str, alg: &str, refresh_on_unknown_kid: bool) -> Step {
        let inner = &self.0;
        let Ok(mut urls) = inner.urls.lock() else {
            return Step::Done(Err(JwksError::Unreachable {
                url: url.to_string(),
                reason: "the JWKS cache is unusable".into(),
            }));
        };
        let state = urls.entry(url.to_string()).or_default();
        if let Some((fetched, document)) = &state.document
            && fetched.elapsed() < inner.ttl
        {
            if document.has(kid) {
                return Step::Done(Ok(pick(&document.verifiers, kid, alg)));
            }
            if !refresh_on_unknown_kid {
                return Step::Done(Err(JwksError::UnknownKid {
                    url: url.to_string(),
                    kid: kid.to_string(),
                }));
            }
        }
        if let Some((failed, error)) = &state.failure
            && failed.elapsed() < FAILURE_TTL
        {
            return Step::Done(Err(error.clone()));
        }
        if let Some((_, started_for, flight)) = &state.flight {
            return Step::Wait {
                flight: flight.clone(),
                for_other_kid: started_for != kid,
            };
        }
        let now = Instant::now();
        let start = match state.last_start {
            Some(last) => (last + MIN_FETCH_INTERVAL).max(now),
            None => now,
        };
        state.last_start = Some(start);
        let id = inner
            .flights
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let task = tokio::spawn(Self::fly(inner.clone(), url.to_string(), id, start));
        let fetch_url = url.to_string();
        let flight = async move {
            task.await.unwrap_or_else(|e| {
                Err(JwksError::Unreachable {
                    url: fetch_url,
                    reason: format!("the fetch task failed: {e}"),
                })
            })
        }
        .boxed()
        .shared();
        state.flight = Some((id, kid.to_string(), flight.clone()));
        Step::Wait {
            flight,
            for_other_kid: false,
        }
    }

    /// One fetch of `url`, started no earlier than `start`; its result is remembered (the
    /// document, or the failure) and the flight `id` cleared.
    async fn fly(
        inner: Arc<Inner>,
        url: String,
        id: u64,
        start: Instant,
    ) -> Result<Document, JwksError> {
        tokio::time::sleep_until(start.into()).await;
        let result = inner.fetch(&url).await.map(|parsed| Document {
            verifiers: Arc::new(build_verifiers(&parsed.keys)),
            keys: Arc::new(parsed.keys),
            tls_certs: Arc::new(parsed.tls_certs),
        });
        if let Ok(mut urls) = inner.urls.lock() {
            let state = urls.entry(url).or_default();
            let at = Instant::now();
            match &result {
                Ok(document) => {
                    state.document = Some((at, document.clone()));
                    state.failure = None;
                }
                Err(error) => state.failure = Some((at, error.clone())),
            }
            if state.flight.as_ref().is_some_and(|(f, _, _)| *f == id) {
                state.flight = None;
            }
        }
        result
    }
}

impl Inner {
    async fn fetch(&self, url: &str) -> Result<Parsed, JwksError> {
        let timeout = |_| JwksError::Timeout {
            url: url.to_string(),
            seconds: self.timeout.as_secs_f64(),
        };
        let fetch = async {
            let mut response = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| classify(url, e, self.timeout))?;
            let status = response.status();
            if !status.is_success() {
                return Err(JwksError::Status {
                    url: url.to_string(),
                    status: status.as_u16(),
                });
            }
            if response
                .content_length()
                .is_some_and(|n| n > self.max_bytes as u64)
            {
                return Err(JwksError::TooLarge {
                    url: url.to_string(),
                    limit: self.max_bytes,
                });
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| classify(url, e, self.timeout))?
            {
                body.extend_from_slice(&chunk);
                if body.len() > self.max_bytes {
                    return Err(JwksError::TooLarge {
                        url: url.to_string(),
                        limit: self.max_bytes,
                    });
                }
            }
            Ok(body)
        };
        // The client timeout covers each phase; this bounds the whole exchange, including a
        // server that drips bytes slowly.
        let body = tokio::time::timeout(self.timeout, fetch)
            .await
            .map_err(timeout)??;
        parse_jwks(&body).map_err(|reason| JwksError::Malformed {
            url: url.to_string(),
            reason,
        })
    }
}

fn classify(url: &str, e: reqwest::Error, timeout: Duration) -> JwksError {
    if e.is_timeout() {
        JwksError::Timeout {
            url: url.to_string(),
            seconds: timeout.as_secs_f64(),
        }
    } else {
        JwksError::Unreachable {
            url: url.to_string(),
            reason: e.without_url().to_string(),
        }
    }
}

/// A parsed JWKS document.
#[derive(Debug)]
struct Parsed {
    /// The keys usable for signature verification (`use` absent or `sig`).
    keys: Vec<Jwk>,
    /// The leaf certificates (DER) of the keys with `use` = `tls` that carry an `x5c`.
    tls_certs: Vec<Vec<u8>>,
}

/// Parses a JWKS document: the keys usable for signature verification, and the transport
/// certificates of its `use` = `tls` keys.
fn parse_jwks(body: &[u8]) -> Result<Parsed, String> {
    let doc: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("not JSON ({e})"))?;
    let keys = doc
        .get("keys")
        .and_then(|k| k.as_array())
        .ok_or("no \"keys\" array")?;
    let mut out = Vec::new();
    let mut tls_certs = Vec::new();
    for key in keys {
        let Some(map) = key.as_object() else { continue };
        let usage = map.get("use").and_then(|u| u.as_str());
        if usage == Some("tls") {
            let leaf = map
                .get("x5c")
                .and_then(|c| c.as_array())
                .and_then(|c| c.first())
                .and_then(|c| c.as_str())
                .and_then(|c| BASE64_STANDARD.decode(c).ok());
            tls_certs.extend(leaf);
            continue;
        }
        if usage.is_some_and(|u| u != "sig") {
            continue;
        }
        if let Ok(jwk) = Jwk::from_map(map.clone()) {
            out.push(jwk);
        }
    }
    if out.is_empty() {
        return Err("no usable signing keys".into());
    }
    Ok(Parsed {
        keys: out,
        tls_certs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn tls_keys_yield_their_certificates_and_are_never_signing_keys() {
        let es = dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Es256, "sig-1")
            .expect("key");
        let doc = serde_json::json!({"keys": [
            es.public_jwk().expect("jwk").as_ref(),
            {"kty": "EC", "crv": "P-256", "kid": "tls-1", "use": "tls",
             "x": "x", "y": "y", "x5c": ["AQID"]},
            {"kty": "EC", "kid": "tls-2", "use": "tls"},
        ]});
        let parsed = parse_jwks(doc.to_string().as_bytes()).expect("parses");
        assert_eq!(parsed.tls_certs, vec![vec![1u8, 2, 3]]);
        assert_eq!(parsed.keys.len(), 1, "only the signing key verifies");
        assert_eq!(parsed.keys[0].key_id(), Some("sig-1"));
    }

    #[test]
    fn each_key_verifies_only_its_own_algorithm() {
        let es =
            dcr_vectors::SigningKey::generate(dcr_vectors::SigningAlg::Es256, "e").expect("key");
        let mut bare = es.public_jwk().expect("jwk");
        bare.set_key_id("bare");
        bare.set_parameter("alg", None).expect("remove alg");
        let verifiers = build_verifiers(&[es.public_jwk().expect("jwk"), bare]);
        assert!(pick(&verifiers, "e", "ES256").is_some());
        assert!(
            pick(&verifiers, "e", "PS256").is_none(),
            "no algorithm confusion"
        );
        assert!(
            pick(&verifiers, "bare", "ES256").is_some(),
            "EC without alg: ES256"
        );
        assert!(pick(&verifiers, "nope", "ES256").is_none());
    }

    #[rstest]
    #[case::not_json(b"<html>".as_slice(), "not JSON")]
    #[case::no_keys(br#"{"k":[]}"#.as_slice(), "no \"keys\"")]
    #[case::empty(br#"{"keys":[]}"#.as_slice(), "no usable")]
    #[case::only_encryption_keys(br#"{"keys":[{"kty":"RSA","use":"enc","n":"AQAB","e":"AQAB","kid":"x"}]}"#.as_slice(), "no usable")]
    fn malformed_documents_are_refused_with_a_reason(#[case] body: &[u8], #[case] reason: &str) {
        let err = parse_jwks(body).expect_err("must be refused");
        assert!(err.contains(reason), "{err}");
    }
}

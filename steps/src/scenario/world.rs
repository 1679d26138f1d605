//! The per-scenario World: typed state a scenario builds up (software statements, requests,
//! the last exchange), on top of the run's shared [`Environment`].

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use cucumber::World;
use serde_json::{Map, Value};

use crate::catalogue::profile::Endpoint;
use crate::catalogue::{Catalogue, Profile};
use crate::environment::{Environment, RecipientIdentity};
use crate::http::{self, Exchange, Request};
use crate::scenario::params::{Certificate, Recipient};
use crate::scenario::snapshot::SnapshotMode;

/// What every scenario of a run shares: the environment, the catalogue, the snapshot folder.
#[derive(Debug)]
pub struct RunContext {
    /// Target, recipients, Register.
    pub env: Arc<Environment>,
    /// The requirement catalogue.
    pub catalogue: Arc<Catalogue>,
    /// The profile checked: which rules, the accepted outcomes, how to talk to the holder.
    pub profile: Arc<Profile>,
    /// Where this target's snapshots live.
    pub snapshot_dir: PathBuf,
    /// Whether a changed or new payload goes through insta (which may write `.snap.new`) or is
    /// only compared with the stored snapshot.
    pub snapshots: SnapshotMode,
    /// The same for each passed scenario's whole exchanges (see
    /// [`crate::scenario::snapshot::exchanges_document`]).
    pub scenario_snapshots: SnapshotMode,
    /// Waits in progress (token expiries), which the console counts down.
    pub waits: crate::scenario::waits::Waits,
    /// Snapshots this run recorded because none was stored yet (a first run's baseline).
    pub new_snapshots: std::sync::Mutex<Vec<PathBuf>>,
}

tokio::task_local! {
    /// The context of the run whose future is being polled. cucumber builds each scenario's
    /// World (and polls every step) inside the run's future, without spawning tasks, so a World
    /// reads the context of its own run even when several runs share a process and a thread
    /// (the self-check): there is no process-wide context for one run to leave to another.
    static CONTEXT: Arc<RunContext>;
}

/// Runs `run` (a run's cucumber future) with `ctx` as the context of every World built while
/// it is polled.
pub async fn with_context<F: std::future::Future>(ctx: Arc<RunContext>, run: F) -> F::Output {
    CONTEXT.scope(ctx, run).await
}

fn context() -> anyhow::Result<Arc<RunContext>> {
    CONTEXT
        .try_with(Arc::clone)
        .context("no run context: a World is only built inside a run (run::runner::run)")
}

/// A registration request being prepared by a recipient.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    /// Its claims.
    pub claims: Map<String, Value>,
    /// The signed compact JWS.
    pub jwt: String,
}

/// The World of one scenario.
#[derive(World)]
#[world(init = Self::new)]
pub struct DcrWorld {
    /// Shared run context.
    pub ctx: Arc<RunContext>,
    /// The discovery document, once fetched.
    pub discovery: Option<Map<String, Value>>,
    /// Software product id each recipient uses in this scenario.
    pub software_ids: HashMap<Recipient, String>,
    /// The SSA each recipient holds.
    pub ssas: HashMap<Recipient, String>,
    /// The registration request each recipient prepared.
    pub requests: HashMap<Recipient, PendingRequest>,
    /// Every exchange of the scenario, in order.
    pub exchanges: Vec<Exchange>,
    /// Exchanges (index ranges of `exchanges`) left out of the scenario's snapshot: attempts a
    /// step made again because the machine was too slow (how many there are is the machine's,
    /// not the holder's).
    pub unpinned: Vec<std::ops::Range<usize>>,
    /// The exchanges of the last batch of simultaneous requests.
    pub batch: Vec<Exchange>,
    /// Each recipient's registration as the holder returned it (POST or the last PUT).
    pub registrations: HashMap<Recipient, Map<String, Value>>,
    /// Each recipient's current access token.
    pub tokens: HashMap<Recipient, Token>,
    /// The client_id of each recipient's registration deleted before it registered again.
    pub deleted_client_ids: HashMap<Recipient, String>,
    /// The recipients that moved to their successor key and `jwks_uri` in this scenario.
    pub rotated: std::collections::HashSet<Recipient>,
    /// The names of the mutations applied in this scenario (an SSA's or a request's), so that
    /// a profile's per-input outcomes can be found.
    pub mutations: Vec<String>,
}

/// An access token obtained from the holder's token endpoint.
#[derive(Clone)]
pub struct Token {
    /// The token. Never printed: exchanges redact Authorization headers.
    pub access_token: String,
    /// `expires_in` from the token response, if given.
    pub expires_in: Option<u64>,
    /// When it was obtained.
    pub obtained: std::time::Instant,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl std::fmt::Debug for DcrWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DcrWorld")
            .field("software_ids", &self.software_ids)
            .field(
                "exchanges",
                &self
                    .exchanges
                    .iter()
                    .map(Exchange::summary)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl DcrWorld {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            ctx: context()?,
            discovery: None,
            software_ids: HashMap::new(),
            ssas: HashMap::new(),
            requests: HashMap::new(),
            exchanges: Vec::new(),
            unpinned: Vec::new(),
            deleted_client_ids: HashMap::new(),
            rotated: Default::default(),
            batch: Vec::new(),
            registrations: HashMap::new(),
            tokens: HashMap::new(),
            mutations: Vec::new(),
        })
    }

    /// The run environment.
    pub fn env(&self) -> &Environment {
        &self.ctx.env
    }

    /// Recipient `r` as the environment provides it.
    ///
    /// # Errors
    /// Fails when the environment has no such recipient.
    pub fn recipient(&self, r: Recipient) -> anyhow::Result<&RecipientIdentity> {
        self.ctx.env.recipient(r.name())
    }

    /// The key recipient `r` signs with now, and the `jwks_uri` that publishes it: its
    /// successor's once it has rotated in this scenario, else its first.
    ///
    /// # Errors
    /// Fails when the environment has no such recipient, or a rotated one has no successor.
    pub fn current_key(&self, r: Recipient) -> anyhow::Result<(&dcr_vectors::SigningKey, &str)> {
        let identity = self.recipient(r)?;
        if !self.rotated.contains(&r) {
            return Ok((&identity.key, identity.jwks_uri.as_str()));
        }
        let next = identity
            .successor
            .as_ref()
            .with_context(|| format!("recipient {r} has no second key in this environment"))?;
        Ok((&next.key, next.jwks_uri.as_str()))
    }

    /// The software product id recipient `name` uses in this scenario: a fresh one when the
    /// suite mints SSAs itself (so scenarios never collide), else the Register's.
    ///
    /// # Errors
    /// Fails for an unknown name.
    pub fn software_id(&mut self, r: Recipient) -> anyhow::Result<String> {
        if let Some(id) = self.software_ids.get(&r) {
            return Ok(id.clone());
        }
        let id = if self.ctx.env.fresh_software_ids {
            self.profile().templates.ssa.software_ids().fresh()
        } else {
            self.recipient(r)?.product.software_id.clone()
        };
        self.software_ids.insert(r, id.clone());
        Ok(id)
    }

    /// The client_id the holder issued to recipient `name` in this scenario.
    ///
    /// # Errors
    /// When the recipient has not registered.
    pub fn client_id(&self, r: Recipient) -> anyhow::Result<String> {
        self.registrations
            .get(&r)
            .and_then(|r| r.get(&self.wire_name("client_id")))
            .and_then(Value::as_str)
            .map(str::to_string)
            .with_context(|| format!("recipient {r} has no registration in this scenario"))
    }

    /// The last exchange.
    ///
    /// # Errors
    /// Fails when nothing was sent yet.
    pub fn last(&self) -> anyhow::Result<&Exchange> {
        self.exchanges
            .last()
            .context("no request has been sent in this scenario")
    }

    /// Sends a request presenting `certificate`: a recipient's on the run's pooled client of
    /// that recipient, none or the other CA's on a connection of its own (see `send_on`).
    ///
    /// # Errors
    /// Fails when the environment has no such recipient.
    pub async fn send(
        &mut self,
        certificate: impl Into<Certificate>,
        request: Request,
    ) -> anyhow::Result<&Exchange> {
        self.send_on(certificate.into(), request, false).await
    }

    /// Sends deliberately broken traffic (an oversized body) presenting `certificate`, on a
    /// connection of its own that no other request uses, before or after. A holder may answer
    /// such a request early and then close the connection, or keep it open with the rest of the
    /// body unread (mock-holder variations `oversized-close`, `oversized-keep-open`); on a
    /// pooled connection the next request, of this scenario or another, would then stall or
    /// break, and one scenario's traffic would decide another's verdict.
    ///
    /// # Errors
    /// Fails when the environment has no such recipient or its client cannot be built.
    pub async fn send_alone(
        &mut self,
        certificate: impl Into<Certificate>,
        request: Request,
    ) -> anyhow::Result<&Exchange> {
        self.send_on(certificate.into(), request, true).await
    }

    async fn send_on(
        &mut self,
        certificate: Certificate,
        request: Request,
        alone: bool,
    ) -> anyhow::Result<&Exchange> {
        let env = self.ctx.env.clone();
        let (pooled, label) = match certificate {
            Certificate::None => (None, "none".to_string()),
            Certificate::Rogue => (None, "issued by another CA".to_string()),
            Certificate::Of(r) => (
                Some(&env.recipient(r.name())?.client),
                format!("recipient {r}"),
            ),
        };
        // A certificate the holder must refuse gets a connection of its own too. Under TLS 1.3
        // the client's handshake ends before the server has judged its certificate, so a pooled
        // client would offer the new HTTP/2 connection to other requests waiting for one; when
        // the holder then closes it, a request that joined it could wait for its timeout.
        let own;
        let client = if let Some(pooled) = pooled
            && !alone
        {
            pooled
        } else {
            let identity = env.tls_identities.get(certificate.key()).with_context(|| {
                format!("no TLS identity for certificate {}", certificate.key())
            })?;
            own = http::unpooled_client(identity, env.timeout)?;
            &own
        };
        let url = request.url.clone();
        env.pace().await;
        let mut exchange = http::send(client, &label, request, env.timeout).await;
        // A broken connection right after the handshake may be a TLS refusal whose alert the
        // HTTP client never read: probe the handshake to tell the two apart. The HTTP client
        // reports it as a connection error ("request was canceled") when the refusal arrives
        // while the connection is still being set up for the request; a connection that was
        // really refused fails the probe too, and stays a connection error.
        if let http::Outcome::Transport {
            failure: http::TransportFailure::Other | http::TransportFailure::Connect,
            message,
        } = &exchange.outcome
            && let Some(identity) = env.tls_identities.get(certificate.key())
            && let Some(alert) = http::probe_tls(&url, identity, env.timeout).await
        {
            exchange.outcome = http::Outcome::Transport {
                failure: http::TransportFailure::TlsRefused,
                message: format!("{message} (a TLS probe with the same certificate got: {alert})"),
            };
        }
        self.exchanges.push(exchange);
        self.last()
    }

    /// The discovery document, fetched on first use.
    ///
    /// # Errors
    /// Fails when the holder does not serve a JSON discovery document.
    pub async fn discovery(&mut self) -> anyhow::Result<&Map<String, Value>> {
        if self.discovery.is_none() {
            let url = self.ctx.env.discovery_url.clone();
            let exchange = self
                .send(Recipient::A, Request::new(reqwest::Method::GET, url))
                .await?;
            let doc = match (exchange.status(), exchange.json()) {
                (Some(200), Some(Value::Object(doc))) => doc,
                _ => bail!(
                    "the discovery document is needed to find the holder's endpoints, but {}\n{}",
                    exchange.summary(),
                    exchange.render()
                ),
            };
            self.discovery = Some(doc);
        }
        self.discovery.as_ref().context("discovery")
    }

    /// A string member of the discovery document.
    ///
    /// # Errors
    /// Fails when discovery fails or the member is missing.
    pub async fn discovered(&mut self, member: &str) -> anyhow::Result<String> {
        let doc = self.discovery().await?;
        doc.get(member)
            .and_then(Value::as_str)
            .map(str::to_string)
            .with_context(|| format!("the discovery document has no string {member:?}"))
    }

    /// The profile checked.
    pub fn profile(&self) -> &Profile {
        &self.ctx.profile
    }

    /// The registration endpoint (`POST /register`): from discovery, or at the profile's fixed
    /// path on the holder's mutual-TLS host (the origin of its `token_endpoint`), unless the
    /// target file names the URL.
    ///
    /// # Errors
    /// Fails when discovery fails or lacks what is needed.
    pub async fn registration_endpoint(&mut self) -> anyhow::Result<String> {
        if let Some(url) = &self.ctx.env.registration_endpoint {
            return Ok(url.clone());
        }
        match self.ctx.profile.wire.registration_endpoint.clone() {
            Endpoint::Discovery => self.discovered("registration_endpoint").await,
            Endpoint::Path(path) => {
                let token = self.discovered("token_endpoint").await?;
                let url = url::Url::parse(&token)
                    .with_context(|| format!("token_endpoint {token:?} is not a URL"))?;
                Ok(format!("{}{path}", url.origin().ascii_serialization()))
            }
        }
    }

    /// A registration call (POST or PUT) to `url`: the profile's content type and extra
    /// headers, and `Accept: application/json`.
    pub fn registration_call(&self, method: reqwest::Method, url: String) -> Request {
        let wire = &self.ctx.profile.wire.request;
        let mut request = Request::new(method, url)
            .header("Accept", "application/json")
            .header("Content-Type", &wire.content_type);
        for (name, value) in &wire.headers {
            request = request.header(name, value);
        }
        request
    }

    /// A management call (GET, PUT or DELETE on a registration) to `url`: the profile's extra
    /// headers and `Accept: application/json` (a body, and its content type, are the
    /// caller's).
    pub fn management_call(&self, method: reqwest::Method, url: String) -> Request {
        let mut request = Request::new(method, url).header("Accept", "application/json");
        for (name, value) in &self.ctx.profile.wire.request.headers {
            request = request.header(name, value);
        }
        request
    }

    /// The content type of a registration request body under the profile.
    pub fn registration_content_type(&self) -> &str {
        &self.ctx.profile.wire.request.content_type
    }

    /// The `scope` of the token request that management calls need.
    pub fn registration_scope(&self) -> String {
        self.ctx.profile.wire.token.scope.clone()
    }

    /// The wire name of the RFC 7591 member `name` under the profile's naming.
    pub fn wire_name(&self, name: &str) -> String {
        self.ctx.profile.wire.response.naming.wire(name)
    }

    /// The member `name` (an RFC 7591 name) of a JSON response, under the profile's naming.
    pub fn member<'a>(&self, json: &'a Value, name: &str) -> Option<&'a Value> {
        json.get(self.wire_name(name))
    }
}

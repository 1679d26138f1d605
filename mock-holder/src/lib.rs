//! A mock CDR Data Holder: the Dynamic Client Registration endpoints of the Consumer Data
//! Standards (v1.36, Authorization Code Flow + JARM, DCR unversioned) over mutual TLS, and
//! the older and vendor flavours of them that real Data Holders run ([`Flavour`]: the CDS of
//! the hybrid era, WSO2 Open Banking 1.4 / 2.0 DCR 0.1, the WSO2 CDS toolkit's DCR 0.2; the UK
//! Open Banking DCR 3.2 / 3.3 with OB Directory SSAs).
//!
//! It is the conformance suite's default target and reference, and a local Data Holder for Data
//! Recipient developers. It verifies everything for real: the SSA against the CDR Register's
//! JWKS, the registration request against the recipient's `jwks_uri`, client certificates
//! at the TLS layer.
//!
//! # Layout
//!
//! The modules form layers, listed from the top: each imports only modules listed below it,
//! and `tests/layering.rs` fails on an import cycle. Only what embedding needs is public
//! ([`start`], [`RunningHolder`], [`Urls`], [`Settings`] with its [`ConnectionLimits`],
//! [`Flavour`], [`tls::TlsMaterial`], [`Defect`] and its catalogue, [`Variation`] and its catalogue, [`config::Config`] for the
//! binary); the rest is private to the crate, so the conformance suite cannot call the holder's
//! validation code: a bug shared by both sides would pass both.
//!
//! * `server`: [`start`] binds both listeners with their TLS acceptors and the request-id and
//!   tracing layers and the connection limits; [`RunningHolder`] stops them.
//! * `wire`: the variations that rewrite responses on their way out (member order and extra
//!   members, whitespace, the charset parameter, extra headers, `Connection: close`, chunked
//!   bodies), a layer around both routers; without such a variation it is not installed.
//! * `connection`: what one connection may hold: the listener's connection limit, TLS
//!   handshake and idle timeouts, and the whole-request timeout (408).
//! * `routes`: one module per endpoint, composed into the public and mTLS routers:
//!   `discovery` (discovery document, JWKS), `register` (`POST /register`), `client`
//!   (`GET|PUT|DELETE /register/{ClientId}`), `token` (`POST /token`, client assertions);
//!   the registration paths, the answers to other methods and the gateway headers are the
//!   flavour's (`methods`).
//! * `extract`: request extractors that reject with the holder's error: the bodies
//!   (`JwtBody`, `FormBody`: 415, 413) and `ManagedClient`, a management call's authorisation.
//! * `registration`: validation of a registration request (POST and PUT), one pipeline per
//!   family of flavours: the CDS sequence (`ssa` step 2, `request` steps 3-4, `metadata` step
//!   5, one function per family of members, `hybrid` for the hybrid era), the WSO2 toolkit's
//!   gateway and Identity Server phases (`toolkit`), the WSO2 OB 1.4 / 2.0 product's
//!   (`product`), composed of shared `checks` (signatures, redirect subset, `jti`, SSA echo,
//!   each with its defects); and `render`, a registration written in the flavour's shape.
//! * `tokens`: certificate-bound access tokens: issuing them, and the bearer checks of the
//!   management endpoints (401 / 403, revocation of tokens naming an unknown client).
//! * `state`: `AppState`, shared by handlers: settings, advertised [`Urls`], store, JWKS cache,
//!   token key, behind accessors.
//! * `token_key`: the holder's token-signing key, its signer and verifier, and the cache of
//!   access tokens it verified.
//! * `jwks`: bounded, caching JWKS fetcher (Register and recipient keys).
//! * `store`: SQLite (WAL) persistence of registrations, replay caches, revoked tokens and
//!   the holder's token-signing key.
//! * [`config`]: the YAML config file of the standalone binary, validated field by field.
//! * `settings`: resolved runtime settings ([`Settings`], what [`start`] takes) and the
//!   defaults, written once.
//! * `limits`: [`ConnectionLimits`] (connection limit, TLS handshake, header, request and idle
//!   timeouts, HTTP/2 limits), their defaults and their validation.
//! * [`tls`]: rustls configs for the public and mTLS listeners; the client certificate's
//!   thumbprint made available to handlers.
//! * `dn`: distinguished names (a registered `tls_client_auth_subject_dn`, a certificate's
//!   subject) compared attribute by attribute, whatever their order and spelling.
//! * `jose`: compact-JWS helpers (split, verify, `alg`/`kid`, claim readers).
//! * `lifetime`: time claims (`iat`, `nbf`, `exp`) read as NumericDates and compared with
//!   saturating arithmetic against a `Clock` (now, skew, longest lifetime accepted).
//! * `defect`: the defects a holder can be started with (`defects.yaml`), one at a time,
//!   each breaking one rule on purpose, for the suite's self-check, and the flavours each
//!   one applies to.
//! * `variation`: the variations a holder can be started with (`variations.yaml`), any
//!   compatible set, each a behaviour the standards allow that the mock does not show by
//!   default, with the clause that allows it, for the suite's self-check (no false failures).
//! * `flavour`: the DCR flavours ([`Flavour`]) and each one's `Policy` (where flavours
//!   differ, as data: paths, pipeline, response shape, management rules) and `Dialect` (how
//!   it words errors).
//! * `error`: `OAuthError`, rendered as RFC 7591 / RFC 6749 / RFC 6750 responses, or in a
//!   flavour's words.
//!
//! Behaviour selected at start-up (the flavour, a defect, variations) is read from
//! [`Settings`] through `state`: the flavour's `Policy` is built once at start-up and consulted
//! where flavours differ, and the code of one flavour sits under the layer it changes (e.g.
//! `registration/toolkit.rs`). A variation edits the policy before the state is built (another
//! registration path), or is an `if state.variation(..)` branch at the layer it changes; the
//! ones that rewrite what goes on the wire (member order, whitespace, headers) are in `wire`,
//! a layer `server` puts around both routers.

pub mod config;
mod connection;
mod defect;
mod dn;
mod error;
mod extract;
mod flavour;
mod jose;
mod jwks;
mod lifetime;
mod limits;
mod registration;
mod routes;
mod server;
mod settings;
mod state;
mod store;
pub mod tls;
mod token_key;
mod tokens;
mod variation;
mod wire;

pub use defect::{Defect, UnknownDefect};
pub use flavour::{Flavour, UnknownFlavour};
pub use limits::ConnectionLimits;
pub use server::{RunningHolder, start};
pub use settings::{Operations, Settings};
pub use state::Urls;
pub use variation::{UnknownVariation, Variation};

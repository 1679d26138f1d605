//! [`Policy`]: everything the holder does differently from one flavour to another, as data.
//!
//! Each field answers one question the code asks where flavours differ (where the endpoints are,
//! which validation pipeline runs, how a registration is written, how errors are worded, what a
//! management token needs). [`Policy::new`] fills them in for a flavour from its sources; the
//! code of a pipeline or a response shape lives under the layer it changes (`registration/`,
//! `routes/`), chosen by these fields. A variation (a later issue) edits a field of the policy
//! built here, so every field is a plain value that can be switched on its own.

use super::Flavour;
use super::dialect::Dialect;

/// How one flavour behaves where flavours differ. Built once at start-up; see the module doc.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Policy {
    /// The flavour this policy was built for (logs, the store's flavour check).
    pub(crate) flavour: Flavour,
    /// Path of `POST` registration on the mTLS listener; management is `{path}/{ClientId}`.
    pub(crate) registration_path: &'static str,
    /// Whether `POST {path}/` (trailing slash) also registers (WSO2 0.2: the CDS toolkit's
    /// tests post to `/open-banking/0.2/register/`, wso2-flavours §4 "Base path").
    pub(crate) trailing_slash: bool,
    /// How a method a registration path does not take is answered.
    pub(crate) methods: MethodAnswers,
    /// Which validation pipeline checks a registration request.
    pub(crate) pipeline: Pipeline,
    /// How registrations are written in responses.
    pub(crate) response: ResponseShape,
    /// Whether GET and PUT answers carry the caller's bearer token as
    /// `registration_access_token` (WSO2 0.2: `RegistrationServiceHandler` echoes it,
    /// wso2-flavours §4 "registration_access_token"; seed 003 GET/PUT samples).
    pub(crate) echo_registration_access_token: bool,
    /// What discovery advertises beyond the endpoints.
    pub(crate) discovery: Discovery,
    /// What registration management needs and does.
    pub(crate) management: Management,
    /// What the token endpoint grants.
    pub(crate) token: TokenRules,
    /// How registration and management errors are worded.
    pub(crate) dialect: Dialect,
    /// Whether gateway-phase errors of the registration endpoints carry `x-fapi-interaction-id`
    /// (WSO2 0.2: `CDSErrorHandler`, wso2-flavours §4 "Error shape").
    pub(crate) interaction_id_on_gateway_errors: bool,
    /// Whether a software product may hold one registration only (CDS: a second POST is a
    /// duplicate). UK DCR lets an ASPSP allow several (uk-dcr.md UK-REQ-057; CT re-registers
    /// the same software_id in every scenario when DELETE is off).
    pub(crate) one_registration_per_software: bool,
    /// The request media types a registration body may be sent as (parameters such as
    /// `charset` are ignored). CDS: `application/jwt`; UK: `application/jose` (the 3.2 / 3.3
    /// swagger) or `application/jwt` (3.1; the KB allows either, uk-dcr.md §1.2).
    pub(crate) request_media_types: &'static [&'static str],
}

/// How a method that a registration path does not take is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MethodAnswers {
    /// 405 with `Allow` (RFC 9110), HEAD answered as GET.
    Allow405,
    /// The WSO2 API gateway's: a standard HTTP method the path does not take (HEAD included)
    /// 405, any other method 501 (CDS toolkit tests CDS-707 / CDS-713 / CDS-23, wso2-flavours
    /// §4 "Status codes").
    Gateway405Or501,
}

/// Which validation pipeline checks a registration request (code in `registration/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pipeline {
    /// The CDS registration sequence (SSA, request signature, claims, metadata families).
    Cds {
        /// Whether `code id_token` may be registered (with id_token encryption).
        hybrid: bool,
    },
    /// The WSO2 accelerator's: gateway `DCRExecutor` checks, then the IS validator groups.
    Wso2Toolkit,
    /// The WSO2 Open Banking 1.4 / 2.0 product's DCR v0.1.
    Wso2Product {
        /// Which product release.
        release: Release,
        /// Whether the SSA's signature is verified with the Register's JWKS.
        ssa_signature: bool,
    },
    /// UK OBIE DCR (uk-dcr.md §2, §3): OB Directory SSAs, the OBClientRegistration1 claims.
    Uk {
        /// Which release of the UK DCR.
        version: UkVersion,
    },
    /// WSO2 Open Banking Accelerator 3.x's generic DCR (wso2-flavours §2, §5): the gateway's
    /// `DCRExecutor`, then the default validator (`registration/accelerator.rs`).
    Wso2Accelerator(AcceleratorRules),
}

/// The choices of the accelerator's generic pipeline where its sources are silent or its
/// configuration may differ (each a plain value; see `registration/accelerator.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AcceleratorRules {
    /// The SSA claim naming the key set the gateway verifies the request with
    /// (`DCRExecutor` config `JWKSEndpointName`, default `software_jwks_endpoint`, §2).
    pub(crate) jwks_endpoint_name: &'static str,
    /// Whether the request JWT's `exp` (and an `iat` not in the future) is checked. Off: the
    /// default `<Required>` list has no iat/exp/jti (§5 "Default validations") and the
    /// gateway only verifies the signature (§2); seed 004's sample request is from 2019.
    pub(crate) request_lifetime: bool,
    /// Whether the request's `redirect_uris` must be among the SSA's. Off: not among §5's
    /// default validations, and seed 004's sample request registers redirect URIs its SSA
    /// does not list.
    pub(crate) redirect_uris_in_ssa: bool,
    /// Whether `aud` must be this holder's issuer or token endpoint. Off: `audience` is a
    /// required parameter whose `allowed_values` the generic default config leaves unset.
    pub(crate) audience_checked: bool,
    /// `[open_banking.dcr] append_registration_attributes_in_response` (default false, §2
    /// "registration_access_token"): POST answers add a fresh `registration_access_token` and
    /// `registration_client_uri`.
    pub(crate) append_registration_attributes: bool,
}

impl Policy {
    /// Applies WSO2 Accelerator 3.x's `append_registration_attributes_in_response` switch
    /// (`on`) to this policy.
    ///
    /// # Errors
    /// The switch is on for a flavour that does not have it.
    pub(crate) fn with_registration_attributes(mut self, on: bool) -> Result<Self, String> {
        if !on {
            return Ok(self);
        }
        match &mut self.pipeline {
            Pipeline::Wso2Accelerator(rules) => {
                rules.append_registration_attributes = true;
                Ok(self)
            }
            _ => Err(format!(
                "append_registration_attributes_in_response: only flavour {} has this switch; remove it or use --flavour {}",
                Flavour::Wso2Accelerator3,
                Flavour::Wso2Accelerator3
            )),
        }
    }
}

impl AcceleratorRules {
    /// As shipped (FOB v3.2.13 defaults, and the choices of the module doc).
    pub(crate) const SHIPPED: Self = Self {
        jwks_endpoint_name: "software_jwks_endpoint",
        request_lifetime: false,
        redirect_uris_in_ssa: false,
        audience_checked: false,
        append_registration_attributes: false,
    };
}

/// A release of the UK OBIE DCR specification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UkVersion {
    /// v3.2 (uk-dcr.md §1.5): no CIBA.
    V32,
    /// v3.3 (uk-dcr.md §1.5): the CIBA grant and its `backchannel_*` metadata.
    V33,
}

/// A WSO2 Open Banking product release with DCR v0.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Release {
    /// Open Banking 1.4 (seeds 000, 002).
    Ob14,
    /// Open Banking 2.0 (wso2-flavours §3 OB 2.0 rows).
    Ob20,
}

/// How registrations are written in responses (code in `registration/render.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ResponseShape {
    /// CDS RegistrationProperties, as stored (snake_case, integer `client_id_issued_at`).
    Cds,
    /// WSO2 0.2's Gson output: its member order, no nulls, `client_id_issued_at` a string.
    Wso2Toolkit,
    /// WSO2 OB 1.4's sample response: camelCase, exactly its members (seed 000 l.170-200).
    Ob14CamelCase,
    /// WSO2 OB 2.0's model: the 0.1 swagger's snake_case members, integer issued-at.
    Ob20SnakeCase,
    /// UK OBIE DCR: the OBClientRegistration1 response members (uk-dcr.md §4.1), snake_case.
    Uk,
    /// WSO2's UK toolkit v3.3.0: the UK members in its documented Gson order
    /// (`token_endpoint_auth_signing_alg` first), `client_id_issued_at` a string.
    Wso2Uk,
    /// WSO2 Accelerator 3.x's base `RegistrationResponse` (wso2-flavours §5 "Response
    /// members", seed 004's sample order): Gson, no nulls, `client_id_issued_at` a string.
    Wso2Accelerator,
}

/// What discovery advertises beyond the endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Discovery {
    /// `token_endpoint_auth_signing_alg_values_supported` and the other signing algorithms.
    pub(crate) signing_algs: &'static [&'static str],
    /// `response_types_supported`.
    pub(crate) response_types: &'static [&'static str],
    /// `response_modes_supported` (omitted when empty).
    pub(crate) response_modes: &'static [&'static str],
    /// Whether JARM (`authorization_signing_alg_values_supported`, and encryption when
    /// `jarm_encryption` is on) is advertised.
    pub(crate) jarm: bool,
    /// Whether `id_token_encryption_{alg,enc}_values_supported` are advertised.
    pub(crate) id_token_encryption: bool,
    /// `grant_types_supported`.
    pub(crate) grant_types: &'static [&'static str],
    /// `token_endpoint_auth_methods_supported`.
    pub(crate) auth_methods: &'static [&'static str],
    /// `scopes_supported` where the flavour fixes it; `None`: the configured
    /// `supported_scopes`.
    pub(crate) scopes: Option<&'static [&'static str]>,
    /// Whether the CIBA members (`backchannel_*`) are advertised (UK 3.3).
    pub(crate) ciba: bool,
}

/// What registration management (`GET | PUT | DELETE {path}/{ClientId}`) needs and does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Management {
    /// The scope a management token must have; `None`: any token of the client.
    pub(crate) scope: Option<&'static str>,
    /// Whether a token naming an unknown client (or another client than the path's) is revoked
    /// (RFC 7592 SHOULD).
    pub(crate) revoke_on_unknown_client: bool,
    /// Whether a DELETE revokes the client's access tokens, so that a later call with one is
    /// answered as a revoked token rather than as an unknown client.
    pub(crate) delete_revokes_tokens: bool,
    /// Whether the token of a client used on another (existing) client's path is revoked too
    /// (RFC 7592 §2 as the CDS flavours read it). UK DCR's "immediately revokes" applies to an
    /// unknown ClientId only (uk-dcr.md §9.10).
    pub(crate) revoke_on_other_client: bool,
}

/// What the token endpoint grants beyond the registered scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenRules {
    /// Scopes granted to any client that asks, registered or not.
    pub(crate) always_grantable: &'static [&'static str],
    /// Assertion algorithms accepted from a client that registered no
    /// `token_endpoint_auth_signing_alg` (empty: such a client cannot authenticate).
    pub(crate) algs_when_unregistered: &'static [&'static str],
    /// How clients authenticate at the token endpoint.
    pub(crate) auth: TokenAuth,
    /// Whether a client credentials request may omit `scope` (or send it empty): UK
    /// management tokens need none (uk-dcr.md §1.3, UK-REQ-058).
    pub(crate) scope_optional: bool,
    /// Whether a `private_key_jwt` assertion may come without `kid` (every key of the
    /// client's key set is then tried: CT signs without one, uk-dcr.md §1.3, UK-REQ-059).
    pub(crate) kidless_assertions: bool,
}

/// How clients authenticate at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenAuth {
    /// `private_key_jwt` only (CDS).
    PrivateKeyJwt,
    /// By the method the client registered: `private_key_jwt`, `tls_client_auth` (RFC 8705
    /// §2.1, the certificate's subject DN) or `client_secret_basic` (RFC 6749 §2.3.1).
    Registered,
}

const CDS_ALGS: &[&str] = &["PS256", "ES256"];
const CDS_GRANTS: &[&str] = &["authorization_code", "client_credentials", "refresh_token"];
const PKJ: &[&str] = &["private_key_jwt"];
const JWT_ONLY: &[&str] = &["application/jwt"];
/// The CIBA grant type of UK DCR 3.3 (uk-dcr.md §1.5).
pub(crate) const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";
const UK_GRANTS_33: &[&str] = &[
    "authorization_code",
    "client_credentials",
    "refresh_token",
    CIBA_GRANT,
];
/// uk-dcr.md §3.3: `openid` and the resource scopes of AISPs, PISPs and CBPIIs.
pub(crate) const UK_SCOPES: &[&str] = &["openid", "accounts", "payments", "fundsconfirmations"];

impl Policy {
    /// The policy of `flavour`. `ssa_signature_validation` is WSO2 OB 2.0's
    /// `[open_banking.dcr] ssa_signature_validation.enable` (shipped `false`, wso2-flavours §3
    /// "Validations / config"); the other flavours have no such switch.
    ///
    /// # Errors
    /// The switch is set for a flavour that does not have it.
    pub(crate) fn new(flavour: Flavour, ssa_signature_validation: bool) -> Result<Self, String> {
        if ssa_signature_validation && flavour != Flavour::Wso2Ob20Au01 {
            return Err(format!(
                "ssa_signature_validation: only flavour {} has this switch ({flavour} {}); remove it or use --flavour {}",
                Flavour::Wso2Ob20Au01,
                match flavour {
                    Flavour::Wso2ObAu01 => "never checks the SSA signature",
                    _ => "always checks the SSA signature",
                },
                Flavour::Wso2Ob20Au01
            ));
        }
        Ok(match flavour {
            Flavour::CdsAu => Self::cds(flavour, false),
            Flavour::CdsAuHybrid => Self::cds(flavour, true),
            Flavour::Wso2Cds02 => Self::wso2_toolkit(),
            Flavour::Wso2ObAu01 => Self::wso2_product(Release::Ob14, false),
            Flavour::Wso2Ob20Au01 => Self::wso2_product(Release::Ob20, ssa_signature_validation),
            Flavour::UkObie32 => Self::uk(UkVersion::V32),
            Flavour::UkObie33 => Self::uk(UkVersion::V33),
            Flavour::Wso2Uk33 => Self::wso2_uk(),
            Flavour::Wso2Accelerator3 => Self::wso2_accelerator(),
        })
    }

    /// CDS DCR (cdr-dcr.md): `/register`, RFC-shaped errors, `cdr:registration` management
    /// tokens, the token naming an unknown client revoked (RFC 7592). With `hybrid`, the era
    /// before 12 May 2025 (cdr-dcr.md §1.4): `code id_token` and id_token encryption advertised.
    fn cds(flavour: Flavour, hybrid: bool) -> Self {
        Self {
            flavour,
            registration_path: "/register",
            trailing_slash: false,
            methods: MethodAnswers::Allow405,
            pipeline: Pipeline::Cds { hybrid },
            response: ResponseShape::Cds,
            echo_registration_access_token: false,
            discovery: Discovery {
                signing_algs: CDS_ALGS,
                response_types: if hybrid {
                    &["code", "code id_token"]
                } else {
                    &["code"]
                },
                // A hybrid response is returned in the fragment (OAuth 2.0 Multiple Response
                // Type Encoding Practices, the default mode of `code id_token`).
                response_modes: if hybrid {
                    &["jwt", "fragment"]
                } else {
                    &["jwt"]
                },
                jarm: true,
                id_token_encryption: hybrid,
                grant_types: CDS_GRANTS,
                auth_methods: PKJ,
                scopes: None,
                ciba: false,
            },
            management: Management {
                scope: Some("cdr:registration"),
                revoke_on_unknown_client: true,
                delete_revokes_tokens: false,
                revoke_on_other_client: true,
            },
            token: TokenRules::CDS,
            dialect: Dialect::Rfc,
            interaction_id_on_gateway_errors: false,
            one_registration_per_software: true,
            request_media_types: JWT_ONLY,
        }
    }

    /// WSO2 CDS toolkit DCR 0.2 (wso2-flavours §2, §4, §4.1; seed 003).
    fn wso2_toolkit() -> Self {
        Self {
            flavour: Flavour::Wso2Cds02,
            registration_path: "/open-banking/0.2/register",
            trailing_slash: true,
            methods: MethodAnswers::Gateway405Or501,
            pipeline: Pipeline::Wso2Toolkit,
            response: ResponseShape::Wso2Toolkit,
            echo_registration_access_token: true,
            discovery: Discovery {
                signing_algs: CDS_ALGS,
                // §4 default TOML: response_types allowed `code` only.
                response_types: &["code"],
                // JARM members are not part of the 0.2 model: not advertised.
                response_modes: &[],
                jarm: false,
                // §4 default TOML allows RSA-OAEP / RSA-OAEP-256 and A256GCM / A128CBC-HS256.
                id_token_encryption: true,
                grant_types: CDS_GRANTS,
                auth_methods: PKJ,
                scopes: None,
                ciba: false,
            },
            management: Management {
                // §4 "Management token": `cdr:registration openid`; other scope → 403.
                scope: Some("cdr:registration"),
                // §4 "Unknown / mismatched ClientId": no revocation happens in code (§9.5).
                revoke_on_unknown_client: false,
                // §4 "DELETE": IS revokes all active tokens of the client first.
                delete_revokes_tokens: true,
                revoke_on_other_client: false,
            },
            token: TokenRules::CDS,
            dialect: Dialect::Wso2Toolkit,
            interaction_id_on_gateway_errors: true,
            one_registration_per_software: true,
            request_media_types: JWT_ONLY,
        }
    }

    /// WSO2 Open Banking 1.4 (seeds 000, 002) or 2.0 (wso2-flavours §3) DCR v0.1.
    fn wso2_product(release: Release, ssa_signature: bool) -> Self {
        let (flavour, response, dialect, scope) = match release {
            // Seed 000 l.201-213: the management token is asked for with scope=openid and
            // must only be the client's own.
            Release::Ob14 => (
                Flavour::Wso2ObAu01,
                ResponseShape::Ob14CamelCase,
                Dialect::Ob14,
                None,
            ),
            // §3 "Management auth" (0.1 swagger) and §9.11: scope cdr:registration.
            Release::Ob20 => (
                Flavour::Wso2Ob20Au01,
                ResponseShape::Ob20SnakeCase,
                Dialect::Ob20,
                Some("cdr:registration"),
            ),
        };
        Self {
            flavour,
            // §3 "Base path"; seed 000 l.39 (OAuth2DCREPUrl) and l.105.
            registration_path: "/open-banking/0.1/register",
            trailing_slash: false,
            methods: MethodAnswers::Allow405,
            pipeline: Pipeline::Wso2Product {
                release,
                ssa_signature,
            },
            response,
            echo_registration_access_token: false,
            discovery: Discovery {
                // Seed 000 l.157-160: algorithms "as constrained by FAPI-RW"; the DCR 0.1 API
                // allowed PS256 only (cdr-dcr.md §1.4, DCR API 0.1 row).
                signing_algs: &["PS256"],
                // Seed 000 l.154: response_types value [code id_token].
                response_types: &["code id_token"],
                response_modes: &[],
                jarm: false,
                id_token_encryption: false,
                // Seed 000 l.153: the supported grant types.
                grant_types: &[
                    "client_credentials",
                    "authorization_code",
                    "refresh_token",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer",
                ],
                auth_methods: PKJ,
                scopes: None,
                ciba: false,
            },
            management: Management {
                scope,
                revoke_on_unknown_client: false,
                // Seed 000 l.235: DELETE must "invalidate long-lived access tokens".
                delete_revokes_tokens: true,
                revoke_on_other_client: false,
            },
            token: TokenRules {
                // Seed 000 l.207: the sample token request asks for scope=openid, which the
                // sample SSA's scope ("accounts") does not contain.
                always_grantable: &["openid"],
                // token_endpoint_auth_signing_alg is not in seed 000's claim table: a client
                // that registered none signs its assertion with PS256.
                algs_when_unregistered: &["PS256"],
                ..TokenRules::CDS
            },
            dialect,
            interaction_id_on_gateway_errors: false,
            one_registration_per_software: true,
            request_media_types: JWT_ONLY,
        }
    }

    /// UK OBIE DCR 3.2 / 3.3 (uk-dcr.md; the discovery document of §8, with the auth methods
    /// the holder supports). No API gateway, RFC-shaped errors (§5.1).
    fn uk(version: UkVersion) -> Self {
        let v33 = version == UkVersion::V33;
        Self {
            flavour: if v33 {
                Flavour::UkObie33
            } else {
                Flavour::UkObie32
            },
            // §1.1: any path advertised in discovery; management at `{path}/{ClientId}`.
            registration_path: "/register",
            trailing_slash: false,
            methods: MethodAnswers::Allow405,
            pipeline: Pipeline::Uk { version },
            response: ResponseShape::Uk,
            echo_registration_access_token: false,
            discovery: Discovery {
                // §2.1: "constrained by FAPI-RW": PS256 or ES256.
                signing_algs: CDS_ALGS,
                // §2.2 response_types: `code id_token` (the default) and `code`.
                response_types: &["code id_token", "code"],
                response_modes: &[],
                jarm: false,
                id_token_encryption: false,
                // §2.2 grant_types; 3.3 adds the CIBA grant (§1.5).
                grant_types: if v33 { UK_GRANTS_33 } else { CDS_GRANTS },
                auth_methods: &["tls_client_auth", "private_key_jwt", "client_secret_basic"],
                // §3.3: the UK resource scopes and openid.
                scopes: Some(UK_SCOPES),
                ciba: v33,
            },
            management: Management {
                // §1.3: "A scope need not be specified for the grant".
                scope: None,
                // §1.3: unknown ClientId → 401 and the token "immediately" revoked.
                revoke_on_unknown_client: true,
                // §1.1 DELETE: the client's long-lived tokens are invalidated.
                delete_revokes_tokens: true,
                revoke_on_other_client: false,
            },
            token: TokenRules {
                always_grantable: &[],
                algs_when_unregistered: &[],
                auth: TokenAuth::Registered,
                scope_optional: true,
                kidless_assertions: true,
            },
            dialect: Dialect::Rfc,
            interaction_id_on_gateway_errors: false,
            // UK-REQ-057: the ASPSP may allow several registrations per software statement.
            one_registration_per_software: false,
            // §1.2: jose (3.2/3.3 swagger, CT) or jwt (3.1, WSO2 and SAPIG samples).
            request_media_types: &["application/jose", "application/jwt"],
        }
    }
}

impl Policy {
    /// WSO2's UK toolkit DCR v3.3.0 on Accelerator 3.x (wso2-flavours §6 d2): the UK 3.3
    /// pipeline (the toolkit's validator is not public, §9.9, so its checks are UK 3.3's) with
    /// what the documentation shows of this release on the wire.
    fn wso2_uk() -> Self {
        Self {
            flavour: Flavour::Wso2Uk33,
            // §6 d2 "Path and headers": the gateway's fixed path (§2 "Hop 1").
            registration_path: "/open-banking/v3.3.0/register",
            // §6 d2 posts `application/jwt; charset=ISO-8859-1` (the parameter is ignored,
            // and UK 3.3's `application/jose` is kept: whether the gateway takes it is not in
            // the sources).
            // §6 d2 "Response (docs)": the sample's members and order, a string issued-at.
            response: ResponseShape::Wso2Uk,
            // §6 d2: DELETE → 204 and management by a client-credentials Bearer token; the docs'
            // "immediately revokes the access token" on an unknown ClientId is kept (the UK
            // flavours' behaviour), though §9.5 saw no revoking code.
            ..Self::uk(UkVersion::V33)
        }
    }
}

impl Policy {
    /// WSO2 Open Banking Accelerator 3.x's generic DCR (wso2-flavours §2, §5, §8 column (c);
    /// seed 004).
    fn wso2_accelerator() -> Self {
        Self {
            flavour: Flavour::Wso2Accelerator3,
            // §5 "Base path": `dcr-swagger.yaml` at `/open-banking/0.1`; seed 004 POSTs to
            // `/open-banking/0.1/register` (no trailing-slash form in the sources).
            registration_path: "/open-banking/0.1/register",
            trailing_slash: false,
            // The same APIM gateway as the CDS toolkit's (§2 "Hop 1").
            methods: MethodAnswers::Gateway405Or501,
            pipeline: Pipeline::Wso2Accelerator(AcceleratorRules::SHIPPED),
            response: ResponseShape::Wso2Accelerator,
            // §5 "registration_access_token": the code (`RegistrationServiceHandler`) echoes
            // the caller's Bearer on GET and PUT; the docs' samples omit it (variation
            // `accelerator-get-put-without-token`).
            echo_registration_access_token: true,
            discovery: Discovery {
                // FAPI's algorithms, the accelerator's allowed signing algorithms.
                signing_algs: CDS_ALGS,
                // Seed 004's sample registers `code id_token`; `code` beside it (FAPI).
                response_types: &["code id_token", "code"],
                response_modes: &[],
                jarm: false,
                id_token_encryption: false,
                // Seed 004's sample request's grant types.
                grant_types: &[
                    "client_credentials",
                    "authorization_code",
                    "refresh_token",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer",
                ],
                // §5 "Management auth": the docs get tokens with private_key_jwt.
                auth_methods: PKJ,
                scopes: Some(ACCELERATOR_SCOPES),
                ciba: false,
            },
            management: Management {
                // §5 "Management auth": the swagger's scope, with a hyphen.
                scope: Some(ACCELERATOR_MANAGEMENT_SCOPE),
                // §9.5: no code revokes the caller's token on an unknown ClientId.
                revoke_on_unknown_client: false,
                // §5 "DELETE": the client's tokens are revoked first.
                delete_revokes_tokens: true,
                revoke_on_other_client: false,
            },
            token: TokenRules {
                // The management scope and `openid` (the docs' `accounts openid`; `accounts`
                // is the registered scope) for any registered client.
                always_grantable: &["openid", ACCELERATOR_MANAGEMENT_SCOPE],
                // `token_endpoint_auth_signing_alg` is optional in the default validator
                // (§5 "Default validations"): such a client signs with an allowed algorithm.
                algs_when_unregistered: CDS_ALGS,
                ..TokenRules::CDS
            },
            dialect: Dialect::Wso2Accelerator,
            interaction_id_on_gateway_errors: false,
            // §8 "Duplicate POST": IS refuses a second application of the same name.
            one_registration_per_software: true,
            // §5 "Headers": `application/jwt` (JSON only with `isRequestJWT=false`).
            request_media_types: JWT_ONLY,
        }
    }
}

/// The accelerator's management scope (§5 "Management auth", the swagger's).
pub(crate) const ACCELERATOR_MANAGEMENT_SCOPE: &str = "cdr-registration";
/// What the accelerator flavour advertises as `scopes_supported`: the UK scopes of its OB
/// Directory SSAs and the management scope.
const ACCELERATOR_SCOPES: &[&str] = &[
    "openid",
    "accounts",
    "payments",
    "fundsconfirmations",
    ACCELERATOR_MANAGEMENT_SCOPE,
];

impl TokenRules {
    /// The CDS token endpoint: `private_key_jwt` with a `kid`, a scope required.
    const CDS: Self = Self {
        always_grantable: &[],
        algs_when_unregistered: &[],
        auth: TokenAuth::PrivateKeyJwt,
        scope_optional: false,
        kidless_assertions: false,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flavour_has_a_policy_and_cds_au_is_todays_holder() {
        for f in Flavour::ALL {
            let p = Policy::new(*f, false).expect("policy");
            assert_eq!(p.flavour, *f);
            assert!(p.registration_path.starts_with('/'));
        }
        let cds = Policy::new(Flavour::CdsAu, false).expect("cds-au");
        assert_eq!(cds.registration_path, "/register");
        assert_eq!(cds.pipeline, Pipeline::Cds { hybrid: false });
        assert_eq!(cds.response, ResponseShape::Cds);
        assert_eq!(cds.dialect, Dialect::Rfc);
        assert_eq!(cds.discovery.response_types, ["code"]);
    }

    #[test]
    fn the_uk_flavours_differ_in_ciba_only() {
        let v32 = Policy::new(Flavour::UkObie32, false).expect("3.2");
        let v33 = Policy::new(Flavour::UkObie33, false).expect("3.3");
        assert_eq!(
            v32.pipeline,
            Pipeline::Uk {
                version: UkVersion::V32
            }
        );
        assert_eq!(v32.management.scope, None);
        assert!(!v32.one_registration_per_software);
        assert_eq!(v32.token.auth, TokenAuth::Registered);
        assert!(!v32.discovery.ciba && v33.discovery.ciba);
        assert!(v33.discovery.grant_types.contains(&CIBA_GRANT));
        assert!(!v32.discovery.grant_types.contains(&CIBA_GRANT));
        let same = Policy {
            flavour: v32.flavour,
            pipeline: v32.pipeline,
            discovery: v32.discovery.clone(),
            ..v33
        };
        assert_eq!(same, v32, "nothing else differs");
    }

    #[test]
    fn the_uk_toolkit_is_uk_3_3_behind_the_gateway_path() {
        let uk = Policy::new(Flavour::UkObie33, false).expect("3.3");
        let wso2 = Policy::new(Flavour::Wso2Uk33, false).expect("wso2-uk-3.3");
        assert_eq!(wso2.registration_path, "/open-banking/v3.3.0/register");
        assert_eq!(wso2.response, ResponseShape::Wso2Uk);
        let same = Policy {
            flavour: uk.flavour,
            registration_path: uk.registration_path,
            response: uk.response,
            ..wso2
        };
        assert_eq!(same, uk, "nothing else differs");
    }

    #[test]
    fn the_generic_accelerator_is_the_toolkit_s_gateway_with_its_own_rules() {
        let p = Policy::new(Flavour::Wso2Accelerator3, false).expect("accelerator");
        assert_eq!(p.registration_path, "/open-banking/0.1/register");
        assert_eq!(
            p.pipeline,
            Pipeline::Wso2Accelerator(AcceleratorRules::SHIPPED)
        );
        let rules = AcceleratorRules::SHIPPED;
        assert_eq!(rules.jwks_endpoint_name, "software_jwks_endpoint");
        assert!(!rules.append_registration_attributes, "shipped false");
        assert!(!rules.request_lifetime && !rules.redirect_uris_in_ssa);
        assert_eq!(p.response, ResponseShape::Wso2Accelerator);
        assert_eq!(p.dialect, Dialect::Wso2Accelerator);
        assert_eq!(p.management.scope, Some("cdr-registration"));
        assert!(!p.management.revoke_on_unknown_client);
        assert!(p.management.delete_revokes_tokens);
        assert!(p.echo_registration_access_token);
        assert!(p.one_registration_per_software);
        assert!(p.token.always_grantable.contains(&"cdr-registration"));
        let toolkit = Policy::new(Flavour::Wso2Cds02, false).expect("0.2");
        assert_eq!(p.methods, toolkit.methods);
        assert_eq!(p.request_media_types, toolkit.request_media_types);
    }

    #[test]
    fn only_the_accelerator_has_the_registration_attributes_switch() {
        let p = Policy::new(Flavour::Wso2Accelerator3, false)
            .and_then(|p| p.with_registration_attributes(true))
            .expect("switch");
        assert!(matches!(
            p.pipeline,
            Pipeline::Wso2Accelerator(AcceleratorRules {
                append_registration_attributes: true,
                ..
            })
        ));
        for f in [Flavour::Wso2Cds02, Flavour::Wso2Uk33, Flavour::CdsAu] {
            let err = Policy::new(f, false)
                .and_then(|p| p.with_registration_attributes(true))
                .expect_err("no switch");
            assert!(
                err.starts_with("append_registration_attributes_in_response:"),
                "{err}"
            );
            assert!(
                Policy::new(f, false)
                    .and_then(|p| p.with_registration_attributes(false))
                    .is_ok()
            );
        }
    }

    #[test]
    fn only_ob20_has_the_ssa_signature_switch() {
        let p = Policy::new(Flavour::Wso2Ob20Au01, true).expect("ob20");
        assert_eq!(
            p.pipeline,
            Pipeline::Wso2Product {
                release: Release::Ob20,
                ssa_signature: true
            }
        );
        for f in [Flavour::CdsAu, Flavour::Wso2Cds02, Flavour::Wso2ObAu01] {
            let err = Policy::new(f, true).expect_err("no switch");
            assert!(err.starts_with("ssa_signature_validation:"), "{err}");
        }
    }
}

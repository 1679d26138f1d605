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
}

/// What the token endpoint grants beyond the registered scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenRules {
    /// Scopes granted to any client that asks, registered or not.
    pub(crate) always_grantable: &'static [&'static str],
    /// Assertion algorithms accepted from a client that registered no
    /// `token_endpoint_auth_signing_alg` (empty: such a client cannot authenticate).
    pub(crate) algs_when_unregistered: &'static [&'static str],
}

const CDS_ALGS: &[&str] = &["PS256", "ES256"];
const CDS_GRANTS: &[&str] = &["authorization_code", "client_credentials", "refresh_token"];

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
            },
            management: Management {
                scope: Some("cdr:registration"),
                revoke_on_unknown_client: true,
                delete_revokes_tokens: false,
            },
            token: TokenRules {
                always_grantable: &[],
                algs_when_unregistered: &[],
            },
            dialect: Dialect::Rfc,
            interaction_id_on_gateway_errors: false,
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
            },
            management: Management {
                // §4 "Management token": `cdr:registration openid`; other scope → 403.
                scope: Some("cdr:registration"),
                // §4 "Unknown / mismatched ClientId": no revocation happens in code (§9.5).
                revoke_on_unknown_client: false,
                // §4 "DELETE": IS revokes all active tokens of the client first.
                delete_revokes_tokens: true,
            },
            token: TokenRules {
                always_grantable: &[],
                algs_when_unregistered: &[],
            },
            dialect: Dialect::Wso2Toolkit,
            interaction_id_on_gateway_errors: true,
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
            },
            management: Management {
                scope,
                revoke_on_unknown_client: false,
                // Seed 000 l.235: DELETE must "invalidate long-lived access tokens".
                delete_revokes_tokens: true,
            },
            token: TokenRules {
                // Seed 000 l.207: the sample token request asks for scope=openid, which the
                // sample SSA's scope ("accounts") does not contain.
                always_grantable: &["openid"],
                // token_endpoint_auth_signing_alg is not in seed 000's claim table: a client
                // that registered none signs its assertion with PS256.
                algs_when_unregistered: &["PS256"],
            },
            dialect,
            interaction_id_on_gateway_errors: false,
        }
    }
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

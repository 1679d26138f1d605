//! Defects the holder can be started with, one at a time, to prove that a conformance suite
//! fails a holder that breaks a rule (`dcr-conformance selfcheck`).
//!
//! The defects are data: `defects.yaml` (next to this crate's `Cargo.toml`, compiled in) gives
//! each one's name, the catalogue rules it breaks and a one-line description; [`Defect`] has one
//! variant per entry (the unit tests check that both agree, and that every rule named exists in
//! `features/catalogue.yaml`). A defect is wired in as an `if state.defect(Defect::X)` branch at
//! the exact place of the behaviour it switches off or perverts; without a defect every such
//! branch compares `None` with a constant and the holder behaves as it always does.
//!
//! A defect is claimed only for the flavours whose code path it perverts (`flavours:` in the
//! YAML, [`Defect::applies_to`]): the WSO2 flavours run their own validation pipelines, which
//! wire in some defects and not others, and a defect whose branch a flavour never reaches (or
//! whose rule that flavour does not have) would survive any suite. Every defect applies to
//! `cds-au`, except the UK ones (`uk-*`, and `accelerator-*` of `wso2-accelerator-3`), which
//! break rules of the UK OBIE DCR (`UK-REQ-*`, uk-dcr.md §6) and apply to the flavours of OB
//! Directory SSAs only (`uk-obie-3.2`, `uk-obie-3.3`, `wso2-uk-3.3`, `wso2-accelerator-3`).

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::flavour::Flavour;

/// The defect list as written in `defects.yaml`.
pub(crate) const DEFECTS_YAML: &str = include_str!("../defects.yaml");

/// `defects.yaml`. Every field is parsed, so that the whole file is checked; only the unit
/// tests read `schema` and `version`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "some fields are read by the tests only")
)]
pub(crate) struct DefectCatalogue {
    /// `mock-holder/defects`.
    pub(crate) schema: String,
    /// Format version.
    pub(crate) version: u32,
    /// Every defect, in catalogue rule order.
    pub(crate) defects: Vec<DefectSpec>,
    /// MUST and SHOULD rules (profile cds-au, testable) that have no defect, with the reason.
    pub(crate) exclusions: Vec<Exclusion>,
}

/// One defect.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DefectSpec {
    /// The name (`--defect NAME`).
    pub(crate) name: String,
    /// The catalogue rules it breaks.
    pub(crate) rules: Vec<String>,
    /// What the defective holder does instead, in one line.
    pub(crate) description: String,
    /// The flavours whose code path it perverts: `[all]`, or flavour names.
    pub(crate) flavours: Vec<String>,
}

/// The `flavours:` entry that means every flavour.
const ALL_FLAVOURS: &str = "all";

/// A rule without a defect, and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Exclusion {
    /// The rule ID.
    pub(crate) rule: String,
    /// Why no defect breaks it.
    pub(crate) reason: String,
}

static CATALOGUE: LazyLock<DefectCatalogue> = LazyLock::new(|| {
    serde_yaml::from_str(DEFECTS_YAML).expect("defects.yaml is checked by the unit tests")
});

/// The parsed `defects.yaml`.
pub(crate) fn catalogue() -> &'static DefectCatalogue {
    &CATALOGUE
}

macro_rules! defects {
    ($($variant:ident => $name:literal,)*) => {
        /// A behaviour of the holder switched off or perverted (see `defects.yaml` for what
        /// each one does and which rules it breaks).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Defect {
            $($variant,)*
        }

        impl Defect {
            /// Every defect, in the order of `defects.yaml`.
            pub const ALL: &[Defect] = &[$(Defect::$variant,)*];

            /// The defect's name, as in `defects.yaml` and `--defect NAME`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Defect::$variant => $name,)*
                }
            }
        }
    };
}

defects! {
    RegistrationEndpointHttp => "registration-endpoint-http",
    AdvertiseClientSecretBasic => "advertise-client-secret-basic",
    AdvertiseHybrid => "advertise-hybrid",
    AdvertiseUnboundTokens => "advertise-unbound-tokens",
    OptionalClientCertificate => "optional-client-certificate",
    RejectUnknownXV => "reject-unknown-x-v",
    SlowRegistration => "slow-registration",
    CheckAuthorizationOnPost => "check-authorization-on-post",
    IgnoreContentType => "ignore-content-type",
    MalformedBody500 => "malformed-body-500",
    AcceptAlgNoneRequest => "accept-alg-none-request",
    AcceptJsonRegistration => "accept-json-registration",
    SkipRequestSignature => "skip-request-signature",
    RequestJwksUsed => "request-jwks-used",
    SkipRequestIss => "skip-request-iss",
    SkipRequestAud => "skip-request-aud",
    OptionalRequestIat => "optional-request-iat",
    AcceptExpiredRequest => "accept-expired-request",
    OptionalRequestJti => "optional-request-jti",
    SkipJtiReplay => "skip-jti-replay",
    MissingSsaInvalidRequest => "missing-ssa-invalid-request",
    SkipSsaSignature => "skip-ssa-signature",
    SkipSsaIss => "skip-ssa-iss",
    AcceptExpiredSsa => "accept-expired-ssa",
    ExpiredSsaAsClientMetadata => "expired-ssa-as-client-metadata",
    NoRegisterJwksRefresh => "no-register-jwks-refresh",
    SkipSsaRequiredClaims => "skip-ssa-required-claims",
    SkipRedirectCheck => "skip-redirect-check",
    NoDefaultRedirects => "no-default-redirects",
    AnyAuthMethod => "any-auth-method",
    AnyAuthSigningAlg => "any-auth-signing-alg",
    AnyGrantType => "any-grant-type",
    GrantTypesOrderSensitive => "grant-types-order-sensitive",
    AuthorizationCodeGrantOptional => "authorization-code-grant-optional",
    OptionalResponseTypes => "optional-response-types",
    AcceptHybrid => "accept-hybrid",
    OptionalAuthzSignedAlg => "optional-authz-signed-alg",
    AnyAuthzSignedAlg => "any-authz-signed-alg",
    AuthzSignedAlgAlwaysPs256 => "authz-signed-alg-always-ps256",
    JarmEncWithoutAlg => "jarm-enc-without-alg",
    AnyJarmEncryption => "any-jarm-encryption",
    JarmEncDefaultA256gcm => "jarm-enc-default-a256gcm",
    JarmEncryptionByDefault => "jarm-encryption-by-default",
    RefuseRsaOaep256 => "refuse-rsa-oaep-256",
    JarmEncryptionUnadvertised => "jarm-encryption-unadvertised",
    AnyIdTokenAlg => "any-id-token-alg",
    RequireIdTokenEncryption => "require-id-token-encryption",
    KeepIdTokenEncryption => "keep-id-token-encryption",
    AnyRequestObjectAlg => "any-request-object-alg",
    NoRequestObjectAlgDefault => "no-request-object-alg-default",
    AnyApplicationType => "any-application-type",
    NoApplicationTypeDefault => "no-application-type-default",
    KeepUnknownMembers => "keep-unknown-members",
    AdoptRequestClientId => "adopt-request-client-id",
    KeepUnsupportedScopes => "keep-unsupported-scopes",
    AllowDuplicateSoftwareId => "allow-duplicate-software-id",
    RegisterAnswers200 => "register-answers-200",
    ClientIdIssuedAtInMs => "client-id-issued-at-in-ms",
    ReserialiseSsa => "reserialise-ssa",
    DropSsaPolicyUris => "drop-ssa-policy-uris",
    DropClientCredentialsGrant => "drop-client-credentials-grant",
    OmitClientDescription => "omit-client-description",
    RegistrationErrorsAsText => "registration-errors-as-text",
    IssueRefreshToken => "issue-refresh-token",
    SkipAssertionAud => "skip-assertion-aud",
    AssertionSubUnchecked => "assertion-sub-unchecked",
    AssertionClientPrefixMatch => "assertion-client-prefix-match",
    AssertionAudNormalised => "assertion-aud-normalised",
    AssertionAudPrefixMatch => "assertion-aud-prefix-match",
    AssertionJtiOptional => "assertion-jti-optional",
    AssertionIssOptional => "assertion-iss-optional",
    AssertionExpOptional => "assertion-exp-optional",
    AssertionSignatureUnchecked => "assertion-signature-unchecked",
    AssertionNbfIgnored => "assertion-nbf-ignored",
    AcceptUnsignedAssertion => "accept-unsigned-assertion",
    RefuseAnyNbf => "refuse-any-nbf",
    MinimumAssertionLifetime => "minimum-assertion-lifetime",
    ManagementWithoutToken => "management-without-token",
    AcceptExpiredToken => "accept-expired-token",
    TrustUnverifiedTokens => "trust-unverified-tokens",
    SkipHolderOfKey => "skip-holder-of-key",
    HonourUnboundTokens => "honour-unbound-tokens",
    TokenGrantsUnregisteredScope => "token-grants-unregistered-scope",
    CnfHexThumbprint => "cnf-hex-thumbprint",
    SkipRegistrationScope => "skip-registration-scope",
    UnknownClient400 => "unknown-client-400",
    NoRevokeOnUnknownClient => "no-revoke-on-unknown-client",
    GetDropsIssuedAt => "get-drops-issued-at",
    DeleteIsANoOp => "delete-is-a-no-op",
    ClientIdFromSoftwareId => "client-id-from-software-id",
    DeleteIsIdempotent => "delete-is-idempotent",
    PutSkipsSsaVerification => "put-skips-ssa-verification",
    PutAnswers201 => "put-answers-201",
    PutDropsIssuedAt => "put-drops-issued-at",
    PutRefusedAsDuplicate => "put-refused-as-duplicate",
    PutNotStored => "put-not-stored",
    PutKeepsJwksUri => "put-keeps-jwks-uri",
    PutSkipsClaimChecks => "put-skips-claim-checks",
    PutSkipsMetadataChecks => "put-skips-metadata-checks",
    PutSkipsSsaLifetime => "put-skips-ssa-lifetime",
    PutAppliesRefusedUpdate => "put-applies-refused-update",
    PutRebindsSoftwareId => "put-rebinds-software-id",
    UnsupportedMethodCarriedOut => "unsupported-method-carried-out",
    MethodNotAllowed404 => "method-not-allowed-404",
    MethodNotAllowedWithoutAllow => "method-not-allowed-without-allow",
    DeleteAnswers200 => "delete-answers-200",
    CaseInsensitiveRedirects => "case-insensitive-redirects",
    RedirectPrefixMatch => "redirect-prefix-match",
    RedirectNormalised => "redirect-normalised",
    RecipientJwksFailure500 => "recipient-jwks-failure-500",
    NullIsAValue => "null-is-a-value",
    ScopeOrderSensitive => "scope-order-sensitive",
    UkJoseRefused => "uk-jose-refused",
    UkJwtRefused => "uk-jwt-refused",
    UkRs256Accepted => "uk-rs256-accepted",
    UkRequestSignatureUnchecked => "uk-request-signature-unchecked",
    UkHeaderJwkUsed => "uk-header-jwk-used",
    UkRequestJwksUsed => "uk-request-jwks-used",
    UkRequestIssUnchecked => "uk-request-iss-unchecked",
    UkRequestIatOptional => "uk-request-iat-optional",
    UkRequestExpUnchecked => "uk-request-exp-unchecked",
    UkRequestJtiOptional => "uk-request-jti-optional",
    UkRequestAudOptional => "uk-request-aud-optional",
    UkSsaSignatureUnchecked => "uk-ssa-signature-unchecked",
    UkAnySsaIssuer => "uk-any-ssa-issuer",
    UkUnsignedSsaAccepted => "uk-unsigned-ssa-accepted",
    UkStaleSsaAccepted => "uk-stale-ssa-accepted",
    UkSoftwareIdMismatchAccepted => "uk-software-id-mismatch-accepted",
    UkRedirectHttpAllowed => "uk-redirect-http-allowed",
    UkRedirectNotInSsa => "uk-redirect-not-in-ssa",
    UkRedirectPrefixMatch => "uk-redirect-prefix-match",
    UkAnyAuthMethod => "uk-any-auth-method",
    UkAuthAlgUnchecked => "uk-auth-alg-unchecked",
    UkDnRequiredUnchecked => "uk-dn-required-unchecked",
    UkAnyGrantType => "uk-any-grant-type",
    UkAnyResponseType => "uk-any-response-type",
    UkResponseTypesDefaultMissing => "uk-response-types-default-missing",
    UkScopeOptional => "uk-scope-optional",
    UkScopeBeyondRoles => "uk-scope-beyond-roles",
    UkApplicationTypeUnchecked => "uk-application-type-unchecked",
    UkRs256MetadataAccepted => "uk-rs256-metadata-accepted",
    UkCibaUnchecked => "uk-ciba-unchecked",
    UkRegisterAnswers200 => "uk-register-answers-200",
    UkResponseMissingRequired => "uk-response-missing-required",
    UkScopeStringAsArray => "uk-scope-string-as-array",
    UkSecretNotReturned => "uk-secret-not-returned",
    UkManagementNeedsScope => "uk-management-needs-scope",
    UkKidlessAssertionRefused => "uk-kidless-assertion-refused",
    UkTlsClientAuthDnUnchecked => "uk-tls-client-auth-dn-unchecked",
    UkUnknownClientNoRevoke => "uk-unknown-client-no-revoke",
    UkUnknownClient404 => "uk-unknown-client-404",
    UkOtherClientAllowed => "uk-other-client-allowed",
    UkPutClientIdChanges => "uk-put-client-id-changes",
    UkDeleteKeepsClient => "uk-delete-keeps-client",
    UkDiscoveryWithoutRegistrationEndpoint => "uk-discovery-without-registration-endpoint",
    UkDiscoveryWithoutAuthMethods => "uk-discovery-without-auth-methods",
    UkPostNeedsToken => "uk-post-needs-token",
    UkOptionalClientCertificate => "uk-optional-client-certificate",
    UkSuccessAsText => "uk-success-as-text",
    UkMalformedBody500 => "uk-malformed-body-500",
    UkUnsignedRequestAccepted => "uk-unsigned-request-accepted",
    UkUnknownKidAnyKey => "uk-unknown-kid-any-key",
    UkMissingSsaInvalidRequest => "uk-missing-ssa-invalid-request",
    UkJwksFailure500 => "uk-jwks-failure-500",
    UkResponseDnMissing => "uk-response-dn-missing",
    UkMissingToken403 => "uk-missing-token-403",
    UkPutIssUnchecked => "uk-put-iss-unchecked",
    UkErrorsAsText => "uk-errors-as-text",
    UkScopeOrderSensitive => "uk-scope-order-sensitive",
    UkDeleteOff404 => "uk-delete-off-404",
    UkTransportCertUnchecked => "uk-transport-cert-unchecked",
    AcceleratorGatewayErrorsAsIs => "accelerator-gateway-errors-as-is",
    AcceleratorIsErrorsAsGateway => "accelerator-is-errors-as-gateway",
    AcceleratorIssuedAtInteger => "accelerator-issued-at-integer",
    AcceleratorDuplicateRegistered => "accelerator-duplicate-registered",
    AcceleratorUnknownClientBody => "accelerator-unknown-client-body",
    AcceleratorScopeUnchecked => "accelerator-scope-unchecked",
    AcceleratorClientUriWithoutToken => "accelerator-client-uri-without-token",
}

impl Defect {
    /// Its entry in `defects.yaml`.
    pub(crate) fn spec(self) -> &'static DefectSpec {
        catalogue()
            .defects
            .iter()
            .find(|d| d.name == self.name())
            .expect("every Defect has an entry in defects.yaml (checked by the unit tests)")
    }

    /// The catalogue rules it breaks.
    pub fn rules(self) -> &'static [String] {
        &self.spec().rules
    }

    /// What the defective holder does instead.
    pub fn description(self) -> &'static str {
        &self.spec().description
    }

    /// The rules `defects.yaml` says no defect breaks, each with the reason (the suite's
    /// self-check tests that every other testable MUST and SHOULD rule has a defect).
    pub fn exclusions() -> impl Iterator<Item = (&'static str, &'static str)> {
        catalogue()
            .exclusions
            .iter()
            .map(|e| (e.rule.as_str(), e.reason.as_str()))
    }

    /// Whether the defect perverts a code path of `flavour`, so that a suite run against a
    /// holder of that flavour with the defect must fail the rules it names.
    pub fn applies_to(self, flavour: Flavour) -> bool {
        self.spec()
            .flavours
            .iter()
            .any(|f| f == ALL_FLAVOURS || f == flavour.name())
    }

    /// The flavours the defect applies to (see [`Defect::applies_to`]), in [`Flavour::ALL`]'s
    /// order.
    pub fn flavours(self) -> Vec<Flavour> {
        Flavour::ALL
            .iter()
            .copied()
            .filter(|f| self.applies_to(*f))
            .collect()
    }

    /// Every defect's name, comma-separated (for error messages).
    pub(crate) fn names() -> String {
        Self::ALL
            .iter()
            .map(|d| d.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a defect.
#[derive(Debug, thiserror::Error)]
#[error("unknown defect {0:?}; the defects are: {names}", names = Defect::names())]
pub struct UnknownDefect(pub(crate) String);

impl FromStr for Defect {
    type Err = UnknownDefect;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|d| d.name() == s)
            .ok_or_else(|| UnknownDefect(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_yaml_parses_and_names_its_schema() {
        let c = catalogue();
        assert_eq!(c.schema, "mock-holder/defects");
        assert_eq!(c.version, 1);
    }

    #[test]
    fn the_yaml_and_the_enum_list_the_same_defects_in_the_same_order() {
        let yaml: Vec<&str> = catalogue()
            .defects
            .iter()
            .map(|d| d.name.as_str())
            .collect();
        let code: Vec<&str> = Defect::ALL.iter().map(|d| d.name()).collect();
        assert_eq!(yaml, code);
    }

    #[test]
    fn every_defect_has_a_unique_kebab_case_name_rules_and_a_one_line_description() {
        let mut seen = BTreeSet::new();
        for d in &catalogue().defects {
            assert!(seen.insert(d.name.as_str()), "{} is listed twice", d.name);
            assert!(
                d.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}: names are kebab-case",
                d.name
            );
            assert!(!d.rules.is_empty(), "{}: names no rule", d.name);
            assert!(
                !d.description.trim().is_empty() && !d.description.contains('\n'),
                "{}: needs a one-line description",
                d.name
            );
        }
    }

    #[test]
    fn names_parse_back_to_their_defect() {
        for d in Defect::ALL {
            assert_eq!(d.name().parse::<Defect>().expect("parses"), *d);
            assert!(!d.rules().is_empty());
        }
        let err = "no-such-defect"
            .parse::<Defect>()
            .expect_err("unknown")
            .to_string();
        assert!(err.contains("no-such-defect") && err.contains("accept-expired-ssa"));
    }

    #[test]
    fn every_defect_names_known_flavours_and_applies_to_cds_au() {
        for d in &catalogue().defects {
            assert!(!d.flavours.is_empty(), "{}: name its flavours", d.name);
            if d.flavours.iter().any(|f| f == ALL_FLAVOURS) {
                assert_eq!(d.flavours, [ALL_FLAVOURS], "{}: all stands alone", d.name);
                continue;
            }
            for f in &d.flavours {
                assert!(
                    f.parse::<Flavour>().is_ok(),
                    "{}: {f} is not a flavour",
                    d.name
                );
            }
        }
        for d in Defect::ALL {
            let flavours = d.flavours();
            // The UK family's rules, and the accelerator profile's own (WACC-*), which checks
            // that family. A defect of one behaviour both families constrain names a rule of
            // each (token-grants-unregistered-scope).
            let uk_rule = |r: &String| r.starts_with("UK-REQ-") || r.starts_with("WACC-");
            let (uk, cds) = (
                d.rules().iter().any(uk_rule),
                d.rules().iter().any(|r| !uk_rule(r)),
            );
            if !cds {
                assert!(
                    !flavours.is_empty() && flavours.iter().all(|f| is_uk(*f)),
                    "{d}: a UK defect applies to UK flavours only"
                );
                continue;
            }
            assert!(
                d.applies_to(Flavour::CdsAu),
                "{d}: every defect works in cds-au"
            );
            assert_eq!(flavours.first(), Some(&Flavour::CdsAu));
            assert!(
                uk || !flavours.iter().any(|f| is_uk(*f)),
                "{d}: the UK profiles have other rules"
            );
        }
    }

    fn is_uk(f: Flavour) -> bool {
        matches!(
            f,
            Flavour::UkObie32 | Flavour::UkObie33 | Flavour::Wso2Uk33 | Flavour::Wso2Accelerator3
        )
    }

    /// The UK rules a defect names are the digest's (uk-dcr.md §6, UK-REQ-001..074): those of
    /// `features/uk-obie/catalogue.yaml` once that file exists, else the digest's numbering.
    #[test]
    fn every_uk_rule_a_defect_names_is_a_uk_catalogue_rule() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../features/uk-obie/catalogue.yaml");
        let catalogue = std::fs::read_to_string(&file).ok();
        for d in Defect::ALL {
            for rule in d.rules().iter().filter(|r| r.starts_with("UK-REQ-")) {
                match &catalogue {
                    Some(text) => assert!(
                        text.contains(&format!("id: {rule}")),
                        "{d}: {rule} is not in {}",
                        file.display()
                    ),
                    None => {
                        let n: u32 = rule["UK-REQ-".len()..].parse().expect("a number");
                        assert!(
                            rule.len() == "UK-REQ-000".len() && (1..=74).contains(&n),
                            "{d}: {rule} is not a UK-REQ-001..074 rule"
                        );
                    }
                }
            }
        }
    }
}

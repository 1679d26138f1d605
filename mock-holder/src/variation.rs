//! Variations the holder can be started with, any compatible set at once, to prove that a
//! conformance suite passes every holder the standards allow (`dcr-conformance selfcheck`).
//!
//! A variation is a behaviour that the standards allow but that the mock does not show by
//! default: a refusal with another accepted code, members in another order, an opaque access
//! token. The variations are data: `variations.yaml` (next to this crate's `Cargo.toml`,
//! compiled in) gives each one's name, the rules whose checks meet it, the clause that allows
//! it, the flavours it applies to and the variations it cannot run with; [`Variation`] has one
//! variant per entry (the unit tests check that both agree). A variation is wired in as an
//! `if state.variation(Variation::X)` branch at the layer it changes; without variations every
//! such branch tests an empty list and the holder behaves as it always does.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::flavour::Flavour;

/// The variation list as written in `variations.yaml`.
pub(crate) const VARIATIONS_YAML: &str = include_str!("../variations.yaml");

/// `variations.yaml`. Every field is parsed, so that the whole file is checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(
    not(test),
    expect(dead_code, reason = "some fields are read by the tests only")
)]
pub(crate) struct VariationCatalogue {
    /// `mock-holder/variations`.
    pub(crate) schema: String,
    /// Format version.
    pub(crate) version: u32,
    /// Every variation.
    pub(crate) variations: Vec<VariationSpec>,
}

/// One variation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VariationSpec {
    /// The name (`--variation NAME`).
    pub(crate) name: String,
    /// What the holder does instead of its default, in one line.
    pub(crate) description: String,
    /// The catalogue rules whose checks meet the behaviour.
    pub(crate) rules: Vec<String>,
    /// The clause that allows the behaviour.
    pub(crate) clause: String,
    /// The flavours whose code path it changes: `[all]`, or flavour names.
    pub(crate) flavours: Vec<String>,
    /// Variations it cannot run with (either side may declare it).
    #[serde(default)]
    pub(crate) incompatible: Vec<String>,
}

/// The `flavours:` entry that means every flavour.
const ALL_FLAVOURS: &str = "all";

static CATALOGUE: LazyLock<VariationCatalogue> = LazyLock::new(|| {
    serde_yaml::from_str(VARIATIONS_YAML).expect("variations.yaml is checked by the unit tests")
});

/// The parsed `variations.yaml`.
pub(crate) fn catalogue() -> &'static VariationCatalogue {
    &CATALOGUE
}

macro_rules! variations {
    ($($variant:ident => $name:literal,)*) => {
        /// A behaviour the standards allow that the holder does not show by default (see
        /// `variations.yaml` for what each one does and the clause that allows it).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Variation {
            $($variant,)*
        }

        impl Variation {
            /// Every variation, in the order of `variations.yaml`.
            pub const ALL: &[Variation] = &[$(Variation::$variant,)*];

            /// The variation's name, as in `variations.yaml` and `--variation NAME`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Variation::$variant => $name,)*
                }
            }
        }
    };
}

variations! {
    ExtraDiscoveryMembers => "extra-discovery-members",
    ExtraRegistrationMembers => "extra-registration-members",
    ExtraTokenMembers => "extra-token-members",
    ExtraErrorMembers => "extra-error-members",
    ReorderedMembers => "reordered-members",
    ReversedSupportedValues => "reversed-supported-values",
    PrettyJson => "pretty-json",
    CharsetUtf8 => "charset-utf-8",
    ExtraResponseHeaders => "extra-response-headers",
    CertRefusedAfterHandshake => "cert-refused-after-handshake",
    CertRefused401 => "cert-refused-401",
    CertRefused403 => "cert-refused-403",
    ConnectionClose => "connection-close",
    ChunkedResponses => "chunked-responses",
    Http1Only => "http1-only",
    Http2Only => "http2-only",
    LowercaseBearer => "lowercase-bearer",
    OpaqueAccessToken => "opaque-access-token",
    TokenLifetime300 => "token-lifetime-300",
    TokenLifetime3600 => "token-lifetime-3600",
    TokenWithoutScope => "token-without-scope",
    TokenWithoutExpiresIn => "token-without-expires-in",
    TokenInvalidClient401 => "token-invalid-client-401",
    TokenErrorUri => "token-error-uri",
    TokenDropsUnregisteredScope => "token-drops-unregistered-scope",
    BearerRealm => "bearer-realm",
    DuplicateAsInvalidSoftwareStatement => "duplicate-as-invalid-software-statement",
    UntrustedSsaUnapproved => "untrusted-ssa-unapproved",
    MissingSsaInvalidClientMetadata => "missing-ssa-invalid-client-metadata",
    RedirectMismatchInvalidClientMetadata => "redirect-mismatch-invalid-client-metadata",
    RefuseUnboundTokensRequest => "refuse-unbound-tokens-request",
    NoJarmEncryption => "no-jarm-encryption",
    MalformedBody415 => "malformed-body-415",
    UnknownClientInvalidToken => "unknown-client-invalid-token",
    UnsupportedMethod404 => "unsupported-method-404",
    AllowListsMoreMethods => "allow-lists-more-methods",
    WrongContentType400 => "wrong-content-type-400",
    RegistrationPathConnect => "registration-path-connect",
    OversizedClose => "oversized-close",
    OversizedKeepOpen => "oversized-keep-open",
    UkAudUnchecked => "uk-aud-unchecked",
    UkOtherClient403 => "uk-other-client-403",
    UkRedirectOmittedUsesSsa => "uk-redirect-omitted-uses-ssa",
    UkClientSecretBasicTokenOnly => "uk-client-secret-basic-token-only",
    RevokeTokensOnAuthChange => "revoke-tokens-on-auth-change",
    AcceleratorRegistrationAttributes => "accelerator-registration-attributes",
    AcceleratorGetPutWithoutToken => "accelerator-get-put-without-token",
}

impl Variation {
    /// Its entry in `variations.yaml`.
    pub(crate) fn spec(self) -> &'static VariationSpec {
        catalogue()
            .variations
            .iter()
            .find(|v| v.name == self.name())
            .expect("every Variation has an entry in variations.yaml (checked by the unit tests)")
    }

    /// The catalogue rules whose checks meet the behaviour.
    pub fn rules(self) -> &'static [String] {
        &self.spec().rules
    }

    /// What the holder does instead of its default.
    pub fn description(self) -> &'static str {
        &self.spec().description
    }

    /// The clause that allows the behaviour.
    pub fn clause(self) -> &'static str {
        &self.spec().clause
    }

    /// Whether the variation changes a code path of `flavour`.
    pub fn applies_to(self, flavour: Flavour) -> bool {
        self.spec()
            .flavours
            .iter()
            .any(|f| f == ALL_FLAVOURS || f == flavour.name())
    }

    /// Whether the two variations cannot run together (declared on either side).
    pub fn incompatible_with(self, other: Variation) -> bool {
        self.spec().incompatible.iter().any(|n| n == other.name())
            || other.spec().incompatible.iter().any(|n| n == self.name())
    }

    /// Checks that `set` can run together in `flavour`: every variation applies to the flavour,
    /// no two are incompatible.
    ///
    /// # Errors
    /// Names the first variation that does not apply, or the first incompatible pair.
    pub fn check_set(set: &[Variation], flavour: Flavour) -> Result<(), String> {
        for (i, a) in set.iter().enumerate() {
            if !a.applies_to(flavour) {
                return Err(format!(
                    "variation {a} does not apply to flavour {flavour} (it applies to {})",
                    a.spec().flavours.join(", ")
                ));
            }
            if let Some(b) = set[i + 1..].iter().find(|b| a.incompatible_with(**b)) {
                return Err(format!(
                    "variations {a} and {b} cannot run together (mock-holder/variations.yaml)"
                ));
            }
        }
        Ok(())
    }

    /// The largest compatible set of the variations that apply to `flavour`: each in
    /// [`Variation::ALL`]'s order, unless incompatible with one taken before it.
    pub fn compatible_set(flavour: Flavour) -> Vec<Variation> {
        let mut set: Vec<Variation> = Vec::new();
        for v in Self::ALL.iter().copied().filter(|v| v.applies_to(flavour)) {
            if !set.iter().any(|t| t.incompatible_with(v)) {
                set.push(v);
            }
        }
        set
    }

    /// Every variation's name, comma-separated (for error messages).
    pub(crate) fn names() -> String {
        Self::ALL
            .iter()
            .map(|v| v.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Variation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a variation.
#[derive(Debug, thiserror::Error)]
#[error("unknown variation {0:?}; the variations are: {names}", names = Variation::names())]
pub struct UnknownVariation(pub(crate) String);

impl FromStr for Variation {
    type Err = UnknownVariation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|v| v.name() == s)
            .ok_or_else(|| UnknownVariation(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_yaml_parses_and_lists_the_enum_in_order() {
        let c = catalogue();
        assert_eq!(c.schema, "mock-holder/variations");
        assert_eq!(c.version, 1);
        let yaml: Vec<&str> = c.variations.iter().map(|v| v.name.as_str()).collect();
        let code: Vec<&str> = Variation::ALL.iter().map(|v| v.name()).collect();
        assert_eq!(yaml, code);
    }

    #[test]
    fn every_variation_is_described_with_rules_a_clause_and_known_flavours() {
        let mut seen = BTreeSet::new();
        for v in &catalogue().variations {
            assert!(seen.insert(v.name.as_str()), "{} is listed twice", v.name);
            assert!(!v.rules.is_empty(), "{}: names no rule", v.name);
            assert!(
                v.rules
                    .iter()
                    .all(|r| r.starts_with("DCR-REQ-") || r.starts_with("UK-REQ-")),
                "{}: rules are catalogue IDs",
                v.name
            );
            assert!(!v.clause.trim().is_empty(), "{}: cite the clause", v.name);
            assert!(
                !v.description.trim().is_empty() && !v.description.contains('\n'),
                "{}: one-line description",
                v.name
            );
            assert!(!v.flavours.is_empty(), "{}: name its flavours", v.name);
            for f in v.flavours.iter().filter(|f| *f != ALL_FLAVOURS) {
                assert!(
                    f.parse::<Flavour>().is_ok(),
                    "{}: {f} is no flavour",
                    v.name
                );
            }
            for other in &v.incompatible {
                assert!(
                    other.parse::<Variation>().is_ok() && other != &v.name,
                    "{}: incompatible with unknown {other}",
                    v.name
                );
            }
        }
        assert!(Variation::ALL.len() >= 30);
    }

    #[test]
    fn names_parse_back_and_an_unknown_name_lists_the_variations() {
        for v in Variation::ALL {
            assert_eq!(v.name().parse::<Variation>().expect("parses"), *v);
        }
        let err = "nope"
            .parse::<Variation>()
            .expect_err("unknown")
            .to_string();
        assert!(
            err.contains("\"nope\"") && err.contains("pretty-json"),
            "{err}"
        );
    }

    #[test]
    fn incompatible_sets_are_refused_and_the_compatible_set_passes_its_own_check() {
        let err = Variation::check_set(
            &[Variation::Http2Only, Variation::Http1Only],
            Flavour::CdsAu,
        )
        .expect_err("incompatible");
        assert!(
            err.contains("http2-only") && err.contains("http1-only"),
            "{err}"
        );
        assert!(
            Variation::check_set(&[Variation::RegistrationPathConnect], Flavour::Wso2Cds02)
                .is_err()
        );
        for f in Flavour::ALL {
            let set = Variation::compatible_set(*f);
            assert!(!set.is_empty());
            Variation::check_set(&set, *f).expect("compatible");
        }
    }
}

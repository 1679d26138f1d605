//! What a scenario needs from the environment, and whether a target can provide it.
//!
//! A scenario's needs are read from its concrete steps (outline rows already expanded, the
//! background included), so a new scenario cannot forget to declare them; an explicit
//! `@needs:<name>` tag adds a need the steps do not show. Before the run, every scenario whose
//! needs the target cannot meet is taken out and reported as **skipped, with the reason**:
//! never run half-way, never counted as passed.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use dcr_vectors::mutation::MutationFile;
use regex::Regex;
use serde::Serialize;

/// Tag prefix of explicit needs.
pub const NEEDS_PREFIX: &str = "needs:";

/// Something a scenario needs from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Need {
    /// Mints software statements (valid ones for fresh software products, or mutated ones):
    /// the Register's signing key.
    RegisterKey,
    /// Rotates the Register's keys: the suite must serve the Register's JWKS itself.
    RegisterJwksHost,
    /// Acts as two Data Recipients (cross-client and certificate-binding checks).
    SecondRecipient,
    /// Deletes a registration (the holder must support DELETE).
    Delete,
    /// Builds requests relative to the holder's allowed clock skew, which must be declared.
    ClockSkew,
    /// Waits for an access token to expire: the token lifetime must be declared and short.
    TokenExpiry,
    /// Creates registrations: with fixed software products (SSAs not minted by the suite) the
    /// suite must delete what it created before the next scenario.
    Isolation,
    /// Leaves a registration the recipient's own key cannot delete (e.g. one registered for
    /// another signing algorithm): only a software product minted for the scenario will do.
    FreshProduct,
}

impl Need {
    /// Every need, in order.
    pub const ALL: [Need; 8] = [
        Need::RegisterKey,
        Need::RegisterJwksHost,
        Need::SecondRecipient,
        Need::Delete,
        Need::ClockSkew,
        Need::TokenExpiry,
        Need::Isolation,
        Need::FreshProduct,
    ];

    /// The name used in `@needs:` tags and reports.
    pub fn name(self) -> &'static str {
        match self {
            Need::RegisterKey => "register-key",
            Need::RegisterJwksHost => "register-jwks-host",
            Need::SecondRecipient => "second-recipient",
            Need::Delete => "delete",
            Need::ClockSkew => "clock-skew",
            Need::TokenExpiry => "token-expiry",
            Need::Isolation => "isolation",
            Need::FreshProduct => "fresh-product",
        }
    }

    /// The need a `@needs:` tag value names.
    pub fn from_name(name: &str) -> Option<Need> {
        Need::ALL.into_iter().find(|n| n.name() == name)
    }
}

/// One step pattern and the need it reveals.
struct Implied {
    pattern: Regex,
    need: Need,
}

#[allow(clippy::expect_used)] // constant patterns, exercised by the unit tests
static IMPLIED: LazyLock<Vec<Implied>> = LazyLock::new(|| {
    let rule = |pattern: &str, need| Implied {
        pattern: Regex::new(pattern).expect("constant pattern"),
        need,
    };
    vec![
        rule(r"\brecipient B\b", Need::SecondRecipient),
        // An SSA for a software product the target file does not hold needs minting. Mutated
        // SSAs are judged by name below; the impostor-signed one is made from an issued SSA.
        rule(
            r"software statement for another software product",
            Need::RegisterKey,
        ),
        rule(
            r"the CDR Register publishes a new signing key",
            Need::RegisterKey,
        ),
        rule(
            r"the CDR Register publishes a new signing key",
            Need::RegisterJwksHost,
        ),
        rule(r"(?i)\bdelete(s|d)?\b", Need::Delete),
        rule(
            r"access token of recipient \w+ has expired",
            Need::TokenExpiry,
        ),
        rule(
            r"posts? (the|a) registration|registration requests? .* (is|are) posted|is registered|registers again|posts '",
            Need::Isolation,
        ),
    ]
});

#[allow(clippy::expect_used)] // the mutation files are checked by their own unit tests
static SKEW_MUTATIONS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let mut names = BTreeSet::new();
    for file in [MutationFile::ssa(), MutationFile::registration()] {
        let file = file.expect("vectors/mutations/*.yaml are checked by their unit tests");
        names.extend(
            file.tests
                .iter()
                .filter(|m| m.uses_skew())
                .map(|m| m.id.clone()),
        );
    }
    names
});

/// SSA mutations that can be made from an SSA the Register issued, without its key
/// ([`dcr_vectors::Mutation::works_on_issued_token`]); every other SSA mutation needs the key.
#[allow(clippy::expect_used)] // the mutation files are checked by their own unit tests
static ISSUED_SSA_MUTATIONS: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    MutationFile::ssa()
        .expect("vectors/mutations/ssa.yaml is checked by its unit tests")
        .tests
        .iter()
        .filter(|m| m.works_on_issued_token())
        .map(|m| m.id.clone())
        .collect()
});

#[allow(clippy::expect_used)]
static MUTATION_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"with mutation "([^"]+)""#).expect("constant pattern"));

#[allow(clippy::expect_used)]
static SSA_MUTATION_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"software statement with mutation "([^"]+)""#).expect("constant pattern")
});

/// The needs of a scenario with these step texts and tags. Unknown `@needs:` tags are the
/// plan's business ([`unknown_need_tags`]), not this function's.
pub fn needs_of<'a>(
    steps: impl IntoIterator<Item = &'a str>,
    tags: impl IntoIterator<Item = &'a str>,
) -> BTreeSet<Need> {
    let mut needs = BTreeSet::new();
    for step in steps {
        for implied in IMPLIED.iter() {
            if implied.pattern.is_match(step) {
                needs.insert(implied.need);
            }
        }
        for cap in MUTATION_NAME.captures_iter(step) {
            if SKEW_MUTATIONS.contains(&cap[1]) {
                needs.insert(Need::ClockSkew);
            }
        }
        for cap in SSA_MUTATION_NAME.captures_iter(step) {
            if !ISSUED_SSA_MUTATIONS.contains(&cap[1]) {
                needs.insert(Need::RegisterKey);
            }
        }
    }
    needs.extend(
        tags.into_iter()
            .filter_map(|t| t.strip_prefix(NEEDS_PREFIX))
            .filter_map(Need::from_name),
    );
    needs
}

/// `@needs:` tags that name no need.
pub fn unknown_need_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    tags.into_iter()
        .filter(|t| {
            t.strip_prefix(NEEDS_PREFIX)
                .is_some_and(|n| Need::from_name(n).is_none())
        })
        .collect()
}

/// What the environment can provide; each missing capability carries the reason and the fix.
#[derive(Debug, Clone, Default)]
pub struct Capabilities {
    missing: Vec<(Need, String)>,
}

impl Capabilities {
    /// An environment that provides everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// Records that `need` cannot be met, and why (naming the target-file field that would
    /// provide it).
    pub fn lacks(&mut self, need: Need, why: impl Into<String>) {
        self.missing.retain(|(n, _)| *n != need);
        self.missing.push((need, why.into()));
    }

    /// Why `need` cannot be met, if it cannot.
    pub fn missing(&self, need: Need) -> Option<&str> {
        self.missing
            .iter()
            .find(|(n, _)| *n == need)
            .map(|(_, why)| why.as_str())
    }

    /// The skip reason for a scenario with `needs`, if any need is unmet.
    pub fn skip_reason(&self, needs: &BTreeSet<Need>) -> Option<String> {
        let unmet: Vec<String> = needs
            .iter()
            .filter_map(|n| {
                self.missing(*n)
                    .map(|why| format!("needs {}: {why}", n.name()))
            })
            .collect();
        (!unmet.is_empty()).then(|| format!("not run on this target: {}", unmet.join("; ")))
    }

    /// Every unmet need with its reason (for the run's preamble and reports).
    pub fn unmet(&self) -> &[(Need, String)] {
        &self.missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(
        "When recipient B posts the registration request",
        Need::SecondRecipient
    )]
    #[case(
        "When recipient A reads its registration over the certificate of recipient B",
        Need::SecondRecipient
    )]
    #[case(
        r#"Given recipient A holds a software statement with mutation "expired""#,
        Need::RegisterKey
    )]
    #[case(
        r#"When recipient A updates its registration with a software statement with mutation "kid-missing""#,
        Need::RegisterKey
    )]
    #[case(
        "When recipient A updates its registration with a software statement for another software product",
        Need::RegisterKey
    )]
    #[case(
        "Given the CDR Register publishes a new signing key",
        Need::RegisterJwksHost
    )]
    #[case("When recipient A deletes its registration", Need::Delete)]
    #[case(
        "When recipient A deletes its registration without a token",
        Need::Delete
    )]
    #[case("Given the access token of recipient A has expired", Need::TokenExpiry)]
    #[case("When recipient A posts the registration request", Need::Isolation)]
    #[case(
        "Given recipient A is registered and holds a registration access token",
        Need::Isolation
    )]
    #[case(
        "When 20 registration requests of recipient A for the same software product are posted at once",
        Need::Isolation
    )]
    fn a_step_reveals_its_need(#[case] step: &str, #[case] need: Need) {
        assert!(needs_of([step], []).contains(&need), "{step}");
    }

    #[rstest]
    #[case("When the discovery document is fetched")]
    #[case("When recipient A reads its registration")]
    #[case("Given recipient A holds a software statement issued by the Register")]
    #[case(r#"Given recipient A signs a registration request with mutation "alg-none""#)]
    #[case(
        "Given recipient A holds a software statement signed by a key that is not the Register's"
    )]
    #[case(r#"Given recipient A holds a software statement with mutation "alg-none""#)]
    #[case(r#"Given recipient A holds a software statement with mutation "tampered-payload""#)]
    #[case(
        r#"When recipient A updates its registration with a software statement with mutation "impostor-signature""#
    )]
    fn a_plain_step_needs_nothing(#[case] step: &str) {
        assert!(needs_of([step], []).is_empty(), "{step}");
    }

    #[test]
    fn a_skew_relative_mutation_needs_the_clock_skew() {
        let skewed = SKEW_MUTATIONS
            .iter()
            .next()
            .expect("a skew mutation exists");
        let step =
            format!(r#"Given recipient A signs a registration request with mutation "{skewed}""#);
        assert!(needs_of([step.as_str()], []).contains(&Need::ClockSkew));
    }

    #[test]
    fn explicit_tags_add_needs_and_unknown_ones_are_found() {
        let tags = ["needs:delete", "needs:teleport", "MUST"];
        assert_eq!(needs_of([], tags), BTreeSet::from([Need::Delete]));
        assert_eq!(unknown_need_tags(tags), vec!["needs:teleport"]);
    }

    #[test]
    fn a_skip_reason_names_every_unmet_need() {
        let mut caps = Capabilities::all();
        caps.lacks(Need::Delete, "holder.supports_delete is false");
        caps.lacks(Need::RegisterKey, "no register.signing_key");
        let reason = caps
            .skip_reason(&BTreeSet::from([
                Need::Delete,
                Need::RegisterKey,
                Need::Isolation,
            ]))
            .expect("skipped");
        assert!(
            reason.contains("needs register-key: no register.signing_key"),
            "{reason}"
        );
        assert!(
            reason.contains("needs delete: holder.supports_delete is false"),
            "{reason}"
        );
        assert!(
            caps.skip_reason(&BTreeSet::from([Need::Isolation]))
                .is_none()
        );
    }
}

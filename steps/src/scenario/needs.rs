//! What a scenario needs from the environment, and whether a target can provide it.
//!
//! A scenario's needs are read from its concrete steps (outline rows already expanded, the
//! background included), so a new scenario cannot forget to declare them; an explicit
//! `@needs:<name>` tag adds a need the steps do not show. Before the run, every scenario whose
//! needs the target cannot meet is taken out and reported as **skipped, with the reason**:
//! never run half-way, never counted as passed.

use std::collections::BTreeSet;
use std::sync::LazyLock;

pub use crate::environment::capabilities::{Capabilities, Need};
use dcr_vectors::mutation::MutationFile;
use regex::Regex;

/// Tag prefix of explicit needs.
pub const NEEDS_PREFIX: &str = "needs:";

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

/// The needs of a scenario with these steps (background first) and tags.
pub fn of_scenario<'a>(
    steps: impl IntoIterator<Item = &'a cucumber::gherkin::Step>,
    tags: impl IntoIterator<Item = &'a str>,
) -> BTreeSet<Need> {
    needs_of(steps.into_iter().map(|s| s.value.as_str()), tags)
}

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

//! The kill matrix, the baseline's judgement and the report assembled from runs.

use std::collections::BTreeMap;
use std::time::Duration;

use super::*;
use crate::run::verdict::Verdict;
use crate::selfcheck::console::{human_duration, matrix_lines};
use crate::selfcheck::judge::assemble;
use crate::selfcheck::model::*;
use crate::selfcheck::spec::Prepared;

fn scenario(id: &str, rules: &[&str], verdict: Verdict) -> RunScenario {
    RunScenario {
        id: id.into(),
        rules: rules.iter().map(|r| r.to_string()).collect(),
        verdict,
        unsettled: None,
        unmet_needs: Vec::new(),
    }
}

fn run(scenarios: Vec<RunScenario>) -> RunDigest {
    RunDigest {
        counts: RunCounts::default(),
        scenarios,
        parse_errors: Vec::new(),
    }
}

fn rules(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|r| r.to_string()).collect()
}

use Verdict::{Failed, Passed, Skipped, Warning};

#[test]
fn a_failing_scenario_tagged_with_the_rule_kills_the_defect() {
    let j = judge(
        &rules(&["DCR-REQ-024"]),
        &run(vec![
            scenario("SSA-004", &["DCR-REQ-024"], Failed),
            scenario("SSA-004", &["DCR-REQ-024"], Failed),
            scenario("SSA-005", &["DCR-REQ-024"], Passed),
        ]),
    );
    assert_eq!(j.verdict(), DefectVerdict::Killed);
    assert_eq!(
        j.caught_by,
        vec![Catch {
            rule: "DCR-REQ-024".into(),
            scenarios: vec!["SSA-004".into()]
        }],
        "outline rows are listed once"
    );
    assert!(j.uncaught.is_empty() && j.collateral.is_empty());
}

#[test]
fn a_warning_counts_as_caught_but_a_skip_does_not() {
    let warned = judge(
        &rules(&["DCR-REQ-020"]),
        &run(vec![scenario("MGT-029", &["DCR-REQ-020"], Warning)]),
    );
    assert_eq!(warned.verdict(), DefectVerdict::Killed);
    let skipped = judge(
        &rules(&["DCR-REQ-020"]),
        &run(vec![scenario("MGT-029", &["DCR-REQ-020"], Skipped)]),
    );
    assert_eq!(skipped.verdict(), DefectVerdict::Survived);
    assert_eq!(skipped.uncaught, rules(&["DCR-REQ-020"]));
}

#[test]
fn a_no_op_defect_where_everything_passes_survives() {
    let j = judge(
        &rules(&["DCR-REQ-073"]),
        &run(vec![scenario("MGT-004", &["DCR-REQ-073"], Passed)]),
    );
    assert_eq!(j.verdict(), DefectVerdict::Survived);
    assert_eq!(j.uncaught, rules(&["DCR-REQ-073"]));
}

#[test]
fn failures_under_other_rules_are_collateral_not_kills() {
    let j = judge(
        &rules(&["DCR-REQ-062"]),
        &run(vec![
            scenario("REG-020", &["DCR-REQ-065"], Failed),
            scenario("MGT-001", &["DCR-REQ-078"], Warning),
            scenario("REG-001", &["DCR-REQ-060", "DCR-REQ-062"], Passed),
        ]),
    );
    assert_eq!(j.verdict(), DefectVerdict::Survived);
    assert_eq!(j.collateral, rules(&["MGT-001", "REG-020"]));
}

#[test]
fn every_rule_of_a_defect_must_be_caught() {
    let rs = rules(&["DCR-REQ-079", "DCR-REQ-088"]);
    let partly = judge(
        &rs,
        &run(vec![
            scenario("LIF-004", &["DCR-REQ-079"], Failed),
            scenario("LIF-003", &["DCR-REQ-088"], Passed),
        ]),
    );
    assert_eq!(partly.verdict(), DefectVerdict::Survived);
    assert_eq!(partly.uncaught, rules(&["DCR-REQ-088"]));
    assert_eq!(partly.caught_by.len(), 1);
    let fully = judge(
        &rs,
        &run(vec![
            scenario("LIF-004", &["DCR-REQ-079"], Failed),
            scenario("LIF-003", &["DCR-REQ-088"], Warning),
        ]),
    );
    assert_eq!(fully.verdict(), DefectVerdict::Killed);
}

#[test]
fn a_scenario_proving_two_rules_of_the_defect_catches_both() {
    let j = judge(
        &rules(&["DCR-REQ-080", "DCR-REQ-022"]),
        &run(vec![scenario(
            "MGT-024",
            &["DCR-REQ-080", "DCR-REQ-022"],
            Failed,
        )]),
    );
    assert_eq!(j.verdict(), DefectVerdict::Killed);
    assert_eq!(j.caught_by.len(), 2);
}

#[test]
fn the_baseline_must_pass_without_warnings_or_skips() {
    assert!(baseline_problems(&run(vec![scenario("A-1", &["R"], Passed)])).is_empty());
    assert_eq!(
        baseline_problems(&run(vec![
            scenario("A-1", &["R"], Passed),
            scenario("A-2", &["R"], Warning),
            scenario("A-3", &["R"], Failed),
            scenario("A-3", &["R"], Failed),
            scenario("A-4", &["R"], Skipped),
        ])),
        vec!["A-2 warning", "A-3 failed", "A-4 skipped"]
    );
    assert_eq!(baseline_problems(&run(vec![])), vec!["no scenario ran"]);
}

#[test]
fn a_warning_the_profile_leaves_unsettled_is_a_clean_baseline_and_a_failure_is_not() {
    let open = |verdict| RunScenario {
        unsettled: Some("the sources leave it open".into()),
        ..scenario("U-1", &["R"], verdict)
    };
    assert!(baseline_problems(&run(vec![open(Warning)])).is_empty());
    assert_eq!(
        baseline_problems(&run(vec![open(Failed)])),
        vec!["U-1 failed"]
    );
    assert_eq!(
        baseline_problems(&run(vec![scenario("U-2", &["R"], Warning)])),
        vec!["U-2 warning"]
    );
}

#[test]
fn a_scenario_skipped_only_for_what_the_holder_does_not_offer_is_a_clean_run() {
    let skipped = |needs: &[&str]| RunScenario {
        unmet_needs: needs.iter().map(|n| n.to_string()).collect(),
        ..scenario("S-1", &["DCR-REQ-041"], Skipped)
    };
    assert!(baseline_problems(&run(vec![skipped(&["jarm-encryption"])])).is_empty());
    assert!(baseline_problems(&run(vec![skipped(&["no-jarm-encryption"])])).is_empty());
    // A need the target file decides (or none recorded) is still a problem of the baseline.
    for needs in [&["jarm-encryption", "delete"][..], &["delete"], &[]] {
        assert_eq!(
            baseline_problems(&run(vec![skipped(needs)])),
            vec!["S-1 skipped"],
            "{needs:?}"
        );
    }
    let levels = |_: &str| Some(crate::catalogue::Level::Must);
    let varied = judge_variation(
        &[Variation::NoJarmEncryption],
        &levels,
        &run(vec![
            skipped(&["jarm-encryption"]),
            scenario("S-2", &["DCR-REQ-045"], Passed),
        ]),
    );
    assert!(varied.false_failures.is_empty(), "{varied:?}");
    let varied = judge_variation(
        &[Variation::NoJarmEncryption],
        &levels,
        &run(vec![skipped(&["delete"])]),
    );
    assert_eq!(varied.false_failures.len(), 1, "{varied:?}");
}

#[test]
fn a_summary_json_is_read_back() {
    let text = r#"{"schema":"dcr-conformance/summary","counts":{"scenarios":2,"passed":1,"failed":1,"warning":0,"skipped":0},
            "scenarios":[{"id":"SSA-004","name":"x","rules":["DCR-REQ-024"],"verdict":"failed","steps":[]},
                         {"id":"SSA-005","name":"y","rules":["DCR-REQ-024"],"verdict":"passed"}]}"#;
    let digest: RunDigest = serde_json::from_str(text).expect("parses");
    assert_eq!(digest.counts.failed, 1);
    assert_eq!(
        judge(&rules(&["DCR-REQ-024"]), &digest).verdict(),
        DefectVerdict::Killed
    );
}

fn finished(scenarios: Vec<RunScenario>) -> Finished {
    Finished {
        record: RunRecord {
            report_dir: "selfcheck/x".into(),
            exit_code: Some(1),
            duration_ms: 1000,
            counts: Some(RunCounts::default()),
            error: None,
        },
        digest: Some(run(scenarios)),
    }
}

/// The repository's features folder.
fn repo_features() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../features")
}

/// The options of a self-check of profile cds-au with every default.
fn cds_au_args() -> SelfcheckArgs {
    SelfcheckArgs {
        jobs: 2,
        features: Some(repo_features()),
        report_dir: std::env::temp_dir(),
        profile: "cds-au".into(),
        full: false,
        defects: Vec::new(),
        isolate: false,
        run_timeout: 300,
        holder_flavour: None,
        all_profiles: false,
        crosswise: false,
        variations: Vec::new(),
        no_variations: false,
    }
}

#[test]
fn a_survivor_fails_the_self_check_and_names_its_rule_everywhere() {
    let args = SelfcheckArgs {
        no_variations: true,
        ..cds_au_args()
    };
    let catalogue = Catalogue::load(&args.features().dir().expect("features")).expect("catalogue");
    let defects = vec![
        Defect::AuthorizationCodeGrantOptional,
        Defect::SkipHolderOfKey,
        Defect::AcceptExpiredSsa,
    ];
    let mut runs = BTreeMap::from([
        (
            BASELINE.to_string(),
            finished(vec![scenario("MGT-004", &["DCR-REQ-073"], Passed)]),
        ),
        (
            Defect::SkipHolderOfKey.name().to_string(),
            finished(vec![scenario("MGT-004", &["DCR-REQ-073"], Passed)]),
        ),
        (
            Defect::AcceptExpiredSsa.name().to_string(),
            finished(vec![scenario("SSA-004", &["DCR-REQ-024"], Failed)]),
        ),
    ]);
    let profile = catalogue.profile(&args.profile).expect("profile");
    let prepared = Prepared {
        holder: HolderSetup::for_profile(&profile).expect("holder"),
        catalogue,
        profile,
        defects,
        variations: Vec::new(),
    };
    let report = assemble(
        &args,
        &prepared,
        &mut runs,
        SystemTime::now(),
        Duration::from_secs(90),
    );
    assert!(!report.passed());
    assert_eq!(report.baseline.verdict, "passed");
    assert_eq!(
        (
            report.counts.applicable,
            report.counts.killed,
            report.counts.survived,
            report.counts.not_applicable
        ),
        (2, 1, 1, 1),
        "the IMPL defect is not applicable under cds-au"
    );
    assert_eq!(report.survivors.len(), 1);
    assert_eq!(report.survivors[0].rules, rules(&["DCR-REQ-073"]));
    let lines = matrix_lines(&report).join("\n");
    assert!(
        lines.contains("skip-holder-of-key") && lines.contains("SURVIVED"),
        "{lines}"
    );
    assert!(closing_line(&report).starts_with("selfcheck: FAILED: 1/2 defects killed, 1 survived"));
    let page = crate::selfcheck::page::render_selfcheck(&report).expect("renders");
    assert!(
        page.contains("DCR-REQ-073 not caught"),
        "the page names the rule"
    );
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["schema"], SCHEMA);
    assert_eq!(json["defects"][1]["verdict"], "survived");
    assert_eq!(json["defects"][0]["verdict"], "not_applicable");
}

#[test]
fn durations_read_as_people_write_them() {
    assert_eq!(human_duration(42_300), "42.3 s");
    assert_eq!(human_duration(151_000), "2m 31s");
}

/// Every rule a defect breaks, and every exclusion, names a rule of the catalogue.
#[test]
fn every_rule_a_defect_names_exists_in_the_catalogue() {
    let catalogue = Catalogue::load(&repo_features()).expect("catalogue");
    let named = Defect::ALL
        .iter()
        .flat_map(|d| d.rules().iter().map(move |r| (d.name(), r.as_str())))
        .chain(Defect::exclusions().map(|(rule, _)| ("exclusions", rule)));
    for (whose, rule) in named {
        assert!(
            catalogue.rule(rule).is_some() || is_uk_rule(rule),
            "{whose}: {rule} is not in features/catalogue.yaml (mock-holder/defects.yaml)"
        );
    }
}

/// A UK OBIE rule (uk-dcr.md §6): one of `features/uk-obie/catalogue.yaml` once that file
/// exists, else a UK-REQ-001..074 ID as the digest numbers them.
fn is_uk_rule(rule: &str) -> bool {
    let Some(n) = rule.strip_prefix("UK-REQ-") else {
        return false;
    };
    match std::fs::read_to_string(repo_features().join("uk-obie/catalogue.yaml")) {
        Ok(text) => text.contains(&format!("id: {rule}\n")),
        Err(_) => n.len() == 3 && n.parse::<u32>().is_ok_and(|n| (1..=74).contains(&n)),
    }
}

/// The self-check can only prove what a defect breaks: every testable MUST and SHOULD rule of
/// cds-au has a defect, or an exclusion in `defects.yaml` saying why not.
#[test]
fn every_testable_must_and_should_rule_of_cds_au_has_a_defect_or_a_stated_exclusion() {
    let catalogue = Catalogue::load(&repo_features()).expect("catalogue");
    let profile = catalogue.profile("cds-au").expect("cds-au");
    let broken: std::collections::BTreeSet<&str> = Defect::ALL
        .iter()
        .flat_map(|d| d.rules().iter().map(String::as_str))
        .collect();
    let mut excluded = std::collections::BTreeSet::new();
    for (rule, reason) in Defect::exclusions() {
        assert!(!reason.trim().is_empty(), "{rule}: give a reason");
        assert!(
            !broken.contains(rule),
            "{rule} is excluded but a defect breaks it"
        );
        excluded.insert(rule);
    }
    let missing: Vec<&str> = profile
        .rules()
        .filter(|c| {
            c.rule.testable
                && matches!(
                    c.level,
                    crate::catalogue::Level::Must | crate::catalogue::Level::Should
                )
        })
        .map(|c| c.rule.id.as_str())
        .filter(|id| !broken.contains(id) && !excluded.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "no defect breaks {missing:?}: add one to mock-holder/defects.yaml, or an exclusion with a reason"
    );
}

/// Two runs in this process at once (each on its own thread and runtime): each writes its own
/// folder, and each verdict is its own holder's.
#[tokio::test]
async fn runs_in_this_process_keep_their_own_folders_and_verdicts() {
    let report_dir = std::env::temp_dir().join(format!("dcr-selfcheck-{}", uuid::Uuid::new_v4()));
    let features = FeaturesSource::Dir(repo_features());
    let baseline = RunSpec {
        rules: vec!["DCR-REQ-073".into()],
        ..RunSpec::baseline("mock-compat", &HolderSetup::correct())
    };
    let defect = RunSpec::defect(
        "mock-compat",
        &HolderSetup::correct(),
        Defect::SkipHolderOfKey,
        Defect::SkipHolderOfKey.rules(),
        false,
    );
    let limit = Duration::from_secs(120);
    let (baseline_run, defect_run) = futures::join!(
        run_one(
            &baseline,
            Isolation::InProcess,
            &features,
            &report_dir,
            limit
        ),
        run_one(&defect, Isolation::InProcess, &features, &report_dir, limit)
    );
    let digest = baseline_run.digest.expect("the baseline completed");
    assert!(
        baseline_problems(&digest).is_empty(),
        "{:?}",
        baseline_problems(&digest)
    );
    assert_eq!(baseline_run.record.exit_code, Some(0));
    assert_eq!(baseline_run.record.report_dir, "selfcheck/baseline");
    let digest = defect_run.digest.expect("the defect run completed");
    assert_eq!(
        judge(Defect::SkipHolderOfKey.rules(), &digest).verdict(),
        DefectVerdict::Killed
    );
    assert_eq!(defect_run.record.exit_code, Some(1));
    for name in [BASELINE, Defect::SkipHolderOfKey.name()] {
        let dir = report_dir.join(RUNS_DIR).join(name);
        let console = std::fs::read_to_string(dir.join("console.txt")).expect("console.txt");
        assert!(console.contains("conformance: "), "{name}: {console}");
        assert!(dir.join("report.html").exists(), "{name} has its report");
    }
    std::fs::remove_dir_all(&report_dir).ok();
}

// ------------------------------------------------------------------ variations

/// Levels as a profile would give them: DCR-REQ-009 and DCR-REQ-095 SHOULD, the rest MUST.
fn levels(id: &str) -> Option<crate::catalogue::Level> {
    use crate::catalogue::Level;
    Some(match id {
        "DCR-REQ-009" | "DCR-REQ-095" => Level::Should,
        _ => Level::Must,
    })
}

#[test]
fn a_variation_run_where_every_scenario_passes_is_accepted() {
    let j = judge_variation(
        &[mock_holder::Variation::PrettyJson],
        &levels,
        &run(vec![
            scenario("REG-001", &["DCR-REQ-060"], Passed),
            scenario("TOK-001", &["DCR-REQ-068"], Verdict::NotChecked),
        ]),
    );
    assert_eq!(j.verdict(), VariationVerdict::Accepted);
    assert!(j.false_failures.is_empty() && j.expected_warnings.is_empty());
}

#[test]
fn a_failing_scenario_is_a_false_failure_naming_the_scenario_its_rules_and_the_clause() {
    let v = mock_holder::Variation::MalformedBody415;
    let j = judge_variation(
        &[v],
        &levels,
        &run(vec![
            scenario("REG-011", &["DCR-REQ-010"], Failed),
            scenario("REG-011", &["DCR-REQ-010"], Failed),
            scenario("REG-001", &["DCR-REQ-060"], Passed),
        ]),
    );
    assert_eq!(j.verdict(), VariationVerdict::FalseFailure);
    assert_eq!(
        j.false_failures,
        vec![FalseFailure {
            scenario: "REG-011".into(),
            verdict: "failed",
            rules: rules(&["DCR-REQ-010"]),
            allowed_by: vec![Allowance {
                variation: v.name().into(),
                clause: v.clause().into(),
            }],
        }],
        "an outline's rows count once"
    );
    assert!(v.clause().contains("§8.24"));
}

#[test]
fn a_warning_is_allowed_only_on_the_variations_own_rule_below_must() {
    let own = mock_holder::Variation::UnsupportedMethod404;
    let j = judge_variation(
        &[own],
        &levels,
        &run(vec![
            scenario("MGT-033", &["DCR-REQ-095"], Warning),
            scenario("REG-010", &["DCR-REQ-009"], Warning),
            scenario("MGT-040", &["DCR-REQ-095"], Skipped),
            scenario("MGT-030", &["DCR-REQ-086"], Warning),
        ]),
    );
    assert_eq!(j.expected_warnings, vec!["MGT-033"]);
    let failed: Vec<&str> = j
        .false_failures
        .iter()
        .map(|f| f.scenario.as_str())
        .collect();
    assert_eq!(
        failed,
        ["REG-010", "MGT-040", "MGT-030"],
        "a warning on a rule the variation does not name, a skip, and a warning on its own MUST rule are false failures"
    );
    // A scenario meeting none of the run's variations names every variation of the run.
    assert_eq!(j.false_failures[0].allowed_by.len(), 1);
    assert_eq!(j.false_failures[0].allowed_by[0].variation, own.name());
    let nothing = judge_variation(&[own], &levels, &run(vec![]));
    assert_eq!(nothing.false_failures[0].scenario, "no scenario ran");
}

#[test]
fn the_run_together_leaves_out_a_variation_incompatible_with_one_taken_before_it() {
    use mock_holder::{Flavour, Variation};
    let applicable = applicable_variations(Variation::ALL, Flavour::CdsAu);
    assert!(applicable.contains(&Variation::RegistrationPathConnect));
    assert!(
        !applicable_variations(Variation::ALL, Flavour::Wso2Cds02)
            .contains(&Variation::RegistrationPathConnect),
        "a variation runs only in the flavours it applies to"
    );
    let set = together(&applicable);
    assert!(set.contains(&Variation::Http1Only) && !set.contains(&Variation::Http2Only));
    assert!(
        set.contains(&Variation::TokenLifetime300) && !set.contains(&Variation::TokenLifetime3600)
    );
    Variation::check_set(&set, Flavour::CdsAu).expect("the set runs together");
    assert!(
        together(&[Variation::PrettyJson]).is_empty(),
        "one alone is not run twice"
    );
}

#[test]
fn a_false_failure_fails_the_self_check_and_shows_in_the_twin_table() {
    use mock_holder::Variation;
    let args = cds_au_args();
    let catalogue = Catalogue::load(&args.features().dir().expect("features")).expect("catalogue");
    let profile = catalogue.profile(&args.profile).expect("profile");
    let variations = vec![Variation::PrettyJson, Variation::LowercaseBearer];
    let mut runs = BTreeMap::from([
        (
            BASELINE.to_string(),
            finished(vec![scenario("TOK-001", &["DCR-REQ-068"], Passed)]),
        ),
        (
            RunSpec::variation_name(&[Variation::PrettyJson]),
            finished(vec![scenario("TOK-001", &["DCR-REQ-068"], Passed)]),
        ),
        (
            RunSpec::variation_name(&[Variation::LowercaseBearer]),
            finished(vec![scenario("TOK-001", &["DCR-REQ-068"], Failed)]),
        ),
        (
            RunSpec::variation_name(&variations),
            finished(vec![scenario("TOK-001", &["DCR-REQ-068"], Failed)]),
        ),
    ]);
    let prepared = Prepared {
        holder: HolderSetup::for_profile(&profile).expect("holder"),
        catalogue,
        profile,
        defects: Vec::new(),
        variations,
    };
    let report = assemble(
        &args,
        &prepared,
        &mut runs,
        SystemTime::now(),
        Duration::from_secs(9),
    );
    assert!(!report.passed(), "a false failure fails the self-check");
    let c = &report.variation_counts;
    assert_eq!(
        (c.applicable, c.accepted, c.false_failures, c.errors),
        (2, 1, 2, 0)
    );
    let names: Vec<&str> = report.variations.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "variation-pretty-json",
            "variation-lowercase-bearer",
            "variations-together"
        ]
    );
    let lines = crate::selfcheck::console::variation_lines(&report).join("\n");
    assert!(
        lines.contains("variation-lowercase-bearer") && lines.contains("FALSE FAILURE: TOK-001"),
        "{lines}"
    );
    let line = crate::selfcheck::console::closing_line(&report);
    assert!(
        line.contains("1/3 variation runs accepted, 2 false failures"),
        "{line}"
    );
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["variations"][1]["verdict"], "false_failure");
    assert_eq!(
        json["variations"][1]["false_failures"][0]["allowed_by"][0]["clause"],
        Variation::LowercaseBearer.clause()
    );
    let page = crate::selfcheck::page::render_selfcheck(&report).expect("page");
    assert!(page.contains("id=\"variations\"") && page.contains("false failure"));
}

/// Every rule a variation names exists in the catalogue.
#[test]
fn every_rule_a_variation_names_exists_in_the_catalogue() {
    let catalogue = Catalogue::load(&repo_features()).expect("catalogue");
    for v in mock_holder::Variation::ALL {
        for rule in v.rules() {
            assert!(
                catalogue.rule(rule).is_some() || is_uk_rule(rule),
                "{v}: {rule} is not in features/catalogue.yaml (mock-holder/variations.yaml)"
            );
        }
    }
}

/// One variation runs as a full run in this process and is accepted: every scenario passes
/// against a holder that writes its JSON pretty-printed and says `bearer` in lower case.
#[tokio::test]
async fn a_variation_run_in_this_process_is_accepted() {
    use mock_holder::Variation;
    let report_dir = std::env::temp_dir().join(format!("dcr-selfcheck-{}", uuid::Uuid::new_v4()));
    let features = FeaturesSource::Dir(repo_features());
    let set = [Variation::PrettyJson, Variation::LowercaseBearer];
    let spec = RunSpec {
        rules: vec!["DCR-REQ-068".into(), "DCR-REQ-060".into()],
        ..RunSpec::variation("mock-compat", &HolderSetup::correct(), &set)
    };
    assert_eq!(spec.holder.variations, set);
    let finished = run_one(
        &spec,
        Isolation::InProcess,
        &features,
        &report_dir,
        Duration::from_secs(120),
    )
    .await;
    let digest = finished.digest.expect("the variation run completed");
    assert!(!digest.scenarios.is_empty());
    let j = judge_variation(&set, &|_| Some(crate::catalogue::Level::Must), &digest);
    assert_eq!(
        j.verdict(),
        VariationVerdict::Accepted,
        "{:?}",
        j.false_failures
    );
    assert_eq!(finished.record.report_dir, "selfcheck/variations-together");
    std::fs::remove_dir_all(&report_dir).ok();
}

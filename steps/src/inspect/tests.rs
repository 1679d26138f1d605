//! Inputs come from the suite's own templates and named mutations (`vectors/`), so a valid
//! input is valid in the same sense as in the conformance run, and every offline-checkable
//! mutation the suite sends must draw a finding on the rule it exercises.

use std::path::Path;
use std::sync::LazyLock;

use dcr_vectors::jose;
use dcr_vectors::mutation::{Expect, Mutation, MutationFile, Vars};
use dcr_vectors::templates::software_products;
use dcr_vectors::{RegistrationTemplate, SigningAlg, SigningKey, SsaTemplate};
use josekit::jws::RS256;
use rstest::rstest;
use serde_json::{Map, Value, json};

use super::checks::{Kind, classify};
use super::*;

const NOW: i64 = 1_700_000_000;
const SKEW: i64 = 60;
const ISSUER: &str = "https://holder.example";
const JWKS_URI: &str = "https://a.recipient.example/jwks";
const BASE_URI: &str = "https://a.recipient.example";

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    Catalogue::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../features"))
        .expect("the repository catalogue loads")
});

struct Keys {
    register: SigningKey,
    recipient: SigningKey,
}

static KEYS: LazyLock<Keys> = LazyLock::new(|| Keys {
    register: SigningKey::generate(SigningAlg::Ps256, "register-1").expect("register key"),
    recipient: SigningKey::generate(SigningAlg::Ps256, "recipient-a").expect("recipient key"),
});

fn vars() -> Vars {
    let mut vars = Vars {
        now: NOW,
        skew: SKEW,
        values: Default::default(),
    };
    let software_id = software_products().expect("recipients")[0]
        .software_id
        .clone();
    vars.values.insert("software_id".into(), json!(software_id));
    vars.values.insert("issuer".into(), json!(ISSUER));
    vars
}

fn ssa_claims() -> Map<String, Value> {
    SsaTemplate::load()
        .expect("ssa template")
        .claims(
            &software_products().expect("recipients")[0],
            JWKS_URI,
            BASE_URI,
            NOW,
        )
        .expect("ssa claims")
}

fn request_claims(ssa: &str) -> Map<String, Value> {
    let r = &software_products().expect("recipients")[0];
    RegistrationTemplate::load()
        .expect("registration template")
        .claims(&r.software_id, ISSUER, &r.redirect_uris, ssa, NOW)
        .expect("request claims")
}

/// Applies `mutation` (claims, header, signer) and `edit`, then signs with `key` as the
/// mutation's signer says; only the signers whose effect shows offline are known here.
fn signed(
    mut claims: Map<String, Value>,
    mut header: Map<String, Value>,
    mutation: Option<&Mutation>,
    edit: impl FnOnce(&mut Map<String, Value>),
    key: &SigningKey,
) -> String {
    if let Some(m) = mutation {
        m.apply_claims(&mut claims, &vars()).expect("apply");
        m.apply_header(&mut header, &vars()).expect("header");
    }
    edit(&mut claims);
    let claims = &claims;
    let payload = serde_json::to_vec(claims).expect("claims");
    match mutation.and_then(|m| m.signer.as_deref()) {
        None | Some("register") | Some("recipient") => {
            header.insert("alg".into(), key.alg().as_str().into());
            jose::sign_compact(&header, &payload, key.signer().expect("signer").as_ref())
                .expect("sign")
        }
        Some("none") => {
            header.insert("alg".into(), "none".into());
            format!(
                "{}.{}.",
                jose::b64(&serde_json::to_vec(&header).expect("header")),
                jose::b64(&payload)
            )
        }
        Some("hs256-public-key") => {
            jose::hs256(claims, &key.public_pem().expect("pem"), key.kid()).expect("hs256")
        }
        Some("rs256") => {
            header.insert("alg".into(), "RS256".into());
            let mut jwk =
                josekit::jwk::Jwk::from_bytes(key.private_jwk_json().expect("jwk").as_bytes())
                    .expect("jwk");
            jwk.set_algorithm("RS256");
            let signer = RS256.signer_from_jwk(&jwk).expect("rs256 signer");
            jose::sign_compact(&header, &payload, &signer).expect("sign")
        }
        Some(other) => panic!("signer {other} cannot be told apart offline"),
    }
}

/// An SSA from the template, changed by `mutation` and `edit`, signed by the Register.
fn ssa_with(mutation: Option<&Mutation>, edit: impl FnOnce(&mut Map<String, Value>)) -> String {
    let header = jose::header_for(&KEYS.register);
    signed(ssa_claims(), header, mutation, edit, &KEYS.register)
}

/// A request carrying `ssa`, changed by `mutation` and `edit`, signed by the recipient.
fn request_with(
    ssa: &str,
    mutation: Option<&Mutation>,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> String {
    let mut header = RegistrationTemplate::load().expect("t").header().clone();
    header.insert("kid".into(), KEYS.recipient.kid().into());
    signed(request_claims(ssa), header, mutation, edit, &KEYS.recipient)
}

fn valid_ssa() -> String {
    ssa_with(None, |_| {})
}

fn valid_request() -> String {
    request_with(&valid_ssa(), None, |_| {})
}

fn settings(profile: &str, issuer: Option<&str>) -> Settings {
    Settings {
        profile: profile.into(),
        now: NOW,
        skew: SKEW,
        issuer: issuer.map(str::to_string),
    }
}

fn run(text: &str, profile: &str) -> Report {
    inspect(text, "test input", &settings(profile, None), &CATALOGUE).expect("inspectable")
}

fn all_findings(report: &Report) -> Vec<&Finding> {
    fn walk<'a>(tokens: &'a [Token], out: &mut Vec<&'a Finding>) {
        for t in tokens {
            out.extend(&t.findings);
            walk(&t.nested, out);
        }
    }
    let mut out = Vec::new();
    walk(&report.tokens, &mut out);
    out
}

/// Statuses of the findings citing `rule` (an empty `rule` means findings with no rule).
fn statuses(report: &Report, rule: &str) -> Vec<Status> {
    all_findings(report)
        .into_iter()
        .filter(|f| {
            if rule.is_empty() {
                f.rules.is_empty()
            } else {
                f.rules.iter().any(|r| r.id == rule)
            }
        })
        .map(|f| f.status)
        .collect()
}

fn problems(report: &Report) -> Vec<String> {
    all_findings(report)
        .into_iter()
        .filter(|f| matches!(f.status, Status::Fail | Status::Warn))
        .map(|f| {
            let ids: Vec<&str> = f.rules.iter().map(|r| r.id.as_str()).collect();
            format!("{:?} {ids:?} {}", f.status, f.message)
        })
        .collect()
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().cloned().expect("object")
}

#[rstest]
#[case::request(obj(json!({"iss": "x", "aud": "y", "software_statement": "e"})), Kind::RegistrationRequest)]
#[case::request_without_ssa(obj(json!({"aud": "y", "grant_types": []})), Kind::RegistrationRequest)]
#[case::ssa_by_issuer(obj(json!({"iss": "cdr-register"})), Kind::SoftwareStatement)]
#[case::ssa_without_iss(obj(json!({"software_id": "s", "org_id": "o"})), Kind::SoftwareStatement)]
#[case::registration_response(obj(json!({"client_id": "c", "software_id": "s", "org_id": "o", "software_statement": "e"})), Kind::Other)]
#[case::access_token(obj(json!({"iss": "https://dh", "aud": "c", "scope": "cdr:registration", "cnf": {}})), Kind::Other)]
fn tokens_are_classified_by_their_claims(#[case] claims: Map<String, Value>, #[case] want: Kind) {
    assert_eq!(classify(&claims), want);
}

#[test]
fn template_inputs_classify_as_what_they_are() {
    let ssa = valid_ssa();
    assert_eq!(classify(&ssa_claims()), Kind::SoftwareStatement);
    assert_eq!(classify(&request_claims(&ssa)), Kind::RegistrationRequest);
}

#[rstest]
#[case::cds_au("cds-au")]
#[case::mock_compat("mock-compat")]
fn the_suites_own_valid_request_draws_no_failure_and_no_warning(#[case] profile: &str) {
    let report = inspect(
        &valid_request(),
        "test input",
        &settings(profile, Some(ISSUER)),
        &CATALOGUE,
    )
    .expect("inspectable");
    assert_eq!(problems(&report), Vec::<String>::new());
    assert_eq!(report.tokens.len(), 1);
    assert_eq!(report.tokens[0].kind, Kind::RegistrationRequest);
    assert_eq!(report.tokens[0].nested[0].kind, Kind::SoftwareStatement);
    assert!(statuses(&report, "DCR-REQ-015").contains(&Status::Ok));
    assert!(statuses(&report, "DCR-REQ-030").contains(&Status::Ok));
    assert!(!report.failed());
}

/// Mutations whose effect an offline inspection cannot see: a foreign or unpublished key, a
/// payload altered under a valid-looking signature, the network, replay.
fn offline_checkable(m: &Mutation) -> bool {
    let signer_ok = !matches!(
        m.signer.as_deref(),
        Some("impostor" | "unpublished" | "next")
    );
    let rules_ok = !m
        .rules
        .iter()
        .any(|r| ["DCR-REQ-014", "DCR-REQ-020", "DCR-REQ-025"].contains(&r.as_str()));
    signer_ok && m.tamper_set.is_empty() && rules_ok
}

/// The profile a mutation is judged under: mock-compat (everything cds-au checks, and the
/// reference implementation's choices) when it checks every rule the mutation names, else the
/// first profile that does (e.g. a hybrid-era registration, valid only under cds-au-hybrid).
fn profile_for(m: &Mutation) -> String {
    std::iter::once("mock-compat")
        .chain(CATALOGUE.profile_names())
        .find(|name| {
            let p = CATALOGUE.profile(name).expect("profile");
            m.rules.iter().all(|r| p.applies(r))
        })
        .unwrap_or("mock-compat")
        .to_string()
}

fn assert_mutation(kind: &str, m: &Mutation, report: &Report) {
    match m.expect {
        Expect::Invalid => {
            let cited: Vec<Status> = m
                .rules
                .iter()
                .flat_map(|r| statuses(report, r))
                .filter(|s| matches!(s, Status::Fail | Status::Warn))
                .collect();
            assert!(
                !cited.is_empty(),
                "{kind} mutation {} ({}) should draw a FAIL or WARN on {:?}; got {:#?}",
                m.id,
                m.comment,
                m.rules,
                problems(report)
            );
        }
        Expect::Valid => assert!(
            !report.failed(),
            "{kind} mutation {} ({}) is valid but failed: {:#?}",
            m.id,
            m.comment,
            problems(report)
        ),
        Expect::Acceptable => {}
    }
}

#[test]
fn every_offline_checkable_registration_mutation_is_judged_as_the_suite_expects() {
    let file = MutationFile::registration().expect("mutations");
    let ssa = valid_ssa();
    let mut checked = 0;
    for m in file.tests.iter().filter(|m| offline_checkable(m)) {
        let token = request_with(&ssa, Some(m), |_| {});
        let report = inspect(
            &token,
            "test input",
            &settings(&profile_for(m), Some(ISSUER)),
            &CATALOGUE,
        )
        .expect("inspectable");
        assert_mutation("registration", m, &report);
        checked += 1;
    }
    assert!(
        checked > 50,
        "only {checked} registration mutations checked"
    );
}

#[test]
fn every_offline_checkable_ssa_mutation_is_judged_as_the_suite_expects() {
    let file = MutationFile::ssa().expect("mutations");
    let mut checked = 0;
    for m in file.tests.iter().filter(|m| offline_checkable(m)) {
        let ssa = ssa_with(Some(m), |_| {});
        let report = inspect(
            &request_with(&ssa, None, |_| {}),
            "test input",
            &settings(&profile_for(m), Some(ISSUER)),
            &CATALOGUE,
        )
        .expect("inspectable");
        assert_mutation("ssa", m, &report);
        checked += 1;
    }
    assert!(checked > 25, "only {checked} SSA mutations checked");
}

type Edit = fn(&mut Map<String, Value>);

#[rstest]
#[case::aud_token_endpoint(|c: &mut Map<String, Value>| { c.insert("aud".into(), json!("https://holder.example/oauth2/token")); }, "DCR-REQ-016", Status::Warn)]
#[case::aud_not_a_url(|c: &mut Map<String, Value>| { c.insert("aud".into(), json!("holder")); }, "DCR-REQ-016", Status::Fail)]
#[case::aud_https_unchecked(|_: &mut Map<String, Value>| {}, "DCR-REQ-016", Status::Info)]
#[case::exp_before_iat(|c: &mut Map<String, Value>| { c.insert("exp".into(), json!(NOW - 10)); c.insert("iat".into(), json!(NOW)); }, "DCR-REQ-018", Status::Fail)]
#[case::no_client_credentials(|c: &mut Map<String, Value>| { c.insert("grant_types".into(), json!(["authorization_code"])); }, "", Status::Warn)]
#[case::id_token_encryption_with_code(|c: &mut Map<String, Value>| { c.insert("id_token_encrypted_response_alg".into(), json!("RSA-OAEP")); }, "DCR-REQ-049", Status::Warn)]
#[case::grant_types_jwt_bearer(|c: &mut Map<String, Value>| { c.insert("grant_types".into(), json!(["authorization_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"])); }, "DCR-REQ-034", Status::Fail)]
#[case::unknown_member(|c: &mut Map<String, Value>| { c.insert("adr_name".into(), json!("x")); }, "DCR-REQ-055", Status::Info)]
fn request_checks(#[case] edit: Edit, #[case] rule: &str, #[case] want: Status) {
    let report = run(&request_with(&valid_ssa(), None, edit), "cds-au");
    assert!(
        statuses(&report, rule).contains(&want),
        "{rule}: wanted {want:?}; findings {:#?}",
        all_findings(&report)
    );
}

#[rstest]
#[case::long_lifetime(|c: &mut Map<String, Value>| { c.insert("exp".into(), json!(2_147_483_646)); }, "", Status::Warn)]
#[case::scope_without_openid(|c: &mut Map<String, Value>| { c.insert("scope".into(), json!("bank:accounts.basic:read cdr:registration")); }, "", Status::Warn)]
#[case::software_roles(|c: &mut Map<String, Value>| { c.insert("software_roles".into(), json!("data-holder")); }, "DCR-REQ-027", Status::Warn)]
#[case::missing_revocation_uri(|c: &mut Map<String, Value>| { c.remove("revocation_uri"); }, "DCR-REQ-026", Status::Warn)]
#[case::missing_jwks_uri(|c: &mut Map<String, Value>| { c.remove("jwks_uri"); }, "DCR-REQ-012", Status::Fail)]
fn ssa_checks(#[case] edit: Edit, #[case] rule: &str, #[case] want: Status) {
    let report = run(&ssa_with(None, edit), "cds-au");
    assert_eq!(report.tokens[0].kind, Kind::SoftwareStatement);
    assert!(
        statuses(&report, rule).contains(&want),
        "{rule}: wanted {want:?}; findings {:#?}",
        all_findings(&report)
    );
}

#[test]
fn an_es256_ssa_is_a_warning_because_the_register_signs_with_ps256() {
    let key = SigningKey::generate(SigningAlg::Es256, "register-ec").expect("key");
    let ssa = jose::sign_claims(&ssa_claims(), &key).expect("sign");
    let report = run(&ssa, "cds-au");
    assert!(statuses(&report, "").contains(&Status::Warn));
    assert!(!report.failed(), "{:#?}", problems(&report));
}

#[test]
fn impl_rules_apply_only_under_mock_compat() {
    let token = request_with(&valid_ssa(), None, |c| {
        c.insert("grant_types".into(), json!(["client_credentials"]));
    });
    assert_eq!(statuses(&run(&token, "cds-au"), "DCR-REQ-035"), []);
    assert_eq!(
        statuses(&run(&token, "mock-compat"), "DCR-REQ-035"),
        [Status::Fail]
    );
}

#[test]
fn rules_are_quoted_from_the_catalogue() {
    let report = run(
        &request_with(&valid_ssa(), None, |c| {
            c.insert("iss".into(), json!("someone-else"));
        }),
        "cds-au",
    );
    let finding = all_findings(&report)
        .into_iter()
        .find(|f| f.status == Status::Fail)
        .expect("a failure");
    let rule = CATALOGUE.rule("DCR-REQ-015").expect("rule");
    assert_eq!(finding.rules[0].id, rule.id);
    assert_eq!(finding.rules[0].rule, rule.rule);
    assert_eq!(finding.rules[0].level, rule.level);
    assert!(
        finding.message.contains("\"someone-else\""),
        "{}",
        finding.message
    );
}

#[test]
fn an_unknown_profile_names_the_valid_ones() {
    let err =
        inspect(&valid_ssa(), "x", &settings("uk", None), &CATALOGUE).expect_err("unknown profile");
    let names: Vec<&str> = CATALOGUE.profile_names().collect();
    assert!(names.contains(&"cds-au") && names.contains(&"mock-compat"));
    assert_eq!(
        err.to_string(),
        format!(
            "--profile uk: unknown profile; valid profiles: {}",
            names.join(", ")
        )
    );
}

#[rstest]
#[case::prose("just some words")]
#[case::empty("")]
#[case::json_without_ssa(r#"{"kty": "EC", "d": "SECRET-PRIVATE"}"#)]
fn text_with_nothing_to_inspect_is_a_usage_error(#[case] text: &str) {
    let err = inspect(text, "x", &settings("cds-au", None), &CATALOGUE).expect_err("nothing");
    let message = err.to_string();
    assert!(message.contains("expected a compact JWT"), "{message}");
    assert!(!message.contains("SECRET"), "{message}");
}

#[test]
fn a_lone_access_token_is_not_shown() {
    let claims = obj(
        json!({"iss": "https://dh", "aud": "c", "scope": "cdr:registration", "cnf": {"x5t#S256": "SECRET-THUMB"}}),
    );
    let token = jose::sign_claims(&claims, &KEYS.recipient).expect("sign");
    let err = inspect(&token, "x", &settings("cds-au", None), &CATALOGUE).expect_err("other");
    assert!(matches!(
        err,
        InspectError::NothingToInspect { found: 1, .. }
    ));
    assert!(!err.to_string().contains("SECRET"));
}

#[test]
fn tokens_in_a_page_are_inspected_in_place_and_credentials_are_not_shown() {
    let ssa = valid_ssa();
    let request = request_with(&ssa, None, |_| {});
    let access = jose::sign_claims(
        &obj(json!({"iss": "https://dh", "scope": "cdr:registration", "sub": "SECRET-SUBJECT"})),
        &KEYS.recipient,
    )
    .expect("sign");
    let page = format!(
        "A request:\n  curl -d '{request}'\nIts SSA, decoded:\n  \"software_statement\": \"{ssa}\"\nThen:\n  -H 'Authorization: Bearer {access}'\n"
    );
    let report = run(&page, "cds-au");
    assert_eq!(report.tokens.len(), 1, "the SSA is the request's own");
    assert_eq!(report.tokens[0].found, "line 2, column 12");
    assert_eq!(
        report
            .skipped
            .iter()
            .map(|s| (s.found.as_str(), s.reason.as_str()))
            .collect::<Vec<_>>(),
        [
            (
                "line 4, column 26, value of \"software_statement\"",
                "the same token as #1.1, inspected there"
            ),
            (
                "line 6, column 29, after Bearer",
                "looks like an access token (a bearer credential): not inspected, not shown"
            ),
        ]
    );
    let text = report.to_text();
    let json = serde_json::to_string(&report).expect("json");
    for out in [&text, &json] {
        assert!(!out.contains("SECRET"), "credential content shown");
        for token in [&ssa, &request, &access] {
            let signature = token.rsplit('.').next().expect("signature");
            assert!(!out.contains(signature), "a signature was shown");
        }
    }
}

#[test]
fn private_key_members_in_claims_are_redacted() {
    let ssa = ssa_with(None, |c| {
        c.insert(
            "jwks".into(),
            json!({"keys": [{"kty": "EC", "x": "pub", "d": "SECRET-D"}]}),
        );
    });
    let text = run(&ssa, "cds-au").to_text();
    assert!(
        !text.contains("SECRET-D") && text.contains("[redacted]"),
        "{text}"
    );
}

#[test]
fn a_json_claims_object_is_inspected_unsigned() {
    let text = serde_json::to_string(&ssa_claims()).expect("json");
    let report = run(&text, "cds-au");
    assert_eq!(report.tokens[0].kind, Kind::SoftwareStatement);
    assert!(report.tokens[0].header.is_none());
    assert_eq!(statuses(&report, "DCR-REQ-010"), [Status::Info]);
    assert!(!report.failed(), "{:#?}", problems(&report));
}

#[test]
fn a_registration_response_has_its_software_statement_inspected() {
    let response = json!({"client_id": "c-1", "software_id": "s", "org_id": "o", "software_statement": valid_ssa()});
    let report = run(&response.to_string(), "cds-au");
    assert_eq!(report.tokens.len(), 1);
    assert_eq!(report.tokens[0].kind, Kind::SoftwareStatement);
    assert!(report.tokens[0].found.contains("software_statement member"));
}

//! Loading target files and what they let run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use dcr_vectors::{SigningAlg, SigningKey};

use super::*;
use crate::environment::capabilities::Need;

struct Dir(PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// A folder with a test PKI and keys, and a target file written from `yaml`.
fn fixture(yaml: &str) -> (Dir, PathBuf) {
    let dir = std::env::temp_dir().join(format!("dcr-target-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("dir");
    let pki = dcr_vectors::TestPki::generate(&[]).expect("pki");
    pki.write_to_dir(&dir).expect("pki files");
    let key = SigningKey::generate(SigningAlg::Es256, "a-sig-1").expect("key");
    std::fs::write(dir.join("a-sig.pem"), key.private_pem().expect("pem")).expect("pem");
    std::fs::write(
        dir.join("a.jwt"),
        "eyJhbGciOiJQUzI1NiJ9.eyJzb2Z0d2FyZV9pZCI6IngifQ.c2ln",
    )
    .expect("ssa");
    let path = dir.join("target.yaml");
    std::fs::write(&path, yaml).expect("yaml");
    (Dir(dir), path)
}

const GOOD: &str = r#"
name: bank-sandbox
holder:
  discovery_url: https://bank.example/.well-known/openid-configuration
tls:
  ca_bundle: ca.pem
recipients:
  - name: A
    certificate: client-a.pem
    private_key: ${A_KEY_FILE}
    signing_key: { pem: a-sig.pem, kid: a-sig-1, alg: ES256 }
    jwks: { uri: https://adr.example/jwks }
    ssa: { file: a.jwt }
"#;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn a_good_file_loads_with_env_references() {
    let (_d, path) = fixture(GOOD);
    let target =
        Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")])).expect("loads");
    assert_eq!(target.name, "bank-sandbox");
    assert_eq!(target.recipients.len(), 1);
    assert!(matches!(
        target.recipients[0].ssa,
        Some(SsaSource::Fixed(_))
    ));
    let caps = target.capabilities();
    for need in [
        Need::RegisterKey,
        Need::SecondRecipient,
        Need::ClockSkew,
        Need::TokenExpiry,
    ] {
        assert!(caps.missing(need).is_some(), "{need:?}");
    }
    assert!(caps.missing(Need::Delete).is_none());
    assert!(caps.missing(Need::Isolation).is_none());
}

#[test]
fn debug_output_holds_no_key_material() {
    let (_d, path) = fixture(GOOD);
    let target =
        Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")])).expect("loads");
    let text = format!("{target:?}");
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    assert!(!text.contains("BEGIN CERTIFICATE"), "{text}");
}

#[test]
fn an_unset_variable_names_the_field_and_the_variable() {
    let (_d, path) = fixture(GOOD);
    let err = Target::load_with_env(&path, &env_of(&[])).expect_err("unset");
    assert_eq!(
            err.problems,
            vec![
                "recipients[0].private_key: environment variable A_KEY_FILE is not set (export it, or write the value in the file)"
                    .to_string()
            ]
        );
}

#[test]
fn key_material_may_come_through_the_environment() {
    let (d, path) = fixture(GOOD);
    let pem = std::fs::read_to_string(d.0.join("client-a.key")).expect("key");
    Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", &pem)])).expect("inline PEM");
}

#[test]
fn an_unknown_field_is_named_with_its_path() {
    let (_d, path) = fixture(&GOOD.replace("jwks: { uri:", "jwks: { url:"));
    let err = Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")]))
        .expect_err("unknown field");
    let text = err.to_string();
    assert!(text.contains("recipients[0].jwks"), "{text}");
    assert!(text.contains("unknown field `url`"), "{text}");
}

#[test]
fn every_problem_is_listed_at_once() {
    let yaml = GOOD
        .replace("https://bank.example", "http://bank.example")
        .replace("ca.pem", "missing.pem")
        .replace("alg: ES256", "alg: RS256")
        .replace("name: A", "name: C");
    let (_d, path) = fixture(&yaml);
    let err =
        Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")])).expect_err("bad");
    let text = err.to_string();
    for field in [
        "holder.discovery_url: \"http://bank.example/.well-known/openid-configuration\" uses http; expected an https URL",
        "tls.ca_bundle: cannot read",
        "recipients[0].signing_key.alg: \"RS256\"; expected PS256 or ES256",
        "recipients[0].name: \"C\"",
    ] {
        assert!(text.contains(field), "missing {field:?} in\n{text}");
    }
}

#[test]
fn a_missing_ssa_source_is_explained() {
    let (_d, path) = fixture(&GOOD.replace("    ssa: { file: a.jwt }\n", ""));
    let err = Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")]))
        .expect_err("no ssa");
    assert!(
        err.to_string()
            .contains("recipients[0].ssa: missing; without register.signing_key"),
        "{err}"
    );
}

/// The example target file (`text`, a version of it) in a folder with the files and
/// variables it names; the folder's guard, the file's path and the environment.
fn example_setup(text: &str) -> (Dir, PathBuf, impl Fn(&str) -> Option<String> + use<>) {
    let dir = std::env::temp_dir().join(format!("dcr-example-{}", uuid::Uuid::new_v4()));
    let guard = Dir(dir.clone());
    for sub in ["certs", "keys"] {
        std::fs::create_dir_all(dir.join(sub)).expect("dir");
    }
    let pki = dcr_vectors::TestPki::generate(&[]).expect("pki");
    let a = SigningKey::generate(SigningAlg::Ps256, "adr-a-sig-2026").expect("key");
    let b = SigningKey::generate(SigningAlg::Es256, "adr-b-sig").expect("key");
    let register = SigningKey::generate(SigningAlg::Ps256, "register-1").expect("key");
    for (file, text) in [
        ("certs/holder-ca.pem", pki.ca.cert_pem.clone()),
        ("certs/register-ca.pem", pki.ca.cert_pem.clone()),
        ("certs/adr-a-transport.pem", pki.client_a.cert_pem.clone()),
        ("certs/adr-b-transport.pem", pki.client_b.cert_pem.clone()),
        ("keys/adr-a-signing.pem", a.private_pem().expect("pem")),
        ("keys/adr-b-signing.jwk", b.private_jwk_json().expect("jwk")),
        ("example-bank.yaml", text.to_string()),
    ] {
        std::fs::write(dir.join(file), text).expect("write");
    }
    let env = env_of(&[
        ("ADR_A_TRANSPORT_KEY", &pki.client_a.key_pem),
        ("ADR_B_TRANSPORT_KEY", &pki.client_b.key_pem),
        ("ADR_A_BRAND_ID", "brand-a"),
        ("ADR_A_SOFTWARE_PRODUCT_ID", "product-a"),
        (
            "SANDBOX_REGISTER_JWK",
            &register.private_jwk_json().expect("jwk"),
        ),
    ]);
    (guard, dir.join("example-bank.yaml"), env)
}

fn example_text() -> String {
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/targets/example-bank.yaml");
    std::fs::read_to_string(&example).expect("example")
}

/// A commented-out setting of the example: `# key:` or `# - key:` (after `#` and one space,
/// any indentation), as opposed to a comment in prose.
fn uncommented(line: &str) -> Option<String> {
    static SETTING: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"^(\s*)# (\s*(?:- )?[a-z_]+:(?:\s.*)?)$").expect("regex")
    });
    SETTING
        .captures(line)
        .map(|c| format!("{}{}", &c[1], &c[2]))
}

#[test]
fn the_example_target_file_loads() {
    let (_guard, path, env) = example_setup(&example_text());
    let target = Target::load_with_env(&path, &env).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(target.name, "example-bank-sandbox");
    assert_eq!(target.recipients.len(), 2);
    assert!(matches!(
        &target.recipients[0].ssa,
        Some(SsaSource::RegisterApi { ssa_endpoint, .. }) if ssa_endpoint.contains("/brands/brand-a/software-products/product-a/ssa")
    ));
    assert!(matches!(
        &target.recipients[1].ssa,
        Some(SsaSource::Command(_))
    ));
    assert!(matches!(&target.recipients[1].jwks, Jwks::Served(_)));
    assert_eq!(target.requests_per_second, Some(5.0));
    let caps = target.capabilities();
    assert!(caps.missing(Need::TokenExpiry).is_none());
    assert!(caps.missing(Need::RegisterKey).is_some());
}

#[test]
fn a_long_token_lifetime_explains_the_skip() {
    let yaml = GOOD.replace(
        "  discovery_url:",
        "  token_lifetime_seconds: 600\n  discovery_url:",
    );
    let (_d, path) = fixture(&yaml);
    let target =
        Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")])).expect("loads");
    let caps = target.capabilities();
    assert_eq!(
        caps.missing(Need::TokenExpiry),
        Some("tokens live 600 s, longer than run.max_token_wait_seconds (30 s)")
    );
}

#[test]
fn a_certificate_not_issued_for_its_key_names_both_fields_and_the_fix() {
    let (d, path) = fixture(GOOD);
    let err = Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-b.key")]))
        .expect_err("mismatched");
    let text = err.to_string();
    let expected = format!(
        "recipients[0].certificate and recipients[0].private_key do not match: the certificate in {} was not issued for the key in {}",
        d.0.join("client-a.pem").display(),
        d.0.join("client-b.key").display()
    );
    assert!(text.contains(&expected), "{text}");
    assert!(!text.contains("KeyMismatch"), "{text}");
}

#[test]
fn an_http_jwks_uri_explains_the_rule_and_the_serve_alternative() {
    let yaml = GOOD.replace("https://adr.example/jwks", "http://adr.example/jwks");
    let (_d, path) = fixture(&yaml);
    let err =
        Target::load_with_env(&path, &env_of(&[("A_KEY_FILE", "client-a.key")])).expect_err("http");
    let text = err.to_string();
    assert!(
        text.contains("recipients[0].jwks.uri: \"http://adr.example/jwks\" uses http; expected an https URL (a published JWKS"),
        "{text}"
    );
    assert!(
        text.contains("jwks: { serve: { bind, public_url } }") && text.contains("may be http"),
        "{text}"
    );
}

#[test]
fn the_example_target_file_loads_with_its_commented_settings_uncommented() {
    let text = example_text();
    let lines: Vec<String> = text
        .lines()
        .map(|l| uncommented(l).unwrap_or_else(|| l.to_string()))
        .collect();
    let changed = text.lines().filter(|l| uncommented(l).is_some()).count();
    assert!(
        changed >= 3,
        "the register section is commented out in the example"
    );
    let (_guard, path, env) = example_setup(&(lines.join("\n") + "\n"));
    // With the Register's key the recipients' SSA sources are refused (the suite mints every
    // SSA): the file parsed, every field is known, and that is the only problem.
    let err = Target::load_with_env(&path, &env).expect_err("ssa sources beside the key");
    for problem in &err.problems {
        assert!(
            problem.contains(".ssa: not used when register.signing_key is given"),
            "{problem}\nin\n{}",
            lines.join("\n")
        );
    }
}

#[test]
fn the_uk_example_target_file_loads() {
    let dir = std::env::temp_dir().join(format!("dcr-example-uk-{}", uuid::Uuid::new_v4()));
    let _guard = Dir(dir.clone());
    for sub in ["certs", "keys", "ssa"] {
        std::fs::create_dir_all(dir.join(sub)).expect("dir");
    }
    let pki = dcr_vectors::TestPki::generate(&[]).expect("pki");
    let a = SigningKey::generate(SigningAlg::Ps256, "tpp-a-sig-2026").expect("key");
    let directory = SigningKey::generate(SigningAlg::Ps256, "directory-1").expect("key");
    let ssa = dcr_vectors::jose::sign_claims(
        serde_json::json!({
            "iss": "OpenBanking Ltd", "iat": 1, "jti": "x", "software_id": "A67kE8qMNgz0F36clmFWbg",
            "org_id": "0015800001041RbAAI", "software_client_name": "TPP A",
            "software_redirect_uris": ["https://tpp-a.example/cb"],
            "software_client_uri": "https://tpp-a.example",
            "software_jwks_endpoint": "https://keystore.openbankingtest.org.uk/0015800001041RbAAI/A67kE8qMNgz0F36clmFWbg.jwks"
        })
        .as_object()
        .expect("claims"),
        &directory,
    )
    .expect("ssa");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../vectors/targets/example-uk-aspsp.yaml"),
    )
    .expect("example");
    for (file, body) in [
        ("certs/aspsp-ca.pem", pki.ca.cert_pem.clone()),
        ("certs/tpp-a-transport.pem", pki.client_a.cert_pem.clone()),
        ("keys/tpp-a-signing.pem", a.private_pem().expect("pem")),
        ("ssa/tpp-a.jwt", ssa),
        ("example-uk-aspsp.yaml", text.clone()),
    ] {
        std::fs::write(dir.join(file), body).expect("write");
    }
    let env = env_of(&[("TPP_A_TRANSPORT_KEY", &pki.client_a.key_pem)]);
    let target = Target::load_with_env(&dir.join("example-uk-aspsp.yaml"), &env)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(target.profile.as_deref(), Some("uk-obie-3.3"));
    assert_eq!(
        target.registration_aud.as_deref(),
        Some("0015800001ZEZ1AAAX")
    );
    assert!(target.supports_read && target.supports_update && target.supports_delete);
    assert_eq!(
        target.recipients[0].subject_dn,
        "CN=recipient A,O=dcr-conformance test recipients,C=GB"
    );
    // The commented-out directory section parses as the register section it aliases (a
    // minted SSA per scenario, so without the recipient's fixed one).
    let uncommented_text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("ssa:"))
        .map(|l| uncommented(l).unwrap_or_else(|| l.to_string()))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(dir.join("example-uk-aspsp.yaml"), uncommented_text).expect("write");
    let env = env_of(&[
        ("TPP_A_TRANSPORT_KEY", &pki.client_a.key_pem),
        (
            "SANDBOX_DIRECTORY_JWK",
            &directory.private_jwk_json().expect("jwk"),
        ),
    ]);
    let target = Target::load_with_env(&dir.join("example-uk-aspsp.yaml"), &env)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        target.register.is_some(),
        "directory: is the register section"
    );
}

//! `run --sign-with` writes a detached JWS over summary.json, and `verify-report` checks it:
//! exit 0 for the untouched summary, 1 once a byte changed or with another key, 2 for a usage
//! error (a missing file, a key file that is not a JWK).

mod support;

use std::path::Path;
use std::process::Command;

use dcr_vectors::SigningKey;
use josekit::jwk::alg::ec::{EcCurve, EcKeyPair};

/// A private ES256 JWK (JSON) with `kid` and `alg`, and the key loaded from it.
fn private_jwk(kid: &str) -> (String, SigningKey) {
    let mut jwk = EcKeyPair::generate(EcCurve::P256)
        .expect("generate")
        .to_jwk_key_pair();
    jwk.set_key_id(kid);
    jwk.set_algorithm("ES256");
    let json = jwk.to_string();
    let key = SigningKey::from_private_jwk(&json, None, None).expect("load");
    (json, key)
}

fn verify(summary: &Path, signature: &Path, key: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dcr-conformance"))
        .arg("verify-report")
        .arg("--summary")
        .arg(summary)
        .arg("--signature")
        .arg(signature)
        .arg("--key")
        .arg(key)
        .output()
        .expect("verify-report");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// A signed run verifies; a changed summary, another key or a bad key file do not.
#[test]
fn a_signed_summary_verifies_until_it_changes() {
    let dir = support::scratch("signed");
    let (private, key) = private_jwk("evidence-1");
    std::fs::write(dir.join("private.jwk"), private).expect("private");
    std::fs::write(
        dir.join("public.jwk"),
        key.public_jwk().expect("public").to_string(),
    )
    .expect("public");
    let (_, other) = private_jwk("evidence-1");
    std::fs::write(
        dir.join("other.jwk"),
        other.public_jwk().expect("public").to_string(),
    )
    .expect("other");
    std::fs::write(dir.join("not-a-key.jwk"), "not json").expect("bad");

    let private_key = dir.join("private.jwk");
    let out = support::run(
        &support::fixture_features(),
        &dir,
        &[
            "--progress",
            "off",
            "--sign-with",
            private_key.to_str().expect("utf8"),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "the fixture has a MUST failure");
    let summary = dir.join("reports/summary.json");
    let signature = dir.join("reports/summary.json.jws");
    let jws = std::fs::read_to_string(&signature).expect("summary.json.jws written");
    assert!(jws.contains(".."), "detached: {jws}");

    let (code, text) = verify(&summary, &signature, &dir.join("public.jwk"));
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(
        verify(&summary, &signature, &dir.join("other.jwk")).0,
        Some(1)
    );
    assert_eq!(
        verify(&summary, &signature, &dir.join("not-a-key.jwk")).0,
        Some(2)
    );
    assert_eq!(
        verify(
            &dir.join("missing.json"),
            &signature,
            &dir.join("public.jwk")
        )
        .0,
        Some(2)
    );
    let mut changed = std::fs::read(&summary).expect("summary");
    changed.extend_from_slice(b" ");
    std::fs::write(&summary, changed).expect("change");
    let (code, text) = verify(&summary, &signature, &dir.join("public.jwk"));
    assert_eq!(code, Some(1), "{text}");
    std::fs::remove_dir_all(&dir).ok();
}

/// A signing key that cannot be loaded is a usage error before anything runs.
#[test]
fn an_unusable_signing_key_is_a_usage_error() {
    let dir = support::scratch("badkey");
    std::fs::write(dir.join("bad.jwk"), "{}").expect("bad");
    let bad = dir.join("bad.jwk");
    let out = support::run(
        &support::fixture_features(),
        &dir,
        &["--sign-with", bad.to_str().expect("utf8")],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(!dir.join("reports/summary.json").exists());
    std::fs::remove_dir_all(&dir).ok();
}

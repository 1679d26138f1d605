//! What every flavour shares: selection (`Settings.flavour`, `mock-holder flavours`), its
//! registration endpoint served where discovery says, and a database bound to one flavour.

use std::net::SocketAddr;

use mock_holder::{Flavour, Settings};
use rstest::rstest;
use serde_json::{Value, json};

use crate::durability::{Holder, free_port};
use crate::helpers::{mtls_client, spawn_app, spawn_flavour};

/// Discovery on both listeners names the flavour's registration endpoint, on the mTLS host at
/// the flavour's path (wso2-flavours §3 and §4 "Base path"; seed 000 l.39, seed 003 l.141).
#[rstest]
#[case::cds_au(Flavour::CdsAu, "/register")]
#[case::cds_au_hybrid(Flavour::CdsAuHybrid, "/register")]
#[case::wso2_cds_02(Flavour::Wso2Cds02, "/open-banking/0.2/register")]
#[case::wso2_ob_au_01(Flavour::Wso2ObAu01, "/open-banking/0.1/register")]
#[case::wso2_ob20_au_01(Flavour::Wso2Ob20Au01, "/open-banking/0.1/register")]
#[tokio::test]
async fn discovery_names_the_flavour_s_registration_endpoint(
    #[case] flavour: Flavour,
    #[case] path: &str,
) {
    let app = spawn_flavour(flavour).await;
    let want = format!("https://{}{path}", app.holder.mtls_addr);
    assert_eq!(app.holder.urls.registration_endpoint, want);
    for listener in [app.holder.public_addr, app.holder.mtls_addr] {
        let doc: Value = app
            .client_a
            .get(format!(
                "https://{listener}/.well-known/openid-configuration"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(doc["registration_endpoint"], json!(want), "{listener}");
        assert_eq!(doc["token_endpoint"], json!(app.holder.urls.token_endpoint));
    }
}

/// Each flavour registers at its own path only: a CDS holder has no `/open-banking/0.2/register`
/// and a WSO2 0.2 holder no `/register`.
#[rstest]
#[case::cds_au(Flavour::CdsAu, "/open-banking/0.2/register")]
#[case::wso2_cds_02(Flavour::Wso2Cds02, "/register")]
#[case::wso2_ob_au_01(Flavour::Wso2ObAu01, "/register")]
#[tokio::test]
async fn another_flavour_s_path_is_not_found(#[case] flavour: Flavour, #[case] path: &str) {
    let app = spawn_flavour(flavour).await;
    let r = app
        .client_a
        .post(format!("https://{}{path}", app.holder.mtls_addr))
        .header("content-type", "application/jwt")
        .body(app.registration_jwt(&uuid::Uuid::new_v4().to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// `Settings::new` is `cds-au`, today's holder: discovery lists `code` only (cdr-dcr.md
/// DCR-REQ-003) and a hybrid registration is refused (DCR-REQ-037).
#[tokio::test]
async fn the_default_flavour_is_cds_au() {
    let app = spawn_app().await;
    assert_eq!(app.holder.settings().flavour, Flavour::CdsAu);
    let doc = app.discovery().await;
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert!(
        doc.get("id_token_encryption_alg_values_supported")
            .is_none()
    );
}

fn settings_for(pki: &dcr_vectors::TestPki, database: std::path::PathBuf) -> Settings {
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let tls = mock_holder::tls::TlsMaterial {
        client_ca_pem: pki.ca.cert_pem.clone(),
        cert_pem: pki.server.cert_pem.clone(),
        key_pem: pki.server.key_pem.clone(),
    };
    let mut s = Settings::new(loopback, loopback, tls, "http://127.0.0.1:9/jwks".into());
    s.database = database;
    s
}

/// A database keeps the registrations of the flavour that first used it: another flavour's
/// holder does not start on it (its rules and response shape would not fit them).
#[tokio::test]
async fn a_database_is_refused_to_another_flavour() {
    let pki = dcr_vectors::TestPki::generate(&[]).unwrap();
    let dir = std::env::temp_dir().join(format!("mh-flavour-{}", uuid::Uuid::new_v4()));
    let db = dir.join("holder.db");

    let mut first = settings_for(&pki, db.clone());
    first.flavour = Flavour::Wso2Cds02;
    mock_holder::start(first).await.unwrap().shutdown();

    let err = mock_holder::start(settings_for(&pki, db.clone()))
        .await
        .expect_err("a cds-au holder on a wso2-cds-0.2 database");
    assert!(
        err.to_string().contains("--flavour wso2-cds-0.2"),
        "{err:#}"
    );
    let mut again = settings_for(&pki, db);
    again.flavour = Flavour::Wso2Cds02;
    mock_holder::start(again).await.unwrap().shutdown();
    let _ = std::fs::remove_dir_all(dir);
}

/// `ssa_signature_validation` is WSO2 OB 2.0's switch (wso2-flavours §3): another flavour's
/// holder refuses to start with it, naming the setting.
#[tokio::test]
async fn the_ssa_signature_switch_belongs_to_ob20_only() {
    let pki = dcr_vectors::TestPki::generate(&[]).unwrap();
    let mut s = settings_for(&pki, ":memory:".into());
    s.ssa_signature_validation = true;
    let err = mock_holder::start(s)
        .await
        .expect_err("cds-au has no switch");
    assert!(
        err.to_string().starts_with("ssa_signature_validation:"),
        "{err:#}"
    );
}

/// `mock-holder flavours` lists every flavour, one line each, by name.
#[test]
fn the_binary_lists_the_flavours() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mock-holder"))
        .arg("flavours")
        .output()
        .expect("the binary runs");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), Flavour::ALL.len(), "{text}");
    for (line, flavour) in lines.iter().zip(Flavour::ALL) {
        assert!(line.starts_with(flavour.name()), "{line}");
        assert!(line.contains(flavour.description()), "{line}");
    }
}

/// `serve --flavour NAME` overrides the config file's `flavour:`, and the start-up log says
/// which flavour runs; discovery then advertises that flavour's registration endpoint.
#[tokio::test]
async fn the_command_line_flavour_overrides_the_config_and_is_logged() {
    let dir = std::env::temp_dir().join(format!("mh-flavour-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (public, mtls) = (free_port(), free_port());
    let config = dir.join("holder.yaml");
    std::fs::write(
        &config,
        format!(
            "listen: {{public: '127.0.0.1:{public}', mtls: '127.0.0.1:{mtls}'}}\n\
             tls: {{generate: '{pki}'}}\n\
             register_jwks_uri: 'http://127.0.0.1:9/jwks'\n\
             database: ':memory:'\n\
             flavour: wso2-ob-au-0.1\n",
            pki = dir.join("pki").display(),
        ),
    )
    .unwrap();

    let holder = Holder::start_with(&config, &dir, public, &["--flavour", "wso2-cds-0.2"]).await;

    let ca = std::fs::read_to_string(dir.join("pki/ca.pem")).unwrap();
    let identity = format!(
        "{}{}",
        std::fs::read_to_string(dir.join("pki/client-a.pem")).unwrap(),
        std::fs::read_to_string(dir.join("pki/client-a.key")).unwrap()
    );
    let doc: Value = mtls_client(&ca, &identity)
        .get(format!(
            "https://127.0.0.1:{mtls}/.well-known/openid-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["registration_endpoint"],
        json!(format!(
            "https://127.0.0.1:{mtls}/open-banking/0.2/register"
        ))
    );
    let log = holder.log_text();
    assert!(
        log.contains("flavour wso2-cds-0.2: WSO2 CDS toolkit DCR 0.2"),
        "{log}"
    );
    holder.kill_9();
    let _ = std::fs::remove_dir_all(dir);
}

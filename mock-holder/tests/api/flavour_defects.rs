//! The defects claimed for a WSO2 or the hybrid flavour (`defects.yaml` `flavours:`) pervert
//! that flavour's own pipeline, and one not claimed for a flavour changes nothing there.

use mock_holder::{Defect, Flavour};
use serde_json::{Map, Value, json};

use crate::helpers::{TestApp, spawn_flavour, spawn_flavour_with};

/// A request `flavour` accepts, for `software_id`, carrying `ssa` (the SSA claims as given).
fn request(
    app: &TestApp,
    flavour: Flavour,
    software_id: &str,
    ssa: &Map<String, Value>,
) -> Map<String, Value> {
    let mut c = app.request_claims(software_id, &app.sign_ssa(ssa));
    if matches!(flavour, Flavour::Wso2ObAu01 | Flavour::Wso2Ob20Au01) {
        c.insert("response_types".into(), json!(["code id_token"]));
    }
    c
}

type Fault = fn(&mut Map<String, Value>, &mut Map<String, Value>);

/// The registration `flavour`'s holder `app` answers for a request perverted by `fault`.
async fn status_for(app: &TestApp, flavour: Flavour, fault: Fault) -> u16 {
    let software_id = uuid::Uuid::new_v4().to_string();
    let mut ssa = app.ssa_claims(&software_id);
    let mut claims = request(app, flavour, &software_id, &ssa);
    fault(&mut claims, &mut ssa);
    claims.insert("software_statement".into(), json!(app.sign_ssa(&ssa)));
    app.post_register(&app.sign_request(&claims))
        .await
        .status()
        .as_u16()
}

fn expired(claims: &mut Map<String, Value>) {
    let now = dcr_vectors::time::now();
    claims.insert("iat".into(), json!(now - 2000));
    claims.insert("exp".into(), json!(now - 1000));
}

/// Each claimed defect: the fault is refused by the correct holder and registered by the
/// defective one, which reaches the defect's branch in the flavour's own pipeline.
#[tokio::test]
async fn claimed_defects_pervert_the_flavour_s_pipeline() {
    let cases: [(Flavour, Defect, Fault); 8] = [
        (Flavour::Wso2Cds02, Defect::AcceptExpiredRequest, |c, _| {
            expired(c)
        }),
        (Flavour::Wso2Cds02, Defect::SkipSsaIss, |_, s| {
            s.insert("iss".into(), json!("OpenBanking Ltd"));
        }),
        (Flavour::Wso2Cds02, Defect::AnyApplicationType, |c, _| {
            c.insert("application_type".into(), json!("native"));
        }),
        (Flavour::Wso2ObAu01, Defect::AcceptExpiredSsa, |_, s| {
            expired(s)
        }),
        (Flavour::Wso2ObAu01, Defect::SkipRedirectCheck, |c, _| {
            c.insert("redirect_uris".into(), json!(["https://evil.example/cb"]));
        }),
        (Flavour::Wso2Ob20Au01, Defect::SkipRequestIss, |c, _| {
            c.insert("iss".into(), json!("Mock Company"));
        }),
        (Flavour::Wso2Ob20Au01, Defect::AnyGrantType, |c, _| {
            c.insert("grant_types".into(), json!(["implicit"]));
        }),
        (
            Flavour::CdsAuHybrid,
            Defect::AuthorizationCodeGrantOptional,
            |c, _| {
                c.insert("grant_types".into(), json!(["client_credentials"]));
            },
        ),
    ];
    for (flavour, defect, fault) in cases {
        assert!(
            defect.applies_to(flavour),
            "{defect} is claimed for {flavour}"
        );
        let correct = spawn_flavour(flavour).await;
        let defective = spawn_flavour_with(flavour, |s| s.defect = Some(defect)).await;
        assert_eq!(
            status_for(&correct, flavour, fault).await,
            400,
            "{flavour}: {defect}"
        );
        assert_eq!(
            status_for(&defective, flavour, fault).await,
            201,
            "{flavour}: {defect}"
        );
    }
}

/// Defects left out for a flavour: its pipeline has no such check, so the "fault" registers
/// with or without the defect (0.2 does not check the SSA's `exp`, wso2-flavours §4; OB 1.4
/// does not compare `iss` with the SSA, seed 000 l.119).
#[tokio::test]
async fn unclaimed_defects_change_nothing_there() {
    let cases: [(Flavour, Defect, Fault); 2] = [
        (Flavour::Wso2Cds02, Defect::AcceptExpiredSsa, |_, s| {
            expired(s)
        }),
        (Flavour::Wso2ObAu01, Defect::SkipRequestIss, |c, _| {
            c.insert("iss".into(), json!("Mock Company"));
        }),
    ];
    for (flavour, defect, fault) in cases {
        assert!(
            !defect.applies_to(flavour),
            "{defect} is not claimed for {flavour}"
        );
        let correct = spawn_flavour(flavour).await;
        let defective = spawn_flavour_with(flavour, |s| s.defect = Some(defect)).await;
        assert_eq!(
            status_for(&correct, flavour, fault).await,
            201,
            "{flavour}: {defect}"
        );
        assert_eq!(
            status_for(&defective, flavour, fault).await,
            201,
            "{flavour}: {defect}"
        );
    }
}

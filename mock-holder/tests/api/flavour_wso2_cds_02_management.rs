//! Flavour `wso2-cds-0.2`: management (`GET | PUT | DELETE /open-banking/0.2/register/{ClientId}`)
//! and the gateway's answers to other methods (seed 003; wso2-flavours §2, §4).

use mock_holder::Flavour;
use rstest::rstest;
use serde_json::{Value, json};

use crate::flavour_wso2_cds_02::{Seed003, interaction_id};
use crate::helpers::{TestApp, error_of, names, object, spawn_flavour};

/// Other standard methods are 405, others 501, from the gateway (§4 "Status codes": CDS-707,
/// CDS-713, CDS-23); HEAD too, though axum would answer it as GET.
#[rstest]
#[case::patch("PATCH", "/open-banking/0.2/register/abc", 405)]
#[case::head("HEAD", "/open-banking/0.2/register/abc", 405)]
#[case::options("OPTIONS", "/open-banking/0.2/register/abc", 405)]
#[case::post_on_client("POST", "/open-banking/0.2/register/abc", 405)]
#[case::get_on_register("GET", "/open-banking/0.2/register", 405)]
#[case::propfind("PROPFIND", "/open-banking/0.2/register/abc", 501)]
#[case::copy("COPY", "/open-banking/0.2/register/abc", 501)]
#[case::lock_on_register("LOCK", "/open-banking/0.2/register", 501)]
#[tokio::test]
async fn other_methods_are_405_or_501(
    #[case] method: &str,
    #[case] path: &str,
    #[case] status: u16,
) {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let r = app.call(method, path).await;
    assert_eq!(r.status(), status, "{method} {path}");
    assert!(interaction_id(&r).is_some(), "a gateway error");
}

/// Management: a `cdr:registration openid` token (§4 "Management token") reads and updates the
/// registration; GET and PUT echo the caller's token as `registration_access_token`, right
/// after `software_roles` (§4 "registration_access_token"; seed 003's GET/PUT samples).
#[tokio::test]
async fn get_and_put_echo_the_caller_s_token_after_software_roles() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let seed = Seed003::new(&app);
    let created: Value = app
        .post_register(&seed.jwt(&app))
        .await
        .json()
        .await
        .unwrap();
    let id = created["client_id"].as_str().unwrap();
    let token = app.token(id, "cdr:registration openid").await;

    let read: Value = app.get_registration(id, &token).await.json().await.unwrap();
    let mut again = Seed003 {
        claims: seed.claims.clone(),
        ssa: seed.ssa.clone(),
    };
    again
        .claims
        .insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    let r = app.put_registration(id, &token, &again.jwt(&app)).await;
    assert_eq!(r.status(), 200);
    let updated: Value = r.json().await.unwrap();

    for body in [&read, &updated] {
        assert_eq!(body["registration_access_token"], json!(token));
        let members = names(body);
        let roles = members.iter().position(|n| n == "software_roles").unwrap();
        assert_eq!(members[roles + 1], "registration_access_token");
        assert_eq!(body["client_id_issued_at"], created["client_id_issued_at"]);
    }
    let mut without_token = object(read.clone());
    without_token.remove("registration_access_token");
    assert_eq!(Value::Object(without_token), created);
}

/// A token of another client, or a client that does not exist, is 401 `invalid_client`
/// "Request failed due to unknown or invalid Client" (§4 "Unknown / mismatched ClientId",
/// OB-1308..1310) from the gateway, and the token is not revoked; a token without
/// `cdr:registration` is 403 `insufficient_scope` (OB-1169).
#[tokio::test]
async fn unknown_clients_and_wrong_scopes() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let created: Value = app
        .post_register(&Seed003::new(&app).jwt(&app))
        .await
        .json()
        .await
        .unwrap();
    let id = created["client_id"].as_str().unwrap();
    let token = app.token(id, "cdr:registration openid").await;

    let r = app
        .get_registration("8Zofufw_Yqt823g727JdZo9DvhAa", &token)
        .await;
    assert!(interaction_id(&r).is_some());
    let (status, error, text) = error_of(r).await;
    assert_eq!(
        (status, error.as_str(), text.as_str()),
        (
            401,
            "invalid_client",
            "Request failed due to unknown or invalid Client"
        )
    );
    assert_eq!(
        app.get_registration(id, &token).await.status(),
        200,
        "not revoked"
    );

    let openid_only = app.token(id, "openid").await;
    let (status, error, _) = error_of(app.get_registration(id, &openid_only).await).await;
    assert_eq!((status, error.as_str()), (403, "insufficient_scope"));
}

/// DELETE is 204 and revokes the client's tokens (§4 "DELETE": IS revokes all active tokens of
/// the client, then deletes it): the same token then fails as revoked, and no new one is issued.
#[tokio::test]
async fn delete_is_204_and_revokes_the_client_s_tokens() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let created: Value = app
        .post_register(&Seed003::new(&app).jwt(&app))
        .await
        .json()
        .await
        .unwrap();
    let id = created["client_id"].as_str().unwrap();
    let token = app.token(id, "cdr:registration").await;

    let r = app.delete_registration(id, &token).await;
    assert_eq!(r.status(), 204);
    assert!(r.bytes().await.unwrap().is_empty());

    let (status, error, text) = error_of(app.get_registration(id, &token).await).await;
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
    assert!(text.contains("revoked"), "{text}");
    let r = app
        .post_token(&TestApp::token_form(&app.assertion(id), "cdr:registration"))
        .await;
    assert_eq!(r.status(), 400);
}

/// A PUT carrying another software product's SSA is `Invalid application name` (§4.1 "PUT
/// with a different app name": the application is named after the software_id).
#[tokio::test]
async fn put_with_another_software_id_is_an_invalid_application_name() {
    let app = spawn_flavour(Flavour::Wso2Cds02).await;
    let created: Value = app
        .post_register(&Seed003::new(&app).jwt(&app))
        .await
        .json()
        .await
        .unwrap();
    let id = created["client_id"].as_str().unwrap();
    let token = app.token(id, "cdr:registration").await;

    let other = Seed003::new(&app);
    let (status, error, text) =
        error_of(app.put_registration(id, &token, &other.jwt(&app)).await).await;
    assert_eq!(
        (status, error.as_str(), text.as_str()),
        (400, "invalid_client_metadata", "Invalid application name")
    );
}

//! A registration written in the response shape of the holder's flavour.
//!
//! Registrations are stored in one form whatever the flavour: CDS RegistrationProperties
//! (snake_case members, integer `client_id_issued_at`), which is also what the token endpoint
//! reads (`jwks_uri`, `scope`, `token_endpoint_auth_signing_alg`). [`render`] writes them as
//! the flavour answers: unchanged for the CDS flavours; for the WSO2 ones with the members,
//! their order, names and types of that release's samples and models (below), members the
//! registration lacks left out (Gson and Jackson NON_NULL drop nulls).

use serde_json::{Map, Value};

use crate::flavour::{Policy, ResponseShape};

/// WSO2 0.2: `CDSRegistrationResponse`'s members, then the base `RegistrationResponse`'s
/// (wso2-flavours §4 "Response members"; the order of seed 003's samples, l.190-228). The base
/// class's own `jwks_uri` (accelerator v3.2.10+) is not written twice.
const TOOLKIT: &[&str] = &[
    "client_name",
    "client_description",
    "client_uri",
    "org_id",
    "org_name",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "legal_entity_id",
    "legal_entity_name",
    "sector_identifier_uri",
    "revocation_uri",
    "recipient_base_uri",
    "token_endpoint_auth_signing_alg",
    "id_token_encrypted_response_alg",
    "id_token_encrypted_response_enc",
    "software_roles",
    "registration_access_token",
    "client_id",
    "client_id_issued_at",
    "redirect_uris",
    "grant_types",
    "response_types",
    "application_type",
    "id_token_signed_response_alg",
    "request_object_signing_alg",
    "scope",
    "software_id",
    "token_endpoint_auth_method",
    "software_statement",
];

/// WSO2 OB 1.4: seed 000's sample response (l.170-200), member for member: (stored name, the
/// sample's name). No `responseTypes`, no `softwareStatement`: the sample has neither.
const OB14: &[(&str, &str)] = &[
    ("client_id", "clientId"),
    ("client_id_issued_at", "clientIdIssuedAt"),
    ("client_name", "clientName"),
    ("client_description", "clientDescription"),
    ("client_uri", "clientUri"),
    ("org_id", "orgId"),
    ("org_name", "orgName"),
    ("redirect_uris", "redirectUris"),
    ("logo_uri", "logoUri"),
    ("tos_uri", "tosUri"),
    ("policy_uri", "policyUri"),
    ("jwks_uri", "jwksUri"),
    ("revocation_uri", "revocationUri"),
    ("software_id", "softwareId"),
    ("software_roles", "softwareRoles"),
    ("scope", "scope"),
    (
        "token_endpoint_auth_signing_alg",
        "tokenEndpointAuthSigningAlg",
    ),
    ("token_endpoint_auth_method", "tokenEndpointAuthMethod"),
    ("grant_types", "grantTypes"),
    ("application_type", "applicationType"),
    ("id_token_signed_response_alg", "idTokenSignedResponseAlg"),
    ("request_object_signing_alg", "requestObjectSigningAlg"),
];

/// WSO2 OB 2.0: the 0.1 swagger's response schema, in its order (wso2-flavours §3 "Response
/// member names"), snake_case with an integer `client_id_issued_at`.
const OB20: &[&str] = &[
    "client_id",
    "client_id_issued_at",
    "client_name",
    "client_description",
    "client_uri",
    "org_id",
    "org_name",
    "redirect_uris",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "jwks_uri",
    "revocation_uri",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "grant_types",
    "response_types",
    "application_type",
    "id_token_signed_response_alg",
    "request_object_signing_alg",
    "software_statement",
    "software_id",
    "software_roles",
    "scope",
];

/// UK OBIE DCR: OBClientRegistration1's response members (uk-dcr.md §4.1: the always-required
/// ones, the optional ones the holder provisions, the 3.3 CIBA ones), in the data
/// dictionary's order (§2.2). Never `iss`, `iat`, `exp`, `aud`, `jti` (§4.1, UK-REQ-054); the
/// stored `jwks_uri` (the SSA's `software_jwks_endpoint`) is the token endpoint's, not answered.
const UK: &[&str] = &[
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "redirect_uris",
    "token_endpoint_auth_method",
    "token_endpoint_auth_signing_alg",
    "tls_client_auth_subject_dn",
    "grant_types",
    "response_types",
    "software_id",
    "scope",
    "software_statement",
    "application_type",
    "id_token_signed_response_alg",
    "request_object_signing_alg",
    "backchannel_token_delivery_mode",
    "backchannel_client_notification_endpoint",
    "backchannel_authentication_request_signing_alg",
    "backchannel_user_code_parameter_supported",
];

/// WSO2's UK toolkit v3.3.0 (wso2-flavours §6 d2 sample response): the sample's members in its
/// order, `token_endpoint_auth_signing_alg` first; after them the UK members the sample's
/// registration did not use (its tls_client_auth / client_secret_basic and CIBA members).
const WSO2_UK: &[&str] = &[
    "token_endpoint_auth_signing_alg",
    "client_id",
    "client_id_issued_at",
    "redirect_uris",
    "grant_types",
    "response_types",
    "application_type",
    "id_token_signed_response_alg",
    "request_object_signing_alg",
    "scope",
    "software_id",
    "token_endpoint_auth_method",
    "software_statement",
    "client_secret",
    "client_secret_expires_at",
    "tls_client_auth_subject_dn",
    "backchannel_token_delivery_mode",
    "backchannel_client_notification_endpoint",
    "backchannel_authentication_request_signing_alg",
    "backchannel_user_code_parameter_supported",
];

/// WSO2 Accelerator 3.x: the base `RegistrationResponse`'s members in its order (wso2-flavours
/// §5 "Response members"; seed 004's and DOCS3's samples): no `token_endpoint_auth_signing_alg`,
/// `software_roles` or client name.
const ACCELERATOR: &[&str] = &[
    "registration_access_token",
    "client_id",
    "client_id_issued_at",
    "redirect_uris",
    "grant_types",
    "response_types",
    "application_type",
    "id_token_signed_response_alg",
    "request_object_signing_alg",
    "scope",
    "software_id",
    "jwks_uri",
    "token_endpoint_auth_method",
    "registration_client_uri",
    "software_statement",
];

/// The answer body for the stored registration `metadata`. `access_token` is the caller's
/// bearer token on GET and PUT (echoed as `registration_access_token` where the policy says
/// so), `None` on POST.
pub(crate) fn render(
    policy: &Policy,
    metadata: Map<String, Value>,
    access_token: Option<&str>,
) -> Map<String, Value> {
    match policy.response {
        ResponseShape::Cds => metadata,
        ResponseShape::Wso2Toolkit => {
            let mut out = Map::new();
            for name in TOOLKIT {
                let value = match *name {
                    "registration_access_token" => access_token
                        .filter(|_| policy.echo_registration_access_token)
                        .map(Value::from),
                    // A Java String in `RegistrationResponse` (§2 "Success response").
                    "client_id_issued_at" => metadata
                        .get(*name)
                        .and_then(Value::as_i64)
                        .map(|t| Value::String(t.to_string())),
                    _ => metadata.get(*name).filter(|v| !v.is_null()).cloned(),
                };
                if let Some(value) = value {
                    out.insert((*name).into(), value);
                }
            }
            out
        }
        ResponseShape::Ob14CamelCase => OB14
            .iter()
            .filter_map(|(stored, sample)| {
                let value = metadata.get(*stored).filter(|v| !v.is_null())?;
                Some(((*sample).to_string(), value.clone()))
            })
            .collect(),
        ResponseShape::Uk => UK
            .iter()
            .filter_map(|name| {
                let value = metadata.get(*name).filter(|v| !v.is_null())?;
                Some(((*name).to_string(), value.clone()))
            })
            .collect(),
        ResponseShape::Wso2Uk => WSO2_UK
            .iter()
            .filter_map(|name| {
                let value = metadata.get(*name).filter(|v| !v.is_null())?;
                // A Java String in the accelerator's `RegistrationResponse` (§2, §6 d2).
                let value = match (*name, value.as_i64()) {
                    ("client_id_issued_at", Some(t)) => Value::String(t.to_string()),
                    _ => value.clone(),
                };
                Some(((*name).to_string(), value))
            })
            .collect(),
        ResponseShape::Wso2Accelerator => ACCELERATOR
            .iter()
            .filter_map(|name| {
                let value = match *name {
                    "registration_access_token" => Value::from(access_token?),
                    // A Java String in `RegistrationResponse` (§2 "Success response").
                    "client_id_issued_at" => match metadata.get(*name)? {
                        Value::Number(t) => Value::String(t.to_string()),
                        other => other.clone(),
                    },
                    _ => metadata.get(*name).filter(|v| !v.is_null())?.clone(),
                };
                Some(((*name).to_string(), value))
            })
            .collect(),
        ResponseShape::Ob20SnakeCase => OB20
            .iter()
            .filter_map(|name| {
                let value = metadata.get(*name).filter(|v| !v.is_null())?;
                Some(((*name).to_string(), value.clone()))
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flavour::Flavour;
    use serde_json::json;

    fn stored() -> Map<String, Value> {
        json!({
            "client_name": "Mock Software", "software_id": "s1", "scope": "openid",
            "redirect_uris": ["https://a.example/cb"], "response_types": ["code"],
            "authorization_signed_response_alg": "PS256", "software_statement": "e.y.z",
            "client_id": "c1", "client_id_issued_at": 1_655_366_026,
        })
        .as_object()
        .cloned()
        .expect("object")
    }

    fn policy(f: Flavour) -> Policy {
        Policy::new(f, false).expect("policy")
    }

    #[test]
    fn cds_answers_the_registration_as_stored() {
        assert_eq!(
            render(&policy(Flavour::CdsAu), stored(), Some("t")),
            stored()
        );
    }

    #[test]
    fn the_toolkit_writes_a_string_issued_at_and_echoes_the_token_after_software_roles() {
        let mut m = stored();
        m.insert(
            "software_roles".into(),
            json!("data-recipient-software-product"),
        );
        let out = render(&policy(Flavour::Wso2Cds02), m.clone(), Some("tok"));
        assert_eq!(out["client_id_issued_at"], json!("1655366026"));
        let names: Vec<&str> = out.keys().map(String::as_str).collect();
        let roles = names.iter().position(|n| *n == "software_roles");
        let token = names.iter().position(|n| *n == "registration_access_token");
        assert_eq!(token, roles.map(|r| r + 1));
        assert!(
            out.get("authorization_signed_response_alg").is_none(),
            "no JARM"
        );
        let posted = render(&policy(Flavour::Wso2Cds02), m, None);
        assert!(posted.get("registration_access_token").is_none());
    }

    #[test]
    fn the_uk_toolkit_writes_the_signing_alg_first_and_a_string_issued_at() {
        let mut m = stored();
        m.insert("token_endpoint_auth_signing_alg".into(), json!("PS256"));
        let out = render(&policy(Flavour::Wso2Uk33), m, Some("tok"));
        let names: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(names.first(), Some(&"token_endpoint_auth_signing_alg"));
        assert_eq!(names.get(1), Some(&"client_id"));
        assert_eq!(out["client_id_issued_at"], json!("1655366026"));
        assert!(out.get("registration_access_token").is_none());
        assert!(out.get("client_name").is_none(), "not a UK response member");
    }

    #[test]
    fn the_accelerator_writes_its_base_members_only_in_the_sample_order() {
        let mut m = stored();
        m.insert("token_endpoint_auth_signing_alg".into(), json!("PS256"));
        m.insert("software_roles".into(), json!(["AISP"]));
        m.insert(
            "software_jwks_endpoint".into(),
            json!("https://k.example/j"),
        );
        m.insert("grant_types".into(), json!(["client_credentials"]));
        let out = render(&policy(Flavour::Wso2Accelerator3), m.clone(), None);
        let names: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "client_id",
                "client_id_issued_at",
                "redirect_uris",
                "grant_types",
                "response_types",
                "scope",
                "software_id",
                "software_statement"
            ]
        );
        assert_eq!(out["client_id_issued_at"], json!("1655366026"));
        let read = render(&policy(Flavour::Wso2Accelerator3), m, Some("tok"));
        assert_eq!(
            read.keys().next().map(String::as_str),
            Some("registration_access_token")
        );
    }

    #[test]
    fn ob14_writes_only_the_sample_s_camel_case_members() {
        let out = render(&policy(Flavour::Wso2ObAu01), stored(), Some("t"));
        let names: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "clientId",
                "clientIdIssuedAt",
                "clientName",
                "redirectUris",
                "softwareId",
                "scope"
            ]
        );
        assert_eq!(out["clientIdIssuedAt"], json!(1_655_366_026));
    }
}

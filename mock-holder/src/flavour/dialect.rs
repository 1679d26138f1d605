//! [`Dialect`]: how a flavour words the errors of its registration and management endpoints.
//!
//! The shared code (body extractors, bearer checks, store) raises the holder's own errors
//! (`MissingToken`, `UnknownClient`, `UnsupportedMediaType`, ...); the handlers pass what they
//! answer through [`Dialect::adapt`], which rewrites the errors a flavour words otherwise and
//! leaves the rest alone. The registration pipelines of the WSO2 flavours raise their
//! validation errors in their own words already.

use axum::http::StatusCode;

use crate::error::{Flavoured, OAuthError};

/// How a flavour words registration and management errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// The standards' own: RFC 7591 / RFC 6749 / RFC 6750 (CDS flavours).
    Rfc,
    /// WSO2 CDS toolkit 0.2 (wso2-flavours §2, §4 "Unknown / mismatched ClientId", "Auth
    /// failures (APIM)", §4.1 "415 wrong content type").
    Wso2Toolkit,
    /// WSO2 Open Banking 1.4 (the 0.1 swagger's 401, wso2-flavours §3 "Responses declared").
    Ob14,
    /// WSO2 Open Banking 2.0 (the product's error helper and custom codes, wso2-flavours §3
    /// "Error shape", "Unknown ClientId"; §6 d1 "Errors").
    Ob20,
    /// WSO2 Open Banking Accelerator 3.x, generic DCR (wso2-flavours §5 "Error shape",
    /// "Unknown / mismatched ClientId"): the gateway's `OBDefaultErrorHandler` writes
    /// `errors[]`; an unknown or mismatched ClientId is a bare 401.
    Wso2Accelerator,
}

/// WSO2 0.2's unknown or mismatched ClientId (`CDSErrorHandler`), and OB 2.0's (the product
/// family's `getInvalidClientIdResponse`).
pub(crate) const UNKNOWN_CLIENT: &str = "Request failed due to unknown or invalid Client";
/// The 0.1 swagger's 401 description (WSO2 OB 1.4).
pub(crate) const OB14_UNAUTHORIZED: &str =
    "Request failed due to unknown or invalid Client or invalid access token";

fn worded(
    status: StatusCode,
    code: &'static str,
    description: impl Into<String>,
    challenge: Option<String>,
) -> OAuthError {
    OAuthError::Flavoured(Box::new(Flavoured {
        status,
        code,
        description: description.into(),
        challenge,
    }))
}

/// RFC 6750's challenge for an invalid token, as the holder writes it.
fn invalid_token_challenge(description: &str) -> Option<String> {
    let clean: String = description
        .chars()
        .filter(|c| c.is_ascii() && !c.is_ascii_control() && *c != '"' && *c != '\\')
        .collect();
    Some(format!(
        "Bearer error=\"invalid_token\", error_description=\"{clean}\""
    ))
}

/// Logs the cause of an internal error that a dialect answers in its own words (the holder's
/// own rendering logs it; a reworded one must too).
fn logged(e: &anyhow::Error) {
    tracing::error!(error = ?e, "internal error");
}

impl Dialect {
    /// `e` in this dialect's words.
    pub(crate) fn adapt(self, e: OAuthError) -> OAuthError {
        match self {
            Dialect::Rfc => e,
            Dialect::Wso2Toolkit => toolkit(e),
            Dialect::Ob14 => ob14(e),
            Dialect::Ob20 => ob20(e),
            Dialect::Wso2Accelerator => accelerator(e),
        }
    }
}

fn toolkit(e: OAuthError) -> OAuthError {
    use OAuthError as E;
    let unauthorized = StatusCode::UNAUTHORIZED;
    match e {
        // APIM's authentication failures, rendered by the CDS gateway as OAuth errors with
        // `invalid_client` (§4 "Auth failures (APIM)"); the RFC 6750 challenge is kept.
        E::MissingToken => worded(
            unauthorized,
            "invalid_client",
            "A bearer access token is required",
            Some("Bearer".into()),
        ),
        E::InvalidToken(d) | E::WrongCertificate(d) => {
            let challenge = invalid_token_challenge(&d);
            worded(unauthorized, "invalid_client", d, challenge)
        }
        // Wrong scope (APIM 900910) → 403 insufficient_scope: the holder's own answer already.
        E::UnknownClient => worded(unauthorized, "invalid_client", UNKNOWN_CLIENT, None),
        // §4.1 "415 wrong content type" (the CDS tests' INVALID_CONTENT_TYPE).
        E::UnsupportedMediaType(_) => worded(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "Request Content-Type header does not match any allowed types",
            None,
        ),
        // §2 "Hop 2": anything else is a 500 with these members.
        E::Internal(cause) => {
            logged(&cause);
            worded(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server error",
                "Error occurred while processing the request",
                None,
            )
        }
        E::Backend(inner) => toolkit(*inner).backend(),
        other => other,
    }
}

/// The accelerator gateway's error in its `errors[]` shape, with a challenge.
fn gateway(
    status: StatusCode,
    title: &'static str,
    message: impl Into<String>,
    challenge: Option<String>,
) -> OAuthError {
    OAuthError::Gateway(Box::new(crate::error::GatewayError {
        status,
        title,
        message: message.into(),
        challenge,
    }))
}

fn accelerator(e: OAuthError) -> OAuthError {
    use OAuthError as E;
    let unauthorized = StatusCode::UNAUTHORIZED;
    match e {
        // APIM's authentication failures pass the gateway's error handler (§5 "Error shape");
        // their exact JSON is unverified (§9.6): the holder's texts, the CDS gateway's
        // `invalid_client` title, the RFC 6750 challenge kept.
        E::MissingToken => gateway(
            unauthorized,
            "invalid_client",
            "A bearer access token is required",
            Some("Bearer".into()),
        ),
        E::InvalidToken(d) | E::WrongCertificate(d) => {
            let challenge = invalid_token_challenge(&d);
            gateway(unauthorized, "invalid_client", d, challenge)
        }
        E::InsufficientScope(d) => gateway(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            d,
            Some("Bearer error=\"insufficient_scope\"".into()),
        ),
        // §5 "Unknown / mismatched ClientId": 401, the gateway's error list empty, so no body.
        E::UnknownClient => OAuthError::Bare(unauthorized),
        E::UnsupportedMediaType(_) => gateway(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "invalid_request",
            "Request Content-Type header does not match any allowed types",
            None,
        ),
        // §2 "Hop 2": the Identity Server's 500.
        E::Internal(cause) => {
            logged(&cause);
            worded(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server error",
                "Error occurred while processing the request",
                None,
            )
        }
        E::Backend(inner) => accelerator(*inner).backend(),
        other => other,
    }
}

fn ob14(e: OAuthError) -> OAuthError {
    use OAuthError as E;
    match e {
        E::MissingToken => worded(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            OB14_UNAUTHORIZED,
            Some("Bearer".into()),
        ),
        E::InvalidToken(_) | E::WrongCertificate(_) | E::UnknownClient => worded(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            OB14_UNAUTHORIZED,
            invalid_token_challenge(OB14_UNAUTHORIZED),
        ),
        other => other,
    }
}

fn ob20(e: OAuthError) -> OAuthError {
    use OAuthError as E;
    match e {
        E::UnknownClient => worded(
            StatusCode::UNAUTHORIZED,
            "invalid_client_metadata",
            UNKNOWN_CLIENT,
            None,
        ),
        E::WrongCertificate(_) => worded(
            StatusCode::UNAUTHORIZED,
            "invalid_client_metadata",
            "Request failed due to invalid TLS certificate",
            None,
        ),
        E::InsufficientScope(d) => worded(StatusCode::FORBIDDEN, "resource_forbidden", d, None),
        E::Internal(cause) => {
            logged(&cause);
            worded(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_server_error",
                "The server could not process the request",
                None,
            )
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_dialect_changes_nothing() {
        let e = Dialect::Rfc.adapt(OAuthError::UnknownClient);
        assert_eq!(
            (e.status(), e.code()),
            (StatusCode::UNAUTHORIZED, "invalid_token")
        );
    }

    #[test]
    fn each_wso2_dialect_words_an_unknown_client_as_its_sources_do() {
        let toolkit = Dialect::Wso2Toolkit.adapt(OAuthError::UnknownClient);
        assert_eq!(toolkit.code(), "invalid_client");
        assert_eq!(
            toolkit.to_string(),
            format!("invalid_client: {UNKNOWN_CLIENT}")
        );
        let ob20 = Dialect::Ob20.adapt(OAuthError::UnknownClient);
        assert_eq!(
            (ob20.status().as_u16(), ob20.code()),
            (401, "invalid_client_metadata")
        );
        let ob14 = Dialect::Ob14.adapt(OAuthError::UnknownClient);
        assert!(ob14.to_string().ends_with(OB14_UNAUTHORIZED));
    }

    #[test]
    fn the_accelerator_answers_an_unknown_client_without_a_body_and_auth_failures_as_errors() {
        let e = Dialect::Wso2Accelerator.adapt(OAuthError::UnknownClient);
        assert!(matches!(e, OAuthError::Bare(StatusCode::UNAUTHORIZED)));
        let e = Dialect::Wso2Accelerator.adapt(OAuthError::InsufficientScope("x".into()));
        assert!(matches!(e, OAuthError::Gateway(_)));
        assert_eq!((e.status().as_u16(), e.code()), (403, "insufficient_scope"));
    }

    #[test]
    fn backend_errors_keep_their_mark_when_reworded() {
        let e = Dialect::Wso2Toolkit.adapt(OAuthError::Internal(anyhow::anyhow!("x")).backend());
        assert!(matches!(e, OAuthError::Backend(_)));
        assert_eq!(e.code(), "Internal Server error");
    }
}

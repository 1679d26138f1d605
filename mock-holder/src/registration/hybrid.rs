//! The hybrid era of CDS DCR (flavour `cds-au-hybrid`): from CDS v1.22 (Dec 2022) until the
//! hybrid flow's retirement on 12 May 2025 a Data Holder could register `code id_token` beside
//! `code` (cdr-dcr.md §1.4 history; CDS-AF "until that date DHs MAY support hybrid").
//!
//! Rules of this flavour, each from the same sources:
//! * `response_types` is `code`, `code id_token`, or both (§2.2 `response_types` row);
//! * with `code id_token`, `id_token_encrypted_response_alg` ∈ {RSA-OAEP, RSA-OAEP-256} and
//!   `id_token_encrypted_response_enc` ∈ {A256GCM, A128CBC-HS256} are required, and registered
//!   and echoed (DCR-REQ-050; Register design 0.2 made both REQUIRED; MAS v2.1.0);
//! * without `code id_token` they are ignored, as in `cds-au` (v1.22 "must be ignored for ACF",
//!   DCR-REQ-049);
//! * without `code`, the JARM members do not apply and are ignored: `authorization_signed_
//!   response_alg` is "required if `code` is registered" (§2.2), and MAS v2.1.0 registered a
//!   hybrid-only client without it, or with `none` (AC44), answering no value.

use serde_json::{Map, Value};

use super::metadata::one_of;
use super::metadata_error;
use crate::error::OAuthError;

/// The hybrid response type.
pub(super) const HYBRID: &str = "code id_token";
/// The response types the hybrid era allows.
pub(super) const RESPONSE_TYPES: &[&str] = &["code", HYBRID];
/// id_token encryption algorithms (cdr-dcr.md §2.2, the DH's supported set).
pub(super) const ID_TOKEN_ENC_ALGS: &[&str] = &["RSA-OAEP", "RSA-OAEP-256"];
/// id_token content encryption.
pub(super) const ID_TOKEN_ENC_ENCS: &[&str] = &["A256GCM", "A128CBC-HS256"];

/// The id_token encryption members of a registration with `code id_token`: both required and
/// supported; returned in the order they are registered.
pub(super) fn id_token_encryption(
    request: &Map<String, Value>,
) -> Result<Vec<(&'static str, Value)>, OAuthError> {
    let mut out = Vec::new();
    for (name, allowed) in [
        ("id_token_encrypted_response_alg", ID_TOKEN_ENC_ALGS),
        ("id_token_encrypted_response_enc", ID_TOKEN_ENC_ENCS),
    ] {
        let value = one_of(request, name, allowed, false)?.ok_or_else(|| {
            metadata_error(format!(
                "{name} is required when response_types includes {HYBRID}"
            ))
        })?;
        out.push((name, Value::String(value.to_string())));
    }
    Ok(out)
}

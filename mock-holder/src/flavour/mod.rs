//! The DCR flavours the holder can emulate (`--flavour NAME`, config key `flavour:`), one per
//! holder instance, and the [`Policy`] each one runs by.
//!
//! A flavour is a release of a standard or of a vendor's product as it behaves on the wire: the
//! CDS DCR of today, the CDS DCR of the hybrid-flow era, and the WSO2 releases that real Data
//! Holders still run. The holder emulates each one from its own reading of the sources named by
//! [`Flavour::sources`] (the project's `shared/spec/` digests and `shared/seeds/` pages), in its
//! own code: it never reads the conformance suite's profile files, because a mistake shared by
//! both sides would pass both.
//!
//! Where flavours differ, the code asks the [`Policy`] (paths, validation pipeline, response
//! shape, error dialect, management rules); it does not compare flavours. A later "variation"
//! (an allowed alternative behaviour) is then an edit of one policy field, not a new branch.

mod dialect;
mod policy;

use std::fmt;
use std::str::FromStr;

pub(crate) use dialect::UNKNOWN_CLIENT;
pub(crate) use policy::{
    ACCELERATOR_MANAGEMENT_SCOPE, AcceleratorRules, CIBA_GRANT, MethodAnswers, Pipeline, Policy,
    Release, ResponseShape, TokenAuth, UK_SCOPES, UkVersion,
};

/// A DCR flavour the holder emulates. [`Flavour::CdsAu`] is the default and today's behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Flavour {
    /// CDS DCR today (v1.36): Authorization Code Flow + JARM, `response_types` = [`code`].
    #[default]
    CdsAu,
    /// CDS DCR before the hybrid flow's retirement on 12 May 2025: `code id_token` allowed beside
    /// `code`, with id_token encryption.
    CdsAuHybrid,
    /// The WSO2 CDS toolkit's DCR API 0.2 on Open Banking Accelerator 3.x.
    Wso2Cds02,
    /// WSO2 Open Banking 1.4's CDS DCR v0.1 (camelCase responses, SSA signature not checked).
    Wso2ObAu01,
    /// WSO2 Open Banking 2.0's AU DCR v0.1 (snake_case, switchable SSA signature check).
    Wso2Ob20Au01,
    /// UK Open Banking (OBIE) DCR v3.2: OB Directory SSAs, `application/jose` requests,
    /// management with a scope-less client credentials token.
    UkObie32,
    /// UK Open Banking (OBIE) DCR v3.3: v3.2 plus the CIBA grant and its client metadata.
    UkObie33,
    /// WSO2's UK toolkit DCR v3.3.0 on Open Banking Accelerator 3.x: UK 3.3 behind the
    /// accelerator's gateway path, media type and Gson response.
    Wso2Uk33,
    /// WSO2 Open Banking Accelerator 3.x's generic DCR (FOB v3.2.13): OB Directory SSAs at
    /// `/open-banking/0.1/register`, the gateway's `errors[]` shape beside the Identity
    /// Server's `{error, error_description}`, `cdr-registration` management tokens.
    Wso2Accelerator3,
}

impl Flavour {
    /// Every flavour, the default first.
    pub const ALL: &[Flavour] = &[
        Flavour::CdsAu,
        Flavour::CdsAuHybrid,
        Flavour::Wso2Cds02,
        Flavour::Wso2ObAu01,
        Flavour::Wso2Ob20Au01,
        Flavour::UkObie32,
        Flavour::UkObie33,
        Flavour::Wso2Uk33,
        Flavour::Wso2Accelerator3,
    ];

    /// The flavour's name, as in `--flavour NAME` and the config file.
    pub fn name(self) -> &'static str {
        match self {
            Flavour::CdsAu => "cds-au",
            Flavour::CdsAuHybrid => "cds-au-hybrid",
            Flavour::Wso2Cds02 => "wso2-cds-0.2",
            Flavour::Wso2ObAu01 => "wso2-ob-au-0.1",
            Flavour::Wso2Ob20Au01 => "wso2-ob20-au-0.1",
            Flavour::UkObie32 => "uk-obie-3.2",
            Flavour::UkObie33 => "uk-obie-3.3",
            Flavour::Wso2Uk33 => "wso2-uk-3.3",
            Flavour::Wso2Accelerator3 => "wso2-accelerator-3",
        }
    }

    /// What the flavour is, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Flavour::CdsAu => {
                "CDS DCR today (v1.36): Authorization Code Flow + JARM, response_types [code], /register"
            }
            Flavour::CdsAuHybrid => {
                "CDS DCR before 12 May 2025: code id_token allowed beside code, with id_token encryption"
            }
            Flavour::Wso2Cds02 => {
                "WSO2 CDS toolkit DCR 0.2 on Accelerator 3.x: /open-banking/0.2/register, WSO2 error strings, string client_id_issued_at"
            }
            Flavour::Wso2ObAu01 => {
                "WSO2 Open Banking 1.4 CDS DCR v0.1: /open-banking/0.1/register, camelCase responses, SSA signature not checked"
            }
            Flavour::Wso2Ob20Au01 => {
                "WSO2 Open Banking 2.0 AU DCR v0.1: /open-banking/0.1/register, snake_case, custom error codes, SSA signature check off unless switched on"
            }
            Flavour::UkObie32 => {
                "UK OBIE DCR v3.2: /register, OB Directory SSAs (iss OpenBanking Ltd, no exp), application/jose or jwt, tls_client_auth / private_key_jwt / client_secret_basic, scope-less management tokens"
            }
            Flavour::UkObie33 => {
                "UK OBIE DCR v3.3: v3.2 plus the CIBA grant urn:openid:params:grant-type:ciba and its backchannel_* metadata"
            }
            Flavour::Wso2Uk33 => {
                "WSO2 UK toolkit DCR v3.3.0 on Accelerator 3.x: UK 3.3 at /open-banking/v3.3.0/register, application/jwt, string client_id_issued_at, token_endpoint_auth_signing_alg first"
            }
            Flavour::Wso2Accelerator3 => {
                "WSO2 Open Banking Accelerator 3.x generic DCR: /open-banking/0.1/register, OB Directory SSAs (AU claim names too), gateway errors[] beside IS {error, error_description}, string client_id_issued_at, cdr-registration management, unknown ClientId 401 without body"
            }
        }
    }

    /// The sources the flavour is read from (paths relative to the project's `shared/`).
    pub fn sources(self) -> &'static str {
        match self {
            Flavour::CdsAu => "spec/cdr-dcr.md (CDS v1.36.0)",
            Flavour::CdsAuHybrid => "spec/cdr-dcr.md §1.4 history, §2.2, DCR-REQ-048..050",
            Flavour::Wso2Cds02 => "seeds/003; spec/wso2-flavours.md §2, §4, §4.1, §8",
            Flavour::Wso2ObAu01 => "seeds/000, seeds/002 (first-hand); spec/wso2-flavours.md §3",
            Flavour::Wso2Ob20Au01 => "spec/wso2-flavours.md §3 (OB 2.0 rows), §6 d1, §8",
            Flavour::UkObie32 => "spec/uk-dcr.md §1-5, §6 UK-REQ-001..074, §8, §9; seeds/001",
            Flavour::UkObie33 => {
                "spec/uk-dcr.md §1.5 (3.3 row), §2.2 CIBA rows, UK-REQ-046; as uk-obie-3.2 otherwise"
            }
            Flavour::Wso2Uk33 => {
                "spec/wso2-flavours.md §2, §6 d2, §8, §9.5, §9.9; seeds/001; as uk-obie-3.3 otherwise"
            }
            Flavour::Wso2Accelerator3 => {
                "seeds/004 (first-hand); spec/wso2-flavours.md §2, §5, §8 column (c), §9.5, §9.6"
            }
        }
    }

    /// Every flavour's name, comma-separated (for error messages).
    pub(crate) fn names() -> String {
        Self::ALL
            .iter()
            .map(|f| f.name())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a flavour.
#[derive(Debug, thiserror::Error)]
#[error("unknown flavour {0:?}; the flavours are: {names}", names = Flavour::names())]
pub struct UnknownFlavour(pub(crate) String);

impl FromStr for Flavour {
    type Err = UnknownFlavour;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFlavour(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_the_default_is_cds_au() {
        for f in Flavour::ALL {
            assert_eq!(f.name().parse::<Flavour>().expect("parses"), *f);
            assert!(!f.description().contains('\n') && !f.sources().is_empty());
        }
        assert_eq!(Flavour::default(), Flavour::CdsAu);
        assert_eq!(Flavour::ALL[0], Flavour::CdsAu);
        let err = "uk-obie-3.4".parse::<Flavour>().expect_err("unknown");
        assert!(err.to_string().contains("wso2-cds-0.2"), "{err}");
    }
}

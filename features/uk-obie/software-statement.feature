@area:software-statement
Feature: The OB Directory software statement a UK ASPSP accepts
  The request carries an SSA from an issuer the ASPSP trusts, here the Open Banking Directory
  ("OpenBanking Ltd"), signed ES256 or PS256 with a key of the Directory's keystore; the ASPSP
  validates its signature and its iat-based lifetime (OB SSAs have no exp) before it trusts the
  software_jwks_endpoint it names (DIR §Request Validation, §SSA Lifetime). Each SSA below
  differs from an accepted one in one way, and the request carrying it is otherwise valid.

  Rule: UK-REQ-021 the request carries a software_statement

    @id:UK-SSA-001 @UK-REQ-021 @MUST
    Scenario Outline: A request whose software_statement <how> is refused
      Given recipient A holds a software statement issued by the OB Directory
      And recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-021 accepts

      Examples:
        | how            | mutation                     |
        | is missing     | missing-software-statement   |
        | is not a JWT   | software-statement-not-a-jwt |

  Rule: UK-REQ-022 UK-REQ-024 the SSA is signed by the Directory

    @id:UK-SSA-010 @MUST
    Scenario Outline: An SSA <how> is refused
      Given recipient A holds a software statement with mutation "<mutation>"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that <rule> accepts

      @UK-REQ-022
      Examples: signature
        | how                                                | mutation           | rule       |
        | signed by another key under the Directory's kid    | impostor-signature | UK-REQ-022 |
        | signed by a key the Directory does not publish     | unknown-kid        | UK-REQ-022 |
        | changed after the Directory signed it              | tampered-payload   | UK-REQ-022 |
        | with HS256 keyed by the Directory's public key     | hs256-public-key   | UK-REQ-022 |
        | without a kid                                      | kid-missing        | UK-REQ-022 |

      @UK-REQ-024
      Examples: unsigned
        | how                                                | mutation           | rule       |
        | unsigned (alg none)                                | alg-none           | UK-REQ-024 |

  Rule: UK-REQ-023 an SSA from an issuer the ASPSP does not trust is unapproved

    @id:UK-SSA-020 @UK-REQ-023 @MUST
    Scenario Outline: An SSA whose iss <how> is refused as unapproved
      Given recipient A holds a software statement with mutation "<mutation>"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-023 accepts

      Examples:
        | how                                  | mutation                   |
        | names another directory              | uk-ssa-untrusted-directory |
        | names neither the Directory nor anyone it knows | wrong-iss       |

  Rule: UK-REQ-025 UK-REQ-026 the SSA's iat is inside the ASPSP's window

    @id:UK-SSA-030 @UK-REQ-025 @MUST
    Scenario: An SSA issued a day ago is refused
      Given recipient A holds a software statement with mutation "uk-ssa-a-day-old"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-025 accepts

    @id:UK-SSA-031 @UK-REQ-026 @REC
    Scenario: An SSA issued in the future, beyond the clock skew, is refused
      Given recipient A holds a software statement with mutation "uk-ssa-issued-in-the-future"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-026 accepts

  Rule: UK-REQ-027 the SSA names the software_jwks_endpoint that verifies the request

    @id:UK-SSA-040 @UK-REQ-027 @MUST
    Scenario Outline: An SSA <how> is refused
      Given recipient A holds a software statement with mutation "<mutation>"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-027 accepts

      Examples:
        | how                                                  | mutation                         |
        | without software_jwks_endpoint                       | uk-ssa-without-jwks-endpoint     |
        | whose software_jwks_endpoint cannot be fetched       | uk-ssa-jwks-endpoint-unreachable |

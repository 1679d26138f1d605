@area:software-statement
Feature: The software statement must come from the CDR Register
  The holder verifies the SSA with the CDR Register's key, looked up by kid in the Register's
  JWKS, before it trusts anything in it, then checks its issuer and lifetime (CDS "Registration
  Validation", RFC 7519). Mutations are defined in vectors/mutations/ssa.yaml.

  Rule: DCR-REQ-022 an SSA not validly signed by the Register is refused

    @id:SSA-001 @DCR-REQ-022 @MUST
    Scenario: An SSA signed by an impostor key carrying the Register's kid is refused
      Given recipient A holds a software statement signed by a key that is not the Register's
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-022 accepts
      And the response body matches the snapshot "ssa-impostor-signature"

    @id:SSA-002 @DCR-REQ-022 @MUST
    Scenario Outline: An SSA that is not validly signed by the Register is refused (<mutation>)
      Given recipient A holds a software statement with mutation "<mutation>"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-022 accepts

      Examples:
        | mutation         |
        | unknown-kid      |
        | alg-none         |
        | hs256-public-key |
        | tampered-payload |
        | kid-missing      |

  Rule: DCR-REQ-023 the SSA issuer is cdr-register

    @id:SSA-003 @DCR-REQ-023 @MUST
    Scenario Outline: An SSA with a wrong or missing issuer is refused (<mutation>)
      Given recipient A holds a software statement with mutation "<mutation>"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-023 accepts

      Examples:
        | mutation    |
        | wrong-iss   |
        | missing-iss |

  Rule: DCR-REQ-024 an SSA outside its lifetime is refused

    @id:SSA-004 @DCR-REQ-024 @MUST
    Scenario Outline: An SSA outside its validity window is refused (<mutation>)
      Given recipient A holds a software statement with mutation "<mutation>"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-024 accepts

      Examples:
        | mutation                 |
        | expired                  |
        | expired-just-beyond-skew |
        | not-yet-valid            |
        | missing-exp              |

    @id:SSA-005 @DCR-REQ-024 @MUST
    Scenario: An SSA that expired within the holder's clock skew is still accepted
      Given recipient A holds a software statement with mutation "expired-within-skew"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201

  Rule: DCR-REQ-025 the holder refetches the Register JWKS for a kid it does not know

    @id:SSA-006 @DCR-REQ-025 @SHOULD
    Scenario: An SSA signed with a key the Register published after the holder cached its JWKS is accepted
      Given recipient B holds a software statement issued by the Register
      And recipient B signs a registration request carrying its software statement
      When recipient B posts the registration request
      Then the response status is 201
      Given the CDR Register publishes a new signing key
      And recipient A holds a software statement with mutation "signed-by-new-register-key"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201

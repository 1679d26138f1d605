@area:software-statement
Feature: The software statement must be signed by the CDR Register
  The holder verifies the SSA with the CDR Register's key, looked up by kid in the Register's
  JWKS, before it trusts anything in it (CDS "Registration Validation").

  Rule: DCR-REQ-022 an SSA signed by any key other than the Register's is refused

    @id:SSA-001 @DCR-REQ-022 @MUST
    Scenario: An SSA signed by an impostor key carrying the Register's kid is refused
      Given recipient A holds a software statement signed by a key that is not the Register's
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-022 accepts
      And the response body matches the snapshot "ssa-impostor-signature"

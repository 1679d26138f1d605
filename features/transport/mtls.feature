@area:transport
Feature: DCR endpoints require mutual TLS
  Every DCR call is made over mutual TLS with a client certificate issued by the CDR CA
  (CDS "Transport Security"). A holder may refuse a call without one during the TLS handshake
  or at the HTTP layer with 401 or 403.

  Background:
    Given recipient A holds a software statement issued by the Register
    And recipient A signs a registration request carrying its software statement

  Rule: DCR-REQ-005 a call without a trusted client certificate is refused

    @id:TLS-001 @DCR-REQ-005 @MUST
    Scenario: POST /register without a client certificate is refused
      When the registration request of recipient A is posted without a client certificate
      Then the outcome is one that DCR-REQ-005 accepts

    @id:TLS-002 @DCR-REQ-005 @MUST
    Scenario: POST /register with a certificate from another CA is refused
      When the registration request of recipient A is posted with a certificate from another CA
      Then the outcome is one that DCR-REQ-005 accepts

  Rule: DCR-REQ-006 DCR endpoints are not versioned

    @id:TLS-003 @DCR-REQ-006 @MUST
    Scenario: A registration without any x-v header succeeds
      When recipient A posts the registration request
      Then the response status is 201

    @id:TLS-004 @DCR-REQ-006 @MUST
    Scenario: A registration carrying an x-v header is not refused for it
      When recipient A posts the registration request with header "x-v" set to "99"
      Then the response status is 201

  Rule: DCR-REQ-008 POST /register needs no access token

    @id:TLS-005 @DCR-REQ-008 @MUST
    Scenario: An Authorization header on POST /register does not change the outcome
      When recipient A posts the registration request with header "Authorization" set to "Bearer not-a-token-the-holder-issued"
      Then the response status is 201

  Rule: DCR-REQ-007 DCR responses arrive within the High Priority tier (1000 ms)

    @id:TLS-006 @DCR-REQ-007 @MUST
    Scenario: Discovery and registration each answer within 1000 ms
      When recipient A posts the registration request
      Then the response status is 201
      And every exchange of this scenario took less than 1000 ms

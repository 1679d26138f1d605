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

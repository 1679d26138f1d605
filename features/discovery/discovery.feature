@area:discovery
Feature: Discovery advertises the registration endpoint
  A recipient finds the holder's DCR endpoints through the OpenID Provider configuration
  document (CDS "OIDC Provider Configuration End Point"), never through a fixed path.
  Holders use different paths (/register, /connect/register, /open-banking/0.2/register),
  so every other scenario also takes the endpoint from discovery.

  Rule: DCR-REQ-001 registration_endpoint is advertised as an absolute https URL

    @id:DISC-001 @DCR-REQ-001 @MUST
    Scenario: The discovery document advertises an absolute https registration endpoint
      When the discovery document is fetched
      Then the response status is 200
      And the response is JSON
      And the discovery document has "registration_endpoint" as an absolute https URL

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

  Rule: DCR-REQ-002 token endpoint authentication is private_key_jwt with PS256 or ES256

    @id:DISC-002 @DCR-REQ-002 @MUST
    Scenario: Discovery advertises private_key_jwt with PS256/ES256 only
      When the discovery document is fetched
      Then the discovery "token_endpoint_auth_methods_supported" lists only values from "private_key_jwt"
      And the discovery "token_endpoint_auth_signing_alg_values_supported" lists only values from "PS256, ES256"

  Rule: DCR-REQ-003 the code flow is offered and signing algorithms are PS256 or ES256

    @id:DISC-003 @DCR-REQ-003 @MUST
    Scenario: Discovery offers response type code and FAPI signing algorithms only
      When the discovery document is fetched
      Then the discovery "response_types_supported" lists "code"
      And the discovery "response_types_supported" lists only values from "code"
      And the discovery "id_token_signing_alg_values_supported" lists only values from "PS256, ES256"
      And the discovery "request_object_signing_alg_values_supported" lists only values from "PS256, ES256"
      And the discovery "authorization_signing_alg_values_supported" lists only values from "PS256, ES256"

  Rule: DCR-REQ-004 access tokens are bound to the client certificate

    @id:DISC-004 @DCR-REQ-004 @MUST
    Scenario: Discovery declares certificate-bound access tokens
      When the discovery document is fetched
      Then the discovery "tls_client_certificate_bound_access_tokens" is true

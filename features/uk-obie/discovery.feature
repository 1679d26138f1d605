@area:discovery
Feature: What a UK ASPSP's discovery document tells a TPP
  A TPP reads the ASPSP's OpenID Provider configuration before it registers: where to register,
  where to obtain tokens, and which methods and algorithms the ASPSP supports (DCR32
  §Discovery and §Data Dictionary: "the TPP must query .well-known").

  Rule: UK-REQ-001 discovery advertises registration_endpoint

    @id:UK-DIS-001 @UK-REQ-001 @MUST
    Scenario: The registration endpoint is advertised as an absolute URL
      When the discovery document is fetched
      Then the discovery document has "registration_endpoint" as an absolute https URL

  Rule: UK-REQ-002 discovery gives a TPP what it needs to build a request

    @id:UK-DIS-002 @UK-REQ-002 @MUST
    Scenario: Discovery names the token endpoint and the FAPI methods a TPP can use
      When the discovery document is fetched
      Then the discovery document has "token_endpoint" as an absolute https URL
      And the discovery "token_endpoint_auth_methods_supported" lists at least one of "tls_client_auth, private_key_jwt"
      And the discovery "token_endpoint_auth_signing_alg_values_supported", if present, lists "PS256"
      And the discovery "response_types_supported" lists at least one of "code, code id_token"
      And the discovery document has a non-empty list "request_object_signing_alg_values_supported"

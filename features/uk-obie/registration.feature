@area:registration
Feature: Registering with POST /register at a UK ASPSP
  A TPP posts a JWS whose payload is OBClientRegistration1, carrying an OB Directory software
  statement, over mutual TLS and with no access token; a valid one is answered 201 with the
  registration as JSON (DCR32 §Endpoints, §Data Dictionary; SW32).

  Background:
    Given recipient A holds a software statement issued by the OB Directory

  Rule: UK-REQ-048 a valid POST is answered 201 with a client_id

    @id:UK-REG-001 @UK-REQ-048 @UK-REQ-004 @UK-REQ-007 @UK-REQ-074 @MUST
    Scenario: A valid request sent as application/jose, with no token and no JWS or idempotency headers, is registered
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request as "application/jose"
      Then the response status is 201
      And the response is JSON
      And the response has a non-empty "client_id"
      And the response "client_id" is a JSON string
      And the response body matches the snapshot "uk-register-created"

    @id:UK-REG-002 @UK-REQ-008 @SHOULD
    Scenario: A valid request sent as application/jwt (the 3.1 media type) is registered
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request as "application/jwt"
      Then the outcome is one that UK-REQ-008 accepts
      And the response status is 201

    @id:UK-REG-003 @UK-REQ-048 @MUST
    Scenario: Recipient B, signing with ES256, is registered
      Given recipient B holds a software statement issued by the OB Directory
      And recipient B signs a registration request carrying its software statement
      When recipient B posts the registration request
      Then the response status is 201
      And the response has a non-empty "client_id"

  Rule: UK-REQ-005 a POST without a client certificate is turned away

    @id:UK-REG-004 @UK-REQ-005 @MUST
    Scenario Outline: A valid request posted <how> is turned away
      Given recipient A signs a registration request carrying its software statement
      When the registration request of recipient A is posted <how>
      Then the outcome is one that UK-REQ-005 accepts

      Examples:
        | how                                |
        | without a client certificate       |
        | with a certificate from another CA |

  Rule: UK-REQ-006 the TLS client certificate belongs to the TPP the software statement names

    @id:UK-REG-005 @UK-REQ-006 @SHOULD
    Scenario: Recipient A's valid request posted over recipient B's certificate, which the holder trusts but A's software statement does not list, is refused
      Given recipient A signs a registration request carrying its software statement
      When the registration request of recipient A is posted over the certificate of recipient B
      Then the outcome is one that UK-REQ-006 accepts

  Rule: UK-REQ-049 UK-REQ-051 the registration answer has the members and JSON types of the swagger

    @id:UK-REG-010 @UK-REQ-049 @UK-REQ-051 @UK-REQ-009 @MUST
    Scenario: The 201 answer has every member the swagger requires, with its JSON type
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response is JSON
      And the response has a non-empty value for each of:
        | client_id                    |
        | redirect_uris                |
        | token_endpoint_auth_method   |
        | grant_types                  |
        | scope                        |
        | software_statement           |
        | application_type             |
        | id_token_signed_response_alg |
        | request_object_signing_alg   |
      And the response "scope" is a JSON string
      And the response "redirect_uris" is a JSON array of strings
      And the response "grant_types" is a JSON array of strings
      And the response "response_types", if present, is a JSON array
      And the response "client_id_issued_at", if present, is a JSON integer
      And the response "client_secret_expires_at", if present, is a JSON integer

  Rule: UK-REQ-050 the answer carries the auth method's conditional members

    @id:UK-REG-011 @UK-REQ-050 @MUST
    Scenario: A private_key_jwt registration answers with its token_endpoint_auth_signing_alg
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response "token_endpoint_auth_signing_alg" is what recipient A requested

    @id:UK-REG-012 @UK-REQ-050 @UK-REQ-036 @MUST
    Scenario: A tls_client_auth registration answers with its tls_client_auth_subject_dn
      Given recipient A signs a registration request with mutation "uk-tls-client-auth"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "token_endpoint_auth_method" is "tls_client_auth"
      And the response has a non-empty "tls_client_auth_subject_dn"

  Rule: UK-REQ-053 the answer reflects the registration

    @id:UK-REG-020 @UK-REQ-053 @MUST
    Scenario Outline: The answer's <member> is what was requested
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response "<member>" is what recipient A requested

      Examples:
        | member                     |
        | redirect_uris              |
        | token_endpoint_auth_method |
        | grant_types                |
        | response_types             |
        | application_type           |

    @id:UK-REG-021 @UK-REQ-053 @MUST
    Scenario: The software statement comes back as submitted
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response "software_statement" is the software statement recipient A submitted, unchanged

  Rule: UK-REQ-052 the answer's redirect URIs pass the OB URL rule

    @id:UK-REG-022 @UK-REQ-052 @MUST
    Scenario: Every redirect URI in the answer is one of the SSA's https URIs
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response "redirect_uris" is what the software statement of recipient A says

  Rule: UK-REQ-056 client_secret only for secret-based methods

    @id:UK-REG-030 @UK-REQ-056 @MUST
    Scenario: A private_key_jwt registration is not given a client_secret
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response has no "client_secret"

    @id:UK-REG-031 @UK-REQ-056 @MUST
    Scenario: A client_secret_basic registration, if the ASPSP takes one, comes with its secret and expiry
      Given recipient A signs a registration request with mutation "uk-client-secret-basic"
      When recipient A posts the registration request
      Then the response status is one of "201, 400"
      And a registration the holder created has a non-empty "client_secret"
      And a registration the holder created has a non-empty "client_secret_expires_at"

  Rule: UK-REQ-039 response_types defaults to code id_token

    @id:UK-REG-040 @UK-REQ-039 @SHOULD
    Scenario: A request without response_types is registered as code id_token
      Given recipient A signs a registration request with mutation "response-types-missing"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "response_types" is '["code id_token"]'

  Rule: UK-REQ-045 claims the ASPSP cannot process may be ignored

    @id:UK-REG-050 @UK-REQ-045 @MAY
    Scenario Outline: A request with <member>, which the data dictionary does not have, is registered
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-045 accepts

      Examples:
        | member                                     | mutation               |
        | subject_type                               | uk-subject-type-public |
        | tls_client_certificate_bound_access_tokens | uk-bound-tokens-member |
        | a client_id of its own choosing            | client-id-in-request   |
        | members no specification defines           | unknown-member         |

  Rule: UK-REQ-057 a software statement may register more than one client

    @id:UK-REG-060 @UK-REQ-057 @MAY
    Scenario: A second registration with the same software statement is registered or refused
      Given recipient A is registered
      When recipient A registers again with the same software product
      Then the outcome is one that UK-REQ-057 accepts

  Rule: UK-REQ-072 a refused registration is an RFC 7591 error

    @id:UK-REG-070 @UK-REQ-072 @MUST
    Scenario: A refusal is answered 400 with a JSON RFC 7591 error
      Given recipient A signs a registration request with mutation "redirect-not-in-ssa"
      When recipient A posts the registration request
      Then the response status is 400
      And the response is an RFC 7591 registration error

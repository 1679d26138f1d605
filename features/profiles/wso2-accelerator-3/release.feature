@area:registration
Feature: WSO2 Open Banking Accelerator 3.x generic DCR as its code and documentation show it
  The accelerator's gateway refuses what it checks itself (the body is a JWT, it carries a
  software statement, its signature verifies with the key at the SSA's software_jwks_endpoint)
  in its error handler's shape {"errors": [{Code, Title, Message}]}; the identity server refuses
  what its default validator checks as {error, error_description}. A registration answers with
  the accelerator's members: client_id_issued_at a string, no token_endpoint_auth_signing_alg.
  These scenarios are the profile wso2-accelerator-3's own (features/profiles/
  wso2-accelerator-3.yaml, features/SOURCES.md#wso2-accelerator-3); they run only under it.

  Background:
    Given recipient A holds a software statement issued by the OB Directory

  Rule: WACC-001 a body that is not a JWT is refused by the gateway, in the gateway's shape

    @id:WACC-001 @WACC-001 @IMPL
    Scenario: A body that is not a JWT is refused as a malformed request JWT, in the gateway's error shape
      When recipient A posts "this is not a JWT" as the registration request
      Then the outcome is one that WACC-001 accepts
      And the response "errors" is a JSON array
      And the response's first error has "Code" "Bad request"
      And the response has no "error"

  Rule: WACC-002 a missing software statement is refused by the gateway

    @id:WACC-002 @WACC-002 @IMPL
    Scenario: A request without software_statement is refused by the gateway, in its error shape
      Given recipient A signs a registration request with mutation "missing-software-statement"
      When recipient A posts the registration request
      Then the outcome is one that WACC-002 accepts
      And the response "errors" is a JSON array
      And the response's first error has "Code" "Bad request"

  Rule: WACC-003 a bad request signature is refused by the gateway

    @id:WACC-003 @WACC-003 @IMPL
    Scenario: A request signed by a key not at the SSA's software_jwks_endpoint is refused by the gateway
      Given recipient A signs a registration request with mutation "wrong-key"
      When recipient A posts the registration request
      Then the outcome is one that WACC-003 accepts
      And the response "errors" is a JSON array
      And the response's first error has "Code" "Bad request"

  Rule: WACC-004 a missing required claim is refused by the identity server, naming its bean

    @id:WACC-004 @WACC-004 @IMPL
    Scenario Outline: A request without <member> is refused by the identity server as a required parameter
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that WACC-004 accepts
      And the response "error_description" is "Required parameter <bean> cannot be null"
      And the response has no "errors"

      Examples:
        | member                       | mutation              | bean                        |
        | grant_types                  | grant-types-missing   | grantTypes                  |
        | token_endpoint_auth_method   | auth-method-missing   | tokenEndPointAuthentication |
        | id_token_signed_response_alg | id-token-alg-missing  | idTokenSignedResponseAlg    |

  Rule: WACC-005 an iss other than the SSA's software_id is refused by the identity server

    @id:WACC-005 @WACC-005 @IMPL
    Scenario: A request whose iss is another software product's id is refused as an invalid issuer
      Given recipient A signs a registration request with mutation "iss-not-software-id"
      When recipient A posts the registration request
      Then the outcome is one that WACC-005 accepts
      And the response has no "errors"

  Rule: WACC-006 a registration answers with the release's members

    @id:WACC-006 @WACC-006 @UK-REQ-048 @UK-REQ-049 @UK-REQ-051 @UK-REQ-009 @IMPL
    Scenario: A valid request sent as application/jwt is registered with the release's members, client_id_issued_at a string
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request as "application/jwt"
      Then the response status is 201
      And the response is JSON
      And the response has a non-empty value for each of:
        | client_id                    |
        | client_id_issued_at          |
        | redirect_uris                |
        | grant_types                  |
        | response_types               |
        | application_type             |
        | id_token_signed_response_alg |
        | request_object_signing_alg   |
        | scope                        |
        | software_id                  |
        | token_endpoint_auth_method   |
        | software_statement           |
      And the response "client_id_issued_at" is a JSON string
      And the response "scope" is a JSON string
      And the response "redirect_uris" is a JSON array of strings
      And the response "grant_types" is a JSON array of strings
      And the response has no "token_endpoint_auth_signing_alg"
      And the response has no "software_roles"
      And the response has no "client_name"
      And the response has no "software_client_name"
      And the response has both or neither of "registration_access_token" and "registration_client_uri"
      And the response body matches the snapshot "wacc-register-created"

  Rule: WACC-007 a read answers with the release's members

    @id:WACC-007 @WACC-007 @UK-REQ-064 @UK-REQ-049 @UK-REQ-051 @IMPL
    Scenario: A read answers 200 with the release's members, client_id_issued_at a string
      Given recipient A is registered and holds a registration access token
      When recipient A reads its registration
      Then the response status is 200
      And the response is JSON
      And the response has a non-empty value for each of:
        | client_id                    |
        | client_id_issued_at          |
        | redirect_uris                |
        | grant_types                  |
        | application_type             |
        | id_token_signed_response_alg |
        | scope                        |
        | software_id                  |
        | token_endpoint_auth_method   |
        | software_statement           |
      And the response "client_id_issued_at" is a JSON string
      And the response has no "token_endpoint_auth_signing_alg"
      And the response has no "software_roles"

  Rule: WACC-008 management needs the scope cdr-registration

    @id:WACC-008 @WACC-008 @MUST
    Scenario Outline: A token of the client issued without cdr-registration cannot manage the registration (<verb>)
      Given recipient A is registered
      And recipient A holds an access token with scope "openid"
      When recipient A <verb> its registration
      Then the outcome is one that WACC-008 accepts

      Examples:
        | verb    |
        | reads   |
        | updates |
        | deletes |

  Rule: WACC-009 the software statement's AU member names are read too

    @id:WACC-009 @WACC-009 @IMPL
    Scenario: An SSA naming the client and its redirect URIs client_name and redirect_uris registers
      Given recipient A holds a software statement with mutation "uk-ssa-au-member-names"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response "redirect_uris" is what recipient A requested

  Rule: WACC-010 a second application of the same name is refused

    @id:WACC-010 @WACC-010 @IMPL
    Scenario: A second registration with the same software statement is refused as an application that already exists
      Given recipient A is registered
      When recipient A registers again with the same software product
      Then the outcome is one that WACC-010 accepts

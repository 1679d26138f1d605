@area:registration
Feature: WSO2 UK toolkit DCR v3.3.0 as its documentation shows it
  The release's documentation posts the registration JWT as application/jwt; charset=ISO-8859-1
  to the gateway's /open-banking/v3.3.0/register and answers with the accelerator's members:
  token_endpoint_auth_signing_alg, a string client_id_issued_at, no registration_access_token.
  These scenarios are the profile wso2-uk-3.3's own (features/profiles/wso2-uk-3.3.yaml); they
  run only under it.

  Background:
    Given recipient A holds a software statement issued by the OB Directory

  Rule: UK-REQ-008 the release's own media type is taken

    @id:WUK33-001 @UK-REQ-008 @UK-REQ-048 @MUST
    Scenario: A valid request sent as application/jwt; charset=ISO-8859-1 is registered
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request as "application/jwt; charset=ISO-8859-1"
      Then the response status is 201
      And the response is JSON
      And the response has a non-empty "client_id"

  Rule: UK-REQ-049 every member of the release's sample response is present

    @id:WUK33-002 @UK-REQ-049 @UK-REQ-050 @UK-REQ-051 @UK-REQ-009 @MUST
    Scenario: A registration answers with every member the release's sample response has, client_id_issued_at a string
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response is JSON
      And the response has a non-empty value for each of:
        | token_endpoint_auth_signing_alg |
        | client_id                       |
        | client_id_issued_at             |
        | redirect_uris                   |
        | grant_types                     |
        | response_types                  |
        | application_type                |
        | id_token_signed_response_alg    |
        | request_object_signing_alg      |
        | scope                           |
        | software_id                     |
        | token_endpoint_auth_method      |
        | software_statement              |
      And the response "client_id_issued_at" is a JSON string
      And the response "scope" is a JSON string
      And the response "redirect_uris" is a JSON array of strings
      And the response "grant_types" is a JSON array of strings
      And the response "client_secret_expires_at", if present, is a JSON integer
      And the response has no "registration_access_token"
      And the response has no "registration_client_uri"

  Rule: UK-REQ-064 a read answers the registration with the release's members and types

    @id:WUK33-003 @UK-REQ-064 @UK-REQ-049 @UK-REQ-051 @MUST
    Scenario: A read answers 200 with the sample's members, client_id_issued_at a string and no registration_access_token
      Given recipient A is registered and holds a registration access token
      When recipient A reads its registration
      Then the response status is 200
      And the response is JSON
      And the response has a non-empty value for each of:
        | token_endpoint_auth_signing_alg |
        | client_id                       |
        | client_id_issued_at             |
        | redirect_uris                   |
        | grant_types                     |
        | response_types                  |
        | application_type                |
        | id_token_signed_response_alg    |
        | request_object_signing_alg      |
        | scope                           |
        | software_id                     |
        | token_endpoint_auth_method      |
        | software_statement              |
      And the response "client_id_issued_at" is a JSON string
      And the response "scope" is a JSON string
      And the response "redirect_uris" is a JSON array of strings
      And the response "grant_types" is a JSON array of strings
      And the response "client_secret_expires_at", if present, is a JSON integer
      And the response has no "registration_access_token"

@area:registration
Feature: WSO2 Open Banking 1.4 CDS DCR v0.1 as its documentation shows it
  The release's own page (seed 000) shows a request with x-v 0.1, the hybrid response type and
  the jwt-bearer grant, and a camelCase response. These rules are the profile wso2-ob-au-0.1's
  own (features/profiles/wso2-ob-au-0.1.yaml); they run only under it.

  Background:
    Given recipient A holds a software statement issued by the Register

  Rule: WSO2-OB01-001 the registration answers in camelCase

    @id:W01-001 @WSO2-OB01-001 @IMPL
    Scenario: A registration answers 201 with clientId, a numeric clientIdIssuedAt and the SSA's softwareId
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that WSO2-OB01-001 accepts
      And the response has a non-empty "client_id"
      And the response "client_id_issued_at", if present, is a time in seconds since the epoch within an hour of now
      And the response "software_id" is what the software statement of recipient A says

  Rule: WSO2-OB01-002 no snake_case members

    @id:W01-002 @WSO2-OB01-002 @IMPL
    Scenario: A registration answers without RFC 7591 snake_case member names
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that WSO2-OB01-002 accepts
      And the response has none of the RFC 7591 member names

  Rule: WSO2-OB01-003 the hybrid flow is registered

    @id:W01-003 @WSO2-OB01-003 @IMPL @area:metadata
    Scenario: response_types code id_token without id_token encryption is registered
      Given recipient A signs a registration request with mutation "hybrid-id-token-enc-missing"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-OB01-003 accepts

  Rule: WSO2-OB01-004 the jwt-bearer grant is registered

    @id:W01-004 @WSO2-OB01-004 @IMPL @area:metadata
    Scenario: grant_types with the jwt-bearer grant is registered and returned
      Given recipient A signs a registration request with mutation "grant-types-with-jwt-bearer"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-OB01-004 accepts
      And the response "grant_types" contains the value "urn:ietf:params:oauth:grant-type:jwt-bearer"

  Rule: WSO2-OB01-006 x-v 0.1 is taken

    @id:W01-006 @WSO2-OB01-006 @IMPL @area:transport
    Scenario: A registration sent with x-v 0.1 is registered
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request with header "x-v" set to "0.1"
      Then the outcome is one that WSO2-OB01-006 accepts

  Rule: WSO2-OB01-009 the SSA's scope is returned unfiltered

    @id:W01-009 @WSO2-OB01-009 @IMPL @area:software-statement
    Scenario: The registration returns the SSA's scope
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that WSO2-OB01-009 accepts
      And the response "scope" is what the software statement of recipient A says

  Rule: DCR-REQ-065 every member of the release's sample response is present

    @id:W01-010 @DCR-REQ-065 @MUST
    Scenario: A registration answers with every member the release's sample response has
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response has a non-empty value for each of:
        | client_id                       |
        | client_name                     |
        | client_description              |
        | client_uri                      |
        | org_id                          |
        | org_name                        |
        | redirect_uris                   |
        | logo_uri                        |
        | jwks_uri                        |
        | token_endpoint_auth_method      |
        | token_endpoint_auth_signing_alg |
        | grant_types                     |
        | id_token_signed_response_alg    |
        | request_object_signing_alg      |
        | software_id                     |
        | scope                           |

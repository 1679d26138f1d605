@area:registration
Feature: WSO2 Open Banking 2.0 AU DCR v0.1 answers in snake_case
  The profile wso2-ob20-au-0.1's own rules (features/profiles/wso2-ob20-au-0.1.yaml).

  Rule: WSO2-OB20-001 snake_case, an integer client_id_issued_at, the software statement

    @id:W20-001 @WSO2-OB20-001 @IMPL
    Scenario: A registration answers with client_id, an integer client_id_issued_at and the software statement
      Given recipient A holds a software statement issued by the Register
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that WSO2-OB20-001 accepts
      And the response has a non-empty "client_id"
      And the response "client_id_issued_at", if present, is a time in seconds since the epoch within an hour of now
      And the response "software_statement" is the software statement recipient A submitted, unchanged

  Rule: DCR-REQ-065 every member of the 0.1 model is present

    @id:W20-002 @DCR-REQ-065 @MUST
    Scenario: A registration answers with every member of the release's response model
      Given recipient A holds a software statement issued by the Register
      And recipient A signs a registration request carrying its software statement
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
        | software_statement              |
        | software_id                     |
        | scope                           |

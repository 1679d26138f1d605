@area:registration
Feature: The registration response returns everything registered
  A successful registration answers with RegistrationProperties (CDS "Registration Response",
  RFC 7591 §3.2.1): the holder-issued client_id, the SSA's metadata as top-level members, the
  request's metadata, and the software statement exactly as submitted.

  Background:
    Given recipient A holds a software statement issued by the Register
    And recipient A signs a registration request carrying its software statement

  Rule: DCR-REQ-065 every required RegistrationProperties member is present

    @id:REG-020 @DCR-REQ-065 @DCR-REQ-048 @MUST
    Scenario: A code-only registration answers with every required member
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
        | response_types                  |
        | id_token_signed_response_alg    |
        | request_object_signing_alg      |
        | software_statement              |
        | software_id                     |
        | scope                           |

  Rule: DCR-REQ-063 SSA metadata is returned as top-level members

    @id:REG-021 @DCR-REQ-063 @MUST
    Scenario Outline: The response's <member> is the software statement's
      When recipient A posts the registration request
      Then the response status is 201
      And the response "<member>" is what the software statement of recipient A says

      Examples:
        | member             |
        | client_name        |
        | client_description |
        | client_uri         |
        | org_id             |
        | org_name           |
        | logo_uri           |
        | tos_uri            |
        | policy_uri         |
        | jwks_uri           |
        | revocation_uri     |
        | recipient_base_uri |
        | software_id        |
        | software_roles     |
        | legal_entity_id    |
        | legal_entity_name  |

  Rule: DCR-REQ-064 request metadata is returned as registered

    @id:REG-022 @DCR-REQ-064 @MUST
    Scenario Outline: The response's <member> is what the recipient requested
      When recipient A posts the registration request
      Then the response status is 201
      And the response "<member>" is what recipient A requested

      Examples:
        | member                          |
        | token_endpoint_auth_method      |
        | token_endpoint_auth_signing_alg |
        | grant_types                     |
        | response_types                  |
        | id_token_signed_response_alg    |

      @DCR-REQ-040
      Examples: the JARM signing algorithm (checked where JARM is)
        | member                            |
        | authorization_signed_response_alg |

  Rule: DCR-REQ-066 validation failures use the RFC 7591 error shape

    @id:REG-023 @DCR-REQ-066 @MUST
    Scenario: A refused registration answers with an RFC 7591 error body
      Given recipient A signs a registration request with mutation "redirect-not-in-ssa"
      When recipient A posts the registration request
      Then the response is an RFC 7591 registration error
      And the response body matches the snapshot "register-invalid-redirect"

  Rule: DCR-REQ-058 one active registration per software product

    @id:REG-024 @DCR-REQ-058 @MUST
    Scenario: A second registration for the same software product is refused
      When recipient A posts the registration request
      Then the response status is 201
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request again
      Then the outcome is one that DCR-REQ-058 accepts
      And the response body matches the snapshot "register-duplicate"

    @id:REG-025 @DCR-REQ-058 @MUST
    Scenario: Of 20 simultaneous registrations for one software product exactly one succeeds
      When 20 registration requests of recipient A for the same software product are posted at once
      Then exactly one of the simultaneous requests got 201 and every other one is what DCR-REQ-058 accepts

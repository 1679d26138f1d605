@area:metadata
Feature: A Data Holder of the hybrid era takes code id_token registrations
  Between CDS v1.22 (December 2022) and the hybrid retirement on 12 May 2025 a Data Holder
  could support the hybrid flow beside the Authorization Code Flow with JARM: a registration
  with response_types code id_token names how id_tokens are encrypted for it. These rules are
  the profile cds-au-hybrid's own (features/profiles/cds-au-hybrid.yaml); they run only under it.

  Background:
    Given recipient A holds a software statement issued by the Register

  Rule: CDS-HYB-001 response types are code and code id_token only

    @id:HYB-001 @CDS-HYB-001 @MUST
    Scenario: A response type other than code or code id_token is refused
      Given recipient A signs a registration request with mutation "response-types-token"
      When recipient A posts the registration request
      Then the outcome is one that CDS-HYB-001 accepts

  Rule: CDS-HYB-002 a hybrid registration with id_token encryption is registered

    @id:HYB-002 @CDS-HYB-002 @MUST
    Scenario Outline: A code id_token registration with id_token encryption <alg> and <enc> is registered
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that CDS-HYB-002 accepts

      Examples:
        | alg          | enc           | mutation                          |
        | RSA-OAEP     | A256GCM       | hybrid-rsa-oaep-a256gcm           |
        | RSA-OAEP     | A128CBC-HS256 | hybrid-rsa-oaep-a128cbc-hs256     |
        | RSA-OAEP-256 | A256GCM       | hybrid-rsa-oaep-256-a256gcm       |
        | RSA-OAEP-256 | A128CBC-HS256 | hybrid-rsa-oaep-256-a128cbc-hs256 |

  Rule: CDS-HYB-003 a hybrid registration is returned as registered

    @id:HYB-003 @CDS-HYB-003 @MUST
    Scenario: The response and a later GET echo the hybrid response type and the id_token encryption
      Given recipient A signs a registration request with mutation "hybrid-rsa-oaep-256-a128cbc-hs256"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "response_types" is what recipient A requested
      And the response "id_token_encrypted_response_alg" is what recipient A requested
      And the response "id_token_encrypted_response_enc" is what recipient A requested
      And recipient A keeps the registration from the response
      When recipient A obtains a registration access token
      And recipient A reads its registration
      Then the response status is 200
      And the response "response_types" is what recipient A requested
      And the response "id_token_encrypted_response_alg" is what recipient A requested
      And the response "id_token_encrypted_response_enc" is what recipient A requested

  Rule: CDS-HYB-004 discovery offers the hybrid flow and its id_token encryption

    @id:HYB-004 @CDS-HYB-004 @MUST @area:discovery
    Scenario: Discovery offers code and code id_token, id_token encryption, and FAPI signing algorithms only
      When the discovery document is fetched
      Then the discovery "response_types_supported" lists "code"
      And the discovery "response_types_supported" lists "code id_token"
      And the discovery "response_types_supported" lists only values from "code, code id_token"
      And the discovery "id_token_encryption_alg_values_supported" lists only values from "RSA-OAEP, RSA-OAEP-256"
      And the discovery "id_token_encryption_enc_values_supported" lists only values from "A256GCM, A128CBC-HS256"
      And the discovery "id_token_signing_alg_values_supported" lists only values from "PS256, ES256"
      And the discovery "request_object_signing_alg_values_supported" lists only values from "PS256, ES256"
      And the discovery "authorization_signing_alg_values_supported" lists only values from "PS256, ES256"

@area:registration
Feature: The UK DCR conformance tool's scenarios
  OBIE's own conformance tool (OpenBankingUK/conformance-dcr v1.3.1) runs ten scenarios for DCR
  3.2 and 3.3, DCR-001 to DCR-011 (DCR-006 was removed), and a fork adds DCR-012 and DCR-013
  (features/SOURCES.md#uk-sources, CT and CT-SAG). Each has its counterpart here, with the same
  steps and the same assertions; the other features of this folder check the rules they touch
  more closely. features/README.md lists the counterparts.

  Background:
    Given recipient A holds a software statement issued by the OB Directory

  Rule: UK-REQ-001 discovery advertises the registration endpoint (CT DCR-001)

    @id:UK-CT-001 @UK-REQ-001 @MUST
    Scenario: DCR-001 the OpenID configuration has a registration URL
      When the discovery document is fetched
      Then the discovery document has "registration_endpoint" as an absolute https URL

  Rule: UK-REQ-048 a valid request is registered; the client obtains a token and deletes (CT DCR-002)

    @id:UK-CT-002 @UK-REQ-048 @UK-REQ-058 @UK-REQ-069 @MUST
    Scenario: DCR-002 create a client, obtain a client-credentials token and delete the client
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response has a non-empty "client_id"
      And recipient A keeps the registration from the response
      When recipient A obtains a registration access token
      Then the token response is a bearer token
      When recipient A deletes its registration
      Then the response status is 204

  Rule: UK-REQ-062 a deleted client cannot be read with the token it had (CT DCR-003)

    @id:UK-CT-003 @UK-REQ-069 @UK-REQ-062 @MUST
    Scenario: DCR-003 delete, then read the deleted client with the same token
      Given recipient A is registered and holds a registration access token
      When recipient A deletes its registration
      Then the response status is 204
      When recipient A reads its registration
      Then the response status is 401

  Rule: UK-REQ-011 UK-REQ-016 UK-REQ-018 invalid registration requests are refused (CT DCR-004)

    @id:UK-CT-004 @UK-REQ-072 @MUST
    Scenario Outline: DCR-004 a registration request that <fault> is refused with 400
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the response status is 400
      And the outcome is one that <rule> accepts

      @UK-REQ-018
      Examples: expired
        | fault                       | mutation               | rule       |
        | expired an hour ago         | uk-expired-an-hour-ago | UK-REQ-018 |

      @UK-REQ-016
      Examples: issuer
        | fault                       | mutation               | rule       |
        | has iss foo.is/invalid      | uk-iss-not-base62      | UK-REQ-016 |
        | has an empty iss            | uk-iss-empty           | UK-REQ-016 |
        | has a 30-character iss      | uk-iss-30-characters   | UK-REQ-016 |

      @UK-REQ-011
      Examples: signing algorithm
        | fault                       | mutation               | rule       |
        | is signed with RS256        | alg-rs256              | UK-REQ-011 |

  Rule: UK-REQ-064 a registered client reads its registration (CT DCR-005)

    @id:UK-CT-005 @UK-REQ-064 @UK-REQ-049 @UK-REQ-051 @MUST
    Scenario: DCR-005 read the client and validate the answer's schema
      Given recipient A is registered and holds a registration access token
      When recipient A reads its registration
      Then the response status is 200
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
      And the response "client_id" is a JSON string
      And the response "scope" is a JSON string
      And the response "redirect_uris" is a JSON array of strings
      And the response "grant_types" is a JSON array of strings
      And the response "response_types", if present, is a JSON array
      And the response "client_id_issued_at", if present, is a JSON integer

  Rule: UK-REQ-061 reading with an empty bearer token is refused (CT DCR-007)

    @id:UK-CT-007 @UK-REQ-061 @MUST
    Scenario: DCR-007 read the client with invalid credentials
      Given recipient A is registered and holds a registration access token
      When recipient A reads its registration with an empty bearer token
      Then the response status is 401

  Rule: UK-REQ-066 a registered client updates its registration (CT DCR-008)

    @id:UK-CT-008 @UK-REQ-066 @MUST
    Scenario: DCR-008 update the client with new signed claims
      Given recipient A is registered and holds a registration access token
      When recipient A updates its registration
      Then the response status is 200
      And the response "client_id" is the one recipient A was first given

  Rule: UK-REQ-062 an update of a deleted client is refused (CT DCR-009)

    @id:UK-CT-009 @UK-REQ-062 @MUST
    Scenario: DCR-009 update a deleted client
      Given recipient A is registered and holds a registration access token
      When recipient A deletes its registration
      And recipient A updates its registration
      Then the response status is 401

  Rule: UK-REQ-062 a read of a deleted client is refused (CT DCR-010)

    @id:UK-CT-010 @UK-REQ-062 @MUST
    Scenario: DCR-010 read a deleted client
      Given recipient A is registered and holds a registration access token
      When recipient A deletes its registration
      And recipient A reads its registration
      Then the response status is 401

  Rule: UK-REQ-038 unknown response types are refused with a JSON body (CT DCR-011)

    @id:UK-CT-011 @UK-REQ-038 @MUST
    Scenario: DCR-011 register with response_types id_token and token
      Given recipient A signs a registration request with mutation "uk-response-types-id-token-token"
      When recipient A posts the registration request
      Then the response status is 400
      And the response is JSON

  Rule: UK-REQ-013 a request signed by another key is refused (CT-SAG DCR-012)

    @id:UK-CT-012 @UK-REQ-013 @MUST
    Scenario: DCR-012 a registration request signed with a random key
      Given recipient A signs a registration request with mutation "wrong-key"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-013 accepts

  Rule: UK-REQ-022 UK-REQ-024 an SSA not signed by the Directory is refused (CT-SAG DCR-013)

    @id:UK-CT-013 @MUST
    Scenario Outline: DCR-013 an SSA that is <fault>
      Given recipient A holds a software statement with mutation "<mutation>"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that <rule> accepts

      @UK-REQ-022
      Examples: re-signed
        | fault                      | mutation           | rule       |
        | re-signed with another key | impostor-signature | UK-REQ-022 |

      @UK-REQ-024
      Examples: unsigned
        | fault                      | mutation           | rule       |
        | unsigned (alg none)        | alg-none           | UK-REQ-024 |

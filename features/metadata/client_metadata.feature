@area:metadata
Feature: Client metadata values follow the CDS profile
  Token endpoint authentication, grant and response types, JARM and id_token algorithms,
  request object algorithm and application type take only the values the CDS allows
  (CDS "Registration Request using JWT" claim table; FAPI 1.0 Advanced). Mutations are defined
  in vectors/mutations/registration.yaml.

  Background:
    Given recipient A holds a software statement issued by the Register

  Rule: DCR-REQ-032 token_endpoint_auth_method is private_key_jwt

    @id:MET-010 @DCR-REQ-032 @MUST
    Scenario Outline: Any other token endpoint auth method is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-032 accepts

      Examples:
        | mutation                        |
        | auth-method-missing             |
        | auth-method-client-secret-basic |
        | auth-method-tls-client-auth     |

  Rule: DCR-REQ-033 token_endpoint_auth_signing_alg is PS256 or ES256

    @id:MET-011 @DCR-REQ-033 @MUST
    Scenario Outline: A missing or non-FAPI token endpoint signing algorithm is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-033 accepts

      Examples:
        | mutation                 |
        | auth-signing-alg-missing |
        | auth-signing-alg-hs256   |
        | auth-signing-alg-rs256   |
        | auth-signing-alg-none    |

    # Recipient A signs with PS256: a registration for ES256 leaves a client its key cannot
    # authenticate as, so it cannot delete it either.
    @id:MET-012 @DCR-REQ-033 @MUST @needs:fresh-product
    Scenario: ES256 for the token endpoint is accepted and registered
      Given recipient A signs a registration request with mutation "auth-signing-alg-es256"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "token_endpoint_auth_signing_alg" is "ES256"

  Rule: DCR-REQ-034 grant_types is present and holds only CDS grant types

    @id:MET-013 @DCR-REQ-034 @MUST
    Scenario Outline: Missing or unknown grant types are refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-034 accepts

      Examples:
        | mutation             |
        | grant-types-missing  |
        | grant-types-password |
        | grant-types-implicit |

    # grant_types is a set of values (RFC 7591 §2 gives the array no order): the accepted grant
    # types in another order are registered, and answered as requested (compared as a set).
    @id:MET-034 @DCR-REQ-034 @MUST
    Scenario: The accepted grant types in another order are registered
      Given recipient A signs a registration request with mutation "grant-types-reordered"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "grant_types" is what recipient A requested

  Rule: DCR-REQ-035 grant_types must contain authorization_code (reference implementation)

    @id:MET-014 @DCR-REQ-035 @IMPL
    Scenario: grant_types without authorization_code is refused
      Given recipient A signs a registration request with mutation "grant-types-without-authorization-code"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-035 accepts

  Rule: DCR-REQ-036 response_types is required

    @id:MET-015 @DCR-REQ-036 @MUST
    Scenario: A request without response_types is refused
      Given recipient A signs a registration request with mutation "response-types-missing"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-036 accepts

  Rule: DCR-REQ-037 response_types is code only since the hybrid flow was retired

    @id:MET-016 @DCR-REQ-037 @MUST
    Scenario Outline: A response type other than code is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-037 accepts

      Examples:
        | mutation              |
        | response-types-hybrid |
        | response-types-token  |

  Rule: DCR-REQ-038 authorization_signed_response_alg is required with response type code

    @id:MET-017 @DCR-REQ-038 @MUST
    Scenario Outline: A code registration without a JARM signing algorithm is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-038 accepts

      Examples:
        | mutation                 |
        | authz-signed-alg-missing |
        | authz-signed-alg-empty   |

  Rule: DCR-REQ-039 authorization_signed_response_alg is PS256 or ES256

    @id:MET-018 @DCR-REQ-039 @MUST
    Scenario Outline: A JARM signing algorithm other than PS256 or ES256 is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-039 accepts

      Examples:
        | mutation               |
        | authz-signed-alg-none  |
        | authz-signed-alg-rs256 |
        | authz-signed-alg-foo   |

  Rule: DCR-REQ-040 PS256 and ES256 JARM signing are accepted and echoed

    @id:MET-019 @DCR-REQ-040 @MUST
    Scenario Outline: JARM signing with <alg> is registered
      Given recipient A signs a registration request with these members:
        | member                            | value |
        | authorization_signed_response_alg | <alg> |
      When recipient A posts the registration request
      Then the response status is 201
      And the response "authorization_signed_response_alg" is "<alg>"

      Examples:
        | alg   |
        | PS256 |
        | ES256 |

  Rule: DCR-REQ-041 JARM encryption enc needs alg

    @id:MET-020 @DCR-REQ-041 @MUST
    Scenario: authorization_encrypted_response_enc without _alg is refused
      Given recipient A signs a registration request with mutation "jarm-enc-without-alg"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-041 accepts

  Rule: DCR-REQ-042 JARM encryption algorithms come from the CDS sets

    @id:MET-021 @DCR-REQ-042 @MUST
    Scenario Outline: A JARM encryption value outside the CDS sets is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-042 accepts

      Examples:
        | mutation             |
        | jarm-enc-alg-rsa1-5  |
        | jarm-enc-enc-a128gcm |

  Rule: DCR-REQ-043 JARM alg without enc defaults enc to A128CBC-HS256

    @id:MET-022 @DCR-REQ-043 @MUST
    Scenario: authorization_encrypted_response_alg alone registers A128CBC-HS256
      Given recipient A signs a registration request with mutation "jarm-alg-without-enc"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "authorization_encrypted_response_alg" is "RSA-OAEP"
      And the response "authorization_encrypted_response_enc" is "A128CBC-HS256"

  Rule: DCR-REQ-044 without JARM encryption alg there is no JARM encryption

    @id:MET-023 @DCR-REQ-044 @MUST
    Scenario: A registration without JARM encryption members registers none
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response has no "authorization_encrypted_response_alg"
      And the response has no "authorization_encrypted_response_enc"

  Rule: DCR-REQ-045 a holder without JARM encryption may ignore JARM encryption members

    # Only for a holder whose discovery document lists no
    # authorization_encryption_alg_values_supported (need no-jarm-encryption). The JARM
    # encryption scenarios (MET-020 to MET-022, MET-024) need the opposite.
    @id:MET-036 @DCR-REQ-045 @MAY @needs:no-jarm-encryption
    Scenario: Valid JARM encryption members sent to a holder without JARM encryption are not registered
      Given recipient A signs a registration request with these members:
        | member                               | value    |
        | authorization_encrypted_response_alg | RSA-OAEP |
        | authorization_encrypted_response_enc | A256GCM  |
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-045 accepts
      And the response has no "authorization_encrypted_response_alg"
      And the response has no "authorization_encrypted_response_enc"

    # The same on PUT, which is validated as POST is (DCR-REQ-080).
    @id:MET-037 @DCR-REQ-045 @DCR-REQ-080 @MAY @needs:no-jarm-encryption
    Scenario: Valid JARM encryption members sent in an update to a holder without JARM encryption are not registered
      Given recipient A is registered and holds a registration access token
      And recipient A signs a registration request with these members:
        | member                               | value    |
        | authorization_encrypted_response_alg | RSA-OAEP |
        | authorization_encrypted_response_enc | A256GCM  |
      When recipient A updates its registration
      Then the outcome is one that DCR-REQ-045 accepts
      And the response has no "authorization_encrypted_response_alg"
      And the response has no "authorization_encrypted_response_enc"

  Rule: DCR-REQ-046 every CDS JARM encryption combination is accepted by a holder that encrypts

    @id:MET-024 @DCR-REQ-046 @MUST @needs:jarm-encryption
    Scenario Outline: JARM <sig> with <alg> and <enc> is registered and echoed
      Given recipient A signs a registration request with these members:
        | member                               | value |
        | authorization_signed_response_alg    | <sig> |
        | authorization_encrypted_response_alg | <alg> |
        | authorization_encrypted_response_enc | <enc> |
      When recipient A posts the registration request
      Then the response status is 201
      And the response "authorization_signed_response_alg" is "<sig>"
      And the response "authorization_encrypted_response_alg" is "<alg>"
      And the response "authorization_encrypted_response_enc" is "<enc>"

      Examples:
        | sig   | alg          | enc           |
        | PS256 | RSA-OAEP     | A256GCM       |
        | PS256 | RSA-OAEP     | A128CBC-HS256 |
        | PS256 | RSA-OAEP-256 | A256GCM       |
        | PS256 | RSA-OAEP-256 | A128CBC-HS256 |
        | ES256 | RSA-OAEP     | A256GCM       |
        | ES256 | RSA-OAEP     | A128CBC-HS256 |
        | ES256 | RSA-OAEP-256 | A256GCM       |
        | ES256 | RSA-OAEP-256 | A128CBC-HS256 |

  Rule: DCR-REQ-047 id_token_signed_response_alg is required and PS256 or ES256

    @id:MET-025 @DCR-REQ-047 @MUST
    Scenario Outline: A missing or non-FAPI id_token signing algorithm is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-047 accepts

      Examples:
        | mutation             |
        | id-token-alg-missing |
        | id-token-alg-none    |
        | id-token-alg-rs256   |

  Rule: DCR-REQ-049 id_token encryption members are not applied to a code-only client

    @id:MET-026 @DCR-REQ-049 @SHOULD
    Scenario: id_token encryption members sent with response type code are not registered
      Given recipient A signs a registration request with mutation "id-token-encryption-with-code"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-049 accepts
      And the response has no "id_token_encrypted_response_alg"
      And the response has no "id_token_encrypted_response_enc"

  Rule: DCR-REQ-050 a hybrid registration names id_token encryption (holders of the hybrid era)

    @id:MET-033 @DCR-REQ-050 @MUST
    Scenario Outline: A code id_token registration without valid id_token encryption is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-050 accepts

      Examples:
        | mutation                        |
        | hybrid-id-token-enc-missing     |
        | hybrid-id-token-enc-alg-only    |
        | hybrid-id-token-enc-alg-rsa1-5  |
        | hybrid-id-token-enc-enc-a128gcm |

  Rule: DCR-REQ-051 request_object_signing_alg, when sent, is PS256 or ES256

    @id:MET-027 @DCR-REQ-051 @MUST
    Scenario Outline: A non-FAPI request object signing algorithm is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-051 accepts

      Examples:
        | mutation                 |
        | request-object-alg-rs256 |
        | request-object-alg-none  |

  Rule: DCR-REQ-052 the holder fills request_object_signing_alg when it is omitted

    @id:MET-028 @DCR-REQ-052 @MUST
    Scenario: Without request_object_signing_alg the response still holds one
      Given recipient A signs a registration request with mutation "request-object-alg-omitted"
      When recipient A posts the registration request
      Then the response status is 201
      And the response has a non-empty "request_object_signing_alg"

  Rule: DCR-REQ-053 application_type, when sent, is web

    @id:MET-029 @DCR-REQ-053 @MUST
    Scenario: application_type native is refused
      Given recipient A signs a registration request with mutation "application-type-native"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-053 accepts

  Rule: DCR-REQ-054 application_type defaults to web

    @id:MET-030 @DCR-REQ-054 @SHOULD
    Scenario: Without application_type the response says web
      Given recipient A signs a registration request with mutation "application-type-omitted"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "application_type" is "web"

  Rule: DCR-REQ-055 unknown members are ignored and not returned

    @id:MET-031 @DCR-REQ-055 @MUST
    Scenario: Members the holder does not know are ignored
      Given recipient A signs a registration request with mutation "unknown-member"
      When recipient A posts the registration request
      Then the response status is 201
      And the response has no "adr_name"
      And the response has no "x_custom_metadata"

    @id:MET-035 @DCR-REQ-073 @MUST
    Scenario: A request for tls_client_certificate_bound_access_tokens false is refused, or its client still gets tokens bound to its certificate
      Given recipient A signs a registration request with mutation "bound-tokens-false"
      When recipient A posts the registration request
      Then either the registration is refused with 400 "invalid_client_metadata", or recipient A's token from it is refused over the certificate of recipient B as DCR-REQ-073 accepts

  Rule: DCR-REQ-056 JWT claims and a request client_id are not registered

    @id:MET-032 @DCR-REQ-056 @MUST
    Scenario: The holder issues its own client_id and returns no JWT envelope claims
      Given recipient A signs a registration request with mutation "client-id-in-request"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "client_id" differs from the "client_id" recipient A sent
      And the response has no "iss"
      And the response has no "aud"
      And the response has no "jti"
      And the response has no "exp"
      And the response has no "iat"

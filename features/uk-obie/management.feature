@area:management
Feature: Managing a registration at a UK ASPSP: GET, PUT and DELETE /register/{ClientId}
  The three operations are optional in DCR 3.2/3.3; where offered, each takes the client's own
  client-credentials token (no scope), answers an unknown or deleted ClientId with 401 and
  revokes the token it was given at once, and PUT takes a full signed request that is checked as
  a POST is (DCR32 §Endpoints, GET/PUT/DELETE prose; SW32 401/403 responses).

  Background:
    Given recipient A is registered and holds a registration access token

  Rule: UK-REQ-064 GET answers 200 with the current registration

    @id:UK-MGT-001 @UK-REQ-064 @UK-REQ-003 @MUST
    Scenario: GET on registration_endpoint/ClientId answers the registration
      When recipient A reads its registration
      Then the response status is 200
      And the response is the registration recipient A holds

  Rule: UK-REQ-061 a call without a valid token is refused with a Bearer challenge

    @id:UK-MGT-010 @UK-REQ-061 @MUST
    Scenario Outline: Recipient A <verb> its registration <how> and is refused with 401
      When recipient A <verb> its registration <how>
      Then the outcome is one that UK-REQ-061 accepts
      And the response challenges with the "Bearer" scheme

      Examples:
        | verb    | how                        |
        | reads   | without a token            |
        | reads   | with an empty bearer token |
        | reads   | with a forged token        |
        | updates | without a token            |
        | updates | with a forged token        |
        | deletes | without a token            |
        | deletes | with a forged token        |

  Rule: UK-REQ-062 an unknown ClientId is 401, and the token is revoked at once

    @id:UK-MGT-020 @UK-REQ-062 @MUST
    Scenario Outline: Recipient A <verb> an unknown client's registration and is refused with 401
      When recipient A <verb> the registration of an unknown client
      Then the outcome is one that UK-REQ-062 accepts

      Examples:
        | verb    |
        | reads   |
        | updates |
        | deletes |

    @id:UK-MGT-021 @UK-REQ-062 @MUST
    Scenario Outline: After naming an unknown client in a <verb> call, the token no longer reads the client's own registration
      When recipient A <verb> the registration of an unknown client
      And recipient A reads its registration
      Then the response status is 401

      Examples:
        | verb    |
        | reads   |
        | updates |
        | deletes |

  Rule: UK-REQ-063 a token of one client does not manage another

    @id:UK-MGT-030 @UK-REQ-063 @MUST
    Scenario Outline: Recipient B <verb> recipient A's registration with its own token and is refused
      Given recipient B is registered and holds a registration access token
      When recipient B <verb> the registration of recipient A
      Then the outcome is one that UK-REQ-063 accepts

      Examples:
        | verb    |
        | reads   |
        | updates |
        | deletes |

  Rule: UK-REQ-066 a valid PUT answers 200 and keeps the client_id

    @id:UK-MGT-040 @UK-REQ-066 @MUST
    Scenario: A valid PUT answers 200 with the registration, under the same client_id
      When recipient A updates its registration
      Then the response status is 200
      And the response "client_id" is the one recipient A was first given
      And the response "software_statement" is the software statement recipient A submitted, unchanged

    @id:UK-MGT-041 @UK-REQ-066 @UK-REQ-064 @MUST
    Scenario: GET after a valid PUT answers the registration the PUT described
      When recipient A updates its registration
      Then the response status is 200
      And recipient A keeps the registration from the response
      When recipient A reads its registration
      Then the response status is 200
      And the response is the registration recipient A holds

  Rule: UK-REQ-067 an ASPSP may refuse a change it does not allow

    @id:UK-MGT-042 @UK-REQ-067 @MAY
    Scenario: A PUT that changes the application type is taken or refused
      When recipient A updates its registration with mutation "uk-application-type-mobile"
      Then the outcome is one that UK-REQ-067 accepts

  Rule: UK-REQ-065 PUT is checked as POST is: every input a POST refuses is refused on PUT

    @id:UK-MGT-050 @UK-REQ-065 @MUST
    Scenario Outline: A PUT that <how> is refused as its POST would be
      When recipient A updates its registration with mutation "<mutation>"
      Then the outcome is one that <rule> accepts

      Examples:
        | how                                                    | mutation                         | rule       |
        | is signed with RS256                                   | alg-rs256                        | UK-REQ-011 |
        | has alg none                                           | alg-none                         | UK-REQ-012 |
        | is signed with HS256                                   | alg-hs256                        | UK-REQ-012 |
        | is signed by a key the SSA's JWKS lacks                | wrong-key                        | UK-REQ-013 |
        | was changed after it was signed                        | tampered-payload                 | UK-REQ-013 |
        | is signed by a key its header carries                  | uk-embedded-jwk                  | UK-REQ-014 |
        | names a kid the TPP's JWKS lacks                       | uk-unknown-kid                   | UK-REQ-015 |
        | has no iss                                             | missing-iss                      | UK-REQ-016 |
        | names another software product in iss                  | iss-not-software-id              | UK-REQ-016 |
        | has iss foo.is/invalid                                 | uk-iss-not-base62                | UK-REQ-016 |
        | has an empty iss                                       | uk-iss-empty                     | UK-REQ-016 |
        | has a 30-character iss                                 | uk-iss-30-characters             | UK-REQ-016 |
        | has no iat                                             | missing-iat                      | UK-REQ-017 |
        | has no exp                                             | missing-exp                      | UK-REQ-018 |
        | expired beyond the skew                                | expired                          | UK-REQ-018 |
        | expired an hour ago                                    | uk-expired-an-hour-ago           | UK-REQ-018 |
        | has no jti                                             | missing-jti                      | UK-REQ-019 |
        | has no aud                                             | missing-aud                      | UK-REQ-020 |
        | has no software_statement                              | missing-software-statement       | UK-REQ-021 |
        | has a software_statement that is not a JWT             | software-statement-not-a-jwt     | UK-REQ-021 |
        | names another software_id                              | uk-software-id-other             | UK-REQ-030 |
        | asks for an empty redirect_uris list                   | uk-redirect-empty                | UK-REQ-031 |
        | asks for a redirect URI the SSA lacks                  | redirect-not-in-ssa              | UK-REQ-032 |
        | asks for the SSA's redirect URIs and one more          | redirect-one-outside             | UK-REQ-032 |
        | asks for a redirect URI in another case than the SSA's | redirect-case-variant            | UK-REQ-032 |
        | has private_key_jwt without a signing alg              | auth-signing-alg-missing         | UK-REQ-035 |
        | has tls_client_auth without a subject DN               | uk-tls-client-auth-without-dn    | UK-REQ-036 |
        | has private_key_jwt with a subject DN                  | uk-dn-with-private-key-jwt       | UK-REQ-036 |
        | asks for response_types id_token and token             | uk-response-types-id-token-token | UK-REQ-038 |

      @UK-REQ-046
      Examples: CIBA (3.3)
        | how                                            | mutation                      | rule       |
        | has the CIBA grant without a delivery mode     | uk-ciba-without-delivery-mode | UK-REQ-046 |
        | has the CIBA grant without a signing alg       | uk-ciba-without-signing-alg   | UK-REQ-046 |
        | asks for CIBA ping without a notification URL  | uk-ciba-ping-without-endpoint | UK-REQ-046 |
        | says the CIBA user code parameter is supported | uk-ciba-user-code-true        | UK-REQ-046 |

      Examples: the redirect near-misses a lenient matcher takes
        | how                                              | mutation                | rule       |
        | asks for an SSA redirect URI with a trailing slash | redirect-trailing-slash | UK-REQ-032 |
        | asks for an SSA redirect URI with a longer path    | redirect-longer-path    | UK-REQ-032 |
        | asks for a URI that normalises to an SSA redirect URI | redirect-dot-segments | UK-REQ-032 |

      Examples: the key the request carries
        | how                                              | mutation              | rule       |
        | is signed by a key it carries as its own jwks member | request-jwks-impostor | UK-REQ-013 |

    @id:UK-MGT-051 @UK-REQ-065 @MUST
    Scenario Outline: A PUT whose SSA is <how> is refused as its POST would be
      When recipient A updates its registration with a software statement with mutation "<mutation>"
      Then the outcome is one that <rule> accepts

      Examples:
        | how                                                   | mutation                         | rule       |
        | signed by another key under the Directory's kid       | impostor-signature               | UK-REQ-022 |
        | signed by a key the Directory does not publish        | unknown-kid                      | UK-REQ-022 |
        | changed after the Directory signed it                 | tampered-payload                 | UK-REQ-022 |
        | signed with HS256 keyed by the Directory's public key | hs256-public-key                 | UK-REQ-022 |
        | without a kid                                         | kid-missing                      | UK-REQ-022 |
        | unsigned (alg none)                                   | alg-none                         | UK-REQ-024 |
        | from another directory                                | uk-ssa-untrusted-directory       | UK-REQ-023 |
        | from an issuer nobody knows                           | wrong-iss                        | UK-REQ-023 |
        | issued a day ago                                      | uk-ssa-a-day-old                 | UK-REQ-025 |
        | without a software_jwks_endpoint                      | uk-ssa-without-jwks-endpoint     | UK-REQ-027 |
        | whose software_jwks_endpoint cannot be fetched        | uk-ssa-jwks-endpoint-unreachable | UK-REQ-027 |
        | for AISP only while payments is asked for             | uk-ssa-aisp-only                 | UK-REQ-041 |

    @id:UK-MGT-052 @UK-REQ-065 @MUST
    Scenario Outline: A PUT that <how> is refused, or registered with an allowed value, as its POST would be
      When recipient A updates its registration with mutation "<mutation>"
      Then the outcome is one that <rule> accepts
      And a registration the holder created has "<member>" holding only values from "<allowed>"

      Examples:
        | how                                              | mutation                    | rule       | member                       | allowed                                                                                      |
        | has no token_endpoint_auth_method                | auth-method-missing         | UK-REQ-034 | token_endpoint_auth_method   | private_key_jwt, client_secret_jwt, client_secret_basic, client_secret_post, tls_client_auth |
        | has a token_endpoint_auth_method that is not one | uk-auth-method-unknown      | UK-REQ-034 | token_endpoint_auth_method   | private_key_jwt, client_secret_jwt, client_secret_basic, client_secret_post, tls_client_auth |
        | has no grant_types                               | grant-types-missing         | UK-REQ-037 | grant_types                  | client_credentials, authorization_code, refresh_token                                        |
        | has an empty grant_types                         | uk-grant-types-empty        | UK-REQ-037 | grant_types                  | client_credentials, authorization_code, refresh_token                                        |
        | has password among its grant_types               | grant-types-password        | UK-REQ-037 | grant_types                  | client_credentials, authorization_code, refresh_token                                        |
        | has no scope                                     | uk-scope-missing            | UK-REQ-040 | scope                        | openid, accounts, payments, fundsconfirmations                                               |
        | has scope as an array                            | uk-scope-as-array           | UK-REQ-040 | scope                        | openid, accounts, payments, fundsconfirmations                                               |
        | has no application_type                          | application-type-omitted    | UK-REQ-042 | application_type             | web, mobile                                                                                  |
        | has application_type service                     | uk-application-type-service | UK-REQ-042 | application_type             | web, mobile                                                                                  |
        | has application_type native                      | application-type-native     | UK-REQ-042 | application_type             | web, mobile                                                                                  |
        | has application_type mobile                      | uk-application-type-mobile  | UK-REQ-042 | application_type             | web, mobile                                                                                  |
        | has no id_token_signed_response_alg              | id-token-alg-missing        | UK-REQ-043 | id_token_signed_response_alg | PS256, ES256                                                                                 |
        | has id_token_signed_response_alg RS256           | id-token-alg-rs256          | UK-REQ-043 | id_token_signed_response_alg | PS256, ES256                                                                                 |
        | has no request_object_signing_alg                | request-object-alg-omitted  | UK-REQ-043 | request_object_signing_alg   | PS256, ES256                                                                                 |
        | has request_object_signing_alg RS256             | request-object-alg-rs256    | UK-REQ-043 | request_object_signing_alg   | PS256, ES256                                                                                 |

    @id:UK-MGT-053 @UK-REQ-065 @MUST
    Scenario Outline: A PUT asking for <what>, which its SSA lists, is refused as its POST would be
      When recipient A updates its registration with mutation "<request>" and a software statement with mutation "<ssa>"
      Then the outcome is one that UK-REQ-031 accepts

      Examples:
        | what                     | request               | ssa                              |
        | an http redirect URI     | uk-redirect-http      | uk-ssa-redirect-http-listed      |
        | a localhost redirect URI | uk-redirect-localhost | uk-ssa-redirect-localhost-listed |

    @id:UK-MGT-054 @UK-REQ-065 @UK-REQ-044 @MUST
    Scenario: A PUT for client_secret_jwt is refused, or registered with a method discovery lists, as its POST would be
      When recipient A updates its registration with mutation "uk-auth-method-client-secret-jwt"
      Then the outcome is one that UK-REQ-044 accepts
      And a registration the holder created has "token_endpoint_auth_method" listed in the discovery "token_endpoint_auth_methods_supported"

    # A secret given for client_secret_basic must not outlive the method: an update that leaves
    # it is answered as its POST would be, with no client_secret (UK-REG-030). The second PUT
    # carries a token obtained as the registration then stands (with the issued secret after an
    # accepted update; a holder may revoke tokens when the auth method changes), or the one held
    # where the holder gave no secret to obtain one with.
    @id:UK-MGT-055 @UK-REQ-065 @UK-REQ-056 @MUST
    Scenario: A PUT back to private_key_jwt after one to client_secret_basic is answered without a client_secret
      When recipient A updates its registration with mutation "uk-client-secret-basic"
      Then the response status is one of "200, 400"
      And recipient A keeps the registration from the response if it was accepted
      When recipient A renews its registration access token where it can
      And recipient A updates its registration
      Then the response status is 200
      And the response has no "client_secret"

  Rule: UK-REQ-070 DELETE is offered, or refused with 405

    # No @needs:delete: the scenario is for holders without DELETE too (holder.supports_delete
    # false), which must answer 405 (SW32 lists 405 for DELETE; RFC 7592 §2.3).
    @id:UK-MGT-070 @UK-REQ-070 @SHOULD
    Scenario: DELETE answers 204, or 405 where the ASPSP does not offer it
      When recipient A sends DELETE to its registration
      Then the outcome is one that UK-REQ-070 accepts

  Rule: UK-REQ-069 DELETE answers 204 and the client is gone

    @id:UK-MGT-060 @UK-REQ-069 @MUST
    Scenario: DELETE answers 204 with no body, and the client can no longer obtain tokens
      When recipient A deletes its registration
      Then the response status is 204
      And the response has an empty body
      When recipient A requests an access token with scope ""
      Then the response status is one of "400, 401"

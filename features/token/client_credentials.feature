@area:token
Feature: Registration management tokens come from client_credentials with private_key_jwt
  A registered recipient obtains a cdr:registration access token at the token endpoint over
  mutual TLS with a private_key_jwt client assertion signed by a key at its jwks_uri (CDS
  "Client Authentication", RFC 7523, RFC 8705). The token is bound to the client certificate.

  Background:
    Given recipient A is registered

  Rule: DCR-REQ-068 client_credentials yields a bearer token and no refresh token

    @id:TOK-001 @DCR-REQ-068 @MUST
    Scenario: A valid client assertion yields a cdr:registration bearer token
      When recipient A requests an access token with scope "cdr:registration"
      Then the outcome is one that DCR-REQ-068 accepts
      And the token response is a bearer token
      And the access token, where it is a JWT, is bound to recipient A's certificate

    # RFC 6749 §4.4.3: a refresh token SHOULD NOT be included, so one present is a warning.
    @id:TOK-006 @DCR-REQ-068 @SHOULD
    Scenario: The client credentials token response carries no refresh token
      When recipient A requests an access token with scope "cdr:registration"
      Then the token response carries no refresh token

  Rule: DCR-REQ-069 client assertions follow the private_key_jwt rules

    @id:TOK-002 @DCR-REQ-069 @MUST
    Scenario Outline: A client assertion that <verb> <what> is refused
      When recipient A requests an access token with a client assertion that <verb> <what>
      Then the outcome is one that DCR-REQ-069 accepts

      Examples:
        | verb  | what             |
        | names | another-issuer   |
        | names | another-audience |
        | lacks | exp              |
        | has   | expired          |
        | is    | wrongly-signed   |
        | names | another-subject  |
        | lacks | iss              |
        | lacks | sub              |
        | lacks | aud              |
        | lacks | jti              |
        | has   | a-future-nbf     |
        | is    | unsigned         |
        | is    | hs256-signed-with-the-public-key |

    # A lenient matcher (prefix, suffix, case, trailing slash, dot segments) takes these for the
    # client_id or the token endpoint. RFC 7519 §2 compares StringOrURI values as case-sensitive
    # strings without canonicalisation, and iss and sub MUST be the client_id (CDS-CA); the
    # client_id near misses change both, as a client claiming another identity would.
    @id:TOK-007 @DCR-REQ-069 @MUST
    Scenario Outline: A client assertion that <verb> <what> is refused as a near miss
      When recipient A requests an access token with a client assertion that <verb> <what>
      Then the outcome is one that DCR-REQ-069 accepts

      Examples:
        | verb  | what                                       |
        | names | a-client-id-with-a-suffix                  |
        | names | a-prefix-of-the-client-id                  |
        | names | the-token-endpoint-with-a-trailing-slash   |
        | names | the-token-endpoint-with-a-suffix           |
        | names | a-prefix-of-the-token-endpoint             |
        | names | the-token-endpoint-in-upper-case           |
        | names | the-token-endpoint-with-a-dot-segment      |

    @id:TOK-003 @DCR-REQ-069 @MUST
    Scenario: A client assertion addressed to the issuer is accepted
      When recipient A requests an access token with a client assertion that names the-issuer
      Then the response status is 200

    # The other side of each time boundary: an nbf already passed and an exp close ahead are
    # valid (RFC 7519 §4.1.4, §4.1.5; RFC 7523 §3 lets the client send nbf).
    @id:TOK-008 @DCR-REQ-069 @MUST
    Scenario Outline: A client assertion that <verb> <what> is accepted
      When recipient A requests an access token with a client assertion that <verb> <what>
      Then the response status is 200

      Examples:
        | verb    | what          |
        | has     | a-past-nbf    |
        | expires | in-30-seconds |

    @id:TOK-004 @DCR-REQ-069 @MUST
    Scenario: A client assertion cannot be used twice
      When recipient A requests two access tokens with the same client assertion
      Then the outcome is one that DCR-REQ-069 accepts

  Rule: DCR-REQ-097 a scope the client did not register is not granted

    # The request is TOK-001's with one scope value added, one no holder defines and no SSA
    # lists. A holder may refuse it (invalid_scope) or grant the rest (RFC 6749 §3.3), naming
    # what it granted (§5.1).
    @id:TOK-009 @DCR-REQ-097 @SHOULD
    Scenario: A token request adding a scope the client did not register is refused, or granted without it
      When recipient A requests an access token with its registration scope and "bank:dcr-conformance.unregistered:read"
      Then the outcome is one that DCR-REQ-097 accepts
      And a token the holder issued does not carry the scope "bank:dcr-conformance.unregistered:read"

  Rule: DCR-REQ-005 the token endpoint requires mutual TLS

    @id:TOK-005 @DCR-REQ-005 @MUST
    Scenario Outline: A token request <how> is refused
      When a token request for recipient A is sent <how>
      Then the outcome is one that DCR-REQ-005 accepts

      Examples:
        | how                                |
        | without-a-client-certificate       |
        | with-a-certificate-from-another-CA |

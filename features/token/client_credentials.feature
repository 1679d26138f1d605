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

    @id:TOK-003 @DCR-REQ-069 @MUST
    Scenario: A client assertion addressed to the issuer is accepted
      When recipient A requests an access token with a client assertion that names the-issuer
      Then the response status is 200

    @id:TOK-004 @DCR-REQ-069 @MUST
    Scenario: A client assertion cannot be used twice
      When recipient A requests two access tokens with the same client assertion
      Then the outcome is one that DCR-REQ-069 accepts

  Rule: DCR-REQ-005 the token endpoint requires mutual TLS

    @id:TOK-005 @DCR-REQ-005 @MUST
    Scenario Outline: A token request <how> is refused
      When a token request for recipient A is sent <how>
      Then the outcome is one that DCR-REQ-005 accepts

      Examples:
        | how                                |
        | without-a-client-certificate       |
        | with-a-certificate-from-another-CA |

@area:token
Feature: The management token of a UK ASPSP
  A registered TPP obtains the access token its management calls need with a client_credentials
  grant at the token endpoint, authenticating with the method it registered; no scope is needed
  (DCR32 §Authentication: "a scope need not be specified"). The UK conformance tool sends
  scope= and signs its client assertion without a kid.

  Rule: UK-REQ-058 a client_credentials grant without scope gives a bearer token

    @id:UK-TOK-001 @UK-REQ-058 @MUST
    Scenario: A registered private_key_jwt client obtains a token asking for no scope
      Given recipient A is registered
      When recipient A requests an access token with scope ""
      Then the token response is a bearer token
      And the access token, where it is a JWT, is bound to recipient A's certificate

  Rule: UK-REQ-059 a client assertion without a kid is accepted

    @id:UK-TOK-002 @UK-REQ-059 @MUST
    Scenario: A client assertion whose header names no kid is accepted
      Given recipient A is registered
      When recipient A requests an access token with a client assertion that lacks kid
      Then the token response is a bearer token

    @id:UK-TOK-003 @UK-REQ-059 @MUST
    Scenario: Recipient B's client assertion, signed with its own algorithm, is accepted without a kid
      Given recipient B is registered
      When recipient B requests an access token with a client assertion that lacks kid
      Then the token response is a bearer token

  Rule: UK-REQ-060 a tls_client_auth client is authenticated by its certificate's subject

    @id:UK-TOK-010 @UK-REQ-060 @MUST
    Scenario: A client registered for tls_client_auth obtains a token with its certificate
      Given recipient A holds a software statement issued by the OB Directory
      And recipient A signs a registration request with mutation "uk-tls-client-auth"
      When recipient A posts the registration request
      Then the response status is 201
      And recipient A keeps the registration from the response
      When recipient A obtains a registration access token
      Then the token response is a bearer token

    @id:UK-TOK-011 @UK-REQ-060 @MUST
    Scenario: A client registered for tls_client_auth is refused a token over another recipient's certificate
      Given recipient A holds a software statement issued by the OB Directory
      And recipient A signs a registration request with mutation "uk-tls-client-auth"
      When recipient A posts the registration request
      Then the response status is 201
      And recipient A keeps the registration from the response
      When a token request for recipient A is sent over the certificate of recipient B
      Then the response status is one of "400, 401"

    @id:UK-TOK-012 @UK-REQ-060 @UK-REQ-064 @MUST
    Scenario: A tls_client_auth client's token manages its registration
      Given recipient A holds a software statement issued by the OB Directory
      And recipient A signs a registration request with mutation "uk-tls-client-auth"
      When recipient A posts the registration request
      Then the response status is 201
      And recipient A keeps the registration from the response
      When recipient A obtains a registration access token
      And recipient A reads its registration
      Then the response status is 200

  Rule: UK-REQ-076 a scope the client did not register is not granted

    # The client registered the template's scope, openid accounts payments; it asks for accounts
    # with fundsconfirmations, a UK scope it did not register. A holder may refuse the request
    # (invalid_scope) or grant accounts alone (RFC 6749 §3.3), naming what it granted (§5.1).
    @id:UK-TOK-030 @UK-REQ-076 @SHOULD
    Scenario: A token request adding a scope the client did not register is refused, or granted without it
      Given recipient A is registered
      When recipient A requests an access token with scope "accounts fundsconfirmations"
      Then the outcome is one that UK-REQ-076 accepts
      And a token the holder issued does not carry the scope "fundsconfirmations"

  Rule: UK-REQ-075 a wrong client secret over HTTP Basic is answered 401 with a Basic challenge

    # Where the ASPSP takes client_secret_basic at its token endpoint (its discovery document
    # lists it). Registering for it is the ASPSP's choice (UK-REQ-034: refuse or replace): where
    # it registers the client so, the client first obtains a token with the secret it was
    # issued, so the refused request differs from an accepted one by the secret alone; where it
    # refuses or registers another method, the client registers as usual and sends HTTP Basic
    # with a secret it was never given, which RFC 6749 §5.2 answers the same way.
    @id:UK-TOK-020 @UK-REQ-075 @MUST
    Scenario: A token request with a wrong client secret over HTTP Basic is answered 401 with a Basic challenge
      Given recipient A holds a software statement issued by the OB Directory
      And recipient A signs a registration request with mutation "uk-client-secret-basic"
      When recipient A posts the registration request
      Then the response status is one of "201, 400"
      And recipient A keeps the registration from the response, or is registered as usual if it was refused
      When recipient A obtains a registration access token
      Then the token response is a bearer token
      When recipient A requests an access token with a wrong client secret
      Then the outcome is one that UK-REQ-075 accepts
      And the response challenges with the "Basic" scheme

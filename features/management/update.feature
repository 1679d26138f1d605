@area:management
Feature: Updating a registration with PUT /register/{ClientId}
  PUT carries a new signed registration request with the software statement and is validated as
  POST is; the client keeps its client_id (CDS "Registration Management", RFC 7592 §2.2).

  Background:
    Given recipient A is registered and holds a registration access token

  Rule: DCR-REQ-081 a valid PUT answers 200 with the registration and the same client_id

    @id:MGT-020 @DCR-REQ-081 @DCR-REQ-083 @MUST
    Scenario: Updating with an unchanged request answers 200 and keeps the client_id
      When recipient A updates its registration
      Then the response status is 200
      And the response "client_id" is the one recipient A was first given

    @id:MGT-032 @DCR-REQ-081 @DCR-REQ-062 @MUST
    Scenario: An update answers with the software statement as submitted
      When recipient A updates its registration
      Then the response status is 200
      And the response "software_statement" is the software statement recipient A submitted, unchanged

  Rule: DCR-REQ-082 PUT keeps client_id_issued_at (reference implementation)

    @id:MGT-021 @DCR-REQ-082 @IMPL
    Scenario: Updating keeps client_id_issued_at
      When recipient A updates its registration
      Then the outcome is one that DCR-REQ-082 accepts
      And the response "client_id_issued_at" is the one recipient A was first given

  Rule: DCR-REQ-080 PUT is validated as POST is

    @id:MGT-022 @DCR-REQ-080 @MUST
    Scenario: An update without a software statement is refused
      When recipient A updates its registration with mutation "missing-software-statement"
      Then the outcome is one that DCR-REQ-080 accepts

    @id:MGT-023 @DCR-REQ-080 @DCR-REQ-030 @MUST
    Scenario: An update asking for a redirect URI outside the SSA is refused
      When recipient A updates its registration with mutation "redirect-not-in-ssa"
      Then the outcome is one that DCR-REQ-030 accepts

    @id:MGT-024 @DCR-REQ-080 @DCR-REQ-022 @MUST
    Scenario: An update carrying an SSA not signed by the Register is refused
      When recipient A updates its registration with a software statement with mutation "impostor-signature"
      Then the outcome is one that DCR-REQ-022 accepts

    @id:MGT-025 @DCR-REQ-080 @DCR-REQ-011 @MUST
    Scenario: An update signed with alg none is refused
      When recipient A updates its registration with mutation "alg-none"
      Then the outcome is one that DCR-REQ-011 accepts

  Rule: DCR-REQ-084 an update changes what GET returns

    @id:MGT-026 @DCR-REQ-084 @MUST
    Scenario: Narrowing the redirect URIs by PUT is reflected by GET
      When recipient A updates its registration with mutation "redirect-subset"
      Then the outcome is one that DCR-REQ-084 accepts
      And the response "redirect_uris" is '["https://a.recipient.example/callback"]'
      And recipient A keeps the registration from the response
      When recipient A reads its registration
      Then the response status is 200
      And the response "redirect_uris" is '["https://a.recipient.example/callback"]'
      And the response is the registration recipient A holds

    # The Register reissues the SSA when the recipient's jwks_uri changes; after the PUT the
    # holder verifies the recipient's client assertions with the key the new jwks_uri
    # publishes, and no longer with the old one (the rule's "later client assertions are
    # verified against the new jwks_uri").
    @id:MGT-053 @DCR-REQ-084 @MUST
    Scenario: After an update naming a new jwks_uri, client assertions verify with the new key only
      Given recipient A moves to a new signing key at a new jwks_uri
      When recipient A updates its registration with a newly issued software statement
      Then the outcome is one that DCR-REQ-084 accepts
      When recipient A requests an access token with scope "cdr:registration"
      Then the response status is 200
      When recipient A requests an access token with a client assertion that is signed-with-its-previous-key
      Then the outcome is one that DCR-REQ-069 accepts

  Rule: DCR-REQ-055 unknown members are not stored

    @id:MGT-027 @DCR-REQ-055 @MUST
    Scenario: Unknown members sent on PUT are not returned by GET
      When recipient A updates its registration with mutation "unknown-member"
      Then the response status is 200
      When recipient A reads its registration
      Then the response has no "adr_name"
      And the response has no "x_custom_metadata"

  Rule: DCR-REQ-085 a PUT cannot change the software product

    @id:MGT-028 @DCR-REQ-085 @REC
    Scenario: An update carrying another software product's SSA is refused
      When recipient A updates its registration with a software statement for another software product
      Then the outcome is one that DCR-REQ-085 accepts

  Rule: DCR-REQ-020 a registration request cannot be replayed

    @id:MGT-029 @DCR-REQ-020 @SHOULD
    Scenario: The same signed update sent twice is refused the second time
      When recipient A sends the same update twice
      Then the outcome is one that DCR-REQ-020 accepts

  Rule: DCR-REQ-086 registrations change only through PUT

    @id:MGT-030 @DCR-REQ-086 @MUST
    Scenario Outline: <method> on a registration is refused
      When recipient A sends <method> to its registration
      Then the outcome is one that DCR-REQ-086 accepts

      Examples:
        | method |
        | PATCH  |
        | POST   |

    @id:MGT-031 @DCR-REQ-086 @MUST
    Scenario Outline: <method> on the registration endpoint is refused
      When recipient A sends <method> to the registration endpoint
      Then the outcome is one that DCR-REQ-086 accepts

      Examples:
        | method |
        | GET    |
        | PUT    |
        | DELETE |
        | PATCH  |

  Rule: DCR-REQ-095 an unsupported method is answered 405

    @id:MGT-033 @DCR-REQ-095 @SHOULD
    Scenario Outline: <method> on a registration is answered 405
      When recipient A sends <method> to its registration
      Then the outcome is one that DCR-REQ-095 accepts

      Examples:
        | method |
        | PATCH  |
        | POST   |

    @id:MGT-034 @DCR-REQ-095 @SHOULD
    Scenario Outline: <method> on the registration endpoint is answered 405
      When recipient A sends <method> to the registration endpoint
      Then the outcome is one that DCR-REQ-095 accepts

      Examples:
        | method |
        | GET    |
        | PUT    |
        | DELETE |
        | PATCH  |

  Rule: DCR-REQ-096 a 405 answer lists in Allow the methods the path serves

    # A holder that answers these methods with another refusal (404, 501) owes no Allow: the
    # step checks a 405 answer only, and DCR-REQ-095 judges the status.
    @id:MGT-035 @DCR-REQ-096 @MUST
    Scenario Outline: A 405 answer to <method> on a registration lists in Allow the methods it serves
      When recipient A sends <method> to its registration
      Then a 405 answer lists in Allow the methods a registration serves

      Examples:
        | method |
        | PATCH  |
        | POST   |

    @id:MGT-036 @DCR-REQ-096 @MUST
    Scenario Outline: A 405 answer to <method> on the registration endpoint lists POST in Allow
      When recipient A sends <method> to the registration endpoint
      Then a 405 answer lists in Allow the methods the registration endpoint serves

      Examples:
        | method |
        | GET    |
        | PUT    |
        | DELETE |
        | PATCH  |

@area:request-jwt
Feature: The registration JWT a UK ASPSP accepts
  The body of POST /register and PUT /register/{ClientId} is a compact JWS signed with a key of
  the JWKS at the SSA's software_jwks_endpoint, with PS256 or ES256 (DCR32 "constrained by
  FAPI-RW"; DIR §Request Validation), never with a key the header carries (DCR32 §Of JWS &
  JWKS). Its claims iss, iat, exp, aud and jti are required (DCR32 §Data Dictionary). Each
  input below differs from an accepted request in one way.

  Background:
    Given recipient A holds a software statement issued by the OB Directory

  Rule: UK-REQ-010 a body that is not a compact JWS is refused

    @id:UK-JWT-001 @UK-REQ-010 @MUST
    Scenario Outline: A body of <what> is refused
      When recipient A posts "<body>" as the registration request
      Then the outcome is one that UK-REQ-010 accepts

      Examples:
        | what                 | body                  |
        | garbage              | not a jws at all      |
        | two segments         | eyJhbGciOiJQUzI1NiJ9.e30 |

    @id:UK-JWT-002 @UK-REQ-010 @MUST
    Scenario: The request claims posted unsigned, as JSON, are refused
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts its registration claims unsigned, as JSON
      Then the response status is one of "400, 415"

  Rule: UK-REQ-011 UK-REQ-012 the JWS is signed with PS256 or ES256

    @id:UK-JWT-010 @MUST
    Scenario Outline: A registration JWT <how> is refused
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that <rule> accepts

      @UK-REQ-011
      Examples: RS256
        | how                    | mutation  | rule       |
        | signed with RS256      | alg-rs256 | UK-REQ-011 |

      @UK-REQ-012
      Examples: no signature or a MAC
        | how                    | mutation  | rule       |
        | with alg none          | alg-none  | UK-REQ-012 |
        | signed with HS256      | alg-hs256 | UK-REQ-012 |

  Rule: UK-REQ-013 UK-REQ-014 UK-REQ-015 the signature verifies with the SSA's key

    @id:UK-JWT-020 @MUST
    Scenario Outline: A registration JWT <how> is refused
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that <rule> accepts

      @UK-REQ-013
      Examples: wrong key or changed payload
        | how                                               | mutation         | rule       |
        | signed by a key the software_jwks_endpoint lacks  | wrong-key        | UK-REQ-013 |
        | changed after it was signed                       | tampered-payload | UK-REQ-013 |

      @UK-REQ-014
      Examples: embedded key
        | how                                               | mutation         | rule       |
        | signed by a key its own header carries            | uk-embedded-jwk  | UK-REQ-014 |

      @UK-REQ-013
      Examples: the key the request carries
        | how                                                   | mutation              | rule       |
        | signed by a key it carries as its own jwks member     | request-jwks-impostor | UK-REQ-013 |

    @id:UK-JWT-021 @UK-REQ-015 @MUST
    Scenario: A registration JWT whose kid is not in the TPP's JWKS is refused
      Given recipient A signs a registration request with mutation "uk-unknown-kid"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-015 accepts

  Rule: UK-REQ-016 iss is the SSA's software_id

    @id:UK-JWT-030 @UK-REQ-016 @MUST
    Scenario Outline: A registration JWT whose iss <how> is refused
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-016 accepts

      Examples:
        | how                              | mutation             |
        | is missing                       | missing-iss          |
        | names another software product   | iss-not-software-id  |
        | is a host and path               | uk-iss-not-base62    |
        | is empty                         | uk-iss-empty         |
        | is 30 characters long            | uk-iss-30-characters |

  Rule: UK-REQ-017 UK-REQ-018 UK-REQ-019 UK-REQ-020 iat, exp, jti and aud are required; exp not past

    @id:UK-JWT-040 @MUST
    Scenario Outline: A registration JWT that <how> is refused
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that <rule> accepts

      @UK-REQ-017
      Examples: iat
        | how                        | mutation               | rule       |
        | has no iat                 | missing-iat            | UK-REQ-017 |

      @UK-REQ-018
      Examples: exp
        | how                        | mutation               | rule       |
        | has no exp                 | missing-exp            | UK-REQ-018 |
        | expired an hour ago        | uk-expired-an-hour-ago | UK-REQ-018 |
        | expired beyond the skew    | expired                | UK-REQ-018 |

      @UK-REQ-019
      Examples: jti
        | how                        | mutation               | rule       |
        | has no jti                 | missing-jti            | UK-REQ-019 |

      @UK-REQ-020
      Examples: aud
        | how                        | mutation               | rule       |
        | has no aud                 | missing-aud            | UK-REQ-020 |

@area:request-jwt
Feature: The registration request JWT is signed by the recipient and addressed to this holder
  The request is a JWS signed with PS256 or ES256 (FAPI 1.0 Advanced §8.6) by a key published
  at the SSA's jwks_uri; its iss is the software product, its aud this holder's issuer, and it
  carries iat, exp and a jti (CDS "Registration Request using JWT"). Mutations are defined in
  vectors/mutations/registration.yaml.

  Background:
    Given recipient A holds a software statement issued by the Register

  Rule: DCR-REQ-011 only PS256 and ES256 are accepted

    @id:REQ-001 @DCR-REQ-011 @MUST
    Scenario Outline: A request signed with a forbidden algorithm is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-011 accepts

      Examples:
        | mutation  |
        | alg-none  |
        | alg-hs256 |
        | alg-rs256 |

    @id:REQ-002 @DCR-REQ-011 @MUST
    Scenario: A request signed with ES256 by a key at the SSA's jwks_uri is accepted
      Given recipient B holds a software statement issued by the Register
      And recipient B signs a registration request carrying its software statement
      When recipient B posts the registration request
      Then the response status is 201

  Rule: DCR-REQ-012 the signature verifies with the recipient's key from the SSA's jwks_uri

    @id:REQ-003 @DCR-REQ-012 @MUST
    Scenario Outline: A request whose signature does not verify is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-012 accepts

      Examples:
        | mutation              |
        | wrong-key             |
        | tampered-payload      |
        | request-jwks-impostor |

  Rule: DCR-REQ-015 iss is the SSA's software_id

    @id:REQ-004 @DCR-REQ-015 @MUST
    Scenario Outline: A request with a wrong or missing iss is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-015 accepts

      Examples:
        | mutation            |
        | missing-iss         |
        | iss-not-software-id |

  Rule: DCR-REQ-016 aud is the holder's issuer

    @id:REQ-005 @DCR-REQ-016 @MUST
    Scenario Outline: A request with a wrong or missing aud is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-016 accepts

      Examples:
        | mutation    |
        | missing-aud     |
        | wrong-aud       |
        | wrong-aud-array |

  Rule: DCR-REQ-017 iat is required

    @id:REQ-006 @DCR-REQ-017 @MUST
    Scenario: A request without iat is refused
      Given recipient A signs a registration request with mutation "missing-iat"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-017 accepts

    @id:REQ-007 @DCR-REQ-017 @REC
    Scenario: A request issued beyond the clock skew in the future is refused
      Given recipient A signs a registration request with mutation "iat-future-beyond-skew"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-017 accepts

    @id:REQ-008 @DCR-REQ-017 @MUST
    Scenario: A request issued in the future within the clock skew is accepted
      Given recipient A signs a registration request with mutation "iat-future-within-skew"
      When recipient A posts the registration request
      Then the response status is 201

  Rule: DCR-REQ-018 exp is required and an expired request is refused

    @id:REQ-009 @DCR-REQ-018 @MUST
    Scenario Outline: A request without exp or past it is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-018 accepts

      Examples:
        | mutation                 |
        | missing-exp              |
        | expired                  |
        | expired-just-beyond-skew |

    @id:REQ-010 @DCR-REQ-018 @MUST
    Scenario: A request that expired within the clock skew is accepted
      Given recipient A signs a registration request with mutation "expired-within-skew"
      When recipient A posts the registration request
      Then the response status is 201

  Rule: DCR-REQ-019 jti is required

    @id:REQ-011 @DCR-REQ-019 @MUST
    Scenario: A request without jti is refused
      Given recipient A signs a registration request with mutation "missing-jti"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-019 accepts

  Rule: DCR-REQ-021 the request carries a software statement

    @id:REQ-012 @DCR-REQ-021 @MUST
    Scenario Outline: A request without a usable software statement is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-021 accepts

      Examples:
        | mutation                     |
        | missing-software-statement   |
        | software-statement-not-a-jwt |

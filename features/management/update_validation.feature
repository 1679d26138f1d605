@area:management
Feature: An update is validated as a registration is
  PUT /register/{ClientId} takes a signed registration JWT and validates it exactly as POST does
  (CDS "Registration Management"; RFC 7592 §2.2). What POST must refuse, PUT must refuse too.

  Background:
    Given recipient A is registered and holds a registration access token

  Rule: DCR-REQ-010 a body that is not a compact JWS is refused

    # RFC 7591 §3.1 also allows an unsigned JSON request; the CDS takes only a signed JWT.
    @id:MGT-040 @DCR-REQ-010 @DCR-REQ-080 @MUST
    Scenario: An update sent as unsigned JSON claims is refused
      When recipient A updates its registration with its claims unsigned, as JSON
      Then the outcome is one that DCR-REQ-010 accepts

  Rule: DCR-REQ-066 a refused update uses the RFC 7591 error shape

    # The refused URI is not ASCII: a holder that names it in error_description must still
    # write ASCII there (RFC 7591 §3.2.2), as MET-001 checks on POST.
    @id:MGT-058 @DCR-REQ-066 @MUST
    Scenario: A refused update answers with an RFC 7591 error body, its description in ASCII
      When recipient A updates its registration with mutation "redirect-non-ascii"
      Then the response is an RFC 7591 registration error

  # Every registration-request and SSA mutation a POST scenario refuses at MUST is refused on
  # PUT as well, under the same rule (each Examples block is tagged with it, so a profile that
  # does not check the rule does not run its rows). A test keeps the lists in
  # step with the POST scenarios (steps/tests/operations.rs).
  Rule: DCR-REQ-080 PUT is validated exactly as POST is

    @id:MGT-041 @DCR-REQ-080 @MUST
    Scenario Outline: An update signed with mutation <mutation> is refused as POST refuses it
      When recipient A updates its registration with mutation "<mutation>"
      Then the outcome is one that <rule> accepts

      @DCR-REQ-032
      Examples: as MET-010 on POST
        | mutation                        | rule        |
        | auth-method-missing             | DCR-REQ-032 |
        | auth-method-client-secret-basic | DCR-REQ-032 |
        | auth-method-tls-client-auth     | DCR-REQ-032 |

      @DCR-REQ-033
      Examples: as MET-011 on POST
        | mutation                 | rule        |
        | auth-signing-alg-missing | DCR-REQ-033 |
        | auth-signing-alg-hs256   | DCR-REQ-033 |
        | auth-signing-alg-rs256   | DCR-REQ-033 |
        | auth-signing-alg-none    | DCR-REQ-033 |

      @DCR-REQ-034
      Examples: as MET-013 on POST
        | mutation             | rule        |
        | grant-types-missing  | DCR-REQ-034 |
        | grant-types-password | DCR-REQ-034 |
        | grant-types-implicit | DCR-REQ-034 |

      @DCR-REQ-036
      Examples: as MET-015 on POST
        | mutation               | rule        |
        | response-types-missing | DCR-REQ-036 |

      @DCR-REQ-037
      Examples: as MET-016 on POST
        | mutation              | rule        |
        | response-types-hybrid | DCR-REQ-037 |
        | response-types-token  | DCR-REQ-037 |

      @DCR-REQ-038
      Examples: as MET-017 on POST
        | mutation                 | rule        |
        | authz-signed-alg-missing | DCR-REQ-038 |
        | authz-signed-alg-empty   | DCR-REQ-038 |

      @DCR-REQ-039
      Examples: as MET-018 on POST
        | mutation               | rule        |
        | authz-signed-alg-none  | DCR-REQ-039 |
        | authz-signed-alg-rs256 | DCR-REQ-039 |
        | authz-signed-alg-foo   | DCR-REQ-039 |

      @DCR-REQ-041
      Examples: as MET-020 on POST
        | mutation             | rule        |
        | jarm-enc-without-alg | DCR-REQ-041 |

      @DCR-REQ-042
      Examples: as MET-021 on POST
        | mutation             | rule        |
        | jarm-enc-alg-rsa1-5  | DCR-REQ-042 |
        | jarm-enc-enc-a128gcm | DCR-REQ-042 |

      @DCR-REQ-047
      Examples: as MET-025 on POST
        | mutation             | rule        |
        | id-token-alg-missing | DCR-REQ-047 |
        | id-token-alg-none    | DCR-REQ-047 |
        | id-token-alg-rs256   | DCR-REQ-047 |

      @DCR-REQ-050
      Examples: as MET-033 on POST
        | mutation                        | rule        |
        | hybrid-id-token-enc-missing     | DCR-REQ-050 |
        | hybrid-id-token-enc-alg-only    | DCR-REQ-050 |
        | hybrid-id-token-enc-alg-rsa1-5  | DCR-REQ-050 |
        | hybrid-id-token-enc-enc-a128gcm | DCR-REQ-050 |

      @DCR-REQ-051
      Examples: as MET-027 on POST
        | mutation                 | rule        |
        | request-object-alg-rs256 | DCR-REQ-051 |
        | request-object-alg-none  | DCR-REQ-051 |

      @DCR-REQ-053
      Examples: as MET-029 on POST
        | mutation                | rule        |
        | application-type-native | DCR-REQ-053 |

      @DCR-REQ-030
      Examples: as MET-001 on POST
        | mutation             | rule        |
        | redirect-not-in-ssa  | DCR-REQ-030 |
        | redirect-one-outside | DCR-REQ-030 |

      @DCR-REQ-011
      Examples: as REQ-001 on POST
        | mutation  | rule        |
        | alg-none  | DCR-REQ-011 |
        | alg-hs256 | DCR-REQ-011 |
        | alg-rs256 | DCR-REQ-011 |

      @DCR-REQ-012
      Examples: as REQ-003 on POST
        | mutation         | rule        |
        | wrong-key        | DCR-REQ-012 |
        | tampered-payload | DCR-REQ-012 |

      @DCR-REQ-015
      Examples: as REQ-004 on POST
        | mutation            | rule        |
        | missing-iss         | DCR-REQ-015 |
        | iss-not-software-id | DCR-REQ-015 |

      @DCR-REQ-016
      Examples: as REQ-005 on POST
        | mutation    | rule        |
        | missing-aud | DCR-REQ-016 |
        | wrong-aud   | DCR-REQ-016 |

      @DCR-REQ-017
      Examples: as REQ-006 on POST
        | mutation    | rule        |
        | missing-iat | DCR-REQ-017 |

      @DCR-REQ-018
      Examples: as REQ-009 on POST
        | mutation                 | rule        |
        | missing-exp              | DCR-REQ-018 |
        | expired                  | DCR-REQ-018 |
        | expired-just-beyond-skew | DCR-REQ-018 |

      @DCR-REQ-019
      Examples: as REQ-011 on POST
        | mutation    | rule        |
        | missing-jti | DCR-REQ-019 |

      @DCR-REQ-021
      Examples: as REQ-012 on POST
        | mutation                     | rule        |
        | missing-software-statement   | DCR-REQ-021 |
        | software-statement-not-a-jwt | DCR-REQ-021 |

      @DCR-REQ-030
      Examples: as MET-001 on POST, the near-misses a lenient matcher takes
        | mutation                | rule        |
        | redirect-trailing-slash | DCR-REQ-030 |
        | redirect-longer-path    | DCR-REQ-030 |
        | redirect-dot-segments   | DCR-REQ-030 |

      @DCR-REQ-012
      Examples: as REQ-003 on POST, the key the request carries as its jwks
        | mutation              | rule        |
        | request-jwks-impostor | DCR-REQ-012 |

      @DCR-REQ-016
      Examples: as REQ-005 on POST, an aud array of another holder's issuer
        | mutation        | rule        |
        | wrong-aud-array | DCR-REQ-016 |

      @DCR-REQ-030
      Examples: as MET-001 on POST, a URI that is not ASCII
        | mutation           | rule        |
        | redirect-non-ascii | DCR-REQ-030 |

    @id:MGT-042 @DCR-REQ-080 @MUST
    Scenario Outline: An update carrying a software statement with mutation <mutation> is refused as POST refuses it
      When recipient A updates its registration with a software statement with mutation "<mutation>"
      Then the outcome is one that <rule> accepts

      @DCR-REQ-022
      Examples: as SSA-002 on POST
        | mutation         | rule        |
        | unknown-kid      | DCR-REQ-022 |
        | alg-none         | DCR-REQ-022 |
        | hs256-public-key | DCR-REQ-022 |
        | tampered-payload | DCR-REQ-022 |
        | kid-missing      | DCR-REQ-022 |

      @DCR-REQ-023
      Examples: as SSA-003 on POST
        | mutation    | rule        |
        | wrong-iss   | DCR-REQ-023 |
        | missing-iss | DCR-REQ-023 |

      @DCR-REQ-024
      Examples: as SSA-004 on POST
        | mutation                 | rule        |
        | expired                  | DCR-REQ-024 |
        | expired-just-beyond-skew | DCR-REQ-024 |
        | not-yet-valid            | DCR-REQ-024 |
        | missing-exp              | DCR-REQ-024 |

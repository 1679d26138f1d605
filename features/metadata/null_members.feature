@area:metadata
Feature: A member sent as JSON null is treated as a missing one
  RFC 7591 §2 gives each client metadata member a type (a string, an array of strings, a JSON
  object for jwks) and JSON null is none of them: a required member sent as null is still missing, and
  an optional one sent as null is not sent, so it takes its default. Each row sends, as null,
  the members a mutation of the missing-member rows leaves out, and expects what that rule
  expects of the missing member.

  Background:
    Given recipient A holds a software statement issued by the Register

  Rule: a required member sent as null is refused as a missing one is

    @id:NUL-001 @MUST
    Scenario Outline: A request with <member> sent as null is refused as one without it
      Given recipient A signs a registration request with mutation "<mutation>", sending the members it leaves out as JSON null
      When recipient A posts the registration request
      Then the outcome is one that <rule> accepts

      @DCR-REQ-015
      Examples: iss
        | member | mutation    | rule        |
        | iss    | missing-iss | DCR-REQ-015 |

      @DCR-REQ-016
      Examples: aud
        | member | mutation    | rule        |
        | aud    | missing-aud | DCR-REQ-016 |

      @DCR-REQ-017
      Examples: iat
        | member | mutation    | rule        |
        | iat    | missing-iat | DCR-REQ-017 |

      @DCR-REQ-018
      Examples: exp
        | member | mutation    | rule        |
        | exp    | missing-exp | DCR-REQ-018 |

      @DCR-REQ-019
      Examples: jti
        | member | mutation    | rule        |
        | jti    | missing-jti | DCR-REQ-019 |

      @DCR-REQ-021
      Examples: software_statement
        | member             | mutation                   | rule        |
        | software_statement | missing-software-statement | DCR-REQ-021 |

      @DCR-REQ-032
      Examples: token_endpoint_auth_method
        | member                     | mutation            | rule        |
        | token_endpoint_auth_method | auth-method-missing | DCR-REQ-032 |

      @DCR-REQ-033
      Examples: token_endpoint_auth_signing_alg
        | member                          | mutation                 | rule        |
        | token_endpoint_auth_signing_alg | auth-signing-alg-missing | DCR-REQ-033 |

      @DCR-REQ-034
      Examples: grant_types
        | member      | mutation            | rule        |
        | grant_types | grant-types-missing | DCR-REQ-034 |

      @DCR-REQ-036
      Examples: response_types
        | member         | mutation               | rule        |
        | response_types | response-types-missing | DCR-REQ-036 |

      @DCR-REQ-038
      Examples: authorization_signed_response_alg
        | member                            | mutation                 | rule        |
        | authorization_signed_response_alg | authz-signed-alg-missing | DCR-REQ-038 |

      @DCR-REQ-047
      Examples: id_token_signed_response_alg
        | member                       | mutation             | rule        |
        | id_token_signed_response_alg | id-token-alg-missing | DCR-REQ-047 |

  Rule: DCR-REQ-052 an optional member sent as null takes its default

    @id:NUL-002 @DCR-REQ-052 @MUST
    Scenario: request_object_signing_alg sent as null still gets one
      Given recipient A signs a registration request with mutation "request-object-alg-omitted", sending the members it leaves out as JSON null
      When recipient A posts the registration request
      Then the response status is 201
      And the response has a non-empty "request_object_signing_alg"

    @id:NUL-003 @DCR-REQ-054 @SHOULD
    Scenario: application_type sent as null is registered as web
      Given recipient A signs a registration request with mutation "application-type-omitted", sending the members it leaves out as JSON null
      When recipient A posts the registration request
      Then the response status is 201
      And the response "application_type" is "web"

    @id:NUL-004 @DCR-REQ-031 @SHOULD
    Scenario: redirect_uris sent as null registers the SSA's redirect URIs
      Given recipient A signs a registration request with mutation "redirect-omitted", sending the members it leaves out as JSON null
      When recipient A posts the registration request
      Then the response status is 201
      And the response "redirect_uris" is what the software statement of recipient A says

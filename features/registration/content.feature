@area:registration
Feature: The registration request body is a JWT sent as application/jwt
  POST /register takes a compact JWS with Content-Type application/jwt (CDS "Registration
  Request using JWT"). Other media types are unsupported (CDS HTTP response codes: 415); a body
  that is not a compact JWS is refused.

  Background:
    Given recipient A holds a software statement issued by the Register
    And recipient A signs a registration request carrying its software statement

  Rule: DCR-REQ-009 other media types are refused with 415

    @id:REG-010 @DCR-REQ-009 @SHOULD
    Scenario Outline: A registration sent as <content type> is refused as an unsupported media type
      When recipient A posts the registration request as "<content type>"
      Then the outcome is one that DCR-REQ-009 accepts

      Examples:
        | content type                      |
        | application/json                  |
        | text/plain                        |
        | application/x-www-form-urlencoded |
        | no content type                   |

  Rule: DCR-REQ-010 a body that is not a compact JWS is refused

    @id:REG-011 @DCR-REQ-010 @MUST
    Scenario Outline: A malformed registration body is refused (<case>)
      When recipient A posts '<body>' as the registration request
      Then the outcome is one that DCR-REQ-010 accepts

      Examples:
        | case                | body                                  |
        | not a JWT           | hello                                 |
        | two parts           | eyJhbGciOiJQUzI1NiJ9.eyJpc3MiOiJ4In0   |
        | four parts          | a.b.c.d                               |
        | not base64url       | !!!.???.***                           |
        | JSON instead of JWT | {"software_statement":"x"}            |

    # RFC 7591 §3.1 also allows an unsigned JSON request; the CDS takes only a signed JWT, so
    # the same claims (a valid SSA among them) as plain JSON are refused.
    @id:REG-013 @DCR-REQ-010 @MUST
    Scenario: A registration sent as unsigned JSON claims is refused
      When recipient A posts its registration claims unsigned, as JSON
      Then the outcome is one that DCR-REQ-010 accepts

    @id:REG-012 @DCR-REQ-010 @REC
    Scenario: A 1 MiB registration body is refused, and the holder keeps serving
      When recipient A posts a registration body of 1024 KiB
      Then the response status is one of "400, 413"
      When recipient A posts the registration request
      Then the response status is 201

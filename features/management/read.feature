@area:management
Feature: Reading a registration with GET /register/{ClientId}
  Management calls carry a cdr:registration bearer token bound to the caller's client
  certificate (CDS "Registration Management", RFC 7592 §2.1, RFC 6750, RFC 8705).

  Background:
    Given recipient A is registered and holds a registration access token

  Rule: DCR-REQ-078 GET returns the registration as last registered

    @id:MGT-001 @DCR-REQ-078 @MUST
    Scenario: Reading a registration returns it unchanged
      When recipient A reads its registration
      Then the response status is 200
      And the response is the registration recipient A holds

    @id:MGT-011 @DCR-REQ-078 @DCR-REQ-062 @MUST
    Scenario: Reading a registration returns the software statement as submitted
      When recipient A reads its registration
      Then the response status is 200
      And the response "software_statement" is the software statement recipient A submitted, unchanged

  Rule: DCR-REQ-070 a call without a token is refused with 401

    @id:MGT-002 @DCR-REQ-070 @MUST
    Scenario Outline: Recipient A <verb> its registration without a token and is refused
      When recipient A <verb> its registration without a token
      Then the outcome is one that DCR-REQ-070 accepts

      Examples:
        | verb    |
        | reads   |
        | updates |
        | deletes |

  Rule: DCR-REQ-072 a forged token is refused with 401

    @id:MGT-003 @DCR-REQ-072 @MUST
    Scenario Outline: Recipient A <verb> its registration with a forged token and is refused
      When recipient A <verb> its registration with a forged token
      Then the outcome is one that DCR-REQ-072 accepts

      Examples:
        | verb    |
        | reads   |
        | updates |
        | deletes |

  Rule: DCR-REQ-073 a token works only over the certificate it is bound to

    @id:MGT-004 @DCR-REQ-073 @MUST
    Scenario Outline: Recipient A's token sent over recipient B's certificate is refused (<verb>)
      When recipient A <verb> its registration over the certificate of recipient B
      Then the outcome is one that DCR-REQ-073 accepts

      Examples:
        | verb    |
        | reads   |
        | updates |
        | deletes |

  Rule: DCR-REQ-074 a token without cdr:registration is refused with 403

    @id:MGT-005 @DCR-REQ-074 @MUST
    Scenario: A token issued without cdr:registration cannot read the registration
      Given recipient A holds an access token with scope "openid"
      When recipient A reads its registration
      Then the outcome is one that DCR-REQ-074 accepts

  Rule: DCR-REQ-075 another client's or an unknown ClientId is refused with 401

    @id:MGT-006 @DCR-REQ-075 @MUST
    Scenario Outline: Recipient B's token on recipient A's ClientId is refused (<verb>)
      Given recipient B is registered and holds a registration access token
      When recipient B <verb> the registration of recipient A
      Then the outcome is one that DCR-REQ-075 accepts

      Examples:
        | verb    |
        | reads   |
        | updates |
        | deletes |

    @id:MGT-007 @DCR-REQ-075 @MUST
    Scenario Outline: An unknown ClientId is refused (<verb>)
      When recipient A <verb> the registration of an unknown client
      Then the outcome is one that DCR-REQ-075 accepts

      Examples:
        | verb    |
        | reads   |
        | updates |
        | deletes |

  Rule: DCR-REQ-076 the token used on an unknown client is revoked

    @id:MGT-008 @DCR-REQ-076 @SHOULD
    Scenario: After a call on an unknown client the same token no longer works
      When recipient A reads the registration of an unknown client
      And recipient A reads its registration
      Then the outcome is one that DCR-REQ-076 accepts

  Rule: DCR-REQ-071 an expired token is refused with 401

    @id:MGT-009 @DCR-REQ-071 @MUST @slow
    Scenario Outline: Recipient A <verb> its registration with an expired token and is refused
      Given the access token of recipient A has expired
      When recipient A <verb> its registration
      Then the outcome is one that DCR-REQ-071 accepts

      Examples:
        | verb    |
        | reads   |
        | updates |

  Rule: DCR-REQ-005 management calls require mutual TLS

    @id:MGT-010 @DCR-REQ-005 @MUST
    Scenario Outline: Recipient A <verb> its registration <how> and is refused
      When recipient A <verb> its registration <how>
      Then the outcome is one that DCR-REQ-005 accepts

      Examples:
        | verb    | how                                |
        | reads   | without-a-client-certificate       |
        | updates | without-a-client-certificate       |
        | deletes | without-a-client-certificate       |
        | reads   | with-a-certificate-from-another-CA |
        | updates | with-a-certificate-from-another-CA |
        | deletes | with-a-certificate-from-another-CA |

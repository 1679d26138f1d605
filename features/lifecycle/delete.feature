@area:lifecycle
Feature: Deleting a registration with DELETE /register/{ClientId}
  DELETE is optional for a holder; when offered it answers 204 and the client_id and its
  credentials stop working (CDS "Registration Management", RFC 7592 §2.3).

  Background:
    Given recipient A is registered and holds a registration access token

  Rule: DCR-REQ-087 DELETE is offered, or refused with 405

    @id:LIF-001 @DCR-REQ-087 @MUST
    Scenario: DELETE answers 204 or 405
      When recipient A deletes its registration
      Then the outcome is one that DCR-REQ-087 accepts

  Rule: DCR-REQ-088 a deleted registration is gone

    @id:LIF-002 @DCR-REQ-088 @MUST
    Scenario: DELETE answers 204 with an empty body
      When recipient A deletes its registration
      Then the outcome is one that DCR-REQ-088 accepts
      And the response has an empty body

    @id:LIF-003 @DCR-REQ-088 @SHOULD
    Scenario: After DELETE the client cannot obtain tokens
      When recipient A deletes its registration
      And recipient A requests an access token with scope "cdr:registration"
      Then the outcome is one that DCR-REQ-069 accepts

    @id:LIF-007 @DCR-REQ-088 @MUST
    Scenario: After DELETE the client_id no longer reads its registration
      When recipient A deletes its registration
      And recipient A reads its registration
      Then the response status is one of "400, 401, 403, 404, 410"

  Rule: DCR-REQ-079 GET after DELETE is refused with 401

    @id:LIF-004 @DCR-REQ-079 @MUST
    Scenario Outline: Recipient A <verb> its registration after deleting it and is refused
      When recipient A deletes its registration
      And recipient A <verb> its registration
      Then the outcome is one that DCR-REQ-079 accepts

      Examples:
        | verb    |
        | reads   |
        | updates |

  Rule: DCR-REQ-059 the software product can register again after DELETE

    @id:LIF-005 @DCR-REQ-059 @REC
    Scenario: A deleted software product registers again
      When recipient A deletes its registration
      And recipient A registers again with the same software product
      Then the outcome is one that DCR-REQ-059 accepts

  Rule: DCR-REQ-089 DELETE with an expired token is refused

    @id:LIF-006 @DCR-REQ-089 @MUST @slow
    Scenario: Deleting with an expired token is refused
      Given the access token of recipient A has expired
      When recipient A deletes its registration
      Then the outcome is one that DCR-REQ-089 accepts

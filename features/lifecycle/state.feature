@area:lifecycle
Feature: What a registration's life leaves behind: refused updates change nothing, and nothing of a deleted registration carries over
  A check on one response cannot see state that outlives what should end it. These scenarios
  read back after a refusal or a deletion (RFC 7592 §2.2, §2.3; CDS "Registration Management").

  Background:
    Given recipient A is registered and holds a registration access token

  # DCR-REQ-080: PUT is validated as POST is. A POST that is refused registers nothing; a PUT
  # that is refused updates nothing: the registration read back is the one held before. Each
  # row asks for a change the registration would show if it had been applied.
  Rule: DCR-REQ-080 a refused update leaves the registration as it was

    @id:LIF-010 @DCR-REQ-080 @MUST
    Scenario Outline: After an update refused for <mutation>, the registration is unchanged
      When recipient A updates its registration with mutation "<mutation>"
      Then the outcome is one that <rule> accepts
      When recipient A reads its registration
      Then the response status is 200
      And the response is the registration recipient A holds

      Examples:
        | mutation               | rule        |
        | redirect-not-in-ssa    | DCR-REQ-030 |
        | auth-signing-alg-rs256 | DCR-REQ-033 |
        | grant-types-password   | DCR-REQ-034 |

  # RFC 7592 §2.3: after a DELETE the client_id and its credentials are invalid, and the tokens
  # issued to it SHOULD be invalidated. A token from before the DELETE must not manage the
  # registration made after it, and the deleted client_id is not handed out again.
  Rule: DCR-REQ-088 a deleted registration is gone

    @id:LIF-008 @DCR-REQ-088 @SHOULD
    Scenario: A token issued before DELETE does not manage the registration made after it
      When recipient A deletes its registration
      Then the outcome is one that DCR-REQ-088 accepts
      When recipient A registers again with the same software product, keeping the token it held
      And recipient A reads its registration
      Then the response status is one of "400, 401, 403"

    @id:LIF-009 @DCR-REQ-088 @SHOULD
    Scenario: Registering again after DELETE issues another client_id
      When recipient A deletes its registration
      Then the outcome is one that DCR-REQ-088 accepts
      When recipient A registers again with the same software product, keeping the token it held
      Then recipient A's new client_id differs from the deleted one

    # RFC 7592 §2.3: a client that does not exist is answered 401 (any refusal is accepted
    # here, as in LIF-007); a DELETE is not a no-op the second time.
    @id:LIF-011 @DCR-REQ-088 @MUST
    Scenario: A second DELETE of the same registration is refused
      When recipient A deletes its registration
      Then the outcome is one that DCR-REQ-088 accepts
      When recipient A deletes its registration
      Then the response status is one of "400, 401, 403, 404, 410"

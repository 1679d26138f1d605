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

@area:metadata
Feature: Redirect URIs come from the software statement
  The request's redirect_uris must be among the SSA's (CDS "Registration Request using JWT");
  without them the SSA's list is registered.

  Background:
    Given recipient A holds a software statement issued by the Register

  Rule: DCR-REQ-030 each requested redirect URI is in the SSA

    @id:MET-001 @DCR-REQ-030 @MUST
    Scenario Outline: A redirect URI the SSA does not list is refused (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-030 accepts
      And the response is an RFC 7591 registration error

      Examples:
        | mutation                |
        | redirect-not-in-ssa     |
        | redirect-one-outside    |
        | redirect-trailing-slash |
        | redirect-longer-path    |
        | redirect-dot-segments   |
        | redirect-non-ascii      |

    @id:MET-002 @DCR-REQ-030 @MUST
    Scenario: A subset of the SSA's redirect URIs is registered as requested
      Given recipient A signs a registration request with mutation "redirect-subset"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "redirect_uris" is what recipient A requested

  Rule: DCR-REQ-031 without redirect_uris the SSA's list is registered

    @id:MET-003 @DCR-REQ-031 @SHOULD
    Scenario: A request without redirect_uris registers the SSA's redirect URIs
      Given recipient A signs a registration request with mutation "redirect-omitted"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "redirect_uris" is what the software statement of recipient A says

  Rule: DCR-REQ-094 redirect URIs are compared exactly

    @id:MET-004 @DCR-REQ-094 @REC
    Scenario: A redirect URI differing from the SSA's only in the case of its path is refused
      Given recipient A signs a registration request with mutation "redirect-case-variant"
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-094 accepts

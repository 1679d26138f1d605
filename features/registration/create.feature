@area:registration
Feature: Registering a software product with POST /register
  A Data Recipient registers a software product by posting a registration request JWT, signed
  with a key published at the jwks_uri of its software statement, to the registration endpoint
  over mutual TLS (CDS "Registration Request using JWT", RFC 7591 §3.1).

  Background:
    Given recipient A holds a software statement issued by the Register

  Rule: DCR-REQ-060 a valid registration is answered 201 Created with the registration

    @id:REG-001 @DCR-REQ-060 @DCR-REQ-061 @MUST
    Scenario: A valid registration request signed with PS256 is accepted
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response is JSON
      And the response has a non-empty "client_id"
      And the response "client_id_issued_at", if present, is a time in seconds since the epoch within an hour of now
      And the response body matches the snapshot "register-created"

  Rule: DCR-REQ-062 the response returns the software statement as submitted

    @id:REG-002 @DCR-REQ-062 @MUST
    Scenario: The registration response returns the software statement unchanged
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response "software_statement" is the software statement recipient A submitted, unchanged

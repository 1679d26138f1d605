@area:management
Feature: WSO2 CDS toolkit DCR 0.2 behaviour its documentation and code describe
  Statuses, members and bodies of the 0.2 release (features/SOURCES.md#wso2-cds-02; seed 003's
  samples). These rules are the profile wso2-cds-0.2's own (features/profiles/wso2-cds-0.2.yaml).

  Rule: WSO2-CDS02-025 an unknown ClientId gets the gateway's body

    @id:W02-025 @WSO2-CDS02-025 @IMPL
    Scenario Outline: An unknown ClientId is refused with WSO2's body (<operation>)
      Given recipient A is registered and holds a registration access token
      When recipient A <operation> the registration of an unknown client
      Then the outcome is one that WSO2-CDS02-025 accepts

      Examples:
        | operation |
        | reads     |
        | updates   |
        | deletes   |

  Rule: WSO2-CDS02-027 a JSON registration is an unsupported media type

    @id:W02-027 @WSO2-CDS02-027 @MUST @area:transport
    Scenario: A registration sent as application/json is refused with 415
      Given recipient A holds a software statement issued by the Register
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request as "application/json"
      Then the outcome is one that WSO2-CDS02-027 accepts

  Rule: WSO2-CDS02-029 the gateway refuses a call without a token as invalid_client

    @id:W02-029 @WSO2-CDS02-029 @IMPL
    Scenario: A read without a token is refused with 401 invalid_client
      Given recipient A is registered and holds a registration access token
      When recipient A reads its registration without a token
      Then the outcome is one that WSO2-CDS02-029 accepts

  Rule: WSO2-CDS02-030 other methods on a registration answer 405

    @id:W02-030 @WSO2-CDS02-030 @IMPL
    Scenario Outline: <method> on a registration answers 405
      Given recipient A is registered and holds a registration access token
      When recipient A sends <method> to its registration
      Then the outcome is one that WSO2-CDS02-030 accepts

      Examples:
        | method  |
        | PATCH   |
        | HEAD    |
        | OPTIONS |
        | TRACE   |

  Rule: WSO2-CDS02-032 the caller's token is echoed on GET and PUT, never on POST

    @id:W02-032 @WSO2-CDS02-032 @IMPL @area:registration
    Scenario: POST answers without registration_access_token, GET and PUT with the caller's token
      Given recipient A is registered and holds a registration access token
      Then the registration recipient A holds has no "registration_access_token"
      And the registration recipient A holds has no "registration_client_uri"
      When recipient A reads its registration
      Then the response status is 200
      And the response "registration_access_token" is the access token recipient A sent
      And the response has no "registration_client_uri"
      When recipient A updates its registration
      Then the response status is 200
      And the response "registration_access_token" is the access token recipient A sent

  Rule: WSO2-CDS02-033 the request object signing algorithm defaults to PS256

    @id:W02-033 @WSO2-CDS02-033 @IMPL @area:metadata
    Scenario: Without request_object_signing_alg the response says PS256
      Given recipient A holds a software statement issued by the Register
      And recipient A signs a registration request with mutation "request-object-alg-omitted"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-033 accepts
      And the response "request_object_signing_alg" is "PS256"

  Rule: WSO2-CDS02-034 id_token encryption is registered with response type code

    @id:W02-034 @WSO2-CDS02-034 @IMPL @area:metadata
    Scenario: Valid id_token encryption members sent with response type code are registered and returned
      Given recipient A holds a software statement issued by the Register
      And recipient A signs a registration request with mutation "id-token-encryption-with-code"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-034 accepts
      And the response "id_token_encrypted_response_alg" is "RSA-OAEP"
      And the response "id_token_encrypted_response_enc" is "A256GCM"

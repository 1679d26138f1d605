@area:registration
Feature: WSO2 CDS toolkit DCR 0.2 refuses with the strings its tests assert
  The toolkit's validators report the first violation as <description>:<code>, split into
  error_description and error (features/SOURCES.md#wso2-accelerator), and name fields by their
  Java bean names. The strings below are asserted by WSO2's own CDS tests
  (features/SOURCES.md#wso2-cds-02-strings). These rules are the profile wso2-cds-0.2's own
  (features/profiles/wso2-cds-0.2.yaml); they run only under it.

  Background:
    Given recipient A holds a software statement issued by the Register

  Rule: WSO2-CDS02-001 a missing software statement is named

    @id:W02-001 @WSO2-CDS02-001 @IMPL
    Scenario: A request without software_statement is refused with WSO2's text
      Given recipient A signs a registration request with mutation "missing-software-statement"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-001 accepts

  Rule: WSO2-CDS02-002 a malformed software statement is named

    @id:W02-002 @WSO2-CDS02-002 @IMPL
    Scenario: A software_statement that is not a JWT is refused as a malformed request JWT
      Given recipient A signs a registration request with mutation "software-statement-not-a-jwt"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-002 accepts

  Rule: WSO2-CDS02-004 a bad request signature is named

    @id:W02-004 @WSO2-CDS02-004 @IMPL
    Scenario: A request signed by a key not at the SSA's jwks_uri is refused as an invalid request signature
      Given recipient A signs a registration request with mutation "wrong-key"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-004 accepts

  Rule: WSO2-CDS02-005 a missing required parameter is named by its bean name

    @id:W02-005 @WSO2-CDS02-005 @IMPL
    Scenario Outline: A request without <member> is refused naming the required parameter
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-005 accepts

      Examples:
        | member                          | mutation                 |
        | token_endpoint_auth_signing_alg | auth-signing-alg-missing |
        | token_endpoint_auth_method      | auth-method-missing      |
        | grant_types                     | grant-types-missing      |
        | response_types                  | response-types-missing   |
        | id_token_signed_response_alg    | id-token-alg-missing     |

  Rule: WSO2-CDS02-011 a foreign audience is named

    @id:W02-011 @WSO2-CDS02-011 @IMPL
    Scenario: A request addressed to another audience is refused with WSO2's text
      Given recipient A signs a registration request with mutation "wrong-aud"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-011 accepts

  Rule: WSO2-CDS02-012 disallowed grant types are named

    @id:W02-012 @WSO2-CDS02-012 @IMPL
    Scenario Outline: Grant types outside the allowed values are refused with WSO2's text (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-012 accepts

      Examples:
        | mutation              |
        | grant-types-password  |
        | grant-types-implicit  |

  Rule: WSO2-CDS02-013 disallowed response types are named

    @id:W02-013 @WSO2-CDS02-013 @IMPL
    Scenario Outline: Response types other than code are refused with WSO2's text (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-013 accepts

      Examples:
        | mutation              |
        | response-types-hybrid |
        | response-types-token  |

  Rule: WSO2-CDS02-014 a disallowed application type is named

    @id:W02-014 @WSO2-CDS02-014 @IMPL
    Scenario: application_type native is refused with WSO2's text
      Given recipient A signs a registration request with mutation "application-type-native"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-014 accepts

  Rule: WSO2-CDS02-015 a disallowed token endpoint auth method is named

    @id:W02-015 @WSO2-CDS02-015 @IMPL
    Scenario Outline: A token endpoint auth method other than private_key_jwt is refused with WSO2's text (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-015 accepts

      Examples:
        | mutation                       |
        | auth-method-client-secret-basic |
        | auth-method-tls-client-auth    |

  Rule: WSO2-CDS02-017 an iss other than the software_id is named

    @id:W02-017 @WSO2-CDS02-017 @IMPL
    Scenario: A request whose iss is not the SSA's software_id is refused as an invalid issuer
      Given recipient A signs a registration request with mutation "iss-not-software-id"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-017 accepts

  Rule: WSO2-CDS02-018 a disallowed signing algorithm is named

    @id:W02-018 @WSO2-CDS02-018 @IMPL
    Scenario Outline: A signing algorithm outside the allowed list is refused with WSO2's text (<mutation>)
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-018 accepts

      Examples:
        | mutation                 |
        | auth-signing-alg-hs256   |
        | auth-signing-alg-rs256   |
        | request-object-alg-rs256 |
        | id-token-alg-rs256       |

  Rule: WSO2-CDS02-021 redirect URIs outside the SSA are named

    @id:W02-021 @WSO2-CDS02-021 @IMPL
    Scenario: A redirect URI the SSA does not list is refused as invalid callback uris
      Given recipient A signs a registration request with mutation "redirect-not-in-ssa"
      When recipient A posts the registration request
      Then the outcome is one that WSO2-CDS02-021 accepts

  Rule: WSO2-CDS02-022 a duplicate registration names the existing application

    @id:W02-022 @WSO2-CDS02-022 @IMPL
    Scenario: A second registration of the software product is refused naming the existing application
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      Given recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request again
      Then the outcome is one that WSO2-CDS02-022 accepts

@area:metadata
Feature: The client metadata a UK ASPSP registers
  The request's metadata follows the DCR 3.2/3.3 data dictionary: redirect URIs from the SSA's
  software_redirect_uris, a token endpoint auth method with the members it needs, grant and
  response types from the enums, a scope the SSA's roles allow, an application type and the
  signing algorithms. Where the ASPSP does not support a value it may refuse the request or
  register a value it supports and say so in the answer (DCR32 §Data Dictionary; the rules
  with accepts [201, 400]): a 201 must then carry an allowed value.

  Background:
    Given recipient A holds a software statement issued by the OB Directory

  Rule: UK-REQ-030 a software_id claim matches the SSA's

    @id:UK-MET-001 @UK-REQ-030 @MUST
    Scenario: A request whose software_id names another software statement is refused
      Given recipient A signs a registration request with mutation "uk-software-id-other"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-030 accepts

    @id:UK-MET-002 @UK-REQ-030 @UK-REQ-048 @MUST
    Scenario: A request without the optional software_id claim is registered
      Given recipient A signs a registration request with mutation "uk-software-id-omitted"
      When recipient A posts the registration request
      Then the response status is 201

  Rule: UK-REQ-031 UK-REQ-032 redirect URIs are https, not localhost, and the SSA's

    @id:UK-MET-010 @UK-REQ-031 @MUST
    Scenario Outline: A request for <what> is refused, though the SSA lists it
      Given recipient A holds a software statement with mutation "<ssa>"
      And recipient A signs a registration request with mutation "<request>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-031 accepts

      Examples:
        | what                       | ssa                              | request               |
        | an http redirect URI       | uk-ssa-redirect-http-listed      | uk-redirect-http      |
        | a localhost redirect URI   | uk-ssa-redirect-localhost-listed | uk-redirect-localhost |

    @id:UK-MET-011 @UK-REQ-031 @MUST
    Scenario: A request with an empty redirect_uris list is refused
      Given recipient A signs a registration request with mutation "uk-redirect-empty"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-031 accepts

    @id:UK-MET-012 @UK-REQ-032 @MUST
    Scenario Outline: A request for <what> is refused
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-032 accepts

      Examples:
        | what                                              | mutation             |
        | a redirect URI the SSA does not list               | redirect-not-in-ssa  |
        | the SSA's redirect URIs and one the SSA lacks      | redirect-one-outside |
        | a redirect URI that differs from the SSA's in case | redirect-case-variant |
        | an SSA redirect URI with a trailing slash          | redirect-trailing-slash |
        | an SSA redirect URI with a longer path             | redirect-longer-path |
        | a URI that normalises to an SSA redirect URI       | redirect-dot-segments |

    @id:UK-MET-013 @UK-REQ-032 @UK-REQ-053 @MUST
    Scenario: A request for some of the SSA's redirect URIs registers those
      Given recipient A signs a registration request with mutation "redirect-subset"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "redirect_uris" is what recipient A requested

    @id:UK-MET-014 @UK-REQ-033 @SHOULD
    Scenario: A request without redirect_uris registers the SSA's, or is refused
      Given recipient A signs a registration request with mutation "redirect-omitted"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-033 accepts
      And a registration the holder created has "redirect_uris" holding only values the software statement of recipient A lists

  Rule: UK-REQ-034 UK-REQ-035 UK-REQ-036 the token endpoint auth method and what it needs

    @id:UK-MET-020 @UK-REQ-034 @MUST
    Scenario Outline: A request whose token_endpoint_auth_method <how> is refused or replaced
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-034 accepts
      And a registration the holder created has "token_endpoint_auth_method" one of "private_key_jwt, client_secret_jwt, client_secret_basic, client_secret_post, tls_client_auth"

      Examples:
        | how             | mutation               |
        | is missing      | auth-method-missing    |
        | is not a method | uk-auth-method-unknown |

    @id:UK-MET-021 @UK-REQ-035 @MUST
    Scenario: A private_key_jwt request without token_endpoint_auth_signing_alg is refused
      Given recipient A signs a registration request with mutation "auth-signing-alg-missing"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-035 accepts

    @id:UK-MET-022 @UK-REQ-036 @MUST
    Scenario Outline: A request with <how> is refused
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-036 accepts

      Examples:
        | how                                              | mutation                      |
        | tls_client_auth but no tls_client_auth_subject_dn | uk-tls-client-auth-without-dn |
        | private_key_jwt and a tls_client_auth_subject_dn  | uk-dn-with-private-key-jwt    |

  Rule: UK-REQ-044 a value the ASPSP does not advertise is refused or replaced

    @id:UK-MET-023 @UK-REQ-044 @MUST
    Scenario: A request for client_secret_jwt is refused, or registered with a method discovery lists
      Given recipient A signs a registration request with mutation "uk-auth-method-client-secret-jwt"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-044 accepts
      And a registration the holder created has "token_endpoint_auth_method" listed in the discovery "token_endpoint_auth_methods_supported"

  Rule: UK-REQ-037 UK-REQ-038 grant and response types from the enums

    @id:UK-MET-030 @UK-REQ-037 @MUST
    Scenario Outline: A request whose grant_types <how> is refused or replaced
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-037 accepts
      And a registration the holder created has "grant_types" holding only values from "<allowed>"

      Examples:
        | how                       | mutation             | allowed                                                 |
        | is missing                | grant-types-missing  | client_credentials, authorization_code, refresh_token |
        | is empty                  | uk-grant-types-empty | client_credentials, authorization_code, refresh_token |
        | holds password among them | grant-types-password | client_credentials, authorization_code, refresh_token |

    @id:UK-MET-031 @UK-REQ-038 @MUST
    Scenario: A request with response_types id_token and token is refused
      Given recipient A signs a registration request with mutation "uk-response-types-id-token-token"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-038 accepts

  Rule: UK-REQ-040 UK-REQ-041 scope is a string the SSA's roles allow

    @id:UK-MET-040 @UK-REQ-040 @MUST
    Scenario Outline: A request whose scope <how> is refused or given default scopes
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-040 accepts
      And a registration the holder created has "scope" holding only values from "openid, accounts, payments, fundsconfirmations"

      Examples:
        | how          | mutation          |
        | is missing   | uk-scope-missing  |
        | is an array  | uk-scope-as-array |

    @id:UK-MET-042 @UK-REQ-053 @MUST
    Scenario: A request listing its scopes in another order registers the same scopes
      Given recipient A signs a registration request with mutation "uk-scope-reordered"
      When recipient A posts the registration request
      Then the response status is 201
      And the response "scope" is what recipient A requested

    @id:UK-MET-041 @UK-REQ-041 @MUST
    Scenario: A request for payments with an SSA that has the AISP role only is refused
      Given recipient A holds a software statement with mutation "uk-ssa-aisp-only"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-041 accepts

  Rule: UK-REQ-042 UK-REQ-043 application type and signing algorithms

    @id:UK-MET-050 @UK-REQ-042 @MUST
    Scenario Outline: A request whose application_type <how> is refused or replaced
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-042 accepts
      And a registration the holder created has "application_type" one of "web, mobile"

      Examples:
        | how             | mutation                    |
        | is missing      | application-type-omitted    |
        | is service      | uk-application-type-service |
        | is native (3.4) | application-type-native     |

    @id:UK-MET-051 @UK-REQ-042 @MUST
    Scenario: A request for a mobile application is registered or given another application type
      Given recipient A signs a registration request with mutation "uk-application-type-mobile"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-042 accepts
      And a registration the holder created has "application_type" one of "web, mobile"

    @id:UK-MET-052 @UK-REQ-043 @MUST
    Scenario Outline: A request whose <member> <how> is refused or replaced
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-043 accepts
      And a registration the holder created has "<member>" one of "PS256, ES256"

      Examples:
        | member                       | how        | mutation                   |
        | id_token_signed_response_alg | is missing | id-token-alg-missing       |
        | id_token_signed_response_alg | is RS256   | id-token-alg-rs256         |
        | request_object_signing_alg   | is missing | request-object-alg-omitted |
        | request_object_signing_alg   | is RS256   | request-object-alg-rs256   |

  Rule: UK-REQ-046 3.3 CIBA metadata

    @id:UK-MET-060 @UK-REQ-046 @MUST
    Scenario Outline: A CIBA registration that <how> is refused
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-046 accepts

      Examples:
        | how                                         | mutation                      |
        | has no backchannel_token_delivery_mode      | uk-ciba-without-delivery-mode |
        | has no request signing algorithm            | uk-ciba-without-signing-alg   |
        | asks for ping without a notification URL    | uk-ciba-ping-without-endpoint |
        | says the user code parameter is supported   | uk-ciba-user-code-true        |

    @id:UK-MET-061 @UK-REQ-046 @MUST
    Scenario Outline: A valid CIBA registration with <mode> delivery is registered by an ASPSP that offers CIBA
      Given recipient A signs a registration request with mutation "<mutation>"
      When recipient A posts the registration request
      Then the response status is one of "201, 400"
      And a registration the holder created has "backchannel_token_delivery_mode" one of "<mode>"
      And a registration the holder created has "backchannel_authentication_request_signing_alg" one of "PS256"

      Examples:
        | mode | mutation     |
        | poll | uk-ciba-poll |
        | ping | uk-ciba-ping |

  Rule: UK-REQ-047 3.2 does not have the CIBA grant

    @id:UK-MET-070 @UK-REQ-047 @MAY
    Scenario: A 3.2 ASPSP refuses the CIBA grant or registers without it
      Given recipient A signs a registration request with mutation "uk-ciba-poll"
      When recipient A posts the registration request
      Then the outcome is one that UK-REQ-047 accepts
      And a registration the holder created has "grant_types" holding only values from "client_credentials, authorization_code, refresh_token"

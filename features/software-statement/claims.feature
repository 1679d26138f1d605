@area:software-statement
Feature: The software statement carries what the Register always puts in it
  A software statement issued by the Register always holds the members the CDS SSA definition
  marks required; a holder that cannot find them cannot build a registration. Unsupported scopes
  are dropped silently (CDS: holders MUST ignore unsupported scopes).

  Rule: DCR-REQ-026 an SSA missing a mandatory claim is refused

    @id:SSA-010 @DCR-REQ-026 @REC
    Scenario Outline: An SSA without <claim> is refused
      Given recipient A holds a software statement with mutation "missing-<claim>"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-026 accepts

      Examples:
        | claim              |
        | software_id        |
        | jwks_uri           |
        | redirect_uris      |
        | org_id             |
        | org_name           |
        | client_name        |
        | client_description |
        | client_uri         |
        | logo_uri           |
        | recipient_base_uri |
        | scope              |
        | software_roles     |
        | jti                |

    # The same claims sent as JSON null: null is not a string or a list, so the claim is not
    # there (as NUL-001 for the request's members).
    @id:SSA-015 @DCR-REQ-026 @REC
    Scenario Outline: An SSA with <claim> sent as null is refused as one without it
      Given recipient A holds a software statement with mutation "missing-<claim>", sending the claims it leaves out as JSON null
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-026 accepts

      Examples:
        | claim              |
        | software_id        |
        | jwks_uri           |
        | redirect_uris      |
        | org_id             |
        | org_name           |
        | client_name        |
        | client_description |
        | client_uri         |
        | logo_uri           |
        | recipient_base_uri |
        | scope              |
        | software_roles     |
        | jti                |

  Rule: DCR-REQ-027 software_roles names a recipient software product

    @id:SSA-011 @DCR-REQ-027 @MAY
    Scenario: An SSA whose software_roles is not a recipient software product is refused
      Given recipient A holds a software statement with mutation "wrong-software-roles"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-027 accepts

  Rule: DCR-REQ-057 unsupported SSA scopes are dropped silently

    @id:SSA-012 @DCR-REQ-057 @MUST
    Scenario: Scopes the holder does not support are dropped, not refused
      Given recipient A holds a software statement with mutation "unsupported-scopes"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response "scope" does not contain the value "made:up:scope"
      And the response "scope" does not contain the value "unknown:thing:write"
      And the response "scope" does not contain the value "admin:metadata:update"
      And the response "scope" contains the value "openid"
      And the response "scope" contains the value "bank:accounts.basic:read"

    # RFC 6749 §3.3: the order of scope values does not matter.
    @id:SSA-020 @DCR-REQ-057 @MUST
    Scenario: An SSA listing its scopes in another order registers the same scopes
      Given recipient A holds a software statement with mutation "scope-reordered"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the response status is 201
      And the response "scope" is what the software statement of recipient A says

  Rule: DCR-REQ-013 the SSA jwks_uri must be an absolute URL (reference implementation)

    @id:SSA-013 @DCR-REQ-013 @IMPL
    Scenario: An SSA with a relative jwks_uri is refused
      Given recipient A holds a software statement with mutation "jwks-uri-relative"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-013 accepts

  Rule: DCR-REQ-014 an unreachable recipient JWKS fails the registration (reference implementation)

    @id:SSA-014 @DCR-REQ-014 @IMPL
    Scenario: An SSA whose jwks_uri cannot be fetched is refused
      Given recipient A holds a software statement with mutation "jwks-uri-unreachable"
      And recipient A signs a registration request carrying its software statement
      When recipient A posts the registration request
      Then the outcome is one that DCR-REQ-014 accepts

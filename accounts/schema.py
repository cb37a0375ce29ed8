"""How the OpenAPI schema describes authentication by API key (loaded by the app config)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API key (issued in the admin) or a login token (POST /api/auth), sent as "
                "`Authorization: Bearer <key>`; `Token <key>` is accepted too. (The Lab API "
                "v2 vendor documents no authentication: requiring a key is ours.)"
            ),
        }

"""API partners authenticate with ``recipeid`` and ``partnerBillingKey`` in the query string."""

from urllib.parse import unquote

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts import credentials
from accounts.authentication import note_use
from accounts.models import hash_api_key

from .inputs import query_values

MAX_KEY_LENGTH = 200
PAIR_REQUIRED = "Send both recipeid and partnerBillingKey, once each"
WRONG_PAIR = "Unknown or inactive partner, or a partnerBillingKey that does not match its recipeid"


def key_candidates(sent: str) -> set[str]:
    """What the partner's key may be, given what arrived (already URL-decoded once).

    The contract tells partners to URL-encode the key, and many clients encode the whole query
    string again: a key ``a+b/c=`` then arrives as ``a%2Bb%2Fc%3D`` and is decoded once more.
    A key sent without encoding loses its ``+`` to a space (keys never contain spaces).
    """
    return {sent, unquote(sent), sent.replace(" ", "+")}


class PartnerAuthentication(BaseAuthentication):
    """``?recipeid=<public id>&partnerBillingKey=<secret key>``; parameter names in any case.

    Without either parameter it passes, so an ``Authorization`` API key may authenticate.
    """

    def authenticate(self, request):
        recipe_ids = set(query_values(request, "recipeid"))
        keys = set(query_values(request, "partnerBillingKey"))
        if not recipe_ids and not keys:
            return None
        if len(recipe_ids) != 1 or len(keys) != 1:
            raise AuthenticationFailed(PAIR_REQUIRED)
        [recipe_id], [sent_key] = recipe_ids, keys
        # No recipe id holds a NUL, and PostgreSQL refuses to compare text holding one.
        if not recipe_id or "\x00" in recipe_id or not sent_key or len(sent_key) > MAX_KEY_LENGTH:
            raise AuthenticationFailed(WRONG_PAIR)
        key_hashes = frozenset(hash_api_key(key) for key in key_candidates(sent_key))
        partner = credentials.usable_partner(recipe_id, key_hashes)
        if partner is None:
            raise AuthenticationFailed(WRONG_PAIR)
        note_use(partner)
        return partner.user, partner

    def authenticate_header(self, request) -> str:
        # A 401 must name a scheme; the query parameters have none, the API key alternative has.
        return 'Bearer realm="labsite"'


class PartnerAuthenticationScheme(OpenApiAuthenticationExtension):
    """Describes the partner's two query parameters as one security requirement (both needed)."""

    target_class = PartnerAuthentication
    name = ["recipeid", "partnerBillingKey"]

    def get_security_definition(self, auto_schema):
        return [
            {
                "type": "apiKey",
                "in": "query",
                "name": "recipeid",
                "description": "The API partner's public recipe id (parameter name in any case).",
            },
            {
                "type": "apiKey",
                "in": "query",
                "name": "partnerBillingKey",
                "description": "The API partner's secret billing key, URL-encoded.",
            },
        ]

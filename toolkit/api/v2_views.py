"""The base view of the Lab API v2, shared by every app that answers under ``/api/v2/``.

Each app's views say which of its domain errors answer which status (``error_statuses``, the
face's table for that app); everything else leaves through the v2 envelope.
"""

from typing import ClassVar

from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from toolkit.api import v2 as envelope
from toolkit.api.schema import V2AutoSchema
from toolkit.errors import DomainError, looked_up


class V2View(APIView):
    """Base of every Lab API v2 view: API-key auth, per-method rights, the v2 envelope."""

    # HTTP method -> the right it needs: an entry of the apps' rights table
    # (``accounts.rights.Right``, a permission string), or None for any valid key.
    required_rights: ClassVar[dict[str, str | None]] = {}
    # Domain error class -> HTTP status; a class not listed answers as its nearest listed base
    # class, else 400.
    error_statuses: ClassVar[dict[type[DomainError], int]] = {}
    schema = V2AutoSchema()

    def get_exception_handler(self):
        return self.handle_v2_exception

    def handle_v2_exception(self, exc, context) -> Response:
        if isinstance(exc, DomainError):
            set_rollback()
            return Response(
                envelope.error_body(exc.message, exc.details),
                status=looked_up(self.error_statuses, exc, 400),
            )
        return envelope.drf_exception_handler(exc, context)


class UnknownRouteView(V2View):
    """Anything under /api/v2/ that matches no endpoint: 404 in the envelope (after auth)."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    schema = None  # not an endpoint: left out of the OpenAPI schema

    def _not_found(self, request, *args, **kwargs):
        return Response(envelope.not_found_body(request), status=404)

    get = post = put = patch = delete = head = options = _not_found

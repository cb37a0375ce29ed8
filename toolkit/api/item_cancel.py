"""The item-cancel envelope (``PUT /api/orderCancel``), its answers and errors alike::

    {"HadError": true, "Errors": [{"PropertyName", "AttemptedValue", "ErrorMessage",
     "CustomState"}, ...], "Success": [<item id>, ...], "ErrorReferenceCode": "<uuid>"}

Every answer under /api/orderCancel leaves in this shape, whether the view, DRF, Django's URL
resolver or a bug produced it. An answer with errors carries a new ``ErrorReferenceCode``,
written on a log line (with the request id), so what a partner quotes leads to what happened.
"""

import logging
import math
import uuid
from collections import Counter

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from toolkit.api.text import encodable

logger = logging.getLogger("labsite.api.item_cancel")

CREDENTIALS_REQUIRED = (
    "Authentication required: send recipeid and partnerBillingKey in the query string, "
    "or an API key in the Authorization header"
)
SERVER_ERROR = "Internal server error"
MAX_ECHOED_TEXT = 100


class RefusedInput(Exception):
    """Input the face refuses with a 400, one envelope error per problem."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__("; ".join(entry["ErrorMessage"] for entry in errors))


def _echo(value):
    """A client's value as ``AttemptedValue``: scalars only, long text cut short."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return encodable(value[:MAX_ECHOED_TEXT])
    return None  # lists and objects are not echoed


def error(message: str, *, property_name: str | None = None, attempted_value=None) -> dict:
    return {
        "PropertyName": property_name,
        "AttemptedValue": _echo(attempted_value),
        "ErrorMessage": encodable(message),
        "CustomState": None,
    }


def envelope(*, status: int, success=(), errors=(), exc: BaseException | None = None) -> dict:
    """The body of an answer. One with errors gets a reference code, logged with its errors."""
    body = {"HadError": bool(errors), "Errors": list(errors), "Success": list(success)}
    if errors:
        reference = str(uuid.uuid4())
        body["ErrorReferenceCode"] = reference
        logger.log(
            logging.ERROR if status >= 500 else logging.WARNING,
            "orderCancel answered %s [ErrorReferenceCode %s]: %s",
            status,
            reference,
            _summary(errors),
            exc_info=exc,
        )
    return body


def _summary(errors, shown: int = 5) -> str:
    """The errors' messages for a log line: each once with its count, the first few only."""
    counts = Counter(entry["ErrorMessage"] for entry in errors)
    parts = [f"{message} (x{count})" if count > 1 else message for message, count in counts.items()]
    more = f" | and {len(parts) - shown} more" if len(parts) > shown else ""
    return " | ".join(parts[:shown]) + more


def _describe(exc: Exception, request) -> tuple[int, list[dict], dict]:
    """Status, errors and headers for an exception raised by the face, DRF or Django."""
    if isinstance(exc, RefusedInput):
        return 400, exc.errors, {}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        message = (
            CREDENTIALS_REQUIRED
            if isinstance(exc, exceptions.NotAuthenticated)
            else str(exc.detail)
        )
        headers = {"WWW-Authenticate": exc.auth_header} if getattr(exc, "auth_header", None) else {}
        return 401, [error(message)], headers
    if isinstance(exc, exceptions.PermissionDenied):
        return 403, [error(f"Permission denied. {exc.detail}")], {}
    if isinstance(exc, exceptions.ParseError):
        return 400, [error(f"The body is not valid JSON: {exc.detail}", property_name="Ids")], {}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        provided = request.content_type if request is not None else ""
        message = 'Send the body as JSON ({"Ids": [...]}) with Content-Type: application/json'
        return 400, [error(message, property_name="Content-Type", attempted_value=provided)], {}
    if isinstance(exc, SuspiciousOperation):  # too many query parameters, body too large
        return 400, [error(f"Request refused: {exc}")], {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        method = request.method if request is not None else ""
        return 405, [error(f"Method {method} not allowed: use PUT")], {}
    if isinstance(exc, exceptions.NotAcceptable):
        return 406, [error("This API answers application/json")], {}
    if isinstance(exc, exceptions.Throttled):
        headers = {"Retry-After": str(int(exc.wait))} if exc.wait else {}
        return 429, [error("Too many requests")], headers
    if isinstance(exc, exceptions.NotFound | Http404):
        return 404, [error("Not found")], {}
    if isinstance(exc, exceptions.APIException):
        return exc.status_code, [error(str(exc.detail))], {}
    return 500, [error(SERVER_ERROR)], {}


def drf_exception_handler(exc, context) -> Response:
    """Every exception of an item-cancel view becomes an envelope; a 500 is logged in full."""
    status, errors, headers = _describe(exc, context.get("request"))
    set_rollback()
    body = envelope(status=status, errors=errors, exc=exc if status >= 500 else None)
    return Response(body, status=status, headers=headers)


def not_found(request) -> JsonResponse:
    message = f"No endpoint at {request.method} {request.path}"
    return JsonResponse(envelope(status=404, errors=[error(message)]), status=404)


def bad_request(request, detail: str) -> JsonResponse:
    return JsonResponse(envelope(status=400, errors=[error(detail)]), status=400)


def server_error(request) -> JsonResponse:
    return JsonResponse(envelope(status=500, errors=[error(SERVER_ERROR)]), status=500)

"""The Lab API v2 error envelope: ``{"error": "<summary>", "details": ["...", ...]}``.

Every error under ``/api/v2/`` leaves through here, whether raised by a view, by DRF, by
Django's URL resolver or by a bug.
"""

import logging

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from toolkit.api.text import encodable

logger = logging.getLogger("labsite.api.v2")

AUTHENTICATION_REQUIRED = "Authentication required"
PERMISSION_DENIED = "Permission denied"
INCORRECT_ARGUMENTS = "Incorrect arguments provided"
SERVER_ERROR = "Internal server error"


def error_body(error: str, details: list[str] | tuple[str, ...] = ()) -> dict:
    return {"error": encodable(str(error)), "details": [encodable(str(line)) for line in details]}


def flatten_validation_errors(errors, prefix: str = "") -> list[str]:
    """DRF's nested error structure as ``"field: message"`` lines (``items[0].sku: ...``)."""
    lines: list[str] = []
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int):
                # DRF keys list errors by index (ListSerializer, ListField): ``items[0]``.
                lines.extend(flatten_validation_errors(value, f"{prefix}[{key}]"))
                continue
            name = "body" if key in ("non_field_errors", "detail") and not prefix else key
            if key == "non_field_errors" and prefix:
                name = ""
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            lines.extend(flatten_validation_errors(value, path))
    elif isinstance(errors, list):
        if all(isinstance(e, str) for e in errors):
            lines.extend(f"{prefix}: {e}" if prefix else str(e) for e in errors)
        else:
            for index, value in enumerate(errors):
                if value:
                    lines.extend(flatten_validation_errors(value, f"{prefix}[{index}]"))
    else:
        lines.append(f"{prefix}: {errors}" if prefix else str(errors))
    return lines


def _describe(exc: Exception, request) -> tuple[int, str, list[str], dict]:
    """Status, summary, details and headers for an exception raised by DRF or Django."""
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers = {"WWW-Authenticate": exc.auth_header} if getattr(exc, "auth_header", None) else {}
        return 401, AUTHENTICATION_REQUIRED, [], headers
    if isinstance(exc, exceptions.PermissionDenied):
        detail = str(exc.detail)
        return 403, PERMISSION_DENIED, [detail] if detail.startswith("Requires:") else [], {}
    if isinstance(exc, exceptions.ValidationError):
        return 400, INCORRECT_ARGUMENTS, flatten_validation_errors(exc.detail), {}
    if isinstance(exc, exceptions.ParseError):
        return 400, "Malformed request body", [str(exc.detail)], {}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        provided = request.content_type if request is not None else ""
        return (
            415,
            "Unsupported media type",
            [
                "Send JSON with Content-Type: application/json",
                f"Provided: {provided}",
            ],
            {},
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        return 405, "Method not allowed", [f"Provided: {exc.args[0] if exc.args else ''}"], {}
    if isinstance(exc, exceptions.NotAcceptable):
        return 406, "Not acceptable", ["This API answers application/json"], {}
    if isinstance(exc, exceptions.Throttled):
        wait = f"Retry after {int(exc.wait)} seconds" if exc.wait else "Retry later"
        headers = {"Retry-After": str(int(exc.wait))} if exc.wait else {}
        return 429, "Too many requests", [wait], headers
    if isinstance(exc, exceptions.NotFound | Http404):
        return 404, "Not found", [], {}
    if isinstance(exc, SuspiciousOperation):  # e.g. too many query parameters
        return 400, "Bad request", [str(exc)], {}
    if isinstance(exc, exceptions.APIException):
        return exc.status_code, str(exc.detail), [], {}
    return 500, SERVER_ERROR, [], {}


def server_error_details(request) -> list[str]:
    return [f"Reference: {getattr(request, 'request_id', '-')}"]


def drf_exception_handler(exc, context) -> Response:
    """Exception handler for v2 views: every exception becomes an envelope."""
    request = context.get("request")
    status, error, details, headers = _describe(exc, request)
    if status >= 500:
        logger.error("Unhandled error in %s", context.get("view").__class__.__name__, exc_info=exc)
        details = server_error_details(request)
    set_rollback()
    return Response(error_body(error, details), status=status, headers=headers)


def not_found_body(request) -> dict:
    return error_body("Not found", [f"No endpoint at {request.method} {request.path}"])


def not_found(request) -> JsonResponse:
    return JsonResponse(not_found_body(request), status=404)


def bad_request(request, detail: str) -> JsonResponse:
    return JsonResponse(error_body(INCORRECT_ARGUMENTS, [detail]), status=400)


def server_error(request) -> JsonResponse:
    return JsonResponse(error_body(SERVER_ERROR, server_error_details(request)), status=500)

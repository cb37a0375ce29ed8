"""RFC 7807 problem details, the error shape of the Orders API (``/orders``, ``/api/auth``).

``{"type", "title", "status", "detail", "instance", "traceId", "errorCode"}``, and for a 400
also ``"errors": [{"memberName", "message", "code"}]``. ``traceId`` is the request id that
every log line of the request carries, and each problem is logged with it.
"""

import logging
from http import HTTPStatus

from django.core.exceptions import SuspiciousOperation
from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import set_rollback

from toolkit.api.text import encodable
from toolkit.api.v2 import flatten_validation_errors

logger = logging.getLogger("labsite.api.problems")

CONTENT_TYPE = "application/problem+json"

# errorCode by cause, as documented. 404 (and statuses the contract gives none) carry none.
UNAUTHENTICATED = 1
UNAUTHORIZED = 2
VALIDATION_FAILED = 3
RESOURCE_LOCKED = 5
VERSION_MISMATCH = 6


def problem_body(
    request,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type: str = "about:blank",
    error_code: int | None = None,
    errors: list[dict] | None = None,
) -> dict:
    body = {
        "type": type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": encodable(detail),
        "instance": encodable(request.path) if request is not None else None,
        "traceId": getattr(request, "request_id", None),
    }
    if error_code is not None:
        body["errorCode"] = error_code
    if errors is not None:
        body["errors"] = [
            {key: encodable(v) if isinstance(v, str) else v for key, v in entry.items()}
            for entry in errors
        ]
    return body


def log_problem(body: dict) -> None:
    level = logging.ERROR if body["status"] >= 500 else logging.INFO
    logger.log(
        level,
        "problem %s %s: %s (traceId %s)",
        body["status"],
        body["title"],
        body["detail"],
        body["traceId"],
    )


def problem_response(request, status: int, detail: str, *, headers=None, **fields) -> Response:
    """A DRF response carrying a problem (for views and exception handlers)."""
    body = problem_body(request, status, detail, **fields)
    log_problem(body)
    return Response(body, status=status, headers=headers, content_type=CONTENT_TYPE)


def member_errors(errors: dict | list, code: str = "invalid") -> list[dict]:
    """DRF validation errors as ``errors[]`` entries, one per message."""
    entries = []
    for line in flatten_validation_errors(errors):
        member, separator, message = line.partition(": ")
        if not separator:
            member, message = "body", line
        entries.append({"memberName": member, "message": message, "code": code})
    return entries


class InvalidParameters(exceptions.ValidationError):
    """Refused query parameters, each entry already naming its parameter as it was sent."""

    def __init__(self, entries: list[dict]):
        self.entries = entries
        super().__init__([entry["message"] for entry in entries])


def _describe(exc: Exception, request) -> tuple[int, str, dict, dict]:
    """Status, detail, extra fields and headers for an exception raised by DRF or Django."""
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        headers = {"WWW-Authenticate": exc.auth_header} if getattr(exc, "auth_header", None) else {}
        detail = (
            "Send Authorization: Bearer <token>"
            if isinstance(exc, exceptions.NotAuthenticated)
            else str(exc.detail)
        )
        return 401, detail, {"error_code": UNAUTHENTICATED}, headers
    if isinstance(exc, exceptions.PermissionDenied):
        return 403, str(exc.detail), {"error_code": UNAUTHORIZED}, {}
    if isinstance(exc, InvalidParameters):
        detail = "; ".join(f"{e['memberName']}: {e['message']}" for e in exc.entries)
        return 400, detail, {"error_code": VALIDATION_FAILED, "errors": exc.entries}, {}
    if isinstance(exc, exceptions.ValidationError):
        errors = member_errors(exc.detail)
        detail = "; ".join(f"{e['memberName']}: {e['message']}" for e in errors)
        return 400, detail, {"error_code": VALIDATION_FAILED, "errors": errors}, {}
    if isinstance(exc, exceptions.ParseError):
        detail = f"Malformed request body: {exc.detail}"
        errors = [{"memberName": "body", "message": str(exc.detail), "code": "parse_error"}]
        return 400, detail, {"error_code": VALIDATION_FAILED, "errors": errors}, {}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        provided = request.content_type if request is not None else ""
        detail = f"Send JSON with Content-Type: application/json (provided: {provided})"
        return 415, detail, {}, {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        method = request.method if request is not None else ""
        return 405, f"{method} is not allowed here", {}, {}
    if isinstance(exc, exceptions.NotAcceptable):
        return 406, "This API answers application/json", {}, {}
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait) if exc.wait else None
        headers = {"Retry-After": str(wait)} if wait else {}
        detail = f"Too many attempts: retry after {wait} seconds" if wait else "Too many attempts"
        return 429, detail, {}, headers
    if isinstance(exc, exceptions.NotFound | Http404):
        return 404, "Not found", {}, {}
    if isinstance(exc, SuspiciousOperation):  # e.g. too many query parameters
        return 400, str(exc), _refused(exc), {}
    if isinstance(exc, exceptions.APIException):
        return exc.status_code, str(exc.detail), {}, {}
    return 500, "Internal server error", {}, {}


def drf_exception_handler(exc, context) -> Response:
    """Every non-domain exception of a problem-face view becomes a problem."""
    request = context.get("request")
    status, detail, fields, headers = _describe(exc, request)
    if status >= 500:
        view = context.get("view").__class__.__name__
        logger.error("Unhandled error in %s", view, exc_info=exc)
    set_rollback()
    return problem_response(request, status, detail, headers=headers, **fields)


def not_found(request) -> JsonResponse:
    body = problem_body(request, 404, f"No endpoint at {request.method} {request.path}")
    log_problem(body)
    return JsonResponse(body, status=404, content_type=CONTENT_TYPE)


def bad_request(request, detail: str) -> JsonResponse:
    body = problem_body(request, 400, detail, error_code=VALIDATION_FAILED)
    log_problem(body)
    return JsonResponse(body, status=400, content_type=CONTENT_TYPE)


def server_error(request) -> JsonResponse:
    body = problem_body(request, 500, "Internal server error")
    log_problem(body)
    return JsonResponse(body, status=500, content_type=CONTENT_TYPE)


def _refused(exception: Exception) -> dict:
    return {
        "error_code": VALIDATION_FAILED,
        "errors": [{"memberName": "request", "message": str(exception), "code": "refused"}],
    }

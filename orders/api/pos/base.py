"""The Orders API face's base view and its table of domain error -> HTTP status."""

from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from accounts.rights import MissingRight, Right
from orders import errors
from toolkit.api import problems
from toolkit.errors import looked_up

from .rights import WIRE_NAME

# Status, and for a 400 the member its ``errors[]`` entry names.
DOMAIN_ERROR_STATUS: dict[type[errors.DomainError], tuple[int, str | None]] = {
    errors.OrderNotFound: (404, None),
    errors.ItemNotFound: (404, None),
    errors.EndpointNotFound: (404, None),
    errors.VersionMismatch: (409, None),
    errors.OrderNotProcessable: (400, "ids"),
    errors.OrderNotProcessed: (400, "status"),
    errors.ItemCancelled: (400, "status"),
    errors.OrderMarkedForCancelation: (400, "id"),
    errors.OrderAlreadyCompleted: (400, "id"),
    errors.AmbiguousOrderIdentifier: (400, "id"),
    errors.JobTrackerRequired: (400, "id"),
    errors.NonCancelStation: (400, "id"),
    errors.DeleteReasonsEmpty: (400, "deleteReason"),
    errors.DeleteReasonInvalid: (400, "deleteReason"),
    errors.InvalidOrderData: (400, "body"),
}


def domain_problem(request, error: errors.DomainError) -> Response:
    status, member = looked_up(DOMAIN_ERROR_STATUS, error, (400, "body"))
    fields: dict = {"type": f"urn:labsite:problem:{error.code}"}
    # A 400's detail is the domain's message exactly (the Lab API v2's error string); other
    # problems add the details ("Provided: ...") to it.
    detail = " ".join([error.message, *(f"({line})" for line in error.details)])
    if status == 400:
        detail = error.message
        fields["error_code"] = problems.VALIDATION_FAILED
        fields["errors"] = [{"memberName": member, "message": error.message, "code": error.code}]
    elif status == 409:
        fields["error_code"] = problems.VERSION_MISMATCH
    return problems.problem_response(request, status, detail, **fields)


def orders_api_exception_handler(exc, context) -> Response:
    if isinstance(exc, errors.DomainError):
        set_rollback()
        return domain_problem(context.get("request"), exc)
    if isinstance(exc, MissingRight):
        exc = PermissionDenied(f"Requires right {WIRE_NAME.get(exc.right, exc.right)}")
    return problems.drf_exception_handler(exc, context)


class OrdersApiView(APIView):
    """Base of every Orders API view: bearer keys, per-method rights, problem details."""

    required_rights: dict[str, Right | None] = {}

    def get_exception_handler(self):
        return orders_api_exception_handler


class UnknownRouteView(OrdersApiView):
    """Anything under /orders or /api/auth that matches no endpoint: a 404 problem, also when
    DEBUG would otherwise show Django's HTML page."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    schema = None  # not an endpoint: left out of the OpenAPI schema

    def get_authenticators(self):
        return []

    def get_permissions(self):
        return []

    def _not_found(self, request, *args, **kwargs):
        detail = f"No endpoint at {request.method} {request.path}"
        return problems.problem_response(request, 404, detail)

    get = post = put = patch = delete = head = options = _not_found

"""The v2 face's base view and its table of domain error -> HTTP status."""

from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from labsite.api import v2 as envelope
from labsite.api.schema import V2AutoSchema
from orders import errors
from printing import errors as printing_errors
from tracker import errors as tracker_errors

DOMAIN_ERROR_STATUS: dict[type[errors.DomainError], int] = {
    errors.OrderNotFound: 404,
    errors.DeleteReasonNotFound: 404,
    errors.AmbiguousOrderIdentifier: 400,
    errors.InvalidOrderData: 400,
    errors.OrderMarkedForCancelation: 400,
    errors.JobTrackerRequired: 400,
    errors.OrderAlreadyCompleted: 400,
    errors.DeleteReasonsEmpty: 400,
    errors.DeleteReasonInvalid: 400,
    errors.NonCancelStation: 400,
    errors.HoldNotAllowed: 400,
    errors.OrderAlreadyOnHold: 400,
    errors.OrderNotOnHold: 400,
    tracker_errors.CheckinRefused: 400,
    tracker_errors.OperatorNotFound: 404,
    tracker_errors.CompletionRefused: 400,
    tracker_errors.CompletionOrderNotFound: 404,
    tracker_errors.JobTrackerNotRunning: 503,
    tracker_errors.StationInUse: 400,
    tracker_errors.StationNotFoundForConfig: 404,
    printing_errors.CancelledBeforePrinting: 200,  # documented: 200 with an error body
    printing_errors.PrintingRejected: 400,
    printing_errors.NoPrinterDefined: 500,  # documented: the lab's configuration is incomplete
    printing_errors.PrinterNotFound: 404,
    printing_errors.PrinterInUse: 400,
}


def status_for(error: errors.DomainError) -> int:
    """The table's status for the error's class, or for its nearest listed base class."""
    for cls in type(error).__mro__:
        if cls in DOMAIN_ERROR_STATUS:
            return DOMAIN_ERROR_STATUS[cls]
    return 400


def v2_exception_handler(exc, context) -> Response:
    if isinstance(exc, errors.DomainError):
        set_rollback()
        return Response(
            envelope.error_body(exc.message, exc.details),
            status=status_for(exc),
        )
    return envelope.drf_exception_handler(exc, context)


class V2View(APIView):
    """Base of every Lab API v2 view: API-key auth, per-method rights, the v2 envelope."""

    required_rights: dict[str, str | None] = {}
    schema = V2AutoSchema()

    def get_exception_handler(self):
        return v2_exception_handler


class UnknownRouteView(V2View):
    """Anything under /api/v2/ that matches no endpoint: 404 in the envelope (after auth)."""

    required_rights = {}
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    schema = None  # not an endpoint: left out of the OpenAPI schema

    def _not_found(self, request, *args, **kwargs):
        return Response(envelope.not_found_body(request), status=404)

    get = post = put = patch = delete = head = options = _not_found


# --- For the OpenAPI schema: what the order-identifier endpoints share ------------------------

ORDER_IDENTIFIER = OpenApiParameter(
    "identifier",
    str,
    OpenApiParameter.PATH,
    description=(
        "The contract's `{orderIdentifier}`: an order number; else a tray number, among active "
        "orders only; else a PO number carried by exactly one order."
    ),
)

NO_RECORD = 'No such order: `{"error": "No record found", "details": ["Provided: <id>"]}`.'
AMBIGUOUS = (
    'The PO number matches several orders: `{"error": "Order identifier is ambiguous", '
    '"details": ["Provided: <id>", "Matches: N orders by PO number"]}`.'
)

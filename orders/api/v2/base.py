"""The orders' part of the Lab API v2: its table of domain error -> HTTP status, its base
view, and what the order-identifier endpoints share in the schema."""

from drf_spectacular.utils import OpenApiParameter

from orders import errors
from toolkit.api.v2_views import V2View

ORDER_ERROR_STATUS: dict[type[errors.DomainError], int] = {
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
}


class OrdersV2View(V2View):
    """A Lab API v2 view of the orders app."""

    error_statuses = ORDER_ERROR_STATUS


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

"""The orders' part of the Lab API v2: its table of domain error -> HTTP status, its base
view, and what the order-identifier endpoints share in the schema."""

from orders import errors
from toolkit.api.schema import path_parameter, v2_operation
from toolkit.api.v2_views import V2View

ORDER_ERROR_STATUS: dict[type[errors.DomainError], int] = {
    errors.OrderNotFound: 404,
    errors.DeleteReasonNotFound: 404,
    errors.CustomerRecordNotFound: 404,
    errors.AddonNotFound: 404,
    errors.AmbiguousOrderIdentifier: 400,
    errors.CustomerNotFound: 400,
    errors.UncutOnly: 400,
    errors.LensChoiceMissing: 400,
    errors.NoAddonsEntered: 400,
    errors.RxValidationFailed: 400,
    errors.DuplicateOrder: 400,
    errors.StockOrderRefused: 400,
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
    errors.TrayOrderNotFound: 404,
    errors.TrayIdentifierRefused: 400,
    errors.TrayNumberNotDigits: 400,
    errors.TrayNumberTooLong: 400,
    errors.TrayForDeletedOrder: 400,
    errors.TrayForCompletedOrder: 400,
    errors.TrayForOrderOnHold: 400,
    errors.OrderHasTray: 400,
    errors.TrayInUse: 400,
    errors.PickNotAllowed: 400,
    errors.PickVerificationFailed: 400,
    errors.PickGroupSplit: 400,
}


class OrdersV2View(V2View):
    """A Lab API v2 view of the orders app."""

    error_statuses = ORDER_ERROR_STATUS


# --- For the OpenAPI schema: what the order-identifier endpoints share ------------------------

ORDER_IDENTIFIER = path_parameter(
    "identifier",
    "The contract's `{orderIdentifier}`: an order number; else a tray number, among active "
    "orders only; else a PO number carried by exactly one order.",
)

NO_RECORD = 'No such order: `{"error": "No record found", "details": ["Provided: <id>"]}`.'
AMBIGUOUS = (
    'The PO number matches several orders: `{"error": "Order identifier is ambiguous", '
    '"details": ["Provided: <id>", "Matches: N orders by PO number"]}`.'
)


def order_operation(*, parameters=(), errors: dict[int, str] | None = None, **more):
    """``v2_operation`` on the order the path names: the identifier comes first among the
    parameters, and its two errors (ambiguous, 400; no such order, 404) are documented unless
    ``errors`` describes those statuses itself."""
    return v2_operation(
        parameters=[ORDER_IDENTIFIER, *parameters],
        errors={400: AMBIGUOUS, 404: NO_RECORD, **(errors or {})},
        **more,
    )

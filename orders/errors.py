"""The orders' typed domain errors. They know nothing of HTTP: each API face maps them to its
shape (``toolkit.errors.DomainError`` says how).
"""

from toolkit.errors import DomainError, Refusal


class InputNotFound(DomainError):
    """Nothing answers to what the client provided; ``provided`` is shown in the details."""

    def __init__(self, provided: str):
        self.provided = provided
        super().__init__(details=[f"Provided: {provided}"])


class RecordNotFound(InputNotFound):
    """No record answers to the name, code or number provided (an order, a delete reason, a
    station, a printer), in the Lab API's words."""

    message = "No record found"


class OrderNotFound(RecordNotFound):
    code = "order_not_found"


class CustomerRecordNotFound(RecordNotFound):
    """No customer has the number a customer's URL names."""

    code = "customer_record_not_found"


class AddonNotFound(RecordNotFound):
    code = "addon_not_found"


class CustomerNotFound(InputNotFound):
    """The customer number names no active customer."""

    code = "customer_not_found"
    message = "Customer does not exist"


class AmbiguousOrderIdentifier(DomainError):
    code = "ambiguous_identifier"
    message = "Order identifier is ambiguous"

    def __init__(self, provided: str, matches: int):
        self.provided = provided
        self.matches = matches
        super().__init__(
            details=[f"Provided: {provided}", f"Matches: {matches} orders by PO number"]
        )


class InvalidOrderData(DomainError):
    """Input that breaks a rule of the domain. ``errors`` maps a field to its messages."""

    code = "invalid"
    message = "Incorrect arguments provided"

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__(
            details=[f"{field}: {text}" for field, texts in errors.items() for text in texts]
        )


class OrderMarkedForCancelation(DomainError):
    code = "order_cancelled"
    message = "Order marked for cancelation"


class JobTrackerRequired(DomainError):
    code = "job_tracker_required"
    message = "Job Tracker module required for cancel method"


class OrderAlreadyCompleted(DomainError):
    code = "order_completed"
    message = "Order already completed"


class DeleteReasonsEmpty(DomainError):
    code = "delete_reasons_empty"
    message = "The delete reasons file is empty"


class DeleteReasonInvalid(InputNotFound):
    code = "delete_reason_invalid"
    message = "Delete reason code does not exist"


class NonCancelStation(DomainError):
    code = "non_cancel_station"
    message = "Order has been through a non-cancel station"


class HoldNotAllowed(DomainError):
    code = "hold_not_allowed"
    message = "Hold orders are not allowed"


class OrderAlreadyOnHold(DomainError):
    code = "already_on_hold"
    message = "Order is already on hold"


class OrderNotOnHold(DomainError):
    code = "not_on_hold"
    message = "Order is not on hold"


class DeleteReasonNotFound(RecordNotFound):
    code = "delete_reason_not_found"


class VersionMismatch(DomainError):
    """The client changed an order from a stale copy (``_v`` of the Orders API)."""

    code = "version_mismatch"
    message = "Order was changed by someone else"

    def __init__(self, *, current: int, provided: int):
        self.current = current
        self.provided = provided
        super().__init__(details=[f"Provided version: {provided}", f"Current version: {current}"])


class OrderNotProcessable(DomainError):
    code = "not_processable"
    message = "Order cannot be processed"

    def __init__(self, *, identifier: str, why: str):
        self.identifier = identifier
        self.why = why
        super().__init__(f"Order {identifier} cannot be processed: {why}")


class OrderNotProcessed(DomainError):
    code = "not_processed"
    message = "Order has not been processed yet: its endpoints have not received it"


class ItemNotFound(InputNotFound):
    code = "item_not_found"
    message = "No such item in this order"


class EndpointNotFound(InputNotFound):
    code = "endpoint_not_found"
    message = "The order has nothing at this endpoint"


class ItemCancelled(DomainError):
    code = "item_cancelled"
    message = "Item is cancelled"


class OrderNotPreProduction(DomainError):
    """Items can be cancelled only while the order is pre-production (item cancel contract)."""

    code = "not_pre_production"
    message = "Order is not in a pre-production status"

    def __init__(self, status: str):
        self.status = status
        super().__init__(
            f"Items can be cancelled only while the order is pre-production; its status is {status}"
        )


# --- Creating a job: the checks of contracts/rx-orders.md, in their order --------------------


class UncutOnly(DomainError):
    """``crib`` or ``ellh`` given on a job that is not uncut (checks 2 and 3)."""

    code = "uncut_only"

    def __init__(self, field: str, job_type: str):
        self.field = field
        super().__init__(
            f"{field} is only valid on uncut jobs", details=[f"Job Type: {job_type}", "Frame SW:"]
        )


class LensChoiceMissing(DomainError):
    """A job to surface or edge names no lens style and/or no material for either eye."""

    code = "lens_missing"
    message = "Incorrect arguments provided"

    def __init__(self, missing: list[str]):
        super().__init__(
            details=[
                f"rt{name}, lt{name} are missing, at least one parameter must be provided"
                for name in missing
            ]
        )


class NoAddonsEntered(DomainError):
    code = "no_addons"
    message = "No addons entered"


class RxValidationFailed(DomainError):
    """An eye's prescription fails a check of the catalogue (``orders.rx``)."""

    code = "rx_invalid"
    message = "Validation Failed"


class EyeNotOrdered(DomainError):
    """A calculation was recorded for an eye the order does not have."""

    code = "eye_not_ordered"
    message = "Eye not ordered"

    def __init__(self, eye: str):
        self.eye = eye
        super().__init__(details=[f"Eye: {eye}"])


class DuplicateOrder(DomainError):
    """Save Duplicate Orders is off and an active order has the customer and job id."""

    code = "duplicate_order"
    message = "Duplicate order"

    def __init__(self, original: int):
        self.original = original
        super().__init__(details=[f"Order: {original}"])


class StockOrderRefused(DomainError):
    """The legacy addStock's refusals, each in its own words (``message``): the customer, the
    items, a product's price, a quantity, the tray."""

    code = "stock_order_refused"


# --- tray assignment (contracts/workstations.md, checks by priority) ----------------------------


class RefusedValue(DomainError):
    """A value the client sent is refused; ``provided`` is shown in the details."""

    def __init__(self, provided: str):
        self.provided = provided
        super().__init__(details=[f"Provided: {provided}"])


class TrayOrderNotFound(RefusedValue):
    code = "tray_order_not_found"
    message = "Order not found"


class TrayIdentifierRefused(RefusedValue):
    """The order identifier named the order by its tray: a tray is given by order or PO."""

    code = "tray_identifier_refused"
    message = "You must use an order number or PO Number for orderIdentifier"


class TrayNumberNotDigits(RefusedValue):
    code = "tray_number_not_digits"
    message = "trayNumber only accepts numbers"


class TrayNumberTooLong(RefusedValue):
    code = "tray_number_too_long"
    message = "trayNumber supports up to 5 digits"


class TrayForDeletedOrder(DomainError):
    code = "tray_for_deleted_order"
    message = "Cannot assign a deleted order to a tray"


class TrayForCompletedOrder(DomainError):
    code = "tray_for_completed_order"
    message = "Cannot assign a completed order to a tray"


class TrayForOrderOnHold(DomainError):
    code = "tray_for_order_on_hold"
    message = "Cannot assign an on-hold order to a tray"


class OrderHasTray(DomainError):
    code = "order_has_tray"
    message = "Order already has a tray"

    def __init__(self, tray: str):
        self.tray = tray
        super().__init__(details=[f"Tray: {tray}"])


class TrayInUse(DomainError):
    """Verify Tray is Empty is on and another active order holds the tray."""

    code = "tray_in_use"
    message = "Tray is already assigned to another order"

    def __init__(self, holder: int):
        self.holder = holder
        super().__init__(details=[f"Order: {holder}"])


# --- pick verification (contracts/workstations.md, checks in order) -----------------------------


class PickNotAllowed(Refusal):
    """The order cannot be picked now (check 3): ``reason`` is the GET's ``pickRejectReason``."""

    code = "pick_not_allowed"
    message = "Pick not allowed"


class PickVerificationFailed(DomainError):
    """What was scanned does not match what the order expects (checks 4 and 5); ``problems``
    maps a scanned field to what is wrong with it, one detail line each."""

    code = "pick_verification_failed"
    message = "Pick verification failed"

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__(details=[f"{field}: {problem}" for field, problem in problems.items()])


class PickNotRequired(PickVerificationFailed):
    """A field was scanned that the order has nothing to pick for (check 4)."""

    code = "pick_not_required"

    def __init__(self, fields: list[str]):
        self.fields = fields
        super().__init__(dict.fromkeys(fields, "not required for this order"))


class PickMismatch(PickVerificationFailed):
    """Scanned codes differ from the expected ones (check 5); ``mismatches`` maps a field to
    (expected, scanned)."""

    code = "pick_mismatch"

    def __init__(self, mismatches: dict[str, tuple[str, str]]):
        self.mismatches = mismatches
        super().__init__(
            {
                field: f"expected {expected}, scanned {scanned}"
                for field, (expected, scanned) in mismatches.items()
            }
        )


class PickGroupSplit(DomainError):
    """Partial Picking is off and the call would leave a group of items half picked (check 6);
    ``missing`` maps a group (``lenses``, ``frame``) to the fields still to be scanned."""

    code = "pick_group_split"
    message = InvalidOrderData.message

    def __init__(self, missing: dict[str, list[str]]):
        self.missing = missing
        super().__init__(
            details=[
                f"{group} must be picked together: {', '.join(fields)}"
                for group, fields in missing.items()
            ]
        )

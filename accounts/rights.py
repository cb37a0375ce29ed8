"""Rights: the one table of the right each action needs (``Right``), and the check of the right
each API view names per HTTP method (``HasRequiredRights``)."""

from enum import StrEnum, unique

from django.conf import settings
from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission

from accounts import credentials

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# The login lockout's backend refuses logins and grants no rights (accounts.lockout).
LOCKOUT_BACKEND = "axes.backends.AxesStandaloneBackend"


@unique  # one entry per permission: an action that shares a right names that entry
class Right(StrEnum):
    """The right each action needs, as the Django permission that grants it: the one table the
    API views (``required_rights``), the admin and the back office name.

    A member is its permission string (``Right.CANCEL_ORDER == "orders.cancel_order"``), so
    ``user.has_perm(Right.CANCEL_ORDER)`` reads as it says. ``wire_name`` is the right's name
    in the Orders API (``/orders``), for the three rights that API names. The admin's model
    pages check the same permissions through Django's own model rights; groups grant them.
    """

    wire_name: str | None

    def __new__(cls, permission: str, wire_name: str | None = None):
        right = str.__new__(cls, permission)
        right._value_ = permission
        right.wire_name = wire_name
        return right

    # --- orders -------------------------------------------------------------------------------
    # See an order: its Lab API v2 fetch and status; the admin's order list, page and panels.
    VIEW_ORDER = "orders.view_order"
    # Create an order (Lab API v2).
    CREATE_ORDER = "orders.add_order"
    # Cancel an order or items of it (Lab API v2, Orders API, item cancel, admin).
    CANCEL_ORDER = "orders.cancel_order", "orderDelete"
    # Put an order on hold, and release it from hold (Lab API v2, admin).
    HOLD_ORDER = "orders.hold_order"
    # Process an order: release it to its endpoints (Orders API).
    PROCESS_ORDER = "orders.process_order", "orderProcess"
    # Set the processing status of an order, an item or an endpoint (Orders API).
    UPDATE_ORDER_STATUS = "orders.update_order_status", "orderUpdate"
    # Record which eyes of a job have their surfacing calculation done (admin).
    RECORD_CALCULATION = "orders.record_calculation"

    # Give an order a tray, or move it to another (Lab API v2, the Tray Assignment page).
    ASSIGN_TRAY = "orders.assign_tray"
    # Record the lenses and frame parts picked for an order (Lab API v2, Pick Verification).
    PICK = "orders.pick"

    # --- job tracking -------------------------------------------------------------------------
    # Check an order in at a station (Lab API v2, /api/jt/checkin).
    CHECK_IN = "tracker.check_in"
    # Request an order's completion, which the Job Tracker carries out (Lab API v2, admin).
    COMPLETE_ORDER = "tracker.complete_order"
    # See the completion requests (the admin's dashboard figures and list).
    VIEW_COMPLETION_REQUEST = "tracker.view_completionrequest"

    # --- printing -----------------------------------------------------------------------------
    # Print an order's work ticket (Lab API v2, admin).
    PRINT_TICKET = "printing.print_ticket"
    # See the print jobs (the admin's dashboard figures and list).
    VIEW_PRINT_JOB = "printing.view_printjob"

    # --- webhooks -----------------------------------------------------------------------------
    # Manage webhook subscriptions (Lab API v2, admin) and re-send failed deliveries (admin).
    MANAGE_WEBHOOKS = "webhooks.manage_webhooks"
    # See webhook deliveries and their attempts (the admin's lists, the order page's panel).
    VIEW_WEBHOOK_DELIVERY = "webhooks.view_delivery"

    # --- configuration (Lab API v2 and admin) -------------------------------------------------
    # Delete reasons: DELETE in the Lab API v2 deactivates one (a reason is never deleted).
    VIEW_DELETE_REASON = "orders.view_deletereason"
    ADD_DELETE_REASON = "orders.add_deletereason"
    CHANGE_DELETE_REASON = "orders.change_deletereason"
    DELETE_DELETE_REASON = "orders.delete_deletereason"
    # Lab settings: one row, read and changed, never added or deleted.
    VIEW_LAB_SETTINGS = "orders.view_labsettings"
    CHANGE_LAB_SETTINGS = "orders.change_labsettings"
    # Customers: the practices and opticians orders are made for; deleted only while no order
    # names one (else deactivated).
    VIEW_CUSTOMER = "orders.view_customer"
    ADD_CUSTOMER = "orders.add_customer"
    CHANGE_CUSTOMER = "orders.change_customer"
    DELETE_CUSTOMER = "orders.delete_customer"
    # Stock orders (legacy POST /api/orders/addStock): products picked and shipped.
    ADD_STOCK_ORDER = "orders.add_stock_order"
    # Addons: what a job may have applied to its lenses; DELETE in the Lab API v2 deactivates
    # an addon some order used, and deletes one none did.
    VIEW_ADDON = "orders.view_addon"
    ADD_ADDON = "orders.add_addon"
    CHANGE_ADDON = "orders.change_addon"
    DELETE_ADDON = "orders.delete_addon"
    # Stations: the Lab API v2's job-track stations and the admin's.
    VIEW_STATION = "orders.view_station"
    ADD_STATION = "orders.add_station"
    CHANGE_STATION = "orders.change_station"
    DELETE_STATION = "orders.delete_station"
    # Printers.
    VIEW_PRINTER = "printing.view_printer"
    ADD_PRINTER = "printing.add_printer"
    CHANGE_PRINTER = "printing.change_printer"
    DELETE_PRINTER = "printing.delete_printer"
    # Workstations and their LPT ports (which follow their workstation's rights); the Lab API
    # v2 reads and changes them, only the admin adds and deletes them.
    VIEW_WORKSTATION = "printing.view_workstation"
    ADD_WORKSTATION = "printing.add_workstation"
    CHANGE_WORKSTATION = "printing.change_workstation"
    DELETE_WORKSTATION = "printing.delete_workstation"


class MissingRight(PermissionDenied):
    def __init__(self, right: str):
        self.right = right
        super().__init__(f"Requires: {right}")


class HasRequiredRights(BasePermission):
    """Allows an authenticated user holding the right named in ``view.required_rights``.

    ``required_rights`` maps an HTTP method to a ``Right`` (``Right.CANCEL_ORDER``), or to
    ``None`` for "any authenticated user". A method missing from the map needs no right here;
    the view answers it with 405.
    """

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            raise NotAuthenticated
        right = getattr(view, "required_rights", {}).get(request.method)
        if right is not None and not holds_right(request.user, right):
            raise MissingRight(right)
        return True


def holds_right(user, right: str) -> bool:
    """``user.has_perm(right)``, from the rights read with the user's API key
    (``accounts.credentials``) where Django's ModelBackend is the only authentication
    backend that grants rights (as it is here; the lockout's backend grants none).

    ``has_perm`` loads every permission of the user and, separately, of their groups to answer
    one question: two more queries on every API request, a fifth of a simple read's time.
    """
    granting = [name for name in settings.AUTHENTICATION_BACKENDS if name != LOCKOUT_BACKEND]
    if granting != [MODEL_BACKEND]:
        return user.has_perm(right)
    rights = credentials.rights_of(user)
    return rights is credentials.ALL_RIGHTS or right in rights

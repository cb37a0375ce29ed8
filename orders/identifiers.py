"""Order, tray and PO number rules, and how an order identifier resolves to an order.

The rules are the vendor's:
- order number: digits only, at most 8, not starting with 0, unique;
- tray number: digits only, at most 5, unique among active orders;
- PO number: at most 20 characters, optional.

An identifier resolves as an exact order number first, then as a tray number among active
orders, then as a PO number carried by exactly one order.
"""

import re
import uuid

from django.db.models import Q, QuerySet

from .errors import AmbiguousOrderIdentifier, OrderNotFound
from .models import ACTIVE_ORDER, Order

ORDER_NUMBER_RE = re.compile(r"[1-9][0-9]{0,7}")
TRAY_NUMBER_RE = re.compile(r"[0-9]{1,5}")
PO_NUMBER_MAX_LENGTH = 20


def order_number_error(value: str) -> str | None:
    """Why ``value`` is not a valid order number, or None."""
    if not value.isascii() or not value.isdigit():
        return "must contain digits only"
    if len(value) > 8:
        return "must have at most 8 digits"
    if value.startswith("0"):
        return "must not start with 0"
    return None


def tray_number_error(value: str) -> str | None:
    """Why ``value`` is not a valid tray number, or None."""
    if not value.isascii() or not value.isdigit():
        return "must contain digits only"
    if len(value) > 5:
        return "must have at most 5 digits"
    return None


def po_number_error(value: str) -> str | None:
    """Why ``value`` is not a valid PO number, or None."""
    if len(value) > PO_NUMBER_MAX_LENGTH:
        return f"must have at most {PO_NUMBER_MAX_LENGTH} characters"
    if not value.isprintable():
        return "must not contain control characters"
    return None


def parse_public_id(text: str) -> uuid.UUID | None:
    """The public id (a UUID) that ``text`` spells, or None when it spells none."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def resolve_order_identifier(identifier: str, *, orders: QuerySet | None = None) -> Order:
    """The order that ``identifier`` names, by order number, then tray, then PO number.

    Raises ``OrderNotFound`` or ``AmbiguousOrderIdentifier``. The order is read through
    ``orders`` (default: the plain order), so a caller that shows the order reads it with what
    it shows (``Order.objects.for_display()``) or locks it (``select_for_update``) in the same
    lookup. An identifier that can be both an order number and a tray is tried as both in one
    statement, the order number winning.
    """
    orders = Order.objects.all() if orders is None else orders
    is_number = ORDER_NUMBER_RE.fullmatch(identifier) is not None
    is_tray = TRAY_NUMBER_RE.fullmatch(identifier) is not None
    # A tray (a PO number) is never empty by the identifier's rules; saying so lets the
    # planner use the indexes on trays and PO numbers, which leave empty values out.
    active_tray = ACTIVE_ORDER & Q(tray=identifier) & ~Q(tray="")
    if is_number and is_tray:
        number = int(identifier)
        found = sorted(
            orders.filter(Q(number=number) | active_tray),
            key=lambda order: order.number != number,
        )
    elif is_number:
        found = list(orders.filter(number=int(identifier)))
    elif is_tray:
        found = list(orders.filter(active_tray))
    else:
        found = []
    if found:
        return found[0]

    if identifier and po_number_error(identifier) is None:
        # Two are enough to tell "exactly one" from "ambiguous".
        matches = list(orders.filter(po_number=identifier).exclude(po_number="")[:2])
        if len(matches) == 1:
            return matches[0]
        if matches:
            count = Order.objects.filter(po_number=identifier).count()
            raise AmbiguousOrderIdentifier(identifier, count)

    raise OrderNotFound(identifier)


def order_by_number(number: int, *, orders: QuerySet | None = None) -> Order | None:
    """The order with this order number, or None."""
    orders = Order.objects.all() if orders is None else orders
    return orders.filter(number=number).first()

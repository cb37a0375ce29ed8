"""Order, tray and PO number rules, and how an order identifier resolves to an order.

The rules are the vendor's:
- order number: digits only, at most 8, not starting with 0, unique;
- tray number: digits only, at most 5, unique among active orders;
- PO number: at most 20 characters, optional.

An identifier resolves as an exact order number first, then as a tray number among active
orders, then as a PO number carried by exactly one order.
"""

import functools
import operator
import re
import uuid
from typing import Protocol

from django.db.models import Q, QuerySet

from .errors import AmbiguousOrderIdentifier, OrderNotFound
from .models import ACTIVE_ORDER, Order

ORDER_NUMBER_RE = re.compile(r"[1-9][0-9]{0,7}")
TRAY_NUMBER_RE = re.compile(r"[0-9]{1,5}")
# The same rules, anchored, as the OpenAPI schema states them (``order_number_error``...).
ORDER_NUMBER_PATTERN = rf"^{ORDER_NUMBER_RE.pattern}$"
TRAY_NUMBER_PATTERN = rf"^{TRAY_NUMBER_RE.pattern}$"
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


class OrderLookups(Protocol):
    """Where ``resolve_with`` reads the orders it tries."""

    def by_number_or_tray(self, number: int | None, tray: str | None) -> list[Order]:
        """The order with this number and the active order with this tray, where given."""
        ...

    def by_po_number(self, po_number: str) -> list[Order]:
        """At most two orders with this PO number: enough to tell one from ambiguous."""
        ...


class QuerySetLookups:
    """The tries of ``resolve_with`` as filters of a queryset."""

    def __init__(self, orders: QuerySet):
        self.orders = orders

    def by_number_or_tray(self, number: int | None, tray: str | None) -> list[Order]:
        tries = []
        if number is not None:
            tries.append(Q(number=number))
        if tray is not None:
            # A tray (a PO number) is never empty by the identifier's rules; saying so lets the
            # planner use the indexes on trays and PO numbers, which leave empty values out.
            tries.append(ACTIVE_ORDER & Q(tray=tray) & ~Q(tray=""))
        return list(self.orders.filter(functools.reduce(operator.or_, tries)))

    def by_po_number(self, po_number: str) -> list[Order]:
        return list(self.orders.filter(po_number=po_number).exclude(po_number="")[:2])


def resolve_order_identifier(identifier: str, *, orders: QuerySet | None = None) -> Order:
    """The order that ``identifier`` names, by order number, then tray, then PO number.

    Raises ``OrderNotFound`` or ``AmbiguousOrderIdentifier``. The order is read through
    ``orders`` (default: the plain order), so a caller that shows the order reads it with what
    it shows (``Order.objects.for_display()``) or locks it (``locked_orders()``) in the same
    lookup.
    """
    return resolve_with(
        identifier, QuerySetLookups(Order.objects.all() if orders is None else orders)
    )


def resolve_with(identifier: str, lookups: OrderLookups) -> Order:
    """``resolve_order_identifier``'s rules over ``lookups``. An identifier that can be both an
    order number and a tray is tried as both in one lookup, the order number winning."""
    number = int(identifier) if ORDER_NUMBER_RE.fullmatch(identifier) else None
    tray = identifier if TRAY_NUMBER_RE.fullmatch(identifier) else None
    if number is not None or tray is not None:
        found = sorted(lookups.by_number_or_tray(number, tray), key=lambda o: o.number != number)
        if found:
            return found[0]

    if identifier and po_number_error(identifier) is None:
        matches = lookups.by_po_number(identifier)
        if len(matches) == 1:
            return matches[0]
        if matches:
            count = Order.objects.filter(po_number=identifier).count()
            raise AmbiguousOrderIdentifier(identifier, count)

    raise OrderNotFound(identifier)


def resolved_by_tray(identifier: str, order: Order) -> bool:
    """Whether ``resolve_order_identifier`` found ``order`` by its tray: not by its number (the
    first try), and trays are tried before PO numbers."""
    return str(order.number) != identifier and order.tray == identifier


def order_by_number(number: int) -> Order | None:
    """The order with this order number, or None."""
    return Order.objects.filter(number=number).first()

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

from .errors import AmbiguousOrderIdentifier, OrderNotFound
from .models import Order

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


def resolve_order_identifier(identifier: str, queryset=None) -> Order:
    """The order that ``identifier`` names, by order number, then tray, then PO number.

    Raises ``OrderNotFound`` or ``AmbiguousOrderIdentifier``. ``queryset`` lets a caller ask
    for related rows or a row lock; it defaults to all orders.
    """
    orders = Order.objects.all() if queryset is None else queryset

    if ORDER_NUMBER_RE.fullmatch(identifier):
        found = orders.filter(number=int(identifier)).first()
        if found is not None:
            return found

    if TRAY_NUMBER_RE.fullmatch(identifier):
        found = orders.active().filter(tray=identifier).first()
        if found is not None:
            return found

    if identifier and po_number_error(identifier) is None:
        matches = list(orders.filter(po_number=identifier).order_by()[:2])
        if len(matches) == 1:
            return matches[0]
        if matches:
            count = Order.objects.filter(po_number=identifier).count()
            raise AmbiguousOrderIdentifier(identifier, count)

    raise OrderNotFound(identifier)

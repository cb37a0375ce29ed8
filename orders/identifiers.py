"""Order, tray and PO number rules, and how an order identifier resolves to an order.

The rules are the vendor's:
- order number: digits only, at most 8, not starting with 0, unique;
- tray number: digits only, at most 5, unique among active orders;
- PO number: at most 20 characters, optional.

An identifier resolves as an exact order number first, then as a tray number among active
orders, then as a PO number carried by exactly one order.
"""

import functools
import re
import uuid

from django.contrib.auth import get_user_model

from labsite.compiled_query import CompiledQuery

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


def resolve_order_identifier(identifier: str, *, with_related: bool = False) -> Order:
    """The order that ``identifier`` names, by order number, then tray, then PO number.

    Raises ``OrderNotFound`` or ``AmbiguousOrderIdentifier``. ``with_related`` also reads the
    order's current station and its creator's user name, as the v2 model shows them. Each try
    is one statement, compiled once (``labsite.compiled_query``): every client request that
    names an order starts here.
    """
    lookups = _WITH_RELATED if with_related else _ORDER_ONLY

    if ORDER_NUMBER_RE.fullmatch(identifier):
        found = lookups.by_number(int(identifier))
        if found:
            return found[0]

    if TRAY_NUMBER_RE.fullmatch(identifier):
        found = lookups.by_tray(identifier)
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


# Placeholders for compiling the lookups: values of the columns' types that no other parameter
# of these queries takes.
_NUMBER_PLACEHOLDER = 2_000_000_001
_TEXT_PLACEHOLDER = "\x1f(identifier)"


class _Lookups:
    """The three tries of ``resolve_order_identifier`` as compiled statements."""

    def __init__(self, *, with_related: bool):
        self.with_related = with_related
        self._by_number = CompiledQuery(
            lambda number: self._values(Order.objects.filter(number=number))[:1],
            _NUMBER_PLACEHOLDER,
        )
        self._by_tray = CompiledQuery(
            # Trays are unique among active orders (a constraint): one row at most.
            lambda tray: self._values(Order.objects.active().filter(tray=tray))[:1],
            _TEXT_PLACEHOLDER,
        )
        self._by_po_number = CompiledQuery(
            # Two rows are enough to tell "exactly one" from "ambiguous".
            lambda po_number: self._values(Order.objects.filter(po_number=po_number))[:2],
            _TEXT_PLACEHOLDER,
        )

    def by_number(self, number: int) -> list[Order]:
        return self._orders(self._by_number.rows(number))

    def by_tray(self, tray: str) -> list[Order]:
        return self._orders(self._by_tray.rows(tray))

    def by_po_number(self, po_number: str) -> list[Order]:
        return self._orders(self._by_po_number.rows(po_number))

    def _values(self, orders):
        return orders.order_by().values_list(*self._columns()[0])

    @functools.cache  # noqa: B019 - two module-level instances, kept for the process's life
    def _columns(self) -> tuple[list[str], list[str], list[str]]:
        """The values_list names, and the order's and the station's attribute names."""
        order_attnames = [field.attname for field in Order._meta.concrete_fields]
        station_model = Order._meta.get_field("current_station").related_model
        station_attnames = [field.attname for field in station_model._meta.concrete_fields]
        names = list(order_attnames)
        if self.with_related:
            names += [f"current_station__{name}" for name in station_attnames]
            names.append(f"created_by__{get_user_model().USERNAME_FIELD}")
        return names, order_attnames, station_attnames

    def _orders(self, rows: list[tuple]) -> list[Order]:
        _, order_attnames, station_attnames = self._columns()
        split = len(order_attnames)
        orders = []
        for row in rows:
            order = Order.from_db("default", order_attnames, row[:split])
            if self.with_related:
                self._attach_related(order, row[split:], station_attnames)
            orders.append(order)
        return orders

    @staticmethod
    def _attach_related(order: Order, values: tuple, station_attnames: list[str]) -> None:
        station_values, username = values[:-1], values[-1]
        station_model = Order._meta.get_field("current_station").related_model
        order.current_station = (
            station_model.from_db("default", station_attnames, station_values)
            if order.current_station_id is not None
            else None
        )
        user_model = get_user_model()
        order.created_by = (
            user_model.from_db(
                "default",
                [user_model._meta.pk.attname, user_model.USERNAME_FIELD],
                [order.created_by_id, username],
            )
            if order.created_by_id is not None
            else None
        )


_ORDER_ONLY = _Lookups(with_related=False)
_WITH_RELATED = _Lookups(with_related=True)

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
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Q

from toolkit.compiled_query import CompiledQuery

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


def resolve_order_identifier(identifier: str, *, with_related: bool = False) -> Order:
    """The order that ``identifier`` names, by order number, then tray, then PO number.

    Raises ``OrderNotFound`` or ``AmbiguousOrderIdentifier``. ``with_related`` also reads the
    order's current station and its creator's user name, as the v2 model shows them. Each try
    is one statement, compiled once (``toolkit.compiled_query``): every client request that
    names an order starts here. An identifier that can be both an order number and a tray is
    tried as both in one statement, the order number winning.
    """
    return _resolve(identifier, _WITH_RELATED if with_related else _ORDER_ONLY)


def resolve_order_with_items(identifier: str) -> tuple[Order, list[tuple]]:
    """``resolve_order_identifier(identifier, with_related=True)``, and the order's items with
    their endpoints, in the same statement: rows of (item id, order id, SKU, name, quantity,
    status, endpoint name, endpoint status), items and endpoints in id order, an item without
    endpoints once with None for both endpoint columns, an order without items as one row
    with None for the item's columns."""
    return _resolve(identifier, _WITH_ITEMS)


def order_with_items(pk: int) -> tuple[Order, list[tuple]]:
    """The order with primary key ``pk`` as ``resolve_order_with_items`` reads it: how a write
    shows the order it has just changed. Raises ``Order.DoesNotExist``."""
    found = _WITH_ITEMS.by_pk(pk)
    if not found:
        raise Order.DoesNotExist(f"Order {pk} does not exist")
    return found[0]


def order_by_number(number: int) -> Order | None:
    """The order with this order number, or None (one statement, compiled once)."""
    found = _ORDER_ONLY.by_number(number)
    return found[0] if found else None


class LockWithItems:
    """Re-reads an order under a row lock (its row only) as ``order_with_items`` reads it, with
    the values of ``annotations`` (expressions about the order, as ``OrderLock``'s) in the same
    statement: for a change whose answer shows the order with its items, so that the answer
    needs no statement of its own. Compiled once (``toolkit.compiled_query``)."""

    def __init__(self, **annotations):
        self._lookups = _Lookups(with_related=True, with_items=True, lock_annotations=annotations)

    def __call__(self, pk: int) -> tuple[Order, list[tuple], dict]:
        """(order, item rows as ``resolve_order_with_items`` gives them, annotation values)."""
        found = self._lookups.by_pk(pk)
        if not found:
            raise Order.DoesNotExist(f"Order {pk} does not exist")
        return found[0]

    def by_number(self, number: int) -> tuple[Order, list[tuple], dict] | None:
        """As a call, for the order with this order number; None when there is none."""
        found = self._lookups.by_number(number)
        return found[0] if found else None


def _resolve(identifier: str, lookups: "_Lookups"):
    is_number = ORDER_NUMBER_RE.fullmatch(identifier) is not None
    is_tray = TRAY_NUMBER_RE.fullmatch(identifier) is not None
    found = []
    if is_number and is_tray:
        number = int(identifier)
        found = sorted(
            lookups.by_number_or_tray(number, identifier),
            key=lambda f: lookups.order_of(f).number != number,
        )
    elif is_number:
        found = lookups.by_number(int(identifier))
    elif is_tray:
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
_PK_PLACEHOLDER = 2**62 + 1

_ITEM_COLUMNS = [
    "items__id",
    "id",
    "items__sku",
    "items__name",
    "items__quantity",
    "items__status",
    "items__endpoints__name",
    "items__endpoints__status",
]


class _Lookups:
    """The tries of ``_resolve`` as statements compiled once. Each returns the orders found
    (an order number and a tray are unique among the rows they can match; a PO number is read
    for at most two orders, enough to tell "exactly one" from "ambiguous")."""

    def __init__(self, *, with_related: bool, with_items: bool = False, lock_annotations=None):
        self.with_related = with_related or with_items
        self.with_items = with_items
        # Locking lookups (LockWithItems) lock the order's row and read these too.
        self.lock_annotations = lock_annotations
        number, text = _NUMBER_PLACEHOLDER, _TEXT_PLACEHOLDER
        self._by_pk = CompiledQuery(lambda pk: self._select(Q(pk=pk)), _PK_PLACEHOLDER)
        self._by_number = CompiledQuery(lambda n: self._select(Q(number=n)), number)
        # "A tray (PO number) is not empty" is implied by the identifier's rules, and said here
        # for the planner: the indexes on trays and PO numbers leave empty values out.
        tray = lambda t: ACTIVE_ORDER & Q(tray=t) & ~Q(tray="")  # noqa: E731
        self._by_tray = CompiledQuery(lambda t: self._select(tray(t)), text)
        self._by_number_or_tray = CompiledQuery(
            lambda n, t: self._select(Q(number=n) | tray(t)), number, text
        )
        self._by_po_number = CompiledQuery(
            lambda p: self._select(
                Q(
                    pk__in=Order.objects.filter(po_number=p)
                    .exclude(po_number="")
                    .order_by()
                    .values("pk")[:2]
                )
            ),
            text,
        )

    def by_pk(self, pk: int) -> list:
        return self._found(self._by_pk.rows(pk))

    def by_number(self, number: int) -> list:
        return self._found(self._by_number.rows(number))

    def by_tray(self, tray: str) -> list:
        return self._found(self._by_tray.rows(tray))

    def by_number_or_tray(self, number: int, tray: str) -> list:
        return self._found(self._by_number_or_tray.rows(number, tray))

    def by_po_number(self, po_number: str) -> list:
        return self._found(self._by_po_number.rows(po_number))

    def order_of(self, found) -> Order:
        return found[0] if self.with_items else found

    def _select(self, condition: Q):
        orders = Order.objects.filter(condition)
        if self.lock_annotations is not None:
            orders = orders.select_for_update(of=("self",)).annotate(**self.lock_annotations)
        if self.with_items:
            # One row per item and endpoint; an order's rows together, in id order.
            orders = orders.order_by("pk", "items__id", "items__endpoints__id")
        else:
            orders = orders.order_by()
        return orders.values_list(*self._shape().names, *(self.lock_annotations or {}))

    @functools.cache  # noqa: B019 - module-level instances, kept for the process's life
    def _shape(self) -> "_RowShape":
        station_model = Order._meta.get_field("current_station").related_model
        user_model = get_user_model()
        order_attnames = [field.attname for field in Order._meta.concrete_fields]
        station_attnames = [field.attname for field in station_model._meta.concrete_fields]
        names = list(order_attnames)
        if self.with_related:
            names += [f"current_station__{name}" for name in station_attnames]
            names.append(f"created_by__{user_model.USERNAME_FIELD}")
        if self.with_items:
            names += _ITEM_COLUMNS
        order_end = len(order_attnames)
        return _RowShape(
            names=names,
            order_attnames=order_attnames,
            station_model=station_model,
            station_attnames=station_attnames,
            user_model=user_model,
            user_attnames=[user_model._meta.pk.attname, user_model.USERNAME_FIELD],
            order_end=order_end,
            related_end=order_end + (len(station_attnames) + 1 if self.with_related else 0),
            pk_at=order_attnames.index(Order._meta.pk.attname),
        )

    def _found(self, rows: list[tuple]) -> list:
        shape = self._shape()
        items_end = len(shape.names)  # the annotations of a locking lookup follow
        found = []
        for row in rows:
            if self.with_items and found and found[-1][0].pk == row[shape.pk_at]:
                found[-1][1].append(row[shape.related_end : items_end])
                continue
            order = Order.from_db("default", shape.order_attnames, row[: shape.order_end])
            if self.with_related:
                _attach_related(order, row[shape.order_end : shape.related_end], shape)
            if self.lock_annotations is not None:
                values = dict(zip(self.lock_annotations, row[items_end:], strict=True))
                found.append((order, [row[shape.related_end : items_end]], values))
            elif self.with_items:
                found.append((order, [row[shape.related_end : items_end]]))
            else:
                found.append(order)
        return found


@dataclass(frozen=True)
class _RowShape:
    """Where a lookup's row holds what: the values_list names and how to split a row."""

    names: list[str]
    order_attnames: list[str]
    station_model: type
    station_attnames: list[str]
    user_model: type
    user_attnames: list[str]
    order_end: int  # the order's columns end here; its station's and creator's follow
    related_end: int  # and end here; the item columns follow
    pk_at: int


def _attach_related(order: Order, values: tuple, shape: _RowShape) -> None:
    """Give ``order`` its current station and its creator (id and user name only)."""
    station_values, username = values[:-1], values[-1]
    order.current_station = (
        shape.station_model.from_db("default", shape.station_attnames, station_values)
        if order.current_station_id is not None
        else None
    )
    order.created_by = (
        shape.user_model.from_db("default", shape.user_attnames, [order.created_by_id, username])
        if order.created_by_id is not None
        else None
    )


_ORDER_ONLY = _Lookups(with_related=False)
_WITH_RELATED = _Lookups(with_related=True)
_WITH_ITEMS = _Lookups(with_related=True, with_items=True)

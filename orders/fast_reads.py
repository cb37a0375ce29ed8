"""The one fast path: how the Lab API v2 reads an order it shows (fetch, status, the answer of a
change), in written-out SQL through ``Model.objects.raw``.

Why it exists: these are the hottest requests of the API, and building their querysets cost
more than running them. Through the ORM a fetch compiled three queries (the order with its
station and creator, its items, their endpoints) on every request and ran at 0.31 x the floor
of ``bench/e2e_bench.py`` (by CPU), against a target of 0.7; see bench/RESULTS.md. The
statements here are written once from the models' metadata and run as they are.

What it is not: a second way to change data. It only reads, and it returns model instances
(``Order``, ``OrderItem``) and named rows (``ItemEndpoint``), as the ORM would; nothing outside
this module sees its SQL or its columns. The rules it repeats in SQL, "an active order" and
the identifier tries, are held equal to the ORM's by tests/orders/test_fast_reads.py.
"""

from dataclasses import dataclass
from functools import cache

from django.contrib.auth import get_user_model
from django.db import connection

from .identifiers import resolve_with
from .models import (
    Addon,
    Customer,
    Order,
    OrderAddon,
    OrderEye,
    OrderItem,
    OrderItemEndpoint,
    Station,
)
from .rx import Eye
from .status import OrderState


@dataclass(frozen=True)
class ItemEndpoint:
    """An endpoint of an item as shown: its name and its status there."""

    name: str
    status: str


def order_to_show(identifier: str, *, with_items: bool = False) -> Order:
    """The order ``identifier`` names (``resolve_order_identifier``'s rules and errors), with
    its current station, its customer, its creator's user name and its eyes; ``with_items``
    also reads its items with their endpoints (``items_shown``) in the same statement. One
    statement per try: an order number, a PO number; a tray that could be an order number is
    tried after it."""
    return resolve_with(identifier, _LOOKUPS[with_items])


def order_to_show_by_pk(pk: int) -> Order:
    """The order with primary key ``pk`` and its items, as ``order_to_show`` reads them: how a
    change shows the order it has just made. Raises ``Order.DoesNotExist``."""
    found = _orders("o.id = %s", [pk], with_items=True)
    if not found:
        raise Order.DoesNotExist(f"Order {pk} does not exist")
    return found[0]


def items_shown(order: Order) -> list[tuple[OrderItem, list[ItemEndpoint]]]:
    """The items of an order read ``with_items``, in id order, each with its endpoints."""
    return order.items_shown


class _RawLookups:
    """``identifiers.OrderLookups`` in written-out SQL."""

    def __init__(self, *, with_items: bool):
        self.with_items = with_items

    def by_number_or_tray(self, number: int | None, tray: str | None) -> list[Order]:
        # An identifier that may be both is tried as both in one statement, each try on its
        # own index (an IN over a UNION ALL); ``resolve_with`` lets the number win. A plain
        # OR of the two was planned afresh on every run (PostgreSQL found no plan good for
        # any values).
        if tray is None:
            return _orders("o.number = %s", [number], with_items=self.with_items)
        if number is None:
            return _orders(_active_tray("o."), [tray], with_items=self.with_items)
        table = connection.ops.quote_name(Order._meta.db_table)
        return _orders(
            f"o.id IN (SELECT id FROM {table} WHERE number = %s"  # noqa: S608
            f" UNION ALL SELECT id FROM {table} WHERE {_active_tray('')})",
            [number, tray],
            with_items=self.with_items,
        )

    def by_po_number(self, po_number: str) -> list[Order]:
        # Two orders at most (a subquery: with items, an order has several rows).
        return _orders(
            f"o.id IN (SELECT id FROM {connection.ops.quote_name(Order._meta.db_table)}"  # noqa: S608
            " WHERE po_number = %s AND po_number <> '' LIMIT 2)",
            [po_number],
            with_items=self.with_items,
        )


def _active_tray(alias: str) -> str:
    """The condition "holds this tray (the one parameter) and is active". The constants are
    written into the statement, not bound: a plan made once for any tray then still knows
    which orders the condition leaves out (the partial index on active trays)."""
    return (
        f"{alias}tray = %s AND {alias}tray <> '' AND {alias}cancelled_at IS NULL"
        f" AND {alias}state <> '{OrderState.COMPLETED.value}'"
    )


_LOOKUPS = {False: _RawLookups(with_items=False), True: _RawLookups(with_items=True)}


def _orders(condition: str, params: list, *, with_items: bool) -> list[Order]:
    """The orders the condition selects, in one statement. With items, an order comes once per
    item and endpoint, its rows together: the first row gives the order, every row an item
    (when it starts one) and an endpoint (when it has one)."""
    statements = _statements()
    sql = (statements.order_with_items if with_items else statements.order).format(
        condition=condition
    )
    orders: dict[int, Order] = {}
    for row in Order.objects.raw(sql, params):
        order = orders.get(row.pk)
        if order is None:
            order = orders[row.pk] = row
            _attach_station_customer_and_creator(order)
            _attach_eyes(order)
            _attach_addons(order)
            order.items_shown = []
        if with_items and row.item_id is not None:
            if not order.items_shown or order.items_shown[-1][0].pk != row.item_id:
                item = OrderItem.from_db(
                    row._state.db,
                    ["id", "order_id", *_ITEM_FIELDS],
                    [row.item_id, row.pk, *(getattr(row, f"item_{f}") for f in _ITEM_FIELDS)],
                )
                order.items_shown.append((item, []))
            if row.endpoint_name is not None:
                order.items_shown[-1][1].append(
                    ItemEndpoint(name=row.endpoint_name, status=row.endpoint_status)
                )
    return list(orders.values())


def _attach_station_customer_and_creator(order: Order) -> None:
    """Give the order its station, customer and creator with the fields shown; their other
    fields are deferred (read from the database if anyone asks), as with ``.only()``."""
    db = order._state.db
    order.customer = (
        Customer.from_db(
            db,
            ["id", *_CUSTOMER_FIELDS],
            [order.customer_id, *(getattr(order, f"of_customer_{f}") for f in _CUSTOMER_FIELDS)],
        )
        if order.customer_id is not None
        else None
    )
    order.current_station = (
        Station.from_db(
            db,
            ["id", *_STATION_FIELDS],
            [order.current_station_id, *(getattr(order, f"station_{f}") for f in _STATION_FIELDS)],
        )
        if order.current_station_id is not None
        else None
    )
    user_model = get_user_model()
    order.created_by = (
        user_model.from_db(
            db, ["id", user_model.USERNAME_FIELD], [order.created_by_id, order.creator_name]
        )
        if order.created_by_id is not None
        else None
    )


def _attach_eyes(order: Order) -> None:
    """Give the order its right and left eye (``Order.right_eye``, ``left_eye``), or None for
    an eye it does not have."""
    db = order._state.db
    for eye in Eye:
        prefix = _EYE_ALIASES[eye]
        pk = getattr(order, f"{prefix}_id")
        shown = None
        if pk is not None:
            values = [getattr(order, f"{prefix}_{f}") for f in _EYE_FIELDS]
            shown = OrderEye.from_db(db, ["id", "order_id", *_EYE_FIELDS], [pk, order.pk, *values])
        setattr(order, Order.EYE_ATTRIBUTES[eye], shown)


def _attach_addons(order: Order) -> None:
    """Give the order its addon codes and its first AR addon (``Order.addon_codes``,
    ``ar_addon``), read as columns of its row."""
    order.addon_codes = order.addons_joined.split(",") if order.addons_joined else []
    order.ar_addon = (
        Addon.from_db(
            order._state.db,
            ["id", "code", "description"],
            [order.ar_id, order.ar_code, order.ar_description],
        )
        if order.ar_id is not None
        else None
    )


@dataclass(frozen=True)
class _Statements:
    order: str  # with a {condition} on the order (alias o)
    order_with_items: str  # the same, and a row per item and endpoint


@cache
def _statements() -> _Statements:
    """The statements, written once from the models' tables and columns."""
    quote = connection.ops.quote_name
    user_model = get_user_model()
    pk = quote(Order._meta.pk.column)
    select = ", ".join(
        [
            "o.*",
            *(f"s.{quote(_column(Station, f))} AS station_{f}" for f in _STATION_FIELDS),
            *(f"c.{quote(_column(Customer, f))} AS of_customer_{f}" for f in _CUSTOMER_FIELDS),
            f"u.{quote(_column(user_model, user_model.USERNAME_FIELD))} AS creator_name",
            f"{_addon_codes_joined(quote, pk)} AS addons_joined",
            *(f"ar.{quote(_column(Addon, f))} AS ar_{f}" for f in ("id", "code", "description")),
            *(
                f"{alias}.{quote(column)} AS {alias}_{name}"
                for alias in _EYE_ALIASES.values()
                for name, column in [("id", OrderEye._meta.pk.column)]
                + [(f, _column(OrderEye, f)) for f in _EYE_FIELDS]
            ),
        ]
    )
    # The orders the condition picks come first, in a subquery of their own, and the rest is
    # joined to them. Written as one WHERE over all the joins, the statement has more tables
    # than PostgreSQL reorders (join_collapse_limit), and with the items it then joined every
    # order to its items before picking one: half a second a fetch by tray on 100,000 orders.
    joins = (
        f" FROM (SELECT o.{pk} FROM {quote(Order._meta.db_table)} o"  # noqa: S608 - model names
        f" WHERE {{condition}}) picked"
        f" JOIN {quote(Order._meta.db_table)} o ON o.{pk} = picked.{pk}"
        f" LEFT JOIN {quote(Station._meta.db_table)} s"
        f" ON s.{quote(Station._meta.pk.column)} = o.{quote(_column(Order, 'current_station'))}"
        f" LEFT JOIN {quote(Customer._meta.db_table)} c"
        f" ON c.{quote(Customer._meta.pk.column)} = o.{quote(_column(Order, 'customer'))}"
        f" LEFT JOIN {quote(user_model._meta.db_table)} u"
        f" ON u.{quote(user_model._meta.pk.column)} = o.{quote(_column(Order, 'created_by'))}"
        + _first_ar_addon_join(quote, pk)
        + "".join(
            f" LEFT JOIN {quote(OrderEye._meta.db_table)} {alias}"
            f" ON {alias}.{quote(_column(OrderEye, 'order'))} = o.{pk}"
            f" AND {alias}.{quote(_column(OrderEye, 'eye'))} = '{eye.value}'"
            for eye, alias in _EYE_ALIASES.items()
        )
    )
    item_select = ", ".join(
        [
            f"i.{quote(OrderItem._meta.pk.column)} AS item_id",
            *(f"i.{quote(_column(OrderItem, f))} AS item_{f}" for f in _ITEM_FIELDS),
            f"e.{quote(_column(OrderItemEndpoint, 'name'))} AS endpoint_name",
            f"e.{quote(_column(OrderItemEndpoint, 'status'))} AS endpoint_status",
        ]
    )
    item_joins = (
        f" LEFT JOIN {quote(OrderItem._meta.db_table)} i"
        f" ON i.{quote(_column(OrderItem, 'order'))} = o.{pk}"
        f" LEFT JOIN {quote(OrderItemEndpoint._meta.db_table)} e"
        f" ON e.{quote(_column(OrderItemEndpoint, 'item'))} = i.{quote(OrderItem._meta.pk.column)}"
    )
    return _Statements(
        order=f"SELECT {select}{joins}",
        order_with_items=(
            f"SELECT {select}, {item_select}{joins}{item_joins}"
            f" ORDER BY o.{pk}, i.{quote(OrderItem._meta.pk.column)},"
            f" e.{quote(OrderItemEndpoint._meta.pk.column)}"
        ),
    )


def _order_addons(quote, order_pk: str, *, only_ar: bool = False) -> str:
    """The rows of the order's addons: code, position (and addon id), for a subquery."""
    return (
        f"SELECT a.{quote(Addon._meta.pk.column)} AS addon_id,"  # noqa: S608 - names from the models
        f" a.{quote(_column(Addon, 'code'))} AS code,"
        f" oa.{quote(_column(OrderAddon, 'position'))} AS position"
        f" FROM {quote(OrderAddon._meta.db_table)} oa JOIN {quote(Addon._meta.db_table)} a"
        f" ON a.{quote(Addon._meta.pk.column)} = oa.{quote(_column(OrderAddon, 'addon'))}"
        f" WHERE oa.{quote(_column(OrderAddon, 'order'))} = o.{order_pk}"
        + (f" AND a.{quote(_column(Addon, 'is_ar'))}" if only_ar else "")
    )


def _addon_codes_joined(quote, order_pk: str) -> str:
    """A subquery: the order's addon codes in their order, joined by commas (codes hold no
    comma: ``STATION_CODE``), or null. PostgreSQL orders inside its aggregate; SQLite's
    ``group_concat`` keeps the order of the subquery it reads."""
    rows = _order_addons(quote, order_pk)
    if connection.vendor == "postgresql":
        return f"(SELECT string_agg(code, ',' ORDER BY position) FROM ({rows}) codes)"  # noqa: S608
    return f"(SELECT group_concat(code, ',') FROM ({rows} ORDER BY position) codes)"  # noqa: S608


def _first_ar_addon_join(quote, order_pk: str) -> str:
    """A join of the order's first AR addon, as ``ar`` (null columns when it has none)."""
    first = f"SELECT addon_id FROM ({_order_addons(quote, order_pk, only_ar=True)}) ar_addons"  # noqa: S608
    return (
        f" LEFT JOIN {quote(Addon._meta.db_table)} ar ON ar.{quote(Addon._meta.pk.column)} ="
        f" ({first} ORDER BY position LIMIT 1)"
    )


_STATION_FIELDS = ("code", "description", "customer_description")
_CUSTOMER_FIELDS = ("number", "name")
_ITEM_FIELDS = ("sku", "name", "quantity", "status")
_EYE_FIELDS = tuple(f.name for f in OrderEye._meta.concrete_fields if f.name not in ("id", "order"))
_EYE_ALIASES = {Eye.RIGHT: "rt", Eye.LEFT: "lt"}


def _column(model, field_name: str) -> str:
    return model._meta.get_field(field_name).column

"""Giving an order a tray, or moving it to another (contracts/workstations.md).

The checks run by the contract's priority, the first failing one raised. Two requests racing
for one tray cannot both win: the database allows a tray to one active order only
(``order_tray_unique_while_active``), and the loser is checked again against the winner.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q

from orders.errors import (
    OrderHasTray,
    OrderNotFound,
    TrayForCompletedOrder,
    TrayForDeletedOrder,
    TrayForOrderOnHold,
    TrayIdentifierRefused,
    TrayInUse,
    TrayNumberNotDigits,
    TrayNumberTooLong,
    TrayOrderNotFound,
)
from orders.identifiers import resolve_order_identifier, resolved_by_tray, tray_number_error
from orders.models import ACTIVE_ORDER, LabSettings, Order
from orders.status import EventKind

from .history import save_change
from .locks import locked_orders

# How often an assignment is checked again after a concurrent one took the tray first. Each
# retry needs yet another assignment of the same tray committed in between: a few are plenty.
ATTEMPTS = 10
TRAY_ASSIGNED = "Tray assigned"
TRAY_REASSIGNED = "Tray reassigned"


@dataclass(frozen=True)
class TrayAssignment:
    order: Order
    message: str  # TRAY_ASSIGNED or TRAY_REASSIGNED


def order_for_tray(identifier: str) -> Order:
    """The order a tray assignment names: by number or PO number, not by its tray (checks 1
    and 2)."""
    try:
        order = resolve_order_identifier(identifier)
    except OrderNotFound:
        raise TrayOrderNotFound(identifier) from None
    if resolved_by_tray(identifier, order):
        raise TrayIdentifierRefused(identifier)
    return order


def assign_tray(*, order: Order, tray: str, reassign: bool = False, actor) -> TrayAssignment:
    """Give ``order`` the tray ``tray``. An order that has a tray keeps it unless ``reassign``;
    the same tray again changes nothing. A tray another active order holds is refused while
    the setting Verify Tray is Empty is on; off, it moves, and that order is left without one."""
    if tray_number_error(tray):
        digits = tray.isascii() and tray.isdigit()
        raise TrayNumberTooLong(tray) if digits else TrayNumberNotDigits(tray)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _assign(order, tray, reassign=reassign, actor=actor)
        except IntegrityError:
            # A concurrent assignment gave the tray to another order after our check: check
            # again, against that order.
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _assign(order: Order, tray: str, *, reassign: bool, actor) -> TrayAssignment:
    # The order and the one holding the tray, if any, locked together in primary-key order.
    locked = list(
        locked_orders().filter(Q(pk=order.pk) | (ACTIVE_ORDER & Q(tray=tray))).order_by("pk")
    )
    order = next(row for row in locked if row.pk == order.pk)
    if order.is_cancelled:
        raise TrayForDeletedOrder
    if order.is_closed:
        raise TrayForCompletedOrder
    if order.on_hold:
        raise TrayForOrderOnHold
    if order.tray == tray:
        return TrayAssignment(order, TRAY_ASSIGNED)  # nothing to change
    if order.tray and not reassign:
        raise OrderHasTray(order.tray)
    holder = next((row for row in locked if row.pk != order.pk), None)
    if holder is not None:
        if LabSettings.load().verify_tray_is_empty:
            raise TrayInUse(holder.number)
        holder.tray = ""
        save_change(
            holder,
            ["tray"],
            kind=EventKind.TRAY,
            actor=actor,
            from_value=tray,
            note=f"Tray {tray} moved to order {order.number}",
        )
    previous = order.tray
    order.tray = tray
    save_change(
        order,
        ["tray"],
        kind=EventKind.TRAY,
        actor=actor,
        from_value=previous,
        to_value=tray,
        note=f"Tray taken from order {holder.number}" if holder is not None else "",
    )
    return TrayAssignment(order, TRAY_REASSIGNED if previous else TRAY_ASSIGNED)

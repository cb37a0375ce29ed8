"""Putting an order on hold and releasing it."""

from django.db import transaction

from orders.errors import (
    HoldNotAllowed,
    OrderAlreadyOnHold,
    OrderMarkedForCancelation,
    OrderNotOnHold,
)
from orders.models import LabSettings, Order
from orders.status import EventKind

from .history import save_change
from .locks import lock_open_order, lock_order


def hold_order(*, order: Order, actor) -> Order:
    """Put an order on hold. Refused when the lab does not allow holds."""
    with transaction.atomic():
        order = lock_open_order(order)
        if not LabSettings.load().allow_hold_orders:
            raise HoldNotAllowed
        if order.on_hold:
            raise OrderAlreadyOnHold
        order.on_hold = True
        save_change(order, ["on_hold"], kind=EventKind.HOLD, actor=actor, to_value="On Hold")
        return order


def release_order(*, order: Order, actor) -> Order:
    """Take an order off hold."""
    with transaction.atomic():
        order = lock_order(order)
        if order.is_cancelled:
            raise OrderMarkedForCancelation
        if not order.on_hold:
            raise OrderNotOnHold
        order.on_hold = False
        save_change(
            order,
            ["on_hold"],
            kind=EventKind.RELEASE,
            actor=actor,
            from_value="On Hold",
            to_value=order.get_state_display(),
        )
        return order

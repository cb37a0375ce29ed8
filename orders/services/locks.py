"""How a service takes hold of an order: it re-reads it under a row lock, inside its
transaction, before it checks anything. Orders are always locked one at a time, or several in
primary-key order, so concurrent services queue instead of deadlocking."""

from django.db.models import QuerySet

from orders.errors import OrderAlreadyCompleted, OrderMarkedForCancelation
from orders.models import Order


def locked_orders() -> QuerySet:
    """Orders read under a row lock on their own rows only (not on a joined station or user)."""
    return Order.objects.select_for_update(of=("self",))


def lock_order(order: Order) -> Order:
    """Re-read ``order`` under a row lock."""
    return locked_orders().get(pk=order.pk)


def refuse_unless_open(order: Order) -> None:
    """The guard of every change to an order's content: refused when it is marked for
    cancelation (``OrderMarkedForCancelation``), then when it is completed or pending completion
    (``OrderAlreadyCompleted``)."""
    if order.is_cancelled:
        raise OrderMarkedForCancelation
    if order.is_closed:
        raise OrderAlreadyCompleted


def lock_open_order(order: Order) -> Order:
    """``lock_order``, then ``refuse_unless_open`` on what it read."""
    order = lock_order(order)
    refuse_unless_open(order)
    return order

"""How a service takes hold of an order: it re-reads it under a row lock, inside its
transaction, before it checks anything. Orders are always locked one at a time, or several in
primary-key order, so concurrent services queue instead of deadlocking."""

from django.db.models import QuerySet

from orders.models import Order


def locked_orders() -> QuerySet:
    """Orders read under a row lock on their own rows only (not on a joined station or user)."""
    return Order.objects.select_for_update(of=("self",))


def lock_order(order: Order) -> Order:
    """Re-read ``order`` under a row lock."""
    return locked_orders().get(pk=order.pk)

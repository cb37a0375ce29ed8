"""Processing (releasing orders to their endpoints) and the statuses of orders, items and
endpoints that the Orders API sets."""

import uuid

from django.db import transaction
from django.utils import timezone

from orders.errors import (
    EndpointNotFound,
    ItemCancelled,
    ItemNotFound,
    OrderNotFound,
    OrderNotProcessable,
    OrderNotProcessed,
    VersionMismatch,
)
from orders.identifiers import parse_public_id
from orders.models import Order, OrderItem, OrderItemEndpoint
from orders.status import EventKind, OrderState, ProcessingStatus, derive_status

from .history import new_event, record_events, save_change
from .locks import lock_order, locked_orders, refuse_unless_open


def _why_not_processable(order: Order) -> str | None:
    if order.is_cancelled:
        return "it is marked for cancelation"
    if order.is_completed:
        return "it is completed"
    if order.is_processed:
        return "it has already been processed"
    if order.on_hold:
        return "it is on hold"
    if order.state != OrderState.VALID:
        return (
            f"it is not valid ({order.unvalid_message})"
            if order.unvalid_message
            else (f"its state is {order.get_state_display()}")
        )
    return None


def process_orders(*, public_ids: list[str], actor) -> list[Order]:
    """Release orders to their endpoints, all or none.

    Every id must name an order (``OrderNotFound``) that can be processed
    (``OrderNotProcessable``, naming the first that cannot). Orders are locked in primary-key
    order, so concurrent calls over overlapping ids queue instead of deadlocking.
    """
    wanted: dict[uuid.UUID, str] = {}
    for raw in public_ids:
        public_id = parse_public_id(raw)
        if public_id is None:
            raise OrderNotFound(raw)
        wanted.setdefault(public_id, raw)
    with transaction.atomic():
        orders = list(locked_orders().filter(public_id__in=list(wanted)).order_by("pk"))
        found = {order.public_id for order in orders}
        for public_id, raw in wanted.items():
            if public_id not in found:
                raise OrderNotFound(raw)
        by_id = {order.public_id: order for order in orders}
        for public_id in wanted:
            why = _why_not_processable(by_id[public_id])
            if why is not None:
                raise OrderNotProcessable(identifier=str(public_id), why=why)
        now = timezone.now()
        for order in orders:
            order.processed_at = now
            order.version += 1
        Order.objects.bulk_update(orders, ["processed_at", "version"])
        record_events(
            new_event(order, at=now, kind=EventKind.PROCESSED, actor=actor, to_value="Processed")
            for order in orders
        )
        return [by_id[public_id] for public_id in wanted]


def refresh_processing_status(order: Order) -> str:
    """Re-derive the statuses of a locked order's items and of the order from the endpoints.

    Call it inside the transaction of any service that changed item or endpoint statuses.
    Items without endpoints keep the status set on them. Saves what changed (the order's
    ``processing_status`` included, not its version) and returns the order's new status.
    """
    items = list(order.items.prefetch_related("endpoints").order_by("id"))
    changed = []
    for item in items:
        endpoint_statuses = [endpoint.status for endpoint in item.endpoints.all()]
        if endpoint_statuses:
            status = derive_status(endpoint_statuses)
            if item.status != status:
                item.status = status
                changed.append(item)
    if changed:
        OrderItem.objects.bulk_update(changed, ["status"])
    order.processing_status = derive_status(item.status for item in items)
    Order.objects.filter(pk=order.pk).update(processing_status=order.processing_status)
    return order.processing_status


def _check_status_change(order: Order, version: int | None) -> None:
    if version is not None and version != order.version:
        raise VersionMismatch(current=order.version, provided=version)
    refuse_unless_open(order)
    if not order.is_processed:
        raise OrderNotProcessed


def _finish_status_change(order: Order, *, actor, before: str, note: str) -> Order:
    refresh_processing_status(order)  # which saves the order's status
    save_change(
        order,
        [],
        kind=EventKind.PROCESSING_STATUS,
        actor=actor,
        from_value=before,
        to_value=order.processing_status,
        note=note,
    )
    return order


def set_order_status(*, order: Order, actor, status: str, version: int | None = None) -> Order:
    """Set every live item of the order, at all of its endpoints, to ``status``.

    Items already cancelled stay cancelled. ``version`` (the client's ``_v``), when given,
    must be the order's current version.
    """
    status = ProcessingStatus(status)
    with transaction.atomic():
        order = lock_order(order)
        _check_status_change(order, version)
        before = order.processing_status
        live_items = OrderItem.objects.filter(order=order).exclude(
            status=ProcessingStatus.CANCELLED
        )
        OrderItemEndpoint.objects.filter(item__in=live_items).update(status=status)
        live_items.update(status=status)
        return _finish_status_change(
            order, actor=actor, before=before, note=f"order set to {status.value}"
        )


def set_item_status(
    *, order: Order, item_id: int, actor, status: str, version: int | None = None
) -> Order:
    """Set one item of the order, at all of its endpoints, to ``status``."""
    status = ProcessingStatus(status)
    with transaction.atomic():
        order = lock_order(order)
        item = OrderItem.objects.filter(order=order, pk=item_id).first()
        if item is None:
            raise ItemNotFound(str(item_id))
        _check_status_change(order, version)
        if item.status == ProcessingStatus.CANCELLED and status != ProcessingStatus.CANCELLED:
            raise ItemCancelled
        before = order.processing_status
        item.endpoints.update(status=status)
        OrderItem.objects.filter(pk=item.pk).update(status=status)
        return _finish_status_change(
            order,
            actor=actor,
            before=before,
            note=f"item {item.pk} ({item.sku}) set to {status.value}",
        )


def set_endpoint_status(
    *, order: Order, endpoint: str, actor, status: str, version: int | None = None
) -> Order:
    """Set every live item of the order at ``endpoint`` to ``status`` there."""
    status = ProcessingStatus(status)
    name_length = OrderItemEndpoint._meta.get_field("name").max_length
    if "\x00" in endpoint or len(endpoint) > name_length:
        raise EndpointNotFound(endpoint)  # no endpoint can have such a name
    with transaction.atomic():
        order = lock_order(order)
        at_endpoint = OrderItemEndpoint.objects.filter(item__order=order, name=endpoint)
        if not at_endpoint.exists():
            raise EndpointNotFound(endpoint)
        _check_status_change(order, version)
        before = order.processing_status
        at_endpoint.exclude(item__status=ProcessingStatus.CANCELLED).update(status=status)
        return _finish_status_change(
            order, actor=actor, before=before, note=f"endpoint {endpoint} set to {status.value}"
        )

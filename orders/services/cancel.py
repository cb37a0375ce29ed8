"""Cancelling an order (the Lab API v2's rules, shared by the Orders API and the admin), and
cancelling items of an order still in pre-production (the item-cancel contract)."""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from orders import hooks
from orders.errors import (
    DeleteReasonInvalid,
    DeleteReasonsEmpty,
    ItemCancelled,
    ItemNotFound,
    JobTrackerRequired,
    OrderAlreadyCompleted,
    OrderNotPreProduction,
)
from orders.identifiers import resolve_order_identifier
from orders.models import DeleteReason, LabSettings, Order, OrderItem, OrderItemEndpoint
from orders.status import EventKind, OrderState, ProcessingStatus, derive_status
from toolkit.errors import DomainError

from .history import actor_name, new_event, record_events, save_change
from .locks import lock_open_order, lock_order, locked_orders

_CANCELLED = ProcessingStatus.CANCELLED

REASON_IGNORED_WARNING = (
    "deleteReason was ignored: this lab does not require reason codes when deleting orders"
)


@dataclass
class CancelResult:
    order: Order
    message: str  # "" or the warning that a reason code was ignored


def cancel_order(
    *, order: Order | None = None, identifier: str | None = None, actor, reason_code: str | None
) -> CancelResult:
    """Mark an order for cancelation, checking the contract's guards in their order.

    The order is ``order``, or the one ``identifier`` names (``resolve_order_identifier``'s
    rules and errors), looked up with the lock. Nothing is deleted: the order keeps its data
    and history, and its tray is free again.
    """
    if (order is None) == (identifier is None):
        raise TypeError("give the order or its identifier")
    with transaction.atomic():
        if order is None:
            order = resolve_order_identifier(identifier, orders=locked_orders())
        else:
            order = lock_order(order)
        settings = LabSettings.load()
        refusal = _order_cancel_refusal(order, settings=settings)
        if refusal is not None:
            raise refusal
        reason, message = _cancel_reason(settings, reason_code)
        refusal = _production_cancel_refusal(order)
        if refusal is not None:
            raise refusal

        # What other apps undo with the order (queued print jobs, say), in their order.
        notes = [note for effect in hooks.on_cancel if (note := effect(order))]
        # The work is abandoned: every item, at every endpoint, is cancelled with the order.
        live = ~Q(status=_CANCELLED)
        OrderItemEndpoint.objects.filter(live, item__order=order).update(status=_CANCELLED)
        OrderItem.objects.filter(live, order=order).update(status=_CANCELLED)
        order.processing_status = _CANCELLED
        order.cancelled_at = timezone.now()
        order.cancelled_by = actor
        order.cancel_reason = reason
        save_change(
            order,
            ["cancelled_at", "cancelled_by", "cancel_reason", "processing_status"],
            kind=EventKind.CANCEL,
            actor=actor,
            from_value=order.get_state_display(),
            to_value="Marked for cancelation",
            reason=str(reason) if reason else "",
            note="; ".join([f"tray {order.tray} freed"] * bool(order.tray) + notes),
        )
        return CancelResult(order=order, message=message)


def cancel_refusal(order: Order, *, settings: LabSettings) -> DomainError | None:
    """Why ``cancel_order`` would refuse ``order`` whatever reason code it is given, or None.

    Reads and changes nothing but what the hooks read: the admin shows its Cancel button only
    where this is None, so the button never offers a cancel the service refuses.
    """
    return _order_cancel_refusal(order, settings=settings) or _production_cancel_refusal(order)


def _order_cancel_refusal(order: Order, *, settings: LabSettings) -> DomainError | None:
    """The contract's guards #2 and #3: the lab's module, and the order's own state."""
    if not settings.job_tracker_module_installed:
        return JobTrackerRequired()
    if order.is_cancelled or order.is_closed:
        return OrderAlreadyCompleted()
    return None


def _production_cancel_refusal(order: Order) -> DomainError | None:
    """The contract's guard #6, asked of the apps that record where the order has been."""
    for refusal_of in hooks.cancel_refusals:
        refusal = refusal_of(order)
        if refusal is not None:
            return refusal
    return None


def _cancel_reason(
    settings: LabSettings, reason_code: str | None
) -> tuple[DeleteReason | None, str]:
    """The contract's guards #4 and #5: the reason a cancel records, and its warning message."""
    if not settings.enter_reason_code_when_deleting_order:
        return None, REASON_IGNORED_WARNING if reason_code else ""
    if not DeleteReason.objects.filter(active=True).exists():
        raise DeleteReasonsEmpty
    reason = DeleteReason.objects.filter(code=reason_code or "", active=True).first()
    if reason is None:
        raise DeleteReasonInvalid(reason_code or "")
    return reason, ""


# --- cancel items -----------------------------------------------------------------------------

# Item ids are 64-bit primary keys: a larger id names no item (and is never sent to the database).
MAX_ITEM_ID = 2**63 - 1

PRE_PRODUCTION_STATES = frozenset({OrderState.UNVALID, OrderState.VALID})


@dataclass
class CancelItemsResult:
    order: Order
    cancelled: list[int]  # in the order they were asked for
    failures: dict[int, str]  # item id -> why it was not cancelled


def cancel_items(
    *, order: Order, item_ids: list[int], actor, partner_name: str = ""
) -> CancelItemsResult:
    """Cancel items of a pre-production order, each id on its own (partial success).

    The order must be neither marked for cancelation nor completed (``OrderMarkedForCancelation``,
    ``OrderAlreadyCompleted``) and still pre-production (``OrderNotPreProduction``); then each
    id is cancelled, with its endpoints, or fails because it is not an item of this order or
    is already cancelled. A repeated id counts once. The order itself is never cancelled,
    even when its last live item is: it stays visible with its history. ``partner_name``
    names the API partner that asked, in the history.

    The items' and the order's statuses are then derived again from their endpoints', as
    ``refresh_processing_status`` derives them.
    """
    wanted = list(dict.fromkeys(item_ids))
    with transaction.atomic():
        order = lock_open_order(order)
        status = _production_status(order)
        if status is not None:
            raise OrderNotPreProduction(status)

        items = {item.pk: item for item in order.items.prefetch_related("endpoints")}
        to_cancel: list[OrderItem] = []
        failures: dict[int, str] = {}
        for item_id in wanted:
            item = items.get(item_id) if 0 < item_id <= MAX_ITEM_ID else None
            if item is None:
                failures[item_id] = ItemNotFound.message
            elif item.status == _CANCELLED:
                failures[item_id] = ItemCancelled.message
            else:
                to_cancel.append(item)

        if to_cancel:
            previous = {item.pk: item.status for item in to_cancel}
            OrderItemEndpoint.objects.filter(item__in=to_cancel).update(status=_CANCELLED)
            for item in to_cancel:
                item.status = _CANCELLED
                for endpoint in item.endpoints.all():
                    endpoint.status = _CANCELLED
            # The other items keep their endpoints; one whose status is not the one its
            # endpoints give is corrected, as refresh_processing_status would.
            changed = list(to_cancel)
            for item in items.values():
                endpoint_statuses = [endpoint.status for endpoint in item.endpoints.all()]
                if item not in to_cancel and endpoint_statuses:
                    derived = derive_status(endpoint_statuses)
                    if derived != item.status:
                        item.status = derived
                        changed.append(item)
            OrderItem.objects.bulk_update(changed, ["status"])
            order.processing_status = derive_status(item.status for item in items.values())
            by = f" by partner {partner_name} (as {actor_name(actor)})" if partner_name else ""
            order.version += 1
            order.save(update_fields=["processing_status", "version"])
            record_events(
                new_event(
                    order,
                    kind=EventKind.ITEMS_CANCELLED,
                    actor=actor,
                    shown_as=partner_name,
                    from_value=previous[item.pk],
                    to_value=_CANCELLED,
                    note=f"item {item.pk} ({item.sku}) cancelled{by}",
                )
                for item in to_cancel
            )
        return CancelItemsResult(
            order=order, cancelled=[item.pk for item in to_cancel], failures=failures
        )


def _production_status(order: Order) -> str | None:
    """The status of an order past pre-production, or None while its items may be cancelled.

    Pre-production: unvalid or valid (on hold or not) and never checked in at a station (its
    current station, or one that an app's records place it at: ``hooks.production_stations``).
    Cancelled and completed orders are refused before this is asked.
    """
    if order.current_station_id is not None:
        station = order.current_station.code
    else:
        station = next(
            (code for source in hooks.production_stations if (code := source(order))), None
        )
    if order.state in PRE_PRODUCTION_STATES and station is None:
        return None
    parts = [order.get_state_display()]
    if order.on_hold:
        parts.append("on hold")
    if station is not None:
        parts.append(f"checked in at station {station}")
    return ", ".join(parts)

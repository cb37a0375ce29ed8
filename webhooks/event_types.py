"""The webhook event types, and which entry of an order's history each one is."""

from django.db import models

from orders.status import EventKind


class EventType(models.TextChoices):
    CREATED = "order.created"
    STATUS_CHANGED = "order.status_changed"
    CHECKED_IN = "order.checked_in"
    CANCELLED = "order.cancelled"
    COMPLETED = "order.completed"
    ITEMS_CANCELLED = "order.items_cancelled"
    TRAY_ASSIGNED = "order.tray_assigned"
    TICKET_PRINTED = "order.ticket_printed"


# The history entries that are webhook events, and the events each one is. The others (a
# completion requested or refused, processing, a calculation, a pick) are not sent.
# `order.status_changed` is every change of the state (U/V/P/C) or of the hold: the *State
# changed* entry a first check-in adds beside its check-in (Valid to Process), a hold, a
# release, and a completion (Process to Completed), which is also `order.completed`.
EVENT_TYPES_OF_KIND: dict[str, tuple[EventType, ...]] = {
    EventKind.CREATED: (EventType.CREATED,),
    EventKind.STATE: (EventType.STATUS_CHANGED,),
    EventKind.HOLD: (EventType.STATUS_CHANGED,),
    EventKind.RELEASE: (EventType.STATUS_CHANGED,),
    EventKind.CHECKIN: (EventType.CHECKED_IN,),
    EventKind.CANCEL: (EventType.CANCELLED,),
    EventKind.COMPLETED: (EventType.COMPLETED, EventType.STATUS_CHANGED),
    EventKind.ITEMS_CANCELLED: (EventType.ITEMS_CANCELLED,),
    EventKind.TRAY: (EventType.TRAY_ASSIGNED,),
    EventKind.PRINT_REQUESTED: (EventType.TICKET_PRINTED,),
}

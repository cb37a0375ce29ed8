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


# The history entries that are webhook events. The others (a completion requested or
# refused, processing, a calculation, a pick) are not sent.
EVENT_TYPE_OF_KIND: dict[str, EventType] = {
    EventKind.CREATED: EventType.CREATED,
    EventKind.STATE: EventType.STATUS_CHANGED,  # valid / unvalid
    EventKind.HOLD: EventType.STATUS_CHANGED,
    EventKind.RELEASE: EventType.STATUS_CHANGED,
    EventKind.CHECKIN: EventType.CHECKED_IN,
    EventKind.CANCEL: EventType.CANCELLED,
    EventKind.COMPLETED: EventType.COMPLETED,
    EventKind.ITEMS_CANCELLED: EventType.ITEMS_CANCELLED,
    EventKind.TRAY: EventType.TRAY_ASSIGNED,
    EventKind.PRINT_REQUESTED: EventType.TICKET_PRINTED,
}

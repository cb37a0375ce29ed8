"""Webhook events written with the order changes they tell of.

``enqueue`` is registered on ``orders.hooks.on_history``: every entry added to an order's
history passes through it inside the transaction that adds it. An entry whose kind is a
webhook event (one or two: ``EVENT_TYPES_OF_KIND``), about an order some active subscription
wants, becomes an ``Event`` per event type (the order's v2 fetch model as it stands now, after
the change) and one ``Delivery`` per subscription. A change that rolls back takes its events
with it; one that commits has them, whatever happens to any process afterwards.
"""

from orders import fast_reads
from orders.api.payloads import V2OrderSerializer
from orders.models import OrderEvent

from .event_types import EVENT_TYPES_OF_KIND
from .models import Delivery, Event, Subscription


def fetch_model(order_id: int) -> dict:
    """The order's v2 fetch model, as the API's serializer writes it (``Event.order_model``
    stores it with the API's JSON encoder: decimals and dates as the API sends them)."""
    return V2OrderSerializer.represent(fast_reads.order_to_show_by_pk(order_id))


def enqueue(history: list[OrderEvent]) -> None:
    """Write the webhook events and deliveries of these new history entries."""
    entries = [entry for entry in history if entry.kind in EVENT_TYPES_OF_KIND]
    if not entries:
        return
    subscriptions = list(Subscription.objects.filter(active=True))
    if not subscriptions:
        return
    models: dict[int, dict] = {}  # by order id: the fetch model, read once per order
    events, deliveries = [], []
    for entry in entries:
        for event_type in EVENT_TYPES_OF_KIND[entry.kind]:
            if entry.order_id not in models:
                models[entry.order_id] = fetch_model(entry.order_id)
            model = models[entry.order_id]
            wanting = [s for s in subscriptions if s.wants(event_type, model.get("customerNumber"))]
            if not wanting:
                continue
            event = Event(
                type=event_type,
                order_id=entry.order_id,
                occurred_at=entry.at,
                order_model=model,
            )
            events.append(event)
            deliveries += [
                Delivery(
                    event=event,
                    subscription=s,
                    order_id=entry.order_id,
                    created_at=event.occurred_at,
                )
                for s in wanting
            ]
    Event.objects.bulk_create(events)
    Delivery.objects.bulk_create(deliveries)

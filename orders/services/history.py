"""An order's history, and the one way a service saves a change to an order and records it.

Every history entry is written here (``record_event``, ``record_events``), and each write
tells ``orders.hooks.on_history`` in the same transaction: what other apps derive from the
history (webhook events) commits or rolls back with the change itself.
"""

from collections.abc import Iterable

from orders import hooks
from orders.models import Order, OrderEvent
from orders.status import EventKind, OrderState


def actor_name(actor) -> str:
    return actor.get_username() if actor is not None else "system"


def _fit(field_name: str, value: str) -> str:
    """``value`` cut to the history column's length: a long reason description, say, must not
    make the change it records fail."""
    limit = OrderEvent._meta.get_field(field_name).max_length
    return value if limit is None or len(value) <= limit else value[: limit - 1] + "…"


def new_event(order: Order, *, kind: str, actor, shown_as: str = "", **values) -> OrderEvent:
    """An unsaved entry of the order's history (for ``bulk_create``; else ``record_event``).
    The history names the actor, or ``shown_as`` where another name tells more (the API
    partner that acted with the actor's rights)."""
    values = {
        name: _fit(name, value) if isinstance(value, str) else value
        for name, value in values.items()
    }
    name = _fit("actor_name", shown_as or actor_name(actor))
    return OrderEvent(order=order, kind=kind, actor=actor, actor_name=name, **values)


def record_event(order: Order, *, kind: str, actor, **values) -> OrderEvent:
    """Append an entry to the order's history (inside the caller's transaction)."""
    return record_events([new_event(order, kind=kind, actor=actor, **values)])[0]


def record_events(events: Iterable[OrderEvent]) -> list[OrderEvent]:
    """Append unsaved entries (``new_event``) to orders' histories in one statement, inside
    the caller's transaction, and tell ``hooks.on_history``."""
    saved = OrderEvent.objects.bulk_create(events)
    if saved:
        for hook in hooks.on_history:
            hook(saved)
    return saved


def save_change(
    order: Order, fields: list[str], *, kind: str, actor, state_was: str | None = None, **event
) -> OrderEvent:
    """Save a change to a locked order and record it: its version goes up by one (the
    Orders API's ``_v``), ``fields`` and the version are saved, and the history gets an entry
    of ``kind`` with ``event``'s values. Every service that changes an order ends here.

    A change that moved the order out of ``state_was`` (the first check-in: Valid to Process)
    also gets a *State changed* entry, from the old state to the new, in the same statement:
    the history says when a job entered production, and webhooks tell it as a status change."""
    order.version += 1
    order.save(update_fields=[*fields, "version"])
    entries = [new_event(order, kind=kind, actor=actor, **event)]
    if state_was is not None and state_was != order.state:
        entries.append(
            new_event(
                order,
                kind=EventKind.STATE,
                actor=actor,
                from_value=OrderState(state_was).label,
                to_value=OrderState(order.state).label,
            )
        )
    return record_events(entries)[0]

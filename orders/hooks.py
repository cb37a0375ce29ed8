"""What the apps built on orders do inside an order's transitions.

``orders`` is the domain core and imports none of the apps above it. Where one of its
transitions must ask or tell another app something (a cancel refused once the order has passed a
non-cancel station; queued print jobs cancelled with the order), that app registers a function
here from its ``AppConfig.ready``. The lists are explicit and ordered: a transition runs its
hooks in the order they were registered, inside its own transaction, with the order locked.
"""

from collections.abc import Callable, Iterator
from typing import Any


class HookList:
    """An ordered list of functions that one transition calls. Registering the same function
    twice keeps it once, in its first place."""

    def __init__(self, name: str, doc: str):
        self.name = name
        self.__doc__ = doc
        self._hooks: list[Callable[..., Any]] = []

    def register(self, hook: Callable[..., Any]) -> Callable[..., Any]:
        if hook not in self._hooks:
            self._hooks.append(hook)
        return hook

    def __iter__(self) -> Iterator[Callable[..., Any]]:
        return iter(tuple(self._hooks))

    def __repr__(self) -> str:
        return f"<HookList {self.name}: {[hook.__qualname__ for hook in self._hooks]}>"


cancel_refusals = HookList(
    "cancel_refusals",
    """``(order) -> DomainError | None``: why another app's records forbid cancelling the order
    (checked after the orders' own guards and the reason code). The first refusal wins.""",
)

on_cancel = HookList(
    "on_cancel",
    """``(order) -> str``: what another app undoes when the order is cancelled, inside the
    cancel's transaction; returns a line for the history note, or ``""``.""",
)

production_stations = HookList(
    "production_stations",
    """``(order) -> str | None``: the code of a station where another app's records show the
    order was worked on, or None. An order with none is still pre-production (item cancel).""",
)

on_history = HookList(
    "on_history",
    """``(events: list[OrderEvent]) -> None``: what another app does with entries just added to
    orders' histories, inside the transaction that added them (``orders.services.history``
    calls it: every history entry is written there). Saved entries, primary keys set.""",
)

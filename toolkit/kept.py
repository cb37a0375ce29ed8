"""Rows a process keeps for a few seconds instead of reading them on every request.

Used for what nearly every request reads and people seldom change: verified API keys and their
users' rights (``accounts.credentials``) and the lab settings row
(``orders.LabSettings.load``). Each store names the setting that says how many seconds it keeps
a value (0: nothing is kept).

``forget()`` empties a store at once and again when the current transaction commits, so that
nothing read before the commit is kept after it; a read that began before a ``forget()`` does
not keep its (older) answer. Other processes have their own stores: a change made elsewhere
counts here when what was kept runs out. A change that is rolled back after this process read
the changed rows in the same transaction may be kept until then.
"""

import threading
import time

from django.conf import settings
from django.db import connections, models, transaction

MISSING = object()


class KeptRows:
    """A process's store of values by key, each kept for ``settings.<seconds_setting>``."""

    def __init__(self, seconds_setting: str, *, max_entries: int = 10_000):
        self.seconds_setting = seconds_setting
        self.max_entries = max_entries  # past it, everything starts afresh
        self._values: dict = {}  # key -> (until, value)
        self._lock = threading.Lock()
        # Counts the forgettings, so that a read that began before one keeps nothing.
        self._generation = 0

    def seconds(self) -> float:
        return float(getattr(settings, self.seconds_setting, 0))

    def get(self, key):
        """The value kept for ``key``, or ``MISSING`` (never kept, or run out)."""
        found = self._values.get(key)
        if found is None or found[0] <= time.monotonic() or self.seconds() <= 0:
            return MISSING
        return found[1]

    def reading(self) -> int:
        """Call before reading what is to be kept; pass the result to ``keep``."""
        return self._generation

    def keep(self, key, value, reading: int) -> None:
        """Keep ``value`` for ``key``, unless the store was emptied since ``reading``."""
        seconds = self.seconds()
        if seconds <= 0:
            return
        until = time.monotonic() + seconds
        with self._lock:
            if reading != self._generation:
                return
            if len(self._values) >= self.max_entries:
                self._values.clear()
            self._values[key] = (until, value)

    def discard(self, key) -> None:
        self._values.pop(key, None)

    def forget(self) -> None:
        """Empty the store now, and again when each open transaction commits."""
        self._empty()
        for alias in connections:
            if transaction.get_connection(alias).in_atomic_block:
                transaction.on_commit(self._empty, using=alias)

    def _empty(self) -> None:
        with self._lock:
            self._generation += 1
            self._values.clear()


def copy_of(instance: models.Model) -> models.Model:
    """A new instance with the same field values: what each caller gets of a kept row, so that
    nothing one request does to it reaches another."""
    attnames = [field.attname for field in instance._meta.concrete_fields]
    return type(instance).from_db(
        instance._state.db, attnames, [getattr(instance, name) for name in attnames]
    )

"""The loop every background worker runs: heartbeat, drain work, stop cleanly on SIGTERM.

A worker's unit of work is one transaction (claim rows with SKIP LOCKED, process, commit), so
stopping between two units loses nothing, and a crash inside one rolls it back for the next
worker to pick up.
"""

import argparse
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import WorkerHeartbeat


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds")
    return value


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds above 0."""
    value = _seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0 seconds, not {text}")
    return value


def non_negative_seconds(text: str) -> float:
    """An argparse type: a number of seconds, 0 or more."""
    value = _seconds(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 seconds or more, not {text}")
    return value


def worker_is_alive(kind: str, *, within_seconds: int) -> bool:
    """Whether some worker of ``kind`` has reported within the last ``within_seconds``."""
    cutoff = timezone.now() - timedelta(seconds=within_seconds)
    return WorkerHeartbeat.objects.filter(kind=kind, beat_at__gte=cutoff).exists()


def left_by_dead_worker(stale) -> Q:
    """Rows claimed (``claimed_at``, ``claimed_by``) before ``stale`` by a worker whose
    heartbeat is older than ``stale`` too: the claims another worker may take over."""
    claimer_alive = WorkerHeartbeat.objects.filter(
        worker_id=OuterRef("claimed_by"), beat_at__gte=stale
    )
    return Q(claimed_at__lt=stale) & ~Exists(claimer_alive)


def last_heartbeat(kind: str) -> WorkerHeartbeat | None:
    return WorkerHeartbeat.objects.filter(kind=kind).order_by("-beat_at").first()


class WorkerLoop:
    """Calls ``step`` until stopped; ``step`` does one unit of work and returns how much."""

    def __init__(
        self,
        kind: str,
        *,
        heartbeat_seconds: float = 2.0,
        idle_seconds: float = 1.0,
        log: Callable[[str], None] = print,
    ):
        self.kind = kind
        self.heartbeat_seconds = heartbeat_seconds
        self.idle_seconds = idle_seconds
        self.log = log
        self.worker_id = f"{kind}-{uuid.uuid4().hex[:12]}"
        self._stop = threading.Event()
        self._last_beat = float("-inf")

    def stop(self, *_args) -> None:
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def beat(self) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "kind": self.kind,
                "hostname": socket.gethostname(),
                "pid": os.getpid(),
                "beat_at": timezone.now(),
            },
        )
        self._last_beat = time.monotonic()

    def _beat_if_due(self) -> None:
        if time.monotonic() - self._last_beat >= self.heartbeat_seconds:
            self.beat()

    def run(
        self,
        step: Callable[[], int],
        *,
        once: bool = False,
        pending: Callable[[], bool] = lambda: False,
        drain: Callable[[], int] = lambda: 0,
    ) -> int:
        """Run until stopped (or, with ``once``, until there is no work left).

        A worker whose work outlives a step (sends still in flight) says so with ``pending``:
        the loop neither idles nor ends while it is true, and ``drain`` finishes that work
        before the worker exits.
        """
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        total = 0
        self.log(f"{self.worker_id} started (pid {os.getpid()})")
        try:
            while not self.stopping:
                self._beat_if_due()
                done = step()
                total += done
                if done == 0 and not pending():
                    if once:
                        break
                    # Between bursts of work, drop a connection that is broken or past its
                    # age; while work flows, keep it (SQLite's would close after every step).
                    close_old_connections()
                    self._stop.wait(self.idle_seconds)
            total += drain()
        finally:
            # A clean exit says so at once instead of letting the heartbeat age out.
            WorkerHeartbeat.objects.filter(worker_id=self.worker_id).delete()
            self.log(f"{self.worker_id} stopped after {total} item(s)")
        return total


class WorkerCommand(BaseCommand):
    """A ``manage.py`` command that runs a ``WorkerLoop`` of ``kind``: ``--once``,
    ``--batch-size``, ``--idle-seconds`` and ``--heartbeat-seconds`` for every worker, the
    subclass adding its own options and doing one unit of work in ``work``."""

    kind: str
    default_batch_size = 50
    once_help = "Process what is pending, then exit."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help=self.once_help)
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=self.default_batch_size,
            help=f"Rows claimed per transaction (default {self.default_batch_size}).",
        )
        parser.add_argument("--idle-seconds", type=positive_seconds, default=1.0)
        parser.add_argument("--heartbeat-seconds", type=positive_seconds, default=2.0)

    def work(self, *, worker: str, batch_size: int, **options) -> int:
        """One unit of work (one transaction); how many rows it processed."""
        raise NotImplementedError

    def pending(self) -> bool:
        """Whether work handed on by ``work`` is still running (see ``WorkerLoop.run``)."""
        return False

    def drain(self) -> int:
        """Finish the work still running before the worker exits; how many rows."""
        return 0

    def handle(self, *args, once, idle_seconds, heartbeat_seconds, **options):
        loop = WorkerLoop(
            self.kind,
            heartbeat_seconds=heartbeat_seconds,
            idle_seconds=idle_seconds,
            log=lambda line: self.stdout.write(line),
        )
        loop.run(
            lambda: self.work(worker=loop.worker_id, **options),
            once=once,
            pending=self.pending,
            drain=self.drain,
        )

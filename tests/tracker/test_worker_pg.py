"""The Job Tracker on PostgreSQL: real ``manage.py run_tracker`` processes and real row locks.

* A tracker killed with SIGKILL loses nothing and applies nothing twice: its open transaction
  rolls back and the next tracker claims the same rows again.
* Two trackers drain one queue together, each request processed exactly once.
* A completion racing a cancel of the same order: exactly one of them wins, and what the
  clients were told agrees with the history and with what the tracker completes later.

The trackers are subprocesses started like in production (``python manage.py run_tracker``)
against the test database. Where a test needs a tracker to stop at a given point, it holds a
lock the tracker needs from a connection of its own, and waits (with a deadline) until
``pg_stat_activity`` shows the tracker waiting for it: no fixed sleeps, no luck involved.

SQLite has no row locks and no concurrent writers, so these tests are skipped there.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

import psycopg
import pytest

from orders.models import LabSettings, Order, OrderEvent
from orders.status import EventKind, OrderState
from tests.concurrency import Caller, database_url
from toolkit.models import WorkerHeartbeat
from tracker.models import CompletionRequest, CompletionStatus
from tracker.services import TRACKER, process_completions

# serialized_rollback: the flush that ends a transactional test would otherwise also remove
# the rights groups that a data migration created, for every test that runs after these.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DEADLINE = 60  # seconds; only reached when something is broken
POLL = 0.01
PROJECT_ROOT = Path(settings.BASE_DIR)


# --- processes and locks ----------------------------------------------------------------------


def side_connection() -> psycopg.Connection:
    """A connection of the test's own, outside Django, to hold locks with."""
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"],
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        application_name="labsite-test-locker",
    )


@dataclass
class Tracker:
    """One ``manage.py run_tracker`` subprocess, recognisable in ``pg_stat_activity``."""

    name: str
    process: subprocess.Popen
    output: Path

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def worker_id(self) -> str:
        first = self.log().splitlines()[0]
        return first.split()[0]

    def backends(self) -> list[dict]:
        """The tracker's database sessions (they outlive the process until PG notices)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, state, wait_event_type, wait_event, query FROM pg_stat_activity"
                " WHERE application_name = %s AND datname = current_database()",
                [self.name],
            )
            columns = [column.name for column in cursor.description]
            return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def waiting_on(self, wait_event: str, query_start: str) -> bool:
        """Whether the tracker is blocked on a lock (``transactionid`` for a row,
        ``relation`` for a table) in a statement starting with ``query_start``."""
        return any(
            backend["wait_event_type"] == "Lock"
            and backend["wait_event"] == wait_event
            and backend["query"].startswith(query_start)
            for backend in self.backends()
        )

    def holds_lock(self, table: str, mode: str) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks JOIN pg_stat_activity USING (pid)"
                " WHERE application_name = %s AND relation = %s::regclass AND mode = %s"
                " AND granted",
                [self.name, table, mode],
            )
            return cursor.fetchone()[0] > 0

    def wait_exit(self) -> int:
        try:
            return self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{self.name} did not exit within {DEADLINE}s:\n{self.log()}")


@pytest.fixture
def start_tracker(tmp_path):
    """Start ``manage.py run_tracker`` subprocesses; kill and reap any left at the end."""
    started: list[Tracker] = []

    def start(*args: str, name: str) -> Tracker:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in {"DJANGO_SETTINGS_MODULE", "PGAPPNAME"}
        }
        # Unbuffered: a tracker killed with SIGKILL has still written its "started" line.
        env.update(DATABASE_URL=database_url(), DEBUG="1", PGAPPNAME=name, PYTHONUNBUFFERED="1")
        output = tmp_path / f"{name}.log"
        with output.open("wb") as sink:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
                [sys.executable, "manage.py", "run_tracker", *args],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        tracker = Tracker(name=name, process=process, output=output)
        started.append(tracker)
        return tracker

    yield start

    for tracker in started:
        if tracker.process.poll() is None:
            tracker.process.kill()
        tracker.process.wait(timeout=DEADLINE)
    # The test database is flushed next: no tracker session may still hold a lock.
    wait_for(lambda: not any(tracker.backends() for tracker in started), "trackers to go")


def wait_for[T](condition: Callable[[], T], what: str, *, trackers: tuple[Tracker, ...] = ()) -> T:
    """Poll ``condition`` until it is true; fail at the deadline, or if a tracker dies."""
    deadline = time.monotonic() + DEADLINE
    while True:
        value = condition()
        if value:
            return value
        for tracker in trackers:
            if tracker.process.poll() is not None:
                pytest.fail(
                    f"{tracker.name} exited ({tracker.process.returncode}) while waiting for "
                    f"{what}:\n{tracker.log()}"
                )
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {DEADLINE}s waiting for {what}")
        time.sleep(POLL)


# --- the queue --------------------------------------------------------------------------------


def seed(count: int) -> list[CompletionRequest]:
    """``count`` orders, each flagged pending with one pending request, as the API leaves
    them (bulk, for speed). Request ``i`` (by id) belongs to order ``i`` (by id)."""
    # The settings row exists in a running lab. (Trackers racing to create it would wait on
    # each other's insert, which a test that holds one of them back would turn into a stall.)
    LabSettings.load()
    orders = Order.objects.bulk_create(
        Order(number=100_000 + index, tray=str(10_000 + index), pending_completion=True)
        for index in range(count)
    )
    requests = CompletionRequest.objects.bulk_create(
        CompletionRequest(order=order) for order in orders
    )
    OrderEvent.objects.bulk_create(
        OrderEvent(order=order, kind=EventKind.COMPLETION_REQUESTED) for order in orders
    )
    return requests


def statuses() -> dict[str, int]:
    counts = dict(
        CompletionRequest.objects.values_list("status").annotate(n=Count("id")).order_by()
    )
    return {status: counts.get(status, 0) for status in CompletionStatus.values}


def assert_nothing_half_done() -> None:
    """Every order is either wholly completed or wholly still pending: never in between."""
    orders = Order.objects.annotate(
        completed_events=Count("events", filter=Q(events__kind=EventKind.COMPLETED), distinct=True),
        done_requests=Count(
            "completion_requests",
            filter=Q(completion_requests__status=CompletionStatus.DONE),
            distinct=True,
        ),
        pending_requests=Count(
            "completion_requests",
            filter=Q(completion_requests__status=CompletionStatus.PENDING),
            distinct=True,
        ),
        all_requests=Count("completion_requests", distinct=True),
    )
    completed_shape = {
        "state": OrderState.COMPLETED,
        "pending_completion": False,
        "completed_events": 1,
        "done_requests": 1,
        "pending_requests": 0,
        "all_requests": 1,
        "version": 2,
    }
    pending_shape = {
        "state": OrderState.VALID,
        "pending_completion": True,
        "completed_events": 0,
        "done_requests": 0,
        "pending_requests": 1,
        "all_requests": 1,
        "version": 1,
    }
    fields = list(completed_shape)
    for row in orders.values("number", "completed_at", *fields):
        shape = {field: row[field] for field in fields}
        if row["state"] == OrderState.COMPLETED:
            assert shape == completed_shape, row
            assert row["completed_at"] is not None, row
        else:
            assert shape == pending_shape, row
            assert row["completed_at"] is None, row


def assert_all_completed_exactly_once(count: int) -> None:
    assert statuses() == {"pending": 0, "done": count, "failed": 0}
    assert Order.objects.filter(state=OrderState.COMPLETED).count() == count
    assert not Order.objects.filter(pending_completion=True).exists()
    assert OrderEvent.objects.filter(kind=EventKind.COMPLETED).count() == count
    assert not OrderEvent.objects.filter(kind=EventKind.COMPLETION_FAILED).exists()
    assert_nothing_half_done()  # in particular: one completed event per order, no more


# --- a. crash safety --------------------------------------------------------------------------

ORDERS = 500
BATCH = "10"


def lock_orders(locker: psycopg.Connection, requests: list[CompletionRequest]) -> None:
    """Row-lock the orders of ``requests`` (as a cancel in progress would): a tracker that
    claims one of them waits for the lock inside its transaction."""
    locker.execute(
        "SELECT id FROM orders_order WHERE id = ANY(%s) FOR UPDATE",
        [[request.order_id for request in requests]],
    )


def test_tracker_killed_after_writing_a_batch_but_before_commit_loses_nothing(start_tracker):
    requests = seed(ORDERS)
    half = ORDERS // 2
    with side_connection() as order_locker, side_connection() as event_locker:
        # The second half of the queue is held back, so the tracker stops at a known point.
        lock_orders(order_locker, requests[half:])
        tracker = start_tracker("--batch-size", BATCH, name="labsite-test-tracker-crash")
        wait_for(
            lambda: tracker.waiting_on("transactionid", "SELECT") and statuses()["done"] == half,
            "the tracker to complete the first half and wait for the next order locks",
            trackers=(tracker,),
        )
        # It has claimed the next batch. Let it lock the orders and write them, but hold
        # back its history insert: that is as far as it gets before the kill.
        event_locker.execute("LOCK TABLE orders_orderevent IN SHARE MODE")
        order_locker.rollback()
        wait_for(
            lambda: tracker.waiting_on("relation", 'INSERT INTO "orders_orderevent"'),
            "the tracker to write orders and requests, then wait to insert the history",
            trackers=(tracker,),
        )
        # It really has updated orders and requests in its open transaction.
        assert tracker.holds_lock("orders_order", "RowExclusiveLock")
        assert tracker.holds_lock("tracker_completionrequest", "RowExclusiveLock")

        tracker.process.send_signal(signal.SIGKILL)
        assert tracker.wait_exit() == -signal.SIGKILL
        event_locker.rollback()
        # PostgreSQL rolls the dead client's transaction back when it notices it is gone.
        wait_for(lambda: not tracker.backends(), "the killed tracker's session to end")

    assert statuses() == {"pending": ORDERS - half, "done": half, "failed": 0}
    assert Order.objects.filter(state=OrderState.COMPLETED).count() == half
    assert_nothing_half_done()
    # The heartbeat of a killed tracker stays behind and ages out.
    assert WorkerHeartbeat.objects.filter(kind=TRACKER).count() == 1

    restarted = start_tracker("--once", "--batch-size", BATCH, name="labsite-test-tracker-again")
    assert restarted.wait_exit() == 0, restarted.log()

    assert_all_completed_exactly_once(ORDERS)
    by_worker = dict(
        CompletionRequest.objects.values_list("processed_by").annotate(n=Count("id")).order_by()
    )
    assert by_worker == {tracker.worker_id(): half, restarted.worker_id(): ORDERS - half}
    # The restarted tracker exited cleanly and removed its heartbeat; the killed one's is left.
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == [
        tracker.worker_id()
    ]


def test_tracker_killed_at_any_point_loses_nothing(start_tracker):
    requests = seed(ORDERS)
    half = ORDERS // 2
    with side_connection() as order_locker:
        lock_orders(order_locker, requests[half:])  # so it cannot finish before the kill
        tracker = start_tracker("--batch-size", BATCH, name="labsite-test-tracker-anywhere")
        # Kill it as soon as it has done something, wherever it is.
        wait_for(lambda: statuses()["done"] > 0, "a first batch", trackers=(tracker,))
        tracker.process.send_signal(signal.SIGKILL)
        assert tracker.wait_exit() == -signal.SIGKILL
        order_locker.rollback()
        wait_for(lambda: not tracker.backends(), "the killed tracker's session to end")

    done = statuses()["done"]
    assert 0 < done <= half
    assert statuses() == {"pending": ORDERS - done, "done": done, "failed": 0}
    assert done % int(BATCH) == 0  # whole batches or nothing
    assert_nothing_half_done()

    restarted = start_tracker("--once", "--batch-size", BATCH, name="labsite-test-tracker-again")
    assert restarted.wait_exit() == 0, restarted.log()
    assert_all_completed_exactly_once(ORDERS)


# --- b. two trackers --------------------------------------------------------------------------

QUEUE = 2_000


def test_two_trackers_drain_one_queue_each_request_exactly_once(start_tracker):
    seed(QUEUE)
    with side_connection() as event_locker:
        # Both must be in before either may finish a batch: a tracker that started faster
        # could otherwise drain the whole queue alone.
        event_locker.execute("LOCK TABLE orders_orderevent IN SHARE MODE")
        trackers = [start_tracker("--once", name=f"labsite-test-tracker-{n}") for n in (1, 2)]
        for tracker in trackers:
            wait_for(
                lambda tracker=tracker: tracker.waiting_on(
                    "relation", 'INSERT INTO "orders_orderevent"'
                ),
                f"{tracker.name} to claim and process its first batch",
                trackers=tuple(trackers),
            )
        event_locker.rollback()
        for tracker in trackers:
            assert tracker.wait_exit() == 0, tracker.log()

    assert_all_completed_exactly_once(QUEUE)
    by_worker = dict(
        CompletionRequest.objects.values_list("processed_by").annotate(n=Count("id")).order_by()
    )
    worker_ids = {tracker.worker_id() for tracker in trackers}
    assert set(by_worker) == worker_ids, by_worker
    assert all(n > 0 for n in by_worker.values()), by_worker
    assert sum(by_worker.values()) == QUEUE
    for tracker in trackers:
        assert tracker.log().splitlines()[-1] == (
            f"{tracker.worker_id()} stopped after {by_worker[tracker.worker_id()]} item(s)"
        )
    # The order's history names the tracker that processed its request.
    processed_by = dict(CompletionRequest.objects.values_list("order_id", "processed_by"))
    completed_by = dict(
        OrderEvent.objects.filter(kind=EventKind.COMPLETED).values_list("order_id", "actor_name")
    )
    assert completed_by == processed_by
    assert not WorkerHeartbeat.objects.exists()


# --- c. complete racing cancel ----------------------------------------------------------------

RACES = 20

ORDER_ALREADY_COMPLETED = {"error": "Order already completed", "details": []}
ORDER_DELETED = {
    "error": "Could not complete order",
    "details": ["Error Code: 02", "Error Message: Order deleted"],
}


def test_complete_racing_cancel_exactly_one_wins(make_user, make_order, run_together):
    WorkerHeartbeat.objects.create(kind=TRACKER, worker_id="tracker-race", beat_at=timezone.now())
    completer = Caller(make_user(rights=("tracker.complete_order",)))
    canceller = Caller(make_user(rights=("orders.cancel_order",)))
    orders = [make_order(tray=str(500 + index)) for index in range(RACES)]

    completed_won, cancel_won = set(), set()
    for order in orders:
        complete, cancel = run_together(
            [
                lambda o=order: completer.request("post", f"/api/v2/orders/{o.number}/complete"),
                lambda o=order: canceller.request("delete", f"/api/v2/orders/{o.number}"),
            ]
        )
        outcome = (complete.status, cancel.status)
        events = list(order.events.exclude(kind=EventKind.CREATED).values_list("kind", "actor_id"))
        if outcome == (201, 400):
            assert complete.body == {"orderNumber": str(order.number), "message": "Successful"}
            assert cancel.body == ORDER_ALREADY_COMPLETED
            assert events == [(EventKind.COMPLETION_REQUESTED, completer.user.pk)]
            completed_won.add(order.pk)
        elif outcome == (400, 200):
            assert complete.body == ORDER_DELETED
            assert cancel.body["orderNumber"] == str(order.number)
            assert events == [(EventKind.CANCEL, canceller.user.pk)]
            cancel_won.add(order.pk)
        else:
            pytest.fail(f"order {order.number}: {complete} and {cancel}")
        order.refresh_from_db()
        assert order.version == 2  # exactly one change, by the winner
        assert order.pending_completion == (order.pk in completed_won)
        assert (order.cancelled_at is not None) == (order.pk in cancel_won)

    assert len(completed_won) + len(cancel_won) == RACES
    pending = set(
        CompletionRequest.objects.filter(status=CompletionStatus.PENDING).values_list(
            "order_id", flat=True
        )
    )
    assert pending == completed_won
    assert CompletionRequest.objects.count() == len(completed_won)

    while process_completions(worker="tracker-race"):
        pass

    completed = set(Order.objects.filter(state=OrderState.COMPLETED).values_list("pk", flat=True))
    assert completed == completed_won
    assert statuses() == {"pending": 0, "done": len(completed_won), "failed": 0}
    assert not Order.objects.filter(pending_completion=True).exists()
    for order in orders:
        kinds = list(order.events.exclude(kind=EventKind.CREATED).values_list("kind", flat=True))
        if order.pk in completed_won:
            assert kinds == [EventKind.COMPLETION_REQUESTED, EventKind.COMPLETED]
        else:
            assert kinds == [EventKind.CANCEL]

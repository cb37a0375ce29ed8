"""The Job Tracker process: the worker loop, its heartbeat, and ``manage.py run_tracker``.

These run on both databases, in one process: the tracker's work is a function called in a
loop, so calling it here proves the same thing a separate process would. What needs real
processes and row locks (crashes, parallel trackers, races) is in ``test_worker_pg.py``.
"""

import os
import signal
import socket
from datetime import timedelta
from io import StringIO

from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from orders.models import LabSettings, Order, OrderEvent
from orders.status import EventKind, OrderState
from toolkit.models import WorkerHeartbeat
from toolkit.workers import WorkerLoop, last_heartbeat, worker_is_alive
from tracker import services
from tracker.models import CompletionRequest, CompletionStatus
from tracker.services import TRACKER, process_completions, request_completion

pytestmark = pytest.mark.django_db

NOT_RUNNING = {
    "error": "Could not complete order",
    "details": ["Error Code: 30", "Error Message: Job Tracker is not running"],
}


@pytest.fixture(autouse=True)
def _restore_signal_handlers():
    """``WorkerLoop.run`` installs SIGTERM/SIGINT handlers; give pytest its own back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch):
    """The loop drops stale connections before each unit of work, and a connection that is
    inside a transaction looks stale to Django: it would close the test's own transaction.
    Django's test client disables the same call around requests for the same reason."""
    monkeypatch.setattr("toolkit.workers.close_old_connections", lambda: None)


@pytest.fixture
def tracker_beat(db):
    """Pretend a Job Tracker reported ``age_seconds`` ago (a fresh one by default)."""

    def beat(age_seconds: float = 0, *, kind: str = TRACKER) -> WorkerHeartbeat:
        return WorkerHeartbeat.objects.create(
            kind=kind,
            worker_id=f"{kind}-test-{WorkerHeartbeat.objects.count()}",
            beat_at=timezone.now() - timedelta(seconds=age_seconds),
        )

    return beat


@pytest.fixture
def requested(make_order, tracker_beat):
    """Orders whose completion was accepted while a (pretend) tracker was alive.

    The pretend heartbeat is removed again, so the only heartbeat a test sees is a real one.
    """

    def make(count: int = 1, **fields) -> list[Order]:
        heartbeat = tracker_beat()
        orders = []
        for _ in range(count):
            order = make_order(tray=str(300 + Order.objects.count()), **fields)
            request_completion(order=order, actor=None)
            order.refresh_from_db()
            orders.append(order)
        heartbeat.delete()
        return orders

    return make


def history(order: Order) -> list[str]:
    return list(order.events.exclude(kind=EventKind.CREATED).values_list("kind", flat=True))


def run_tracker(*args: str) -> tuple[str, list[str]]:
    """``manage.py run_tracker`` in this process; returns its worker id and its output lines."""
    out = StringIO()
    call_command("run_tracker", *args, stdout=out)
    lines = out.getvalue().splitlines()
    worker_id = lines[0].split()[0]
    assert lines[0] == f"{worker_id} started (pid {os.getpid()})"
    return worker_id, lines


# --- run_tracker --once ---------------------------------------------------------------------


def test_run_tracker_once_drains_pending_requests_in_batches(requested, make_order, monkeypatch):
    orders = requested(5)
    bystander = make_order(tray="999")  # no completion requested: left alone
    requests = list(CompletionRequest.objects.order_by("id"))
    assert [r.status for r in requests] == [CompletionStatus.PENDING] * 5
    assert not WorkerHeartbeat.objects.exists()

    # Watch every unit of work the command runs: its heartbeat must be there meanwhile.
    seen = []
    real_process = services.process_completions

    def watched(*, worker, batch_size):
        seen.append(
            (
                worker_is_alive(
                    TRACKER, within_seconds=LabSettings.load().tracker_heartbeat_seconds
                ),
                list(WorkerHeartbeat.objects.values_list("worker_id", "kind", "pid", "hostname")),
                batch_size,
            )
        )
        return real_process(worker=worker, batch_size=batch_size)

    monkeypatch.setattr("tracker.management.commands.run_tracker.process_completions", watched)

    worker_id, lines = run_tracker("--once", "--batch-size", "2")

    assert worker_id.startswith("tracker-")
    assert lines[-1] == f"{worker_id} stopped after 5 item(s)"
    # Batches of 2, 2, 1, then an empty claim ends --once; alive with its own row throughout.
    row = (worker_id, TRACKER, os.getpid(), socket.gethostname())
    assert seen == [(True, [row], 2)] * 4
    # A clean exit removes its heartbeat at once instead of letting it age out.
    assert not WorkerHeartbeat.objects.exists()
    assert not worker_is_alive(TRACKER, within_seconds=3600)

    for order, request in zip(orders, requests, strict=True):
        order.refresh_from_db()
        request.refresh_from_db()
        assert order.state == OrderState.COMPLETED
        assert order.completed_at is not None
        assert not order.pending_completion
        assert order.version == 3  # created 1, requested 2, completed 3
        assert request.status == CompletionStatus.DONE
        assert request.processed_by == worker_id
        assert request.processed_at == order.completed_at
        assert request.failure_reason == ""
        assert history(order) == [EventKind.COMPLETION_REQUESTED, EventKind.COMPLETED]
        completed = order.events.get(kind=EventKind.COMPLETED)
        assert completed.actor_name == worker_id
        assert (completed.from_value, completed.to_value) == ("Valid", "Completed")
        assert completed.note == f"tray {order.tray} freed"
        assert completed.at == order.completed_at
    # A completed order holds no tray any more.
    assert not Order.objects.active().filter(tray__in=[o.tray for o in orders]).exists()

    bystander_before = bystander.version
    bystander.refresh_from_db()
    assert (bystander.state, bystander.version) == (OrderState.VALID, bystander_before)
    assert history(bystander) == []

    # Nothing left: a second run does nothing and writes nothing.
    events = OrderEvent.objects.count()
    worker_id, lines = run_tracker("--once")
    assert lines[-1] == f"{worker_id} stopped after 0 item(s)"
    assert OrderEvent.objects.count() == events


def test_run_tracker_once_with_nothing_pending_exits_at_once():
    worker_id, lines = run_tracker("--once")
    assert lines == [
        f"{worker_id} started (pid {os.getpid()})",
        f"{worker_id} stopped after 0 item(s)",
    ]
    assert not WorkerHeartbeat.objects.exists()


# --- the worker loop ------------------------------------------------------------------------


def test_worker_loop_heartbeat_is_visible_while_running_and_gone_after():
    log = []
    loop = WorkerLoop("testkind", heartbeat_seconds=3600, log=log.append)
    seen = []

    def step() -> int:
        seen.append(
            (
                worker_is_alive("testkind", within_seconds=5),
                worker_is_alive(TRACKER, within_seconds=5),  # only its own kind
                list(WorkerHeartbeat.objects.values_list("worker_id", "kind", "pid", "hostname")),
                last_heartbeat("testkind").worker_id,
            )
        )
        return 0

    assert loop.run(step, once=True) == 0

    row = (loop.worker_id, "testkind", os.getpid(), socket.gethostname())
    assert seen == [(True, False, [row], loop.worker_id)]
    assert not worker_is_alive("testkind", within_seconds=5)
    assert last_heartbeat("testkind") is None
    assert log == [
        f"{loop.worker_id} started (pid {os.getpid()})",
        f"{loop.worker_id} stopped after 0 item(s)",
    ]


@pytest.mark.parametrize(("heartbeat_seconds", "beats"), [(0, 4), (3600, 1)])
def test_worker_loop_beats_again_when_due_and_keeps_one_row(heartbeat_seconds, beats):
    loop = WorkerLoop("testkind", heartbeat_seconds=heartbeat_seconds, log=lambda line: None)
    seen = []
    work = [3, 2, 1, 0]

    def step() -> int:
        seen.append(list(WorkerHeartbeat.objects.values_list("worker_id", "beat_at")))
        return work.pop(0)

    assert loop.run(step, once=True) == 6

    assert all(len(rows) == 1 and rows[0][0] == loop.worker_id for rows in seen), seen
    beat_times = [rows[0][1] for rows in seen]
    assert beat_times == sorted(beat_times)
    # Due every time: a new beat per unit of work; not due again: no write per unit of work.
    assert len(set(beat_times)) == beats
    assert not WorkerHeartbeat.objects.exists()


def test_worker_loop_sigterm_finishes_the_current_unit_then_exits():
    log = []
    loop = WorkerLoop("testkind", idle_seconds=3600, log=log.append)
    calls = []

    def step() -> int:
        calls.append(len(calls) + 1)
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # as `kill <pid>` would, mid-unit
        if len(calls) > 2:
            pytest.fail("the loop went on after SIGTERM")
        return 5

    # Not --once, and always work to do: only the signal can end this loop.
    assert loop.run(step) == 10

    assert calls == [1, 2]
    assert loop.stopping
    assert log[-1] == f"{loop.worker_id} stopped after 10 item(s)"
    assert not WorkerHeartbeat.objects.exists()


def test_worker_loop_sigterm_while_idle_ends_the_wait():
    loop = WorkerLoop("testkind", idle_seconds=3600, log=lambda line: None)
    calls = []

    def step() -> int:
        calls.append(1)
        if len(calls) > 1:
            pytest.fail("the loop went on after SIGTERM")
        os.kill(os.getpid(), signal.SIGTERM)
        return 0  # idle: the loop would wait an hour for more work unless stopped

    assert loop.run(step) == 0
    assert calls == [1]


def test_worker_loop_removes_its_heartbeat_when_a_unit_of_work_raises():
    loop = WorkerLoop("testkind", log=lambda line: None)

    def step() -> int:
        assert worker_is_alive("testkind", within_seconds=5)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError, match="database went away"):
        loop.run(step)
    assert not WorkerHeartbeat.objects.exists()


# --- failed re-verification -----------------------------------------------------------------


def change_order(order: Order, **fields) -> None:
    """Change an order behind the services' back, as if it changed after the request."""
    Order.objects.filter(pk=order.pk).update(**fields)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("cancelled", "Order deleted"),
        ("unvalid", "Order unvalid"),
        ("completed", "Order already completed"),
        ("on_hold", "Order on hold"),
        ("flow", "Needs AR Coat!"),
    ],
)
def test_failed_reverification_marks_the_request_failed_and_clears_the_pending_flag(
    change, reason, requested, lab_settings
):
    failing, passing = requested(2, requires_ar_coat=True)
    if change == "cancelled":
        change_order(failing, cancelled_at=timezone.now())
    elif change == "unvalid":
        change_order(failing, state=OrderState.UNVALID)
    elif change == "completed":
        change_order(failing, state=OrderState.COMPLETED)
    elif change == "on_hold":
        change_order(failing, on_hold=True)
    else:
        lab_settings(jobtrack_station_verify=True)
        change_order(passing, requires_ar_coat=False)
    failing.refresh_from_db()
    state_before = failing.state

    assert process_completions(worker="tracker-test") == 2  # both, in one batch
    assert process_completions(worker="tracker-test") == 0

    failing.refresh_from_db()
    [request] = failing.completion_requests.all()
    assert request.status == CompletionStatus.FAILED
    assert request.failure_reason == reason
    assert request.processed_by == "tracker-test"
    assert request.processed_at is not None
    assert not failing.pending_completion
    assert failing.state == state_before
    assert failing.completed_at is None
    assert failing.version == 3
    assert history(failing) == [EventKind.COMPLETION_REQUESTED, EventKind.COMPLETION_FAILED]
    failed = failing.events.get(kind=EventKind.COMPLETION_FAILED)
    assert (failed.actor_name, failed.reason) == ("tracker-test", reason)

    # The other request of the batch is not held back by the failure.
    passing.refresh_from_db()
    assert passing.state == OrderState.COMPLETED
    assert passing.completion_requests.get().status == CompletionStatus.DONE
    assert history(passing) == [EventKind.COMPLETION_REQUESTED, EventKind.COMPLETED]


def test_after_a_failed_request_the_order_can_be_requested_again(requested, tracker_beat):
    [order] = requested(1)
    change_order(order, on_hold=True)
    process_completions(worker="tracker-test")
    change_order(order, on_hold=False)
    order.refresh_from_db()

    tracker_beat()
    request_completion(order=order, actor=None)
    process_completions(worker="tracker-test")

    order.refresh_from_db()
    assert order.state == OrderState.COMPLETED
    assert list(order.completion_requests.order_by("id").values_list("status", flat=True)) == [
        CompletionStatus.FAILED,
        CompletionStatus.DONE,
    ]


# --- a constant number of queries per batch --------------------------------------------------


@pytest.mark.parametrize("verify", [False, True])
def test_a_batch_runs_the_same_queries_whatever_its_size(verify, requested, lab_settings):
    lab_settings(jobtrack_station_verify=verify)
    counts = {}
    for size in (1, 20):
        requested(size)
        with CaptureQueriesContext(connection) as queries:
            assert process_completions(worker="tracker-test") == size
        counts[size] = len(queries)
    assert counts[1] == counts[20], counts


def test_failures_in_a_batch_add_one_query_per_kind_not_per_order(requested):
    requested(5)
    with CaptureQueriesContext(connection) as queries:
        process_completions(worker="tracker-test")
    all_completed = len(queries)

    orders = requested(12)
    for order in orders[:4]:
        change_order(order, on_hold=True)
    for order in orders[4:8]:
        change_order(order, cancelled_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        assert process_completions(worker="tracker-test") == 12
    # The failed orders' update and one request update per reason (two reasons here); their
    # history rows go into the same INSERT as the completed orders'.
    assert len(queries) == all_completed + 1 + 2
    assert CompletionRequest.objects.filter(status=CompletionStatus.FAILED).count() == 8


# --- no heartbeat -> code 30 ----------------------------------------------------------------


def complete_path(order: Order) -> str:
    return f"/api/v2/orders/{order.number}/complete"


def order_row(order: Order) -> tuple:
    fresh = Order.objects.get(pk=order.pk)
    return (fresh.version, fresh.state, fresh.pending_completion, fresh.completed_at)


@pytest.mark.parametrize(
    "heartbeats",
    [
        "none",
        "stale",  # older than the window
        "other-kind",  # a fresh heartbeat, but of the print spooler
        "tracker-exited",  # a tracker ran and exited cleanly
    ],
)
def test_complete_without_a_tracker_heartbeat_answers_code_30_and_writes_nothing(
    heartbeats, client_api, make_order, tracker_beat
):
    window = LabSettings.load().tracker_heartbeat_seconds
    assert window == 30
    if heartbeats == "stale":
        tracker_beat(window + 1)
    elif heartbeats == "other-kind":
        tracker_beat(kind="spooler")
    elif heartbeats == "tracker-exited":
        run_tracker("--once")
    order = make_order(tray="42")
    before = order_row(order)

    body = client_api.post(complete_path(order), status=503)

    assert body == NOT_RUNNING
    assert order_row(order) == before
    assert not CompletionRequest.objects.exists()
    assert history(order) == []


@pytest.mark.parametrize(
    ("window", "age", "status"),
    [(30, 0, 201), (30, 20, 201), (30, 31, 503), (60, 45, 201), (60, 61, 503), (5, 10, 503)],
)
def test_complete_uses_the_heartbeat_window_from_the_lab_settings(
    window, age, status, client_api, make_order, tracker_beat, lab_settings
):
    lab_settings(tracker_heartbeat_seconds=window)
    tracker_beat(age)
    order = make_order()

    body = client_api.post(complete_path(order), status=status)

    order.refresh_from_db()
    if status == 201:
        assert body == {"orderNumber": str(order.number), "message": "Successful"}
        assert order.pending_completion
        assert CompletionRequest.objects.get().status == CompletionStatus.PENDING
        assert history(order) == [EventKind.COMPLETION_REQUESTED]
    else:
        assert body == NOT_RUNNING
        assert not order.pending_completion
        assert not CompletionRequest.objects.exists()
        assert history(order) == []


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("--batch-size", "0", "must be at least 1, not 0"),
        ("--batch-size", "1.5", "'1.5' is not a whole number"),
        ("--idle-seconds", "-1", "must be above 0 seconds, not -1"),
        ("--heartbeat-seconds", "inf", "'inf' is not a number of seconds"),
    ],
)
def test_run_tracker_refuses_bad_numbers_before_it_starts(db, argument, value, message):
    with pytest.raises(CommandError, match=f"argument {argument}: {message}"):
        call_command("run_tracker", "--once", argument, value)
    assert not WorkerHeartbeat.objects.exists()

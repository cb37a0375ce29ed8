"""The webhook worker as it runs in production (``manage.py run_webhooks`` processes against
PostgreSQL), killed with SIGKILL in the middle of a batch: no event is lost, each one arrives
at least once, and each order's events first arrive in the order they happened.

The worker that dies leaves its claimed deliveries "sending"; once its heartbeat is older than
WEBHOOK_HEARTBEAT_WINDOW_SECONDS (2 s here), the next worker takes them over. Whatever the dead
worker had sent but not recorded is sent again: at least once, as the contract says, and the
receiver de-duplicates by delivery id.
"""

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from django.conf import settings

import pytest

from orders.services import hold_order, release_order
from tests.concurrency import database_url
from webhooks.models import Delivery, DeliveryStatus

from .conftest import Receiver

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROJECT_ROOT = Path(settings.BASE_DIR)
ORDERS = 50
EVENTS_PER_ORDER = 10  # created, then hold and release in turn
DEADLINE = 90.0


class SlowReceiver(Receiver):
    """Takes a few milliseconds per request, so that a batch is still being sent when the
    test kills the worker."""

    def __post_init__(self):
        super().__post_init__()
        handler = self._server.RequestHandlerClass
        original = handler.do_POST

        def slow_post(request_handler):
            time.sleep(0.004)
            original(request_handler)

        handler.do_POST = slow_post


def start_worker(workdir: Path, number: int) -> tuple[subprocess.Popen, Path]:
    log = workdir / f"webhooks-{number}.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "1",
        "PYTHONUNBUFFERED": "1",
        "WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "WEBHOOK_HEARTBEAT_WINDOW_SECONDS": "2",
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "run_webhooks", "--heartbeat-seconds", "0.5"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    return process, log


def wait_until(condition, what: str):
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}", pytrace=False)
        time.sleep(0.05)


def test_a_worker_killed_mid_batch_loses_no_event_and_keeps_each_orders_order(
    allow_loopback, subscribe, make_order, tmp_path
):
    hooks = SlowReceiver()
    workers = []
    try:
        subscribe(hooks.url)
        for n in range(ORDERS):
            order = make_order(number=44000 + n)
            for turn in range(EVENTS_PER_ORDER - 1):
                (hold_order if turn % 2 == 0 else release_order)(order=order, actor=None)
        expected = list(Delivery.objects.order_by("id").values_list("id", "event_id", "order_id"))
        assert len(expected) == ORDERS * EVENTS_PER_ORDER == 500

        first, _ = start_worker(tmp_path, 1)
        workers.append(first)
        wait_until(lambda: len(hooks.requests) >= 100, "the first worker to send 100 events")
        first.send_signal(signal.SIGKILL)
        first.wait(DEADLINE)
        arrived_before_kill = len(hooks.requests)
        assert arrived_before_kill < 500, "the worker finished before it could be killed"

        second, second_log = start_worker(tmp_path, 2)
        workers.append(second)
        wait_until(
            lambda: not Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists(),
            "every delivery to be delivered",
        )
        second.send_signal(signal.SIGTERM)
        assert second.wait(DEADLINE) == 0, second_log.read_text()
    finally:
        for process in workers:
            if process.poll() is None:
                process.kill()
        hooks.close()

    arrivals = [request.delivery_id for request in hooks.requests]
    assert {str(event_id) for _, event_id, _ in expected} <= set(arrivals)  # none lost
    first_arrival = {}
    for position, event_id in enumerate(arrivals):
        first_arrival.setdefault(event_id, position)
    by_order = defaultdict(list)
    for _, event_id, order_id in expected:  # in delivery id order: the order they happened
        by_order[order_id].append(first_arrival[str(event_id)])
    out_of_order = {order: seen for order, seen in by_order.items() if seen != sorted(seen)}
    assert out_of_order == {}
    # At least once: the deliveries the dead worker had in flight were sent again.
    assert len(arrivals) >= 500

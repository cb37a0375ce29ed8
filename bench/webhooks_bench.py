"""What webhooks cost: a cancel with three matching subscriptions against a cancel with none
(CPU time per request in this process, same run), and how many events one worker delivers per
second to a local receiver.

    .venv/bin/python bench/webhooks_bench.py [--requests 400] [--events 3000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/webhooks_bench.py

Targets (the webhooks issue): a cancel with 3 matching subscriptions <= 1.15 x a cancel
without; one worker delivers >= 200 events/s. Runs on a throwaway SQLite database in a
temporary folder, or on the PostgreSQL server DATABASE_URL names (a database of its own,
dropped at the end). The receiver is a separate process (``http.server``, HTTP/1.1 keep-alive,
answering 200 at once), so that its work is not counted as the worker's.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ZERO = Decimal("0.00")

RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


def database(url: str | None):
    """A throwaway database: its URL, and a function that removes it."""
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="labsite-webhooks-bench-"))
        return f"sqlite:///{folder / 'bench.sqlite3'}", lambda: None
    import psycopg

    name = f"labsite_webhooks_bench_{secrets.token_hex(3)}"
    parts = urlsplit(url)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", "")), drop


def cpu_ms(calls: int, run, first: int) -> list[float]:
    """CPU milliseconds of each call of ``run(n)`` for n from ``first``."""
    samples = []
    for n in range(first, first + calls):
        started = time.process_time()
        run(n)
        samples.append((time.process_time() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400, help="cancels of each kind")
    parser.add_argument("--events", type=int, default=3000, help="events the worker delivers")
    args = parser.parse_args()
    url, drop = database(os.environ.get("DATABASE_URL"))
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="labsite.settings",
        DEBUG="1",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
        LABSITE_DATA_DIR=tempfile.mkdtemp(prefix="labsite-webhooks-bench-data-"),
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
    )
    sys.path.insert(0, str(PROJECT_ROOT))
    import django

    django.setup()
    receiver = subprocess.Popen(  # noqa: S603 - this interpreter, the script above
        [sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(receiver.stdout.readline())
        from django.db import connection

        print(f"database: {connection.vendor}; receiver on 127.0.0.1:{port}")
        run(args.requests, args.events, f"http://127.0.0.1:{port}/events")
    finally:
        receiver.kill()
        from django.db import connections

        connections.close_all()
        drop()


def run(requests: int, events: int, receiver_url: str) -> None:
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import ApiKey
    from orders.models import Order
    from orders.rx import Eye, EyeValues
    from orders.services import NewItem, NewOrder, create_order
    from webhooks.models import Delivery, DeliveryStatus, Subscription

    call_command("migrate", verbosity=0)
    user = User.objects.create_superuser("bench", None, None)
    _, key = ApiKey.issue(user=user, name="webhooks bench")
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}
    total = 2 * requests + 40
    for n in range(total):
        create_order(
            data=NewOrder(
                number=str(100_000 + n),
                eyes={Eye.RIGHT: EyeValues(lens_style="SV", lens_material="CR39", sphere=ZERO)},
                items=[NewItem(sku="SV", name="Lens", quantity=1, endpoints=["surfacing"])],
            ),
            actor=None,
        )

    def cancel(n: int) -> None:
        response = client.delete(f"/api/v2/orders/{100_000 + n}", **headers)
        if response.status_code != 200:
            raise SystemExit(f"cancel answered {response.status_code}: {response.content[:300]}")

    def subscriptions(active: bool) -> None:
        Subscription.objects.update(active=active)

    for _ in range(3):
        Subscription.objects.create(url=receiver_url, events=["order.cancelled"])
    # Warm-up of both, then interleaved rounds so a drift of the machine affects both alike.
    subscriptions(False)
    cpu_ms(20, cancel, 0)
    subscriptions(True)
    cpu_ms(20, cancel, 20)
    without, with_three = [], []
    n = 40
    per_round = requests // 4
    for _ in range(4):
        subscriptions(False)
        without += cpu_ms(per_round, cancel, n)
        n += per_round
        subscriptions(True)
        with_three += cpu_ms(per_round, cancel, n)
        n += per_round
    plain, hooked = statistics.median(without), statistics.median(with_three)
    print(
        f"cancel (DELETE /api/v2/orders/{{n}}): no subscription {plain:.2f} ms, 3 matching "
        f"subscriptions {hooked:.2f} ms of CPU (median of {len(without)}): "
        f"x{hooked / plain:.2f} (target <= 1.15)"
    )

    for subscription_count in (1, 3):
        delivered = deliver(events, subscription_count, receiver_url, Order, Subscription)
        print(delivered)
    if Delivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists():
        raise SystemExit("some deliveries were not delivered")


def deliver(events: int, subscription_count: int, receiver_url: str, Order, Subscription) -> str:
    """``events`` deliveries pending over ``subscription_count`` subscriptions; one worker's
    time to deliver them all."""
    from django.db.models import Q

    from webhooks.models import Delivery, DeliveryStatus, Event
    from webhooks.outbox import fetch_model
    from webhooks.services import Sender

    Subscription.objects.all().delete()
    targets = [Subscription.objects.create(url=receiver_url) for _ in range(subscription_count)]
    orders = list(Order.objects.order_by("id")[:50])
    model = fetch_model(orders[0].pk)
    per_subscription = events // subscription_count
    written = Event.objects.bulk_create(
        Event(
            type="order.status_changed",
            order=orders[n % len(orders)],
            occurred_at=_now(),
            order_model=model,
        )
        for n in range(per_subscription)
    )
    Delivery.objects.bulk_create(
        Delivery(event=event, subscription=target, order_id=event.order_id)
        for target in targets
        for event in written
    )
    sender = Sender(worker=f"bench-{subscription_count}")
    started_cpu, started = time.process_time(), time.perf_counter()
    try:
        while (
            Delivery.objects.filter(~Q(status=DeliveryStatus.DELIVERED)).exists()
            or sender.pending()
        ):
            sender.step(100)
    finally:
        sender.close()
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    sent = per_subscription * subscription_count
    return (
        f"one worker, {subscription_count} subscription(s), {sent} events over 50 orders: "
        f"{sent / wall:,.0f} events/s ({wall:.1f} s, {1000 * cpu / sent:.2f} ms of the worker's "
        "CPU per event; target >= 200/s)"
    )


def _now():
    from django.utils import timezone

    return timezone.now()


if __name__ == "__main__":
    main()

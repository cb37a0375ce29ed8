"""What a prescription costs: creating a Full job with a complete prescription against the
same job with only the lens the create requires, and rendering its work ticket against a
ticket without the Rx — CPU time per request or page, in this process, same run.

    .venv/bin/python bench/rx_bench.py [--requests 400]

Targets (issue 18): create with a prescription <= 1.3 x without; an Rx ticket <= 1.3 x a
ticket without one. Runs on a throwaway SQLite database in a temporary folder, or on the
PostgreSQL server DATABASE_URL names (a database of its own, dropped at the end).
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parents[1]

FULL_RX = {
    "rtLensStyle": "PROG-HD",
    "rtLensMaterial": "1.67",
    "rtOPC": "4011-67-R",
    "rtSphere": -2.25,
    "rtCylinder": -0.75,
    "rtAxis": 90,
    "rtAdd": 2.0,
    "rtPrism": 1.0,
    "rtPrismBase": "IN",
    "rtPd": 31.5,
    "rtNearPd": 29.0,
    "rtSegHeight": 18.0,
    "ltLensStyle": "PROG-HD",
    "ltLensMaterial": "1.67",
    "ltOPC": "4011-67-L",
    "ltSphere": -2.0,
    "ltCylinder": -0.5,
    "ltAxis": 85,
    "ltAdd": 2.0,
    "ltPrism": 1.0,
    "ltPrismBase": "OUT",
    "ltPd": 32.0,
    "ltNearPd": 29.5,
    "ltSegHeight": 18.0,
    "frameManufacturer": "RAY",
    "frameName": "Aviator 3025",
    "frameColor": "Gold",
    "frameA": 58.0,
    "frameB": 47.5,
    "frameED": 60.2,
    "frameBridge": 14,
    "frameStatusCode": "S",
    "instructions": "Rush",
}
LENS_ONLY = {"rtLensStyle": "PROG-HD", "rtLensMaterial": "1.67", "rtSphere": 0}


def database(url: str | None):
    """A throwaway database: its URL, and a function that removes it."""
    if not url:
        folder = Path(tempfile.mkdtemp(prefix="labsite-rx-bench-"))
        return f"sqlite:///{folder / 'bench.sqlite3'}", lambda: None
    import psycopg

    name = f"labsite_rx_bench_{secrets.token_hex(3)}"
    parts = urlsplit(url)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    with psycopg.connect(admin, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(admin, autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", "", "")), drop


def cpu_ms(calls, run) -> list[float]:
    """CPU milliseconds of each call of ``run``, after a warm-up."""
    for n in range(20):
        run(-n - 1)
    samples = []
    for n in range(calls):
        started = time.process_time()
        run(n)
        samples.append((time.process_time() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    url, drop = database(os.environ.get("DATABASE_URL"))
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="labsite.settings",
        DEBUG="1",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
        LABSITE_DATA_DIR=tempfile.mkdtemp(prefix="labsite-rx-bench-data-"),
    )
    sys.path.insert(0, str(PROJECT_ROOT))
    import django

    django.setup()
    try:
        run(args.requests)
    finally:
        from django.db import connections

        connections.close_all()
        drop()


def run(requests: int) -> None:
    import json

    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import ApiKey
    from orders.models import Customer, Order
    from printing.ticket import render_ticket

    call_command("migrate", verbosity=0)
    Customer.objects.create(number="C1", name="Bench customer")
    user = User.objects.create_superuser("bench", None, None)
    _, key = ApiKey.issue(user=user, name="rx bench")
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Token {key}"}

    def create(fields: dict, tag: str):
        def send(n: int) -> None:
            body = {
                "customerNumber": "C1",
                "customerJobId": f"{tag}-{n}",
                "poNumber": f"PO-{tag}-{n}",
                "jobType": "F",
                **fields,
            }
            response = client.post(
                "/api/v2/orders", json.dumps(body), content_type="application/json", **headers
            )
            if response.status_code != 201:
                answer = response.content[:300]
                raise SystemExit(f"create answered {response.status_code}: {answer}")

        return send

    # Interleaved in rounds, so a drift of the machine's speed affects both alike.
    plain, with_rx = [], []
    for round_ in range(4):
        plain += cpu_ms(requests // 4, create(LENS_ONLY, f"P{round_}"))
        with_rx += cpu_ms(requests // 4, create(FULL_RX, f"R{round_}"))
    report("create (POST /api/v2/orders)", plain, with_rx)

    # The ticket as it was before the Rx sections: the same order, drawn without them (as a
    # stock order's page would be), against the job's full ticket.
    full = Order.objects.for_display().get(customer_job_id="R0-0")
    without_rx = Order.objects.for_display().get(customer_job_id="R0-0")
    without_rx.stock_order = True
    # Interleaved in rounds as well.
    plain, with_rx = [], []
    for _ in range(4):
        plain += cpu_ms(requests // 4, lambda n: render_ticket(without_rx))
        with_rx += cpu_ms(requests // 4, lambda n: render_ticket(full))
    report("work ticket (render_ticket)", plain, with_rx, base="without the Rx sections")


def report(what: str, plain: list[float], with_rx: list[float], base: str = "lens only") -> None:
    plain_ms, rx_ms = statistics.median(plain), statistics.median(with_rx)
    print(
        f"{what}: {base} {plain_ms:.2f} ms, full prescription {rx_ms:.2f} ms of CPU (median "
        f"of {len(plain)}): x{rx_ms / plain_ms:.2f} (target <= 1.3)"
    )


if __name__ == "__main__":
    main()

"""How fast does the Job Tracker complete orders, and does a second tracker help?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python \\
        bench/tracker_bench.py --orders 5000

Works in a database of its own (``labsite_bench`` by default, on the server DATABASE_URL
names), which it creates, migrates, and drops at the end. Each round enqueues N completions
(orders flagged pending, one pending request each, bulk-created) and times, on a fresh queue
each time:

  floor    the same row changes without the tracker: one process, raw SQL through psycopg,
           one transaction per batch (claim FOR UPDATE SKIP LOCKED, update orders, update
           requests, insert history)
  one      one ``manage.py run_tracker --once`` process draining the queue
  two      two ``manage.py run_tracker --once`` processes, started together

A tracker is timed from its "started" line (Django loaded, signals set) to its "stopped" line,
so the rate is that of the work, not of starting Python; the wall-clock rate including
start-up is shown beside it. Rounds are interleaved (floor, one, two, floor, ...) so that drift
in the machine's speed affects all three alike; medians are reported. See bench/README.md.
"""

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FLOOR_WORKER = "bench-floor"


def fail(message: str) -> None:
    print(f"tracker_bench: {message}", file=sys.stderr)
    raise SystemExit(2)


# --- databases ------------------------------------------------------------------------------


def postgres_url(argument_url: str) -> str:
    url = argument_url or os.environ.get("DATABASE_URL", "")
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        found = url or "DATABASE_URL is not set (labsite would use SQLite)"
        fail(
            f"needs PostgreSQL, got: {found}.\n"
            "Set DATABASE_URL=postgres://user@host:port/dbname (any database on the server: "
            "the benchmark creates and drops its own). SQLite serializes writers, so one "
            "tracker at a time is all it can run: there is nothing to measure there."
        )
    return url


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def libpq_url(url: str) -> str:
    """psycopg accepts postgres:// and postgresql:// only."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def admin_connection(server_url: str) -> psycopg.Connection:
    return psycopg.connect(libpq_url(with_database(server_url, "postgres")), autocommit=True)


def recreate_database(server_url: str, name: str) -> None:
    with admin_connection(server_url) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        db.execute(f'CREATE DATABASE "{name}"')


def drop_database(server_url: str, name: str) -> None:
    with admin_connection(server_url) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def project_env(database_url: str, *, debug: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"  # the tracker's lines arrive when written: they time it
    if debug:
        env["DEBUG"] = "1"
    else:
        # As deployed: DEBUG off (no per-query logging), so a secret key is required.
        env["DEBUG"] = "0"
        env.setdefault("SECRET_KEY", "tracker-bench-only-not-a-secret")
    return env


# --- the queue ------------------------------------------------------------------------------


def setup_django(database_url: str) -> None:
    os.environ.update(project_env(database_url, debug=True))
    os.environ["DJANGO_SETTINGS_MODULE"] = "labsite.settings"
    sys.path.insert(0, str(PROJECT_ROOT))
    import django

    django.setup()


def seed(orders: int) -> None:
    """A fresh queue: ``orders`` orders flagged pending, each with one pending request, as
    the API leaves them (bulk-created). The tables are emptied first and analyzed after, so
    every run starts from the same state."""
    from django.db import DatabaseError, connection

    from orders.models import LabSettings, Order, OrderEvent
    from orders.status import EventKind
    from toolkit.models import WorkerHeartbeat
    from tracker.models import CompletionRequest

    tables = ", ".join(
        model._meta.db_table for model in (Order, CompletionRequest, OrderEvent, WorkerHeartbeat)
    )
    with connection.cursor() as cursor:
        # CASCADE: also whatever else refers to orders (items, check-ins, print jobs...).
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    LabSettings.load()
    created = Order.objects.bulk_create(
        (
            Order(number=100_000 + index, tray=str(index % 100_000), pending_completion=True)
            for index in range(orders)
        ),
        batch_size=2000,
    )
    CompletionRequest.objects.bulk_create(
        (CompletionRequest(order=order) for order in created), batch_size=2000
    )
    OrderEvent.objects.bulk_create(
        (OrderEvent(order=order, kind=EventKind.COMPLETION_REQUESTED) for order in created),
        batch_size=2000,
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # outside a transaction: Django autocommits
        # No checkpoint from the seeding lands inside a run. Needs superuser or pg_checkpoint;
        # without, the runs are merely noisier.
        with contextlib.suppress(DatabaseError):
            cursor.execute("CHECKPOINT")


def check_drained(orders: int) -> None:
    """Every request done once, every order completed once: a fast run that cheats is no run."""
    from django.db.models import Count

    from orders.models import Order, OrderEvent
    from orders.status import EventKind, OrderState
    from tracker.models import CompletionRequest, CompletionStatus

    done = CompletionRequest.objects.filter(status=CompletionStatus.DONE).count()
    completed = Order.objects.filter(state=OrderState.COMPLETED, pending_completion=False).count()
    events = OrderEvent.objects.filter(kind=EventKind.COMPLETED)
    twice = events.values("order").annotate(n=Count("id")).filter(n__gt=1).exists()
    if not (done == completed == events.count() == orders) or twice:
        fail(
            f"the queue was not drained exactly once: {done} requests done, "
            f"{completed} orders completed, {events.count()} completed events"
        )


# --- measurements ---------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float  # the work: first "started" to last "stopped" (the floor: its loop)
    wall: float  # including process start-up and exit
    processed: list[int]  # per process


class TrackerProcess:
    """``manage.py run_tracker --once``, its output read as it comes, with arrival times."""

    def __init__(self, *, env: dict[str, str], batch_size: int):
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
            [
                sys.executable,
                "manage.py",
                "run_tracker",
                "--once",
                "--batch-size",
                str(batch_size),
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append((time.perf_counter(), line.rstrip("\n")))

    def finish(self) -> tuple[float, float, int]:
        """(started at, stopped at, items processed); fails on anything unexpected."""
        self.process.wait()
        self.reader.join()
        output = "\n".join(line for _, line in self.lines)
        started = [at for at, line in self.lines if " started (pid " in line]
        stopped = [(at, line) for at, line in self.lines if " stopped after " in line]
        if self.process.returncode != 0 or not started or not stopped:
            fail(f"run_tracker exited with {self.process.returncode}:\n{output}")
        at, line = stopped[-1]
        return started[0], at, int(line.split(" stopped after ")[1].split()[0])


def run_trackers(count: int, *, env: dict[str, str], batch_size: int) -> Run:
    begin = time.perf_counter()
    trackers = [TrackerProcess(env=env, batch_size=batch_size) for _ in range(count)]
    results = [tracker.finish() for tracker in trackers]
    wall = time.perf_counter() - begin
    first_start = min(started for started, _, _ in results)
    last_stop = max(stopped for _, stopped, _ in results)
    return Run(last_stop - first_start, wall, [processed for _, _, processed in results])


FLOOR_CLAIM = """
    SELECT id, order_id FROM tracker_completionrequest
    WHERE status = 'pending' ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
"""
FLOOR_ORDERS = """
    UPDATE orders_order
    SET state = 'C', completed_at = %s, pending_completion = false, version = version + 1
    WHERE id = ANY(%s)
"""
FLOOR_REQUESTS = """
    UPDATE tracker_completionrequest
    SET status = 'done', processed_at = %s, processed_by = %s
    WHERE id = ANY(%s)
"""
FLOOR_EVENTS = """
    INSERT INTO orders_orderevent
        (order_id, at, actor_name, kind, from_value, to_value, reason, note)
    SELECT order_id, %s, %s, 'completed', 'Valid', 'Completed', '', ''
    FROM unnest(%s::bigint[]) AS order_id
"""


def run_floor(database_url: str, *, batch_size: int) -> Run:
    """The tracker's row changes, and nothing else, in a bare loop (connection already open)."""
    begin = time.perf_counter()
    with psycopg.connect(libpq_url(database_url)) as db:
        processed = 0
        started = time.perf_counter()
        while True:
            with db.transaction():
                claimed = db.execute(FLOOR_CLAIM, [batch_size]).fetchall()
                if not claimed:
                    break
                request_ids = [row[0] for row in claimed]
                order_ids = [row[1] for row in claimed]
                now = datetime.now(UTC)
                db.execute(FLOOR_ORDERS, [now, order_ids])
                db.execute(FLOOR_REQUESTS, [now, FLOOR_WORKER, request_ids])
                db.execute(FLOOR_EVENTS, [now, FLOOR_WORKER, order_ids])
            processed += len(claimed)
        seconds = time.perf_counter() - started
    return Run(seconds, time.perf_counter() - begin, [processed])


# --- report ---------------------------------------------------------------------------------


def machine_info(database_url: str) -> list[tuple[str, str]]:
    import django

    with psycopg.connect(libpq_url(database_url)) as db:
        server = db.execute("SHOW server_version").fetchone()[0]
        sync = db.execute("SHOW synchronous_commit").fetchone()[0]
        fsync = db.execute("SHOW fsync").fetchone()[0]
    host = urlsplit(database_url).hostname or "localhost"
    return [
        ("CPUs", f"{os.cpu_count()} ({platform.machine()}), shared by PostgreSQL and the bench"),
        ("PostgreSQL", f"{server} at {host} (synchronous_commit={sync}, fsync={fsync})"),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Django", django.get_version()),
        ("psycopg", f"{psycopg.__version__} ({psycopg.pq.__impl__})"),
        ("OS", platform.platform()),
    ]


def measure(args, bench_url: str, tracker_env: dict[str, str]) -> dict[str, list[Run]]:
    n, batch = args.orders, args.batch_size
    setups = {
        "floor": lambda: run_floor(bench_url, batch_size=batch),
        "one": lambda: run_trackers(1, env=tracker_env, batch_size=batch),
        "two": lambda: run_trackers(2, env=tracker_env, batch_size=batch),
    }
    # Warm-up: caches, the first connection, bytecode; not measured.
    seed(min(n, 500))
    run_trackers(1, env=tracker_env, batch_size=batch)

    runs: dict[str, list[Run]] = {name: [] for name in setups}
    for round_number in range(1, args.repeat + 1):
        for name, run in setups.items():
            seed(n)
            result = run()
            check_drained(n)
            runs[name].append(result)
            print(
                f"  round {round_number} {name:5}: {n / result.seconds:8,.0f}/s "
                f"({result.seconds:.3f}s; wall {result.wall:.3f}s) "
                f"per process {result.processed}",
                flush=True,
            )
    return runs


def report(args, runs: dict[str, list[Run]], bench_url: str) -> None:
    n = args.orders

    def rate(name: str, *, wall: bool = False) -> float:
        return n / statistics.median(run.wall if wall else run.seconds for run in runs[name])

    floor, one, two = rate("floor"), rate("one"), rate("two")
    one_vs_floor, two_vs_one = one / floor, two / one
    shares = [min(run.processed) / n for run in runs["two"]]
    print()
    print(
        f"## Job Tracker throughput: {n} completions, batch size {args.batch_size}, "
        f"median of {args.repeat}"
    )
    print()
    print("| setup | completions/s | completions/s, wall (incl. start-up) |")
    print("|---|---:|---:|")
    print(f"| floor: raw SQL, 1 process | {floor:,.0f} | {rate('floor', wall=True):,.0f} |")
    print(f"| one `run_tracker --once` | {one:,.0f} | {rate('one', wall=True):,.0f} |")
    print(f"| two `run_tracker --once` | {two:,.0f} | {rate('two', wall=True):,.0f} |")
    print()
    print("| ratio | value | target |")
    print("|---|---:|---|")
    verdict = "met" if one_vs_floor >= 0.5 else "**missed**"
    print(f"| one tracker / floor | {one_vs_floor:.2f} | >= 0.50: {verdict} |")
    verdict = "met" if two_vs_one >= 1.6 else "**missed**"
    print(f"| two trackers / one | {two_vs_one:.2f} | >= 1.60: {verdict} |")
    print()
    print(
        f"Two trackers: the smaller one did {min(shares):.0%}-{max(shares):.0%} of the work. "
        f"Trackers ran with DEBUG={'1' if args.debug else '0'}."
    )
    print()
    for name, value in machine_info(bench_url):
        print(f"- {name}: {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5000, help="completions per run")
    parser.add_argument("--batch-size", type=int, default=50, help="as run_tracker's")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (median reported)")
    parser.add_argument("--database", default="labsite_bench", help="created and dropped")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="run the trackers with DEBUG=1 (per-query logging) instead of as deployed",
    )
    parser.add_argument("--database-url", default="", help="default: $DATABASE_URL")
    args = parser.parse_args()
    if args.orders < 1 or args.repeat < 1 or args.batch_size < 1:
        fail("--orders, --repeat and --batch-size must be positive")
    if not args.database.replace("_", "").isalnum():
        fail("--database must be a plain name (letters, digits, underscores)")

    server_url = postgres_url(args.database_url)
    bench_url = with_database(server_url, args.database)
    print(f"creating database {args.database} and migrating it ...", flush=True)
    recreate_database(server_url, args.database)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=PROJECT_ROOT,
            env=project_env(bench_url, debug=True),
            check=True,
            capture_output=True,
        )
        setup_django(bench_url)
        print(
            f"{args.orders} completions per run, batches of {args.batch_size}, "
            f"{args.repeat} round(s):",
            flush=True,
        )
        runs = measure(args, bench_url, project_env(bench_url, debug=args.debug))
        report(args, runs, bench_url)
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if args.keep:
            print(f"kept database {args.database}")
        else:
            drop_database(server_url, args.database)


if __name__ == "__main__":
    main()

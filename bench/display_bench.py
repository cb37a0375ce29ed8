"""The Dynamic Display's server time with a lab's worth of work in progress, on PostgreSQL.

    .venv/bin/python bench/display_bench.py                    # 100 000 active orders
    .venv/bin/python bench/display_bench.py --orders 200000 --requests 100 --keep

Target (the floor's issue): with 100 000 active orders the board's server time stays under
100 ms.

Creates its own database on the server ``--database-url`` names (default
postgres://postgres@127.0.0.1:5432/; the database ``labsite_display_bench``, or ``--database
NAME``), migrates it with ``manage.py migrate``, and drops it at the end (``--keep`` keeps
it). It seeds, with one ``INSERT ... SELECT generate_series`` statement, the orders the board
reads, laid out in the table in the order they were received:

  active      N orders (``--orders``, default 100 000), received over the last two weeks
              (most of them in the last few days); 70 % checked in at one of 10 stations
              (uneven loads, state P), at a time between their receipt and now; the rest not
              checked in (state V, 2 % U); 2 % on hold; wanted: 12 % before today (late),
              10 % today, 2 % no date, the rest in the next ten days
  completed   4 x N over the last year (``--completed``), before today, their last station
              kept (as the Job Tracker leaves it), plus ``--completed-today`` (default 400)
              completed since midnight
  cancelled   N / 20 marked for cancelation over the last year (``--cancelled``), 30 % of
              them at a station

then ``VACUUM ANALYZE``. No items: the board reads orders and stations only.

In this process (Django's test client, ``labsite.settings`` as deployed: DEBUG off, a
throwaway SECRET_KEY, the production security settings, the connection pool, prepared
statements), after ``--warmup`` requests it times ``--requests`` rounds of ``GET
/ws/display/?token=...`` (a display link, no login) and of ``read_board()`` alone,
interleaved: median, p95, max, wall and CPU time, and the median against the 100 ms target.
Then the SQL (captured with ``CaptureQueriesContext``): statements per request (counted twice:
the same for every request), each statement's wall time as the app runs it (the median over
``--requests`` more requests, through an execute wrapper) and the ``EXPLAIN (ANALYZE,
BUFFERS)`` of each (the median of ``--explain-runs`` execution times; the plans of
``read_board()``'s statements; the display link's UPDATE is explained in a transaction that
is rolled back). Last, a machine line (CPU model, cores, load average, PostgreSQL). See
bench/README.md.
"""

import argparse
import math
import os
import platform
import re
import secrets
import statistics
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DEFAULT_DATABASE = "labsite_display_bench"
PROTECTED = ("labsite", "test_labsite", "labsite_bench", "postgres")
PROTECTED_PREFIX = "labsite_p"
MARKER = "labsite Dynamic Display bench data (bench/display_bench.py)"
TARGET_MS = 100.0

# Ten stations, with the share of the checked-in orders each holds (they add up to 100).
STATIONS = [  # code, description, share
    ("D-SURF", "Surfacing", 18),
    ("D-GEN", "Generating", 12),
    ("D-POL", "Polishing", 10),
    ("D-HARD", "Hard coat", 16),
    ("D-TINT", "Tinting", 4),
    ("D-AR", "AR coating", 14),
    ("D-EDGE", "Edging", 9),
    ("D-MOUNT", "Mounting", 6),
    ("D-QA", "Final QA", 7),
    ("D-SHIP", "Shipping", 4),
]
LAST_STATION = "D-SHIP"  # where completed orders were last checked in

# One row per order, numbered (and given its id) in the order received. %(stations)s holds
# every station id as many times as its share, so a uniform pick gives the uneven loads.
SEED_SQL = """
WITH rows AS (
    -- active: received over the last two weeks, most of them recently
    SELECT received_at,
        CASE WHEN r_station < 0.70 THEN 'P' WHEN r_state < 0.02 THEN 'U' ELSE 'V' END AS state,
        r_hold < 0.02 AS on_hold,
        CASE WHEN r_station < 0.70 THEN 'InProgress' ELSE 'New' END AS processing_status,
        CASE WHEN r_station < 0.70 THEN received_at + interval '1 hour' * r_state END
            AS processed_at,
        NULL::timestamptz AS completed_at,
        NULL::timestamptz AS cancelled_at,
        CASE WHEN r_station < 0.70 THEN (%(stations)s::bigint[])[
            1 + floor(r_pick * cardinality(%(stations)s::bigint[]))::int] END AS station_id,
        CASE WHEN r_station < 0.70 THEN received_at + (%(now)s - received_at) * r_at END
            AS station_at,
        CASE WHEN r_wanted < 0.12 THEN %(today)s::date - (1 + floor(r_days * 5)::int)
             WHEN r_wanted < 0.22 THEN %(today)s::date
             WHEN r_wanted < 0.24 THEN NULL
             ELSE %(today)s::date + (1 + floor(r_days * 10)::int) END AS date_wanted
    FROM generate_series(1, %(active)s::int) AS k,
        LATERAL (SELECT random() AS r_age, random() AS r_station, random() AS r_pick,
                        random() AS r_at, random() AS r_wanted, random() AS r_days,
                        random() AS r_state, random() AS r_hold, k AS kk) AS drawn,
        LATERAL (SELECT %(now)s - interval '14 days' * r_age ^ 2 AS received_at) AS received
    UNION ALL
    -- completed before today, over the last year, last seen at shipping
    SELECT received_at, 'C', false, 'Done', received_at + interval '1 hour',
        done_at, NULL, %(last_station)s, done_at - interval '10 minutes',
        received_at::date + 7
    FROM generate_series(1, %(completed)s::int) AS k,
        LATERAL (SELECT %(now)s - interval '370 days' + interval '363 days' * (k - 1)
                        / greatest(%(completed)s::int, 1)
                        + interval '30 minutes' * random() AS received_at) AS received,
        LATERAL (SELECT received_at + interval '1 hour' + interval '4 days' * random()
                        AS done_at) AS done
    UNION ALL
    -- completed today, received one to six days ago
    SELECT done_at - interval '1 day' - interval '5 days' * random(), 'C', false, 'Done',
        done_at - interval '12 hours', done_at, NULL, %(last_station)s,
        done_at - interval '10 minutes', done_at::date + 1
    FROM generate_series(1, %(completed_today)s::int) AS k,
        LATERAL (SELECT %(start_of_today)s + (%(now)s - %(start_of_today)s) * random()
                        AS done_at, k AS kk) AS done
    UNION ALL
    -- marked for cancelation over the last year, some of them after a check-in
    SELECT received_at, CASE WHEN r_station < 0.30 THEN 'P' ELSE 'V' END, false, 'Cancelled',
        CASE WHEN r_station < 0.30 THEN received_at + interval '1 hour' END,
        NULL, received_at + interval '2 days' * random(),
        CASE WHEN r_station < 0.30 THEN (%(stations)s::bigint[])[
            1 + floor(random() * cardinality(%(stations)s::bigint[]))::int] END,
        CASE WHEN r_station < 0.30 THEN received_at + interval '2 hours' END,
        received_at::date + 7
    FROM generate_series(1, %(cancelled)s::int) AS k,
        LATERAL (SELECT %(now)s - interval '365 days' * random() AS received_at,
                        random() AS r_station, k AS kk) AS drawn
),
numbered AS (
    SELECT row_number() OVER (ORDER BY received_at) AS n, rows.* FROM rows
)
INSERT INTO orders_order (
    id, public_id, number, tray, po_number, customer_id, customer_job_id, patient,
    job_type, date_ordered, received_at, date_wanted, valid_at,
    completed_at, state, unvalid_message, on_hold, pending_completion, processed_at,
    processing_status, cancelled_at, cancelled_by_id, cancel_reason_id, current_station_id,
    current_station_at, requires_backside_coat, requires_ar_coat, requires_tint,
    requires_mirror, requires_uv, requires_hard_coat, requires_polish, requires_etching,
    requires_drop_ball, requires_final_qa, ticket_id, ticket_name, created_by_id,
    created_device, version, stock_order
)
SELECT
    n, gen_random_uuid(), n, '', '', NULL, 'J-' || n::text, 'Patient ' || n::text,
    'U', received_at::date, received_at, date_wanted,
    CASE WHEN state <> 'U' THEN received_at + interval '2 minutes' END,
    completed_at, state, CASE WHEN state = 'U' THEN 'Frame shape missing' ELSE '' END,
    on_hold, false, processed_at,
    processing_status, cancelled_at, NULL, NULL, station_id,
    station_at, n %% 3 = 0, n %% 2 = 0, false,
    false, false, n %% 5 = 0, false, false,
    false, n %% 4 = 0, 'JT' || (100000000 + n)::text, 'Name ' || (n %% 5000)::text, NULL,
    'DISPLAY-BENCH', 1, false
FROM numbered
ORDER BY n
"""


def fail(message: str) -> None:
    print(f"display_bench: {message}", file=sys.stderr)
    raise SystemExit(2)


def say(message: str = "") -> None:
    print(message, flush=True)


# --- the database -------------------------------------------------------------------------


def libpq_url(url: str, database: str | None = None) -> str:
    parts = urlsplit(url)
    path = parts.path if database is None else "/" + database
    return urlunsplit(("postgresql", parts.netloc, path, parts.query, ""))


def database_url(server: str, name: str) -> str:
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, ""))


def check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        fail(f"--database {name!r}: use lower-case letters, digits and _")
    if name in PROTECTED or name.startswith(PROTECTED_PREFIX):
        fail(f"refusing to use {name!r}: that is a project database; use e.g. {DEFAULT_DATABASE}")


def comment_of(db: psycopg.Connection, name: str) -> tuple[bool, str | None]:
    row = db.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
    ).fetchone()
    return (row is not None, row[0] if row else None)


def create_database(server: str, name: str) -> None:
    with psycopg.connect(libpq_url(server, "postgres"), autocommit=True) as db:
        exists, comment = comment_of(db, name)
        if exists:
            if comment != MARKER:
                fail(f"database {name} exists and was not made by this benchmark: not touching it")
            say(f"dropping the previous {name}")
            db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        db.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(MARKER)
            )
        )


def drop_database(server: str, name: str) -> None:
    check_name(name)  # never anything but the benchmark's own
    with psycopg.connect(libpq_url(server, "postgres"), autocommit=True) as db:
        exists, comment = comment_of(db, name)
        if exists and comment == MARKER:
            db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def migrate(url: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(DATABASE_URL=url, DEBUG="1")  # DEBUG only spares migrate a SECRET_KEY
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        fail(f"manage.py migrate failed:\n{result.stdout}{result.stderr}")


# --- Django, in this process -----------------------------------------------------------------


def setup_django(url: str, *, debug: bool) -> None:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="labsite.settings",
        DEBUG="1" if debug else "0",
        ALLOWED_HOSTS="testserver",
        LOG_LEVEL="WARNING",
    )
    if not debug:  # as deployed: a secret key of its own, the production security settings
        os.environ["SECRET_KEY"] = "display-bench-" + secrets.token_urlsafe(32)
    sys.path.insert(0, str(PROJECT_ROOT))
    # Static files are not collected for the benchmark: whitenoise says so once per process.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()


def reference_rows() -> tuple[str, dict[str, int]]:
    """The stations and a display link, made as an admin would: the link's token and the
    stations' ids by code."""
    from orders.models import LabSettings, Station
    from workstations.models import DisplayLink

    ids = {
        code: Station.objects.create(code=code, description=description).pk
        for code, description, _ in STATIONS
    }
    LabSettings.load()
    _, token = DisplayLink.issue(name="Display bench wall", created_by=None)
    return token, ids


def seed(url: str, station_ids: dict[str, int], args) -> dict[str, int]:
    from django.utils import timezone

    now = timezone.now()
    today = timezone.localdate(now)
    start_of_today = timezone.make_aware(datetime.combine(today, datetime.min.time()))
    params = {
        "active": args.orders,
        "completed": args.completed,
        "completed_today": args.completed_today,
        "cancelled": args.cancelled,
        "now": now,
        "today": today,
        "start_of_today": start_of_today,
        "last_station": station_ids[LAST_STATION],
        "stations": [station_ids[code] for code, _, share in STATIONS for _ in range(share)],
    }
    with psycopg.connect(libpq_url(url), autocommit=True) as db:
        # Bulk-load settings for this session only: nothing here needs to survive a crash.
        db.execute("SET synchronous_commit = off")
        db.execute("SET work_mem = '256MB'")
        db.execute("SET maintenance_work_mem = '512MB'")
        db.execute("SELECT setseed(%s)", [args.seed])
        started = time.perf_counter()
        with db.transaction():
            rows = db.execute(SEED_SQL, params).rowcount
        say(f"  orders     {rows:>10,} rows  {time.perf_counter() - started:6.1f} s")
        db.execute(
            "SELECT setval(pg_get_serial_sequence('orders_order', 'id'), "
            "(SELECT max(id) FROM orders_order))"
        )
        started = time.perf_counter()
        db.execute("VACUUM ANALYZE")
        say(f"  VACUUM ANALYZE               {time.perf_counter() - started:6.1f} s")
        counts = db.execute(
            """
            SELECT count(*) FILTER (WHERE cancelled_at IS NULL AND state <> 'C'),
                   count(*) FILTER (WHERE cancelled_at IS NULL AND state <> 'C'
                                    AND current_station_id IS NOT NULL),
                   count(*) FILTER (WHERE state = 'C'),
                   count(*) FILTER (WHERE state = 'C' AND completed_at >= %s),
                   count(*) FILTER (WHERE cancelled_at IS NOT NULL),
                   pg_size_pretty(pg_total_relation_size('orders_order'))
            FROM orders_order
            """,
            [start_of_today],
        ).fetchone()
    say(
        f"  active {counts[0]:,} ({counts[1]:,} at a station), completed {counts[2]:,} "
        f"({counts[3]:,} today), cancelled {counts[4]:,}; orders_order with its indexes: "
        f"{counts[5]}"
    )
    return {"active": counts[0], "completed_today": counts[3]}


# --- measuring -----------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def summary(label: str, wall: list[float], cpu: list[float]) -> str:
    median = statistics.median(wall)
    return (
        f"| {label} | {median:.1f} | {percentile(wall, 0.95):.1f} | {max(wall):.1f} | "
        f"{min(wall):.1f} | {statistics.median(cpu):.1f} | {median / TARGET_MS:.2f} |"
    )


class StatementTimer:
    """An execute wrapper: the wall time of each statement as the app runs it (round trip,
    parameters bound on the server, prepared after a few runs), by SQL text."""

    def __init__(self):
        self.times: dict[str, list[float]] = {}
        self.order: list[str] = []

    def __call__(self, execute, sql_text, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql_text, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            if sql_text not in self.times:
                self.times[sql_text] = []
                self.order.append(sql_text)
            self.times[sql_text].append(elapsed)


def short(sql_text: str, width: int = 96) -> str:
    text = " ".join(sql_text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def explain(sql_text: str, runs: int) -> tuple[list[float], float, list[str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of a captured statement, ``runs`` times, in a transaction
    rolled back each time: the execution times (ms), the last planning time, the last plan."""
    from django.db import connection, transaction

    executions, plan, planning = [], [], 0.0
    for _ in range(runs):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql_text)
                plan = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
        for line in plan:
            if line.startswith("Execution Time:"):
                executions.append(float(line.split()[2]))
            elif line.startswith("Planning Time:"):
                planning = float(line.split()[2])
    return executions, planning, plan


def measure(token: str, expected: dict[str, int], args) -> None:
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from workstations.board import read_board

    client = Client()
    url = f"/ws/display/?token={token}"
    secure = not args.debug  # SECURE_SSL_REDIRECT is on as deployed: ask over https

    def request():
        response = client.get(url, secure=secure)
        if response.status_code != 200:
            fail(f"GET /ws/display/ answered {response.status_code}: {response.content[:300]!r}")
        return response

    response = request()
    body = response.content.decode()
    shown = re.search(r'id="in-progress">(\d+)<', body)
    if shown is None or int(shown.group(1)) != expected["active"]:
        fail(f"the board shows {shown and shown.group(1)} in progress, {expected['active']} seeded")
    board = read_board()
    say(
        f"board: {board.in_progress:,} in progress, {board.not_checked_in:,} not checked in, "
        f"{board.due_today:,} due today, {board.late:,} late, {board.completed_today:,} "
        f"completed today, {len(board.stations)} stations"
    )

    for _ in range(args.warmup):
        request()
        read_board()

    request_wall, request_cpu, board_wall, board_cpu = [], [], [], []
    for _ in range(args.requests):
        wall, cpu = time.perf_counter(), time.process_time()
        request()
        request_wall.append((time.perf_counter() - wall) * 1000)
        request_cpu.append((time.process_time() - cpu) * 1000)
        wall, cpu = time.perf_counter(), time.process_time()
        read_board()
        board_wall.append((time.perf_counter() - wall) * 1000)
        board_cpu.append((time.process_time() - cpu) * 1000)

    say()
    say(
        f"{args.requests} rounds after {args.warmup} warm-up ones, ms "
        "(CPU: this process's, not PostgreSQL's):"
    )
    say()
    say("| | median | p95 | max | min | CPU median | median / 100 ms |")
    say("|---|---:|---:|---:|---:|---:|---:|")
    say(summary("`GET /ws/display/?token=...`", request_wall, request_cpu))
    say(summary("`read_board()` alone", board_wall, board_cpu))
    median = statistics.median(request_wall)
    verdict = "met" if median < TARGET_MS else f"MISSED by {median - TARGET_MS:.1f} ms"
    p95 = percentile(request_wall, 0.95)
    say()
    say(
        f"target: server time < {TARGET_MS:.0f} ms: median {median:.1f} ms, {verdict}; "
        f"p95 {p95:.1f} ms ({'under' if p95 < TARGET_MS else 'OVER'} the target), "
        f"max {max(request_wall):.1f} ms"
    )

    # The statements of a request, counted twice (the count must not change).
    counts = []
    for _ in range(2):
        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            request()
        counts.append(len(captured.captured_queries))
        request_sql = [query["sql"] for query in captured.captured_queries]
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        read_board()
    board_sql = [query["sql"] for query in captured.captured_queries]
    say()
    say(
        f"SQL statements per request: {counts[0]} and {counts[1]} "
        f"({'constant' if len(set(counts)) == 1 else 'NOT constant'}); "
        f"read_board(): {len(board_sql)}"
    )

    # Each statement's time as the app runs it: requests through an execute wrapper.
    timer = StatementTimer()
    with connection.execute_wrapper(timer):
        for _ in range(args.requests):
            request()
    app_times = [statistics.median(timer.times[text]) for text in timer.order]
    if len(app_times) != len(request_sql):
        fail(f"{len(app_times)} distinct statements timed, {len(request_sql)} captured")

    say()
    say(
        f"Each statement of a request: median wall time as the request runs it ({args.requests} "
        f"requests) and EXPLAIN (ANALYZE, BUFFERS) execution time (median of "
        f"{args.explain_runs}), ms:"
    )
    say()
    say("| # | statement | read_board() | app median | EXPLAIN exec | planning |")
    say("|---:|---|---|---:|---:|---:|")
    plans = []
    for number, (text, app) in enumerate(zip(request_sql, app_times, strict=True), 1):
        executions, planning, plan = explain(text, args.explain_runs)
        execution = f"{statistics.median(executions):.2f}" if executions else "-"
        say(
            f"| {number} | `{short(text, 80)}` | {'yes' if text in board_sql else ''} | "
            f"{app:.2f} | {execution} | {planning:.2f} |"
        )
        plans.append((number, text, plan))
    board_total = sum(
        app for text, app in zip(request_sql, app_times, strict=True) if text in board_sql
    )
    say()
    say(
        f"summed statement medians: all {sum(app_times):.1f} ms, read_board()'s "
        f"{board_total:.1f} ms; the request's median {median:.1f} ms"
    )

    say()
    for number, text, plan in plans:
        if text not in board_sql and not args.all_plans:
            continue
        say(f"--- statement {number}: {short(text, 200)}")
        for line in plan:
            say("    " + line)


def machine_line() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
        cursor.execute("SHOW shared_buffers")
        shared_buffers = cursor.fetchone()[0]
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"machine: {model}, {os.cpu_count()} cores; load average {load}; "
        f"PostgreSQL {pg_version} (jit {jit}, shared_buffers {shared_buffers}); "
        f"Python {platform.python_version()}; Django {django.get_version()}"
    )


@contextmanager
def throwaway_database(server: str, name: str, keep: bool):
    create_database(server, name)
    url = database_url(server, name)
    try:
        yield url
    finally:
        try:
            from django.db import connections

            connections.close_all()
            for wrapper in connections.all(initialized_only=True):
                if wrapper.alias in getattr(wrapper, "_connection_pools", {}):
                    wrapper.close_pool()
        except Exception:  # noqa: S110 - Django may not be set up yet
            pass
        if keep:
            say(f"kept database {name} (--keep)")
        else:
            drop_database(server, name)
            say(f"dropped database {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="active orders (100000)")
    parser.add_argument(
        "--completed", type=int, default=None, help="completed before today (4 x --orders)"
    )
    parser.add_argument(
        "--completed-today", type=int, default=400, help="completed since midnight (400)"
    )
    parser.add_argument(
        "--cancelled", type=int, default=None, help="marked for cancelation (--orders / 20)"
    )
    parser.add_argument("--requests", type=int, default=50, help="timed rounds (50)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed rounds first (10)")
    parser.add_argument("--explain-runs", type=int, default=3, help="EXPLAINs per statement (3)")
    parser.add_argument(
        "--all-plans", action="store_true", help="print the plans of every statement"
    )
    parser.add_argument("--database-url", default=DEFAULT_SERVER, help=f"({DEFAULT_SERVER})")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help=f"({DEFAULT_DATABASE})")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--debug", action="store_true", help="run Django with DEBUG=1")
    parser.add_argument("--seed", type=float, default=0.42, help="setseed() value (-1..1)")
    args = parser.parse_args()
    if args.completed is None:
        args.completed = 4 * args.orders
    if args.cancelled is None:
        args.cancelled = args.orders // 20
    total = args.orders + args.completed + args.completed_today + args.cancelled
    if args.orders < 1 or min(args.completed, args.completed_today, args.cancelled) < 0:
        fail("--orders must be at least 1, the other counts at least 0")
    if total > 99_999_999:
        fail("all orders together must be at most 99 999 999 (order numbers are 1..total)")
    if args.requests < 1 or args.warmup < 0 or args.explain_runs < 1:
        fail("--requests and --explain-runs must be at least 1, --warmup at least 0")
    if urlsplit(args.database_url).scheme not in {"postgres", "postgresql", "pgsql"}:
        fail(f"--database-url must name a PostgreSQL server, got: {args.database_url}")
    check_name(args.database)

    with throwaway_database(args.database_url, args.database, args.keep) as url:
        started = time.perf_counter()
        migrate(url)
        say(f"migrated {args.database} ({time.perf_counter() - started:.1f} s)")
        setup_django(url, debug=args.debug)
        token, station_ids = reference_rows()
        say(
            f"seeding {args.orders:,} active, {args.completed:,} + {args.completed_today:,} "
            f"completed, {args.cancelled:,} cancelled orders:"
        )
        expected = seed(url, station_ids, args)
        say(machine_line())
        say(f"DEBUG {'on' if args.debug else 'off'}; database {args.database}")
        measure(token, expected, args)


if __name__ == "__main__":
    main()

"""How fast does ``GET /orders`` answer NData queries on a large table, next to its SQL alone?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/labsite_bench \\
        .venv/bin/python bench/orders_query_bench.py

Needs a database seeded by bench/seed_orders.py (PostgreSQL only). For each query it times,
over ``--runs`` runs after ``--warmup`` unmeasured ones, interleaved (floor, app, app, floor...):

  app    the whole request through Django's test Client, in process, with a real API key
         (a user in "Lab clients", ``ApiKey.issue``), as deployed: DEBUG=0,
         DJANGO_SETTINGS_MODULE=labsite.settings, a throwaway SECRET_KEY,
         ALLOWED_HOSTS=testserver, over "HTTPS" (``secure=True``, as SECURE_SSL_REDIRECT wants)
  floor  the SQL statements that request sends for its data (COUNT, page SELECT, items and
         endpoints prefetches), captured once from the ORM with their parameters and re-run
         as they are through psycopg (a ClientCursor, as Django's, so the very same text
         reaches the server), each fully fetched; one connection kept open

and reports median and p99 in ms, the ratio, and the target: app median <= 2 x floor + 5 ms.
Then a breakdown of where the app time goes (SQL inside Django, ORM objects and prefetching,
the payload dicts, JSON rendering, the rest), and ``EXPLAIN (ANALYZE, BUFFERS)`` of the count
and page statements of every documented filter member, flagging a Seq Scan on orders_order
and an index of it walked without an Index Cond (``--explain-only`` does only that). See
bench/ORDERS_QUERY.md.
"""

import argparse
import json
import math
import os
import platform
import re
import secrets
import statistics
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROTECTED = ("labsite", "test_labsite")
PROTECTED_PREFIX = "labsite_p"
BENCH_USERNAME = "orders-query-bench"
DATA_STATEMENTS = ("count", "page", "items", "endpoints")
SEQ_SCAN_ON_ORDERS = re.compile(r"Seq Scan on orders_order(?![a-z_])")
INDEX_ON_ORDERS = re.compile(
    r"Index (?:Only )?Scan(?: Backward)? using (\S+) on orders_order(?![a-z_])"
)
ACTUAL_ROWS = re.compile(r"actual (?:time=\S+ )?rows=(\d+) loops=(\d+)")
REMOVED = re.compile(r"Rows Removed by Filter: (\d+)")
# An index scan with no Index Cond that throws away this many rows (and 10 times what it
# keeps) walks an index for its order or its columns, not to find the rows: flagged too.
FILTERED_AWAY = 10_000
SCAN_NODE = re.compile(
    r"((?:Parallel )?(?:Seq Scan|Index Only Scan|Index Scan|Bitmap Index Scan|"
    r"Bitmap Heap Scan)(?: Backward)?(?: using \S+)? on \S+)"
)


def fail(message: str) -> None:
    print(f"orders_query_bench: {message}", file=sys.stderr)
    raise SystemExit(2)


# --- set-up ---------------------------------------------------------------------------------


def bench_url(argument_url: str) -> str:
    url = argument_url or os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        found = url or "DATABASE_URL is not set (labsite would use SQLite)"
        fail(
            f"needs PostgreSQL, got: {found}.\nSet DATABASE_URL to the database "
            "bench/seed_orders.py filled. On SQLite there is no EXPLAIN worth reading and "
            "no server to compare with."
        )
    name = parts.path.lstrip("/")
    if name in PROTECTED or name.startswith(PROTECTED_PREFIX):
        fail(f"refusing {name!r}: a project database; use the bench's (e.g. labsite_bench)")
    return url


def libpq_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def setup_django(url: str) -> None:
    """As deployed: DEBUG off (no query log), a secret key of the run's own."""
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["ALLOWED_HOSTS"] = "testserver"
    os.environ["DJANGO_SETTINGS_MODULE"] = "labsite.settings"
    sys.path.insert(0, str(PROJECT_ROOT))
    # WhiteNoise notes that collectstatic never ran here; static files are not measured.
    warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)
    import django

    django.setup()
    from django.conf import settings

    if settings.DEBUG:
        fail("DEBUG is on; the benchmark measures the deployed configuration")


@contextmanager
def api_client():
    """A test Client carrying a fresh API key of a "Lab clients" user; the key is removed at
    the end (the user is kept for the next run)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from accounts.models import ApiKey

    user, created = User.objects.get_or_create(username=BENCH_USERNAME)
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get(name="Lab clients"))
    api_key, raw_key = ApiKey.issue(user=user, name="orders_query_bench")
    try:
        yield Client(headers={"authorization": f"Bearer {raw_key}"})
    finally:
        api_key.delete()


# --- statements -----------------------------------------------------------------------------


@dataclass
class Statement:
    label: str  # count, page, items, endpoints, or other (the API key lookup...)
    sql: str  # as given to the cursor, with placeholders
    params: tuple
    wire: str  # as sent to the server (Django binds client-side)


def label_of(sql: str) -> str:
    if 'FROM "orders_orderitemendpoint"' in sql:
        return "endpoints"
    if 'FROM "orders_orderitem"' in sql:
        return "items"
    if 'FROM "orders_order"' in sql:
        return "count" if sql.lstrip().startswith("SELECT COUNT(") else "page"
    return "other"


@dataclass
class Captured:
    status: int
    body: dict
    statements: list[Statement]

    def data_statements(self) -> list[Statement]:
        return [s for s in self.statements if s.label in DATA_STATEMENTS]

    def statement(self, label: str) -> Statement | None:
        return next((s for s in self.statements if s.label == label), None)


def request_path(query: str) -> str:
    return f"/orders?{query}" if query else "/orders"


def capture(client, query: str) -> Captured:
    """One request, with every statement it sends: (sql, params) from an execute wrapper and
    the text the server received from CaptureQueriesContext."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    calls: list[tuple[str, tuple]] = []

    def record(execute, sql, params, many, context):
        calls.append((sql, tuple(params or ())))
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as log, connection.execute_wrapper(record):
        response = client.get(request_path(query), secure=True)
    if response.status_code != 200:
        fail(f"GET {request_path(query)} answered {response.status_code}: {response.content!r}")
    if len(calls) != len(log.captured_queries):
        fail(f"{len(calls)} statements wrapped but {len(log.captured_queries)} logged")
    statements = [
        Statement(label_of(sql), sql, params, logged["sql"])
        for (sql, params), logged in zip(calls, log.captured_queries, strict=True)
    ]
    return Captured(response.status_code, json.loads(response.content), statements)


def check_same_text(floor_db: psycopg.Connection, statements: list[Statement]) -> None:
    """The floor sends what Django sent: psycopg's client-side binding of the same sql and
    params gives the same text."""
    cursor = psycopg.ClientCursor(floor_db)
    for statement in statements:
        mine = cursor.mogrify(statement.sql, statement.params)
        if mine != statement.wire:
            fail(f"the floor would send other SQL than Django:\n{statement.wire}\n---\n{mine}")


# --- measurements ---------------------------------------------------------------------------


@dataclass
class Case:
    key: str
    query: str
    note: str = ""
    app: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    captured: Captured | None = None


def percentile(values: list[float], fraction: float) -> float:
    """Nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def time_app(client, query: str) -> float:
    path = request_path(query)
    started = time.perf_counter()
    response = client.get(path, secure=True)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        fail(f"GET {path} answered {response.status_code}")
    return elapsed * 1000


def time_floor(cursor: psycopg.ClientCursor, statements: list[Statement]) -> float:
    started = time.perf_counter()
    for statement in statements:
        cursor.execute(statement.sql, statement.params)
        cursor.fetchall()
    return (time.perf_counter() - started) * 1000


def measure(client, floor_db: psycopg.Connection, case: Case, runs: int, warmup: int) -> None:
    case.captured = capture(client, case.query)
    statements = case.captured.data_statements()
    check_same_text(floor_db, statements)
    cursor = psycopg.ClientCursor(floor_db)
    for _ in range(warmup):
        time_app(client, case.query)
        time_floor(cursor, statements)
    for run in range(runs):
        if run % 2:
            case.app.append(time_app(client, case.query))
            case.floor.append(time_floor(cursor, statements))
        else:
            case.floor.append(time_floor(cursor, statements))
            case.app.append(time_app(client, case.query))


# --- where the app's time goes -------------------------------------------------------------


PHASES = ("sql", "orm", "payload", "render")


@dataclass
class Phases:
    total: list[float] = field(default_factory=list)
    parts: dict[str, list[float]] = field(default_factory=lambda: {p: [] for p in PHASES})

    def median(self, part: str) -> float:
        return statistics.median(self.total if part == "total" else self.parts[part])

    def rest(self) -> float:
        """Median of each run's total minus its measured phases."""
        return statistics.median(
            total - sum(self.parts[p][run] for p in PHASES) for run, total in enumerate(self.total)
        )


@contextmanager
def timing_hooks(sink: dict[str, float]):
    """Accumulate in ``sink`` (seconds) the time spent in: sql, Django's cursor.execute of every
    statement; orm, the outermost QuerySet._fetch_all (rows -> values or model instances) less
    the SQL inside it; payload, orders_api_payloads (the page's dicts) less the SQL and ORM
    inside it; render, DRF's JSONRenderer. Only for the breakdown runs: the hooks are
    removed afterwards."""
    from django.db import connection
    from django.db.models.query import QuerySet
    from rest_framework.renderers import JSONRenderer

    from orders.api.pos import views

    state = {"fetching": False}

    def sql(execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sink["sql"] += time.perf_counter() - started

    original_fetch_all = QuerySet._fetch_all
    original_payload, original_render = views.orders_api_payloads, JSONRenderer.render

    def fetch_all(queryset):
        if state["fetching"]:  # nested
            return original_fetch_all(queryset)
        state["fetching"] = True
        started, sql_before = time.perf_counter(), sink["sql"]
        try:
            return original_fetch_all(queryset)
        finally:
            state["fetching"] = False
            sink["orm"] += time.perf_counter() - started - (sink["sql"] - sql_before)

    def payload(queryset):
        started, sql_before, orm_before = time.perf_counter(), sink["sql"], sink["orm"]
        try:
            return original_payload(queryset)
        finally:
            inside = (sink["sql"] - sql_before) + (sink["orm"] - orm_before)
            sink["payload"] += time.perf_counter() - started - inside

    def render(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original_render(*args, **kwargs)
        finally:
            sink["render"] += time.perf_counter() - started

    QuerySet._fetch_all = fetch_all
    views.orders_api_payloads, JSONRenderer.render = payload, render
    try:
        with connection.execute_wrapper(sql):
            yield
    finally:
        QuerySet._fetch_all = original_fetch_all
        views.orders_api_payloads, JSONRenderer.render = original_payload, original_render


def breakdown(client, query: str, runs: int) -> Phases:
    phases = Phases()
    for _ in range(runs):
        sink = dict.fromkeys(PHASES, 0.0)
        with timing_hooks(sink):
            phases.total.append(time_app(client, query))
        for part in PHASES:
            phases.parts[part].append(sink[part] * 1000)
    return phases


def profile(client, query: str, runs: int) -> None:
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        client.get(request_path(query), secure=True)
    profiler.disable()
    print(f"\n## cProfile of {runs} x GET {request_path(query)} (top 30 by own time)\n")
    print("```")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(30)
    print("```")


# --- filter values from the data ------------------------------------------------------------


def sample_values(db: psycopg.Connection, prefix: str) -> dict[str, str]:
    top = db.execute("SELECT max(number) FROM orders_order").fetchone()[0]
    if not top:
        fail("no orders: seed the database first (bench/seed_orders.py)")
    mid = top // 2

    def first(query: str) -> str:
        row = db.execute(query, {"mid": mid}).fetchone()
        if row is None:
            fail(f"no sample value for: {query}")
        return str(row[0])

    common_name = first(
        "SELECT ticket_name FROM orders_order WHERE ticket_name <> '' "
        "GROUP BY ticket_name ORDER BY count(*) DESC, ticket_name LIMIT 1"
    )
    day = first("SELECT received_at::date FROM orders_order WHERE number = %(mid)s")
    return {
        "top": str(top),
        "mid": str(mid),
        "public_id": first("SELECT public_id FROM orders_order WHERE number = %(mid)s"),
        "ticket_id": first(
            "SELECT ticket_id FROM orders_order WHERE number >= %(mid)s AND ticket_id <> '' "
            "ORDER BY number LIMIT 1"
        ),
        "ticket_name": first(
            "SELECT ticket_name FROM orders_order WHERE number >= %(mid)s "
            "AND ticket_name <> '' ORDER BY number LIMIT 1"
        ),
        "prefix": prefix or common_name[:3].lower(),
        "device": first("SELECT created_device FROM orders_order WHERE number = %(mid)s"),
        "username": first(
            "SELECT u.username FROM orders_order o JOIN auth_user u ON u.id = o.created_by_id "
            "WHERE o.number >= %(mid)s ORDER BY o.number LIMIT 1"
        ),
        "day": day,
        "next_day": str(
            db.execute("SELECT %s::date + 1", [day]).fetchone()[0]  # one day of orders
        ),
        "tray": first(
            "SELECT tray FROM orders_order WHERE tray <> '' AND cancelled_at IS NULL "
            "AND state <> 'C' ORDER BY number DESC OFFSET 100 LIMIT 1"
        ),
        "po": first(
            "SELECT po_number FROM orders_order WHERE number >= %(mid)s AND po_number <> '' "
            "ORDER BY number LIMIT 1"
        ),
    }


def timed_cases(v: dict[str, str]) -> list[Case]:
    mid = int(v["mid"])
    return [
        Case("a", f"number=between:{mid}:{mid + 50}", "number range, 51 orders"),
        Case("b", "isProcessed=false&$sort=-number", "unprocessed, newest first, take 1000"),
        Case("b50", "isProcessed=false&$sort=-number&$take=50", "the same, take 50"),
        Case("c", f"ticketName=startswith:{v['prefix']}", "ticket name prefix, take 1000"),
        Case("d", "$count=true&status=eq:InProgress", "count only"),
    ]


def explain_cases(v: dict[str, str]) -> list[tuple[str, str]]:
    mid = int(v["mid"])
    return [
        ("id eq", f"id=eq:{v['public_id']}"),
        ("number range", f"number=between:{mid}:{mid + 50}"),
        ("ticketId eq", f"ticketId=eq:{v['ticket_id']}"),
        ("ticketName eq", f"ticketName=eq:{v['ticket_name']}"),
        ("ticketName startswith", f"ticketName=startswith:{v['prefix']}"),
        ("deviceName eq", f"deviceName=eq:{v['device']}"),
        ("userUserName eq", f"userUserName=eq:{v['username']}"),
        ("isProcessed true", "isProcessed=true"),
        ("isProcessed false", "isProcessed=false"),
        ("isProcessable true", "isProcessable=true"),
        ("status eq", "status=eq:InProgress"),
        ("createdAt range", f"createdAt=between:{v['day']}:{v['next_day']}"),
        ("trayNumber eq", f"trayNumber=eq:{v['tray']}"),
        ("poNumber eq", f"poNumber=eq:{v['po']}"),
    ]


# --- EXPLAIN --------------------------------------------------------------------------------


@dataclass
class Plan:
    member: str
    query: str
    label: str
    text: str

    @property
    def seq_scan(self) -> bool:
        return bool(SEQ_SCAN_ON_ORDERS.search(self.text))

    @property
    def scans(self) -> str:
        found = dict.fromkeys(SCAN_NODE.findall(self.text))
        return "; ".join(found) or "(none)"

    @property
    def filtered_index_scans(self) -> list[str]:
        """Index scans of orders_order without an Index Cond that filter most rows away."""
        found = []
        lines = self.text.splitlines()
        for number, line in enumerate(lines):
            header = INDEX_ON_ORDERS.search(line)
            actual = ACTUAL_ROWS.search(line)
            if not header or not actual:
                continue
            details = []
            for following in lines[number + 1 :]:
                if "->" in following or not following.startswith(" "):
                    break
                details.append(following)
            removed = next((REMOVED.search(d) for d in details if REMOVED.search(d)), None)
            if removed is None or any("Index Cond:" in d for d in details):
                continue
            kept, loops = int(actual.group(1)) * int(actual.group(2)), int(actual.group(2))
            dropped = int(removed.group(1)) * loops
            if dropped >= FILTERED_AWAY and dropped >= 10 * kept:
                found.append(f"{header.group(1)}: read {kept + dropped:,}, kept {kept:,}")
        return found

    @property
    def execution_ms(self) -> str:
        match = re.search(r"Execution Time: ([0-9.]+) ms", self.text)
        return match.group(1) if match else "?"


def explain(db: psycopg.Connection, statement: Statement) -> str:
    # The text Django sent, parameters already bound: the plan is the one the app gets.
    rows = db.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement.wire).fetchall()
    return "\n".join(row[0] for row in rows)


def run_explains(client, db: psycopg.Connection, values: dict[str, str]) -> list[Plan]:
    plans = []
    for member, query in explain_cases(values):
        captured = capture(client, query)
        # A page that is not full tells its total without a count: the count is asked for.
        counted = capture(client, f"$count=true&{query}")
        for label, source in (("count", counted), ("page", captured)):
            statement = source.statement(label)
            if statement is None:
                fail(f"{query}: no {label} statement")
            plans.append(Plan(member, query, label, explain(db, statement)))
        if member == "isProcessed false":  # the prefetches of a full page, once
            for label in ("items", "endpoints"):
                statement = captured.statement(label)
                if statement is not None:
                    plans.append(Plan(member, query, label, explain(db, statement)))
    return plans


def report_explains(plans: list[Plan]) -> None:
    print("\n## EXPLAIN (ANALYZE, BUFFERS) of every documented filter member\n")
    print(
        "Default sort (-number), default take (1000). Flagged: a Seq Scan on orders_order, and "
        "an index scan of orders_order with no Index Cond whose Filter drops at least "
        f"{FILTERED_AWAY:,} rows and 10 times what it keeps (the index is walked whole or in "
        "its order, not used to find the rows). EXPLAIN ANALYZE's per-row timing inflates "
        "the times of plans that touch many rows.\n"
    )
    print(
        "| member | statement | ms | scans | Seq Scan on orders_order | index without Index Cond |"
    )
    print("|---|---|---:|---|---|---|")
    for plan in plans:
        flag = "**yes**" if plan.seq_scan else "no"
        filtered = "**" + "; ".join(plan.filtered_index_scans) + "**"
        filtered = filtered if plan.filtered_index_scans else "no"
        print(
            f"| {plan.member} | {plan.label} | {plan.execution_ms} | {plan.scans} | {flag} "
            f"| {filtered} |"
        )
    for plan in plans:
        marker = "  <-- Seq Scan on orders_order" if plan.seq_scan else ""
        if plan.filtered_index_scans:
            marker += "  <-- index scan without Index Cond"
        print(f"\n### {plan.member}: {plan.label} (`GET {request_path(plan.query)}`){marker}\n")
        print("```")
        print(plan.text)
        print("```")
    flagged = sorted({f"{plan.member} ({plan.label})" for plan in plans if plan.seq_scan})
    filtered = sorted(
        {f"{plan.member} ({plan.label})" for plan in plans if plan.filtered_index_scans}
    )
    print()
    print(
        "Seq Scan on orders_order in: " + ", ".join(flagged)
        if flagged
        else "No plan scans orders_order sequentially."
    )
    print(
        "Index scan of orders_order without Index Cond, mostly filtered away, in: "
        + ", ".join(filtered)
        if filtered
        else "No plan walks an index of orders_order without an Index Cond."
    )


# --- report ---------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value:.1f}" if value >= 10 else f"{value:.2f}"


def report_timings(cases: list[Case], runs: int, warmup: int) -> None:
    print(f"\n## GET /orders: median and p99 of {runs} runs (after {warmup} warm-up), ms\n")
    print(
        "| | query | count / totalCount | statements | app median | app p99 | floor median "
        "| floor p99 | app / floor | target: app <= 2 x floor + 5 |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for case in cases:
        app, floor = statistics.median(case.app), statistics.median(case.floor)
        target = 2 * floor + 5
        verdict = "met" if app <= target else "**missed**"
        body = case.captured.body
        rows = f"{body['count']} / {body['totalCount']}"
        labels = [s.label for s in case.captured.statements]
        statements = f"{len(labels)} ({len(case.captured.data_statements())} in floor)"
        print(
            f"| {case.key} | `{case.query}` | {rows} | {statements} | {ms(app)} | "
            f"{ms(percentile(case.app, 0.99))} | {ms(floor)} | {ms(percentile(case.floor, 0.99))} "
            f"| {app / floor:.1f} | {ms(target)}: {verdict} |"
        )
    print()
    for case in cases:
        labels = ", ".join(s.label for s in case.captured.statements)
        print(f"- {case.key} ({case.note}): statements per request: {labels}")


def report_breakdown(client, cases: list[Case], runs: int) -> None:
    print(f"\n## Where the app time goes: medians of {runs} instrumented runs, ms\n")
    print(
        "SQL: inside Django's cursor.execute, every statement of the request (the server's "
        "work and the rows' transfer; psycopg turns rows into tuples later, under ORM). "
        "ORM: the outermost QuerySet evaluation less its SQL: rows -> model instances, "
        "select_related, prefetch_related with its per-instance querysets. payload: "
        "orders_api_payloads for the page. JSON: DRF's JSONRenderer. rest: everything else "
        "(test Client, middleware, authentication, NData parsing, the count). The hooks "
        "cost a little time of their own.\n"
    )
    print("| | query | total | SQL | ORM | payload | JSON | rest | floor (above) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    baseline = Case("base", "$count=true&number=eq:1", "one-row count: the fixed cost")
    for case in [*cases, baseline]:
        phases = breakdown(client, case.query, runs)
        figures = " | ".join(ms(phases.median(part)) for part in ("total", *PHASES))
        floor = ms(statistics.median(case.floor)) if case.floor else "-"
        print(f"| {case.key} | `{case.query}` | {figures} | {ms(phases.rest())} | {floor} |")
    print(
        "\nNot in any figure above: the test Client skips close_old_connections, so a "
        "deployed worker's taking of a connection from the pool and giving it back is not "
        "counted."
    )


def machine_info(db: psycopg.Connection) -> None:
    import django

    settings = {
        name: db.execute(f"SHOW {name}").fetchone()[0]
        for name in (
            "server_version",
            "shared_buffers",
            "work_mem",
            "effective_cache_size",
            "random_page_cost",
            "jit",
            "max_parallel_workers_per_gather",
        )
    }
    sizes = db.execute(
        "SELECT pg_size_pretty(pg_total_relation_size('orders_order')), "
        "pg_size_pretty(pg_total_relation_size('orders_orderitem')), "
        "pg_size_pretty(pg_total_relation_size('orders_orderitemendpoint'))"
    ).fetchone()
    print()
    print(f"- CPUs: {os.cpu_count()} ({platform.machine()}), shared by PostgreSQL and the bench")
    print(f"- load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("- PostgreSQL: " + ", ".join(f"{k}={v}" for k, v in settings.items()))
    print(f"- sizes with indexes: orders {sizes[0]}, items {sizes[1]}, endpoints {sizes[2]}")
    print(
        f"- Python {platform.python_version()}, Django {django.get_version()}, "
        f"psycopg {psycopg.__version__} ({psycopg.pq.__impl__})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="measured runs per query")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured runs first")
    parser.add_argument("--breakdown-runs", type=int, default=30, help="0: no breakdown")
    parser.add_argument("--explain-only", action="store_true", help="only the EXPLAINs")
    parser.add_argument("--no-explain", action="store_true", help="skip the EXPLAINs")
    parser.add_argument("--only", default="", help="comma-separated case keys (a,b,b50,c,d)")
    parser.add_argument("--ticket-prefix", default="", help="default: from the data")
    parser.add_argument("--profile", default="", help="cProfile this case key and print it")
    parser.add_argument("--database-url", default="", help="default: $DATABASE_URL")
    args = parser.parse_args()
    if args.runs < 1 or args.warmup < 0 or args.breakdown_runs < 0:
        fail("--runs must be positive, --warmup and --breakdown-runs not negative")

    url = bench_url(args.database_url)
    setup_django(url)
    with (
        psycopg.connect(libpq_url(url), autocommit=True) as floor_db,
        api_client() as client,
    ):
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average at the start: {load}", flush=True)
        values = sample_values(floor_db, args.ticket_prefix)
        print(
            f"{values['top']} orders; sample values: "
            + ", ".join(f"{k}={v}" for k, v in values.items() if k != "top"),
            flush=True,
        )
        if not args.explain_only:
            cases = timed_cases(values)
            if args.only:
                keys = set(args.only.split(","))
                cases = [case for case in cases if case.key in keys]
            for case in cases:
                print(f"measuring {case.key}: GET {request_path(case.query)}", flush=True)
                measure(client, floor_db, case, args.runs, args.warmup)
            report_timings(cases, args.runs, args.warmup)
            if args.breakdown_runs:
                report_breakdown(client, cases, args.breakdown_runs)
            if args.profile:
                chosen = [case for case in timed_cases(values) if case.key == args.profile]
                if not chosen:
                    fail(f"--profile: no case {args.profile!r}")
                profile(client, chosen[0].query, max(10, args.breakdown_runs))
        if args.explain_only or not args.no_explain:
            report_explains(run_explains(client, floor_db, values))
        machine_info(floor_db)


if __name__ == "__main__":
    main()

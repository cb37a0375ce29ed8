"""End to end over HTTP: how fast does labsite answer each API endpoint, next to a floor?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/e2e_bench.py --orders 100000 --workers 2 --duration 20

``DATABASE_URL`` only names the PostgreSQL server: the benchmark creates its own database
(``labsite_e2e``, or ``--database NAME``), migrates it, seeds N orders with set-based SQL, and
drops it at the end (``--keep`` keeps it). It then starts gunicorn serving labsite as deployed
(DEBUG=0, a throwaway SECRET_KEY, ALLOWED_HOSTS=127.0.0.1, the production security settings;
requests carry ``X-Forwarded-Proto: https`` as from a TLS proxy, with
``TRUST_X_FORWARDED_PROTO=1``, so ``SECURE_SSL_REDIRECT`` stays on and answers them) with
``bench.e2e_settings``: labsite's settings and URLs plus one extra route, the floor
(``GET /floor/orders/<number>``: a bare Django view, one indexed lookup, JSON; see
bench/e2e_urls.py). Each endpoint is loaded for ``--duration`` seconds by ``wrk`` (Debian
package ``wrk``) with bench/e2e_wrk/e2e.lua: reads pick random orders, writes take orders no
request used before (disjoint per endpoint and per wrk thread). Every response's status and
body are checked; a run with any unexpected answer is flagged, and the writes are counted in
the database afterwards.

The report (Markdown): req/s, p50, p99, req/s as a fraction of the floor's, p99/p50, SQL
statements and CPU time (workers and PostgreSQL backends) per request, the verdicts (reads of
one order >= 0.7 x floor, writes >= 0.4 x floor, every endpoint's p99 <= 3 x p50; the
``GET /orders`` page has the p99 target only), and the machine with its load average.
``--write-results`` also writes it into bench/RESULTS.md (between its markers);
``--profile ENDPOINT,...`` runs those endpoints once more under ``py-spy`` (not measured) and
prints where the workers spend their time. See bench/README.md.
"""

import argparse
import contextlib
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LUA_SCRIPT = Path(__file__).resolve().parent / "e2e_wrk" / "e2e.lua"
RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"
RESULTS_BEGIN = "<!-- e2e_bench.py results: begin -->"
RESULTS_END = "<!-- e2e_bench.py results: end -->"

DEFAULT_DATABASE = "labsite_e2e"
PROTECTED = ("labsite", "test_labsite", "labsite_bench")
PROTECTED_PREFIX = "labsite_p"
MARKER = "labsite end-to-end bench data (bench/e2e_bench.py)"

# Order index i (1..N) is the order with id i and number NUMBER_BASE + i: numbers never look
# like trays (at most 5 digits), so a tray identifier really goes through the tray lookup.
NUMBER_BASE = 10_000_000
MAX_TRAY = 99_999
HEARTBEAT_WORKER_ID = "e2e-bench-tracker"
STATION = "E2E-SURF"
API_USERNAME = "e2e-client"
PARTNER_NAME = "E2E partner"
ORDERS_PAGE = 10  # orders per GET /orders page (number=between:n:n+9)

TARGETS = {"read": 0.7, "write": 0.4}
P99_OVER_P50 = 3.0

# The customers the seeded orders name: C00000 .. C00799.
CUSTOMERS_SQL = """
INSERT INTO orders_customer (number, name, ship_to_name, ship_to_address1, ship_to_address2,
                             ship_to_address3, ship_to_address4, ship_to_postal_code, active)
SELECT 'C' || lpad(n::text, 5, '0'), 'Customer ' || n::text, '', '', '', '', '', '', true
FROM generate_series(0, 799) AS n
ON CONFLICT (number) DO NOTHING
"""

SEED_ORDERS_SQL = """
INSERT INTO orders_order (
    id, public_id, number, tray, po_number, customer_id, customer_job_id, patient,
    job_type, date_ordered, received_at, date_wanted, valid_at,
    completed_at, state, unvalid_message, on_hold, pending_completion, processed_at,
    processing_status, cancelled_at, cancelled_by_id, cancel_reason_id, current_station_id,
    current_station_at, requires_backside_coat, requires_ar_coat, requires_tint,
    requires_mirror, requires_uv, requires_hard_coat, requires_polish, requires_etching,
    requires_drop_ball, requires_final_qa, ticket_id, ticket_name, created_by_id,
    created_device, version, stock_order, frame_upc
)
SELECT
    i, gen_random_uuid(), %(base)s::int + i,
    CASE WHEN i <= %(trays)s THEN i::text ELSE '' END,
    'PO' || lpad(i::text, 8, '0'),
    (SELECT id FROM orders_customer WHERE number = 'C' || lpad((i %% 800)::text, 5, '0')),
    'J-' || i::text, 'Patient ' || i::text,
    'U', received::date, received, received::date + 7, received + interval '2 minutes',
    NULL, 'V', '', false, false, NULL,
    'New', NULL, NULL, NULL, NULL,
    NULL, i %% 3 = 0, i %% 2 = 0, false,
    false, false, i %% 5 = 0, false, false,
    false, i %% 4 = 0, 'JT' || (100000000 + i)::text, 'Name ' || (i %% 5000)::text,
    %(user_id)s, 'E2E-SEED', 1, false, 'FU' || (%(base)s::int + i)::text
FROM generate_series(1, %(orders)s::int) AS i,
    LATERAL (SELECT now() - interval '1 second' * (%(orders)s::int - i) AS received) AS r
"""

# Two items per order, with ids 2i - 1 and 2i (item cancel names the first); the first is
# made at two endpoints, the second at one.
SEED_ITEMS_SQL = """
INSERT INTO orders_orderitem (id, order_id, sku, name, quantity, status)
SELECT 2 * (o - 1) + g, o, CASE g WHEN 1 THEN 'SV-160-AR' ELSE 'SV-160' END,
    CASE g WHEN 1 THEN 'Lens right' ELSE 'Lens left' END, 1, 'New'
FROM generate_series(1, %(orders)s::int) AS o, generate_series(1, 2) AS g
ORDER BY 1
"""

SEED_ENDPOINTS_SQL = """
INSERT INTO orders_orderitemendpoint (item_id, name, status)
SELECT it, e, 'New'
FROM generate_series(1, 2 * %(orders)s::int) AS it,
    LATERAL unnest(CASE WHEN it %% 2 = 1 THEN ARRAY['Surfacing', 'Coating']
                        ELSE ARRAY['Surfacing'] END) AS e
ORDER BY it
"""

# Both eyes of every order, with the lens OPC pick verification expects (R/L + order number);
# with the frame UPC above, what a pick scans.
SEED_EYES_SQL = """
INSERT INTO orders_ordereye (order_id, eye, lens_style, lens_material, prism_base, opc,
                             calculated)
SELECT o, e, 'PROG', 'PC', '', e || (%(base)s::int + o)::text, false
FROM generate_series(1, %(orders)s::int) AS o, unnest(ARRAY['R', 'L']) AS e
ORDER BY o, e
"""

SEQUENCES_SQL = [
    "SELECT setval(pg_get_serial_sequence('orders_order', 'id'), %(orders)s::int)",
    "SELECT setval(pg_get_serial_sequence('orders_orderitem', 'id'), 2 * %(orders)s::int)",
]


def fail(message: str) -> None:
    print(f"e2e_bench: {message}", file=sys.stderr)
    raise SystemExit(2)


def say(message: str) -> None:
    print(message, flush=True)


# --- the database -------------------------------------------------------------------------


def libpq_url(url: str, database: str | None = None) -> str:
    parts = urlsplit(url)
    path = parts.path if database is None else "/" + database
    return urlunsplit(("postgresql", parts.netloc, path, parts.query, ""))


def server_url(argument_url: str) -> str:
    url = argument_url or os.environ.get("DATABASE_URL", "")
    if urlsplit(url).scheme not in {"postgres", "postgresql", "pgsql"}:
        found = url or "DATABASE_URL is not set (labsite would use SQLite)"
        fail(f"needs a PostgreSQL DATABASE_URL naming the server, got: {found}")
    return url


def check_name(name: str) -> None:
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
        fail(f"--database {name!r}: use lower-case letters, digits and _")
    if name in PROTECTED or name.startswith(PROTECTED_PREFIX) or name == "postgres":
        fail(f"refusing to use {name!r}: that is a project database; use e.g. {DEFAULT_DATABASE}")


def create_database(url: str, name: str) -> None:
    with psycopg.connect(libpq_url(url, "postgres"), autocommit=True) as db:
        row = db.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if row is not None:
            if row[0] != MARKER:
                fail(f"database {name} exists and was not made by this benchmark: not touching it")
            say(f"dropping the previous {name}")
            db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        db.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(MARKER)
            )
        )


def drop_database(url: str, name: str) -> None:
    check_name(name)  # never anything but the benchmark's own
    with psycopg.connect(libpq_url(url, "postgres"), autocommit=True) as db:
        row = db.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if row is None or row[0] != MARKER:
            return
        db.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def server_environment(database_url: str, spool_dir: Path) -> dict[str, str]:
    """The environment labsite runs with, here and in gunicorn: as deployed, DEBUG off."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.e2e_settings",
        DEBUG="0",
        SECRET_KEY="e2e-bench-" + secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1",
        # Behind a TLS-terminating proxy, as deployed: the proxy says https, so the production
        # security settings (SECURE_SSL_REDIRECT, HSTS, secure cookies) stay on.
        TRUST_X_FORWARDED_PROTO="1",
        LOG_LEVEL="WARNING",
        LABSITE_DATA_DIR=str(spool_dir.parent),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return env


@dataclass
class Credentials:
    api_key: str
    recipe_id: str
    billing_key: str
    user_id: int


def prepare_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    sys.path.insert(0, str(PROJECT_ROOT))
    # Static files are not collected for the benchmark: whitenoise says so once per process.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


def reference_rows(spool_dir: Path) -> Credentials:
    """Everything the endpoints need besides the orders, made the way an admin would."""
    from django.contrib.auth.models import Group, User
    from django.utils import timezone

    from accounts.models import ApiKey, ApiPartner
    from orders.models import DeleteReason, LabSettings, Station
    from printing.models import Driver, Printer, WorkstationPort
    from toolkit.models import WorkerHeartbeat

    user = User.objects.create(username=API_USERNAME, is_active=True)
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name="Lab clients"))
    _, api_key = ApiKey.issue(user=user, name="e2e bench")
    partner, billing_key = ApiPartner.issue(name=PARTNER_NAME, user=user)

    Station.objects.create(
        code=STATION, description="Surfacing (bench)", customer_description="In production"
    )
    DeleteReason.objects.create(code="CUS", description="Customer request")
    printer = Printer.objects.create(name="E2E spool", driver=Driver.SPOOL, folder=str(spool_dir))
    updated = WorkstationPort.objects.filter(workstation__code="00", number=1).update(
        printer=printer
    )
    if updated != 1:
        fail("workstation 00 has no LPT1 row (migration printing 0002 missing?)")

    lab = LabSettings.load()
    # Cancel with or without a reason code (a reason sent is ignored, with a message); the
    # Job Tracker module is on (cancel needs it); no station verify, no tray required.
    lab.enter_reason_code_when_deleting_order = False
    lab.job_tracker_module_installed = True
    lab.jobtrack_station_verify = False
    lab.trays_required = False
    lab.save()

    WorkerHeartbeat.objects.create(
        kind="tracker",
        worker_id=HEARTBEAT_WORKER_ID,
        hostname=socket.gethostname(),
        pid=os.getpid(),
        beat_at=timezone.now(),
    )
    return Credentials(
        api_key=api_key, recipe_id=partner.recipe_id, billing_key=billing_key, user_id=user.pk
    )


def seed_orders(database_url: str, orders: int, trays: int, user_id: int) -> None:
    params = {"orders": orders, "trays": trays, "base": NUMBER_BASE, "user_id": user_id}
    with psycopg.connect(libpq_url(database_url), autocommit=True) as db:
        db.execute("SET synchronous_commit = off")
        db.execute("SET work_mem = '256MB'")
        for label, statement in (
            ("customers", CUSTOMERS_SQL),
            ("orders", SEED_ORDERS_SQL),
            ("items", SEED_ITEMS_SQL),
            ("endpoints", SEED_ENDPOINTS_SQL),
            ("eyes", SEED_EYES_SQL),
        ):
            started = time.perf_counter()
            with db.transaction():
                rows = db.execute(statement, params).rowcount
            say(f"  {label:<10} {rows:>10,} rows  {time.perf_counter() - started:6.1f} s")
        for statement in SEQUENCES_SQL:
            db.execute(statement, params)
        started = time.perf_counter()
        db.execute("VACUUM ANALYZE")
        say(f"  VACUUM ANALYZE               {time.perf_counter() - started:6.1f} s")


class Heartbeat:
    """Beats for the Job Tracker every 2 s while the benchmark runs (as ``run_tracker`` does),
    so that complete is accepted; no tracker processes the queued completions."""

    def __init__(self, database_url: str):
        self.db = psycopg.connect(libpq_url(database_url), autocommit=True)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def beat(self) -> None:
        self.db.execute(
            "UPDATE toolkit_workerheartbeat SET beat_at = now() WHERE worker_id = %s",
            [HEARTBEAT_WORKER_ID],
        )

    def _run(self) -> None:
        while not self.stopped.wait(2.0):
            self.beat()

    def __enter__(self):
        self.beat()
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()
        self.db.close()


# --- the server ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str], args, log_path: Path):
        self.port = args.port or free_port()
        self.workers = args.workers
        self.worker_class = args.worker_class
        self.threads_per_worker = args.threads_per_worker
        self.log_path = log_path
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "labsite.wsgi:application",
            "--chdir",
            str(PROJECT_ROOT),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--log-level",
            "warning",
            "--graceful-timeout",
            "10",
        ]
        if args.worker_class == "gthread":
            self.command += ["--threads", str(args.threads_per_worker)]
        if args.worker_class == "gevent":
            from labsite import gunicorn_conf  # after prepare_django put labsite on the path

            # As labsite.gunicorn_conf runs it, less its access log.
            self.command += [
                "--worker-connections",
                str(gunicorn_conf.worker_connections),
                "--keep-alive",
                str(gunicorn_conf.keepalive),
            ]
        self.env = env
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, probe_path: str) -> None:
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            self.command,
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                fail(f"gunicorn exited with {self.process.returncode}:\n{self.log_text()}")
            with contextlib.suppress(OSError):
                status, _ = http(self.base_url + probe_path, headers=PROXY_HEADERS)
                if status == 200:
                    return
            time.sleep(0.3)
        fail(f"gunicorn did not answer {probe_path} within 60 s:\n{self.log_text()}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def log_text(self) -> str:
        try:
            return self.log_path.read_text()[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            self.log.close()


PROXY_HEADERS = {"X-Forwarded-Proto": "https"}


def http(url: str, *, method="GET", headers=None, body: str | None = None) -> tuple[int, str]:
    data = body.encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# --- the endpoints ------------------------------------------------------------------------


@dataclass
class Endpoint:
    name: str
    label: str
    kind: str  # "floor", "read" (one order), "query" (a page: no req/s target) or "write"
    method: str
    path: str
    body: str = ""
    expect: tuple[int, ...] = (200,)
    must: str = ""
    must_not: str = ""
    auth: str = "key"  # "key" (Authorization: Token), "bearer", "partner" (in the path), "none"
    event: str = ""  # the OrderEvent kind one accepted write records
    span: int = 1  # orders one read covers (the GET /orders page)


ENDPOINTS = [
    Endpoint(
        "floor",
        "floor: bare Django view, 1 lookup",
        "floor",
        "GET",
        "/floor/orders/{number}",
        must='"number"',
        auth="none",
    ),
    Endpoint(
        "fetch_number",
        "v2 fetch by order number",
        "read",
        "GET",
        "/api/v2/orders/{number}",
        must='"orderNumber"',
        must_not='"error"',
    ),
    Endpoint(
        "fetch_tray",
        "v2 fetch by tray",
        "read",
        "GET",
        "/api/v2/orders/{tray}",
        must='"orderNumber"',
        must_not='"error"',
    ),
    Endpoint(
        "fetch_po",
        "v2 fetch by PO number",
        "read",
        "GET",
        "/api/v2/orders/{po}",
        must='"orderNumber"',
        must_not='"error"',
    ),
    Endpoint(
        "status",
        "v2 status",
        "read",
        "GET",
        "/api/v2/orders/{number}/status",
        must='"statusDesc"',
        must_not='"error"',
    ),
    Endpoint(
        "orders_query",
        f"GET /orders number=between (page of {ORDERS_PAGE})",
        "query",  # a page of orders: the issue's read target names fetch and status only
        "GET",
        "/orders?number=between:{number}:{number_last}",
        must=f'"count":{ORDERS_PAGE}',
        auth="bearer",
        span=ORDERS_PAGE,
    ),
    Endpoint(
        "cancel",
        "v2 cancel (DELETE)",
        "write",
        "DELETE",
        "/api/v2/orders/{number}",
        must='"message":""',
        event="cancel",
    ),
    Endpoint(
        "complete",
        "v2 complete (Job Tracker queue)",
        "write",
        "POST",
        "/api/v2/orders/{number}/complete",
        expect=(201,),
        must='"Successful"',
        event="completion_requested",
    ),
    Endpoint(
        "checkin",
        f"v2 job-track check-in ({STATION})",
        "write",
        "POST",
        f"/api/v2/job_track/stations/{STATION}",
        body='{{"orderIdentifier": "{number}"}}',
        expect=(201,),
        must='"statusDateTime"',
        event="checkin",
    ),
    Endpoint(
        "print_ticket",
        "v2 print_ticket (LPT1, queued)",
        "write",
        "POST",
        "/api/v2/orders/{number}/print_ticket?lptPort=LPT1",
        expect=(201,),
        must='"Printing in process"',
        event="print_requested",
    ),
    Endpoint(
        "tray",
        "v2 tray assignment (a free tray)",
        "write",
        "POST",
        "/api/v2/orders/{number}/tray",
        # A write order's own index is a tray no order holds: reads hold 1..reads.
        body='{{"trayNumber": "{tray}"}}',
        must='"Tray assigned"',
        event="tray",
    ),
    Endpoint(
        "pick",
        "v2 pick (both lenses and the frame)",
        "write",
        "POST",
        "/api/v2/orders/{number}/pick",
        body='{{"rtOPC": "R{number}", "ltOPC": "L{number}", "frameUPC": "FU{number}"}}',
        must='"framePicked":true',
        event="picked",  # three per request: one per item picked
    ),
    Endpoint(
        "item_cancel",
        "PUT /api/orderCancel (1 item)",
        "write",
        "PUT",
        "/api/orderCancel?orderId={number}",
        body='{{"Ids": [{item}]}}',
        must='"HadError":false',
        auth="partner",
        event="items_cancelled",
    ),
]
BY_NAME = {endpoint.name: endpoint for endpoint in ENDPOINTS}


def endpoint_body(endpoint: Endpoint) -> str:
    # The bodies above are str.format templates (to keep JSON braces); the placeholders
    # themselves are filled by the Lua script.
    placeholders = {name: "{" + name + "}" for name in ("number", "tray", "item")}
    return endpoint.body.format(**placeholders) if endpoint.body else ""


def endpoint_path(endpoint: Endpoint, credentials: Credentials) -> str:
    if endpoint.auth == "partner":
        return (
            f"{endpoint.path}&recipeid={quote(credentials.recipe_id, safe='')}"
            f"&partnerBillingKey={quote(credentials.billing_key, safe='')}"
        )
    return endpoint.path


def endpoint_headers(endpoint: Endpoint, credentials: Credentials) -> dict[str, str]:
    headers = dict(PROXY_HEADERS)
    if endpoint.auth == "key":
        headers["Authorization"] = f"Token {credentials.api_key}"
    elif endpoint.auth == "bearer":
        headers["Authorization"] = f"Bearer {credentials.api_key}"
    if endpoint.body:
        headers["Content-Type"] = "application/json"
    return headers


def fill(template: str, index: int, span: int = 1) -> str:
    """What the Lua script does to a template, for the smoke test."""
    values = {
        "number": str(NUMBER_BASE + index),
        "number_last": str(NUMBER_BASE + index + span - 1),
        "tray": str(index),
        "po": f"PO{index:08d}",
        "item": str(2 * index - 1),
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


def answer_ok(endpoint: Endpoint, status: int, body: str) -> bool:
    return (
        status in endpoint.expect
        and (not endpoint.must or endpoint.must in body)
        and (not endpoint.must_not or endpoint.must_not not in body)
    )


# --- wrk ----------------------------------------------------------------------------------


@dataclass
class Run:
    endpoint: Endpoint
    figures: dict[str, str] = field(default_factory=dict)
    load_before: float = 0.0
    load_after: float = 0.0
    lo: int = 0
    hi: int = 0
    db_count: int | None = None
    queries: int | None = None
    app_cpu: float = 0.0  # CPU seconds of the gunicorn workers during the run
    db_cpu: float = 0.0  # CPU seconds of the database's backends during the run
    floor_rate: float = 0.0  # the floor's req/s around this run

    def cpu_ms(self, seconds: float) -> float:
        return 1000 * seconds / self.requests if self.requests else 0.0

    def number(self, key: str) -> float:
        return float(self.figures.get(key, "0") or 0)

    @property
    def requests(self) -> int:
        return int(self.number("requests"))

    @property
    def rate(self) -> float:
        seconds = self.number("duration_us") / 1e6
        return self.requests / seconds if seconds else 0.0

    def ms(self, percentile: str) -> float:
        return self.number(f"latency_p{percentile}_us") / 1000

    @property
    def socket_errors(self) -> int:
        return int(
            sum(self.number(f"errors_{kind}") for kind in ("connect", "read", "write", "timeout"))
        )

    @property
    def bad(self) -> int:
        return int(self.number("bad")) + int(self.number("exhausted")) + self.socket_errors

    @property
    def ok_responses(self) -> int:
        return int(self.number("checked")) - int(self.number("bad"))

    @property
    def used_orders(self) -> int:
        """Order indexes a "fresh" run took (threads interleave: T x the busiest thread)."""
        return int(self.number("max_issued"))


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_times(pids: list[int]) -> dict[int, float]:
    """utime + stime of each of these processes that still exists, in seconds."""
    times = {}
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            times[pid] = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return times


def cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds between two snapshots: a process started in between counts whole; one
    gone in between (a connection the pool closed) loses its last part."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends serving the benchmark's database (the workers' connections)."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as db:
        rows = db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [pid for (pid,) in rows]


def wrk_version() -> str:
    result = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
    return (result.stdout + result.stderr).splitlines()[0].split(" Copyright")[0].strip()


def run_wrk(
    server: Server,
    endpoint: Endpoint,
    credentials: Credentials,
    args,
    *,
    lo: int,
    hi: int,
    duration: float,
) -> Run:
    env = dict(os.environ)
    headers = endpoint_headers(endpoint, credentials)
    headers["Host"] = f"127.0.0.1:{server.port}"
    env.update(
        E2E_METHOD=endpoint.method,
        E2E_PATH=endpoint_path(endpoint, credentials),
        E2E_BODY=endpoint_body(endpoint),
        E2E_HEADERS="\n".join(f"{name}: {value}" for name, value in headers.items()),
        E2E_MODE="fresh" if endpoint.kind == "write" else "random",
        E2E_LO=str(lo),
        E2E_HI=str(hi),
        E2E_THREADS=str(args.threads),
        E2E_BASE=str(NUMBER_BASE),
        E2E_SPAN=str(endpoint.span),
        E2E_EXPECT=",".join(str(code) for code in endpoint.expect),
        E2E_MUST=endpoint.must,
        E2E_MUST_NOT=endpoint.must_not,
    )
    command = [
        "wrk",
        "--threads",
        str(args.threads),
        "--connections",
        str(args.connections),
        "--duration",
        f"{duration:g}s",
        "--timeout",
        "10s",
        "--latency",
        "--script",
        str(LUA_SCRIPT),
        server.base_url,
    ]
    run = Run(endpoint=endpoint, lo=lo, hi=hi, load_before=os.getloadavg()[0])
    database_url = server.env["DATABASE_URL"]
    app_before = cpu_times(server.worker_pids())
    db_before = cpu_times(backend_pids(database_url))
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    run.app_cpu = cpu_used(app_before, cpu_times(server.worker_pids()))
    run.db_cpu = cpu_used(db_before, cpu_times(backend_pids(database_url)))
    run.load_after = os.getloadavg()[0]
    if result.returncode != 0:
        fail(f"wrk failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    for line in result.stdout.splitlines():
        if line.startswith("E2E "):
            key, _, value = line[4:].partition("=")
            run.figures[key] = value
    if "requests" not in run.figures:
        fail(f"wrk printed no figures:\n{result.stdout}{result.stderr}")
    return run


# --- the benchmark ------------------------------------------------------------------------


class OrderPool:
    """Fresh orders for writes, handed out in disjoint ranges."""

    def __init__(self, first: int, last: int):
        self.next = first
        self.last = last

    def take_one(self) -> int:
        if self.next > self.last:
            fail("no fresh orders left for the smoke test: raise --orders")
        self.next += 1
        return self.next - 1

    def consumed(self, run: Run, threads: int) -> None:
        self.next = run.lo + threads * run.used_orders


def smoke_test(server: Server, credentials: Credentials, pool: OrderPool, reads: int) -> None:
    """One request per endpoint, checked: a misconfigured run stops here with the answer."""
    for endpoint in ENDPOINTS:
        index = pool.take_one() if endpoint.kind == "write" else 1
        if endpoint.kind != "write" and endpoint.span > reads:
            fail("too few orders for the GET /orders page")
        body = fill(endpoint_body(endpoint), index) if endpoint.body else None
        url = server.base_url + fill(endpoint_path(endpoint, credentials), index, endpoint.span)
        status, text = http(
            url,
            method=endpoint.method,
            headers=endpoint_headers(endpoint, credentials),
            body=body,
        )
        if not answer_ok(endpoint, status, text):
            fail(
                f"smoke test: {endpoint.method} {endpoint.path} answered {status} "
                f"(expected {endpoint.expect}, containing {endpoint.must!r}): {text[:500]}"
            )
    say("smoke test: every endpoint answers as expected")


def queries_per_request(credentials: Credentials, pool: OrderPool) -> dict[str, int]:
    """SQL statements one request sends, per endpoint: the second of two requests through
    Django's test Client in this process (the first may write the API key's last use)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    counts = {}
    for endpoint in ENDPOINTS:
        headers = endpoint_headers(endpoint, credentials)
        headers.pop("Content-Type", None)
        for _ in range(2):
            index = pool.take_one() if endpoint.kind == "write" else 2
            path = fill(endpoint_path(endpoint, credentials), index, endpoint.span)
            body = fill(endpoint_body(endpoint), index) if endpoint.body else ""
            with CaptureQueriesContext(connection) as captured:
                answer = client.generic(
                    endpoint.method,
                    path,
                    data=body,
                    content_type="application/json",
                    headers=headers,
                )
            if not answer_ok(endpoint, answer.status_code, answer.content.decode()):
                fail(f"in-process {endpoint.name}: {answer.status_code} {answer.content[:300]}")
        counts[endpoint.name] = len(captured.captured_queries)
    connection.close()
    return counts


def count_events(database_url: str) -> Counter:
    with psycopg.connect(libpq_url(database_url)) as db:
        rows = db.execute(
            "SELECT kind, count(*) FROM orders_orderevent GROUP BY kind", prepare=False
        ).fetchall()
    return Counter(dict(rows))


def processor_model() -> str:
    """The CPU's model name from /proc/cpuinfo, or "" where there is none."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return ""


def machine(database_url: str, server: Server) -> dict[str, str]:
    import django

    import gunicorn

    with psycopg.connect(libpq_url(database_url)) as db:
        pg_version = db.execute("SHOW server_version").fetchone()[0]
        sync_commit = db.execute("SHOW synchronous_commit").fetchone()[0]
    cpu_model = processor_model()
    workers = f"{server.workers} x {server.worker_class}"
    if server.worker_class == "gthread":
        workers += f" ({server.threads_per_worker} threads)"
    return {
        "CPUs": f"{os.cpu_count()} ({cpu_model})" if cpu_model else str(os.cpu_count()),
        "OS": f"{platform.system()} {platform.release()}",
        "PostgreSQL": f"{pg_version} (same machine, synchronous_commit={sync_commit})",
        "Python": platform.python_version(),
        "Django": django.get_version(),
        "gunicorn": f"{gunicorn.__version__}, workers: {workers}",
        "wrk": wrk_version(),
    }


def verdicts(run: Run) -> tuple[float, float, str]:
    ratio = run.rate / run.floor_rate if run.floor_rate else 0.0
    p50, p99 = run.ms("50"), run.ms("99")
    spread = p99 / p50 if p50 else 0.0
    parts = []
    if run.bad:
        parts.append(f"**INVALID: {run.bad} bad answers**")
    if run.endpoint.kind in TARGETS:
        target = TARGETS[run.endpoint.kind]
        parts.append(f"x{target} {'met' if ratio >= target else '**missed**'}")
    parts.append(f"p99 {'met' if spread <= P99_OVER_P50 else '**missed**'}")
    return ratio, spread, ", ".join(parts)


def floor_summary(floors: list[Run]) -> Run:
    """One row for the floor: its runs pooled (requests, time and CPU summed; latency
    percentiles are the median run's)."""
    middle = sorted(floors, key=lambda run: run.rate)[len(floors) // 2]
    pooled = Run(endpoint=middle.endpoint, figures=dict(middle.figures))
    for key in ("requests", "duration_us", "checked", "bad", "exhausted"):
        pooled.figures[key] = str(sum(run.number(key) for run in floors))
    pooled.app_cpu = sum(run.app_cpu for run in floors)
    pooled.db_cpu = sum(run.db_cpu for run in floors)
    pooled.queries = middle.queries
    pooled.floor_rate = pooled.rate
    pooled.load_before, pooled.load_after = floors[0].load_before, floors[-1].load_after
    return pooled


def bad_answers(run: Run) -> str:
    parts = [f"statuses {run.figures.get('statuses')}"]
    if exhausted := int(run.number("exhausted")):
        parts.append(f"{exhausted} requests found no fresh order left (raise --orders)")
    if run.socket_errors:
        parts.append(f"{run.socket_errors} socket errors or timeouts")
    if sample := run.figures.get("sample", ""):
        parts.append(f"first unexpected answer: {sample[:160]}")
    return f"{run.endpoint.name}: " + ", ".join(parts)


def report(runs: list[Run], floors: list[Run], info: dict[str, str], args, started: str) -> str:
    floor = floor_summary(floors)
    lines = [
        f"### Run of {started} UTC",
        "",
        f"{args.orders:,} orders; gunicorn {info['gunicorn']}; wrk {args.threads} threads, "
        f"{args.connections} connections, {args.duration:g} s per endpoint; DEBUG=0, "
        "production security settings behind a (simulated) TLS proxy.",
        "",
        "| endpoint | req/s | p50 ms | p99 ms | x floor | p99/p50 | SQL/req "
        "| CPU ms/req app + PG | x floor by CPU | answers | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    floor_cpu = floor.cpu_ms(floor.app_cpu + floor.db_cpu)
    for run in [floor, *runs]:
        ratio, spread, verdict = verdicts(run)
        cpu = run.cpu_ms(run.app_cpu + run.db_cpu)
        answers = f"{run.ok_responses:,} ok / {run.bad} bad"
        if run.db_count is not None:
            answers += f", {run.db_count:,} in DB"
        lines.append(
            f"| {run.endpoint.label} | {run.rate:,.0f} | {run.ms('50'):.1f} | "
            f"{run.ms('99'):.1f} | {ratio:.2f} | {spread:.1f} | {run.queries} | "
            f"{run.cpu_ms(run.app_cpu):.1f} + {run.cpu_ms(run.db_cpu):.1f} | "
            f"{floor_cpu / cpu if cpu else 0:.2f} | {answers} | {verdict} |"
        )
    lines += [
        "",
        f"The floor ran {len(floors)} times, before, between and after the other endpoints "
        f"({', '.join(f'{run.rate:,.0f}' for run in floors)} req/s; its row pools them). "
        "Each endpoint's `x floor` divides its req/s by the mean of the two floor runs around "
        "it, so that a drift of the shared machine's speed affects both alike. Targets: "
        "reads of one order >= 0.7 x floor, writes >= 0.4 x floor, p99 <= 3 x p50 (the "
        "`GET /orders` page: p99 only). `SQL/req`: statements "
        "per request, `BEGIN` and `COMMIT` included, counted in process (Django's test "
        "Client, same settings; the server takes its connections from the pool, with no "
        "health check). `CPU ms/req`: CPU time of the gunicorn workers and of their "
        "PostgreSQL backends (from /proc) over the run, per request; `x floor by CPU` is the "
        "floor's (app + PG) CPU per request over the endpoint's: the ratio the endpoint "
        "would reach where CPU is the only limit, much steadier than req/s on a shared "
        "machine. `answers`: responses with the expected status and body, "
        "unexpected ones (any other status, a wrong body, a socket error), and for writes the "
        "history rows the database holds afterwards (a few more: the requests in flight when "
        "wrk stopped).",
        "",
        "Bad answers: "
        + ("; ".join(bad_answers(run) for run in [*floors, *runs] if run.bad) or "none"),
        "",
        "| machine | |",
        "|---|---|",
        *(f"| {key} | {value} |" for key, value in info.items()),
        "| load average (1 min) before -> after each run | "
        + ", ".join(
            f"{run.endpoint.name} {run.load_before:.2f}->{run.load_after:.2f}"
            for run in [*runs, floor]
        )
        + " |",
        "",
    ]
    return "\n".join(lines)


def write_results(text: str) -> None:
    block = f"{RESULTS_BEGIN}\n{text}\n{RESULTS_END}"
    if RESULTS_FILE.exists():
        current = RESULTS_FILE.read_text()
        if RESULTS_BEGIN in current and RESULTS_END in current:
            head, _, rest = current.partition(RESULTS_BEGIN)
            _, _, tail = rest.partition(RESULTS_END)
            RESULTS_FILE.write_text(head + block + tail)
            return
        RESULTS_FILE.write_text(current.rstrip("\n") + "\n\n" + block + "\n")
        return
    RESULTS_FILE.write_text("# End-to-end HTTP benchmark results\n\n" + block + "\n")


# --- profiling ----------------------------------------------------------------------------


def profile(server: Server, run_load, endpoint: Endpoint, duration: float, out_dir: Path) -> str:
    """Sample every gunicorn worker with py-spy while ``run_load`` drives the endpoint."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        fail("--profile needs py-spy: .venv/bin/python -m pip install py-spy")
    recorders = []
    for pid in server.worker_pids():
        output = out_dir / f"{endpoint.name}-{pid}.txt"
        recorders.append(
            (
                output,
                subprocess.Popen(  # noqa: S603
                    [
                        py_spy,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        f"{duration + 1:.0f}",
                        "--rate",
                        "250",
                        "--idle",
                        "--format",
                        "raw",
                        "--output",
                        str(output),
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    text=True,
                ),
            )
        )
    time.sleep(0.5)
    run = run_load()
    stacks: Counter = Counter()
    for output, recorder in recorders:
        _, errors = recorder.communicate()
        if recorder.returncode != 0 or not output.exists():
            fail(f"py-spy failed on {output.name}: {errors[-1000:]}")
        for line in output.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if stack:
                stacks[stack] += int(count)
    return summarize_profile(endpoint, run, stacks)


# A sync worker between requests sits in gunicorn's select() (SyncWorker.wait); leaves that
# are calls into C show as their Python caller. Waiting on PostgreSQL: psycopg's wait.
IDLE_LEAF = re.compile(r"^SyncWorker\.(wait|accept)|^socket\.accept|\(selectors\.py\)$")
DB_WAIT = re.compile(r"^(Connection\.wait|wait\w*) \(psycopg/")
FRAME_LINE = re.compile(r":\d+\)$")
INTERESTING = re.compile(
    r"\((labsite|orders|tracker|printing|bench|django|rest_framework|psycopg)/"
)


def summarize_profile(endpoint: Endpoint, run: Run, stacks: Counter) -> str:
    """Where the workers' samples went: idle, waiting on PostgreSQL, the rest; then the
    frames with the most samples under them (inclusive) and on top (self)."""
    self_time: Counter = Counter()
    inclusive: Counter = Counter()
    idle = database = 0
    for stack, count in stacks.items():
        # "process;function (file:line);..." -> functions without line numbers
        frames = [FRAME_LINE.sub(")", frame) for frame in stack.split(";")[1:]]
        if not frames or IDLE_LEAF.search(frames[-1]):
            idle += count
            continue
        if DB_WAIT.search(frames[-1]):
            database += count
        self_time[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    total = sum(stacks.values())
    busy = total - idle
    if not busy:
        return f"{endpoint.name}: no busy samples"
    lines = [
        f"#### py-spy: {endpoint.label}",
        "",
        f"{run.rate:,.0f} req/s while sampled (py-spy costs some); {total:,} samples over the "
        f"workers: {100 * idle / total:.0f} % idle in gunicorn, "
        f"{100 * database / total:.0f} % in psycopg's wait for PostgreSQL, "
        f"{100 * (busy - database) / total:.0f} % elsewhere (Python, or a C call under it, "
        "or waiting for a CPU). "
        "Below, % of the non-idle samples.",
        "",
        "Inclusive (frames of labsite, Django, DRF, psycopg):",
        "",
    ]
    shown = 0
    for frame, count in inclusive.most_common():
        if INTERESTING.search(frame) and shown < 45:
            lines.append(f"    {100 * count / busy:5.1f} %  {frame}")
            shown += 1
    lines += ["", "Self:", ""]
    for frame, count in self_time.most_common(15):
        lines.append(f"    {100 * count / busy:5.1f} %  {frame}")
    return "\n".join(lines) + "\n"


# --- main ---------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders to seed")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--worker-class",
        default="gevent",
        choices=["gevent", "sync", "gthread"],
        help="gunicorn's (gevent: labsite.gunicorn_conf's)",
    )
    parser.add_argument(
        "--threads-per-worker", type=int, default=4, help="with --worker-class gthread"
    )
    parser.add_argument("--duration", type=float, default=20, help="seconds per endpoint")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--only", default="", help="comma-separated endpoint names")
    parser.add_argument(
        "--profile",
        default="",
        help="comma-separated endpoint names to run once more under py-spy (not measured)",
    )
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="the database to create")
    parser.add_argument("--database-url", default="", help="default: $DATABASE_URL")
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--write-results", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    if not 2_000 <= args.orders <= 80_000_000:
        fail("--orders must be 2000..80000000")
    if args.duration < 1 or args.threads < 1 or args.connections < args.threads:
        fail("--duration >= 1, --threads >= 1 and --connections >= --threads, please")
    names = [name for name in (args.only + "," + args.profile).split(",") if name]
    if unknown := [name for name in names if name not in BY_NAME]:
        fail(f"unknown endpoint(s) {unknown}; known: {', '.join(BY_NAME)}")
    return args


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        fail("needs wrk, the HTTP load generator: apt-get install -y wrk (Debian/Ubuntu)")
    url = server_url(args.database_url)
    check_name(args.database)
    database_url = urlunsplit(urlsplit(url)._replace(path="/" + args.database))
    # Reads use orders 1..reads (with trays, never written); writes use the rest.
    reads = min(MAX_TRAY, max(1_000, args.orders // 10))
    pool = OrderPool(reads + 1, args.orders)
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    load_at_start = os.getloadavg()

    work_dir = Path(tempfile.mkdtemp(prefix="labsite-e2e-"))
    spool_dir = work_dir / "spool"
    spool_dir.mkdir()
    env = server_environment(database_url, spool_dir)
    prepare_django(env)
    server = Server(env, args, work_dir / "gunicorn.log")
    say(f"creating database {args.database}")
    create_database(url, args.database)
    try:
        t0 = time.perf_counter()
        migrate()
        say(f"migrated ({time.perf_counter() - t0:.1f} s)")
        credentials = reference_rows(spool_dir)
        say(f"seeding {args.orders:,} orders ({reads:,} for reads, with trays):")
        seed_orders(database_url, args.orders, reads, credentials.user_id)
        from django.db import connections

        connections.close_all()

        with Heartbeat(database_url) as heartbeat:
            server.start(fill("/floor/orders/{number}", 1))
            say(
                f"gunicorn {args.workers} x {args.worker_class} workers on {server.base_url} "
                f"(pids {server.worker_pids()})"
            )
            smoke_test(server, credentials, pool, reads)
            queries = queries_per_request(credentials, pool)
            info = machine(database_url, server)
            events_before = count_events(database_url)
            # Warm both workers (connections, lazy imports) on reads; not measured.
            run_wrk(server, BY_NAME["fetch_number"], credentials, args, lo=1, hi=reads, duration=3)

            selected = [name for name in args.only.split(",") if name] or list(BY_NAME)
            selected = [name for name in selected if name != "floor"]
            floor_duration = max(3, round(args.duration / 2))  # wrk takes whole seconds
            floors: list[Run] = []
            runs: list[Run] = []

            def measure(endpoint: Endpoint, duration: float) -> Run:
                heartbeat.beat()
                time.sleep(1)
                if endpoint.kind == "write":
                    lo, hi = pool.next, pool.last
                else:
                    lo, hi = 1, reads - endpoint.span + 1
                run = run_wrk(server, endpoint, credentials, args, lo=lo, hi=hi, duration=duration)
                if endpoint.kind == "write":
                    pool.consumed(run, args.threads)
                run.queries = queries[endpoint.name]
                say(
                    f"  {endpoint.name:<14} {run.rate:8,.0f} req/s  p50 {run.ms('50'):6.1f} ms"
                    f"  p99 {run.ms('99'):6.1f} ms  CPU/req {run.cpu_ms(run.app_cpu):5.1f} + "
                    f"{run.cpu_ms(run.db_cpu):4.1f} ms  bad {run.bad}"
                    + (f"  [{run.figures.get('statuses')}]" if run.bad else "")
                )
                return run

            floors.append(measure(BY_NAME["floor"], floor_duration))
            for name in selected:
                runs.append(measure(BY_NAME[name], args.duration))
                floors.append(measure(BY_NAME["floor"], floor_duration))
                runs[-1].floor_rate = (floors[-2].rate + floors[-1].rate) / 2

            events_after = count_events(database_url)
            for run in runs:
                if run.endpoint.event:
                    run.db_count = (
                        events_after[run.endpoint.event] - events_before[run.endpoint.event]
                    )

            text = report(runs, floors, info, args, started)
            text += (
                f"\nLoad average at start {load_at_start[0]:.2f} / {load_at_start[1]:.2f} / "
                f"{load_at_start[2]:.2f}, at the end "
                + " / ".join(f"{value:.2f}" for value in os.getloadavg())
                + f"; write orders used: {min(pool.next - 1, pool.last) - reads:,} of "
                f"{args.orders - reads:,}.\n"
            )
            for name in [name for name in args.profile.split(",") if name]:
                endpoint = BY_NAME[name]
                say(f"profiling {name} (py-spy on the workers, not measured)")
                text += "\n" + profile(
                    server,
                    lambda endpoint=endpoint: measure(endpoint, args.duration),
                    endpoint,
                    args.duration,
                    work_dir,
                )
            say("")
            say(text)
            if args.write_results:
                write_results(text)
                say(f"written to {RESULTS_FILE.relative_to(PROJECT_ROOT)}")
            errors = [line for line in server.log_text().splitlines() if "ERROR" in line]
            if errors:
                say("gunicorn logged errors:\n" + "\n".join(errors[-10:]))
    finally:
        server.stop()
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
        if args.keep:
            say(f"kept database {args.database}")
        else:
            drop_database(url, args.database)
            say(f"dropped database {args.database}")
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

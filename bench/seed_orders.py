"""Load a large, realistic set of orders for the Orders API query benchmark.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/labsite_bench \\
        .venv/bin/python bench/seed_orders.py --orders 1000000 --reset

Fills the PostgreSQL database DATABASE_URL names (created if missing, then migrated with
``manage.py migrate``) with N orders numbered 1..N, each with 1-2 items and each item with 1-3
endpoints, in three ``INSERT ... SELECT generate_series`` statements, then ``VACUUM ANALYZE``.

The spreads (see ``ORDERS_SQL``): received over the last year in number order; ~80 % processed,
fewer among the newest tenth; New / InProgress / Done / Cancelled depending on age (old orders
mostly Done, new ones mostly New or InProgress; Done orders are completed); a few thousand
surnames as ticket names, skewed; ~20 devices and a few users, skewed; trays only on the newest
active orders (unique among active ones, as ``order_tray_unique_while_active`` wants) and kept
by half of the finished ones; a PO number on one order in five, shared by up to four orders;
70 % at a station. The same data every run (``setseed``), except the public ids.

Idempotent: a database that already holds orders is left as it is unless ``--reset``, which
truncates the orders and everything that refers to them first. Refuses the project's own
databases (labsite, test_labsite, labsite_p*), and a reset of a database this script did not
seed unless ``--force``. See bench/ORDERS_QUERY.md.
"""

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MARKER = "labsite orders bench data (bench/seed_orders.py)"
PROTECTED = ("labsite", "test_labsite")
PROTECTED_PREFIX = "labsite_p"

DEVICES = [f"WS-{n:02d}" for n in range(1, 15)] + [
    "POS-FRONT-1",
    "POS-FRONT-2",
    "API-ERP",
    "API-WEBSHOP",
    "LMS-IMPORT",
    "SCANNER-QA",
]
USERS = ["bench.anna", "bench.boris", "bench.chen", "bench.dara", "bench.emil", "bench.fatou"]
STATIONS = [  # code, description, customer description
    ("B-SURF", "Surfacing", "In production"),
    ("B-COAT", "Coating", "In production"),
    ("B-TINT", "Tinting", "In production"),
    ("B-EDGE", "Edging", "Finishing"),
    ("B-QA", "Final QA", "Quality check"),
    ("B-SHIP", "Shipping", "Ready to ship"),
]
# Surnames: every stem with every ending ("-" is none): a few thousand distinct names.
STEMS_TEXT = (
    "Abr Ander Bak Bar Bell Ber Black Bran Brook Cal Camp Car Chan Clar Cole Cook Dal Dav "
    "Dix Ed Ell Far Fitz Ford Gar Gil Gor Grif Hal Ham Har Hol How Jen John Kel Kim Lam "
    "Law Lin Mar Mil Mor Nel New Par Pet Ram Rich Rob Ros San Shaw Stan Tay Thom Tur Wal "
    "War Wat Wil"
)
ENDINGS_TEXT = (
    "- s son sen ley er ers ton man well wood field ford berg stein ez ini ov ova ski ska lund "
    "ham by more en ing ett ard ick ison ridge ow ock ling land dale worth mann ach i o a el "
    "ey ie y an ani ovic"
)
ENDPOINTS = ["Surfacing", "Coating", "Edging", "Final QA"]
SKUS = ["SV-150", "SV-160", "SV-167", "PAL-150", "PAL-160", "BIF-150", "FRAME-RX"]

# One row per order. Layers, innermost first: draw the random numbers (once per row); decide
# the processing status; derive state, hold and whether the order is active (holds its tray);
# rank the active orders, newest first, so that the newest `trays` of them get trays 1..trays
# (unique among active orders by construction); spell out every column.
# The customers the seeded orders name: C00000 .. C00799.
CUSTOMERS_SQL = """
INSERT INTO orders_customer (number, name, ship_to_name, ship_to_address1, ship_to_address2,
                             ship_to_address3, ship_to_address4, ship_to_postal_code, active)
SELECT 'C' || lpad(n::text, 5, '0'), 'Customer ' || n::text, '', '', '', '', '', '', true
FROM generate_series(0, 799) AS n
ON CONFLICT (number) DO NOTHING
"""

ORDERS_SQL = """
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
    i, gen_random_uuid(), i,
    CASE
        WHEN active AND active_rank <= %(trays)s THEN active_rank::text
        WHEN NOT active AND r_tray < 0.5 THEN (1 + floor(r_tray * 2 * %(trays)s))::int::text
        ELSE ''
    END,
    CASE WHEN r_po < 0.2 THEN 'PO' || lpad((i / 4)::text, 8, '0') ELSE '' END,
    (SELECT id FROM orders_customer
     WHERE number = 'C' || lpad(floor(r_customer ^ 2 * 800)::int::text, 5, '0')),
    ticket_id, ticket_name,
    (ARRAY['U', 'U', 'U', 'E', 'E', 'A', 'F'])[1 + floor(r_misc * 7)::int],
    received_at::date, received_at, received_at::date + 7,
    CASE WHEN state <> 'U' THEN received_at + interval '2 minutes' END,
    CASE WHEN state = 'C' THEN processed_at + interval '3 days' * r_misc END,
    state,
    CASE WHEN state = 'U' THEN 'Frame shape missing' ELSE '' END,
    on_hold, false, processed_at, status,
    CASE WHEN status = 'Cancelled' THEN received_at + interval '1 day' * r_misc END,
    CASE WHEN status = 'Cancelled' THEN user_id END,
    NULL,
    CASE WHEN r_station < 0.7 THEN (%(station_ids)s::bigint[])[
        1 + floor(r_station / 0.7 * cardinality(%(station_ids)s::bigint[]))::int] END,
    CASE WHEN r_station < 0.7 THEN received_at + interval '1 day' * r_station END,
    r_misc < 0.3, r_misc < 0.6, r_tray < 0.1, r_tray > 0.95, r_po > 0.5, r_misc > 0.2,
    r_customer < 0.4, r_customer > 0.97, r_station > 0.9, r_misc > 0.1,
    ticket_id, ticket_name, user_id, device, version, false
FROM (
    SELECT classified.*,
        CASE WHEN active
             THEN row_number() OVER (PARTITION BY active ORDER BY i DESC) END AS active_rank
    FROM (
        SELECT decided.*,
            CASE WHEN status = 'Done' THEN 'C'
                 WHEN NOT processed AND r_status >= 0.93 AND r_status < 0.95 THEN 'U'
                 ELSE 'V' END AS state,
            NOT processed AND r_status >= 0.90 AND r_status < 0.93 AS on_hold,
            status IN ('New', 'InProgress') AS active
        FROM (
            SELECT drawn.*,
                CASE WHEN NOT processed THEN
                         CASE WHEN r_status >= 0.95 THEN 'Cancelled' ELSE 'New' END
                     WHEN r_status < cut_new THEN 'New'
                     WHEN r_status < cut_progress THEN 'InProgress'
                     WHEN r_status < cut_done THEN 'Done'
                     ELSE 'Cancelled' END AS status,
                CASE WHEN processed
                     THEN received_at + interval '2 days' * r_misc END AS processed_at
            FROM (
                SELECT
                    i,
                    %(start)s::timestamptz + interval '365 days' * (i - 1) / %(orders)s::int
                        + interval '30 minutes' * random() AS received_at,
                    random() < CASE WHEN newest THEN 0.4 ELSE 0.8445 END AS processed,
                    random() AS r_status, random() AS r_tray, random() AS r_po,
                    random() AS r_customer, random() AS r_station, random() AS r_misc,
                    CASE WHEN newest THEN 0.20 ELSE 0.05 END AS cut_new,
                    CASE WHEN newest THEN 0.75 ELSE 0.15 END AS cut_progress,
                    CASE WHEN newest THEN 0.95 ELSE 0.90 END AS cut_done,
                    CASE WHEN random() < 0.05 THEN ''
                         ELSE 'JT' || (100000000 + i::bigint * 7919 %% 900000000)::text END
                        AS ticket_id,
                    (%(surnames)s::text[])[
                        1 + floor(random() ^ 2 * cardinality(%(surnames)s::text[]))::int
                    ] AS ticket_name,
                    CASE WHEN random() < 0.05 THEN NULL ELSE (%(user_ids)s::int[])[
                        1 + floor(random() ^ 1.5 * cardinality(%(user_ids)s::int[]))::int
                    ] END AS user_id,
                    (%(devices)s::text[])[
                        1 + floor(random() ^ 1.5 * cardinality(%(devices)s::text[]))::int
                    ] AS device,
                    1 + floor(random() * 4)::int AS version
                FROM generate_series(1, %(orders)s::int) AS i,
                    LATERAL (SELECT i > %(orders)s::int * 0.9 AS newest) AS age
            ) AS drawn
        ) AS decided
    ) AS classified
) AS ranked
"""

# 1 item (55 %) or 2 (45 %), picked from the order id; item ids follow the orders' order, as
# items created with their order would. An InProgress order with two items has one Done.
ITEMS_SQL = """
INSERT INTO orders_orderitem (order_id, sku, name, quantity, status)
SELECT
    o.id,
    (%(skus)s::text[])[1 + (o.id * 31 + g) %% cardinality(%(skus)s::text[])],
    'Lens ' || CASE g WHEN 1 THEN 'right' ELSE 'left' END,
    1 + (o.id %% 5 = 0)::int,
    CASE WHEN o.processing_status = 'InProgress' AND n = 2 AND g = 1 THEN 'Done'
         ELSE o.processing_status END
FROM orders_order AS o,
    LATERAL (SELECT 1 + (o.id * 2654435761 %% 100 < 45)::int AS n) AS items,
    LATERAL generate_series(1, n) AS g
ORDER BY o.id, g
"""

# 1, 2 or 3 endpoints per item (30 / 40 / 30 %), distinct names; an InProgress item with more
# than one endpoint is Done at its first.
ENDPOINTS_SQL = """
INSERT INTO orders_orderitemendpoint (item_id, name, status)
SELECT
    it.id,
    (%(endpoints)s::text[])[1 + (first + g) %% cardinality(%(endpoints)s::text[])],
    CASE WHEN it.status = 'InProgress' AND k > 1 AND g = 1 THEN 'Done' ELSE it.status END
FROM orders_orderitem AS it,
    LATERAL (
        SELECT 1 + (it.id * 40503 %% 10 >= 3)::int + (it.id * 40503 %% 10 >= 7)::int AS k,
            it.id * 7 %% 4 AS first
    ) AS endpoints,
    LATERAL generate_series(1, k) AS g
ORDER BY it.id, g
"""


def fail(message: str) -> None:
    print(f"seed_orders: {message}", file=sys.stderr)
    raise SystemExit(2)


def libpq_url(url: str) -> str:
    """psycopg accepts postgres:// and postgresql:// only."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))


def database_url(argument_url: str) -> tuple[str, str]:
    url = argument_url or os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        found = url or "DATABASE_URL is not set (labsite would use SQLite)"
        fail(f"needs a PostgreSQL DATABASE_URL naming the bench database, got: {found}")
    name = parts.path.lstrip("/")
    if not name:
        fail("DATABASE_URL names no database (e.g. .../labsite_bench)")
    if name in PROTECTED or name.startswith(PROTECTED_PREFIX):
        fail(f"refusing to seed {name!r}: that is a project database, use e.g. labsite_bench")
    return url, name


def ensure_database(url: str, name: str) -> None:
    parts = urlsplit(url)
    admin = urlunsplit(("postgresql", parts.netloc, "/postgres", parts.query, ""))
    with psycopg.connect(admin, autocommit=True) as db:
        if db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        print(f"creating database {name}", flush=True)
        db.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


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


def surnames() -> list[str]:
    """Ending by ending, so that the most frequent names (the first ones, as drawn in
    ORDERS_SQL) start with every stem, not all with the first."""
    names = dict.fromkeys(
        stem + ("" if ending == "-" else ending)
        for ending in ENDINGS_TEXT.split()
        for stem in STEMS_TEXT.split()
    )
    return list(names)


def reference_rows(db: psycopg.Connection) -> tuple[list[int], list[int]]:
    """The bench's users and stations (created once, kept by --reset): their ids."""
    joined = datetime.now(UTC) - timedelta(days=400)
    for username in USERS:
        db.execute(
            """
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                                   email, is_staff, is_active, date_joined)
            VALUES ('!', false, %s, '', '', '', false, true, %s)
            ON CONFLICT (username) DO NOTHING
            """,
            [username, joined],
        )
    for code, description, customer_description in STATIONS:
        db.execute(
            """
            INSERT INTO orders_station (code, description, customer_description, is_operator,
                                         non_cancel, requires_operator, flow_step)
            VALUES (%s, %s, %s, false, false, false, '')
            ON CONFLICT (code) DO NOTHING
            """,
            [code, description, customer_description],
        )
    user_ids = [
        db.execute("SELECT id FROM auth_user WHERE username = %s", [name]).fetchone()[0]
        for name in USERS
    ]
    station_ids = [
        db.execute("SELECT id FROM orders_station WHERE code = %s", [code]).fetchone()[0]
        for code, _, _ in STATIONS
    ]
    return user_ids, station_ids


def timed(label: str, db: psycopg.Connection, query: str, params: dict) -> float:
    started = time.perf_counter()
    with db.transaction():
        rows = db.execute(query, params).rowcount
    seconds = time.perf_counter() - started
    print(f"  {label:<10} {rows:>10,} rows  {seconds:7.1f} s", flush=True)
    return seconds


def seed(url: str, name: str, args) -> None:
    with psycopg.connect(libpq_url(url), autocommit=True) as db:
        existing = db.execute("SELECT count(*) FROM orders_order").fetchone()[0]
        comment = db.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()[0]
        if existing and not args.reset:
            print(f"{name} already holds {existing:,} orders: left as it is (--reset reseeds)")
            return
        if existing and comment != MARKER and not args.force:
            fail(
                f"{name} holds {existing:,} orders this script did not seed; "
                "--reset --force to empty it anyway"
            )
        # Bulk-load settings for this session only: nothing here needs to survive a crash.
        db.execute("SET synchronous_commit = off")
        db.execute("SET work_mem = '256MB'")
        db.execute("SET maintenance_work_mem = '512MB'")
        started = time.perf_counter()
        if existing:
            print(f"truncating {existing:,} orders ...", flush=True)
            db.execute("TRUNCATE orders_order RESTART IDENTITY CASCADE")
        db.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(MARKER)
            )
        )
        user_ids, station_ids = reference_rows(db)
        db.execute("SELECT setseed(%s)", [args.seed])
        print(f"seeding {args.orders:,} orders into {name}:", flush=True)
        params = {
            "orders": args.orders,
            "trays": args.trays,
            "start": datetime.now(UTC).replace(microsecond=0) - timedelta(days=365),
            "surnames": surnames(),
            "devices": DEVICES,
            "user_ids": user_ids,
            "station_ids": station_ids,
            "skus": SKUS,
            "endpoints": ENDPOINTS,
        }
        timed("customers", db, CUSTOMERS_SQL, params)
        timed("orders", db, ORDERS_SQL, params)
        db.execute(
            "SELECT setval(pg_get_serial_sequence('orders_order', 'id'), "
            "(SELECT max(id) FROM orders_order))"
        )
        timed("items", db, ITEMS_SQL, params)
        timed("endpoints", db, ENDPOINTS_SQL, params)
        loaded = time.perf_counter() - started
        vacuum_started = time.perf_counter()
        db.execute("VACUUM ANALYZE")
        vacuumed = time.perf_counter() - vacuum_started
        print(f"  VACUUM ANALYZE                 {vacuumed:7.1f} s")
        report(db, loaded + vacuumed)


def report(db: psycopg.Connection, seconds: float) -> None:
    counts = {
        table: db.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        ).fetchone()[0]
        for table in ("orders_order", "orders_orderitem", "orders_orderitemendpoint")
    }
    print(
        f"done in {seconds:.1f} s: "
        + ", ".join(f"{table} {count:,}" for table, count in counts.items())
    )
    spreads = {
        "processed": "SELECT round(100.0 * count(processed_at) / count(*), 1) FROM orders_order",
        "status": (
            "SELECT string_agg(processing_status || ' ' || n, ', ' ORDER BY processing_status) "
            "FROM (SELECT processing_status, count(*) AS n FROM orders_order "
            "GROUP BY 1) AS s"
        ),
        "with tray (active)": (
            "SELECT count(*) FROM orders_order WHERE tray <> '' "
            "AND cancelled_at IS NULL AND state <> 'C'"
        ),
        "ticket names": "SELECT count(DISTINCT ticket_name) FROM orders_order",
        "with PO": "SELECT count(*) FROM orders_order WHERE po_number <> ''",
        "database size": "SELECT pg_size_pretty(pg_database_size(current_database()))",
    }
    for label, query in spreads.items():
        print(f"  {label}: {db.execute(query).fetchone()[0]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders to load")
    parser.add_argument(
        "--trays",
        type=int,
        default=20_000,
        help="trays in use (1..99999): the newest active orders hold them",
    )
    parser.add_argument("--reset", action="store_true", help="empty the orders first")
    parser.add_argument("--force", action="store_true", help="--reset a database not seeded here")
    parser.add_argument("--no-migrate", action="store_true", help="skip manage.py migrate")
    parser.add_argument("--seed", type=float, default=0.42, help="setseed() value (-1..1)")
    parser.add_argument("--database-url", default="", help="default: $DATABASE_URL")
    args = parser.parse_args()
    if not 1 <= args.orders <= 99_999_999:
        fail("--orders must be 1..99999999 (order numbers are 1..N)")
    if not 1 <= args.trays <= 99_999:
        fail("--trays must be 1..99999 (a tray number has at most 5 characters)")
    if not -1 <= args.seed <= 1:
        fail("--seed must be between -1 and 1")

    url, name = database_url(args.database_url)
    ensure_database(url, name)
    if not args.no_migrate:
        started = time.perf_counter()
        migrate(url)
        print(f"migrated {name} ({time.perf_counter() - started:.1f} s)", flush=True)
    seed(url, name, args)


if __name__ == "__main__":
    main()

"""How fast does the print spooler turn queued jobs into tickets, next to rendering alone?

    DEBUG=1 .venv/bin/python bench/print_bench.py --jobs 300             # SQLite
    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/print_bench.py --jobs 300                 # PostgreSQL

Works on throwaway data: with SQLite, a temporary data dir (LABSITE_DATA_DIR); with
PostgreSQL, a database of its own (``labsite_print_bench`` by default) on the server that
DATABASE_URL names, created, migrated and dropped at the end. It creates N orders (3 items on
2 endpoints, a tray, a PO, 2 flow steps), then, on a fresh queue of N jobs for a spool-folder
printer each round, times:

  render      ``render_ticket`` alone for the N orders (already loaded with their items):
              the ceiling, since every printed ticket is rendered once
  inprocess   one spooler as an in-process loop of ``process_jobs`` with run_spooler's
              default batch size (claim, load the orders, render, write + fsync + rename,
              record): no process start-up at all
  subprocess  one ``manage.py run_spooler --once`` process, timed from its "started" line to
              its "stopped" line, so Django's start-up is left out (the wall-clock rate,
              start-up included, is shown beside it)

Everything runs as deployed, DEBUG off (the benchmark sets DEBUG=0 and a throwaway SECRET_KEY
for itself and the spooler it starts, whatever DEBUG the shell has); --debug runs with DEBUG=1.

and reports tickets per second, medians over the rounds, and the end-to-end / render-alone
ratio (target: at least 50 %). See bench/README.md.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 0.5


def fail(message: str) -> None:
    print(f"print_bench: {message}", file=sys.stderr)
    raise SystemExit(2)


# --- a throwaway database ---------------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def admin_connection(server_url: str):
    import psycopg

    parts = urlsplit(with_database(server_url, "postgres"))
    return psycopg.connect(urlunsplit(("postgresql", *parts[1:])), autocommit=True)


@contextmanager
def throwaway_database(args):
    """Point labsite at an empty database of its own for the duration of the benchmark."""
    server_url = os.environ.get("DATABASE_URL", "")
    if server_url:
        if urlsplit(server_url).scheme not in {"postgres", "postgresql", "pgsql"}:
            fail(f"DATABASE_URL must be a PostgreSQL URL (or unset for SQLite): {server_url}")
        name = args.database_name
        with admin_connection(server_url) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = with_database(server_url, name)
        try:
            yield f"PostgreSQL, database {name} (dropped at the end)"
        finally:
            from django.db import connections

            connections.close_all()
            with admin_connection(server_url) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        data_dir = Path(tempfile.mkdtemp(prefix="labsite-print-bench-"))
        os.environ["LABSITE_DATA_DIR"] = str(data_dir)
        try:
            yield f"SQLite, {data_dir}/labsite.sqlite3 (removed at the end)"
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


def setup_django(*, debug: bool) -> None:
    if debug:
        os.environ["DEBUG"] = "1"
    else:
        # As deployed: DEBUG off (no per-query logging), so a secret key is required. The
        # subprocess spooler inherits the same environment.
        os.environ["DEBUG"] = "0"
        os.environ.setdefault("SECRET_KEY", "print-bench-only-not-a-secret")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labsite.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(PROJECT_ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# --- data -------------------------------------------------------------------------------------


def seed_orders(count: int) -> list:
    from orders.models import Customer, Order
    from orders.services import NewItem, NewOrder, create_order

    Customer.objects.get_or_create(number="C042", defaults={"name": "Bench customer"})
    for n in range(count):
        create_order(
            data=NewOrder(
                tray=str(10_000 + n),
                po_number=f"PO-{n:05d}",
                patient=f"Patient {n}",
                customer_number="C042",
                requires={"requires_ar_coat", "requires_final_qa"},
                items=[
                    NewItem(sku=f"SKU{i}", name=f"Lens {i}", endpoints=["surfacing", "coating"])
                    for i in range(3)
                ],
            ),
            actor=None,
        )
    return list(Order.objects.for_display().order_by("number"))


def spool_printer(folder: Path):
    from printing.models import Printer, WorkstationPort

    printer, _ = Printer.objects.update_or_create(
        name="Bench spool", defaults={"driver": "spool", "folder": str(folder)}
    )
    WorkstationPort.objects.filter(workstation__code="00", number=1).update(printer=printer)
    return printer


def queue_jobs(orders: list, folder: Path) -> None:
    from printing.services import queue_ticket

    spool_printer(folder)
    for order in orders:
        queue_ticket(order=order, lpt_port="1", actor=None)


def check_drained(count: int, folder: Path) -> None:
    from printing.models import PrintJob, PrintStatus

    left = PrintJob.objects.exclude(status__in=[PrintStatus.DONE, PrintStatus.FAILED]).count()
    failed = list(
        PrintJob.objects.filter(status=PrintStatus.FAILED).values_list("last_error", flat=True)
    )
    files = len(list(folder.glob("*.pdf")))
    if left or failed or files != count:
        fail(f"round did not print every job: {left} left, failed {failed[:3]}, {files} files")


# --- the three measurements -------------------------------------------------------------------


def time_render(orders: list, paper_size: str) -> float:
    from printing.ticket import render_ticket

    started = time.perf_counter()
    for order in orders:
        render_ticket(order, paper_size=paper_size)
    return time.perf_counter() - started


def time_inprocess(orders: list, folder: Path, batch_size: int) -> float:
    from printing.services import process_jobs

    queue_jobs(orders, folder)
    started = time.perf_counter()
    handled = 0
    while count := process_jobs(worker="bench-inprocess", batch_size=batch_size):
        handled += count
    seconds = time.perf_counter() - started
    check_drained(len(orders), folder)
    return seconds


def time_subprocess(orders: list, folder: Path, batch_size: int) -> tuple[float, float]:
    """(work seconds from "started" to "stopped", wall seconds including start-up)."""
    from django.db import connections

    queue_jobs(orders, folder)
    connections.close_all()  # SQLite: no lock of ours in the way of the spooler
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    lines: list[tuple[float, str]] = []
    wall_started = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "run_spooler", "--once", "--batch-size", str(batch_size)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def read() -> None:
        for line in process.stdout:
            lines.append((time.perf_counter(), line.rstrip()))

    reader = threading.Thread(target=read)
    reader.start()
    process.wait()
    reader.join()
    wall = time.perf_counter() - wall_started
    started = [at for at, line in lines if " started (pid " in line]
    stopped = [(at, line) for at, line in lines if " stopped after " in line]
    if process.returncode != 0 or not started or not stopped:
        fail("run_spooler failed:\n" + "\n".join(line for _, line in lines))
    at, line = stopped[-1]
    printed = int(line.split(" stopped after ")[1].split()[0])
    if printed != len(orders):
        fail(f"run_spooler printed {printed} of {len(orders)} jobs")
    check_drained(len(orders), folder)
    return at - started[0], wall


# --- report -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=300, help="orders / jobs per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--paper-size", default="letter", choices=["letter", "a4"])
    parser.add_argument(
        "--spool-dir",
        default="",
        help="where the spool folders go (default: a temporary folder; fsync cost depends on it)",
    )
    parser.add_argument("--database-name", default="labsite_print_bench")
    parser.add_argument(
        "--batch-size",
        type=int,
        default=0,
        help="jobs per spooler batch (default: run_spooler's own default)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="run with DEBUG=1 (every query logged) instead"
    )
    parser.add_argument(
        "--skip-subprocess", action="store_true", help="only the in-process spooler"
    )
    args = parser.parse_args()
    if args.jobs < 1 or args.rounds < 1 or args.batch_size < 0:
        fail("--jobs and --rounds must be at least 1, --batch-size at least 1")

    with throwaway_database(args) as where:
        setup_django(debug=args.debug)
        from django.conf import settings
        from django.db import connection

        from orders.models import LabSettings
        from printing.services import DEFAULT_BATCH_SIZE

        batch_size = args.batch_size or DEFAULT_BATCH_SIZE
        lab = LabSettings.load()
        lab.ticket_paper_size = args.paper_size
        lab.save()
        spool_root = Path(
            tempfile.mkdtemp(prefix="labsite-print-bench-spool-", dir=args.spool_dir or None)
        )
        try:
            print(f"print_bench: {args.jobs} jobs x {args.rounds} rounds, {args.paper_size} paper")
            print(f"  database     {where} ({connection.vendor})")
            print(f"  spool folder {spool_root} (write, fsync, rename per ticket)")
            print(f"  batch size   {batch_size} jobs claimed per transaction")
            print(f"  python       {platform.python_version()} on {platform.platform()}")
            print(f"  DEBUG        {settings.DEBUG} (--debug: log every query, as in development)")
            seed_started = time.perf_counter()
            orders = seed_orders(args.jobs)
            print(f"  seeded {len(orders)} orders in {time.perf_counter() - seed_started:.1f}s")

            render, inprocess, work, wall = [], [], [], []
            for round_number in range(1, args.rounds + 1):
                # Interleaved, so drift in the machine's speed affects all alike.
                render.append(args.jobs / time_render(orders, args.paper_size))
                folder = spool_root / f"round-{round_number}-inprocess"
                inprocess.append(args.jobs / time_inprocess(orders, folder, batch_size))
                line = f"  round {round_number}: render {render[-1]:7.1f}/s"
                line += f"   in-process spooler {inprocess[-1]:7.1f}/s"
                if not args.skip_subprocess:
                    folder = spool_root / f"round-{round_number}-subprocess"
                    work_seconds, wall_seconds = time_subprocess(orders, folder, batch_size)
                    work.append(args.jobs / work_seconds)
                    wall.append(args.jobs / wall_seconds)
                    line += f"   run_spooler --once {work[-1]:7.1f}/s ({wall[-1]:.1f}/s wall)"
                print(line, flush=True)
        finally:
            shutil.rmtree(spool_root, ignore_errors=True)

    median_render = statistics.median(render)
    print("\nmedians over the rounds (tickets per second; ratio: median of each round's ratio)")
    print(f"  render_ticket alone                      {median_render:8.1f}")
    rows = [(f"in-process spooler (process_jobs, batch {batch_size})", inprocess)]
    if work:
        rows.append(("run_spooler --once (started..stopped)", work))
        rows.append(("run_spooler --once (wall, with start-up)", wall))
    for name, rates in rows:
        # Each round's end-to-end rate against the render rate of the same round: the machine's
        # speed drifts between rounds, and a ratio of medians would mix two moments.
        ratio = statistics.median(rate / alone for rate, alone in zip(rates, render, strict=True))
        verdict = "meets" if ratio >= TARGET_RATIO else "misses"
        print(
            f"  {name:41s}{statistics.median(rates):8.1f}"
            f"   {ratio:6.1%} of render alone ({verdict} the {TARGET_RATIO:.0%} target)"
        )


if __name__ == "__main__":
    main()

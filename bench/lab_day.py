"""A lab's busiest day, replayed against the whole product on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/lab_day.py --speed-up 10
    ... bench/lab_day.py --search 5,10,15,20 --lab-minutes 20 --write-results
    ... bench/lab_day.py --scaling
    ... bench/lab_day.py --smoke          (CI: a few hundred jobs, correctness only)

The model of the day (every figure is a constant below):

- 20 000 jobs a day: 60 % F (Full), 25 % U (Uncut), 10 % E (Edge), 5 % A (Addon). The busiest
  hour carries 15 % of the day, 3 000 jobs; jobs arrive at random (a Poisson process).
- Each job, in order: created over v2 with both eyes' prescription, lenses and frame (an A job
  with an addon); a tray assigned; its work ticket printed; picked (both lenses and the frame);
  checked in at 8 to 12 stations, alternately through the v2 check-in API and the legacy
  scanner interface (``/api/jt/checkin``); completed through the Job Tracker. 3 % are cancelled
  with a reason half-way through the stations instead; 1 % are held and released between two
  stations; 0.5 % have one item cancelled over the item-cancel API before production. Client
  systems poll each job's status three times and run NData queries (200 a minute); three
  supervisors' dashboards and two Dynamic Displays refresh every 30 s; three webhook
  subscriptions receive every event at local receivers.
- A job's steps follow one another every ``--step-seconds`` lab seconds (30 by default: a job
  crosses the lab in about eight lab-minutes, so the hour's jobs finish inside the replay; the
  request rate of the hour does not depend on it). A step waits for the one before it (a tray
  is not scanned before its order exists), but job arrivals, polls, queries and refreshes are
  sent on schedule whether or not earlier requests returned (open loop): a slow server shows as
  latency and a growing crowd of jobs in flight, not as a politely slower load.

A run replays ``--lab-minutes`` of the busiest hour at ``--speed-up`` (10 = ten busy hours' work
in one), against labsite as deployed: a database of its own on the PostgreSQL server
``DATABASE_URL`` names (created, migrated, dropped at the end), gunicorn with
``labsite.gunicorn_conf`` (the README's production recipe, gevent, ``--web-workers``), 2
``run_tracker``, 2 ``run_spooler`` (spool-folder printer), 1 ``run_webhooks``, three receivers
in a process of their own. It reports per endpoint p50/p95/p99 and errors, the tracker lag
(completion accepted -> completed), print lag (print accepted -> PDF written) and webhook lag
(event recorded -> received) at p50/p99, and the CPU per job of every server process.

Then it checks the database and the receivers against what the server accepted: every job in
the state its script ends in, each completion, print, check-in, pick, hold and cancel recorded
exactly once in the history, each ticket printed once, every event received by every receiver
with a valid signature. Any discrepancy fails the run (exit 1), whatever the speed.

``--search`` runs several speed-ups and names the highest at which every endpoint's p99 is at
most 250 ms, no request failed, tracker lag p99 <= 2 s, print lag p99 <= 5 s and webhook lag
p99 <= 5 s. ``--scaling`` queues a backlog of completions (then of tickets) with the workers
stopped and times one, then two trackers (spoolers) draining it. ``--write-results`` puts the
report into bench/RESULTS.md between its markers. See bench/README.md.
"""

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.e2e_bench import (
    PROXY_HEADERS,
    backend_pids,
    check_name,
    cpu_times,
    cpu_used,
    create_database,
    drop_database,
    free_port,
    libpq_url,
    processor_model,
    server_url,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"
RESULTS_BEGIN = "<!-- lab_day.py results: begin -->"
RESULTS_END = "<!-- lab_day.py results: end -->"
DEFAULT_DATABASE = "labsite_labday"

# --- the model of the day -------------------------------------------------------------------

JOBS_PER_DAY = 20_000
BUSIEST_HOUR_SHARE = 0.15  # of the day's jobs
JOB_MIX = {"F": 0.60, "U": 0.25, "E": 0.10, "A": 0.05}
CANCELLED_SHARE = 0.03  # cancelled with a reason half-way through the stations
HELD_SHARE = 0.01  # held and released between two stations
ITEM_CANCEL_SHARE = 0.005  # one item cancelled over the item-cancel API before production
CHECKINS = (8, 12)  # stations a job is checked in at, inclusive
NDATA_QUERIES_PER_MINUTE = 200
DASHBOARDS = 3
DISPLAYS = 2
REFRESH_SECONDS = 30  # dashboards and displays
SUBSCRIPTIONS = 3
STATIONS = [f"ST{n:02d}" for n in range(1, CHECKINS[1] + 1)]
REASON = "CUS"

# --- the limits a speed-up must meet --------------------------------------------------------

P99_LIMIT_MS = 250.0
TRACKER_LAG_P99_S = 2.0
PRINT_LAG_P99_S = 5.0
WEBHOOK_LAG_P99_S = 5.0
SCALE_OUT_TARGET = 1.6

CLIENT_TIMEOUT_S = 60.0  # a request unanswered this long counts as failed (outcome unknown)
AUTOVACUUM_EVERY_S = 20.0  # the stand-in's period where the server runs no autovacuum
DRAIN_TIMEOUT_S = 180.0  # after the last request, for the workers to finish the queues


def fail(message: str) -> None:
    print(f"lab_day: {message}", file=sys.stderr)
    raise SystemExit(2)


def say(message: str = "") -> None:
    print(message, flush=True)


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1)]


# --- the jobs -------------------------------------------------------------------------------


@dataclass
class Step:
    """One request of a job's script."""

    kind: str  # an endpoint name of ENDPOINTS
    station: str = ""


@dataclass
class Job:
    index: int
    number: str
    job_type: str
    tray: str
    arrival: float  # seconds of lab time from the start of the replay
    steps: list[Step]
    item_id: int | None = None  # learned from the create's answer
    accepted: Counter = field(default_factory=Counter)  # endpoint -> accepted requests
    unknown: Counter = field(default_factory=Counter)  # endpoint -> no answer / 5xx


def plan_jobs(rng: random.Random, *, count: int, hour_jobs: int, first_number: int) -> list[Job]:
    """``count`` jobs arriving as the busiest hour's (a Poisson process of ``hour_jobs`` an
    hour), each with the script of the model above."""
    rate = hour_jobs / 3600.0
    types = list(JOB_MIX)
    weights = list(JOB_MIX.values())
    jobs = []
    at = 0.0
    for index in range(count):
        at += rng.expovariate(rate)
        job_type = rng.choices(types, weights)[0]
        roll = rng.random()
        cancelled = roll < CANCELLED_SHARE
        held = CANCELLED_SHARE <= roll < CANCELLED_SHARE + HELD_SHARE
        item_cancel = rng.random() < ITEM_CANCEL_SHARE
        stations = STATIONS[: rng.randint(*CHECKINS)]
        steps = [Step("create")]
        if item_cancel:
            steps.append(Step("item_cancel"))
        steps += [Step("tray"), Step("status"), Step("print_ticket"), Step("pick")]
        stop_at = len(stations) // 2 if cancelled else len(stations)
        for position, station in enumerate(stations[:stop_at]):
            steps.append(Step("checkin" if position % 2 == 0 else "legacy_checkin", station))
            if position == len(stations) // 2:
                steps.append(Step("status"))
            if held and position == 1:
                steps += [Step("hold"), Step("release")]
        if cancelled:  # its middle poll was never reached: poll before the cancel instead
            steps += [Step("status"), Step("cancel"), Step("status_cancelled")]
        else:
            steps += [Step("complete"), Step("status")]
        number = str(first_number + index)
        jobs.append(
            Job(
                index=index,
                number=number,
                job_type=job_type,
                tray=str(1 + (first_number + index) % 99_999),
                arrival=at,
                steps=steps,
            )
        )
    return jobs


def create_body(job: Job) -> dict:
    eye_values = {
        "LensStyle": "PROG-HD",
        "LensMaterial": "1.67",
        "Sphere": -2.25,
        "Cylinder": -0.75,
        "Axis": 90,
        "Add": 2.0,
        "Pd": 31.5,
        "SegHeight": 18.0,
    }
    body = {
        "orderNumber": job.number,
        "poNumber": f"PO-{job.number}",
        "customerNumber": f"C{job.index % 40:03d}",
        "customerJobId": f"J-{job.number}",
        "patient": f"Patient {job.number}",
        "jobType": job.job_type,
        "rtOPC": f"R{job.number}",
        "ltOPC": f"L{job.number}",
        "frameUPC": f"FU{job.number}",
        "frameManufacturer": "RAY",
        "frameName": "Aviator 3025",
        "frameA": 58.0,
        "frameB": 47.5,
        "frameED": 60.2,
        "frameBridge": 14,
        "items": [
            {"sku": "PROG-HD-167", "name": "Right lens", "quantity": 1, "endpoints": ["SURF"]},
            {"sku": "PROG-HD-167", "name": "Left lens", "quantity": 1, "endpoints": ["SURF"]},
        ],
    }
    for side in ("rt", "lt"):
        body |= {side + name: value for name, value in eye_values.items()}
    if job.job_type == "A":
        body["addons"] = ["AR-SUP"]
    return body


# --- the endpoints --------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    expect: int
    must: str  # a text an accepted answer contains
    auth: str = "key"  # "key" (Token), "supervisor" (Token), "bearer", "partner", "session", ""


ENDPOINTS = {
    endpoint.name: endpoint
    for endpoint in (
        Endpoint("create", "POST", 201, '"orderNumber"'),
        Endpoint("item_cancel", "PUT", 200, '"HadError":false', auth="partner"),
        Endpoint("tray", "POST", 200, "Tray assigned"),
        Endpoint("status", "GET", 200, '"statusDesc"'),
        # The contract's answer for an order marked for cancelation: a 200 with an error body.
        Endpoint("status_cancelled", "GET", 200, '"Order marked for cancelation"'),
        Endpoint("print_ticket", "POST", 201, "Printing in process"),
        Endpoint("pick", "POST", 200, '"framePicked":true'),
        Endpoint("checkin", "POST", 201, '"statusDateTime"'),
        Endpoint("legacy_checkin", "POST", 200, '"result":"successful"'),
        Endpoint("hold", "POST", 200, '"onHold":true', auth="supervisor"),
        Endpoint("release", "POST", 200, '"onHold":false', auth="supervisor"),
        Endpoint("cancel", "DELETE", 200, '"message":""'),
        Endpoint("complete", "POST", 201, "Successful"),
        Endpoint("ndata_query", "GET", 200, '"totalCount"', auth="bearer"),
        Endpoint("dashboard", "GET", 200, 'id="dashboard-figures"', auth="session"),
        Endpoint("display", "GET", 200, 'id="in-progress"', auth=""),
    )
}


@dataclass
class Access:
    """What the clients of the replay present."""

    api_key: str
    supervisor_key: str
    recipe_id: str
    billing_key: str
    session_cookie: str
    display_tokens: list[str]


def request_for(step: Step, job: Job, access: Access) -> tuple[str, str, dict | None]:
    """Method-less request of one step: (path, query string, JSON body)."""
    n = job.number
    match step.kind:
        case "create":
            return "/api/v2/orders", "", create_body(job)
        case "item_cancel":
            query = (
                f"orderId={n}&recipeid={quote(access.recipe_id, safe='')}"
                f"&partnerBillingKey={quote(access.billing_key, safe='')}"
            )
            return "/api/orderCancel", query, {"Ids": [job.item_id]}
        case "tray":
            return f"/api/v2/orders/{n}/tray", "", {"trayNumber": job.tray}
        case "status" | "status_cancelled":
            return f"/api/v2/orders/{n}/status", "", None
        case "print_ticket":
            return f"/api/v2/orders/{n}/print_ticket", "lptPort=LPT1", None
        case "pick":
            body = {"rtOPC": f"R{n}", "ltOPC": f"L{n}", "frameUPC": f"FU{n}"}
            return f"/api/v2/orders/{n}/pick", "", body
        case "checkin":
            return f"/api/v2/job_track/stations/{step.station}", "", {"orderIdentifier": n}
        case "legacy_checkin":
            return "/api/jt/checkin", "", {"order": n, "station": step.station}
        case "hold" | "release":
            return f"/api/v2/orders/{n}/{step.kind}", "", None
        case "cancel":
            return f"/api/v2/orders/{n}", f"deleteReason={REASON}", None
        case "complete":
            return f"/api/v2/orders/{n}/complete", "", None
    raise ValueError(step.kind)


def headers_for(endpoint: Endpoint, access: Access) -> dict[str, str]:
    headers = dict(PROXY_HEADERS)
    if endpoint.auth == "key":
        headers["Authorization"] = f"Token {access.api_key}"
    elif endpoint.auth == "supervisor":
        headers["Authorization"] = f"Token {access.supervisor_key}"
    elif endpoint.auth == "bearer":
        headers["Authorization"] = f"Bearer {access.api_key}"
    elif endpoint.auth == "session":
        headers["Cookie"] = access.session_cookie
    return headers


# --- the load -------------------------------------------------------------------------------


@dataclass
class Sample:
    endpoint: str
    latency_ms: float
    ok: bool
    status: int  # 0: no answer
    note: str = ""


class Load:
    """Sends the replay's requests on their schedule and keeps every answer."""

    def __init__(self, base_url: str, access: Access, speed_up: float):
        self.base_url = base_url
        self.access = access
        self.speed_up = speed_up
        self.samples: list[Sample] = []
        self.late: list[float] = []  # how late each scheduled send left, seconds
        self.in_flight = 0
        self.most_in_flight = 0

    async def run(self, jobs: list[Job], *, step_seconds: float, window: float) -> float:
        """Everything of the replay; answers its wall-clock duration."""
        limits = httpx.Limits(max_connections=1000, max_keepalive_connections=1000)
        timeout = httpx.Timeout(CLIENT_TIMEOUT_S)
        async with httpx.AsyncClient(
            base_url=self.base_url, limits=limits, timeout=timeout
        ) as self.client:
            self.started = time.monotonic()
            tasks = [
                asyncio.create_task(self.job(job, step_seconds)) for job in jobs
            ] + self.background(window)
            await asyncio.gather(*tasks)
        return time.monotonic() - self.started

    def wall(self, lab_seconds: float) -> float:
        return self.started + lab_seconds / self.speed_up

    async def until(self, at: float) -> None:
        delay = at - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    async def send(self, name: str, path: str, query: str = "", body=None) -> tuple[bool, str]:
        endpoint = ENDPOINTS[name]
        url = f"{path}?{query}" if query else path
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        started = time.monotonic()
        try:
            answer = await self.client.request(
                endpoint.method, url, json=body, headers=headers_for(endpoint, self.access)
            )
            text = answer.text
            status = answer.status_code
        except httpx.HTTPError as error:
            text, status = f"{type(error).__name__}: {error}", 0
        finally:
            self.in_flight -= 1
        latency = 1000 * (time.monotonic() - started)
        ok = status == endpoint.expect and endpoint.must in text
        self.samples.append(Sample(name, latency, ok, status, "" if ok else text[:300]))
        return ok, text

    async def job(self, job: Job, step_seconds: float) -> None:
        due = self.wall(job.arrival)
        await self.until(due)
        self.late.append(time.monotonic() - due)
        for step in job.steps:
            await self.until(due)
            path, query, body = request_for(step, job, self.access)
            ok, text = await self.send(step.kind, path, query, body)
            kind = step.kind
            if ok:
                job.accepted[kind] += 1
                if kind == "create":
                    job.item_id = json.loads(text)["items"][0]["id"]
            else:
                status = self.samples[-1].status
                if status == 0 or status >= 500:
                    job.unknown[kind] += 1
                return  # a refused step ends the job's script: the rest is not sent
            due += step_seconds / self.speed_up

    def background(self, window: float) -> list[asyncio.Task]:
        """NData queries, dashboards and displays, on schedule for the replay's window."""
        tasks = []
        interval = 60.0 / NDATA_QUERIES_PER_MINUTE
        for n in range(int(window / interval)):
            tasks.append(asyncio.create_task(self.timed(n * interval, self.ndata_query, n)))
        for screen in range(DASHBOARDS + DISPLAYS):
            offset = screen * REFRESH_SECONDS / (DASHBOARDS + DISPLAYS)
            for n in range(int((window - offset) / REFRESH_SECONDS) + 1):
                tasks.append(
                    asyncio.create_task(
                        self.timed(offset + n * REFRESH_SECONDS, self.screen, screen)
                    )
                )
        return tasks

    async def timed(self, lab_at: float, send, argument) -> None:
        due = self.wall(lab_at)
        await self.until(due)
        self.late.append(time.monotonic() - due)
        await send(argument)

    async def ndata_query(self, n: int) -> None:
        # What client systems ask: their open orders of a state, newest first, a page of 20.
        query = [
            "status=in:New;InProgress&$sort=-createdAt&$take=20",
            "isProcessed=eq:false&$sort=number&$take=20",
            "createdAt=gt:2020-01-01T00:00:00Z&$count=true",
            f"poNumber=startswith:PO-&$sort=-id&$skip={n % 5 * 20}&$take=20",
        ][n % 4]
        await self.send("ndata_query", "/orders", query)

    async def screen(self, screen: int) -> None:
        if screen < DASHBOARDS:
            await self.send("dashboard", "/admin/")
        else:
            token = self.access.display_tokens[screen - DASHBOARDS]
            await self.send("display", "/ws/display/", f"token={token}")


# --- the lab: database, processes, receivers -----------------------------------------------

RECEIVER = r"""
import hashlib, hmac, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

secrets = json.loads(sys.argv[1])
log = open(sys.argv[2], "a", buffering=1)
lock = threading.Lock()

def handler_for(port, secret):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            arrived = time.time()
            stamp = self.headers.get("X-Labsite-Timestamp", "")
            expected = "sha256=" + hmac.new(
                secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
            valid = hmac.compare_digest(expected, self.headers.get("X-Labsite-Signature", ""))
            delivery = self.headers.get("X-Labsite-Delivery", "")
            with lock:
                log.write(f"{port}\t{delivery}\t{arrived:.6f}\t{int(valid)}\n")
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass
    return Handler

servers = []
for secret in secrets:
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    server.RequestHandlerClass = handler_for(server.server_address[1], secret)
    servers.append(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
print(json.dumps([server.server_address[1] for server in servers]), flush=True)
threading.Event().wait()
"""


class Processes:
    """labsite's processes as deployed, each with its log in ``folder``."""

    def __init__(self, env: dict[str, str], folder: Path):
        self.env = env
        self.folder = folder
        self.running: dict[str, subprocess.Popen] = {}
        self.logs = []

    def start(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("a")
        self.logs.append(log)
        process = subprocess.Popen(  # noqa: S603 - our interpreter, our arguments
            command, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.running[name] = process
        return process

    def manage(self, name: str, *arguments: str) -> subprocess.Popen:
        return self.start(name, [sys.executable, "manage.py", *arguments])

    def web(self, port: int, workers: int) -> None:
        self.start(
            "web",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:labsite.gunicorn_conf",
                "labsite.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
            ],
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.running["web"].poll() is not None:
                fail(f"gunicorn exited:\n{self.log_text('web')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/", headers=PROXY_HEADERS).status_code < 500:
                    return
            time.sleep(0.3)
        fail(f"gunicorn did not answer within 60 s:\n{self.log_text('web')}")

    def log_text(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()[-3000:]

    def pids(self, prefix: str = "") -> list[int]:
        """Every running process whose name starts with ``prefix``, with its children."""
        pids = []
        for name, process in self.running.items():
            if name.startswith(prefix) and process.poll() is None:
                pids.append(process.pid)
                children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
                with contextlib.suppress(OSError):
                    pids += [int(pid) for pid in children.read_text().split()]
        return pids

    def stop(self, prefix: str = "") -> None:
        names = [name for name in self.running if name.startswith(prefix)]
        for name in names:
            if self.running[name].poll() is None:
                self.running[name].send_signal(signal.SIGTERM)
        for name in names:
            process = self.running.pop(name)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def crashed(self) -> list[str]:
        return [name for name, process in self.running.items() if process.poll() is not None]


def environment(database_url: str, data_dir: Path) -> dict[str, str]:
    """labsite's environment as deployed: DEBUG off, a throwaway key, behind a TLS proxy."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="labsite.settings",
        DEBUG="0",
        SECRET_KEY="lab-day-" + os.urandom(24).hex(),
        ALLOWED_HOSTS="127.0.0.1",
        TRUST_X_FORWARDED_PROTO="1",
        LOG_LEVEL="WARNING",
        LABSITE_DATA_DIR=str(data_dir),
        WEBHOOK_ALLOWED_HOSTS="127.0.0.1",
        PRINT_SPOOL_ROOT=str(data_dir / "spool"),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    return env


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import warnings

    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as the README deploys


def reference_rows(receivers: list[tuple[int, str]]) -> Access:
    """What a lab has configured before its day begins, made through the models as the admin
    makes it: clients, a supervisor, stations, a printer, the subscriptions (``receivers``:
    port and secret of each)."""
    from django.contrib.auth.models import Group, User
    from django.test import Client

    from accounts.models import ApiKey, ApiPartner
    from orders.models import Addon, Customer, DeleteReason, LabSettings, Station
    from printing.models import Driver, Printer, WorkstationPort
    from webhooks.models import Subscription
    from workstations.models import DisplayLink

    client_user = User.objects.create(username="lab-day-client")
    client_user.groups.add(Group.objects.get(name="Lab clients"))
    _, api_key = ApiKey.issue(user=client_user, name="lab day client")
    partner, billing_key = ApiPartner.issue(name="Lab day partner", user=client_user)
    supervisor = User.objects.create(username="lab-day-supervisor", is_staff=True)
    supervisor.groups.add(Group.objects.get(name="Supervisors"))
    _, supervisor_key = ApiKey.issue(user=supervisor, name="lab day supervisor")
    browser = Client()
    browser.force_login(supervisor)
    from django.conf import settings

    session = browser.cookies[settings.SESSION_COOKIE_NAME].value
    tokens = [DisplayLink.issue(name=f"Wall {n}", created_by=supervisor)[1] for n in (1, 2)]

    for n in range(40):
        Customer.objects.create(number=f"C{n:03d}", name=f"Customer {n}")
    Addon.objects.create(code="AR-SUP", description="Super AR coating")
    for code in STATIONS:
        Station.objects.create(code=code, description=f"Station {code}")
    DeleteReason.objects.create(code=REASON, description="Customer request")
    printer = Printer.objects.create(name="Lab day spool", driver=Driver.SPOOL, folder="lab-day")
    WorkstationPort.objects.filter(workstation__code="00", number=1).update(printer=printer)
    lab = LabSettings.load()
    lab.job_tracker_module_installed = True
    lab.enter_reason_code_when_deleting_order = True
    lab.jobtrack_station_verify = False
    lab.save()

    for port, secret in receivers:
        subscription = Subscription(url=f"http://127.0.0.1:{port}/events")
        subscription.secret = secret
        subscription.save()
    return Access(
        api_key=api_key,
        supervisor_key=supervisor_key,
        recipe_id=partner.recipe_id,
        billing_key=billing_key,
        session_cookie=f"{settings.SESSION_COOKIE_NAME}={session}",
        display_tokens=tokens,
    )


class Lab:
    """The lab's database, receivers and processes, for one or more runs."""

    def __init__(self, args):
        self.args = args
        self.server = server_url(args.database_url)
        check_name(args.database)
        self.folder = Path(tempfile.mkdtemp(prefix="labsite-lab-day-"))
        self.database_url = self.server.rsplit("/", 1)[0] + "/" + args.database
        self.env = environment(self.database_url, self.folder)
        self.processes = Processes(self.env, self.folder)
        self.receiver_log = self.folder / "received.tsv"
        self.port = free_port()
        self.runs = 0

    def __enter__(self):
        where = self.server.rsplit("@", 1)[-1]
        say(f"database {self.args.database} on {where}; logs in {self.folder}")
        create_database(self.server, self.args.database)
        started = time.monotonic()
        setup_django(self.env)
        say(f"  migrated in {time.monotonic() - started:.1f} s")
        secrets = [os.urandom(16).hex() for _ in range(SUBSCRIPTIONS)]
        self.receiver = subprocess.Popen(  # noqa: S603 - our interpreter, the script above
            [sys.executable, "-c", RECEIVER, json.dumps(secrets), str(self.receiver_log)],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.receiver_ports = json.loads(self.receiver.stdout.readline())
        self.access = reference_rows(list(zip(self.receiver_ports, secrets, strict=True)))
        return self

    def __exit__(self, *exc):
        self.processes.stop()
        self.receiver.kill()
        self.receiver.wait()
        from django.db import connections

        connections.close_all()
        if not self.args.keep:
            drop_database(self.server, self.args.database)
            shutil.rmtree(self.folder, ignore_errors=True)

    def start(self, *, web_workers: int, trackers: int, spoolers: int, webhooks: int = 1) -> None:
        self.processes.web(self.port, web_workers)
        for n in range(trackers):
            self.processes.manage(f"tracker-{n}", "run_tracker")
        for n in range(spoolers):
            self.processes.manage(f"spooler-{n}", "run_spooler")
        for n in range(webhooks):
            self.processes.manage(f"webhooks-{n}", "run_webhooks")

    def server_pids(self) -> dict[str, list[int]]:
        groups = {
            name: self.processes.pids(name) for name in ("web", "tracker", "spooler", "webhooks")
        }
        groups["postgres"] = backend_pids(self.database_url)
        return groups


class LockSampler:
    """Twice a second: how many of the database's backends are running, and how many wait on
    a lock (a row or a relation), to tell a CPU limit from a lock limit."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.samples: list[tuple[int, int]] = []
        self.stopped = False

    async def run(self) -> None:
        async with await psycopg.AsyncConnection.connect(
            libpq_url(self.database_url), autocommit=True
        ) as db:
            while not self.stopped:
                row = await (
                    await db.execute(
                        "SELECT count(*) FILTER (WHERE state = 'active'), "
                        "count(*) FILTER (WHERE wait_event_type = 'Lock') "
                        "FROM pg_stat_activity WHERE datname = current_database() "
                        "AND pid <> pg_backend_pid()"
                    )
                ).fetchone()
                self.samples.append(row)
                await asyncio.sleep(0.5)

    def summary(self) -> str:
        if not self.samples:
            return "no samples"
        waiting = [locked for _, locked in self.samples]
        active = [running for running, _ in self.samples]
        share = sum(1 for n in waiting if n) / len(waiting)
        return (
            f"backends active: mean {statistics.mean(active):.1f}, max {max(active)}; waiting "
            f"on a lock in {100 * share:.0f} % of samples (max {max(waiting)} at once)"
        )


class AutovacuumStandIn:
    """A production PostgreSQL runs autovacuum (the default); a server with it turned off (as
    this machine's is) never analyzes or vacuums the replay's fresh tables. The planner then
    keeps taking them for empty: the webhook worker's claim, which walks the due-deliveries
    index in order and stops at its batch once the table is known, sorts the whole backlog at
    every claim instead (74 ms against 1.7 ms a claim at 8 000 pending, measured), and the
    worker falls behind for good. So when autovacuum is off, this does its work in its place:
    ``VACUUM (ANALYZE)`` of the replay's database every ``AUTOVACUUM_EVERY_S`` seconds."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.stopped = False
        self.rounds = 0

    async def run(self) -> None:
        async with await psycopg.AsyncConnection.connect(
            libpq_url(self.database_url), autocommit=True
        ) as db:
            if (await (await db.execute("SHOW autovacuum")).fetchone())[0] == "on":
                return
            while not self.stopped:
                await db.execute("VACUUM (ANALYZE)")
                self.rounds += 1
                for _ in range(int(AUTOVACUUM_EVERY_S / 0.5)):
                    if self.stopped:
                        break
                    await asyncio.sleep(0.5)


def analyze_if_no_autovacuum(database_url: str) -> None:
    """What autovacuum would have done after a bulk load: statistics for the planner."""
    with psycopg.connect(libpq_url(database_url), autocommit=True) as db:
        if db.execute("SHOW autovacuum").fetchone()[0] != "on":
            db.execute("ANALYZE")


# --- one replay -----------------------------------------------------------------------------


@dataclass
class Result:
    speed_up: float
    lab_minutes: float
    web_workers: int
    trackers: int
    spoolers: int
    jobs: int
    wall_seconds: float
    samples: list[Sample]
    late_p99: float
    most_in_flight: int
    lags: dict[str, list[float]]
    cpu: dict[str, float]  # process group -> CPU seconds
    load_cpu: float  # CPU seconds of the load generator and the receivers (not labsite)
    locks: str
    discrepancies: list[str]
    crashed: list[str]

    def by_endpoint(self) -> dict[str, list[Sample]]:
        grouped = defaultdict(list)
        for sample in self.samples:
            grouped[sample.endpoint].append(sample)
        return {name: grouped[name] for name in ENDPOINTS if grouped[name]}

    @property
    def errors(self) -> int:
        return sum(1 for sample in self.samples if not sample.ok)

    def limits_hit(self) -> list[str]:
        """Each limit this run missed, worst first within its kind."""
        hit = []
        p99s = {
            name: percentile([s.latency_ms for s in samples], 0.99)
            for name, samples in self.by_endpoint().items()
        }
        for name, p99 in sorted(p99s.items(), key=lambda item: -item[1]):
            if p99 > P99_LIMIT_MS:
                hit.append(f"{name} p99 {p99:.0f} ms > {P99_LIMIT_MS:.0f} ms")
        if self.errors:
            hit.append(f"{self.errors} failed requests")
        for lag, limit in (
            ("tracker", TRACKER_LAG_P99_S),
            ("print", PRINT_LAG_P99_S),
            ("webhook", WEBHOOK_LAG_P99_S),
        ):
            p99 = percentile(self.lags[lag], 0.99)
            if not self.lags[lag] or p99 > limit:
                hit.append(f"{lag} lag p99 {p99:.2f} s > {limit:.0f} s")
        if self.crashed:
            hit.append("processes exited: " + ", ".join(self.crashed))
        return hit

    @property
    def sustained(self) -> bool:
        return not self.limits_hit() and not self.discrepancies


def replay(
    lab: Lab,
    *,
    speed_up: float,
    lab_minutes: float,
    jobs_count: int | None,
    web_workers: int,
    trackers: int,
    spoolers: int,
    step_seconds: float,
    seed: int,
) -> Result:
    lab.runs += 1
    hour_jobs = round(JOBS_PER_DAY * BUSIEST_HOUR_SHARE)
    count = jobs_count or round(hour_jobs * lab_minutes / 60)
    first_number = 1_000_000 + lab.runs * 100_000
    jobs = plan_jobs(
        random.Random(seed),  # noqa: S311 - a reproducible day, not a secret
        count=count,
        hour_jobs=hour_jobs,
        first_number=first_number,
    )
    window = jobs[-1].arrival
    requests = sum(len(job.steps) for job in jobs)
    say(
        f"\n== speed-up {speed_up:g}: {count} jobs ({requests} job requests) over "
        f"{window / 60:.1f} lab-minutes = {window / speed_up:.0f} s, {web_workers} web "
        f"workers, {trackers} trackers, {spoolers} spoolers"
    )
    lab.start(web_workers=web_workers, trackers=trackers, spoolers=spoolers)
    time.sleep(2)  # the workers' first heartbeats
    groups = lab.server_pids()
    before = {name: cpu_times(pids) for name, pids in groups.items()}
    load_before = time.process_time() + sum(cpu_times([lab.receiver.pid]).values())
    load = Load(f"http://127.0.0.1:{lab.port}", lab.access, speed_up)
    sampler = LockSampler(lab.database_url)
    maintenance = AutovacuumStandIn(lab.database_url)

    async def everything():
        sampling = asyncio.create_task(sampler.run())
        vacuuming = asyncio.create_task(maintenance.run())
        try:
            return await load.run(jobs, step_seconds=step_seconds, window=window)
        finally:
            sampler.stopped = maintenance.stopped = True
            await sampling
            await vacuuming

    wall = asyncio.run(everything())
    say(f"  load sent in {wall:.1f} s; draining the queues")
    numbers = [job.number for job in jobs]
    drained = drain(numbers)
    groups = lab.server_pids()
    after = {name: cpu_times(pids) for name, pids in groups.items()}
    cpu = {name: cpu_used(before.get(name, {}), after[name]) for name in after}
    load_cpu = time.process_time() + sum(cpu_times([lab.receiver.pid]).values()) - load_before
    crashed = lab.processes.crashed()
    lags = measure_lags(numbers, lab.receiver_log, lab.receiver_ports)
    discrepancies = [] if drained else ["the queues did not drain within the time allowed"]
    discrepancies += check(jobs, lab.receiver_log, lab.receiver_ports)
    lab.processes.stop()
    return Result(
        speed_up=speed_up,
        lab_minutes=window / 60,
        web_workers=web_workers,
        trackers=trackers,
        spoolers=spoolers,
        jobs=count,
        wall_seconds=wall,
        samples=load.samples,
        late_p99=percentile(load.late, 0.99),
        most_in_flight=load.most_in_flight,
        lags=lags,
        cpu=cpu,
        load_cpu=load_cpu,
        locks=sampler.summary(),
        discrepancies=discrepancies,
        crashed=crashed,
    )


def drain(numbers: list[str], queues=("tracker", "spooler", "webhooks")) -> bool:
    """Wait until the run's completions, tickets and deliveries (those of ``queues``) are all
    processed."""
    from printing.models import PrintJob, PrintStatus
    from tracker.models import CompletionRequest
    from webhooks.models import Delivery, DeliveryStatus

    waiting = {
        "tracker": lambda: CompletionRequest.objects.filter(
            order__number__in=numbers, processed_at=None
        ),
        "spooler": lambda: PrintJob.objects.filter(order__number__in=numbers).exclude(
            status__in=[PrintStatus.DONE, PrintStatus.FAILED]
        ),
        "webhooks": lambda: Delivery.objects.filter(order__number__in=numbers).exclude(
            status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]
        ),
    }
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    while time.monotonic() < deadline:
        if not any(waiting[queue]().exists() for queue in queues):
            return True
        time.sleep(0.5)
    return False


def received(log: Path) -> dict[int, dict[str, tuple[float, bool]]]:
    """port -> delivery id -> (first arrival, every arrival signed validly)."""
    seen: dict[int, dict[str, tuple[float, bool]]] = defaultdict(dict)
    for line in log.read_text().splitlines():
        port, delivery, arrived, valid = line.split("\t")
        first = seen[int(port)].get(delivery)
        at = float(arrived)
        if first is None:
            seen[int(port)][delivery] = (at, valid == "1")
        else:
            seen[int(port)][delivery] = (min(first[0], at), first[1] and valid == "1")
    return seen


def measure_lags(numbers: list[str], log: Path, ports: list[int]) -> dict[str, list[float]]:
    from printing.models import PrintJob
    from tracker.models import CompletionRequest
    from webhooks.models import Event

    tracker = [
        (processed - requested).total_seconds()
        for requested, processed in CompletionRequest.objects.filter(
            order__number__in=numbers, processed_at__isnull=False
        ).values_list("requested_at", "processed_at")
    ]
    printing = [
        (finished - created).total_seconds()
        for created, finished in PrintJob.objects.filter(
            order__number__in=numbers, finished_at__isnull=False
        ).values_list("created_at", "finished_at")
    ]
    seen = received(log)
    webhook = []
    for event_id, occurred in Event.objects.filter(order__number__in=numbers).values_list(
        "id", "occurred_at"
    ):
        for port in ports:
            arrival = seen[port].get(str(event_id))
            if arrival is not None:
                webhook.append(arrival[0] - occurred.timestamp())
    return {"tracker": tracker, "print": printing, "webhook": webhook}


# What each accepted request must leave in an order's history: endpoint -> (kind, rows).
HISTORY = {
    "create": ("created", 1),
    "tray": ("tray", 1),
    "print_ticket": ("print_requested", 1),
    "pick": ("picked", 3),  # both lenses and the frame
    "checkin": ("checkin", 1),
    "legacy_checkin": ("checkin", 1),
    "hold": ("hold", 1),
    "release": ("release", 1),
    "cancel": ("cancel", 1),
    "complete": ("completion_requested", 1),
    "item_cancel": ("items_cancelled", 1),
}


def check(jobs: list[Job], log: Path, ports: list[int]) -> list[str]:
    """Every discrepancy between what the server accepted and what the database and the
    receivers hold. A request without an answer (or with a 5xx) may have happened or not."""
    from orders.models import Order, OrderEvent, OrderItem
    from printing.models import PrintJob, PrintStatus
    from webhooks.models import Delivery, DeliveryStatus, Event

    numbers = [job.number for job in jobs]
    orders = {
        str(order.number): order
        for order in Order.objects.filter(number__in=numbers).only(
            "number", "state", "completed_at", "cancelled_at", "on_hold", "pending_completion"
        )
    }
    history = Counter(
        (str(number), kind)
        for number, kind in OrderEvent.objects.filter(order__number__in=numbers).values_list(
            "order__number", "kind"
        )
    )
    prints = defaultdict(list)
    for number, status, reference in PrintJob.objects.filter(order__number__in=numbers).values_list(
        "order__number", "status", "reference"
    ):
        prints[str(number)].append((status, reference))
    cancelled_items = set(
        str(number)
        for number in OrderItem.objects.filter(
            order__number__in=numbers, status="Cancelled"
        ).values_list("order__number", flat=True)
    )
    problems = []

    def expect(job: Job, what: str, found: int, accepted: int, per: int, unknown: int) -> None:
        if not accepted * per <= found <= (accepted + unknown) * per:
            wanted = f"{accepted * per}" + (f"..{(accepted + unknown) * per}" if unknown else "")
            problems.append(f"order {job.number}: {what} {found}, expected {wanted}")

    for job in jobs:
        order = orders.get(job.number)
        if order is None:
            if job.accepted["create"]:
                problems.append(f"order {job.number}: accepted, not in the database")
            continue
        if not job.accepted["create"] and not job.unknown["create"]:
            problems.append(f"order {job.number}: refused, yet in the database")
        expected_kinds = defaultdict(lambda: [0, 0, 1])
        for endpoint, (kind, per) in HISTORY.items():
            expected_kinds[kind][0] += job.accepted[endpoint]
            expected_kinds[kind][1] += job.unknown[endpoint]
            expected_kinds[kind][2] = per
        for kind, (accepted, unknown, per) in expected_kinds.items():
            expect(job, f"history '{kind}' rows", history[job.number, kind], accepted, per, unknown)
        done = job.accepted["complete"]
        expect(
            job, "completions", history[job.number, "completed"], done, 1, job.unknown["complete"]
        )
        if done and (order.state != "C" or order.completed_at is None or order.pending_completion):
            problems.append(f"order {job.number}: completion accepted, order is {order.state}")
        if job.accepted["cancel"] and order.cancelled_at is None:
            problems.append(f"order {job.number}: cancel accepted, order not cancelled")
        if not job.accepted["cancel"] and not job.unknown["cancel"] and order.cancelled_at:
            problems.append(f"order {job.number}: cancelled without an accepted cancel")
        if job.accepted["release"] and order.on_hold:
            problems.append(f"order {job.number}: released, still on hold")
        if job.accepted["item_cancel"] and job.number not in cancelled_items:
            problems.append(f"order {job.number}: item cancel accepted, no item cancelled")
        printed = prints[job.number]
        expect(
            job,
            "print jobs",
            len(printed),
            job.accepted["print_ticket"],
            1,
            job.unknown["print_ticket"],
        )
        for status, reference in printed:
            if status != PrintStatus.DONE:
                problems.append(f"order {job.number}: ticket {status}, not printed")
            elif not Path(reference).is_file():
                problems.append(f"order {job.number}: ticket recorded at {reference}, no file")
    references = [ref for jobs_prints in prints.values() for _, ref in jobs_prints if ref]
    if len(references) != len(set(references)):
        problems.append("two tickets written to the same file")

    seen = received(log)
    for event_id, number in Event.objects.filter(order__number__in=numbers).values_list(
        "id", "order__number"
    ):
        for port in ports:
            arrival = seen[port].get(str(event_id))
            if arrival is None:
                problems.append(f"order {number}: event {event_id} never reached receiver {port}")
            elif not arrival[1]:
                problems.append(f"order {number}: event {event_id} badly signed at {port}")
    undelivered = Delivery.objects.filter(order__number__in=numbers).exclude(
        status=DeliveryStatus.DELIVERED
    )
    problems += [
        f"delivery {delivery.pk} of order {delivery.order_id}: {delivery.status}"
        for delivery in undelivered[:20]
    ]
    return problems


# --- scaling out ----------------------------------------------------------------------------


def backlog_orders(count: int, first_number: int) -> list:
    """``count`` jobs made through the create service, as the API makes them."""
    from orders.rx import Eye, EyeValues
    from orders.services import NewItem, NewOrder, create_order

    eye = EyeValues(lens_style="PROG-HD", lens_material="1.67", sphere=Decimal("-2.25"))
    return [
        create_order(
            data=NewOrder(
                number=str(first_number + n),
                po_number=f"PO-{first_number + n}",
                customer_number="C000",
                customer_job_id=f"J-{first_number + n}",
                job_type="F",
                eyes={Eye.RIGHT: eye, Eye.LEFT: eye},
                items=[NewItem(sku="PROG-HD-167", name="Lens", quantity=2, endpoints=["SURF"])],
            ),
            actor=None,
        )
        for n in range(count)
    ]


def drain_rate(lab: Lab, kind: str, workers: int, count: int) -> float:
    """Queue ``count`` completions (``kind`` "tracker") or tickets ("spooler") with no worker
    running, start ``workers`` of that kind, and answer the rate at which they clear the
    backlog, from the database's own timestamps (first to last processed)."""
    from django.db.models import Max, Min

    from printing.models import PrintJob
    from printing.services import queue_ticket
    from tracker.models import CompletionRequest
    from tracker.services import request_completion

    lab.runs += 1
    orders = backlog_orders(count, 1_000_000 + lab.runs * 100_000)
    numbers = [order.number for order in orders]
    for order in orders:
        if kind == "tracker":
            request_completion(order=order, actor=None, require_tracker=False)
        else:
            queue_ticket(order=order, lpt_port="LPT1", actor=None)
    analyze_if_no_autovacuum(lab.database_url)
    for n in range(workers):
        lab.processes.manage(f"{kind}-{n}", f"run_{kind}")
    finished = drain(numbers, queues=(kind,))
    lab.processes.stop(kind)
    if not finished:
        fail(f"{workers} {kind}(s) did not clear {count} within {DRAIN_TIMEOUT_S:.0f} s")
    if kind == "tracker":
        span = CompletionRequest.objects.filter(order__number__in=numbers).aggregate(
            first=Min("processed_at"), last=Max("processed_at")
        )
    else:
        span = PrintJob.objects.filter(order__number__in=numbers).aggregate(
            first=Min("finished_at"), last=Max("finished_at")
        )
    seconds = (span["last"] - span["first"]).total_seconds()
    rate = (count - 1) / seconds
    say(f"  {workers} {kind}(s): {count} in {seconds:.2f} s, {rate:,.0f}/s")
    return rate


def scaling(lab: Lab, args) -> str:
    """One against two trackers, one against two spoolers, each draining a backlog."""
    lines = [
        "| workers | backlog | one | two | two / one | target |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for kind, count in (("tracker", args.scaling_completions), ("spooler", args.scaling_tickets)):
        say(f"\n== scaling: {kind}s, backlog {count}")
        one = statistics.median(drain_rate(lab, kind, 1, count) for _ in range(args.repeat))
        two = statistics.median(drain_rate(lab, kind, 2, count) for _ in range(args.repeat))
        met = two / one >= SCALE_OUT_TARGET
        lines.append(
            f"| {kind}s | {count:,} | {one:,.0f}/s | {two:,.0f}/s | {two / one:.2f} | "
            f">= {SCALE_OUT_TARGET} {'met' if met else 'MISSED'} |"
        )
    return "\n".join(lines) + f"\n\n(median of {args.repeat} drains each)\n"


# --- the report -----------------------------------------------------------------------------


def machine(lab: Lab) -> str:
    import django

    import gunicorn

    with psycopg.connect(libpq_url(lab.database_url)) as db:
        version = db.execute("SHOW server_version").fetchone()[0]
        commit = db.execute("SHOW synchronous_commit").fetchone()[0]
        autovacuum = db.execute("SHOW autovacuum").fetchone()[0]
    return (
        f"{os.cpu_count()} CPUs ({processor_model()}), {platform.system()} {platform.release()}; "
        f"PostgreSQL {version} on the same machine (synchronous_commit={commit}, autovacuum="
        f"{autovacuum}"
        + (
            f"; in its place the replay runs VACUUM (ANALYZE) every {AUTOVACUUM_EVERY_S:g} s"
            if autovacuum != "on"
            else ""
        )
        + f"); Python "
        f"{platform.python_version()}, Django {django.get_version()}, gunicorn "
        f"{gunicorn.__version__} (gevent); the load generator, the receivers and every labsite "
        "process share the machine"
    )


def fmt(value: float, unit: str = "") -> str:
    return (
        "—"
        if math.isnan(value)
        else f"{value:,.0f}{unit}"
        if value >= 100
        else f"{value:.1f}{unit}"
        if value >= 10
        else f"{value:.2f}{unit}"
    )


def result_table(result: Result) -> str:
    lines = [
        f"### Speed-up {result.speed_up:g}: {result.jobs:,} jobs ({result.lab_minutes:.1f} "
        f"lab-minutes in {result.wall_seconds:.0f} s), {result.web_workers} web workers, "
        f"{result.trackers} trackers, {result.spoolers} spoolers, 1 webhook worker",
        "",
        "| endpoint | requests | errors | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, samples in result.by_endpoint().items():
        latencies = [s.latency_ms for s in samples]
        errors = sum(1 for s in samples if not s.ok)
        lines.append(
            f"| {name} | {len(samples):,} | {errors} | {fmt(percentile(latencies, 0.5))} | "
            f"{fmt(percentile(latencies, 0.95))} | {fmt(percentile(latencies, 0.99))} |"
        )
    lines += ["", "| lag | count | p50 s | p99 s | limit |", "|---|---:|---:|---:|---:|"]
    for lag, limit in (
        ("tracker", TRACKER_LAG_P99_S),
        ("print", PRINT_LAG_P99_S),
        ("webhook", WEBHOOK_LAG_P99_S),
    ):
        values = result.lags[lag]
        lines.append(
            f"| {lag} | {len(values):,} | {fmt(percentile(values, 0.5))} | "
            f"{fmt(percentile(values, 0.99))} | {limit:g} |"
        )
    total_cpu = sum(result.cpu.values())
    per_group = ", ".join(
        f"{name} {1000 * seconds / result.jobs:.0f} ms ({seconds / result.wall_seconds:.2f} CPUs)"
        for name, seconds in result.cpu.items()
    )
    lines += [
        "",
        f"CPU per job {1000 * total_cpu / result.jobs:.0f} ms: {per_group}.",
        f"Database: {result.locks}. Load generator: sends left at most "
        f"{1000 * result.late_p99:.0f} ms late (p99), {result.most_in_flight} requests in "
        f"flight at most; it and the receivers used {result.load_cpu / result.wall_seconds:.2f} "
        "CPUs.",
    ]
    hit = result.limits_hit()
    lines.append("All limits met." if not hit else "Limits missed: " + "; ".join(hit) + ".")
    if result.discrepancies:
        lines.append(f"**{len(result.discrepancies)} discrepancies**, first ones:")
        lines += [f"- {problem}" for problem in result.discrepancies[:10]]
    else:
        lines.append("Database and receivers checked: no discrepancy.")
    errors = [s for s in result.samples if not s.ok]
    if errors:
        shown = Counter(f"{s.endpoint} {s.status} {s.note[:120]}" for s in errors)
        lines.append("Failed requests: " + "; ".join(f"{n} x {t}" for t, n in shown.most_common(5)))
    return "\n".join(lines) + "\n"


def write_results(text: str) -> None:
    current = RESULTS_FILE.read_text()
    block = f"{RESULTS_BEGIN}\n{text.strip()}\n{RESULTS_END}"
    if RESULTS_BEGIN in current:
        head, rest = current.split(RESULTS_BEGIN, 1)
        current = head + block + rest.split(RESULTS_END, 1)[1]
    else:
        current = current.rstrip() + "\n\n## A lab's busiest day (lab_day.py)\n\n" + block + "\n"
    RESULTS_FILE.write_text(current)


# --- main -----------------------------------------------------------------------------------


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", default="", help="the PostgreSQL server (or DATABASE_URL)"
    )
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--keep", action="store_true", help="keep the database and the logs")
    parser.add_argument("--speed-up", type=float, default=10.0)
    parser.add_argument("--search", default="", help="speed-ups to run, e.g. 5,10,15,20")
    parser.add_argument(
        "--lab-minutes",
        type=float,
        default=60.0,
        help="of the busiest hour to replay (default: all of it)",
    )
    parser.add_argument("--jobs", type=int, default=0, help="a number of jobs instead")
    parser.add_argument(
        "--step-seconds", type=float, default=30.0, help="lab seconds between a job's steps"
    )
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--trackers", type=int, default=2)
    parser.add_argument("--spoolers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=20_000)
    parser.add_argument("--scaling", action="store_true", help="1 against 2 trackers and spoolers")
    parser.add_argument(
        "--scaling-only", action="store_true", help="the scaling drains without a replay"
    )
    parser.add_argument("--scaling-completions", type=int, default=3000)
    parser.add_argument("--scaling-tickets", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3, help="drains of each scaling setup")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="CI: 200 jobs at 10x (steps every 10 lab-s), fails on any error or discrepancy",
    )
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.jobs, args.speed_up, args.step_seconds, args.search = 200, 10.0, 10.0, ""
        if args.database == DEFAULT_DATABASE:
            args.database = DEFAULT_DATABASE + "_smoke"
    return args


def main() -> int:
    args = parse_args()
    started = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    speed_ups = [float(v) for v in args.search.split(",")] if args.search else [args.speed_up]
    if args.scaling_only:
        args.scaling, speed_ups = True, []
    sections = []
    results = []
    with Lab(args) as lab:
        for speed_up in speed_ups:
            result = replay(
                lab,
                speed_up=speed_up,
                lab_minutes=args.lab_minutes,
                jobs_count=args.jobs,
                web_workers=args.web_workers,
                trackers=args.trackers,
                spoolers=args.spoolers,
                step_seconds=args.step_seconds,
                seed=args.seed,
            )
            results.append(result)
            section = result_table(result)
            say(section)
            sections.append(section)
        scaled = scaling(lab, args) if args.scaling else ""
        if scaled:
            say(scaled)
        described = machine(lab)
    command = " ".join(["bench/lab_day.py", *sys.argv[1:]])
    text = [f"Run {started}: {described}.", "", f"Command: `{command}`.", ""]
    if not args.smoke and len(results) > 1:
        met = [r.speed_up for r in results if r.sustained]
        text.append(
            f"Highest speed-up with every limit met: **{max(met):g}x**"
            if met
            else "**No speed-up run met every limit.**"
        )
        text.append("")
    text += sections
    if scaled:
        text += ["### Scaling out (a backlog drained by one, then two workers)", "", scaled]
    report = "\n".join(text)
    if args.write_results:
        write_results(report)
    bad = [r for r in results if r.discrepancies or (args.smoke and (r.errors or r.crashed))]
    if bad:
        say(
            f"lab_day: FAILED: {sum(len(r.discrepancies) for r in bad)} discrepancies, "
            f"{sum(r.errors for r in bad)} failed requests"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

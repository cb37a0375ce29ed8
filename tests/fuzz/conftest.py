"""A real labsite for black-box tests: gunicorn serving a database of its own, seeded.

The server runs as deployed (DEBUG off, a throwaway secret key), on a free port of 127.0.0.1,
against a throwaway database: a SQLite file in a temporary folder, or, when the suite runs on
PostgreSQL (DATABASE_URL), a database created beside the test database and dropped at the end.
The suite's own test database is not involved: the server is another process.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_DEADLINE = 60.0  # seconds; reached only when something is broken

# Creates the user the black-box tests act as: a superuser (every right), with an API key.
# Printed last, on a line of its own, so the fixture can read it back.
# Also prints, as JSON, identifiers of records the demo data holds, for tests that must reach
# past "not found".
MAKE_KEY = """
import json
from django.contrib.auth.models import User
from accounts.models import ApiKey
from orders.models import DeleteReason, Order, OrderItemEndpoint
from printing.models import Printer
from orders.models import Station
user = User.objects.create_superuser("fuzz", "fuzz@example.invalid", None)
_, raw_key = ApiKey.issue(user=user, name="black-box tests")
endpoint = OrderItemEndpoint.objects.select_related("item__order").order_by("id").first()
records = {
    "order_number": str(Order.objects.order_by("number").values_list("number", flat=True)[0]),
    "order_id": str(endpoint.item.order.public_id),
    "item_id": str(endpoint.item_id),
    "endpoint_name": endpoint.name,
    "delete_reason": DeleteReason.objects.order_by("code").values_list("code", flat=True)[0],
    "station": Station.objects.order_by("code").values_list("code", flat=True)[0],
    "printer": Printer.objects.order_by("name").values_list("name", flat=True)[0],
}
print("RECORDS", json.dumps(records))
print("KEY", raw_key)
"""


@dataclass
class ServedLabsite:
    base_url: str
    api_key: str
    log_path: Path
    records: dict[str, str]  # identifiers of seeded records (see MAKE_KEY)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_url(database_url: str, name: str) -> str:
    parts = urlsplit(database_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def admin_connection(database_url: str):
    import psycopg

    parts = urlsplit(server_url(database_url, "postgres"))
    return psycopg.connect(urlunsplit(("postgresql", *parts[1:])), autocommit=True)


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


def wait_until_serving(url: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own server
                return
        except urllib.error.HTTPError:
            return  # it answers: that is all this waits for
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer {url} within {START_DEADLINE:.0f} s")


@pytest.fixture(scope="session")
def served_labsite():
    """gunicorn on a seeded throwaway database; yields its URL and a superuser's API key."""
    workdir = Path(tempfile.mkdtemp(prefix="labsite-served-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "labsite.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on loopback: no redirect to HTTPS, no secure-only cookies.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "LABSITE_DATA_DIR": str(workdir / "data"),
        "PRINT_SPOOL_ROOT": str(workdir / "data" / "spool"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    suite_database = os.environ.get("DATABASE_URL", "")
    database_name = None
    if suite_database.startswith(("postgres://", "postgresql://", "pgsql://")):
        database_name = f"labsite_served_{os.getpid()}"
        with admin_connection(suite_database) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{database_name}"')
        env["DATABASE_URL"] = server_url(suite_database, database_name)
    else:
        env.pop("DATABASE_URL", None)

    process = None
    log_path = workdir / "gunicorn.log"
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        lines = manage(env, "shell", "-c", MAKE_KEY).splitlines()
        api_key = next(line.split(" ", 1)[1] for line in lines if line.startswith("KEY "))
        records = json.loads(
            next(line.split(" ", 1)[1] for line in lines if line.startswith("RECORDS "))
        )
        port = free_port()
        with log_path.open("wb") as log:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "labsite.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "60",
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base_url = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base_url}/api/schema/", process, log_path)
        yield ServedLabsite(base_url=base_url, api_key=api_key, log_path=log_path, records=records)
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if database_name is not None:
            with admin_connection(suite_database) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)

"""Real labsite servers for black-box tests: gunicorn processes on a database of their own.

``served_database()`` makes a throwaway database (a SQLite file in a temporary folder, or, when
the suite runs on PostgreSQL (DATABASE_URL), a database created beside the test database and
dropped at the end), migrated and seeded with the demo data; it yields the environment a
process needs to use it. ``serve(env, workers=...)`` runs gunicorn on it, as deployed (its
production configuration, DEBUG off, a throwaway secret key), on a free port of 127.0.0.1.
Several servers may share one database: they are separate processes, as a production host's
web workers are. The suite's own test database is not involved.

What the servers and ``manage()``'s scripts log goes to files in the run's log folder
(``log_path``), which outlive the throwaway database: the run's end searches them for the keys,
tokens and passwords of the run, those the scripts made included (``tests.log_secrets``).
"""

import contextlib
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests import log_secrets

PROJECT_ROOT = Path(__file__).resolve().parents[1]
START_DEADLINE = 60.0  # seconds; reached only when something is broken


@dataclass
class Server:
    base_url: str
    log_path: Path

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


def log_path(name: str) -> Path:
    """A new log file for a process the tests start, where the run's end searches it for
    secrets (``tests.log_secrets``); a temporary one outside a test run."""
    folder = log_secrets.logs_folder()
    handle, path = tempfile.mkstemp(prefix=f"{name}-", suffix=".log", dir=folder)
    os.close(handle)
    return Path(path)


def manage(env: dict, *args: str) -> str:
    """Run ``manage.py`` with ``args`` in ``env``; its standard output. What it logs (its
    standard error) is kept in a log file."""
    errors = log_path(f"manage-{args[0]}")
    with errors.open("wb") as log:
        result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
            [sys.executable, "manage.py", *args],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            timeout=300,
            check=False,
        )
    assert result.returncode == 0, (
        f"manage.py {' '.join(args)} failed:\n{errors.read_text(errors='replace')}"
    )
    if not errors.stat().st_size:
        errors.unlink()  # nothing logged: nothing to search, nor to list
    return result.stdout


def wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own server
                return
        except urllib.error.HTTPError:
            return  # it answers: that is all this waits for
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"gunicorn did not answer {url} within {START_DEADLINE:.0f} s")


@contextlib.contextmanager
def served_database() -> Iterator[dict[str, str]]:
    """A migrated, seeded throwaway database; yields the environment of a process using it."""
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
        database_name = f"labsite_served_{os.getpid()}_{secrets.token_hex(3)}"
        with admin_connection(suite_database) as admin:
            admin.execute(f'CREATE DATABASE "{database_name}"')
        env["DATABASE_URL"] = server_url(suite_database, database_name)
    else:
        env.pop("DATABASE_URL", None)
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo")
        yield env
    finally:
        if database_name is not None:
            with admin_connection(suite_database) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def serve(env: dict[str, str], *, workers: int) -> Iterator[Server]:
    """gunicorn with ``workers`` workers on the database of ``env``, until the block ends."""
    port = free_port()
    log = log_path(f"gunicorn-{port}")
    process = None
    try:
        with log.open("wb") as output:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and gunicorn
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config",
                    "python:labsite.gunicorn_conf",
                    "labsite.wsgi",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(workers),
                    "--timeout",
                    "60",
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        base_url = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base_url}/api/schema/", process, log)
        yield Server(base_url=base_url, log_path=log)
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

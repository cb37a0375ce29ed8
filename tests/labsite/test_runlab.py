"""`manage.py runlab` end to end, as `./dev run` uses it: a fresh data directory is migrated
and seeded, then a real HTTP server answers the v2 API and the admin while the Job Tracker,
the print spooler and the webhook worker run beside it (each has written its heartbeat), and
SIGTERM stops them all and the gunicorn processes."""

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import closing
from pathlib import Path

from django.conf import settings

import pytest

from printing.services import SPOOLER
from tracker.services import TRACKER
from webhooks.services import WEBHOOKS

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="about the embedded SQLite default"
)

# The whole test, from an empty data directory to a stopped server, stays within this. It took
# about 20 s on a two-core machine busy with other test runs, most of it the migrations of an
# empty database (about 11 s alone: Django re-renders the order model's web of related models
# for each of the orders app's field operations).
BUDGET_SECONDS = 45
# A clean stop: runlab's SIGTERM handler stops gunicorn gracefully, well before runlab's own
# 15 s fallback would kill it.
STOP_SECONDS = 5
POLL_SECONDS = 0.1


class Deadline:
    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(self.at - time.monotonic(), 0.0)

    def passed(self) -> bool:
        return self.remaining() == 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def development_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS"}
    }
    return env | {"DEBUG": "1", "LABSITE_DATA_DIR": str(data_dir)}


def manage(*args: str, env: dict[str, str], deadline: Deadline) -> str:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=deadline.remaining(),
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stderr}"
    return result.stdout


def children_of(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # exited meanwhile
            if int(fields[1]) == pid:
                children.append(int(entry.name))
    return children


def descendants_of(pid: int) -> list[int]:
    found = []
    for child in children_of(pid):
        found += [child, *descendants_of(child)]
    return found


def is_running(pid: int) -> bool:
    """True unless the process is gone or a zombie (exited, not yet reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def get(url: str, *, headers: dict[str, str] | None = None, timeout: float = 5):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status, response.headers, response.read()


def heartbeats(database: Path) -> dict[str, int]:
    """The pid of each kind of worker that has written a heartbeat, read from the database
    beside the running processes."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
        return dict(db.execute("SELECT kind, pid FROM toolkit_workerheartbeat"))


def wait_for_workers(
    kinds: set[str], runlab: subprocess.Popen, database: Path, deadline: Deadline, log: Path
) -> dict[str, int]:
    """The pid of each worker of ``kinds``, once each has written its heartbeat."""
    beating: dict[str, int] = {}
    while not deadline.passed():
        assert runlab.poll() is None, f"runlab exited early:\n{log.read_text()}"
        beating = heartbeats(database)
        if kinds <= beating.keys():
            return beating
        time.sleep(POLL_SECONDS)
    pytest.fail(f"only {sorted(beating)} of {sorted(kinds)} beat in time:\n{log.read_text()}")


def wait_until_answering(url: str, server: subprocess.Popen, deadline: Deadline, log: Path):
    while not deadline.passed():
        assert server.poll() is None, f"runlab exited early:\n{log.read_text()}"
        try:
            get(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answered, if not with 200
        except OSError:
            time.sleep(POLL_SECONDS)
    pytest.fail(f"runlab did not answer at {url} in time:\n{log.read_text()}")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds gunicorn through /proc")
def test_runlab_serves_the_api_and_the_admin_and_stops_on_sigterm(tmp_path):
    deadline = Deadline(BUDGET_SECONDS)
    data_dir = tmp_path / "data"
    env = development_env(data_dir)

    manage("migrate", "--noinput", env=env, deadline=deadline)
    seeded = manage("seed_demo", env=env, deadline=deadline)
    api_key = re.search(r"API key\s*:\s*(lab_\S+)", seeded).group(1)
    assert (data_dir / "labsite.sqlite3").exists()

    bind = f"127.0.0.1:{free_port()}"
    base = f"http://{bind}"
    log = tmp_path / "runlab.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "runlab", "--bind", bind, "--workers", "1"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    gunicorn: list[int] = []
    try:
        wait_until_answering(f"{base}/admin/login/", server, deadline, log)
        gunicorn = descendants_of(server.pid)
        assert gunicorn, "runlab should run gunicorn as a child process"
        # The Job Tracker, the spooler and the webhook worker run as runlab's own children.
        database = data_dir / "labsite.sqlite3"
        workers = wait_for_workers({TRACKER, SPOOLER, WEBHOOKS}, server, database, deadline, log)
        assert set(workers.values()) <= set(children_of(server.pid)), workers

        status, _, body = get(
            f"{base}/api/v2/orders/20001", headers={"Authorization": f"Token {api_key}"}
        )
        assert status == 200
        assert json.loads(body)["orderNumber"] == "20001"

        # A partner's key in the query string is not written to the access log.
        secret = "partner-billing-key-" + "7" * 20
        with pytest.raises(urllib.error.HTTPError) as refused:
            get(f"{base}/api/orderCancel?orderId=20001&recipeid=r1&partnerBillingKey={secret}")
        assert refused.value.code == 401  # a wrong pair: the partner is unknown

        status, headers, body = get(f"{base}/admin/login/")
        assert status == 200
        assert headers["Content-Type"].startswith("text/html")
        assert b"<form" in body

        server.send_signal(signal.SIGTERM)
        stop = Deadline(min(STOP_SECONDS, deadline.remaining()))
        exit_code = server.wait(timeout=stop.remaining())
        while any(map(is_running, gunicorn)) and not stop.passed():
            time.sleep(POLL_SECONDS)

        assert exit_code == 0, log.read_text()
        written = log.read_text()
        assert secret not in written
        redacted = "GET /api/orderCancel?orderId=20001&recipeid=r1&partnerBillingKey=[redacted]"
        assert redacted in written
        assert not [pid for pid in gunicorn if is_running(pid)], "gunicorn outlived runlab"
        assert not [kind for kind, pid in workers.items() if is_running(pid)], (
            "a worker outlived runlab"
        )
    finally:
        # After a failure: stop what this test started, by process id.
        for pid in [*descendants_of(server.pid), *gunicorn]:
            if is_running(pid):
                os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
            server.wait()

"""The print spooler on PostgreSQL: real ``manage.py run_spooler`` processes, real row locks.

* A spooler killed with SIGKILL in the middle of a send loses no ticket: its job stays
  "sending" until its heartbeat is older than PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS, then the
  next spooler reclaims it and sends it; every job ends done.
* Two spoolers drain one queue together, each job claimed and sent exactly once.

The spoolers are subprocesses started like in production against the test database. To kill
a spooler surely *inside* its send, its printer is a TCP listener that does not accept while
its accept queue is full: the kernel drops the spooler's connection attempts, so the spooler
sits in the driver's ``connect`` (for up to the driver's connect timeout) until the test,
which sees the attempt in /proc/net/tcp (state SYN_SENT), kills it. A slow *reader* could not
hold it: a 5 kB ticket fits in the loopback socket buffers, so ``sendall`` returns at once.

SQLite has no row locks and no concurrent writers, so these tests are skipped there.
"""

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import pytest

from printing.models import Driver, PrintJob, PrintStatus
from printing.services import SPOOLER
from tests.concurrency import database_url
from toolkit.models import WorkerHeartbeat

from .conftest import DEADLINE, is_complete_pdf, pdf_title, wait_until

# serialized_rollback: the flush that ends a transactional test would otherwise also remove
# workstation 00 and the rights groups that data migrations created, for every later test.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROJECT_ROOT = Path(settings.BASE_DIR)
SYN_SENT = "02"


def connecting_to(port: int) -> bool:
    """Whether some local socket is stuck connecting to 127.0.0.1:port (Linux)."""
    wanted = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as table:
        next(table)
        return any(
            fields[2] == wanted and fields[3] == SYN_SENT
            for fields in (line.split() for line in table)
        )


def fetch(job: PrintJob) -> PrintJob:
    return PrintJob.objects.get(pk=job.pk)


@dataclass
class Spooler:
    process: subprocess.Popen
    output: Path

    def log(self) -> str:
        return self.output.read_text(errors="replace")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(DEADLINE)

    def stop(self) -> None:
        """SIGTERM: finish the current job, remove the heartbeat, exit 0."""
        self.process.send_signal(signal.SIGTERM)
        assert self.process.wait(DEADLINE) == 0, self.log()


class Spoolers:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.started: list[Spooler] = []

    def env(self, **extra) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DEBUG": "1",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def start(self, *args: str, **env) -> Spooler:
        output = self.workdir / f"spooler-{len(self.started) + 1}.log"
        with output.open("wb") as sink:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
                [sys.executable, "manage.py", "run_spooler", *args],
                cwd=PROJECT_ROOT,
                env=self.env(**env),
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        spooler = Spooler(process, output)
        self.started.append(spooler)
        return spooler

    def run_once(self, **env) -> str:
        spooler = self.start("--once", **env)
        assert spooler.process.wait(DEADLINE * 2) == 0, spooler.log()
        return spooler.log()

    def stop_all(self) -> None:
        for spooler in self.started:
            if spooler.process.poll() is None:
                spooler.kill()


@pytest.fixture
def spoolers(db, tmp_path):
    """Starts ``manage.py run_spooler`` processes; none outlives the test (nor its data)."""
    workdir = tmp_path / "spoolers"
    workdir.mkdir()
    started = Spoolers(workdir)
    yield started
    started.stop_all()


@pytest.fixture
def linux_tcp_table():
    if not Path("/proc/net/tcp").exists():
        pytest.skip("needs Linux's /proc/net/tcp to see a connection attempt in progress")


def test_a_spooler_killed_mid_send_loses_no_ticket(
    make_order, add_printer, queue_job, tcp_printer, spoolers, linux_tcp_table
):
    listener = tcp_printer(mode="stalled", backlog=0)
    listener.fill_backlog()
    add_printer("Raw TCP", driver=Driver.SOCKET, host="127.0.0.1", port=listener.port)
    orders = [make_order() for _ in range(3)]
    jobs = [queue_job(order) for order in orders]
    first = jobs[0]

    spooler = spoolers.start("--idle-seconds", "0.05")
    wait_until(
        lambda: fetch(first).status == PrintStatus.SENDING and connecting_to(listener.port),
        what="the spooler to be connecting to the printer",
    )
    spooler.kill()
    assert spooler.process.returncode == -signal.SIGKILL

    # What the killed spooler left: its claim, and nothing recorded after it.
    first = fetch(first)
    assert (first.status, first.attempts) == (PrintStatus.SENDING, 1), spooler.log()
    assert first.claimed_by.startswith(f"{SPOOLER}-")
    # The rest of its batch was claimed with the first and never sent: it waits for the
    # heartbeat window like the first.
    assert [(fetch(job).status, fetch(job).attempts) for job in jobs[1:]] == [
        (PrintStatus.SENDING, 1)
    ] * 2

    # The printer comes back; the killed spooler's heartbeat grows older than the window.
    listener.release()
    wait_until(lambda: listener.connections, what="the printer to accept its queued connection")
    timeout = 0.5
    wait_until(
        lambda: all(
            timezone.now() - fetch(job).claimed_at > timedelta(seconds=timeout) for job in jobs
        ),
        what="the abandoned claim to grow old",
    )
    assert timezone.now() - WorkerHeartbeat.objects.get(worker_id=first.claimed_by).beat_at > (
        timedelta(seconds=timeout)
    )
    spoolers.run_once(PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS=str(timeout))

    done = [fetch(job) for job in jobs]
    assert [job.status for job in done] == [PrintStatus.DONE] * 3
    assert [job.attempts for job in done] == [2, 2, 2]
    assert done[0].claimed_by != first.claimed_by  # reclaimed by the new spooler
    assert not PrintJob.objects.filter(status=PrintStatus.SENDING).exists()
    received = listener.close()
    assert all(is_complete_pdf(document) for document in received)
    # The killed spooler never got through, so here at-least-once is exactly once.
    assert sorted(pdf_title(document) for document in received) == sorted(
        f"Work ticket {order.number}" for order in orders
    )


def test_a_recent_claim_is_not_taken_from_a_live_spooler(
    make_order, spool_printer, queue_job, spoolers
):
    """A spooler started with a long heartbeat window leaves a fresh claim alone."""
    job = queue_job(make_order())
    PrintJob.objects.filter(pk=job.pk).update(
        status=PrintStatus.SENDING, claimed_by="busy-spooler", claimed_at=timezone.now(), attempts=1
    )
    spoolers.run_once(PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS="3600")
    job = fetch(job)
    assert (job.status, job.claimed_by) == (PrintStatus.SENDING, "busy-spooler")


def test_a_live_spooler_stuck_in_a_send_keeps_beating_and_keeps_its_job(
    make_order, add_printer, queue_job, tcp_printer, spoolers, linux_tcp_table
):
    """Its steps never wait for a printer, so its heartbeat stays fresh however long a send
    takes, and a spooler with a short heartbeat window takes nothing from it."""
    listener = tcp_printer(mode="stalled", backlog=0)
    listener.fill_backlog()
    add_printer("Raw TCP", driver=Driver.SOCKET, host="127.0.0.1", port=listener.port)
    job = queue_job(make_order())

    stuck = spoolers.start("--idle-seconds", "0.05", "--heartbeat-seconds", "0.2")
    wait_until(lambda: connecting_to(listener.port), what="the spooler to be connecting")
    claimer = fetch(job).claimed_by
    window = 1.0
    wait_until(
        lambda: timezone.now() - fetch(job).claimed_at > timedelta(seconds=window * 2),
        what="the claim to outlive two heartbeat windows",
    )
    spoolers.run_once(PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS=str(window))
    # Not taken over. (On a slow machine the 5 s connect may have timed out by now: the job
    # is then back in the queue for a retry by its own spooler, still not the other's.)
    assert (fetch(job).claimed_by, fetch(job).attempts) == (claimer, 1)

    listener.release()
    wait_until(lambda: fetch(job).status == PrintStatus.DONE, what="the send to get through")
    stuck.stop()
    assert fetch(job).claimed_by == claimer
    assert len(listener.close()) == 1


@pytest.mark.parametrize("driver", [Driver.SPOOL, Driver.SOCKET])
def test_two_spoolers_send_each_job_exactly_once(
    make_order, add_printer, queue_job, tcp_printer, spoolers, tmp_path, driver
):
    jobs_count = 40
    folder = tmp_path / "spool"
    listener = tcp_printer()
    add_printer("Shared", driver=driver, folder=str(folder), host="127.0.0.1", port=listener.port)
    orders = [make_order() for _ in range(jobs_count)]

    # Both spoolers are up and polling before the first job exists.
    running = [spoolers.start("--idle-seconds", "0.02") for _ in range(2)]
    wait_until(
        lambda: WorkerHeartbeat.objects.filter(kind=SPOOLER).count() == 2,
        what="both spoolers to report",
    )
    workers = set(WorkerHeartbeat.objects.filter(kind=SPOOLER).values_list("worker_id", flat=True))
    with transaction.atomic():
        jobs = [queue_job(order) for order in orders]

    wait_until(
        lambda: not PrintJob.objects.exclude(status=PrintStatus.DONE).exists(),
        what=f"{jobs_count} jobs to be done",
    )
    for spooler in running:
        spooler.stop()

    done = [fetch(job) for job in jobs]
    # Each job was claimed once (a claim is the only way to a send) and recorded done once.
    assert {job.attempts for job in done} == {1}
    assert {job.claimed_by for job in done} <= workers
    if driver == Driver.SPOOL:
        files = sorted(path.name for path in folder.iterdir())
        assert files == sorted(f"order-{job.order.number}-job-{job.pk}.pdf" for job in done)
        assert all(is_complete_pdf(Path(job.reference).read_bytes()) for job in done)
    else:
        received = listener.close()
        assert len(received) == jobs_count  # one copy per job, none twice
        assert sorted(pdf_title(document) for document in received) == sorted(
            f"Work ticket {order.number}" for order in orders
        )
    assert not WorkerHeartbeat.objects.filter(kind=SPOOLER).exists()  # clean exits

"""A printer that does not answer holds up only its own jobs, and a spooler that dies mid-batch
prints again only what it had not recorded.

The dead printer is real TCP: a listener whose accept queue is full (``TcpPrinter`` "stalled"
with its backlog filled), so the kernel drops the spooler's connection attempts and the socket
driver sits in ``connect`` for its full timeout (5 s) per ticket, as with a printer switched off
behind a switch. The healthy printers are a spool folder and a TCP listener that reads.
"""

import time
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

import pytest

from printing.models import Driver, PrintJob, PrintStatus
from printing.services import SPOOLER, Spooler, process_jobs
from toolkit.models import WorkerHeartbeat

from .conftest import wait_until

BATCH = 25


def fetch(job: PrintJob) -> PrintJob:
    return PrintJob.objects.get(pk=job.pk)


@pytest.fixture
def dead_printer(add_printer, tcp_printer):
    listener = tcp_printer(mode="stalled", backlog=0)
    listener.fill_backlog()
    add_printer("Switched off", driver=Driver.SOCKET, host="127.0.0.1", port=listener.port, lpt=2)
    yield listener
    listener.release()  # lets the connections still trying through, so teardown is quick


@pytest.fixture
def spooler():
    spooler = Spooler(worker="spooler-test")
    yield spooler
    spooler.close()


def written_within(path: Path, seconds: float, started: float) -> float:
    wait_until(path.exists, what=f"{path.name} to be written", deadline=seconds)
    elapsed = time.monotonic() - started
    assert elapsed < seconds
    return elapsed


def test_a_printer_that_never_answers_does_not_hold_up_a_healthy_one(
    make_order, spool_printer, dead_printer, queue_job, spooler
):
    stuck = [queue_job(make_order(), lpt=2) for _ in range(6)]  # 6 x 5 s of connect timeouts
    healthy = queue_job(make_order(), lpt=1)  # claimed last, in the same batch
    folder = Path(spool_printer.folder)

    started = time.monotonic()
    spooler.step(BATCH)
    written_within(folder / f"order-{healthy.order.number}-job-{healthy.pk}.pdf", 2, started)
    wait_until(lambda: spooler.step(BATCH) or fetch(healthy).status == PrintStatus.DONE,
               what="the healthy ticket to be recorded", deadline=2)  # fmt: skip

    # A ticket queued while the dead printer still holds its first connection goes out too.
    later = queue_job(make_order(), lpt=1)
    started = time.monotonic()
    spooler.step(BATCH)
    written_within(folder / f"order-{later.order.number}-job-{later.pk}.pdf", 2, started)
    assert [fetch(job).status for job in stuck] == [PrintStatus.SENDING] * 6

    # The printer comes back: its own tickets follow, in claim order, each once.
    dead_printer.release()
    spooler.drain()
    assert [fetch(job).status for job in stuck] == [PrintStatus.DONE] * 6
    assert len(dead_printer.close()) == 6


def test_a_spooler_killed_mid_batch_does_not_resend_what_it_recorded(
    make_order, tcp_printer, add_printer, dead_printer, queue_job, spooler, settings
):
    settings.PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS = 10
    healthy = tcp_printer()
    add_printer("Reading", driver=Driver.SOCKET, host="127.0.0.1", port=healthy.port, lpt=1)
    sent = [queue_job(make_order(), lpt=1) for _ in range(2)]
    unsent = queue_job(make_order(), lpt=2)
    WorkerHeartbeat.objects.create(worker_id=spooler.worker, kind=SPOOLER, beat_at=timezone.now())

    # The spooler records each send as it ends, while the dead printer holds the batch's
    # last ticket ...
    spooler.step(BATCH)
    wait_until(
        lambda: spooler.step(BATCH) == 0 and all(fetch(j).status == PrintStatus.DONE for j in sent),
        what="the healthy tickets to be recorded",
        deadline=2,
    )
    assert fetch(unsent).status == PrintStatus.SENDING

    # ... and is killed: it steps no more; its heartbeat and claim are 11 s old.
    long_ago = timezone.now() - timedelta(seconds=11)
    WorkerHeartbeat.objects.filter(worker_id=spooler.worker).update(beat_at=long_ago)
    PrintJob.objects.filter(pk=unsent.pk).update(claimed_at=long_ago)
    dead_printer.release()

    # The next spooler takes over the one ticket it had not recorded, and only that one.
    assert process_jobs(worker="next-spooler", batch_size=BATCH) == 1
    taken_over = fetch(unsent)
    assert (taken_over.status, taken_over.claimed_by, taken_over.attempts) == (
        PrintStatus.DONE,
        "next-spooler",
        2,
    )
    assert [fetch(job).claimed_by for job in sent] == [spooler.worker] * 2
    assert len(healthy.close()) == 2  # each healthy ticket printed once

    # What the killed spooler still had in flight records nothing over the new claim.
    spooler.close()
    assert fetch(unsent).claimed_by == "next-spooler"


def test_a_stopping_spooler_gives_back_what_it_has_not_started_sending(
    make_order, dead_printer, queue_job, spooler
):
    """SIGTERM waits for the send under way, not for a dead printer's whole queue."""
    first, *waiting = (queue_job(make_order(), lpt=2) for _ in range(3))
    spooler.step(BATCH)
    wait_until(lambda: fetch(first).claimed_by, what="the claim")
    dead_printer.release()  # the send under way gets through

    assert spooler.stop() == 1

    assert fetch(first).status == PrintStatus.DONE
    assert [(fetch(job).status, fetch(job).attempts) for job in waiting] == [
        (PrintStatus.QUEUED, 0)
    ] * 2
    assert len(dead_printer.close()) == 1

"""The spooler's claim / send / record cycle, in process, on SQLite and PostgreSQL alike.

Printers are real: a spool folder under tmp_path, or a TCP listener on 127.0.0.1. Where time
has to pass (a retry falling due, a claim growing old), the test moves the job's timestamps
into the past instead of waiting.
"""

import io
import signal
import threading
from datetime import timedelta
from pathlib import Path

from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from orders.models import LabSettings
from orders.services import cancel_order
from printing import services
from printing.models import Driver, PrintJob, PrintStatus
from printing.services import SPOOLER, claim_jobs, process_jobs, queue_ticket, retry_job
from toolkit.models import WorkerHeartbeat

from .conftest import is_complete_pdf, pdf_title

WORKER = "spooler-test"
TX = {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"}


def step(**options) -> int:
    """One spooler step of one job, as ``run_spooler --batch-size 1`` runs it."""
    return process_jobs(worker=WORKER, batch_size=1, **options)


def drain(**options) -> int:
    """Run spooler steps until there is nothing due; how many jobs were handled."""
    handled = 0
    while step(**options):
        handled += 1
        assert handled < 1000, "the spooler does not stop"
    return handled


def fetch(job: PrintJob) -> PrintJob:
    return PrintJob.objects.get(pk=job.pk)


def make_due(job: PrintJob) -> None:
    """Let the retry delay pass."""
    PrintJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())


@pytest.fixture
def tcp_socket_printer(add_printer, tcp_printer):
    listener = tcp_printer()
    printer = add_printer("Raw TCP", driver=Driver.SOCKET, host="127.0.0.1", port=listener.port)
    return listener, printer


@pytest.fixture
def refusing_printer(add_printer, refusing_port):
    return add_printer("Unplugged", driver=Driver.SOCKET, host="127.0.0.1", port=refusing_port)


@pytest.fixture
def in_process(monkeypatch):
    """Run the spooler command inside the test.

    The worker loop drops stale connections before each step, and the test's connection,
    inside the test's transaction, looks stale to Django: keep it (the test client does the
    same around requests). run_spooler takes SIGTERM and SIGINT: give them back to pytest.
    """
    monkeypatch.setattr("toolkit.workers.close_old_connections", lambda: None)
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


# --- the happy path ---------------------------------------------------------------------------


def test_a_queued_job_is_claimed_sent_to_the_spool_folder_and_done(
    make_order, spool_printer, queue_job
):
    order = make_order(tray="12")
    job = queue_job(order)
    assert job.status == PrintStatus.QUEUED

    before = timezone.now()
    assert step() == 1
    job = fetch(job)
    assert job.status == PrintStatus.DONE
    assert job.attempts == 1
    assert job.claimed_by == WORKER
    assert job.last_error == ""
    assert before <= job.finished_at <= timezone.now()
    final = Path(spool_printer.folder) / f"order-{order.number}-job-{job.pk}.pdf"
    assert job.reference == str(final)
    assert is_complete_pdf(final.read_bytes())
    assert pdf_title(final.read_bytes()) == f"Work ticket {order.number}"
    assert sorted(p.name for p in final.parent.iterdir()) == [final.name]


def test_claim_marks_the_job_sending(make_order, spool_printer, queue_job):
    job = queue_job(make_order())
    [claimed] = claim_jobs(worker=WORKER)
    assert claimed.pk == job.pk
    job = fetch(job)
    assert (job.status, job.attempts, job.claimed_by) == (PrintStatus.SENDING, 1, WORKER)
    assert job.claimed_at is not None
    assert claim_jobs(worker="another") == []  # a claimed job is nobody else's


def test_jobs_are_sent_oldest_first(make_order, spool_printer, queue_job):
    jobs = [queue_job(make_order()) for _ in range(3)]
    claimed = [claim_jobs(worker=WORKER)[0].pk for _ in range(3)]
    assert claimed == [job.pk for job in jobs]


def test_a_job_not_due_yet_waits(make_order, spool_printer, queue_job):
    job = queue_job(make_order())
    PrintJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now() + timedelta(minutes=5))
    assert step() == 0
    assert fetch(job).status == PrintStatus.QUEUED


# --- failures: backoff, then failed, never lost -----------------------------------------------


def test_a_failing_printer_is_retried_with_exponential_backoff_then_failed(
    make_order, refusing_printer, queue_job, add_printer, tmp_path
):
    job = queue_job(make_order())
    base, max_attempts = 5.0, 4
    error = f"Printer 127.0.0.1:{refusing_printer.port} refused the connection"

    for attempt in range(1, max_attempts):
        before = timezone.now()
        assert step(max_attempts=max_attempts, retry_base_seconds=base) == 1
        after = timezone.now()
        job = fetch(job)
        assert job.status == PrintStatus.QUEUED
        assert job.attempts == attempt
        assert job.last_error == error
        delay = timedelta(seconds=base * 2 ** (attempt - 1))  # 5 s, 10 s, 20 s
        assert before + delay <= job.next_attempt_at <= after + delay
        assert step(max_attempts=max_attempts, retry_base_seconds=base) == 0  # not due yet
        make_due(job)

    assert step(max_attempts=max_attempts, retry_base_seconds=base) == 1
    job = fetch(job)
    assert job.status == PrintStatus.FAILED
    assert job.attempts == max_attempts
    assert job.last_error == error
    assert job.finished_at is not None
    assert step(max_attempts=max_attempts, retry_base_seconds=base) == 0  # failed stays failed

    # Not lost: a supervisor fixes the printer and retries the job; it prints.
    fixed = add_printer("Fixed", driver=Driver.SPOOL, folder=str(tmp_path / "fixed"), lpt=None)
    PrintJob.objects.filter(pk=job.pk).update(printer=fixed)
    assert retry_job(job)
    assert step() == 1
    job = fetch(job)
    assert job.status == PrintStatus.DONE
    assert Path(job.reference).is_file()


def test_backoff_and_max_attempts_come_from_the_settings(
    make_order, refusing_printer, queue_job, settings
):
    settings.PRINT_RETRY_BASE_SECONDS = 7
    settings.PRINT_MAX_ATTEMPTS = 2
    job = queue_job(make_order())
    before = timezone.now()
    step()
    job = fetch(job)
    assert job.status == PrintStatus.QUEUED
    assert job.next_attempt_at >= before + timedelta(seconds=7)
    make_due(job)
    step()
    job = fetch(job)
    assert (job.status, job.attempts) == (PrintStatus.FAILED, 2)


def test_a_failure_then_success_records_the_success(
    make_order, add_printer, tcp_printer, refusing_port, queue_job
):
    """The printer was off for the first attempt and is back for the second."""
    printer = add_printer("Flaky", driver=Driver.SOCKET, host="127.0.0.1", port=refusing_port)
    job = queue_job(make_order())
    step()
    assert fetch(job).last_error.endswith("refused the connection")

    listener = tcp_printer()
    printer.port = listener.port
    printer.save()
    make_due(job)
    step()
    job = fetch(job)
    assert (job.status, job.attempts) == (PrintStatus.DONE, 2)
    assert job.reference == f"127.0.0.1:{listener.port}"
    assert len(listener.close()) == 1


def test_a_disabled_printer_fails_the_job_with_the_reason(make_order, add_printer, queue_job):
    add_printer("Off", driver=Driver.SPOOL, folder="/nonexistent", enabled=False)
    job = queue_job(make_order())
    step(max_attempts=1)
    job = fetch(job)
    assert (job.status, job.last_error) == (PrintStatus.FAILED, "Printer Off is disabled")


# --- never twice ------------------------------------------------------------------------------


def test_a_done_job_is_never_sent_again(make_order, tcp_socket_printer, queue_job, settings):
    listener, _ = tcp_socket_printer
    job = queue_job(make_order())
    assert step() == 1
    assert fetch(job).status == PrintStatus.DONE

    settings.PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS = 0  # even a spooler that reclaims anything
    PrintJob.objects.filter(pk=job.pk).update(claimed_at=timezone.now() - timedelta(days=1))
    assert step() == 0
    assert step() == 0
    assert len(listener.close()) == 1  # the listener received nothing more


def test_a_tcp_printer_receives_exactly_one_copy_per_job(make_order, tcp_socket_printer, queue_job):
    listener, _ = tcp_socket_printer
    orders = [make_order() for _ in range(5)]
    jobs = [queue_job(order) for order in orders]
    assert drain() == 5
    assert drain() == 0
    received = listener.close()
    assert all(is_complete_pdf(document) for document in received)
    assert sorted(pdf_title(document) for document in received) == sorted(
        f"Work ticket {order.number}" for order in orders
    )
    assert all(fetch(job).status == PrintStatus.DONE for job in jobs)


def test_the_outcome_of_a_reclaimed_job_belongs_to_the_new_claim(
    make_order, spool_printer, queue_job, settings, monkeypatch
):
    """A slow spooler whose job was reclaimed does not overwrite the new owner's record."""
    job = queue_job(make_order())
    real_render = services.render_ticket

    def render_slowly(order, **kwargs):
        # While the slow spooler renders, its claim grows old and a fast one prints the job.
        monkeypatch.setattr(services, "render_ticket", real_render)
        PrintJob.objects.filter(pk=job.pk).update(claimed_at=timezone.now() - timedelta(minutes=5))
        assert process_jobs(worker="fast-spooler", batch_size=1) == 1
        return real_render(order, **kwargs)

    monkeypatch.setattr(services, "render_ticket", render_slowly)
    # The slow spooler sends again (at-least-once) but records nothing over the new claim.
    assert process_jobs(worker="slow-spooler", batch_size=1) == 1
    job = fetch(job)
    assert (job.status, job.claimed_by, job.attempts) == (PrintStatus.DONE, "fast-spooler", 2)


# --- abandoned claims -------------------------------------------------------------------------


def claim_for(job: PrintJob, worker: str, *, seconds_ago: float, beat_seconds_ago=None) -> None:
    """Leave the job claimed by ``worker`` that long ago, its last heartbeat (if any) then."""
    now = timezone.now()
    PrintJob.objects.filter(pk=job.pk).update(
        status=PrintStatus.SENDING,
        claimed_by=worker,
        claimed_at=now - timedelta(seconds=seconds_ago),
        attempts=1,
    )
    if beat_seconds_ago is not None:
        WorkerHeartbeat.objects.create(
            worker_id=worker, kind=SPOOLER, beat_at=now - timedelta(seconds=beat_seconds_ago)
        )


def test_a_job_abandoned_in_sending_is_reclaimed_and_sent(
    make_order, tcp_socket_printer, queue_job, settings
):
    listener, _ = tcp_socket_printer
    settings.PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS = 10
    job = queue_job(make_order())
    claim_for(job, "dead-spooler", seconds_ago=11)  # a spooler without any heartbeat
    assert step() == 1
    job = fetch(job)
    assert (job.status, job.claimed_by, job.attempts) == (PrintStatus.DONE, WORKER, 2)
    assert len(listener.close()) == 1


def test_a_job_claimed_by_a_spooler_whose_heartbeat_stopped_is_taken_over(
    make_order, tcp_socket_printer, queue_job, settings
):
    """Killed 11 s ago (window 10 s): its heartbeat row stays, stale; its job is taken over."""
    listener, _ = tcp_socket_printer
    settings.PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS = 10
    job = queue_job(make_order())
    claim_for(job, "killed-spooler", seconds_ago=60, beat_seconds_ago=11)
    assert step() == 1
    job = fetch(job)
    assert (job.status, job.claimed_by, job.attempts) == (PrintStatus.DONE, WORKER, 2)
    assert len(listener.close()) == 1


def test_a_fresh_claim_of_a_spooler_just_killed_waits_out_the_window(
    make_order, tcp_socket_printer, queue_job, settings
):
    listener, _ = tcp_socket_printer
    settings.PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS = 10
    job = queue_job(make_order())
    claim_for(job, "killed-spooler", seconds_ago=5, beat_seconds_ago=11)
    assert step() == 0
    assert fetch(job).claimed_by == "killed-spooler"
    assert listener.close() == []


def test_a_job_claimed_long_ago_by_a_live_spooler_is_left_to_it(
    make_order, tcp_socket_printer, queue_job, settings
):
    """However long a send takes, a spooler that keeps beating keeps its jobs."""
    listener, _ = tcp_socket_printer
    settings.PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS = 10
    job = queue_job(make_order())
    claim_for(job, "busy-spooler", seconds_ago=3600, beat_seconds_ago=1)
    assert step() == 0
    job = fetch(job)
    assert (job.status, job.claimed_by, job.attempts) == (PrintStatus.SENDING, "busy-spooler", 1)
    assert listener.close() == []


# --- cancelled orders -------------------------------------------------------------------------


def test_a_job_of_an_order_cancelled_after_queueing_is_not_printed(
    make_order, tcp_socket_printer, queue_job
):
    listener, _ = tcp_socket_printer
    order = make_order()
    job = queue_job(order)
    cancel_order(order=order, actor=None, reason_code=None)
    assert fetch(job).status == PrintStatus.CANCELLED
    assert step() == 0
    assert listener.close() == []


def test_an_order_cancelled_while_its_job_is_claimed_is_not_printed(
    make_order, spool_printer, queue_job, monkeypatch
):
    order = make_order()
    job = queue_job(order)
    real_claim = services.claim_jobs

    def claim_then_cancel(**options):
        claimed = real_claim(**options)
        cancel_order(order=order, actor=None, reason_code=None)  # leaves the sending job alone
        assert fetch(job).status == PrintStatus.SENDING
        return claimed

    monkeypatch.setattr(services, "claim_jobs", claim_then_cancel)
    assert step() == 1
    job = fetch(job)
    assert job.status == PrintStatus.CANCELLED
    assert job.finished_at is not None
    assert not Path(spool_printer.folder).exists() or not any(Path(spool_printer.folder).iterdir())


# --- the management command -------------------------------------------------------------------


def test_run_spooler_once_drains_due_jobs_and_removes_its_heartbeat(
    make_order, spool_printer, queue_job, in_process
):
    due = [queue_job(make_order()) for _ in range(3)]
    later = queue_job(make_order())
    PrintJob.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))

    out = io.StringIO()
    call_command("run_spooler", "--once", stdout=out)

    assert [fetch(job).status for job in due] == [PrintStatus.DONE] * 3
    assert fetch(later).status == PrintStatus.QUEUED
    files = sorted(p.name for p in Path(spool_printer.folder).iterdir())
    assert files == sorted(f"order-{job.order.number}-job-{job.pk}.pdf" for job in due)
    workers = {fetch(job).claimed_by for job in due}
    assert len(workers) == 1
    (worker,) = workers
    assert worker.startswith(f"{SPOOLER}-")
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"{worker} started")
    assert lines[-1] == f"{worker} stopped after 3 item(s)"
    assert not WorkerHeartbeat.objects.filter(kind=SPOOLER).exists()


def test_run_spooler_once_with_nothing_to_do(db, in_process):
    out = io.StringIO()
    call_command("run_spooler", "--once", stdout=out)
    assert out.getvalue().splitlines()[-1].endswith("stopped after 0 item(s)")
    assert not WorkerHeartbeat.objects.exists()


def test_run_spooler_once_applies_its_retry_options(
    make_order, refusing_printer, queue_job, in_process
):
    job = queue_job(make_order())
    before = timezone.now()
    call_command(
        "run_spooler", "--once", "--max-attempts", "2", "--retry-base-seconds", "30",
        stdout=io.StringIO(),
    )  # fmt: skip
    job = fetch(job)
    assert (job.status, job.attempts) == (PrintStatus.QUEUED, 1)
    assert job.next_attempt_at >= before + timedelta(seconds=30)
    make_due(job)
    call_command("run_spooler", "--once", "--max-attempts", "2", stdout=io.StringIO())
    assert fetch(job).status == PrintStatus.FAILED


# --- cost -------------------------------------------------------------------------------------


def queries_to_print(make_order, queue_job, items: int) -> list[str]:
    job = queue_job(make_order(items=items, endpoints=("surfacing", "coating")))
    with CaptureQueriesContext(connection) as queries:
        assert step() == 1
    assert fetch(job).status == PrintStatus.DONE
    return [query["sql"] for query in queries.captured_queries]


def test_a_ticket_is_printed_in_a_constant_number_of_queries(make_order, spool_printer, queue_job):
    LabSettings.load()  # created on first use: not part of printing a ticket
    one_item = queries_to_print(make_order, queue_job, items=1)
    many_items = queries_to_print(make_order, queue_job, items=20)
    assert len(many_items) == len(one_item), "\n".join(many_items)
    # claim (select + update, in a transaction or savepoint), the order with its eyes, addons,
    # items and their endpoints, the lab settings (the paper size, once per batch), the
    # outcome; the printer comes with the claim.
    statements = [sql for sql in one_item if "SAVEPOINT" not in sql and sql not in TX]
    assert len(statements) == 9, "\n".join(one_item)
    assert not any('FROM "printing_printer"' in sql for sql in statements)


# --- batches --------------------------------------------------------------------------------


def test_a_batch_reads_its_orders_once_and_sends_every_job(
    make_order, spool_printer, queue_job, tmp_path
):
    jobs = [queue_job(make_order()) for _ in range(4)]

    with CaptureQueriesContext(connection) as batch_queries:
        assert process_jobs(worker="spooler-test", batch_size=4) == 4

    assert [fetch(job).status for job in jobs] == [PrintStatus.DONE] * 4
    assert len(list((tmp_path / "spool").glob("*.pdf"))) == 4
    # claim (savepoint, select, update, release), 5 reads for the orders (with their eyes,
    # addons, items and endpoints), the lab settings
    # (the paper size) once for the batch, and each sent job recorded by an update of its own
    # as its send ends.
    assert len(batch_queries) == 4 + 5 + 1 + 4


def test_a_batch_records_each_job_with_its_own_reference_and_time(
    make_order, spool_printer, queue_job
):
    jobs = [queue_job(make_order()) for _ in range(3)]
    before = timezone.now()

    assert process_jobs(worker=WORKER, batch_size=3) == 3

    done = [fetch(job) for job in jobs]
    folder = Path(spool_printer.folder)
    assert [job.reference for job in done] == [
        str(folder / f"order-{job.order.number}-job-{job.pk}.pdf") for job in done
    ]
    finished = [job.finished_at for job in done]
    assert before <= finished[0] <= finished[1] <= finished[2] <= timezone.now()


def test_jobs_sent_before_a_batch_breaks_off_are_still_recorded(
    make_order, spool_printer, queue_job, monkeypatch
):
    first, second = (queue_job(make_order()) for _ in range(2))
    real_render = services.render_ticket
    calls = []

    def render_then_break(order, **kwargs):
        calls.append(order.pk)
        if len(calls) == 2:
            raise RuntimeError("the spooler is going down")
        return real_render(order, **kwargs)

    monkeypatch.setattr(services, "render_ticket", render_then_break)
    with pytest.raises(RuntimeError):
        process_jobs(worker="spooler-test", batch_size=2)

    assert fetch(first).status == PrintStatus.DONE
    assert fetch(second).status == PrintStatus.SENDING  # reclaimed once its claim expires


def test_recording_a_batch_leaves_a_reclaimed_job_to_its_new_owner(
    make_order, spool_printer, queue_job, settings
):
    job = queue_job(make_order())
    [slow] = claim_jobs(worker="slow-spooler")
    PrintJob.objects.filter(pk=job.pk).update(claimed_at=timezone.now() - timedelta(minutes=5))
    assert process_jobs(worker="fast-spooler", batch_size=1) == 1
    fast = fetch(job)

    # The slow spooler sent it too (at-least-once) ...
    assert not services.record_sent(slow, "sent by the slow spooler")  # ... but records it
    # over nobody's claim
    job = fetch(job)
    assert (job.status, job.claimed_by, job.reference, job.finished_at) == (
        PrintStatus.DONE,
        "fast-spooler",
        fast.reference,
        fast.finished_at,
    )


def test_a_batch_takes_no_more_printers_than_the_limit(
    make_order, spool_printer, add_printer, tmp_path, queue_job
):
    add_printer("Second", driver=Driver.SPOOL, folder=str(tmp_path / "second"), lpt=2)
    first = queue_job(make_order(), lpt=1)
    second = queue_job(make_order(), lpt=2)

    assert process_jobs(worker=WORKER, batch_size=5, max_printers=1) == 1

    assert fetch(first).status == PrintStatus.DONE
    second = fetch(second)
    assert (second.status, second.attempts, second.claimed_at) == (PrintStatus.QUEUED, 0, None)


# --- sending beside rendering -----------------------------------------------------------------


def test_a_batch_sends_its_tickets_in_claim_order_one_connection_each(
    make_order, tcp_socket_printer, queue_job
):
    listener, _ = tcp_socket_printer
    orders = [make_order() for _ in range(6)]
    jobs = [queue_job(order) for order in orders]

    assert process_jobs(worker=WORKER, batch_size=6) == 6

    received = listener.close()
    assert [pdf_title(document) for document in received] == [
        f"Work ticket {order.number}" for order in orders
    ]
    assert all(is_complete_pdf(document) for document in received)
    assert [fetch(job).status for job in jobs] == [PrintStatus.DONE] * 6


def test_a_batch_sends_off_the_main_thread_and_touches_no_database_there(
    make_order, spool_printer, queue_job, monkeypatch
):
    jobs = [queue_job(make_order()) for _ in range(3)]
    real_send = services.drivers.send
    seen = []

    def watched_send(document, printer, *, title):
        seen.append(threading.current_thread() is threading.main_thread())
        return real_send(document, printer, title=title)

    monkeypatch.setattr(services.drivers, "send", watched_send)
    with CaptureQueriesContext(connection) as main_thread_queries:
        assert process_jobs(worker=WORKER, batch_size=3) == 3

    assert seen == [False, False, False]
    # Every statement of the batch ran on this thread's connection: the sender has none.
    assert len(main_thread_queries) == 4 + 5 + 1 + 3  # claim, orders, settings, outcomes
    assert [fetch(job).status for job in jobs] == [PrintStatus.DONE] * 3


def test_one_failing_printer_in_a_batch_leaves_the_other_jobs_done(
    make_order, spool_printer, add_printer, refusing_port, queue_job, tmp_path, settings
):
    settings.PRINT_RETRY_BASE_SECONDS = 30
    add_printer("Unplugged", driver=Driver.SOCKET, host="127.0.0.1", port=refusing_port, lpt=2)
    first = queue_job(make_order(), lpt=1)
    unplugged = queue_job(make_order(), lpt=2)
    last = queue_job(make_order(), lpt=1)

    assert process_jobs(worker=WORKER, batch_size=3) == 3

    assert fetch(first).status == PrintStatus.DONE
    assert fetch(last).status == PrintStatus.DONE
    retried = fetch(unplugged)
    assert (retried.status, retried.attempts) == (PrintStatus.QUEUED, 1)
    assert "refused the connection" in retried.last_error
    assert retried.next_attempt_at > timezone.now() + timedelta(seconds=20)
    assert len(list((tmp_path / "spool").glob("*.pdf"))) == 2


def test_a_driver_bug_fails_its_job_and_the_batch_goes_on(
    make_order, spool_printer, queue_job, monkeypatch, settings
):
    settings.PRINT_RETRY_BASE_SECONDS = 30
    jobs = [queue_job(make_order()) for _ in range(3)]
    real_send = services.drivers.send
    calls = []

    def send_then_crash(document, printer, *, title):
        calls.append(title)
        if len(calls) == 2:
            raise ValueError("a bug in a driver")
        return real_send(document, printer, title=title)

    monkeypatch.setattr(services.drivers, "send", send_then_crash)
    assert process_jobs(worker=WORKER, batch_size=3) == 3

    first, broken, last = (fetch(job) for job in jobs)
    assert (first.status, last.status) == (PrintStatus.DONE, PrintStatus.DONE)
    assert (broken.status, broken.attempts) == (PrintStatus.QUEUED, 1)
    assert broken.last_error == "ValueError: a bug in a driver"


# --- the command line -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    [
        ("--batch-size", "0", "must be at least 1, not 0"),
        ("--batch-size", "ten", "'ten' is not a whole number"),
        ("--max-attempts", "-1", "must be at least 1, not -1"),
        ("--retry-base-seconds", "-5", "must be 0 seconds or more, not -5"),
        ("--idle-seconds", "0", "must be above 0 seconds, not 0"),
        ("--heartbeat-seconds", "nan", "'nan' is not a number of seconds"),
    ],
)
def test_run_spooler_refuses_bad_numbers_before_it_starts(db, argument, value, message, capsys):
    with pytest.raises(CommandError, match=f"argument {argument}: {message}"):
        call_command("run_spooler", "--once", argument, value)
    assert not WorkerHeartbeat.objects.exists()
    assert not PrintJob.objects.exists()


def test_run_spooler_takes_a_batch_size(make_order, spool_printer, queue_job, in_process):
    jobs = [queue_job(make_order()) for _ in range(3)]
    out = io.StringIO()
    call_command("run_spooler", "--once", "--batch-size", "2", stdout=out)
    assert [fetch(job).status for job in jobs] == [PrintStatus.DONE] * 3
    assert "stopped after 3" in out.getvalue()


# --- through the models -----------------------------------------------------------------------


def test_queueing_a_ticket_sends_the_save_signal_of_its_job(make_order, spool_printer):
    """A job is written through the model: a save signal receiver sees it."""
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.order_id, instance.status, created))

    post_save.connect(receiver, sender=PrintJob, dispatch_uid="test-printjob-saved")
    try:
        order = make_order()
        queue_ticket(order=order, lpt_port="LPT1", actor=None)
    finally:
        post_save.disconnect(sender=PrintJob, dispatch_uid="test-printjob-saved")

    assert seen == [(order.pk, PrintStatus.QUEUED, True)]

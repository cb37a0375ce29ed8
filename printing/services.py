"""Work-ticket printing: queue a ticket, and the spooler's claim / send / finish cycle.

Printing is at-least-once: the document leaves the building outside any transaction, so a
spooler that dies after sending but before recording it sends that ticket again once the job
is reclaimed. A job recorded as done is never sent again.
"""

import re
import sys
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from orders.models import LabSettings, Order
from orders.services import lock_order, record_event
from orders.status import STOCK_JOB_TYPES, EventKind

from . import drivers, errors
from .models import Printer, PrintJob, PrintStatus, WorkstationPort, cancel_queued_jobs
from .ticket import TicketLine, render_ticket, ticket_lines_for

API_WORKSTATION = "00"
SPOOLER = "spooler"  # the heartbeat kind of the print spooler process
LPT_PORT = re.compile(r"(?:LPT)?([1-9])", re.IGNORECASE)


def parse_lpt_port(value: str | None) -> int:
    """``LPT1``..``LPT9`` or ``1``..``9`` (default LPT1) as a port number."""
    if value is None:
        return 1
    match = LPT_PORT.fullmatch(value.strip())
    if match is None:
        raise errors.BadLptPort(value)
    return int(match.group(1))


def queue_ticket(*, order: Order, lpt_port: str | None, actor, workstation_code=API_WORKSTATION):
    """Queue the order's work ticket for the printer on the workstation's LPT port."""
    with transaction.atomic():
        order = lock_order(order)  # serializes with cancel, which cancels queued jobs
        if order.is_cancelled:
            raise errors.CancelledBeforePrinting
        if order.job_type in STOCK_JOB_TYPES:
            raise errors.StockOrder
        if not order.tray and LabSettings.load().trays_required:
            raise errors.OrderWaitingForTray
        port = parse_lpt_port(lpt_port)
        # The port's printer, read as plain values: the job refers to it by id, the history
        # line names it.
        mapping = (
            WorkstationPort.objects.filter(
                workstation__code=workstation_code, number=port, printer__isnull=False
            )
            .values("workstation_id", "printer_id", "printer__name")
            .first()
        )
        if mapping is None:
            raise errors.NoPrinterDefined(workstation_code)
        job = PrintJob.objects.create(
            order=order,
            workstation_id=mapping["workstation_id"],
            port=port,
            printer_id=mapping["printer_id"],
            requested_by=actor,
        )
        record_event(
            order,
            kind=EventKind.PRINT_REQUESTED,
            actor=actor,
            to_value=f"LPT{port} {mapping['printer__name']}",
            note=f"print job {job.pk}",
        )
        return job


def retry_job(job: PrintJob) -> bool:
    """Put a failed job back in the queue with a fresh set of attempts."""
    return bool(
        PrintJob.objects.filter(pk=job.pk, status=PrintStatus.FAILED).update(
            status=PrintStatus.QUEUED, attempts=0, next_attempt_at=timezone.now(), last_error=""
        )
    )


# --- the spooler ----------------------------------------------------------------------------


def claim_jobs(
    *, worker: str, limit: int = 1, sending_timeout: float | None = None
) -> list[PrintJob]:
    """Take up to ``limit`` due jobs (or ones abandoned mid-send) and mark them sending."""
    if sending_timeout is None:
        sending_timeout = django_settings.PRINT_SENDING_TIMEOUT_SECONDS
    now = timezone.now()
    abandoned = now - timedelta(seconds=sending_timeout)
    with transaction.atomic():
        # The printer comes with the job (the send needs it); the lock stays on the job rows
        # alone, so spoolers never skip each other's printers.
        jobs = list(
            PrintJob.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("printer")
            .filter(
                Q(status=PrintStatus.QUEUED, next_attempt_at__lte=now)
                | Q(status=PrintStatus.SENDING, claimed_at__lt=abandoned)
            )
            .order_by("next_attempt_at", "id")[:limit]
        )
        if not jobs:
            return []
        PrintJob.objects.filter(pk__in=[job.pk for job in jobs]).update(
            status=PrintStatus.SENDING,
            claimed_at=now,
            claimed_by=worker,
            attempts=F("attempts") + 1,
        )
        for job in jobs:
            job.status, job.claimed_at, job.claimed_by = PrintStatus.SENDING, now, worker
            job.attempts += 1
        return jobs


def release_jobs(jobs: list[PrintJob]) -> int:
    """Give claimed jobs back unsent, as if they had never been claimed."""
    released = 0
    for job in jobs:
        released += PrintJob.objects.filter(
            pk=job.pk, status=PrintStatus.SENDING, claimed_by=job.claimed_by
        ).update(status=PrintStatus.QUEUED, claimed_at=None, attempts=F("attempts") - 1)
    return released


def _finish(job: PrintJob, **changes) -> bool:
    """Record the outcome, unless another spooler reclaimed the job in the meantime."""
    return bool(
        PrintJob.objects.filter(
            pk=job.pk, status=PrintStatus.SENDING, claimed_by=job.claimed_by
        ).update(**changes)
    )


def _load_tickets(order_ids) -> tuple[dict[int, Order], dict[int, list[TicketLine]]]:
    """What the tickets of these orders show: the orders with their current station, and
    their item lines (plain values: building item and endpoint models cost more than the
    rendering)."""
    orders = Order.objects.select_related("current_station").in_bulk(order_ids)
    return orders, ticket_lines_for(order_ids)


def _render(job: PrintJob, order: Order, paper_size: str, lines: list[TicketLine]) -> bytes | None:
    """The job's ticket; None (and the job recorded cancelled) if the order was cancelled."""
    if order.is_cancelled:
        _finish(job, status=PrintStatus.CANCELLED, finished_at=timezone.now())
        return None
    return render_ticket(order, paper_size=paper_size, lines=lines)


def _send(job: PrintJob, order: Order, document: bytes) -> str:
    """Hand the document to the printer's driver. No database access: may run in a thread."""
    return drivers.send(document, job.printer, title=f"order-{order.number}-job-{job.pk}")


def _record_failure(job: PrintJob, error, max_attempts=None, retry_base_seconds=None) -> str:
    max_attempts = max_attempts or django_settings.PRINT_MAX_ATTEMPTS
    if retry_base_seconds is None:
        retry_base_seconds = django_settings.PRINT_RETRY_BASE_SECONDS
    now = timezone.now()
    if job.attempts >= max_attempts:
        _finish(job, status=PrintStatus.FAILED, last_error=str(error), finished_at=now)
        return PrintStatus.FAILED
    delay = retry_base_seconds * 2 ** (job.attempts - 1)
    _finish(
        job,
        status=PrintStatus.QUEUED,
        last_error=str(error),
        next_attempt_at=now + timedelta(seconds=delay),
    )
    return PrintStatus.QUEUED


def record_sent(jobs: list[PrintJob]) -> int:
    """Record sent jobs as done, each only while its claim still holds (a job reclaimed by
    another spooler keeps that spooler's record). Returns how many were recorded.

    One UPDATE per claimer, so one for a spooler's batch, committed once: each job's
    reference and finish time are chosen by its id within the statement.
    """
    by_claimer: dict[str, list[PrintJob]] = defaultdict(list)
    for job in jobs:
        job.status = PrintStatus.DONE
        by_claimer[job.claimed_by].append(job)
    recorded = 0
    for claimer, claimed in by_claimer.items():
        recorded += PrintJob.objects.filter(
            pk__in=[job.pk for job in claimed], status=PrintStatus.SENDING, claimed_by=claimer
        ).update(
            status=PrintStatus.DONE,
            reference=_by_job(claimed, "reference"),
            finished_at=_by_job(claimed, "finished_at"),
        )
    return recorded


def _by_job(jobs: list[PrintJob], field_name: str) -> Case:
    """Each job's own value of ``field_name``, picked by the row's id."""
    return Case(
        *(When(pk=job.pk, then=Value(getattr(job, field_name))) for job in jobs),
        output_field=PrintJob._meta.get_field(field_name),
    )


DEFAULT_BATCH_SIZE = 25  # jobs a spooler claims per transaction
SENDER_SWITCH_INTERVAL_SECONDS = 0.0005


@contextmanager
def _prompt_thread_switches():
    """Let the sender thread have the interpreter back soon after each system call.

    Rendering holds the GIL; by default a thread returning from a write or an fsync may wait
    up to 5 ms for it, longer than the write took. A shorter switch interval for the length
    of a batch lets the sender finish while the next ticket renders.
    """
    before = sys.getswitchinterval()
    sys.setswitchinterval(min(before, SENDER_SWITCH_INTERVAL_SECONDS))
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def process_jobs(
    *, worker: str, batch_size: int = 1, sending_timeout: float | None = None, **options
) -> int:
    """One spooler step: claim up to ``batch_size`` jobs, then render, send and record each.

    The batch's orders and the paper size are read once. Sending runs in a thread of its
    own, one document at a time and in claim order, while the next ticket renders: a spool
    write's fsync, a socket send or ``lp`` then costs no rendering time. All database work
    stays on this thread. A batch never outlives half the sending timeout: what is left
    unrendered by then goes back to the queue, so no other spooler reclaims a job this one
    still means to send. Returns how many jobs were handled.
    """
    if sending_timeout is None:
        sending_timeout = django_settings.PRINT_SENDING_TIMEOUT_SECONDS
    jobs = claim_jobs(worker=worker, limit=batch_size, sending_timeout=sending_timeout)
    if not jobs:
        return 0
    orders, lines = _load_tickets(list({job.order_id for job in jobs}))
    paper_size = LabSettings.load().ticket_paper_size
    started = time.monotonic()
    # Successful sends are recorded together at the end of the batch: one commit instead of
    # one per ticket, which cost as much as rendering it. A spooler killed mid-batch prints
    # that batch's sent tickets again once their claims expire (printing is at-least-once).
    sent: list[PrintJob] = []
    in_flight: tuple[PrintJob, Future] | None = None

    def settle(job: PrintJob, future: Future) -> None:
        try:
            reference = future.result()
        except errors.PrinterError as error:
            _record_failure(job, error, **options)
        else:
            job.reference, job.finished_at = reference[:200], timezone.now()
            sent.append(job)

    with (
        _prompt_thread_switches(),
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="print-send") as sender,
    ):
        try:
            for index, job in enumerate(jobs):
                if index and time.monotonic() - started > sending_timeout / 2:
                    release_jobs(jobs[index:])
                    return index
                order = orders[job.order_id]
                document = _render(job, order, paper_size, lines[job.order_id])
                if document is None:
                    continue
                previous, in_flight = in_flight, (job, sender.submit(_send, job, order, document))
                if previous is not None:
                    settle(*previous)
            return len(jobs)
        finally:
            try:
                if in_flight is not None:
                    settle(*in_flight)
            finally:
                record_sent(sent)


# --- what printing does inside the orders' transitions (``orders.hooks``) ----------------------


def cancel_queued_tickets(order: Order) -> str:
    """A cancelled order's tickets not sent yet are not sent: cancel them, and say so."""
    count = cancel_queued_jobs(order)
    return f"{count} queued print job(s) cancelled" if count else ""


# --- configuration ---------------------------------------------------------------------------


def delete_printer(*, printer: Printer) -> None:
    """Delete a printer that has printed nothing; one with print jobs must stay (disable it).

    A job queued for it between the check and the delete is caught by the foreign key (in
    Django's collector, or by the database at commit) and refused the same way.
    """
    try:
        with transaction.atomic():
            jobs = printer.jobs.count()
            if jobs:
                raise errors.PrinterInUse(printer.name, jobs)
            printer.delete()  # its LPT ports fall back to "no printer"
    except ProtectedError as protected:  # seen by the collector: the jobs it found
        raise errors.PrinterInUse(printer.name, len(protected.protected_objects)) from None
    except IntegrityError:  # seen by the database at commit: the jobs committed since
        raise errors.PrinterInUse(printer.name, printer.jobs.count()) from None

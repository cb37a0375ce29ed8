"""Work-ticket printing: queue a ticket, and the spooler's claim / send / finish cycle.

Printing is at-least-once: the document leaves the building outside any transaction, so a
spooler that dies after sending but before recording it sends that ticket again once the job
is reclaimed. A job recorded as done is never sent again.
"""

import logging
import re
from collections import defaultdict
from collections.abc import Collection
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from orders.models import LabSettings, Order, OrderAddon
from orders.services import lock_order, record_event
from orders.status import EventKind
from toolkit.workers import left_by_dead_worker

from . import drivers, errors
from .models import (
    Printer,
    PrintJob,
    PrintKind,
    PrintStatus,
    Workstation,
    WorkstationPort,
    cancel_queued_jobs,
)
from .ticket import TicketLine, render_test_page, render_ticket, ticket_lines_for

API_WORKSTATION = "00"
SPOOLER = "spooler"  # the heartbeat kind of the print spooler process
logger = logging.getLogger(__name__)
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
        if order.stock_order:
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


def map_ports(
    code: str, ports: dict[int, Printer | None], *, description: str | None = None
) -> Workstation:
    """Point workstation ``code``'s LPT ports at ``ports`` (port number -> printer, or None
    for no printer), creating the workstation if need be, and set its ``description`` when
    given; ports not named keep their printer. The printers named stay until this commits:
    one deleted since the caller found it (by another request) is refused as one that never
    existed, not left to break the port's foreign key at commit."""
    named = [printer for printer in ports.values() if printer is not None]
    with transaction.atomic():
        kept = set(
            Printer.objects.select_for_update()
            .filter(pk__in=[printer.pk for printer in named])
            .values_list("pk", flat=True)
        )
        gone = sorted({printer.name for printer in named if printer.pk not in kept})
        if gone:
            raise errors.PrinterGone(gone)
        workstation, _ = Workstation.objects.get_or_create(code=code)
        if description is not None:
            workstation.description = description
            workstation.save(update_fields=["description"])
        existing = {port.number: port for port in workstation.ports.all()}
        new, changed = [], []
        for number, printer in ports.items():
            port = existing.get(number)
            if port is None:
                new.append(WorkstationPort(workstation=workstation, number=number, printer=printer))
            elif port.printer_id != (printer.pk if printer else None):
                port.printer = printer
                changed.append(port)
        WorkstationPort.objects.bulk_create(new)
        WorkstationPort.objects.bulk_update(changed, ["printer"])
    return workstation


def retry_job(job: PrintJob) -> bool:
    """Put a failed job back in the queue with a fresh set of attempts."""
    return bool(
        PrintJob.objects.filter(pk=job.pk, status=PrintStatus.FAILED).update(
            status=PrintStatus.QUEUED, attempts=0, next_attempt_at=timezone.now(), last_error=""
        )
    )


# --- the spooler ----------------------------------------------------------------------------


def claim_jobs(
    *,
    worker: str,
    limit: int = 1,
    skip_printers: Collection[int] = (),
    heartbeat_window: float | None = None,
) -> list[PrintJob]:
    """Take up to ``limit`` due jobs and mark them sending: queued ones whose time has come,
    and ones left sending by a spooler taken for dead (no heartbeat within
    ``heartbeat_window`` seconds, and claimed before that). ``skip_printers``: printers this
    spooler is still sending to, whose jobs wait for them."""
    if heartbeat_window is None:
        heartbeat_window = django_settings.PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS
    now = timezone.now()
    stale = now - timedelta(seconds=heartbeat_window)
    with transaction.atomic():
        # The printer comes with the job (the send needs it); the lock stays on the job rows
        # alone, so spoolers never skip each other's printers.
        jobs = list(
            PrintJob.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("printer")
            .filter(
                Q(status=PrintStatus.QUEUED, next_attempt_at__lte=now)
                | (Q(status=PrintStatus.SENDING) & left_by_dead_worker(stale))
            )
            .exclude(printer_id__in=list(skip_printers))
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
    # One statement per claimer (a spooler releases its own jobs: one), not one per job.
    by_claimer: dict[str, list[int]] = defaultdict(list)
    for job in jobs:
        by_claimer[job.claimed_by].append(job.pk)
    return sum(
        PrintJob.objects.filter(
            pk__in=ids, status=PrintStatus.SENDING, claimed_by=claimed_by
        ).update(status=PrintStatus.QUEUED, claimed_at=None, attempts=F("attempts") - 1)
        for claimed_by, ids in by_claimer.items()
    )


def _finish(job: PrintJob, **changes) -> bool:
    """Record the outcome, unless another spooler reclaimed the job in the meantime."""
    return bool(
        PrintJob.objects.filter(
            pk=job.pk, status=PrintStatus.SENDING, claimed_by=job.claimed_by
        ).update(**changes)
    )


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


def record_sent(job: PrintJob, reference: str) -> bool:
    """Record a sent job as done, in a statement of its own, while its claim still holds (a
    job reclaimed by another spooler keeps that spooler's record)."""
    job.status, job.reference, job.finished_at = PrintStatus.DONE, reference[:200], timezone.now()
    return _finish(job, status=job.status, reference=job.reference, finished_at=job.finished_at)


DEFAULT_BATCH_SIZE = 25  # jobs a spooler claims per transaction
MAX_PRINTERS_AT_ONCE = 8  # printers one spooler sends to at the same time
WAIT_FOR_SENDS_SECONDS = 0.2  # how long a step with nothing new waits for a send to end


class Spooler:
    """One spooler's sending: each printer's documents go out on a thread of that printer's,
    in claim order, so a printer that does not answer holds up only its own jobs.

    All database work (claims, reading the tickets, records) stays on the calling thread; the
    senders only talk to printers. Each outcome is recorded in a statement of its own as soon
    as its send ends, so a spooler killed mid-batch prints again only what it had not yet
    recorded. A printer this spooler is still sending to gets no new jobs from it: they wait
    in the queue, free for another spooler.
    """

    def __init__(self, *, worker: str, max_printers: int = MAX_PRINTERS_AT_ONCE, **options):
        self.worker = worker
        self.max_printers = max_printers
        self.options = options  # max_attempts, retry_base_seconds
        self._senders: dict[int, ThreadPoolExecutor] = {}  # by printer id
        self._in_flight: dict[Future, PrintJob] = {}  # in the order they were handed on

    def pending(self) -> bool:
        """Whether some send has not ended yet."""
        return bool(self._in_flight)

    def step(self, batch_size: int) -> int:
        """Record the sends that ended, claim what is due for the printers not busy, render
        it and hand it to the printers' senders. Returns how many jobs were finished (sent,
        failed, or cancelled with their order)."""
        finished = self._record_ended()
        busy = {job.printer_id for job in self._in_flight.values()}
        if len(busy) < self.max_printers:
            jobs = claim_jobs(worker=self.worker, limit=batch_size, skip_printers=busy)
            finished += self._hand_on(self._within_printer_limit(jobs, busy))
        if not finished and self._in_flight:
            wait(list(self._in_flight), WAIT_FOR_SENDS_SECONDS, return_when=FIRST_COMPLETED)
            finished += self._record_ended()
        return finished

    def drain(self) -> int:
        """Wait for every send in flight and record it; how many jobs that finished."""
        finished = 0
        while self._in_flight:
            wait(list(self._in_flight), return_when=FIRST_COMPLETED)
            finished += self._record_ended()
        return finished

    def stop(self) -> int:
        """Give back the jobs whose sends have not started, then finish the sends under way;
        how many jobs finished. A stopping spooler waits for no queue of a dead printer."""
        unstarted = [job for future, job in list(self._in_flight.items()) if future.cancel()]
        for future in [future for future in self._in_flight if future.cancelled()]:
            del self._in_flight[future]
        release_jobs(unstarted)
        return self.drain()

    def close(self) -> None:
        """Record the sends in flight, then stop the senders."""
        try:
            self.drain()
        finally:
            for sender in self._senders.values():
                sender.shutdown(wait=True)
            self._senders.clear()

    def _within_printer_limit(self, jobs: list[PrintJob], busy: set[int]) -> list[PrintJob]:
        """The jobs of as many printers as the limit leaves room for; the rest go back."""
        room = self.max_printers - len(busy)
        printers = list(dict.fromkeys(job.printer_id for job in jobs))[:room]
        kept = [job for job in jobs if job.printer_id in printers]
        release_jobs([job for job in jobs if job.printer_id not in printers])
        return kept

    def _hand_on(self, jobs: list[PrintJob]) -> int:
        """Render each job's document and queue it on its printer's sender; how many jobs
        finished here (cancelled with their order)."""
        if not jobs:
            return 0
        order_ids = list({job.order_id for job in jobs if job.order_id is not None})
        orders, lines = _load_tickets(order_ids)
        paper_size = LabSettings.load().ticket_paper_size
        cancelled = 0
        for job in jobs:
            if job.kind == PrintKind.TEST_PAGE:
                document, title = render_test_page(paper_size=paper_size), f"test-page-{job.pk}"
            else:
                order = orders[job.order_id]
                if order.is_cancelled:
                    _finish(job, status=PrintStatus.CANCELLED, finished_at=timezone.now())
                    cancelled += 1
                    continue
                document = render_ticket(order, paper_size=paper_size, lines=lines[job.order_id])
                title = f"order-{order.number}-job-{job.pk}"
            sender = self._senders.get(job.printer_id)
            if sender is None:
                sender = self._senders[job.printer_id] = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix=f"print-send-{job.printer_id}"
                )
            self._in_flight[sender.submit(drivers.send, document, job.printer, title=title)] = job
        return cancelled

    def _record_ended(self) -> int:
        """Record each send that has ended, each in its own statement; how many."""
        ended = [future for future in self._in_flight if future.done()]
        for future in ended:
            job = self._in_flight.pop(future)
            try:
                reference = future.result()
            except errors.PrinterError as error:
                _record_failure(job, error, **self.options)
            except Exception as error:  # a driver's bug fails its job, not the spooler
                logger.exception("Print job %s: the %s driver failed", job.pk, job.printer.driver)
                _record_failure(job, f"{type(error).__name__}: {error}", **self.options)
            else:
                record_sent(job, reference)
        self._shut_idle_senders()
        return len(ended)

    def _shut_idle_senders(self) -> None:
        busy = {job.printer_id for job in self._in_flight.values()}
        for printer_id in [pk for pk in self._senders if pk not in busy]:
            self._senders.pop(printer_id).shutdown(wait=False)


def _load_tickets(order_ids) -> tuple[dict[int, Order], dict[int, list[TicketLine]]]:
    """What the tickets of these orders show: the orders with their current station and
    customer, and their item lines (plain values: building item and endpoint models cost more
    than the rendering)."""
    orders = (
        Order.objects.select_related("current_station", "customer")
        .prefetch_related(
            "eyes",
            Prefetch("order_addons", queryset=OrderAddon.objects.select_related("addon")),
        )
        .in_bulk(order_ids)
    )
    return orders, ticket_lines_for(order_ids)


def process_jobs(*, worker: str, batch_size: int = 1, **options) -> int:
    """Claim up to ``batch_size`` due jobs, send them (each printer's on its own thread) and
    wait for every send, recording each as it ends. Returns how many jobs were handled.

    ``run_spooler`` keeps one ``Spooler`` across steps instead, so that it never waits for a
    slow printer before claiming the next jobs.
    """
    spooler = Spooler(worker=worker, **options)
    try:
        return spooler.step(batch_size) + spooler.drain()
    finally:
        spooler.close()  # records what was sent before a failure, if one broke the step


def queue_test_page(*, printer: Printer, actor) -> PrintJob:
    """Queue a test page for the printer; the spooler prints it like a ticket."""
    if not printer.enabled:
        raise errors.PrinterDisabled(printer.name)
    return PrintJob.objects.create(kind=PrintKind.TEST_PAGE, printer=printer, requested_by=actor)


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

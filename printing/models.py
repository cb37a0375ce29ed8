"""Printers, workstations and their LPT ports, and the print jobs the spooler works through."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.rights import Right

from .socket_hosts import validate_socket_host
from .spool import validate_spool_folder

LPT_PORTS = range(1, 10)

# A printer's name is part of the Lab API's URLs (/api/v2/printers/{name}) and a CUPS queue is
# handed to ``lp``: both keep to a few plain characters. The words are the API's since its
# first version; the admin refuses in the same ones.
NOT_THE_PATTERN = "This value does not match the required pattern."
PRINTER_NAME = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,49}$", NOT_THE_PATTERN)
CUPS_QUEUE = RegexValidator(r"^[A-Za-z0-9_.-]{1,100}$", NOT_THE_PATTERN)


class Driver(models.TextChoices):
    SPOOL = "spool", "Spool folder"
    CUPS = "cups", "CUPS queue"
    SOCKET = "socket", "Raw TCP socket (port 9100)"


class Printer(models.Model):
    """Where a ticket goes: a folder, a CUPS queue, or a printer's raw TCP port.

    Each driver needs its target (``TARGETS``): a spool folder under the spool root
    (``printing.spool``), a CUPS queue, or a host and a port.
    """

    TARGETS = {Driver.SPOOL: "folder", Driver.CUPS: "cups_queue", Driver.SOCKET: "host"}

    name = models.CharField(
        max_length=50,
        unique=True,
        validators=[PRINTER_NAME],
        help_text="Letters, digits, spaces, '.', '_' and '-', beginning with a letter or digit.",
    )
    driver = models.CharField(max_length=10, choices=Driver.choices, default=Driver.SPOOL)
    folder = models.CharField(
        max_length=500,
        blank=True,
        default="",
        validators=[validate_spool_folder],
        help_text=(
            "spool: folder the PDFs are written to, under the spool root (PRINT_SPOOL_ROOT); "
            "a relative folder is taken inside it"
        ),
    )
    cups_queue = models.CharField(
        "CUPS queue",
        max_length=100,
        blank=True,
        default="",
        validators=[CUPS_QUEUE],
        help_text="cups: destination name",
    )
    host = models.CharField(
        max_length=255,
        blank=True,
        default="",
        validators=[validate_socket_host],
        help_text="socket: host, one PRINT_SOCKET_HOSTS allows when it is set",
    )
    port = models.PositiveIntegerField(
        default=9100,
        validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text="socket: TCP port",
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        target = self.TARGETS.get(self.driver)  # None for an unknown driver, refused as such
        if target is not None and not getattr(self, target):
            raise ValidationError({target: f"required for the {self.driver} driver"})

    def unique_error_message(self, model_class, unique_check):
        # Naming the name taken, as the Lab API always has, in the admin too.
        if unique_check == ("name",):
            return ValidationError(f"printer {self.name} already exists", code="unique")
        return super().unique_error_message(model_class, unique_check)

    @property
    def target(self) -> str:
        """Where this printer sends, in a few words."""
        if self.driver == Driver.SPOOL:
            return self.folder
        if self.driver == Driver.CUPS:
            return f"queue {self.cups_queue}"
        return f"{self.host}:{self.port}"


class Workstation(models.Model):
    """A workstation's printer settings; the API prints with workstation ``00``'s."""

    code = models.CharField(
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^[0-9]{2}$", "Two digits, e.g. 00.")],
    )
    description = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"Workstation {self.code}"


class WorkstationPort(models.Model):
    """LPT1..LPT9 of a workstation, each mapped to a printer or to nothing."""

    workstation = models.ForeignKey(Workstation, on_delete=models.CASCADE, related_name="ports")
    number = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(9)]
    )
    printer = models.ForeignKey(
        Printer, null=True, blank=True, on_delete=models.SET_NULL, related_name="ports"
    )

    class Meta:
        ordering = ["workstation", "number"]
        constraints = [
            models.UniqueConstraint(fields=["workstation", "number"], name="one_row_per_lpt_port"),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=9), name="lpt_port_1_to_9"
            ),
        ]

    def __str__(self) -> str:
        return f"LPT{self.number}"


class PrintStatus(models.TextChoices):
    # A label not given is the name in title case ("Queued"), as Django derives it.
    QUEUED = "queued"
    SENDING = "sending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PrintKind(models.TextChoices):
    TICKET = "ticket", "Work ticket"
    TEST_PAGE = "test_page", "Test page"


# What a print failure says to those who may not change printers.
PRINTER_DID_NOT_ANSWER = "The printer did not answer"


class PrintJob(models.Model):
    """One work ticket (or a printer's test page) to print. The spooler sends it, retrying
    with backoff on failure. A test page belongs to no order, workstation or port."""

    kind = models.CharField(max_length=10, choices=PrintKind.choices, default=PrintKind.TICKET)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.CASCADE, related_name="print_jobs"
    )
    workstation = models.ForeignKey(
        Workstation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    port = models.PositiveSmallIntegerField(null=True, blank=True)
    printer = models.ForeignKey(Printer, on_delete=models.PROTECT, related_name="jobs")
    status = models.CharField(
        max_length=10, choices=PrintStatus.choices, default=PrintStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    last_error = models.TextField(blank=True, default="")
    reference = models.CharField(
        max_length=200, blank=True, default="", help_text="What the driver reported (file, job id)."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        permissions = [("print_ticket", "Can print work tickets")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status__in=["queued", "sending"]),
                name="printjob_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=PrintKind.TEST_PAGE)
                | Q(order__isnull=False, workstation__isnull=False, port__isnull=False),
                name="printjob_ticket_has_order_and_port",
            ),
        ]

    def __str__(self) -> str:
        if self.kind == PrintKind.TEST_PAGE:
            return f"Test page on {self.printer} ({self.get_status_display()})"
        return f"Ticket of {self.order} on {self.printer} ({self.get_status_display()})"

    def error_shown_to(self, user) -> str:
        """``last_error`` as ``user`` may read it: in full for those who may change printers
        (the driver's own words: an address, refused or timed out, CUPS's message); to anyone
        else only that the printer did not answer, so that the printers' errors tell nothing
        of the network behind them."""
        return self.last_error if user.has_perm(Right.CHANGE_PRINTER) else self.plain_error

    @property
    def plain_error(self) -> str:
        """What a failure says to those who may not change printers."""
        return PRINTER_DID_NOT_ANSWER if self.last_error else ""


def cancel_queued_jobs(order) -> int:
    """Cancel the order's tickets not sent yet (inside the caller's transaction). A ticket
    already claimed by a spooler is left to it: the spooler sees the cancelled order before
    rendering and records the job cancelled."""
    return PrintJob.objects.filter(order_id=order.pk, status=PrintStatus.QUEUED).update(
        status=PrintStatus.CANCELLED, finished_at=timezone.now()
    )

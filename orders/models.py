"""The lab's orders, their items, history, stations, delete reasons and runtime settings."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from .flow import FlowStep
from .rx import CALCULATION_DESCRIPTIONS, EYE_FIELDS, Eye, EyeValues
from .settings_registry import described
from .status import (
    EventKind,
    FrameStatus,
    JobType,
    OrderState,
    PaperSize,
    PickItem,
    ProcessingStatus,
)

# An order holds its tray while it is active: neither completed nor marked for cancelation.
ACTIVE_ORDER = Q(cancelled_at__isnull=True) & ~Q(state=OrderState.COMPLETED)

# An order can be released to its endpoints: valid, not on hold, not marked for cancelation,
# not completed, not yet released. ``Order.is_processable`` says the same of one row.
PROCESSABLE_ORDER = Q(
    state=OrderState.VALID, on_hold=False, cancelled_at__isnull=True, processed_at__isnull=True
)


def processable(*, state: str, on_hold: bool, cancelled_at, processed_at) -> bool:
    """``PROCESSABLE_ORDER`` for values already read (a row of ``.values()``, say)."""
    return (
        state == OrderState.VALID and not on_hold and cancelled_at is None and processed_at is None
    )


# Codes are typed on scanners and sent in the Lab API's URLs: plain letters, digits, '-', '_'.
# The admin and the API refuse other codes in these words (the API's since its first version).
STATION_CODE = RegexValidator(r"^[A-Za-z0-9_-]+$", "use letters, digits, '-' or '_'")
REASON_CODE = RegexValidator(r"^[A-Za-z0-9_-]{1,10}$", "use 1 to 10 letters, digits, '-' or '_'")


def acting_user() -> models.ForeignKey:
    """The user who did something to a record (created, cancelled, changed it). A removed
    user leaves it null and the record stays; no user lists these rows (no reverse name)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )


class CodedRecord(models.Model):
    """A configuration record known by its ``code`` and explained by its ``description`` (a
    station, a delete reason): listed by code, shown as "code — description", and a code
    already taken is refused naming it, in the admin as the Lab API always has."""

    code_names = "record"  # what a code names, in the refusal: "station S1 already exists"

    class Meta:
        abstract = True
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.description}"

    def unique_error_message(self, model_class, unique_check):
        if unique_check == ("code",):
            return ValidationError(f"{self.code_names} {self.code} already exists", code="unique")
        return super().unique_error_message(model_class, unique_check)


class Station(CodedRecord):
    """A place in the lab where orders are checked in (surfacing, coating, edging, QA...)."""

    code_names = "station"

    code = models.CharField(
        max_length=10, unique=True, validators=[STATION_CODE], help_text="Case-sensitive."
    )
    description = models.CharField(max_length=100)
    customer_description = models.CharField(max_length=100, blank=True, default="")
    is_operator = models.BooleanField(
        "operator station", default=False, help_text="Identifies an operator, not a place."
    )
    non_cancel = models.BooleanField(
        default=False, help_text="Orders checked in here can no longer be cancelled."
    )
    requires_operator = models.BooleanField(default=False)
    flow_step = models.CharField(
        max_length=20,
        choices=FlowStep.choices,
        blank=True,
        default="",
        help_text="The flow step this station performs, if any.",
    )


class Customer(models.Model):
    """A practice or optician the lab works for (contracts/rx-orders.md, *Customers*). Orders
    name it by its number; an inactive customer keeps its orders but takes no new ones."""

    number = models.CharField(
        max_length=8, unique=True, help_text="At most 8 characters, case-sensitive."
    )
    name = models.CharField(max_length=100)
    ship_to_name = models.CharField("ship-to name", max_length=100, blank=True, default="")
    ship_to_address1 = models.CharField("ship-to address 1", max_length=100, blank=True, default="")
    ship_to_address2 = models.CharField("ship-to address 2", max_length=100, blank=True, default="")
    ship_to_address3 = models.CharField("ship-to address 3", max_length=100, blank=True, default="")
    ship_to_address4 = models.CharField("ship-to address 4", max_length=100, blank=True, default="")
    ship_to_postal_code = models.CharField(
        "ship-to postal code", max_length=20, blank=True, default=""
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} — {self.name}"


class Addon(CodedRecord):
    """Something applied to a job's lenses (a tint, a coating, a polish...), ordered by code
    (contracts/rx-orders.md, *Addons*). Its flags say which flow steps a job with it requires
    (``FLOW_OF_ADDON_FLAGS``). An addon some order used is deactivated, never deleted."""

    code_names = "addon"

    code = models.CharField(max_length=10, unique=True, validators=[STATION_CODE])
    description = models.CharField(max_length=100)
    external_code = models.CharField(max_length=20, blank=True, default="")
    exclude_from_rx_site = models.BooleanField("exclude from Rx site", default=False)
    is_ar = models.BooleanField("AR coating", default=False)
    is_backside = models.BooleanField("backside coating", default=False)
    is_mirror = models.BooleanField("mirror", default=False)
    is_tint = models.BooleanField("tint", default=False)
    is_uv = models.BooleanField("UV", default=False)
    requires_drop_ball = models.BooleanField(default=False)
    requires_etching = models.BooleanField(default=False)
    requires_harden = models.BooleanField(default=False)
    requires_polish = models.BooleanField(default=False)
    active = models.BooleanField(default=True, help_text="Only active addons can be ordered.")


class ProductKind(models.TextChoices):
    LENS = "lens", "Lens"
    FRAME = "frame", "Frame"
    OTHER = "other", "Other"


class Product(models.Model):
    """An item of the stock catalogue, which stock orders name by code (a lens OPC, a frame
    UPC or frame id); only a product with a price can be ordered (contracts/rx-orders.md)."""

    code = models.CharField(max_length=20, unique=True)
    kind = models.CharField(max_length=5, choices=ProductKind.choices)
    description = models.CharField(max_length=100, blank=True, default="")
    price = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="Without a price the product cannot be ordered.",
    )

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.description}" if self.description else self.code


# Each flag of an addon, and the flow requirement (an Order field) it gives a job.
FLOW_OF_ADDON_FLAGS = {
    "is_ar": "requires_ar_coat",
    "is_backside": "requires_backside_coat",
    "is_mirror": "requires_mirror",
    "is_tint": "requires_tint",
    "is_uv": "requires_uv",
    "requires_drop_ball": "requires_drop_ball",
    "requires_etching": "requires_etching",
    "requires_harden": "requires_hard_coat",
    "requires_polish": "requires_polish",
}


def measure(name: str, low: str, high: str, **options) -> models.DecimalField:
    """An optional measurement from ``low`` to ``high`` with at most two decimals."""
    digits = len(high.split(".")[0]) + 2
    return models.DecimalField(
        name,
        max_digits=digits,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(low)), MaxValueValidator(Decimal(high))],
        **options,
    )


# Where an order ships to (a stock order: the customer's address unless the client gives one).
SHIP_TO_FIELDS = (
    "ship_to_name",
    "ship_to_address1",
    "ship_to_address2",
    "ship_to_address3",
    "ship_to_address4",
    "ship_to_postal_code",
)

# The order's own lens and frame fields (contracts/rx-orders.md), as a new order gives them.
LENS_AND_FRAME_FIELDS = (
    "balance_lens",
    "corridor_length",
    "crib",
    "ellh",
    "frame_a",
    "frame_b",
    "frame_ed",
    "frame_bridge",
    "frame_circumference",
    "frame_eye",
    "frame_color",
    "frame_manufacturer",
    "frame_name",
    "frame_sku",
    "frame_upc",
    "frame_status_code",
    "frame_part_sku",
    "frame_side_shield_sku",
    "misc1_sku",
    "misc2_sku",
    "warehouse",
    "instructions",
)


def ship_to(name: str, *, max_length: int = 100) -> models.CharField:
    """A line of where an order ships to; blank unless given (in the database too, for rows
    inserted outside Django)."""
    return models.CharField(name, max_length=max_length, blank=True, default="", db_default="")


class OrderQuerySet(models.QuerySet):
    def active(self):
        return self.filter(ACTIVE_ORDER)

    def for_display(self):
        """Everything the API renders for an order, in a constant number of queries."""
        return self.select_related("current_station", "created_by", "customer").prefetch_related(
            "eyes",
            models.Prefetch(
                "order_addons",
                queryset=OrderAddon.objects.select_related("addon").order_by("position"),
            ),
            models.Prefetch(
                "items",
                queryset=OrderItem.objects.order_by("id").prefetch_related(
                    models.Prefetch("endpoints", queryset=OrderItemEndpoint.objects.order_by("id"))
                ),
            ),
        )


class Order(models.Model):
    """A lab order: one job (a pair of lenses, say) on its way through production."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    number = models.PositiveIntegerField("order number", unique=True)
    tray = models.CharField("tray number", max_length=5, blank=True, default="")
    po_number = models.CharField("PO number", max_length=20, blank=True, default="")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="orders"
    )
    customer_job_id = models.CharField("customer job id", max_length=40, blank=True, default="")
    patient = models.CharField(max_length=100, blank=True, default="")
    job_type = models.CharField(max_length=1, choices=JobType.choices, default=JobType.UNCUT)
    stock_order = models.BooleanField(
        default=False,
        editable=False,
        help_text="Picked from stock and shipped, not made: no work ticket.",
    )

    # The job's lenses and frame (contracts/rx-orders.md); each eye's prescription and lens
    # is an OrderEye. Ranges are the vendor's, here for the admin and the API alike.
    # Columns added with the Rx fields have database defaults too, so rows inserted outside
    # Django (bulk loads, bench/seed_orders.py) need not name them.
    balance_lens = models.CharField(
        max_length=1,
        choices=Eye.choices,
        blank=True,
        default="",
        db_default="",
        help_text="That eye gets a balance lens: no prescription, no Rx checks.",
    )
    corridor_length = measure("corridor length", "0", "99.9")
    crib = measure("crib", "0", "99.9", help_text="Uncut jobs only.")
    ellh = measure("ELLH", "0", "99.9", help_text="Uncut jobs only.")
    frame_a = measure("frame A", "30", "80")
    frame_b = measure("frame B", "15", "80")
    frame_ed = measure("frame ED", "30", "80")
    frame_bridge = models.PositiveSmallIntegerField(
        "frame bridge", null=True, blank=True, validators=[MaxValueValidator(99)]
    )
    frame_circumference = measure("frame circumference", "0", "999.9")
    frame_eye = measure("frame eye size", "0", "99")
    frame_color = models.CharField(
        "frame colour", max_length=30, blank=True, default="", db_default=""
    )
    frame_manufacturer = models.CharField(max_length=4, blank=True, default="", db_default="")
    frame_name = models.CharField(max_length=30, blank=True, default="", db_default="")
    frame_sku = models.CharField("frame SKU", max_length=20, blank=True, default="", db_default="")
    frame_upc = models.CharField("frame UPC", max_length=20, blank=True, default="", db_default="")
    frame_status_code = models.CharField(
        max_length=1, choices=FrameStatus.choices, blank=True, default="", db_default=""
    )
    frame_part_sku = models.CharField(
        "frame part SKU", max_length=20, blank=True, default="", db_default=""
    )
    frame_side_shield_sku = models.CharField(
        "frame side shield SKU", max_length=20, blank=True, default="", db_default=""
    )
    misc1_sku = models.CharField(
        "misc. SKU 1", max_length=20, blank=True, default="", db_default=""
    )
    misc2_sku = models.CharField(
        "misc. SKU 2", max_length=20, blank=True, default="", db_default=""
    )
    warehouse = models.CharField(max_length=20, default="DEFAULT", db_default="DEFAULT")
    addons = models.ManyToManyField(Addon, through="OrderAddon", related_name="orders", blank=True)
    ship_to_name = ship_to("ship-to name")
    ship_to_address1 = ship_to("ship-to address 1")
    ship_to_address2 = ship_to("ship-to address 2")
    ship_to_address3 = ship_to("ship-to address 3")
    ship_to_address4 = ship_to("ship-to address 4")
    ship_to_postal_code = ship_to("ship-to postal code", max_length=20)
    instructions = models.CharField(
        max_length=250,
        blank=True,
        default="",
        db_default="",
        help_text="Printed on the work ticket.",
    )

    date_ordered = models.DateField(default=timezone.localdate)
    received_at = models.DateTimeField(default=timezone.now)
    date_wanted = models.DateField(null=True, blank=True)
    valid_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    state = models.CharField(max_length=1, choices=OrderState.choices, default=OrderState.VALID)
    unvalid_message = models.CharField(max_length=200, blank=True, default="")
    on_hold = models.BooleanField(default=False)
    pending_completion = models.BooleanField(default=False)
    # Released to its endpoints (the Orders API's "process"); items then move through
    # their endpoints' processing statuses, and the order's status is derived from them.
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_status = models.CharField(
        max_length=12, choices=ProcessingStatus.choices, default=ProcessingStatus.NEW
    )

    cancelled_at = models.DateTimeField("marked for cancelation at", null=True, blank=True)
    cancelled_by = acting_user()
    cancel_reason = models.ForeignKey(
        "DeleteReason", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    current_station = models.ForeignKey(
        "Station", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    current_station_at = models.DateTimeField(null=True, blank=True)

    requires_backside_coat = models.BooleanField(default=False)
    requires_ar_coat = models.BooleanField("requires AR coat", default=False)
    requires_tint = models.BooleanField(default=False)
    requires_mirror = models.BooleanField(default=False)
    requires_uv = models.BooleanField("requires UV", default=False)
    requires_hard_coat = models.BooleanField(default=False)
    requires_polish = models.BooleanField(default=False)
    requires_etching = models.BooleanField(default=False)
    requires_drop_ball = models.BooleanField(default=False)
    requires_final_qa = models.BooleanField("requires final QA", default=False)

    ticket_id = models.CharField(max_length=40, blank=True, default="")
    ticket_name = models.CharField(max_length=100, blank=True, default="")
    created_by = acting_user()
    created_device = models.CharField(max_length=100, blank=True, default="")
    version = models.PositiveIntegerField(default=1)

    objects = OrderQuerySet.as_manager()

    # Where the order keeps each of its eyes once read (``right_eye``, ``left_eye``).
    EYE_ATTRIBUTES = {Eye.RIGHT: "right_eye", Eye.LEFT: "left_eye"}

    class Meta:
        ordering = ["-number"]
        permissions = [
            ("cancel_order", "Can cancel orders"),
            ("hold_order", "Can put orders on hold and release them"),
            ("process_order", "Can release orders to their endpoints"),
            ("update_order_status", "Can change the processing status of orders and items"),
            ("add_stock_order", "Can order stock (legacy addStock)"),
            ("record_calculation", "Can record the surfacing calculation of orders"),
            ("assign_tray", "Can assign trays to orders"),
            ("pick", "Can verify the picking of orders' lenses and frames"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["tray"],
                condition=ACTIVE_ORDER & ~Q(tray=""),
                name="order_tray_unique_while_active",
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=99_999_999), name="order_number_range"
            ),
        ]
        indexes = [
            models.Index(fields=["po_number"], condition=~Q(po_number=""), name="order_po_idx"),
            models.Index(fields=["customer", "customer_job_id"], name="order_customer_job_idx"),
            # The Orders API's filters and sort keys (see orders/api/pos/members.py).
            models.Index(fields=["tray"], name="order_tray_idx"),
            models.Index(fields=["ticket_id"], name="order_ticket_id_idx"),
            models.Index(fields=["ticket_name"], name="order_ticket_name_idx"),
            # Few devices and users hold many orders each: their pages, newest first, read
            # the index in order instead of sorting every match.
            models.Index(fields=["created_device", "number"], name="order_device_number_idx"),
            models.Index(fields=["created_by", "number"], name="order_creator_number_idx"),
            models.Index(fields=["received_at"], name="order_received_at_idx"),
            # The work in progress (the dashboard, the "in progress" filter): in a lab most
            # orders are finished, so this stays small while the table grows. It holds what
            # the Dynamic Display adds up, so PostgreSQL can count from the index alone.
            models.Index(
                fields=["current_station", "current_station_at", "date_wanted"],
                condition=ACTIVE_ORDER,
                name="order_wip_idx",
            ),
            models.Index(fields=["processing_status", "number"], name="order_status_number_idx"),
            models.Index(
                fields=["number"],
                condition=Q(processed_at__isnull=True),
                name="order_unprocessed_idx",
            ),
            models.Index(fields=["processed_at"], name="order_processed_at_idx"),
            # The Dynamic Display's completions of the day.
            models.Index(
                fields=["completed_at"],
                condition=Q(completed_at__isnull=False),
                name="order_completed_at_idx",
            ),
            models.Index(
                fields=["number"], condition=PROCESSABLE_ORDER, name="order_processable_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.number}"

    @property
    def customer_number(self) -> str:
        """The customer's number; "" for an order without a customer."""
        return self.customer.number if self.customer_id is not None else ""

    @cached_property
    def right_eye(self) -> "OrderEye | None":
        """The right eye's prescription and lens, or None (from ``eyes``, prefetched by
        ``for_display``; ``fast_reads`` sets it from its own statement)."""
        return self._eye(Eye.RIGHT)

    @cached_property
    def left_eye(self) -> "OrderEye | None":
        return self._eye(Eye.LEFT)

    def _eye(self, eye: Eye) -> "OrderEye | None":
        return next((row for row in self.eyes.all() if row.eye == eye), None)

    @property
    def calculation_description(self) -> str | None:
        """Whose surfacing calculation is done, in the fetch model's words
        (``calculationDesc``); None for a stock order, which is not made."""
        if self.stock_order:
            return None
        done = tuple(bool(eye and eye.calculated) for eye in (self.right_eye, self.left_eye))
        return CALCULATION_DESCRIPTIONS[done]

    @cached_property
    def addon_codes(self) -> list[str]:
        """The codes of the order's addons, in the client's order (``order_addons`` with their
        addon, prefetched by ``for_display``; ``fast_reads`` sets it from its statement)."""
        return [row.addon.code for row in self.order_addons.all()]

    @cached_property
    def ar_addon(self) -> "Addon | None":
        """The order's first AR addon (the fetch model's ``arCode`` and ``arDesc``), or None."""
        return next((row.addon for row in self.order_addons.all() if row.addon.is_ar), None)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def is_completed(self) -> bool:
        return self.state == OrderState.COMPLETED

    @property
    def is_closed(self) -> bool:
        """Completed, or its completion accepted and waiting for the Job Tracker: nothing
        about the order may change any more."""
        return self.is_completed or self.pending_completion

    @property
    def is_active(self) -> bool:
        return not self.is_cancelled and not self.is_completed

    @property
    def is_processed(self) -> bool:
        return self.processed_at is not None

    @property
    def is_processable(self) -> bool:
        return processable(
            state=self.state,
            on_hold=self.on_hold,
            cancelled_at=self.cancelled_at,
            processed_at=self.processed_at,
        )


class OrderItem(models.Model):
    """One product line of an order, processed at one or more endpoints (departments)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField("SKU", max_length=40)
    name = models.CharField(max_length=200, blank=True, default="")
    quantity = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=12, choices=ProcessingStatus.choices, default=ProcessingStatus.NEW
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.sku} x{self.quantity}"


class OrderItemEndpoint(models.Model):
    """The status of one item at one endpoint where it is processed."""

    item = models.ForeignKey(OrderItem, on_delete=models.CASCADE, related_name="endpoints")
    name = models.CharField(max_length=40)
    status = models.CharField(
        max_length=12, choices=ProcessingStatus.choices, default=ProcessingStatus.NEW
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "name"], name="item_endpoint_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.status}"


class OrderEye(models.Model):
    """One eye of a job: its prescription, its lens (style, material, the blank's product
    code) and whether the surfacing calculation is done. At most one row per eye; values are
    checked by ``orders.rx`` before they are stored, so they lie in the catalogue's ranges."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="eyes")
    eye = models.CharField(max_length=1, choices=Eye.choices)
    lens_style = models.CharField(max_length=20, blank=True, default="")
    lens_material = models.CharField(max_length=20, blank=True, default="")
    sphere = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    cylinder = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    axis = models.PositiveSmallIntegerField(null=True, blank=True)
    add = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    prism = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    prism_base = models.CharField(max_length=6, blank=True, default="")
    pd = models.DecimalField("PD", max_digits=4, decimal_places=2, null=True, blank=True)
    near_pd = models.DecimalField(
        "near PD",
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        # Not in the Rx check catalogue (orders.rx): refused with the other field problems.
        validators=[MinValueValidator(Decimal(18)), MaxValueValidator(Decimal(45))],
    )
    seg_height = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    opc = models.CharField("OPC", max_length=20, blank=True, default="")
    calculated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-eye"]  # R before L
        constraints = [
            models.UniqueConstraint(fields=["order", "eye"], name="order_eye_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_eye_display()} eye"

    def values(self) -> EyeValues:
        """What ``orders.rx`` checks of this eye."""
        stored = {name: getattr(self, name) for name in EYE_FIELDS}
        return EyeValues(**{name: None if value == "" else value for name, value in stored.items()})


class OrderPick(models.Model):
    """An item of an order picked for it and verified: the code scanned (the one expected),
    who picked it and when. Pick verification (``orders.services.picking``) writes these."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="picks")
    item = models.CharField(max_length=20, choices=PickItem.choices)
    code = models.CharField(max_length=20)
    picked_at = models.DateTimeField(default=timezone.now)
    picked_by = acting_user()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "item"], name="order_pick_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_item_display()} {self.code}"


class OrderAddon(models.Model):
    """An addon of an order, in the order the client listed them (``position``)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="order_addons")
    addon = models.ForeignKey(Addon, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "addon"], name="order_addon_unique"),
        ]

    def __str__(self) -> str:
        return str(self.addon)


class DeleteReason(CodedRecord):
    """A reason code a client gives when cancelling an order."""

    code_names = "reason code"

    code = models.CharField(max_length=10, unique=True, validators=[REASON_CODE])
    description = models.CharField(max_length=200)
    active = models.BooleanField(default=True)


class OrderEvent(models.Model):
    """One entry of an order's history: who changed what, when, from what to what, and why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = acting_user()
    # Kept beside the foreign key so the history still reads right if the user is removed.
    actor_name = models.CharField(max_length=150, blank=True, default="")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    from_value = models.CharField(max_length=100, blank=True, default="")
    to_value = models.CharField(max_length=100, blank=True, default="")
    reason = models.CharField(max_length=200, blank=True, default="")
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="orderevent_order_at_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor_name or 'system'}"


class OrderNumberSequence(models.Model):
    """The counter order numbers are assigned from when a client does not give one."""

    last_value = models.PositiveIntegerField(default=10_000)

    def __str__(self) -> str:
        return f"last order number {self.last_value}"


class LabSettings(models.Model):
    """The lab's runtime settings: one row, edited by supervisors, every change recorded.

    Each field is a setting; its label, explanation and API name are declared once, in
    ``orders.settings_registry``.
    """

    enter_reason_code_when_deleting_order = models.BooleanField(
        default=False, **described("enter_reason_code_when_deleting_order")
    )
    job_tracker_module_installed = models.BooleanField(
        default=True, **described("job_tracker_module_installed")
    )
    jobtrack_station_verify = models.BooleanField(
        default=False, **described("jobtrack_station_verify")
    )
    trays_required = models.BooleanField(default=False, **described("trays_required"))
    allow_hold_orders = models.BooleanField(default=True, **described("allow_hold_orders"))
    tracker_heartbeat_seconds = models.PositiveIntegerField(
        default=30,
        # Shorter than a few heartbeats (every 2 s) would report a running tracker as down.
        validators=[MinValueValidator(5), MaxValueValidator(3600)],
        **described("tracker_heartbeat_seconds"),
    )
    ticket_paper_size = models.CharField(
        max_length=10,
        choices=PaperSize.choices,
        default=PaperSize.LETTER,
        **described("ticket_paper_size"),
    )
    save_duplicate_orders = models.BooleanField(default=True, **described("save_duplicate_orders"))
    force_qa_on_addon_jobs = models.BooleanField(
        default=False, **described("force_qa_on_addon_jobs")
    )
    verify_tray_is_empty = models.BooleanField(default=True, **described("verify_tray_is_empty"))
    partial_picking = models.BooleanField(default=False, **described("partial_picking"))
    dynamic_display_refresh_seconds = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(3600)],
        **described("dynamic_display_refresh_seconds"),
    )

    class Meta:
        verbose_name = "lab settings"
        verbose_name_plural = "lab settings"

    def __str__(self) -> str:
        return "Lab settings"

    def save(self, *args, **kwargs):
        self.pk = 1  # there is exactly one row
        super().save(*args, **kwargs)

    @classmethod
    def load(cls, *, for_update: bool = False) -> "LabSettings":
        """The settings row, read afresh (one statement); created with defaults on first use.

        Nothing is kept between calls, so a change counts in every process at once. The
        services read the settings inside their transaction, after locking the order they
        change. ``for_update`` locks the row: change the settings from a row read that way
        (``update_lab_settings``).
        """
        queryset = cls.objects.select_for_update() if for_update else cls.objects
        try:
            return queryset.get(pk=1)
        except cls.DoesNotExist:
            loaded, _ = cls.objects.get_or_create(pk=1)
            return loaded


class LabSettingsChange(models.Model):
    """History of the lab settings: one row per changed setting."""

    at = models.DateTimeField(default=timezone.now)
    actor = acting_user()
    actor_name = models.CharField(max_length=150, blank=True, default="")
    setting = models.CharField(max_length=60)
    from_value = models.CharField(max_length=100, blank=True, default="")
    to_value = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.setting}: {self.from_value} -> {self.to_value}"

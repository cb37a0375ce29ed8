"""Creating an order: the checks of ``create_checks`` in the contract's order, a number from
the sequence when none is given, the job's eyes, frame and addons, the flow steps it requires,
and whether the new order is valid or unvalid (and why)."""

from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.errors import InvalidOrderData
from orders.flow import FLOW_STEPS
from orders.models import (
    FLOW_OF_ADDON_FLAGS,
    LENS_AND_FRAME_FIELDS,
    SHIP_TO_FIELDS,
    Addon,
    LabSettings,
    Order,
    OrderAddon,
    OrderEye,
    OrderItem,
    OrderItemEndpoint,
    OrderNumberSequence,
)
from orders.rx import Eye, EyeValues
from orders.status import EventKind, JobType, OrderState

from .create_checks import CheckedOrder, check_new_order, identifier_problems
from .history import record_event, save_change
from .locks import lock_order

MAX_ORDER_NUMBER = 99_999_999


@dataclass
class NewItem:
    sku: str
    name: str = ""
    quantity: int = 1
    endpoints: list[str] = field(default_factory=list)


@dataclass
class NewOrder:
    number: str | None = None  # assigned from the sequence when None
    tray: str = ""
    po_number: str = ""
    customer_number: str = ""  # names an active customer, or none is given
    customer_job_id: str = ""
    patient: str = ""
    job_type: str = JobType.UNCUT
    date_ordered: date | None = None
    date_wanted: date | None = None
    ticket_id: str = ""
    ticket_name: str = ""
    requires: set[str] = field(default_factory=set)  # Order field names of required steps
    items: list[NewItem] = field(default_factory=list)
    eyes: dict[Eye, EyeValues] = field(default_factory=dict)  # what the job orders per eye
    lens_and_frame: dict = field(default_factory=dict)  # LENS_AND_FRAME_FIELDS given
    addons: list[str] = field(default_factory=list)  # addon codes, in the client's order
    stock_order: bool = False  # picked and shipped, not made: not a job
    ship_to: dict = field(default_factory=dict)  # SHIP_TO_FIELDS given


def _next_order_number() -> int:
    sequence = OrderNumberSequence.objects.select_for_update().filter(pk=1).first()
    if sequence is None:
        # First use. Concurrent first creates all get here: with ON CONFLICT DO NOTHING one
        # insert wins and the others wait for it instead of failing, then all lock that row.
        OrderNumberSequence.objects.bulk_create([OrderNumberSequence(pk=1)], ignore_conflicts=True)
        sequence = OrderNumberSequence.objects.select_for_update().get(pk=1)
    candidate = sequence.last_value
    while True:
        window = range(candidate + 1, min(candidate + 100, MAX_ORDER_NUMBER) + 1)
        if not window:
            raise InvalidOrderData({"orderNumber": ["no order numbers are left to assign"]})
        taken = set(Order.objects.filter(number__in=list(window)).values_list("number", flat=True))
        free = next((n for n in window if n not in taken), None)
        if free is not None:
            sequence.last_value = free
            sequence.save(update_fields=["last_value"])
            return free
        candidate = window[-1]


def _unvalid_message(data: NewOrder, checked: CheckedOrder) -> str:
    """Why a new order cannot be released to production, or "" when it can. A job with an
    ordered eye, or an addon job with its addons, is valid with or without items."""
    if checked.duplicate_of is not None:
        customer = checked.customer.number if checked.customer else "(none)"
        return (
            f"Duplicate customer job id {data.customer_job_id} for customer {customer}: "
            f"order {checked.duplicate_of.number}"
        )
    addon_job = data.job_type == JobType.ADDON
    if not data.stock_order and (
        any(eye.ordered(addon_job=addon_job) for eye in data.eyes.values())
        or (addon_job and checked.addons)
    ):
        return ""
    if not data.items:
        return "Order has no items"
    return ""


def flow_requirements(data: NewOrder, addons: list[Addon], lab: LabSettings) -> set[str]:
    """The flow steps a new order requires (Order field names): those the client asked for,
    those its addons bring, and final QA on every addon job when the lab forces it."""
    required = set(data.requires)
    for flag, requirement in FLOW_OF_ADDON_FLAGS.items():
        if any(getattr(addon, flag) for addon in addons):
            required.add(requirement)
    if data.job_type == JobType.ADDON and lab.force_qa_on_addon_jobs:
        required.add("requires_final_qa")
    return required


# How many numbers create_order tries from the sequence. A number it picks can be taken by a
# concurrent create that chose that number itself and had not committed yet; the next pick
# skips it. Each retry needs one more such create in flight, so a few attempts are plenty.
NUMBER_ATTEMPTS = 10


def create_order(*, data: NewOrder, actor, device: str = "") -> Order:
    """Create an order with its items. It is valid, or unvalid with a message saying why."""
    known_flags = {spec.order_field for spec in FLOW_STEPS}
    if unknown := data.requires - known_flags:
        raise ValueError(f"unknown flow requirement(s): {sorted(unknown)}")
    if unknown := set(data.lens_and_frame) - set(LENS_AND_FRAME_FIELDS):
        raise ValueError(f"not a lens or frame field: {sorted(unknown)}")
    if unknown := set(data.ship_to) - set(SHIP_TO_FIELDS):
        raise ValueError(f"not a ship-to field: {sorted(unknown)}")

    attempt = 1
    while True:
        try:
            return _create_order(data=data, actor=actor, device=device)
        except IntegrityError:
            # A concurrent request took the same number or tray between our check and insert.
            errors = identifier_problems(data)
            if errors:
                raise InvalidOrderData(errors) from None
            if data.number is None and attempt < NUMBER_ATTEMPTS:
                attempt += 1  # the number came from the sequence: pick another
                continue
            raise


def _create_order(*, data: NewOrder, actor, device: str) -> Order:
    with transaction.atomic():
        lab = LabSettings.load()
        checked = check_new_order(data, lab=lab)
        now = timezone.now()
        unvalid_message = _unvalid_message(data, checked)
        order = Order.objects.create(
            number=int(data.number) if data.number is not None else _next_order_number(),
            tray=data.tray,
            po_number=data.po_number,
            customer=checked.customer,
            customer_job_id=data.customer_job_id,
            patient=data.patient,
            job_type=data.job_type,
            stock_order=data.stock_order,
            date_ordered=data.date_ordered or timezone.localdate(),
            date_wanted=data.date_wanted,
            received_at=now,
            ticket_id=data.ticket_id,
            ticket_name=data.ticket_name,
            state=OrderState.UNVALID if unvalid_message else OrderState.VALID,
            unvalid_message=unvalid_message,
            valid_at=None if unvalid_message else now,
            created_by=actor,
            created_device=device,
            **data.lens_and_frame,
            **data.ship_to,
            **{name: True for name in flow_requirements(data, checked.addons, lab)},
        )
        OrderEye.objects.bulk_create(
            OrderEye(
                order=order,
                eye=eye,
                **{name: value for name, value in vars(values).items() if value is not None},
            )
            for eye, values in data.eyes.items()
        )
        OrderAddon.objects.bulk_create(
            OrderAddon(order=order, addon=addon, position=position)
            for position, addon in enumerate(checked.addons, start=1)
        )
        for new_item in data.items:
            item = OrderItem.objects.create(
                order=order, sku=new_item.sku, name=new_item.name, quantity=new_item.quantity
            )
            OrderItemEndpoint.objects.bulk_create(
                OrderItemEndpoint(item=item, name=name)
                for name in dict.fromkeys(new_item.endpoints)
            )
        record_event(
            order,
            kind=EventKind.CREATED,
            actor=actor,
            to_value=order.get_state_display(),
            note=unvalid_message or (f"from {device}" if device else ""),
        )
        if checked.duplicate_of is not None:
            _hold_original(checked.duplicate_of, duplicate=order, actor=actor)
        return order


def _hold_original(original: Order, *, duplicate: Order, actor) -> None:
    """Put the order a duplicate repeats on hold, its history saying why (Save Duplicate
    Orders, as the vendor does). An order already on hold, completed or waiting for its
    completion stays as it is."""
    original = lock_order(original)
    if original.on_hold or original.is_closed or original.is_cancelled:
        return
    original.on_hold = True
    save_change(
        original,
        ["on_hold"],
        kind=EventKind.HOLD,
        actor=actor,
        to_value="On Hold",
        reason=f"Duplicate order {duplicate.number} received",
    )

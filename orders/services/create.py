"""Creating an order: the vendor's number, tray and PO rules, a number from the sequence when
none is given, and whether the new order is valid or unvalid (and why)."""

from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from orders.errors import CustomerNotFound, InvalidOrderData
from orders.flow import FLOW_STEPS
from orders.identifiers import order_number_error, po_number_error, tray_number_error
from orders.models import Customer, Order, OrderItem, OrderItemEndpoint, OrderNumberSequence
from orders.status import EventKind, JobType, OrderState

from .history import record_event

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
    calculation_desc: str = ""
    date_ordered: date | None = None
    date_wanted: date | None = None
    ticket_id: str = ""
    ticket_name: str = ""
    requires: set[str] = field(default_factory=set)  # Order field names of required steps
    items: list[NewItem] = field(default_factory=list)


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


def _validate_new_order(data: NewOrder) -> dict[str, list[str]]:
    """What is wrong with the new order's identifiers: at most one problem per field."""
    problems = {
        "orderNumber": _order_number_problem(data.number),
        "trayNumber": _tray_problem(data.tray),
        "poNumber": po_number_error(data.po_number) if data.po_number else None,
    }
    return {field: [problem] for field, problem in problems.items() if problem}


def _order_number_problem(number) -> str | None:
    if number is None:
        return None
    problem = order_number_error(number)
    if not problem and Order.objects.filter(number=int(number)).exists():
        problem = f"order number {number} already exists"
    return problem


def _tray_problem(tray: str) -> str | None:
    if not tray:
        return None
    problem = tray_number_error(tray)
    if not problem:
        holder = Order.objects.active().filter(tray=tray).only("number").first()
        if holder is not None:
            problem = f"tray {tray} is in use by order {holder.number}"
    return problem


def _customer(number: str) -> Customer | None:
    """The active customer ``number`` names; None when no number is given."""
    if not number:
        return None
    customer = Customer.objects.filter(number=number, active=True).first()
    if customer is None:
        raise CustomerNotFound(number)
    return customer


def _unvalid_message(data: NewOrder, customer: Customer | None) -> str:
    """Why a new order cannot be released to production, or "" when it can."""
    if not data.items:
        return "Order has no items"
    if data.customer_job_id:
        duplicate = (
            Order.objects.filter(
                customer=customer,
                customer_job_id=data.customer_job_id,
                cancelled_at__isnull=True,
            )
            .only("number")
            .first()
        )
        if duplicate is not None:
            return (
                f"Duplicate customer job id {data.customer_job_id} for customer "
                f"{customer.number if customer else '(none)'}: order {duplicate.number}"
            )
    return ""


# How many numbers create_order tries from the sequence. A number it picks can be taken by a
# concurrent create that chose that number itself and had not committed yet; the next pick
# skips it. Each retry needs one more such create in flight, so a few attempts are plenty.
NUMBER_ATTEMPTS = 10


def create_order(*, data: NewOrder, actor, device: str = "") -> Order:
    """Create an order with its items. It is valid, or unvalid with a message saying why."""
    known_flags = {spec.order_field for spec in FLOW_STEPS}
    if unknown := data.requires - known_flags:
        raise ValueError(f"unknown flow requirement(s): {sorted(unknown)}")
    attempt = 1
    while True:
        try:
            return _create_order(data=data, actor=actor, device=device)
        except IntegrityError:
            # A concurrent request took the same number or tray between our check and insert.
            errors = _validate_new_order(data)
            if errors:
                raise InvalidOrderData(errors) from None
            if data.number is None and attempt < NUMBER_ATTEMPTS:
                attempt += 1  # the number came from the sequence: pick another
                continue
            raise


def _create_order(*, data: NewOrder, actor, device: str) -> Order:
    with transaction.atomic():
        errors = _validate_new_order(data)
        if errors:
            raise InvalidOrderData(errors)
        customer = _customer(data.customer_number)
        now = timezone.now()
        unvalid_message = _unvalid_message(data, customer)
        order = Order.objects.create(
            number=int(data.number) if data.number is not None else _next_order_number(),
            tray=data.tray,
            po_number=data.po_number,
            customer=customer,
            customer_job_id=data.customer_job_id,
            patient=data.patient,
            job_type=data.job_type,
            calculation_desc=data.calculation_desc,
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
            **{name: True for name in data.requires},
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
        return order

"""Every change to an order happens here.

Each service runs in one transaction, re-reads the order under a row lock, checks its guards
in the documented order, raises a typed ``DomainError`` when one fails, and records an
``OrderEvent`` in the same transaction. Callers (API faces, admin actions, background
processes) pass the acting user explicitly and never change orders themselves.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone

from toolkit.compiled_query import CompiledInsert, CompiledQuery, CompiledUpdate, save_fields
from toolkit.errors import DomainError

from . import hooks
from .errors import (
    DeleteReasonInvalid,
    DeleteReasonsEmpty,
    EndpointNotFound,
    HoldNotAllowed,
    InvalidOrderData,
    ItemCancelled,
    ItemNotFound,
    JobTrackerRequired,
    OrderAlreadyCompleted,
    OrderAlreadyOnHold,
    OrderMarkedForCancelation,
    OrderNotFound,
    OrderNotOnHold,
    OrderNotPreProduction,
    OrderNotProcessable,
    OrderNotProcessed,
    VersionMismatch,
)
from .flow import FLOW_STEPS
from .identifiers import (
    ORDER_NUMBER_RE,
    LockWithItems,
    order_number_error,
    parse_public_id,
    po_number_error,
    resolve_order_identifier,
    tray_number_error,
)
from .models import (
    DeleteReason,
    LabSettings,
    LabSettingsChange,
    Order,
    OrderEvent,
    OrderItem,
    OrderItemEndpoint,
    OrderNumberSequence,
)
from .status import EventKind, JobType, OrderState, ProcessingStatus, derive_status

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
    customer_number: str = ""
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


@dataclass
class CancelResult:
    order: Order
    message: str
    # The order's items with their endpoints, as ``order_with_items`` reads them: what the
    # cancel left them (every one cancelled), read with the lock.
    item_rows: list[tuple] = field(default_factory=list)


REASON_IGNORED_WARNING = (
    "deleteReason was ignored: this lab does not require reason codes when deleting orders"
)


def actor_name(actor) -> str:
    return actor.get_username() if actor is not None else "system"


def _fit(field_name: str, value: str) -> str:
    """``value`` cut to the history column's length: a long reason description, say, must not
    make the change it records fail."""
    limit = OrderEvent._meta.get_field(field_name).max_length
    return value if limit is None or len(value) <= limit else value[: limit - 1] + "…"


def record_event(order: Order, *, kind: str, actor, **values) -> OrderEvent:
    """Append an entry to the order's history (inside the caller's transaction)."""
    values = {
        name: _fit(name, value) if isinstance(value, str) else value
        for name, value in values.items()
    }
    event = OrderEvent(
        order=order,
        kind=kind,
        actor=actor,
        actor_name=_fit("actor_name", actor_name(actor)),
        **values,
    )
    return _INSERT_EVENT.run(event)


# Every change writes one; compiled once (``toolkit.compiled_query``).
_INSERT_EVENT = CompiledInsert(OrderEvent)


class OrderLock:
    """Re-reads an order under a row lock, with values that its service checks next read in
    the same statement. ``annotations`` maps names to expressions about the order (an
    ``Exists`` or a ``Subquery`` over ``OuterRef("pk")``), or to functions of the lock's
    arguments that return one; ``placeholders`` are those arguments' placeholders (as
    ``CompiledQuery``'s, each used once in the statement). Only the order's row is locked.
    Every service that changes an order starts with one, so the statement is compiled once
    (``toolkit.compiled_query``)."""

    def __init__(self, *placeholders, **annotations):
        self._names = list(annotations)

        def build(pk, *arguments):
            expressions = {
                name: annotation(*arguments) if callable(annotation) else annotation
                for name, annotation in annotations.items()
            }
            return (
                Order.objects.select_for_update(of=("self",))
                .filter(pk=pk)
                .annotate(**expressions)
                .order_by()
                .values_list(*_ORDER_ATTNAMES, *self._names)
            )

        self._query = CompiledQuery(build, 2**62 + 1, *placeholders)  # an id placeholder first

    def __call__(self, order: Order, *arguments) -> tuple[Order, dict]:
        rows = self._query.rows(order.pk, *arguments)
        if not rows:
            raise Order.DoesNotExist(f"Order {order.pk} does not exist")
        row = rows[0]
        values = row[len(_ORDER_ATTNAMES) :]
        locked = Order.from_db("default", _ORDER_ATTNAMES, row[: len(_ORDER_ATTNAMES)])
        return locked, dict(zip(self._names, values, strict=True))


def lock_order(order: Order) -> Order:
    """Re-read ``order`` under a row lock."""
    return _LOCK_ORDER(order)[0]


_ORDER_ATTNAMES = [field.attname for field in Order._meta.concrete_fields]
_LOCK_ORDER = OrderLock()


# --- create -----------------------------------------------------------------------------------


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
    errors: dict[str, list[str]] = {}
    if data.number is not None:
        problem = order_number_error(data.number)
        if problem:
            errors.setdefault("orderNumber", []).append(problem)
        elif Order.objects.filter(number=int(data.number)).exists():
            errors.setdefault("orderNumber", []).append(
                f"order number {data.number} already exists"
            )
    if data.tray:
        problem = tray_number_error(data.tray)
        if problem:
            errors.setdefault("trayNumber", []).append(problem)
        else:
            holder = Order.objects.active().filter(tray=data.tray).only("number").first()
            if holder is not None:
                errors.setdefault("trayNumber", []).append(
                    f"tray {data.tray} is in use by order {holder.number}"
                )
    if data.po_number:
        problem = po_number_error(data.po_number)
        if problem:
            errors.setdefault("poNumber", []).append(problem)
    return errors


def _unvalid_message(data: NewOrder) -> str:
    """Why a new order cannot be released to production, or "" when it can."""
    if not data.items:
        return "Order has no items"
    if data.customer_job_id:
        duplicate = (
            Order.objects.filter(
                customer_number=data.customer_number,
                customer_job_id=data.customer_job_id,
                cancelled_at__isnull=True,
            )
            .only("number")
            .first()
        )
        if duplicate is not None:
            return (
                f"Duplicate customer job id {data.customer_job_id} for customer "
                f"{data.customer_number or '(none)'}: order {duplicate.number}"
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
        now = timezone.now()
        unvalid_message = _unvalid_message(data)
        order = Order.objects.create(
            number=int(data.number) if data.number is not None else _next_order_number(),
            tray=data.tray,
            po_number=data.po_number,
            customer_number=data.customer_number,
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


# --- hold / release ---------------------------------------------------------------------------


def hold_order(*, order: Order, actor) -> Order:
    """Put an order on hold. Refused when the lab does not allow holds."""
    with transaction.atomic():
        order = lock_order(order)
        if order.is_cancelled:
            raise OrderMarkedForCancelation
        if order.is_closed:
            raise OrderAlreadyCompleted
        if not LabSettings.load().allow_hold_orders:
            raise HoldNotAllowed
        if order.on_hold:
            raise OrderAlreadyOnHold
        order.on_hold = True
        order.version += 1
        save_fields(order, ["on_hold", "version"])
        record_event(order, kind=EventKind.HOLD, actor=actor, from_value="", to_value="On Hold")
        return order


def release_order(*, order: Order, actor) -> Order:
    """Take an order off hold."""
    with transaction.atomic():
        order = lock_order(order)
        if order.is_cancelled:
            raise OrderMarkedForCancelation
        if not order.on_hold:
            raise OrderNotOnHold
        order.on_hold = False
        order.version += 1
        save_fields(order, ["on_hold", "version"])
        record_event(
            order,
            kind=EventKind.RELEASE,
            actor=actor,
            from_value="On Hold",
            to_value=order.get_state_display(),
        )
        return order


# --- cancel -----------------------------------------------------------------------------------


def cancel_order(
    *, order: Order | None = None, identifier: str | None = None, actor, reason_code: str | None
) -> CancelResult:
    """Mark an order for cancelation, checking the contract's guards in their order.

    The order is ``order``, or the one ``identifier`` names (``resolve_order_identifier``'s
    rules and errors; an order number is looked up with the lock, in the same statement).
    Nothing is deleted: the order keeps its data and history, and its tray is free again.
    """
    if (order is None) == (identifier is None):
        raise TypeError("give the order or its identifier")
    with transaction.atomic():
        if order is None:
            order, item_rows, _ = _lock_identified(identifier)
        else:
            order, item_rows, _ = _LOCK_FOR_CANCEL(order.pk)
        settings = LabSettings.load()
        refusal = _order_cancel_refusal(order, settings=settings)
        if refusal is not None:
            raise refusal
        reason, message = _cancel_reason(settings, reason_code)
        refusal = _production_cancel_refusal(order)
        if refusal is not None:
            raise refusal

        # What other apps undo with the order (queued print jobs, say), in their order.
        notes = [note for effect in hooks.on_cancel if (note := effect(order))]
        # The work is abandoned: every item, at every endpoint, is cancelled with the order.
        _CANCEL_ENDPOINTS.run(order.pk)
        _CANCEL_ITEMS.run(order.pk)
        order.processing_status = ProcessingStatus.CANCELLED
        order.cancelled_at = timezone.now()
        order.cancelled_by = actor
        order.cancel_reason = reason
        order.version += 1
        save_fields(
            order, ["cancelled_at", "cancelled_by", "cancel_reason", "processing_status", "version"]
        )
        record_event(
            order,
            kind=EventKind.CANCEL,
            actor=actor,
            from_value=order.get_state_display(),
            to_value="Marked for cancelation",
            reason=str(reason) if reason else "",
            note="; ".join([f"tray {order.tray} freed"] * bool(order.tray) + notes),
        )
        return CancelResult(order=order, message=message, item_rows=_all_cancelled(item_rows))


def cancel_refusal(order: Order, *, settings: LabSettings) -> DomainError | None:
    """Why ``cancel_order`` would refuse ``order`` whatever reason code it is given, or None.

    Reads and changes nothing but what the hooks read: the admin shows its Cancel button only
    where this is None, so the button never offers a cancel the service refuses.
    """
    return _order_cancel_refusal(order, settings=settings) or _production_cancel_refusal(order)


def _order_cancel_refusal(order: Order, *, settings: LabSettings) -> DomainError | None:
    """The contract's guards #2 and #3: the lab's module, and the order's own state."""
    if not settings.job_tracker_module_installed:
        return JobTrackerRequired()
    if order.is_cancelled or order.is_closed:
        return OrderAlreadyCompleted()
    return None


def _production_cancel_refusal(order: Order) -> DomainError | None:
    """The contract's guard #6, asked of the apps that record where the order has been."""
    for refusal_of in hooks.cancel_refusals:
        refusal = refusal_of(order)
        if refusal is not None:
            return refusal
    return None


def _cancel_reason(
    settings: LabSettings, reason_code: str | None
) -> tuple[DeleteReason | None, str]:
    """The contract's guards #4 and #5: the reason a cancel records, and its warning message."""
    if not settings.enter_reason_code_when_deleting_order:
        return None, REASON_IGNORED_WARNING if reason_code else ""
    if not DeleteReason.objects.filter(active=True).exists():
        raise DeleteReasonsEmpty
    reason = DeleteReason.objects.filter(code=reason_code or "", active=True).first()
    if reason is None:
        raise DeleteReasonInvalid(reason_code or "")
    return reason, ""


def _lock_identified(identifier: str):
    """``_LOCK_FOR_CANCEL`` of the order ``identifier`` names. An order number wins over a tray
    and a PO number, so an identifier that is one is tried with the lock first; anything else
    resolves as ``resolve_order_identifier`` resolves it, then is locked."""
    if ORDER_NUMBER_RE.fullmatch(identifier):
        found = _LOCK_FOR_CANCEL.by_number(int(identifier))
        if found is not None:
            return found
    return _LOCK_FOR_CANCEL(resolve_order_identifier(identifier).pk)


def _all_cancelled(item_rows: list[tuple]) -> list[tuple]:
    """Item rows (``ItemRow``: item id, order id, SKU, name, quantity, status, endpoint name,
    endpoint status) as a cancel leaves them: every item and endpoint cancelled."""
    cancelled = ProcessingStatus.CANCELLED
    return [
        row
        if row[0] is None  # an order without items
        else (*row[:5], cancelled, row[6], None if row[6] is None else cancelled)
        for row in item_rows
    ]


# What a cancel runs on every call, compiled once (``toolkit.compiled_query``).
def _setting_cancelled(build) -> CompiledUpdate:
    """A compiled update that cancels the rows ``build`` selects (one argument, an id)."""
    return CompiledUpdate(build, fields=[], constants={"status": ProcessingStatus.CANCELLED})


# Scalar subqueries (an id or NULL) rather than EXISTS: the lock's statement has a row per item
# and endpoint, and over several rows the planner may answer an EXISTS by hashing every queued
# job of the lab instead of looking at this order's.
_LOCK_FOR_CANCEL = LockWithItems()
_CANCEL_ENDPOINTS = _setting_cancelled(
    lambda order_id: OrderItemEndpoint.objects.filter(item__order_id=order_id).exclude(
        status=ProcessingStatus.CANCELLED
    )
)
_CANCEL_ITEMS = _setting_cancelled(
    lambda order_id: OrderItem.objects.filter(order_id=order_id).exclude(
        status=ProcessingStatus.CANCELLED
    )
)


# --- cancel items -----------------------------------------------------------------------------

# Item ids are 64-bit primary keys: a larger id names no item (and is never sent to the database).
MAX_ITEM_ID = 2**63 - 1

PRE_PRODUCTION_STATES = frozenset({OrderState.UNVALID, OrderState.VALID})


@dataclass
class CancelItemsResult:
    order: Order
    cancelled: list[int]  # in the order they were asked for
    failures: dict[int, str]  # item id -> why it was not cancelled


def _production_status(order: Order) -> str | None:
    """The status of an order past pre-production, or None while its items may be cancelled.

    Pre-production: unvalid or valid (on hold or not) and never checked in at a station (its
    current station, or one that an app's records place it at: ``hooks.production_stations``).
    Cancelled and completed orders are refused before this is asked.
    """
    if order.current_station_id is not None:
        station = order.current_station.code
    else:
        station = next(
            (code for source in hooks.production_stations if (code := source(order))), None
        )
    if order.state in PRE_PRODUCTION_STATES and station is None:
        return None
    parts = [order.get_state_display()]
    if order.on_hold:
        parts.append("on hold")
    if station is not None:
        parts.append(f"checked in at station {station}")
    return ", ".join(parts)


@dataclass
class _ItemState:
    """An item of the order being changed, as read with its endpoints' statuses."""

    pk: int
    sku: str
    status: str
    endpoint_statuses: list[str]


def _items_of(order: Order) -> dict[int, _ItemState]:
    """The order's items with their endpoints' statuses, in id order (one statement)."""
    items: dict[int, _ItemState] = {}
    for item_id, sku, status, endpoint_id, endpoint_status in _ITEMS_WITH_ENDPOINTS.rows(order.pk):
        item = items.get(item_id)
        if item is None:
            item = items[item_id] = _ItemState(item_id, sku, status, [])
        if endpoint_id is not None:
            item.endpoint_statuses.append(endpoint_status)
    return items


def cancel_items(
    *, order: Order, item_ids: list[int], actor, partner_name: str = ""
) -> CancelItemsResult:
    """Cancel items of a pre-production order, each id on its own (partial success).

    The order must be neither marked for cancelation nor completed (``OrderMarkedForCancelation``,
    ``OrderAlreadyCompleted``) and still pre-production (``OrderNotPreProduction``); then each
    id is cancelled, with its endpoints, or fails because it is not an item of this order or
    is already cancelled. A repeated id counts once. The order itself is never cancelled,
    even when its last live item is: it stays visible with its history. ``partner_name``
    names the API partner that asked, in the history.

    The items' and the order's statuses are then derived again, as
    ``refresh_processing_status`` derives them, from the rows read before the change.
    """
    wanted = list(dict.fromkeys(item_ids))
    with transaction.atomic():
        order, _ = _LOCK_FOR_ITEM_CANCEL(order)
        if order.is_cancelled:
            raise OrderMarkedForCancelation
        if order.is_closed:
            raise OrderAlreadyCompleted
        status = _production_status(order)
        if status is not None:
            raise OrderNotPreProduction(status)

        items = _items_of(order)
        to_cancel: list[_ItemState] = []
        failures: dict[int, str] = {}
        for item_id in wanted:
            item = items.get(item_id) if 0 < item_id <= MAX_ITEM_ID else None
            if item is None:
                failures[item_id] = ItemNotFound.message
            elif item.status == ProcessingStatus.CANCELLED:
                failures[item_id] = ItemCancelled.message
            else:
                to_cancel.append(item)

        if to_cancel:
            previous = {item.pk: item.status for item in to_cancel}
            _cancel_item_rows([item.pk for item in to_cancel])
            for item in to_cancel:
                item.status = ProcessingStatus.CANCELLED
                item.endpoint_statuses = [ProcessingStatus.CANCELLED] * len(item.endpoint_statuses)
            for item in items.values():
                # What refresh_processing_status would correct: an item whose status is not the
                # one its endpoints give (never one just cancelled, whose endpoints all are).
                if item.endpoint_statuses:
                    derived = derive_status(item.endpoint_statuses)
                    if derived != item.status:
                        OrderItem.objects.filter(pk=item.pk).update(status=derived)
                        item.status = derived
            order.processing_status = derive_status(item.status for item in items.values())
            order.version += 1
            save_fields(order, ["processing_status", "version"])
            now = timezone.now()
            by = f" by partner {partner_name} (as {actor_name(actor)})" if partner_name else ""
            events = [
                OrderEvent(
                    order=order,
                    at=now,
                    kind=EventKind.ITEMS_CANCELLED,
                    actor=actor,
                    actor_name=_fit("actor_name", partner_name or actor_name(actor)),
                    from_value=previous[item.pk],
                    to_value=ProcessingStatus.CANCELLED,
                    note=f"item {item.pk} ({item.sku}) cancelled{by}",
                )
                for item in to_cancel
            ]
            if len(events) == 1:
                _INSERT_EVENT.run(events[0])
            else:
                OrderEvent.objects.bulk_create(events)
        return CancelItemsResult(
            order=order, cancelled=[item.pk for item in to_cancel], failures=failures
        )


def _cancel_item_rows(item_ids: list[int]) -> None:
    """Cancel these items at every endpoint. One item, the usual request, runs statements
    compiled once; several run the same statements built for their list of ids."""
    if len(item_ids) == 1:
        _CANCEL_ITEM_ENDPOINTS.run(item_ids[0])
        _CANCEL_ITEM.run(item_ids[0])
        return
    OrderItemEndpoint.objects.filter(item_id__in=item_ids).update(status=ProcessingStatus.CANCELLED)
    OrderItem.objects.filter(pk__in=item_ids).update(status=ProcessingStatus.CANCELLED)


# What an item cancel runs on every call, compiled once (``toolkit.compiled_query``).
_LOCK_FOR_ITEM_CANCEL = OrderLock()
_ITEMS_WITH_ENDPOINTS = CompiledQuery(
    lambda order_id: (
        OrderItem.objects.filter(order_id=order_id)
        .order_by("pk", "endpoints__pk")
        .values_list("pk", "sku", "status", "endpoints__pk", "endpoints__status")
    ),
    2**62 + 1,
)
_CANCEL_ITEM_ENDPOINTS = _setting_cancelled(
    lambda item_id: OrderItemEndpoint.objects.filter(item_id=item_id)
)
_CANCEL_ITEM = _setting_cancelled(lambda item_id: OrderItem.objects.filter(pk=item_id))


# --- process and processing status -------------------------------------------------------------


def _why_not_processable(order: Order) -> str | None:
    if order.is_cancelled:
        return "it is marked for cancelation"
    if order.is_completed:
        return "it is completed"
    if order.is_processed:
        return "it has already been processed"
    if order.on_hold:
        return "it is on hold"
    if order.state != OrderState.VALID:
        return (
            f"it is not valid ({order.unvalid_message})"
            if order.unvalid_message
            else (f"its state is {order.get_state_display()}")
        )
    return None


def process_orders(*, public_ids: list[str], actor) -> list[Order]:
    """Release orders to their endpoints, all or none.

    Every id must name an order (``OrderNotFound``) that can be processed
    (``OrderNotProcessable``, naming the first that cannot). Orders are locked in primary-key
    order, so concurrent calls over overlapping ids queue instead of deadlocking.
    """
    wanted: dict[uuid.UUID, str] = {}
    for raw in public_ids:
        public_id = parse_public_id(raw)
        if public_id is None:
            raise OrderNotFound(raw)
        wanted.setdefault(public_id, raw)
    with transaction.atomic():
        orders = list(
            Order.objects.select_for_update().filter(public_id__in=list(wanted)).order_by("pk")
        )
        found = {order.public_id for order in orders}
        for public_id, raw in wanted.items():
            if public_id not in found:
                raise OrderNotFound(raw)
        by_id = {order.public_id: order for order in orders}
        for public_id in wanted:
            why = _why_not_processable(by_id[public_id])
            if why is not None:
                raise OrderNotProcessable(identifier=str(public_id), why=why)
        now = timezone.now()
        for order in orders:
            order.processed_at = now
            order.version += 1
        Order.objects.bulk_update(orders, ["processed_at", "version"])
        OrderEvent.objects.bulk_create(
            OrderEvent(
                order=order,
                at=now,
                kind=EventKind.PROCESSED,
                actor=actor,
                actor_name=actor_name(actor),
                to_value="Processed",
            )
            for order in orders
        )
        return [by_id[public_id] for public_id in wanted]


def refresh_processing_status(order: Order) -> str:
    """Re-derive the statuses of a locked order's items and of the order from the endpoints.

    Call it inside the transaction of any service that changed item or endpoint statuses.
    Items without endpoints keep the status set on them. Saves what changed (the order's
    ``processing_status`` included, not its version) and returns the order's new status.
    """
    items = list(order.items.prefetch_related("endpoints").order_by("id"))
    changed = []
    for item in items:
        endpoint_statuses = [endpoint.status for endpoint in item.endpoints.all()]
        if endpoint_statuses:
            status = derive_status(endpoint_statuses)
            if item.status != status:
                item.status = status
                changed.append(item)
    if changed:
        OrderItem.objects.bulk_update(changed, ["status"])
    order.processing_status = derive_status(item.status for item in items)
    Order.objects.filter(pk=order.pk).update(processing_status=order.processing_status)
    return order.processing_status


def _check_status_change(order: Order, version: int | None) -> None:
    if version is not None and version != order.version:
        raise VersionMismatch(current=order.version, provided=version)
    if order.is_cancelled:
        raise OrderMarkedForCancelation
    if order.is_closed:
        raise OrderAlreadyCompleted
    if not order.is_processed:
        raise OrderNotProcessed


def _finish_status_change(order: Order, *, actor, before: str, note: str) -> Order:
    refresh_processing_status(order)
    order.version += 1
    Order.objects.filter(pk=order.pk).update(version=order.version)
    record_event(
        order,
        kind=EventKind.PROCESSING_STATUS,
        actor=actor,
        from_value=before,
        to_value=order.processing_status,
        note=note,
    )
    return order


def set_order_status(*, order: Order, actor, status: str, version: int | None = None) -> Order:
    """Set every live item of the order, at all of its endpoints, to ``status``.

    Items already cancelled stay cancelled. ``version`` (the client's ``_v``), when given,
    must be the order's current version.
    """
    status = ProcessingStatus(status)
    with transaction.atomic():
        order = lock_order(order)
        _check_status_change(order, version)
        before = order.processing_status
        live_items = OrderItem.objects.filter(order=order).exclude(
            status=ProcessingStatus.CANCELLED
        )
        OrderItemEndpoint.objects.filter(item__in=live_items).update(status=status)
        live_items.update(status=status)
        return _finish_status_change(
            order, actor=actor, before=before, note=f"order set to {status.value}"
        )


def set_item_status(
    *, order: Order, item_id: int, actor, status: str, version: int | None = None
) -> Order:
    """Set one item of the order, at all of its endpoints, to ``status``."""
    status = ProcessingStatus(status)
    with transaction.atomic():
        order = lock_order(order)
        item = OrderItem.objects.filter(order=order, pk=item_id).first()
        if item is None:
            raise ItemNotFound(str(item_id))
        _check_status_change(order, version)
        if item.status == ProcessingStatus.CANCELLED and status != ProcessingStatus.CANCELLED:
            raise ItemCancelled
        before = order.processing_status
        item.endpoints.update(status=status)
        OrderItem.objects.filter(pk=item.pk).update(status=status)
        return _finish_status_change(
            order,
            actor=actor,
            before=before,
            note=f"item {item.pk} ({item.sku}) set to {status.value}",
        )


def set_endpoint_status(
    *, order: Order, endpoint: str, actor, status: str, version: int | None = None
) -> Order:
    """Set every live item of the order at ``endpoint`` to ``status`` there."""
    status = ProcessingStatus(status)
    name_length = OrderItemEndpoint._meta.get_field("name").max_length
    if "\x00" in endpoint or len(endpoint) > name_length:
        raise EndpointNotFound(endpoint)  # no endpoint can have such a name
    with transaction.atomic():
        order = lock_order(order)
        at_endpoint = OrderItemEndpoint.objects.filter(item__order=order, name=endpoint)
        if not at_endpoint.exists():
            raise EndpointNotFound(endpoint)
        _check_status_change(order, version)
        before = order.processing_status
        at_endpoint.exclude(item__status=ProcessingStatus.CANCELLED).update(status=status)
        return _finish_status_change(
            order, actor=actor, before=before, note=f"endpoint {endpoint} set to {status.value}"
        )


# --- lab settings -----------------------------------------------------------------------------


def update_lab_settings(*, actor, changes: dict) -> LabSettings:
    """Change lab settings (field name -> value), recording each change in the history."""
    with transaction.atomic():
        lab = LabSettings.load(for_update=True)
        changed = []
        for name, value in changes.items():
            old = getattr(lab, name)
            if old != value:
                setattr(lab, name, value)
                changed.append(name)
                LabSettingsChange.objects.create(
                    actor=actor,
                    actor_name=actor_name(actor),
                    setting=LabSettings._meta.get_field(name).verbose_name,
                    from_value=str(old),
                    to_value=str(value),
                )
        if changed:
            lab.full_clean()
            lab.save(update_fields=changed)
        return lab

"""Job tracking: check-ins, flow verification, and completion through the Job Tracker.

Same rules as ``orders.services``: one transaction per change, the order row locked, guards in
the documented order, typed errors, history in the same transaction.
"""

from collections import defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Subquery
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from orders.errors import AmbiguousOrderIdentifier, NonCancelStation, OrderNotFound
from orders.flow import FLOW_STEP_BY_KEY, FLOW_STEPS
from orders.identifiers import resolve_order_identifier
from orders.models import LabSettings, Order, OrderEvent, Station
from orders.services import lock_order, locked_orders, record_events, save_change
from orders.status import EventKind, OrderState
from toolkit.workers import worker_is_alive

from . import errors
from .models import CheckIn, CompletionRequest, CompletionStatus

TRACKER = "tracker"  # the heartbeat kind of the Job Tracker process


# --- flow verification ----------------------------------------------------------------------


def performed_steps(order: Order) -> set[str]:
    """The flow steps of the stations this order has been checked in at."""
    return set(
        CheckIn.objects.filter(order=order)
        .exclude(station__flow_step="")
        .values_list("station__flow_step", flat=True)
        .order_by()
        .distinct()
    )


def first_missing_step(order: Order, performed: set[str]):
    """The first required step (in the table's order) without a check-in, or None."""
    return next(
        (
            spec
            for spec in FLOW_STEPS
            if getattr(order, spec.order_field) and spec.step.value not in performed
        ),
        None,
    )


# --- check-in -------------------------------------------------------------------------------


@dataclass
class CheckInResult:
    order: Order
    checkin: CheckIn


def find_station(code: str) -> Station:
    station = _station_by_code(code, is_operator=False)
    if station is None:
        raise errors.StationNotFound
    return station


def find_operator(code: str) -> Station:
    operator = _station_by_code(code, is_operator=True)
    if operator is None:
        raise errors.OperatorNotFound
    return operator


def order_for_checkin(identifier: str) -> Order:
    """The order a check-in names (``resolve_order_identifier``); ``CheckinOrderNotFound``
    when none, or several, answer to it."""
    try:
        return resolve_order_identifier(identifier)
    except (OrderNotFound, AmbiguousOrderIdentifier):
        raise errors.CheckinOrderNotFound from None


def _station_by_code(code: str, *, is_operator: bool) -> Station | None:
    return Station.objects.filter(code=code, is_operator=is_operator).first()


def check_in(
    *, order: Order, station: Station, operator: Station | None, actor, device: str = ""
) -> CheckInResult:
    """Record that ``order`` arrived at ``station``. A valid order goes into process (P)."""
    if station.requires_operator and operator is None:
        raise errors.OperatorRequired
    with transaction.atomic():
        order = _lock_for_checkin(order, station)
        if not order.station_exists:  # deleted since it was found
            raise errors.StationNotFound
        if order.is_cancelled:
            raise errors.CheckinOrderNotInProduction("Order marked for cancelation")
        if order.is_completed:
            raise errors.CheckinOrderNotInProduction("Order already completed")
        if order.on_hold:
            raise errors.CheckinOrderNotInProduction("Order on hold")
        if order.state == OrderState.UNVALID:
            raise errors.CheckinOrderNotInProduction("Order unvalid")
        if station.flow_step and LabSettings.load().jobtrack_station_verify:
            spec = FLOW_STEP_BY_KEY[station.flow_step]
            if not getattr(order, spec.order_field):
                raise errors.StepNotNeeded(spec.not_needed_message)

        now = timezone.now()
        checkin = CheckIn.objects.create(
            order=order, station=station, operator=operator, at=now, actor=actor, device=device
        )
        previous = order.previous_station_code or ""
        fields = ["current_station", "current_station_at"]
        state_was = order.state
        if order.state == OrderState.VALID:
            order.state = OrderState.PROCESS
            fields.append("state")
        order.current_station = station
        order.current_station_at = now
        save_change(
            order,
            fields,
            kind=EventKind.CHECKIN,
            actor=actor,
            state_was=state_was,
            from_value=previous,
            to_value=station.code,
            note=f"operator {operator.code}" if operator else "",
        )
        return CheckInResult(order=order, checkin=checkin)


def _lock_for_checkin(order: Order, station: Station) -> Order:
    """Re-read ``order`` under its row lock, with what the check-in reads next in the same
    statement: whether ``station`` still exists (another request may have deleted it since
    it was found), as ``station_exists``, and the code of the station the order is at, as
    ``previous_station_code``. Only the order's row is locked."""
    return (
        locked_orders()
        .annotate(
            station_exists=Exists(Station.objects.filter(pk=station.pk)),
            previous_station_code=Subquery(
                Station.objects.filter(pk=OuterRef("current_station_id")).values("code")[:1]
            ),
        )
        .get(pk=order.pk)
    )


# --- completion -----------------------------------------------------------------------------


def completion_refusal(
    order: Order,
    settings: LabSettings,
    *,
    new_request: bool,
    performed: set[str] | None = None,
) -> errors.CompletionRefused | None:
    """Why the Job Tracker would not complete ``order`` now (codes 02-20), or None.

    For a ``new_request`` a pending completion counts as completed; when the tracker
    processes a request, that pending completion is the request itself.
    """
    if order.is_cancelled:
        return errors.CompletionOrderDeleted()
    if order.state == OrderState.UNVALID:
        return errors.CompletionOrderUnvalid()
    if order.is_completed or (new_request and order.pending_completion):
        return errors.CompletionAlreadyCompleted()
    if order.on_hold:
        return errors.CompletionOrderOnHold()
    if settings.jobtrack_station_verify:
        if performed is None:
            performed = performed_steps(order)
        missing = first_missing_step(order, performed)
        if missing is not None:
            return errors.FlowVerificationFailed(missing.needs_message)
    return None


def request_completion(*, order: Order, actor, require_tracker: bool = True) -> CompletionRequest:
    """Accept a completion for the Job Tracker: checked now, performed by ``run_tracker``.

    The request row and the order's pending flag are written together, so an accepted
    completion survives any crash of the web or tracker process. ``require_tracker=False``
    queues it even while no tracker runs (demo data, loaded before the tracker starts).
    """
    with transaction.atomic():
        order = lock_order(order)
        settings = LabSettings.load()
        refusal = completion_refusal(order, settings, new_request=True)
        if refusal is not None:
            raise refusal
        alive = worker_is_alive(TRACKER, within_seconds=settings.tracker_heartbeat_seconds)
        if require_tracker and not alive:
            raise errors.JobTrackerNotRunning
        request = CompletionRequest.objects.create(order=order, requested_by=actor)
        order.pending_completion = True
        save_change(order, ["pending_completion"], kind=EventKind.COMPLETION_REQUESTED, actor=actor)
        return request


def process_completions(
    *, worker: str, batch_size: int = 50, order_ids: list[int] | None = None
) -> int:
    """Claim up to ``batch_size`` pending requests and process them in one transaction.

    Rows are claimed with SKIP LOCKED inside the transaction that processes them: other
    trackers skip them, and a crash rolls everything back so the rows are simply claimed again.
    Each order is verified afresh (it may have changed since the request was accepted).
    ``order_ids`` limits the work to those orders. Returns how many requests were processed.
    """
    with transaction.atomic():
        pending = CompletionRequest.objects.filter(status=CompletionStatus.PENDING)
        if order_ids is not None:
            pending = pending.filter(order_id__in=order_ids)
        # The request's id and its order's: nothing else of the request is needed.
        claimed = list(
            pending.select_for_update(skip_locked=True)
            .order_by("id")
            .values_list("id", "order_id", named=True)[:batch_size]
        )
        if not claimed:
            return 0
        settings = LabSettings.load()
        # Lock the orders in one statement, in primary-key order like every other locker.
        orders = {
            row["pk"]: _LockedOrder(**row)
            for row in Order.objects.select_for_update()
            .filter(pk__in=[request.order_id for request in claimed])
            .order_by("pk")
            .values("pk", "tray", *VERIFIED_FIELDS)
        }
        performed: dict[int, set[str]] = defaultdict(set)
        if settings.jobtrack_station_verify:  # one query for the whole batch
            rows = (
                CheckIn.objects.filter(order_id__in=orders)
                .exclude(station__flow_step="")
                .values_list("order_id", "station__flow_step", named=True)
                .order_by()
                .distinct()
            )
            for row in rows:
                performed[row.order_id].add(row.station__flow_step)
        now = timezone.now()
        events = []
        completed_orders, done_requests = [], []
        failed_orders, failed_requests = [], defaultdict(list)  # reason -> request ids
        for request in claimed:
            order = orders[request.order_id]
            refusal = completion_refusal(
                order, settings, new_request=False, performed=performed[order.pk]
            )
            if refusal is None:
                completed_orders.append(order.pk)
                done_requests.append(request.id)
                outcome = {
                    "kind": EventKind.COMPLETED,
                    "from_value": STATE_LABELS[order.state],
                    "to_value": OrderState.COMPLETED.label,
                    "note": f"tray {order.tray} freed" if order.tray else "",
                }
            else:
                failed_orders.append(order.pk)
                failed_requests[refusal.reason].append(request.id)
                outcome = {"kind": EventKind.COMPLETION_FAILED, "reason": refusal.reason}
            events.append(OrderEvent(order_id=order.pk, at=now, actor_name=worker, **outcome))
        # One UPDATE per outcome (and per failure reason), not per row: bulk_update builds a
        # CASE per row and field in Python, which cost ten times the writes themselves.
        # The orders are locked, so version + 1 is the version read above plus one.
        if completed_orders:
            Order.objects.filter(pk__in=completed_orders).update(
                state=OrderState.COMPLETED,
                completed_at=now,
                pending_completion=False,
                version=F("version") + 1,
            )
            CompletionRequest.objects.filter(pk__in=done_requests).update(
                status=CompletionStatus.DONE, processed_at=now, processed_by=worker
            )
        if failed_orders:
            Order.objects.filter(pk__in=failed_orders).update(
                pending_completion=False, version=F("version") + 1
            )
            for reason, request_ids in failed_requests.items():
                CompletionRequest.objects.filter(pk__in=request_ids).update(
                    status=CompletionStatus.FAILED,
                    processed_at=now,
                    processed_by=worker,
                    failure_reason=reason,
                )
        # Every history row of the batch, completed and failed, in one INSERT.
        record_events(events)
        return len(claimed)


STATE_LABELS = dict(OrderState.choices)


class _LockedOrder(SimpleNamespace):
    """The fields of a locked order that verifying its completion reads, without building a
    model instance per order (which cost the tracker a tenth of its time)."""

    # The order's own rules, read from these fields.
    is_cancelled = Order.is_cancelled
    is_completed = Order.is_completed


# What verifying an order for completion reads; the lock query loads these, and the tray that
# the "completed" history row names.
VERIFIED_FIELDS = (
    "state",
    "cancelled_at",
    "on_hold",
    "pending_completion",
    *(spec.order_field for spec in FLOW_STEPS),
)


# --- station configuration ------------------------------------------------------------------


def delete_station(*, station: Station) -> None:
    """Delete a station nobody has been checked in at; one with history must stay.

    A check-in made between the check and the delete is caught by the foreign key (in
    Django's collector, or by the database at commit) and refused the same way.
    """

    def used() -> int:
        return (
            CheckIn.objects.filter(station=station).count()
            + CheckIn.objects.filter(operator=station).count()
        )

    try:
        with transaction.atomic():
            checkins = used()
            if checkins or Order.objects.filter(current_station=station).exists():
                raise errors.StationInUse(station.code, checkins)
            station.delete()
    except ProtectedError as protected:  # seen by the collector: the check-ins it found
        checkins = sum(isinstance(row, CheckIn) for row in protected.protected_objects)
        raise errors.StationInUse(station.code, checkins) from None
    except IntegrityError:  # seen by the database at commit: the check-ins committed since
        raise errors.StationInUse(station.code, used()) from None


# --- what job tracking answers inside the orders' transitions (``orders.hooks``) ----------------


def refuse_cancel_after_non_cancel_station(order: Order) -> NonCancelStation | None:
    """An order checked in at a station flagged non-cancel can no longer be cancelled."""
    if CheckIn.objects.filter(order=order, station__non_cancel=True).exists():
        return NonCancelStation()
    return None


def latest_checkin_station(order: Order) -> str | None:
    """The code of the station of the order's latest check-in, or None if it has none."""
    return (
        CheckIn.objects.filter(order=order)
        .order_by("-at", "-pk")
        .values_list("station__code", flat=True)
        .first()
    )

"""The order page's buttons and panels, and the order list's bounded paginator.

Each button posts to a small view that checks the right the Lab API v2 checks for the same
change (the same entry of ``accounts.rights.Right``), calls the same service, and reports the
outcome as a message worded as the API words it (its ``error``, then its ``details``).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from itertools import chain

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connections
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts.rights import Right
from orders.errors import DomainError
from orders.flow import FLOW_STEPS
from orders.models import DeleteReason, LabSettings, Order, OrderEvent
from orders.rx import Eye
from orders.services import (
    cancel_order,
    cancel_refusal,
    hold_order,
    record_calculation,
    release_order,
)
from orders.status import ON_HOLD_STATUS
from printing.models import PrintJob, PrintStatus, WorkstationPort
from printing.services import API_WORKSTATION, queue_ticket
from toolkit.api.v2 import PERMISSION_DENIED
from tracker.services import performed_steps, request_completion


def api_message(error: DomainError) -> str:
    """A refusal as the Lab API v2 reports it: its ``error``, then its ``details``."""
    details = "; ".join(line.strip() for line in error.details if line.strip())
    return f"{error.message} — {details}" if details else error.message


def missing_right_message(right: str) -> str:
    """What the Lab API v2 answers a user without ``right`` (403)."""
    return f"{PERMISSION_DENIED} — Requires: {right}"


# --- the buttons ------------------------------------------------------------------------------


def _order_action(
    request, pk: int, *, right: Right, perform: Callable[[Order], tuple[int, str] | None]
) -> HttpResponseRedirect:
    """Check ``right``, run ``perform`` (which calls a service) and report back on the page.

    ``perform`` returns the (level, text) of the message to show on success, or None for none.
    """
    order = get_object_or_404(Order, pk=pk)
    page = reverse("admin:orders_order_change", args=[order.pk])
    if not request.user.has_perm(right):
        messages.error(request, missing_right_message(right))
        return HttpResponseRedirect(page)
    try:
        outcome = perform(order)
    except DomainError as error:
        messages.error(request, api_message(error))
    else:
        if outcome is not None:
            messages.add_message(request, *outcome)
    return HttpResponseRedirect(page)


def _change_hold(request, pk: int, change: Callable[..., Order], outcome: str):
    """Hold and release: the same right, the service ``change``, then "Order N <outcome>."."""

    def perform(order):
        change(order=order, actor=request.user)
        return messages.SUCCESS, f"Order {order.number} {outcome}."

    return _order_action(request, pk, right=Right.HOLD_ORDER, perform=perform)


@require_POST
def hold_view(request, pk: int):
    return _change_hold(request, pk, hold_order, "is on hold")


@require_POST
def release_view(request, pk: int):
    return _change_hold(request, pk, release_order, "is released from hold")


@require_POST
def cancel_view(request, pk: int):
    # Passed on as given: the service decides whether it is needed and valid, as for the API.
    reason_code = request.POST.get("reason", "").strip() or None

    def perform(order):
        result = cancel_order(order=order, actor=request.user, reason_code=reason_code)
        messages.success(request, f"Order {order.number} is marked for cancelation.")
        return (messages.WARNING, result.message) if result.message else None

    return _order_action(request, pk, right=Right.CANCEL_ORDER, perform=perform)


@require_POST
def complete_view(request, pk: int):
    def perform(order):
        request_completion(order=order, actor=request.user)
        return (
            messages.SUCCESS,
            f"Completion of order {order.number} requested: the Job Tracker completes it.",
        )

    return _order_action(request, pk, right=Right.COMPLETE_ORDER, perform=perform)


@require_POST
def print_view(request, pk: int):
    lpt_port = request.POST.get("lpt_port") or None

    def perform(order):
        job = queue_ticket(order=order, lpt_port=lpt_port, actor=request.user)
        return (
            messages.SUCCESS,
            f"Printing in process: the work ticket of order {order.number} is queued for "
            f"LPT{job.port} ({job.printer.name}), print job {job.pk}.",
        )

    return _order_action(request, pk, right=Right.PRINT_TICKET, perform=perform)


@require_POST
def calculation_view(request, pk: int):
    # Each eye the form offered (``eye``) is calculated when its box is ticked (``calculated``).
    offered = [eye for eye in Eye.values if eye in request.POST.getlist("eye")]
    ticked = set(request.POST.getlist("calculated"))

    def perform(order):
        order = record_calculation(
            order=order,
            calculated={Eye(eye): eye in ticked for eye in offered},
            actor=request.user,
        )
        return messages.SUCCESS, f"Order {order.number}: {order.calculation_description}."

    return _order_action(request, pk, right=Right.RECORD_CALCULATION, perform=perform)


# --- the order page ---------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: object
    what: str
    who: str
    change: str = ""
    reason: str = ""
    note: str = ""
    kind: str = ""


@dataclass
class FlowCheck:
    label: str
    done: bool


PRINT_OUTCOMES = {
    PrintStatus.DONE: "Work ticket printed",
    PrintStatus.FAILED: "Work ticket print failed",
    PrintStatus.CANCELLED: "Work ticket print cancelled",
}


def timeline(order: Order, print_jobs: list[PrintJob], user) -> list[TimelineEntry]:
    """The order's history, oldest first: its events, and how its print jobs ended (a failure
    as ``user`` may read it: ``PrintJob.error_shown_to``)."""
    events = (
        TimelineEntry(
            at=event.at,
            what=event.get_kind_display(),
            who=event.actor_name or "system",
            change=" → ".join(v for v in (event.from_value, event.to_value) if v),
            reason=event.reason,
            note=event.note,
            kind=event.kind,
        )
        for event in OrderEvent.objects.filter(order=order).order_by("at", "id")
    )
    outcomes = (
        TimelineEntry(
            at=job.finished_at,
            what=PRINT_OUTCOMES[job.status],
            who=job.claimed_by or "system",
            change=f"LPT{job.port} {job.printer.name}",
            note=job.error_shown_to(user) if job.status == PrintStatus.FAILED else job.reference,
            kind=f"print_{job.status}",
        )
        for job in print_jobs
        if job.status in PRINT_OUTCOMES and job.finished_at is not None
    )
    return sorted(chain(events, outcomes), key=lambda entry: entry.at)


def order_status_label(order: Order) -> str:
    """The status the API reports: on hold hides the state it sits on."""
    return ON_HOLD_STATUS[1] if order.on_hold else order.get_state_display()


def order_page_context(request, order: Order) -> dict:
    """Everything the order page shows beside the order's fields."""
    user = request.user
    lab = LabSettings.load()
    performed = performed_steps(order)
    print_jobs = list(
        PrintJob.objects.filter(order=order).select_related("printer").order_by("created_at", "id")
    )
    items = list(order.items.prefetch_related("endpoints").order_by("id"))
    ports = list(
        WorkstationPort.objects.filter(workstation__code=API_WORKSTATION, printer__isnull=False)
        .select_related("printer")
        .order_by("number")
    )
    open_order = order.is_active
    eyes = list(order.eyes.all())
    return {
        "order": order,
        "status_label": order_status_label(order),
        "overdue": bool(
            open_order and order.date_wanted and order.date_wanted < timezone.localdate()
        ),
        "flow": [
            FlowCheck(label=spec.step.label, done=spec.step.value in performed)
            for spec in FLOW_STEPS
            if getattr(order, spec.order_field)
        ],
        "items": items,
        "timeline": timeline(order, print_jobs, user),
        "print_jobs": print_jobs,
        "open_order": open_order,
        "can_hold": open_order and user.has_perm(Right.HOLD_ORDER),
        # Offered only where the service would not refuse it, whatever the reason code.
        "can_cancel": (
            user.has_perm(Right.CANCEL_ORDER) and cancel_refusal(order, settings=lab) is None
        ),
        "can_complete": open_order and user.has_perm(Right.COMPLETE_ORDER),
        "can_print": not order.is_cancelled and user.has_perm(Right.PRINT_TICKET),
        "eyes": eyes,
        "can_record_calculation": (
            open_order and bool(eyes) and user.has_perm(Right.RECORD_CALCULATION)
        ),
        "reasons": list(DeleteReason.objects.filter(active=True).order_by("code")),
        "reason_required": lab.enter_reason_code_when_deleting_order,
        "ports": ports,
        "workstation": API_WORKSTATION,
    }


# --- the order list ---------------------------------------------------------------------------


class BoundedCountPaginator(Paginator):
    """Counts exactly up to ``exact_limit`` rows; beyond that, on PostgreSQL, estimates.

    An exact ``COUNT(*)`` over a hundred thousand orders reads them all on every page of the
    list. Up to the limit the count reads at most that many rows; past it the planner's row
    estimate numbers the pages (close enough to page through). SQLite, the embedded database
    of a small lab, counts exactly.
    """

    exact_limit = 10_000

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor != "postgresql":
            return super().count
        bounded = queryset.order_by()[: self.exact_limit + 1].count()
        if bounded <= self.exact_limit:
            return bounded
        return max(bounded, self._planner_estimate(queryset))

    @staticmethod
    def _planner_estimate(queryset) -> int:
        plan = json.loads(queryset.order_by().values("pk").explain(format="json"))
        return int(plan[0]["Plan"]["Plan Rows"])

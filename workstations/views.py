"""The floor's scanning pages (contracts/workstations.md).

Made for a keyboard-wedge barcode scanner: one input, focused on load and again after every
scan (each scan is a form post, answered by the page again); Enter submits; a Code 39 read
wrapped in ``*`` is unwrapped and upper-cased; the outcome is one large line, green or red;
the last ten scans are listed. Every action calls the service the Lab API v2 calls and is
reported in the API's words (its ``error``, then its ``details``).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import timezone

from orders.errors import OrderHasTray, OrderNotFound, PickGroupSplit
from orders.identifiers import resolve_order_identifier
from orders.models import DeleteReason, LabSettings, Order
from orders.services import assign_tray, cancel_order, cancel_refusal, order_for_tray
from orders.services.picking import ALREADY_PICKED, PICK_FIELDS, pick_items, pick_state
from toolkit.errors import DomainError
from tracker.services import check_in, find_operator, find_station, order_for_checkin

from .board import read_board
from .models import DisplayLink
from .pages import (
    DYNAMIC_DISPLAY,
    JOB_SCAN,
    ORDER_CANCEL,
    PAGES,
    PICK_VERIFICATION,
    TRAY_ASSIGNMENT,
    Page,
)

# How many scans a page lists, newest first.
KEPT_SCANS = 10


def scanned(text: str) -> str:
    """What a scanner typed: without surrounding spaces and Code 39's ``*`` start and stop
    characters, upper-cased (Code 39 has no lower case)."""
    return text.strip().strip("*").strip().upper()


def refusal_text(error: DomainError) -> str:
    """A refusal as the Lab API v2 words it: its ``error``, then its ``details``."""
    details = "; ".join(line.strip() for line in error.details if line.strip())
    return f"{error.message} — {details}" if details else error.message


def floor_page(page: Page) -> Callable:
    """A view of ``page``: for a logged-in user holding its *Use* right (403 otherwise)."""

    def decorate(view):
        @login_required(login_url="ws-login")
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.has_perm(page.right):
                raise PermissionDenied(f"Requires: {page.right}")
            return view(request, *args, **kwargs)

        return checked

    return decorate


class Scans:
    """The page's last scans, newest first, kept in the user's session."""

    def __init__(self, request, page: Page):
        self.session = request.session
        self.key = f"ws:{page.url_name}:scans"

    def all(self) -> list[dict]:
        return self.session.get(self.key, [])

    def add(self, code: str, ok: bool, text: str) -> None:
        entry = {"code": code, "ok": ok, "text": text, "at": f"{timezone.localtime():%H:%M:%S}"}
        self.session[self.key] = [entry, *self.all()][:KEPT_SCANS]


@login_required(login_url="ws-login")
def index(request):
    pages = [page for page in PAGES if request.user.has_perm(page.right)]
    return render(request, "workstations/index.html", {"pages": pages})


# --- Job Scan ---------------------------------------------------------------------------------

STATION_KEY = "ws:jobscan:station"


@floor_page(JOB_SCAN)
def job_scan(request):
    """First a station (and an operator, where the station needs one), then order after
    order, each checked in there."""
    scans = Scans(request, JOB_SCAN)
    chosen = request.session.get(STATION_KEY)
    problem = ""
    if request.method == "POST":
        if "change" in request.POST:
            request.session.pop(STATION_KEY, None)
            return redirect("ws-jobscan")
        if chosen is None:
            problem = _choose_station(request)
            if not problem:
                return redirect("ws-jobscan")
        else:
            _check_in(request, chosen, scans)
            return redirect("ws-jobscan")
    return render(
        request,
        "workstations/jobscan.html",
        {"page": JOB_SCAN, "chosen": chosen, "problem": problem, "scans": scans.all()},
    )


def _choose_station(request) -> str:
    """Keep the station (and operator) posted for the scans to come; what is wrong, or ""."""
    try:
        station = find_station(scanned(request.POST.get("station", "")))
        operator_code = scanned(request.POST.get("operator", ""))
        operator = find_operator(operator_code) if operator_code else None
    except DomainError as error:
        return refusal_text(error)
    if station.requires_operator and operator is None:
        return f"Station {station.code} needs an operator: scan the operator's code too."
    request.session[STATION_KEY] = {
        "station": station.code,
        "description": station.description,
        "operator": operator.code if operator else "",
    }
    return ""


def _check_in(request, chosen: dict, scans: Scans) -> None:
    code = scanned(request.POST.get("code", ""))
    if not code:
        return
    try:
        station = find_station(chosen["station"])
        operator = find_operator(chosen["operator"]) if chosen["operator"] else None
        result = check_in(
            order=order_for_checkin(code),
            station=station,
            operator=operator,
            actor=request.user,
            device="Job Scan",
        )
    except DomainError as error:
        scans.add(code, False, refusal_text(error))
    else:
        scans.add(code, True, f"Order {result.order.number} checked in at {station.code}")


# --- Tray Assignment ----------------------------------------------------------------------------

ORDER_KEY = "ws:tray:order"
REASSIGN_KEY = "ws:tray:reassign"  # the tray refused with "Order already has a tray"


@floor_page(TRAY_ASSIGNMENT)
def tray_assignment(request):
    """Scan an order (or PO) number, then its tray. Where the order has a tray already, the
    result offers to move it (``reassign``)."""
    scans = Scans(request, TRAY_ASSIGNMENT)
    if request.method == "POST":
        code = scanned(request.POST.get("code", ""))
        if "cancel" in request.POST:
            request.session.pop(ORDER_KEY, None)
            request.session.pop(REASSIGN_KEY, None)
        elif code and request.session.get(ORDER_KEY) is None:
            _pick_order(request, code, scans)
        elif code:
            _give_tray(request, code, scans, reassign=request.POST.get("reassign") == "1")
        return redirect("ws-tray")
    return render(
        request,
        "workstations/tray.html",
        {
            "page": TRAY_ASSIGNMENT,
            "order": request.session.get(ORDER_KEY),
            "reassign": request.session.get(REASSIGN_KEY),
            "scans": scans.all(),
        },
    )


def _pick_order(request, code: str, scans: Scans) -> None:
    request.session.pop(REASSIGN_KEY, None)
    try:
        order = order_for_tray(code)
    except DomainError as error:
        scans.add(code, False, refusal_text(error))
        return
    request.session[ORDER_KEY] = {"pk": order.pk, "number": order.number, "tray": order.tray}
    scans.add(code, True, f"Order {order.number}: now scan its tray")


def _give_tray(request, tray: str, scans: Scans, *, reassign: bool) -> None:
    chosen = request.session[ORDER_KEY]
    try:
        order = order_for_tray(str(chosen["number"]))
        assignment = assign_tray(order=order, tray=tray, reassign=reassign, actor=request.user)
    except DomainError as error:
        scans.add(tray, False, refusal_text(error))
        # The order has a tray: the page offers to move it to this one.
        request.session[REASSIGN_KEY] = tray if isinstance(error, OrderHasTray) else None
        return
    request.session.pop(ORDER_KEY, None)
    request.session.pop(REASSIGN_KEY, None)
    scans.add(tray, True, f"{assignment.message}: order {order.number}, tray {tray}")


# --- Order Cancel -------------------------------------------------------------------------------

CANCEL_KEY = "ws:cancel:order"


@floor_page(ORDER_CANCEL)
def order_cancel(request):
    """Scan an order; see its state; give the reason (a code, scanned or typed, where the lab
    asks for one) and confirm. Nothing is deleted: the order is marked for cancelation."""
    scans = Scans(request, ORDER_CANCEL)
    if request.method == "POST":
        if "other" in request.POST:
            request.session.pop(CANCEL_KEY, None)
        elif "confirm" in request.POST and request.session.get(CANCEL_KEY):
            _cancel(request, scans)
        else:
            _look_up(request, scanned(request.POST.get("code", "")), scans)
        return redirect("ws-cancel")
    lab = LabSettings.load()
    context = {"page": ORDER_CANCEL, "scans": scans.all(), "order": None}
    chosen = request.session.get(CANCEL_KEY)
    if chosen is not None:
        order = Order.objects.select_related("current_station").filter(pk=chosen).first()
        refusal = cancel_refusal(order, settings=lab) if order is not None else None
        context |= {
            "order": order,
            "refusal": refusal_text(refusal) if refusal else "",
            "reason_required": lab.enter_reason_code_when_deleting_order,
            "reasons": DeleteReason.objects.filter(active=True).order_by("code"),
        }
    return render(request, "workstations/cancel.html", context)


def _look_up(request, code: str, scans: Scans) -> None:
    if not code:
        return
    try:
        order = resolve_order_identifier(code)
    except DomainError as error:
        scans.add(code, False, refusal_text(error))
        return
    request.session[CANCEL_KEY] = order.pk


def _cancel(request, scans: Scans) -> None:
    order = Order.objects.filter(pk=request.session[CANCEL_KEY]).first()
    reason = scanned(request.POST.get("reason", "")) or None
    code = str(order.number) if order else ""
    try:
        if order is None:
            raise OrderNotFound(code)
        result = cancel_order(order=order, actor=request.user, reason_code=reason)
    except DomainError as error:
        scans.add(code, False, refusal_text(error))
        return
    request.session.pop(CANCEL_KEY, None)
    text = f"Order {order.number} is marked for cancelation"
    scans.add(code, True, f"{text}. {result.message}" if result.message else f"{text}.")


# --- Pick Verification --------------------------------------------------------------------------

PICK_KEY = "ws:pick:order"


@floor_page(PICK_VERIFICATION)
def pick_verification(request):
    """Scan an order, see what is to be picked and what is done, then scan each code picked:
    the page finds which of the order's items it is. With Partial Picking off, the codes of a
    group (the lenses; the frame and its parts) are held until the group is complete, then
    recorded together."""
    scans = Scans(request, PICK_VERIFICATION)
    if request.method == "POST":
        code = scanned(request.POST.get("code", ""))
        if "other" in request.POST:
            request.session.pop(PICK_KEY, None)
        elif code and request.session.get(PICK_KEY) is None:
            _pick_order_for_picking(request, code, scans)
        elif code:
            _scan_pick(request, code, scans)
        return redirect("ws-pick")
    context = {"page": PICK_VERIFICATION, "scans": scans.all(), "order": None}
    chosen = request.session.get(PICK_KEY)
    order = Order.objects.filter(pk=chosen["pk"]).first() if chosen else None
    if order is not None:
        state = pick_state(order)
        context |= {
            "order": order,
            "refusal": state.reject_reason,
            "items": [
                {
                    "label": PICK_FIELDS[field].label,
                    "code": expected,
                    "picked": state.picked[PICK_FIELDS[field]],
                    "held": field in chosen["held"],
                }
                for field, expected in state.expected.items()
                if expected
            ],
        }
    return render(request, "workstations/pick.html", context)


def _pick_order_for_picking(request, code: str, scans: Scans) -> None:
    try:
        order = resolve_order_identifier(code)
    except DomainError as error:
        scans.add(code, False, refusal_text(error))
        return
    request.session[PICK_KEY] = {"pk": order.pk, "held": {}}


def _scan_pick(request, code: str, scans: Scans) -> None:
    chosen = request.session[PICK_KEY]
    order = Order.objects.filter(pk=chosen["pk"]).first()
    if order is None:
        request.session.pop(PICK_KEY, None)
        return
    state = pick_state(order)
    if not state.allowed:  # nothing more to pick here: the scan is the next order
        _pick_order_for_picking(request, code, scans)
        return
    # The item this code picks (codes compared as a scanner reads them: upper-cased).
    field = next(
        (f for f, expected in state.expected.items() if expected and expected.upper() == code),
        None,
    )
    if field is None:
        scans.add(code, False, f"Pick verification failed — {code} is not picked for this order")
        return
    held = {**chosen["held"], field: state.expected[field]}
    label = PICK_FIELDS[field].label
    try:
        after = pick_items(order=order, codes=held, actor=request.user)
    except PickGroupSplit as error:
        # The rest of its group is still to come: hold this one until then.
        request.session[PICK_KEY] = {**chosen, "held": held}
        rest = "; ".join(error.details)
        scans.add(code, True, f"{label}: held until the rest is scanned ({rest})")
        return
    except DomainError as error:
        request.session[PICK_KEY] = {**chosen, "held": {}}
        scans.add(code, False, refusal_text(error))
        return
    request.session[PICK_KEY] = {**chosen, "held": {}}
    done = " — order fully picked" if after.reject_reason == ALREADY_PICKED else ""
    scans.add(code, True, f"{label} picked{done}")


# --- Dynamic Display ----------------------------------------------------------------------------


def age_text(age) -> str:
    """An age as a wall display says it: "45 min", "3 h 05 min", "2 d 4 h"."""
    minutes = max(0, int(age.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def dynamic_display(request):
    """The wall display: for a user with *View Dynamic Display*, or through a display link
    (``?token=``), which opens this board and nothing else."""
    token = request.GET.get("token", "")
    if token:
        link = DisplayLink.opened_by(token)
        if link is None:
            return render(request, "workstations/display_refused.html", status=403)
        DisplayLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
    elif not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), login_url="ws-login")
    elif not request.user.has_perm(DYNAMIC_DISPLAY.right):
        raise PermissionDenied(f"Requires: {DYNAMIC_DISPLAY.right}")
    board = read_board()
    context = {
        "board": board,
        "stations": [(load, age_text(load.oldest_age(board.at))) for load in board.stations],
        "refresh_seconds": LabSettings.load().dynamic_display_refresh_seconds,
    }
    response = render(request, "workstations/display.html", context)
    response["Cache-Control"] = "no-store"
    return response

"""The order page in the admin: its panels (status, station, flow checklist, items, timeline)
and its buttons. Each button calls the service the Lab API v2 calls, needs the right the API
needs, records the acting user, and reports a refusal in the API's words."""

import re
from decimal import Decimal

from django.contrib.messages import ERROR, SUCCESS, WARNING, get_messages
from django.test import Client

import pytest

from orders.models import Addon, Order, OrderEvent, OrderPick
from orders.rx import Eye, EyeValues
from orders.services import REASON_IGNORED_WARNING, assign_tray, cancel_order, hold_order
from orders.status import EventKind, OrderState, PickItem
from printing.models import Driver, Printer, PrintJob, PrintStatus, WorkstationPort
from toolkit.models import WorkerHeartbeat
from tracker.models import CompletionRequest, CompletionStatus

ORDERS = "/admin/orders/order/"


def page_url(order: Order) -> str:
    return f"{ORDERS}{order.pk}/change/"


def action_url(order: Order, action: str) -> str:
    return f"{ORDERS}{order.pk}/{action}/"


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def supervisor_user(make_user):
    return make_user("Supervisors", username="sue", is_staff=True)


@pytest.fixture
def browser(supervisor_user):
    client = Client()
    client.force_login(supervisor_user)
    return client


@pytest.fixture
def tracker_running(db):
    return WorkerHeartbeat.objects.create(kind="tracker", worker_id="tracker-1", hostname="lab1")


@pytest.fixture
def spool_printer(tmp_path):
    printer = Printer.objects.create(name="Desk", driver=Driver.SPOOL, folder=str(tmp_path))
    WorkstationPort.objects.filter(workstation__code="00", number=3).update(printer=printer)
    return printer


def post(browser, order: Order, action: str, data=None):
    response = browser.post(action_url(order, action), data or {})
    assert response.status_code == 302
    assert response["Location"] == page_url(order)
    return response


# --- the page ---------------------------------------------------------------------------------


def test_the_page_shows_status_station_flow_items_and_timeline(
    browser, supervisor_user, make_order, make_station, check_in, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS", "Customer request")
    order = make_order(
        number=60001,
        tray="601",
        items=2,
        endpoints=("SURF", "AR"),
        requires_ar_coat=True,
        requires_final_qa=True,
    )
    check_in(order, make_station("ARC", description="AR coating", flow_step="ar_coat"))
    hold_order(order=order, actor=supervisor_user)

    page = browser.get(page_url(order)).content.decode()

    assert '<span class="badge warn" id="order-status">On Hold</span>' in page
    assert "ARC — AR coating" in page
    assert '<li class="done">&#x2611; AR Coat</li>' in page
    assert "&#x2610; Final QA" in page
    assert page.count("SURF: New, AR: New") == 2
    assert "Put on hold" in page.split('id="order-timeline"')[1]
    assert ">sue<" in page
    # Buttons: release (it is on hold), completion, cancel with a required reason, ticket.
    assert 'id="release-button"' in page
    assert 'id="hold-button"' not in page
    assert 'id="complete-button"' in page
    assert '<select name="reason" id="cancel-reason" required>' in page
    assert '<option value="CUS">CUS — Customer request</option>' in page
    assert f'href="{ORDERS}{order.pk}/ticket.pdf"' in page


def test_the_reason_is_optional_when_the_lab_does_not_ask_for_one(browser, make_order):
    page = browser.get(page_url(make_order())).content.decode()

    assert '<select name="reason" id="cancel-reason">' in page
    assert "a reason chosen is not recorded" in page


def test_the_print_form_offers_the_mapped_ports_of_workstation_00(
    browser, make_order, spool_printer
):
    page = browser.get(page_url(make_order(tray="1"))).content.decode()

    assert '<option value="LPT3">LPT3 — Desk</option>' in page
    assert 'value="LPT1"' not in page  # no printer there


def test_a_cancelled_order_offers_no_more_changes(browser, make_order):
    order = make_order()
    cancel_order(order=order, actor=None, reason_code=None)

    page = browser.get(page_url(order)).content.decode()

    buttons = ("hold-button", "cancel-button", "complete-button", "print-button")
    for button in (*buttons, "calculation-button"):
        assert f'id="{button}"' not in page
    assert "nothing more to do" in page


def test_the_timeline_shows_the_cancel_with_reason_and_who(
    browser, supervisor_user, make_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("DUP", "Duplicate order")
    order = make_order(tray="44")
    cancel_order(order=order, actor=supervisor_user, reason_code="DUP")

    page = browser.get(page_url(order)).content.decode()
    row = page.split('<tr class="event-cancel">')[1].split("</tr>")[0]

    assert "Marked for cancelation" in row
    assert '<td class="reason">DUP — Duplicate order</td>' in row
    assert '<td class="who">sue</td>' in row
    assert "tray 44 freed" in row


def test_the_timeline_shows_how_print_jobs_ended(browser, make_order, spool_printer):
    order = make_order(tray="9")
    PrintJob.objects.create(
        order=order,
        workstation=spool_printer.ports.get().workstation,
        port=3,
        printer=spool_printer,
        status=PrintStatus.FAILED,
        last_error="folder not writable",
        finished_at=order.received_at,
        claimed_by="spooler-1",
    )

    page = browser.get(page_url(order)).content.decode()

    assert "Work ticket print failed" in page
    assert "folder not writable" in page


def test_the_timeline_tells_those_who_may_not_change_printers_only_that_it_did_not_answer(
    make_user, make_order, spool_printer
):
    order = make_order(tray="9")
    PrintJob.objects.create(
        order=order,
        workstation=spool_printer.ports.get().workstation,
        port=3,
        printer=spool_printer,
        status=PrintStatus.FAILED,
        last_error="Printer 10.1.2.3:9100 did not answer in time",
        finished_at=order.received_at,
        claimed_by="spooler-1",
    )
    viewer = Client()
    viewer.force_login(make_user(rights=("orders.view_order",), is_staff=True))

    page = viewer.get(page_url(order)).content.decode()

    assert "Work ticket print failed" in page
    assert "The printer did not answer" in page
    assert "10.1.2.3" not in page


def test_the_page_has_no_save_buttons(browser, make_order):
    page = browser.get(page_url(make_order())).content.decode()

    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page


# --- hold / release ---------------------------------------------------------------------------


def test_hold_puts_the_order_on_hold_as_the_user(browser, supervisor_user, make_order):
    order = make_order(number=60011)

    response = post(browser, order, "hold")

    assert messages_of(response) == [(SUCCESS, "Order 60011 is on hold.")]
    order.refresh_from_db()
    assert order.on_hold
    event = OrderEvent.objects.get(order=order, kind=EventKind.HOLD)
    assert (event.actor, event.actor_name) == (supervisor_user, "sue")


def test_release_takes_the_order_off_hold_as_the_user(browser, supervisor_user, make_order):
    order = make_order(number=60012)
    hold_order(order=order, actor=None)

    response = post(browser, order, "release")

    assert messages_of(response) == [(SUCCESS, "Order 60012 is released from hold.")]
    order.refresh_from_db()
    assert not order.on_hold
    assert OrderEvent.objects.get(order=order, kind=EventKind.RELEASE).actor == supervisor_user


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        ({"on_hold": True}, "hold", "Order is already on hold"),
        ({}, "release", "Order is not on hold"),
        ({"state": OrderState.COMPLETED}, "hold", "Order already completed"),
        ({"pending_completion": True}, "hold", "Order already completed"),
    ],
)
def test_hold_and_release_refusals_are_the_apis_messages(
    browser, make_order, setup, action, message
):
    order = make_order(**setup)
    before = order.on_hold

    response = post(browser, order, action)

    assert messages_of(response) == [(ERROR, message)]
    order.refresh_from_db()
    assert order.on_hold == before


def test_hold_refused_by_the_lab_settings(browser, make_order, lab_settings):
    lab_settings(allow_hold_orders=False)
    order = make_order()

    response = post(browser, order, "hold")

    assert messages_of(response) == [(ERROR, "Hold orders are not allowed")]
    assert not OrderEvent.objects.filter(order=order, kind=EventKind.HOLD).exists()


def test_release_of_a_cancelled_order_is_refused(browser, make_order):
    order = make_order(on_hold=True)
    cancel_order(order=order, actor=None, reason_code=None)

    response = post(browser, order, "release")

    assert messages_of(response) == [(ERROR, "Order marked for cancelation")]


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_with_a_reason_records_it_and_the_user(
    browser, supervisor_user, make_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    reason = make_reason("CUS", "Customer request")
    order = make_order(number=60021, tray="621")

    response = post(browser, order, "cancel", {"reason": "CUS"})

    assert messages_of(response) == [(SUCCESS, "Order 60021 is marked for cancelation.")]
    order.refresh_from_db()
    assert (order.cancel_reason, order.cancelled_by) == (reason, supervisor_user)
    assert order.tray == "621"  # kept; free for other orders now
    event = OrderEvent.objects.get(order=order, kind=EventKind.CANCEL)
    assert (event.actor_name, event.reason) == ("sue", "CUS — Customer request")


def test_cancel_without_reason_codes(browser, make_order):
    order = make_order(number=60022)

    response = post(browser, order, "cancel", {"reason": ""})

    assert messages_of(response) == [(SUCCESS, "Order 60022 is marked for cancelation.")]
    order.refresh_from_db()
    assert order.is_cancelled
    assert order.cancel_reason is None


def test_a_reason_sent_while_the_lab_does_not_use_them_is_ignored_with_the_apis_warning(
    browser, make_order, make_reason
):
    make_reason("CUS")
    order = make_order(number=60023)

    response = post(browser, order, "cancel", {"reason": "CUS"})

    assert messages_of(response) == [
        (SUCCESS, "Order 60023 is marked for cancelation."),
        (WARNING, REASON_IGNORED_WARNING),
    ]
    order.refresh_from_db()
    assert order.cancel_reason is None


REASONS_ON = {"enter_reason_code_when_deleting_order": True}
NO_REASON = "Delete reason code does not exist — Provided:"


@pytest.mark.parametrize(
    ("settings", "reasons", "sent", "message"),
    [
        (REASONS_ON, ["CUS"], "", NO_REASON),
        (REASONS_ON, ["CUS"], "NOPE", f"{NO_REASON} NOPE"),
        (REASONS_ON, [], "CUS", "The delete reasons file is empty"),
        (
            {"job_tracker_module_installed": False},
            [],
            "",
            "Job Tracker module required for cancel method",
        ),
    ],
    ids=["missing", "unknown", "no-reasons", "no-job-tracker"],
)
def test_cancel_refusals_are_the_apis_messages(
    browser, make_order, make_reason, lab_settings, settings, reasons, sent, message
):
    lab_settings(**settings)
    for code in reasons:
        make_reason(code)
    order = make_order()

    response = post(browser, order, "cancel", {"reason": sent})

    assert messages_of(response) == [(ERROR, message)]
    order.refresh_from_db()
    assert not order.is_cancelled


def test_cancel_of_an_order_through_a_non_cancel_station_is_refused(
    browser, make_order, make_station, check_in
):
    order = make_order()
    check_in(order, make_station("EDGE", non_cancel=True))

    response = post(browser, order, "cancel")

    assert messages_of(response) == [(ERROR, "Order has been through a non-cancel station")]


@pytest.mark.parametrize(
    "refused_because",
    ["non-cancel station", "no job tracker module", "completion accepted"],
)
def test_no_cancel_button_where_the_service_refuses_every_cancel(
    browser, make_order, make_station, check_in, lab_settings, refused_because
):
    order = make_order()
    if refused_because == "non-cancel station":
        check_in(order, make_station("EDGE", non_cancel=True))
    elif refused_because == "no job tracker module":
        lab_settings(job_tracker_module_installed=False)
    else:
        Order.objects.filter(pk=order.pk).update(pending_completion=True)

    page = browser.get(page_url(order)).content.decode()

    assert 'id="cancel-button"' not in page
    assert 'id="complete-button"' in page  # the page still offers what may be done


def test_the_cancel_button_shows_where_only_the_reason_code_decides(
    browser, make_order, make_station, check_in, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)  # and no reason codes exist
    order = make_order()
    check_in(order, make_station("SURF"))  # a station that does not forbid cancelling

    page = browser.get(page_url(order)).content.decode()

    assert 'id="cancel-button"' in page


def test_cancel_of_a_completed_order_is_refused(browser, make_order):
    order = make_order(state=OrderState.COMPLETED)

    response = post(browser, order, "cancel")

    assert messages_of(response) == [(ERROR, "Order already completed")]


# --- request completion -----------------------------------------------------------------------


def test_request_completion_queues_it_for_the_job_tracker(
    browser, supervisor_user, make_order, tracker_running
):
    order = make_order(number=60031)

    response = post(browser, order, "complete")

    assert messages_of(response) == [
        (SUCCESS, "Completion of order 60031 requested: the Job Tracker completes it.")
    ]
    request = CompletionRequest.objects.get(order=order)
    assert (request.status, request.requested_by) == (CompletionStatus.PENDING, supervisor_user)
    order.refresh_from_db()
    assert order.pending_completion


@pytest.mark.parametrize(
    ("setup", "code", "reason"),
    [
        ({"on_hold": True}, "05", "Order on hold"),
        ({"state": OrderState.UNVALID}, "03", "Order unvalid"),
        ({"pending_completion": True}, "04", "Order already completed"),
    ],
)
def test_completion_refusals_are_the_apis_messages(
    browser, make_order, tracker_running, setup, code, reason
):
    order = make_order(**setup)

    response = post(browser, order, "complete")

    assert messages_of(response) == [
        (ERROR, f"Could not complete order — Error Code: {code}; Error Message: {reason}")
    ]
    assert not CompletionRequest.objects.filter(order=order).exists()


def test_completion_is_refused_while_the_job_tracker_is_not_running(browser, make_order):
    order = make_order()

    response = post(browser, order, "complete")

    assert messages_of(response) == [
        (
            ERROR,
            "Could not complete order — Error Code: 30; Error Message: Job Tracker is not running",
        )
    ]
    assert not CompletionRequest.objects.exists()


# --- print ticket -----------------------------------------------------------------------------


def test_print_queues_the_ticket_on_the_chosen_port_as_the_user(
    browser, supervisor_user, make_order, spool_printer
):
    order = make_order(number=60041, tray="641")

    response = post(browser, order, "print", {"lpt_port": "LPT3"})

    job = PrintJob.objects.get(order=order)
    assert messages_of(response) == [
        (
            SUCCESS,
            f"Printing in process: the work ticket of order 60041 is queued for LPT3 (Desk), "
            f"print job {job.pk}.",
        )
    ]
    assert (job.port, job.printer, job.requested_by) == (3, spool_printer, supervisor_user)
    assert job.status == PrintStatus.QUEUED
    event = OrderEvent.objects.get(order=order, kind=EventKind.PRINT_REQUESTED)
    assert (event.actor, event.to_value) == (supervisor_user, "LPT3 Desk")


REJECTED = "Printing request rejected —"


@pytest.mark.parametrize(
    ("setup", "port", "message"),
    [
        (
            {"stock_order": True},
            "LPT3",
            f"{REJECTED} Order is a stock order and there is no work ticket",
        ),
        ({}, "LPT1", f"{REJECTED} No printer defined for workstation 00"),
        ({}, "LPT0", f"{REJECTED} Provided: LPT0"),
        ({"tray": ""}, "LPT3", f"{REJECTED} Order waiting for tray"),
    ],
    ids=["stock", "no-printer", "bad-port", "no-tray"],
)
def test_print_refusals_are_the_apis_messages(
    browser, make_order, spool_printer, lab_settings, setup, port, message
):
    lab_settings(trays_required=True)
    order = make_order(**{"tray": "5", **setup})

    response = post(browser, order, "print", {"lpt_port": port})

    assert messages_of(response) == [(ERROR, message)]
    assert not PrintJob.objects.exists()


def test_print_of_a_cancelled_order_is_refused(browser, make_order, spool_printer):
    order = make_order(tray="5")
    cancel_order(order=order, actor=None, reason_code=None)

    response = post(browser, order, "print", {"lpt_port": "LPT3"})

    assert messages_of(response) == [(ERROR, "Order marked for cancelation")]
    assert not PrintJob.objects.exists()


# --- the same words as the API ----------------------------------------------------------------


def api_words(body: dict) -> str:
    details = "; ".join(line.strip() for line in body["details"] if line.strip())
    return f"{body['error']} — {details}" if details else body["error"]


def test_refusals_read_exactly_as_the_api_answers_them(
    supervisor_user, supervisor_api, make_order, lab_settings, spool_printer, make_reason
):
    lab_settings(allow_hold_orders=False, enter_reason_code_when_deleting_order=True)
    make_reason("CUS")
    order = make_order(number=60051, stock_order=True, on_hold=False)
    api = "/api/v2/orders/60051"
    cases = [
        ("hold", {}, supervisor_api.post(f"{api}/hold", status=400)),
        ("release", {}, supervisor_api.post(f"{api}/release", status=400)),
        ("cancel", {"reason": "XX"}, supervisor_api.delete(f"{api}?deleteReason=XX", status=400)),
        ("complete", {}, supervisor_api.post(f"{api}/complete", status=503)),
        (
            "print",
            {"lpt_port": "LPT3"},
            supervisor_api.post(f"{api}/print_ticket?lptPort=LPT3", status=400),
        ),
    ]
    for action, data, body in cases:
        browser = Client()  # a fresh session: messages of one case only
        browser.force_login(supervisor_user)
        response = post(browser, order, action, data)
        assert messages_of(response) == [(ERROR, api_words(body))], action


# --- rights -----------------------------------------------------------------------------------


@pytest.fixture
def station_staff(make_user):
    """Staff who may see orders (the Stations group) but change none of them."""
    client = Client()
    client.force_login(make_user("Stations", is_staff=True))
    return client


@pytest.mark.parametrize(
    ("action", "right"),
    [
        ("hold", "orders.hold_order"),
        ("release", "orders.hold_order"),
        ("cancel", "orders.cancel_order"),
        ("complete", "tracker.complete_order"),
        ("print", "printing.print_ticket"),
        ("calculation", "orders.record_calculation"),
    ],
)
def test_each_button_needs_the_apis_right(
    station_staff, make_order, spool_printer, tracker_running, action, right
):
    order = make_order(tray="7", on_hold=action == "release")

    response = post(
        station_staff, order, action, {"lpt_port": "LPT3", "eye": "R", "calculated": "R"}
    )

    assert messages_of(response) == [(ERROR, f"Permission denied — Requires: {right}")]
    assert not order.eyes.filter(calculated=True).exists()
    order.refresh_from_db()
    assert (order.on_hold, order.is_cancelled, order.pending_completion) == (
        action == "release",
        False,
        False,
    )
    assert not PrintJob.objects.exists()
    assert not OrderEvent.objects.exclude(kind=EventKind.CREATED).exists()


def test_buttons_the_user_has_no_right_for_are_not_shown(station_staff, make_order, spool_printer):
    page = station_staff.get(page_url(make_order(tray="7"))).content.decode()

    buttons = ("hold-button", "cancel-button", "complete-button", "print-button")
    for button in (*buttons, "calculation-button"):
        assert f'id="{button}"' not in page
    assert 'id="view-ticket-link"' in page


def test_buttons_are_for_staff_only(make_user, make_order):
    order = make_order()
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=False))

    response = client.post(action_url(order, "hold"))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    order.refresh_from_db()
    assert not order.on_hold


@pytest.mark.parametrize(
    "action", ["hold", "release", "cancel", "complete", "print", "calculation"]
)
def test_buttons_need_post_and_a_csrf_token(supervisor_user, browser, make_order, action):
    order = make_order()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(supervisor_user)

    assert browser.get(action_url(order, action)).status_code == 405
    assert strict.post(action_url(order, action)).status_code == 403
    assert not OrderEvent.objects.exclude(kind=EventKind.CREATED).exists()


def test_a_button_for_an_unknown_order_is_404(browser):
    assert browser.post(f"{ORDERS}999999/hold/").status_code == 404


# --- prescription, lenses and frame -----------------------------------------------------------


def test_the_order_page_shows_the_prescription_right_eye_first_and_the_frame(browser, make_order):
    order = make_order(
        frame_name="Aviator",
        frame_a="52.00",
        instructions="Handle with care",
        eyes={
            Eye.LEFT: EyeValues(lens_style="PROG", sphere=Decimal("-0.50"), opc="OPC-L"),
            Eye.RIGHT: EyeValues(
                lens_style="PROG",
                lens_material="PC",
                sphere=Decimal("1.25"),
                cylinder=Decimal("-0.75"),
                axis=90,
            ),
        },
    )

    page = browser.get(page_url(order)).content.decode()

    prescription = page[page.index("prescription") :]
    assert prescription.index("+1.25") < prescription.index("-0.50")  # the right eye first
    for shown in ("-0.75", "OPC-L", "PROG", "Aviator", "52.00", "Handle with care"):
        assert shown in page, shown


def test_the_prescription_is_not_editable_on_the_order_page(browser, make_order):
    order = make_order()

    page = browser.get(page_url(order)).content.decode()

    assert 'name="eyes-0-sphere"' not in page
    assert "eyes-TOTAL_FORMS" in page  # the inline is there, read-only


# --- addons -----------------------------------------------------------------------------------


ADDON_ROW = re.compile(
    r'class="field-position">\s*<p>(?P<position>\d+)</p>.*?'
    r'class="field-addon">\s*<p>(?:<a href="(?P<link>[^"]*)">)?(?P<addon>.*?)(?:</a>)?</p>.*?'
    r'class="field-description">\s*<p>(?P<description>.*?)</p>',
    re.DOTALL,
)


def addons_panel(page: str) -> list[tuple[str, str, str]]:
    """The rows of the order page's addons panel: (position, addon, description)."""
    panel = page.split('id="order_addons-group"')[1].split("</table>")[0]
    return [
        (row["position"], row["addon"], row["description"]) for row in ADDON_ROW.finditer(panel)
    ]


@pytest.fixture
def addon_order(make_order):
    Addon.objects.create(code="TINT-G", description="Grey tint, 75 %", is_tint=True)
    Addon.objects.create(code="AR-SUP", description="Super AR coating", is_ar=True)
    Addon.objects.create(code="POL", description="Polish")  # not ordered
    return make_order(job_type="A", addons=["TINT-G", "AR-SUP"])


def test_the_order_page_shows_the_addons_codes_and_descriptions_in_the_clients_order(
    browser, addon_order
):
    page = browser.get(page_url(addon_order)).content.decode()

    assert addons_panel(page) == [
        ("1", "TINT-G — Grey tint, 75 %", "Grey tint, 75 %"),
        ("2", "AR-SUP — Super AR coating", "Super AR coating"),
    ]
    assert "POL" not in page.split('id="order_addons-group"')[1].split("</table>")[0]


def test_those_who_may_only_see_orders_see_the_addons_too(station_staff, addon_order):
    page = station_staff.get(page_url(addon_order)).content.decode()

    assert [row[1:] for row in addons_panel(page)] == [
        ("TINT-G — Grey tint, 75 %", "Grey tint, 75 %"),
        ("AR-SUP — Super AR coating", "Super AR coating"),
    ]


def test_an_order_without_addons_has_an_empty_addons_panel(browser, make_order):
    page = browser.get(page_url(make_order(job_type="F"))).content.decode()

    assert addons_panel(page) == []


# --- the surfacing calculation ----------------------------------------------------------------


def both_eyes():
    return {
        Eye.RIGHT: EyeValues(lens_style="PROG", lens_material="PC", sphere=Decimal("1.00")),
        Eye.LEFT: EyeValues(lens_style="PROG", lens_material="PC", sphere=Decimal("0.75")),
    }


def test_the_page_offers_the_calculation_of_each_eye_the_order_has(browser, make_order):
    order = make_order(eyes=both_eyes())

    page = browser.get(page_url(order)).content.decode()

    assert 'id="order-calculation">Calculations not done<' in page
    assert 'id="calculated-R"' in page
    assert 'id="calculated-L"' in page


def test_recording_the_calculation_of_the_right_eye(browser, supervisor_user, make_order):
    order = make_order(eyes=both_eyes())

    response = post(browser, order, "calculation", {"eye": ["R", "L"], "calculated": ["R"]})

    assert messages_of(response) == [(SUCCESS, f"Order {order.number}: Right eye calculated.")]
    assert dict(order.eyes.values_list("eye", "calculated")) == {"R": True, "L": False}
    event = OrderEvent.objects.get(order=order, kind=EventKind.CALCULATION)
    assert (event.actor, event.from_value, event.to_value) == (
        supervisor_user,
        "Calculations not done",
        "Right eye calculated",
    )
    page = browser.get(page_url(order)).content.decode()
    assert 'id="order-calculation">Right eye calculated<' in page
    assert "Calculation recorded" in page  # the timeline


def test_a_calculation_is_taken_back_by_unticking_it(browser, make_order):
    order = make_order(eyes=both_eyes())
    order.eyes.update(calculated=True)

    post(browser, order, "calculation", {"eye": ["R", "L"], "calculated": ["L"]})

    assert dict(order.eyes.values_list("eye", "calculated")) == {"R": False, "L": True}
    event = OrderEvent.objects.get(order=order, kind=EventKind.CALCULATION)
    assert (event.from_value, event.to_value) == ("Both eyes calculated", "Left eye calculated")


def test_recording_what_is_already_recorded_adds_no_history(browser, make_order):
    order = make_order(eyes=both_eyes())

    response = post(browser, order, "calculation", {"eye": ["R", "L"]})

    assert messages_of(response) == [(SUCCESS, f"Order {order.number}: Calculations not done.")]
    assert not OrderEvent.objects.filter(kind=EventKind.CALCULATION).exists()


def test_the_calculation_of_an_eye_the_order_does_not_have_is_refused(browser, make_order):
    order = make_order()  # the right eye only

    response = post(browser, order, "calculation", {"eye": ["R", "L"], "calculated": ["L"]})

    assert messages_of(response) == [(ERROR, "Eye not ordered — Eye: L")]
    assert not order.eyes.filter(calculated=True).exists()
    assert not OrderEvent.objects.filter(kind=EventKind.CALCULATION).exists()


def test_the_calculation_of_a_cancelled_order_is_refused(browser, make_order):
    order = make_order()
    cancel_order(order=order, actor=None, reason_code=None)

    response = post(browser, order, "calculation", {"eye": ["R"], "calculated": ["R"]})

    assert messages_of(response) == [(ERROR, "Order marked for cancelation")]
    assert not order.eyes.filter(calculated=True).exists()
    page = browser.get(page_url(order)).content.decode()
    assert 'id="calculation-button"' not in page


def test_a_stock_order_shows_no_calculation(browser, make_order):
    order = make_order(stock_order=True, job_type="U", eyes={})

    page = browser.get(page_url(order)).content.decode()

    assert 'id="order-calculation"' not in page
    assert 'id="calculation-button"' not in page


# --- the floor: trays and picks ----------------------------------------------------------------


def test_the_page_shows_tray_changes_and_picks(browser, supervisor_user, make_order):
    order = make_order()
    assign_tray(order=order, tray="44", actor=supervisor_user)
    OrderPick.objects.create(
        order=order, item=PickItem.RIGHT_LENS, code="OPC-R-123", picked_by=supervisor_user
    )

    page = browser.get(page_url(order)).content.decode()

    timeline = page[page.index('id="order-timeline"') :]
    assert "Tray changed" in timeline
    assert "44" in timeline
    picks = page[page.index("Picks") :]
    assert "Right lens" in picks
    assert "OPC-R-123" in picks

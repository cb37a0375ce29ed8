"""POST /api/v2/job_track/stations/{code}: check an order in at a station, row by row."""

import re

from django.utils import timezone

import pytest

from orders.api.payloads import iso_utc_ms
from orders.models import Order, OrderEvent
from tracker.models import CheckIn

pytestmark = pytest.mark.django_db

ISO_UTC_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")

# Measured: key lookup + key last-used write + 2 rights queries + station + order + operator
# + savepoint, lock, settings, check-in insert, previous station, update, event, release.
CHECKIN_QUERY_CEILING = 15


def url(code: str) -> str:
    return f"/api/v2/job_track/stations/{code}"


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def refused(reason: str) -> dict:
    return error("Checkin not performed", reason)


def snapshot(order: Order) -> tuple:
    """What a check-in changes; a refusal must leave all of it as it was."""
    order.refresh_from_db()
    return (
        order.version,
        order.state,
        order.current_station_id,
        order.current_station_at,
        CheckIn.objects.filter(order=order).count(),
        OrderEvent.objects.filter(order=order, kind="checkin").count(),
    )


@pytest.fixture
def surf(make_station):
    return make_station("SURF", description="Surfacing", customer_description="In surfacing")


@pytest.fixture
def operator(make_station):
    return make_station("OP1", description="Operator 1", is_operator=True)


# --- success --------------------------------------------------------------------------------------


def test_checkin_answers_201_with_the_order_and_the_station(supervisor_api, make_order, surf):
    order = make_order(tray="123", po_number="PO-1")

    body = supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)

    checkin = CheckIn.objects.get(order=order)
    assert body == {
        "orderNumber": str(order.number),
        "trayNumber": "123",
        "poNumber": "PO-1",
        "code": "SURF",
        "customerDesc": "In surfacing",
        "desc": "Surfacing",
        "statusDateTime": iso_utc_ms(checkin.at),
    }
    assert list(body) == [
        "orderNumber",
        "trayNumber",
        "poNumber",
        "code",
        "customerDesc",
        "desc",
        "statusDateTime",
    ]
    assert ISO_UTC_MS.fullmatch(body["statusDateTime"])


def test_empty_tray_po_and_customer_desc_are_null(supervisor_api, make_order, make_station):
    make_station("QA", description="Final QA")
    order = make_order()

    body = supervisor_api.post(url("QA"), {"orderIdentifier": str(order.number)}, status=201)

    assert (body["trayNumber"], body["poNumber"], body["customerDesc"]) == (None, None, None)


@pytest.mark.parametrize(
    "identifier", [pytest.param("555", id="tray"), pytest.param("PO-9", id="po-number")]
)
def test_order_identifier_may_be_a_tray_or_po_number(supervisor_api, make_order, surf, identifier):
    order = make_order(tray="555", po_number="PO-9")

    body = supervisor_api.post(url("SURF"), {"orderIdentifier": identifier}, status=201)

    assert body["orderNumber"] == str(order.number)


def test_checkin_moves_a_valid_order_to_process(supervisor_api, make_order, surf):
    order = make_order()
    assert order.state == "V"

    supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)

    order.refresh_from_db()
    assert order.state == "P"
    status = supervisor_api.get(f"/api/v2/orders/{order.number}/status", status=200)
    assert (status["status"], status["statusDesc"]) == ("P", "Process")


def test_an_order_in_process_stays_in_process(supervisor_api, make_order, surf, make_station):
    make_station("EDGE")
    order = make_order(state="P")

    supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)
    supervisor_api.post(url("EDGE"), {"orderIdentifier": str(order.number)}, status=201)

    order.refresh_from_db()
    assert order.state == "P"


def test_the_first_checkin_records_the_state_change_in_the_history(
    supervisor_api, make_order, surf, make_station
):
    make_station("EDGE")
    order = make_order()

    supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)
    supervisor_api.post(url("EDGE"), {"orderIdentifier": str(order.number)}, status=201)

    history = OrderEvent.objects.filter(order=order).exclude(kind="created").order_by("id")
    assert [(e.kind, e.from_value, e.to_value, e.actor_name) for e in history] == [
        ("checkin", "", "SURF", "sam"),
        ("state", "Valid", "Process", "sam"),  # once, with the check-in that made it
        ("checkin", "SURF", "EDGE", "sam"),
    ]


def test_checkin_records_actor_device_and_operator(
    supervisor_api, supervisor, make_order, surf, operator
):
    order = make_order()
    started = timezone.now()

    supervisor_api.post(
        url("SURF"), {"orderIdentifier": str(order.number), "operator": "OP1"}, status=201
    )

    checkin = CheckIn.objects.get(order=order)
    assert (checkin.station, checkin.operator, checkin.actor, checkin.device) == (
        surf,
        operator,
        supervisor,
        "key for sam",
    )
    assert started <= checkin.at <= timezone.now()


def test_checkin_without_operator_records_none(supervisor_api, make_order, surf):
    order = make_order()

    supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)

    assert CheckIn.objects.get(order=order).operator is None


def test_the_order_shows_the_station_as_its_current_station(supervisor_api, make_order, surf):
    order = make_order()

    checkin = supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)

    body = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)
    assert (
        body["currentStation"],
        body["currentStationDesc"],
        body["currentStationCustomerDesc"],
        body["currentStationDateTime"],
    ) == ("SURF", "Surfacing", "In surfacing", checkin["statusDateTime"])


def test_checkin_writes_a_history_event_from_the_previous_station(
    supervisor_api, supervisor, make_order, surf, make_station, operator
):
    make_station("EDGE")
    order = make_order()

    supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)
    supervisor_api.post(
        url("EDGE"), {"orderIdentifier": str(order.number), "operator": "OP1"}, status=201
    )

    events = OrderEvent.objects.filter(order=order, kind="checkin").order_by("id")
    assert [(e.actor, e.actor_name, e.from_value, e.to_value, e.note) for e in events] == [
        (supervisor, "sam", "", "SURF", ""),
        (supervisor, "sam", "SURF", "EDGE", "operator OP1"),
    ]


def test_each_checkin_bumps_the_order_version(supervisor_api, make_order, surf):
    order = make_order()
    version = order.version

    supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)

    order.refresh_from_db()
    assert order.version == version + 1


# --- the documented errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("NOPE", id="unknown"),
        pytest.param("surf", id="wrong-case"),
        pytest.param("OP1", id="operator-station"),
    ],
)
def test_station_not_found(supervisor_api, make_order, surf, operator, code):
    order = make_order()
    before = snapshot(order)

    body = supervisor_api.post(url(code), {"orderIdentifier": str(order.number)}, status=400)

    assert body == refused("Station not found")
    assert snapshot(order) == before


def test_station_codes_are_case_sensitive(supervisor_api, make_order, make_station):
    make_station("AR", description="AR coating")
    order = make_order()

    body = supervisor_api.post(url("ar"), {"orderIdentifier": str(order.number)}, status=400)

    assert body == refused("Station not found")
    supervisor_api.post(url("AR"), {"orderIdentifier": str(order.number)}, status=201)


@pytest.mark.parametrize(
    "identifier",
    [
        pytest.param("424242", id="unknown-number"),
        pytest.param("PO-DUP", id="ambiguous-po-number"),
    ],
)
def test_order_not_found(supervisor_api, make_order, surf, identifier):
    make_order(po_number="PO-DUP")
    make_order(po_number="PO-DUP")

    body = supervisor_api.post(url("SURF"), {"orderIdentifier": identifier}, status=400)

    assert body == refused("Order not found")
    assert not CheckIn.objects.exists()


def test_tray_of_a_cancelled_order_is_not_found(supervisor_api, make_order, surf):
    make_order(tray="123", cancelled_at=timezone.now())

    body = supervisor_api.post(url("SURF"), {"orderIdentifier": "123"}, status=400)

    assert body == refused("Order not found")


@pytest.mark.parametrize(
    "operator_code",
    [
        pytest.param("OP9", id="unknown"),
        pytest.param("op1", id="wrong-case"),
        pytest.param("SURF", id="not-an-operator-station"),
    ],
)
def test_operator_not_found_is_404(supervisor_api, make_order, surf, operator, operator_code):
    order = make_order()
    before = snapshot(order)

    body = supervisor_api.post(
        url("SURF"), {"orderIdentifier": str(order.number), "operator": operator_code}, status=404
    )

    assert body == refused("Operator not found")
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "payload",
    [pytest.param({}, id="missing"), pytest.param({"operator": ""}, id="empty")],
)
def test_operator_required(supervisor_api, make_order, make_station, payload):
    make_station("COAT", requires_operator=True)
    order = make_order()
    before = snapshot(order)

    body = supervisor_api.post(
        url("COAT"), {"orderIdentifier": str(order.number), **payload}, status=400
    )

    assert body == refused("Operator required")
    assert snapshot(order) == before


def test_station_requiring_an_operator_accepts_one(
    supervisor_api, make_order, make_station, operator
):
    make_station("COAT", requires_operator=True)
    order = make_order()

    supervisor_api.post(
        url("COAT"), {"orderIdentifier": str(order.number), "operator": "OP1"}, status=201
    )

    assert CheckIn.objects.get(order=order).operator == operator


def test_flow_step_not_needed_when_station_verify_is_on(
    supervisor_api, make_order, make_station, lab_settings
):
    lab_settings(jobtrack_station_verify=True)
    make_station("AR", flow_step="ar_coat")
    order = make_order(requires_ar_coat=False)
    before = snapshot(order)

    body = supervisor_api.post(url("AR"), {"orderIdentifier": str(order.number)}, status=400)

    assert body == refused("AR not needed")
    assert snapshot(order) == before


def test_flow_step_needed_is_accepted_when_station_verify_is_on(
    supervisor_api, make_order, make_station, lab_settings
):
    lab_settings(jobtrack_station_verify=True)
    make_station("AR", flow_step="ar_coat")
    order = make_order(requires_ar_coat=True)

    supervisor_api.post(url("AR"), {"orderIdentifier": str(order.number)}, status=201)


def test_flow_step_not_needed_is_accepted_when_station_verify_is_off(
    supervisor_api, make_order, make_station, lab_settings
):
    lab_settings(jobtrack_station_verify=False)
    make_station("AR", flow_step="ar_coat")
    order = make_order(requires_ar_coat=False)

    supervisor_api.post(url("AR"), {"orderIdentifier": str(order.number)}, status=201)

    assert CheckIn.objects.filter(order=order, station__code="AR").exists()


def test_station_without_a_flow_step_is_never_verified(
    supervisor_api, make_order, surf, lab_settings
):
    lab_settings(jobtrack_station_verify=True)
    order = make_order()  # requires no step at all

    supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)


# --- orders that are not in production ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        pytest.param(
            {"state": "C", "completed_at": timezone.now()},
            "Order already completed",
            id="completed",
        ),
        pytest.param(
            {"cancelled_at": timezone.now()}, "Order marked for cancelation", id="cancelled"
        ),
        pytest.param({"on_hold": True}, "Order on hold", id="on-hold"),
        pytest.param({"state": "U"}, "Order unvalid", id="unvalid"),
    ],
)
def test_orders_not_in_production_are_refused(supervisor_api, make_order, surf, fields, reason):
    order = make_order(**fields)
    before = snapshot(order)

    body = supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=400)

    assert body == refused(reason)
    assert snapshot(order) == before


def test_an_order_unvalid_from_creation_is_refused(supervisor_api, make_order, surf):
    order = make_order(items=0, stock_order=True)  # a stock order without items is unvalid
    assert order.state == "U"

    body = supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=400)

    assert body == refused("Order unvalid")


# --- the order of the checks: the first that fails answers ----------------------------------------


def test_unknown_station_comes_before_unknown_order(supervisor_api):
    body = supervisor_api.post(url("NOPE"), {"orderIdentifier": "424242"}, status=400)

    assert body == refused("Station not found")


def test_unknown_order_comes_before_unknown_operator(supervisor_api, surf):
    body = supervisor_api.post(
        url("SURF"), {"orderIdentifier": "424242", "operator": "OP9"}, status=400
    )

    assert body == refused("Order not found")


def test_unknown_operator_comes_before_the_order_state(supervisor_api, make_order, surf):
    order = make_order(on_hold=True)

    body = supervisor_api.post(
        url("SURF"), {"orderIdentifier": str(order.number), "operator": "OP9"}, status=404
    )

    assert body == refused("Operator not found")


def test_operator_required_comes_before_the_order_state(supervisor_api, make_order, make_station):
    make_station("COAT", requires_operator=True)
    order = make_order(on_hold=True)

    body = supervisor_api.post(url("COAT"), {"orderIdentifier": str(order.number)}, status=400)

    assert body == refused("Operator required")


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        pytest.param(
            {"cancelled_at": timezone.now(), "on_hold": True},
            "Order marked for cancelation",
            id="cancelled-and-on-hold",
        ),
        pytest.param({"on_hold": True, "state": "U"}, "Order on hold", id="on-hold-and-unvalid"),
    ],
)
def test_order_state_refusals_in_order(supervisor_api, make_order, surf, fields, reason):
    order = make_order(**fields)

    body = supervisor_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=400)

    assert body == refused(reason)


def test_order_state_comes_before_flow_verification(
    supervisor_api, make_order, make_station, lab_settings
):
    lab_settings(jobtrack_station_verify=True)
    make_station("AR", flow_step="ar_coat")
    order = make_order(on_hold=True, requires_ar_coat=False)

    body = supervisor_api.post(url("AR"), {"orderIdentifier": str(order.number)}, status=400)

    assert body == refused("Order on hold")


# --- body validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        pytest.param({}, ["orderIdentifier: This field is required."], id="missing-identifier"),
        pytest.param(
            {"orderIdentifier": ""},
            ["orderIdentifier: This field may not be blank."],
            id="empty-identifier",
        ),
        pytest.param(
            {"orderIdentifier": "1", "colour": "red"}, ["colour: unknown field"], id="unknown-field"
        ),
        pytest.param(
            ["1"], ["body: Invalid data. Expected a dictionary, but got list."], id="not-an-object"
        ),
    ],
)
def test_bad_body_is_incorrect_arguments(supervisor_api, make_order, surf, payload, details):
    body = supervisor_api.post(url("SURF"), payload, status=400)

    assert body == error("Incorrect arguments provided", *details)
    assert not CheckIn.objects.exists()


# --- rights and cost ------------------------------------------------------------------------------


def test_station_scanners_may_check_in(api_for, make_user, make_order, surf):
    station_api = api_for(make_user("Stations", username="scanner-1"))
    order = make_order()

    station_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)

    assert CheckIn.objects.get(order=order).device == "key for scanner-1"


def test_lab_clients_may_check_in(client_api, make_order, surf):
    order = make_order()

    body = client_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=201)

    assert body["code"] == "SURF"


def test_checkin_without_the_right_is_403(no_rights_api, make_order, surf):
    order = make_order()
    before = snapshot(order)

    body = no_rights_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=403)

    assert body == error("Permission denied", "Requires: tracker.check_in")
    assert snapshot(order) == before


def test_checkin_without_a_key_is_401(anonymous_api, make_order, surf):
    order = make_order()

    body = anonymous_api.post(url("SURF"), {"orderIdentifier": str(order.number)}, status=401)

    assert body == error("Authentication required")
    assert not CheckIn.objects.exists()


def test_checkin_stays_under_the_query_ceiling(
    supervisor_api, make_order, make_station, check_in, operator, lab_settings
):
    lab_settings(jobtrack_station_verify=True)
    make_station("AR", flow_step="ar_coat")
    order = make_order(requires_ar_coat=True)
    check_in(order, make_station("SURF"))  # a previous station to move from

    supervisor_api.post(
        url("AR"),
        {"orderIdentifier": str(order.number), "operator": "OP1"},
        status=201,
        max_queries=CHECKIN_QUERY_CEILING,
    )

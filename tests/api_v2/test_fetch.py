"""GET /api/v2/orders/{orderIdentifier}: the fetch model, identifier resolution, errors."""

from datetime import UTC, datetime, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from orders.api.v2.catalogue import ADDON_FLAGS
from orders.flow import FLOW_STEPS
from orders.models import Addon, Order
from orders.rx import Eye, EyeValues

from .rx_fields import NO_RX

pytestmark = pytest.mark.django_db

# The contract: orderNumber, trayNumber, poNumber first, then the rest alphabetically.
ORDER_KEYS = [
    "orderNumber",
    "trayNumber",
    "poNumber",
    *sorted(
        [
            "calculationDesc",
            "createdDevice",
            "createdUser",
            "currentStation",
            "currentStationCustomerDesc",
            "currentStationDateTime",
            "currentStationDesc",
            "customerJobId",
            "customerNumber",
            "dateCompleted",
            "dateOrdered",
            "dateReceived",
            "dateTimeValid",
            "dateWanted",
            "items",
            "jobType",
            "onHold",
            "patient",
            "pendingCompletion",
            "requiresArCoat",
            "requiresBacksideCoat",
            "requiresDropBall",
            "requiresEtching",
            "requiresFinalQa",
            "requiresHardCoat",
            "requiresMirror",
            "requiresPolish",
            "requiresTint",
            "requiresUv",
            "status",
            "statusDesc",
            "stockOrder",
            "unvalidMessage",
            *NO_RX,
        ]
    ),
]

# Measured: key lookup + key last-used write + 2 rights queries + the order with its station
# and creator + items + endpoints. It must not depend on the number of items.
FETCH_QUERY_CEILING = 7


def url(identifier) -> str:
    return f"/api/v2/orders/{identifier}"


def not_found(provided) -> dict:
    return {"error": "No record found", "details": [f"Provided: {provided}"]}


# --- the fetch model ----------------------------------------------------------------------------


def test_fetch_by_order_number_answers_the_full_order(supervisor_api, supervisor, make_order):
    order = make_order(
        actor=supervisor,
        tray="123",
        po_number="PO-4711",
        customer_number="C42",
        customer_job_id="JOB-9",
        patient="Doe, Jane",
        job_type="A",
        date_wanted=datetime(2026, 12, 24).date(),
        requires={"requires_ar_coat", "requires_tint"},
        items=1,
        endpoints=("surfacing",),
    )
    item = order.items.get()

    body = supervisor_api.get(url(order.number), status=200, max_queries=FETCH_QUERY_CEILING)

    assert body == {
        "orderNumber": str(order.number),
        "trayNumber": "123",
        "poNumber": "PO-4711",
        "calculationDesc": "Calculations not done",
        "createdDevice": None,
        "createdUser": "sam",
        "currentStation": None,
        "currentStationCustomerDesc": None,
        "currentStationDateTime": None,
        "currentStationDesc": None,
        "customerJobId": "JOB-9",
        "customerNumber": "C42",
        "dateCompleted": None,
        "dateOrdered": order.date_ordered.isoformat(),
        "dateReceived": timezone.localdate(order.received_at).isoformat(),
        "dateTimeValid": timezone.localdate(order.valid_at).isoformat(),
        "dateWanted": "2026-12-24",
        "items": [
            {
                "id": item.id,
                "sku": "SKU0",
                "name": "Lens 0",
                "quantity": 1,
                "status": "New",
                "endpoints": [{"name": "surfacing", "status": "New"}],
            }
        ],
        "jobType": "A",
        "onHold": False,
        "patient": "Doe, Jane",
        "pendingCompletion": False,
        "requiresArCoat": True,
        "requiresBacksideCoat": False,
        "requiresDropBall": False,
        "requiresEtching": False,
        "requiresFinalQa": False,
        "requiresHardCoat": False,
        "requiresMirror": False,
        "requiresPolish": False,
        "requiresTint": True,
        "requiresUv": False,
        "status": "V",
        "statusDesc": "Valid",
        "stockOrder": False,
        "unvalidMessage": None,
        **NO_RX,
        "addons": ["EXTRA"],  # an addon job (make_order gives it one)
    }


def test_payload_keys_are_identifiers_first_then_alphabetical(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.get(url(order.number), status=200)

    assert list(body) == ORDER_KEYS
    assert ORDER_KEYS[3:] == sorted(ORDER_KEYS[3:])


def test_optional_identifiers_are_null_when_absent(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.get(url(order.number), status=200)

    assert (body["orderNumber"], body["trayNumber"], body["poNumber"]) == (
        str(order.number),
        None,
        None,
    )


@pytest.mark.parametrize(
    ("fields", "status", "status_desc"),
    [
        pytest.param(
            {"state": "U", "unvalid_message": "Order has no items"}, "U", "Unvalid", id="U"
        ),
        pytest.param({}, "V", "Valid", id="V"),
        pytest.param({"state": "P"}, "P", "Process", id="P"),
        pytest.param({"state": "C"}, "C", "Completed", id="C"),
    ],
)
def test_status_and_status_desc_per_state(supervisor_api, make_order, fields, status, status_desc):
    order = make_order(**fields)

    body = supervisor_api.get(url(order.number), status=200)

    assert (body["status"], body["statusDesc"], body["onHold"]) == (status, status_desc, False)


@pytest.mark.parametrize("state", ["U", "V", "P"])
def test_on_hold_shows_status_w_on_top_of_the_state(supervisor_api, make_order, state):
    order = make_order(state=state, on_hold=True)

    body = supervisor_api.get(url(order.number), status=200)

    assert (body["status"], body["statusDesc"], body["onHold"]) == ("W", "On Hold", True)


def test_unvalid_order_says_why(supervisor_api, make_order):
    original = make_order(customer_number="C7", customer_job_id="J-7")
    order = make_order(customer_number="C7", customer_job_id="J-7", items=0)

    body = supervisor_api.get(url(order.number), status=200)

    assert (body["status"], body["statusDesc"], body["unvalidMessage"]) == (
        "U",
        "Unvalid",
        f"Duplicate customer job id J-7 for customer C7: order {original.number}",
    )
    assert body["dateTimeValid"] is None
    assert body["items"] == []


def test_completed_order_has_date_completed(supervisor_api, make_order):
    order = make_order(state="C", completed_at=datetime(2026, 11, 20, 15, 30, tzinfo=UTC))

    body = supervisor_api.get(url(order.number), status=200)

    assert (body["status"], body["dateCompleted"]) == ("C", "2026-11-20")


def test_pending_completion_flag(supervisor_api, make_order):
    order = make_order(pending_completion=True)

    body = supervisor_api.get(url(order.number), status=200)

    assert body["pendingCompletion"] is True


def test_current_station_fields_after_a_check_in(
    supervisor_api, make_order, make_station, check_in
):
    order = make_order(state="P")
    station = make_station("SURF", description="Surfacing", customer_description="In surfacing")
    check_in(order, station)
    # A time given in UTC+1 with microseconds: the wire shows UTC, milliseconds, and a Z.
    checked_in_at = datetime(
        2026, 11, 23, 10, 14, 5, 120999, tzinfo=dt_timezone(timedelta(hours=1))
    )
    Order.objects.filter(pk=order.pk).update(current_station_at=checked_in_at)

    body = supervisor_api.get(url(order.number), status=200)

    assert {key: body[key] for key in ORDER_KEYS if key.startswith("currentStation")} == {
        "currentStation": "SURF",
        "currentStationCustomerDesc": "In surfacing",
        "currentStationDateTime": "2026-11-23T09:14:05.120Z",
        "currentStationDesc": "Surfacing",
    }


def test_current_station_customer_desc_is_null_when_the_station_has_none(
    supervisor_api, make_order, make_station, check_in
):
    order = make_order()
    check_in(order, make_station("EDGE", description="Edging"))

    body = supervisor_api.get(url(order.number), status=200)

    assert (body["currentStation"], body["currentStationCustomerDesc"]) == ("EDGE", None)
    assert body["currentStationDateTime"].endswith("Z")
    assert len(body["currentStationDateTime"]) == len("2026-11-23T09:14:05.120Z")


def test_items_with_their_endpoints_in_creation_order(supervisor_api, make_order):
    order = make_order(items=2, endpoints=("surfacing", "coating"))
    first, second = order.items.order_by("id")
    second.endpoints.filter(name="surfacing").update(status="Done")

    body = supervisor_api.get(url(order.number), status=200)

    assert body["items"] == [
        {
            "id": first.id,
            "sku": "SKU0",
            "name": "Lens 0",
            "quantity": 1,
            "status": "New",
            "endpoints": [
                {"name": "surfacing", "status": "New"},
                {"name": "coating", "status": "New"},
            ],
        },
        {
            "id": second.id,
            "sku": "SKU1",
            "name": "Lens 1",
            "quantity": 1,
            "status": "New",
            "endpoints": [
                {"name": "surfacing", "status": "Done"},
                {"name": "coating", "status": "New"},
            ],
        },
    ]


# --- identifier resolution ----------------------------------------------------------------------


def test_fetch_by_tray_number_of_an_active_order(supervisor_api, make_order):
    order = make_order(tray="4711")

    body = supervisor_api.get(url("4711"), status=200)

    assert (body["orderNumber"], body["trayNumber"]) == (str(order.number), "4711")


def test_completed_orders_tray_does_not_resolve(supervisor_api, make_order):
    make_order(tray="4711", state="C")

    body = supervisor_api.get(url("4711"), status=404)

    assert body == not_found("4711")


def test_cancelled_orders_tray_does_not_resolve(supervisor_api, make_order):
    make_order(tray="4711", cancelled_at=timezone.now())

    body = supervisor_api.get(url("4711"), status=404)

    assert body == not_found("4711")


def test_cancelled_orders_tray_is_free_for_a_new_order(supervisor_api, make_order):
    make_order(tray="4711", cancelled_at=timezone.now())
    new_order = make_order(tray="4711")

    body = supervisor_api.get(url("4711"), status=200)

    assert (body["orderNumber"], body["trayNumber"]) == (str(new_order.number), "4711")


def test_fetch_by_unique_po_number(supervisor_api, make_order):
    order = make_order(po_number="PO-4711")
    make_order(po_number="PO-4712")

    body = supervisor_api.get(url("PO-4711"), status=200)

    assert (body["orderNumber"], body["poNumber"]) == (str(order.number), "PO-4711")


def test_po_number_of_two_orders_is_ambiguous(supervisor_api, make_order):
    make_order(po_number="PO-4711")
    make_order(po_number="PO-4711")

    body = supervisor_api.get(url("PO-4711"), status=400)

    assert body == {
        "error": "Order identifier is ambiguous",
        "details": ["Provided: PO-4711", "Matches: 2 orders by PO number"],
    }


def test_ambiguous_po_counts_every_order_carrying_it(supervisor_api, make_order):
    for _ in range(3):
        make_order(po_number="PO-1")

    body = supervisor_api.get(url("PO-1"), status=400)

    assert body == {
        "error": "Order identifier is ambiguous",
        "details": ["Provided: PO-1", "Matches: 3 orders by PO number"],
    }


def test_order_number_wins_over_the_tray_of_another_order(supervisor_api, make_order):
    by_number = make_order(number=12345)
    make_order(tray="12345")

    body = supervisor_api.get(url("12345"), status=200)

    assert (body["orderNumber"], body["trayNumber"]) == (str(by_number.number), None)


def test_tray_wins_over_the_po_number_of_another_order(supervisor_api, make_order):
    by_tray = make_order(tray="777")
    make_order(po_number="777")

    body = supervisor_api.get(url("777"), status=200)

    assert (body["orderNumber"], body["trayNumber"], body["poNumber"]) == (
        str(by_tray.number),
        "777",
        None,
    )


def test_unknown_identifier_is_404_no_record_found(supervisor_api, make_order):
    make_order()

    body = supervisor_api.get(url("99999999"), status=404)

    assert body == not_found("99999999")


def test_unknown_non_numeric_identifier_is_404_no_record_found(supervisor_api):
    body = supervisor_api.get(url("NOPE-1"), status=404)

    assert body == not_found("NOPE-1")


def test_order_marked_for_cancelation_answers_200_with_an_error_body(supervisor_api, make_order):
    order = make_order(cancelled_at=timezone.now())

    body = supervisor_api.get(url(order.number), status=200)

    assert body == {"error": "Order marked for cancelation", "details": []}


def test_order_marked_for_cancelation_found_by_po_answers_200_with_an_error_body(
    supervisor_api, make_order
):
    make_order(po_number="PO-9", cancelled_at=timezone.now())

    body = supervisor_api.get(url("PO-9"), status=200)

    assert body == {"error": "Order marked for cancelation", "details": []}


# --- rights and cost ------------------------------------------------------------------------------


def test_lab_clients_may_fetch(client_api, make_order):
    order = make_order()

    body = client_api.get(url(order.number), status=200)

    assert body["orderNumber"] == str(order.number)


def test_fetch_without_the_right_is_403(no_rights_api, make_order):
    order = make_order()

    body = no_rights_api.get(url(order.number), status=403)

    assert body == {"error": "Permission denied", "details": ["Requires: orders.view_order"]}


def test_fetch_costs_the_same_queries_for_50_items_as_for_1(supervisor_api, make_order):
    small = make_order(items=1, endpoints=("surfacing", "coating"))
    large = make_order(items=50, endpoints=("surfacing", "coating"))
    supervisor_api.get(url(small.number), status=200)  # warm-up: the key's last-used write

    supervisor_api.get(url(small.number), status=200, max_queries=FETCH_QUERY_CEILING)
    small_queries = supervisor_api.last_queries
    body = supervisor_api.get(url(large.number), status=200, max_queries=FETCH_QUERY_CEILING)

    assert len(body["items"]) == 50
    assert supervisor_api.last_queries == small_queries


def test_fetch_by_tray_and_by_po_stay_under_the_ceiling(supervisor_api, make_order):
    make_order(items=20, tray="55", po_number="PO-55")

    # A tray is looked up after the order number misses: one query more.
    supervisor_api.get(url("55"), status=200, max_queries=FETCH_QUERY_CEILING + 1)
    supervisor_api.get(url("PO-55"), status=200, max_queries=FETCH_QUERY_CEILING)


def test_a_fetch_reads_the_order_and_its_items_in_three_statements(supervisor_api, make_order):
    small = make_order(items=1, endpoints=("surfacing",))
    large = make_order(items=12, endpoints=("surfacing", "coating", "edging"))
    supervisor_api.get(f"/api/v2/orders/{small.number}", status=200)  # the key's last-used write

    # The key with its user, their rights, the order with its station, creator, items and
    # their endpoints (orders.fast_reads): whatever the number of items, on every request.
    for order in (small, large, small):
        body = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200, max_queries=3)
        assert supervisor_api.last_queries == 3
        assert len(body["items"]) == order.items.count()
        assert all(len(item["endpoints"]) == (1 if order is small else 3) for item in body["items"])


# --- prescription, lenses and frame -------------------------------------------------------------


def test_the_fetch_model_carries_both_eyes_and_the_frame(supervisor_api, make_order):
    order = make_order(
        frame_a="52.5",
        frame_bridge=18,
        frame_status_code="S",
        instructions="Rush",
        eyes={
            Eye.RIGHT: EyeValues(
                lens_style="PROG",
                lens_material="PC",
                sphere=Decimal("-2.25"),
                cylinder=Decimal("-0.75"),
                axis=90,
                add=Decimal("2.00"),
                prism=Decimal("1.50"),
                prism_base="IN",
                pd=Decimal("31.5"),
                near_pd=Decimal("29"),
                seg_height=Decimal("18.25"),
                opc="OPC-R",
            ),
            Eye.LEFT: EyeValues(lens_style="PROG", sphere=Decimal("0")),
        },
    )
    order.eyes.filter(eye="R").update(calculated=True)  # set by supervisors after surfacing

    response = supervisor_api.get(url(order.number), status=200, max_queries=FETCH_QUERY_CEILING)

    right = {key: response[key] for key in response if key.startswith("rt")}
    assert right == {
        "rtAdd": 2.0,
        "rtAxis": 90,
        "rtCalculated": True,
        "rtCylinder": -0.75,
        "rtLensMaterial": "PC",
        "rtLensStyle": "PROG",
        "rtNearPd": 29.0,
        "rtOPC": "OPC-R",
        "rtPd": 31.5,
        "rtPrism": 1.5,
        "rtPrismBase": "IN",
        "rtSegHeight": 18.25,
        "rtSphere": -2.25,
    }
    assert (response["ltSphere"], response["ltCylinder"], response["ltCalculated"]) == (
        0.0,
        None,
        False,
    )
    frame = {key: response[key] for key in ("frameA", "frameBridge", "frameStatusCode")}
    assert frame == {"frameA": 52.5, "frameBridge": 18, "frameStatusCode": "S"}
    assert (response["instructions"], response["frameName"], response["warehouse"]) == (
        "Rush",
        None,
        "DEFAULT",
    )


def test_an_order_with_one_eye_shows_the_other_as_null(supervisor_api, make_order):
    order = make_order(
        eyes={Eye.LEFT: EyeValues(lens_style="SV", lens_material="CR39", sphere=Decimal("-1"))}
    )

    response = supervisor_api.get(url(order.number), status=200)

    assert response["ltSphere"] == -1.0
    assert {key: response[key] for key in response if key.startswith("rt")} == {
        key: None for key in NO_RX if key.startswith("rt")
    }


# --- addons ---------------------------------------------------------------------------------


@pytest.fixture
def addons(db):
    return {
        code: Addon.objects.create(code=code, description=description, **flags)
        for code, description, flags in [
            ("TINT-G", "Grey tint", {"is_tint": True}),
            ("AR-SUP", "Super AR", {"is_ar": True}),
            ("AR-2", "Second AR", {"is_ar": True}),
            ("POL", "Polish", {"requires_polish": True}),
            ("UV", "UV filter", {"is_uv": True}),
        ]
    }


def test_the_fetch_model_lists_the_addons_in_their_order_and_the_first_ar_one(
    supervisor_api, make_order, addons
):
    order = make_order(job_type="A", eyes={}, addons=["TINT-G", "AR-SUP", "AR-2"])

    body = supervisor_api.get(url(order.number), status=200)

    assert body["addons"] == ["TINT-G", "AR-SUP", "AR-2"]
    assert (body["arCode"], body["arDesc"]) == ("AR-SUP", "Super AR")
    # Its flow requirements are its own and its addons'.
    assert (body["requiresTint"], body["requiresArCoat"], body["requiresPolish"]) == (
        True,
        True,
        False,
    )


def test_an_order_without_an_ar_addon_has_no_ar_code(supervisor_api, make_order, addons):
    order = make_order(job_type="A", eyes={}, addons=["POL"])

    body = supervisor_api.get(url(order.number), status=200)

    assert (body["addons"], body["arCode"], body["arDesc"]) == (["POL"], None, None)


def test_the_fetch_reads_as_many_statements_whatever_the_number_of_addons(
    supervisor_api, make_order, addons
):
    few = make_order(job_type="A", eyes={}, addons=["POL"])
    many = make_order(job_type="A", eyes={}, addons=list(addons))
    supervisor_api.get(url(few.number), status=200)  # the key's first use is written once

    with CaptureQueriesContext(connection) as reading_few:
        supervisor_api.get(url(few.number), status=200)
    with CaptureQueriesContext(connection) as reading_many:
        supervisor_api.get(url(many.number), status=200)

    assert len(reading_few) == len(reading_many) <= FETCH_QUERY_CEILING


# Each addon flag of the contract (the Lab API's name, as POST /api/v2/addons takes it) and the
# fetch model's requires... flag it sets on an order with that addon (contracts/rx-orders.md).
ADDON_FLAG_REQUIRES = [
    ("isAR", "requiresArCoat"),
    ("isBackside", "requiresBacksideCoat"),
    ("isMirror", "requiresMirror"),
    ("isTint", "requiresTint"),
    ("isUV", "requiresUv"),
    ("requiresDropBall", "requiresDropBall"),
    ("requiresEtching", "requiresEtching"),
    ("requiresHarden", "requiresHardCoat"),
    ("requiresPolish", "requiresPolish"),
]


def test_the_table_covers_every_addon_flag_and_every_flow_step_but_final_qa():
    assert {flag for flag, _ in ADDON_FLAG_REQUIRES} == set(ADDON_FLAGS) - {"excludeFromRxSite"}
    assert {requires for _, requires in ADDON_FLAG_REQUIRES} == {
        spec.wire_name for spec in FLOW_STEPS
    } - {"requiresFinalQa"}


@pytest.mark.parametrize("job_type", ["A", "F"])
@pytest.mark.parametrize(("flag", "requires"), ADDON_FLAG_REQUIRES)
def test_each_addon_flag_sets_its_requires_flag_in_the_fetch_model(
    supervisor_api, make_order, job_type, flag, requires
):
    supervisor_api.post(
        "/api/v2/addons", {"code": "ADD", "desc": "The addon", flag: True}, status=201
    )
    order = make_order(job_type=job_type, addons=["ADD"])

    body = supervisor_api.get(url(order.number), status=200)

    required = {key for key, value in body.items() if key.startswith("requires") and value}
    assert required == {requires}  # that flag only: not its neighbours, not final QA
    assert body["addons"] == ["ADD"]

"""GET /api/v2/orders/{orderIdentifier}/status: the status model."""

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.utils import timezone

import pytest

from orders.models import Order
from orders.rx import Eye

pytestmark = pytest.mark.django_db

# Identifiers first, then the rest alphabetically (as the fetch model; the contract lists the
# same keys).
STATUS_KEYS = [
    "orderNumber",
    "trayNumber",
    "poNumber",
    "calculationDesc",
    "currentStation",
    "currentStationCustomerDesc",
    "currentStationDateTime",
    "currentStationDesc",
    "status",
    "statusDesc",
    "onHold",
    "unvalidMessage",
]

# Measured: key lookup + key last-used write + 2 rights queries + the order with its station.
STATUS_QUERY_CEILING = 5


def url(identifier) -> str:
    return f"/api/v2/orders/{identifier}/status"


def test_status_of_a_checked_in_order_exact_body(
    supervisor_api, make_order, make_station, check_in
):
    order = make_order(tray="321", po_number="PO-321", state="P")
    order.eyes.filter(eye=Eye.RIGHT).update(calculated=True)
    check_in(order, make_station("AR", description="AR coating", customer_description="Coating"))
    Order.objects.filter(pk=order.pk).update(
        current_station_at=datetime(
            2026, 11, 23, 4, 0, 0, 5000, tzinfo=dt_timezone(timedelta(hours=-5))
        )
    )

    body = supervisor_api.get(url(order.number), status=200, max_queries=STATUS_QUERY_CEILING)

    assert list(body) == STATUS_KEYS
    assert body == {
        "orderNumber": str(order.number),
        "trayNumber": "321",
        "poNumber": "PO-321",
        "calculationDesc": "Right eye calculated",
        "currentStation": "AR",
        "currentStationCustomerDesc": "Coating",
        "currentStationDateTime": "2026-11-23T09:00:00.005Z",
        "currentStationDesc": "AR coating",
        "onHold": False,
        "status": "P",
        "statusDesc": "Process",
        "unvalidMessage": None,
    }


def test_status_of_a_new_valid_order_exact_body(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.get(url(order.number), status=200)

    assert body == {
        "orderNumber": str(order.number),
        "trayNumber": None,
        "poNumber": None,
        "calculationDesc": "Calculations not done",
        "currentStation": None,
        "currentStationCustomerDesc": None,
        "currentStationDateTime": None,
        "currentStationDesc": None,
        "onHold": False,
        "status": "V",
        "statusDesc": "Valid",
        "unvalidMessage": None,
    }


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"items": 0, "stock_order": True},
            {"status": "U", "statusDesc": "Unvalid", "onHold": False},
            id="unvalid",
        ),
        pytest.param({}, {"status": "V", "statusDesc": "Valid", "onHold": False}, id="valid"),
        pytest.param(
            {"state": "P"}, {"status": "P", "statusDesc": "Process", "onHold": False}, id="process"
        ),
        pytest.param(
            {"state": "C"},
            {"status": "C", "statusDesc": "Completed", "onHold": False},
            id="completed",
        ),
        pytest.param(
            {"state": "P", "on_hold": True},
            {"status": "W", "statusDesc": "On Hold", "onHold": True},
            id="on-hold",
        ),
    ],
)
def test_status_per_state(supervisor_api, make_order, fields, expected):
    order = make_order(**fields)

    body = supervisor_api.get(url(order.number), status=200)

    assert {key: body[key] for key in expected} == expected


def test_status_of_an_unvalid_order_says_why(supervisor_api, make_order):
    order = make_order(items=0, stock_order=True)  # a stock order without items: unvalid

    body = supervisor_api.get(url(order.number), status=200)

    assert body["unvalidMessage"] == "Order has no items"


def test_status_resolves_a_tray_number(supervisor_api, make_order):
    order = make_order(tray="99")

    body = supervisor_api.get(url("99"), status=200)

    assert body["orderNumber"] == str(order.number)


def test_status_of_an_unknown_order_is_404(supervisor_api):
    body = supervisor_api.get(url("424242"), status=404)

    assert body == {"error": "No record found", "details": ["Provided: 424242"]}


def test_status_of_an_ambiguous_po_is_400(supervisor_api, make_order):
    make_order(po_number="PO-2")
    make_order(po_number="PO-2")

    body = supervisor_api.get(url("PO-2"), status=400)

    assert body == {
        "error": "Order identifier is ambiguous",
        "details": ["Provided: PO-2", "Matches: 2 orders by PO number"],
    }


def test_status_of_an_order_marked_for_cancelation_answers_200_with_an_error_body(
    supervisor_api, make_order
):
    order = make_order(cancelled_at=timezone.now())

    body = supervisor_api.get(url(order.number), status=200)

    assert body == {"error": "Order marked for cancelation", "details": []}


def test_status_without_the_right_is_403(no_rights_api, make_order):
    order = make_order()

    body = no_rights_api.get(url(order.number), status=403)

    assert body == {"error": "Permission denied", "details": ["Requires: orders.view_order"]}


def test_status_costs_the_same_queries_for_50_items_as_for_1(supervisor_api, make_order):
    small = make_order(items=1)
    large = make_order(items=50)
    supervisor_api.get(url(small.number), status=200)  # warm-up: the key's last-used write

    supervisor_api.get(url(small.number), status=200, max_queries=STATUS_QUERY_CEILING)
    small_queries = supervisor_api.last_queries
    supervisor_api.get(url(large.number), status=200, max_queries=STATUS_QUERY_CEILING)

    assert supervisor_api.last_queries == small_queries

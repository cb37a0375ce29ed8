"""POST /api/v2/orders/{orderIdentifier}/tray: a row per check of contracts/workstations.md
(status and exact body), the pairs of checks by priority, the setting Verify Tray is Empty,
the history, and the right."""

import pytest

from orders.models import Order, OrderEvent
from orders.services import cancel_order
from orders.status import EventKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def cancelled():
    def cancel(order: Order) -> Order:
        cancel_order(order=order, actor=None, reason_code=None)
        order.refresh_from_db()
        return order

    return cancel


def url(identifier) -> str:
    return f"/api/v2/orders/{identifier}/tray"


def refusal(error: str, *details: str) -> dict:
    return {"error": error, "details": list(details)}


def tray_events(order: Order) -> list[tuple[str, str, str]]:
    return list(
        OrderEvent.objects.filter(order=order, kind=EventKind.TRAY)
        .order_by("id")
        .values_list("from_value", "to_value", "note")
    )


# --- assigned -----------------------------------------------------------------------------


def test_an_order_gets_a_tray(supervisor_api, make_order):
    order = make_order(number=30001, po_number="PO-1")

    body = supervisor_api.post(url(30001), {"trayNumber": "42"}, status=200)

    assert body == {
        "orderNumber": "30001",
        "trayNumber": "42",
        "poNumber": "PO-1",
        "message": "Tray assigned",
    }
    order.refresh_from_db()
    assert (order.tray, order.version) == ("42", 2)
    assert tray_events(order) == [("", "42", "")]
    assert OrderEvent.objects.get(order=order, kind=EventKind.TRAY).actor_name == "sam"


def test_an_order_named_by_its_po_number_gets_a_tray(supervisor_api, make_order):
    order = make_order(po_number="PO-77")

    body = supervisor_api.post(url("PO-77"), {"trayNumber": "7"}, status=200)

    assert (body["orderNumber"], body["trayNumber"]) == (str(order.number), "7")


def test_an_unvalid_order_may_get_a_tray(supervisor_api, make_order):
    order = make_order(state="U")

    supervisor_api.post(url(order.number), {"trayNumber": "8"}, status=200)

    order.refresh_from_db()
    assert order.tray == "8"


def test_reassign_moves_the_order_to_another_tray(supervisor_api, make_order):
    order = make_order(tray="5")

    body = supervisor_api.post(url(order.number), {"trayNumber": "6", "reassign": True}, status=200)

    assert body["message"] == "Tray reassigned"
    order.refresh_from_db()
    assert order.tray == "6"
    assert tray_events(order) == [("5", "6", "")]


def test_the_same_tray_again_changes_nothing(supervisor_api, make_order):
    order = make_order(tray="5")

    body = supervisor_api.post(url(order.number), {"trayNumber": "5"}, status=200)

    assert body["message"] == "Tray assigned"
    order.refresh_from_db()
    assert order.version == 1
    assert tray_events(order) == []


def test_a_tray_of_a_finished_order_is_free(supervisor_api, make_order):
    make_order(tray="9", state="C")
    order = make_order()

    supervisor_api.post(url(order.number), {"trayNumber": "9"}, status=200)


def test_with_verify_tray_is_empty_off_the_tray_moves(supervisor_api, make_order, lab_settings):
    lab_settings(verify_tray_is_empty=False)
    holder = make_order(tray="9")
    order = make_order()

    supervisor_api.post(url(order.number), {"trayNumber": "9"}, status=200)

    holder.refresh_from_db()
    order.refresh_from_db()
    assert (holder.tray, order.tray) == ("", "9")
    assert tray_events(holder) == [("9", "", f"Tray 9 moved to order {order.number}")]
    assert tray_events(order) == [("", "9", f"Tray taken from order {holder.number}")]


# --- refused, one row of the table each -------------------------------------------------------


def test_1_no_such_order(supervisor_api):
    body = supervisor_api.post(url("123456"), {"trayNumber": "1"}, status=404)

    assert body == refusal("Order not found", "Provided: 123456")


def test_2_named_by_its_tray(supervisor_api, make_order):
    make_order(tray="555")

    body = supervisor_api.post(url("555"), {"trayNumber": "1"}, status=400)

    assert body == refusal(
        "You must use an order number or PO Number for orderIdentifier", "Provided: 555"
    )


@pytest.mark.parametrize("tray", ["", "12a", "１２", " 12", "-1"])
def test_3_a_tray_that_is_not_digits(supervisor_api, make_order, tray):
    order = make_order()

    body = supervisor_api.post(url(order.number), {"trayNumber": tray}, status=400)

    assert body == refusal("trayNumber only accepts numbers", f"Provided: {tray}")


def test_3_no_tray_at_all(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.post(url(order.number), {}, status=400)

    assert body == refusal("trayNumber only accepts numbers", "Provided: ")


def test_4_more_than_five_digits(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.post(url(order.number), {"trayNumber": "123456"}, status=400)

    assert body == refusal("trayNumber supports up to 5 digits", "Provided: 123456")


def test_5_an_order_marked_for_cancelation(supervisor_api, make_order, cancelled):
    order = cancelled(make_order())

    body = supervisor_api.post(url(order.number), {"trayNumber": "1"}, status=400)

    assert body == refusal("Cannot assign a deleted order to a tray")


@pytest.mark.parametrize("fields", [{"state": "C"}, {"pending_completion": True}])
def test_6_a_completed_order(supervisor_api, make_order, fields):
    order = make_order(**fields)

    body = supervisor_api.post(url(order.number), {"trayNumber": "1"}, status=400)

    assert body == refusal("Cannot assign a completed order to a tray")


def test_7_an_order_on_hold(supervisor_api, make_order):
    order = make_order(on_hold=True)

    body = supervisor_api.post(url(order.number), {"trayNumber": "1"}, status=400)

    assert body == refusal("Cannot assign an on-hold order to a tray")


@pytest.mark.parametrize("body", [{"trayNumber": "2"}, {"trayNumber": "2", "reassign": False}])
def test_8_an_order_that_has_a_tray(supervisor_api, make_order, body):
    order = make_order(tray="1")

    answer = supervisor_api.post(url(order.number), body, status=400)

    assert answer == refusal("Order already has a tray", "Tray: 1")


def test_9_a_tray_another_active_order_holds(supervisor_api, make_order):
    holder = make_order(tray="3")
    order = make_order()

    body = supervisor_api.post(url(order.number), {"trayNumber": "3"}, status=400)

    assert body == refusal("Tray is already assigned to another order", f"Order: {holder.number}")
    order.refresh_from_db()
    holder.refresh_from_db()
    assert (order.tray, holder.tray) == ("", "3")
    assert not OrderEvent.objects.filter(kind=EventKind.TRAY).exists()


# --- the checks by priority: where two fail, the first answers -----------------------------


def test_no_such_order_before_the_tray(supervisor_api):
    body = supervisor_api.post(url("99999"), {"trayNumber": "x"}, status=404)

    assert body["error"] == "Order not found"


def test_named_by_its_tray_before_the_tray(supervisor_api, make_order):
    make_order(tray="555")

    body = supervisor_api.post(url("555"), {"trayNumber": "x"}, status=400)

    assert body["error"] == "You must use an order number or PO Number for orderIdentifier"


# More than five characters and not all (ASCII) digits: fails rows 3 and 4 both.
@pytest.mark.parametrize("tray", ["123456x", "１２３４５６", "x123456"])
def test_not_digits_before_more_than_five_digits(supervisor_api, make_order, tray):
    order = make_order()

    body = supervisor_api.post(url(order.number), {"trayNumber": tray}, status=400)

    assert body == refusal("trayNumber only accepts numbers", f"Provided: {tray}")


def test_the_tray_before_a_cancelled_order(supervisor_api, make_order, cancelled):
    order = cancelled(make_order())

    assert supervisor_api.post(url(order.number), {"trayNumber": "x"}, status=400)["error"] == (
        "trayNumber only accepts numbers"
    )
    assert supervisor_api.post(url(order.number), {"trayNumber": "123456"}, status=400)[
        "error"
    ] == ("trayNumber supports up to 5 digits")


def test_cancelled_before_completed(supervisor_api, make_order, cancelled):
    order = cancelled(make_order())
    Order.objects.filter(pk=order.pk).update(state="C")

    body = supervisor_api.post(url(order.number), {"trayNumber": "1"}, status=400)

    assert body["error"] == "Cannot assign a deleted order to a tray"


def test_completed_before_on_hold(supervisor_api, make_order):
    order = make_order(state="C", on_hold=True)

    body = supervisor_api.post(url(order.number), {"trayNumber": "1"}, status=400)

    assert body["error"] == "Cannot assign a completed order to a tray"


def test_on_hold_before_has_a_tray(supervisor_api, make_order):
    order = make_order(tray="1", on_hold=True)

    body = supervisor_api.post(url(order.number), {"trayNumber": "2"}, status=400)

    assert body["error"] == "Cannot assign an on-hold order to a tray"


def test_has_a_tray_before_the_tray_is_taken(supervisor_api, make_order):
    make_order(tray="3")
    order = make_order(tray="1")

    body = supervisor_api.post(url(order.number), {"trayNumber": "3"}, status=400)

    assert body == refusal("Order already has a tray", "Tray: 1")


def test_reassign_to_a_tray_another_order_holds_is_refused(supervisor_api, make_order):
    holder = make_order(tray="3")
    order = make_order(tray="1")

    body = supervisor_api.post(url(order.number), {"trayNumber": "3", "reassign": True}, status=400)

    assert body == refusal("Tray is already assigned to another order", f"Order: {holder.number}")


# --- the request's shape and the right --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"trayNumber": 12}, ["trayNumber: Not a valid string."]),
        ({"trayNumber": "1", "reassign": "yes"}, ["reassign: Must be a valid boolean."]),
        ({"trayNumber": "1", "tray": "1"}, ["tray: unknown field"]),
    ],
)
def test_a_malformed_body_is_incorrect_arguments(supervisor_api, make_order, body, details):
    order = make_order()

    answer = supervisor_api.post(url(order.number), body, status=400)

    assert answer == refusal("Incorrect arguments provided", *details)
    order.refresh_from_db()
    assert order.tray == ""


def test_assigning_a_tray_needs_the_right(api_for, make_user, make_order):
    order = make_order()
    viewer = api_for(make_user(rights=("orders.view_order",)))

    body = viewer.post(url(order.number), {"trayNumber": "1"}, status=403)

    assert body == refusal("Permission denied", "Requires: orders.assign_tray")
    order.refresh_from_db()
    assert order.tray == ""

"""POST /api/v2/orders/{orderIdentifier}/hold and .../release."""

from django.utils import timezone

import pytest

from orders.models import Order, OrderEvent

pytestmark = pytest.mark.django_db

# Measured with the settings row in place: key lookup + key last-used write + 2 rights queries
# + resolve + savepoint, lock, settings, update, event, release + the order's payload.
HOLD_QUERY_CEILING = 14
RELEASE_QUERY_CEILING = 13


def hold_url(identifier) -> str:
    return f"/api/v2/orders/{identifier}/hold"


def release_url(identifier) -> str:
    return f"/api/v2/orders/{identifier}/release"


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def events(order: Order, kind: str) -> list[tuple]:
    return list(
        OrderEvent.objects.filter(order=order, kind=kind).values_list(
            "actor_name", "from_value", "to_value"
        )
    )


# --- hold ---------------------------------------------------------------------------------------


def test_hold_answers_200_with_the_order_on_hold(supervisor_api, make_order):
    order = make_order(tray="12")
    before = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)

    body = supervisor_api.post(hold_url(order.number), status=200)

    assert body == {**before, "onHold": True, "status": "W", "statusDesc": "On Hold"}
    order.refresh_from_db()
    assert (order.on_hold, order.state) == (True, "V")


def test_hold_is_recorded_in_the_order_history(supervisor_api, make_order):
    order = make_order()

    supervisor_api.post(hold_url(order.number), status=200)

    assert events(order, "hold") == [("sam", "", "On Hold")]


def test_hold_by_tray_number(supervisor_api, make_order):
    order = make_order(tray="12")

    body = supervisor_api.post(hold_url("12"), status=200)

    assert (body["orderNumber"], body["status"]) == (str(order.number), "W")


def test_hold_when_the_lab_does_not_allow_holds(supervisor_api, make_order, lab_settings):
    lab_settings(allow_hold_orders=False)
    order = make_order()

    body = supervisor_api.post(hold_url(order.number), status=400)

    assert body == error("Hold orders are not allowed")
    order.refresh_from_db()
    assert order.on_hold is False
    assert events(order, "hold") == []


def test_hold_of_an_order_already_on_hold(supervisor_api, make_order):
    order = make_order()
    supervisor_api.post(hold_url(order.number), status=200)

    body = supervisor_api.post(hold_url(order.number), status=400)

    assert body == error("Order is already on hold")
    assert len(events(order, "hold")) == 1


def test_hold_of_a_cancelled_order(supervisor_api, make_order):
    order = make_order(cancelled_at=timezone.now())

    body = supervisor_api.post(hold_url(order.number), status=400)

    assert body == error("Order marked for cancelation")


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"state": "C"}, id="completed"),
        pytest.param({"pending_completion": True}, id="pending-completion"),
    ],
)
def test_hold_of_a_completed_order(supervisor_api, make_order, fields):
    order = make_order(**fields)

    body = supervisor_api.post(hold_url(order.number), status=400)

    assert body == error("Order already completed")


def test_hold_of_an_unknown_order_is_404(supervisor_api):
    body = supervisor_api.post(hold_url("424242"), status=404)

    assert body == error("No record found", "Provided: 424242")


def test_hold_without_the_right_is_403(client_api, make_order):
    order = make_order()

    body = client_api.post(hold_url(order.number), status=403)

    assert body == error("Permission denied", "Requires: orders.hold_order")
    order.refresh_from_db()
    assert order.on_hold is False


def test_hold_stays_under_the_query_ceiling(supervisor_api, make_order, lab_settings):
    lab_settings()  # the settings row exists, as in any lab that has been running
    order = make_order(items=50)

    supervisor_api.post(hold_url(order.number), status=200, max_queries=HOLD_QUERY_CEILING)


# --- release ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "status", "status_desc"),
    [("U", "U", "Unvalid"), ("V", "V", "Valid"), ("P", "P", "Process")],
)
def test_release_answers_200_with_the_order_back_in_its_state(
    supervisor_api, make_order, state, status, status_desc
):
    order = make_order(state=state, on_hold=True)

    body = supervisor_api.post(release_url(order.number), status=200)

    assert (body["onHold"], body["status"], body["statusDesc"]) == (False, status, status_desc)


def test_release_is_recorded_in_the_order_history(supervisor_api, make_order):
    order = make_order(on_hold=True)

    supervisor_api.post(release_url(order.number), status=200)

    assert events(order, "release") == [("sam", "On Hold", "Valid")]


def test_hold_then_release_round_trip(supervisor_api, make_order):
    order = make_order()
    before = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)

    supervisor_api.post(hold_url(order.number), status=200)
    body = supervisor_api.post(release_url(order.number), status=200)

    assert body == before
    assert list(
        OrderEvent.objects.filter(order=order)
        .exclude(kind="created")
        .values_list("kind", flat=True)
    ) == ["hold", "release"]


def test_release_of_an_order_not_on_hold(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.post(release_url(order.number), status=400)

    assert body == error("Order is not on hold")
    assert events(order, "release") == []


def test_release_is_allowed_when_the_lab_no_longer_allows_holds(
    supervisor_api, make_order, lab_settings
):
    order = make_order(on_hold=True)
    lab_settings(allow_hold_orders=False)

    body = supervisor_api.post(release_url(order.number), status=200)

    assert body["onHold"] is False


def test_release_of_a_cancelled_order(supervisor_api, make_order):
    order = make_order(on_hold=True, cancelled_at=timezone.now())

    body = supervisor_api.post(release_url(order.number), status=400)

    assert body == error("Order marked for cancelation")


def test_release_of_an_unknown_order_is_404(supervisor_api):
    body = supervisor_api.post(release_url("424242"), status=404)

    assert body == error("No record found", "Provided: 424242")


def test_release_without_the_right_is_403(client_api, make_order):
    order = make_order(on_hold=True)

    body = client_api.post(release_url(order.number), status=403)

    assert body == error("Permission denied", "Requires: orders.hold_order")
    order.refresh_from_db()
    assert order.on_hold is True


def test_release_stays_under_the_query_ceiling(supervisor_api, make_order):
    order = make_order(items=50, on_hold=True)

    supervisor_api.post(release_url(order.number), status=200, max_queries=RELEASE_QUERY_CEILING)

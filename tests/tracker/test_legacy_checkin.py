"""POST /api/jt/checkin: the old scanner interface. The outcome is always in ``result``."""

from urllib.parse import urlencode

from django.utils import timezone

import pytest

from orders.models import OrderEvent
from tracker.models import CheckIn

pytestmark = pytest.mark.django_db

URL = "/api/jt/checkin"

# Measured: key lookup + key last-used write + 2 rights queries + station + order
# + savepoint, lock, check-in insert, previous station, update, event, release.
LEGACY_CHECKIN_QUERY_CEILING = 13


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def answer(order: str, station: str, result: str) -> dict:
    return {"input-job": order, "input-station": station, "result": result}


def assert_nothing_written(order) -> None:
    version = order.version
    order.refresh_from_db()
    assert order.version == version
    assert not CheckIn.objects.filter(order=order).exists()
    assert not OrderEvent.objects.filter(order=order, kind="checkin").exists()


@pytest.fixture
def surf(make_station):
    return make_station("SURF", description="Surfacing")


# --- the three ways old scanners send -------------------------------------------------------------


def test_json_body(supervisor_api, make_order, surf):
    order = make_order()

    body = supervisor_api.post(URL, {"order": str(order.number), "station": "SURF"}, status=200)

    assert body == answer(str(order.number), "SURF", "successful")
    order.refresh_from_db()
    assert (order.state, order.current_station) == ("P", surf)
    assert CheckIn.objects.filter(order=order, station=surf).count() == 1


def test_query_parameters_only(supervisor_api, make_order, surf):
    order = make_order()

    body = supervisor_api.post(
        f"{URL}?{urlencode({'order': order.number, 'station': 'SURF'})}", status=200
    )

    assert body == answer(str(order.number), "SURF", "successful")
    assert CheckIn.objects.filter(order=order, station=surf).count() == 1


def test_form_encoded_body(supervisor_api, make_order, surf):
    order = make_order()

    body = supervisor_api.post(
        URL,
        raw=urlencode({"order": order.number, "station": "SURF"}),
        content_type="application/x-www-form-urlencoded",
        status=200,
    )

    assert body == answer(str(order.number), "SURF", "successful")
    assert CheckIn.objects.filter(order=order, station=surf).count() == 1


def test_order_by_tray_number(supervisor_api, make_order, surf):
    order = make_order(tray="321")

    body = supervisor_api.post(URL, {"order": "321", "station": "SURF"}, status=200)

    assert body == answer("321", "SURF", "successful")
    assert CheckIn.objects.filter(order=order).count() == 1


def test_checkin_records_actor_device_and_history(supervisor_api, supervisor, make_order, surf):
    order = make_order()

    supervisor_api.post(URL, {"order": str(order.number), "station": "SURF"}, status=200)

    checkin = CheckIn.objects.get(order=order)
    assert (checkin.actor, checkin.device, checkin.operator) == (supervisor, "key for sam", None)
    event = OrderEvent.objects.get(order=order, kind="checkin")
    assert (event.actor, event.from_value, event.to_value) == (supervisor, "", "SURF")


# --- results --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order_ref", [pytest.param("424242", id="unknown"), pytest.param("", id="empty")]
)
def test_order_not_found(supervisor_api, surf, order_ref):
    body = supervisor_api.post(URL, {"order": order_ref, "station": "SURF"}, status=200)

    assert body == answer(order_ref, "SURF", "order not found")
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    "station",
    [
        pytest.param("NOPE", id="unknown"),
        pytest.param("surf", id="wrong-case"),
        pytest.param("OP1", id="operator-station"),
        pytest.param("", id="empty"),
    ],
)
def test_invalid_station(supervisor_api, make_order, make_station, surf, station):
    make_station("OP1", is_operator=True)
    order = make_order()

    body = supervisor_api.post(URL, {"order": str(order.number), "station": station}, status=200)

    assert body == answer(str(order.number), station, "invalid station")
    assert_nothing_written(order)


def test_missing_fields_are_an_invalid_station(supervisor_api):
    body = supervisor_api.post(URL, status=200)

    assert body == answer("", "", "invalid station")


def test_invalid_station_comes_before_order_not_found(supervisor_api):
    body = supervisor_api.post(URL, {"order": "424242", "station": "NOPE"}, status=200)

    assert body == answer("424242", "NOPE", "invalid station")


def test_flow_message_when_the_order_does_not_need_the_step(
    supervisor_api, make_order, make_station, lab_settings
):
    lab_settings(jobtrack_station_verify=True)
    make_station("AR", flow_step="ar_coat")
    order = make_order(requires_ar_coat=False)

    body = supervisor_api.post(URL, {"order": str(order.number), "station": "AR"}, status=200)

    assert body == answer(str(order.number), "AR", "AR not needed")
    assert_nothing_written(order)


@pytest.mark.parametrize(
    ("fields", "result"),
    [
        pytest.param({"on_hold": True}, "Order on hold", id="on-hold"),
        pytest.param(
            {"state": "C", "completed_at": timezone.now()},
            "Order already completed",
            id="completed",
        ),
        pytest.param(
            {"cancelled_at": timezone.now()}, "Order marked for cancelation", id="cancelled"
        ),
        pytest.param({"state": "U"}, "Order unvalid", id="unvalid"),
    ],
)
def test_orders_not_in_production(supervisor_api, make_order, surf, fields, result):
    order = make_order(**fields)

    body = supervisor_api.post(URL, {"order": str(order.number), "station": "SURF"}, status=200)

    assert body == answer(str(order.number), "SURF", result)
    assert_nothing_written(order)


def test_station_requiring_an_operator(supervisor_api, make_order, make_station):
    make_station("COAT", requires_operator=True)
    order = make_order()

    body = supervisor_api.post(URL, {"order": str(order.number), "station": "COAT"}, status=200)

    assert body == answer(str(order.number), "COAT", "Operator required")
    assert_nothing_written(order)


# --- malformed input, auth and routes: the v2 envelope --------------------------------------------


def test_unknown_field_is_incorrect_arguments(supervisor_api):
    body = supervisor_api.post(URL, {"order": "1", "station": "SURF", "x": 1}, status=400)

    assert body == error("Incorrect arguments provided", "x: unknown field")


def test_without_a_key_is_401(anonymous_api, make_order, surf):
    order = make_order()

    body = anonymous_api.post(URL, {"order": str(order.number), "station": "SURF"}, status=401)

    assert body == error("Authentication required")
    assert_nothing_written(order)


def test_without_the_right_is_403(no_rights_api, make_order, surf):
    order = make_order()

    body = no_rights_api.post(URL, {"order": str(order.number), "station": "SURF"}, status=403)

    assert body == error("Permission denied", "Requires: tracker.check_in")
    assert_nothing_written(order)


def test_station_scanners_may_use_it(api_for, make_user, make_order, surf):
    scanner = api_for(make_user("Stations"))
    order = make_order()

    body = scanner.post(URL, {"order": str(order.number), "station": "SURF"}, status=200)

    assert body["result"] == "successful"


def test_get_is_405_in_the_envelope(supervisor_api):
    body = supervisor_api.get(URL, status=405)

    assert body == error("Method not allowed", "Provided: GET")


def test_unknown_route_is_404_in_the_envelope(supervisor_api):
    body = supervisor_api.post("/api/jt/nope", status=404)

    assert body == error("Not found", "No endpoint at POST /api/jt/nope")


def test_unknown_route_without_a_key_is_401(anonymous_api):
    body = anonymous_api.get("/api/jt/nope", status=401)

    assert body == error("Authentication required")


def test_legacy_checkin_stays_under_the_query_ceiling(
    supervisor_api, make_order, make_station, check_in, surf
):
    order = make_order()
    check_in(order, make_station("EDGE"))  # a previous station to move from

    body = supervisor_api.post(
        URL,
        {"order": str(order.number), "station": "SURF"},
        status=200,
        max_queries=LEGACY_CHECKIN_QUERY_CEILING,
    )

    assert body["result"] == "successful"


def test_an_over_long_station_code_is_an_invalid_station(client_api, make_order):
    order = make_order(tray="44")

    body = client_api.post("/api/jt/checkin", {"order": "44", "station": "S" * 50}, status=200)

    assert body == {"input-job": "44", "input-station": "S" * 50, "result": "invalid station"}
    assert not order.checkins.exists()


# --- the body and the query string are each checked as sent -----------------------------------


def test_a_body_value_the_query_overrides_is_still_checked(supervisor_api, make_order, surf):
    order = make_order()
    query = urlencode({"order": order.number, "station": "SURF"})

    body = supervisor_api.post(f"{URL}?{query}", {"station": "S" * 201}, status=400)

    assert body == error(
        "Incorrect arguments provided",
        "station: Ensure this field has no more than 200 characters.",
    )
    assert_nothing_written(order)


def test_a_number_for_the_order_is_refused_not_taken_as_text(supervisor_api, make_order, surf):
    order = make_order()

    body = supervisor_api.post(URL, {"order": order.number, "station": "SURF"}, status=400)

    assert body == error("Incorrect arguments provided", "order: Not a valid string.")
    assert_nothing_written(order)


def test_a_json_null_body_is_refused_even_with_the_query_string(supervisor_api, make_order, surf):
    order = make_order()
    query = urlencode({"order": order.number, "station": "SURF"})

    body = supervisor_api.post(f"{URL}?{query}", raw="null", status=400)

    assert body == error("Incorrect arguments provided", "body: No data provided")
    assert_nothing_written(order)

"""Bad input is a 400 in the envelope, never a 500; every error answer carries an
ErrorReferenceCode that is on a server log line; a 500 still answers the envelope."""

import json
import logging

from django.conf import settings as django_settings
from django.middleware.common import CommonMiddleware
from django.test import RequestFactory

import pytest

from labsite import views
from orders.api.item_cancel.views import OrderCancelView
from orders.models import OrderEvent
from orders.status import ProcessingStatus
from toolkit.request_id import RequestIdLogFilter

from .conftest import item_ids
from .test_contract import QUERY_CEILING, without_reference

pytestmark = pytest.mark.django_db

BODY_SHAPE = '{"Ids": [<order item id>, ...]}'
# Refused after authentication (partner, last use) and rights (2), before any other query.
AUTH_QUERIES = 4


def error(message: str, property_name=None, attempted_value=None) -> dict:
    return {
        "PropertyName": property_name,
        "AttemptedValue": attempted_value,
        "ErrorMessage": message,
        "CustomState": None,
    }


def refused(*errors: dict) -> dict:
    return {"HadError": True, "Errors": list(errors), "Success": []}


@pytest.fixture
def order(make_order):
    return make_order(items=2)


def assert_nothing_cancelled(order) -> None:
    assert set(order.items.values_list("status", flat=True)) == {ProcessingStatus.NEW}
    assert not OrderEvent.objects.filter(order=order, kind="items_cancelled").exists()


# --- bodies that are not {"Ids": [ints]} -------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param({}, error(f"Ids is required: send {BODY_SHAPE}", "Ids"), id="no-ids"),
        pytest.param(
            {"ItemIds": [1]}, error(f"Ids is required: send {BODY_SHAPE}", "Ids"), id="other-key"
        ),
        pytest.param([1, 2], error(f"The body must be {BODY_SHAPE}", "Ids"), id="a-list"),
        pytest.param(5, error(f"The body must be {BODY_SHAPE}", "Ids"), id="a-number"),
        pytest.param("Ids", error(f"The body must be {BODY_SHAPE}", "Ids"), id="a-string"),
        pytest.param(None, error(f"The body must be {BODY_SHAPE}", "Ids"), id="null"),
        pytest.param(
            {"Ids": 5}, error("Ids must be a list of order item ids", "Ids", 5), id="ids-number"
        ),
        pytest.param(
            {"Ids": "1,2"},
            error("Ids must be a list of order item ids", "Ids", "1,2"),
            id="ids-string",
        ),
        pytest.param(
            {"Ids": None}, error("Ids must be a list of order item ids", "Ids"), id="ids-null"
        ),
        pytest.param(
            {"Ids": {"1": 1}}, error("Ids must be a list of order item ids", "Ids"), id="ids-object"
        ),
        pytest.param(
            {"Ids": []}, error("Ids must list at least one order item id", "Ids"), id="ids-empty"
        ),
        pytest.param(
            {"Ids": [1], "ids": [2]}, error("Ids is given more than once", "Ids"), id="ids-twice"
        ),
    ],
)
def test_a_body_of_the_wrong_shape_is_400(partner_api, order, body, expected):
    answer = partner_api.put(
        partner_api.url(order.number), raw=json.dumps(body), status=400, max_queries=AUTH_QUERIES
    )

    assert without_reference(answer) == refused(expected)
    assert_nothing_cancelled(order)


@pytest.mark.parametrize(
    ("value", "echoed"),
    [
        pytest.param("7", "7", id="string"),
        pytest.param(True, True, id="true"),
        pytest.param(False, False, id="false"),
        pytest.param(1.5, 1.5, id="float"),
        pytest.param(2.0, 2.0, id="integral-float"),
        pytest.param(None, None, id="null"),
        pytest.param([1], None, id="list"),
        pytest.param({"id": 1}, None, id="object"),
        pytest.param("x" * 500, "x" * 100, id="long-string"),
    ],
)
def test_ids_that_are_not_integers_are_400_naming_each(partner_api, order, value, echoed):
    first, second = item_ids(order)

    answer = partner_api.put(
        partner_api.url(order.number), {"Ids": [first, value, second, value]}, status=400
    )

    assert without_reference(answer) == refused(
        error("Ids[1] must be an order item id (an integer)", "Ids[1]", echoed),
        error("Ids[3] must be an order item id (an integer)", "Ids[3]", echoed),
    )
    assert_nothing_cancelled(order)  # all or nothing: the valid ids are not cancelled either


def test_a_float_too_large_for_a_number_is_400(partner_api, order):
    answer = partner_api.put(partner_api.url(order.number), raw='{"Ids": [1e400]}', status=400)

    assert without_reference(answer) == refused(
        error("Ids[0] must be an order item id (an integer)", "Ids[0]", None)
    )


def test_ten_thousand_ids_are_400(partner_api, order):
    ids = list(range(1, 10_001))

    answer = partner_api.put(
        partner_api.url(order.number), {"Ids": ids}, status=400, max_queries=AUTH_QUERIES
    )

    assert without_reference(answer) == refused(
        error("Ids lists 10000 ids; at most 1000 per request", "Ids")
    )
    assert_nothing_cancelled(order)


def test_a_thousand_ids_are_accepted(partner_api, order):
    first, second = item_ids(order)
    ids = [first, second, *range(10**6, 10**6 + 998)]

    answer = partner_api.put(
        partner_api.url(order.number), {"Ids": ids}, status=200, max_queries=QUERY_CEILING
    )

    assert answer["Success"] == [first, second]
    assert len(answer["Errors"]) == 998


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"Ids": [1,', id="truncated"),
        pytest.param("Ids=1,2", id="form-like"),
        pytest.param('{"Ids": [NaN]}', id="nan"),
        pytest.param('{"Ids": [' + "9" * 5000 + "]}", id="huge-integer"),
        pytest.param(b"\xff\xfe{", id="not-utf8"),
    ],
)
def test_a_body_that_is_not_json_is_400(partner_api, order, raw):
    answer = partner_api.put(
        partner_api.url(order.number), raw=raw, status=400, max_queries=AUTH_QUERIES
    )

    [entry] = without_reference(answer)["Errors"]
    assert entry["PropertyName"] == "Ids"
    assert entry["ErrorMessage"].startswith("The body is not valid JSON: ")
    assert_nothing_cancelled(order)


def test_a_lone_surrogate_is_echoed_escaped_not_a_500(partner_api, order):
    answer = partner_api.put(partner_api.url(order.number), raw='{"Ids": ["\\ud800"]}', status=400)

    assert answer["Errors"][0]["AttemptedValue"] == "\\ud800"


def test_an_empty_body_is_400(partner_api, order):
    answer = partner_api.put(partner_api.url(order.number), status=400)

    assert without_reference(answer) == refused(error(f"Ids is required: send {BODY_SHAPE}", "Ids"))


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data"]
)
def test_a_body_that_is_not_sent_as_json_is_400(partner_api, order, content_type):
    answer = partner_api.put(
        partner_api.url(order.number),
        raw=json.dumps({"Ids": item_ids(order)}),
        content_type=content_type,
        status=400,
    )

    assert without_reference(answer) == refused(
        error(
            'Send the body as JSON ({"Ids": [...]}) with Content-Type: application/json',
            "Content-Type",
            content_type,
        )
    )
    assert_nothing_cancelled(order)


def test_a_body_larger_than_django_accepts_is_400(partner_api, order):
    raw = '{"Ids": [1], "padding": "' + "x" * (3 * 1024 * 1024) + '"}'

    answer = partner_api.put(partner_api.url(order.number), raw=raw, status=400)

    assert answer["HadError"] is True
    assert_nothing_cancelled(order)


def test_too_many_query_parameters_are_400(partner_api, order):
    url = partner_api.url(order.number) + "".join(f"&p{n}=1" for n in range(1200))

    answer = partner_api.put(url, {"Ids": item_ids(order)}, status=400)

    assert answer["HadError"] is True
    assert_nothing_cancelled(order)


# --- methods and paths ------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "patch", "delete", "options"])
def test_other_methods_are_405(partner_api, order, method):
    answer = partner_api.call(method, partner_api.url(order.number), status=405)

    assert without_reference(answer) == refused(
        error(f"Method {method.upper()} not allowed: use PUT")
    )
    assert partner_api.last_response["Allow"] == "PUT"
    assert_nothing_cancelled(order)


@pytest.mark.parametrize(
    "path", ["/api/orderCancel/", "/api/orderCancel/items", "/api/orderCancel/1/x"]
)
def test_paths_below_the_endpoint_are_404_in_the_envelope(partner_api, path):
    answer = partner_api.put(path, {"Ids": [1]}, status=404)

    assert without_reference(answer) == refused(error(f"No endpoint at PUT {path}"))
    assert partner_api.last_response["Content-Type"] == "application/json"


def test_asking_for_html_is_406(partner_api, order):
    answer = partner_api.put(
        partner_api.url(order.number),
        {"Ids": item_ids(order)},
        headers={"HTTP_ACCEPT": "text/html"},
        status=406,
    )

    assert without_reference(answer) == refused(error("This API answers application/json"))
    assert_nothing_cancelled(order)


# --- references in the log --------------------------------------------------------------------


@pytest.fixture
def logged(caplog):
    """Log lines as the configured console handler writes them, request id included."""
    handler, formatter, request_ids = caplog.handler, caplog.handler.formatter, RequestIdLogFilter()
    handler.addFilter(request_ids)
    handler.setFormatter(
        logging.Formatter(django_settings.LOGGING["formatters"]["plain"]["format"])
    )
    caplog.set_level(logging.WARNING)
    yield caplog
    handler.removeFilter(request_ids)
    handler.setFormatter(formatter)


def lines_with(logged, text: str) -> list[str]:
    return [line for line in logged.text.splitlines() if text in line]


@pytest.mark.parametrize(
    ("case", "status"),
    [("bad-body", 400), ("unknown-order", 404), ("no-credentials", 401), ("partial", 200)],
)
def test_every_error_answer_has_a_reference_on_a_log_line(partner_api, order, logged, case, status):
    url = partner_api.url("99999" if case == "unknown-order" else order.number)
    if case == "no-credentials":
        url = f"/api/orderCancel?orderId={order.number}"
    body = {"Ids": "x"} if case == "bad-body" else {"Ids": [item_ids(order)[0], 999_999]}

    answer = partner_api.put(url, body, status=status)

    reference = answer["ErrorReferenceCode"]
    request_id = partner_api.last_response["X-Request-ID"]
    [line] = lines_with(logged, reference)
    assert f"[req {request_id}]" in line
    assert f"orderCancel answered {status} [ErrorReferenceCode {reference}]" in line
    assert answer["Errors"][0]["ErrorMessage"] in line
    assert partner_api.raw_key not in logged.text


def test_each_error_answer_gets_its_own_reference(partner_api, order):
    first = partner_api.put(partner_api.url("99999"), {"Ids": [1]}, status=404)
    second = partner_api.put(partner_api.url("99999"), {"Ids": [1]}, status=404)

    assert first["ErrorReferenceCode"] != second["ErrorReferenceCode"]


def test_a_success_carries_no_reference(partner_api, order):
    answer = partner_api.cancel(order, item_ids(order), status=200)

    assert "ErrorReferenceCode" not in answer


def test_many_failures_make_one_short_log_line(partner_api, order, logged):
    ids = list(range(10**6, 10**6 + 1000))

    answer = partner_api.cancel(order, ids, status=200)

    [line] = lines_with(logged, answer["ErrorReferenceCode"])
    assert line.endswith(": No such item in this order (x1000)")


# --- 500 --------------------------------------------------------------------------------------


def explode(*args, **kwargs):
    raise RuntimeError("the database caught fire")


def test_an_unexpected_error_is_a_500_in_the_envelope_with_a_logged_reference(
    partner_api, order, monkeypatch, logged
):
    monkeypatch.setattr("orders.api.item_cancel.views.cancel_items", explode)

    answer = partner_api.cancel(order, item_ids(order), status=500)

    assert without_reference(answer) == refused(error("Internal server error"))
    assert b"caught fire" not in partner_api.last_response.content
    [line] = lines_with(logged, answer["ErrorReferenceCode"])
    assert " ERROR " in line
    assert "RuntimeError: the database caught fire" in logged.text


def test_an_error_escaping_the_view_is_answered_by_the_middleware(
    partner_api, order, monkeypatch, logged
):
    monkeypatch.setattr(OrderCancelView, "get_exception_handler", lambda self: explode)

    answer = partner_api.put(partner_api.url(order.number), {"Ids": "x"}, status=500)

    assert without_reference(answer) == refused(error("Internal server error"))
    assert lines_with(logged, answer["ErrorReferenceCode"])
    assert "Unhandled error on PUT /api/orderCancel" in logged.text


def test_an_error_outside_any_view_gets_the_envelope(partner_api, monkeypatch, settings):
    settings.DEBUG = False
    monkeypatch.setattr(CommonMiddleware, "process_request", explode, raising=False)

    answer = partner_api.put("/api/orderCancel?orderId=1", {"Ids": [1]}, status=500)

    assert without_reference(answer) == refused(error("Internal server error"))


def test_the_site_error_views_shape_errors_under_the_endpoint():
    factory = RequestFactory()

    missing = views.page_not_found(factory.put("/api/orderCancel/x"), None)
    broken = views.server_error(factory.put("/api/orderCancel"))

    assert missing.status_code == 404
    assert without_reference(json.loads(missing.content)) == refused(
        error("No endpoint at PUT /api/orderCancel/x")
    )
    assert broken.status_code == 500
    assert without_reference(json.loads(broken.content)) == refused(error("Internal server error"))

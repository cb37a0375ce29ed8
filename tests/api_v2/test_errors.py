"""The v2 error envelope on every class of error: ``{"error": "<summary>", "details": [...]}``,
never an HTML page, under /api/v2/; request ids that tie a 500 to its log line."""

import json
import logging
import re

from django.conf import settings as django_settings
from django.http import Http404
from django.middleware.common import CommonMiddleware
from django.test import RequestFactory

import pytest

from labsite import views
from orders.models import Order
from toolkit.api.v2_views import V2View
from toolkit.request_id import RequestIdLogFilter

pytestmark = pytest.mark.django_db

HEX_REQUEST_ID = re.compile(r"[0-9a-f]{32}")


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def assert_json(response) -> None:
    assert response["Content-Type"] == "application/json"


# --- 404 for unknown routes -------------------------------------------------------------------


def test_unknown_route_with_a_key_is_404_naming_the_route(supervisor_api):
    body = supervisor_api.get("/api/v2/nope", status=404)

    assert body == error("Not found", "No endpoint at GET /api/v2/nope")
    assert_json(supervisor_api.last_response)


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unknown_route_names_the_method(supervisor_api, method):
    body = supervisor_api.call(method, "/api/v2/orders/10001/nope", status=404)

    assert body == error("Not found", f"No endpoint at {method.upper()} /api/v2/orders/10001/nope")


def test_unknown_route_without_a_key_is_401(anonymous_api):
    body = anonymous_api.get("/api/v2/nope", status=401)

    assert body == error("Authentication required")
    assert anonymous_api.last_response["WWW-Authenticate"] == 'Bearer realm="labsite"'


def test_unknown_route_with_a_key_without_rights_is_404(no_rights_api):
    body = no_rights_api.get("/api/v2/nope", status=404)

    assert body == error("Not found", "No endpoint at GET /api/v2/nope")


# --- 405, 406, 415, 400 -------------------------------------------------------------------------


def test_put_on_an_order_is_405(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.put(f"/api/v2/orders/{order.number}", {"patient": "x"}, status=405)

    assert body == error("Method not allowed", "Provided: PUT")
    assert_json(supervisor_api.last_response)
    assert supervisor_api.last_response["Allow"] == "GET, DELETE, HEAD, OPTIONS"


def test_patch_on_the_order_list_is_405(supervisor_api):
    body = supervisor_api.patch("/api/v2/orders", {}, status=405)

    assert body == error("Method not allowed", "Provided: PATCH")


def test_text_plain_body_is_415(supervisor_api):
    body = supervisor_api.post(
        "/api/v2/orders", raw="orderNumber=10500", content_type="text/plain", status=415
    )

    assert body == error(
        "Unsupported media type",
        "Send JSON with Content-Type: application/json",
        "Provided: text/plain",
    )
    assert Order.objects.count() == 0


def test_form_encoded_body_is_415(supervisor_api):
    body = supervisor_api.post(
        "/api/v2/orders",
        raw="orderNumber=10500",
        content_type="application/x-www-form-urlencoded",
        status=415,
    )

    assert body == error(
        "Unsupported media type",
        "Send JSON with Content-Type: application/json",
        "Provided: application/x-www-form-urlencoded",
    )


def test_malformed_json_is_400(supervisor_api):
    body = supervisor_api.post("/api/v2/orders", raw='{"items": [', status=400)

    assert body == error(
        "Malformed request body", "JSON parse error - Expecting value: line 1 column 12 (char 11)"
    )
    assert Order.objects.count() == 0


def test_asking_for_html_is_406(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.get(
        f"/api/v2/orders/{order.number}", headers={"HTTP_ACCEPT": "text/html"}, status=406
    )

    assert body == error("Not acceptable", "This API answers application/json")
    assert_json(supervisor_api.last_response)


def test_validation_errors_are_400_with_field_lines(supervisor_api):
    body = supervisor_api.post(
        "/api/v2/orders",
        {
            "customerNumber": "C1",
            "customerJobId": "J-1",
            "poNumber": "PO-1",
            "jobType": "U",
            "orderNumber": "0123",
            "items": [{"quantity": 0}],
        },
        status=400,
    )

    assert body == error(
        "Incorrect arguments provided",
        "items[0].sku: This field is required.",
        "items[0].quantity: Ensure this value is greater than or equal to 1.",
        "orderNumber: must not start with 0",  # the create checks' rule, in the same answer
    )


# --- 500 --------------------------------------------------------------------------------------


@pytest.fixture
def logged(caplog):
    """Log lines as the configured console handler writes them, request id included."""
    handler, formatter, request_ids = caplog.handler, caplog.handler.formatter, RequestIdLogFilter()
    handler.addFilter(request_ids)
    handler.setFormatter(
        logging.Formatter(django_settings.LOGGING["formatters"]["plain"]["format"])
    )
    caplog.set_level(logging.ERROR)
    yield caplog
    # pytest reuses this handler for every test: leave it as it was.
    handler.removeFilter(request_ids)
    handler.setFormatter(formatter)


def explode(*args, **kwargs):
    raise RuntimeError("the database caught fire")


def assert_server_error_with_reference(api, body, logged) -> str:
    request_id = api.last_response["X-Request-ID"]
    assert HEX_REQUEST_ID.fullmatch(request_id)
    assert body == error("Internal server error", f"Reference: {request_id}")
    assert_json(api.last_response)
    lines = [line for line in logged.text.splitlines() if f"[req {request_id}]" in line]
    assert lines, f"no log line carries request id {request_id}:\n{logged.text}"
    assert "RuntimeError: the database caught fire" in logged.text
    return request_id


def test_an_unexpected_error_in_a_view_is_500_with_a_logged_reference(
    supervisor_api, make_order, monkeypatch, logged
):
    monkeypatch.setattr("orders.api.v2.views.cancel_order", explode)
    order = make_order()

    body = supervisor_api.delete(f"/api/v2/orders/{order.number}", status=500)

    assert_server_error_with_reference(supervisor_api, body, logged)
    assert "Unhandled error in OrderDetailView" in logged.text
    assert Order.objects.get(pk=order.pk).cancelled_at is None


def test_a_500_does_not_show_the_exception(supervisor_api, make_order, monkeypatch, logged):
    monkeypatch.setattr("orders.api.v2.views.cancel_order", explode)
    order = make_order()

    supervisor_api.delete(f"/api/v2/orders/{order.number}", status=500)

    assert b"caught fire" not in supervisor_api.last_response.content
    assert b"Traceback" not in supervisor_api.last_response.content


def test_an_error_escaping_drf_is_answered_by_the_middleware(
    supervisor_api, make_order, monkeypatch, logged
):
    # The face's exception handler itself fails: the exception leaves the view.
    monkeypatch.setattr(V2View, "get_exception_handler", lambda self: explode)
    order = make_order()

    body = supervisor_api.get(f"/api/v2/orders/{order.number}x", status=500)

    assert_server_error_with_reference(supervisor_api, body, logged)
    assert f"Unhandled error on GET /api/v2/orders/{order.number}x" in logged.text


def test_an_error_outside_any_view_gets_the_envelope_from_handler500(
    supervisor_api, monkeypatch, settings
):
    # Raised by a middleware, the exception never reaches a view: Django's handler500 answers.
    settings.DEBUG = False
    monkeypatch.setattr(CommonMiddleware, "process_request", explode, raising=False)

    body = supervisor_api.get("/api/v2/nope", status=500)

    request_id = supervisor_api.last_response["X-Request-ID"]
    assert body == error("Internal server error", f"Reference: {request_id}")
    assert_json(supervisor_api.last_response)


def test_handler500_answers_html_outside_the_api(client, monkeypatch, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    monkeypatch.setattr(CommonMiddleware, "process_request", explode, raising=False)

    response = client.get("/admin/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


def test_server_error_view_shapes_by_path():
    factory = RequestFactory()
    api_request = factory.get("/api/v2/orders/1")
    api_request.request_id = "ref-123"

    api_response = views.server_error(api_request)
    site_response = views.server_error(factory.get("/admin/"))

    assert api_response.status_code == 500
    assert api_response["Content-Type"] == "application/json"
    assert json.loads(api_response.content) == error("Internal server error", "Reference: ref-123")
    assert site_response.status_code == 500
    assert site_response["Content-Type"].startswith("text/html")


# --- 404 outside the API ---------------------------------------------------------------------


def test_page_not_found_outside_the_api_is_html():
    response = views.page_not_found(RequestFactory().get("/no-such-page"), Http404())

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b'"error"' not in response.content


def test_page_not_found_under_the_api_is_the_envelope():
    response = views.page_not_found(RequestFactory().get("/api/v2/x/y"), Http404())

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == error("Not found", "No endpoint at GET /api/v2/x/y")


def test_an_unknown_site_page_is_an_html_404(client, settings):
    settings.DEBUG = False

    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


# --- X-Request-ID -------------------------------------------------------------------------------


@pytest.mark.parametrize("incoming", ["abc-123", "req.2026-11-23_0001", "A" * 64])
def test_a_sane_incoming_request_id_is_echoed(supervisor_api, incoming):
    supervisor_api.get("/api/v2/nope", headers={"HTTP_X_REQUEST_ID": incoming}, status=404)

    assert supervisor_api.last_response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        pytest.param("has spaces", id="spaces"),
        pytest.param("x" * 200, id="200-chars"),
        pytest.param("A" * 65, id="65-chars"),
        pytest.param("id;rm -rf", id="shell"),
        pytest.param("", id="empty"),
        pytest.param("ünïcode", id="non-ascii"),
    ],
)
def test_an_insane_incoming_request_id_is_replaced(supervisor_api, incoming):
    supervisor_api.get("/api/v2/nope", headers={"HTTP_X_REQUEST_ID": incoming}, status=404)

    assert HEX_REQUEST_ID.fullmatch(supervisor_api.last_response["X-Request-ID"])


def test_each_request_gets_its_own_id(supervisor_api):
    supervisor_api.get("/api/v2/nope", status=404)
    first = supervisor_api.last_response["X-Request-ID"]
    supervisor_api.get("/api/v2/nope", status=404)

    assert supervisor_api.last_response["X-Request-ID"] != first


def test_an_incoming_request_id_is_the_500_reference(
    supervisor_api, make_order, monkeypatch, logged
):
    monkeypatch.setattr("orders.api.v2.views.cancel_order", explode)
    order = make_order()

    body = supervisor_api.delete(
        f"/api/v2/orders/{order.number}",
        headers={"HTTP_X_REQUEST_ID": "gateway-7f3a"},
        status=500,
    )

    assert body == error("Internal server error", "Reference: gateway-7f3a")
    assert "[req gateway-7f3a]" in logged.text

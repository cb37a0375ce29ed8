"""Problem details (RFC 7807) on the Orders API face: every error status has the same shape,
its traceId is the request id (X-Request-ID) and each problem is logged with it."""

import logging
import re
import uuid
from http import HTTPStatus

import pytest

from orders.api.pos import views
from orders.models import Order
from orders.services import process_orders
from tests.conftest import Api
from toolkit.api import problems

pytestmark = pytest.mark.django_db

PROBLEM_LOGGER = "labsite.api.problems"
BASE_KEYS = {"type", "title", "status", "detail", "instance", "traceId"}
ERROR_KEYS = {"memberName", "message", "code"}


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO, logger=PROBLEM_LOGGER)
    caplog.set_level(logging.INFO, logger="labsite.request")
    return caplog


def problem_records(caplog, trace_id: str) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.name == PROBLEM_LOGGER and trace_id in record.getMessage()
    ]


def check_problem(api: Api, body: dict, status: int, error_code: int | None, caplog) -> None:
    """The shape every problem shares, its traceId, and its log record."""
    response = api.last_response
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    expected_keys = set(BASE_KEYS)
    if error_code is not None:
        expected_keys.add("errorCode")
    if status == 400:
        expected_keys.add("errors")
    assert set(body) == expected_keys, body
    assert body["status"] == status
    assert body["title"] == HTTPStatus(status).phrase
    assert isinstance(body["type"], str)
    assert body["type"] == "about:blank" or body["type"].startswith("urn:labsite:problem:")
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["instance"] == response.wsgi_request.path
    assert body.get("errorCode") == error_code
    if status == 400:
        assert body["errors"]
        for entry in body["errors"]:
            assert set(entry) == ERROR_KEYS
            assert all(isinstance(entry[key], str) for key in ERROR_KEYS), entry
    trace_id = body["traceId"]
    assert isinstance(trace_id, str)
    assert trace_id
    assert trace_id == response["X-Request-ID"]
    records = problem_records(caplog, trace_id)
    assert records, f"no {PROBLEM_LOGGER} record carries traceId {trace_id}"
    expected_level = logging.ERROR if status >= 500 else logging.INFO
    assert [record.levelno for record in records] == [expected_level]
    assert str(status) in records[0].getMessage()


@pytest.fixture
def order(make_order) -> Order:
    return make_order(endpoints=("surfacing",))


@pytest.fixture
def processed(make_order) -> Order:
    order = make_order(endpoints=("surfacing",))
    process_orders(public_ids=[str(order.public_id)], actor=None)
    order.refresh_from_db()
    return order


# --- one problem per status -----------------------------------------------------------------------


def test_400_validation(client_api, logs):
    body = client_api.post("/orders", {"ids": []}, status=400)

    check_problem(client_api, body, 400, 3, logs)
    assert body["errors"] == [
        {
            "memberName": "ids",
            "message": "Ensure this field has at least 1 elements.",
            "code": "invalid",
        }
    ]


def test_400_several_members_each_get_an_entry(client_api, processed, logs):
    body = client_api.post(
        f"/orders/{processed.public_id}/status", {"status": "Gone", "_v": "x", "y": 1}, status=400
    )

    check_problem(client_api, body, 400, 3, logs)
    assert sorted(entry["memberName"] for entry in body["errors"]) == ["_v", "status", "y"]
    for entry in body["errors"]:
        assert f"{entry['memberName']}: {entry['message']}" in body["detail"]


def test_400_malformed_json(client_api, logs):
    body = client_api.post("/orders", raw="{", status=400)

    check_problem(client_api, body, 400, 3, logs)
    assert [(e["memberName"], e["code"]) for e in body["errors"]] == [("body", "parse_error")]
    assert body["detail"].startswith("Malformed request body")


def test_400_domain_rule(client_api, order, logs):
    body = client_api.post(f"/orders/{order.public_id}/status", {"status": "Done"}, status=400)

    check_problem(client_api, body, 400, 3, logs)
    assert body["type"] == "urn:labsite:problem:not_processed"
    assert body["errors"] == [
        {"memberName": "status", "message": body["detail"], "code": "not_processed"}
    ]


def test_401_no_authorization(anonymous_api, order, logs):
    body = anonymous_api.get(f"/orders/{order.public_id}", status=401)

    check_problem(anonymous_api, body, 401, 1, logs)
    assert anonymous_api.last_response["WWW-Authenticate"] == 'Bearer realm="labsite"'


def test_401_unknown_key(order, logs):
    api = Api("lab_unknown", scheme="Bearer")

    body = api.get(f"/orders/{order.public_id}", status=401)

    check_problem(api, body, 401, 1, logs)


def test_403_missing_right(no_rights_api, order, logs):
    body = no_rights_api.post("/orders", {"ids": [str(order.public_id)]}, status=403)

    check_problem(no_rights_api, body, 403, 2, logs)
    assert body["detail"] == "Requires right orderProcess"


def test_404_unknown_order(client_api, logs):
    missing = uuid.uuid4()

    body = client_api.get(f"/orders/{missing}", status=404)

    check_problem(client_api, body, 404, None, logs)
    assert body["type"] == "urn:labsite:problem:order_not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/orders/a/b"),
        ("post", "/orders/a/b/c/status"),
        ("delete", "/orders/a/items"),
        ("get", "/orders/"),
        ("post", "/orders/a/items/1/status/now"),
        ("get", "/api/auth/nope"),
        ("post", "/api/auth/refresh/again"),
        ("delete", "/api/auth/"),
    ],
)
def test_404_unknown_path(client_api, logs, method, path):
    body = client_api.call(method, path, status=404)

    check_problem(client_api, body, 404, None, logs)
    assert body["detail"] == f"No endpoint at {method.upper()} {path}"


def test_404_unknown_path_needs_no_authorization(anonymous_api, logs):
    body = anonymous_api.get("/orders/a/b", status=404)

    check_problem(anonymous_api, body, 404, None, logs)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "/orders"),
        ("patch", "/orders/{id}"),
        ("get", "/orders/{id}/status"),
        ("delete", "/orders/{id}/endpoints/surfacing/status"),
        ("get", "/api/auth"),
        ("get", "/api/auth/refresh"),
    ],
)
def test_405_method_not_allowed(client_api, order, logs, method, path):
    body = client_api.call(method, path.format(id=order.public_id), status=405)

    check_problem(client_api, body, 405, None, logs)
    assert body["detail"] == f"{method.upper()} is not allowed here"


def test_409_version_mismatch(client_api, processed, logs):
    body = client_api.post(
        f"/orders/{processed.public_id}/status",
        {"status": "Done", "_v": processed.version - 1},
        status=409,
    )

    check_problem(client_api, body, 409, 6, logs)
    assert body["type"] == "urn:labsite:problem:version_mismatch"


def test_415_unsupported_media_type(client_api, logs):
    body = client_api.post("/orders", raw="ids=1", content_type="text/plain", status=415)

    check_problem(client_api, body, 415, None, logs)
    assert "text/plain" in body["detail"]


def test_429_login_throttled(anonymous_api, make_user, settings, logs):
    make_user(username="alice", password="right-pass-123")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        anonymous_api.post("/api/auth", {"UserName": "alice", "Password": "wrong"}, status=401)

    body = anonymous_api.post(
        "/api/auth", {"UserName": "alice", "Password": "right-pass-123"}, status=429
    )

    check_problem(anonymous_api, body, 429, None, logs)
    assert int(anonymous_api.last_response["Retry-After"]) > 0


# --- 500 ------------------------------------------------------------------------------------------


def boom(*args, **kwargs):
    raise RuntimeError("secret internals: db password hunter2")


def assert_500(api: Api, body: dict, caplog) -> None:
    check_problem(api, body, 500, None, caplog)
    assert body["detail"] == "Internal server error"
    assert "hunter2" not in api.last_response.content.decode()
    # The failure itself is logged with its traceback, on the same request.
    failures = [
        record
        for record in caplog.records
        if record.levelno == logging.ERROR
        and record.exc_info
        and isinstance(record.exc_info[1], RuntimeError)
    ]
    assert len(failures) == 1


def test_500_in_a_service_called_by_the_view(client_api, order, monkeypatch, logs):
    monkeypatch.setattr(views, "process_orders", boom)

    body = client_api.post("/orders", {"ids": [str(order.public_id)]}, status=500)

    assert_500(client_api, body, logs)
    assert Order.objects.get(pk=order.pk).processed_at is None


def test_500_in_a_status_service(client_api, processed, monkeypatch, logs):
    # The view binds the service at import (``set_status = staticmethod(set_order_status)``),
    # so the class attribute is what has to be replaced.
    monkeypatch.setattr(views.OrderStatusView, "set_status", staticmethod(boom))

    body = client_api.post(f"/orders/{processed.public_id}/status", {"status": "Done"}, status=500)

    assert_500(client_api, body, logs)


def test_500_while_rendering_an_order(client_api, order, monkeypatch, logs):
    monkeypatch.setattr(views, "orders_api_payloads", boom)

    body = client_api.get(f"/orders/{order.public_id}", status=500)

    assert_500(client_api, body, logs)


def test_500_that_escapes_the_view_still_answers_a_problem(anonymous_api, order, monkeypatch, logs):
    """The last line of defence: the middleware answers in the face's shape."""
    monkeypatch.setattr(problems, "drf_exception_handler", boom)

    body = anonymous_api.get(f"/orders/{order.public_id}", status=500)

    assert_500(anonymous_api, body, logs)


# --- traceId --------------------------------------------------------------------------------------


def test_trace_id_is_the_incoming_request_id_when_it_is_sane(client_api, logs):
    body = client_api.get(
        f"/orders/{uuid.uuid4()}", status=404, headers={"HTTP_X_REQUEST_ID": "gw-1234.abc_Z"}
    )

    assert body["traceId"] == "gw-1234.abc_Z"
    assert client_api.last_response["X-Request-ID"] == "gw-1234.abc_Z"
    assert problem_records(logs, "gw-1234.abc_Z")


@pytest.mark.parametrize(
    "incoming",
    [
        pytest.param("has spaces", id="spaces"),
        pytest.param("x" * 65, id="too-long"),
        pytest.param("a;b", id="punctuation"),
        pytest.param("", id="empty"),
    ],
)
def test_trace_id_replaces_an_unusable_incoming_request_id(client_api, logs, incoming):
    body = client_api.get(
        f"/orders/{uuid.uuid4()}", status=404, headers={"HTTP_X_REQUEST_ID": incoming}
    )

    assert body["traceId"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", body["traceId"])
    assert client_api.last_response["X-Request-ID"] == body["traceId"]


def test_each_request_gets_its_own_trace_id(client_api, logs):
    trace_ids = {client_api.get(f"/orders/{uuid.uuid4()}", status=404)["traceId"] for _ in range(3)}

    assert len(trace_ids) == 3


def test_instance_is_the_path_without_the_query_string(client_api, logs):
    missing = uuid.uuid4()

    body = client_api.get(f"/orders/{missing}?secret=1", status=404)

    assert body["instance"] == f"/orders/{missing}"

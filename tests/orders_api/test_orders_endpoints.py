"""The Orders API face: GET /orders/{id}, POST /orders (process), the three status endpoints,
DELETE /orders/{id}, rights and authentication. One test per documented row.

(The NData query grammar of GET /orders is tested elsewhere.)
"""

import uuid
from datetime import UTC

from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

import pytest

from orders.models import Order, OrderEvent, OrderItem, OrderItemEndpoint
from orders.services import process_orders

pytestmark = pytest.mark.django_db

PROCESS = "orders.process_order"
UPDATE = "orders.update_order_status"
DELETE = "orders.cancel_order"
ALL_RIGHTS = {PROCESS: "orderProcess", UPDATE: "orderUpdate", DELETE: "orderDelete"}

ON_POSTGRES = connection.vendor == "postgresql"

ENDPOINTS = ("surfacing", "coating")

# Measured on SQLite and PostgreSQL alike, the key's last-used write already done (warm-up).
# GET /orders/{id}: key (with its user), rights, order (+ creator, station), items, endpoints.
GET_QUERIES = 5
# POST /orders (1 order): key, 2 rights | savepoint, lock, bulk update, events, release |
# the payloads (orders, items, endpoints).
PROCESS_QUERIES = 11
# POST .../status: key, 2 rights, find | savepoint, lock, [item lookup,] endpoint and item
# updates, refresh (items, endpoints, [changed items,] order), version, event, release | the
# payload (order, items, endpoints).
ORDER_STATUS_QUERIES = 17
ITEM_STATUS_QUERIES = 18
ENDPOINT_STATUS_QUERIES = 18
# DELETE /orders/{id}, reason codes on: key, 2 rights, find | savepoint, lock, settings,
# 2 reason checks, check-ins, queued print jobs, item endpoints and items cancelled, update,
# event, release.
DELETE_QUERIES = 16


# --- helpers --------------------------------------------------------------------------------------


def order_url(order: Order, suffix: str = "") -> str:
    return f"/orders/{order.public_id}{suffix}"


def first_item(order: Order) -> OrderItem:
    return OrderItem.objects.filter(order=order).order_by("id").first()


def status_url(order: Order, target: str) -> str:
    if target == "order":
        return order_url(order, "/status")
    if target == "item":
        return order_url(order, f"/items/{first_item(order).pk}/status")
    return order_url(order, f"/endpoints/{ENDPOINTS[1]}/status")


def snapshot(order: Order) -> dict:
    """Everything a refused request must leave as it was."""
    fresh = Order.objects.get(pk=order.pk)
    return {
        "version": fresh.version,
        "processing_status": fresh.processing_status,
        "processed_at": fresh.processed_at,
        "cancelled_at": fresh.cancelled_at,
        "items": list(
            OrderItem.objects.filter(order=order).order_by("id").values_list("id", "status")
        ),
        "endpoints": list(
            OrderItemEndpoint.objects.filter(item__order=order)
            .order_by("id")
            .values_list("id", "name", "status")
        ),
        "events": list(OrderEvent.objects.filter(order=order).values_list("id", flat=True)),
    }


def events(order: Order, kind: str) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order, kind=kind).order_by("id"))


def assert_problem(body: dict, status: int, *, error_code: int | None = None) -> None:
    assert body["status"] == status
    assert {"type", "title", "detail", "instance", "traceId"} <= set(body)
    if error_code is None:
        assert "errorCode" not in body
    else:
        assert body["errorCode"] == error_code


def assert_400(body: dict, member: str, *, code: str | None = None) -> None:
    """A validation problem whose ``errors[]`` names ``member`` (with ``code``, if given)."""
    assert_problem(body, 400, error_code=3)
    assert member in [entry["memberName"] for entry in body["errors"]], body
    if code is not None:
        assert [e["code"] for e in body["errors"] if e["memberName"] == member] == [code]


def iso_ms(value) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@pytest.fixture
def client_user(client_api) -> User:
    return User.objects.get(username="rx-client")


@pytest.fixture
def new_order(make_order):
    """An order the Orders API can process: valid, two endpoints per item."""

    def make(**fields) -> Order:
        fields.setdefault("endpoints", ENDPOINTS)
        return make_order(**fields)

    return make


@pytest.fixture
def processed_order(new_order):
    """An order already released to its endpoints (what the status endpoints need)."""

    def make(**fields) -> Order:
        order = new_order(**fields)
        process_orders(public_ids=[str(order.public_id)], actor=None)
        order.refresh_from_db()
        return order

    return make


# --- GET /orders/{id} -----------------------------------------------------------------------------


def test_get_order_shows_every_field_of_the_order_model(client_api, make_user, make_order):
    creator = make_user(username="maria")
    order = make_order(
        items=2,
        endpoints=ENDPOINTS,
        actor=creator,
        tray="42",
        po_number="PO-9",
        ticket_id="T-77",
        ticket_name="Jones / job 5",
        created_device="ws-3",
    )
    first, second = OrderItem.objects.filter(order=order).order_by("id")

    body = client_api.get(order_url(order), status=200)

    assert body == {
        "id": str(order.public_id),
        "number": order.number,
        "orderNumber": str(order.number),
        "trayNumber": "42",
        "poNumber": "PO-9",
        "ticketId": "T-77",
        "ticketName": "Jones / job 5",
        "deviceName": "ws-3",
        "userUserName": "maria",
        "status": "New",
        "isProcessed": False,
        "isProcessable": True,
        "createdAt": iso_ms(order.received_at),
        "items": [
            {
                "id": item.pk,
                "sku": item.sku,
                "name": item.name,
                "quantity": 1,
                "status": "New",
                "endpoints": [
                    {"name": "surfacing", "status": "New"},
                    {"name": "coating", "status": "New"},
                ],
            }
            for item in (first, second)
        ],
        "endpoints": [
            {"name": "surfacing", "status": "New"},
            {"name": "coating", "status": "New"},
        ],
        "_v": order.version,
    }
    # The contract's order of members.
    assert list(body) == [
        "id",
        "number",
        "orderNumber",
        "trayNumber",
        "poNumber",
        "ticketId",
        "ticketName",
        "deviceName",
        "userUserName",
        "status",
        "isProcessed",
        "isProcessable",
        "createdAt",
        "items",
        "endpoints",
        "_v",
    ]
    assert isinstance(body["number"], int)
    assert isinstance(body["_v"], int)


def test_get_order_shows_absent_values_as_null(client_api, make_order):
    order = make_order(endpoints=())

    body = client_api.get(order_url(order), status=200)

    for key in ("trayNumber", "poNumber", "ticketId", "ticketName", "deviceName", "userUserName"):
        assert body[key] is None, key
    assert body["items"][0]["endpoints"] == []
    assert body["endpoints"] == []


def test_get_order_accepts_the_id_in_upper_case(client_api, make_order):
    order = make_order()

    body = client_api.get(f"/orders/{str(order.public_id).upper()}", status=200)

    assert body["id"] == str(order.public_id)


@pytest.mark.parametrize(
    "identifier",
    [
        pytest.param(str(uuid.uuid4()), id="unknown-uuid"),
        pytest.param("not-a-uuid", id="not-a-uuid"),
        pytest.param("12345", id="an-order-number"),
        pytest.param("0" * 40, id="too-long"),
    ],
)
def test_get_unknown_order_is_a_404_problem(client_api, make_order, identifier):
    make_order(number=12345)

    body = client_api.get(f"/orders/{identifier}", status=404)

    assert_problem(body, 404)
    assert body["detail"] == f"No record found (Provided: {identifier})"
    assert client_api.last_response["Content-Type"] == "application/problem+json"


def test_get_order_query_count(client_api, new_order):
    order = new_order(items=2)
    client_api.get(order_url(order), status=200)  # warm-up: the key's last-used write

    client_api.get(order_url(order), status=200, max_queries=GET_QUERIES)


def test_get_order_query_count_does_not_grow_with_items(client_api, new_order):
    small = new_order(items=1)
    large = new_order(items=10)
    client_api.get(order_url(small), status=200)  # warm-up

    client_api.get(order_url(small), status=200, max_queries=GET_QUERIES)
    small_queries = client_api.last_queries
    body = client_api.get(order_url(large), status=200, max_queries=GET_QUERIES)

    assert len(body["items"]) == 10
    assert client_api.last_queries == small_queries


# --- POST /orders: process ------------------------------------------------------------------------


def test_process_releases_the_orders_and_answers_all_of_them(client_api, client_user, new_order):
    first = new_order(items=2)
    second = new_order()
    before = {order.pk: order.version for order in (first, second)}
    started = timezone.now()

    body = client_api.post(
        "/orders", {"ids": [str(second.public_id), str(first.public_id)]}, status=200
    )

    assert [entry["id"] for entry in body] == [str(second.public_id), str(first.public_id)]
    for entry, order in zip(body, (second, first), strict=True):
        assert entry == client_api.get(order_url(order), status=200)
        assert entry["isProcessed"] is True
        assert entry["isProcessable"] is False
        assert entry["status"] == "New"
        assert {item["status"] for item in entry["items"]} == {"New"}
        assert {e["status"] for item in entry["items"] for e in item["endpoints"]} == {"New"}
        assert entry["endpoints"] == [{"name": name, "status": "New"} for name in ENDPOINTS]
        assert entry["_v"] == before[order.pk] + 1
        order.refresh_from_db()
        assert order.processed_at is not None
        assert started <= order.processed_at <= timezone.now()
        [event] = events(order, "processed")
        assert (event.actor, event.actor_name, event.to_value) == (
            client_user,
            "rx-client",
            "Processed",
        )


def test_process_with_a_repeated_id_processes_and_lists_the_order_once(client_api, new_order):
    order = new_order()

    body = client_api.post(
        "/orders", {"ids": [str(order.public_id), str(order.public_id).upper()]}, status=200
    )

    assert [entry["id"] for entry in body] == [str(order.public_id)]
    assert len(events(order, "processed")) == 1
    assert body[0]["_v"] == order.version + 1


@pytest.mark.parametrize(
    "unknown",
    [
        pytest.param(str(uuid.uuid4()), id="unknown-uuid"),
        pytest.param("not-a-uuid", id="not-a-uuid"),
    ],
)
def test_process_with_an_unknown_id_is_404_and_processes_nothing(client_api, new_order, unknown):
    good = new_order()
    before = snapshot(good)

    body = client_api.post("/orders", {"ids": [str(good.public_id), unknown]}, status=404)

    assert_problem(body, 404)
    assert body["detail"] == f"No record found (Provided: {unknown})"
    assert snapshot(good) == before


NOT_PROCESSABLE = [
    pytest.param(
        {"items": 0, "stock_order": True}, "it is not valid (Order has no items)", id="unvalid"
    ),
    pytest.param({"on_hold": True}, "it is on hold", id="on-hold"),
    pytest.param({"cancelled_at": timezone.now()}, "it is marked for cancelation", id="cancelled"),
    pytest.param({"state": "C", "completed_at": timezone.now()}, "it is completed", id="completed"),
    pytest.param({"processed_at": timezone.now()}, "it has already been processed", id="processed"),
]


@pytest.mark.parametrize(("fields", "why"), NOT_PROCESSABLE)
def test_process_of_a_non_processable_order_is_400_naming_it(client_api, new_order, fields, why):
    good = new_order()
    bad = new_order(**fields)
    before = {order.pk: snapshot(order) for order in (good, bad)}

    body = client_api.post(
        "/orders", {"ids": [str(good.public_id), str(bad.public_id)]}, status=400
    )

    assert_400(body, "ids", code="not_processable")
    assert body["detail"] == f"Order {bad.public_id} cannot be processed: {why}"
    assert {order.pk: snapshot(order) for order in (good, bad)} == before  # all or nothing


@pytest.mark.parametrize(("fields", "why"), NOT_PROCESSABLE)
def test_get_shows_a_non_processable_order_as_such(client_api, new_order, fields, why):
    order = new_order(**fields)

    body = client_api.get(order_url(order), status=200)

    assert body["isProcessable"] is False
    assert body["isProcessed"] is ("processed_at" in fields)


def test_process_of_an_order_twice_is_400_the_second_time(client_api, new_order):
    order = new_order()
    client_api.post("/orders", {"ids": [str(order.public_id)]}, status=200)

    body = client_api.post("/orders", {"ids": [str(order.public_id)]}, status=400)

    assert body["detail"].endswith("it has already been processed")
    assert len(events(order, "processed")) == 1


def test_process_names_an_unknown_id_before_a_non_processable_one(client_api, new_order):
    held = new_order(on_hold=True)
    unknown = str(uuid.uuid4())

    body = client_api.post("/orders", {"ids": [str(held.public_id), unknown]}, status=404)

    assert body["detail"] == f"No record found (Provided: {unknown})"


A_UUID = "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.mark.parametrize(
    ("body", "member"),
    [
        pytest.param({}, "ids", id="ids-missing"),
        pytest.param({"ids": None}, "ids", id="ids-null"),
        pytest.param({"ids": A_UUID}, "ids", id="ids-not-a-list"),
        pytest.param({"ids": {"0": A_UUID}}, "ids", id="ids-an-object"),
        pytest.param({"ids": []}, "ids", id="ids-empty"),
        pytest.param({"ids": [True]}, "ids[0]", id="id-a-boolean"),
        pytest.param({"ids": [A_UUID, None]}, "ids[1]", id="id-null"),
        pytest.param({"ids": [[A_UUID]]}, "ids[0]", id="id-a-list"),
        pytest.param({"ids": [{"id": A_UUID}]}, "ids[0]", id="id-an-object"),
        pytest.param({"ids": [""]}, "ids[0]", id="id-blank"),
        pytest.param({"ids": ["x" * 65]}, "ids[0]", id="id-too-long"),
        pytest.param({"ids": ["a\x00b"]}, "ids[0]", id="id-with-nul"),
        pytest.param({"ids": [A_UUID] * 1001}, "ids", id="more-than-1000"),
        pytest.param({"ids": [A_UUID], "force": True}, "force", id="unknown-key"),
        pytest.param({"Ids": [A_UUID]}, "Ids", id="misspelt-key"),
        pytest.param([A_UUID], "body", id="body-a-list"),
        pytest.param(A_UUID, "body", id="body-a-string"),
    ],
)
def test_process_with_a_bad_body_is_400(client_api, new_order, body, member):
    order = new_order()
    before = snapshot(order)

    problem = client_api.post("/orders", body, status=400)

    assert_400(problem, member)
    assert snapshot(order) == before


@pytest.mark.parametrize("value", [12345, 1.5], ids=["integer", "float"])
def test_process_with_a_number_for_an_id_is_400(client_api, value):
    problem = client_api.post("/orders", {"ids": [value]}, status=400)

    assert_400(problem, "ids[0]")


def test_process_of_1000_ids_is_accepted_as_a_shape(client_api):
    ids = [str(uuid.uuid4()) for _ in range(1000)]

    body = client_api.post("/orders", {"ids": ids}, status=404)  # the shape is fine

    assert body["detail"] == f"No record found (Provided: {ids[0]})"


def test_process_with_a_body_that_is_not_json_is_400(client_api):
    body = client_api.post("/orders", raw='{"ids": [', status=400)

    assert_400(body, "body", code="parse_error")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/xml"],
)
def test_process_with_a_non_json_content_type_is_415(client_api, new_order, content_type):
    order = new_order()

    body = client_api.post(
        "/orders", raw=f'{{"ids": ["{order.public_id}"]}}', content_type=content_type, status=415
    )

    assert_problem(body, 415)
    assert content_type in body["detail"]
    assert Order.objects.get(pk=order.pk).processed_at is None


def test_process_query_count(client_api, new_order):
    order = new_order(items=3)
    client_api.get(order_url(order), status=200)  # warm-up

    client_api.post(
        "/orders", {"ids": [str(order.public_id)]}, status=200, max_queries=PROCESS_QUERIES
    )


def test_process_query_count_does_not_grow_with_orders(client_api, new_order):
    one = new_order()
    many = [new_order(items=2) for _ in range(5)]
    client_api.get(order_url(one), status=200)  # warm-up

    # Every call reads the key, its rights and the lab settings afresh.
    client_api.post("/orders", {"ids": [str(one.public_id)]}, status=200)
    one_queries = client_api.last_queries
    client_api.post("/orders", {"ids": [str(order.public_id) for order in many]}, status=200)

    assert client_api.last_queries == one_queries


# --- the status endpoints -------------------------------------------------------------------------

TARGETS = ["order", "item", "endpoint"]


def test_order_status_sets_every_item_at_every_endpoint(client_api, client_user, processed_order):
    order = processed_order(items=2)

    body = client_api.post(order_url(order, "/status"), {"status": "InProgress"}, status=200)

    assert body["status"] == "InProgress"
    assert [item["status"] for item in body["items"]] == ["InProgress", "InProgress"]
    assert {e["status"] for item in body["items"] for e in item["endpoints"]} == {"InProgress"}
    assert body["endpoints"] == [{"name": n, "status": "InProgress"} for n in ENDPOINTS]
    assert body["_v"] == order.version + 1
    assert body == client_api.get(order_url(order), status=200)
    [event] = events(order, "status")
    assert (event.actor, event.actor_name, event.from_value, event.to_value, event.note) == (
        client_user,
        "rx-client",
        "New",
        "InProgress",
        "order set to InProgress",
    )


def test_item_status_sets_that_item_at_all_its_endpoints(client_api, client_user, processed_order):
    order = processed_order(items=2)
    first, second = OrderItem.objects.filter(order=order).order_by("id")

    body = client_api.post(
        order_url(order, f"/items/{first.pk}/status"), {"status": "Done"}, status=200
    )

    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[first.pk]["status"] == "Done"
    assert by_id[first.pk]["endpoints"] == [{"name": n, "status": "Done"} for n in ENDPOINTS]
    assert by_id[second.pk]["status"] == "New"
    assert by_id[second.pk]["endpoints"] == [{"name": n, "status": "New"} for n in ENDPOINTS]
    # Each endpoint sees one Done and one New item; the order one Done and one New item.
    assert body["endpoints"] == [{"name": n, "status": "InProgress"} for n in ENDPOINTS]
    assert body["status"] == "InProgress"
    assert body["_v"] == order.version + 1
    [event] = events(order, "status")
    assert (event.actor, event.from_value, event.to_value, event.note) == (
        client_user,
        "New",
        "InProgress",
        f"item {first.pk} ({first.sku}) set to Done",
    )


def test_endpoint_status_sets_every_item_at_that_endpoint(client_api, client_user, processed_order):
    order = processed_order(items=2)

    body = client_api.post(
        order_url(order, "/endpoints/coating/status"), {"status": "Done"}, status=200
    )

    for item in body["items"]:
        assert item["endpoints"] == [
            {"name": "surfacing", "status": "New"},
            {"name": "coating", "status": "Done"},
        ]
        assert item["status"] == "InProgress"
    assert body["endpoints"] == [
        {"name": "surfacing", "status": "New"},
        {"name": "coating", "status": "Done"},
    ]
    assert body["status"] == "InProgress"
    assert body["_v"] == order.version + 1
    [event] = events(order, "status")
    assert (event.actor, event.from_value, event.to_value, event.note) == (
        client_user,
        "New",
        "InProgress",
        "endpoint coating set to Done",
    )


def test_endpoint_status_only_touches_items_that_pass_through_it(client_api, processed_order):
    order = processed_order(items=2)
    first, second = OrderItem.objects.filter(order=order).order_by("id")
    OrderItemEndpoint.objects.filter(item=second, name="coating").delete()

    body = client_api.post(
        order_url(order, "/endpoints/coating/status"), {"status": "Done"}, status=200
    )

    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[first.pk]["status"] == "InProgress"
    assert by_id[second.pk] == {
        **by_id[second.pk],
        "status": "New",
        "endpoints": [{"name": "surfacing", "status": "New"}],
    }


def test_every_endpoint_done_makes_items_and_order_done(client_api, processed_order):
    order = processed_order(items=2)

    client_api.post(order_url(order, "/endpoints/surfacing/status"), {"status": "Done"}, status=200)
    body = client_api.post(
        order_url(order, "/endpoints/coating/status"), {"status": "Done"}, status=200
    )

    assert [item["status"] for item in body["items"]] == ["Done", "Done"]
    assert body["endpoints"] == [{"name": n, "status": "Done"} for n in ENDPOINTS]
    assert body["status"] == "Done"
    assert body["_v"] == order.version + 2
    assert [(e.from_value, e.to_value) for e in events(order, "status")] == [
        ("New", "InProgress"),
        ("InProgress", "Done"),
    ]


def test_endpoint_name_may_need_url_encoding(client_api, processed_order):
    order = processed_order(endpoints=("final QA",))

    body = client_api.post(
        order_url(order, "/endpoints/final%20QA/status"), {"status": "Done"}, status=200
    )

    assert body["endpoints"] == [{"name": "final QA", "status": "Done"}]


def test_cancelled_item_set_to_done_is_400(client_api, processed_order):
    order = processed_order(items=2)
    item = first_item(order)
    client_api.post(
        order_url(order, f"/items/{item.pk}/status"), {"status": "Cancelled"}, status=200
    )
    before = snapshot(order)

    body = client_api.post(
        order_url(order, f"/items/{item.pk}/status"), {"status": "Done"}, status=400
    )

    assert_400(body, "status", code="item_cancelled")
    assert body["detail"] == "Item is cancelled"
    assert snapshot(order) == before


def test_cancelled_item_stays_cancelled_when_the_order_or_an_endpoint_is_set(
    client_api, processed_order
):
    order = processed_order(items=2)
    cancelled, live = OrderItem.objects.filter(order=order).order_by("id")
    body = client_api.post(
        order_url(order, f"/items/{cancelled.pk}/status"), {"status": "Cancelled"}, status=200
    )
    assert body["status"] == "New"  # the cancelled item does not count while one is live
    assert body["endpoints"] == [{"name": n, "status": "New"} for n in ENDPOINTS]

    body = client_api.post(
        order_url(order, "/endpoints/coating/status"), {"status": "Done"}, status=200
    )
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[cancelled.pk]["endpoints"] == [
        {"name": n, "status": "Cancelled"} for n in ENDPOINTS
    ]
    assert body["endpoints"] == [
        {"name": "surfacing", "status": "New"},
        {"name": "coating", "status": "Done"},
    ]
    body = client_api.post(order_url(order, "/status"), {"status": "Done"}, status=200)

    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[cancelled.pk]["status"] == "Cancelled"
    assert {e["status"] for e in by_id[cancelled.pk]["endpoints"]} == {"Cancelled"}
    assert by_id[live.pk]["status"] == "Done"
    assert body["endpoints"] == [{"name": n, "status": "Done"} for n in ENDPOINTS]
    assert body["status"] == "Done"


def test_every_item_cancelled_makes_the_order_cancelled(client_api, processed_order):
    order = processed_order(items=2)

    body = client_api.post(order_url(order, "/status"), {"status": "Cancelled"}, status=200)

    assert body["status"] == "Cancelled"
    assert [item["status"] for item in body["items"]] == ["Cancelled", "Cancelled"]
    assert body["endpoints"] == [{"name": n, "status": "Cancelled"} for n in ENDPOINTS]


def test_item_without_endpoints_takes_the_status_it_is_given(client_api, processed_order):
    order = processed_order(items=2, endpoints=())
    item = first_item(order)

    body = client_api.post(
        order_url(order, f"/items/{item.pk}/status"), {"status": "Done"}, status=200
    )

    assert [i["status"] for i in body["items"]] == ["Done", "New"]
    assert body["status"] == "InProgress"
    assert body["endpoints"] == []


@pytest.mark.parametrize("target", TARGETS)
def test_current_version_is_accepted(client_api, processed_order, target):
    order = processed_order()

    body = client_api.post(
        status_url(order, target), {"status": "Done", "_v": order.version}, status=200
    )

    assert body["_v"] == order.version + 1


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("offset", [-1, 1], ids=["older", "newer"])
def test_stale_version_is_409_and_changes_nothing(client_api, processed_order, target, offset):
    order = processed_order(items=2)
    client_api.post(order_url(order, "/status"), {"status": "InProgress"}, status=200)
    order.refresh_from_db()
    before = snapshot(order)
    stale = order.version + offset

    body = client_api.post(status_url(order, target), {"status": "Done", "_v": stale}, status=409)

    assert_problem(body, 409, error_code=6)
    assert body["type"] == "urn:labsite:problem:version_mismatch"
    assert body["detail"] == (
        "Order was changed by someone else "
        f"(Provided version: {stale}) (Current version: {order.version})"
    )
    assert "errors" not in body
    assert snapshot(order) == before
    assert client_api.get(order_url(order), status=200)["_v"] == order.version


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "version",
    [
        pytest.param("1", id="string"),
        pytest.param(True, id="boolean"),
        pytest.param(1.0, id="float"),
        pytest.param(None, id="null"),
        pytest.param([1], id="list"),
        pytest.param(-1, id="negative"),
        pytest.param(2**31, id="too-large"),
    ],
)
def test_version_of_the_wrong_type_is_400(client_api, processed_order, target, version):
    order = processed_order()
    before = snapshot(order)

    body = client_api.post(status_url(order, target), {"status": "Done", "_v": version}, status=400)

    assert_400(body, "_v")
    assert snapshot(order) == before


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    ("payload", "member"),
    [
        pytest.param({"status": "Finished"}, "status", id="unknown-status"),
        pytest.param({"status": "done"}, "status", id="wrong-case"),
        pytest.param({"status": ""}, "status", id="blank"),
        pytest.param({"status": None}, "status", id="null"),
        pytest.param({"status": 2}, "status", id="number"),
        pytest.param({}, "status", id="missing"),
        pytest.param({"status": "Done", "note": "x"}, "note", id="unknown-key"),
        pytest.param(["Done"], "body", id="body-a-list"),
    ],
)
def test_invalid_status_body_is_400(client_api, processed_order, target, payload, member):
    order = processed_order()
    before = snapshot(order)

    body = client_api.post(status_url(order, target), payload, status=400)

    assert_400(body, member)
    assert snapshot(order) == before


@pytest.mark.parametrize("target", TARGETS)
def test_status_body_that_is_not_json_is_400_and_other_media_415(
    client_api, processed_order, target
):
    order = processed_order()

    body = client_api.post(status_url(order, target), raw="{status: Done}", status=400)
    assert_400(body, "body", code="parse_error")

    body = client_api.post(
        status_url(order, target), raw="status=Done", content_type="text/plain", status=415
    )
    assert_problem(body, 415)


@pytest.mark.parametrize(
    "item_id",
    [
        pytest.param("other-order", id="item-of-another-order"),
        pytest.param("0", id="zero"),
        pytest.param("999999", id="unknown"),
        pytest.param("abc", id="non-numeric"),
        pytest.param("-1", id="negative"),
        pytest.param("1.0", id="decimal"),
        pytest.param("9" * 18, id="18-digits"),
        pytest.param("9" * 40, id="huge"),
        pytest.param("%D9%A3", id="non-ascii-digit"),
    ],
)
def test_item_not_in_this_order_is_404(client_api, processed_order, item_id):
    order = processed_order()
    if item_id == "other-order":
        item_id = str(first_item(processed_order()).pk)
    before = snapshot(order)

    body = client_api.post(
        order_url(order, f"/items/{item_id}/status"), {"status": "Done"}, status=404
    )

    assert_problem(body, 404)
    assert body["type"] == "urn:labsite:problem:item_not_found"
    assert snapshot(order) == before


def test_unknown_order_is_named_before_a_bad_item(client_api):
    missing = uuid.uuid4()

    body = client_api.post(f"/orders/{missing}/items/abc/status", {"status": "Done"}, status=404)

    assert body["type"] == "urn:labsite:problem:order_not_found"


@pytest.mark.parametrize("endpoint", ["edging", "Coating", "coating%20", "%20"])
def test_endpoint_the_order_has_nothing_at_is_404(client_api, processed_order, endpoint):
    order = processed_order()
    before = snapshot(order)

    body = client_api.post(
        order_url(order, f"/endpoints/{endpoint}/status"), {"status": "Done"}, status=404
    )

    assert_problem(body, 404)
    assert body["type"] == "urn:labsite:problem:endpoint_not_found"
    assert snapshot(order) == before


def test_endpoint_of_another_order_is_404(client_api, processed_order):
    order = processed_order(endpoints=("surfacing",))
    processed_order(endpoints=("coating",))

    body = client_api.post(
        order_url(order, "/endpoints/coating/status"), {"status": "Done"}, status=404
    )

    assert_problem(body, 404)


def test_endpoint_name_with_a_nul_character_is_404(client_api, processed_order):
    order = processed_order()

    body = client_api.post(
        order_url(order, "/endpoints/surf%00acing/status"), {"status": "Done"}, status=404
    )

    assert_problem(body, 404)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    "identifier", [pytest.param(str(uuid.uuid4()), id="unknown"), pytest.param("x", id="junk")]
)
def test_status_of_an_unknown_order_is_404(client_api, processed_order, target, identifier):
    order = processed_order()
    url = status_url(order, target).replace(str(order.public_id), identifier)

    body = client_api.post(url, {"status": "Done"}, status=404)

    assert_problem(body, 404)
    assert body["type"] == "urn:labsite:problem:order_not_found"


@pytest.mark.parametrize("target", TARGETS)
def test_status_of_an_order_not_processed_yet_is_400(client_api, new_order, target):
    order = new_order()
    before = snapshot(order)

    body = client_api.post(status_url(order, target), {"status": "Done"}, status=400)

    assert_400(body, "status", code="not_processed")
    assert body["detail"] == (
        "Order has not been processed yet: its endpoints have not received it"
    )
    assert snapshot(order) == before


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param(
            {"cancelled_at": timezone.now()}, "Order marked for cancelation", id="cancelled"
        ),
        pytest.param(
            {"state": "C", "completed_at": timezone.now()},
            "Order already completed",
            id="completed",
        ),
        pytest.param({"pending_completion": True}, "Order already completed", id="completing"),
    ],
)
def test_status_of_a_cancelled_or_completed_order_is_400(
    client_api, processed_order, target, fields, message
):
    order = processed_order()
    Order.objects.filter(pk=order.pk).update(**fields)
    before = snapshot(order)

    body = client_api.post(status_url(order, target), {"status": "Done"}, status=400)

    assert_400(body, "id")
    assert body["detail"] == message
    assert snapshot(order) == before


def test_status_of_an_order_cancelled_through_the_api_is_400(client_api, processed_order):
    order = processed_order()
    client_api.delete(order_url(order), status=204)

    body = client_api.post(order_url(order, "/status"), {"status": "Done"}, status=400)

    assert body["detail"] == "Order marked for cancelation"


def test_order_status_query_count(client_api, processed_order):
    order = processed_order(items=3)
    client_api.get(order_url(order), status=200)  # warm-up

    client_api.post(
        order_url(order, "/status"),
        {"status": "Done"},
        status=200,
        max_queries=ORDER_STATUS_QUERIES,
    )


def test_item_status_query_count(client_api, processed_order):
    order = processed_order(items=3)
    client_api.get(order_url(order), status=200)  # warm-up

    client_api.post(
        status_url(order, "item"), {"status": "Done"}, status=200, max_queries=ITEM_STATUS_QUERIES
    )


def test_endpoint_status_query_count(client_api, processed_order):
    order = processed_order(items=3)
    client_api.get(order_url(order), status=200)  # warm-up

    client_api.post(
        status_url(order, "endpoint"),
        {"status": "Done"},
        status=200,
        max_queries=ENDPOINT_STATUS_QUERIES,
    )


@pytest.mark.parametrize("target", TARGETS)
def test_status_query_count_does_not_grow_with_items(client_api, processed_order, target):
    small = processed_order(items=1)
    large = processed_order(items=10)
    client_api.get(order_url(small), status=200)  # warm-up

    # Every call reads the key, its rights and the lab settings afresh.
    client_api.post(status_url(small, target), {"status": "Done"}, status=200)
    small_queries = client_api.last_queries
    client_api.post(status_url(large, target), {"status": "Done"}, status=200)

    assert client_api.last_queries == small_queries


# --- DELETE /orders/{id} --------------------------------------------------------------------------


def test_delete_marks_the_order_for_cancelation(client_api, client_user, new_order):
    order = new_order(tray="77")
    started = timezone.now()

    assert client_api.delete(order_url(order), status=204) is None

    assert client_api.last_response.content == b""
    fresh = Order.objects.get(pk=order.pk)
    assert fresh.cancelled_by == client_user
    assert started <= fresh.cancelled_at <= timezone.now()
    assert fresh.cancel_reason is None
    assert fresh.version == order.version + 1
    [event] = events(order, "cancel")
    assert (event.actor, event.to_value, event.note) == (
        client_user,
        "Marked for cancelation",
        "tray 77 freed",
    )
    body = client_api.get(order_url(order), status=200)  # kept, with its history
    assert (body["isProcessable"], body["_v"]) == (False, order.version + 1)


def test_delete_of_a_processed_order(client_api, processed_order):
    order = processed_order()

    client_api.delete(order_url(order), status=204)

    assert Order.objects.get(pk=order.pk).cancelled_at is not None


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"items": 0, "stock_order": True}, id="unvalid"),
        pytest.param({"on_hold": True}, id="on-hold"),
    ],
)
def test_delete_of_unvalid_and_held_orders(client_api, new_order, fields):
    order = new_order(**fields)

    client_api.delete(order_url(order), status=204)

    assert Order.objects.get(pk=order.pk).cancelled_at is not None


@pytest.mark.parametrize(
    "identifier", [pytest.param(str(uuid.uuid4()), id="unknown"), pytest.param("42", id="junk")]
)
def test_delete_of_an_unknown_order_is_404(client_api, make_order, lab_settings, identifier):
    make_order(number=42)
    lab_settings(job_tracker_module_installed=False)  # the order is looked up first

    body = client_api.delete(f"/orders/{identifier}", status=404)

    assert_problem(body, 404)
    assert body["detail"] == f"No record found (Provided: {identifier})"


def assert_not_cancelled(order: Order, before: dict) -> None:
    assert snapshot(order) == before
    assert Order.objects.get(pk=order.pk).cancel_reason is None


def test_delete_with_reason_code_required_and_missing_is_400(
    client_api, new_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS")
    order = new_order()
    before = snapshot(order)

    body = client_api.delete(order_url(order), status=400)

    assert_400(body, "deleteReason", code="delete_reason_invalid")
    assert body["detail"].startswith("Delete reason code does not exist")
    assert body["errors"][0]["message"] == "Delete reason code does not exist"
    assert_not_cancelled(order, before)


@pytest.mark.parametrize(
    ("query", "body"),
    [
        pytest.param("?deleteReason=9999", None, id="unknown-in-query"),
        pytest.param("?deleteReason=", None, id="empty-in-query"),
        pytest.param("?deleteReason=OLD", None, id="inactive"),
        pytest.param("?deleteReason=cus", None, id="wrong-case"),
        pytest.param("", {"deleteReason": "9999"}, id="unknown-in-body"),
    ],
)
def test_delete_with_an_invalid_reason_code_is_400(
    client_api, new_order, make_reason, lab_settings, query, body
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS")
    make_reason("OLD", active=False)
    order = new_order()
    before = snapshot(order)

    problem = client_api.delete(order_url(order) + query, body, status=400)

    assert_400(problem, "deleteReason", code="delete_reason_invalid")
    assert problem["detail"].startswith("Delete reason code does not exist")
    assert_not_cancelled(order, before)


def test_delete_with_reason_codes_required_but_none_defined_is_400(
    client_api, new_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("OLD", active=False)
    order = new_order()
    before = snapshot(order)

    body = client_api.delete(order_url(order) + "?deleteReason=OLD", status=400)

    assert_400(body, "deleteReason", code="delete_reasons_empty")
    assert body["detail"] == "The delete reasons file is empty"
    assert_not_cancelled(order, before)


@pytest.mark.parametrize(
    ("query", "body"),
    [
        pytest.param("?deleteReason=CUS", None, id="in-query"),
        pytest.param("", {"deleteReason": "CUS"}, id="in-body"),
    ],
)
def test_delete_with_a_valid_reason_code(
    client_api, new_order, make_reason, lab_settings, query, body
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    reason = make_reason("CUS", "Customer request")
    order = new_order()

    client_api.delete(order_url(order) + query, body, status=204)

    fresh = Order.objects.get(pk=order.pk)
    assert fresh.cancel_reason == reason
    assert events(order, "cancel")[0].reason == "CUS — Customer request"


def test_delete_with_a_reason_code_the_lab_does_not_ask_for_still_cancels(
    client_api, new_order, make_reason
):
    make_reason("CUS")
    order = new_order()

    client_api.delete(order_url(order) + "?deleteReason=9999", status=204)

    fresh = Order.objects.get(pk=order.pk)
    assert fresh.cancelled_at is not None
    assert fresh.cancel_reason is None


def test_delete_without_the_job_tracker_module_is_400(client_api, new_order, lab_settings):
    lab_settings(job_tracker_module_installed=False)
    order = new_order()
    before = snapshot(order)

    body = client_api.delete(order_url(order), status=400)

    assert_400(body, "id", code="job_tracker_required")
    assert body["detail"] == "Job Tracker module required for cancel method"
    assert_not_cancelled(order, before)


def test_delete_after_a_non_cancel_station_is_400(client_api, new_order, make_station, check_in):
    order = new_order()
    check_in(order, make_station("COAT", non_cancel=True))
    check_in(order, make_station("QA"))
    before = snapshot(order)

    body = client_api.delete(order_url(order), status=400)

    assert_400(body, "id", code="non_cancel_station")
    assert body["detail"] == "Order has been through a non-cancel station"
    assert_not_cancelled(order, before)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"state": "C", "completed_at": timezone.now()}, id="completed"),
        pytest.param({"pending_completion": True}, id="pending-completion"),
        pytest.param({"cancelled_at": timezone.now()}, id="already-cancelled"),
    ],
)
def test_delete_of_a_completed_or_cancelled_order_is_400(client_api, new_order, fields):
    order = new_order(**fields)
    before = snapshot(order)

    body = client_api.delete(order_url(order), status=400)

    assert_400(body, "id", code="order_completed")
    assert body["detail"] == "Order already completed"
    assert snapshot(order) == before


def test_second_delete_of_the_same_order_is_400(client_api, new_order):
    order = new_order()
    client_api.delete(order_url(order), status=204)

    body = client_api.delete(order_url(order), status=400)

    assert body["detail"] == "Order already completed"
    assert len(events(order, "cancel")) == 1


def test_delete_rules_are_checked_in_the_v2_order(
    client_api, new_order, make_station, check_in, lab_settings, make_reason
):
    """Tracker module, then completed, then reasons file, then the code, then the station."""
    order = new_order(pending_completion=True)
    check_in(order, make_station("COAT", non_cancel=True))
    lab_settings(job_tracker_module_installed=False, enter_reason_code_when_deleting_order=True)
    url = order_url(order) + "?deleteReason=CUS"

    assert client_api.delete(url, status=400)["detail"] == (
        "Job Tracker module required for cancel method"
    )
    lab_settings(job_tracker_module_installed=True)
    assert client_api.delete(url, status=400)["detail"] == "Order already completed"
    Order.objects.filter(pk=order.pk).update(pending_completion=False)
    assert client_api.delete(url, status=400)["detail"] == "The delete reasons file is empty"
    make_reason("OTH")
    assert client_api.delete(url, status=400)["detail"].startswith(
        "Delete reason code does not exist"
    )
    make_reason("CUS")
    assert client_api.delete(url, status=400)["detail"] == (
        "Order has been through a non-cancel station"
    )


@pytest.mark.parametrize(
    ("query", "body", "member"),
    [
        pytest.param("", ["CUS"], "body", id="body-a-list"),
        pytest.param("", {"deleteReason": ["CUS"]}, "deleteReason", id="reason-a-list"),
        pytest.param("", {"deleteReason": True}, "deleteReason", id="reason-a-boolean"),
        pytest.param("?deleteReason=C%00S", None, "deleteReason", id="reason-with-nul"),
    ],
)
def test_delete_with_a_malformed_reason_is_400(
    client_api, new_order, make_reason, lab_settings, query, body, member
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS")
    order = new_order()
    before = snapshot(order)

    problem = client_api.delete(order_url(order) + query, body, status=400)

    assert_400(problem, member)
    assert snapshot(order) == before


def test_delete_with_a_reason_of_the_longest_description(
    client_api, new_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    reason = make_reason("CUS", "d" * 200)
    order = new_order()

    client_api.delete(order_url(order) + "?deleteReason=CUS", status=204)

    assert Order.objects.get(pk=order.pk).cancel_reason == reason


def test_delete_query_count(client_api, new_order, make_reason, lab_settings):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS")
    small = new_order(items=1)
    large = new_order(items=10)
    client_api.get(order_url(small), status=200)  # warm-up

    # Every call reads the key, its rights and the lab settings afresh.
    client_api.delete(
        order_url(small) + "?deleteReason=CUS", status=204, max_queries=DELETE_QUERIES
    )
    small_queries = client_api.last_queries
    client_api.delete(
        order_url(large) + "?deleteReason=CUS", status=204, max_queries=DELETE_QUERIES
    )

    assert client_api.last_queries == small_queries


# --- rights ---------------------------------------------------------------------------------------

# name: (method, url of an order, body for an order, the right it needs, status on success).
# The process call needs an order not processed yet, the status calls a processed one.
CALLS = {
    "process": ("post", lambda o: "/orders", lambda o: {"ids": [str(o.public_id)]}, PROCESS, 200),
    "order-status": (
        "post",
        lambda o: status_url(o, "order"),
        lambda o: {"status": "Done"},
        UPDATE,
        200,
    ),
    "item-status": (
        "post",
        lambda o: status_url(o, "item"),
        lambda o: {"status": "Done"},
        UPDATE,
        200,
    ),
    "endpoint-status": (
        "post",
        lambda o: status_url(o, "endpoint"),
        lambda o: {"status": "Done"},
        UPDATE,
        200,
    ),
    "delete": ("delete", lambda o: order_url(o), lambda o: None, DELETE, 204),
}

LACKING = [
    pytest.param(call, granted, id=f"{call}-with-{ALL_RIGHTS[granted] if granted else 'nothing'}")
    for call, (_, _, _, needed, _) in CALLS.items()
    for granted in (None, *ALL_RIGHTS)
    if granted != needed
]


def order_for(call: str, new_order, processed_order) -> Order:
    return new_order() if call in ("process", "delete") else processed_order()


@pytest.mark.parametrize(("call", "granted"), LACKING)
def test_call_without_its_right_is_403(
    make_user, api_for, new_order, processed_order, call, granted
):
    method, url, body, needed, _ = CALLS[call]
    api = api_for(make_user(rights=(granted,) if granted else ()), scheme="Bearer")
    order = order_for(call, new_order, processed_order)
    before = snapshot(order)

    problem = api.call(method, url(order), body(order), status=403)

    assert_problem(problem, 403, error_code=2)
    assert problem["detail"] == f"Requires right {ALL_RIGHTS[needed]}"
    assert api.last_response["Content-Type"] == "application/problem+json"
    assert snapshot(order) == before


@pytest.mark.parametrize("call", list(CALLS))
def test_call_with_exactly_its_right_succeeds(make_user, api_for, new_order, processed_order, call):
    method, url, body, needed, success = CALLS[call]
    api = api_for(make_user(rights=(needed,)), scheme="Bearer")
    order = order_for(call, new_order, processed_order)

    api.call(method, url(order), body(order), status=success)


def test_forbidden_call_is_403_before_the_order_is_looked_up(no_rights_api):
    body = no_rights_api.delete(f"/orders/{uuid.uuid4()}", status=403)

    assert body["detail"] == "Requires right orderDelete"


def test_reads_need_the_right_to_view_orders(no_rights_api, api_for, make_user, new_order):
    order = new_order()
    viewer = api_for(make_user(rights=("orders.view_order",)), scheme="Bearer")

    for path in (order_url(order), "/orders"):
        refused = no_rights_api.get(path, status=403)
        assert refused["detail"] == "Requires right orders.view_order"
        assert refused["errorCode"] == 2
    viewer.get(order_url(order), status=200)
    body = viewer.get("/orders", status=200)

    assert [entry["id"] for entry in body["items"]] == [str(order.public_id)]


# --- authentication -------------------------------------------------------------------------------

AUTH_CALLS = [
    pytest.param("get", lambda o: order_url(o), None, id="get-order"),
    pytest.param("get", lambda o: "/orders", None, id="query-orders"),
    pytest.param("post", lambda o: "/orders", {"ids": []}, id="process"),
    pytest.param("post", lambda o: status_url(o, "order"), {"status": "Done"}, id="order-status"),
    pytest.param("post", lambda o: status_url(o, "item"), {"status": "Done"}, id="item-status"),
    pytest.param(
        "post", lambda o: status_url(o, "endpoint"), {"status": "Done"}, id="endpoint-status"
    ),
    pytest.param("delete", lambda o: order_url(o), None, id="delete"),
]


@pytest.mark.parametrize(("method", "url", "body"), AUTH_CALLS)
def test_no_authorization_is_401(anonymous_api, processed_order, method, url, body):
    order = processed_order()
    before = snapshot(order)

    problem = anonymous_api.call(method, url(order), body, status=401)

    assert_problem(problem, 401, error_code=1)
    assert anonymous_api.last_response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer lab_not-a-key", id="unknown-key"),
        pytest.param("Bearer", id="scheme-only"),
        pytest.param("Bearer ", id="scheme-and-space"),
        pytest.param("Basic dXNlcjpwYXNz", id="basic"),
        pytest.param("lab_xyz", id="no-scheme"),
        pytest.param("Bearer " + "x" * 201, id="overlong"),
    ],
)
@pytest.mark.parametrize(("method", "url", "body"), AUTH_CALLS)
def test_invalid_authorization_is_401(anonymous_api, processed_order, method, url, body, header):
    order = processed_order()

    problem = anonymous_api.call(
        method, url(order), body, status=401, headers={"HTTP_AUTHORIZATION": header}
    )

    assert_problem(problem, 401, error_code=1)


def test_revoked_and_expired_keys_are_401(make_user, api_for, new_order):
    from accounts.models import ApiKey

    order = new_order()
    user = make_user("Lab clients")
    revoked = api_for(user, scheme="Bearer")
    ApiKey.objects.filter(user=user).update(revoked_at=timezone.now())
    expired = api_for(user, scheme="Bearer")
    ApiKey.objects.filter(user=user, revoked_at__isnull=True).update(expires_at=timezone.now())

    assert_problem(revoked.get(order_url(order), status=401), 401, error_code=1)
    assert_problem(expired.get(order_url(order), status=401), 401, error_code=1)


@pytest.mark.parametrize("scheme", ["Bearer", "Token", "bearer", "TOKEN"])
def test_both_schemes_work(make_user, api_for, new_order, scheme):
    api = api_for(make_user("Lab clients"), scheme=scheme)
    order = new_order()

    api.get(order_url(order), status=200)
    api.post("/orders", {"ids": [str(order.public_id)]}, status=200)
    api.delete(order_url(order), status=204)

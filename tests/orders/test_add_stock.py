"""The legacy ``POST /api/orders/addStock`` (contracts/rx-orders.md, *Stock orders*): JSON and
form bodies, each refusal in the contract's words and order, all or nothing, the right."""

from decimal import Decimal

import pytest

from orders.models import Order, Product

pytestmark = pytest.mark.django_db

URL = "/api/orders/addStock"


@pytest.fixture(autouse=True)
def catalogue(make_customer):
    make_customer(
        "C1",
        ship_to_name="Brightview",
        ship_to_address1="12 High Street",
        ship_to_postal_code="LS1 4AB",
    )
    Product.objects.create(code="4011-67", kind="lens", description="PROG 1.67", price=Decimal(42))
    Product.objects.create(code="0887654", kind="frame", description="Aviator", price=Decimal(90))
    Product.objects.create(code="NOPRICE", kind="other", description="Cloth")


def refused(api, body, text: str, **options) -> None:
    before = Order.objects.count()
    assert api.post(URL, body, status=400, **options) == {"error": text}
    assert Order.objects.count() == before


def test_a_json_stock_order_is_created_valid_with_its_products(supervisor_api):
    body = supervisor_api.post(
        URL,
        {
            "customer": "C1",
            "patient": "A. Smith",
            "job": "J-7",
            "tray": "321",
            "item1": "4011-67",
            "quantity1": 2,
            "item2": "0887654",
            "REM": "Ship Friday",
        },
        status=200,
    )

    order = Order.objects.get()
    assert body == {"orderNumber": str(order.number), "result": "successful"}
    assert (order.stock_order, order.state, order.tray, order.instructions) == (
        True,
        "V",
        "321",
        "Ship Friday",
    )
    assert [(i.sku, i.name, i.quantity) for i in order.items.all()] == [
        ("4011-67", "PROG 1.67", 2),
        ("0887654", "Aviator", 1),
    ]
    # Ship-to: the customer's, as none was given.
    assert (order.ship_to_name, order.ship_to_address1, order.ship_to_postal_code) == (
        "Brightview",
        "12 High Street",
        "LS1 4AB",
    )
    fetched = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)
    assert fetched["stockOrder"] is True


def test_a_form_stock_order_with_its_own_ship_to(supervisor_api):
    response = supervisor_api.client.post(
        URL,
        {"customer": "C1", "item1": "4011-67", "shipToName": "Patient at home"},
        **supervisor_api.headers,
    )

    assert response.status_code == 200, response.content
    order = Order.objects.get()
    assert (order.ship_to_name, order.ship_to_address1) == ("Patient at home", "")


def test_a_stock_order_prints_no_ticket(supervisor_api):
    number = supervisor_api.post(URL, {"customer": "C1", "item1": "4011-67"}, status=200)[
        "orderNumber"
    ]

    body = supervisor_api.post(f"/api/v2/orders/{number}/print_ticket", {}, status=400)

    assert body == {
        "error": "Printing request rejected",
        "details": ["Order is a stock order and there is no work ticket"],
    }


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"customer": "C404", "item1": "4011-67"}, "customer C404 not found"),
        ({"item1": "4011-67"}, "customer  not found"),
        ({"customer": "C1"}, "no items"),
        ({"customer": "C1", "item1": "NOPE"}, "item NOPE pricing not found"),
        ({"customer": "C1", "item1": "NOPRICE"}, "item NOPRICE pricing not found"),
        (
            {"customer": "C1", "item1": "4011-67", "quantity1": "0"},
            "quantity1 must be a whole number from 1 to 999",
        ),
        (
            {"customer": "C1", "item1": "4011-67", "item3": "0887654", "quantity3": "2.5"},
            "quantity3 must be a whole number from 1 to 999",
        ),
        ({"customer": "C1", "item1": "4011-67", "tray": "12a"}, "tray 12a is not valid"),
    ],
)
def test_each_refusal_in_the_contract_s_words(supervisor_api, body, text):
    refused(supervisor_api, body, text)


def test_a_tray_in_use_is_not_valid(supervisor_api, make_order):
    make_order(tray="55")

    refused(
        supervisor_api, {"customer": "C1", "item1": "4011-67", "tray": "55"}, "tray 55 is not valid"
    )


@pytest.mark.parametrize(
    ("body", "text"),
    [
        pytest.param(
            {"customer": "C404", "item1": "NOPE", "tray": "x"},
            "customer C404 not found",
            id="customer first",
        ),
        pytest.param({"customer": "C1", "tray": "x"}, "no items", id="items before tray"),
        pytest.param(
            {"customer": "C1", "item1": "NOPE", "quantity1": "0"},
            "item NOPE pricing not found",
            id="pricing before quantity",
        ),
        pytest.param(
            {"customer": "C1", "item1": "4011-67", "quantity1": "0", "tray": "x"},
            "quantity1 must be a whole number from 1 to 999",
            id="quantity before tray",
        ),
    ],
)
def test_the_first_refusal_answers(supervisor_api, body, text):
    refused(supervisor_api, body, text)


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"customer": "C1", "item1": "4011-67", "colour": "red"}, "unknown field colour"),
        ({"customer": ["C1"], "item1": "4011-67"}, "customer must be text"),
        ({"customer": 12, "item1": "4011-67"}, "customer must be text"),
        ({"customer": "C1", "item1": "4011-67", "quantity1": True}, "quantity1 must be text"),
        (
            {"customer": "C1", "item1": "4011-67", "patient": "x" * 101},
            "patient must have at most 100 characters",
        ),
        ({"customer": "C1", "item1": "4011-67\x00"}, "item1 must not contain NUL"),
    ],
)
def test_bad_input_is_a_legacy_400(supervisor_api, body, text):
    refused(supervisor_api, body, text)


def test_a_body_that_is_not_an_object_is_refused(supervisor_api):
    refused(supervisor_api, ["C1"], "the body must be a form or a JSON object")


def test_malformed_json_is_a_legacy_400(supervisor_api):
    body = supervisor_api.post(URL, raw="{", status=400)

    assert list(body) == ["error"]
    assert body["error"].startswith("Malformed request body")


def test_without_a_key_it_is_401_in_the_legacy_shape(db):
    from django.test import Client

    response = Client().post(URL, {"customer": "C1"}, content_type="application/json")

    assert (response.status_code, response.json()) == (401, {"error": "Authentication required"})


def test_it_needs_its_right(no_rights_api):
    body = no_rights_api.post(URL, {"customer": "C1", "item1": "4011-67"}, status=403)

    assert body == {"error": "Permission denied: Requires: orders.add_stock_order"}


def test_lab_clients_may_order_stock(client_api):
    client_api.post(URL, {"customer": "C1", "item1": "4011-67"}, status=200)


def test_an_unknown_route_under_the_legacy_root_is_a_legacy_404(supervisor_api):
    assert supervisor_api.get("/api/orders/nothing", status=404) == {"error": "Not found"}


def test_json_nested_too_deeply_is_a_legacy_400(supervisor_api):
    body = supervisor_api.post(URL, raw="[" * 100_000 + "]" * 100_000, status=400)

    assert list(body) == ["error"]
    assert "nested too deeply" in body["error"]


def test_a_body_that_stops_short_is_a_legacy_400():
    from tests.security.test_unreadable_requests import StalledBody, call_wsgi

    status, _, content = call_wsgi(
        "POST", URL, "", "application/json", b"", body=StalledBody(b'{"cust')
    )

    assert (status, content) == (400, b'{"error": "The request body did not arrive in full."}')

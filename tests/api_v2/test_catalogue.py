"""Lab API v2 customers and addons (contracts/rx-orders.md): lists with limit/offset,
``?active`` on customers, creation and changes checked by the models' rules, the record's
name read-only, an addon some order has deactivated instead of deleted."""

import pytest

from orders.models import Addon, Customer

pytestmark = pytest.mark.django_db

CUSTOMERS = "/api/v2/customers"
ADDONS = "/api/v2/addons"


def invalid(*details: str) -> dict:
    return {"error": "Incorrect arguments provided", "details": list(details)}


def not_found(provided: str) -> dict:
    return {"error": "No record found", "details": [f"Provided: {provided}"]}


def customer_shown(number: str, name: str, *, active: bool = True, **ship_to) -> dict:
    return {
        "number": number,
        "name": name,
        "shipToName": "",
        "shipToAddress1": "",
        "shipToAddress2": "",
        "shipToAddress3": "",
        "shipToAddress4": "",
        "shipToPostalCode": "",
        "active": active,
    } | ship_to


@pytest.fixture
def customers(make_customer):
    make_customer("C1", name="Brightview")
    make_customer("C2", name="Clear Sight", active=False)
    make_customer("C3", name="Harbour Vision")


# --- customers ----------------------------------------------------------------------------------


def test_list_customers_by_number(supervisor_api, customers):
    # Key lookup + key last-used write + the rights query + count + page.
    body = supervisor_api.get(CUSTOMERS, status=200, max_queries=5)

    assert body == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [
            customer_shown("C1", "Brightview"),
            customer_shown("C2", "Clear Sight", active=False),
            customer_shown("C3", "Harbour Vision"),
        ],
    }


@pytest.mark.parametrize(("active", "numbers"), [("true", ["C1", "C3"]), ("false", ["C2"])])
def test_list_customers_filtered_by_activity(supervisor_api, customers, active, numbers):
    body = supervisor_api.get(f"{CUSTOMERS}?active={active}", status=200)

    assert [customer["number"] for customer in body["results"]] == numbers
    assert body["count"] == len(numbers)


def test_an_unknown_activity_filter_is_400(supervisor_api, customers):
    body = supervisor_api.get(f"{CUSTOMERS}?active=yes", status=400)

    assert body == invalid("active: must be true or false")


def test_list_customers_pages(supervisor_api, customers):
    body = supervisor_api.get(f"{CUSTOMERS}?limit=1&offset=1", status=200)

    assert body["results"] == [customer_shown("C2", "Clear Sight", active=False)]
    assert body["next"] == "http://testserver/api/v2/customers?limit=1&offset=2"


def test_create_a_customer(supervisor_api):
    body = supervisor_api.post(
        CUSTOMERS,
        {
            "number": "C1001",
            "name": "Brightview Opticians",
            "shipToAddress1": "12 High Street",
            "shipToPostalCode": "LS1 4AB",
        },
        status=201,
    )

    assert body == customer_shown(
        "C1001",
        "Brightview Opticians",
        shipToAddress1="12 High Street",
        shipToPostalCode="LS1 4AB",
    )
    assert Customer.objects.get(number="C1001").ship_to_postal_code == "LS1 4AB"


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"name": "No number"}, ["number: This field is required."]),
        (
            {"number": "C123456789", "name": "x"},
            ["number: Ensure this field has no more than 8 characters."],
        ),
        ({"number": 12, "name": "x"}, ["number: Not a valid string."]),
        ({"number": "C1", "name": "Taken"}, ["number: Customer with this Number already exists."]),
        ({"number": "C9", "name": "x", "colour": "red"}, ["colour: unknown field"]),
    ],
)
def test_create_a_customer_refused(supervisor_api, customers, body, details):
    assert supervisor_api.post(CUSTOMERS, body, status=400) == invalid(*details)


def test_fetch_a_customer(supervisor_api, customers):
    assert supervisor_api.get(f"{CUSTOMERS}/C3", status=200) == customer_shown(
        "C3", "Harbour Vision"
    )


def test_customer_numbers_are_case_sensitive(supervisor_api, customers):
    assert supervisor_api.get(f"{CUSTOMERS}/c1", status=404) == not_found("c1")


def test_change_a_customer_and_deactivate_it(supervisor_api, customers):
    body = supervisor_api.patch(
        f"{CUSTOMERS}/C1", {"name": "Brightview Ltd", "active": False}, status=200
    )

    assert body == customer_shown("C1", "Brightview Ltd", active=False)
    assert not Customer.objects.get(number="C1").active


def test_a_customer_number_cannot_be_changed(supervisor_api, customers):
    body = supervisor_api.patch(f"{CUSTOMERS}/C1", {"number": "C9"}, status=400)

    assert body == invalid("number: cannot be changed")


def test_customers_are_not_deleted_over_the_api(supervisor_api, customers):
    supervisor_api.delete(f"{CUSTOMERS}/C1", status=405)

    assert Customer.objects.filter(number="C1").exists()


def test_client_systems_read_customers_but_do_not_change_them(client_api, customers):
    client_api.get(CUSTOMERS, status=200)
    body = client_api.post(CUSTOMERS, {"number": "C9", "name": "x"}, status=403)

    assert body == {"error": "Permission denied", "details": ["Requires: orders.add_customer"]}


def test_an_order_for_a_new_customer_is_taken_once_the_customer_exists(supervisor_api):
    supervisor_api.post(CUSTOMERS, {"number": "C77", "name": "New practice"}, status=201)

    body = supervisor_api.post(
        "/api/v2/orders",
        {
            "customerNumber": "C77",
            "customerJobId": "J-1",
            "poNumber": "PO-1",
            "jobType": "A",
            "addons": [],
        },
        status=400,
    )

    assert body["error"] == "No addons entered"  # past the customer check


# --- addons -------------------------------------------------------------------------------------


def addon_shown(code: str, desc: str, **flags) -> dict:
    return {
        "code": code,
        "desc": desc,
        "externalCode": "",
        "excludeFromRxSite": False,
        "isAR": False,
        "isBackside": False,
        "isMirror": False,
        "isTint": False,
        "isUV": False,
        "requiresDropBall": False,
        "requiresEtching": False,
        "requiresHarden": False,
        "requiresPolish": False,
        "active": True,
    } | flags


@pytest.fixture
def addons(db):
    Addon.objects.create(code="AR-SUP", description="Super AR", is_ar=True)
    Addon.objects.create(code="TINT-G", description="Grey tint", is_tint=True)


def test_list_addons_by_code(supervisor_api, addons):
    body = supervisor_api.get(ADDONS, status=200, max_queries=5)

    assert body["results"] == [
        addon_shown("AR-SUP", "Super AR", isAR=True),
        addon_shown("TINT-G", "Grey tint", isTint=True),
    ]


def test_fetch_an_addon_and_an_unknown_one(supervisor_api, addons):
    assert supervisor_api.get(f"{ADDONS}/TINT-G", status=200) == addon_shown(
        "TINT-G", "Grey tint", isTint=True
    )
    assert supervisor_api.get(f"{ADDONS}/NOPE", status=404) == not_found("NOPE")


def test_create_an_addon(supervisor_api):
    body = supervisor_api.post(
        ADDONS,
        {"code": "POL", "desc": "Edge polish", "requiresPolish": True, "externalCode": "X-9"},
        status=201,
    )

    assert body == addon_shown("POL", "Edge polish", requiresPolish=True, externalCode="X-9")


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"code": "AR-SUP", "desc": "Again"}, ["code: addon AR-SUP already exists"]),
        ({"code": "A B", "desc": "x"}, ["code: use letters, digits, '-' or '_'"]),
        ({"code": "X", "desc": "x", "isAR": "yes"}, ["isAR: Must be a valid boolean."]),
        ({"code": "X"}, ["desc: This field is required."]),
    ],
)
def test_create_an_addon_refused(supervisor_api, addons, body, details):
    assert supervisor_api.post(ADDONS, body, status=400) == invalid(*details)


def test_change_an_addon(supervisor_api, addons):
    body = supervisor_api.patch(f"{ADDONS}/TINT-G", {"desc": "Grey 85 %", "isUV": True}, status=200)

    assert body == addon_shown("TINT-G", "Grey 85 %", isTint=True, isUV=True)


def test_an_addon_code_cannot_be_changed(supervisor_api, addons):
    assert supervisor_api.patch(f"{ADDONS}/TINT-G", {"code": "T2"}, status=400) == invalid(
        "code: cannot be changed"
    )


def test_an_unused_addon_is_deleted(supervisor_api, addons):
    supervisor_api.delete(f"{ADDONS}/TINT-G", status=204)

    assert not Addon.objects.filter(code="TINT-G").exists()


def test_an_addon_an_order_has_is_deactivated_not_deleted(supervisor_api, addons, make_order):
    make_order(job_type="A", eyes={}, addons=["TINT-G"])

    body = supervisor_api.delete(f"{ADDONS}/TINT-G", status=200)

    assert body == addon_shown("TINT-G", "Grey tint", isTint=True, active=False)
    refused = supervisor_api.post(
        "/api/v2/orders",
        {
            "customerNumber": "C-SEC",
            "customerJobId": "J-1",
            "poNumber": "PO-1",
            "jobType": "A",
            "addons": ["TINT-G"],
        },
        status=400,
    )
    assert refused == invalid("addons: unknown or inactive addon code(s): TINT-G")


def test_client_systems_read_addons(client_api, addons):
    assert client_api.get(f"{ADDONS}/AR-SUP", status=200)["isAR"] is True
    body = client_api.delete(f"{ADDONS}/AR-SUP", status=403)
    assert body == {"error": "Permission denied", "details": ["Requires: orders.delete_addon"]}

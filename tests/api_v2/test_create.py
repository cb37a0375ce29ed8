"""POST /api/v2/orders: create an order (our extension of the vendor's API)."""

from django.utils import timezone

import pytest

from orders.models import Order, OrderEvent
from tests.jobs import A_LENS_JSON, job_json

from .rx_fields import A_LENS_SHOWN

pytestmark = pytest.mark.django_db

URL = "/api/v2/orders"

# Measured for a one-item job with two endpoints and no order number given, once the number
# sequence exists: key lookup + key last-used write + 2 rights queries + savepoint, the lab
# settings, the customer, the duplicate check, sequence lock, numbers taken, sequence update,
# order, its eye, item, endpoints, event, the webhook subscriptions that may want the event
# (none here), release; then the order's payload. Creation writes per item: the ceiling is per
# shape.
CREATE_ONE_ITEM_QUERY_CEILING = 18

ONE_ITEM = [{"sku": "L-1"}]


def invalid(*details: str) -> dict:
    return {"error": "Incorrect arguments provided", "details": list(details)}


@pytest.fixture(autouse=True)
def customers(make_customer, job_customer):
    """The customers the orders here name."""
    return [make_customer("C1"), make_customer("C2"), job_customer]


# --- success ------------------------------------------------------------------------------------


def test_create_answers_201_with_the_full_order(supervisor_api):
    body = supervisor_api.post(
        URL,
        {
            **A_LENS_JSON,
            "orderNumber": "20001",
            "trayNumber": "12",
            "poNumber": "PO-20001",
            "customerNumber": "C1",
            "customerJobId": "J1",
            "patient": "Doe, Jane",
            "jobType": "E",
            "dateOrdered": "2026-11-01",
            "dateWanted": "2026-12-01",
            "requiresArCoat": True,
            "requiresFinalQa": True,
            "items": [
                {
                    "sku": "L-1",
                    "name": "Left",
                    "quantity": 2,
                    "endpoints": ["surfacing", "coating"],
                },
                {"sku": "R-1"},
            ],
        },
        status=201,
    )

    order = Order.objects.get(number=20001)
    left, right = order.items.order_by("id")
    assert body == {
        "orderNumber": "20001",
        "trayNumber": "12",
        "poNumber": "PO-20001",
        "calculationDesc": "Calculations not done",
        "createdDevice": "key for sam",
        "createdUser": "sam",
        "currentStation": None,
        "currentStationCustomerDesc": None,
        "currentStationDateTime": None,
        "currentStationDesc": None,
        "customerJobId": "J1",
        "customerNumber": "C1",
        "dateCompleted": None,
        "dateOrdered": "2026-11-01",
        "dateReceived": timezone.localdate(order.received_at).isoformat(),
        "dateTimeValid": timezone.localdate(order.valid_at).isoformat(),
        "dateWanted": "2026-12-01",
        "items": [
            {
                "id": left.id,
                "sku": "L-1",
                "name": "Left",
                "quantity": 2,
                "status": "New",
                "endpoints": [
                    {"name": "surfacing", "status": "New"},
                    {"name": "coating", "status": "New"},
                ],
            },
            {
                "id": right.id,
                "sku": "R-1",
                "name": "",
                "quantity": 1,
                "status": "New",
                "endpoints": [],
            },
        ],
        "jobType": "E",
        "onHold": False,
        "patient": "Doe, Jane",
        "pendingCompletion": False,
        "requiresArCoat": True,
        "requiresBacksideCoat": False,
        "requiresDropBall": False,
        "requiresEtching": False,
        "requiresFinalQa": True,
        "requiresHardCoat": False,
        "requiresMirror": False,
        "requiresPolish": False,
        "requiresTint": False,
        "requiresUv": False,
        "status": "V",
        "statusDesc": "Valid",
        "stockOrder": False,
        "unvalidMessage": None,
        **A_LENS_SHOWN,
    }


def test_created_order_can_be_fetched_as_it_was_answered(supervisor_api):
    created = supervisor_api.post(
        URL, job_json(**{"trayNumber": "8", "items": ONE_ITEM}), status=201
    )

    fetched = supervisor_api.get(f"/api/v2/orders/{created['orderNumber']}", status=200)

    assert fetched == created


def test_order_number_is_assigned_from_the_sequence_when_not_given(supervisor_api):
    first = supervisor_api.post(URL, job_json(**{"items": ONE_ITEM}), status=201)
    second = supervisor_api.post(URL, job_json(**{"items": ONE_ITEM}), status=201)

    assert (first["orderNumber"], second["orderNumber"]) == ("10001", "10002")


def test_sequence_skips_numbers_already_taken(supervisor_api, make_order):
    make_order(number=10001)
    make_order(number=10002)

    body = supervisor_api.post(URL, job_json(**{"items": ONE_ITEM}), status=201)

    assert body["orderNumber"] == "10003"


def test_explicit_order_number_is_kept(supervisor_api):
    body = supervisor_api.post(
        URL, job_json(**{"orderNumber": "99999999", "items": ONE_ITEM}), status=201
    )

    assert body["orderNumber"] == "99999999"
    assert Order.objects.filter(number=99_999_999).exists()


def test_no_flow_requirements_unless_asked_for(supervisor_api):
    body = supervisor_api.post(URL, job_json(**{"items": ONE_ITEM}), status=201)

    assert not any(value for key, value in body.items() if key.startswith("requires"))


@pytest.mark.parametrize("field", ["customerNumber", "customerJobId", "poNumber", "jobType"])
def test_the_vendor_s_required_fields_are_required(supervisor_api, field):
    body = job_json()
    del body[field]

    answer = supervisor_api.post(URL, body, status=400)

    assert answer == invalid(f"{field}: This field is required.")
    assert not Order.objects.exists()


def test_a_customer_job_id_has_at_most_21_characters(supervisor_api):
    answer = supervisor_api.post(URL, job_json(customerJobId="J" * 22), status=400)

    assert answer == invalid("customerJobId: Ensure this field has no more than 21 characters.")


def test_a_job_without_items_is_valid(supervisor_api):
    body = supervisor_api.post(URL, job_json(), status=201)

    assert (body["status"], body["statusDesc"], body["unvalidMessage"]) == ("V", "Valid", None)
    assert body["items"] == []


def test_duplicate_customer_job_id_for_the_same_customer_is_unvalid(supervisor_api, make_order):
    other = make_order(customer_number="C1", customer_job_id="J1")

    body = supervisor_api.post(
        URL,
        job_json(**{"customerNumber": "C1", "customerJobId": "J1", "items": ONE_ITEM}),
        status=201,
    )

    assert (body["status"], body["statusDesc"]) == ("U", "Unvalid")
    assert (
        body["unvalidMessage"]
        == f"Duplicate customer job id J1 for customer C1: order {other.number}"
    )


def test_same_customer_job_id_for_another_customer_is_valid(supervisor_api, make_order):
    make_order(customer_number="C1", customer_job_id="J1")

    body = supervisor_api.post(
        URL,
        job_json(**{"customerNumber": "C2", "customerJobId": "J1", "items": ONE_ITEM}),
        status=201,
    )

    assert (body["status"], body["unvalidMessage"]) == ("V", None)


def test_customer_job_id_of_a_cancelled_order_may_be_reused(supervisor_api, make_order):
    make_order(customer_number="C1", customer_job_id="J1", cancelled_at=timezone.now())

    body = supervisor_api.post(
        URL,
        job_json(**{"customerNumber": "C1", "customerJobId": "J1", "items": ONE_ITEM}),
        status=201,
    )

    assert (body["status"], body["unvalidMessage"]) == ("V", None)


def test_tray_of_a_completed_order_may_be_reused(supervisor_api, make_order):
    make_order(tray="12", state="C")

    body = supervisor_api.post(URL, job_json(**{"trayNumber": "12", "items": ONE_ITEM}), status=201)

    assert body["trayNumber"] == "12"


def test_tray_of_a_cancelled_order_may_be_reused(supervisor_api, make_order):
    make_order(tray="12", cancelled_at=timezone.now())

    body = supervisor_api.post(URL, job_json(**{"trayNumber": "12", "items": ONE_ITEM}), status=201)

    assert body["trayNumber"] == "12"


def test_creation_is_recorded_in_the_order_history(supervisor_api, supervisor):
    body = supervisor_api.post(URL, job_json(**{"items": ONE_ITEM}), status=201)

    event = OrderEvent.objects.get(order__number=int(body["orderNumber"]))
    assert (event.kind, event.actor, event.actor_name, event.from_value, event.to_value) == (
        "created",
        supervisor,
        "sam",
        "",
        "Valid",
    )


def test_creation_of_an_unvalid_order_records_why(supervisor_api, make_order):
    original = make_order(customer_number="C1", customer_job_id="J1")

    body = supervisor_api.post(
        URL, job_json(**{"customerNumber": "C1", "customerJobId": "J1"}), status=201
    )

    event = OrderEvent.objects.get(order__number=int(body["orderNumber"]))
    assert (event.kind, event.to_value, event.note) == (
        "created",
        "Unvalid",
        f"Duplicate customer job id J1 for customer C1: order {original.number}",
    )


def test_lab_clients_may_create(client_api):
    body = client_api.post(URL, job_json(**{"items": ONE_ITEM}), status=201)

    assert (body["createdUser"], body["createdDevice"]) == ("rx-client", "key for rx-client")


def test_create_without_the_right_is_403(no_rights_api):
    body = no_rights_api.post(URL, job_json(**{"items": ONE_ITEM}), status=403)

    assert body == {"error": "Permission denied", "details": ["Requires: orders.add_order"]}
    assert not Order.objects.exists()


def test_create_stays_under_the_query_ceiling(supervisor_api, make_order):
    make_order()  # the number sequence exists, as in any lab that has been running

    supervisor_api.post(
        URL,
        job_json(**{"items": [{"sku": "L-1", "endpoints": ["surfacing", "coating"]}]}),
        status=201,
        max_queries=CREATE_ONE_ITEM_QUERY_CEILING,
    )


# --- validation errors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "details"),
    [
        pytest.param(
            {"orderNumber": "0123"}, ["orderNumber: must not start with 0"], id="number-leading-0"
        ),
        pytest.param(
            {"orderNumber": "12a45"},
            ["orderNumber: must contain digits only"],
            id="number-non-digit",
        ),
        pytest.param(
            {"orderNumber": "-1"}, ["orderNumber: must contain digits only"], id="number-negative"
        ),
        pytest.param(
            {"orderNumber": "123456789"},
            ["orderNumber: must have at most 8 digits"],
            id="number-9-digits",
        ),
        pytest.param(
            {"trayNumber": "12a"}, ["trayNumber: must contain digits only"], id="tray-non-digit"
        ),
        pytest.param(
            {"trayNumber": "123456"}, ["trayNumber: must have at most 5 digits"], id="tray-6-digits"
        ),
        pytest.param(
            {"poNumber": "P" * 21}, ["poNumber: must have at most 20 characters"], id="po-21-chars"
        ),
        pytest.param({"colour": "blue"}, ["colour: unknown field"], id="unknown-field"),
        pytest.param({"jobType": "Z"}, ['jobType: "Z" is not a valid choice.'], id="job-type-z"),
        pytest.param(
            {"items": [{"sku": "L-1", "quantity": 0}]},
            ["items[0].quantity: Ensure this value is greater than or equal to 1."],
            id="quantity-0",
        ),
        pytest.param(
            {"items": "L-1"},
            ['items: Expected a list of items but got type "str".'],
            id="items-not-a-list",
        ),
        pytest.param(
            {"requiresTint": "yes"}, ["requiresTint: Must be a valid boolean."], id="flag-yes"
        ),
        pytest.param({"requiresTint": 1}, ["requiresTint: Must be a valid boolean."], id="flag-1"),
        pytest.param(
            {"items": [{"sku": "L-1"}, {"name": "no sku"}]},
            ["items[1].sku: This field is required."],
            id="item-without-sku",
        ),
        pytest.param(
            {"items": [{"sku": ""}]},
            ["items[0].sku: This field may not be blank."],
            id="item-blank-sku",
        ),
        pytest.param(
            {"items": [{"sku": "L-1", "colour": "red"}]},
            ["items[0].colour: unknown field"],
            id="item-unknown-field",
        ),
        pytest.param(
            {"items": [{"sku": "L-1", "endpoints": ["surfacing", "E" * 41]}]},
            ["items[0].endpoints[1]: Ensure this field has no more than 40 characters."],
            id="item-endpoint-too-long",
        ),
        pytest.param(
            {"orderNumber": "0", "trayNumber": "x", "poNumber": "P" * 21},
            [
                "orderNumber: must not start with 0",
                "trayNumber: must contain digits only",
                "poNumber: must have at most 20 characters",
            ],
            id="several-rule-errors",
        ),
        pytest.param(
            {"jobType": "Z", "items": [{"sku": "L-1", "quantity": 0}], "colour": "blue"},
            [
                'jobType: "Z" is not a valid choice.',
                "items[0].quantity: Ensure this value is greater than or equal to 1.",
                "colour: unknown field",
            ],
            id="several-type-errors",
        ),
    ],
)
def test_invalid_input_is_400_incorrect_arguments(supervisor_api, body, details):
    answer = supervisor_api.post(URL, job_json(**body), status=400)

    assert answer == invalid(*details)
    assert not Order.objects.exists()
    assert not OrderEvent.objects.exists()


def test_duplicate_order_number_is_400(supervisor_api, make_order):
    make_order(number=20001)

    body = supervisor_api.post(
        URL, job_json(**{"orderNumber": "20001", "items": ONE_ITEM}), status=400
    )

    assert body == invalid("orderNumber: order number 20001 already exists")


def test_order_number_of_a_cancelled_order_is_still_taken(supervisor_api, make_order):
    make_order(number=20001, cancelled_at=timezone.now())

    body = supervisor_api.post(
        URL, job_json(**{"orderNumber": "20001", "items": ONE_ITEM}), status=400
    )

    assert body == invalid("orderNumber: order number 20001 already exists")


def test_tray_in_use_by_an_active_order_is_400(supervisor_api, make_order):
    holder = make_order(tray="12")

    body = supervisor_api.post(URL, job_json(**{"trayNumber": "12", "items": ONE_ITEM}), status=400)

    assert body == invalid(f"trayNumber: tray 12 is in use by order {holder.number}")
    assert Order.objects.count() == 1


# --- customers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number", [pytest.param("C9", id="unknown"), pytest.param("c1", id="other-case")]
)
def test_a_customer_number_that_names_no_customer_is_refused(supervisor_api, number):
    body = supervisor_api.post(
        URL, job_json(**{"customerNumber": number, "items": ONE_ITEM}), status=400
    )

    assert body == {"error": "Customer does not exist", "details": [f"Provided: {number}"]}
    assert not Order.objects.exists()


def test_an_inactive_customer_takes_no_new_order(supervisor_api, customers):
    customers[0].active = False
    customers[0].save()

    body = supervisor_api.post(
        URL, job_json(**{"customerNumber": "C1", "items": ONE_ITEM}), status=400
    )

    assert body == {"error": "Customer does not exist", "details": ["Provided: C1"]}
    assert not Order.objects.exists()


def test_the_order_refers_to_its_customer_and_answers_its_number(supervisor_api, customers):
    body = supervisor_api.post(
        URL, job_json(**{"customerNumber": "C2", "items": ONE_ITEM}), status=201
    )

    assert body["customerNumber"] == "C2"
    assert Order.objects.get(number=int(body["orderNumber"])).customer == customers[1]


def test_a_customer_number_longer_than_eight_characters_is_incorrect(supervisor_api):
    body = supervisor_api.post(
        URL, job_json(**{"customerNumber": "C12345678", "items": ONE_ITEM}), status=400
    )

    assert body["error"] == "Incorrect arguments provided"
    assert body["details"] == ["customerNumber: Ensure this field has no more than 8 characters."]

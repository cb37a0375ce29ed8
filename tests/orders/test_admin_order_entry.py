"""Entering a job in the admin (the order list's "Add order"): the same create service and the
same checks as the Lab API v2 create, a refusal in the API's words, nothing created when a
check fails. The refusals are compared with the API's answer to the same input."""

from decimal import Decimal

from django.test import Client

import pytest

from orders.api.payloads import EYE_PREFIXES, EYE_WIRE_NAMES, ORDER_RX_WIRE_NAMES
from orders.models import Addon, Order, OrderEvent
from orders.rx import Eye
from orders.status import EventKind, OrderState
from tests.jobs import JOB_CUSTOMER

pytestmark = pytest.mark.django_db

ADD = "/admin/orders/order/add/"
API = "/api/v2/orders"

# The Lab API v2 create's names -> the form's.
FORM_NAMES = {
    "customerNumber": "customer",
    "customerJobId": "customer_job_id",
    "poNumber": "po_number",
    "jobType": "job_type",
    "trayNumber": "tray",
    "patient": "patient",
    "dateWanted": "date_wanted",
    "addons": "addons",
    **{
        prefix + wire: f"{prefix}_{name}"
        for prefix in EYE_PREFIXES.values()
        for wire, name in EYE_WIRE_NAMES.items()
    },
    **ORDER_RX_WIRE_NAMES,
}

FULL_JOB = {
    "customerNumber": JOB_CUSTOMER,
    "customerJobId": "J-100",
    "poNumber": "PO-100",
    "jobType": "F",
    "patient": "Doe, Jane",
    "rtLensStyle": "PROG",
    "rtLensMaterial": "PC",
    "rtSphere": "1.25",
    "rtCylinder": "-0.75",
    "rtAxis": "90",
    "rtAdd": "2.00",
    "rtPd": "31.5",
    "ltLensStyle": "PROG",
    "ltLensMaterial": "PC",
    "ltSphere": "-0.50",
    "ltAdd": "2.00",
    "ltPrism": "1.00",
    "ltPrismBase": "IN",
    "frameName": "Aviator",
    "frameA": "52.00",
    "frameB": "40.00",
    "frameBridge": "18",
    "instructions": "Handle with care",
}


def form_data(job: dict) -> dict:
    return {FORM_NAMES[wire]: value for wire, value in job.items()}


def api_json(job: dict) -> dict:
    """The same job as the API takes it: numbers as JSON numbers."""
    numeric = {
        prefix + wire
        for prefix in EYE_PREFIXES.values()
        for wire in ("Sphere", "Cylinder", "Axis", "Add", "Prism", "Pd", "NearPd", "SegHeight")
    } | {"frameA", "frameB", "frameBridge", "crib", "ellh", "corridorLength"}
    return {wire: (float(value) if wire in numeric else value) for wire, value in job.items()} | {
        wire: int(job[wire]) for wire in job if wire.endswith("Axis") or wire == "frameBridge"
    }


@pytest.fixture
def entry(make_user, job_customer):
    Addon.objects.create(code="AR1", description="Super AR", is_ar=True)
    Addon.objects.create(code="TINT", description="Tint", is_tint=True)
    client = Client()
    client.force_login(make_user("Supervisors", username="sue", is_staff=True))
    return client


def refusal_of(response) -> list[str]:
    assert response.status_code == 200  # the form again, with why
    return [str(error) for error in response.context["form"].non_field_errors()]


def api_words(body: dict) -> str:
    details = "; ".join(line.strip() for line in body["details"] if line.strip())
    return f"{body['error']} — {details}" if details else body["error"]


# --- a job entered --------------------------------------------------------------------------


def test_the_order_list_offers_add_order_to_supervisors(entry):
    page = entry.get("/admin/orders/order/").content.decode()

    assert 'href="/admin/orders/order/add/"' in page


def test_a_full_job_is_created_as_the_api_creates_it(entry, supervisor_api):
    job = FULL_JOB | {"addons": ["AR1", "TINT"]}

    response = entry.post(ADD, form_data(job))

    order = Order.objects.get(po_number="PO-100")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/orders/order/{order.pk}/change/"
    assert (order.state, order.created_by.username, order.created_device) == (
        OrderState.VALID,
        "sue",
        "admin",
    )
    assert OrderEvent.objects.filter(order=order, kind=EventKind.CREATED).count() == 1
    # What the API answers for it is what it answers for the same job sent to it.
    by_api = supervisor_api.post(
        API, api_json(job | {"customerJobId": "J-101", "poNumber": "PO-101"}), status=201
    )
    by_admin = supervisor_api.get(f"{API}/{order.number}", status=200)
    differing = {
        "orderNumber",
        "poNumber",
        "customerJobId",
        "createdDevice",
        "createdUser",
        "items",
    }
    assert {k: v for k, v in by_admin.items() if k not in differing} == {
        k: v for k, v in by_api.items() if k not in differing
    }
    assert (by_admin["rtSphere"], by_admin["ltPrismBase"], by_admin["arCode"]) == (
        1.25,
        "IN",
        "AR1",
    )
    assert by_admin["addons"] == ["AR1", "TINT"]
    assert (by_admin["requiresArCoat"], by_admin["requiresTint"]) == (True, True)


def test_the_form_shows_the_prescription_as_a_table_right_eye_first(entry):
    page = entry.get(ADD).content.decode()

    table = page[page.index('id="entry-prescription"') :]
    assert table.index('name="rt_sphere"') < table.index('name="lt_sphere"')
    assert 'name="frame_name"' in page
    assert 'value="AR1"' in page  # the active addons to choose from


# --- refused: the API's words, nothing created ----------------------------------------------

REFUSED = {
    "crib on a full job": FULL_JOB | {"crib": "40.0"},
    "no lens style or material": {
        k: v for k, v in FULL_JOB.items() if "LensStyle" not in k and "LensMaterial" not in k
    },
    "an addon job without addons": FULL_JOB | {"jobType": "A"},
    "sphere out of range": FULL_JOB | {"rtSphere": "-40.25"},
    "the right eye before the left": FULL_JOB | {"rtSphere": "49.25", "ltSphere": "-39.25"},
    "axis missing with cylinder": {k: v for k, v in FULL_JOB.items() if k != "rtAxis"},
    "prism without its base": {k: v for k, v in FULL_JOB.items() if k != "ltPrismBase"},
    "both a frame SKU and UPC": FULL_JOB | {"frameSKU": "F-1", "frameUPC": "0123"},
}


@pytest.mark.parametrize("job", REFUSED.values(), ids=list(REFUSED))
def test_a_refusal_reads_as_the_apis_answer_to_the_same_job(entry, supervisor_api, job):
    body = supervisor_api.post(API, api_json(job), status=400)

    response = entry.post(ADD, form_data(job))

    assert refusal_of(response) == [api_words(body)]
    assert not Order.objects.exists()


def test_the_refusals_are_the_create_checks(entry):
    # Spelled out once, so that a change of words shows here too.
    assert refusal_of(entry.post(ADD, form_data(REFUSED["sphere out of range"]))) == [
        "Validation Failed — ERROR 112: SPHERE MUST BE BETWEEN -39.0 AND +49.0; Eye: R; "
        "Provided: -40.25"
    ]
    assert refusal_of(entry.post(ADD, form_data(REFUSED["crib on a full job"]))) == [
        "crib is only valid on uncut jobs — Job Type: F; Frame SW:"
    ]


def test_a_tray_in_use_is_refused(entry, make_order):
    holder = make_order(tray="7")

    response = entry.post(ADD, form_data(FULL_JOB | {"trayNumber": "7"}))

    assert refusal_of(response) == [
        f"Incorrect arguments provided — trayNumber: tray 7 is in use by order {holder.number}"
    ]
    assert Order.objects.count() == 1


def test_a_duplicate_is_refused_when_the_lab_does_not_save_them(entry, lab_settings):
    lab_settings(save_duplicate_orders=False)
    entry.post(ADD, form_data(FULL_JOB))
    original = Order.objects.get()

    response = entry.post(ADD, form_data(FULL_JOB | {"poNumber": "PO-2"}))

    assert refusal_of(response) == [f"Duplicate order — Order: {original.number}"]
    assert Order.objects.count() == 1


def test_a_duplicate_is_saved_unvalid_and_holds_the_original_when_the_lab_saves_them(entry):
    entry.post(ADD, form_data(FULL_JOB))
    original = Order.objects.get()

    response = entry.post(ADD, form_data(FULL_JOB | {"poNumber": "PO-2"}), follow=True)

    duplicate = Order.objects.get(po_number="PO-2")
    original.refresh_from_db()
    assert (duplicate.state, original.on_hold) == (OrderState.UNVALID, True)
    assert f"Order {duplicate.number} is created (unvalid: Duplicate" in response.content.decode()


def test_a_value_of_the_wrong_type_is_a_field_error(entry):
    response = entry.post(ADD, form_data(FULL_JOB | {"rtSphere": "abc", "ltPrismBase": "SIDE"}))

    form = response.context["form"]
    assert form.errors["rt_sphere"] == ["Enter a number."]
    assert form.errors["lt_prism_base"]
    assert not Order.objects.exists()


def test_a_customer_not_active_is_not_offered(entry, make_customer):
    make_customer("OLD", active=False)

    response = entry.post(ADD, form_data(FULL_JOB | {"customerNumber": "OLD"}))

    assert "customer" in response.context["form"].errors
    assert 'value="OLD"' not in response.content.decode()
    assert not Order.objects.exists()


def test_the_required_fields_of_the_api_are_required_here(entry):
    response = entry.post(ADD, {})

    assert set(response.context["form"].errors) == {
        "customer",
        "customer_job_id",
        "po_number",
        "job_type",
    }


# --- rights ---------------------------------------------------------------------------------


def test_staff_without_the_create_right_may_not_enter_orders(make_user):
    client = Client()
    client.force_login(make_user("Stations", is_staff=True))

    assert client.get(ADD).status_code == 403
    assert client.post(ADD, form_data(FULL_JOB)).status_code == 403
    assert (
        'href="/admin/orders/order/add/"' not in client.get("/admin/orders/order/").content.decode()
    )
    assert not Order.objects.exists()


def test_entering_needs_a_csrf_token(make_user, job_customer):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("Supervisors", is_staff=True))

    assert client.post(ADD, form_data(FULL_JOB)).status_code == 403
    assert not Order.objects.exists()


def test_eyes_are_stored_as_entered(entry):
    entry.post(ADD, form_data(FULL_JOB))

    order = Order.objects.get()
    right, left = order.eyes.get(eye=Eye.RIGHT), order.eyes.get(eye=Eye.LEFT)
    assert (right.sphere, right.cylinder, right.axis, right.pd) == (
        Decimal("1.25"),
        Decimal("-0.75"),
        90,
        Decimal("31.50"),
    )
    assert (left.prism, left.prism_base) == (Decimal("1.00"), "IN")

"""POST /api/v2/orders with a prescription, lenses, frame and addons (contracts/rx-orders.md):
one test per row of the create table, one per pair of checks whose order the table implies,
and the Rx checks as properties (any value in range taken, any out of range refused in the
catalogue's words, never a 500)."""

import itertools
import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import Addon, Order, OrderEvent
from orders.status import EventKind

pytestmark = pytest.mark.django_db

URL = "/api/v2/orders"

# A Full job as a client system sends it, both eyes ordered.
FULL_JOB = {
    "customerNumber": "C1",
    "customerJobId": "J-100",
    "poNumber": "PO-100",
    "jobType": "F",
    "rtLensStyle": "PROG-HD",
    "rtLensMaterial": "1.67",
    "rtSphere": -2.25,
    "rtCylinder": -0.75,
    "rtAxis": 90,
    "rtAdd": 2.0,
    "rtPd": 31.5,
    "rtNearPd": 29,
    "rtSegHeight": 18,
    "rtOPC": "4011-67-R",
    "ltLensStyle": "PROG-HD",
    "ltLensMaterial": "1.67",
    "ltSphere": -2.0,
    "ltCylinder": -0.5,
    "ltAxis": 85,
    "ltAdd": 2.0,
    "ltPrism": 1.5,
    "ltPrismBase": "OUT",
    "ltPd": 32,
    "frameManufacturer": "RAY",
    "frameName": "Aviator",
    "frameA": 58,
    "frameB": 47.5,
    "frameED": 60.2,
    "frameBridge": 14,
    "frameStatusCode": "S",
    "instructions": "Rush",
    "items": [{"sku": "PROG-HD-R"}, {"sku": "PROG-HD-L"}],
}


def job(**changes) -> dict:
    """The Full job with ``changes``; a change to None leaves the field out."""
    body = FULL_JOB | changes
    return {key: value for key, value in body.items() if value is not None}


_numbers = itertools.count(1)


def new_job(**changes) -> dict:
    """``job(**changes)`` with a customer job id of its own: not a duplicate of another."""
    return job(customerJobId=f"J-NEW-{next(_numbers)}", **changes)


def addon_job(*addons: str, **changes) -> dict:
    """An addon job (no lenses) with ``addons``, not a duplicate of another."""
    body = {"customerNumber": "C1", "poNumber": "PO-A", "jobType": "A", "addons": list(addons)}
    return body | {"customerJobId": f"J-ADDON-{next(_numbers)}"} | changes


def invalid(*details: str) -> dict:
    return {"error": "Incorrect arguments provided", "details": list(details)}


def rx_failed(code: int, text: str, eye: str, provided: str) -> dict:
    return {
        "error": "Validation Failed",
        "details": [f"ERROR {code}: {text}", f"Eye: {eye}", f"Provided: {provided}"],
    }


@pytest.fixture(autouse=True)
def reference_data(make_customer):
    make_customer("C1")
    Addon.objects.create(code="AR-SUP", description="Super AR", is_ar=True)
    Addon.objects.create(code="TINT-G", description="Grey tint", is_tint=True)
    Addon.objects.create(code="OLD", description="Withdrawn", active=False)


def refused(api, body: dict, expected: dict) -> None:
    """``body`` is refused with 400 ``expected``, and nothing is created."""
    before = Order.objects.count()
    assert api.post(URL, body, status=400) == expected
    assert Order.objects.count() == before


# --- success ------------------------------------------------------------------------------------


def test_a_full_job_with_its_prescription_is_created_valid_and_fetched_as_sent(supervisor_api):
    body = supervisor_api.post(URL, job(), status=201)

    assert (body["status"], body["jobType"], body["stockOrder"]) == ("V", "F", False)
    sent = {key: value for key, value in FULL_JOB.items() if key[:2] in ("rt", "lt")}
    assert {key: body[key] for key in sent} == sent
    assert (body["rtPrism"], body["rtPrismBase"], body["ltSegHeight"]) == (None, None, None)
    assert (body["frameA"], body["frameB"], body["frameBridge"]) == (58.0, 47.5, 14)
    assert (body["rtCalculated"], body["ltCalculated"]) == (False, False)
    assert supervisor_api.get(f"{URL}/{body['orderNumber']}", status=200) == body


def test_decimals_are_stored_as_decimals_with_two_places(supervisor_api):
    body = supervisor_api.post(URL, job(rtSphere=-2.25, rtPd=31.5), status=201)

    right = Order.objects.get(number=body["orderNumber"]).eyes.get(eye="R")
    assert (right.sphere, right.pd) == (Decimal("-2.25"), Decimal("31.50"))
    assert isinstance(right.sphere, Decimal)


def test_a_prism_base_may_be_a_number_of_degrees(supervisor_api):
    body = supervisor_api.post(URL, job(ltPrismBase=270), status=201)

    assert body["ltPrismBase"] == "270"


def test_an_addon_job_with_addons_takes_their_flow_steps(supervisor_api):
    body = supervisor_api.post(URL, addon_job("TINT-G", "AR-SUP"), status=201)

    assert body["status"] == "V"
    assert (body["addons"], body["arCode"], body["arDesc"]) == (
        ["TINT-G", "AR-SUP"],
        "AR-SUP",
        "Super AR",
    )
    assert (body["requiresTint"], body["requiresArCoat"], body["requiresFinalQa"]) == (
        True,
        True,
        False,
    )


def test_force_qa_on_addon_jobs_makes_every_new_addon_job_require_final_qa(
    supervisor_api, lab_settings
):
    lab_settings(force_qa_on_addon_jobs=True)

    with_addons = supervisor_api.post(URL, addon_job("TINT-G"), status=201)
    full_job = supervisor_api.post(URL, new_job(), status=201)

    assert (with_addons["requiresFinalQa"], full_job["requiresFinalQa"]) == (True, False)


def test_a_balance_lens_eye_is_not_checked(supervisor_api):
    body = supervisor_api.post(URL, job(balanceLens="L", ltSphere=None), status=201)

    assert (body["balanceLens"], body["ltSphere"]) == ("L", None)


def test_an_eye_without_a_lens_style_is_not_checked_on_a_job(supervisor_api):
    body = supervisor_api.post(
        URL, job(ltLensStyle=None, ltLensMaterial=None, ltSphere=99), status=201
    )

    assert body["ltSphere"] == 99.0


# --- the create table, row by row --------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "details"),
    [
        pytest.param({"rtSphere": "abc"}, ["rtSphere: A valid number is required."], id="type"),
        pytest.param(
            {"rtSphere": "-2.25"}, ["rtSphere: A valid number is required."], id="number-as-text"
        ),
        pytest.param(
            {"rtSphere": -2.251},
            ["rtSphere: Ensure that there are no more than 2 decimal places."],
            id="decimals",
        ),
        pytest.param(
            {"frameA": 80.5},
            ["frameA: Ensure this value is less than or equal to 80."],
            id="frame-range",
        ),
        pytest.param(
            {"rtNearPd": 17.99},
            ["rtNearPd: Ensure this value is greater than or equal to 18."],
            id="near-pd-range",
        ),
        pytest.param(
            {"frameName": "x" * 31},
            ["frameName: Ensure this field has no more than 30 characters."],
            id="too-long",
        ),
        pytest.param(
            {"frameStatusCode": "Z"}, ['frameStatusCode: "Z" is not a valid choice.'], id="enum"
        ),
        pytest.param(
            {"rtPrismBase": "LEFT"},
            ["rtPrismBase: use IN, OUT, UP, DOWN or a number from 0 to 360"],
            id="prism-base",
        ),
        pytest.param(
            {"frameSKU": "F-1", "frameUPC": "0123"},
            ["frameUPC: give a frame SKU or a frame UPC, not both"],
            id="sku-and-upc",
        ),
        pytest.param(
            {"addons": ["NOPE", "OLD"]},
            ["addons: unknown or inactive addon code(s): NOPE, OLD"],
            id="addon",
        ),
        pytest.param(
            {"addons": ["AR-SUP"] * 11},
            ["addons: Ensure this field has no more than 10 elements."],
            id="too-many-addons",
        ),
    ],
)
def test_row_1_field_problems_are_incorrect_arguments(supervisor_api, changes, details):
    refused(supervisor_api, job(**changes), invalid(*details))


def test_row_1_lists_every_field_problem_at_once(supervisor_api):
    answer = supervisor_api.post(URL, job(rtSphere="abc", frameName="x" * 31), status=400)

    assert sorted(answer["details"]) == [
        "frameName: Ensure this field has no more than 30 characters.",
        "rtSphere: A valid number is required.",
    ]


def test_row_1_lists_the_type_problems_and_the_rules_problems_together(supervisor_api):
    # A wrong type is the face's to find, an unknown addon and a SKU beside a UPC the create
    # checks': one answer names them all, not the types first and the rest on the next try.
    body = job(rtSphere="abc", addons=["NOPE"], frameSKU="RB-3025", frameUPC="0805289")

    answer = supervisor_api.post(URL, body, status=400)

    assert answer["error"] == "Incorrect arguments provided"
    assert sorted(answer["details"]) == [
        "addons: unknown or inactive addon code(s): NOPE",
        "frameUPC: give a frame SKU or a frame UPC, not both",
        "rtSphere: A valid number is required.",
    ]


def test_row_1_a_field_with_a_type_problem_is_not_also_checked_by_the_rules(supervisor_api):
    answer = supervisor_api.post(URL, job(addons="TINT-G", trayNumber=7), status=400)

    assert sorted(answer["details"]) == [
        'addons: Expected a list of items but got type "str".',
        "trayNumber: Not a valid string.",
    ]
    assert not Order.objects.exists()


@pytest.mark.parametrize(("field", "job_type"), [("crib", "F"), ("crib", "E"), ("ellh", "A")])
def test_rows_2_and_3_crib_and_ellh_only_on_uncut_jobs(supervisor_api, field, job_type):
    body = job(**{field: 12.5, "jobType": job_type, "addons": ["TINT-G"]})

    refused(
        supervisor_api,
        body,
        {
            "error": f"{field} is only valid on uncut jobs",
            "details": [f"Job Type: {job_type}", "Frame SW:"],
        },
    )


def test_crib_and_ellh_are_taken_on_an_uncut_job(supervisor_api):
    body = supervisor_api.post(URL, job(jobType="U", crib=65, ellh=12.5), status=201)

    assert (body["crib"], body["ellh"]) == (65.0, 12.5)


# Each row 4 case on a Full job, and on an addon job with no addons: row 4 answers before
# row 6 (No addons entered).
ROW_4_JOBS = pytest.mark.parametrize("make_job", [job, addon_job], ids=["full", "no-addons"])


@ROW_4_JOBS
@pytest.mark.parametrize("number", ["C404", "c1"])  # unknown; numbers are case-sensitive
def test_row_4_customer_does_not_exist(supervisor_api, number, make_job):
    refused(
        supervisor_api,
        make_job(customerNumber=number),
        {"error": "Customer does not exist", "details": [f"Provided: {number}"]},
    )


@ROW_4_JOBS
def test_row_4_an_inactive_customer_takes_no_new_orders(supervisor_api, make_customer, make_job):
    make_customer("C9", active=False)

    refused(
        supervisor_api,
        make_job(customerNumber="C9"),
        {"error": "Customer does not exist", "details": ["Provided: C9"]},
    )


def test_with_a_known_customer_an_addon_job_without_addons_answers_row_6(supervisor_api):
    # The other half of the pair above: the customer row passed, row 6 answers.
    assert addon_job()["addons"] == []
    refused(supervisor_api, addon_job(), {"error": "No addons entered", "details": []})
    assert supervisor_api.post(URL, addon_job("TINT-G"), status=201)["status"] == "V"


STYLE_MISSING = "rtLensStyle, ltLensStyle are missing, at least one parameter must be provided"
MATERIAL_MISSING = (
    "rtLensMaterial, ltLensMaterial are missing, at least one parameter must be provided"
)


@pytest.mark.parametrize("job_type", ["F", "U", "E"])
def test_row_5_a_job_with_lenses_names_a_style_and_a_material(supervisor_api, job_type):
    no_lens = job(
        jobType=job_type,
        rtLensStyle=None,
        ltLensStyle=None,
        rtLensMaterial=None,
        ltLensMaterial=None,
    )

    refused(supervisor_api, no_lens, invalid(STYLE_MISSING, MATERIAL_MISSING))


def test_row_5_one_eye_s_style_and_the_other_s_material_are_enough(supervisor_api):
    body = job(ltLensStyle=None, rtLensMaterial=None, ltSphere=None)

    supervisor_api.post(URL, body, status=201)


def test_row_5_a_style_without_a_material_names_the_material_only(supervisor_api):
    refused(
        supervisor_api, job(rtLensMaterial=None, ltLensMaterial=None), invalid(MATERIAL_MISSING)
    )


def test_row_6_an_addon_job_without_addons(supervisor_api):
    refused(supervisor_api, addon_job(), {"error": "No addons entered", "details": []})


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"rtSphere": None}, (111, "SPHERE IS REQUIRED", "R", "")),
        ({"rtSphere": -40.25}, (112, "SPHERE MUST BE BETWEEN -39.0 AND +49.0", "R", "-40.25")),
        ({"ltCylinder": 20.25}, (113, "CYLINDER MUST BE BETWEEN -20.0 AND +20.0", "L", "20.25")),
        ({"rtAxis": 181}, (114, "AXIS MUST BE BETWEEN 0 AND 180", "R", "181")),
        ({"rtAxis": None}, (115, "AXIS IS REQUIRED WITH CYLINDER", "R", "")),
        ({"ltAdd": 5.25}, (116, "ADD MUST BE BETWEEN 0.0 AND +5.0", "L", "5.25")),
        ({"ltPrism": 20.5}, (117, "PRISM MUST BE BETWEEN 0.0 AND 20.0", "L", "20.5")),
        ({"ltPrismBase": None}, (118, "PRISM BASE IS REQUIRED WITH PRISM", "L", "")),
        ({"rtPd": 19.5}, (119, "PD MUST BE BETWEEN 20.0 AND 45.0", "R", "19.5")),
        ({"rtSegHeight": 46}, (120, "SEG HEIGHT MUST BE BETWEEN 0.0 AND 45.0", "R", "46")),
    ],
)
def test_row_7_each_rx_check_of_the_catalogue(supervisor_api, changes, expected):
    refused(supervisor_api, job(**changes), rx_failed(*expected))


def test_row_8_a_duplicate_is_refused_when_duplicates_are_not_saved(supervisor_api, lab_settings):
    lab_settings(save_duplicate_orders=False)
    original = supervisor_api.post(URL, job(), status=201)

    refused(
        supervisor_api,
        job(),
        {"error": "Duplicate order", "details": [f"Order: {original['orderNumber']}"]},
    )


def test_row_8_a_duplicate_of_a_completed_order_is_saved_even_when_not_saving_duplicates(
    supervisor_api, lab_settings
):
    lab_settings(save_duplicate_orders=False)
    original = supervisor_api.post(URL, job(), status=201)
    Order.objects.filter(number=original["orderNumber"]).update(state="C")

    body = supervisor_api.post(URL, job(), status=201)

    assert body["status"] == "U"  # still a duplicate: not cancelled


def test_a_saved_duplicate_is_unvalid_and_holds_the_original(supervisor_api):
    original = supervisor_api.post(URL, job(), status=201)

    duplicate = supervisor_api.post(URL, job(), status=201)

    assert (duplicate["status"], duplicate["unvalidMessage"]) == (
        "U",
        f"Duplicate customer job id J-100 for customer C1: order {original['orderNumber']}",
    )
    held = Order.objects.get(number=original["orderNumber"])
    assert held.on_hold
    event = held.events.get(kind=EventKind.HOLD)
    assert event.reason == f"Duplicate order {duplicate['orderNumber']} received"
    assert event.actor_name == "sam"


def test_a_duplicate_of_a_cancelled_order_is_not_a_duplicate(supervisor_api):
    original = supervisor_api.post(URL, job(), status=201)
    supervisor_api.delete(f"{URL}/{original['orderNumber']}", status=200)

    body = supervisor_api.post(URL, job(), status=201)

    assert body["status"] == "V"
    assert not OrderEvent.objects.filter(kind=EventKind.HOLD).exists()


# --- the order of the checks --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected_error"),
    [
        pytest.param(
            {"rtSphere": "abc", "crib": 10},
            "Incorrect arguments provided",
            id="fields before crib",
        ),
        pytest.param(
            {"crib": 10, "customerNumber": "C404"},
            "crib is only valid on uncut jobs",
            id="crib before customer",
        ),
        pytest.param(
            {"crib": 10, "ellh": 10}, "crib is only valid on uncut jobs", id="crib before ellh"
        ),
        pytest.param(
            {"ellh": 10, "customerNumber": "C404"},
            "ellh is only valid on uncut jobs",
            id="ellh before customer",
        ),
        pytest.param(
            {"customerNumber": "C404", "rtLensStyle": None, "ltLensStyle": None},
            "Customer does not exist",
            id="customer before lens style",
        ),
        pytest.param(
            {"rtLensStyle": None, "ltLensStyle": None, "rtSphere": 99},
            "Incorrect arguments provided",
            id="lens style before Rx",
        ),
        pytest.param({"jobType": "A", "rtSphere": 99}, "No addons entered", id="addons before Rx"),
    ],
)
def test_the_first_failing_check_answers(supervisor_api, changes, expected_error):
    answer = supervisor_api.post(URL, job(**changes), status=400)

    assert answer["error"] == expected_error


def test_the_right_eye_is_checked_before_the_left(supervisor_api):
    refused(
        supervisor_api,
        job(rtSphere=50, ltSphere=None),
        rx_failed(112, "SPHERE MUST BE BETWEEN -39.0 AND +49.0", "R", "50"),
    )


def test_within_an_eye_the_catalogue_order_holds(supervisor_api):
    refused(
        supervisor_api,
        job(ltCylinder=30, ltAdd=9),
        rx_failed(113, "CYLINDER MUST BE BETWEEN -20.0 AND +20.0", "L", "30"),
    )


def test_rx_checks_come_before_the_duplicate_check(supervisor_api, lab_settings):
    lab_settings(save_duplicate_orders=False)
    supervisor_api.post(URL, job(), status=201)

    answer = supervisor_api.post(URL, job(rtSphere=60), status=400)

    assert answer["error"] == "Validation Failed"


# --- properties ---------------------------------------------------------------------------------


def two_places(low: str, high: str):
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=2)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sphere=two_places("-39", "49"))
def test_any_sphere_in_range_is_taken(supervisor_api, sphere):
    body = supervisor_api.post(URL, new_job(rtSphere=float(sphere)), status=201)

    assert Decimal(str(body["rtSphere"])) == sphere


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cylinder=two_places("-9999", "-20.01") | two_places("20.01", "9999"),
)
def test_any_cylinder_out_of_range_gets_the_catalogue_error(supervisor_api, cylinder):
    answer = supervisor_api.post(URL, job(ltCylinder=float(cylinder)), status=400)

    assert answer["details"][:2] == [
        "ERROR 113: CYLINDER MUST BE BETWEEN -20.0 AND +20.0",
        "Eye: L",
    ]
    assert Decimal(answer["details"][2].removeprefix("Provided: ")) == cylinder


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    value=st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**30), 10**30),
        st.floats(allow_nan=False),
        st.text(max_size=30),
        st.lists(st.integers(), max_size=2),
    ),
    field=st.sampled_from(
        ["rtSphere", "rtCylinder", "rtAxis", "rtAdd", "rtPrism", "ltPrismBase", "ltPd", "frameA"]
    ),
)
def test_any_value_of_an_rx_field_is_answered_never_a_500(supervisor_api, value, field):
    response = supervisor_api.client.post(
        URL,
        json.dumps(new_job(**{field: value})),
        content_type="application/json",
        **supervisor_api.headers,
    )

    assert response.status_code in (201, 400), response.content

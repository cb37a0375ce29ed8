"""The flow-step table (orders/flow.py) and the two verifications it drives: check-in refuses
a step the order does not need, completion refuses an order missing a step it needs."""

import pytest

from orders.flow import FLOW_STEP_BY_KEY, FLOW_STEPS, FlowStep
from orders.models import Order, Station
from toolkit.models import WorkerHeartbeat
from tracker.models import CheckIn
from tracker.services import process_completions

# The contract's list, in its order: completion reports the first missing step of this order.
CONTRACT_STEPS = [
    ("backside_coat", "Needs Backside Coat!"),
    ("ar_coat", "Needs AR Coat!"),
    ("tint", "Needs Tint!"),
    ("mirror", "Needs Mirror!"),
    ("uv", "Needs UV!"),
    ("hard_coat", "Needs Hard Coat!"),
    ("polish", "Needs Polish!"),
    ("etching", "Needs Etching!"),
    ("drop_ball", "Needs Drop Ball!"),
    ("final_qa", "Needs Final QA!"),
]

STEP_IDS = [spec.step.value for spec in FLOW_STEPS]


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


# --- the table ------------------------------------------------------------------------------------


def test_the_table_has_every_step_of_the_contract_in_its_order():
    assert [(spec.step.value, spec.needs_message) for spec in FLOW_STEPS] == CONTRACT_STEPS
    assert [spec.step for spec in FLOW_STEPS] == list(FlowStep)


def test_contract_examples():
    assert FLOW_STEP_BY_KEY[FlowStep.BACKSIDE_COAT].needs_message == "Needs Backside Coat!"
    assert FLOW_STEP_BY_KEY[FlowStep.AR_COAT].not_needed_message == "AR not needed"


@pytest.mark.parametrize("spec", FLOW_STEPS, ids=STEP_IDS)
def test_every_step_has_a_boolean_order_field(spec):
    field = Order._meta.get_field(spec.order_field)

    assert field.get_internal_type() == "BooleanField"
    assert field.default is False


@pytest.mark.parametrize("spec", FLOW_STEPS, ids=STEP_IDS)
def test_every_step_has_its_messages(spec):
    assert spec.needs_message == f"Needs {spec.step.label}!"
    assert spec.not_needed_message == f"{spec.short} not needed"
    assert spec.short
    assert spec.short == spec.short.upper()


@pytest.mark.parametrize("spec", FLOW_STEPS, ids=STEP_IDS)
def test_every_wire_name_is_the_camel_case_of_the_order_field(spec):
    words = spec.order_field.split("_")

    assert spec.wire_name == words[0] + "".join(word.capitalize() for word in words[1:])


def test_order_fields_wire_names_and_shorts_are_unique():
    for attribute in ("order_field", "wire_name", "short", "needs_message", "not_needed_message"):
        values = [getattr(spec, attribute) for spec in FLOW_STEPS]
        assert len(set(values)) == len(values) == 10, attribute


def test_every_requires_field_of_the_order_is_in_the_table():
    requires = {f.name for f in Order._meta.get_fields() if f.name.startswith("requires_")}

    assert requires == {spec.order_field for spec in FLOW_STEPS}


def test_stations_offer_exactly_the_table_steps():
    choices = [value for value, _ in Station._meta.get_field("flow_step").choices]

    assert choices == STEP_IDS


# --- the verifications, step by step --------------------------------------------------------------


@pytest.fixture
def verify_on(lab_settings):
    return lab_settings(jobtrack_station_verify=True)


@pytest.fixture
def tracker_alive(db):
    return WorkerHeartbeat.objects.create(kind="tracker", worker_id="tracker-test")


@pytest.mark.django_db
@pytest.mark.parametrize("spec", FLOW_STEPS, ids=STEP_IDS)
def test_checkin_is_refused_when_the_order_does_not_need_the_step(
    supervisor_api, make_order, make_station, verify_on, spec
):
    make_station("STEP", flow_step=spec.step.value)
    order = make_order(**{other.order_field: True for other in FLOW_STEPS if other != spec})

    body = supervisor_api.post(
        "/api/v2/job_track/stations/STEP", {"orderIdentifier": str(order.number)}, status=400
    )

    assert body == error("Checkin not performed", spec.not_needed_message)
    assert not CheckIn.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("spec", FLOW_STEPS, ids=STEP_IDS)
def test_checkin_is_accepted_when_the_order_needs_the_step(
    supervisor_api, make_order, make_station, verify_on, spec
):
    make_station("STEP", flow_step=spec.step.value)
    order = make_order(**{spec.order_field: True})

    body = supervisor_api.post(
        "/api/v2/job_track/stations/STEP", {"orderIdentifier": str(order.number)}, status=201
    )

    assert body["code"] == "STEP"


@pytest.mark.django_db
@pytest.mark.parametrize("spec", FLOW_STEPS, ids=STEP_IDS)
def test_legacy_checkin_answers_the_not_needed_message(
    supervisor_api, make_order, make_station, verify_on, spec
):
    make_station("STEP", flow_step=spec.step.value)
    order = make_order()

    body = supervisor_api.post(
        "/api/jt/checkin", {"order": str(order.number), "station": "STEP"}, status=200
    )

    assert body["result"] == spec.not_needed_message


@pytest.mark.django_db
@pytest.mark.parametrize("spec", FLOW_STEPS, ids=STEP_IDS)
def test_completion_is_refused_when_a_required_step_is_missing(
    supervisor_api, make_order, make_station, check_in, verify_on, tracker_alive, spec
):
    order = make_order(**{other.order_field: True for other in FLOW_STEPS})
    for other in FLOW_STEPS:  # every other required step has been done
        if other != spec:
            check_in(order, make_station(other.short.replace(" ", ""), flow_step=other.step))

    body = supervisor_api.post(f"/api/v2/orders/{order.number}/complete", status=400)

    assert body == error(
        "Could not complete order", "Error Code: 20", f"Error Message: {spec.needs_message}"
    )
    order.refresh_from_db()
    assert not order.pending_completion


@pytest.mark.django_db
@pytest.mark.parametrize("spec", FLOW_STEPS, ids=STEP_IDS)
def test_completion_is_accepted_once_the_step_has_a_checkin(
    supervisor_api, make_order, make_station, check_in, verify_on, tracker_alive, spec
):
    order = make_order(**{spec.order_field: True})
    check_in(order, make_station("STEP", flow_step=spec.step))

    body = supervisor_api.post(f"/api/v2/orders/{order.number}/complete", status=201)

    assert body == {"orderNumber": str(order.number), "message": "Successful"}


@pytest.mark.django_db
@pytest.mark.parametrize("spec", FLOW_STEPS, ids=STEP_IDS)
def test_the_order_payload_carries_each_requirement(supervisor_api, make_order, spec):
    order = make_order(**{spec.order_field: True})

    body = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)

    assert {s.wire_name: body[s.wire_name] for s in FLOW_STEPS} == {
        s.wire_name: s == spec for s in FLOW_STEPS
    }


@pytest.mark.django_db
def test_an_order_requiring_every_step_completes_after_every_station(
    supervisor_api, make_order, make_station, verify_on, tracker_alive
):
    order = make_order(**{spec.order_field: True for spec in FLOW_STEPS})
    for spec in FLOW_STEPS:
        code = spec.short.replace(" ", "")
        make_station(code, flow_step=spec.step)
        supervisor_api.post(
            f"/api/v2/job_track/stations/{code}",
            {"orderIdentifier": str(order.number)},
            status=201,
        )

    supervisor_api.post(f"/api/v2/orders/{order.number}/complete", status=201)

    assert process_completions(worker="t1") == 1
    order.refresh_from_db()
    assert order.state == "C"
    assert order.checkins.count() == len(FLOW_STEPS)

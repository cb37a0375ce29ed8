"""The surfacing calculation of a job's eyes (``record_calculation``) and the fetch model's
``calculationDesc``, ``rtCalculated`` and ``ltCalculated`` derived from it
(contracts/rx-orders.md)."""

from decimal import Decimal

import pytest

from orders.errors import EyeNotOrdered, OrderAlreadyCompleted
from orders.models import OrderEvent
from orders.rx import Eye, EyeValues
from orders.services import record_calculation
from orders.status import EventKind
from tests.jobs import job_json

pytestmark = pytest.mark.django_db

BOTH_EYES = {
    Eye.RIGHT: EyeValues(lens_style="SV", lens_material="CR39", sphere=Decimal("-1.00")),
    Eye.LEFT: EyeValues(lens_style="SV", lens_material="CR39", sphere=Decimal("-1.25")),
}


@pytest.mark.parametrize(
    ("calculated", "description", "right", "left"),
    [
        ({}, "Calculations not done", False, False),
        ({Eye.RIGHT: True}, "Right eye calculated", True, False),
        ({Eye.LEFT: True}, "Left eye calculated", False, True),
        ({Eye.RIGHT: True, Eye.LEFT: True}, "Both eyes calculated", True, True),
    ],
)
def test_the_fetch_model_says_whose_calculation_is_done(
    supervisor_api, supervisor, make_order, calculated, description, right, left
):
    order = make_order(eyes=BOTH_EYES)
    record_calculation(order=order, calculated=calculated, actor=supervisor)

    body = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)
    status = supervisor_api.get(f"/api/v2/orders/{order.number}/status", status=200)

    assert (body["calculationDesc"], body["rtCalculated"], body["ltCalculated"]) == (
        description,
        right,
        left,
    )
    assert status["calculationDesc"] == description


def test_an_eye_not_ordered_is_null_and_does_not_count(supervisor_api, supervisor, make_order):
    order = make_order()  # the right eye only
    record_calculation(order=order, calculated={Eye.RIGHT: True}, actor=supervisor)

    body = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)

    assert (body["calculationDesc"], body["rtCalculated"], body["ltCalculated"]) == (
        "Right eye calculated",
        True,
        None,
    )


def test_a_stock_order_has_no_calculation(supervisor_api, make_order):
    order = make_order(stock_order=True, eyes={})

    body = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)

    assert body["calculationDesc"] is None


def test_the_history_records_the_change_and_the_version_goes_up(supervisor, make_order):
    order = make_order(eyes=BOTH_EYES)

    record_calculation(order=order, calculated={Eye.RIGHT: True, Eye.LEFT: True}, actor=supervisor)

    order.refresh_from_db()
    assert order.version == 2
    event = OrderEvent.objects.get(order=order, kind=EventKind.CALCULATION)
    assert (event.actor_name, event.from_value, event.to_value) == (
        supervisor.username,
        "Calculations not done",
        "Both eyes calculated",
    )


def test_an_eye_the_order_does_not_have_is_refused_and_nothing_changes(supervisor, make_order):
    order = make_order()  # the right eye only

    with pytest.raises(EyeNotOrdered) as refused:
        record_calculation(
            order=order, calculated={Eye.RIGHT: True, Eye.LEFT: True}, actor=supervisor
        )

    assert refused.value.details == ["Eye: L"]
    assert not order.eyes.filter(calculated=True).exists()
    assert not OrderEvent.objects.filter(kind=EventKind.CALCULATION).exists()


def test_a_completed_order_is_refused(supervisor, make_order):
    order = make_order(state="C")

    with pytest.raises(OrderAlreadyCompleted):
        record_calculation(order=order, calculated={Eye.RIGHT: True}, actor=supervisor)

    assert not order.eyes.filter(calculated=True).exists()


def test_calculation_desc_is_output_only_on_create(supervisor_api, job_customer):
    body = supervisor_api.post(
        "/api/v2/orders", job_json(calculationDesc="Both eyes calculated"), status=400
    )

    assert body == {
        "error": "Incorrect arguments provided",
        "details": ["calculationDesc: unknown field"],
    }

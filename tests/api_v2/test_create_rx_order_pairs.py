"""POST /api/v2/orders (contracts/rx-orders.md): pairs of checks whose order the create table
implies, each answered by the earlier row with its exact body. The jobs, customers and addons
are those of test_create_rx."""

import pytest

from .test_create_rx import (  # reference_data: the autouse fixture (customer C1, the addons)
    URL,
    addon_job,
    reference_data,  # noqa: F401
    refused,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number", ["C404", "c1"])  # unknown; numbers are case-sensitive
def test_customer_before_no_addons_entered(supervisor_api, number):
    # Row 4 before row 6: an addon job with no addons, for a customer that does not exist.
    no_addons = addon_job(customerNumber=number)
    assert no_addons["addons"] == []

    refused(
        supervisor_api,
        no_addons,
        {"error": "Customer does not exist", "details": [f"Provided: {number}"]},
    )


def test_an_inactive_customer_before_no_addons_entered(supervisor_api, make_customer):
    make_customer("C9", active=False)

    refused(
        supervisor_api,
        addon_job(customerNumber="C9"),
        {"error": "Customer does not exist", "details": ["Provided: C9"]},
    )


def test_with_a_known_customer_the_same_job_answers_no_addons_entered(supervisor_api):
    # The other half of the pair: the customer row passed, row 6 answers.
    refused(supervisor_api, addon_job(), {"error": "No addons entered", "details": []})
    assert supervisor_api.post(URL, addon_job("TINT-G"), status=201)["status"] == "V"

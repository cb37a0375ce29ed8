"""The least a job carries, for tests about something else: a job to surface or edge names a
lens style and a material, and its ordered eye a sphere (contracts/rx-orders.md, checks 5
and 7). ``A_LENS`` for the services; ``job_json`` for the Lab API v2 create, which also
requires a customer (``job_customer``), a customer job id, a PO number and a job type."""

import itertools
from decimal import Decimal

import pytest

from orders.models import Customer
from orders.rx import Eye, EyeValues

A_LENS = {Eye.RIGHT: EyeValues(lens_style="SV", lens_material="CR39", sphere=Decimal("0.00"))}
A_LENS_JSON = {"rtLensStyle": "SV", "rtLensMaterial": "CR39", "rtSphere": 0}
JOB_CUSTOMER = "C-JOB"

_jobs = itertools.count(1)


def job_json(**fields) -> dict:
    """A Lab API v2 create body of an uncut job for ``JOB_CUSTOMER``, its customer job id and
    PO number new each time (so that it is no duplicate), with ``fields`` given."""
    n = next(_jobs)
    return {
        "customerNumber": JOB_CUSTOMER,
        "customerJobId": f"J-{n}",
        "poNumber": f"PO-JOB-{n}",
        "jobType": "U",
        **A_LENS_JSON,
        **fields,
    }


@pytest.fixture
def job_customer(db) -> Customer:
    """The customer ``job_json`` orders for."""
    return Customer.objects.get_or_create(number=JOB_CUSTOMER, defaults={"name": "Job tests"})[0]

"""The job-types migration: every existing order becomes a job, an ``F`` order included (it
used to be taken for a stock order, and is a Full job); none becomes a stock order."""

import pytest

from tests.migrating import migrate

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BEFORE = [("orders", "0014_settings_declared_once")]
AFTER = [("orders", "0015_every_order_a_job")]


def test_every_existing_order_becomes_a_job(latest):
    old = migrate(BEFORE)
    for number, job_type in enumerate("FUAE", start=71001):
        old.get_model("orders", "Order").objects.create(number=number, job_type=job_type)

    new = migrate(AFTER)

    orders = new.get_model("orders", "Order").objects.filter(number__gte=71001)
    assert sorted(orders.values_list("job_type", "stock_order")) == [
        ("A", False),
        ("E", False),
        ("F", False),
        ("U", False),
    ]

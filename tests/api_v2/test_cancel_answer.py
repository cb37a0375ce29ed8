"""DELETE /api/v2/orders/{orderIdentifier}: the order the cancel answers with is read with the
order's lock and updated in memory; it must be the order as the database now holds it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from orders.api.v2.views import answer
from orders.identifiers import order_with_items
from orders.models import OrderItem
from orders.status import ProcessingStatus

pytestmark = pytest.mark.django_db


def url(identifier) -> str:
    return f"/api/v2/orders/{identifier}"


def as_now_stored(order) -> dict:
    """The v2 model of the order read afresh, after the cancel committed."""
    return answer(*order_with_items(order.pk))


@pytest.mark.parametrize(
    ("items", "endpoints"),
    [
        pytest.param(2, ("surfacing", "coating"), id="items-with-endpoints"),
        pytest.param(1, (), id="an-item-without-endpoints"),
        pytest.param(0, (), id="no-items"),
    ],
)
def test_the_answer_is_the_order_as_stored(supervisor_api, make_order, items, endpoints):
    order = make_order(items=items, endpoints=endpoints, tray="123", po_number="PO-7")

    body = supervisor_api.delete(url(order.number), status=200)

    assert body.pop("message") == ""
    assert body == as_now_stored(order)
    assert all(item["status"] == ProcessingStatus.CANCELLED for item in body["items"])


def test_an_item_cancelled_before_stays_as_stored(
    supervisor_api, make_order, check_in, make_station
):
    order = make_order(items=2, endpoints=("surfacing",))
    first = order.items.order_by("id").first()
    OrderItem.objects.filter(pk=first.pk).update(status=ProcessingStatus.CANCELLED)
    check_in(order, make_station("SURF"))  # a current station to show

    body = supervisor_api.delete(url(order.number), status=200)

    body.pop("message")
    assert body == as_now_stored(order)


def test_no_print_job_statement_when_none_is_queued(supervisor_api, make_order):
    order = make_order()

    with CaptureQueriesContext(connection) as queries:
        supervisor_api.delete(url(order.number), status=200)

    # (tests/printing/test_print_ticket.py: queued jobs are cancelled with their order)
    assert not [q for q in queries if q["sql"].startswith('UPDATE "printing_printjob"')]

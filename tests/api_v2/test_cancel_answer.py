"""DELETE /api/v2/orders/{orderIdentifier}: the order the cancel answers with is read with the
order's lock; the answer must be the order as the database now holds it."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from orders.api.v2.views import shown
from orders.models import OrderItem
from orders.status import ProcessingStatus

pytestmark = pytest.mark.django_db


def url(identifier) -> str:
    return f"/api/v2/orders/{identifier}"


def as_now_stored(order) -> dict:
    """The v2 model of the order read afresh, after the cancel committed."""
    return shown(order)


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


def test_print_jobs_cost_a_cancel_one_statement(supervisor_api, make_order):
    order = make_order()

    with CaptureQueriesContext(connection) as queries:
        supervisor_api.delete(url(order.number), status=200)

    # Printing's cancel hook (orders.hooks.on_cancel) cancels the queued tickets in one update,
    # whether there are any or not (tests/printing/test_print_ticket.py: they are cancelled).
    assert len([q for q in queries if '"printing_printjob"' in q["sql"]]) == 1


# --- the order is looked up with its lock ---------------------------------------------------------


def test_an_order_number_is_looked_up_with_the_lock_in_one_statement(supervisor_api, make_order):
    order = make_order()

    with CaptureQueriesContext(connection) as queries:
        supervisor_api.delete(url(order.number), status=200)

    # The lookup with the lock, then the answer's read of the changed order.
    order_reads = [q["sql"] for q in queries if 'FROM "orders_order"' in q["sql"]]
    assert len(order_reads) == 2
    if connection.vendor == "postgresql":
        assert 'FOR UPDATE OF "orders_order"' in order_reads[0]
        assert "FOR UPDATE" not in order_reads[1]


@pytest.mark.parametrize("identifier", ["4321", "PO-4321"], ids=["tray", "po-number"])
def test_a_tray_or_po_number_resolves_as_a_fetch_resolves_it(
    supervisor_api, make_order, identifier
):
    order = make_order(tray="4321", po_number="PO-4321")

    body = supervisor_api.delete(url(identifier), status=200)

    assert body["orderNumber"] == str(order.number)
    order.refresh_from_db()
    assert order.cancelled_at is not None


def test_an_order_number_wins_over_another_orders_tray(supervisor_api, make_order):
    numbered = make_order()
    with_that_tray = make_order(tray=str(numbered.number))

    body = supervisor_api.delete(url(numbered.number), status=200)

    assert body["orderNumber"] == str(numbered.number)
    with_that_tray.refresh_from_db()
    assert with_that_tray.cancelled_at is None


def test_an_ambiguous_po_number_cancels_nothing(supervisor_api, make_order):
    first, second = make_order(po_number="PO-2X"), make_order(po_number="PO-2X")

    supervisor_api.delete(url("PO-2X"), status=400)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.cancelled_at is None
    assert second.cancelled_at is None


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        pytest.param("?deleteReason=A%00B", None, id="nul-in-reason"),
        pytest.param("", "[1, 2]", id="body-not-an-object"),
        pytest.param("", "{not json", id="malformed-json"),
    ],
)
def test_no_such_order_answers_before_a_bad_reason_parameter(supervisor_api, path, raw):
    body = supervisor_api.call(
        "delete", url("424242") + path, raw=raw if raw is not None else "", status=404
    )

    assert body == {"error": "No record found", "details": ["Provided: 424242"]}

"""orders.fast_reads, the one fast path: it must read exactly what the ORM reads. Its SQL
repeats two rules of the model layer ("an active order" and the identifier tries); these tests
hold both equal to the ORM's over orders in every state."""

from unittest.mock import ANY

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from orders import fast_reads
from orders.errors import AmbiguousOrderIdentifier, OrderNotFound
from orders.identifiers import resolve_order_identifier
from orders.models import Order
from orders.status import OrderState

pytestmark = pytest.mark.django_db

IDENTIFIERS = ["10001", "10002", "10003", "10004", "10005", "5", "6", "7", "8", "10003"]
IDENTIFIERS += ["PO-ONE", "PO-TWO", "PO-NONE", "", "00", "123456789", "x" * 21, "a\x00b"]


@pytest.fixture
def lab(make_order, make_station, make_user):
    """Orders in every state that changes what an identifier finds."""
    creator = make_user(username="creator")
    surf = make_station("SURF", description="Surfacing", customer_description="In work")
    active = make_order(number=10001, tray="5", po_number="PO-ONE", items=2, actor=creator)
    Order.objects.filter(pk=active.pk).update(
        current_station=surf, current_station_at=timezone.now()
    )
    cancelled = make_order(number=10002, tray="6", po_number="PO-TWO", items=1)
    Order.objects.filter(pk=cancelled.pk).update(cancelled_at=timezone.now())
    completed = make_order(number=10003, tray="7", po_number="PO-TWO", items=0)
    Order.objects.filter(pk=completed.pk).update(state=OrderState.COMPLETED)
    make_order(number=10004, tray="8", items=1, endpoints=())  # an item without endpoints
    make_order(number=8, tray="10005")  # a number that is another order's tray, and back
    make_order(number=10005)
    return active


def outcome(resolve, identifier):
    try:
        return resolve(identifier).pk
    except (OrderNotFound, AmbiguousOrderIdentifier) as error:
        return type(error).__name__, error.details


@pytest.mark.parametrize("with_items", [False, True])
@pytest.mark.parametrize("identifier", IDENTIFIERS)
def test_every_identifier_finds_what_the_orm_finds(lab, identifier, with_items):
    def fast(identifier):
        return fast_reads.order_to_show(identifier, with_items=with_items)

    assert outcome(fast, identifier) == outcome(resolve_order_identifier, identifier)


def field_values(order: Order) -> dict:
    return {field.attname: getattr(order, field.attname) for field in Order._meta.concrete_fields}


@pytest.mark.parametrize("number", [10001, 10002, 10003, 10004])
def test_the_order_its_station_and_creator_are_read_as_the_orm_reads_them(lab, number):
    expected = Order.objects.select_related("current_station", "created_by").get(number=number)

    with CaptureQueriesContext(connection) as queries:
        found = fast_reads.order_to_show(str(number))
        station = found.current_station and (
            found.current_station.code,
            found.current_station.description,
            found.current_station.customer_description,
        )
        creator = found.created_by and found.created_by.get_username()

    assert len(queries) == 1
    assert field_values(found) == field_values(expected)
    assert timezone.is_aware(found.received_at)
    assert station == (
        expected.current_station
        and (
            expected.current_station.code,
            expected.current_station.description,
            expected.current_station.customer_description,
        )
    )
    assert creator == (expected.created_by and expected.created_by.get_username())


@pytest.mark.parametrize("with_items", [False, True])
@pytest.mark.parametrize(
    ("identifier", "number"),
    [("5", 10001), ("10005", 10005), ("8", 8), ("404", None)],
    ids=["a tray", "a number that is also a tray", "a tray that is also a number", "neither"],
)
def test_a_tray_that_could_be_an_order_number_is_tried_as_both_in_one_statement(
    lab, identifier, number, with_items
):
    with CaptureQueriesContext(connection) as queries:
        found = outcome(
            lambda text: fast_reads.order_to_show(text, with_items=with_items), identifier
        )

    expected = Order.objects.get(number=number).pk if number else ("OrderNotFound", ANY)
    assert found == expected
    # A PO number is the third try, with its own statement, when neither finds an order.
    assert len(queries) == (1 if number else 2)


def test_the_stations_other_fields_are_read_when_asked(lab):
    found = fast_reads.order_to_show("10001")

    with CaptureQueriesContext(connection) as queries:
        assert found.current_station.non_cancel is False

    assert len(queries) == 1  # deferred, as with .only(): read, never made up


def shown(endpoints) -> list[tuple[str, str]]:
    return [(endpoint.name, endpoint.status) for endpoint in endpoints]


@pytest.mark.parametrize("number", [10001, 10002, 10003, 10004])
def test_items_and_endpoints_are_read_with_the_order_as_the_orm_reads_them(lab, number):
    order = Order.objects.get(number=number)
    expected = [
        (
            item.pk,
            item.sku,
            item.name,
            item.quantity,
            item.status,
            shown(item.endpoints.order_by("pk")),
        )
        for item in order.items.order_by("pk")
    ]

    with CaptureQueriesContext(connection) as queries:
        read = fast_reads.order_to_show(str(number), with_items=True)
        found = [
            (item.pk, item.sku, item.name, item.quantity, item.status, shown(endpoints))
            for item, endpoints in fast_reads.items_shown(read)
        ]

    assert len(queries) == 1  # the order, its station, creator, items and endpoints together
    assert field_values(read) == field_values(order)
    assert found == expected


def test_an_order_read_by_its_id_is_the_same_as_by_its_number(lab):
    assert field_values(fast_reads.order_to_show_by_pk(lab.pk)) == field_values(
        fast_reads.order_to_show("10001")
    )
    with pytest.raises(Order.DoesNotExist):
        fast_reads.order_to_show_by_pk(lab.pk + 1000)

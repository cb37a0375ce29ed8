"""Order, tray and PO number rules, and how an order identifier resolves (contract: "The order
identifier")."""

from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from orders.errors import AmbiguousOrderIdentifier, OrderNotFound
from orders.identifiers import (
    order_number_error,
    order_with_items,
    po_number_error,
    resolve_order_identifier,
    resolve_order_with_items,
    tray_number_error,
)
from orders.models import Order
from orders.status import OrderState

# --- order number: numeric, at most 8 digits, not starting with 0 -----------------------------


@pytest.mark.parametrize("value", ["1", "10000", "99999999"])
def test_order_number_accepts_up_to_eight_digits_not_starting_with_zero(value):
    assert order_number_error(value) is None


@pytest.mark.parametrize("value", ["", "12a", "-1", "1.5", " 123", "123 ", "1e5", "+12"])
def test_order_number_must_contain_digits_only(value):
    assert order_number_error(value) == "must contain digits only"


def test_order_number_has_at_most_eight_digits():
    assert order_number_error("123456789") == "must have at most 8 digits"


def test_order_number_must_not_start_with_zero():
    assert order_number_error("0123") == "must not start with 0"


def test_order_number_zero_is_refused():
    assert order_number_error("0") == "must not start with 0"


# --- tray number: numeric, at most 5 digits ----------------------------------------------------


@pytest.mark.parametrize("value", ["0", "00042", "12345"])
def test_tray_number_accepts_up_to_five_digits(value):
    assert tray_number_error(value) is None


@pytest.mark.parametrize("value", ["", "12a", "-1", "1 2", "T1"])
def test_tray_number_must_contain_digits_only(value):
    assert tray_number_error(value) == "must contain digits only"


def test_tray_number_has_at_most_five_digits():
    assert tray_number_error("123456") == "must have at most 5 digits"


# --- PO number: at most 20 characters, no control characters -----------------------------------


@pytest.mark.parametrize("value", ["PO-1", "x" * 20, "Bestellung Nr. ü-7", "1' OR '1'='1"])
def test_po_number_accepts_up_to_twenty_printable_characters(value):
    assert po_number_error(value) is None


def test_po_number_has_at_most_twenty_characters():
    assert po_number_error("x" * 21) == "must have at most 20 characters"


@pytest.mark.parametrize("value", ["PO\x001", "PO\n1", "PO\t1", "\x7f", "PO\u200b"])
def test_po_number_must_not_contain_control_characters(value):
    assert po_number_error(value) == "must not contain control characters"


# --- non-ASCII digits are not digits here -------------------------------------------------------


@pytest.mark.parametrize("value", ["١٢٣", "１２３", "۱۲۳", "²"])
def test_non_ascii_digits_are_refused_as_order_and_tray_numbers(value):
    assert order_number_error(value) == "must contain digits only"
    assert tray_number_error(value) == "must contain digits only"


@pytest.mark.django_db
def test_non_ascii_digits_do_not_resolve_to_the_order_with_those_ascii_digits(make_order):
    make_order(number=123, tray="123")
    with pytest.raises(OrderNotFound):
        resolve_order_identifier("١٢٣")


# --- resolution ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_resolves_an_exact_order_number(make_order):
    order = make_order(number=10500)
    assert resolve_order_identifier("10500") == order


@pytest.mark.django_db
def test_order_number_wins_over_a_tray_number(make_order):
    by_number = make_order(number=4711)
    make_order(number=20000, tray="4711")
    assert resolve_order_identifier("4711") == by_number


@pytest.mark.django_db
def test_order_number_wins_over_a_po_number(make_order):
    by_number = make_order(number=4711)
    make_order(number=20000, po_number="4711")
    assert resolve_order_identifier("4711") == by_number


@pytest.mark.django_db
def test_resolves_a_tray_number_of_an_active_order(make_order):
    order = make_order(number=10001, tray="42")
    assert resolve_order_identifier("42") == order


@pytest.mark.django_db
def test_tray_number_wins_over_a_po_number(make_order):
    by_tray = make_order(number=10001, tray="42")
    make_order(number=10002, po_number="42")
    assert resolve_order_identifier("42") == by_tray


@pytest.mark.django_db
def test_tray_of_a_completed_order_is_not_matched(make_order):
    make_order(number=10001, tray="42", state=OrderState.COMPLETED, completed_at=timezone.now())
    with pytest.raises(OrderNotFound):
        resolve_order_identifier("42")


@pytest.mark.django_db
def test_tray_of_an_order_marked_for_cancelation_is_not_matched(make_order):
    make_order(number=10001, tray="42", cancelled_at=timezone.now())
    with pytest.raises(OrderNotFound):
        resolve_order_identifier("42")


@pytest.mark.django_db
def test_a_freed_tray_resolves_to_the_active_order_now_holding_it(make_order):
    make_order(number=10001, tray="42", state=OrderState.COMPLETED, completed_at=timezone.now())
    make_order(number=10002, tray="42", cancelled_at=timezone.now())
    holder = make_order(number=10003, tray="42")
    assert resolve_order_identifier("42") == holder


@pytest.mark.django_db
def test_tray_of_an_inactive_order_falls_through_to_a_po_number(make_order):
    make_order(number=10001, tray="42", cancelled_at=timezone.now())
    by_po = make_order(number=10002, po_number="42")
    assert resolve_order_identifier("42") == by_po


@pytest.mark.django_db
def test_not_a_valid_order_number_still_resolves_as_a_tray(make_order):
    order = make_order(number=10001, tray="0123")
    assert order_number_error("0123") == "must not start with 0"
    assert resolve_order_identifier("0123") == order


@pytest.mark.django_db
def test_resolves_a_po_number_carried_by_exactly_one_order(make_order):
    order = make_order(number=10001, po_number="PO-77")
    assert resolve_order_identifier("PO-77") == order


@pytest.mark.django_db
def test_a_po_number_of_a_cancelled_order_still_resolves(make_order):
    order = make_order(number=10001, po_number="PO-77", cancelled_at=timezone.now())
    assert resolve_order_identifier("PO-77") == order


@pytest.mark.django_db
@pytest.mark.parametrize("matches", [2, 3])
def test_a_po_number_carried_by_several_orders_is_ambiguous(make_order, matches):
    for n in range(matches):
        make_order(number=10001 + n, po_number="PO-77")
    with pytest.raises(AmbiguousOrderIdentifier) as caught:
        resolve_order_identifier("PO-77")
    assert caught.value.matches == matches
    assert caught.value.message == "Order identifier is ambiguous"
    assert caught.value.details == ["Provided: PO-77", f"Matches: {matches} orders by PO number"]


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["99999", "PO-404", "0", "x" * 21, ""])
def test_unknown_identifier_is_not_found_with_the_provided_value(make_order, identifier):
    make_order(number=10001, tray="1", po_number="PO-1")
    with pytest.raises(OrderNotFound) as caught:
        resolve_order_identifier(identifier)
    assert caught.value.message == "No record found"
    assert caught.value.details == [f"Provided: {identifier}"]
    assert caught.value.provided == identifier


def field_values(order: Order) -> dict:
    return {field.attname: getattr(order, field.attname) for field in Order._meta.concrete_fields}


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["10001", "42", "PO-RESOLVE"])
@pytest.mark.parametrize("with_related", [False, True])
def test_each_try_reads_the_order_as_the_orm_does_in_one_statement(
    make_order, make_station, make_user, identifier, with_related
):
    creator = make_user(username="resolver")
    station = make_station("SURF", description="Surfacing", customer_description="In work")
    order = make_order(number=10001, tray="42", po_number="PO-RESOLVE", actor=creator)
    Order.objects.filter(pk=order.pk).update(
        current_station=station, current_station_at=timezone.now(), on_hold=True
    )
    expected = Order.objects.select_related("current_station", "created_by").get(pk=order.pk)

    with CaptureQueriesContext(connection) as queries:
        found = resolve_order_identifier(identifier, with_related=with_related)
        if with_related:
            related = (found.current_station, found.created_by.get_username())

    assert len(queries) == 1  # "42" is tried as an order number and as a tray together
    assert field_values(found) == field_values(expected)
    assert found.on_hold is True  # a boolean, as the ORM gives it, on every database
    assert timezone.is_aware(found.received_at)
    if with_related:
        assert related[0].code == "SURF"
        assert related[0].customer_description == "In work"
        assert related[1] == "resolver"


@pytest.mark.django_db
def test_an_order_number_wins_over_a_tray_read_in_the_same_statement(make_order):
    by_tray = make_order(number=10001, tray="20002")
    by_number = make_order(number=20002)

    assert resolve_order_identifier("20002").pk == by_number.pk
    assert resolve_order_with_items("20002")[0].pk == by_number.pk
    by_number.delete()
    assert resolve_order_identifier("20002").pk == by_tray.pk


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["10001", "42", "PO-ITEMS"])
def test_an_order_resolves_with_its_items_and_endpoints_in_one_statement(make_order, identifier):
    order = make_order(
        number=10001, tray="42", po_number="PO-ITEMS", items=3, endpoints=("surfacing", "coating")
    )
    make_order(number=10002, po_number="PO-OTHER", items=2)
    expected = [
        (item.pk, order.pk, item.sku, item.name, item.quantity, item.status, e.name, e.status)
        for item in order.items.order_by("pk")
        for e in item.endpoints.order_by("pk")
    ]

    with CaptureQueriesContext(connection) as queries:
        found, item_rows = resolve_order_with_items(identifier)

    assert len(queries) == 1
    assert found.pk == order.pk
    assert found.created_by is None
    assert item_rows == expected


@pytest.mark.django_db
def test_an_order_is_read_by_its_id_with_its_items_in_one_statement(make_order, make_user):
    order = make_order(number=10001, items=2, endpoints=("surfacing",), actor=make_user())
    make_order(number=10002, items=3)

    with CaptureQueriesContext(connection) as queries:
        found, item_rows = order_with_items(order.pk)

    assert len(queries) == 1
    assert field_values(found) == field_values(Order.objects.get(pk=order.pk))
    assert found.created_by.get_username() == order.created_by.get_username()
    assert [row[0] for row in item_rows] == list(
        order.items.order_by("pk").values_list("pk", flat=True)
    )


@pytest.mark.django_db
def test_reading_an_order_id_that_does_not_exist_raises(make_order):
    order = make_order(number=10001)

    with pytest.raises(Order.DoesNotExist):
        order_with_items(order.pk + 1000)


@pytest.mark.django_db
def test_an_order_without_items_resolves_with_one_row_without_an_item(make_order):
    order = make_order(number=10001, items=0)

    found, item_rows = resolve_order_with_items("10001")

    assert found.pk == order.pk
    assert item_rows == [(None, order.pk, None, None, None, None, None, None)]


@pytest.mark.django_db
def test_an_item_without_endpoints_comes_once(make_order):
    order = make_order(number=10001, items=1, endpoints=())
    [item] = order.items.all()

    assert resolve_order_with_items("10001")[1] == [
        (item.pk, order.pk, item.sku, item.name, item.quantity, item.status, None, None)
    ]


@pytest.mark.django_db
def test_a_po_number_of_two_orders_with_many_items_each_is_ambiguous(make_order):
    make_order(number=10001, po_number="PO-MANY", items=3, endpoints=("a", "b"))
    make_order(number=10002, po_number="PO-MANY", items=3, endpoints=("a", "b"))
    make_order(number=10003, po_number="PO-MANY", items=1)

    with pytest.raises(AmbiguousOrderIdentifier) as caught:
        resolve_order_with_items("PO-MANY")

    assert caught.value.matches == 3


@pytest.mark.django_db
def test_an_order_without_station_or_creator_reads_with_none_for_both(make_order):
    make_order(number=10001)

    found = resolve_order_identifier("10001", with_related=True)

    assert found.current_station is None
    assert found.created_by is None


# --- a tray is unique among active orders (database constraint) ---------------------------------


def _insert_order(number: int, tray: str, **fields) -> Order:
    return Order.objects.create(number=number, tray=tray, **fields)


@pytest.mark.django_db
def test_two_active_orders_cannot_share_a_tray():
    _insert_order(10001, "42")
    with pytest.raises(IntegrityError), transaction.atomic():
        _insert_order(10002, "42")
    assert Order.objects.filter(tray="42").count() == 1


@pytest.mark.django_db
def test_a_tray_is_free_again_once_its_order_is_completed():
    first = _insert_order(10001, "42")
    Order.objects.filter(pk=first.pk).update(state=OrderState.COMPLETED)
    second = _insert_order(10002, "42")
    assert second.pk is not None
    assert Order.objects.filter(tray="42").count() == 2


@pytest.mark.django_db
def test_a_tray_is_free_again_once_its_order_is_cancelled():
    first = _insert_order(10001, "42")
    Order.objects.filter(pk=first.pk).update(cancelled_at=timezone.now())
    second = _insert_order(10002, "42")
    assert second.pk is not None
    assert Order.objects.filter(tray="42").count() == 2


@pytest.mark.django_db
def test_reactivating_an_order_onto_a_taken_tray_is_refused():
    first = _insert_order(10001, "42", cancelled_at=timezone.now())
    _insert_order(10002, "42")
    with pytest.raises(IntegrityError), transaction.atomic():
        Order.objects.filter(pk=first.pk).update(cancelled_at=None)


@pytest.mark.django_db
def test_orders_without_a_tray_do_not_collide():
    _insert_order(10001, "")
    _insert_order(10002, "")
    assert Order.objects.filter(tray="").count() == 2

"""Order, tray and PO number rules, and how an order identifier resolves (contract: "The order
identifier")."""

from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from orders.errors import AmbiguousOrderIdentifier, OrderNotFound
from orders.identifiers import (
    order_number_error,
    po_number_error,
    resolve_order_identifier,
    tray_number_error,
)
from orders.models import Order
from orders.services import locked_orders
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
def test_each_try_reads_the_order_in_one_statement(make_order, make_station, make_user, identifier):
    creator = make_user(username="resolver")
    station = make_station("SURF", description="Surfacing", customer_description="In work")
    order = make_order(number=10001, tray="42", po_number="PO-RESOLVE", actor=creator)
    Order.objects.filter(pk=order.pk).update(
        current_station=station, current_station_at=timezone.now(), on_hold=True
    )
    shown = Order.objects.select_related("current_station", "created_by")

    with CaptureQueriesContext(connection) as queries:
        found = resolve_order_identifier(identifier, orders=shown)
        related = (found.current_station.code, found.created_by.get_username())

    assert len(queries) == 1  # "42" is tried as an order number and as a tray together
    assert found.pk == order.pk
    assert found.on_hold is True
    assert related == ("SURF", "resolver")


@pytest.mark.django_db
def test_an_order_number_wins_over_a_tray_read_in_the_same_statement(make_order):
    by_tray = make_order(number=10001, tray="20002")
    by_number = make_order(number=20002)

    assert resolve_order_identifier("20002").pk == by_number.pk
    by_number.delete()
    assert resolve_order_identifier("20002").pk == by_tray.pk


@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["10001", "42", "PO-ITEMS"])
def test_an_order_resolves_with_what_it_shows_in_five_statements(make_order, identifier):
    order = make_order(
        number=10001, tray="42", po_number="PO-ITEMS", items=3, endpoints=("surfacing", "coating")
    )
    make_order(number=10002, po_number="PO-OTHER", items=2)

    with CaptureQueriesContext(connection) as queries:
        found = resolve_order_identifier(identifier, orders=Order.objects.for_display())
        items = [
            (item.pk, item.sku, [endpoint.name for endpoint in item.endpoints.all()])
            for item in found.items.all()
        ]

    # The order with its station and creator, its eyes, its addons, its items, their endpoints.
    assert len(queries) == 5
    assert found.pk == order.pk
    assert items == [
        (item.pk, item.sku, ["surfacing", "coating"]) for item in order.items.order_by("pk")
    ]


@pytest.mark.django_db
def test_a_po_number_of_two_orders_with_many_items_each_is_ambiguous(make_order):
    make_order(number=10001, po_number="PO-MANY", items=3, endpoints=("a", "b"))
    make_order(number=10002, po_number="PO-MANY", items=3, endpoints=("a", "b"))
    make_order(number=10003, po_number="PO-MANY", items=1)

    with pytest.raises(AmbiguousOrderIdentifier) as caught:
        resolve_order_identifier("PO-MANY", orders=Order.objects.for_display())

    assert caught.value.matches == 3


@pytest.mark.django_db
def test_an_order_is_looked_up_with_its_lock_by_any_identifier(make_order):
    order = make_order(number=10001, tray="42", po_number="PO-LOCK")

    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        found = [
            resolve_order_identifier(identifier, orders=locked_orders())
            for identifier in ("10001", "42", "PO-LOCK")
        ]

    assert [order.pk] * 3 == [each.pk for each in found]
    if connection.features.has_select_for_update:
        assert all("FOR UPDATE" in query["sql"] for query in queries)


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

"""toolkit.compiled_query: a query compiled once, run with new arguments, rows as values_list
gives them."""

from datetime import date

from django.db import connection, transaction
from django.db.transaction import TransactionManagementError
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from orders.models import Order
from toolkit.compiled_query import CompiledQuery


@pytest.fixture
def orders(make_order):
    return [make_order(number=n, po_number=f"PO-{n}") for n in (30001, 30002, 30003)]


def by_number():
    return CompiledQuery(
        lambda number: Order.objects.filter(number=number).values_list(
            "number", "po_number", "received_at", "on_hold", "date_ordered"
        ),
        2_000_000_001,
    )


def test_rows_are_those_values_list_gives(orders):
    query = by_number()

    for order in orders:
        expected = list(
            Order.objects.filter(number=order.number).values_list(
                "number", "po_number", "received_at", "on_hold", "date_ordered"
            )
        )
        assert query.rows(order.number) == expected


def test_rows_carry_the_fields_conversions(orders):
    [(number, po_number, received_at, on_hold, date_ordered)] = by_number().rows(30002)

    assert (number, po_number) == (30002, "PO-30002")
    assert timezone.is_aware(received_at)
    assert on_hold is False
    assert isinstance(date_ordered, date)


def test_the_statement_is_compiled_once_and_its_text_reused(orders, monkeypatch):
    query = by_number()
    query.rows(30001)
    monkeypatch.setattr(
        Order.objects, "filter", lambda *a, **k: pytest.fail("the queryset was built again")
    )

    with CaptureQueriesContext(connection) as queries:
        assert query.rows(30003)[0][0] == 30003
        assert query.rows(30001)[0][0] == 30001

    assert len(queries) == 2
    assert queries[0]["sql"].replace("30003", "N") == queries[1]["sql"].replace("30001", "N")


def test_no_row_is_an_empty_list(orders):
    assert by_number().rows(39999) == []


def test_several_arguments_take_their_own_places(orders):
    query = CompiledQuery(
        lambda low, high: (
            Order.objects.filter(number__gte=low, number__lte=high)
            .order_by("number")
            .values_list("number", flat=False)
        ),
        2_000_000_001,
        2_000_000_002,
    )

    assert query.rows(30002, 30003) == [(30002,), (30003,)]
    assert query.rows(30001, 30001) == [(30001,)]


def test_a_placeholder_that_is_not_unique_in_the_parameters_is_refused(orders):
    query = CompiledQuery(
        lambda text: Order.objects.filter(tray=text, po_number=text).values_list("pk"),
        "7",
    )

    with pytest.raises(ValueError, match="placeholder '7' appears 2 times"):
        query.rows("7")


def test_the_wrong_number_of_arguments_is_refused(orders):
    with pytest.raises(TypeError, match="expected 1 arguments, got 2"):
        by_number().rows(1, 2)


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall()]


def number_statement(statements: list[str]) -> list[str]:
    return [s for s in statements if '"orders_order"."number" = $1' in s]


@pytest.mark.postgres
def test_on_postgresql_the_statement_is_prepared_on_the_server(orders):
    query = by_number()
    before = number_statement(prepared_statements())

    assert query.rows(30001)[0][0] == 30001
    assert query.rows(30002)[0][0] == 30002

    assert len(number_statement(prepared_statements())) == len(before) + 1


@pytest.mark.postgres
def test_statements_are_not_prepared_where_the_connection_prepares_none(orders, monkeypatch):
    """DB_PREPARE_STATEMENTS=0 leaves psycopg's prepare_threshold at Django's None."""
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)
    query = by_number()

    assert query.rows(30001)[0][0] == 30001

    assert number_statement(prepared_statements()) == []


@pytest.mark.postgres
def test_on_postgresql_constants_are_written_into_the_text_and_arguments_stay_parameters(orders):
    query = CompiledQuery(
        lambda tray, po: (
            Order.objects.active()
            .filter(tray=tray, po_number=po)
            .exclude(po_number="")
            .values_list("number")
        ),
        "\x1ftray",
        "\x1fpo",
    )
    Order.objects.filter(number=30002).update(tray="12")

    assert query.rows("12", "PO-30002") == [(30002,)]
    assert query.rows("12", "PO-30001") == []
    compiled = query._compiled["default"]

    # The arguments alone remain, in the order the text names them (here the PO number first).
    assert sorted(compiled.params) == sorted(("\x1ftray", "\x1fpo"))
    assert compiled.sql.count("%s") == 2
    assert "'C'" in compiled.sql  # the active orders' state condition, as a literal
    assert "''" in compiled.sql  # the empty PO number


@pytest.mark.postgres
def test_a_literal_percent_sign_in_a_constant_is_kept(orders):
    Order.objects.filter(number=30003).update(patient="100% done")
    query = CompiledQuery(
        lambda number: Order.objects.filter(number=number, patient="100% done").values_list(
            "number"
        ),
        2_000_000_001,
    )

    assert query.rows(30003) == [(30003,)]
    assert query.rows(30002) == []


@pytest.mark.postgres
def test_labsite_connections_plan_prepared_statements_once_for_any_argument(db):
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone() == ("force_generic_plan",)


@pytest.mark.postgres
# Outside any transaction, so a transactional test; serialized_rollback restores the rows the
# migrations made (groups, rights), which the flush that ends such a test removes.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_lock_outside_a_transaction_is_refused_as_django_refuses_it():
    Order.objects.create(number=30009)
    query = CompiledQuery(
        lambda number: Order.objects.select_for_update().filter(number=number).values_list("pk"),
        2_000_000_001,
    )
    with pytest.raises(TransactionManagementError):
        query.rows(30009)  # Django's own check, while compiling
    with transaction.atomic():
        assert len(query.rows(30009)) == 1

    with pytest.raises(TransactionManagementError, match="outside of a transaction"):
        query.rows(30009)  # compiled already: the same check, made here

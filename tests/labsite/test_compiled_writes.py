"""toolkit.compiled_query's writes: CompiledUpdate (a QuerySet.update of a fixed shape),
CompiledInsert (the INSERT of Model.save for a new row) and save_fields
(Model.save(update_fields=...)), each compiled once and then run with new values, with the
ORM's own effect."""

import contextlib
import datetime as dt
import uuid

from django.db import DatabaseError, connection, transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.db.models.signals import post_save, pre_save
from django.test.utils import CaptureQueriesContext

import pytest

from accounts.models import ApiKey
from orders.models import DeleteReason, Order, OrderEvent, OrderItem, OrderItemEndpoint
from orders.status import EventKind, ProcessingStatus
from toolkit import compiled_query
from toolkit.compiled_query import CompiledInsert, CompiledUpdate, save_fields

# Not UTC, with microseconds: what the field converts on the way to the column.
AT = dt.datetime(2026, 3, 1, 7, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


@pytest.fixture
def orders(make_order):
    return [make_order(number=n, po_number=f"PO-{n}") for n in (30001, 30002, 30003)]


@pytest.fixture
def order(make_order):
    return make_order(number=31001)


def patients() -> dict[int, str]:
    return dict(Order.objects.values_list("number", "patient"))


def patient_by_number() -> CompiledUpdate:
    return CompiledUpdate(lambda number: Order.objects.filter(number=number), fields=["patient"])


def stored(model, pk, *, leaving_out=()) -> dict:
    """Every concrete field's value of the row, as read back, but the primary key's."""
    row = model.objects.filter(pk=pk).values().get()
    return {name: value for name, value in row.items() if name not in ("id", *leaving_out)}


# --- CompiledUpdate ---------------------------------------------------------------------------


def test_an_update_changes_exactly_the_rows_its_queryset_selects(orders):
    changed = patient_by_number().run(30002, patient="Ada Lovelace")

    assert changed == 1
    assert patients() == {30001: "", 30002: "Ada Lovelace", 30003: ""}


def test_an_update_returns_the_number_of_rows_it_changed(orders):
    update = CompiledUpdate(lambda low: Order.objects.filter(number__gte=low), fields=["patient"])

    assert update.run(30002, patient="later") == 2
    assert update.run(30001, patient="all") == 3
    assert patients() == {30001: "all", 30002: "all", 30003: "all"}


def test_an_update_that_selects_no_row_changes_nothing_and_returns_0(orders):
    assert patient_by_number().run(39999, patient="nobody") == 0

    assert patients() == {30001: "", 30002: "", 30003: ""}


def test_constants_are_compiled_into_the_statement_and_set_on_every_run(orders):
    update = CompiledUpdate(
        lambda number: Order.objects.filter(number=number),
        fields=["patient"],
        constants={"on_hold": True, "processing_status": ProcessingStatus.CANCELLED},
    )

    update.run(30001, patient="first")
    update.run(30003, patient="third")

    assert list(
        Order.objects.order_by("number").values_list("number", "on_hold", "processing_status")
    ) == [
        (30001, True, ProcessingStatus.CANCELLED),
        (30002, False, ProcessingStatus.NEW),
        (30003, True, ProcessingStatus.CANCELLED),
    ]
    with pytest.raises(TypeError, match="expected values for"):
        update.run(30002, patient="x", on_hold=False)  # a constant is no value of the run


def test_an_aware_datetime_is_stored_as_queryset_update_stores_it(orders):
    update = CompiledUpdate(
        lambda number: Order.objects.filter(number=number), fields=["cancelled_at"]
    )

    update.run(30001, cancelled_at=AT)
    Order.objects.filter(number=30002).update(cancelled_at=AT)

    assert Order.objects.get(number=30001).cancelled_at == AT
    as_text = dict(
        Order.objects.annotate(text=Cast("cancelled_at", CharField())).values_list("number", "text")
    )
    assert as_text[30001] is not None
    assert as_text[30001] == as_text[30002]  # the column holds what the ORM writes


def test_a_value_is_converted_by_its_field_as_queryset_update_converts_it(orders):
    update = CompiledUpdate(
        lambda number: Order.objects.filter(number=number), fields=["date_wanted", "version"]
    )

    # A date column given an aware datetime, an integer column given its digits.
    update.run(30001, date_wanted=AT, version="7")
    Order.objects.filter(number=30002).update(date_wanted=AT, version="7")

    wanted = dict(Order.objects.values_list("number", "date_wanted"))
    assert type(wanted[30001]) is dt.date
    assert wanted[30001] == wanted[30002] == Order._meta.get_field("date_wanted").to_python(AT)
    assert Order.objects.get(number=30001).version == 7


def test_a_foreign_key_is_set_by_its_attname(orders, make_user):
    user = make_user(username="canceller")
    update = CompiledUpdate(
        lambda number: Order.objects.filter(number=number), fields=["cancelled_by_id"]
    )

    update.run(30002, cancelled_by_id=user.pk)
    assert Order.objects.get(number=30002).cancelled_by == user
    update.run(30002, cancelled_by_id=None)
    assert Order.objects.get(number=30002).cancelled_by is None


def test_a_foreign_key_is_set_from_a_model_instance_as_queryset_update_sets_it(orders, make_user):
    user = make_user(username="canceller")
    update = CompiledUpdate(
        lambda number: Order.objects.filter(number=number), fields=["cancelled_by"]
    )

    update.run(30002, cancelled_by=user)

    assert Order.objects.get(number=30002).cancelled_by == user
    assert Order.objects.get(number=30001).cancelled_by is None


def test_several_filter_arguments_take_their_own_places(orders):
    # The arguments in another order than the statement names their columns.
    update = CompiledUpdate(
        lambda po_number, number: Order.objects.filter(number=number).filter(po_number=po_number),
        fields=["patient"],
    )

    assert update.run("PO-30001", 30002, patient="mismatch") == 0
    assert update.run("PO-30002", 30002, patient="match") == 1
    assert patients() == {30001: "", 30002: "match", 30003: ""}


def test_the_update_is_compiled_once_and_its_text_reused(orders, monkeypatch):
    update = patient_by_number()
    update.run(30001, patient="compiled")
    monkeypatch.setattr(
        Order.objects, "filter", lambda *a, **k: pytest.fail("the queryset was built again")
    )

    with CaptureQueriesContext(connection) as queries:
        assert update.run(30002, patient="second-run") == 1
        assert update.run(30003, patient="third-run") == 1

    assert len(queries) == 2
    first, second = (q["sql"] for q in queries.captured_queries)
    assert first.replace("30002", "N").replace("second-run", "V") == second.replace(
        "30003", "N"
    ).replace("third-run", "V")
    monkeypatch.undo()
    assert patients() == {30001: "compiled", 30002: "second-run", 30003: "third-run"}


def test_an_update_filtered_through_a_join_changes_that_orders_rows(make_order):
    order, other = (make_order(items=2, endpoints=("surfacing", "coating")) for _ in range(2))
    cancel_endpoints = CompiledUpdate(
        lambda order_id: OrderItemEndpoint.objects.filter(item__order_id=order_id).exclude(
            status=ProcessingStatus.CANCELLED
        ),
        fields=[],
        constants={"status": ProcessingStatus.CANCELLED},
    )

    assert cancel_endpoints.run(order.pk) == 4
    assert cancel_endpoints.run(order.pk) == 0  # all cancelled already

    def statuses(of) -> set[str]:
        return set(
            OrderItemEndpoint.objects.filter(item__order=of).values_list("status", flat=True)
        )

    assert statuses(order) == {ProcessingStatus.CANCELLED}
    assert statuses(other) == {ProcessingStatus.NEW}


def test_the_wrong_number_of_arguments_is_refused_before_any_statement(orders):
    update = patient_by_number()

    with CaptureQueriesContext(connection) as queries:
        with pytest.raises(TypeError, match="expected 1 arguments, got 2"):
            update.run(30001, 30002, patient="x")
        with pytest.raises(TypeError, match="expected 1 arguments, got 0"):
            update.run(patient="x")

    assert len(queries) == 0


@pytest.mark.parametrize(
    "values",
    [
        pytest.param({}, id="missing"),
        pytest.param({"name": "x"}, id="another-name"),
        pytest.param({"patient": "x", "tray": "1"}, id="one-too-many"),
    ],
)
def test_values_under_other_names_than_the_fields_are_refused(orders, values):
    with pytest.raises(TypeError, match=r"expected values for \['patient'\]"):
        patient_by_number().run(30001, **values)

    assert patients() == {30001: "", 30002: "", 30003: ""}


# --- models with save receivers ---------------------------------------------------------------


def _save_receiver(sender, **kwargs):
    pass


@pytest.fixture(params=[pre_save, post_save], ids=["pre_save", "post_save"])
def reason_with_a_save_receiver(request, make_reason):
    """A delete reason whose model has a receiver of this save signal for the test."""
    reason = make_reason("CUS", "Customer request")
    request.param.connect(_save_receiver, sender=DeleteReason, dispatch_uid="test_compiled_writes")
    yield reason
    request.param.disconnect(sender=DeleteReason, dispatch_uid="test_compiled_writes")


def test_an_update_of_a_model_with_save_receivers_is_refused(reason_with_a_save_receiver):
    update = CompiledUpdate(
        lambda code: DeleteReason.objects.filter(code=code), fields=["description"]
    )

    with pytest.raises(TypeError, match=r"orders\.DeleteReason has save signal receivers"):
        update.run("CUS", description="changed")

    assert DeleteReason.objects.get().description == "Customer request"


def test_an_insert_of_a_model_with_save_receivers_is_refused(reason_with_a_save_receiver):
    with pytest.raises(TypeError, match=r"orders\.DeleteReason has save signal receivers"):
        CompiledInsert(DeleteReason).run(DeleteReason(code="DUP", description="Duplicate"))

    assert list(DeleteReason.objects.values_list("code", flat=True)) == ["CUS"]


def test_a_receiver_connected_after_compiling_is_refused_too(make_reason):
    make_reason("CUS", "Customer request")
    update = CompiledUpdate(
        lambda code: DeleteReason.objects.filter(code=code), fields=["description"]
    )
    insert = CompiledInsert(DeleteReason)
    update.run("CUS", description="compiled")
    insert.run(DeleteReason(code="DUP", description="compiled"))
    post_save.connect(_save_receiver, sender=DeleteReason, dispatch_uid="test_compiled_late")
    try:
        with pytest.raises(TypeError, match="has save signal receivers"):
            update.run("CUS", description="changed")
        with pytest.raises(TypeError, match="has save signal receivers"):
            insert.run(DeleteReason(code="LATE", description="late"))
    finally:
        post_save.disconnect(sender=DeleteReason, dispatch_uid="test_compiled_late")

    assert dict(DeleteReason.objects.values_list("code", "description")) == {
        "CUS": "compiled",
        "DUP": "compiled",
    }


def test_save_fields_refuses_a_model_whose_saves_others_listen_to(make_user):
    """Saving an API key makes the process forget the keys it keeps (a post_save receiver)."""
    api_key, _ = ApiKey.issue(user=make_user(), name="rx system")
    api_key.name = "renamed"

    with pytest.raises(TypeError, match=r"accounts\.ApiKey has save signal receivers"):
        save_fields(api_key, ["name"])

    assert ApiKey.objects.get(pk=api_key.pk).name == "rx system"


# --- CompiledInsert ---------------------------------------------------------------------------


def test_an_insert_writes_the_row_that_objects_create_writes(make_user, make_reason):
    user, reason = make_user(username="creator"), make_reason()
    values = {
        "tray": "12",
        "po_number": "PO-100%",
        "patient": "Zoë O'Brien",
        "date_ordered": dt.date(2026, 2, 27),
        "received_at": AT,
        "date_wanted": None,
        "on_hold": True,
        "processing_status": ProcessingStatus.CANCELLED,
        "cancelled_at": AT + dt.timedelta(hours=1),
        "cancelled_by": user,
        "cancel_reason": reason,
        "requires_tint": True,
        "version": 3,
    }
    created = Order.objects.create(number=32001, public_id=uuid.uuid4(), **values)
    public_id = uuid.uuid4()

    inserted = CompiledInsert(Order).run(Order(number=32002, public_id=public_id, **values))

    assert stored(Order, inserted.pk, leaving_out=("number", "public_id")) == stored(
        Order, created.pk, leaving_out=("number", "public_id")
    )
    assert Order.objects.filter(pk=inserted.pk, number=32002, public_id=public_id).exists()


def test_an_insert_of_a_history_row_equals_objects_create(order, make_user):
    user = make_user(username="sam")
    values = {
        "order": order,
        "at": AT,
        "actor": user,
        "actor_name": "sam",
        "kind": EventKind.HOLD,
        "from_value": "",
        "to_value": "On Hold",
        "reason": "customer called",
        "note": "line one\nline two, 50% done",
    }
    created = OrderEvent.objects.create(**values)

    inserted = CompiledInsert(OrderEvent).run(OrderEvent(**values))

    assert inserted.pk != created.pk
    assert stored(OrderEvent, inserted.pk) == stored(OrderEvent, created.pk)


def test_an_insert_sets_the_primary_key_and_marks_the_instance_saved(order):
    insert = CompiledInsert(OrderEvent)
    event = OrderEvent(order=order, kind=EventKind.HOLD, note="first")

    returned = insert.run(event)
    second = insert.run(OrderEvent(order=order, kind=EventKind.RELEASE, note="second"))

    assert returned is event
    assert event.pk is not None
    assert (event._state.adding, event._state.db) == (False, "default")
    assert OrderEvent.objects.get(pk=event.pk).note == "first"
    assert OrderEvent.objects.get(pk=second.pk).note == "second"
    assert second.pk != event.pk


def test_an_insert_writes_the_fields_defaults(order):
    before = dt.datetime.now(dt.UTC)

    event = CompiledInsert(OrderEvent).run(OrderEvent(order=order, kind=EventKind.HOLD))

    row = OrderEvent.objects.get(pk=event.pk)
    assert before <= row.at <= dt.datetime.now(dt.UTC)
    assert row.at == event.at
    assert (row.actor_id, row.actor_name, row.from_value, row.to_value, row.note) == (
        None,
        "",
        "",
        "",
        "",
    )


def test_an_insert_writes_what_each_fields_pre_save_gives_on_every_run(order, monkeypatch):
    insert = CompiledInsert(OrderEvent)
    insert.run(OrderEvent(order=order, kind=EventKind.HOLD))  # compiled
    note = OrderEvent._meta.get_field("note")
    # As auto_now does: pre_save decides the value and sets it on the instance.
    monkeypatch.setattr(
        note,
        "pre_save",
        lambda instance, add: setattr(instance, "note", f"stamped {add}") or instance.note,
    )

    event = insert.run(OrderEvent(order=order, kind=EventKind.RELEASE, note="as built"))

    assert event.note == "stamped True"
    assert OrderEvent.objects.get(pk=event.pk).note == "stamped True"


def test_compiling_an_insert_does_not_call_pre_save(order, monkeypatch):
    """An auto_now field's pre_save gives the time, whatever is in its slot: compiling must take
    the slots as they are, or the statement would hold no slot for that field."""
    note = OrderEvent._meta.get_field("note")
    monkeypatch.setattr(
        note,
        "pre_save",
        lambda instance, add: setattr(instance, "note", "now") or instance.note,
    )

    event = CompiledInsert(OrderEvent).run(OrderEvent(order=order, kind=EventKind.HOLD))

    assert OrderEvent.objects.get(pk=event.pk).note == "now"


def test_an_insert_refuses_an_instance_of_another_model(order):
    with (
        CaptureQueriesContext(connection) as queries,
        pytest.raises(TypeError, match=r"expected a orders\.OrderEvent"),
    ):
        CompiledInsert(OrderEvent).run(DeleteReason(code="CUS", description="Customer"))

    assert len(queries) == 0
    assert not DeleteReason.objects.exists()


def test_an_insert_refuses_an_instance_already_saved(order):
    insert = CompiledInsert(OrderEvent)
    created = OrderEvent.objects.create(order=order, kind=EventKind.HOLD)
    inserted = insert.run(OrderEvent(order=order, kind=EventKind.RELEASE))
    count = OrderEvent.objects.count()

    for saved in (created, inserted):
        with pytest.raises(ValueError, match="already saved"):
            insert.run(saved)

    assert OrderEvent.objects.count() == count


def test_the_insert_is_compiled_once(order, monkeypatch):
    insert = CompiledInsert(OrderEvent)
    insert.run(OrderEvent(order=order, kind=EventKind.HOLD))
    monkeypatch.setattr(
        compiled_query, "InsertQuery", lambda *a, **k: pytest.fail("the insert was compiled again")
    )

    with CaptureQueriesContext(connection) as queries:
        first = insert.run(OrderEvent(order=order, kind=EventKind.RELEASE, note="one"))
        second = insert.run(OrderEvent(order=order, kind=EventKind.HOLD, note="two"))

    assert len(queries) == 2
    assert all('INSERT INTO "orders_orderevent"' in q["sql"] for q in queries)
    assert [OrderEvent.objects.get(pk=e.pk).note for e in (first, second)] == ["one", "two"]


# --- save_fields ------------------------------------------------------------------------------

SAVED = ["on_hold", "version", "cancelled_at", "cancelled_by", "cancel_reason"]
SAVED_COLUMNS = {"on_hold", "version", "cancelled_at", "cancelled_by_id", "cancel_reason_id"}


def changed_in_memory(order: Order, user, reason) -> Order:
    order.on_hold = True
    order.version += 1
    order.cancelled_at = AT
    order.cancelled_by = user
    order.cancel_reason = reason
    order.patient = "changed in memory, not saved"
    return order


def test_save_fields_writes_what_save_with_update_fields_writes(make_order, make_user, make_reason):
    user, reason = make_user(username="canceller"), make_reason()
    by_save, compiled = make_order(number=33001), make_order(number=33002)
    before = {order.pk: stored(Order, order.pk) for order in (by_save, compiled)}

    changed_in_memory(by_save, user, reason).save(update_fields=SAVED)
    save_fields(changed_in_memory(compiled, user, reason), SAVED)

    writes = {}
    for order in (by_save, compiled):
        after = stored(Order, order.pk)
        writes[order.pk] = {c: v for c, v in after.items() if v != before[order.pk][c]}
    assert set(writes[compiled.pk]) == SAVED_COLUMNS  # the patient is not written
    assert writes[compiled.pk] == writes[by_save.pk]
    assert Order.objects.get(pk=compiled.pk).patient == ""


def test_save_fields_sets_a_foreign_key_named_by_its_field(order, make_user):
    user = make_user(username="canceller")

    order.cancelled_by = user
    save_fields(order, ["cancelled_by"])
    assert Order.objects.get(pk=order.pk).cancelled_by == user

    order.cancelled_by = None
    save_fields(order, ["cancelled_by"])
    assert Order.objects.get(pk=order.pk).cancelled_by is None


def test_save_fields_is_one_statement(order):
    order.on_hold = True
    order.version += 1

    with CaptureQueriesContext(connection) as queries:
        save_fields(order, ["on_hold", "version"])

    assert len(queries) == 1
    assert 'UPDATE "orders_order" SET' in queries[0]["sql"]
    assert Order.objects.filter(pk=order.pk, on_hold=True, version=order.version).exists()


def test_save_fields_with_no_fields_does_nothing_as_save_does(order):
    order.patient = "only in memory"

    with CaptureQueriesContext(connection) as queries:
        save_fields(order, [])

    assert len(queries) == 0
    assert Order.objects.get(pk=order.pk).patient == ""


def test_a_failed_compiled_write_marks_the_transaction_for_rollback(order, make_order):
    """As QuerySet.update does: an error caught inside atomic() leaves the block unusable, so
    that nothing after it is committed by mistake."""
    other = make_order(number=31002)
    number_of = CompiledUpdate(lambda pk: Order.objects.filter(pk=pk), fields=["number"])

    with transaction.atomic():
        with contextlib.suppress(DatabaseError):
            number_of.run(other.pk, number=order.number)  # the number is unique: refused
        marked = transaction.get_rollback()

    assert marked
    assert Order.objects.get(pk=other.pk).number == 31002


def test_save_fields_raises_as_save_does_when_the_row_is_gone(order):
    Order.objects.filter(pk=order.pk).delete()
    order.on_hold = True

    with pytest.raises(DatabaseError, match="Save with update_fields did not affect any rows"):
        save_fields(order, ["on_hold"])

    with (
        pytest.raises(DatabaseError, match="Save with update_fields did not affect any rows"),
        transaction.atomic(),
    ):
        order.save(update_fields=["on_hold"])  # what save_fields stands for


# --- PostgreSQL: prepared on the server, constants as literals -----------------------------------


def prepared_statements(containing: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall() if containing in statement]


@pytest.mark.postgres
def test_on_postgresql_an_update_is_prepared_with_its_constants_as_literals(orders):
    update = CompiledUpdate(
        lambda number: Order.objects.filter(number=number),
        fields=["patient"],
        constants={"calculation_desc": "prepared on the server"},
    )
    assert prepared_statements("'prepared on the server'") == []

    assert update.run(30001, patient="first run") == 1
    assert update.run(30002, patient="second run") == 1

    [statement] = prepared_statements("'prepared on the server'")
    assert statement.startswith('UPDATE "orders_order" SET')
    assert '"patient" = $1' in statement
    assert '"number" = ($2)' in statement  # the values stay parameters
    assert "run" not in statement
    assert "3000" not in statement
    assert list(
        Order.objects.filter(calculation_desc="prepared on the server")
        .order_by("number")
        .values_list("number", "patient")
    ) == [(30001, "first run"), (30002, "second run")]


@pytest.mark.postgres
def test_on_postgresql_an_update_through_a_join_is_prepared_with_its_constants(make_order):
    order = make_order(items=2)
    cancel_items = CompiledUpdate(
        lambda number: OrderItem.objects.filter(order__number=number).exclude(
            status=ProcessingStatus.CANCELLED
        ),
        fields=[],
        constants={"status": ProcessingStatus.CANCELLED},
    )

    assert cancel_items.run(order.number) == 2

    [statement] = prepared_statements('UPDATE "orders_orderitem"')
    assert statement.count(f"'{ProcessingStatus.CANCELLED}'") == 2  # set, and excluded
    assert "$1" in statement
    assert "$2" not in statement


@pytest.mark.postgres
def test_on_postgresql_an_insert_is_prepared_on_the_server(make_reason):
    insert = CompiledInsert(DeleteReason)
    assert prepared_statements('INSERT INTO "orders_deletereason"') == []

    insert.run(DeleteReason(code="CUS", description="Customer request"))
    insert.run(DeleteReason(code="DUP", description="Duplicate"))

    [statement] = prepared_statements('INSERT INTO "orders_deletereason"')
    assert "VALUES ($1, $2, $3)" in statement
    assert list(DeleteReason.objects.order_by("code").values_list("code", flat=True)) == [
        "CUS",
        "DUP",
    ]

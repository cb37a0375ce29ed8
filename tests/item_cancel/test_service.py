"""``cancel_items``: guards in their documented order, per-id outcomes, one event per item."""

import pytest

from orders.errors import OrderAlreadyCompleted, OrderMarkedForCancelation, OrderNotPreProduction
from orders.models import OrderEvent
from orders.services import CancelItemsResult, cancel_items
from orders.status import EventKind, OrderState, ProcessingStatus

from .conftest import item_ids

pytestmark = pytest.mark.django_db


def test_cancels_the_items_and_their_endpoints_and_returns_what_happened(make_user, make_order):
    actor = make_user(username="ann")
    order = make_order(items=3, endpoints=("SURF", "AR"))
    first, second, third = item_ids(order)

    result = cancel_items(order=order, item_ids=[third, 0, first, third], actor=actor)

    assert isinstance(result, CancelItemsResult)
    assert result.cancelled == [third, first]
    assert result.failures == {0: "No such item in this order"}
    assert result.order.version == 2
    statuses = {
        item.pk: (item.status, sorted(e.status for e in item.endpoints.all()))
        for item in order.items.prefetch_related("endpoints")
    }
    cancelled = (ProcessingStatus.CANCELLED, [ProcessingStatus.CANCELLED] * 2)
    assert statuses == {
        first: cancelled,
        second: (ProcessingStatus.NEW, [ProcessingStatus.NEW] * 2),
        third: cancelled,
    }
    events = OrderEvent.objects.filter(order=order, kind=EventKind.ITEMS_CANCELLED).order_by("id")
    assert [(e.actor, e.actor_name, e.note) for e in events] == [
        (actor, "ann", f"item {third} (SKU2) cancelled"),
        (actor, "ann", f"item {first} (SKU0) cancelled"),
    ]


def test_a_second_cancel_of_the_same_items_fails_per_id(make_order):
    order = make_order(items=2)
    ids = item_ids(order)
    cancel_items(order=order, item_ids=ids, actor=None)

    result = cancel_items(order=order, item_ids=ids, actor=None)

    assert result.cancelled == []
    assert result.failures == {item_id: "Item is cancelled" for item_id in ids}
    order.refresh_from_db()
    assert order.version == 2  # the failed call changed nothing


def test_items_without_endpoints_are_cancelled_too(make_order):
    order = make_order(items=1, endpoints=())

    result = cancel_items(order=order, item_ids=item_ids(order), actor=None)

    assert result.cancelled == item_ids(order)
    assert order.items.get().status == ProcessingStatus.CANCELLED


def test_the_order_status_is_derived_from_the_items_left(make_order):
    order = make_order(items=2)
    first, second = item_ids(order)
    order.items.filter(pk=first).update(status=ProcessingStatus.DONE)
    order.items.get(pk=first).endpoints.update(status=ProcessingStatus.DONE)

    result = cancel_items(order=order, item_ids=[second], actor=None)

    assert result.order.processing_status == ProcessingStatus.DONE
    order.refresh_from_db()
    assert order.processing_status == ProcessingStatus.DONE
    assert order.cancelled_at is None


def test_marked_for_cancelation_is_checked_before_completion_and_production(
    make_order, make_station, check_in
):
    order = make_order(items=1, state=OrderState.COMPLETED, cancelled_at="2026-11-23T12:00:00Z")
    check_in(order, make_station("SURF"))

    with pytest.raises(OrderMarkedForCancelation):
        cancel_items(order=order, item_ids=item_ids(order), actor=None)


def test_completion_is_checked_before_production(make_order, make_station, check_in):
    order = make_order(items=1, state=OrderState.COMPLETED)
    check_in(order, make_station("SURF"))

    with pytest.raises(OrderAlreadyCompleted):
        cancel_items(order=order, item_ids=item_ids(order), actor=None)


def test_production_is_checked_before_the_ids(make_order):
    order = make_order(items=1, state=OrderState.PROCESS)

    with pytest.raises(OrderNotPreProduction) as raised:
        cancel_items(order=order, item_ids=[0], actor=None)

    assert raised.value.status == "Process"
    assert raised.value.message == (
        "Items can be cancelled only while the order is pre-production; its status is Process"
    )
    assert raised.value.code == "not_pre_production"


def test_a_refusal_changes_nothing(make_order):
    order = make_order(items=2, state=OrderState.PROCESS)

    with pytest.raises(OrderNotPreProduction):
        cancel_items(order=order, item_ids=item_ids(order), actor=None)

    order.refresh_from_db()
    assert order.version == 1
    assert set(order.items.values_list("status", flat=True)) == {ProcessingStatus.NEW}
    assert not order.events.filter(kind=EventKind.ITEMS_CANCELLED).exists()


def test_the_history_names_the_partner_and_the_user_it_acts_as(make_user, make_order):
    actor = make_user(username="acme-bot")
    order = make_order(items=1)
    [item_id] = item_ids(order)

    cancel_items(order=order, item_ids=[item_id], actor=actor, partner_name="Acme Prints")

    [event] = order.events.filter(kind=EventKind.ITEMS_CANCELLED)
    assert (event.actor, event.actor_name, event.from_value, event.to_value) == (
        actor,
        "Acme Prints",
        "New",
        "Cancelled",
    )
    assert event.note == f"item {item_id} (SKU0) cancelled by partner Acme Prints (as acme-bot)"
    assert event.get_kind_display() == "Items cancelled"

"""Webhook events are written in the transaction of the change they tell of, from the one place
history is written: every event type comes from the service that makes the change; a refused
or rolled-back change writes none; filters and inactive subscriptions; the cost of a change
does not grow with the number of subscriptions."""

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

import pytest

from orders.errors import OrderMarkedForCancelation
from orders.models import OrderEvent, Station
from orders.services import (
    assign_tray,
    cancel_items,
    cancel_order,
    hold_order,
    pick_items,
    record_calculation,
    release_order,
)
from orders.status import EventKind
from printing.models import Printer, WorkstationPort
from printing.services import queue_ticket
from tracker.services import check_in, process_completions, request_completion
from webhooks.event_types import EVENT_TYPES_OF_KIND, EventType
from webhooks.models import Delivery, Event, Subscription

pytestmark = pytest.mark.django_db

ANYWHERE = "https://hooks.example.com/lab"


@pytest.fixture
def hook(db):
    return Subscription.objects.create(url=ANYWHERE)


def types() -> list[str]:
    """The events' types in the order they are delivered: their deliveries' (an event's id is
    random, and the two events of one entry share their time)."""
    return list(Delivery.objects.order_by("id").values_list("event__type", flat=True))


def test_every_change_sends_its_event_type(hook, make_order):
    order = make_order(number=43001, items=2)
    hold_order(order=order, actor=None)
    release_order(order=order, actor=None)
    assign_tray(order=order, tray="77", actor=None)
    printer = Printer.objects.create(name="Front", driver="spool", folder="front")
    WorkstationPort.objects.filter(workstation__code="00", number=1).update(printer=printer)
    queue_ticket(order=order, lpt_port="1", actor=None)
    cancel_items(order=order, item_ids=[order.items.order_by("id").first().pk], actor=None)
    check_in(
        order=order,
        station=Station.objects.create(code="SURF", description="S"),
        operator=None,
        actor=None,
    )
    request_completion(order=order, actor=None, require_tracker=False)
    process_completions(worker="t1")
    other = make_order(number=43002)
    cancel_order(order=other, actor=None, reason_code=None)

    assert types() == [
        EventType.CREATED,
        EventType.STATUS_CHANGED,
        EventType.STATUS_CHANGED,
        EventType.TRAY_ASSIGNED,
        EventType.TICKET_PRINTED,
        EventType.ITEMS_CANCELLED,
        EventType.CHECKED_IN,
        EventType.STATUS_CHANGED,  # the first check-in: Valid to Process
        EventType.COMPLETED,
        EventType.STATUS_CHANGED,  # Process to Completed
        EventType.CREATED,
        EventType.CANCELLED,
    ]
    assert set(types()) == set(EventType.values)
    assert Delivery.objects.count() == Event.objects.count()


def test_each_event_carries_the_order_as_the_change_left_it(hook, make_order):
    order = make_order(number=43003)
    assign_tray(order=order, tray="12", actor=None)
    hold_order(order=order, actor=None)

    models = [e.order_model for e in Event.objects.order_by("occurred_at", "id")]
    assert [(m["trayNumber"], m["onHold"]) for m in models] == [
        (None, False),
        ("12", False),
        ("12", True),
    ]


def test_history_that_is_not_an_event_sends_nothing(hook, make_order):
    order = make_order(number=43004)
    request_completion(order=order, actor=None, require_tracker=False)  # not in the contract
    before = Event.objects.count()
    kinds = set(OrderEvent.objects.values_list("kind", flat=True))

    assert EventKind.COMPLETION_REQUESTED in kinds
    assert EventKind.COMPLETION_REQUESTED not in EVENT_TYPES_OF_KIND
    assert before == 1  # the creation only


def test_a_refused_change_sends_nothing(hook, make_order):
    order = make_order(number=43005)
    cancel_order(order=order, actor=None, reason_code=None)
    sent = Event.objects.count()

    with pytest.raises(OrderMarkedForCancelation):
        hold_order(order=order, actor=None)

    assert Event.objects.count() == sent
    assert Delivery.objects.count() == sent


def test_a_rolled_back_change_sends_nothing(hook, make_order):
    order = make_order(number=43006)

    inside = []

    def hold_then_fail():
        with transaction.atomic():
            hold_order(order=order, actor=None)
            inside.extend(types())
            raise RuntimeError("the caller's transaction fails after the hold")

    with pytest.raises(RuntimeError):
        hold_then_fail()

    assert inside == [EventType.CREATED, EventType.STATUS_CHANGED]  # written, then undone

    assert types() == [EventType.CREATED]
    assert Delivery.objects.count() == 1


def test_filters_by_event_type_and_customer(make_order):
    cancels = Subscription.objects.create(url=ANYWHERE, events=[EventType.CANCELLED])
    of_c1 = Subscription.objects.create(url=ANYWHERE, customer_numbers=["C1"])
    inactive = Subscription.objects.create(url=ANYWHERE, active=False)
    mine = make_order(number=43007, customer_number="C1")
    theirs = make_order(number=43008, customer_number="C2")
    cancel_order(order=mine, actor=None, reason_code=None)
    cancel_order(order=theirs, actor=None, reason_code=None)

    def sent(subscription):
        return sorted(
            (d.event.type, d.event.order_model["orderNumber"])
            for d in Delivery.objects.filter(subscription=subscription).select_related("event")
        )

    assert sent(cancels) == [("order.cancelled", "43007"), ("order.cancelled", "43008")]
    assert sent(of_c1) == [("order.cancelled", "43007"), ("order.created", "43007")]
    assert sent(inactive) == []
    assert Event.objects.filter(order=theirs, type=EventType.CREATED).count() == 0


def test_nothing_is_written_without_a_subscription(make_order):
    order = make_order(number=43009)
    cancel_order(order=order, actor=None, reason_code=None)

    assert not Event.objects.exists()


def test_the_cost_of_a_change_does_not_grow_with_the_subscriptions(make_order):
    Subscription.objects.create(url=ANYWHERE)
    first, second = make_order(number=43010), make_order(number=43011)

    with CaptureQueriesContext(connection) as one:
        hold_order(order=first, actor=None)
    Subscription.objects.bulk_create(Subscription(url=ANYWHERE) for _ in range(4))
    with CaptureQueriesContext(connection) as five:
        hold_order(order=second, actor=None)

    assert len(five) == len(one)
    assert (
        Delivery.objects.filter(event__order=second, event__type="order.status_changed").count()
        == 5
    )


def test_picks_and_calculations_are_history_but_not_events(hook, make_order):
    from decimal import Decimal

    from orders.rx import Eye, EyeValues

    lens = EyeValues(lens_style="SV", lens_material="CR39", sphere=Decimal("0"), opc="OPC-R")
    order = make_order(number=43012, eyes={Eye.RIGHT: lens})
    pick_items(order=order, codes={"rtOPC": "OPC-R"}, actor=None)
    record_calculation(order=order, calculated={Eye.RIGHT: True}, actor=None)

    assert set(OrderEvent.objects.values_list("kind", flat=True)) >= {
        EventKind.PICKED,
        EventKind.CALCULATION,
    }
    assert types() == [EventType.CREATED]

"""Concurrency of the Lab API v2 on PostgreSQL: row locks make racing requests serialize.

Each test fires real HTTP requests (one ``django.test.Client`` per thread, each thread with its
own database connection) that are released together by a ``threading.Barrier``, then checks
that what the clients were told agrees with what the database recorded. Whatever interleaving
PostgreSQL picks, the assertions hold: they describe every legal outcome, not one of them.

SQLite serializes writers, so there is nothing to prove there: these tests are skipped.
"""

import pytest

from orders.models import Order, OrderEvent, OrderNumberSequence
from orders.services import hold_order
from orders.status import EventKind
from tests.concurrency import Caller, assert_no_server_errors
from tests.jobs import job_json

# serialized_rollback: the flush that ends a transactional test would otherwise also remove
# the rights groups that a data migration created, for every test that runs after these.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ORDER_ALREADY_COMPLETED = {"error": "Order already completed", "details": []}
MARKED_FOR_CANCELATION = {"error": "Order marked for cancelation", "details": []}
ALREADY_ON_HOLD = {"error": "Order is already on hold", "details": []}
NOT_ON_HOLD = {"error": "Order is not on hold", "details": []}


# --- helpers ----------------------------------------------------------------------------------


def order_path(order: Order, action: str = "") -> str:
    return f"/api/v2/orders/{order.number}" + (f"/{action}" if action else "")


def history(order: Order) -> list[OrderEvent]:
    """The order's events after its creation, in the order they were written."""
    return list(order.events.exclude(kind=EventKind.CREATED).order_by("id"))


# --- 1. concurrent cancels ----------------------------------------------------------------------


@pytest.mark.parametrize("keys", ["key-per-thread", "one-shared-key"])
def test_twenty_concurrent_cancels_of_one_order_exactly_one_wins(
    keys, make_user, make_order, run_together
):
    order = make_order(tray="7", po_number="PO-RACE")
    if keys == "key-per-thread":
        callers = [Caller(make_user(rights=("orders.cancel_order",))) for _ in range(20)]
    else:
        callers = [Caller(make_user(rights=("orders.cancel_order",)))] * 20

    answers = run_together(
        [lambda caller=caller: caller.request("delete", order_path(order)) for caller in callers]
    )

    assert_no_server_errors(answers)
    winners = [index for index, answer in enumerate(answers) if answer.status == 200]
    assert len(winners) == 1, [(answer.status, answer.body) for answer in answers]
    losers = [answer for answer in answers if answer.status != 200]
    assert len(losers) == 19
    assert all(answer.status == 400 for answer in losers), [a.status for a in losers]
    assert all(answer.body == ORDER_ALREADY_COMPLETED for answer in losers), [
        answer.body for answer in losers
    ]
    won = answers[winners[0]]
    assert won.body["orderNumber"] == str(order.number)
    assert won.body["message"] == ""

    order.refresh_from_db()
    winner = callers[winners[0]].user
    [cancel] = OrderEvent.objects.filter(order=order, kind=EventKind.CANCEL)
    assert cancel.actor == winner
    assert history(order) == [cancel]  # nothing else was written by the losers
    # Marked once: one write of the cancel fields (version 1 -> 2), by the winner.
    assert order.cancelled_at is not None
    assert order.cancelled_at <= cancel.at
    assert order.cancelled_by == winner
    assert order.version == 2
    # The tray is free again.
    assert not Order.objects.active().filter(tray="7").exists()


# --- 2. hold / release vs cancel ----------------------------------------------------------------


ORDERS_PER_ROUND = 10
ROUNDS = 3


def replay(events: list[OrderEvent]) -> list[tuple[bool, bool]]:
    """The (on_hold, cancelled) states an order passed through, checking each step was legal."""
    on_hold, cancelled = False, False
    states = [(on_hold, cancelled)]
    for event in events:
        assert not cancelled, f"{event.kind} written after the order was cancelled"
        if event.kind == EventKind.HOLD:
            assert not on_hold, "hold written for an order already on hold"
            on_hold = True
        elif event.kind == EventKind.RELEASE:
            assert on_hold, "release written for an order not on hold"
            on_hold = False
        elif event.kind == EventKind.CANCEL:
            cancelled = True
        else:
            pytest.fail(f"unexpected event {event.kind}")
        states.append((on_hold, cancelled))
    return states


def refusals(action: str, on_hold: bool, cancelled: bool) -> dict | None:
    """The error ``action`` answers for an order in this state, or None when it succeeds."""
    if action == "cancel":
        return ORDER_ALREADY_COMPLETED if cancelled else None
    if cancelled:
        return MARKED_FOR_CANCELATION
    if action == "hold":
        return ALREADY_ON_HOLD if on_hold else None
    return None if on_hold else NOT_ON_HOLD


@pytest.mark.parametrize("round_number", range(ROUNDS))
def test_hold_release_and_cancel_racing_leave_orders_consistent(
    round_number, make_user, make_order, run_together
):
    rights = ("orders.hold_order", "orders.cancel_order")
    callers = {action: Caller(make_user(rights=rights)) for action in ("hold", "release", "cancel")}
    event_kind = {"hold": EventKind.HOLD, "release": EventKind.RELEASE, "cancel": EventKind.CANCEL}
    orders = [make_order(tray=str(100 + index)) for index in range(ORDERS_PER_ROUND)]
    for order in orders[1::2]:  # half of them start on hold, so every answer is possible
        hold_order(order=order, actor=None)
    before_race = {order.pk: len(history(order)) for order in orders}

    races = [(order, action) for order in orders for action in ("hold", "release", "cancel")]

    def send(order, action):
        caller = callers[action]
        if action == "cancel":
            return caller.request("delete", order_path(order))
        return caller.request("post", order_path(order, action))

    answers = run_together([lambda o=order, a=action: send(o, a) for order, action in races])

    assert_no_server_errors(answers)
    outcomes = {
        (order.pk, action): answer for (order, action), answer in zip(races, answers, strict=True)
    }
    for order in orders:
        order.refresh_from_db()
        events = history(order)
        states = replay(events)
        race_events = events[before_race[order.pk] :]
        race_states = states[before_race[order.pk] :]  # every state the race went through

        for action in ("hold", "release", "cancel"):
            answer = outcomes[order.pk, action]
            written = [event for event in race_events if event.kind == event_kind[action]]
            if answer.status == 200:
                # Exactly one event per success, by the caller who was told it succeeded.
                assert len(written) == 1, (action, answer, events)
                assert written[0].actor == callers[action].user
                assert answer.body["orderNumber"] == str(order.number)
            else:
                # A refusal wrote nothing, and was right for some state the order was in.
                assert answer.status == 400, (action, answer)
                assert written == [], (action, answer, events)
                assert answer.body in [refusals(action, *state) for state in race_states], (
                    action,
                    answer.body,
                    race_states,
                )

        # Cancel always wins eventually (holds do not block it) and nothing follows it.
        assert outcomes[order.pk, "cancel"].status == 200
        assert events[-1].kind == EventKind.CANCEL
        assert order.cancelled_at is not None
        hold = outcomes[order.pk, "hold"]
        if hold.status == 200:
            kinds = [event.kind for event in race_events]
            assert kinds.index(EventKind.HOLD) < kinds.index(EventKind.CANCEL)
        elif not states[before_race[order.pk]][0]:  # it was not on hold before the race
            assert hold.body == MARKED_FOR_CANCELATION

        # The order's fields agree with its history.
        hold_or_release = [e.kind for e in events if e.kind in (EventKind.HOLD, EventKind.RELEASE)]
        assert order.on_hold == (bool(hold_or_release) and hold_or_release[-1] == EventKind.HOLD)
        assert order.on_hold == states[-1][0]
        assert order.version == 1 + len(events)


# --- 3. concurrent creates ----------------------------------------------------------------------


CREATORS = 10


def new_order_body(**fields) -> dict:
    """A job for ``job_customer``, each with a customer job id of its own."""
    return job_json(items=[{"sku": "SKU1", "name": "Lens"}], **fields)


def test_concurrent_creates_with_one_tray_exactly_one_gets_it(
    make_user, run_together, job_customer
):
    caller = Caller(make_user(rights=("orders.add_order",)))
    bodies = [new_order_body(trayNumber="55", poNumber=f"PO{index}") for index in range(CREATORS)]

    answers = run_together(
        [lambda body=body: caller.request("post", "/api/v2/orders", body) for body in bodies]
    )

    assert_no_server_errors(answers)
    created = [answer for answer in answers if answer.status == 201]
    assert len(created) == 1, [(answer.status, answer.body) for answer in answers]
    number = created[0].body["orderNumber"]
    assert created[0].body["trayNumber"] == "55"
    refused = [answer for answer in answers if answer.status != 201]
    assert [answer.status for answer in refused] == [400] * (CREATORS - 1)
    expected = {
        "error": "Incorrect arguments provided",
        "details": [f"trayNumber: tray 55 is in use by order {number}"],
    }
    assert all(answer.body == expected for answer in refused), [a.body for a in refused]

    [order] = Order.objects.filter(tray="55")
    assert str(order.number) == number
    assert Order.objects.count() == 1  # the refused requests left nothing behind


@pytest.mark.parametrize("sequence", ["first-use", "in-use"])
def test_concurrent_creates_without_number_get_distinct_numbers(
    sequence, make_user, make_order, run_together, job_customer
):
    if sequence == "in-use":
        make_order()
    assert OrderNumberSequence.objects.exists() == (sequence == "in-use")
    existing = set(Order.objects.values_list("number", flat=True))
    caller = Caller(make_user(rights=("orders.add_order",)))
    bodies = [new_order_body(trayNumber=str(200 + index)) for index in range(CREATORS)]

    answers = run_together(
        [lambda body=body: caller.request("post", "/api/v2/orders", body) for body in bodies]
    )

    assert [answer.status for answer in answers] == [201] * CREATORS, [
        (answer.status, answer.body) for answer in answers
    ]
    numbers = [int(answer.body["orderNumber"]) for answer in answers]
    assert len(set(numbers)) == CREATORS
    assert not existing & set(numbers)
    # Handed out one after another from the sequence, none skipped.
    start = max(existing, default=10_000) + 1
    assert sorted(numbers) == list(range(start, start + CREATORS))
    assert OrderNumberSequence.objects.get().last_value == max(numbers)
    assert Order.objects.count() == len(existing) + CREATORS


def test_creates_with_and_without_numbers_racing_never_fail_with_500(
    make_user, make_order, run_together, job_customer
):
    """Clients choosing their own numbers race the sequence for the very numbers it hands out.

    A client that chose a number may be told it is taken (400); a client that let the server
    choose always gets a fresh one (201); nobody gets a 500 and no number is used twice.
    """
    make_order()  # the sequence is in use; the next numbers it would hand out are known
    next_numbers = [OrderNumberSequence.objects.get().last_value + n for n in range(1, 6)]
    caller = Caller(make_user(rights=("orders.add_order",)))
    bodies = [new_order_body(orderNumber=str(number)) for number in next_numbers] + [
        new_order_body() for _ in next_numbers
    ]

    answers = run_together(
        [lambda body=body: caller.request("post", "/api/v2/orders", body) for body in bodies]
    )

    assert_no_server_errors(answers)
    for body, answer in zip(bodies, answers, strict=True):
        if "orderNumber" not in body:
            assert answer.status == 201, (body, answer)
        elif answer.status == 201:
            assert answer.body["orderNumber"] == body["orderNumber"]
        else:
            assert (answer.status, answer.body) == (
                400,
                {
                    "error": "Incorrect arguments provided",
                    "details": [f"orderNumber: order number {body['orderNumber']} already exists"],
                },
            )
    numbers = [answer.body["orderNumber"] for answer in answers if answer.status == 201]
    assert len(numbers) == len(set(numbers))
    assert Order.objects.count() == 1 + len(numbers)

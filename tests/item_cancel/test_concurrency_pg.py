"""Item cancels racing on PostgreSQL: the order's row lock serializes them.

Real HTTP requests (one ``Client`` and one database connection per thread) released together;
the assertions hold for every interleaving PostgreSQL may pick. Skipped on SQLite, which
serializes writers anyway.
"""

import json
import random

from django.test import Client

import pytest

from orders.models import Order, OrderEvent
from orders.status import EventKind, ProcessingStatus
from tests.concurrency import Answer, assert_no_server_errors
from tracker.services import check_in

from .conftest import PartnerApi, item_ids

# serialized_rollback: the flush that ends a transactional test would otherwise also remove
# the rights groups that a data migration created, for every test that runs after these.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ALREADY_CANCELLED = "Item is cancelled"


def cancel(api: PartnerApi, order: Order, ids: list[int]) -> Answer:
    response = Client(raise_request_exception=False).put(
        api.url(order.number), data=json.dumps({"Ids": ids}), content_type="application/json"
    )
    return Answer(response.status_code, response.json())


def cancel_events(order: Order) -> list[OrderEvent]:
    return list(order.events.filter(kind=EventKind.ITEMS_CANCELLED).order_by("id"))


def assert_each_item_cancelled_once(order, requests: list[list[int]], answers: list[Answer]):
    """Every answer lists only what it cancelled; every asked-for item was cancelled once."""
    assert [answer.status for answer in answers] == [200] * len(answers), answers
    successes = [answer.body["Success"] for answer in answers]
    for asked, answer, success in zip(requests, answers, successes, strict=True):
        assert set(success) <= set(asked)
        # What it did not cancel, it was told was cancelled already (by another request).
        failed = {entry["AttemptedValue"]: entry["ErrorMessage"] for entry in answer.body["Errors"]}
        assert failed == {item_id: ALREADY_CANCELLED for item_id in set(asked) - set(success)}
        assert answer.body["HadError"] == bool(failed)
    cancelled = [item_id for success in successes for item_id in success]
    assert sorted(cancelled) == sorted({item_id for asked in requests for item_id in asked})

    events = cancel_events(order)
    assert sorted(int(e.note.split()[1]) for e in events) == sorted(cancelled)  # one per item
    order.refresh_from_db()
    assert order.version == 1 + sum(1 for success in successes if success)
    statuses = dict(order.items.values_list("id", "status"))
    assert {statuses[item_id] for item_id in cancelled} == {ProcessingStatus.CANCELLED}


def test_two_overlapping_cancels_cancel_each_item_exactly_once(
    make_partner, make_order, run_together
):
    order = make_order(items=6, endpoints=("SURF", "AR"))
    ids = item_ids(order)
    acme, other = make_partner("Acme"), make_partner("Other")
    requests = [ids[:4], ids[2:]]

    answers = run_together(
        [
            lambda: cancel(acme, order, requests[0]),
            lambda: cancel(other, order, requests[1]),
        ]
    )

    assert_no_server_errors(answers)
    assert_each_item_cancelled_once(order, requests, answers)
    # The overlap went to one request or the other, and the history says which.
    told = {"Acme": answers[0].body["Success"], "Other": answers[1].body["Success"]}
    recorded = {"Acme": [], "Other": []}
    for event in cancel_events(order):
        recorded[event.actor_name].append(int(event.note.split()[1]))
    assert {name: sorted(ids) for name, ids in recorded.items()} == {
        name: sorted(ids) for name, ids in told.items()
    }


@pytest.mark.parametrize("round_number", range(3))
def test_many_overlapping_cancels_cancel_each_item_exactly_once(
    round_number, make_partner, make_order, run_together
):
    order = make_order(items=30)
    ids = item_ids(order)
    api = make_partner(f"Partner {round_number}")
    chooser = random.Random(round_number)
    requests = [chooser.sample(ids, 12) for _ in range(8)]

    answers = run_together([lambda asked=asked: cancel(api, order, asked) for asked in requests])

    assert_no_server_errors(answers)
    assert_each_item_cancelled_once(order, requests, answers)


@pytest.mark.parametrize("round_number", range(5))
def test_an_item_cancel_racing_a_check_in_is_all_before_it_or_nothing(
    round_number, partner_api, make_order, make_station, run_together
):
    order = make_order(items=3)
    station = make_station(f"S{round_number}")

    answer, _ = run_together(
        [
            lambda: cancel(partner_api, order, item_ids(order)),
            lambda: check_in(order=order, station=station, operator=None, actor=None),
        ]
    )

    assert_no_server_errors([answer])
    kinds = [event.kind for event in order.events.exclude(kind=EventKind.CREATED).order_by("id")]
    statuses = set(order.items.values_list("status", flat=True))
    if answer.status == 200:
        assert answer.body == {"HadError": False, "Errors": [], "Success": item_ids(order)}
        # The check-in after: its entry, and the state change it made (Valid to Process).
        assert kinds == [EventKind.ITEMS_CANCELLED] * 3 + [EventKind.CHECKIN, EventKind.STATE]
        assert statuses == {ProcessingStatus.CANCELLED}
    else:
        assert answer.status == 400
        assert answer.body["Errors"][0]["ErrorMessage"].endswith(
            f"its status is Process, checked in at station S{round_number}"
        )
        assert kinds == [EventKind.CHECKIN, EventKind.STATE]
        assert statuses == {ProcessingStatus.NEW}

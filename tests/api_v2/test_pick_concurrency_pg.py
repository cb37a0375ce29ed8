"""Picks racing on PostgreSQL: identical scans of one order released together, each thread
with its own connection. Whatever interleaving PostgreSQL picks, an item is picked once, with
one entry in the history, and every other request is answered as documented."""

from decimal import Decimal

import pytest

from orders.models import Order, OrderEvent, OrderPick
from orders.rx import Eye, EyeValues
from orders.status import EventKind
from tests.concurrency import Caller, assert_no_server_errors

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def lens(opc: str) -> EyeValues:
    return EyeValues(lens_style="SV", lens_material="CR39", sphere=Decimal("0"), opc=opc)


def picked(order: Order) -> dict[str, str]:
    return dict(OrderPick.objects.filter(order=order).values_list("item", "code"))


def race(caller: Caller, run_together, order: Order, body: dict, times: int):
    answers = run_together(
        [
            lambda: caller.request("post", f"/api/v2/orders/{order.number}/pick", body)
            for _ in range(times)
        ]
    )
    assert_no_server_errors(answers)
    return answers


def test_eight_identical_picks_record_one(make_user, make_order, run_together, lab_settings):
    lab_settings(partial_picking=True)
    order = make_order(eyes={Eye.RIGHT: lens("OPC-R"), Eye.LEFT: lens("OPC-L")})
    caller = Caller(make_user(rights=("orders.pick",)))

    answers = race(caller, run_together, order, {"rtOPC": "OPC-R"}, 8)

    # The left lens is still to pick: each call after the first is the same code again.
    assert [answer.status for answer in answers] == [200] * 8
    assert all(answer.body["rtLensPicked"] is True for answer in answers)
    assert picked(order) == {"rt_lens": "OPC-R"}
    assert OrderEvent.objects.filter(order=order, kind=EventKind.PICKED).count() == 1


def test_eight_picks_of_the_last_item_one_wins(make_user, make_order, run_together):
    order = make_order(eyes={Eye.RIGHT: lens("OPC-R")})
    caller = Caller(make_user(rights=("orders.pick",)))

    answers = race(caller, run_together, order, {"rtOPC": "OPC-R"}, 8)

    # The first to lock the order picks it; every other one finds it already picked (check 3).
    assert sorted(answer.status for answer in answers) == [200] + [400] * 7
    refused = [answer.body for answer in answers if answer.status != 200]
    assert refused == [{"error": "Pick not allowed", "details": ["Order already picked"]}] * 7
    assert picked(order) == {"rt_lens": "OPC-R"}
    assert OrderEvent.objects.filter(order=order, kind=EventKind.PICKED).count() == 1


def test_different_items_of_one_order_picked_together_are_all_kept(
    make_user, make_order, run_together, lab_settings
):
    lab_settings(partial_picking=True)
    order = make_order(
        eyes={Eye.RIGHT: lens("OPC-R"), Eye.LEFT: lens("OPC-L")},
        frame_upc="F1",
        misc1_sku="CASE",
    )
    caller = Caller(make_user(rights=("orders.pick",)))
    bodies = [{"rtOPC": "OPC-R"}, {"ltOPC": "OPC-L"}, {"frameUPC": "F1"}, {"misc1SKU": "CASE"}]

    answers = run_together(
        [
            lambda body=body: caller.request("post", f"/api/v2/orders/{order.number}/pick", body)
            for body in bodies
        ]
    )

    assert_no_server_errors(answers)
    assert [answer.status for answer in answers] == [200] * 4
    assert picked(order) == {"rt_lens": "OPC-R", "lt_lens": "OPC-L", "frame": "F1", "misc1": "CASE"}
    assert OrderEvent.objects.filter(order=order, kind=EventKind.PICKED).count() == 4
    # Exactly one answer saw the last item picked: the order's state then says so.
    assert [answer.body["pickRejectReason"] for answer in answers].count(
        "Order already picked"
    ) == 1

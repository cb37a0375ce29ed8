"""Trays racing on PostgreSQL: requests for one tray released together, each thread with its
own connection. Whatever interleaving PostgreSQL picks, one order ends up with the tray, and
every other request is told so (check 9) or, with Verify Tray is Empty off, took it in turn."""

import pytest

from orders.models import Order, OrderEvent
from orders.status import EventKind
from tests.concurrency import Caller, assert_no_server_errors

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def tray_of(order: Order) -> str:
    order.refresh_from_db()
    return order.tray


def test_ten_orders_racing_for_one_tray_one_wins(make_user, make_order, run_together):
    orders = [make_order() for _ in range(10)]
    caller = Caller(make_user(rights=("orders.assign_tray",)))

    answers = run_together(
        [
            lambda order=order: caller.request(
                "post", f"/api/v2/orders/{order.number}/tray", {"trayNumber": "77"}
            )
            for order in orders
        ]
    )

    assert_no_server_errors(answers)
    winners = [order for order, answer in zip(orders, answers, strict=True) if answer.status == 200]
    assert len(winners) == 1
    (winner,) = winners
    assert [tray_of(order) for order in orders].count("77") == 1
    assert tray_of(winner) == "77"
    refused = [answer.body for answer in answers if answer.status != 200]
    assert (
        refused
        == [
            {
                "error": "Tray is already assigned to another order",
                "details": [f"Order: {winner.number}"],
            }
        ]
        * 9
    )
    assert OrderEvent.objects.filter(kind=EventKind.TRAY).count() == 1


def test_with_verify_off_the_tray_ends_with_one_order_and_history_says_how(
    make_user, make_order, run_together, lab_settings
):
    lab_settings(verify_tray_is_empty=False)
    orders = [make_order() for _ in range(6)]
    caller = Caller(make_user(rights=("orders.assign_tray",)))

    answers = run_together(
        [
            lambda order=order: caller.request(
                "post", f"/api/v2/orders/{order.number}/tray", {"trayNumber": "78"}
            )
            for order in orders
        ]
    )

    assert_no_server_errors(answers)
    assert [answer.status for answer in answers] == [200] * 6
    holders = [order for order in orders if tray_of(order) == "78"]
    assert len(holders) == 1
    # Each took the tray once; each but the last holder lost it once.
    took = OrderEvent.objects.filter(kind=EventKind.TRAY, to_value="78").count()
    lost = OrderEvent.objects.filter(kind=EventKind.TRAY, from_value="78", to_value="").count()
    assert (took, lost) == (6, 5)


def test_two_orders_swapping_trays_do_not_deadlock(
    make_user, make_order, run_together, lab_settings
):
    lab_settings(verify_tray_is_empty=False)
    first, second = make_order(tray="1"), make_order(tray="2")
    caller = Caller(make_user(rights=("orders.assign_tray",)))

    answers = run_together(
        [
            lambda: caller.request(
                "post", f"/api/v2/orders/{first.number}/tray", {"trayNumber": "2", "reassign": True}
            ),
            lambda: caller.request(
                "post",
                f"/api/v2/orders/{second.number}/tray",
                {"trayNumber": "1", "reassign": True},
            ),
        ]
    )

    assert_no_server_errors(answers)
    assert [answer.status for answer in answers] == [200, 200]
    # In either order the two end swapped: the first to move takes its new tray from the
    # other, whose old tray is then free for it.
    assert (tray_of(first), tray_of(second)) == ("2", "1")

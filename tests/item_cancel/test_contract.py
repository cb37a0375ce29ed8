"""``PUT /api/orderCancel``, one test per row of contracts/item-cancel.md."""

import re
import uuid

import pytest

from orders.models import Order, OrderEvent, OrderItem, OrderItemEndpoint
from orders.services import cancel_items, hold_order
from orders.status import EventKind, OrderState, ProcessingStatus
from tracker.models import CompletionRequest
from tracker.services import check_in

from .conftest import item_ids

pytestmark = pytest.mark.django_db

# Partner lookup (+ last-used write), rights (2), order, then the service: constant, whatever
# the number of ids (measured: 17).
QUERY_CEILING = 18
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

NOT_AN_ITEM = "No such item in this order"
ALREADY_CANCELLED = "Item is cancelled"


def failure(item_id, message: str) -> dict:
    return {
        "PropertyName": "Ids",
        "AttemptedValue": item_id,
        "ErrorMessage": message,
        "CustomState": None,
    }


def order_error(order_id, message: str) -> dict:
    return {
        "PropertyName": "orderId",
        "AttemptedValue": str(order_id),
        "ErrorMessage": message,
        "CustomState": None,
    }


def without_reference(body: dict) -> dict:
    """The body minus its ErrorReferenceCode, which must be a UUID."""
    body = dict(body)
    assert UUID.fullmatch(body.pop("ErrorReferenceCode"))
    return body


def statuses(order: Order) -> dict[int, str]:
    return dict(order.items.values_list("id", "status"))


def endpoint_statuses(order: Order) -> set[str]:
    return set(OrderItemEndpoint.objects.filter(item__order=order).values_list("status", flat=True))


# --- success ----------------------------------------------------------------------------------


def test_all_items_cancelled(partner_api, make_order):
    order = make_order(items=3, endpoints=("SURF", "AR"))
    ids = item_ids(order)

    body = partner_api.cancel(order, ids, status=200, max_queries=QUERY_CEILING)

    assert body == {"HadError": False, "Errors": [], "Success": ids}
    assert set(statuses(order).values()) == {ProcessingStatus.CANCELLED}
    assert endpoint_statuses(order) == {ProcessingStatus.CANCELLED}
    order.refresh_from_db()
    assert order.version == 2


def test_some_items_cancelled_leave_the_others_live(partner_api, make_order):
    order = make_order(items=3)
    first, second, third = item_ids(order)

    body = partner_api.cancel(order, [second], status=200)

    assert body == {"HadError": False, "Errors": [], "Success": [second]}
    assert statuses(order) == {
        first: ProcessingStatus.NEW,
        second: ProcessingStatus.CANCELLED,
        third: ProcessingStatus.NEW,
    }
    order.refresh_from_db()
    assert order.processing_status == ProcessingStatus.NEW  # cancelled items do not count


def test_order_by_public_id(partner_api, make_order):
    order = make_order(items=1)

    body = partner_api.put(partner_api.url(order.public_id), {"Ids": item_ids(order)}, status=200)

    assert body["Success"] == item_ids(order)


def test_lowercase_ids_key_is_accepted(partner_api, make_order):
    order = make_order(items=1)

    body = partner_api.put(partner_api.url(order.number), {"ids": item_ids(order)}, status=200)

    assert body["Success"] == item_ids(order)


def test_a_repeated_id_is_cancelled_once(partner_api, make_order):
    order = make_order(items=2)
    first, _ = item_ids(order)

    body = partner_api.cancel(order, [first, first, first], status=200)

    assert body == {"HadError": False, "Errors": [], "Success": [first]}
    assert OrderEvent.objects.filter(order=order, kind=EventKind.ITEMS_CANCELLED).count() == 1


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"state": OrderState.UNVALID}, id="unvalid"),
        pytest.param({"state": OrderState.VALID}, id="valid"),
        pytest.param({"on_hold": True}, id="on-hold"),
        pytest.param({"processed_at": "2026-11-23T12:00:00Z"}, id="released-to-endpoints"),
    ],
)
def test_pre_production_orders_accept_item_cancels(partner_api, make_order, fields):
    order = make_order(items=1, **fields)

    body = partner_api.cancel(order, item_ids(order), status=200)

    assert body["Success"] == item_ids(order)


def test_an_order_put_on_hold_through_the_service_accepts_item_cancels(partner_api, make_order):
    order = hold_order(order=make_order(items=1), actor=None)

    partner_api.cancel(order, item_ids(order), status=200)


# --- partial ----------------------------------------------------------------------------------


def test_partial_success_lists_an_error_per_failed_id(partner_api, make_order):
    order = make_order(items=3)
    other_order = make_order(items=1)
    live, cancelled, _ = item_ids(order)
    cancel_items(order=order, item_ids=[cancelled], actor=None)
    foreign = item_ids(other_order)[0]

    body = partner_api.cancel(
        order, [live, 999_999, cancelled, foreign], status=200, max_queries=QUERY_CEILING
    )

    assert without_reference(body) == {
        "HadError": True,
        "Errors": [
            failure(999_999, NOT_AN_ITEM),
            failure(cancelled, ALREADY_CANCELLED),
            failure(foreign, NOT_AN_ITEM),
        ],
        "Success": [live],
    }
    assert OrderItem.objects.get(pk=foreign).status == ProcessingStatus.NEW


@pytest.mark.parametrize("item_id", [0, -5, 2**63, 10**30])
def test_ids_no_item_can_have_are_per_id_errors(partner_api, make_order, item_id):
    order = make_order(items=1)

    body = partner_api.cancel(order, [item_id], status=200)

    assert without_reference(body) == {
        "HadError": True,
        "Errors": [failure(item_id, NOT_AN_ITEM)],
        "Success": [],
    }


def test_when_every_id_fails_nothing_changes(partner_api, make_order):
    order = make_order(items=1)

    body = partner_api.cancel(order, [999_999], status=200)

    assert body["Success"] == []
    order.refresh_from_db()
    assert order.version == 1
    assert not OrderEvent.objects.filter(order=order, kind=EventKind.ITEMS_CANCELLED).exists()


# --- the last live item -----------------------------------------------------------------------


def test_cancelling_the_last_live_item_does_not_cancel_the_order(
    partner_api, supervisor_api, make_order
):
    order = make_order(items=2, tray="12")

    partner_api.cancel(order, item_ids(order), status=200)

    order.refresh_from_db()
    assert order.cancelled_at is None
    assert order.is_active
    assert Order.objects.active().filter(tray="12").get() == order  # keeps its tray
    assert order.processing_status == ProcessingStatus.CANCELLED  # derived from its items
    assert not OrderEvent.objects.filter(order=order, kind=EventKind.CANCEL).exists()
    # Still visible to the lab's other clients.
    fetched = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)
    assert fetched["orderNumber"] == str(order.number)


# --- not pre-production -----------------------------------------------------------------------


def test_an_order_in_production_cancels_nothing(partner_api, make_order, make_station):
    order = make_order(items=2)
    check_in(order=order, station=make_station("SURF"), operator=None, actor=None)
    before = statuses(order)

    body = partner_api.cancel(order, item_ids(order), status=400, max_queries=QUERY_CEILING)

    assert without_reference(body) == {
        "HadError": True,
        "Errors": [
            order_error(
                order.number,
                "Items can be cancelled only while the order is pre-production; "
                "its status is Process, checked in at station SURF",
            )
        ],
        "Success": [],
    }
    assert statuses(order) == before
    assert not OrderEvent.objects.filter(order=order, kind=EventKind.ITEMS_CANCELLED).exists()


def test_an_order_once_checked_in_is_past_pre_production_even_when_valid(
    partner_api, make_order, make_station, check_in
):
    order = make_order(items=1)
    check_in(order, make_station("AR"))  # a check-in row; the state stays valid
    assert order.state == OrderState.VALID

    body = partner_api.cancel(order, item_ids(order), status=400)

    assert body["Errors"][0]["ErrorMessage"].endswith(
        "its status is Valid, checked in at station AR"
    )


def test_a_check_in_row_alone_is_enough(partner_api, make_order, make_station):
    order = make_order(items=1)
    order.checkins.create(station=make_station("QA"))

    body = partner_api.cancel(order, item_ids(order), status=400)

    assert body["Errors"][0]["ErrorMessage"].endswith(
        "its status is Valid, checked in at station QA"
    )


def test_an_order_in_process_on_hold_names_both(partner_api, make_order, make_station, check_in):
    order = make_order(items=1, state=OrderState.PROCESS, on_hold=True)
    check_in(order, make_station("EDG"))

    body = partner_api.cancel(order, item_ids(order), status=400)

    assert body["Errors"][0]["ErrorMessage"].endswith(
        "its status is Process, on hold, checked in at station EDG"
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"state": OrderState.COMPLETED}, "Order already completed", id="completed"),
        pytest.param({"pending_completion": True}, "Order already completed", id="pending"),
        pytest.param(
            {"cancelled_at": "2026-11-23T12:00:00Z"}, "Order marked for cancelation", id="cancelled"
        ),
    ],
)
def test_completed_or_cancelled_orders_cancel_nothing(partner_api, make_order, fields, message):
    order = make_order(items=2, **fields)
    before = statuses(order)

    body = partner_api.cancel(order, item_ids(order), status=400, max_queries=QUERY_CEILING)

    assert without_reference(body) == {
        "HadError": True,
        "Errors": [order_error(order.number, message)],
        "Success": [],
    }
    assert statuses(order) == before


def test_a_completion_request_pending_refuses_item_cancels(partner_api, make_order):
    order = make_order(items=1, pending_completion=True)
    CompletionRequest.objects.create(order=order)

    body = partner_api.cancel(order, item_ids(order), status=400)

    assert body["Errors"][0]["ErrorMessage"] == "Order already completed"


# --- unknown order ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "order_id",
    ["99999", str(uuid.UUID(int=7)), "PO-1", "0123", "x" * 300, "１２３"],
)
def test_unknown_order_is_404(partner_api, make_order, order_id):
    make_order(items=1, po_number="PO-1", tray="123")  # found by PO or tray in other faces only

    body = partner_api.put(partner_api.url(order_id), {"Ids": [1]}, status=404)

    assert without_reference(body) == {
        "HadError": True,
        "Errors": [
            {
                "PropertyName": "orderId",
                "AttemptedValue": order_id[:100],
                "ErrorMessage": "No record found",
                "CustomState": None,
            }
        ],
        "Success": [],
    }


def test_missing_order_id_is_400(partner_api):
    body = partner_api.put(partner_api.url(None), {"Ids": [1]}, status=400)

    assert without_reference(body) == {
        "HadError": True,
        "Errors": [
            {
                "PropertyName": "orderId",
                "AttemptedValue": None,
                "ErrorMessage": "orderId is required",
                "CustomState": None,
            }
        ],
        "Success": [],
    }


def test_two_different_order_ids_are_400(partner_api, make_order):
    order = make_order(items=1)

    body = partner_api.put(
        partner_api.url(order.number) + "&ORDERID=10", {"Ids": item_ids(order)}, status=400
    )

    assert body["Errors"][0]["ErrorMessage"] == "orderId is given more than once"


# --- history ----------------------------------------------------------------------------------


def test_each_cancelled_item_is_in_the_history_with_the_partner_name(partner_api, make_order):
    order = make_order(items=3)
    first, second, _ = item_ids(order)

    partner_api.cancel(order, [first, second, 999_999], status=200)

    events = list(order.events.filter(kind=EventKind.ITEMS_CANCELLED).order_by("id"))
    partner = partner_api.partner
    assert [(e.actor, e.actor_name, e.from_value, e.to_value, e.note) for e in events] == [
        (
            partner.user,
            "Acme Prints",
            "New",
            "Cancelled",
            f"item {item_id} (SKU{index}) cancelled by partner Acme Prints (as acme-prints-user)",
        )
        for index, item_id in enumerate([first, second])
    ]


def test_the_partner_last_use_is_recorded(partner_api, make_order):
    order = make_order(items=1)
    assert partner_api.partner.last_used_at is None

    partner_api.cancel(order, item_ids(order), status=200)

    partner_api.partner.refresh_from_db()
    assert partner_api.partner.last_used_at is not None


# --- query count ------------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_number_of_ids(make_partner, make_order):
    counts = []
    for size in (1, 10, 200):
        api = make_partner(f"Partner {size}")
        order = make_order(items=size, endpoints=("SURF", "AR", "QA"))
        api.cancel(order, item_ids(order), status=200, max_queries=QUERY_CEILING)
        counts.append(api.last_queries)
        # The failures of a second call cost nothing more either.
        api.cancel(order, [*item_ids(order), 999_999], status=200, max_queries=QUERY_CEILING)

    assert len(set(counts)) == 1, counts

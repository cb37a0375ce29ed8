"""derive_status, its docstring's table row by row, and refresh_processing_status on real orders.

An item's status derives from its endpoints', an order's from its items'. Cancelled parts do
not count while any part is live.
"""

from django.db import transaction

import pytest

from orders.models import Order, OrderItem, OrderItemEndpoint
from orders.services import lock_order, refresh_processing_status
from orders.status import ProcessingStatus, derive_status

NEW = ProcessingStatus.NEW
IN_PROGRESS = ProcessingStatus.IN_PROGRESS
DONE = ProcessingStatus.DONE
CANCELLED = ProcessingStatus.CANCELLED


# --- the table -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parts", "whole"),
    [
        # none -> New
        pytest.param([], NEW, id="none"),
        # all Cancelled -> Cancelled
        pytest.param([CANCELLED], CANCELLED, id="one-cancelled"),
        pytest.param([CANCELLED, CANCELLED, CANCELLED], CANCELLED, id="all-cancelled"),
        # live parts all New -> New
        pytest.param([NEW], NEW, id="one-new"),
        pytest.param([NEW, NEW], NEW, id="all-new"),
        pytest.param([NEW, CANCELLED], NEW, id="new-and-cancelled"),
        pytest.param([CANCELLED, NEW, CANCELLED], NEW, id="cancelled-around-new"),
        # live parts all Done -> Done
        pytest.param([DONE], DONE, id="one-done"),
        pytest.param([DONE, DONE, DONE], DONE, id="all-done"),
        pytest.param([DONE, CANCELLED], DONE, id="done-and-cancelled"),
        # anything else -> InProgress
        pytest.param([IN_PROGRESS], IN_PROGRESS, id="one-in-progress"),
        pytest.param([IN_PROGRESS, IN_PROGRESS], IN_PROGRESS, id="all-in-progress"),
        pytest.param([NEW, DONE], IN_PROGRESS, id="new-and-done"),
        pytest.param([NEW, IN_PROGRESS], IN_PROGRESS, id="new-and-in-progress"),
        pytest.param([DONE, IN_PROGRESS], IN_PROGRESS, id="done-and-in-progress"),
        pytest.param([IN_PROGRESS, CANCELLED], IN_PROGRESS, id="in-progress-and-cancelled"),
        pytest.param([NEW, DONE, CANCELLED], IN_PROGRESS, id="new-done-cancelled"),
        pytest.param([NEW, IN_PROGRESS, DONE, CANCELLED], IN_PROGRESS, id="one-of-each-status"),
    ],
)
def test_table_row(parts, whole):
    assert derive_status(parts) == whole
    assert derive_status(list(reversed(parts))) == whole  # the order of the parts is irrelevant


@pytest.mark.parametrize(
    ("parts", "whole"),
    [
        pytest.param(["New", "Done"], "InProgress", id="mixed"),
        pytest.param(["Cancelled", "Done"], "Done", id="cancelled-ignored"),
        pytest.param(["Cancelled"], "Cancelled", id="all-cancelled"),
    ],
)
def test_plain_wire_strings_work_like_the_enum(parts, whole):
    assert derive_status(parts) == whole


def test_any_iterable_of_parts_works_even_a_one_shot_generator():
    assert derive_status(status for status in ["Done", "Cancelled", "Done"]) == DONE
    assert derive_status(status for status in []) == NEW


def test_the_result_is_one_of_the_wire_values():
    assert derive_status([NEW, DONE]) in ProcessingStatus.values


# --- refresh_processing_status on real orders ---------------------------------------------------


@pytest.fixture
def order_with(make_order):
    """An order whose items have the given endpoint statuses (``make_order`` brings the db).

    Each argument is one item: a list of its endpoints' statuses, or a bare status for an item
    that has no endpoints (and that status set on the item itself).
    """

    def make(*items) -> Order:
        order = make_order(items=len(items), endpoints=())
        for item, spec in zip(order.items.order_by("id"), items, strict=True):
            if isinstance(spec, str):
                OrderItem.objects.filter(pk=item.pk).update(status=spec)
                continue
            OrderItemEndpoint.objects.bulk_create(
                OrderItemEndpoint(item=item, name=f"endpoint-{n}", status=status)
                for n, status in enumerate(spec)
            )
        return order

    return make


def refresh(order: Order) -> str:
    with transaction.atomic():
        return refresh_processing_status(lock_order(order))


def item_statuses(order: Order) -> list[str]:
    return list(
        OrderItem.objects.filter(order=order).order_by("id").values_list("status", flat=True)
    )


def saved_status(order: Order) -> str:
    return Order.objects.get(pk=order.pk).processing_status


@pytest.mark.parametrize(
    ("endpoints", "item_status"),
    [
        pytest.param([NEW, NEW], NEW, id="all-new"),
        pytest.param([DONE, NEW], IN_PROGRESS, id="done-and-new"),
        pytest.param([IN_PROGRESS], IN_PROGRESS, id="in-progress"),
        pytest.param([DONE, DONE], DONE, id="all-done"),
        pytest.param([DONE, CANCELLED], DONE, id="done-and-cancelled"),
        pytest.param([CANCELLED, CANCELLED], CANCELLED, id="all-cancelled"),
    ],
)
def test_an_item_derives_from_its_endpoints(order_with, endpoints, item_status):
    order = order_with(endpoints)

    assert refresh(order) == item_status

    assert item_statuses(order) == [item_status]
    assert saved_status(order) == item_status


def test_a_stale_item_status_is_overwritten_by_its_endpoints(order_with):
    order = order_with([DONE, DONE])
    OrderItem.objects.filter(order=order).update(status=NEW)

    refresh(order)

    assert item_statuses(order) == [DONE]


@pytest.mark.parametrize("status", [NEW, IN_PROGRESS, DONE, CANCELLED])
def test_an_item_without_endpoints_keeps_its_status(order_with, status):
    order = order_with(status)

    assert refresh(order) == status

    assert item_statuses(order) == [status]


def test_items_with_and_without_endpoints_side_by_side(order_with):
    order = order_with(DONE, [NEW, DONE], [NEW])

    assert refresh(order) == IN_PROGRESS

    assert item_statuses(order) == [DONE, IN_PROGRESS, NEW]


@pytest.mark.parametrize(
    ("items", "order_status"),
    [
        pytest.param([[NEW], [NEW]], NEW, id="all-new"),
        pytest.param([[DONE], [NEW]], IN_PROGRESS, id="done-and-new"),
        pytest.param([[DONE], [DONE]], DONE, id="all-done"),
        pytest.param([[IN_PROGRESS], [DONE]], IN_PROGRESS, id="in-progress-and-done"),
    ],
)
def test_the_order_derives_from_its_items(order_with, items, order_status):
    order = order_with(*items)

    assert refresh(order) == order_status

    assert saved_status(order) == order_status


@pytest.mark.parametrize(
    ("items", "order_status"),
    [
        pytest.param([[CANCELLED], [DONE]], DONE, id="cancelled-and-done"),
        pytest.param([[CANCELLED], [NEW]], NEW, id="cancelled-and-new"),
        pytest.param([[CANCELLED], [IN_PROGRESS]], IN_PROGRESS, id="cancelled-and-in-progress"),
        pytest.param([[CANCELLED], [DONE], [DONE]], DONE, id="cancelled-and-two-done"),
        pytest.param([CANCELLED, [DONE]], DONE, id="cancelled-without-endpoints"),
        pytest.param([[CANCELLED], [CANCELLED]], CANCELLED, id="every-item-cancelled"),
    ],
)
def test_cancelled_items_are_ignored_while_any_item_is_live(order_with, items, order_status):
    order = order_with(*items)

    assert refresh(order) == order_status

    assert saved_status(order) == order_status


def test_an_order_without_items_is_new(order_with):
    order = order_with()
    Order.objects.filter(pk=order.pk).update(processing_status=DONE)

    assert refresh(order) == NEW

    assert saved_status(order) == NEW


def test_refresh_saves_the_status_but_not_the_version(order_with):
    order = order_with([DONE], [DONE])
    version = Order.objects.get(pk=order.pk).version

    refresh(order)

    fresh = Order.objects.get(pk=order.pk)
    assert (fresh.processing_status, fresh.version) == (DONE, version)


def test_refresh_leaves_the_endpoint_statuses_alone(order_with):
    order = order_with([DONE, NEW, CANCELLED])

    refresh(order)

    assert list(
        OrderItemEndpoint.objects.filter(item__order=order)
        .order_by("id")
        .values_list("status", flat=True)
    ) == [DONE, NEW, CANCELLED]


def test_refresh_sets_the_status_on_the_order_object_it_is_given(order_with):
    order = order_with([DONE])
    with transaction.atomic():
        locked = lock_order(order)
        refresh_processing_status(locked)

    assert locked.processing_status == DONE

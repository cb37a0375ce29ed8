"""The order list in the admin shows and filters what the Orders API's process does."""

import pytest

from orders.services import process_orders
from orders.status import ProcessingStatus

CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def processed_and_not(make_order):
    processed = make_order(number=50001)
    waiting = make_order(number=50002)
    process_orders(public_ids=[str(processed.public_id)], actor=None)
    return processed, waiting


@pytest.mark.parametrize(
    ("value", "shown", "hidden"), [("yes", "50001", "50002"), ("no", "50002", "50001")]
)
def test_the_processed_filter_splits_released_orders_from_waiting_ones(
    admin_client, processed_and_not, value, shown, hidden
):
    page = admin_client.get(CHANGELIST, {"processed": value}).content.decode()
    assert f">{shown}<" in page
    assert f">{hidden}<" not in page


def test_the_list_filters_by_processing_status(admin_client, make_order):
    make_order(number=50003, processing_status=ProcessingStatus.DONE)
    make_order(number=50004)
    page = admin_client.get(CHANGELIST, {"processing_status__exact": "Done"}).content.decode()
    assert ">50003<" in page
    assert ">50004<" not in page


def test_the_list_shows_each_orders_processing_status(admin_client, make_order):
    make_order(number=50005, processing_status=ProcessingStatus.IN_PROGRESS)
    page = admin_client.get(CHANGELIST).content.decode()
    assert '<td class="field-processing_status">In progress</td>' in page

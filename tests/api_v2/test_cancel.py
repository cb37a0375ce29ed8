"""DELETE /api/v2/orders/{orderIdentifier}: cancel an order, the contract's table row by row."""

from django.utils import timezone

import pytest

from orders.models import LabSettings, Order, OrderEvent
from orders.services import REASON_IGNORED_WARNING
from tests.jobs import job_json

pytestmark = pytest.mark.django_db

# Measured with reason codes on: key lookup + key last-used write + the rights query + resolve
# + savepoint, lock, settings, 2 reason checks, non-cancel check-ins, update, event, release
# + the order's payload (the order, its items with endpoints). It must not depend on the number
# of items.
CANCEL_QUERY_CEILING = 18  # includes cancelling the queued print jobs and the items, endpoints


def url(identifier) -> str:
    return f"/api/v2/orders/{identifier}"


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def assert_not_cancelled(order: Order) -> None:
    order.refresh_from_db()
    assert order.cancelled_at is None
    assert not OrderEvent.objects.filter(order=order, kind="cancel").exists()


# --- the table, in order ------------------------------------------------------------------------


def test_row_1_no_such_order_is_404(supervisor_api):
    body = supervisor_api.delete(url("424242"), status=404)

    assert body == error("No record found", "Provided: 424242")


def test_row_2_job_tracker_module_not_installed(supervisor_api, make_order, lab_settings):
    lab_settings(job_tracker_module_installed=False)
    order = make_order()

    body = supervisor_api.delete(url(order.number), status=400)

    assert body == error("Job Tracker module required for cancel method")
    assert_not_cancelled(order)


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"state": "C", "completed_at": timezone.now()}, id="completed"),
        pytest.param({"pending_completion": True}, id="pending-completion"),
        pytest.param({"cancelled_at": timezone.now()}, id="already-cancelled"),
    ],
)
def test_row_3_order_already_completed(supervisor_api, make_order, fields):
    order = make_order(**fields)

    body = supervisor_api.delete(url(order.number), status=400)

    assert body == error("Order already completed")


def test_row_3_second_cancel_of_the_same_order(supervisor_api, make_order):
    order = make_order()
    supervisor_api.delete(url(order.number), status=200)

    body = supervisor_api.delete(url(order.number), status=400)

    assert body == error("Order already completed")
    assert OrderEvent.objects.filter(order=order, kind="cancel").count() == 1


def test_row_4_delete_reasons_file_is_empty(supervisor_api, make_order, lab_settings):
    lab_settings(enter_reason_code_when_deleting_order=True)
    order = make_order()

    body = supervisor_api.delete(url(order.number) + "?deleteReason=CUS", status=400)

    assert body == error("The delete reasons file is empty")
    assert_not_cancelled(order)


def test_row_4_only_inactive_reason_codes_count_as_empty(
    supervisor_api, make_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("OLD", active=False)
    order = make_order()

    body = supervisor_api.delete(url(order.number) + "?deleteReason=OLD", status=400)

    assert body == error("The delete reasons file is empty")


@pytest.mark.parametrize(
    ("query", "provided"),
    [
        pytest.param("?deleteReason=9999", "9999", id="unknown-code"),
        pytest.param("", "", id="missing"),
        pytest.param("?deleteReason=", "", id="empty"),
        pytest.param("?deleteReason=OLD", "OLD", id="inactive-code"),
        pytest.param("?deleteReason=cus", "cus", id="wrong-case"),
    ],
)
def test_row_5_delete_reason_code_does_not_exist(
    supervisor_api, make_order, make_reason, lab_settings, query, provided
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS")
    make_reason("OLD", active=False)
    order = make_order()

    body = supervisor_api.delete(url(order.number) + query, status=400)

    assert body == error("Delete reason code does not exist", f"Provided: {provided}")
    assert_not_cancelled(order)


def test_row_5_unknown_code_sent_in_the_body(supervisor_api, make_order, make_reason, lab_settings):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS")
    order = make_order()

    body = supervisor_api.delete(url(order.number), {"deleteReason": "9999"}, status=400)

    assert body == error("Delete reason code does not exist", "Provided: 9999")


def test_row_6_order_has_been_through_a_non_cancel_station(
    supervisor_api, make_order, make_station, check_in
):
    order = make_order()
    check_in(order, make_station("COAT", non_cancel=True))
    check_in(order, make_station("QA"))  # a later ordinary station does not lift the block

    body = supervisor_api.delete(url(order.number), status=400)

    assert body == error("Order has been through a non-cancel station")
    assert_not_cancelled(order)


def test_ordinary_station_does_not_block_cancel(supervisor_api, make_order, make_station, check_in):
    order = make_order()
    check_in(order, make_station("SURF"))

    body = supervisor_api.delete(url(order.number), status=200)

    assert body["message"] == ""


# --- the order of the checks: the first that fails answers --------------------------------------


def test_order_unknown_answers_404_before_the_tracker_check(supervisor_api, lab_settings):
    lab_settings(job_tracker_module_installed=False)

    body = supervisor_api.delete(url("424242"), status=404)

    assert body == error("No record found", "Provided: 424242")


def test_tracker_check_comes_before_the_completed_check(supervisor_api, make_order, lab_settings):
    lab_settings(job_tracker_module_installed=False)
    order = make_order(state="C")

    body = supervisor_api.delete(url(order.number), status=400)

    assert body == error("Job Tracker module required for cancel method")


def test_completed_check_comes_before_the_reason_checks(supervisor_api, make_order, lab_settings):
    lab_settings(enter_reason_code_when_deleting_order=True)  # and no reason codes
    order = make_order(pending_completion=True)

    body = supervisor_api.delete(url(order.number), status=400)

    assert body == error("Order already completed")


def test_empty_reasons_file_comes_before_the_reason_code_check(
    supervisor_api, make_order, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    order = make_order()

    body = supervisor_api.delete(url(order.number), status=400)  # no deleteReason either

    assert body == error("The delete reasons file is empty")


def test_reason_checks_come_before_the_non_cancel_station_check(
    supervisor_api, make_order, make_station, check_in, lab_settings, make_reason
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    order = make_order()
    check_in(order, make_station("COAT", non_cancel=True))

    make_reason("OLD", active=False)
    body = supervisor_api.delete(url(order.number) + "?deleteReason=OLD", status=400)
    assert body == error("The delete reasons file is empty")

    make_reason("CUS")
    body = supervisor_api.delete(url(order.number) + "?deleteReason=9999", status=400)
    assert body == error("Delete reason code does not exist", "Provided: 9999")

    body = supervisor_api.delete(url(order.number) + "?deleteReason=CUS", status=400)
    assert body == error("Order has been through a non-cancel station")


# --- success ------------------------------------------------------------------------------------


def test_success_answers_200_with_the_order_and_an_empty_message(supervisor_api, make_order):
    order = make_order(tray="123", po_number="PO-1")
    before = supervisor_api.get(url(order.number), status=200)

    body = supervisor_api.delete(url(order.number), status=200)

    # The order's items are cancelled with it, at every endpoint; nothing else changes.
    cancelled_items = [
        {
            **item,
            "status": "Cancelled",
            "endpoints": [{**e, "status": "Cancelled"} for e in item["endpoints"]],
        }
        for item in before["items"]
    ]
    assert before["items"]
    assert before["items"][0]["status"] == "New"
    assert body == {**before, "items": cancelled_items, "message": ""}
    assert list(body) == [*before, "message"]


def test_cancelled_order_then_fetches_as_marked_for_cancelation(supervisor_api, make_order):
    order = make_order()
    supervisor_api.delete(url(order.number), status=200)

    body = supervisor_api.get(url(order.number), status=200)

    assert body == error("Order marked for cancelation")


def test_setting_off_and_delete_reason_sent_warns_that_it_was_ignored(
    supervisor_api, make_order, make_reason
):
    make_reason("CUS")
    order = make_order()

    body = supervisor_api.delete(url(order.number) + "?deleteReason=CUS", status=200)

    assert body["message"] == REASON_IGNORED_WARNING
    order.refresh_from_db()
    assert order.cancel_reason is None


def test_setting_off_and_unknown_delete_reason_is_still_only_a_warning(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.delete(url(order.number), {"deleteReason": "9999"}, status=200)

    assert body["message"] == REASON_IGNORED_WARNING


def test_delete_reason_as_a_query_parameter(supervisor_api, make_order, make_reason, lab_settings):
    lab_settings(enter_reason_code_when_deleting_order=True)
    reason = make_reason("CUS")
    order = make_order()

    body = supervisor_api.delete(url(order.number) + "?deleteReason=CUS", status=200)

    assert body["message"] == ""
    order.refresh_from_db()
    assert order.cancel_reason == reason


def test_delete_reason_as_a_json_body_field(supervisor_api, make_order, make_reason, lab_settings):
    lab_settings(enter_reason_code_when_deleting_order=True)
    reason = make_reason("CUS")
    order = make_order()

    body = supervisor_api.delete(url(order.number), {"deleteReason": "CUS"}, status=200)

    assert body["message"] == ""
    order.refresh_from_db()
    assert order.cancel_reason == reason


def test_cancel_records_reason_user_time_and_a_history_event(
    supervisor_api, supervisor, make_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    reason = make_reason("CUS", "Customer request")
    order = make_order(tray="123")
    started = timezone.now()

    supervisor_api.delete(url(order.number) + "?deleteReason=CUS", status=200)

    order.refresh_from_db()
    assert (order.cancel_reason, order.cancelled_by) == (reason, supervisor)
    assert started <= order.cancelled_at <= timezone.now()
    event = OrderEvent.objects.get(order=order, kind="cancel")
    assert (
        event.actor,
        event.actor_name,
        event.from_value,
        event.to_value,
        event.reason,
        event.note,
    ) == (
        supervisor,
        "sam",
        "Valid",
        "Marked for cancelation",
        "CUS — Customer request",
        "tray 123 freed",
    )
    assert started <= event.at <= timezone.now()


def test_cancel_keeps_the_order_and_its_items(supervisor_api, make_order):
    order = make_order(items=3)

    supervisor_api.delete(url(order.number), status=200)

    assert Order.objects.filter(pk=order.pk).exists()
    assert order.items.count() == 3


def test_cancel_by_tray_frees_the_tray(supervisor_api, make_order, job_customer):
    order = make_order(tray="123")

    supervisor_api.delete(url("123"), status=200)

    order.refresh_from_db()
    assert order.tray == "123"  # kept for the record, but no longer held
    assert supervisor_api.get(url("123"), status=404) == error("No record found", "Provided: 123")
    new = supervisor_api.post(
        "/api/v2/orders",
        job_json(**{"trayNumber": "123", "items": [{"sku": "L"}]}),
        status=201,
    )
    body = supervisor_api.get(url("123"), status=200)
    assert body["orderNumber"] == new["orderNumber"] != str(order.number)


def test_cancel_by_po_number(supervisor_api, make_order):
    order = make_order(po_number="PO-77")

    body = supervisor_api.delete(url("PO-77"), status=200)

    assert body["orderNumber"] == str(order.number)


def test_cancel_of_an_ambiguous_po_is_400(supervisor_api, make_order):
    make_order(po_number="PO-77")
    make_order(po_number="PO-77")

    body = supervisor_api.delete(url("PO-77"), status=400)

    assert body == error(
        "Order identifier is ambiguous", "Provided: PO-77", "Matches: 2 orders by PO number"
    )


def test_unvalid_and_on_hold_orders_can_be_cancelled(supervisor_api, make_order):
    unvalid = make_order(items=0, stock_order=True)  # a stock order without items: unvalid
    held = make_order(on_hold=True)

    assert supervisor_api.delete(url(unvalid.number), status=200)["status"] == "U"
    assert supervisor_api.delete(url(held.number), status=200)["status"] == "W"


# --- rights and cost ------------------------------------------------------------------------------


def test_lab_clients_may_cancel(client_api, make_order):
    order = make_order()

    body = client_api.delete(url(order.number), status=200)

    assert body["message"] == ""


def test_cancel_without_the_right_is_403(no_rights_api, make_order):
    order = make_order()

    body = no_rights_api.delete(url(order.number), status=403)

    assert body == error("Permission denied", "Requires: orders.cancel_order")
    assert_not_cancelled(order)


def test_cancel_stays_under_the_query_ceiling(
    supervisor_api, make_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS")
    order = make_order(items=1)

    supervisor_api.delete(
        url(order.number) + "?deleteReason=CUS", status=200, max_queries=CANCEL_QUERY_CEILING
    )


def test_cancel_costs_the_same_queries_for_50_items_as_for_1(
    supervisor_api, make_order, lab_settings
):
    lab_settings()  # the row exists, as in any lab that has been running
    LabSettings.load()  # and this process has read it moments ago
    small = make_order(items=1)
    large = make_order(items=50)
    supervisor_api.get(url(small.number), status=200)  # warm-up: the key's last-used write

    supervisor_api.delete(url(small.number), status=200, max_queries=CANCEL_QUERY_CEILING)
    small_queries = supervisor_api.last_queries
    supervisor_api.delete(url(large.number), status=200, max_queries=CANCEL_QUERY_CEILING)

    assert supervisor_api.last_queries == small_queries

"""POST /api/v2/orders/{orderIdentifier}/complete: the contract's table row by row, then the
Job Tracker processing what was accepted."""

from datetime import timedelta

from django.utils import timezone

import pytest

from orders.models import Order, OrderEvent
from tests.jobs import job_json
from toolkit.models import WorkerHeartbeat
from tracker.models import CompletionRequest
from tracker.services import process_completions

pytestmark = pytest.mark.django_db

# Measured: key lookup + key last-used write + 2 rights queries + the order + savepoint, lock,
# settings, performed flow steps, heartbeat, request insert, order update, event, release.
COMPLETE_QUERY_CEILING = 14


def url(identifier) -> str:
    return f"/api/v2/orders/{identifier}/complete"


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def not_completed(code: str, message: str) -> dict:
    return error("Could not complete order", f"Error Code: {code}", f"Error Message: {message}")


def snapshot(order: Order) -> tuple:
    """What accepting a completion changes; a refusal must leave all of it as it was."""
    order.refresh_from_db()
    return (
        order.version,
        order.state,
        order.pending_completion,
        order.completed_at,
        CompletionRequest.objects.filter(order=order).count(),
        OrderEvent.objects.filter(order=order).exclude(kind="created").count(),
    )


def beat(seconds_ago: float = 0, kind: str = "tracker") -> WorkerHeartbeat:
    return WorkerHeartbeat.objects.create(
        kind=kind,
        worker_id=f"{kind}-{WorkerHeartbeat.objects.count()}",
        beat_at=timezone.now() - timedelta(seconds=seconds_ago),
    )


@pytest.fixture
def tracker_alive(db):
    """A Job Tracker that reported just now."""
    return beat()


# --- the table, in order --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "identifier",
    [
        pytest.param("424242", id="unknown-number"),
        pytest.param("0123", id="leading-zero"),
        pytest.param("123456789", id="nine-digits"),
        pytest.param("abc", id="not-a-number"),
    ],
)
def test_row_01_order_not_found_is_404(supervisor_api, tracker_alive, identifier):
    body = supervisor_api.post(url(identifier), status=404)

    assert body == not_completed("01", "Order not found")


@pytest.mark.parametrize(
    "identifier", [pytest.param("555", id="tray"), pytest.param("PO-9", id="po-number")]
)
def test_row_01_complete_takes_the_order_number_only(
    supervisor_api, make_order, tracker_alive, identifier
):
    order = make_order(tray="555", po_number="PO-9")
    before = snapshot(order)

    body = supervisor_api.post(url(identifier), status=404)

    assert body == not_completed("01", "Order not found")
    assert snapshot(order) == before


def test_row_02_marked_for_cancelation(supervisor_api, make_order, tracker_alive):
    order = make_order(cancelled_at=timezone.now())
    before = snapshot(order)

    body = supervisor_api.post(url(order.number), status=400)

    assert body == not_completed("02", "Order deleted")
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"items": 0, "stock_order": True}, id="created-unvalid"),
        pytest.param({"state": "U"}, id="state-U"),
    ],
)
def test_row_03_unvalid(supervisor_api, make_order, tracker_alive, fields):
    order = make_order(**fields)
    before = snapshot(order)

    body = supervisor_api.post(url(order.number), status=400)

    assert body == not_completed("03", "Order unvalid")
    assert snapshot(order) == before


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({"state": "C", "completed_at": timezone.now()}, id="completed"),
        pytest.param({"pending_completion": True}, id="pending-completion"),
    ],
)
def test_row_04_already_completed(supervisor_api, make_order, tracker_alive, fields):
    order = make_order(**fields)
    before = snapshot(order)

    body = supervisor_api.post(url(order.number), status=400)

    assert body == not_completed("04", "Order already completed")
    assert snapshot(order) == before


def test_row_04_second_completion_of_the_same_order(supervisor_api, make_order, tracker_alive):
    order = make_order()
    supervisor_api.post(url(order.number), status=201)

    body = supervisor_api.post(url(order.number), status=400)

    assert body == not_completed("04", "Order already completed")
    assert CompletionRequest.objects.filter(order=order).count() == 1


def test_row_05_on_hold(supervisor_api, make_order, tracker_alive):
    order = make_order(on_hold=True)
    before = snapshot(order)

    body = supervisor_api.post(url(order.number), status=400)

    assert body == not_completed("05", "Order on hold")
    assert snapshot(order) == before


def test_row_20_required_step_without_a_checkin(
    supervisor_api, make_order, lab_settings, tracker_alive
):
    lab_settings(jobtrack_station_verify=True)
    order = make_order(requires_backside_coat=True)
    before = snapshot(order)

    body = supervisor_api.post(url(order.number), status=400)

    assert body == not_completed("20", "Needs Backside Coat!")
    assert snapshot(order) == before


def test_row_20_reports_the_first_missing_step_in_table_order(
    supervisor_api, make_order, make_station, check_in, lab_settings, tracker_alive
):
    lab_settings(jobtrack_station_verify=True)
    order = make_order(
        requires_backside_coat=True,
        requires_tint=True,
        requires_polish=True,
        requires_final_qa=True,
    )

    body = supervisor_api.post(url(order.number), status=400)
    assert body == not_completed("20", "Needs Backside Coat!")

    check_in(order, make_station("BSC", flow_step="backside_coat"))
    body = supervisor_api.post(url(order.number), status=400)
    assert body == not_completed("20", "Needs Tint!")

    check_in(order, make_station("QA", flow_step="final_qa"))  # a later step does not help
    body = supervisor_api.post(url(order.number), status=400)
    assert body == not_completed("20", "Needs Tint!")


def test_row_20_a_station_without_that_step_does_not_count(
    supervisor_api, make_order, make_station, check_in, lab_settings, tracker_alive
):
    lab_settings(jobtrack_station_verify=True)
    order = make_order(requires_ar_coat=True)
    check_in(order, make_station("AR"))  # named like the step, but performs none
    check_in(order, make_station("TINT", flow_step="tint"))

    body = supervisor_api.post(url(order.number), status=400)

    assert body == not_completed("20", "Needs AR Coat!")


def test_row_20_passes_when_every_required_step_has_a_checkin(
    supervisor_api, make_order, make_station, check_in, lab_settings, tracker_alive
):
    lab_settings(jobtrack_station_verify=True)
    order = make_order(requires_backside_coat=True, requires_ar_coat=True)
    check_in(order, make_station("BSC", flow_step="backside_coat"))
    check_in(order, make_station("AR", flow_step="ar_coat"))

    body = supervisor_api.post(url(order.number), status=201)

    assert body == {"orderNumber": str(order.number), "message": "Successful"}


def test_row_20_steps_not_required_need_no_checkin(
    supervisor_api, make_order, lab_settings, tracker_alive
):
    lab_settings(jobtrack_station_verify=True)
    order = make_order()

    supervisor_api.post(url(order.number), status=201)


def test_row_20_is_not_checked_when_station_verify_is_off(
    supervisor_api, make_order, lab_settings, tracker_alive
):
    lab_settings(jobtrack_station_verify=False)
    order = make_order(requires_backside_coat=True, requires_final_qa=True)

    body = supervisor_api.post(url(order.number), status=201)

    assert body == {"orderNumber": str(order.number), "message": "Successful"}


def test_row_30_no_heartbeat_at_all_is_503(supervisor_api, make_order):
    order = make_order()
    before = snapshot(order)

    body = supervisor_api.post(url(order.number), status=503)

    assert body == not_completed("30", "Job Tracker is not running")
    assert snapshot(order) == before


def test_row_30_stale_heartbeat_is_503(supervisor_api, make_order, lab_settings):
    lab_settings(tracker_heartbeat_seconds=30)
    beat(seconds_ago=31)
    order = make_order()
    before = snapshot(order)

    body = supervisor_api.post(url(order.number), status=503)

    assert body == not_completed("30", "Job Tracker is not running")
    assert snapshot(order) == before


def test_row_30_another_workers_heartbeat_does_not_count(supervisor_api, make_order):
    beat(kind="spooler")
    order = make_order()

    body = supervisor_api.post(url(order.number), status=503)

    assert body == not_completed("30", "Job Tracker is not running")


def test_row_30_the_window_is_the_lab_setting(supervisor_api, make_order, lab_settings):
    beat(seconds_ago=60)
    order = make_order()
    lab_settings(tracker_heartbeat_seconds=30)
    supervisor_api.post(url(order.number), status=503)

    lab_settings(tracker_heartbeat_seconds=120)

    supervisor_api.post(url(order.number), status=201)


def test_row_30_one_live_tracker_among_stale_ones_is_enough(supervisor_api, make_order):
    beat(seconds_ago=3600)
    beat(seconds_ago=1)
    order = make_order()

    supervisor_api.post(url(order.number), status=201)


# --- the order of the checks: the first that fails answers ----------------------------------------


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        pytest.param(
            {"cancelled_at": timezone.now(), "on_hold": True, "state": "U"},
            "02",
            "Order deleted",
            id="cancelled-unvalid-on-hold",
        ),
        pytest.param(
            {"state": "U", "pending_completion": True, "on_hold": True},
            "03",
            "Order unvalid",
            id="unvalid-pending-on-hold",
        ),
        pytest.param(
            {"pending_completion": True, "on_hold": True},
            "04",
            "Order already completed",
            id="pending-on-hold",
        ),
        pytest.param(
            {"on_hold": True, "requires_backside_coat": True},
            "05",
            "Order on hold",
            id="on-hold-and-flow",
        ),
    ],
)
def test_state_checks_in_order(
    supervisor_api, make_order, lab_settings, tracker_alive, fields, code, message
):
    lab_settings(jobtrack_station_verify=True)
    order = make_order(**fields)

    body = supervisor_api.post(url(order.number), status=400)

    assert body == not_completed(code, message)


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        pytest.param({"cancelled_at": timezone.now()}, "02", "Order deleted", id="02"),
        pytest.param({"state": "U"}, "03", "Order unvalid", id="03"),
        pytest.param({"pending_completion": True}, "04", "Order already completed", id="04"),
        pytest.param({"on_hold": True}, "05", "Order on hold", id="05"),
        pytest.param({"requires_tint": True}, "20", "Needs Tint!", id="20"),
    ],
)
def test_every_refusal_comes_before_the_tracker_check(
    supervisor_api, make_order, lab_settings, fields, code, message
):
    lab_settings(jobtrack_station_verify=True)  # and no tracker heartbeat
    order = make_order(**fields)

    body = supervisor_api.post(url(order.number), status=400)

    assert body == not_completed(code, message)


def test_order_not_found_comes_before_the_tracker_check(supervisor_api):
    body = supervisor_api.post(url("424242"), status=404)

    assert body == not_completed("01", "Order not found")


# --- success: accepted now, completed by the Job Tracker ------------------------------------------


def test_success_answers_201(supervisor_api, make_order, tracker_alive):
    order = make_order(tray="123", po_number="PO-1")

    body = supervisor_api.post(url(order.number), status=201)

    assert body == {"orderNumber": str(order.number), "message": "Successful"}


def test_acceptance_writes_the_request_the_flag_and_the_event_together(
    supervisor_api, supervisor, make_order, tracker_alive
):
    order = make_order()
    version = order.version
    started = timezone.now()

    supervisor_api.post(url(order.number), status=201)

    order.refresh_from_db()
    assert (order.pending_completion, order.state, order.completed_at) == (True, "V", None)
    assert order.version == version + 1
    request = CompletionRequest.objects.get(order=order)
    assert (request.status, request.requested_by, request.processed_at) == (
        "pending",
        supervisor,
        None,
    )
    assert started <= request.requested_at <= timezone.now()
    event = OrderEvent.objects.get(order=order, kind="completion_requested")
    assert (event.actor, event.actor_name) == (supervisor, "sam")


def test_accepted_order_fetches_as_pending_completion(supervisor_api, make_order, tracker_alive):
    order = make_order()

    supervisor_api.post(url(order.number), status=201)

    body = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)
    assert (body["pendingCompletion"], body["status"], body["dateCompleted"]) == (True, "V", None)


def test_accepted_order_can_no_longer_be_cancelled(supervisor_api, make_order, tracker_alive):
    order = make_order()
    supervisor_api.post(url(order.number), status=201)

    body = supervisor_api.delete(f"/api/v2/orders/{order.number}", status=400)

    assert body == error("Order already completed")
    order.refresh_from_db()
    assert order.cancelled_at is None


def test_the_tracker_completes_an_accepted_order(supervisor_api, make_order, tracker_alive):
    order = make_order(state="P", tray="123")
    supervisor_api.post(url(order.number), status=201)
    version = Order.objects.get(pk=order.pk).version
    started = timezone.now()

    assert process_completions(worker="t1") == 1

    order.refresh_from_db()
    assert (order.state, order.pending_completion, order.version) == ("C", False, version + 1)
    assert started <= order.completed_at <= timezone.now()
    request = CompletionRequest.objects.get(order=order)
    assert (request.status, request.processed_by, request.failure_reason) == ("done", "t1", "")
    assert request.processed_at == order.completed_at
    event = OrderEvent.objects.get(order=order, kind="completed")
    assert (event.actor, event.actor_name, event.from_value, event.to_value, event.note) == (
        None,
        "t1",
        "Process",
        "Completed",
        "tray 123 freed",
    )
    body = supervisor_api.get(f"/api/v2/orders/{order.number}", status=200)
    assert (body["status"], body["pendingCompletion"], body["dateCompleted"]) == (
        "C",
        False,
        timezone.localdate(order.completed_at).isoformat(),
    )


def test_completion_frees_the_tray(supervisor_api, make_order, tracker_alive, job_customer):
    order = make_order(tray="123")
    supervisor_api.post(url(order.number), status=201)
    process_completions(worker="t1")

    new = supervisor_api.post(
        "/api/v2/orders",
        job_json(**{"trayNumber": "123", "items": [{"sku": "L"}]}),
        status=201,
    )

    assert new["trayNumber"] == "123"
    body = supervisor_api.get("/api/v2/orders/123", status=200)
    assert body["orderNumber"] == new["orderNumber"] != str(order.number)


def test_completed_order_cannot_be_completed_again(supervisor_api, make_order, tracker_alive):
    order = make_order()
    supervisor_api.post(url(order.number), status=201)
    process_completions(worker="t1")

    body = supervisor_api.post(url(order.number), status=400)

    assert body == not_completed("04", "Order already completed")
    assert process_completions(worker="t1") == 0


def test_the_tracker_processes_each_request_once(supervisor_api, make_order, tracker_alive):
    first, second = make_order(), make_order()
    supervisor_api.post(url(first.number), status=201)
    supervisor_api.post(url(second.number), status=201)

    assert process_completions(worker="t1") == 2
    assert process_completions(worker="t1") == 0

    assert OrderEvent.objects.filter(kind="completed").count() == 2
    assert set(Order.objects.values_list("state", flat=True)) == {"C"}


def test_the_tracker_processes_in_batches(supervisor_api, make_order, tracker_alive):
    orders = [make_order() for _ in range(3)]
    for order in orders:
        supervisor_api.post(url(order.number), status=201)

    assert process_completions(worker="t1", batch_size=2) == 2
    assert process_completions(worker="t1", batch_size=2) == 1

    assert CompletionRequest.objects.filter(status="done").count() == 3


def test_a_crash_while_processing_loses_nothing(
    supervisor_api, make_order, tracker_alive, monkeypatch
):
    order = make_order()
    supervisor_api.post(url(order.number), status=201)

    def crash(*args, **kwargs):
        raise RuntimeError("tracker killed")

    monkeypatch.setattr(OrderEvent.objects, "bulk_create", crash)
    with pytest.raises(RuntimeError):
        process_completions(worker="t1")
    monkeypatch.undo()

    order.refresh_from_db()
    assert (order.state, order.pending_completion) == ("V", True)
    assert CompletionRequest.objects.get(order=order).status == "pending"
    assert process_completions(worker="t2") == 1
    order.refresh_from_db()
    assert (order.state, order.pending_completion) == ("C", False)
    assert CompletionRequest.objects.get(order=order).processed_by == "t2"


# --- the order changed between acceptance and processing ------------------------------------------


def assert_completion_failed(order: Order, reason: str) -> None:
    order.refresh_from_db()
    assert order.state != "C"
    assert (order.pending_completion, order.completed_at) == (False, None)
    request = CompletionRequest.objects.get(order=order)
    assert (request.status, request.processed_by, request.failure_reason) == (
        "failed",
        "t1",
        reason,
    )
    assert request.processed_at is not None
    event = OrderEvent.objects.get(order=order, kind="completion_failed")
    assert (event.actor_name, event.reason) == ("t1", reason)
    assert not OrderEvent.objects.filter(order=order, kind="completed").exists()


def test_order_put_on_hold_in_between_is_not_completed(supervisor_api, make_order, tracker_alive):
    order = make_order()
    supervisor_api.post(url(order.number), status=201)
    Order.objects.filter(pk=order.pk).update(on_hold=True)  # e.g. a supervisor in the admin

    assert process_completions(worker="t1") == 1

    assert_completion_failed(order, "Order on hold")
    order.refresh_from_db()
    assert order.on_hold


def test_flow_check_failing_in_between_is_not_completed(
    supervisor_api, make_order, lab_settings, tracker_alive
):
    order = make_order(requires_backside_coat=True)
    supervisor_api.post(url(order.number), status=201)
    lab_settings(jobtrack_station_verify=True)

    process_completions(worker="t1")

    assert_completion_failed(order, "Needs Backside Coat!")


def test_order_marked_unvalid_in_between_is_not_completed(
    supervisor_api, make_order, tracker_alive
):
    order = make_order()
    supervisor_api.post(url(order.number), status=201)
    Order.objects.filter(pk=order.pk).update(state="U")

    process_completions(worker="t1")

    assert_completion_failed(order, "Order unvalid")


def test_a_failed_completion_can_be_requested_again(supervisor_api, make_order, tracker_alive):
    order = make_order()
    supervisor_api.post(url(order.number), status=201)
    Order.objects.filter(pk=order.pk).update(on_hold=True)
    process_completions(worker="t1")
    supervisor_api.post(f"/api/v2/orders/{order.number}/release", status=200)

    supervisor_api.post(url(order.number), status=201)
    process_completions(worker="t1")

    order.refresh_from_db()
    assert order.state == "C"
    requests = CompletionRequest.objects.filter(order=order).order_by("id")
    assert [r.status for r in requests] == ["failed", "done"]


def test_one_failure_does_not_stop_the_others(supervisor_api, make_order, tracker_alive):
    held, fine = make_order(), make_order()
    supervisor_api.post(url(held.number), status=201)
    supervisor_api.post(url(fine.number), status=201)
    Order.objects.filter(pk=held.pk).update(on_hold=True)

    assert process_completions(worker="t1") == 2

    assert_completion_failed(held, "Order on hold")
    fine.refresh_from_db()
    assert fine.state == "C"


# --- rights and cost ------------------------------------------------------------------------------


def test_lab_clients_may_complete(client_api, make_order, tracker_alive):
    order = make_order()

    body = client_api.post(url(order.number), status=201)

    assert body == {"orderNumber": str(order.number), "message": "Successful"}


@pytest.mark.parametrize("groups", [pytest.param((), id="no-group"), pytest.param(("Stations",))])
def test_complete_without_the_right_is_403(api_for, make_user, make_order, tracker_alive, groups):
    api = api_for(make_user(*groups))
    order = make_order()
    before = snapshot(order)

    body = api.post(url(order.number), status=403)

    assert body == error("Permission denied", "Requires: tracker.complete_order")
    assert snapshot(order) == before


def test_complete_without_a_key_is_401(anonymous_api, make_order, tracker_alive):
    order = make_order()

    body = anonymous_api.post(url(order.number), status=401)

    assert body == error("Authentication required")
    assert not CompletionRequest.objects.exists()


def test_complete_stays_under_the_query_ceiling(
    supervisor_api, make_order, make_station, check_in, lab_settings, tracker_alive
):
    lab_settings(jobtrack_station_verify=True)
    order = make_order(requires_ar_coat=True)
    check_in(order, make_station("AR", flow_step="ar_coat"))

    supervisor_api.post(url(order.number), status=201, max_queries=COMPLETE_QUERY_CEILING)

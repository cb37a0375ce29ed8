"""POST /api/v2/orders/{orderIdentifier}/print_ticket: the contract's table row by row.

The ticket is printed with workstation 00's printer settings; the request only queues a
PrintJob, which the print spooler renders and sends later.
"""

from pathlib import Path

from django.utils import timezone

import pytest

from orders.models import LabSettings, Order, OrderEvent
from printing import api as printing_api
from printing.models import Printer, PrintJob, PrintStatus, WorkstationPort

pytestmark = pytest.mark.django_db

# Measured: key lookup + key last-used write + 2 rights queries + resolve + savepoint, lock,
# settings (when not cached), port mapping, job insert, event insert, release. The ticket is
# rendered by the spooler, so the number of items costs nothing here.
PRINT_QUERY_CEILING = 12

REJECTED = "Printing request rejected"


def url(identifier) -> str:
    return f"/api/v2/orders/{identifier}/print_ticket"


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


@pytest.fixture
def make_printer(tmp_path):
    """A spool printer, mapped to workstation 00's LPT ports given in ``on``."""

    def make(name: str = "Front desk", *, on: tuple[int, ...] = (1,), **fields) -> Printer:
        fields.setdefault("driver", "spool")
        fields.setdefault("folder", str(tmp_path / name.replace(" ", "_")))
        printer = Printer.objects.create(name=name, **fields)
        WorkstationPort.objects.filter(workstation__code="00", number__in=on).update(
            printer=printer
        )
        return printer

    return make


@pytest.fixture
def printer(make_printer):
    """One printer on every LPT port of workstation 00, so only the port's syntax matters."""
    return make_printer(on=tuple(range(1, 10)))


def assert_no_job(order) -> None:
    assert not PrintJob.objects.filter(order=order).exists()
    assert not OrderEvent.objects.filter(order=order, kind="print_requested").exists()


# --- the table, in order ------------------------------------------------------------------------


def test_no_such_order_is_404(supervisor_api, printer):
    body = supervisor_api.post(url("424242"), status=404)

    assert body == error("No record found", "Provided: 424242")
    assert not PrintJob.objects.exists()


def test_marked_for_cancelation_answers_200_with_an_error_body(supervisor_api, make_order, printer):
    order = make_order(cancelled_at=timezone.now())

    body = supervisor_api.post(url(order.number), status=200)

    assert body == error("Order marked for cancelation")
    assert_no_job(order)


def test_stock_order_is_rejected(supervisor_api, make_order, printer):
    order = make_order(stock_order=True)

    body = supervisor_api.post(url(order.number), status=400)

    assert body == error(REJECTED, "Order is a stock order and there is no work ticket")
    assert_no_job(order)


@pytest.mark.parametrize("job_type", ["F", "U", "E", "A"])
def test_every_job_type_has_a_ticket(supervisor_api, make_order, printer, job_type):
    order = make_order(job_type=job_type)

    supervisor_api.post(url(order.number), status=201)

    assert PrintJob.objects.filter(order=order).count() == 1


def test_trays_required_and_no_tray_is_rejected(supervisor_api, make_order, lab_settings, printer):
    lab_settings(trays_required=True)
    order = make_order(tray="")

    body = supervisor_api.post(url(order.number), status=400)

    assert body == error(REJECTED, "Order waiting for tray")
    assert_no_job(order)


def test_trays_required_and_a_tray_prints(supervisor_api, make_order, lab_settings, printer):
    lab_settings(trays_required=True)
    order = make_order(tray="77")

    body = supervisor_api.post(url(order.number), status=201)

    assert body["trayNumber"] == "77"
    assert PrintJob.objects.filter(order=order).count() == 1


def test_trays_not_required_and_no_tray_prints(supervisor_api, make_order, lab_settings, printer):
    lab_settings(trays_required=False)
    order = make_order(tray="")

    body = supervisor_api.post(url(order.number), status=201)

    assert body["trayNumber"] is None


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("LPT0", id="LPT0"),
        pytest.param("LPT10", id="LPT10"),
        pytest.param("x", id="x"),
        pytest.param("0", id="zero"),
        pytest.param("", id="empty"),
        pytest.param("10", id="ten"),
        pytest.param("COM1", id="COM1"),
    ],
)
def test_bad_lpt_port_is_rejected(supervisor_api, make_order, printer, value):
    order = make_order()

    body = supervisor_api.post(url(order.number) + f"?lptPort={value}", status=400)

    assert body == error(REJECTED, f"Provided: {value}")
    assert_no_job(order)


def test_bad_lpt_port_in_the_body_is_rejected(supervisor_api, make_order, printer):
    order = make_order()

    body = supervisor_api.post(url(order.number), {"lptPort": "LPT10"}, status=400)

    assert body == error(REJECTED, "Provided: LPT10")
    assert_no_job(order)


def test_no_printer_on_the_port_of_workstation_00_is_500(supervisor_api, make_order, make_printer):
    make_printer(on=(1,))
    order = make_order()

    body = supervisor_api.post(url(order.number) + "?lptPort=LPT2", status=500)

    assert body == error(REJECTED, "No printer defined for workstation 00")
    assert_no_job(order)


def test_workstation_00_as_migrated_has_no_printer_at_all(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.post(url(order.number), status=500)

    assert body == error(REJECTED, "No printer defined for workstation 00")
    assert_no_job(order)


def test_a_printer_on_another_workstation_does_not_count(supervisor_api, make_order, make_printer):
    other = make_printer("Shop floor", on=())
    supervisor_api.put("/api/v2/workstations/01", {"lptPorts": {"LPT1": "Shop floor"}}, status=200)
    assert WorkstationPort.objects.get(workstation__code="01", number=1).printer == other
    order = make_order()

    body = supervisor_api.post(url(order.number), status=500)

    assert body == error(REJECTED, "No printer defined for workstation 00")


def test_cancelled_between_lookup_and_lock_still_answers_200(
    supervisor_api, make_order, printer, monkeypatch
):
    """A cancel that commits after the order was looked up but before print_ticket locks it
    gets the documented answer too, not the 400 that hold/release give."""
    order = make_order()
    resolve = printing_api.resolve_order_identifier

    def resolve_then_cancel_elsewhere(identifier):
        found = resolve(identifier)
        Order.objects.filter(pk=found.pk).update(cancelled_at=timezone.now())
        return found  # the request's copy still says "not cancelled"

    monkeypatch.setattr(printing_api, "resolve_order_identifier", resolve_then_cancel_elsewhere)

    body = supervisor_api.post(url(order.number), status=200)

    assert body == error("Order marked for cancelation")
    assert_no_job(order)


# --- the order of the checks: the first that fails answers --------------------------------------


def test_unknown_order_answers_404_before_a_bad_port(supervisor_api):
    body = supervisor_api.post(url("424242") + "?lptPort=LPT10", status=404)

    assert body == error("No record found", "Provided: 424242")


def test_marked_for_cancelation_comes_before_every_rejection(
    supervisor_api, make_order, lab_settings
):
    lab_settings(trays_required=True)
    order = make_order(stock_order=True, tray="", cancelled_at=timezone.now())

    body = supervisor_api.post(url(order.number) + "?lptPort=LPT10", status=200)

    assert body == error("Order marked for cancelation")


def test_stock_order_comes_before_the_tray_check(supervisor_api, make_order, lab_settings):
    lab_settings(trays_required=True)
    order = make_order(stock_order=True, tray="")

    body = supervisor_api.post(url(order.number), status=400)

    assert body == error(REJECTED, "Order is a stock order and there is no work ticket")


def test_stock_order_comes_before_a_bad_port(supervisor_api, make_order):
    order = make_order(stock_order=True)

    body = supervisor_api.post(url(order.number) + "?lptPort=LPT10", status=400)

    assert body == error(REJECTED, "Order is a stock order and there is no work ticket")


def test_tray_check_comes_before_a_bad_port(supervisor_api, make_order, lab_settings):
    lab_settings(trays_required=True)
    order = make_order(tray="")

    body = supervisor_api.post(url(order.number) + "?lptPort=LPT10", status=400)

    assert body == error(REJECTED, "Order waiting for tray")


def test_bad_port_comes_before_the_missing_printer(supervisor_api, make_order):
    order = make_order()  # workstation 00 has no printer at all

    body = supervisor_api.post(url(order.number) + "?lptPort=LPT0", status=400)

    assert body == error(REJECTED, "Provided: LPT0")


# --- lptPort: where it may come from and how it is written ---------------------------------------


@pytest.fixture
def port_3_only(make_printer):
    """A printer on LPT3 and a different one on LPT1 (the default), to tell them apart."""
    make_printer("Default", on=(1,))
    return make_printer("Third", on=(3,))


def job_of(order) -> PrintJob:
    return PrintJob.objects.get(order=order)


@pytest.mark.parametrize("value", ["LPT3", "lpt3", "Lpt3", "3"])
def test_lpt_port_as_a_query_parameter(supervisor_api, make_order, port_3_only, value):
    order = make_order()

    supervisor_api.post(url(order.number) + f"?lptPort={value}", status=201)

    assert (job_of(order).port, job_of(order).printer) == (3, port_3_only)


@pytest.mark.parametrize("value", ["LPT3", "lpt3", "3"])
def test_lpt_port_as_a_json_body_field(supervisor_api, make_order, port_3_only, value):
    order = make_order()

    supervisor_api.post(url(order.number), {"lptPort": value}, status=201)

    assert (job_of(order).port, job_of(order).printer) == (3, port_3_only)


def test_a_json_number_for_the_lpt_port_is_refused_not_taken_as_text(
    supervisor_api, make_order, port_3_only
):
    order = make_order()

    body = supervisor_api.post(url(order.number), {"lptPort": 3}, status=400)

    assert body == error("Incorrect arguments provided", "lptPort: must be a string")
    assert_no_job(order)


@pytest.mark.parametrize("value", ["LPT3", "lpt3", "3"])
def test_lpt_port_as_a_form_field(supervisor_api, make_order, port_3_only, value):
    order = make_order()

    supervisor_api.post(
        url(order.number),
        raw=f"lptPort={value}",
        content_type="application/x-www-form-urlencoded",
        status=201,
    )

    assert (job_of(order).port, job_of(order).printer) == (3, port_3_only)


def test_lpt_port_as_a_multipart_form_field(supervisor_api, make_order, port_3_only):
    order = make_order()

    # The test client sends a dict as multipart/form-data.
    response = supervisor_api.client.post(
        url(order.number), {"lptPort": "LPT3"}, **supervisor_api.headers
    )

    assert response.status_code == 201
    assert (job_of(order).port, job_of(order).printer) == (3, port_3_only)


def test_the_query_parameter_wins_over_the_body(supervisor_api, make_order, port_3_only):
    order = make_order()

    supervisor_api.post(url(order.number) + "?lptPort=LPT3", {"lptPort": "LPT1"}, status=201)

    assert job_of(order).port == 3


@pytest.mark.parametrize(
    "send",
    [
        pytest.param({}, id="no-body"),
        pytest.param({"body": {}}, id="empty-json-object"),
        pytest.param({"body": {"lptPort": None}}, id="json-null"),
    ],
)
def test_lpt_port_defaults_to_lpt1(supervisor_api, make_order, port_3_only, send):
    order = make_order()

    supervisor_api.post(url(order.number), send.get("body"), status=201)

    job = job_of(order)
    assert (job.port, job.printer.name) == (1, "Default")


def test_form_post_without_lpt_port_defaults_to_lpt1(supervisor_api, make_order, port_3_only):
    order = make_order()

    supervisor_api.post(
        url(order.number), raw="", content_type="application/x-www-form-urlencoded", status=201
    )

    assert job_of(order).port == 1


def test_a_non_string_lpt_port_is_incorrect_arguments(supervisor_api, make_order, printer):
    order = make_order()

    body = supervisor_api.post(url(order.number), {"lptPort": ["LPT1"]}, status=400)

    assert body == error("Incorrect arguments provided", "lptPort: must be a string")
    assert_no_job(order)


# --- success ------------------------------------------------------------------------------------


def test_success_answers_201_printing_in_process(supervisor_api, make_order, printer):
    order = make_order(tray="123", po_number="PO-1")

    body = supervisor_api.post(url(order.number), status=201)

    assert body == {
        "orderNumber": str(order.number),
        "trayNumber": "123",
        "poNumber": "PO-1",
        "message": "Printing in process",
    }
    assert list(body) == ["orderNumber", "trayNumber", "poNumber", "message"]


def test_success_without_tray_and_po_answers_nulls(supervisor_api, make_order, printer):
    order = make_order()

    body = supervisor_api.post(url(order.number), status=201)

    assert body == {
        "orderNumber": str(order.number),
        "trayNumber": None,
        "poNumber": None,
        "message": "Printing in process",
    }


def test_success_queues_a_print_job_for_the_spooler(
    supervisor_api, supervisor, make_order, make_printer
):
    front = make_printer("Front desk", on=(1,))
    back = make_printer("Back office", on=(4,))
    order = make_order()
    started = timezone.now()

    supervisor_api.post(url(order.number) + "?lptPort=LPT4", status=201)

    job = PrintJob.objects.get()
    assert (
        job.order,
        job.workstation.code,
        job.port,
        job.printer,
        job.status,
        job.attempts,
        job.requested_by,
        job.last_error,
        job.finished_at,
    ) == (order, "00", 4, back, PrintStatus.QUEUED, 0, supervisor, "", None)
    assert started <= job.created_at <= timezone.now()
    assert job.next_attempt_at <= timezone.now()  # due at once
    assert front.jobs.count() == 0


def test_success_records_a_print_requested_event(
    supervisor_api, supervisor, make_order, make_printer
):
    make_printer("Front desk", on=(2,))
    order = make_order()

    supervisor_api.post(url(order.number) + "?lptPort=2", status=201)

    job = PrintJob.objects.get(order=order)
    event = OrderEvent.objects.get(order=order, kind="print_requested")
    assert (event.actor, event.actor_name, event.to_value, event.note) == (
        supervisor,
        "sam",
        "LPT2 Front desk",
        f"print job {job.pk}",
    )


def test_the_ticket_is_not_sent_inside_the_request(supervisor_api, make_order, printer):
    order = make_order()

    supervisor_api.post(url(order.number), status=201)

    folder = Path(printer.folder)
    assert not folder.exists() or not any(folder.iterdir())
    assert job_of(order).status == PrintStatus.QUEUED


def test_each_request_queues_another_job(supervisor_api, make_order, printer):
    order = make_order()

    supervisor_api.post(url(order.number), status=201)
    supervisor_api.post(url(order.number), status=201)

    assert PrintJob.objects.filter(order=order, status=PrintStatus.QUEUED).count() == 2


def test_print_by_tray_number(supervisor_api, make_order, printer):
    order = make_order(tray="555")

    body = supervisor_api.post(url("555"), status=201)

    assert body["orderNumber"] == str(order.number)
    assert job_of(order).order == order


def test_print_by_po_number(supervisor_api, make_order, printer):
    order = make_order(po_number="PO-77")

    body = supervisor_api.post(url("PO-77"), status=201)

    assert body["orderNumber"] == str(order.number)


def test_ambiguous_po_number_is_400(supervisor_api, make_order, printer):
    make_order(po_number="PO-77")
    make_order(po_number="PO-77")

    body = supervisor_api.post(url("PO-77"), status=400)

    assert body == error(
        "Order identifier is ambiguous", "Provided: PO-77", "Matches: 2 orders by PO number"
    )
    assert not PrintJob.objects.exists()


# --- cancelling the order cancels its queued tickets --------------------------------------------


def test_cancelling_the_order_cancels_its_queued_jobs(supervisor_api, make_order, printer):
    order = make_order()
    supervisor_api.post(url(order.number), status=201)
    supervisor_api.post(url(order.number), status=201)

    supervisor_api.delete(f"/api/v2/orders/{order.number}", status=200)

    jobs = PrintJob.objects.filter(order=order)
    assert [job.status for job in jobs] == [PrintStatus.CANCELLED, PrintStatus.CANCELLED]
    assert all(job.finished_at is not None for job in jobs)
    event = OrderEvent.objects.get(order=order, kind="cancel")
    assert event.note == "2 queued print job(s) cancelled"


def test_cancelling_the_order_leaves_done_and_failed_jobs_alone(
    supervisor_api, make_order, printer
):
    order = make_order()
    for _ in range(3):
        supervisor_api.post(url(order.number), status=201)
    done, failed, queued = PrintJob.objects.filter(order=order).order_by("id")
    done_at = timezone.now()
    PrintJob.objects.filter(pk=done.pk).update(status=PrintStatus.DONE, finished_at=done_at)
    PrintJob.objects.filter(pk=failed.pk).update(status=PrintStatus.FAILED, last_error="jam")

    supervisor_api.delete(f"/api/v2/orders/{order.number}", status=200)

    for job in (done, failed, queued):
        job.refresh_from_db()
    assert (done.status, done.finished_at) == (PrintStatus.DONE, done_at)
    assert (failed.status, failed.last_error) == (PrintStatus.FAILED, "jam")
    assert queued.status == PrintStatus.CANCELLED


def test_cancelling_one_order_leaves_other_orders_jobs_queued(supervisor_api, make_order, printer):
    cancelled = make_order()
    other = make_order()
    supervisor_api.post(url(cancelled.number), status=201)
    supervisor_api.post(url(other.number), status=201)

    supervisor_api.delete(f"/api/v2/orders/{cancelled.number}", status=200)

    assert job_of(cancelled).status == PrintStatus.CANCELLED
    assert job_of(other).status == PrintStatus.QUEUED


def test_a_cancelled_order_cannot_be_printed_again(supervisor_api, make_order, printer):
    order = make_order()
    supervisor_api.delete(f"/api/v2/orders/{order.number}", status=200)

    body = supervisor_api.post(url(order.number), status=200)

    assert body == error("Order marked for cancelation")
    assert_no_job(order)


# --- rights and cost ----------------------------------------------------------------------------


def test_lab_clients_may_print_tickets(client_api, make_order, printer):
    order = make_order()

    body = client_api.post(url(order.number), status=201)

    assert body["message"] == "Printing in process"
    assert job_of(order).requested_by.username == "rx-client"


def test_printing_without_the_right_is_403(no_rights_api, make_order, printer):
    order = make_order()

    body = no_rights_api.post(url(order.number), status=403)

    assert body == error("Permission denied", "Requires: printing.print_ticket")
    assert_no_job(order)


def test_the_right_alone_is_enough(api_for, make_user, make_order, printer):
    api = api_for(make_user(rights=("printing.print_ticket",)))
    order = make_order()

    api.post(url(order.number), status=201)

    assert job_of(order).status == PrintStatus.QUEUED


def test_printing_without_a_key_is_401(anonymous_api, make_order, printer):
    order = make_order()

    body = anonymous_api.post(url(order.number), status=401)

    assert body == error("Authentication required")
    assert_no_job(order)


def test_other_methods_are_405(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.get(url(order.number), status=405)

    assert body == error("Method not allowed", "Provided: GET")


def test_print_ticket_stays_under_the_query_ceiling(
    supervisor_api, make_order, lab_settings, printer
):
    lab_settings(trays_required=True)
    order = make_order(tray="9", items=1)

    supervisor_api.post(url(order.number), status=201, max_queries=PRINT_QUERY_CEILING)


def test_print_ticket_costs_the_same_queries_for_50_items_as_for_1(
    supervisor_api, make_order, lab_settings, printer
):
    lab_settings()  # the row exists, as in any lab that has been running
    LabSettings.load()  # and this process has read it moments ago
    small = make_order(items=1)
    large = make_order(items=50)
    supervisor_api.get(f"/api/v2/orders/{small.number}", status=200)  # the key's last-used write

    supervisor_api.post(url(small.number), status=201, max_queries=PRINT_QUERY_CEILING)
    small_queries = supervisor_api.last_queries
    supervisor_api.post(url(large.number), status=201, max_queries=PRINT_QUERY_CEILING)

    assert supervisor_api.last_queries == small_queries


def test_a_json_null_body_is_refused_even_with_the_port_in_the_query(
    supervisor_api, make_order, port_3_only
):
    order = make_order()

    body = supervisor_api.post(url(order.number) + "?lptPort=LPT3", raw="null", status=400)

    assert body == error("Incorrect arguments provided", "body: must be a JSON object")
    assert_no_job(order)


def test_a_body_that_is_no_object_is_refused_for_an_order_marked_for_cancelation(
    supervisor_api, make_order
):
    order = make_order(cancelled_at=timezone.now())

    body = supervisor_api.post(url(order.number), ["LPT1"], status=400)

    assert body == error("Incorrect arguments provided", "body: must be a JSON object")

"""A supervisor runs the day from the browser: settings, reason codes, cancelling an order,
the dashboard's station chart, and printing a work ticket through the spooler."""

import json
import urllib.request

from django.contrib.auth.models import Group, User

import pytest

from accounts.models import ApiKey
from orders.models import ACTIVE_ORDER, LabSettings, Order, Station
from printing.models import Driver, Printer, PrintJob, PrintStatus, WorkstationPort
from printing.services import process_jobs

from .conftest import log_in

# The live server commits: each test gets the migrations' groups and workstation back.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def api_get(live_server, path: str, raw_key: str) -> dict:
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        f"{live_server.url}{path}", headers={"Authorization": f"Token {raw_key}"}
    )
    with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
        assert response.status == 200
        return json.loads(response.read())


def test_supervisor_requires_reason_codes_and_cancels_an_order_with_one(
    page, screenshot, live_server, seeded_lab, supervisor_login
):
    order = Order.objects.get(number=30004)
    log_in(page, supervisor_login)

    # Settings: turn reason codes on. The page explains what that changes for API clients.
    page.goto("/admin/orders/labsettings/")
    assert "Delete reason code does not exist" in page.inner_text("#content-main")
    page.check("#id_enter_reason_code_when_deleting_order")
    screenshot(page, "a1-lab-settings")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    assert LabSettings.load().enter_reason_code_when_deleting_order

    # A delete reason.
    page.goto("/admin/orders/deletereason/add/")
    page.fill("#id_code", "CUS")
    page.fill("#id_description", "Customer request")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")

    # Cancel the order from its page; the reason is now required.
    page.goto(f"/admin/orders/order/{order.pk}/change/")
    assert page.get_attribute("#cancel-reason", "required") is not None
    page.select_option("#cancel-reason", "CUS")
    page.click("#cancel-button")
    page.wait_for_selector(".messagelist .success")
    assert "Order 30004 is marked for cancelation." in page.inner_text(".messagelist")

    cancel_row = page.locator("#order-timeline tr.event-cancel")
    assert cancel_row.count() == 1
    assert "CUS — Customer request" in cancel_row.locator("td.reason").inner_text()
    assert cancel_row.locator("td.who").inner_text() == "sally"
    assert page.inner_text("#order-status") == "Process"
    assert page.is_visible("#order-cancelled")
    screenshot(page, "a2-order-cancelled-with-reason")

    order.refresh_from_db()
    assert (order.cancel_reason.code, order.cancelled_by) == ("CUS", supervisor_login)

    # The API now answers for it as the contract documents.
    client = User.objects.create_user(username="rx-client")
    client.groups.add(Group.objects.get(name="Lab clients"))
    _, raw_key = ApiKey.issue(user=client, name="ui test")
    body = api_get(live_server, f"/api/v2/orders/{order.number}", raw_key)
    assert body == {"error": "Order marked for cancelation", "details": []}


def test_dashboard_station_chart_shows_the_database_and_its_bars_open_the_orders(
    page, screenshot, seeded_lab, supervisor_login
):
    log_in(page, supervisor_login)
    page.wait_for_selector("#chart-station svg")
    screenshot(page, "b1-dashboard")

    for station in Station.objects.all():
        in_progress = Order.objects.filter(ACTIVE_ORDER, current_station=station).count()
        assert in_progress == len(seeded_lab.get(station.code, []))
        bar = page.locator(f'#chart-station a.bar[data-key="{station.code}"]')
        assert bar.get_attribute("data-count") == str(in_progress)
        assert bar.locator("text.bar-count").text_content() == str(in_progress)
        assert bar.locator("title").text_content() == (
            f"{station.code} — {station.description}: {in_progress} "
            f"order{'s' if in_progress != 1 else ''}"
        )
    unchecked = page.locator('#chart-station a.bar[data-key="-"]')
    assert unchecked.get_attribute("data-count") == str(len(seeded_lab[""]))
    assert page.locator("#figure-wip").get_attribute("data-count") == "7"

    page.locator('#chart-station a.bar[data-key="SURF"]').click()
    page.wait_for_url("**/admin/orders/order/?*")
    shown = page.locator("#result_list tbody th.field-number, #result_list tbody td.field-number")
    assert sorted(int(n) for n in shown.all_inner_texts()) == seeded_lab["SURF"]
    assert "30008" not in page.inner_text("#result_list")  # completed at SURF: not in progress
    screenshot(page, "b2-orders-at-surfacing")


def test_printing_from_the_order_page_is_spooled_to_the_printers_folder(
    page, screenshot, seeded_lab, supervisor_login, tmp_path
):
    folder = tmp_path / "spool"
    printer = Printer.objects.create(name="Surfacing desk", driver=Driver.SPOOL, folder=str(folder))
    WorkstationPort.objects.filter(workstation__code="00", number=2).update(printer=printer)
    order = Order.objects.get(number=30001)
    log_in(page, supervisor_login)

    page.goto(f"/admin/orders/order/{order.pk}/change/")
    page.select_option("#print-port", "LPT2")
    page.click("#print-button")
    page.wait_for_selector(".messagelist .success")
    assert "Printing in process" in page.inner_text(".messagelist")

    job = PrintJob.objects.get(order=order)
    assert (job.port, job.printer, job.requested_by) == (2, printer, supervisor_login)
    assert job.status == PrintStatus.QUEUED

    assert process_jobs(worker="ui-test-spooler", batch_size=5) == 1

    job.refresh_from_db()
    assert job.status == PrintStatus.DONE, job.last_error
    [spooled] = folder.glob("*.pdf")
    assert spooled.name == f"order-{order.number}-job-{job.pk}.pdf"
    assert spooled.read_bytes().startswith(b"%PDF-")

    page.reload()
    timeline = page.inner_text("#order-timeline")
    assert "Work ticket print requested" in timeline
    assert "Work ticket printed" in timeline
    screenshot(page, "c1-ticket-printed")

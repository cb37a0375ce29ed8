"""The floor's pages driven as a keyboard-wedge scanner drives them: the code typed, then
Enter; never the mouse. Checks the result's text and colour, that the input has the focus
again for the next scan, and what a user without a page's *Use* right gets."""

from decimal import Decimal

import pytest

from orders.models import DeleteReason, LabSettings, Order, Station
from orders.rx import Eye, EyeValues
from orders.services import NewOrder, create_order
from workstations.models import DisplayLink

from .conftest import focused, log_in_by_keyboard, new_order, scan

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_job_scan_by_scanner(page, screenshot, live_server, floor_login):
    Station.objects.create(code="SURF", description="Surfacing")
    ready = new_order(40001)
    held = new_order(40002)
    Order.objects.filter(pk=held.pk).update(on_hold=True)
    log_in_by_keyboard(page, floor_login("use_job_scan"), "/ws/jobscan/")

    assert focused(page) == "station-code"
    scan(page, "*SURF*")
    assert "Station SURF" in page.inner_text("#station")
    assert focused(page) == "code"

    scan(page, "*40001*")  # wrapped, as Code 39 reads arrive
    assert page.inner_text("#result") == "Order 40001 checked in at SURF"
    assert "ok" in page.get_attribute("#result", "class")
    assert focused(page) == "code"

    scan(page, "40002")  # bare
    assert page.inner_text("#result") == "Checkin not performed — Order on hold"
    assert "refused" in page.get_attribute("#result", "class")
    assert focused(page) == "code"
    assert page.locator("#scans tbody tr").count() == 2
    screenshot(page, "ws-job-scan")

    ready.refresh_from_db()
    assert ready.current_station.code == "SURF"


def test_tray_assignment_by_scanner(page, screenshot, live_server, floor_login):
    order = new_order(40011, po="PO-40011")
    log_in_by_keyboard(page, floor_login("use_tray_assignment"), "/ws/tray/")

    assert focused(page) == "code"
    scan(page, "*PO-40011*")
    assert "Order 40011" in page.inner_text("#order")
    assert focused(page) == "code"
    scan(page, "*77*")
    assert page.inner_text("#result") == "Tray assigned: order 40011, tray 77"
    assert "ok" in page.get_attribute("#result", "class")
    assert focused(page) == "code"
    screenshot(page, "ws-tray-assignment")

    order.refresh_from_db()
    assert order.tray == "77"


def test_a_page_without_its_use_right_is_refused(page, screenshot, live_server, floor_login):
    log_in_by_keyboard(page, floor_login("use_job_scan"), "/ws/")

    assert page.locator("#pages a").all_inner_texts() == ["Job Scan"]
    response = page.goto("/ws/tray/")
    assert response.status == 403
    screenshot(page, "ws-forbidden")


def test_order_cancel_by_scanner(page, screenshot, live_server, floor_login):
    lab = LabSettings.load()
    lab.enter_reason_code_when_deleting_order = True
    lab.save()
    DeleteReason.objects.create(code="CUS", description="Customer request")
    order = new_order(40021, tray="21")
    log_in_by_keyboard(page, floor_login("use_order_cancel"), "/ws/cancel/")

    scan(page, "*21*")  # by its tray
    assert "Order 40021" in page.inner_text("#order")
    assert focused(page) == "reason"
    screenshot(page, "ws-order-cancel")
    scan(page, "*CUS*")
    assert page.inner_text("#result") == "Order 40021 is marked for cancelation."
    assert "ok" in page.get_attribute("#result", "class")
    assert focused(page) == "code"

    order.refresh_from_db()
    assert (order.is_cancelled, order.cancel_reason.code) == (True, "CUS")


def test_a_display_link_shows_the_board_on_a_screen_without_a_login(
    page, screenshot, live_server, seeded_lab
):
    _, token = DisplayLink.issue(name="Surfacing wall", created_by=None)

    page.goto(f"/ws/display/?token={token}")

    assert page.inner_text("#in-progress") == str(sum(len(n) for n in seeded_lab.values()))
    assert "SURF Surfacing" in page.inner_text("#stations")
    assert page.locator("a, form, input").count() == 0  # the board, and nothing else
    screenshot(page, "ws-dynamic-display")


def test_pick_verification_by_scanner(page, screenshot, live_server, floor_login):
    lens = {"lens_style": "SV", "lens_material": "CR39", "sphere": Decimal("0")}
    order = create_order(
        data=NewOrder(
            number="40031",
            tray="31",
            eyes={
                Eye.RIGHT: EyeValues(**lens, opc="OPC-R1"),
                Eye.LEFT: EyeValues(**lens, opc="OPC-L1"),
            },
            lens_and_frame={"frame_upc": "0887654"},
        ),
        actor=None,
    )
    log_in_by_keyboard(page, floor_login("use_pick_verification"), "/ws/pick/")

    scan(page, "*31*")
    assert page.locator("#to-pick tbody tr").count() == 3
    scan(page, "*OPC-R1*")
    assert "held until the rest is scanned" in page.inner_text("#result")
    scan(page, "*OPC-L1*")
    assert page.inner_text("#result") == "Left lens picked"
    scan(page, "*WRONG-1*")
    assert "refused" in page.get_attribute("#result", "class")
    assert focused(page) == "code"
    screenshot(page, "ws-pick-verification")
    scan(page, "*0887654*")
    assert page.inner_text("#result") == "Frame picked — order fully picked"
    assert focused(page) == "code"

    assert set(order.picks.values_list("item", flat=True)) == {"rt_lens", "lt_lens", "frame"}

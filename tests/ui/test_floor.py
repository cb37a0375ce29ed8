"""The floor's pages driven as a keyboard-wedge scanner drives them: the code typed, then
Enter; never the mouse. Checks the result's text and colour, that the input has the focus
again for the next scan, bare and Code 39 wrapped codes, Reassign from the keyboard, and what
a user without a page's *Use* right gets on every page."""

import pytest

from orders.models import DeleteReason, LabSettings, Order, Station
from workstations.models import DisplayLink

from .conftest import (
    FLOOR_RIGHTS,
    GREEN,
    RED,
    focused,
    log_in_by_keyboard,
    new_order,
    order_to_pick,
    scan,
    shown_result,
)

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


# Every floor page: its right, its address and its title on the index.
FLOOR_PAGES = [
    pytest.param("use_job_scan", "/ws/jobscan/", "Job Scan", id="jobscan"),
    pytest.param("use_tray_assignment", "/ws/tray/", "Tray Assignment", id="tray"),
    pytest.param("use_order_cancel", "/ws/cancel/", "Order Cancel", id="cancel"),
    pytest.param("use_pick_verification", "/ws/pick/", "Pick Verification", id="pick"),
    pytest.param("view_dynamic_display", "/ws/display/", "Dynamic Display", id="display"),
]


@pytest.mark.parametrize(("right", "url", "title"), FLOOR_PAGES)
def test_a_page_without_its_use_right_is_refused(
    page, screenshot, request, live_server, floor_login, right, url, title
):
    # Every other floor right: the page asks for its own, not for any.
    others = [other for other in FLOOR_RIGHTS if other != right]
    log_in_by_keyboard(page, floor_login(*others), "/ws/")

    listed = page.locator("#pages a").all_inner_texts()
    assert title not in listed
    assert len(listed) == len(others)
    response = page.goto(url)
    assert response.status == 403
    assert page.locator("form, #in-progress").count() == 0  # neither a scan nor the board
    screenshot(page, f"ws-forbidden-{request.node.callspec.id}")


def test_the_login_page_and_the_index_by_keyboard(page, screenshot, live_server, floor_login):
    user = floor_login(*FLOOR_RIGHTS)

    page.goto("/ws/")
    assert "/ws/login/" in page.url
    assert focused(page) == "id_username"
    screenshot(page, "ws-login")
    log_in_by_keyboard(page, user, "/ws/")

    assert page.locator("#pages a").all_inner_texts() == [
        "Job Scan",
        "Tray Assignment",
        "Order Cancel",
        "Pick Verification",
        "Dynamic Display",
    ]
    screenshot(page, "ws-index")


# Bare scans (no Code 39 *…*) on each page, as a scanner without start and stop characters or
# a person at the keyboard sends them: the right, the page, the scans, the last one's result
# and what it stored.
BARE_SCANS = [
    pytest.param(
        "use_tray_assignment",
        "/ws/tray/",
        ["PO-40051", "51"],
        "Tray assigned: order 40051, tray 51",
        lambda order: order.tray,
        "51",
        id="tray",
    ),
    pytest.param(
        "use_order_cancel",
        "/ws/cancel/",
        ["40051", "CUS"],
        "Order 40051 is marked for cancelation.",
        lambda order: (order.is_cancelled, order.cancel_reason.code),
        (True, "CUS"),
        id="cancel",
    ),
    pytest.param(
        "use_pick_verification",
        "/ws/pick/",
        ["40051", "OPC-R1", "OPC-L1"],
        "Left lens picked — order fully picked",
        lambda order: sorted(order.picks.values_list("item", flat=True)),
        ["lt_lens", "rt_lens"],
        id="pick",
    ),
]


@pytest.mark.parametrize(("right", "url", "codes", "text", "stored", "expected"), BARE_SCANS)
def test_a_bare_scan_succeeds(
    page, live_server, floor_login, order_to_scan, right, url, codes, text, stored, expected
):
    log_in_by_keyboard(page, floor_login(right), url)

    for code in codes:
        scan(page, code)

    assert shown_result(page) == (text, "ok", GREEN)
    assert page.locator("#scans tbody tr.refused").count() == 0
    assert focused(page) == "code"
    order_to_scan.refresh_from_db()
    assert stored(order_to_scan) == expected


# Refused scans on each page: the right, the page, the scans, the last one's result and the
# input that has the focus for the next scan.
REFUSED_SCANS = [
    pytest.param(
        "use_tray_assignment",
        "/ws/tray/",
        ["99999"],
        "Order not found — Provided: 99999",
        "code",
        id="tray-no-such-order",
    ),
    pytest.param(
        "use_tray_assignment",
        "/ws/tray/",
        ["*40051*", "*123456*"],
        "trayNumber supports up to 5 digits — Provided: 123456",
        "code",
        id="tray-six-digits",
    ),
    pytest.param(
        "use_order_cancel",
        "/ws/cancel/",
        ["*99999*"],
        "No record found — Provided: 99999",
        "code",
        id="cancel-no-such-order",
    ),
    pytest.param(
        "use_order_cancel",
        "/ws/cancel/",
        ["*40051*", "*XYZ*"],
        "Delete reason code does not exist — Provided: XYZ",
        "reason",
        id="cancel-unknown-reason",
    ),
    pytest.param(
        "use_pick_verification",
        "/ws/pick/",
        ["*99999*"],
        "No record found — Provided: 99999",
        "code",
        id="pick-no-such-order",
    ),
    pytest.param(
        "use_pick_verification",
        "/ws/pick/",
        ["*40051*", "*WRONG-1*"],
        "Pick verification failed — WRONG-1 is not picked for this order",
        "code",
        id="pick-wrong-code",
    ),
]


@pytest.mark.parametrize(("right", "url", "codes", "text", "focus"), REFUSED_SCANS)
def test_a_refused_scan_is_red_and_the_input_ready_again(
    page,
    screenshot,
    request,
    live_server,
    floor_login,
    order_to_scan,
    right,
    url,
    codes,
    text,
    focus,
):
    log_in_by_keyboard(page, floor_login(right), url)

    for code in codes:
        scan(page, code)

    assert shown_result(page) == (text, "refused", RED)
    assert page.locator("#scans tbody tr").first.get_attribute("class") == "refused"
    assert focused(page) == focus
    screenshot(page, f"ws-refused-{request.node.callspec.id}")
    order_to_scan.refresh_from_db()
    assert order_to_scan.version == 1  # nothing changed


def test_reassign_by_keyboard(page, screenshot, live_server, floor_login):
    order = new_order(40061, tray="61")
    log_in_by_keyboard(page, floor_login("use_tray_assignment"), "/ws/tray/")

    scan(page, "40061")
    assert "(now in tray 61)" in page.inner_text("#order")
    scan(page, "62")
    assert shown_result(page) == ("Order already has a tray — Tray: 61", "refused", RED)
    assert focused(page) == "code"
    screenshot(page, "ws-tray-reassign")

    page.keyboard.press("Tab")  # from the scan input to the Reassign button
    assert focused(page) == "reassign-button"
    assert page.inner_text("#reassign-button") == "Reassign to tray 62"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert shown_result(page) == ("Tray reassigned: order 40061, tray 62", "ok", GREEN)
    assert focused(page) == "code"
    assert page.locator("#order").count() == 0  # ready for the next order
    order.refresh_from_db()
    assert order.tray == "62"


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
    order = order_to_pick(number="40031", tray="31", lens_and_frame={"frame_upc": "0887654"})
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

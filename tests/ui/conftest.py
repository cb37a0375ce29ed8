"""Browser tests: Playwright drives Debian's Chromium against a live labsite server.

Neither is a Python dependency of labsite: ``playwright`` is in the ``dev`` extras, and the
browser is the system's (``apt-get install chromium``; ``playwright install`` is not used).
Where one is missing the tests are skipped with a message saying how to install it, unless
``LABSITE_REQUIRE_SYSTEM_TOOLS=1`` is set (CI sets it): then they fail, so CI cannot pass by
skipping what it was meant to prove.
"""

import contextlib
import os
import re
import shutil
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group, Permission, User
from django.db import connections

import pytest

from orders.models import DeleteReason, LabSettings, Order, Station
from orders.rx import Eye, EyeValues
from orders.services import NewItem, NewOrder, cancel_order, create_order
from tests.jobs import A_LENS
from tracker.services import check_in
from workstations.models import FloorPage

REQUIRE_SYSTEM_TOOLS = "LABSITE_REQUIRE_SYSTEM_TOOLS"
CHROMIUM = os.environ.get("LABSITE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PASSWORD = "lens-lab-supervisor-9"


def unavailable(reason: str, *, install: str) -> None:
    """Skip, saying how to enable the test; fail instead where tools are required (CI)."""
    message = f"{reason}; enable with: {install}"
    if os.environ.get(REQUIRE_SYSTEM_TOOLS, "") == "1":
        pytest.fail(f"{message} ({REQUIRE_SYSTEM_TOOLS}=1: missing tools fail)", pytrace=False)
    pytest.skip(f"{message} (set {REQUIRE_SYSTEM_TOOLS}=1 to fail instead of skipping)")


@pytest.fixture
def chromium(transactional_db):
    """A headless Chromium (the system's), driven by Playwright, for one test.

    Not shared between tests: while Playwright's synchronous API runs, it keeps an event loop
    on this thread, and Django then keys its database connections to that loop's context
    instead of the thread. The test's database set-up and its final flush must use the
    thread's own connection (the one that holds the migrations' data for the restore), so the
    browser starts after the set-up and is gone before the flush.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable(
            "needs the Python package playwright (not installed)",
            install=".venv/bin/pip install -e '.[dev]' (or pip install playwright)",
        )
    executable = shutil.which(CHROMIUM) or (CHROMIUM if os.access(CHROMIUM, os.X_OK) else None)
    if executable is None:
        unavailable(
            f"needs Chromium at {CHROMIUM} (not installed)", install="apt-get install chromium"
        )
    # The same loop makes Django refuse database access from this thread; the tests use the
    # database only between browser steps, never concurrently with them.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            try:
                yield browser
            finally:
                browser.close()
                connections.close_all()  # the connections opened in the loop's context
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(
        base_url=live_server.url, viewport={"width": 1366, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot():
    """``screenshot(page, "name")`` saves test-output/screenshots/<name>.png (whole page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def supervisor_login(db):
    """A staff supervisor with a password, for the login form."""
    user = User.objects.create_user(
        username="sally", password=PASSWORD, is_staff=True, first_name="Sally"
    )
    user.groups.add(Group.objects.get(name="Supervisors"))
    return user


def log_in(page, user: User) -> None:
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


# The floor's rights, one per page, as workstations.FloorPage declares them.
FLOOR_RIGHTS = tuple(codename for codename, _ in FloorPage._meta.permissions)


@pytest.fixture
def floor_login(db):
    """``floor_login(*rights)``: a floor user (not staff) holding those of FLOOR_RIGHTS."""

    def make(*rights: str) -> User:
        user = User.objects.create_user(username="flo", password=PASSWORD)
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="workstations", codename__in=rights)
        )
        return user

    return make


def log_in_by_keyboard(page, user: User, then: str) -> None:
    page.goto(f"/ws/login/?next={then}")
    assert focused(page) == "id_username"
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: url.endswith(then) and "/login/" not in url)


def scan(page, code: str) -> None:
    """What a scanner does: types into the focused input, then Enter.

    Like the person holding it, it waits until the page has put the cursor in a field."""
    focused(page)
    with page.expect_navigation():
        page.keyboard.type(code)
        page.keyboard.press("Enter")


def focused(page) -> str:
    """The id of the element holding the focus.

    Chromium applies ``autofocus`` at its next rendering step, which may come after the load
    event a navigation waits for, so the focus is read once it has left the page's body (or
    after five seconds, when the body's empty id fails the caller's comparison)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "document.activeElement && document.activeElement !== document.body", timeout=5000
        )
    return page.evaluate("document.activeElement.id")


# The result line's background (templates/workstations/base.html): what is seen from a metre
# away, beside the class that sets it.
GREEN = "rgb(46, 125, 50)"
RED = "rgb(198, 40, 40)"


def shown_result(page) -> tuple[str, str, str]:
    """The result line of the last scan: its text, its outcome class (``ok`` or ``refused``)
    and its background colour."""
    result = page.locator("#result")
    outcomes = [name for name in result.get_attribute("class").split() if name != "result"]
    colour = result.evaluate("element => getComputedStyle(element).backgroundColor")
    return result.inner_text(), " ".join(outcomes), colour


def new_order(number: int, *, tray: str = "", po: str = "", **fields):
    return create_order(
        data=NewOrder(
            number=str(number),
            tray=tray,
            po_number=po,
            patient=f"Patient {number}",
            items=[NewItem(sku="SV-1.6", name="Single vision 1.6", quantity=2, endpoints=["SURF"])],
            eyes=A_LENS,
            **fields,
        ),
        actor=None,
    )


@pytest.fixture
def order_to_scan(db):
    """An order every scanning page can work on: number 40051, PO PO-40051, no tray, a lens
    for each eye to pick (OPC-R1, OPC-L1); the lab asks for a reason code (CUS) to cancel."""
    lab = LabSettings.load()
    lab.enter_reason_code_when_deleting_order = True
    lab.save()
    DeleteReason.objects.create(code="CUS", description="Customer request")
    return order_to_pick(number="40051", po_number="PO-40051")


def order_to_pick(**fields) -> Order:
    """A new job with a lens for each eye to pick, OPC-R1 and OPC-L1, and ``fields``."""
    lens = {"lens_style": "SV", "lens_material": "CR39", "sphere": Decimal("0")}
    eyes = {Eye.RIGHT: EyeValues(**lens, opc="OPC-R1"), Eye.LEFT: EyeValues(**lens, opc="OPC-L1")}
    return create_order(data=NewOrder(eyes=eyes, **fields), actor=None)


@pytest.fixture
def seeded_lab(supervisor_login):
    """Stations and orders spread over them, as the live server will show them.

    Returns {station code: [order numbers in progress there]}, "" for not checked in yet.
    """
    stations = {
        code: Station.objects.create(code=code, description=description)
        for code, description in [
            ("SURF", "Surfacing"),
            ("AR", "AR coating"),
            ("EDGE", "Edging"),
            ("QA", "Final inspection"),
        ]
    }
    layout = {"SURF": [30001, 30002, 30003], "AR": [30004, 30005], "EDGE": [30006], "": [30007]}
    for code, numbers in layout.items():
        for number in numbers:
            order = new_order(number, tray=str(number)[-3:], po=f"PO-{number}")
            if code:
                check_in(order=order, station=stations[code], operator=None, actor=None)
    # Neither counts as work in progress: one completed at SURF, one cancelled at AR.
    done = new_order(30008)
    check_in(order=done, station=stations["SURF"], operator=None, actor=None)
    Order.objects.filter(pk=done.pk).update(state="C")
    gone = new_order(30009)
    check_in(order=gone, station=stations["AR"], operator=None, actor=None)
    cancel_order(order=gone, actor=None, reason_code=None)
    return layout

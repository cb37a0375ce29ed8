"""The floor's pages under /ws/ (contracts/workstations.md): session login, a *Use* right per
page, the index of the pages a user may use, and Job Scan and Tray Assignment through the
services the API calls, reported in the API's words."""

from decimal import Decimal

from django.contrib.auth.models import Permission
from django.test import Client

import pytest

from orders.models import Order, OrderEvent, OrderPick
from orders.rx import Eye, EyeValues
from orders.status import EventKind, OrderState
from workstations.views import KEPT_SCANS, scanned

pytestmark = pytest.mark.django_db

PASSWORD = "floor-pass-4821"


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    # The production hasher is slow on purpose; these tests log in often.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def floor_user(make_user):
    def make(*rights: str, username: str = "flo"):
        user = make_user(username=username, password=PASSWORD)
        user.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="workstations", codename__in=rights)
        )
        return user

    return make


@pytest.fixture
def floor(floor_user):
    client = Client()
    client.force_login(
        floor_user(
            "use_job_scan", "use_tray_assignment", "use_order_cancel", "use_pick_verification"
        )
    )
    return client


def last_result(response) -> tuple[bool, str]:
    scan = response.context["scans"][0]
    return scan["ok"], scan["text"]


# --- login, rights, index ------------------------------------------------------------------


def test_the_pages_need_a_login():
    for url in ("/ws/", "/ws/jobscan/", "/ws/tray/", "/ws/cancel/", "/ws/pick/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/ws/login/?next=")


def test_a_floor_user_logs_in_with_a_password_and_lands_on_the_index(floor_user):
    floor_user("use_job_scan")
    client = Client()

    response = client.post("/ws/login/", {"username": "flo", "password": PASSWORD})

    assert (response.status_code, response["Location"]) == (302, "/ws/")
    page = client.get("/ws/").content.decode()
    assert 'href="/ws/jobscan/"' in page
    assert 'href="/ws/tray/"' not in page  # no right to it


def test_a_wrong_password_is_refused(floor_user):
    floor_user("use_job_scan")

    response = Client().post("/ws/login/", {"username": "flo", "password": "nope"})

    assert response.status_code == 200
    assert "Wrong user name or password." in response.content.decode()


def test_the_login_is_locked_after_repeated_failures(floor_user, settings):
    floor_user("use_job_scan")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/ws/login/", {"username": "flo", "password": "nope"})

    response = client.post("/ws/login/", {"username": "flo", "password": PASSWORD})

    assert response.status_code == 429  # the lockout every login shares


def test_an_index_without_rights_says_so(floor_user):
    client = Client()
    client.force_login(floor_user())

    page = client.get("/ws/").content.decode()

    assert 'id="no-pages"' in page


@pytest.mark.parametrize("url", ["/ws/jobscan/", "/ws/tray/", "/ws/cancel/", "/ws/pick/"])
def test_a_page_without_its_use_right_is_403(floor_user, url):
    client = Client()
    client.force_login(floor_user())

    assert client.get(url).status_code == 403
    assert client.post(url, {"code": "1"}).status_code == 403


def test_pages_need_a_csrf_token(floor_user, make_order):
    order = make_order()
    client = Client(enforce_csrf_checks=True)
    client.force_login(floor_user("use_tray_assignment"))

    assert client.post("/ws/tray/", {"code": str(order.number)}).status_code == 403


@pytest.mark.parametrize(
    ("read", "code"),
    [("*20001*", "20001"), ("20001", "20001"), (" *po-7* ", "PO-7"), ("**", "")],
)
def test_a_scan_is_unwrapped_and_upper_cased(read, code):
    assert scanned(read) == code


# --- Job Scan -------------------------------------------------------------------------------


def choose_station(client, station: str, operator: str = ""):
    return client.post("/ws/jobscan/", {"station": station, "operator": operator})


def test_job_scan_checks_orders_in_at_the_chosen_station(floor, make_order, make_station):
    make_station("SURF", description="Surfacing")
    order = make_order()
    choose_station(floor, "*surf*")

    response = floor.post("/ws/jobscan/", {"code": f"*{order.number}*"}, follow=True)

    assert last_result(response) == (True, f"Order {order.number} checked in at SURF")
    order.refresh_from_db()
    assert (order.state, order.current_station.code) == (OrderState.PROCESS, "SURF")
    event = OrderEvent.objects.get(order=order, kind=EventKind.CHECKIN)
    assert event.actor_name == "flo"
    assert 'id="code"' in response.content.decode()  # the next scan's input


def test_job_scan_reports_a_refusal_in_the_apis_words(floor, make_order, make_station):
    make_station("SURF")
    order = make_order(on_hold=True)
    choose_station(floor, "SURF")

    response = floor.post("/ws/jobscan/", {"code": str(order.number)}, follow=True)

    assert last_result(response) == (False, "Checkin not performed — Order on hold")
    assert 'class="result refused"' in response.content.decode()


def test_job_scan_of_an_unknown_order(floor, make_station):
    make_station("SURF")
    choose_station(floor, "SURF")

    response = floor.post("/ws/jobscan/", {"code": "99999"}, follow=True)

    assert last_result(response) == (False, "Checkin not performed — Order not found")


def test_an_unknown_station_is_refused(floor):
    response = choose_station(floor, "NOPE")

    assert "Checkin not performed — Station not found" in response.content.decode()
    assert 'id="station-code"' in response.content.decode()


def test_a_station_that_needs_an_operator_asks_for_one(floor, make_station):
    make_station("AR", requires_operator=True)
    make_station("OP1", is_operator=True)

    refused = choose_station(floor, "AR")
    chosen = choose_station(floor, "AR", "op1")

    assert "needs an operator" in refused.content.decode()
    assert chosen.status_code == 302
    assert "operator <strong>OP1</strong>" in floor.get("/ws/jobscan/").content.decode()


def test_the_last_ten_scans_are_listed_newest_first(floor, make_station):
    make_station("SURF")
    choose_station(floor, "SURF")
    for n in range(KEPT_SCANS + 2):
        floor.post("/ws/jobscan/", {"code": str(90000 + n)})

    scans = floor.get("/ws/jobscan/").context["scans"]

    assert [scan["code"] for scan in scans] == [str(90000 + n) for n in range(11, 1, -1)]


def test_change_station_starts_over(floor, make_station):
    make_station("SURF")
    choose_station(floor, "SURF")

    floor.post("/ws/jobscan/", {"change": "1"})

    assert 'id="station-code"' in floor.get("/ws/jobscan/").content.decode()


# --- Tray Assignment ------------------------------------------------------------------------


def test_tray_assignment_scans_an_order_then_its_tray(floor, make_order):
    order = make_order(po_number="PO-9")

    floor.post("/ws/tray/", {"code": "*po-9*"})
    response = floor.post("/ws/tray/", {"code": "*55*"}, follow=True)

    assert last_result(response) == (True, f"Tray assigned: order {order.number}, tray 55")
    order.refresh_from_db()
    assert order.tray == "55"
    assert OrderEvent.objects.get(order=order, kind=EventKind.TRAY).actor_name == "flo"


def test_a_tray_in_use_is_refused_in_the_apis_words(floor, make_order):
    holder = make_order(tray="55")
    order = make_order()

    floor.post("/ws/tray/", {"code": str(order.number)})
    response = floor.post("/ws/tray/", {"code": "55"}, follow=True)

    assert last_result(response) == (
        False,
        f"Tray is already assigned to another order — Order: {holder.number}",
    )
    assert 'id="reassign-button"' not in response.content.decode()


def test_an_order_with_a_tray_is_offered_a_reassign(floor, make_order):
    order = make_order(tray="3")

    floor.post("/ws/tray/", {"code": str(order.number)})
    refused = floor.post("/ws/tray/", {"code": "4"}, follow=True)
    moved = floor.post("/ws/tray/", {"code": "4", "reassign": "1"}, follow=True)

    assert last_result(refused) == (False, "Order already has a tray — Tray: 3")
    assert "Reassign to tray 4" in refused.content.decode()
    assert last_result(moved) == (True, f"Tray reassigned: order {order.number}, tray 4")
    order.refresh_from_db()
    assert order.tray == "4"


def test_an_order_named_by_its_tray_is_refused(floor, make_order):
    make_order(tray="555")

    response = floor.post("/ws/tray/", {"code": "555"}, follow=True)

    assert last_result(response) == (
        False,
        "You must use an order number or PO Number for orderIdentifier — Provided: 555",
    )
    assert response.context["order"] is None


def test_another_order_drops_the_one_scanned(floor, make_order):
    order = make_order()
    floor.post("/ws/tray/", {"code": str(order.number)})

    floor.post("/ws/tray/", {"cancel": "1"})

    assert floor.get("/ws/tray/").context["order"] is None
    assert not Order.objects.exclude(tray="").exists()


# --- Order Cancel ---------------------------------------------------------------------------


def test_order_cancel_looks_up_shows_and_cancels(floor, make_order):
    order = make_order(tray="12", po_number="PO-12")

    shown = floor.post("/ws/cancel/", {"code": "*12*"}, follow=True)
    done = floor.post("/ws/cancel/", {"confirm": "1"}, follow=True)

    assert f"Order <strong>{order.number}</strong>, tray 12, PO PO-12" in shown.content.decode()
    assert 'id="confirm-button" autofocus' in shown.content.decode()
    assert last_result(done) == (True, f"Order {order.number} is marked for cancelation.")
    order.refresh_from_db()
    assert order.is_cancelled
    assert order.cancelled_by.username == "flo"
    assert done.context["order"] is None


def test_order_cancel_asks_for_the_reason_when_the_lab_does(
    floor, make_order, lab_settings, make_reason
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS", "Customer request")
    order = make_order()
    shown = floor.post("/ws/cancel/", {"code": str(order.number)}, follow=True)

    without = floor.post("/ws/cancel/", {"confirm": "1", "reason": ""}, follow=True)
    with_reason = floor.post("/ws/cancel/", {"confirm": "1", "reason": "*cus*"}, follow=True)

    assert 'id="reason"' in shown.content.decode()
    assert "CUS Customer request" in shown.content.decode()
    assert last_result(without) == (False, "Delete reason code does not exist — Provided:")
    assert last_result(with_reason) == (True, f"Order {order.number} is marked for cancelation.")
    order.refresh_from_db()
    assert order.cancel_reason.code == "CUS"


def test_order_cancel_of_an_order_that_cannot_be_cancelled(floor, make_order):
    order = make_order(state="C")

    shown = floor.post("/ws/cancel/", {"code": str(order.number)}, follow=True)
    refused = floor.post("/ws/cancel/", {"confirm": "1"}, follow=True)

    assert 'id="refusal"' in shown.content.decode()
    assert "Order already completed" in shown.content.decode()
    assert 'id="confirm-button"' not in shown.content.decode()
    assert last_result(refused) == (False, "Order already completed")
    order.refresh_from_db()
    assert not order.is_cancelled


def test_order_cancel_of_an_unknown_order(floor):
    response = floor.post("/ws/cancel/", {"code": "99999"}, follow=True)

    assert last_result(response) == (False, "No record found — Provided: 99999")
    assert response.context["order"] is None


# --- Pick Verification ----------------------------------------------------------------------


@pytest.fixture
def job_to_pick(make_order):
    lens = {"lens_style": "SV", "lens_material": "CR39", "sphere": Decimal("0")}
    return make_order(
        tray="31",
        frame_upc="0887654",
        eyes={
            Eye.RIGHT: EyeValues(**lens, opc="OPC-R1"),
            Eye.LEFT: EyeValues(**lens, opc="OPC-L1"),
        },
    )


def picks_of(order: Order) -> dict[str, str]:
    return dict(OrderPick.objects.filter(order=order).values_list("item", "code"))


def test_pick_verification_holds_a_lens_until_its_pair_then_records_both(floor, job_to_pick):
    shown = floor.post("/ws/pick/", {"code": "*31*"}, follow=True)
    held = floor.post("/ws/pick/", {"code": "*opc-r1*"}, follow=True)

    assert [item["code"] for item in shown.context["items"]] == ["OPC-R1", "OPC-L1", "0887654"]
    assert last_result(held) == (
        True,
        "Right lens: held until the rest is scanned (lenses must be picked together: ltOPC)",
    )
    assert picks_of(job_to_pick) == {}

    both = floor.post("/ws/pick/", {"code": "OPC-L1"}, follow=True)
    assert last_result(both) == (True, "Left lens picked")
    assert picks_of(job_to_pick) == {"rt_lens": "OPC-R1", "lt_lens": "OPC-L1"}

    done = floor.post("/ws/pick/", {"code": "0887654"}, follow=True)
    assert last_result(done) == (True, "Frame picked — order fully picked")
    assert done.context["refusal"] == "Order already picked"
    events = OrderEvent.objects.filter(order=job_to_pick, kind=EventKind.PICKED)
    assert events.count() == 3
    assert set(events.values_list("actor_name", flat=True)) == {"flo"}


def test_with_partial_picking_on_one_lens_is_recorded_alone(floor, job_to_pick, lab_settings):
    lab_settings(partial_picking=True)
    floor.post("/ws/pick/", {"code": "31"})

    response = floor.post("/ws/pick/", {"code": "OPC-R1"}, follow=True)

    assert last_result(response) == (True, "Right lens picked")
    assert picks_of(job_to_pick) == {"rt_lens": "OPC-R1"}


def test_a_code_not_on_the_order_is_refused_loudly(floor, job_to_pick):
    floor.post("/ws/pick/", {"code": "31"})

    response = floor.post("/ws/pick/", {"code": "OPC-X9"}, follow=True)

    assert last_result(response) == (
        False,
        "Pick verification failed — OPC-X9 is not picked for this order",
    )
    assert 'class="result refused"' in response.content.decode()
    assert picks_of(job_to_pick) == {}


def test_an_order_on_hold_is_not_picked_and_the_next_scan_is_the_next_order(
    floor, job_to_pick, make_order
):
    Order.objects.filter(pk=job_to_pick.pk).update(on_hold=True)
    other = make_order(frame_upc="111")

    shown = floor.post("/ws/pick/", {"code": "31"}, follow=True)
    next_order = floor.post("/ws/pick/", {"code": str(other.number)}, follow=True)

    assert shown.context["refusal"] == "Order on hold"
    assert next_order.context["order"] == other
    assert picks_of(job_to_pick) == {}


def test_an_unknown_order_to_pick(floor):
    response = floor.post("/ws/pick/", {"code": "99999"}, follow=True)

    assert last_result(response) == (False, "No record found — Provided: 99999")

"""`manage.py seed_demo`: demo data for a first look (README) — reason codes, stations, orders
in every state, a supervisor login and a client API key — and nothing twice when run again."""

import io
import re
import stat
from pathlib import Path

from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

import pytest

from accounts.models import ApiKey
from orders.models import Customer, DeleteReason, Order, OrderEvent, Product, Station
from orders.status import OrderState
from printing.models import Printer
from tracker.models import CheckIn

LOGIN_LINE = re.compile(r"^  Admin login : supervisor / (\S+)$", re.MULTILINE)
KEY_LINE = re.compile(r"^  API key     : (lab_\S+) \(user rx-client", re.MULTILINE)


@pytest.fixture
def data_dir(db, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    # The demo sets and checks two passwords per run; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return tmp_path


def seed_demo() -> dict:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    output = out.getvalue()
    return {
        "output": output,
        "password": LOGIN_LINE.search(output).group(1),
        "api_key": KEY_LINE.search(output).group(1),
    }


def row_counts() -> dict[str, int]:
    models = [User, ApiKey, DeleteReason, Station, Order, OrderEvent, CheckIn]
    return {model.__name__: model.objects.count() for model in models}


def test_seed_demo_creates_reason_codes_and_stations(data_dir):
    seed_demo()

    assert set(DeleteReason.objects.values_list("code", flat=True)) == {"CUS", "DUP", "ERR", "RX"}
    assert DeleteReason.objects.filter(active=True).count() == 4
    stations = {s.code: s for s in Station.objects.all()}
    assert {"SURF", "AR", "EDGE", "QA", "OP1"} <= set(stations)
    assert stations["EDGE"].non_cancel
    assert stations["OP1"].is_operator


def test_seed_demo_creates_customers_and_its_orders_name_one(data_dir):
    seed_demo()

    assert Customer.objects.filter(active=True).count() == 3
    assert all(customer.ship_to_address1 for customer in Customer.objects.all())
    assert set(Order.objects.values_list("customer__number", flat=True)) == {"C1001"}


def test_seed_demo_creates_orders_in_every_state(data_dir):
    result = seed_demo()

    assert "Demo data ready (6 new orders)." in result["output"]
    orders = Order.objects.all()
    assert {o.state for o in orders} == {
        OrderState.UNVALID,
        OrderState.VALID,
        OrderState.PROCESS,
        OrderState.COMPLETED,
    }
    assert Order.objects.get(state=OrderState.UNVALID).unvalid_message == (
        "Duplicate customer job id DEMO-DONE for customer C1001: order 20005"
    )
    assert orders.filter(on_hold=True).count() == 1
    assert orders.filter(cancelled_at__isnull=False).count() == 1
    in_process = orders.get(state=OrderState.PROCESS)
    assert in_process.current_station.code == "SURF"
    assert CheckIn.objects.filter(order=in_process).exists()
    assert all(OrderEvent.objects.filter(order=o, kind="created").exists() for o in orders)


def test_seed_demo_supervisor_can_log_in_to_the_admin(data_dir):
    result = seed_demo()

    supervisor = User.objects.get(username="supervisor")
    assert supervisor.is_staff
    assert supervisor.is_active
    assert list(supervisor.groups.values_list("name", flat=True)) == ["Supervisors"]
    client = Client()
    # Through the login form: the lockout's backend needs the request, which Client.login
    # does not pass to authenticate().
    response = client.post(
        "/admin/login/",
        {"username": "supervisor", "password": result["password"], "next": "/admin/"},
    )
    assert response.status_code == 302
    assert client.get("/admin/orders/order/").status_code == 200


def test_seed_demo_api_key_belongs_to_rx_client_and_works_on_the_v2_api(data_dir):
    result = seed_demo()

    api_key = ApiKey.objects.get()
    assert api_key.user.username == "rx-client"
    assert not api_key.user.is_staff
    assert list(api_key.user.groups.values_list("name", flat=True)) == ["Lab clients"]
    response = Client().get("/api/v2/orders/20001", HTTP_AUTHORIZATION=f"Token {result['api_key']}")
    assert response.status_code == 200
    assert response.json()["orderNumber"] == "20001"


def test_seed_demo_run_twice_creates_nothing_new_and_prints_the_same_credentials(data_dir):
    first = seed_demo()
    counts = row_counts()

    second = seed_demo()

    assert row_counts() == counts
    assert "Demo data ready (0 new orders)." in second["output"]
    assert second["password"] == first["password"]
    assert second["api_key"] == first["api_key"]


def test_seed_demo_replaces_a_demo_key_that_was_revoked(data_dir):
    first = seed_demo()
    ApiKey.objects.get().revoke()

    second = seed_demo()

    assert second["api_key"] != first["api_key"]
    response = Client().get("/api/v2/orders/20001", HTTP_AUTHORIZATION=f"Token {second['api_key']}")
    assert response.status_code == 200


def test_seed_demo_keeps_the_credentials_in_a_file_only_its_owner_can_read(data_dir):
    result = seed_demo()

    credentials = data_dir / "demo-login.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert result["password"] in credentials.read_text()


def test_seed_demo_spool_printer_writes_into_the_spool_root(data_dir, monkeypatch, settings):
    monkeypatch.delenv("PRINT_SPOOL_ROOT", raising=False)

    seed_demo()

    printer = Printer.objects.get(name="Spool folder")
    assert Path(printer.folder) == (Path(settings.BASE_DIR) / "data" / "spool").resolve()
    printer.full_clean()  # the admin and the API would take it as it is


def test_seed_demo_jobs_carry_real_looking_prescriptions_and_addons(data_dir):
    seed_demo()

    jobs = Order.objects.exclude(job_type="A")
    assert all(order.eyes.count() == 2 for order in jobs)
    right = Order.objects.get(number=20001).eyes.get(eye="R")
    assert (str(right.sphere), str(right.add), right.lens_style) == ("1.25", "2.00", "PROG-HD")
    assert Order.objects.get(number=20001).requires_ar_coat  # its AR addon's flow step
    assert list(Order.objects.get(number=20006).addons.values_list("code", flat=True)) == ["TINT-G"]


def test_seed_demo_stocks_the_catalogue_the_readme_orders_from(data_dir):
    seed_demo()

    assert set(Product.objects.filter(price__isnull=False).values_list("code", flat=True)) >= {
        "4011-67-R",
        "0887654",
    }


FLOOR_LINE = re.compile(r"^  Floor login : floor / (\S+) \(the pages at /ws/\)$", re.MULTILINE)


def test_seed_demo_makes_a_floor_user_who_may_use_every_floor_page(data_dir):
    output = seed_demo()["output"]
    password = FLOOR_LINE.search(output).group(1)
    client = Client()

    response = client.post("/ws/login/", {"username": "floor", "password": password})

    assert (response.status_code, response["Location"]) == (302, "/ws/")
    index = client.get("/ws/").content.decode()
    for page in ("/ws/jobscan/", "/ws/tray/", "/ws/cancel/", "/ws/pick/", "/ws/display/"):
        assert f'href="{page}"' in index
    floor = User.objects.get(username="floor")
    assert not floor.is_staff  # the admin is not theirs
    seed_demo()
    assert User.objects.filter(username="floor").count() == 1

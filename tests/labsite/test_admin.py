"""The supervisor admin: staff only; orders are read-only and change only through the
services (hold, release, cancel actions), with refusals shown in the API's wording; lab
settings are one page with history; API keys are shown once and revoked, never deleted."""

import hashlib
import re

from django.contrib.admin.models import LogEntry
from django.contrib.messages import ERROR, SUCCESS, get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import pytest

from accounts.models import ApiKey
from orders.models import LabSettings, LabSettingsChange, Order, OrderEvent
from orders.services import hold_order
from orders.status import EventKind

ORDERS = "/admin/orders/order/"
ACTION_CHECKBOX = "_selected_action"


@pytest.fixture
def staff_supervisor(make_user):
    return make_user("Supervisors", username="sue", is_staff=True)


@pytest.fixture
def admin_client(staff_supervisor):
    client = Client()
    client.force_login(staff_supervisor)
    return client


@pytest.fixture
def superuser_client(make_user):
    client = Client()
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))
    return client


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


def run_action(client, action: str, *orders: Order, **extra):
    return client.post(
        ORDERS,
        {"action": action, ACTION_CHECKBOX: [str(o.pk) for o in orders], "index": 0, **extra},
    )


def events(order: Order, kind: str) -> list[OrderEvent]:
    return list(OrderEvent.objects.filter(order=order, kind=kind))


# --- who may enter ----------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(db):
    response = Client().get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_a_user_who_is_not_staff_is_refused_even_with_rights(make_user):
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=False))

    for path in ("/admin/", ORDERS):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/login/"), path


def test_staff_supervisors_see_the_back_office(admin_client):
    response = admin_client.get("/admin/")

    assert response.status_code == 200
    assert b"Lab back office" in response.content


def test_admin_posts_need_a_csrf_token(staff_supervisor, make_order):
    order = make_order()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_supervisor)

    response = run_action(client, "hold_selected", order)

    assert response.status_code == 403
    order.refresh_from_db()
    assert not order.on_hold


# --- order list -------------------------------------------------------------------------------


@pytest.fixture
def three_orders(make_order):
    return [
        make_order(number=50001, tray="501", po_number="PO-ALPHA"),
        make_order(number=50002, tray="502", po_number="PO-BRAVO"),
        make_order(number=50003, tray="503", po_number="PO-CHARLIE"),
    ]


def test_order_list_shows_number_tray_and_po_columns(admin_client, three_orders):
    response = admin_client.get(ORDERS)

    assert response.status_code == 200
    content = response.content.decode()
    for column in ("number", "tray", "po_number", "state_display", "on_hold", "is_cancelled"):
        assert f"column-{column}" in content, column
    for order in three_orders:
        assert str(order.number) in content
        assert order.tray in content
        assert order.po_number in content


@pytest.mark.parametrize(
    "term", ["50002", "502", "PO-BRAVO", " PO-BRAVO "], ids=["number", "tray", "PO", "padded"]
)
def test_order_search_finds_exactly_the_order_by_number_tray_or_po(
    admin_client, three_orders, term
):
    response = admin_client.get(ORDERS, {"q": term})

    assert response.status_code == 200
    assert [o.number for o in response.context["cl"].result_list] == [50002]


@pytest.mark.parametrize("term", ["5000", "50", "PO-BRAV", "po-bravo"])
def test_order_search_matches_exact_values_only(admin_client, three_orders, term):
    response = admin_client.get(ORDERS, {"q": term})

    assert list(response.context["cl"].result_list) == []


def test_order_list_runs_the_same_number_of_queries_for_30_orders_as_for_3(
    admin_client, three_orders, make_order, make_station
):
    station = make_station("SURF")
    Order.objects.update(current_station=station)
    admin_client.get(ORDERS)  # warm caches (content types, sessions)

    with CaptureQueriesContext(connection) as with_three:
        assert admin_client.get(ORDERS).status_code == 200
    for number in range(50004, 50031):
        make_order(number=number, tray=str(number)[-3:], current_station=station)
    with CaptureQueriesContext(connection) as with_thirty:
        response = admin_client.get(ORDERS)

    assert len(response.context["cl"].result_list) == 30
    assert len(with_thirty) == len(with_three), "\n".join(
        q["sql"] for q in with_thirty.captured_queries
    )


# --- order page -------------------------------------------------------------------------------


def test_order_page_shows_items_and_history(admin_client, staff_supervisor, make_order):
    order = make_order(number=50010, items=2, endpoints=("SURF", "AR"), actor=staff_supervisor)
    hold_order(order=order, actor=staff_supervisor)

    response = admin_client.get(f"{ORDERS}{order.pk}/change/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "SKU0" in content
    assert "Lens 1" in content
    assert "SURF: New, AR: New" in content
    assert 'id="order-items"' in content
    assert 'id="order-timeline"' in content
    assert "Timeline" in content
    assert "Created" in content
    assert "Put on hold" in content
    assert staff_supervisor.username in content


def test_orders_cannot_be_deleted_in_the_admin(admin_client, make_order):
    # Orders are added through the create service (backoffice.order_entry), never deleted.
    order = make_order()

    assert admin_client.get(f"{ORDERS}{order.pk}/delete/").status_code == 403
    assert admin_client.post(f"{ORDERS}{order.pk}/delete/", {"post": "yes"}).status_code == 403
    actions = dict(admin_client.get(ORDERS).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert {"hold_selected", "release_selected", "cancel_selected"} <= set(actions)
    assert Order.objects.filter(pk=order.pk).exists()


def test_order_fields_are_read_only(admin_client, make_order):
    order = make_order(number=50020, tray="520")

    admin_client.post(f"{ORDERS}{order.pk}/change/", {"tray": "999", "number": "1"})

    order.refresh_from_db()
    assert (order.number, order.tray) == (50020, "520")


# --- hold / release ---------------------------------------------------------------------------


def test_hold_action_puts_orders_on_hold_through_the_service(
    admin_client, staff_supervisor, make_order
):
    first, second = make_order(number=50031), make_order(number=50032)

    response = run_action(admin_client, "hold_selected", first, second)

    assert response.status_code == 302
    assert messages_of(response) == [(SUCCESS, "Held 2 order(s).")]
    for order in (first, second):
        order.refresh_from_db()
        assert order.on_hold
        [event] = events(order, EventKind.HOLD)
        assert (event.actor, event.to_value) == (staff_supervisor, "On Hold")


def test_hold_refused_by_the_lab_settings_is_an_error_message_and_changes_nothing(
    admin_client, make_order, lab_settings
):
    lab_settings(allow_hold_orders=False)
    order = make_order(number=50033)

    response = run_action(admin_client, "hold_selected", order)

    assert messages_of(response) == [(ERROR, "Not held — 50033: Hold orders are not allowed")]
    order.refresh_from_db()
    assert not order.on_hold
    assert events(order, EventKind.HOLD) == []


def test_hold_reports_each_refusal_beside_the_orders_it_held(admin_client, make_order):
    free = make_order(number=50034)
    held = make_order(number=50035, on_hold=True)

    response = run_action(admin_client, "hold_selected", free, held)

    assert sorted(messages_of(response)) == [
        (SUCCESS, "Held 1 order(s)."),
        (ERROR, "Not held — 50035: Order is already on hold"),
    ]


def test_release_action_takes_orders_off_hold_through_the_service(
    admin_client, staff_supervisor, make_order
):
    order = make_order(number=50036)
    hold_order(order=order, actor=None)

    response = run_action(admin_client, "release_selected", order)

    assert messages_of(response) == [(SUCCESS, "Released 1 order(s).")]
    order.refresh_from_db()
    assert not order.on_hold
    [event] = events(order, EventKind.RELEASE)
    assert (event.actor, event.from_value) == (staff_supervisor, "On Hold")


def test_release_of_an_order_not_on_hold_is_refused_in_the_api_wording(admin_client, make_order):
    order = make_order(number=50037)

    response = run_action(admin_client, "release_selected", order)

    assert messages_of(response) == [(ERROR, "Not released — 50037: Order is not on hold")]
    assert events(order, EventKind.RELEASE) == []


# --- cancel -----------------------------------------------------------------------------------


def test_cancel_action_first_asks_for_a_reason(admin_client, make_order, make_reason):
    make_reason("CUS", "Customer request")
    make_reason("OLD", "Retired reason", active=False)
    order = make_order(number=50041, tray="541")

    response = run_action(admin_client, "cancel_selected", order)

    assert response.status_code == 200
    assert "admin/orders/order/cancel_selected.html" in [t.name for t in response.templates]
    content = response.content.decode()
    assert "Order 50041 (tray 541)" in content
    assert '<select name="reason"' in content
    assert '<option value="CUS">' in content
    assert 'value="OLD"' not in content
    assert f'name="{ACTION_CHECKBOX}" value="{order.pk}"' in content
    order.refresh_from_db()
    assert order.cancelled_at is None


def test_cancel_with_a_reason_marks_the_order_for_cancelation(
    admin_client, staff_supervisor, make_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    reason = make_reason("DUP", "Duplicate order")
    order = make_order(number=50042, tray="542")

    response = run_action(admin_client, "cancel_selected", order, apply="1", reason="DUP")

    assert response.status_code == 302
    assert messages_of(response) == [(SUCCESS, "Cancelled 1 order(s).")]
    order.refresh_from_db()
    assert order.cancelled_at is not None
    assert (order.cancelled_by, order.cancel_reason) == (staff_supervisor, reason)
    [event] = events(order, EventKind.CANCEL)
    assert event.actor == staff_supervisor
    assert event.reason == str(reason)
    assert event.note == "tray 542 freed"


def test_cancel_without_a_reason_when_the_lab_requires_one_is_refused(
    admin_client, make_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS")
    order = make_order(number=50043)

    response = run_action(admin_client, "cancel_selected", order, apply="1", reason="")

    assert messages_of(response) == [
        (ERROR, "Not cancelled — 50043: Delete reason code does not exist")
    ]
    order.refresh_from_db()
    assert order.cancelled_at is None
    assert order.cancel_reason is None
    assert events(order, EventKind.CANCEL) == []


def test_cancel_without_reason_codes_when_the_lab_does_not_use_them(admin_client, make_order):
    order = make_order(number=50044)

    response = run_action(admin_client, "cancel_selected", order, apply="1", reason="")

    assert messages_of(response) == [(SUCCESS, "Cancelled 1 order(s).")]
    order.refresh_from_db()
    assert order.cancelled_at is not None
    assert order.cancel_reason is None


def test_cancel_of_a_completed_order_is_refused_in_the_api_wording(admin_client, make_order):
    order = make_order(number=50045, state="C")

    response = run_action(admin_client, "cancel_selected", order, apply="1", reason="")

    assert messages_of(response) == [(ERROR, "Not cancelled — 50045: Order already completed")]
    order.refresh_from_db()
    assert order.cancelled_at is None


# --- delete reasons ---------------------------------------------------------------------------


def test_delete_reasons_cannot_be_deleted_in_the_admin_only_deactivated(admin_client, make_reason):
    reason = make_reason("CUS")
    reasons = "/admin/orders/deletereason/"

    assert admin_client.get(f"{reasons}{reason.pk}/delete/").status_code == 403
    actions = dict(admin_client.get(reasons).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions

    response = admin_client.post(
        reasons, {"action": "deactivate_selected", ACTION_CHECKBOX: [reason.pk], "index": 0}
    )

    assert messages_of(response) == [(SUCCESS, "Deactivated 1 reason(s).")]
    reason.refresh_from_db()
    assert not reason.active


# --- lab settings -----------------------------------------------------------------------------


SETTINGS_FORM = {
    "enter_reason_code_when_deleting_order": "",
    "job_tracker_module_installed": "on",
    "jobtrack_station_verify": "",
    "tracker_heartbeat_seconds": "30",
    "allow_hold_orders": "on",
    "trays_required": "",
    "ticket_paper_size": "letter",
    "save_duplicate_orders": "on",
    "force_qa_on_addon_jobs": "",
    "verify_tray_is_empty": "on",
    "partial_picking": "",
    "dynamic_display_refresh_seconds": "30",
}


def test_lab_settings_list_opens_the_single_settings_page(admin_client):
    response = admin_client.get("/admin/orders/labsettings/")

    assert response.status_code == 302
    assert response["Location"] == "/admin/orders/labsettings/1/change/"
    assert admin_client.get(response["Location"]).status_code == 200
    assert LabSettings.objects.count() == 1


def test_saving_lab_settings_changes_the_row_and_records_each_change(
    admin_client, staff_supervisor
):
    page = f"/admin/orders/labsettings/{LabSettings.load().pk}/change/"
    form = SETTINGS_FORM | {
        "enter_reason_code_when_deleting_order": "on",
        "allow_hold_orders": "",
        "ticket_paper_size": "a4",
    }

    response = admin_client.post(page, form)

    assert response.status_code == 302, response.content[:2000]
    lab = LabSettings.load()
    assert lab.enter_reason_code_when_deleting_order
    assert not lab.allow_hold_orders
    assert lab.ticket_paper_size == "a4"
    assert lab.job_tracker_module_installed  # untouched
    changes = {
        c.setting: (c.from_value, c.to_value, c.actor, c.actor_name)
        for c in LabSettingsChange.objects.all()
    }
    assert changes == {
        "Enter reason code when deleting order": ("False", "True", staff_supervisor, "sue"),
        "allow hold orders": ("True", "False", staff_supervisor, "sue"),
        "ticket paper size": ("letter", "a4", staff_supervisor, "sue"),
    }


def test_saving_lab_settings_unchanged_records_nothing(admin_client):
    page = f"/admin/orders/labsettings/{LabSettings.load().pk}/change/"

    response = admin_client.post(page, SETTINGS_FORM)

    assert response.status_code == 302
    assert not LabSettingsChange.objects.exists()


def test_lab_settings_cannot_be_added_or_deleted(admin_client):
    pk = LabSettings.load().pk

    assert admin_client.get("/admin/orders/labsettings/add/").status_code == 403
    assert admin_client.get(f"/admin/orders/labsettings/{pk}/delete/").status_code == 403


# --- API keys ---------------------------------------------------------------------------------

KEYS = "/admin/accounts/apikey/"
SHOWN_KEY = re.compile(r'<code id="api-key"[^>]*>(lab_[A-Za-z0-9_-]+)</code>')


def test_adding_an_api_key_shows_the_raw_key_once_and_stores_only_its_hash(
    superuser_client, make_user, make_order
):
    owner = make_user("Lab clients", username="rx-client")
    order = make_order(number=50051)

    response = superuser_client.post(f"{KEYS}add/", {"name": "front desk", "user": owner.pk})

    assert response.status_code == 200, response.content[:2000]
    assert "no-store" in response["Cache-Control"]
    raw_key = SHOWN_KEY.search(response.content.decode()).group(1)
    api_key = ApiKey.objects.get()
    assert (api_key.name, api_key.user) == ("front desk", owner)
    assert api_key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()
    row = ApiKey.objects.filter(pk=api_key.pk).values().get()
    assert not [column for column, value in row.items() if raw_key in str(value)]
    assert not [
        e for e in LogEntry.objects.all() if raw_key in f"{e.object_repr}{e.change_message}"
    ]
    fetched = Client().get(f"/api/v2/orders/{order.number}", HTTP_AUTHORIZATION=f"Token {raw_key}")
    assert fetched.status_code == 200

    change_page = superuser_client.get(f"{KEYS}{api_key.pk}/change/")

    assert change_page.status_code == 200
    assert raw_key not in change_page.content.decode()
    assert api_key.prefix in change_page.content.decode()


def test_the_revoke_action_revokes_the_selected_keys(superuser_client, make_user):
    owner = make_user("Lab clients")
    kept, _ = ApiKey.issue(user=owner, name="kept")
    revoked, raw_key = ApiKey.issue(user=owner, name="lost laptop")

    response = superuser_client.post(
        KEYS, {"action": "revoke_selected", ACTION_CHECKBOX: [revoked.pk], "index": 0}
    )

    assert messages_of(response) == [(SUCCESS, "Revoked 1 key(s).")]
    revoked.refresh_from_db()
    kept.refresh_from_db()
    assert revoked.revoked_at is not None
    assert kept.revoked_at is None
    fetched = Client().get("/api/v2/orders/1", HTTP_AUTHORIZATION=f"Token {raw_key}")
    assert fetched.status_code == 401


def test_api_keys_cannot_be_deleted_in_the_admin(superuser_client, make_user):
    api_key, _ = ApiKey.issue(user=make_user(), name="kept for history")

    assert superuser_client.get(f"{KEYS}{api_key.pk}/delete/").status_code == 403
    actions = dict(superuser_client.get(KEYS).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions


def test_order_page_links_its_work_ticket_which_opens_as_a_pdf(make_user, make_order):
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=True))
    order = make_order(tray="31")

    page = client.get(f"/admin/orders/order/{order.pk}/change/").content.decode()
    ticket = client.get(f"/admin/orders/order/{order.pk}/ticket.pdf")

    assert f"/admin/orders/order/{order.pk}/ticket.pdf" in page
    assert ticket.status_code == 200
    assert ticket["Content-Type"] == "application/pdf"
    assert ticket["Content-Disposition"] == f'inline; filename="ticket-{order.number}.pdf"'
    assert ticket.content.startswith(b"%PDF-")


def test_work_ticket_is_for_staff_only(make_user, make_order):
    order = make_order()
    client = Client()
    client.force_login(make_user("Lab clients"))  # not staff

    response = client.get(f"/admin/orders/order/{order.pk}/ticket.pdf")

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]

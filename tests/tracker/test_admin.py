"""The tracker's parts of the admin: heartbeat on the index, job history, completion requests."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

import pytest

from toolkit.models import WorkerHeartbeat
from tracker.models import CompletionRequest, CompletionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(make_user):
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=True))
    return client


def test_index_shows_the_tracker_running_when_its_heartbeat_is_fresh(browser):
    WorkerHeartbeat.objects.create(kind="tracker", worker_id="t1", hostname="lab1", pid=42)

    page = browser.get("/admin/").content.decode()

    assert 'data-status="running"' in page
    assert "lab1 pid 42" in page


def test_index_shows_the_tracker_down_when_its_heartbeat_is_stale(browser, lab_settings):
    lab_settings(tracker_heartbeat_seconds=30)
    WorkerHeartbeat.objects.create(
        kind="tracker", worker_id="t1", beat_at=timezone.now() - timedelta(seconds=31)
    )

    page = browser.get("/admin/").content.decode()

    assert 'data-status="down"' in page
    assert "window 30 s" in page


def test_index_shows_the_tracker_down_without_any_heartbeat(browser):
    page = browser.get("/admin/").content.decode()

    assert 'data-status="down"' in page
    assert "no heartbeat yet" in page


def test_order_page_shows_job_history_and_completion_requests(
    browser, make_order, make_station, check_in, supervisor
):
    order = make_order(tray="7")
    check_in(order, make_station("SURF", description="Surfacing"))
    CompletionRequest.objects.create(
        order=order,
        requested_by=supervisor,
        status=CompletionStatus.FAILED,
        failure_reason="Order on hold",
    )

    page = browser.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    assert "Job history (check-ins)" in page
    assert "SURF — Surfacing" in page
    assert "completion requests" in page.lower()
    assert "Order on hold" in page


def test_completion_requests_list_filters_by_status(browser, make_order, supervisor):
    failed = make_order()
    pending = make_order()
    CompletionRequest.objects.create(
        order=failed, status=CompletionStatus.FAILED, failure_reason="Needs Tint!"
    )
    CompletionRequest.objects.create(order=pending, requested_by=supervisor)

    page = browser.get("/admin/tracker/completionrequest/?status__exact=failed").content.decode()

    assert "Needs Tint!" in page
    assert f"Order {failed.number}" in page
    assert f"Order {pending.number}" not in page


def test_stations_are_configured_in_the_admin(browser):
    response = browser.post(
        "/admin/orders/station/add/",
        {
            "code": "TINT",
            "description": "Tinting",
            "customer_description": "Tint",
            "flow_step": "tint",
        },
    )

    assert response.status_code == 302
    page = browser.get("/admin/orders/station/").content.decode()
    assert "TINT" in page
    assert "Tinting" in page

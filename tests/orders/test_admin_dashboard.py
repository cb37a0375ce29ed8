"""The supervisor dashboard on the admin index: every figure and every bar counts what the
database holds and links to the admin list of exactly those rows, in a constant number of
queries; the charts are inline SVG drawn on the server."""

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from backoffice.dashboard import changelist_url
from orders.models import Order
from orders.services import cancel_order, hold_order, release_order
from orders.status import OrderState
from printing.models import Printer, PrintJob, PrintStatus, Workstation
from toolkit.models import WorkerHeartbeat
from tracker.models import CompletionRequest, CompletionStatus
from webhooks.models import FAILING_AFTER, Delivery, DeliveryStatus, Subscription

INDEX = "/admin/"


@pytest.fixture
def browser(make_user):
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=True))
    return client


def add_print_job(order, status):
    printer, _ = Printer.objects.get_or_create(name="Desk", defaults={"folder": "spool"})
    return PrintJob.objects.create(
        order=order,
        workstation=Workstation.objects.get(code="00"),
        port=1,
        printer=printer,
        status=status,
    )


@pytest.fixture
def lab_day(make_order, make_station, check_in):
    """A small lab: orders spread over stations and states, completions and prints."""
    yesterday = timezone.localdate() - timedelta(days=1)
    surf = make_station("SURF", description="Surfacing")
    ar = make_station("AR", description="AR coating")
    make_station("QA", description="Final inspection")
    make_station("OP1", description="Operator Ann", is_operator=True)
    orders = {
        "surf_1": make_order(number=70001, tray="1"),
        "surf_2": make_order(number=70002, tray="2"),
        "surf_held": make_order(number=70003, tray="3"),
        "ar_overdue": make_order(number=70004, tray="4", date_wanted=yesterday),
        "new_no_tray": make_order(number=70005),
        "unvalid": make_order(number=70006, tray="6", items=0, stock_order=True),
        "completed_overdue": make_order(number=70007, date_wanted=yesterday),
        "cancelled_no_tray": make_order(number=70008),
    }
    for key in ("surf_1", "surf_2", "surf_held", "completed_overdue"):
        check_in(orders[key], surf)
    check_in(orders["ar_overdue"], ar)
    Order.objects.filter(current_station__isnull=False).update(state=OrderState.PROCESS)
    Order.objects.filter(pk=orders["surf_held"].pk).update(on_hold=True)
    Order.objects.filter(pk=orders["completed_overdue"].pk).update(state=OrderState.COMPLETED)
    cancel_order(order=orders["cancelled_no_tray"], actor=None, reason_code=None)
    for key in ("surf_1", "surf_2"):
        CompletionRequest.objects.create(order=orders[key], status=CompletionStatus.FAILED)
    CompletionRequest.objects.create(order=orders["surf_2"], status=CompletionStatus.DONE)
    CompletionRequest.objects.create(order=orders["ar_overdue"])  # pending
    add_print_job(orders["surf_1"], PrintStatus.FAILED)
    add_print_job(orders["surf_2"], PrintStatus.DONE)
    # A subscription whose receiver keeps failing, and the one delivery it gave up on.
    failing = Subscription.objects.create(url="https://hooks.example.com/down")
    hold_order(order=orders["surf_2"], actor=None)
    release_order(order=orders["surf_2"], actor=None)
    Subscription.objects.filter(pk=failing.pk).update(consecutive_failures=FAILING_AFTER)
    # Neither failing: a healthy one a failed delivery short, and one its receiver's 410 Gone
    # deactivated after as many failures.
    Subscription.objects.create(
        url="https://hooks.example.com/up", consecutive_failures=FAILING_AFTER - 1
    )
    Subscription.objects.create(
        url="https://hooks.example.com/gone", active=False, consecutive_failures=FAILING_AFTER
    )
    Delivery.objects.filter(pk=Delivery.objects.order_by("id").first().pk).update(
        status=DeliveryStatus.FAILED
    )
    return orders


def numbers(orders, *keys) -> set[int]:
    return {orders[key].number for key in keys}


def shown_rows(browser, url: str) -> list:
    response = browser.get(url)
    assert response.status_code == 200, url
    return list(response.context["cl"].result_list)


def test_the_figures_count_the_lab(browser, lab_day):
    dashboard = browser.get(INDEX).context["dashboard"]

    figures = {figure.key: figure.count for figure in dashboard.figures}
    assert dashboard.work_in_progress.count == 6
    assert figures == {
        "without_tray": 1,
        "overdue": 1,
        "completions_pending": 1,
        "completions_failed": 2,
        "prints_failed": 1,
        "webhooks_failing": 1,
        "webhook_deliveries_failed": 1,
    }
    [state, station] = dashboard.charts
    assert {bar.key: bar.count for bar in state.bars} == {"U": 1, "V": 1, "P": 3, "W": 1}
    assert {bar.key: bar.count for bar in station.bars} == {"AR": 1, "QA": 0, "SURF": 3, "-": 2}


def test_each_order_figure_and_bar_links_to_exactly_the_orders_it_counts(browser, lab_day):
    dashboard = browser.get(INDEX).context["dashboard"]
    expected = {
        "wip": numbers(
            lab_day, "surf_1", "surf_2", "surf_held", "ar_overdue", "new_no_tray", "unvalid"
        ),
        "without_tray": numbers(lab_day, "new_no_tray"),
        "overdue": numbers(lab_day, "ar_overdue"),
        "state:U": numbers(lab_day, "unvalid"),
        "state:V": numbers(lab_day, "new_no_tray"),
        "state:P": numbers(lab_day, "surf_1", "surf_2", "ar_overdue"),
        "state:W": numbers(lab_day, "surf_held"),
        "station:SURF": numbers(lab_day, "surf_1", "surf_2", "surf_held"),
        "station:AR": numbers(lab_day, "ar_overdue"),
        "station:QA": set(),
        "station:-": numbers(lab_day, "new_no_tray", "unvalid"),
    }
    links = {
        dashboard.work_in_progress.key: dashboard.work_in_progress,
        **{figure.key: figure for figure in dashboard.figures},
        **{f"{chart.key}:{bar.key}": bar for chart in dashboard.charts for bar in chart.bars},
    }

    for key, wanted in expected.items():
        rows = shown_rows(browser, links[key].url)
        assert {order.number for order in rows} == wanted, key
        assert links[key].count == len(wanted), key


def test_the_work_queue_figures_link_to_exactly_their_rows(browser, lab_day):
    figures = {figure.key: figure for figure in browser.get(INDEX).context["dashboard"].figures}

    pending = shown_rows(browser, figures["completions_pending"].url)
    failed = shown_rows(browser, figures["completions_failed"].url)
    prints = shown_rows(browser, figures["prints_failed"].url)

    assert {r.pk for r in pending} == set(
        CompletionRequest.objects.filter(status="pending").values_list("pk", flat=True)
    )
    assert len(failed) == figures["completions_failed"].count == 2
    assert {r.status for r in failed} == {"failed"}
    assert [(j.order, j.status) for j in prints] == [(lab_day["surf_1"], "failed")]
    deliveries = shown_rows(browser, figures["webhook_deliveries_failed"].url)
    assert [(d.order, d.status) for d in deliveries] == [(lab_day["surf_2"], "failed")]
    subscriptions = shown_rows(browser, figures["webhooks_failing"].url)
    assert [s.url for s in subscriptions] == ["https://hooks.example.com/down"]
    assert figures["webhooks_failing"].count == 1
    assert len(shown_rows(browser, changelist_url(Subscription))) == 3  # the filter's work


def test_the_charts_are_inline_svg_with_titles_and_count_labels(browser, lab_day):
    page = browser.get(INDEX).content.decode()

    assert "<script" not in page.split('id="dashboard"')[1].split('id="worker-status"')[0]
    assert '<svg class="bar-chart" role="img"' in page
    assert "<title>Work in progress by current station</title>" in page
    assert "<title>SURF — Surfacing: 3 orders</title>" in page
    assert "<title>AR — AR coating: 1 order</title>" in page
    assert '<text class="bar-label" x="0" y="21">AR — AR coating</text>' in page
    assert '<text class="bar-count"' in page
    assert "OP1" not in page.split('id="chart-station"')[1].split("</svg>")[0]


def test_attention_figures_are_marked_only_when_above_zero(browser, lab_day):
    page = browser.get(INDEX).content.decode()

    assert 'class="figure attention" id="figure-prints_failed"' in page
    assert 'class="figure" id="figure-completions_pending"' in page  # pending is not a fault


def test_the_dashboard_runs_a_constant_number_of_queries(
    browser, lab_day, make_order, make_station, check_in
):
    browser.get(INDEX)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as small:
        assert browser.get(INDEX).status_code == 200

    stations = [make_station(f"S{i}") for i in range(5)]
    for i in range(40):
        order = make_order(number=71000 + i, tray=str(100 + i))
        check_in(order, stations[i % 5])
        CompletionRequest.objects.create(order=order, status=CompletionStatus.FAILED)
        add_print_job(order, PrintStatus.FAILED)
    with CaptureQueriesContext(connection) as large:
        response = browser.get(INDEX)

    assert response.context["dashboard"].work_in_progress.count == 46
    assert len(large) == len(small), "\n".join(q["sql"] for q in large.captured_queries)


def test_heartbeats_show_green_with_age_and_red_when_stale(browser, lab_settings):
    lab_settings(tracker_heartbeat_seconds=30)
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        kind="tracker", worker_id="t", hostname="lab1", pid=7, beat_at=now - timedelta(seconds=3)
    )
    WorkerHeartbeat.objects.create(
        kind="spooler", worker_id="s", hostname="lab2", pid=8, beat_at=now - timedelta(seconds=95)
    )
    WorkerHeartbeat.objects.create(
        kind="webhooks", worker_id="w", hostname="lab3", pid=9, beat_at=now - timedelta(seconds=1)
    )

    page = browser.get(INDEX).content.decode()
    tracker, spooler, webhooks = page.split('id="worker-status"')[1].split("<tr>")[1:4]

    assert 'data-status="running"' in tracker
    assert "last heartbeat 3 s ago (lab1 pid 7)" in tracker
    assert 'data-status="down"' in spooler
    assert "last heartbeat 95 s ago" in spooler
    assert "Webhook worker" in webhooks
    assert "last heartbeat 1 s ago (lab3 pid 9)" in webhooks


def test_staff_see_only_the_figures_their_rights_cover(make_user, lab_day):
    station_staff = Client()
    station_staff.force_login(make_user("Stations", is_staff=True))
    no_rights = Client()
    no_rights.force_login(make_user(is_staff=True))

    stations_view = station_staff.get(INDEX).context["dashboard"]
    bare_view = no_rights.get(INDEX)

    assert stations_view.work_in_progress.count == 6
    assert [f.key for f in stations_view.figures] == ["without_tray", "overdue"]
    assert bare_view.context["dashboard"].figures == []
    assert "Today in the lab" not in bare_view.content.decode()

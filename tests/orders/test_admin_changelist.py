"""The order list in the admin: search by any identifier, the supervisor's filters, a date
hierarchy, and a constant number of queries with counts that stay bounded on PostgreSQL."""

from datetime import timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from backoffice.admin_views import BoundedCountPaginator
from orders.models import Customer, Order
from orders.services import cancel_order
from orders.status import OrderState

ORDERS = "/admin/orders/order/"


@pytest.fixture
def browser(make_user):
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=True))
    return client


def shown(browser, params=None) -> list[int]:
    response = browser.get(ORDERS, params or {})
    assert response.status_code == 200
    return sorted(order.number for order in response.context["cl"].result_list)


@pytest.fixture
def orders(make_order, make_station, check_in):
    yesterday = timezone.localdate() - timedelta(days=1)
    surf = make_station("SURF")
    made = {
        "at_surf": make_order(number=80001, tray="801", po_number="PO-A"),
        "held": make_order(number=80002, tray="802", po_number="PO-B", on_hold=True),
        "overdue": make_order(number=80003, tray="803", date_wanted=yesterday),
        "no_tray": make_order(number=80004),
        "done": make_order(number=80005, state=OrderState.COMPLETED),
        "cancelled": make_order(number=80006, tray="806", date_wanted=yesterday),
    }
    check_in(made["at_surf"], surf)
    cancel_order(order=made["cancelled"], actor=None, reason_code=None)
    # A completed order that had the tray now used by another.
    Order.objects.filter(pk=made["done"].pk).update(date_wanted=yesterday, tray="801")
    made["surf"] = surf
    return made


# --- search -----------------------------------------------------------------------------------


def test_search_finds_orders_by_number_tray_po_and_public_id(browser, orders):
    assert shown(browser, {"q": "80002"}) == [80002]
    assert shown(browser, {"q": "PO-B"}) == [80002]
    assert shown(browser, {"q": "802"}) == [80002]
    assert shown(browser, {"q": str(orders["overdue"].public_id)}) == [80003]


def test_search_by_tray_shows_every_order_that_had_it(browser, orders):
    # The API resolves a tray to its active order; the list shows its history too.
    assert shown(browser, {"q": "801"}) == [80001, 80005]


def test_search_for_nothing_known_shows_nothing(browser, orders):
    assert shown(browser, {"q": "PO-"}) == []
    assert shown(browser, {"q": "0"}) == []


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"wip": "yes"}, [80001, 80002, 80003, 80004]),
        ({"wip": "no"}, [80005, 80006]),
        ({"overdue": "yes"}, [80003]),
        ({"overdue": "no"}, [80001, 80002, 80004, 80005, 80006]),
        ({"has_tray": "no"}, [80004]),
        ({"wip": "yes", "has_tray": "yes"}, [80001, 80002, 80003]),
        ({"on_hold__exact": "1"}, [80002]),
        ({"cancelled": "yes"}, [80006]),
        ({"state__exact": "C"}, [80005]),
        ({"current_station__isnull": "True", "wip": "yes"}, [80002, 80003, 80004]),
    ],
)
def test_the_list_filters(browser, orders, params, expected):
    assert shown(browser, params) == expected


def test_the_station_filter(browser, orders):
    assert shown(browser, {"current_station__id__exact": orders["surf"].pk}) == [80001]


def test_the_filters_on_offer(browser, orders):
    page = browser.get(ORDERS).content.decode()

    for title in ("in progress", "state", "on hold", "marked for cancelation", "overdue"):
        assert f"By {title}" in page, title
    assert "By current station" in page
    assert "SURF" in page.split('id="changelist-filter"')[1]


@pytest.fixture
def jobs_of_customers(make_order):
    """Orders of each job type for two customers, one with no customer, and a stock order."""
    return {
        "full_c1": make_order(number=80101, job_type="F", customer_number="C1"),
        "uncut_c2": make_order(number=80102, job_type="U", customer_number="C2"),
        "addon_c1": make_order(number=80103, job_type="A", customer_number="C1"),
        "edge_c2": make_order(number=80104, job_type="E", customer_number="C2"),
        "full_none": make_order(number=80105, job_type="F"),
        "stock_c1": make_order(number=80106, job_type="U", customer_number="C1", stock_order=True),
    }


@pytest.mark.parametrize(
    ("job_type", "expected"),
    [
        ("F", [80101, 80105]),
        ("U", [80102, 80106]),
        ("E", [80104]),
        ("A", [80103]),
    ],
)
def test_the_job_type_filter(browser, jobs_of_customers, job_type, expected):
    assert shown(browser, {"job_type__exact": job_type}) == expected


@pytest.mark.parametrize(
    ("customer", "expected"), [("C1", [80101, 80103, 80106]), ("C2", [80102, 80104])]
)
def test_the_customer_filter(browser, jobs_of_customers, customer, expected):
    customer_id = Customer.objects.get(number=customer).pk

    assert shown(browser, {"customer__id__exact": customer_id}) == expected


def test_orders_of_no_customer_are_a_choice_of_the_customer_filter(browser, jobs_of_customers):
    assert shown(browser, {"customer__isnull": "True"}) == [80105]


def test_the_job_type_and_customer_filters_narrow_together(browser, jobs_of_customers):
    c1 = Customer.objects.get(number="C1").pk

    assert shown(browser, {"job_type__exact": "F", "customer__id__exact": c1}) == [80101]
    assert shown(browser, {"job_type__exact": "E", "customer__id__exact": c1}) == []
    assert shown(browser, {"job_type__exact": "U", "stock_order__exact": "0"}) == [80102]


def test_the_job_type_and_customer_filters_are_on_offer(browser, jobs_of_customers):
    page = browser.get(ORDERS).content.decode()
    filters = page.split('id="changelist-filter"')[1]

    assert "By job type" in filters
    assert "By customer" in filters
    for job_type in ("Full", "Uncut", "Edge", "Addon"):
        assert f'href="?job_type__exact={job_type[0]}"' in filters, job_type
    for customer in Customer.objects.all():
        assert f'href="?customer__id__exact={customer.pk}"' in filters, customer.number


def test_the_date_hierarchy_narrows_by_date_received(browser, orders):
    today = timezone.localdate()
    Order.objects.filter(pk=orders["no_tray"].pk).update(
        received_at=timezone.now() - timedelta(days=800)
    )

    response = browser.get(ORDERS)
    this_year = shown(browser, {"received_at__year": today.year})

    assert response.context["cl"].date_hierarchy == "received_at"
    assert 'id="date-hierarchy-label"' in response.content.decode()
    assert 80004 not in this_year
    assert 80001 in this_year


# --- cost -------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"wip": "yes", "overdue": "no"}, {"q": "PO-1"}])
def test_the_list_runs_as_many_queries_for_50_orders_as_for_5(
    browser, make_order, make_station, check_in, params
):
    stations = [make_station(f"S{i}") for i in range(3)]

    def add(first: int, count: int) -> None:
        for number in range(first, first + count):
            order = make_order(number=number, tray=str(number)[-4:], po_number=f"PO-{number % 2}")
            check_in(order, stations[number % 3])

    add(81000, 5)
    browser.get(ORDERS, params)  # warm caches (content types, session)
    with CaptureQueriesContext(connection) as five:
        assert browser.get(ORDERS, params).status_code == 200
    add(82000, 45)
    with CaptureQueriesContext(connection) as fifty:
        response = browser.get(ORDERS, params)

    expected = Order.objects.filter(po_number="PO-1").count() if params.get("q") else 50
    assert len(response.context["cl"].result_list) == expected
    assert len(fifty) == len(five), "\n".join(q["sql"] for q in fifty.captured_queries)


def test_the_list_never_counts_all_orders_or_each_filter_choice(browser, orders):
    with CaptureQueriesContext(connection) as queries:
        browser.get(ORDERS, {"wip": "yes"})

    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1, counts  # the paginator's, of the filtered list only
    if connection.vendor == "postgresql":
        assert "LIMIT" in counts[0].upper()


def test_the_paginator_counts_exactly_up_to_its_limit(make_order):
    for number in range(83000, 83005):
        make_order(number=number)

    assert BoundedCountPaginator(Order.objects.all(), 2).count == 5


def test_past_its_limit_the_paginator_estimates_on_postgresql(make_order, monkeypatch):
    for number in range(84000, 84012):
        make_order(number=number)
    monkeypatch.setattr(BoundedCountPaginator, "exact_limit", 5)

    with CaptureQueriesContext(connection) as queries:
        count = BoundedCountPaginator(Order.objects.filter(number__gte=84000), 2).count

    if connection.vendor == "postgresql":
        assert count >= 6  # at least the bounded count; beyond it, the planner's estimate
        assert "LIMIT 6" in queries.captured_queries[0]["sql"].upper()
        assert queries.captured_queries[1]["sql"].upper().startswith("EXPLAIN")
    else:
        assert count == 12  # SQLite counts exactly

"""Customers: kept in the admin (searchable; never deleted once they have orders), and the
migration that made records of the customer numbers orders carried."""

from django.test import Client

import pytest

from orders.models import Customer
from tests.migrating import migrate

CUSTOMERS = "/admin/orders/customer/"


@pytest.fixture
def browser(make_user):
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=True))
    return client


def test_supervisors_find_customers_by_number_or_name(browser, make_customer):
    make_customer("C1", name="Brightview Opticians")
    make_customer("C2", name="Harbour Vision")

    by_name = browser.get(CUSTOMERS, {"q": "harbour"})
    by_number = browser.get(CUSTOMERS, {"q": "C1"})

    assert [c.number for c in by_name.context["cl"].result_list] == ["C2"]
    assert [c.number for c in by_number.context["cl"].result_list] == ["C1"]


def test_a_customer_with_orders_cannot_be_deleted_only_deactivated(
    browser, make_customer, make_order
):
    kept = make_customer("C1")
    make_order(customer_number="C1")
    unused = make_customer("C2")

    assert browser.get(f"{CUSTOMERS}{kept.pk}/delete/").status_code == 403
    assert browser.post(f"{CUSTOMERS}{unused.pk}/delete/", {"post": "yes"}).status_code == 302
    assert list(Customer.objects.values_list("number", flat=True)) == ["C1"]


def test_the_order_page_names_its_customer(browser, make_order):
    order = make_order(customer_number="C7")

    page = browser.get(f"/admin/orders/order/{order.pk}/change/").content.decode()

    assert "C7 — Customer C7" in page


# --- the migration ----------------------------------------------------------------------------

BEFORE = [("orders", "0015_every_order_a_job")]
AFTER = [("orders", "0017_order_customer_number_removed")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_every_customer_number_becomes_a_customer_its_orders_refer_to(latest):
    old = migrate(BEFORE)
    Order = old.get_model("orders", "Order")
    for number, customer in [(72001, "C1"), (72002, "C1"), (72003, "C2"), (72004, "")]:
        Order.objects.create(number=number, customer_number=customer)

    new = migrate(AFTER)

    orders = new.get_model("orders", "Order").objects.filter(number__gte=72001)
    assert dict(orders.values_list("number", "customer__number")) == {
        72001: "C1",
        72002: "C1",
        72003: "C2",
        72004: None,
    }
    customers = new.get_model("orders", "Customer").objects.order_by("number")
    assert list(customers.values_list("number", "name", "active")) == [
        ("C1", "C1", True),
        ("C2", "C2", True),
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_customer_number_too_long_for_a_customer_stops_the_migration_and_names_it(latest):
    old = migrate(BEFORE)
    old.get_model("orders", "Order").objects.create(number=72010, customer_number="CUSTOMER-42")

    with pytest.raises(RuntimeError, match=r"CUSTOMER-42 \(orders 72010\)"):
        migrate(AFTER)

    # Rolled back: nothing half-done; once the number is shortened, the migration goes on.
    remaining = old.get_model("orders", "Order").objects.get(number=72010)
    assert remaining.customer_number == "CUSTOMER-42"
    remaining.customer_number = "C42"
    remaining.save()
    new = migrate(AFTER)
    assert new.get_model("orders", "Order").objects.get(number=72010).customer.number == "C42"

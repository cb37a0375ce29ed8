"""The rights table (``accounts.rights.Right``) is the one place an action's right is spelled:
each entry is a real permission, every API view names its rights from it, the Orders API's
wire names come from it, and the admin's buttons check the entry the API checks."""

from django.contrib.auth.models import Permission
from django.contrib.messages import ERROR, get_messages
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

import pytest

from accounts.rights import Right
from orders.api.pos.rights import RIGHTS as ORDERS_API_RIGHTS
from toolkit.api.configuration import ConfigurationView

# The modules whose views answer the API faces: the walk below must find views in each.
API_VIEW_MODULES = {
    "orders.api.v2.views",
    "orders.api.v2.config",
    "orders.api.pos.views",
    "orders.api.pos.auth",
    "orders.api.item_cancel.views",
    "tracker.api",
    "printing.api",
}


def views_with_rights() -> set[type]:
    """Every class-based view the URL resolver serves that names ``required_rights``."""
    found = set()

    def walk(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                view_class = getattr(entry.callback, "view_class", None)
                if view_class is not None and hasattr(view_class, "required_rights"):
                    found.add(view_class)

    walk(get_resolver().url_patterns)
    return found


@pytest.mark.django_db
def test_every_right_in_the_table_is_a_permission_that_exists():
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }

    assert {right.value for right in Right} - existing == set()


def test_every_api_view_names_its_rights_from_the_table():
    """A view names table entries; a configuration view needs its model's own rights
    (``model_right``, as the admin), which must be entries of the table too."""
    views = views_with_rights()
    assert {view.__module__ for view in views} >= API_VIEW_MODULES

    derived = {
        (view, method)
        for view in views
        if issubclass(view, ConfigurationView)
        for method in view.model_actions
    }
    outside = {
        f"{view.__module__}.{view.__qualname__} {method}: {right!r}"
        for view in views
        for method, right in view.required_rights.items()
        if right is not None
        and not isinstance(right, Right)
        and not ((view, method) in derived and right in set(Right))
    }
    assert outside == set()
    # Delete reasons, stations, printers, addons: list and record; customers: no DELETE.
    assert len(derived) == 4 * (2 + 3) + (2 + 2)


def test_a_configuration_view_needs_its_models_rights_as_the_admin_does():
    from tracker.api import StationDetailView, StationListView

    assert StationListView.required_rights == {
        "GET": Right.VIEW_STATION,
        "POST": Right.ADD_STATION,
    }
    assert StationDetailView.required_rights == {
        "GET": Right.VIEW_STATION,
        "PATCH": Right.CHANGE_STATION,
        "DELETE": Right.DELETE_STATION,
        "POST": Right.CHECK_IN,  # the check-in at the station
    }


def test_the_orders_api_names_exactly_the_rights_with_a_wire_name():
    wire_named = {right.wire_name: right for right in Right if right.wire_name is not None}

    assert wire_named == ORDERS_API_RIGHTS


# --- the admin's buttons check the entry the API checks --------------------------------------

# Order page button -> the Lab API v2 route (URL name) and method that make the same change.
BUTTON_API = {
    "hold": ("v2-order-hold", "POST"),
    "release": ("v2-order-release", "POST"),
    "cancel": ("v2-order", "DELETE"),
    "complete": ("v2-order-complete", "POST"),
    "print": ("v2-order-print-ticket", "POST"),
}


def api_right(url_name: str, method: str) -> Right:
    view_class = resolve(reverse(url_name, args=["1"])).func.view_class
    return view_class.required_rights[method]


@pytest.mark.parametrize(("button", "api"), BUTTON_API.items(), ids=list(BUTTON_API))
def test_each_order_page_button_needs_the_right_of_its_api_route(
    make_user, make_order, button, api
):
    order = make_order(on_hold=button == "release")
    staff = Client()
    staff.force_login(make_user(is_staff=True))

    response = staff.post(f"/admin/orders/order/{order.pk}/{button}/")

    right = api_right(*api)
    assert isinstance(right, Right)
    assert [(m.level, m.message) for m in get_messages(response.wsgi_request)] == [
        (ERROR, f"Permission denied — Requires: {right}")
    ]

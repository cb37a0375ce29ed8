"""The admin is staff-only (DESIGN.md, decision 6): every admin URL sends an anonymous visitor
and a logged-in non-staff user to the admin login page, staff see only the models their
permissions cover, and every form is CSRF-protected.

The URLs come from two sources that must agree: the URL resolver under ``/admin/`` (which
includes custom views such as the order's work ticket) and the admin site's model registry.
"""

import re
from urllib.parse import parse_qs, urlsplit

from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog

from accounts.models import ApiKey, ApiPartner
from orders.models import LabSettings, LabSettingsChange, Order, OrderItem
from orders.services import update_lab_settings
from printing.services import queue_ticket
from tracker.models import CompletionRequest
from webhooks.models import Subscription
from workstations.models import DisplayLink

from .conftest import lab_snapshot
from .endpoints import ADMIN_PREFIX, PARAMETER, walk

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
LOGOUT = "/admin/logout/"
INDEX = "/admin/"

# Admin routes that do not send an anonymous visitor to the login page, and why.
OPEN_ADMIN_ROUTES = {
    "admin/login/": "the login page itself",
    "admin/logout/": "logging out without a session: Django redirects to the index (then login)",
}

MODEL_VIEWS = ("changelist", "add", "history", "change", "delete")
APP_LIST = "(?P<app_label>"
CATCH_ALL = "(?P<url>"


@pytest.fixture
def admin_rows(lab_data, make_user):
    """At least one row of every model the admin shows, so object URLs point at real rows."""
    user = make_user(username="key-holder")
    ApiKey.issue(user=user, name="admin matrix key")
    ApiPartner.issue(name="Admin Matrix Partner", user=user)
    lockout = {"username": "someone", "ip_address": "192.0.2.1", "user_agent": "test"}
    AccessAttempt.objects.create(**lockout, failures_since_start=1)
    AccessLog.objects.create(**lockout)
    AccessFailureLog.objects.create(**lockout)
    update_lab_settings(actor=user, changes={"trays_required": True})
    CompletionRequest.objects.create(order=lab_data.order)
    Subscription.objects.create(
        url="https://hooks.example.com/lab"
    )  # the ticket's event: a delivery
    queue_ticket(order=lab_data.order, lpt_port="1", actor=None)
    DisplayLink.issue(name="Admin matrix wall", created_by=user)
    empty = [m.__name__ for m in admin.site._registry if not m._default_manager.exists()]
    assert empty == [], f"give these admin models a row: {empty}"
    return lab_data


def first_pk(model) -> str:
    pk = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    return str(pk) if pk is not None else "1"


def fill(route: str) -> list[str]:
    """Concrete admin paths for ``route``, with real primary keys."""
    if APP_LIST in route:
        labels = re.search(r"\(\?P<app_label>([^)]*)\)", route).group(1).split("|")
        return [f"/{ADMIN_PREFIX}{label}/" for label in labels]
    if CATCH_ALL in route:
        return [f"/{ADMIN_PREFIX}no-such-admin-page/"]
    assert "(?P<" not in route, f"{route}: a regex admin route this test cannot fill yet"

    segments = route[len(ADMIN_PREFIX) :].split("/")

    def value(match: re.Match) -> str:
        name = match["name"]
        if route.startswith(f"{ADMIN_PREFIX}r/"):
            if name == "content_type_id":
                return str(ContentType.objects.get_for_model(Order).pk)
            return first_pk(Order)
        if name in ("object_id", "id", "pk"):
            return first_pk(apps.get_model(segments[0], segments[1]))
        pytest.fail(f"{route}: no value for <{name}>")

    return ["/" + PARAMETER.sub(value, route)]


def admin_paths() -> dict[str, str]:
    """Every concrete admin path the resolver serves -> the route it came from."""
    paths = {}
    for route in walk():
        if route.route.startswith(ADMIN_PREFIX):
            for path in fill(route.route):
                paths[path] = route.route
    return paths


def registry_paths() -> set[str]:
    """The admin site's own idea of its pages: index, app lists, and each model's five views."""
    paths = {reverse("admin:index")}
    for model in admin.site._registry:
        opts = model._meta
        paths.add(reverse("admin:app_list", kwargs={"app_label": opts.app_label}))
        pk = first_pk(model)
        for view in MODEL_VIEWS:
            name = f"admin:{opts.app_label}_{opts.model_name}_{view}"
            args = [pk] if view in ("history", "change", "delete") else []
            paths.add(reverse(name, args=args))
    return paths


def assert_inside_the_admin(target: str, path: str) -> None:
    assert target.startswith(INDEX), f"{path} -> {target}"
    assert target != LOGIN, f"{path} -> {target}: the user is logged in"


def assert_sent_to_login(response, path: str) -> None:
    assert response.status_code == 302, f"{path}: {response.status_code}"
    location = urlsplit(response["Location"])
    assert location.path == LOGIN, f"{path} -> {response['Location']}"
    assert parse_qs(location.query)["next"] == [path], f"{path} -> {response['Location']}"


def test_the_resolver_and_the_registry_agree_on_the_admin_pages(admin_rows):
    walked = admin_paths()
    registered = registry_paths()
    assert registered <= set(walked), registered - set(walked)
    assert len(admin.site._registry) >= 14
    # Custom admin views are in the walk too (they are what a registry walk would miss).
    assert any(path.endswith("/ticket.pdf") for path in walked)
    assert f"/{ADMIN_PREFIX}no-such-admin-page/" in walked


def test_every_admin_url_sends_an_anonymous_visitor_to_the_login_page(admin_rows):
    client = Client()
    checked = 0
    for path, route in sorted(admin_paths().items()):
        if route in OPEN_ADMIN_ROUTES:
            continue
        for method in ("get", "post"):
            assert_sent_to_login(getattr(client, method)(path), path)
            checked += 1
    assert checked >= 2 * 80


def test_the_open_admin_routes_show_nothing_but_the_way_in(admin_rows):
    client = Client()
    assert set(OPEN_ADMIN_ROUTES) <= set(admin_paths().values())
    login = client.get(LOGIN)
    assert login.status_code == 200
    assert b'name="password"' in login.content
    logout = client.post(LOGOUT)
    assert logout.status_code == 302
    assert logout["Location"] == INDEX
    assert_sent_to_login(client.get(INDEX), INDEX)


def test_every_admin_url_refuses_a_logged_in_user_who_is_not_staff(admin_rows, make_user):
    # Even a user holding every right of the Supervisors group: the admin wants is_staff.
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=False))
    before = (Order.objects.count(), OrderItem.objects.count(), ApiKey.objects.count())
    for path, route in sorted(admin_paths().items()):
        if route in OPEN_ADMIN_ROUTES:
            continue
        # Django's answer to a non-staff session is the same as to no session: the login page.
        assert_sent_to_login(client.get(path), path)
        assert_sent_to_login(client.post(path, {"post": "yes"}), path)
    assert (Order.objects.count(), OrderItem.objects.count(), ApiKey.objects.count()) == before


def test_the_login_page_does_not_let_a_non_staff_user_in(make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed
    user = make_user(username="clerk", is_staff=False)
    user.set_password("a-long-enough-password")
    user.save()
    client = Client()
    response = client.post(
        LOGIN, {"username": "clerk", "password": "a-long-enough-password", "next": INDEX}
    )
    assert response.status_code == 200  # the form again, with an error
    assert b"staff account" in response.content
    assert_sent_to_login(client.get(INDEX), INDEX)


def test_staff_without_model_permissions_are_refused_on_every_model_page(admin_rows, make_user):
    client = Client()
    client.force_login(make_user(is_staff=True))
    registered = {(m._meta.app_label, m._meta.model_name) for m in admin.site._registry}
    before = lab_snapshot()
    checked = 0
    for path, route in sorted(admin_paths().items()):
        parts = route[len(ADMIN_PREFIX) :].split("/")
        if len(parts) < 3 or (parts[0], parts[1]) not in registered:
            continue  # site-wide pages: index, app lists, password change, ...
        checked += 1
        response = client.get(path)
        if response.status_code == 405:
            # A button (POST only) on an object's page: it refuses with 403, or by sending the
            # user back to an admin page with a message; either way nothing may change.
            response = client.post(path, {"reason": "CUS", "lpt_port": "1"})
            if response.status_code == 302:
                target = urlsplit(response["Location"]).path
                assert_inside_the_admin(target, path)
                continue
        elif response.status_code == 302:
            # A shortcut to another admin page (an object's change page, the one settings row),
            # which must refuse in turn; never the login page, the user is logged in.
            target = urlsplit(response["Location"]).path
            assert_inside_the_admin(target, path)
            response = client.get(target)
        assert response.status_code == 403, f"{path}: {response.status_code}"
    assert checked >= 6 * len(registered)
    assert lab_snapshot() == before


def test_admin_forms_are_csrf_protected(admin_rows, make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(is_staff=True, is_superuser=True))
    before = LabSettingsChange.objects.count(), ApiKey.objects.count()
    for path in (
        reverse("admin:accounts_apikey_add"),
        reverse("admin:orders_labsettings_change", args=[first_pk(LabSettings)]),
        reverse("admin:orders_order_changelist"),
    ):
        response = client.post(path, {"name": "x", "action": "cancel_selected"})
        assert response.status_code == 403, path
        assert b"CSRF" in response.content
    assert (LabSettingsChange.objects.count(), ApiKey.objects.count()) == before

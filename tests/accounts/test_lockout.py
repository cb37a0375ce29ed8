"""The login lockout of every login form (DESIGN.md, decision 11): django-axes, per user name and
client address, shared by the admin's login page and ``POST /api/auth``.

Real HTTP through ``django.test.Client``; the client's address is set as ``REMOTE_ADDR`` (and
``X-Forwarded-For`` where a proxy is in front).
"""

import json

from django.test import Client

import pytest
from axes.models import AccessAttempt

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 42"
LOGIN = "/admin/login/"
HERE = "198.51.100.7"
ELSEWHERE = "203.0.113.9"
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def staff(make_user):
    return make_user(username="desk", password=PASSWORD, is_staff=True, is_superuser=True)


def admin_login(password: str, *, address: str = HERE, forwarded: str | None = None, client=None):
    meta = {"REMOTE_ADDR": address}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    client = client or Client()
    return client.post(LOGIN, {"username": "desk", "password": password, "next": "/admin/"}, **meta)


def logged_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def lock_out(settings, **where) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = admin_login("wrong", **where)
        assert response.status_code == 200  # the form again, with its error


# --- the admin's login page -----------------------------------------------------------------------


def test_the_admin_login_page_is_locked_after_the_limit(staff, settings):
    lock_out(settings)

    response = admin_login("wrong")

    assert response.status_code == 429
    assert response["Content-Type"].startswith("text/html")
    assert "Too many failed logins" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= settings.AXES_COOLOFF_TIME.total_seconds()


def test_the_right_password_is_refused_while_locked(staff, settings):
    lock_out(settings)

    response = admin_login(PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in response.client.session


def test_the_same_user_from_another_address_still_logs_in(staff, settings):
    lock_out(settings)

    assert logged_in(admin_login(PASSWORD, address=ELSEWHERE))


def test_more_wrong_passwords_while_locked_do_not_prolong_the_lock(staff, settings):
    lock_out(settings)
    admin_login("wrong")

    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT


def test_a_lockout_through_the_api_locks_the_admin_too(staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = Client().post(
            "/api/auth",
            json.dumps({"UserName": "desk", "Password": "wrong"}),
            content_type="application/json",
            REMOTE_ADDR=HERE,
        )
        assert response.status_code == 401

    assert admin_login(PASSWORD).status_code == 429


def floor_login(password: str, *, address: str = HERE):
    return Client().post(
        "/ws/login/", {"username": "desk", "password": password}, REMOTE_ADDR=address
    )


def test_a_lockout_through_the_admin_locks_the_floor_pages_login_too(staff, settings):
    lock_out(settings)

    assert floor_login(PASSWORD).status_code == 429
    assert floor_login(PASSWORD, address=ELSEWHERE).status_code == 302  # logged in elsewhere


def test_failures_at_the_floor_pages_login_lock_the_admin_and_the_api_too(staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert floor_login("wrong").status_code == 200  # the form again, with its error

    assert admin_login(PASSWORD).status_code == 429
    api = Client().post(
        "/api/auth",
        json.dumps({"UserName": "desk", "Password": PASSWORD}),
        content_type="application/json",
        REMOTE_ADDR=HERE,
    )
    assert api.status_code == 429


# --- supervisors clear lockouts -------------------------------------------------------------------


def test_a_supervisor_sees_and_clears_a_lockout_in_the_admin(staff, make_user, settings):
    lock_out(settings)
    supervisor = Client()
    supervisor.force_login(make_user("Supervisors", username="sam", is_staff=True))

    page = supervisor.get("/admin/axes/accessattempt/")
    assert page.status_code == 200
    assert HERE in page.content.decode()
    assert "desk" in page.content.decode()
    ids = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = supervisor.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert response.status_code == 302

    assert not AccessAttempt.objects.exists()
    assert logged_in(admin_login(PASSWORD))


def test_a_supervisor_cannot_add_or_edit_access_attempts(staff, make_user, settings):
    lock_out(settings)
    supervisor = Client()
    supervisor.force_login(make_user("Supervisors", username="sam", is_staff=True))
    attempt = AccessAttempt.objects.get()

    assert supervisor.get("/admin/axes/accessattempt/add/").status_code == 403
    supervisor.post(f"/admin/axes/accessattempt/{attempt.pk}/change/", {"failures_since_start": 0})
    attempt.refresh_from_db()
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT


# --- the client's address behind a proxy ----------------------------------------------------------


def test_without_trusted_proxies_x_forwarded_for_is_ignored(staff, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    lock_out(settings, forwarded="192.0.2.1")

    # A client that writes another address in the header is still the same address.
    assert admin_login(PASSWORD, forwarded="192.0.2.200").status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HERE}


def test_behind_a_trusted_proxy_the_forwarded_address_counts(staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    lock_out(settings, address=PROXY, forwarded=HERE)

    assert admin_login(PASSWORD, address=PROXY, forwarded=HERE).status_code == 429
    # Another client behind the same proxy is not locked out.
    assert logged_in(admin_login(PASSWORD, address=PROXY, forwarded=ELSEWHERE))
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HERE}


def test_behind_a_trusted_proxy_what_the_client_wrote_in_front_is_ignored(staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    # The proxy appends the address it saw to whatever the client sent.
    lock_out(settings, address=PROXY, forwarded=f"192.0.2.1, {HERE}")

    response = admin_login(PASSWORD, address=PROXY, forwarded=f"192.0.2.250, {HERE}")

    assert response.status_code == 429


def test_behind_two_trusted_proxies_the_second_entry_from_the_right_counts(staff, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    lock_out(settings, address=PROXY, forwarded=f"192.0.2.1, {HERE}, 10.0.0.1")

    assert AccessAttempt.objects.get().ip_address == HERE

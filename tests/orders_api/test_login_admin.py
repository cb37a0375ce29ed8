"""Logins in the admin: login keys show their expiry, refused logins can be read and cleared."""

from datetime import timedelta

from django.utils import timezone

import pytest

from accounts.models import ApiKey, FailedLogin


@pytest.fixture
def login_key(make_user):
    api_key, _ = ApiKey.issue(user=make_user(username="desk"), name="login: front desk")
    ApiKey.objects.filter(pk=api_key.pk).update(
        from_login=True,
        device_name="front desk",
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    return api_key


def test_an_expired_login_key_is_listed_as_inactive(admin_client, login_key):
    page = admin_client.get("/admin/accounts/apikey/").content.decode()
    assert "login: front desk" in page
    assert 'alt="False"' in page  # the "active" column
    assert 'alt="True"' in page  # the "from login" column


def test_a_login_keys_page_shows_its_device_and_expiry(admin_client, login_key):
    page = admin_client.get(f"/admin/accounts/apikey/{login_key.pk}/change/").content.decode()
    assert "front desk" in page
    assert "Expires at" in page


def test_refused_logins_are_listed_and_deleting_them_lifts_the_lock(admin_client, settings):
    for _ in range(settings.LOGIN_FAILURES_PER_USER):
        FailedLogin.objects.create(username="desk", remote_addr="10.0.0.9")
    page = admin_client.get("/admin/accounts/failedlogin/").content.decode()
    assert "10.0.0.9" in page
    ids = list(FailedLogin.objects.values_list("pk", flat=True))
    admin_client.post(
        "/admin/accounts/failedlogin/",
        {"action": "delete_selected", "_selected_action": ids, "post": "yes"},
    )
    assert not FailedLogin.objects.exists()


def test_refused_logins_cannot_be_added_or_edited(admin_client):
    row = FailedLogin.objects.create(username="desk")
    assert admin_client.get("/admin/accounts/failedlogin/add/").status_code == 403
    admin_client.post(f"/admin/accounts/failedlogin/{row.pk}/change/", {"username": "other"})
    row.refresh_from_db()
    assert row.username == "desk"

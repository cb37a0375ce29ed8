"""Logins in the admin: login keys show their expiry. (Lockouts: tests/accounts/test_lockout.py.)"""

from datetime import timedelta

from django.utils import timezone

import pytest

from accounts.models import ApiKey


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

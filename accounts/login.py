"""Logins for API clients: a user name and password exchanged for an expiring API key.

A login issues an ``ApiKey`` that expires, with a refresh token (stored hashed, like the key)
that exchanges it for a fresh pair once; logout revokes the key. Failed attempts count towards
the lockout of every login form (``accounts.lockout``, django-axes): past the limit, that user
name is refused from that address until the cool-off has passed.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.db import transaction
from django.utils import timezone

from accounts import lockout
from accounts.models import ApiKey, hash_api_key


class LoginRefused(Exception):
    """Wrong user name or password, or an inactive user."""


class LoginThrottled(Exception):
    def __init__(self, wait_seconds: int):
        self.wait_seconds = wait_seconds
        super().__init__(f"retry after {wait_seconds} seconds")


class RefreshRefused(Exception):
    """Unknown, used, expired or revoked refresh token."""


class NotALoginKey(Exception):
    """Logout was asked with a key issued in the admin, not by a login."""


@dataclass
class IssuedLogin:
    api_key: ApiKey
    token: str
    refresh_token: str

    @property
    def expires_at(self) -> datetime:
        return self.api_key.expires_at


def _issue(user, device_name: str, now: datetime) -> IssuedLogin:
    name = f"login: {device_name or 'unnamed device'}"
    name_length = ApiKey._meta.get_field("name").max_length
    api_key, token = ApiKey.issue(user=user, name=name[:name_length])
    refresh_token = "ref_" + secrets.token_urlsafe(32)
    api_key.from_login = True
    api_key.device_name = device_name
    api_key.expires_at = now + timedelta(seconds=settings.LOGIN_TOKEN_SECONDS)
    api_key.refresh_hash = hash_api_key(refresh_token)
    api_key.refresh_expires_at = now + timedelta(seconds=settings.LOGIN_REFRESH_SECONDS)
    api_key.save(
        update_fields=[
            "from_login",
            "device_name",
            "expires_at",
            "refresh_hash",
            "refresh_expires_at",
        ]
    )
    return IssuedLogin(api_key=api_key, token=token, refresh_token=refresh_token)


def log_in(*, request, username: str, password: str, device_name: str) -> IssuedLogin:
    """Exchange a user name and password for an expiring key, through the lockout of every
    login form: raises ``LoginThrottled`` while this user name is locked from this address
    (even for the right password), ``LoginRefused`` for a wrong one."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        if getattr(request, "axes_locked_out", False):
            credentials = {"username": username}
            raise LoginThrottled(lockout.retry_after_seconds(request, credentials))
        raise LoginRefused
    # As the admin's login does: the lockout clears this user name's failures from this address.
    user_logged_in.send(sender=user.__class__, request=request, user=user)
    return _issue(user, device_name, timezone.now())


def refresh(*, refresh_token: str) -> IssuedLogin:
    """Exchange a refresh token for a new key and refresh token; the old key stops working."""
    now = timezone.now()
    with transaction.atomic():
        old = (
            ApiKey.objects.select_for_update()
            .select_related("user")
            .filter(
                refresh_hash=hash_api_key(refresh_token),
                revoked_at__isnull=True,
                refresh_expires_at__gt=now,
                user__is_active=True,
            )
            .first()
        )
        if old is None:
            raise RefreshRefused
        old.revoked_at = now
        old.refresh_hash = None
        old.save(update_fields=["revoked_at", "refresh_hash"])
        return _issue(old.user, old.device_name, now)


def log_out(api_key: ApiKey) -> None:
    if not api_key.from_login:
        raise NotALoginKey
    ApiKey.objects.filter(pk=api_key.pk).revoke()

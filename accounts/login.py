"""Logins for API clients: a user name and password exchanged for an expiring API key.

A login issues an ``ApiKey`` that expires, with a refresh token (stored hashed, like the key)
that exchanges it for a fresh pair once; logout revokes the key. Failed attempts are recorded
and, past a limit within a window, refuse further attempts for that user name or address.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiKey, FailedLogin, hash_api_key


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


def _window_start(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def _check_throttle(username: str, remote_addr: str, now: datetime) -> None:
    since = _window_start(now)
    for filters, limit in (
        ({"username": username}, settings.LOGIN_FAILURES_PER_USER),
        ({"remote_addr": remote_addr}, settings.LOGIN_FAILURES_PER_ADDRESS),
    ):
        recent = list(
            FailedLogin.objects.filter(at__gte=since, **filters)
            .order_by("-at")
            .values_list("at", flat=True)[:limit]
        )
        if len(recent) >= limit:
            # Free again when the oldest of the last ``limit`` failures leaves the window.
            wait = recent[-1] - since
            raise LoginThrottled(max(1, int(wait.total_seconds()) + 1))


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
    now = timezone.now()
    # Lower-casing can lengthen a name ("İ" -> "i̇"): cut to what the column holds.
    key = username.lower()[: FailedLogin._meta.get_field("username").max_length]
    remote_addr = request.META.get("REMOTE_ADDR", "")[:45]
    _check_throttle(key, remote_addr, now)
    user = authenticate(request, username=username, password=password)
    if user is None:
        FailedLogin.objects.create(username=key, remote_addr=remote_addr, at=now)
        # Keep the table small: what lies well outside the window is never read again.
        FailedLogin.objects.filter(at__lt=_window_start(now) - timedelta(days=1)).delete()
        raise LoginRefused
    return _issue(user, device_name, now)


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

"""The login lockout, one for every login (the admin's, the floor pages' ``/ws/login/`` and
``POST /api/auth``): django-axes.

Failures are counted per user name *and* client address (``AXES_LOCKOUT_PARAMETERS``): a wrong
password from one address locks that user name from that address only, so nobody can lock a
user out from everywhere. The settings (limit, cool-off, trusted proxies) are in
``labsite/settings.py``; supervisors see and clear lockouts in the admin (axes' access
attempts).
"""

import ipaddress
import math

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Max
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt

from toolkit.api import faces, problems

USERNAME_LENGTH = AccessAttempt._meta.get_field("username").max_length


def client_username(request, credentials: dict | None) -> str | None:
    """The user name an attempt counts against: as typed, in lower case (``Alice`` and
    ``alice`` are one user name to the lockout), cut to what the column holds."""
    username = (credentials or {}).get("username")
    if username is None:
        data = getattr(request, "data", None) or request.POST
        username = data.get("username") if hasattr(data, "get") else None
    if not isinstance(username, str):
        return None
    return username.lower()[:USERNAME_LENGTH]


def client_ip_address(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, behind ``TRUSTED_PROXY_COUNT`` reverse
    proxies that each append the address they saw to ``X-Forwarded-For``, that header's entry
    so many places from the right. Entries further left are whatever the client wrote."""
    remote_addr = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote_addr
    forwarded = [
        entry.strip()
        for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if entry.strip()
    ]
    if len(forwarded) < count:
        return remote_addr  # not through every proxy: only the sender's address is known
    try:
        return str(ipaddress.ip_address(forwarded[-count]))
    except ValueError:
        return remote_addr


def retry_after_seconds(request, credentials: dict | None) -> int:
    """Seconds until the lockout of this user name and address ends."""
    cool_off = get_cool_off(request)
    handler = AxesProxyHandler.get_implementation()
    latest = None
    for attempts in handler.get_user_attempts(request, credentials):
        at = attempts.aggregate(latest=Max("attempt_time"))["latest"]
        if at is not None and (latest is None or at > latest):
            latest = at
    if latest is None:
        return max(1, int(cool_off.total_seconds()))
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))


def lockout_response(request, original_response, credentials: dict | None) -> HttpResponse:
    """axes' answer to a locked-out login, in the shape of the face it came through: a problem
    (429, ``Retry-After``) under the Orders API, an HTML page (429) everywhere else."""
    wait = retry_after_seconds(request, credentials)
    face = faces.face_for_path(request.path)
    if face is not None and face.name == "Orders API":
        body = problems.problem_body(request, 429, f"Too many attempts: retry after {wait} seconds")
        problems.log_problem(body)
        response = JsonResponse(body, status=429, content_type=problems.CONTENT_TYPE)
    else:
        context = {"title": "Too many failed logins", "retry_after_minutes": math.ceil(wait / 60)}
        response = render(request, "admin/locked_out.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


class AtomicDatabaseHandler(AxesDatabaseHandler):
    """axes' database handler, with the check and the count of an attempt made one step.

    axes checks the failures before the password is tried and records a failure after, so
    concurrent wrong guesses all pass the check before any is counted. Here the check, under
    a lock on the user name and address, counts the attempt as a failure before the password
    is tried; a login that succeeds clears them (``AXES_RESET_ON_SUCCESS``), one that fails is
    already counted. At most ``AXES_FAILURE_LIMIT`` passwords are tried per user name and
    address and cool-off, however many arrive at once.
    """

    def is_allowed(self, request, credentials: dict | None = None) -> bool:
        if self.is_blacklisted(request, credentials):
            return False
        if self.is_whitelisted(request, credentials):
            return True
        with transaction.atomic(using=router.db_for_write(AccessAttempt)):
            self._lock(request, credentials)
            if self.is_locked(request, credentials):
                return False
            super().user_login_failed(None, credentials or {}, request)
            # Counted in advance: this attempt is not refused, whatever the count reached.
            request.axes_locked_out = False
            request.axes_attempt_counted = True
        return True

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None and getattr(request, "axes_attempt_counted", False):
            request.axes_attempt_counted = False  # counted when it was allowed
            return
        super().user_login_failed(sender, credentials, request, **kwargs)

    @staticmethod
    def _lock(request, credentials: dict | None) -> None:
        """Make attempts of one user name and address wait for each other. SQLite needs
        nothing: its transactions begin IMMEDIATE, one writer at a time."""
        connection = connections[router.db_for_write(AccessAttempt)]
        if connection.vendor != "postgresql":
            return
        key = f"axes:{get_client_username(request, credentials)}@{request.axes_ip_address}"
        with connection.cursor() as cursor:
            # An advisory lock: no row to lock exists before the first failure.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])

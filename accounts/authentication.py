"""API key authentication: ``Authorization: Token <key>`` or ``Authorization: Bearer <key>``."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from accounts import credentials
from accounts.models import hash_api_key

SCHEMES = {"token", "bearer"}
MAX_KEY_LENGTH = 200


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _, raw_key = header.partition(" ")
        raw_key = raw_key.strip()
        if scheme.lower() not in SCHEMES or not raw_key or len(raw_key) > MAX_KEY_LENGTH:
            raise AuthenticationFailed("Invalid authorization header")
        key_hash = hash_api_key(raw_key)
        api_key = credentials.usable_key(key_hash)
        if api_key is None:
            raise AuthenticationFailed("Invalid API key")
        note_use(api_key)
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="labsite"'


def note_use(credential) -> None:
    """Record that an API key or partner was used: its ``last_used_at``, written at most once
    per resolution window, so that reads stay free of writes."""
    now = timezone.now()
    resolution = timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS)
    if credential.last_used_at is None or now - credential.last_used_at >= resolution:
        type(credential).objects.filter(pk=credential.pk).update(last_used_at=now)
        credential.last_used_at = now

"""API key authentication: ``Authorization: Token <key>`` or ``Authorization: Bearer <key>``."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from labsite.models import ApiKey, hash_api_key

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
        api_key = (
            ApiKey.objects.usable()
            .select_related("user")
            .filter(key_hash=hash_api_key(raw_key))
            .first()
        )
        if api_key is None:
            raise AuthenticationFailed("Invalid API key")
        self._note_use(api_key)
        return api_key.user, api_key

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="labsite"'

    @staticmethod
    def _note_use(api_key: ApiKey) -> None:
        # Written at most once per resolution window, so reads stay free of writes.
        now = timezone.now()
        resolution = timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS)
        if api_key.last_used_at is None or now - api_key.last_used_at >= resolution:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now

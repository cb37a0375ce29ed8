"""API keys: how client systems authenticate. Only a hash of each key is stored."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX = "lab_"


def hash_api_key(raw_key: str) -> str:
    # Keys are 256-bit random values, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def usable(self):
        """Keys that authenticate now: not revoked, not expired, of an active user."""
        return self.filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=timezone.now()),
            revoked_at__isnull=True,
            user__is_active=True,
        )


class ApiKey(models.Model):
    """A named key that lets a client system act as a user. Revocable, never shown twice."""

    name = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    prefix = models.CharField(
        max_length=16, editable=False, help_text="The start of the key, to recognise it by."
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Keys issued by a login (POST /api/auth) expire and come with a refresh token; keys
    # created by a supervisor in the admin do not expire unless given a date.
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Leave empty for a key that does not expire."
    )
    from_login = models.BooleanField(default=False, editable=False)
    device_name = models.CharField(max_length=100, blank=True, default="", editable=False)
    refresh_hash = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False
    )
    refresh_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @classmethod
    def issue(cls, *, user, name: str) -> tuple["ApiKey", str]:
        """Create a key for ``user``. Returns the row and the raw key, which is not stored."""
        raw_key = KEY_PREFIX + secrets.token_urlsafe(32)
        api_key = cls.objects.create(
            user=user,
            name=name,
            prefix=raw_key[: len(KEY_PREFIX) + 6],
            key_hash=hash_api_key(raw_key),
        )
        return api_key, raw_key

    def revoke(self) -> None:
        if self.revoked_at is None:
            self.revoked_at = timezone.now()
            self.save(update_fields=["revoked_at"])


class FailedLogin(models.Model):
    """A refused login (POST /api/auth). Recent ones throttle further attempts."""

    username = models.CharField(max_length=150)
    remote_addr = models.CharField(max_length=45, blank=True, default="")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["username", "at"], name="failedlogin_user_at_idx"),
            models.Index(fields=["remote_addr", "at"], name="failedlogin_addr_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username} from {self.remote_addr or '?'}"


class WorkerHeartbeat(models.Model):
    """The last sign of life of one background worker process (Job Tracker, print spooler)."""

    kind = models.CharField(max_length=20)
    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True, default="")
    pid = models.PositiveIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    beat_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-beat_at"]
        indexes = [models.Index(fields=["kind", "beat_at"], name="heartbeat_kind_beat_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.hostname}:{self.pid}"

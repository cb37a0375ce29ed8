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
        return self.filter(revoked_at__isnull=True, user__is_active=True)


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

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

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

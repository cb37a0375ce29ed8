"""What the toolkit stores: the heartbeats of background worker processes."""

from django.db import models
from django.utils import timezone


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

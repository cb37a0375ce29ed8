"""The check-ins that make up each order's job history, and the completions the Job Tracker
works through. (Stations are ``orders.Station``: an order knows where it is.)"""

from django.db import models
from django.utils import timezone

from orders.models import Station, acting_user


class CheckIn(models.Model):
    """An order scanned in at a station: one line of the order's job history."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="checkins")
    station = models.ForeignKey(Station, on_delete=models.PROTECT, related_name="checkins")
    operator = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.PROTECT, related_name="operator_checkins"
    )
    at = models.DateTimeField(default=timezone.now)
    actor = acting_user()
    device = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="checkin_order_at_idx")]
        permissions = [("check_in", "Can check orders in at stations")]

    def __str__(self) -> str:
        return f"{self.order} at {self.station.code}"


class CompletionStatus(models.TextChoices):
    # A label not given is the name in title case ("Pending"), as Django derives it.
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class CompletionRequest(models.Model):
    """A completion accepted through the API, waiting for (or processed by) the Job Tracker.

    Written in the same transaction that flags the order, so once the client has its 201 the
    completion happens even if the tracker is down or restarted.
    """

    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="completion_requests"
    )
    status = models.CharField(
        max_length=10, choices=CompletionStatus.choices, default=CompletionStatus.PENDING
    )
    requested_at = models.DateTimeField(default=timezone.now)
    requested_by = acting_user()
    processed_at = models.DateTimeField(null=True, blank=True)
    processed_by = models.CharField(
        max_length=64, blank=True, default="", help_text="The tracker worker that processed it."
    )
    failure_reason = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-requested_at", "-id"]
        permissions = [("complete_order", "Can request the completion of orders")]
        constraints = [
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status="pending"),
                name="one_pending_completion_per_order",
            ),
        ]
        indexes = [
            models.Index(
                fields=["id"], condition=models.Q(status="pending"), name="completion_pending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"Completion of {self.order} ({self.get_status_display()})"

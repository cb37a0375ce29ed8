"""Webhook subscriptions, the events written with each order change (the outbox), and their
deliveries with every attempt (contracts/webhooks.md)."""

import base64
import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework.utils.encoders import JSONEncoder

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from orders.models import Customer, Order

from .destinations import validate_destination
from .event_types import EventType

# After this many failed attempts in a row, a subscription is shown as failing.
FAILING_AFTER = 10
# Deliveries and their attempts are kept this long after they end.
KEEP_DAYS = 30
SEAL_SALT = "labsite.webhooks.subscription-secret"
CUSTOMER_NUMBER_LENGTH = Customer._meta.get_field("number").max_length


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def _sealer() -> MultiFernet:
    """Seals subscription secrets with keys derived from SECRET_KEY (then its fallbacks, so
    that secrets sealed before a key rotation still open)."""
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet(
        [
            Fernet(
                base64.urlsafe_b64encode(
                    salted_hmac(SEAL_SALT, "", secret=key, algorithm="sha256").digest()
                )
            )
            for key in keys
        ]
    )


def seal(secret: str) -> str:
    return _sealer().encrypt(secret.encode()).decode()


def new_sealed_secret() -> str:
    return seal(new_secret())


class SecretUnreadable(Exception):
    """The sealed secret does not open with SECRET_KEY or its fallbacks."""


class SubscriptionQuerySet(models.QuerySet):
    def failing(self):
        """Active subscriptions whose last ``FAILING_AFTER`` deliveries all failed."""
        return self.filter(active=True, consecutive_failures__gte=FAILING_AFTER)


class Subscription(models.Model):
    """Where a client system wants order events POSTed, and which ones."""

    url = models.URLField(
        "URL",
        max_length=500,
        validators=[validate_destination],
        help_text="https:// only, except hosts listed in WEBHOOK_ALLOWED_HOSTS.",
    )
    events = models.JSONField(
        default=list, blank=True, help_text="Event types sent; none listed: all of them."
    )
    customer_numbers = models.JSONField(
        default=list, blank=True, help_text="Orders of these customers only; none: every order."
    )
    append_order_id = models.BooleanField(
        "append order id",
        default=False,
        help_text="Append ?orderid=<order number> to the URL (as Gooten does).",
    )
    active = models.BooleanField(
        default=True, help_text="Set off by the system when the receiver answers 410 Gone."
    )
    # The secret deliveries are signed with, shown once when made (create, rotate). Kept
    # sealed (Fernet, a key derived from SECRET_KEY): a database dump or a statement log shows
    # only the sealed form. ``secret`` reads and sets it in the clear.
    sealed_secret = models.TextField(default=new_sealed_secret, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        permissions = [("manage_webhooks", "Manage webhook subscriptions")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.url}"

    def save(self, *args, **kwargs):
        # An event type or customer named twice is kept once, whichever face saved it.
        self.events = list(dict.fromkeys(self.events))
        self.customer_numbers = list(dict.fromkeys(self.customer_numbers))
        super().save(*args, **kwargs)

    @property
    def secret(self) -> str:
        try:
            return _sealer().decrypt(self.sealed_secret.encode()).decode()
        except InvalidToken:
            raise SecretUnreadable(
                f"the secret of webhook subscription {self.pk} does not open with SECRET_KEY "
                "or SECRET_KEY_FALLBACKS: give the subscription a new secret"
            ) from None

    @secret.setter
    def secret(self, value: str) -> None:
        self.sealed_secret = seal(value)

    @property
    def failing(self) -> bool:
        return self.consecutive_failures >= FAILING_AFTER

    def clean(self):
        errors = {}
        if not isinstance(self.events, list) or any(
            event not in EventType.values for event in self.events
        ):
            errors["events"] = f"Each event must be one of: {', '.join(EventType.values)}."
        if not isinstance(self.customer_numbers, list) or any(
            not isinstance(number, str) or not 0 < len(number) <= CUSTOMER_NUMBER_LENGTH
            for number in self.customer_numbers
        ):
            errors["customer_numbers"] = (
                f"Each customer number must be text of 1 to {CUSTOMER_NUMBER_LENGTH} characters."
            )
        if errors:
            raise ValidationError(errors)

    def wants(self, event_type: str, customer_number: str | None) -> bool:
        """Whether an event of ``event_type`` about an order of ``customer_number`` is sent."""
        return (not self.events or event_type in self.events) and (
            not self.customer_numbers or customer_number in self.customer_numbers
        )


class Event(models.Model):
    """One order change as webhooks send it: written in the change's transaction when some
    subscription wants it, with the order's v2 fetch model as it stood after the change."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40, choices=EventType.choices)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="webhook_events")
    occurred_at = models.DateTimeField()
    # Encoded as the API's answers are (DRF's encoder: decimals as numbers, dates in ISO 8601).
    order_model = models.JSONField(
        encoder=JSONEncoder, help_text="The v2 fetch model of the order after the change."
    )

    class Meta:
        ordering = ["occurred_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"

    def body(self) -> dict:
        """What is POSTed (before encoding)."""
        at = self.occurred_at.astimezone(timezone.UTC)
        return {
            "id": str(self.id),
            "type": self.type,
            "occurredAt": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "order": self.order_model,
        }


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """An event on its way to one subscription: at least once, retried with backoff."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The event's order, here too: one order's deliveries to a subscription go in id order.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        # Not partial: a condition on the status is used only where the query's is written
        # out as literals, and the worker's queries bind their values.
        indexes = [
            # The worker's claim: due deliveries by status and time.
            models.Index(fields=["status", "next_attempt_at", "id"], name="delivery_due_idx"),
            # An order's earlier open delivery to the same subscription (per-order order).
            models.Index(fields=["subscription", "order", "id"], name="delivery_by_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} to #{self.subscription_id} ({self.get_status_display()})"


class Attempt(models.Model):
    """One POST of a delivery: when, what came back (or the error), how long it took."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_set")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True, default="")
    duration_ms = models.PositiveIntegerField()
    response_excerpt = models.CharField(
        max_length=1024, blank=True, default="", help_text="The first 1 KB of the answer."
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error}"

"""API keys, login tokens and API partners: how client systems authenticate. Only hashes of
keys are stored."""

import base64
import hashlib
import secrets
import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

KEY_PREFIX = "lab_"


class ShownOnce(str):
    """A secret shown to a person once (a new key on an admin page).

    It renders as itself, but its repr, which is what a log record or an error report shows
    of a template context or of local variables, does not give it away.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return "<secret, shown once>"


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

    def revoke(self) -> int:
        """Revoke the keys not revoked yet (their refresh tokens with them); how many."""
        return self.filter(revoked_at__isnull=True).update(
            revoked_at=timezone.now(), refresh_hash=None
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


def new_recipe_id() -> str:
    return str(uuid.uuid4())


def new_partner_billing_key() -> str:
    # Standard base64, like the vendor's keys: it holds "+", "/" and "=", which is why the
    # contract tells partners to URL-encode it in the query string.
    return base64.b64encode(secrets.token_bytes(32)).decode()


class ApiPartnerQuerySet(models.QuerySet):
    def usable(self):
        """Partners whose calls are accepted: active, acting as an active user."""
        return self.filter(is_active=True, user__is_active=True)

    def revoke(self) -> int:
        """Deactivate the partners still active; how many."""
        return self.filter(is_active=True).update(is_active=False)


class ApiPartner(models.Model):
    """A client system of the item-cancel contract (``PUT /api/orderCancel``).

    It calls with its public recipe id and its secret billing key in the query string, and acts
    with its user's rights. The key is stored only as a hash and shown once, when it is made
    (on creation and on rotation). Partners are deactivated, never deleted, so the order
    history that names them stays readable.
    """

    name = models.CharField(
        max_length=100, unique=True, help_text="Shown in the history of the orders it changes."
    )
    recipe_id = models.CharField(
        "recipe id",
        max_length=64,
        unique=True,
        default=new_recipe_id,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9._~-]+$",
                "Letters, digits and . _ ~ - only (nothing a URL would need to encode).",
            )
        ],
        help_text="Public: the partner sends it as recipeid. Generated unless you enter one.",
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text=(
            "Inactive partners are refused (401). Rotate the key before re-activating a "
            "partner whose key may have leaked."
        ),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_partners",
        help_text="The partner acts with this user's rights: it needs orders.cancel_order.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiPartnerQuerySet.as_manager()

    class Meta:
        verbose_name = "API partner"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def new_billing_key(self) -> str:
        """Give the partner a new billing key (the caller saves). Returns the raw key, which
        is not stored: the old key stops working once this is saved."""
        raw_key = new_partner_billing_key()
        self.key_hash = hash_api_key(raw_key)
        return raw_key

    @classmethod
    def issue(cls, *, name: str, user, recipe_id: str = "") -> tuple["ApiPartner", str]:
        """Create a partner with a new billing key. Returns the row and the raw key."""
        partner = cls(name=name, user=user, **({"recipe_id": recipe_id} if recipe_id else {}))
        raw_key = partner.new_billing_key()
        partner.save()
        return partner, raw_key

    def rotate_key(self) -> str:
        """Replace the billing key. Returns the new raw key; the old key stops working."""
        raw_key = self.new_billing_key()
        self.save(update_fields=["key_hash"])
        return raw_key

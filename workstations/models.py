"""The rights of the floor's pages. There is no table: a page's *Use* right is a permission on
this model, granted to users or groups in the admin like any other."""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class FloorPage(models.Model):
    class Meta:
        managed = False  # no table: the model only carries the rights
        default_permissions = ()
        permissions = [
            ("use_job_scan", "Use Job Scan"),
            ("use_tray_assignment", "Use Tray Assignment"),
            ("use_order_cancel", "Use Order Cancel"),
            ("use_pick_verification", "Use Pick Verification"),
            ("view_dynamic_display", "View Dynamic Display"),
        ]

    def __str__(self) -> str:
        return "The floor's pages"


def hash_display_token(token: str) -> str:
    # Tokens are 256-bit random values: a fast hash is enough, there is nothing to guess.
    return hashlib.sha256(token.encode()).hexdigest()


class DisplayLinkQuerySet(models.QuerySet):
    def usable(self):
        return self.filter(revoked_at__isnull=True)


class DisplayLink(models.Model):
    """A link that opens the Dynamic Display without a login, for a wall screen: it shows the
    board and nothing else, read-only. Its token is shown once, stored only as a hash, and the
    link stops working when revoked."""

    name = models.CharField(max_length=100, help_text="Where the screen hangs: “Surfacing wall”.")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DisplayLinkQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def issue(cls, *, name: str, created_by) -> tuple["DisplayLink", str]:
        """A new link and its token (the only time the token exists in clear)."""
        token = secrets.token_urlsafe(32)
        link = cls.objects.create(
            name=name, token_hash=hash_display_token(token), created_by=created_by
        )
        return link, token

    @classmethod
    def opened_by(cls, token: str) -> "DisplayLink | None":
        """The usable link ``token`` opens, or None."""
        if not token:
            return None
        return cls.objects.usable().filter(token_hash=hash_display_token(token)).first()

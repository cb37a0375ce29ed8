from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone

from accounts.admin import show_keys_once
from accounts.models import ShownOnce

from .models import DisplayLink


@admin.register(DisplayLink)
class DisplayLinkAdmin(admin.ModelAdmin):
    """Links that open the Dynamic Display on a wall screen without a login. The link is
    shown once, when it is made; revoke one that leaked or is no longer used."""

    list_display = ["name", "created_at", "created_by", "last_used_at", "is_active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    readonly_fields = ["created_at", "created_by", "last_used_at", "revoked_at"]
    actions = ["revoke_selected"]

    @admin.display(description="active", boolean=True)
    def is_active(self, link):
        return link.revoked_at is None

    def get_fields(self, request, obj=None):
        return ["name"] if obj is None else ["name", *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj is not None else []

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the list keeps what was handed out

    def save_model(self, request, obj, form, change):
        if change:
            return
        link, token = DisplayLink.issue(name=obj.name, created_by=request.user)
        obj.pk, obj.created_at = link.pk, link.created_at
        request._display_token = token  # exists only in this request: for response_add

    def response_add(self, request, obj, post_url_continue=None):
        url = request.build_absolute_uri(reverse("ws-display"))
        return show_keys_once(
            self,
            request,
            "admin/workstations/displaylink/created.html",
            "Display link created",
            link=obj,
            url=ShownOnce(f"{url}?token={request._display_token}"),
        )

    @admin.action(description="Revoke selected display links", permissions=["change"])
    def revoke_selected(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} display link(s).", messages.SUCCESS)

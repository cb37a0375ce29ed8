"""API keys in the admin: created here (the key is shown once), revoked here."""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone

from .models import ApiKey

admin.site.site_header = "labsite"
admin.site.site_title = "labsite"
admin.site.index_title = "Lab back office"


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "is_active"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    actions = ["revoke_selected"]
    fields = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    autocomplete_fields = ["user"]

    @admin.display(description="active", boolean=True)
    def is_active(self, api_key):
        return not api_key.is_revoked

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["name", "user", *self.readonly_fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead, so the key's history stays readable

    def save_model(self, request, obj, form, change):
        if change:
            return
        # The raw key exists only in this request: kept on the request for response_add.
        api_key, raw_key = ApiKey.issue(user=obj.user, name=obj.name)
        obj.pk, obj.prefix, obj.created_at = api_key.pk, api_key.prefix, api_key.created_at
        request._issued_api_key = (api_key, raw_key)

    def response_add(self, request, obj, post_url_continue=None):
        api_key, raw_key = request._issued_api_key
        context = {
            **self.admin_site.each_context(request),
            "title": "API key created",
            "api_key": api_key,
            "raw_key": raw_key,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "admin/labsite/apikey/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_selected(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)

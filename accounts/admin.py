"""API keys and API partners in the admin: created here (the key is shown once), revoked here;
partners' billing keys are rotated here. Login lockouts are django-axes' access attempts, which
its own admin lists (supervisors may view and delete them)."""

from django.contrib import admin, messages
from django.db import transaction
from django.template.response import TemplateResponse

from .models import ApiKey, ApiPartner, ShownOnce

admin.site.site_header = "labsite"
admin.site.site_title = "labsite"
admin.site.index_title = "Lab back office"


def show_keys_once(model_admin, request, template: str, title: str, **context):
    """The page that shows newly issued raw keys: the only time they are ever shown, so no
    cache may keep it."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.model._meta,
        **context,
    }
    response = TemplateResponse(request, template, context)
    response["Cache-Control"] = "no-store"
    return response


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "last_used_at",
        "expires_at",
        "from_login",
        "is_active",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "from_login"]
    list_select_related = ["user"]
    search_fields = ["name", "user__username", "prefix"]
    actions = ["revoke_selected"]
    readonly_fields = [
        "prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
        "from_login",
        "device_name",
        "expires_at",
    ]
    # The key's name and user are chosen when it is created, and never changed after.
    fields = ["name", "user", *readonly_fields]
    autocomplete_fields = ["user"]

    @admin.display(description="active", boolean=True)
    def is_active(self, api_key):
        return not api_key.is_revoked and not api_key.is_expired

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else self.readonly_fields

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
        return show_keys_once(
            self,
            request,
            "admin/accounts/apikey/created.html",
            "API key created",
            api_key=api_key,
            raw_key=ShownOnce(raw_key),
        )

    @admin.action(description="Revoke selected keys", permissions=["change"])
    def revoke_selected(self, request, queryset):
        count = queryset.revoke()
        self.message_user(request, f"Revoked {count} key(s).", messages.SUCCESS)


@admin.register(ApiPartner)
class ApiPartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "recipe_id", "user", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    list_select_related = ["user"]
    search_fields = ["name", "recipe_id", "user__username"]
    actions = ["rotate_keys", "revoke_selected"]
    fields = ["name", "recipe_id", "user", "is_active", "created_at", "last_used_at"]
    readonly_fields = ["created_at", "last_used_at"]
    autocomplete_fields = ["user"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "recipe_id", "user"]
        return self.fields

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ["recipe_id", *self.readonly_fields]  # the partner is configured with it
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the history of the orders it changed names it

    def save_model(self, request, obj, form, change):
        if not change:
            # The raw key exists only in this request: kept on the request for response_add.
            request._issued_partner_key = obj.new_billing_key()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_keys(request, "API partner created", [(obj, request._issued_partner_key)])

    def _show_keys(self, request, title: str, issued: list[tuple[ApiPartner, str]]):
        return show_keys_once(
            self,
            request,
            "admin/accounts/apipartner/keys.html",
            title,
            issued=[(partner, ShownOnce(key)) for partner, key in issued],
        )

    @admin.action(description="Rotate billing keys of selected partners…", permissions=["change"])
    def rotate_keys(self, request, queryset):
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": "Rotate billing keys",
                "partners": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/accounts/apipartner/rotate_keys.html", context)
        # All or none: a key rotated but never shown would lock its partner out.
        with transaction.atomic():
            issued = [(partner, partner.rotate_key()) for partner in queryset]
            for partner, _ in issued:
                self.log_change(request, partner, "Rotated the billing key.")
        return self._show_keys(request, "Billing keys rotated", issued)

    @admin.action(description="Revoke (deactivate) selected partners", permissions=["change"])
    def revoke_selected(self, request, queryset):
        partners = list(queryset.filter(is_active=True))
        ApiPartner.objects.filter(pk__in=[p.pk for p in partners]).revoke()
        for partner in partners:
            self.log_change(request, partner, "Revoked: deactivated.")
        self.message_user(request, f"Revoked {len(partners)} partner(s).", messages.SUCCESS)

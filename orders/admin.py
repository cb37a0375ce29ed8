"""Supervisor admin for stations, delete reasons and lab settings. (The order list and page,
which show the tracker's and the printer's panels, are the back office's: backoffice/admin.py.)
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from accounts.rights import Right
from toolkit.admin import ReadOnlyAdmin

from .models import (
    FLOW_OF_ADDON_FLAGS,
    Addon,
    Customer,
    DeleteReason,
    LabSettings,
    LabSettingsChange,
    OrderAddon,
    OrderEye,
    OrderPick,
    Product,
    Station,
)
from .rx import signed
from .services import update_lab_settings
from .settings_registry import GROUPS, LAB_SETTINGS


class OrderPanelInline(admin.TabularInline):
    """A read-only panel of the order page, shown to whoever may see the order."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(Right.VIEW_ORDER)


class OrderEyeInline(OrderPanelInline):
    """The prescription: a row per eye, right first, diopters signed with two decimals."""

    model = OrderEye
    verbose_name_plural = "prescription"
    fields = [
        "eye",
        "lens_style",
        "lens_material",
        "sphere_shown",
        "cylinder_shown",
        "axis",
        "add_shown",
        "prism",
        "prism_base",
        "pd",
        "near_pd",
        "seg_height",
        "opc",
        "calculated",
    ]
    readonly_fields = fields

    @admin.display(description="sphere")
    def sphere_shown(self, eye):
        return signed(eye.sphere)

    @admin.display(description="cylinder")
    def cylinder_shown(self, eye):
        return signed(eye.cylinder)

    @admin.display(description="add")
    def add_shown(self, eye):
        return signed(eye.add)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "ship_to_postal_code", "active"]
    list_filter = ["active"]
    search_fields = ["number", "name", "ship_to_name"]
    fieldsets = [
        (None, {"fields": ["number", "name", "active"]}),
        (
            "Ship to",
            {
                "fields": [
                    "ship_to_name",
                    "ship_to_address1",
                    "ship_to_address2",
                    "ship_to_address3",
                    "ship_to_address4",
                    "ship_to_postal_code",
                ]
            },
        ),
    ]

    def has_delete_permission(self, request, obj=None):
        # Customers with orders are deactivated, not deleted (the orders keep pointing at them).
        if obj is not None and obj.orders.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Addon)
class AddonAdmin(admin.ModelAdmin):
    """Addons: what a job may have applied to its lenses; each flag is a flow step the jobs
    that order it require."""

    list_display = ["code", "description", "flow_steps", "active"]
    list_filter = ["active", "is_ar", "is_tint"]
    search_fields = ["code", "description", "external_code"]
    fieldsets = [
        (None, {"fields": ["code", "description", "external_code", "active"]}),
        (
            "Flow steps the jobs that order it require",
            {"fields": list(FLOW_OF_ADDON_FLAGS)},
        ),
        (None, {"fields": ["exclude_from_rx_site"]}),
    ]

    @admin.display(description="flow steps")
    def flow_steps(self, addon):
        return ", ".join(
            str(Addon._meta.get_field(flag).verbose_name)
            for flag in FLOW_OF_ADDON_FLAGS
            if getattr(addon, flag)
        )

    def has_delete_permission(self, request, obj=None):
        # An addon some order has is deactivated, not deleted (the orders keep pointing at it).
        if obj is not None and OrderAddon.objects.filter(addon=obj).exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    """The stock catalogue: what stock orders (addStock) may name; only priced products."""

    list_display = ["code", "kind", "description", "price"]
    list_filter = ["kind"]
    search_fields = ["code", "description"]


class OrderAddonInline(OrderPanelInline):
    """The order's addons, in the order the client gave them."""

    model = OrderAddon
    verbose_name_plural = "addons"
    fields = ["position", "addon", "description"]
    readonly_fields = fields

    @admin.display(description="description")
    def description(self, row):
        return row.addon.description

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("addon")


class OrderPickInline(OrderPanelInline):
    """What pick verification recorded for the order: each item's code, who and when."""

    model = OrderPick
    verbose_name_plural = "picks"
    fields = ["item", "code", "picked_at", "picked_by"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("picked_by").order_by("picked_at")


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "description",
        "customer_description",
        "flow_step",
        "is_operator",
        "non_cancel",
        "requires_operator",
    ]
    list_filter = ["flow_step", "is_operator", "non_cancel", "requires_operator"]
    search_fields = ["code", "description", "customer_description"]


@admin.register(DeleteReason)
class DeleteReasonAdmin(admin.ModelAdmin):
    list_display = ["code", "description", "active"]
    list_filter = ["active"]
    search_fields = ["code", "description"]
    actions = ["deactivate_selected"]

    def has_delete_permission(self, request, obj=None):
        return False  # cancelled orders keep pointing at their reason: deactivate instead

    def get_readonly_fields(self, request, obj=None):
        return ["code"] if obj is not None else []

    @admin.action(description="Deactivate selected reasons", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        count = queryset.filter(active=True).update(active=False)
        self.message_user(request, f"Deactivated {count} reason(s).", messages.SUCCESS)


@admin.register(LabSettings)
class LabSettingsAdmin(admin.ModelAdmin):
    """One page for the single settings row; saving goes through the service (with history).

    Each setting's label, explanation and place come from ``orders.settings_registry``."""

    fieldsets = [
        (
            group.title,
            {
                "fields": [setting.field for setting in LAB_SETTINGS if setting.group == group],
                "description": group.description,
            },
        )
        for group in GROUPS
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        lab = LabSettings.load()
        return HttpResponseRedirect(reverse("admin:orders_labsettings_change", args=[lab.pk]))

    def save_model(self, request, obj, form, change):
        update_lab_settings(
            actor=request.user,
            changes={name: form.cleaned_data[name] for name in form.changed_data},
        )


@admin.register(LabSettingsChange)
class LabSettingsChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor_name", "setting", "from_value", "to_value"]
    list_filter = ["setting"]

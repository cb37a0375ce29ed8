"""Supervisor admin for orders, delete reasons and lab settings.

Orders are read-only here: every change goes through the services (the same ones the API
calls), via the actions, and a refusal is shown with the message an API client would get.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from printing.ticket import render_ticket
from tracker.admin import CheckInInline, CompletionInline

from .errors import DomainError
from .identifiers import ORDER_NUMBER_RE
from .models import DeleteReason, LabSettings, LabSettingsChange, Order, OrderEvent, OrderItem
from .services import cancel_order, hold_order, release_order, update_lab_settings


class MomentSetFilter(admin.SimpleListFilter):
    """Yes / No on whether the order has a moment recorded in ``field`` (cancelation, ...)."""

    field = ""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(**{f"{self.field}__isnull": self.value() == "no"})
        return queryset


class CancelledFilter(MomentSetFilter):
    title = "marked for cancelation"
    parameter_name = "cancelled"
    field = "cancelled_at"


class ProcessedFilter(MomentSetFilter):
    title = "released to endpoints"
    parameter_name = "processed"
    field = "processed_at"


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    fields = ["sku", "name", "quantity", "status", "endpoint_statuses"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        # Items are part of the order: whoever may see the order sees its items (the groups
        # grant no separate right on items).
        return request.user.has_perm("orders.view_order")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("endpoints")

    @admin.display(description="endpoints")
    def endpoint_statuses(self, item):
        return ", ".join(f"{e.name}: {e.status}" for e in item.endpoints.all()) or "—"


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    verbose_name_plural = "history"
    fields = ["at", "kind", "actor_name", "from_value", "to_value", "reason", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CancelForm(forms.Form):
    reason = forms.ModelChoiceField(
        queryset=DeleteReason.objects.filter(active=True), required=False, to_field_name="code"
    )


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "tray",
        "po_number",
        "state_display",
        "on_hold",
        "is_cancelled",
        "pending_completion",
        "processing_status",
        "current_station",
        "date_wanted",
    ]
    list_select_related = ["current_station"]
    list_filter = [
        "state",
        "on_hold",
        CancelledFilter,
        "pending_completion",
        ProcessedFilter,
        "processing_status",
        "job_type",
    ]
    search_fields = ["number"]  # enables the box; get_search_results does the matching
    search_help_text = "Order number, tray number or PO number (exact)."
    inlines = [OrderItemInline, CheckInInline, CompletionInline, OrderEventInline]
    actions = ["hold_selected", "release_selected", "cancel_selected"]
    show_full_result_count = False
    readonly_fields = [
        f.name for f in Order._meta.get_fields() if f.concrete and not f.auto_created
    ]

    def has_add_permission(self, request):
        return False  # orders arrive through the API

    def get_readonly_fields(self, request, obj=None):
        return ["work_ticket", *self.readonly_fields]

    @admin.display(description="work ticket")
    def work_ticket(self, order):
        if order.pk is None:
            return "—"
        url = reverse("admin:orders_order_ticket", args=[order.pk])
        return format_html('<a href="{}" target="_blank">View the work ticket (PDF)</a>', url)

    def get_urls(self):
        ticket = self.admin_site.admin_view(self.ticket_view)
        return [
            path("<int:pk>/ticket.pdf", ticket, name="orders_order_ticket"),
            *super().get_urls(),
        ]

    def ticket_view(self, request, pk: int):
        """The order's work ticket, rendered now, shown inline in the browser."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        order = get_object_or_404(Order.objects.for_display(), pk=pk)
        document = render_ticket(order, paper_size=LabSettings.load().ticket_paper_size)
        response = HttpResponse(document, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="ticket-{order.number}.pdf"'
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    def has_delete_permission(self, request, obj=None):
        return False  # nothing is ever hard-deleted; cancel instead

    @admin.display(description="status", ordering="state")
    def state_display(self, order):
        return "On Hold" if order.on_hold else order.get_state_display()

    @admin.display(description="cancelled", boolean=True, ordering="cancelled_at")
    def is_cancelled(self, order):
        return order.is_cancelled

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(tray=term) | Q(po_number=term)
        if ORDER_NUMBER_RE.fullmatch(term):
            match |= Q(number=int(term))
        return queryset.filter(match), False

    # --- actions: each calls the service per order and reports refusals -------------------

    def _apply(self, request, queryset, verb: str, service) -> None:
        done, refused = 0, []
        for order in queryset:
            try:
                service(order)
                done += 1
            except DomainError as error:
                refused.append(f"{order.number}: {error.message}")
        if done:
            self.message_user(request, f"{verb} {done} order(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"Not {verb.lower()} — {line}", messages.ERROR)

    @admin.action(description="Put selected orders on hold", permissions=["hold"])
    def hold_selected(self, request, queryset):
        self._apply(request, queryset, "Held", lambda o: hold_order(order=o, actor=request.user))

    @admin.action(description="Release selected orders from hold", permissions=["hold"])
    def release_selected(self, request, queryset):
        self._apply(
            request, queryset, "Released", lambda o: release_order(order=o, actor=request.user)
        )

    @admin.action(description="Cancel selected orders…", permissions=["cancel"])
    def cancel_selected(self, request, queryset):
        form = CancelForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._apply(
                request,
                queryset,
                "Cancelled",
                lambda o: cancel_order(
                    order=o, actor=request.user, reason_code=reason.code if reason else None
                ),
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Cancel orders",
            "orders": queryset,
            "form": form,
            "reason_required": LabSettings.load().enter_reason_code_when_deleting_order,
            "opts": self.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/orders/order/cancel_selected.html", context)

    def has_hold_permission(self, request):
        return request.user.has_perm("orders.hold_order")

    def has_cancel_permission(self, request):
        return request.user.has_perm("orders.cancel_order")


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
    """One page for the single settings row; saving goes through the service (with history)."""

    fieldsets = [
        ("Cancelling orders", {"fields": ["enter_reason_code_when_deleting_order"]}),
        (
            "Job tracking",
            {
                "fields": [
                    "job_tracker_module_installed",
                    "jobtrack_station_verify",
                    "tracker_heartbeat_seconds",
                    "allow_hold_orders",
                ]
            },
        ),
        ("Work tickets", {"fields": ["trays_required", "ticket_paper_size"]}),
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
class LabSettingsChangeAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "setting", "from_value", "to_value"]
    list_filter = ["setting"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

"""The supervisor's order list and order page, with the tracker's and the printer's panels.

Orders are read-only here: every change goes through the services (the same ones the API
calls), via the list's actions or the order page's buttons (backoffice/admin_views.py), and a
refusal is shown with the message an API client would get.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.rights import Right
from orders.admin import OrderAddonInline, OrderEyeInline, OrderPickInline
from orders.errors import DomainError
from orders.identifiers import ORDER_NUMBER_RE, parse_public_id
from orders.models import ACTIVE_ORDER, DeleteReason, LabSettings, Order
from orders.services import cancel_order, hold_order, release_order
from printing.ticket import render_ticket
from tracker.admin import CheckInInline, CompletionInline
from webhooks.admin import DeliveryInline

from . import admin_views, order_entry


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


class YesNoFilter(admin.SimpleListFilter):
    """Yes / No on a condition of the order (``condition``, a Q object)."""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def condition(self) -> Q:
        raise NotImplementedError

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(self.condition())
        if self.value() == "no":
            return queryset.exclude(self.condition())
        return queryset


class WorkInProgressFilter(YesNoFilter):
    """In progress: neither completed nor marked for cancelation (the dashboard's orders)."""

    title = "in progress"
    parameter_name = "wip"

    def condition(self) -> Q:
        return ACTIVE_ORDER


class HasTrayFilter(YesNoFilter):
    title = "has a tray"
    parameter_name = "has_tray"

    def condition(self) -> Q:
        return ~Q(tray="")


class OverdueFilter(YesNoFilter):
    """Overdue: in progress, and the date wanted has passed."""

    title = "overdue"
    parameter_name = "overdue"

    def condition(self) -> Q:
        return ACTIVE_ORDER & Q(date_wanted__lt=timezone.localdate())


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
        WorkInProgressFilter,
        "state",
        "on_hold",
        CancelledFilter,
        "current_station",
        OverdueFilter,
        HasTrayFilter,
        "pending_completion",
        ProcessedFilter,
        "processing_status",
        "job_type",
        "stock_order",
        "customer",
    ]
    date_hierarchy = "received_at"
    search_fields = ["number"]  # enables the box; get_search_results does the matching
    search_help_text = "Order number, tray number, PO number or public id (exact)."
    # The order page draws items and history itself (templates/admin/orders/order/).
    inlines = [
        OrderEyeInline,
        OrderAddonInline,
        OrderPickInline,
        CheckInInline,
        CompletionInline,
        DeliveryInline,
    ]
    actions = ["hold_selected", "release_selected", "cancel_selected"]
    # Lists stay fast on large tables: no second COUNT(*) over all orders, no per-filter
    # counts, and a page count that reads a bounded number of rows.
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = admin_views.BoundedCountPaginator
    readonly_fields = [
        f.name for f in Order._meta.get_fields() if f.concrete and not f.auto_created
    ]

    def has_add_permission(self, request):
        # Orders arrive through the API; a supervisor enters one through the same service.
        return request.user.has_perm(Right.CREATE_ORDER)

    def add_view(self, request, form_url="", extra_context=None):
        return order_entry.order_entry_view(request, self.admin_site, self)

    fieldsets = [
        (
            "Order",
            {
                "fields": [
                    ("number", "tray", "po_number"),
                    ("customer", "customer_job_id"),
                    ("patient", "job_type", "stock_order", "calculation_description"),
                    ("ticket_id", "ticket_name"),
                    "work_ticket",
                ]
            },
        ),
        (
            "Lenses and frame",
            {
                "fields": [
                    ("balance_lens", "corridor_length", "crib", "ellh"),
                    ("frame_manufacturer", "frame_name", "frame_color", "frame_status_code"),
                    ("frame_a", "frame_b", "frame_ed", "frame_bridge"),
                    ("frame_eye", "frame_circumference"),
                    ("frame_sku", "frame_upc", "frame_part_sku", "frame_side_shield_sku"),
                    ("misc1_sku", "misc2_sku", "warehouse"),
                    "instructions",
                ]
            },
        ),
        (
            "Dates",
            {
                "fields": [
                    ("date_ordered", "date_wanted"),
                    ("received_at", "valid_at", "completed_at"),
                ]
            },
        ),
        (
            "State",
            {
                "fields": [
                    ("state", "on_hold", "pending_completion"),
                    "unvalid_message",
                    ("current_station", "current_station_at"),
                    ("processed_at", "processing_status"),
                    ("cancelled_at", "cancelled_by", "cancel_reason"),
                ]
            },
        ),
        (
            "Flow requirements",
            {
                "classes": ["collapse"],
                "fields": [
                    ("requires_backside_coat", "requires_ar_coat", "requires_tint"),
                    ("requires_mirror", "requires_uv", "requires_hard_coat"),
                    ("requires_polish", "requires_etching", "requires_drop_ball"),
                    "requires_final_qa",
                ],
            },
        ),
        (
            "Origin",
            {
                "classes": ["collapse"],
                "fields": [("created_by", "created_device"), ("public_id", "version")],
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["work_ticket", "calculation_description", *self.readonly_fields]

    @admin.display(description="work ticket")
    def work_ticket(self, order):
        if order.pk is None:
            return "—"
        url = reverse("admin:orders_order_ticket", args=[order.pk])
        return format_html('<a href="{}" target="_blank">View the work ticket (PDF)</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/ticket.pdf", view(self.ticket_view), name="orders_order_ticket"),
            path("<int:pk>/hold/", view(admin_views.hold_view), name="orders_order_hold"),
            path("<int:pk>/release/", view(admin_views.release_view), name="orders_order_release"),
            path("<int:pk>/cancel/", view(admin_views.cancel_view), name="orders_order_cancel"),
            path(
                "<int:pk>/complete/", view(admin_views.complete_view), name="orders_order_complete"
            ),
            path("<int:pk>/print/", view(admin_views.print_view), name="orders_order_print"),
            path(
                "<int:pk>/calculation/",
                view(admin_views.calculation_view),
                name="orders_order_calculation",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        order = self.get_object(request, object_id)
        context = {
            # Nothing on the form is editable: changes are the buttons above it.
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            **(extra_context or {}),
        }
        if order is not None and self.has_view_permission(request, order):
            context["panel"] = admin_views.order_page_context(request, order)
        return super().change_view(request, object_id, form_url, extra_context=context)

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
        # Every identifier the API accepts, matched exactly (each one indexed). Unlike the
        # API, which picks one order, the list shows all matches: trays are reused over time.
        match = Q(tray=term) | Q(po_number=term)
        if ORDER_NUMBER_RE.fullmatch(term):
            match |= Q(number=int(term))
        if (public_id := parse_public_id(term)) is not None:
            match |= Q(public_id=public_id)
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
        return request.user.has_perm(Right.HOLD_ORDER)

    def has_cancel_permission(self, request):
        return request.user.has_perm(Right.CANCEL_ORDER)

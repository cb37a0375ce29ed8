"""Admin for each order's job history, and the Job Tracker's completion requests."""

from django.contrib import admin

from orders.admin import OrderPanelInline
from toolkit.admin import ReadOnlyAdmin

from .models import CheckIn, CompletionRequest


class CheckInInline(OrderPanelInline):
    """The order's job history: every station it was checked in at."""

    model = CheckIn
    fk_name = "order"
    verbose_name_plural = "job history (check-ins)"
    fields = ["at", "station", "operator", "actor", "device"]
    readonly_fields = fields
    ordering = ["at", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("station", "operator", "actor")


class CompletionInline(OrderPanelInline):
    model = CompletionRequest
    verbose_name_plural = "completion requests"
    fields = ["requested_at", "requested_by", "status", "processed_at", "failure_reason"]
    readonly_fields = fields


@admin.register(CompletionRequest)
class CompletionRequestAdmin(ReadOnlyAdmin):
    """Pending completions wait for the Job Tracker; failed ones say why it refused."""

    list_display = [
        "order",
        "status",
        "requested_at",
        "requested_by",
        "processed_at",
        "processed_by",
        "failure_reason",
    ]
    list_filter = ["status"]
    list_select_related = ["order", "requested_by"]
    search_fields = ["order__number"]
    readonly_fields = list_display
    show_full_result_count = False

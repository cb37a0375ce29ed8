"""Admin for printers, workstations and their LPT ports, and print jobs."""

from django.conf import settings
from django.contrib import admin, messages

from accounts.rights import Right
from toolkit.workers import worker_is_alive

from .errors import PrinterDisabled
from .models import Printer, PrintJob, PrintStatus, Workstation, WorkstationPort
from .services import SPOOLER, queue_test_page, retry_job


@admin.register(Printer)
class PrinterAdmin(admin.ModelAdmin):
    list_display = ["name", "driver", "target", "enabled"]
    list_filter = ["driver", "enabled"]
    search_fields = ["name"]
    actions = ["print_test_page"]

    @admin.action(description="Print a test page", permissions=["change"])
    def print_test_page(self, request, queryset):
        # Queued for the spooler, never sent from the web process: a printer that does not
        # answer would hold the request (and the worker serving it) for its timeouts.
        for printer in queryset:
            try:
                job = queue_test_page(printer=printer, actor=request.user)
            except PrinterDisabled as refusal:
                self.message_user(request, f"{printer.name}: {refusal.details[0]}", messages.ERROR)
            else:
                self.message_user(request, f"{printer.name}: test page queued (print job {job.pk})")
        window = settings.PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS
        if not worker_is_alive(SPOOLER, within_seconds=window):
            self.message_user(
                request,
                "No print spooler is running: the test pages print when one starts.",
                messages.WARNING,
            )


class WorkstationPortInline(admin.TabularInline):
    """The LPT ports are part of their workstation: the groups hold rights on Workstation, not
    on this row model, so the inline follows the workstation's rights."""

    model = WorkstationPort
    fields = ["number", "printer"]
    extra = 0
    max_num = 9
    ordering = ["number"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm(Right.VIEW_WORKSTATION) or self.has_change_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm(Right.CHANGE_WORKSTATION)

    def has_add_permission(self, request, obj=None):
        return request.user.has_perm(Right.CHANGE_WORKSTATION)

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm(Right.CHANGE_WORKSTATION)


@admin.register(Workstation)
class WorkstationAdmin(admin.ModelAdmin):
    list_display = ["code", "description"]
    inlines = [WorkstationPortInline]


@admin.register(PrintJob)
class PrintJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "kind",
        "order",
        "printer",
        "port_name",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
    ]
    list_filter = ["status", "kind", "printer"]
    list_select_related = ["order", "printer"]
    search_fields = ["order__number"]
    readonly_fields = [f.name for f in PrintJob._meta.fields]
    actions = ["retry_selected"]
    show_full_result_count = False

    # The driver's own error text only for those who may change printers (PrintJob
    # .error_shown_to); everyone else sees that the printer did not answer.
    def get_list_display(self, request):
        if request.user.has_perm(Right.CHANGE_PRINTER):
            return self.list_display
        return [("error" if name == "last_error" else name) for name in self.list_display]

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if request.user.has_perm(Right.CHANGE_PRINTER):
            return fields
        return [("error" if name == "last_error" else name) for name in fields]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "error"]

    @admin.display(description="last error")
    def error(self, job):
        return job.plain_error

    @admin.display(description="port")
    def port_name(self, job):
        return f"LPT{job.port}" if job.port else "-"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry selected failed jobs", permissions=["change"])
    def retry_selected(self, request, queryset):
        retried = sum(retry_job(job) for job in queryset.filter(status=PrintStatus.FAILED))
        self.message_user(request, f"Queued {retried} failed job(s) again.")

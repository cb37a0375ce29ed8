"""Supervisor admin for stations, delete reasons and lab settings. (The order list and page,
which show the tracker's and the printer's panels, are the back office's: backoffice/admin.py.)
"""

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from .models import DeleteReason, LabSettings, LabSettingsChange, Station
from .services import update_lab_settings


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


# What each setting changes, in plain words: for supervisors here, and for the API clients
# whose answers it changes (the texts quote the API's error messages).
SETTING_EXPLANATIONS = {
    "enter_reason_code_when_deleting_order": (
        "On: cancelling an order needs a reason code, both from API clients (the deleteReason "
        "parameter of DELETE /api/v2/orders/{id}) and on an order's page here. Without one, or "
        'with a code that is not an active delete reason, the API answers 400 "Delete '
        'reason code does not exist"; while no active delete reason exists at all, it '
        'answers 400 "The delete reasons file is empty". The reason is kept with the '
        "order and shown in its history. Off: no reason is needed; one sent anyway is ignored, "
        "and the answer's message says so."
    ),
    "job_tracker_module_installed": (
        'Off: no order can be cancelled. The API answers 400 "Job Tracker module required '
        'for cancel method" (the vendor ties cancelling to this module).'
    ),
    "jobtrack_station_verify": (
        "On: a check-in at a station whose flow step the order does not require is refused "
        '(e.g. "AR not needed"), and completion is refused while a required flow step '
        'has no check-in (code 20, e.g. "Needs AR Coat!"). Off: any station, any time.'
    ),
    "tracker_heartbeat_seconds": (
        "How recently the Job Tracker (run_tracker) must have reported for completions to be "
        'accepted. Past it, completing an order answers 503, code 30 "Job Tracker is not '
        'running", and nothing is queued. The dashboard shows the tracker red past it.'
    ),
    "allow_hold_orders": (
        'Off: putting an order on hold is refused with 400 "Hold orders are not '
        'allowed". Orders already on hold can still be released.'
    ),
    "trays_required": (
        "On: a work ticket prints only for an order that has a tray; otherwise print_ticket "
        'answers 400 "Printing request rejected" with "Order waiting for '
        'tray". Off: tickets print with or without a tray.'
    ),
    "ticket_paper_size": (
        "The paper the work tickets are laid out for, printed or viewed here: Letter or A4."
    ),
}


class LabSettingsForm(forms.ModelForm):
    class Meta:
        model = LabSettings
        fields = list(SETTING_EXPLANATIONS)
        help_texts = SETTING_EXPLANATIONS


@admin.register(LabSettings)
class LabSettingsAdmin(admin.ModelAdmin):
    """One page for the single settings row; saving goes through the service (with history)."""

    form = LabSettingsForm
    fieldsets = [
        (
            "Cancelling orders",
            {
                "fields": ["enter_reason_code_when_deleting_order"],
                "description": (
                    "Cancelling marks an order for cancelation; nothing is deleted. The order "
                    "keeps its data and history, its tray becomes free, and its queued work "
                    "tickets are not printed. These rules apply to API clients and to this "
                    "admin alike."
                ),
            },
        ),
        (
            "Job tracking",
            {
                "fields": [
                    "job_tracker_module_installed",
                    "jobtrack_station_verify",
                    "tracker_heartbeat_seconds",
                    "allow_hold_orders",
                ],
                "description": (
                    "How orders move through the stations, are held, and are completed by the "
                    "Job Tracker."
                ),
            },
        ),
        (
            "Work tickets",
            {
                "fields": ["trays_required", "ticket_paper_size"],
                "description": "When work tickets may print, and on what paper.",
            },
        ),
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

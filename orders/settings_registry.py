"""Every lab setting, declared once.

The lab settings are one row (``orders.models.LabSettings``), edited in the admin and through
``/api/v2/settings``, each change recorded in ``LabSettingsChange``. A setting is the model's
field (its type, default and bounds) and one ``LabSetting`` here, from which the rest is
derived: its label in the admin and in the history (the field's ``verbose_name``), its
explanation on the admin's page (the field's ``help_text``) and its place there, and its name
and field in the Lab API v2 (``orders/api/v2/serializers.py``).

To add a setting: a field on ``LabSettings`` whose ``verbose_name`` and ``help_text`` come from
``described(<field>)``, an entry below, and a migration. The wire names are the API's contract,
in this order.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class SettingGroup:
    """A part of the admin's settings page."""

    title: str
    description: str


CANCELLING = SettingGroup(
    "Cancelling orders",
    "Cancelling marks an order for cancelation; nothing is deleted. The order keeps its data and "
    "history, its tray becomes free, and its queued work tickets are not printed. These rules "
    "apply to API clients and to this admin alike.",
)
JOB_TRACKING = SettingGroup(
    "Job tracking",
    "How orders move through the stations, are held, and are completed by the Job Tracker.",
)
WORK_TICKETS = SettingGroup("Work tickets", "When work tickets may print, and on what paper.")
NEW_ORDERS = SettingGroup(
    "New orders", "How new jobs are taken: duplicates, and what addon jobs must go through."
)

THE_FLOOR = SettingGroup(
    "The floor",
    "Tray assignment, pick verification and the Dynamic Display: through the Lab API v2 and "
    "the staff's scanning pages alike.",
)

# The settings page, top to bottom.
GROUPS = (NEW_ORDERS, CANCELLING, JOB_TRACKING, WORK_TICKETS, THE_FLOOR)


@dataclass(frozen=True)
class LabSetting:
    field: str  # the LabSettings field holding it
    wire_name: str  # its name in the Lab API v2
    label: str  # in the admin, and in the history (LabSettingsChange.setting): keep it stable
    # What it changes, in plain words: for supervisors, and for the API clients whose answers
    # it changes (the texts quote the API's error messages).
    help: str
    group: SettingGroup  # where the admin's page shows it
    api_help: str = ""  # what the API's schema says of it, if anything


LAB_SETTINGS: tuple[LabSetting, ...] = (
    LabSetting(
        field="enter_reason_code_when_deleting_order",
        wire_name="enterReasonCodeWhenDeletingOrder",
        label="Enter reason code when deleting order",
        help=(
            "On: cancelling an order needs a reason code, both from API clients (the "
            "deleteReason parameter of DELETE /api/v2/orders/{id}) and on an order's page here. "
            "Without one, or with a code that is not an active delete reason, the API answers "
            '400 "Delete reason code does not exist"; while no active delete reason exists at '
            'all, it answers 400 "The delete reasons file is empty". The reason is kept with '
            "the order and shown in its history. Off: no reason is needed; one sent anyway is "
            "ignored, and the answer's message says so."
        ),
        group=CANCELLING,
    ),
    LabSetting(
        field="job_tracker_module_installed",
        wire_name="jobTrackerModuleInstalled",
        label="Job Tracker module installed",
        help=(
            'Off: no order can be cancelled. The API answers 400 "Job Tracker module required '
            'for cancel method" (the vendor ties cancelling to this module).'
        ),
        group=JOB_TRACKING,
    ),
    LabSetting(
        field="jobtrack_station_verify",
        wire_name="jobtrackStationVerify",
        label="Jobtrack station verify",
        help=(
            "On: a check-in at a station whose flow step the order does not require is refused "
            '(e.g. "AR not needed"), and completion is refused while a required flow step '
            'has no check-in (code 20, e.g. "Needs AR Coat!"). Off: any station, any time.'
        ),
        group=JOB_TRACKING,
    ),
    LabSetting(
        field="trays_required",
        wire_name="traysRequired",
        label="trays required",
        help=(
            "On: a work ticket prints only for an order that has a tray; otherwise print_ticket "
            'answers 400 "Printing request rejected" with "Order waiting for tray". Off: '
            "tickets print with or without a tray."
        ),
        group=WORK_TICKETS,
    ),
    LabSetting(
        field="allow_hold_orders",
        wire_name="allowHoldOrders",
        label="allow hold orders",
        help=(
            'Off: putting an order on hold is refused with 400 "Hold orders are not allowed". '
            "Orders already on hold can still be released."
        ),
        group=JOB_TRACKING,
    ),
    LabSetting(
        field="tracker_heartbeat_seconds",
        wire_name="trackerHeartbeatSeconds",
        label="tracker heartbeat window (seconds)",
        help=(
            "How recently the Job Tracker (run_tracker) must have reported for completions to "
            'be accepted. Past it, completing an order answers 503, code 30 "Job Tracker is '
            'not running", and nothing is queued. The dashboard shows the tracker red past it.'
        ),
        group=JOB_TRACKING,
        api_help="How fresh the Job Tracker's heartbeat must be, in seconds.",
    ),
    LabSetting(
        field="ticket_paper_size",
        wire_name="ticketPaperSize",
        label="ticket paper size",
        help="The paper the work tickets are laid out for, printed or viewed here: Letter or A4.",
        group=WORK_TICKETS,
    ),
)

LAB_SETTINGS += (
    LabSetting(
        field="save_duplicate_orders",
        wire_name="saveDuplicateOrders",
        label="Save Duplicate Orders",
        help=(
            "A duplicate is a new order with the customer and customer job id of an order "
            "that is not cancelled. On: the duplicate is saved unvalid (its unvalid message "
            "names the original) and the original is put on hold, its history saying why. "
            'Off: the API refuses it with 400 "Duplicate order" while the original is active.'
        ),
        group=NEW_ORDERS,
    ),
    LabSetting(
        field="force_qa_on_addon_jobs",
        wire_name="forceQaOnAddonJobs",
        label="Force QA on Addon jobs",
        help="On: every new addon job (job type A) requires the final QA flow step.",
        group=NEW_ORDERS,
    ),
)

LAB_SETTINGS += (
    LabSetting(
        field="verify_tray_is_empty",
        wire_name="verifyTrayIsEmpty",
        label="Verify Tray is Empty",
        help=(
            "On: a tray that an active order holds cannot be given to another order; the "
            'API answers 400 "Tray is already assigned to another order". Off: the tray '
            "moves to the new order and the order that held it is left without one (the "
            "history of both says so)."
        ),
        group=THE_FLOOR,
    ),
    LabSetting(
        field="partial_picking",
        wire_name="partialPicking",
        label="Partial Picking",
        help=(
            "Off: the lenses of a job (both expected lens OPCs) and its frame (frame, frame "
            "part and side shield, those expected) are picked together, each group in one "
            'scan call, else 400 "... must be picked together". On: one item at a time.'
        ),
        group=THE_FLOOR,
    ),
    LabSetting(
        field="dynamic_display_refresh_seconds",
        wire_name="dynamicDisplayRefreshSeconds",
        label="Dynamic Display refresh (seconds)",
        help="How often the wall display of the work in progress reloads itself.",
        group=THE_FLOOR,
        api_help="How often the Dynamic Display refreshes, in seconds.",
    ),
)

_BY_FIELD = {setting.field: setting for setting in LAB_SETTINGS}


def described(field: str) -> dict[str, str]:
    """The ``verbose_name`` and ``help_text`` of the LabSettings field holding a setting."""
    setting = _BY_FIELD[field]
    return {"verbose_name": setting.label, "help_text": setting.help}

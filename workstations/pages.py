"""The floor's pages: what each is called, where it is and the *Use* right it needs."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    title: str
    url_name: str
    right: str
    purpose: str


JOB_SCAN = Page(
    "Job Scan",
    "ws-jobscan",
    "workstations.use_job_scan",
    "Check orders in at a station, one scan after another.",
)
TRAY_ASSIGNMENT = Page(
    "Tray Assignment",
    "ws-tray",
    "workstations.use_tray_assignment",
    "Scan an order or PO number, then the tray it goes in.",
)

ORDER_CANCEL = Page(
    "Order Cancel",
    "ws-cancel",
    "workstations.use_order_cancel",
    "Look up an order, give the reason, and mark it for cancelation.",
)

PICK_VERIFICATION = Page(
    "Pick Verification",
    "ws-pick",
    "workstations.use_pick_verification",
    "Scan an order, then each lens and frame part picked for it.",
)
DYNAMIC_DISPLAY = Page(
    "Dynamic Display",
    "ws-display",
    "workstations.view_dynamic_display",
    "The work in progress, for a wall screen; refreshes itself.",
)

# The index lists them in this order.
PAGES = (JOB_SCAN, TRAY_ASSIGNMENT, ORDER_CANCEL, PICK_VERIFICATION, DYNAMIC_DISPLAY)

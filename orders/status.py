"""Order states, job types and processing statuses, with their wire values."""

from collections.abc import Iterable

from django.db import models


class OrderState(models.TextChoices):
    """Production state of an order. Hold and cancelation are flags beside it."""

    UNVALID = "U", "Unvalid"
    VALID = "V", "Valid"
    PROCESS = "P", "Process"
    COMPLETED = "C", "Completed"


# `status` / `statusDesc` shown for an order that is on hold, whatever state it sits on.
ON_HOLD_STATUS = ("W", "On Hold")


class JobType(models.TextChoices):
    """What the lab does to make a job (contracts/rx-orders.md). Every job prints a work
    ticket; a stock order, which is picked and shipped rather than made, is not a job type
    but an order of its own kind (``Order.stock_order``)."""

    FULL = "F", "Full"  # surface, coat, edge and mount the lenses in the frame
    UNCUT = "U", "Uncut"  # surface and coat; the lenses ship uncut
    EDGE = "E", "Edge"  # edge finished (stock) lenses into the frame
    ADDON = "A", "Addon"  # apply addons (tint, coating, ...) to existing lenses


class FrameStatus(models.TextChoices):
    """Where a job's frame comes from (blank: not said)."""

    SUPPLY = "S", "Supply"
    EDGE = "E", "Edge"
    TO_FOLLOW = "F", "To follow"
    UNCUT = "U", "Uncut"
    NONE = "N", "None"


class ProcessingStatus(models.TextChoices):
    """Status of an order item at one of its endpoints (departments)."""

    NEW = "New", "New"
    IN_PROGRESS = "InProgress", "In progress"
    DONE = "Done", "Done"
    CANCELLED = "Cancelled", "Cancelled"


def derive_status(parts: Iterable[str]) -> str:
    """The processing status of a whole from those of its parts.

    An item's status derives from its endpoints', an order's from its items'. Cancelled parts
    do not count while any part is live: an order with one cancelled and one done item is done.

    ========================== ============
    parts                      whole
    ========================== ============
    none                       New
    all Cancelled              Cancelled
    live parts all New         New
    live parts all Done        Done
    anything else              InProgress
    ========================== ============
    """
    present = set(parts)
    if not present:
        return ProcessingStatus.NEW
    live = present - {ProcessingStatus.CANCELLED}
    if not live:
        return ProcessingStatus.CANCELLED
    if live == {ProcessingStatus.NEW}:
        return ProcessingStatus.NEW
    if live == {ProcessingStatus.DONE}:
        return ProcessingStatus.DONE
    return ProcessingStatus.IN_PROGRESS


class PaperSize(models.TextChoices):
    LETTER = "letter", "Letter"
    A4 = "a4", "A4"


class EventKind(models.TextChoices):
    # A label not given is the name in title case ("Created"), as Django derives it.
    CREATED = "created"
    HOLD = "hold", "Put on hold"
    RELEASE = "release", "Released from hold"
    CANCEL = "cancel", "Marked for cancelation"
    STATE = "state", "State changed"
    CHECKIN = "checkin", "Checked in"
    COMPLETION_REQUESTED = "completion_requested", "Completion requested"
    COMPLETED = "completed"
    COMPLETION_FAILED = "completion_failed", "Completion failed"
    PRINT_REQUESTED = "print_requested", "Work ticket print requested"
    PROCESSED = "processed", "Released to its endpoints"
    PROCESSING_STATUS = "status", "Processing status changed"
    ITEMS_CANCELLED = "items_cancelled", "Items cancelled"
    CALCULATION = "calculation", "Calculation recorded"
    TRAY = "tray", "Tray changed"
    PICKED = "picked"


class PickItem(models.TextChoices):
    """What pick verification checks of an order: each item is picked at most once."""

    RIGHT_LENS = "rt_lens", "Right lens"
    LEFT_LENS = "lt_lens", "Left lens"
    FRAME = "frame"
    FRAME_PART = "frame_part"
    FRAME_SIDE_SHIELD = "frame_side_shield"
    MISC1 = "misc1", "Misc. 1"
    MISC2 = "misc2", "Misc. 2"

"""Pick verification: what an order is to be picked with, what has been, and recording what a
bench scanned for it (contracts/workstations.md).

What is to be picked comes from the order: each eye's lens OPC, the frame (by its UPC or its
SKU, whichever the order has), the frame part, the side shield and two misc. SKUs; an empty
code is nothing to pick. An item counts as picked while its pick holds the code the order now
expects (an order whose code changed after the pick is to be picked again).

A pick runs the contract's checks in order, the first failing one raised; the order is locked
first, so concurrent picks of one order queue and each sees what the others recorded. A call
records all its picks or none; an item picked again with the code it has changes nothing.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from orders.errors import (
    InvalidOrderData,
    PickGroupSplit,
    PickMismatch,
    PickNotAllowed,
    PickNotRequired,
)
from orders.models import LabSettings, Order, OrderPick
from orders.rx import Eye
from orders.status import EventKind, PickItem

from .history import new_event, record_events
from .locks import lock_order

# The scanned fields, in the contract's order, and the item each picks: the frame by its UPC
# or by its SKU.
PICK_FIELDS: dict[str, PickItem] = {
    "rtOPC": PickItem.RIGHT_LENS,
    "ltOPC": PickItem.LEFT_LENS,
    "frameUPC": PickItem.FRAME,
    "frameSKU": PickItem.FRAME,
    "framePartSKU": PickItem.FRAME_PART,
    "frameSideShieldSKU": PickItem.FRAME_SIDE_SHIELD,
    "misc1SKU": PickItem.MISC1,
    "misc2SKU": PickItem.MISC2,
}
MAX_CODE_LENGTH = 20
# With Partial Picking off, the expected items of a group are picked together.
PICK_GROUPS: dict[str, tuple[PickItem, ...]] = {
    "lenses": (PickItem.RIGHT_LENS, PickItem.LEFT_LENS),
    "frame": (PickItem.FRAME, PickItem.FRAME_PART, PickItem.FRAME_SIDE_SHIELD),
}

# Why an order cannot be picked, checked in this order (``pickRejectReason``).
PICK_CANCELLED = "Order marked for cancelation"
PICK_COMPLETED = "Order completed"
PICK_ON_HOLD = "Order on hold"
NOTHING_TO_PICK = "Nothing to pick"
ALREADY_PICKED = "Order already picked"
PICK_REJECT_REASONS = (
    PICK_CANCELLED,
    PICK_COMPLETED,
    PICK_ON_HOLD,
    NOTHING_TO_PICK,
    ALREADY_PICKED,
)


@dataclass(frozen=True)
class PickState:
    """An order as pick verification sees it."""

    order: Order
    expected: dict[str, str]  # each of PICK_FIELDS -> the code expected, "" for none
    picked: dict[str, bool]  # each PickItem (its value) -> picked with the code expected
    reject_reason: str | None  # one of PICK_REJECT_REASONS, or None: picking is allowed

    @property
    def allowed(self) -> bool:
        return self.reject_reason is None


def pick_state(order: Order) -> PickState:
    """What ``order`` is to be picked with, what has been, and whether it may be picked now."""
    return _state(order, _picks(order))


def pick_items(*, order: Order, codes: Mapping[str, str], actor) -> PickState:
    """Record the items of ``order`` whose codes were scanned (``codes``: field of
    ``PICK_FIELDS`` -> code), after the contract's checks 2 to 6, all of them or none. Answers
    the order's state after the picks."""
    _check_codes(codes)
    with transaction.atomic():
        order = lock_order(order)
        picks = _picks(order)
        state = _state(order, picks)
        if not state.allowed:
            raise PickNotAllowed(state.reject_reason)
        scanned = [field for field in PICK_FIELDS if field in codes]
        not_required = [field for field in scanned if not state.expected[field]]
        if not_required:
            raise PickNotRequired(not_required)
        mismatches = {
            field: (state.expected[field], codes[field])
            for field in scanned
            if codes[field] != state.expected[field]
        }
        if mismatches:
            raise PickMismatch(mismatches)
        if not LabSettings.load().partial_picking:
            _refuse_split_groups(state, {PICK_FIELDS[field] for field in scanned})
        changes = [
            (field, codes[field])
            for field in scanned
            if PICK_FIELDS[field] not in picks or picks[PICK_FIELDS[field]].code != codes[field]
        ]
        if not changes:
            return state
        _record(order, changes, picks, actor)
        return _state(order, picks, expected=state.expected)


def _check_codes(codes: Mapping[str, str]) -> None:
    """Check 2: each value a code (a string, not blank, at most 20 characters), in a field
    that is scanned; the frame by its UPC or its SKU, not both; at least one field."""
    errors: dict[str, list[str]] = {}
    for field, code in codes.items():
        if field not in PICK_FIELDS:
            errors[field] = ["unknown field"]
        elif not isinstance(code, str):
            errors[field] = ["Not a valid string."]
        elif not code.strip():
            errors[field] = ["This field may not be blank."]
        elif len(code) > MAX_CODE_LENGTH:
            errors[field] = [f"Ensure this field has no more than {MAX_CODE_LENGTH} characters."]
    if "frameUPC" in codes and "frameSKU" in codes:
        errors.setdefault("frameSKU", []).append("not with frameUPC: a frame is scanned by one")
    if not codes:
        errors["body"] = [f"scan at least one of {', '.join(PICK_FIELDS)}"]
    if errors:
        raise InvalidOrderData(errors)


def _picks(order: Order) -> dict[str, OrderPick]:
    return {pick.item: pick for pick in OrderPick.objects.filter(order=order)}


def _expected(order: Order) -> dict[str, str]:
    opcs = {eye.eye: eye.opc for eye in order.eyes.all()}
    return {
        "rtOPC": opcs.get(Eye.RIGHT, ""),
        "ltOPC": opcs.get(Eye.LEFT, ""),
        "frameUPC": order.frame_upc,
        "frameSKU": order.frame_sku,
        "framePartSKU": order.frame_part_sku,
        "frameSideShieldSKU": order.frame_side_shield_sku,
        "misc1SKU": order.misc1_sku,
        "misc2SKU": order.misc2_sku,
    }


def _expected_codes(item: PickItem, expected: dict[str, str]) -> set[str]:
    """The codes that pick ``item`` (the frame's UPC and SKU, each when the order has it)."""
    return {expected[field] for field, picks in PICK_FIELDS.items() if picks == item} - {""}


def _state(
    order: Order, picks: dict[str, OrderPick], *, expected: dict[str, str] | None = None
) -> PickState:
    if expected is None:
        expected = _expected(order)
    to_pick = {item.value for item in PickItem if _expected_codes(item, expected)}
    picked = {
        item.value: item in picks and picks[item].code in _expected_codes(item, expected)
        for item in PickItem
    }
    if order.is_cancelled:
        reason = PICK_CANCELLED
    elif order.is_closed:
        reason = PICK_COMPLETED
    elif order.on_hold:
        reason = PICK_ON_HOLD
    elif not to_pick:
        reason = NOTHING_TO_PICK
    elif all(picked[item] for item in to_pick):
        reason = ALREADY_PICKED
    else:
        reason = None
    return PickState(order=order, expected=expected, picked=picked, reject_reason=reason)


def _refuse_split_groups(state: PickState, scanned: set[PickItem]) -> None:
    """Check 6: each group the call picks in is complete once it has (Partial Picking off)."""
    missing: dict[str, list[str]] = {}
    for group, items in PICK_GROUPS.items():
        if not scanned & set(items):
            continue
        left = [
            _field_of(item, state.expected)
            for item in items
            if _expected_codes(item, state.expected)
            and item not in scanned
            and not state.picked[item]
        ]
        if left:
            missing[group] = left
    if missing:
        raise PickGroupSplit(missing)


def _field_of(item: PickItem, expected: dict[str, str]) -> str:
    """The field that scans ``item`` on this order: the frame's by its UPC when it has one."""
    return next(field for field, picks in PICK_FIELDS.items() if picks == item and expected[field])


def _record(
    order: Order, changes: list[tuple[str, str]], picks: dict[str, OrderPick], actor
) -> None:
    """Record each scanned (field, code) of ``changes`` as its item picked now by ``actor``,
    each with its history entry, in one statement per table; ``picks`` is brought up to date."""
    now = timezone.now()
    added, changed, events = [], [], []
    for field, code in changes:
        item = PICK_FIELDS[field]
        pick = picks.get(item)
        events.append(
            new_event(
                order,
                kind=EventKind.PICKED,
                actor=actor,
                from_value=pick.code if pick is not None else "",
                to_value=code,
                note=f"{item.label} ({field})",
            )
        )
        if pick is None:
            pick = picks[item] = OrderPick(order=order, item=item)
            added.append(pick)
        else:
            changed.append(pick)
        pick.code, pick.picked_at, pick.picked_by = code, now, actor
    OrderPick.objects.bulk_create(added)
    OrderPick.objects.bulk_update(changed, ["code", "picked_at", "picked_by"])
    record_events(events)

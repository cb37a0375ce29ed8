"""Lab API v2: the floor — tray assignment, pick verification (contracts/workstations.md)."""

from functools import partial

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.response import Response

from accounts.rights import Right
from orders.api.payloads import TextOrNullField, order_identifier_fields
from orders.identifiers import TRAY_NUMBER_PATTERN, resolve_order_identifier
from orders.services import (
    PICK_REJECT_REASONS,
    PickState,
    TrayAssignment,
    assign_tray,
    order_for_tray,
    pick_items,
    pick_state,
)
from orders.services.picking import MAX_CODE_LENGTH
from toolkit.api.answers import AnswerSerializer
from toolkit.api.schema import v2_operation
from toolkit.api.strict import StrictBooleanField, StrictCharField, StrictSerializer

from .base import AMBIGUOUS, ORDER_IDENTIFIER, OrdersV2View, order_operation

TAG = "Lab API v2: the floor"
operation = partial(v2_operation, tag=TAG)
on_order = partial(order_operation, tag=TAG)


class TrayAssignmentRequestSerializer(StrictSerializer):
    # The tray's rules are the service's checks 3 and 4, in the contract's words; stated here.
    trayNumber = StrictCharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        stated={"pattern": TRAY_NUMBER_PATTERN},
        help_text="Digits, at most 5.",
    )
    reassign = StrictBooleanField(
        required=False,
        default=False,
        help_text="Move an order that has a tray to this one (else `Order already has a tray`).",
    )


class TrayAssignedSerializer(AnswerSerializer):
    # ``TrayAssignment``: the order's identifiers, then ``message``.

    message = serializers.ChoiceField(choices=["Tray assigned", "Tray reassigned"])

    def get_fields(self):
        return order_identifier_fields(at="order") | super().get_fields()


class TrayAssignmentView(OrdersV2View):
    required_rights = {"POST": Right.ASSIGN_TRAY}

    @operation(
        operation_id="v2_order_assign_tray",
        summary="Give an order a tray",
        description=(
            "The order is named by its number or PO number (not its tray). Unvalid orders may "
            "get a tray; the same tray again changes nothing. With the setting `Verify Tray is "
            "Empty` off, a tray held by another active order moves to this one. The checks run "
            "by the contract's priority; the first failing one answers."
        ),
        parameters=[ORDER_IDENTIFIER],
        request=TrayAssignmentRequestSerializer,
        ok={200: OpenApiResponse(TrayAssignedSerializer, description="Assigned.")},
        errors={
            400: (
                "`You must use an order number or PO Number for orderIdentifier`, `trayNumber "
                "only accepts numbers`, `trayNumber supports up to 5 digits`, `Cannot assign a "
                "deleted order to a tray`, `Cannot assign a completed order to a tray`, "
                "`Cannot assign an on-hold order to a tray`, `Order already has a tray` "
                '(`["Tray: <its tray>"]`), `Tray is already assigned to another order` '
                f'(`["Order: <number>"]`), `Incorrect arguments provided`; or {AMBIGUOUS}'
            ),
            404: '`{"error": "Order not found", "details": ["Provided: <id>"]}`.',
        },
    )
    def post(self, request, identifier: str):
        order = order_for_tray(identifier)
        body = TrayAssignmentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment: TrayAssignment = assign_tray(
            order=order,
            tray=body.validated_data.get("trayNumber", ""),
            reassign=body.validated_data["reassign"],
            actor=request.user,
        )
        return Response(TrayAssignedSerializer.represent(assignment))


# --- pick verification --------------------------------------------------------------------------


def _scanned(field: str, what: str) -> StrictCharField:
    return StrictCharField(
        required=False,
        max_length=MAX_CODE_LENGTH,
        help_text=f"{what}, as scanned. Checked against the order's `{field}` (see GET).",
    )


class PickRequestSerializer(StrictSerializer):
    """The codes scanned for an order's items, each a string of at most 20 characters, not
    blank: at least one, and the frame by `frameUPC` or by `frameSKU`, not both."""

    # Check 2: the fields here; at least one, and not both frame fields, in the service (which
    # checks each value again, in DRF's words, for its other callers).
    rtOPC = _scanned("rtOPC", "The right lens's OPC")
    ltOPC = _scanned("ltOPC", "The left lens's OPC")
    frameUPC = _scanned("frameUPC", "The frame's UPC (or give `frameSKU`, not both)")
    frameSKU = _scanned("frameSKU", "The frame's SKU (or give `frameUPC`, not both)")
    framePartSKU = _scanned("framePartSKU", "The frame part's SKU")
    frameSideShieldSKU = _scanned("frameSideShieldSKU", "The side shield's SKU")
    misc1SKU = _scanned("misc1SKU", "The first misc. item's SKU")
    misc2SKU = _scanned("misc2SKU", "The second misc. item's SKU")


def _picked(item: str, what: str) -> serializers.BooleanField:
    return serializers.BooleanField(
        source=f"picked.{item}",
        help_text=f"{what} has been picked, with the code the order now expects.",
    )


def _expected(field: str, what: str) -> TextOrNullField:
    return TextOrNullField(
        source=f"expected.{field}", help_text=f"{what} to pick; null: nothing to pick."
    )


class PickStateSerializer(AnswerSerializer):
    # ``PickState``: the order's identifiers, what has been picked, whether picking is allowed,
    # then what is to be picked, in the contract's order.

    rtLensPicked = _picked("rt_lens", "The right lens")
    ltLensPicked = _picked("lt_lens", "The left lens")
    framePicked = _picked("frame", "The frame")
    framePartPicked = _picked("frame_part", "The frame part")
    frameSideShieldPicked = _picked("frame_side_shield", "The side shield")
    misc1Picked = _picked("misc1", "The first misc. item")
    misc2Picked = _picked("misc2", "The second misc. item")
    warehouse = TextOrNullField(source="order.warehouse", help_text="Where to pick from.")
    pickAllowed = serializers.BooleanField(
        source="allowed", help_text="Whether the order may be picked now."
    )
    pickRejectReason = serializers.ChoiceField(
        choices=list(PICK_REJECT_REASONS),
        source="reject_reason",
        allow_null=True,
        help_text="Why not, the first that holds in this order; null when picking is allowed.",
    )
    rtOPC = _expected("rtOPC", "The right lens's OPC")
    ltOPC = _expected("ltOPC", "The left lens's OPC")
    frameUPC = _expected("frameUPC", "The frame's UPC")
    frameSKU = _expected("frameSKU", "The frame's SKU")
    framePartSKU = _expected("framePartSKU", "The frame part's SKU")
    frameSideShieldSKU = _expected("frameSideShieldSKU", "The side shield's SKU")
    misc1SKU = _expected("misc1SKU", "The first misc. item's SKU")
    misc2SKU = _expected("misc2SKU", "The second misc. item's SKU")

    def get_fields(self):
        return order_identifier_fields(at="order") | super().get_fields()


PICK_REFUSALS = (
    '`Pick not allowed` (`["<pickRejectReason>"]`, as GET says); `Pick verification failed` '
    '(`["<field>: not required for this order"]` for a field the order has nothing for, else '
    '`["<field>: expected <code>, scanned <code>"]`, one per mismatch); `Incorrect arguments '
    'provided` (`["<field>: <message>", ...]` for a malformed body: a value not a string, '
    "blank or longer than 20 characters, an unknown field, both `frameUPC` and `frameSKU`, no "
    'field at all; or, with the setting Partial Picking off, `["lenses must be picked '
    'together: <missing fields>"]` or the same for `frame`)'
)


class PickVerificationView(OrdersV2View):
    required_rights = {"GET": Right.PICK, "POST": Right.PICK}

    @on_order(
        operation_id="v2_order_pick_state",
        summary="What an order is to be picked with",
        description=(
            "The codes the order expects (null: nothing to pick), which items have been picked "
            "and whether the order may be picked now. `pickRejectReason` is the first of these "
            "that holds: `Order marked for cancelation`, `Order completed` (or pending "
            "completion), `Order on hold`, `Nothing to pick`, `Order already picked`. Our "
            "decision where the vendor is silent: an item counts as picked while its pick holds "
            "the code the order now expects."
        ),
        ok={200: OpenApiResponse(PickStateSerializer, description="The order's pick state.")},
    )
    def get(self, request, identifier: str):
        state: PickState = pick_state(resolve_order_identifier(identifier))
        return Response(PickStateSerializer.represent(state))

    @on_order(
        operation_id="v2_order_pick",
        summary="Verify and record what was picked for an order",
        description=(
            "Each code scanned is checked against the one the order expects; the checks run in "
            "the contract's order and the first failing one answers. A call records all its "
            "picks or none, each in the order's history; an item picked again with the same "
            "code changes nothing. With the setting Partial Picking off (the default), the "
            "lenses (both expected OPCs) and the frame (frame, frame part and side shield, "
            "those expected) are each picked in one call. Answers the new state, as GET does."
        ),
        request=PickRequestSerializer,
        ok={200: OpenApiResponse(PickStateSerializer, description="The order's new pick state.")},
        errors={400: f"{PICK_REFUSALS}; or {AMBIGUOUS}"},
    )
    def post(self, request, identifier: str):
        order = resolve_order_identifier(identifier)
        body = PickRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        state: PickState = pick_items(order=order, codes=body.validated_data, actor=request.user)
        return Response(PickStateSerializer.represent(state))

"""Lab API v2: the floor — tray assignment (contracts/workstations.md)."""

from functools import partial

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.response import Response

from accounts.rights import Right
from orders.api.payloads import order_identifier_fields
from orders.errors import OrderNotFound, TrayIdentifierRefused, TrayOrderNotFound
from orders.identifiers import TRAY_NUMBER_PATTERN, resolve_order_identifier, resolved_by_tray
from orders.models import Order
from orders.services import TrayAssignment, assign_tray
from toolkit.api.answers import AnswerSerializer
from toolkit.api.schema import v2_operation
from toolkit.api.strict import StrictBooleanField, StrictCharField, StrictSerializer

from .base import AMBIGUOUS, ORDER_IDENTIFIER, OrdersV2View

TAG = "Lab API v2: the floor"
operation = partial(v2_operation, tag=TAG)


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


def order_for_tray(identifier: str) -> Order:
    """The order a tray assignment names: by number or PO number, not by its tray (checks 1
    and 2)."""
    try:
        order = resolve_order_identifier(identifier)
    except OrderNotFound:
        raise TrayOrderNotFound(identifier) from None
    if resolved_by_tray(identifier, order):
        raise TrayIdentifierRefused(identifier)
    return order


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

"""Lab API v2: orders — fetch, status, create, hold, release, cancel."""

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from drf_spectacular.utils import (
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema_view,
)
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response

from accounts.rights import Right
from orders import fast_reads
from orders.api.payloads import (
    V2CancelledOrderSerializer,
    V2OrderSerializer,
    V2OrderStatusSerializer,
)
from orders.errors import OrderMarkedForCancelation
from orders.identifiers import resolve_order_identifier
from orders.models import Order
from orders.services import cancel_order, create_order, hold_order, release_order
from toolkit.api.schema import (
    V2_INCORRECT_ARGUMENTS,
    V2ErrorSerializer,
    text_parameter,
    v2_operation,
)
from toolkit.api.v2 import error_body

from .base import OrdersV2View, order_operation
from .params import query_or_body_param
from .serializers import OrderCreateSerializer

MARKED_FOR_CANCELATION = error_body(OrderMarkedForCancelation.message)

TAG = "Lab API v2: orders"
MARKED_FOR_CANCELATION_DOC = (
    'or, for an order marked for cancelation, `{"error": "Order marked for cancelation", '
    '"details": []}` (the vendor\'s documented behaviour)'
)


operation = partial(v2_operation, tag=TAG)
on_order = partial(order_operation, tag=TAG)


def answer_or_cancelation(name: str, answer) -> OpenApiResponse:
    """A 200 that is the model, or the error body for an order marked for cancelation."""
    return OpenApiResponse(
        PolymorphicProxySerializer(
            component_name=name,
            serializers=[answer, V2ErrorSerializer],
            resource_type_field_name=None,
        ),
        description=f"The order, {MARKED_FOR_CANCELATION_DOC}.",
    )


def shown(order: Order) -> dict:
    """The v2 model of ``order`` as it now stands, after a change."""
    return V2OrderSerializer.represent(fast_reads.order_to_show_by_pk(order.pk))


class OrderListView(OrdersV2View):
    required_rights = {"POST": Right.CREATE_ORDER}

    @operation(
        operation_id="v2_orders_create",
        summary="Create an order",
        description=(
            "Our extension (the vendor's create takes a larger Rx model). The order number is "
            "assigned from a sequence when not given; an order without items is unvalid (U)."
        ),
        request=OrderCreateSerializer,
        ok={201: OpenApiResponse(V2OrderSerializer, description="The new order.")},
        errors={400: V2_INCORRECT_ARGUMENTS},
    )
    def post(self, request):
        serializer = OrderCreateSerializer(data=request.data)
        if not serializer.is_valid():
            raise ValidationError(serializer.every_problem())
        order = create_order(
            data=serializer.to_new_order(),
            actor=request.user,
            device=getattr(request.auth, "name", ""),
        )
        return Response(shown(order), status=201)


class OrderDetailView(OrdersV2View):
    required_rights = {"GET": Right.VIEW_ORDER, "DELETE": Right.CANCEL_ORDER}

    @on_order(
        operation_id="v2_order_get",
        summary="Fetch an order",
        ok={200: answer_or_cancelation("V2OrderOrCancelation", V2OrderSerializer)},
    )
    def get(self, request, identifier: str):
        order = fast_reads.order_to_show(identifier, with_items=True)
        if order.is_cancelled:
            # Documented vendor behaviour: 200 with an error body.
            return Response(MARKED_FOR_CANCELATION)
        return Response(V2OrderSerializer.represent(order))

    @on_order(
        operation_id="v2_order_cancel",
        summary="Cancel an order",
        description=(
            "Marks the order for cancelation (nothing is ever deleted): reason, user and time "
            "are recorded, its tray is freed and its queued print jobs are cancelled. The checks "
            "run in the contract's order and the first that fails answers. `deleteReason` may "
            "also be sent as a field of a JSON object body."
        ),
        parameters=[
            text_parameter(
                "deleteReason",
                "An active reason code; required while the setting `Enter reason code when "
                "deleting order` is on, ignored (with a warning in `message`) while it is off. "
                "Empty counts as missing.",
                allow_empty=True,
            ),
        ],
        ok={
            200: OpenApiResponse(
                V2CancelledOrderSerializer,
                description="The order's last known state, with `message`.",
            )
        },
        errors={
            400: (
                "One of, in this order: `Job Tracker module required for cancel method`, "
                "`Order already completed` (completed, pending completion or already "
                "marked for cancelation), `The delete reasons file is empty`, `Delete "
                "reason code does not exist` (details `Provided: <value or empty>`), "
                "`Order has been through a non-cancel station`; or an ambiguous "
                "identifier."
            )
        },
    )
    def delete(self, request, identifier: str):
        try:
            reason_code = query_or_body_param(request, "deleteReason")
        except APIException:
            resolve_order_identifier(identifier)  # "no such order" answers first (the table's #1)
            raise
        # The order is looked up with its lock, inside the cancel's transaction.
        result = cancel_order(identifier=identifier, actor=request.user, reason_code=reason_code)
        # The order as it now stands, read afresh.
        answer = replace(result, order=fast_reads.order_to_show_by_pk(result.order.pk))
        return Response(V2CancelledOrderSerializer.represent(answer))


class OrderStatusView(OrdersV2View):
    required_rights = {"GET": Right.VIEW_ORDER}

    @on_order(
        operation_id="v2_order_status",
        summary="Fetch an order's status",
        ok={200: answer_or_cancelation("V2OrderStatusOrCancelation", V2OrderStatusSerializer)},
    )
    def get(self, request, identifier: str):
        order = fast_reads.order_to_show(identifier)
        if order.is_cancelled:
            return Response(MARKED_FOR_CANCELATION)
        return Response(V2OrderStatusSerializer.represent(order))


class HoldChangeView(OrdersV2View):
    """Putting an order on hold and releasing it: the same request (a POST on the order, no
    body), right and answer (the order as it now stands); only the service differs."""

    required_rights = {"POST": Right.HOLD_ORDER}
    change: Callable[..., Order]  # hold_order or release_order

    def post(self, request, identifier: str):
        order = self.change(order=resolve_order_identifier(identifier), actor=request.user)
        return Response(shown(order))


def hold_change_schema(*, action: str, summary: str, answer: str, refused: str):
    """The schema of the hold or release (``action``) of an order."""
    return on_order(
        operation_id=f"v2_order_{action}",
        summary=summary,
        description=f"Our extension (the vendor documents no {action}).",
        request=None,
        ok={200: OpenApiResponse(V2OrderSerializer, description=answer)},
        errors={400: f"{refused}; or an ambiguous identifier."},
    )


@extend_schema_view(
    post=hold_change_schema(
        action="hold",
        summary="Put an order on hold",
        answer="The order, now on hold.",
        refused=(
            "`Order marked for cancelation`, `Order already completed`, `Hold orders are not "
            "allowed` (setting), `Order is already on hold`"
        ),
    )
)
class OrderHoldView(HoldChangeView):
    change = staticmethod(hold_order)


@extend_schema_view(
    post=hold_change_schema(
        action="release",
        summary="Release an order from hold",
        answer="The order, released.",
        refused="`Order marked for cancelation`, `Order is not on hold`",
    )
)
class OrderReleaseView(HoldChangeView):
    change = staticmethod(release_order)

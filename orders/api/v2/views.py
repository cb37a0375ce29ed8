"""Lab API v2: orders — fetch, status, create, hold, release, cancel."""

from rest_framework.response import Response

from labsite.api.v2 import error_body
from orders.api.payloads import order_payload, order_status_payload
from orders.errors import OrderMarkedForCancelation
from orders.identifiers import resolve_order_identifier
from orders.models import Order
from orders.services import cancel_order, create_order, hold_order, release_order

from .base import V2View
from .params import query_or_body_param
from .serializers import OrderCreateSerializer

MARKED_FOR_CANCELATION = error_body(OrderMarkedForCancelation.message)


def displayed(order: Order) -> Order:
    """The order re-read with everything its payload shows."""
    return Order.objects.for_display().get(pk=order.pk)


class OrderListView(V2View):
    required_rights = {"POST": "orders.add_order"}

    def post(self, request):
        serializer = OrderCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = create_order(
            data=serializer.to_new_order(),
            actor=request.user,
            device=getattr(request.auth, "name", ""),
        )
        return Response(order_payload(displayed(order)), status=201)


class OrderDetailView(V2View):
    required_rights = {"GET": "orders.view_order", "DELETE": "orders.cancel_order"}

    def get(self, request, identifier: str):
        order = resolve_order_identifier(identifier, Order.objects.for_display())
        if order.is_cancelled:
            # Documented vendor behaviour: 200 with an error body.
            return Response(MARKED_FOR_CANCELATION)
        return Response(order_payload(order))

    def delete(self, request, identifier: str):
        order = resolve_order_identifier(identifier)
        reason_code = query_or_body_param(request, "deleteReason")
        result = cancel_order(order=order, actor=request.user, reason_code=reason_code)
        return Response(order_payload(displayed(result.order)) | {"message": result.message})


class OrderStatusView(V2View):
    required_rights = {"GET": "orders.view_order"}

    def get(self, request, identifier: str):
        order = resolve_order_identifier(
            identifier, Order.objects.select_related("current_station")
        )
        if order.is_cancelled:
            return Response(MARKED_FOR_CANCELATION)
        return Response(order_status_payload(order))


class OrderHoldView(V2View):
    required_rights = {"POST": "orders.hold_order"}

    def post(self, request, identifier: str):
        order = hold_order(order=resolve_order_identifier(identifier), actor=request.user)
        return Response(order_payload(displayed(order)))


class OrderReleaseView(V2View):
    required_rights = {"POST": "orders.hold_order"}

    def post(self, request, identifier: str):
        order = release_order(order=resolve_order_identifier(identifier), actor=request.user)
        return Response(order_payload(displayed(order)))

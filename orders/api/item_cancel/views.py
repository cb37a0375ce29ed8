"""``PUT /api/orderCancel?orderId=...``: cancel items of a pre-production order."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback

from accounts.authentication import ApiKeyAuthentication
from accounts.models import ApiPartner
from accounts.rights import Right
from orders import errors
from orders.services import cancel_items
from toolkit.api import item_cancel as envelope
from toolkit.api.schema import item_cancel_responses, text_parameter
from toolkit.errors import looked_up

from .authentication import PartnerAuthentication
from .inputs import parse_ids, query_values, required_query_param, resolve_order
from .serializers import ItemCancelRequestSerializer

DOMAIN_ERROR_STATUS: dict[type[errors.DomainError], int] = {
    errors.OrderNotFound: 404,
    errors.OrderMarkedForCancelation: 400,
    errors.OrderAlreadyCompleted: 400,
    errors.OrderNotPreProduction: 400,
}


def item_cancel_exception_handler(exc, context) -> Response:
    if isinstance(exc, errors.DomainError):
        # Every domain error of this face is about the order: nothing was cancelled.
        set_rollback()
        status = looked_up(DOMAIN_ERROR_STATUS, exc, 400)
        order_id = next(iter(query_values(context["request"], "orderId")), None)
        failure = envelope.error(exc.message, property_name="orderId", attempted_value=order_id)
        return Response(envelope.envelope(status=status, errors=[failure]), status=status)
    return envelope.drf_exception_handler(exc, context)


class OrderCancelView(APIView):
    """Cancel items of an order, for API partners (or API keys) with the right to cancel."""

    authentication_classes = [PartnerAuthentication, ApiKeyAuthentication]
    required_rights = {"PUT": Right.CANCEL_ORDER}
    http_method_names = ["put"]

    def get_exception_handler(self):
        return item_cancel_exception_handler

    @extend_schema(
        operation_id="order_cancel_items",
        summary="Cancel items of a pre-production order",
        description=(
            "Cancels the listed items of the order, each on its own: `Success` lists what was "
            "cancelled, `Errors` has one entry per id that was not (not an item of this order, "
            "already cancelled). Only while the order is pre-production: unvalid or valid (on hold "
            "or not), never checked in at a station, neither completed nor marked for cancelation. "
            "The order itself is never cancelled. Authenticate with `recipeid` and "
            "`partnerBillingKey` (an API partner), or an `Authorization` API key; the right "
            f"`{Right.CANCEL_ORDER}` is needed either way."
        ),
        tags=["Item cancel"],
        parameters=[
            text_parameter(
                "orderId",
                "The order number, or the order's public id (UUID).",
                required=True,
            )
        ],
        request=ItemCancelRequestSerializer,
        responses=item_cancel_responses(
            {
                200: "Per item: cancelled (`Success`), or an error in `Errors` (`HadError`).",
                400: (
                    'The body is not `{"Ids": [ints]}` (at most 1000), `orderId` is missing, or '
                    "the order is not pre-production (nothing cancelled, one error naming its "
                    "status)."
                ),
                401: "Missing or wrong credentials (partner pair or API key).",
                403: f"The partner's or key's user lacks the right `{Right.CANCEL_ORDER}`.",
                404: "No order with that number or public id.",
                500: "Internal error; the `ErrorReferenceCode` is on the server's log line.",
            }
        ),
    )
    def put(self, request):
        order_id = required_query_param(request, "orderId")
        item_ids = parse_ids(request.data)
        partner = request.auth if isinstance(request.auth, ApiPartner) else None
        result = cancel_items(
            order=resolve_order(order_id),
            item_ids=item_ids,
            actor=request.user,
            partner_name=partner.name if partner is not None else "",
        )
        failures = [
            envelope.error(message, property_name="Ids", attempted_value=item_id)
            for item_id, message in result.failures.items()
        ]
        return Response(envelope.envelope(status=200, success=result.cancelled, errors=failures))

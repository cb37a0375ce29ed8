"""The legacy stock-order endpoint: ``POST /api/orders/addStock`` (contracts/rx-orders.md,
*Stock orders*). Form or JSON body; answers ``{"orderNumber", "result": "successful"}`` or
``{"error": "<text>"}`` (``toolkit.api.legacy``)."""

from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.rights import Right
from orders.models import Order
from orders.services import NewStockOrder, StockLine, create_stock_order
from toolkit.api import legacy
from toolkit.api.parsers import JSONParser
from toolkit.api.strict import StrictCharField
from toolkit.api.v2_views import V2View

from .v2.base import ORDER_ERROR_STATUS

MAX_ITEMS = 10
SHIP_TO_KEYS = {
    "shipToName": "ship_to_name",
    "shipToAddress1": "ship_to_address1",
    "shipToAddress2": "ship_to_address2",
    "shipToAddress3": "ship_to_address3",
    "shipToAddress4": "ship_to_address4",
    "shipToPostalCode": "ship_to_postal_code",
}
# Each key the body may carry, and the longest text it takes.
TEXT_KEYS = {
    "customer": 8,
    "patient": Order._meta.get_field("patient").max_length,
    "job": Order._meta.get_field("customer_job_id").max_length,
    "jobType": 1,
    "tray": 5,
    "REM": Order._meta.get_field("instructions").max_length,
    **{key: Order._meta.get_field(name).max_length for key, name in SHIP_TO_KEYS.items()},
    **{f"item{n}": 20 for n in range(1, MAX_ITEMS + 1)},
    **{f"quantity{n}": 3 for n in range(1, MAX_ITEMS + 1)},
}


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "pattern": "^[0-9]{1,3}$"},
            {"type": "integer", "minimum": 1, "maximum": 999},
        ]
    }
)
class QuantityField(serializers.Field):
    """For the schema: a quantity, as form text or a JSON integer."""


STOCK_ORDER_INPUT = inline_serializer(
    "AddStockInput",
    {
        key: QuantityField(required=False)
        if key.startswith("quantity")
        else StrictCharField(required=False, allow_blank=True, max_length=length)
        for key, length in TEXT_KEYS.items()
    },
)
STOCK_ORDER_CREATED = inline_serializer(
    "AddStockResult",
    {"orderNumber": serializers.CharField(), "result": serializers.CharField()},
)
LEGACY_ERROR = inline_serializer("LegacyError", {"error": serializers.CharField()})


class Refused(Exception):
    """Input the endpoint refuses before ordering: its text is the answer's ``error``."""


def _text(data, key: str) -> str:
    value = data.get(key, "")
    quantity = key.startswith("quantity") and isinstance(value, int) and not isinstance(value, bool)
    if not isinstance(value, str) and not quantity:
        raise Refused(f"{key} must be text")
    text = str(value).strip()
    if len(text) > TEXT_KEYS[key]:
        raise Refused(f"{key} must have at most {TEXT_KEYS[key]} characters")
    if "\x00" in text:
        raise Refused(f"{key} must not contain NUL")
    return text


def stock_order_from(data) -> NewStockOrder:
    """The stock order a form or JSON body asks for."""
    if not hasattr(data, "keys"):
        raise Refused("the body must be a form or a JSON object")
    unknown = sorted(set(data.keys()) - set(TEXT_KEYS))
    if unknown:
        raise Refused(f"unknown field {unknown[0]}")
    values = {key: _text(data, key) for key in data}
    lines = [
        StockLine(n, values[f"item{n}"], values.get(f"quantity{n}") or None)
        for n in range(1, MAX_ITEMS + 1)
        if values.get(f"item{n}")
    ]
    ship_to = {name: values[key] for key, name in SHIP_TO_KEYS.items() if values.get(key)}
    return NewStockOrder(
        customer_number=values.get("customer", ""),
        lines=lines,
        patient=values.get("patient", ""),
        customer_job_id=values.get("job", ""),
        job_type=values.get("jobType", ""),
        tray=values.get("tray", ""),
        ship_to=ship_to or None,
        remarks=values.get("REM", ""),
    )


class AddStockView(V2View):
    """Order products from the stock catalogue, to be picked and shipped."""

    required_rights = {"POST": Right.ADD_STOCK_ORDER}
    error_statuses = ORDER_ERROR_STATUS
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    def get_exception_handler(self):
        def legacy_handler(exc, context):
            if isinstance(exc, Refused):
                return Response(legacy.error_body(str(exc)), status=400)
            response = self.handle_v2_exception(exc, context)
            if response is not None:
                response.data = legacy.from_v2(response.data)
            return response

        return legacy_handler

    @extend_schema(
        operation_id="legacy_add_stock",
        tags=["Stock orders (legacy)"],
        summary="Order stock products",
        description=(
            "A valid stock order (`stockOrder: true`, no work ticket) of the catalogue's "
            "products `item1`..`item10` (`quantity1`..`quantity10`, default 1), for an active "
            "customer; ship-to defaults to the customer's. All or nothing. Refusals, checked in "
            "this order: `customer <value> not found`, `no items`, `item <code> pricing not "
            "found`, `quantity<n> must be a whole number from 1 to 999`, `tray <value> is not "
            "valid`."
        ),
        request={
            "application/json": STOCK_ORDER_INPUT,
            "application/x-www-form-urlencoded": STOCK_ORDER_INPUT,
        },
        responses={
            200: OpenApiResponse(STOCK_ORDER_CREATED, description="Ordered."),
            400: OpenApiResponse(LEGACY_ERROR, description='Refused: `{"error": "<text>"}`.'),
            401: OpenApiResponse(LEGACY_ERROR, description="Missing or invalid API key."),
            403: OpenApiResponse(
                LEGACY_ERROR, description=f"The key's user lacks `{Right.ADD_STOCK_ORDER}`."
            ),
        },
    )
    def post(self, request):
        order = create_stock_order(
            data=stock_order_from(request.data),
            actor=request.user,
            device=getattr(request.auth, "name", ""),
        )
        return Response({"orderNumber": str(order.number), "result": "successful"})

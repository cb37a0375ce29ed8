"""What an item-cancel request sends: query parameters (names in any case), the order, the ids."""

from orders.errors import OrderNotFound
from orders.identifiers import ORDER_NUMBER_RE, order_by_number, parse_public_id
from orders.models import Order
from toolkit.api.item_cancel import RefusedInput, error

# Enough for any order; bounds the work (and the answer) of one request.
MAX_IDS = 1000

BODY_SHAPE = '{"Ids": [<order item id>, ...]}'


def query_values(request, name: str) -> list[str]:
    """Every value of the query parameter ``name``, whatever the case of its name in the URL
    (``recipeid``, ``recipeId``, ``RECIPEID``)."""
    wanted = name.lower()
    return [
        value
        for key, values in request.query_params.lists()
        if key.lower() == wanted
        for value in values
    ]


def required_query_param(request, name: str) -> str:
    values = query_values(request, name)
    if not values or not values[0]:
        raise RefusedInput([error(f"{name} is required", property_name=name)])
    if len(set(values)) > 1:
        raise RefusedInput([error(f"{name} is given more than once", property_name=name)])
    return values[0]


def parse_ids(data) -> list[int]:
    """The item ids of a body ``{"Ids": [<int>, ...]}`` (key in any case), as sent."""
    if not isinstance(data, dict):
        raise RefusedInput([error(f"The body must be {BODY_SHAPE}", property_name="Ids")])
    keys = [key for key in data if key.lower() == "ids"]
    if not keys:
        raise RefusedInput([error(f"Ids is required: send {BODY_SHAPE}", property_name="Ids")])
    if len(keys) > 1:
        raise RefusedInput([error("Ids is given more than once", property_name="Ids")])
    ids = data[keys[0]]
    if not isinstance(ids, list):
        message = "Ids must be a list of order item ids"
        raise RefusedInput([error(message, property_name="Ids", attempted_value=ids)])
    if not ids:
        raise RefusedInput([error("Ids must list at least one order item id", property_name="Ids")])
    if len(ids) > MAX_IDS:
        raise RefusedInput(
            [error(f"Ids lists {len(ids)} ids; at most {MAX_IDS} per request", property_name="Ids")]
        )
    refused = [
        error(
            f"Ids[{index}] must be an order item id (an integer)",
            property_name=f"Ids[{index}]",
            attempted_value=value,
        )
        for index, value in enumerate(ids)
        if isinstance(value, bool) or not isinstance(value, int)
    ]
    if refused:
        raise RefusedInput(refused)
    return ids


def resolve_order(order_id: str) -> Order:
    """The order ``orderId`` names: its order number, or its public id (a UUID)."""
    order = None
    if ORDER_NUMBER_RE.fullmatch(order_id):
        order = order_by_number(int(order_id))
    elif (public_id := parse_public_id(order_id)) is not None:
        order = Order.objects.filter(public_id=public_id).first()
    if order is None:
        raise OrderNotFound(order_id)
    return order

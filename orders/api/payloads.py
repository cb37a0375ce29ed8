"""How orders look on the wire. Shared by the API faces so an order reads the same everywhere."""

from collections.abc import Iterable
from datetime import UTC, datetime

from django.db.models import F
from django.utils import timezone

from orders.flow import FLOW_STEPS
from orders.models import Order, OrderItem, OrderItemEndpoint, processable
from orders.status import ON_HOLD_STATUS, derive_status


def iso_utc_ms(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a ``Z``: ``2026-11-23T09:14:05.120Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_date(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = timezone.localdate(value)
    return value.isoformat()


def status_pair(order: Order) -> tuple[str, str]:
    """The v2 ``status`` / ``statusDesc`` of an order (hold shows on top of the state)."""
    if order.on_hold:
        return ON_HOLD_STATUS
    return order.state, order.get_state_display()


def station_fields(order: Order) -> dict:
    station = order.current_station
    return {
        "currentStation": station.code if station else None,
        "currentStationCustomerDesc": (station.customer_description or None) if station else None,
        "currentStationDateTime": iso_utc_ms(order.current_station_at) if station else None,
        "currentStationDesc": station.description if station else None,
    }


def identifiers(order: Order) -> dict:
    return {
        "orderNumber": str(order.number),
        "trayNumber": order.tray or None,
        "poNumber": order.po_number or None,
    }


def order_status_payload(order: Order) -> dict:
    """The v2 status model, keys in the contract's order."""
    status, status_desc = status_pair(order)
    return identifiers(order) | {
        "calculationDesc": order.calculation_desc or None,
        **station_fields(order),
        "status": status,
        "statusDesc": status_desc,
        "onHold": order.on_hold,
        "unvalidMessage": order.unvalid_message or None,
    }


def item_payload(item: OrderItem, endpoints: Iterable) -> dict:
    """An item with its endpoints (anything with a ``name`` and a ``status``, in order), as the
    Lab API v2 shows it."""
    return {
        "id": item.pk,
        "sku": item.sku,
        "name": item.name,
        "quantity": item.quantity,
        "status": item.status,
        "endpoints": [{"name": endpoint.name, "status": endpoint.status} for endpoint in endpoints],
    }


def order_payload(order: Order, items: Iterable[tuple[OrderItem, Iterable]]) -> dict:
    """The v2 fetch model: identifiers first, then the rest alphabetically. ``items`` are the
    order's items with their endpoints (``fast_reads.items_to_show``)."""
    items = [item_payload(item, endpoints) for item, endpoints in items]
    status, status_desc = status_pair(order)
    rest = {
        "calculationDesc": order.calculation_desc or None,
        "createdDevice": order.created_device or None,
        "createdUser": order.created_by.get_username() if order.created_by else None,
        **station_fields(order),
        "customerJobId": order.customer_job_id or None,
        "customerNumber": order.customer_number or None,
        "dateCompleted": iso_date(order.completed_at),
        "dateOrdered": iso_date(order.date_ordered),
        "dateReceived": iso_date(order.received_at),
        "dateTimeValid": iso_date(order.valid_at),
        "dateWanted": iso_date(order.date_wanted),
        "items": items,
        "jobType": order.job_type,
        "onHold": order.on_hold,
        "patient": order.patient or None,
        "pendingCompletion": order.pending_completion,
        "status": status,
        "statusDesc": status_desc,
        "unvalidMessage": order.unvalid_message or None,
        **{spec.wire_name: getattr(order, spec.order_field) for spec in FLOW_STEPS},
    }
    return identifiers(order) | dict(sorted(rest.items()))


# What the Orders API shows of an order, read as plain values: a page of 1000 orders would
# otherwise build some 7000 model instances (orders, users, items, endpoints), which cost
# several times the SQL itself.
_ORDER_VALUES = (
    "id",
    "public_id",
    "number",
    "tray",
    "po_number",
    "ticket_id",
    "ticket_name",
    "created_device",
    "processing_status",
    "processed_at",
    "state",
    "on_hold",
    "cancelled_at",
    "received_at",
    "version",
)


def orders_api_payloads(orders) -> list[dict]:
    """Every order of the ``orders`` queryset (in its order) as the Orders API shows it.

    Three queries, whatever the number of orders, items and endpoints.
    """
    rows = list(orders.values(*_ORDER_VALUES, creator=F("created_by__username")))
    if not rows:
        return []
    items_by_order = _item_values([row["id"] for row in rows])
    return [_orders_api_payload(row, items_by_order[row["id"]]) for row in rows]


def _item_values(order_ids: list[int]) -> dict[int, list[dict]]:
    """The item payloads (``item_payload``'s shape) of each order, by order id: two queries of
    plain values. A page of a thousand orders would otherwise build some 6000 model instances
    (items and endpoints), which cost several times the SQL itself."""
    items_by_order: dict[int, list[dict]] = {order_id: [] for order_id in order_ids}
    items: dict[int, dict] = {}
    for row in (
        OrderItem.objects.filter(order_id__in=order_ids)
        .order_by("id")
        .values("id", "order_id", "sku", "name", "quantity", "status")
    ):
        order_id = row.pop("order_id")
        items[row["id"]] = item = {**row, "endpoints": []}
        items_by_order[order_id].append(item)
    for endpoint in (
        OrderItemEndpoint.objects.filter(item__order_id__in=order_ids)
        .order_by("id")
        .values("item_id", "name", "status")
    ):
        items[endpoint["item_id"]]["endpoints"].append(
            {"name": endpoint["name"], "status": endpoint["status"]}
        )
    return items_by_order


def _endpoint_statuses(items: list[dict]) -> list[dict]:
    """Each endpoint the order's items pass through, with the status derived at it."""
    at_endpoint: dict[str, list[str]] = {}
    for item in items:
        for endpoint in item["endpoints"]:
            at_endpoint.setdefault(endpoint["name"], []).append(endpoint["status"])
    return [
        {"name": name, "status": derive_status(statuses)} for name, statuses in at_endpoint.items()
    ]


def _orders_api_payload(row: dict, items: list[dict]) -> dict:
    return {
        "id": str(row["public_id"]),
        "number": row["number"],
        "orderNumber": str(row["number"]),
        "trayNumber": row["tray"] or None,
        "poNumber": row["po_number"] or None,
        "ticketId": row["ticket_id"] or None,
        "ticketName": row["ticket_name"] or None,
        "deviceName": row["created_device"] or None,
        "userUserName": row["creator"],
        "status": row["processing_status"],
        "isProcessed": row["processed_at"] is not None,
        "isProcessable": processable(
            state=row["state"],
            on_hold=row["on_hold"],
            cancelled_at=row["cancelled_at"],
            processed_at=row["processed_at"],
        ),
        "createdAt": iso_utc_ms(row["received_at"]),
        "items": items,
        "endpoints": _endpoint_statuses(items),
        "_v": row["version"],
    }

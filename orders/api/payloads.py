"""How orders look on the wire, each shape declared once: the serializers below write what the
API faces answer about an order and are, as they stand, its OpenAPI schema. Shared by the faces
so an order reads the same everywhere.

The serializers read the order as ``orders.fast_reads`` reads it to show it (the Lab API v2),
or as plain rows of values (the Orders API, ``order_rows``). They write the contracts' own
conventions, declared once each as a field: text that is empty is written as null
(``TextOrNullField``), times in UTC with milliseconds and a ``Z`` (``UtcMillisecondsField``),
days as ``yyyy-mm-dd`` (``LocalDateField``); a value that follows from several of the order's
fields is worked out by a function a ``Derived...Field`` names.

The Lab API v2 models are ``AnswerSerializer``s (``toolkit.api.answers``): a fetch writes its
order with fields built once per process. Where an answer carries more than the order (a
cancel's ``message``), the object written is a record with the order under ``order``, and the
fields read it there (``order_identifier_fields``).
"""

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from django.db import models
from django.db.models import F
from django.utils import timezone
from rest_framework import serializers

from orders.flow import FLOW_STEPS
from orders.models import Order, OrderEye, OrderItem, OrderItemEndpoint, processable
from orders.rx import CALCULATION_DESCRIPTIONS, Eye
from orders.status import ON_HOLD_STATUS, JobType, OrderState, ProcessingStatus, derive_status
from toolkit.api.answers import AnswerSerializer

# --- The wire's formats and the fields that write them -----------------------------------------


def iso_utc_ms(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and a ``Z``: ``2026-11-23T09:14:05.120Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_date(value) -> str | None:
    """``yyyy-mm-dd``; a date-time is written as its day in the lab's time zone."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = timezone.localdate(value)
    return value.isoformat()


class UtcMillisecondsField(serializers.DateTimeField):
    """A time, in UTC with milliseconds and a ``Z`` (``iso_utc_ms``)."""

    def to_representation(self, value):
        return iso_utc_ms(value)


class LocalDateField(serializers.DateField):
    """A day, ``yyyy-mm-dd``; given a date-time, its day in the lab's time zone (``iso_date``)."""

    def to_representation(self, value):
        return iso_date(value)


class BlankAsNull:
    """Mixin for a field that writes an empty value as null (the contracts' ``x or None``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return super().to_representation(value) or None


class TextOrNullField(BlankAsNull, serializers.CharField):
    """Text, or null when there is none."""


class ChoiceOrNullField(BlankAsNull, serializers.ChoiceField):
    """One of the choices, or null when there is none."""


class Derived:
    """Mixin for a field whose value is worked out by ``derive`` from the object written (or
    from what its ``source`` names), then written as the field writes any value."""

    def __init__(self, derive: Callable[[Any], Any], **kwargs):
        self.derive = derive
        kwargs.setdefault("source", "*")
        super().__init__(**kwargs)

    def to_representation(self, instance):
        value = self.derive(instance)
        return None if value is None else super().to_representation(value)


class DerivedBooleanField(Derived, serializers.BooleanField):
    pass


class DerivedCharField(Derived, serializers.CharField):
    pass


class DerivedChoiceField(Derived, serializers.ChoiceField):
    pass


class DerivedTimeField(Derived, UtcMillisecondsField):
    pass


class DerivedListField(Derived, serializers.ListField):
    pass


# --- Items, as both faces show them -------------------------------------------------------------


class ItemShown(NamedTuple):
    """An item with its endpoints: ``item`` an ``OrderItem`` or a row of its values,
    ``endpoints`` anything with a ``name`` and a ``status`` (attributes or keys), in order."""

    item: Any
    endpoints: Sequence[Any]


class OrderItemEndpointSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The endpoint (department) the item is processed at.")
    status = serializers.ChoiceField(choices=ProcessingStatus.values)


class OrderItemSerializer(serializers.Serializer):
    """An order item, as both the Lab API v2 and the Orders API show it."""

    id = serializers.IntegerField(source="item.id")
    sku = serializers.CharField(source="item.sku")
    name = serializers.CharField(source="item.name")
    quantity = serializers.IntegerField(source="item.quantity")
    status = serializers.ChoiceField(
        choices=ProcessingStatus.values,
        source="item.status",
        help_text="Derived from its endpoints'.",
    )
    endpoints = OrderItemEndpointSerializer(many=True)

    def to_representation(self, instance):
        # An item with its endpoints, as a pair: fast_reads.items_shown gives plain tuples.
        return super().to_representation(ItemShown._make(instance))


# --- Prescription, lenses and frame, as the Lab API v2 names them (contracts/rx-orders.md) ---

# Per eye, each name with the prefix ``rt`` (right) or ``lt`` (left): OrderEye's field.
EYE_WIRE_NAMES = {
    "LensStyle": "lens_style",
    "LensMaterial": "lens_material",
    "Sphere": "sphere",
    "Cylinder": "cylinder",
    "Axis": "axis",
    "Add": "add",
    "Prism": "prism",
    "PrismBase": "prism_base",
    "Pd": "pd",
    "NearPd": "near_pd",
    "SegHeight": "seg_height",
    "OPC": "opc",
}
EYE_PREFIXES = {Eye.RIGHT: "rt", Eye.LEFT: "lt"}

# The order's own: Order's field.
ORDER_RX_WIRE_NAMES = {
    "balanceLens": "balance_lens",
    "corridorLength": "corridor_length",
    "crib": "crib",
    "ellh": "ellh",
    "frameA": "frame_a",
    "frameB": "frame_b",
    "frameBridge": "frame_bridge",
    "frameCircumference": "frame_circumference",
    "frameColor": "frame_color",
    "frameED": "frame_ed",
    "frameEye": "frame_eye",
    "frameManufacturer": "frame_manufacturer",
    "frameName": "frame_name",
    "framePartSKU": "frame_part_sku",
    "frameSideShieldSKU": "frame_side_shield_sku",
    "frameSKU": "frame_sku",
    "frameStatusCode": "frame_status_code",
    "frameUPC": "frame_upc",
    "instructions": "instructions",
    "misc1SKU": "misc1_sku",
    "misc2SKU": "misc2_sku",
    "warehouse": "warehouse",
}


def _shown(model_field, source: str | None) -> serializers.Field:
    """The wire field writing a stored value: a number, a code or text; null when absent."""
    options = {"source": source, "allow_null": True} if source else {"allow_null": True}
    if model_field.help_text:
        options["help_text"] = str(model_field.help_text)
    if isinstance(model_field, models.DecimalField):
        return serializers.DecimalField(
            max_digits=None, decimal_places=2, coerce_to_string=False, **options
        )
    if isinstance(model_field, models.IntegerField):
        return serializers.IntegerField(**options)
    if isinstance(model_field, models.BooleanField):
        return serializers.BooleanField(**options)
    if model_field.choices:
        return ChoiceOrNullField(choices=[c for c in model_field.choices if c[0]], **options)
    return TextOrNullField(**options)


def _rx_fields(at: str) -> dict[str, serializers.Field]:
    """Both eyes' prescription and lens, and the order's lens and frame fields."""
    fields = {}
    for eye, prefix in EYE_PREFIXES.items():
        eye_at = _source(at, Order.EYE_ATTRIBUTES[eye])
        for wire, name in [*EYE_WIRE_NAMES.items(), ("Calculated", "calculated")]:
            fields[prefix + wire] = _shown(OrderEye._meta.get_field(name), f"{eye_at}.{name}")
    fields["rtCalculated"].help_text = fields["ltCalculated"].help_text = (
        "The surfacing calculation is done for this eye; null when the eye is not ordered."
    )
    fields["addons"] = serializers.ListField(
        child=serializers.CharField(),
        source=_source(at, "addon_codes"),
        help_text="The order's addon codes, in the order they were given.",
    )
    fields["arCode"] = serializers.CharField(
        source=_source(at, "ar_addon.code"),
        allow_null=True,
        help_text="The code of the order's first AR addon, or null.",
    )
    fields["arDesc"] = serializers.CharField(
        source=_source(at, "ar_addon.description"), allow_null=True
    )
    for wire, name in ORDER_RX_WIRE_NAMES.items():
        source = _source(at, name)
        # DRF refuses a source that repeats the field's name.
        fields[wire] = _shown(Order._meta.get_field(name), None if source == wire else source)
    return fields


# --- Lab API v2: the order models ---------------------------------------------------------------

# `status` of the v2 models: the order's state, or W while it is on hold (whatever the state);
# `statusDesc` says it in words.
V2_STATUS_CHOICES = [*OrderState.choices, ON_HOLD_STATUS]
_STATE_LABELS = dict(OrderState.choices)


def _status(order: Order) -> str:
    return ON_HOLD_STATUS[0] if order.on_hold else order.state


def _status_desc(order: Order) -> str:
    # What ``get_state_display()`` says, without its walk through the field's choices (a few
    # µs, on every fetch).
    return ON_HOLD_STATUS[1] if order.on_hold else _STATE_LABELS.get(order.state, order.state)


def _creator(order: Order) -> str | None:
    return order.created_by.get_username() if order.created_by else None


def _checked_in_at(order: Order) -> datetime | None:
    return order.current_station_at if order.current_station else None


def _source(at: str, path: str) -> str:
    """The source of the order's ``path``, the order being at ``at`` from the object written
    (``"*"``: the object is the order)."""
    return path if at == "*" else f"{at}.{path}"


def order_identifier_fields(at: str = "*") -> dict[str, serializers.Field]:
    """``orderNumber``, ``trayNumber``, ``poNumber``: the first keys of every v2 answer about an
    order. ``at`` says where the order is from the object written: ``"*"``, the object is the
    order; ``"order"``, the object's ``order`` (attribute or key)."""
    return {
        "orderNumber": serializers.CharField(
            source=_source(at, "number"), help_text="Digits, at most 8, not starting with 0."
        ),
        "trayNumber": TextOrNullField(source=_source(at, "tray")),
        "poNumber": TextOrNullField(source=_source(at, "po_number")),
    }


def _calculation(order: Order) -> str | None:
    return order.calculation_description


def _calculation_field(at: str) -> serializers.Field:
    return DerivedChoiceField(
        _calculation,
        source=at,
        choices=list(CALCULATION_DESCRIPTIONS.values()),
        allow_null=True,
        help_text="Whose surfacing calculation is done; null for a stock order.",
    )


def _station_fields(at: str) -> dict[str, serializers.Field]:
    # The station's fields are null while the order has none (a null ``current_station`` on
    # the way to them is written as null: ``allow_null``).
    return {
        "currentStation": serializers.CharField(
            source=_source(at, "current_station.code"),
            allow_null=True,
            help_text="Code of the last station the order was checked in at.",
        ),
        "currentStationCustomerDesc": TextOrNullField(
            source=_source(at, "current_station.customer_description")
        ),
        "currentStationDateTime": DerivedTimeField(
            _checked_in_at,
            source=at,
            allow_null=True,
            help_text="ISO 8601 in UTC with milliseconds and `Z`.",
        ),
        "currentStationDesc": serializers.CharField(
            source=_source(at, "current_station.description"), allow_null=True
        ),
    }


def _status_fields(at: str) -> dict[str, serializers.Field]:
    return {
        "onHold": serializers.BooleanField(source=_source(at, "on_hold")),
        "status": DerivedChoiceField(
            _status,
            source=at,
            choices=V2_STATUS_CHOICES,
            help_text="The state, or `W` while on hold.",
        ),
        "statusDesc": DerivedCharField(
            _status_desc,
            source=at,
            help_text="`Unvalid`, `Valid`, `Process`, `Completed` or `On Hold`.",
        ),
        "unvalidMessage": TextOrNullField(
            source=_source(at, "unvalid_message"), help_text="Why the order is unvalid (state U)."
        ),
    }


class V2OrderStatusSerializer(AnswerSerializer):
    """An order's status."""

    def get_fields(self):
        status = _status_fields("*")
        return (
            order_identifier_fields()
            | {"calculationDesc": _calculation_field("*")}
            | _station_fields("*")
            | {name: status[name] for name in ("status", "statusDesc", "onHold", "unvalidMessage")}
        )


class V2OrderSerializer(AnswerSerializer):
    """An order (the fetch model): `orderNumber`, `trayNumber`, `poNumber`, then the rest
    alphabetically."""

    # Where the order is from the object written (``order_identifier_fields``): here the
    # object is the order, as ``fast_reads`` reads it with its items.
    order_at = "*"

    def get_fields(self):
        at = self.order_at

        def source(path: str) -> str:
            return _source(at, path)

        def day(path: str, help_text: str = "`yyyy-mm-dd`.") -> LocalDateField:
            return LocalDateField(source=source(path), allow_null=True, help_text=help_text)

        rest = {
            "calculationDesc": _calculation_field(at),
            "createdDevice": TextOrNullField(
                source=source("created_device"),
                help_text="Name of the API key or device that created it.",
            ),
            "createdUser": DerivedCharField(_creator, source=at, allow_null=True),
            **_station_fields(at),
            "customerJobId": TextOrNullField(source=source("customer_job_id")),
            "customerNumber": TextOrNullField(source=source("customer_number")),
            "dateCompleted": day("completed_at"),
            "dateOrdered": day("date_ordered"),
            "dateReceived": day("received_at"),
            "dateTimeValid": day(
                "valid_at", help_text="`yyyy-mm-dd`: the day the order became valid."
            ),
            "dateWanted": day("date_wanted"),
            "items": OrderItemSerializer(many=True, source=source("items_shown")),
            "jobType": serializers.ChoiceField(
                choices=JobType.choices,
                source=source("job_type"),
                help_text="`F` Full, `U` Uncut, `E` Edge, `A` Addon: every job prints a ticket.",
            ),
            "stockOrder": serializers.BooleanField(
                source=source("stock_order"),
                help_text="Picked from stock and shipped, not made: it has no work ticket.",
            ),
            # DRF refuses a source that repeats the field's name.
            "patient": TextOrNullField(source=None if at == "*" else source("patient")),
            "pendingCompletion": serializers.BooleanField(
                source=source("pending_completion"),
                help_text="A completion was accepted; the Job Tracker has not processed it yet.",
            ),
            **_status_fields(at),
            **_rx_fields(at),
            **{
                spec.wire_name: serializers.BooleanField(
                    source=source(spec.order_field),
                    help_text=f"The order requires the {spec.step.label} flow step.",
                )
                for spec in FLOW_STEPS
            },
        }
        return order_identifier_fields(at) | dict(sorted(rest.items()))


class V2CancelledOrderSerializer(V2OrderSerializer):
    """The cancelled order's last known state, with a `message`."""

    order_at = "order"  # a CancelResult, its order read afresh by fast_reads

    def get_fields(self):
        return super().get_fields() | {
            "message": serializers.CharField(
                allow_blank=True,
                help_text=(
                    'Normally `""`; a warning when a `deleteReason` was sent while the setting '
                    "`Enter reason code when deleting order` is off (it was ignored)."
                ),
            )
        }


# --- Orders API: the order model, read as plain values ------------------------------------------


class EndpointStatus(NamedTuple):
    """An endpoint an order's items pass through, with the status derived at it."""

    name: str
    status: str


class EndpointStatusSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.ChoiceField(
        choices=ProcessingStatus.values, help_text="Derived from the order's items there."
    )


def _is_processed(row: dict) -> bool:
    return row["processed_at"] is not None


def _is_processable(row: dict) -> bool:
    return processable(
        state=row["state"],
        on_hold=row["on_hold"],
        cancelled_at=row["cancelled_at"],
        processed_at=row["processed_at"],
    )


class OrderSerializer(AnswerSerializer):
    # An order of the Orders API, written from a row of ``order_rows``.

    id = serializers.UUIDField(source="public_id", help_text="Stable public id of the order.")
    number = serializers.IntegerField(help_text="Lab order number.")
    orderNumber = serializers.CharField(source="number", help_text="The lab order number, as text.")
    trayNumber = TextOrNullField(source="tray")
    poNumber = TextOrNullField(source="po_number")
    ticketId = TextOrNullField(source="ticket_id", help_text="Job ticket the order came from.")
    ticketName = TextOrNullField(
        source="ticket_name", help_text="Name of the job ticket (customer job id / patient)."
    )
    deviceName = TextOrNullField(
        source="created_device", help_text="Workstation or API client that created the order."
    )
    userUserName = serializers.CharField(
        source="creator", allow_null=True, help_text="User who created the order."
    )
    status = serializers.ChoiceField(
        choices=ProcessingStatus.values,
        source="processing_status",
        help_text="Derived from the items'.",
    )
    isProcessed = DerivedBooleanField(_is_processed, help_text="Released to its endpoints.")
    isProcessable = DerivedBooleanField(
        _is_processable,
        help_text="Valid, not on hold, not cancelled, not completed, not yet processed.",
    )
    createdAt = UtcMillisecondsField(
        source="received_at",
        help_text="When the order arrived: ISO 8601 in UTC with milliseconds and `Z`.",
    )
    items = OrderItemSerializer(many=True)
    endpoints = EndpointStatusSerializer(many=True)
    _v = serializers.IntegerField(source="version", help_text="Version, bumped on every change.")


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


def order_rows(orders) -> list[dict]:
    """Every order of the ``orders`` queryset (in its order) as ``OrderSerializer`` reads it: a
    row of its values, with its ``items`` (``ItemShown``) and the ``endpoints`` they pass
    through (``EndpointStatus``).

    Three queries, whatever the number of orders, items and endpoints.
    """
    rows = list(orders.values(*_ORDER_VALUES, creator=F("created_by__username")))
    if not rows:
        return []
    items_by_order = _items_shown([row["id"] for row in rows])
    for row in rows:
        row["items"] = items = items_by_order[row["id"]]
        row["endpoints"] = _endpoint_statuses(items)
    return rows


def orders_api_payloads(orders) -> list[dict]:
    """Every order of the ``orders`` queryset (in its order) as the Orders API shows it."""
    return OrderSerializer.represent_all(order_rows(orders))


def _items_shown(order_ids: list[int]) -> dict[int, list[ItemShown]]:
    """The items of each order, by order id, each with its endpoints: two queries of plain
    values. A page of a thousand orders would otherwise build some 6000 model instances (items
    and endpoints), which cost several times the SQL itself."""
    items_by_order: dict[int, list[ItemShown]] = {order_id: [] for order_id in order_ids}
    endpoints_by_item: dict[int, list[dict]] = {}
    for row in (
        OrderItem.objects.filter(order_id__in=order_ids)
        .order_by("id")
        .values("id", "order_id", "sku", "name", "quantity", "status")
    ):
        endpoints_by_item[row["id"]] = endpoints = []
        items_by_order[row["order_id"]].append(ItemShown(row, endpoints))
    for endpoint in (
        OrderItemEndpoint.objects.filter(item__order_id__in=order_ids)
        .order_by("id")
        .values("item_id", "name", "status")
    ):
        endpoints_by_item[endpoint["item_id"]].append(endpoint)
    return items_by_order


def _endpoint_statuses(items: list[ItemShown]) -> list[EndpointStatus]:
    """Each endpoint the order's items pass through, with the status derived at it."""
    at_endpoint: dict[str, list[str]] = {}
    for item in items:
        for endpoint in item.endpoints:
            at_endpoint.setdefault(endpoint["name"], []).append(endpoint["status"])
    return [EndpointStatus(name, derive_status(statuses)) for name, statuses in at_endpoint.items()]

"""Input shapes of the v2 face. They check types and sizes; the rules are the services' (for
orders) and the models' (for configuration, through ``ValidatedModelSerializer``)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from orders.flow import FLOW_STEPS
from orders.models import REASON_CODE, DeleteReason, LabSettings
from orders.services import NewItem, NewOrder
from orders.settings_registry import LAB_SETTINGS, LabSetting
from orders.status import ON_HOLD_STATUS, JobType, OrderState, ProcessingStatus
from toolkit.api.strict import StrictBooleanField, StrictIntegerField, StrictSerializer
from toolkit.api.validated import ValidatedModelSerializer


class ItemInputSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    quantity = StrictIntegerField(min_value=1, max_value=9999, required=False, default=1)
    endpoints = serializers.ListField(
        child=serializers.CharField(max_length=40), max_length=20, required=False, default=list
    )


class OrderCreateSerializer(StrictSerializer):
    orderNumber = serializers.CharField(required=False, max_length=20)
    trayNumber = serializers.CharField(required=False, allow_blank=True, max_length=20)
    poNumber = serializers.CharField(required=False, allow_blank=True, max_length=100)
    customerNumber = serializers.CharField(required=False, allow_blank=True, max_length=20)
    customerJobId = serializers.CharField(required=False, allow_blank=True, max_length=40)
    patient = serializers.CharField(required=False, allow_blank=True, max_length=100)
    jobType = serializers.ChoiceField(choices=JobType.choices, required=False)
    calculationDesc = serializers.CharField(required=False, allow_blank=True, max_length=100)
    dateOrdered = serializers.DateField(required=False, allow_null=True)
    dateWanted = serializers.DateField(required=False, allow_null=True)
    ticketId = serializers.CharField(required=False, allow_blank=True, max_length=40)
    ticketName = serializers.CharField(required=False, allow_blank=True, max_length=100)
    items = ItemInputSerializer(many=True, required=False, max_length=200)

    def get_fields(self):
        fields = super().get_fields()
        for spec in FLOW_STEPS:
            fields[spec.wire_name] = StrictBooleanField(required=False)
        return fields

    def to_new_order(self) -> NewOrder:
        data = self.validated_data
        return NewOrder(
            number=data.get("orderNumber"),
            tray=data.get("trayNumber", ""),
            po_number=data.get("poNumber", ""),
            customer_number=data.get("customerNumber", ""),
            customer_job_id=data.get("customerJobId", ""),
            patient=data.get("patient", ""),
            job_type=data.get("jobType", JobType.UNCUT),
            calculation_desc=data.get("calculationDesc", ""),
            date_ordered=data.get("dateOrdered"),
            date_wanted=data.get("dateWanted"),
            ticket_id=data.get("ticketId", ""),
            ticket_name=data.get("ticketName", ""),
            requires={spec.order_field for spec in FLOW_STEPS if data.get(spec.wire_name)},
            items=[NewItem(**item) for item in data.get("items", [])],
        )


@extend_schema_serializer(component_name="DeleteReasonInput")
class DeleteReasonSerializer(ValidatedModelSerializer):
    """A reason code, as POST creates it and PATCH changes it; unknown keys are refused."""

    model = DeleteReason

    code = serializers.CharField(max_length=10, validators=[REASON_CODE])
    description = serializers.CharField(max_length=200)
    active = serializers.BooleanField(required=False)

    def validate_code(self, value):
        # The path names the reason: a PATCH cannot move it to another code.
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError("cannot be changed; create a new reason instead")
        return value


def _setting_input(setting: LabSetting) -> serializers.Field:
    """The wire field taking a setting: its model field's JSON type, choices and bounds."""
    field = LabSettings._meta.get_field(setting.field)
    options = {"required": False, "source": setting.field}
    if isinstance(field, models.BooleanField):
        return StrictBooleanField(**options)
    if field.choices:
        return serializers.ChoiceField(choices=field.choices, **options)
    if isinstance(field, models.IntegerField):
        return StrictIntegerField(**_bounds(field), **options)
    raise TypeError(f"no wire field for the {type(field).__name__} of {setting.field}")


def _bounds(field: models.Field) -> dict[str, int]:
    """``min_value`` and ``max_value`` from a model field's validators (the tightest)."""
    lows = [v.limit_value for v in field.validators if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)]
    return ({"min_value": max(lows)} if lows else {}) | ({"max_value": min(highs)} if highs else {})


class LabSettingsSerializer(ValidatedModelSerializer):
    """The lab settings to change; those left out stay as they are, unknown keys are refused."""

    model = LabSettings

    def get_fields(self):
        return {setting.wire_name: _setting_input(setting) for setting in LAB_SETTINGS}

    @staticmethod
    def represent(lab: LabSettings) -> dict:
        return {setting.wire_name: getattr(lab, setting.field) for setting in LAB_SETTINGS}


# --- What the v2 face answers, for the OpenAPI schema (``orders/api/payloads.py`` builds it) ---

# `status` of the v2 models: the order's state, or W while it is on hold (whatever the state).
V2_STATUS_CHOICES = [*OrderState.choices, ON_HOLD_STATUS]


class OrderItemEndpointSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The endpoint (department) the item is processed at.")
    status = serializers.ChoiceField(choices=ProcessingStatus.values)


class OrderItemSerializer(serializers.Serializer):
    """An order item, as both the Lab API v2 and the Orders API show it."""

    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=ProcessingStatus.values, help_text="Derived from its endpoints'."
    )
    endpoints = OrderItemEndpointSerializer(many=True)


def _identifier_fields() -> dict:
    return {
        "orderNumber": serializers.CharField(help_text="Digits, at most 8, not starting with 0."),
        "trayNumber": serializers.CharField(allow_null=True),
        "poNumber": serializers.CharField(allow_null=True),
    }


def _station_fields() -> dict:
    return {
        "currentStation": serializers.CharField(
            allow_null=True, help_text="Code of the last station the order was checked in at."
        ),
        "currentStationCustomerDesc": serializers.CharField(allow_null=True),
        "currentStationDateTime": serializers.DateTimeField(
            allow_null=True, help_text="ISO 8601 in UTC with milliseconds and `Z`."
        ),
        "currentStationDesc": serializers.CharField(allow_null=True),
    }


def _status_fields() -> dict:
    return {
        "onHold": serializers.BooleanField(),
        "status": serializers.ChoiceField(
            choices=V2_STATUS_CHOICES, help_text="The state, or `W` while on hold."
        ),
        "statusDesc": serializers.CharField(
            help_text="`Unvalid`, `Valid`, `Process`, `Completed` or `On Hold`."
        ),
        "unvalidMessage": serializers.CharField(
            allow_null=True, help_text="Why the order is unvalid (state U)."
        ),
    }


class V2OrderSerializer(serializers.Serializer):
    """An order (the fetch model): `orderNumber`, `trayNumber`, `poNumber`, then the rest
    alphabetically."""

    def get_fields(self):
        date = {"allow_null": True, "help_text": "`yyyy-mm-dd`."}
        rest = {
            "calculationDesc": serializers.CharField(allow_null=True),
            "createdDevice": serializers.CharField(
                allow_null=True, help_text="Name of the API key or device that created it."
            ),
            "createdUser": serializers.CharField(allow_null=True),
            **_station_fields(),
            "customerJobId": serializers.CharField(allow_null=True),
            "customerNumber": serializers.CharField(allow_null=True),
            "dateCompleted": serializers.DateField(**date),
            "dateOrdered": serializers.DateField(**date),
            "dateReceived": serializers.DateField(**date),
            "dateTimeValid": serializers.DateField(
                allow_null=True, help_text="`yyyy-mm-dd`: the day the order became valid."
            ),
            "dateWanted": serializers.DateField(**date),
            "items": OrderItemSerializer(many=True),
            "jobType": serializers.ChoiceField(choices=JobType.choices),
            "patient": serializers.CharField(allow_null=True),
            "pendingCompletion": serializers.BooleanField(
                help_text="A completion was accepted; the Job Tracker has not processed it yet."
            ),
            **_status_fields(),
            **{
                spec.wire_name: serializers.BooleanField(
                    help_text=f"The order requires the {spec.step.label} flow step."
                )
                for spec in FLOW_STEPS
            },
        }
        return _identifier_fields() | dict(sorted(rest.items()))


class V2CancelledOrderSerializer(V2OrderSerializer):
    """The cancelled order's last known state, with a `message`."""

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


class V2OrderStatusSerializer(serializers.Serializer):
    """An order's status."""

    def get_fields(self):
        status = _status_fields()
        return (
            _identifier_fields()
            | {"calculationDesc": serializers.CharField(allow_null=True)}
            | _station_fields()
            | {name: status[name] for name in ("status", "statusDesc", "onHold", "unvalidMessage")}
        )


class V2OrderIdentifiersSerializer(serializers.Serializer):
    def get_fields(self):
        return _identifier_fields()


def _setting_output(setting: LabSetting) -> serializers.Field:
    """The wire field showing a setting, for the schema of what GET and PATCH answer."""
    field = LabSettings._meta.get_field(setting.field)
    options = {"help_text": setting.api_help} if setting.api_help else {}
    if isinstance(field, models.BooleanField):
        return serializers.BooleanField(**options)
    if field.choices:
        return serializers.ChoiceField(choices=field.choices, **options)
    return serializers.IntegerField(**options)


@extend_schema_serializer(component_name="LabSettings")
class LabSettingsViewSerializer(serializers.Serializer):
    """The lab settings, every one."""

    def get_fields(self):
        return {setting.wire_name: _setting_output(setting) for setting in LAB_SETTINGS}


@extend_schema_serializer(component_name="DeleteReason")
class DeleteReasonViewSerializer(serializers.Serializer):
    """A reason code a client gives when cancelling an order."""

    code = serializers.CharField()
    description = serializers.CharField()
    active = serializers.BooleanField(help_text="Only active codes are accepted by cancel.")

"""Input shapes of the v2 face, and the answers about its configuration (what it answers about
an order is ``orders/api/payloads.py``). The input shapes check types and sizes; the rules are
the services' (for orders) and the models' (for configuration, through
``ValidatedModelSerializer``)."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from orders.flow import FLOW_STEPS
from orders.identifiers import (
    ORDER_NUMBER_PATTERN,
    PO_NUMBER_MAX_LENGTH,
    TRAY_NUMBER_PATTERN,
)
from orders.models import REASON_CODE, DeleteReason, LabSettings
from orders.services import NewItem, NewOrder
from orders.services.create_checks import field_problems
from orders.settings_registry import LAB_SETTINGS, LabSetting
from orders.status import JobType
from toolkit.api.strict import (
    StrictBooleanField,
    StrictCharField,
    StrictIntegerField,
    StrictSerializer,
)
from toolkit.api.validated import ValidatedModelSerializer

from .rx_input import eyes_given, lens_and_frame_given, rx_input_fields


class ItemInputSerializer(StrictSerializer):
    sku = StrictCharField(max_length=40)
    name = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    quantity = StrictIntegerField(min_value=1, max_value=9999, required=False, default=1)
    endpoints = serializers.ListField(
        child=StrictCharField(max_length=40), max_length=20, required=False, default=list
    )


class OrderCreateSerializer(StrictSerializer):
    # The identifiers' formats are the create service's (``orders.identifiers``), checked
    # there in its words and stated here; the text is taken as sent, as the patterns read it.
    orderNumber = StrictCharField(
        required=False,
        max_length=20,
        trim_whitespace=False,
        stated={"pattern": ORDER_NUMBER_PATTERN},
    )
    trayNumber = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=20,
        trim_whitespace=False,
        stated={"pattern": TRAY_NUMBER_PATTERN},
    )
    # Required, as the vendor requires them (contracts/rx-orders.md).
    poNumber = StrictCharField(max_length=100, stated={"maxLength": PO_NUMBER_MAX_LENGTH})
    customerNumber = StrictCharField(
        max_length=8,
        help_text="Names an active customer (`Customer does not exist` otherwise).",
    )
    customerJobId = StrictCharField(max_length=21)
    patient = StrictCharField(required=False, allow_blank=True, max_length=100)
    jobType = serializers.ChoiceField(choices=JobType.choices)
    dateOrdered = serializers.DateField(required=False, allow_null=True)
    dateWanted = serializers.DateField(required=False, allow_null=True)
    ticketId = StrictCharField(required=False, allow_blank=True, max_length=40)
    ticketName = StrictCharField(required=False, allow_blank=True, max_length=100)
    items = ItemInputSerializer(many=True, required=False, max_length=200)

    def get_fields(self):
        fields = super().get_fields()
        for spec in FLOW_STEPS:
            fields[spec.wire_name] = StrictBooleanField(required=False)
        return fields | rx_input_fields()

    # The fields check 1's rules read beyond their types (``field_problems``), by wire name.
    RULE_FIELDS = {
        "orderNumber": "number",
        "trayNumber": "tray",
        "poNumber": "po_number",
        "frameSKU": "frame_sku",
        "frameUPC": "frame_upc",
        "addons": "addon_codes",
    }

    def every_problem(self) -> dict:
        """After ``is_valid`` failed: its problems, and those of check 1's rules among the fields
        that passed their own checks, so that one answer lists every problem of check 1
        (contracts/rx-orders.md) — not the types now and an unknown addon on the next try."""
        errors = dict(self.errors)
        if not isinstance(self.initial_data, dict):
            return errors
        values = {}
        for wire, name in self.RULE_FIELDS.items():
            if wire in errors or wire not in self.initial_data:
                continue
            try:
                values[name] = self.fields[wire].run_validation(self.initial_data[wire])
            except serializers.ValidationError:
                continue
        problems, _ = field_problems(**values)
        return errors | {wire: texts for wire, texts in problems.items() if wire not in errors}

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
            date_ordered=data.get("dateOrdered"),
            date_wanted=data.get("dateWanted"),
            ticket_id=data.get("ticketId", ""),
            ticket_name=data.get("ticketName", ""),
            requires={spec.order_field for spec in FLOW_STEPS if data.get(spec.wire_name)},
            items=[NewItem(**item) for item in data.get("items", [])],
            eyes=eyes_given(data),
            lens_and_frame=lens_and_frame_given(data),
            addons=data.get("addons", []),
        )


@extend_schema_serializer(component_name="DeleteReasonInput")
class DeleteReasonSerializer(ValidatedModelSerializer):
    """A reason code, as POST creates it and PATCH changes it; unknown keys are refused."""

    model = DeleteReason

    code = StrictCharField(max_length=10, validators=[REASON_CODE], trim_whitespace=False)
    description = StrictCharField(max_length=200)
    active = StrictBooleanField(required=False)


@extend_schema_serializer(component_name="DeleteReasonChange")
class DeleteReasonChangeSerializer(DeleteReasonSerializer):
    """A reason code's changes, as PATCH takes them; unknown keys are refused. The code is
    read-only: the path names the reason, and a different `code` is refused (the same one, as
    a fetched record carries it, is accepted)."""

    fixed_fields = ("code",)

    def validate_code(self, value):
        if value != self.instance.code:
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


# --- What the v2 face answers about its configuration ----------------------------------------


def _setting_output(setting: LabSetting) -> serializers.Field:
    """The wire field showing a setting, as GET and PATCH answer it."""
    field = LabSettings._meta.get_field(setting.field)
    options = {"source": setting.field}
    if setting.api_help:
        options["help_text"] = setting.api_help
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

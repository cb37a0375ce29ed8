"""Lab API v2 customers and addons (contracts/rx-orders.md): configuration resources
(``toolkit.api.configuration``) that supervisors keep and client systems read.

A customer is never deleted over the API (orders refer to it): it is deactivated with
``PATCH {"active": false}``. An addon that some order used is deactivated by ``DELETE``; one
that none used is deleted.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema_serializer
from rest_framework import serializers
from rest_framework.response import Response

from orders.errors import AddonNotFound, CustomerRecordNotFound, InvalidOrderData
from orders.models import STATION_CODE, Addon, Customer, OrderAddon
from toolkit.api.configuration import (
    ConfigurationDetailView,
    ConfigurationListView,
    ConfigurationRecordView,
    ConfigurationSchema,
)
from toolkit.api.schema import V2_INCORRECT_ARGUMENTS
from toolkit.api.strict import StrictBooleanField, StrictCharField
from toolkit.api.validated import ValidatedModelSerializer

from .base import ORDER_ERROR_STATUS

TAG = "Lab API v2: customers and addons"


def _text(name: str, max_length: int, **options) -> StrictCharField:
    return StrictCharField(source=name, max_length=max_length, **options)


def _optional_text(name: str, max_length: int) -> StrictCharField:
    return _text(name, max_length, required=False, allow_blank=True)


# --- customers ----------------------------------------------------------------------------------


class CustomerFields:
    """A customer's wire names, for its input and its view."""

    @staticmethod
    def declared(*, view: bool) -> dict[str, serializers.Field]:
        def text(name, length):
            return serializers.CharField(source=name) if view else _optional_text(name, length)

        return {
            "number": serializers.CharField()
            if view
            else StrictCharField(max_length=8, trim_whitespace=False),
            "name": serializers.CharField() if view else StrictCharField(max_length=100),
            "shipToName": text("ship_to_name", 100),
            **{f"shipToAddress{n}": text(f"ship_to_address{n}", 100) for n in range(1, 5)},
            "shipToPostalCode": text("ship_to_postal_code", 20),
            "active": serializers.BooleanField(help_text="Only active customers take new orders.")
            if view
            else StrictBooleanField(required=False),
        }


@extend_schema_serializer(component_name="CustomerInput")
class CustomerSerializer(ValidatedModelSerializer):
    """A customer, as POST creates it and PATCH changes it; unknown keys are refused."""

    model = Customer

    def get_fields(self):
        return CustomerFields.declared(view=False)


@extend_schema_serializer(component_name="CustomerChange")
class CustomerChangeSerializer(CustomerSerializer):
    """A customer's changes; the number is read-only (the path names the customer)."""

    fixed_fields = ("number",)

    def validate_number(self, value):
        if value != self.instance.number:
            raise serializers.ValidationError("cannot be changed")
        return value


@extend_schema_serializer(component_name="Customer")
class CustomerViewSerializer(serializers.Serializer):
    """A practice or optician the lab works for."""

    def get_fields(self):
        return CustomerFields.declared(view=True)


ACTIVE_FILTER = OpenApiParameter(
    "active", bool, description="Only active (`true`) or only inactive (`false`) customers."
)

CUSTOMERS_SCHEMA = ConfigurationSchema(
    tag=TAG,
    noun="customer",
    path_description="The customer number (case-sensitive).",
    page_description="A page of customers, by number.",
    refused_new=f"{V2_INCORRECT_ARGUMENTS} Also when the number exists.",
    refused_change=f"{V2_INCORRECT_ARGUMENTS} Also when `number` differs from the path's.",
    delete_description="",
    deletable=False,
    list_parameters=(ACTIVE_FILTER,),
)


class Customers:
    model = Customer
    lookup_field = "number"
    view_serializer = CustomerViewSerializer
    input_serializer = CustomerSerializer
    change_serializer = CustomerChangeSerializer
    not_found = CustomerRecordNotFound
    error_statuses = ORDER_ERROR_STATUS


@CUSTOMERS_SCHEMA.list_view
class CustomerListView(Customers, ConfigurationListView):
    """The customers (``?active=true`` for the active ones), and a new one."""

    def records(self, request):
        records = super().records(request)
        active = request.query_params.get("active")
        if active is None:
            return records
        if active not in ("true", "false"):
            raise InvalidOrderData({"active": ["must be true or false"]})
        return records.filter(active=active == "true")


@CUSTOMERS_SCHEMA.detail_view
class CustomerDetailView(Customers, ConfigurationRecordView):
    """One customer: read or changed (deactivated with `active: false`, never deleted)."""


# --- addons -------------------------------------------------------------------------------------

# Wire name: the Addon field behind it, besides code and description.
ADDON_FLAGS = {
    "excludeFromRxSite": "exclude_from_rx_site",
    "isAR": "is_ar",
    "isBackside": "is_backside",
    "isMirror": "is_mirror",
    "isTint": "is_tint",
    "isUV": "is_uv",
    "requiresDropBall": "requires_drop_ball",
    "requiresEtching": "requires_etching",
    "requiresHarden": "requires_harden",
    "requiresPolish": "requires_polish",
}


@extend_schema_serializer(component_name="AddonInput")
class AddonSerializer(ValidatedModelSerializer):
    """An addon, as POST creates it and PATCH changes it; unknown keys are refused."""

    model = Addon

    def get_fields(self):
        return {
            "code": StrictCharField(
                max_length=10, validators=[STATION_CODE], trim_whitespace=False
            ),
            "desc": _text("description", 100),
            "externalCode": _optional_text("external_code", 20),
            **{
                wire: StrictBooleanField(source=name, required=False)
                for wire, name in ADDON_FLAGS.items()
            },
            "active": StrictBooleanField(required=False),
        }


@extend_schema_serializer(component_name="AddonChange")
class AddonChangeSerializer(AddonSerializer):
    """An addon's changes; the code is read-only (the path names the addon)."""

    fixed_fields = ("code",)

    def validate_code(self, value):
        if value != self.instance.code:
            raise serializers.ValidationError("cannot be changed")
        return value


@extend_schema_serializer(component_name="Addon")
class AddonViewSerializer(serializers.Serializer):
    """Something a job may have applied to its lenses; its flags are the flow steps it brings."""

    def get_fields(self):
        return {
            "code": serializers.CharField(),
            "desc": serializers.CharField(source="description"),
            "externalCode": serializers.CharField(source="external_code"),
            **{wire: serializers.BooleanField(source=name) for wire, name in ADDON_FLAGS.items()},
            "active": serializers.BooleanField(help_text="Only active addons can be ordered."),
        }


ADDONS_SCHEMA = ConfigurationSchema(
    tag=TAG,
    noun="addon",
    path_description="The addon code (case-sensitive).",
    page_description="A page of addons (active or not), by code.",
    refused_new=f"{V2_INCORRECT_ARGUMENTS} Also when the code exists.",
    refused_change=f"{V2_INCORRECT_ARGUMENTS} Also when `code` differs from the path's.",
    delete_summary="Delete or deactivate an addon",
    delete_description=(
        "Deletes the addon when no order has it (204); deactivates it (`active: false`) when "
        "one has, since orders keep pointing at their addons (200, the addon as it now is)."
    ),
    deleted={
        200: OpenApiResponse(AddonViewSerializer, description="Deactivated: an order has it."),
        204: OpenApiResponse(description="Deleted: no order had it."),
    },
)


class Addons:
    model = Addon
    lookup_field = "code"
    view_serializer = AddonViewSerializer
    input_serializer = AddonSerializer
    change_serializer = AddonChangeSerializer
    not_found = AddonNotFound
    error_statuses = ORDER_ERROR_STATUS

    def destroy(self, addon: Addon) -> Response:
        if OrderAddon.objects.filter(addon=addon).exists():
            if addon.active:
                addon.active = False
                addon.save(update_fields=["active"])
            return Response(self.represent(addon))
        addon.delete()
        return Response(status=204)


@ADDONS_SCHEMA.list_view
class AddonListView(Addons, ConfigurationListView):
    """The addons, and a new one."""


@ADDONS_SCHEMA.detail_view
class AddonDetailView(Addons, ConfigurationDetailView):
    """One addon: read, changed, or deleted (deactivated once an order has it)."""

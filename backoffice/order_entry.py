"""Entering a job in the admin: a form for what the Lab API v2 create takes (customer, job,
both eyes' prescription and lens, frame, addons), handed to the same create service.

The form checks only what a browser form checks of any field — types, sizes, the model
fields' ranges and choices. Every rule of a new order (uncut-only fields, the customer, lens
choice, addons, the Rx catalogue, duplicates, the tray) is ``create_checks``', run by
``create_order`` as for the API; a refusal is shown in the API's words. Nothing is created
when any check fails.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from accounts.rights import Right
from orders.errors import DomainError
from orders.models import LENS_AND_FRAME_FIELDS, Addon, Customer, Order, OrderEye
from orders.rx import EYE_FIELDS, Eye, EyeValues, prism_base_error
from orders.services import NewOrder, create_order
from orders.status import JobType

from .admin_views import api_message, missing_right_message

# What the history and the fetch model's ``createdDevice`` name as the order's origin.
ADMIN_DEVICE = "admin"
EYE_PREFIXES = {Eye.RIGHT: "rt_", Eye.LEFT: "lt_"}
JOB_FIELDS = (
    "customer",
    "customer_job_id",
    "po_number",
    "job_type",
    "tray",
    "patient",
    "date_wanted",
)


def _eye_field(name: str) -> forms.Field:
    if name == "prism_base":
        return forms.CharField(
            required=False,
            max_length=OrderEye._meta.get_field(name).max_length,
            help_text="IN, OUT, UP, DOWN or degrees",
            validators=[_valid_prism_base],
        )
    return OrderEye._meta.get_field(name).formfield(required=False)


def _valid_prism_base(value: str) -> None:
    if value and (problem := prism_base_error(value)):
        raise forms.ValidationError(problem)


class OrderEntryForm(forms.Form):
    customer = forms.ModelChoiceField(
        queryset=Customer.objects.filter(active=True).order_by("number"),
        to_field_name="number",
    )
    customer_job_id = forms.CharField(label="Customer job id", max_length=21)
    po_number = forms.CharField(label="PO number", max_length=20)
    job_type = forms.ChoiceField(choices=JobType.choices, initial=JobType.FULL)
    tray = forms.CharField(label="Tray number", required=False, max_length=5)
    patient = forms.CharField(required=False, max_length=100)
    date_wanted = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    addons = forms.ModelMultipleChoiceField(
        queryset=Addon.objects.filter(active=True).order_by("code"),
        to_field_name="code",
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for prefix in EYE_PREFIXES.values():
            for name in EYE_FIELDS:
                self.fields[prefix + name] = _eye_field(name)
        for name in LENS_AND_FRAME_FIELDS:
            self.fields[name] = Order._meta.get_field(name).formfield(required=False)

    def job_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in JOB_FIELDS]

    def eye_rows(self) -> list[tuple[str, list[forms.BoundField]]]:
        """Each eye's fields in a row, right eye first, for the prescription table."""
        return [
            (eye.label, [self[prefix + name] for name in EYE_FIELDS])
            for eye, prefix in EYE_PREFIXES.items()
        ]

    def eye_labels(self) -> list[str]:
        return [str(OrderEye._meta.get_field(name).verbose_name) for name in EYE_FIELDS]

    def lens_and_frame(self) -> list[forms.BoundField]:
        return [self[name] for name in LENS_AND_FRAME_FIELDS]

    def new_order(self) -> NewOrder:
        """The order the form describes, as the create service takes it; only what was filled
        in (the model's defaults stand for the rest)."""
        data = self.cleaned_data
        eyes = {}
        for eye, prefix in EYE_PREFIXES.items():
            given = {
                name: data[prefix + name]
                for name in EYE_FIELDS
                if data[prefix + name] not in (None, "")
            }
            if given:
                eyes[eye] = EyeValues(**given)
        return NewOrder(
            tray=data["tray"],
            po_number=data["po_number"],
            customer_number=data["customer"].number,
            customer_job_id=data["customer_job_id"],
            patient=data["patient"],
            job_type=data["job_type"],
            date_wanted=data["date_wanted"],
            eyes=eyes,
            lens_and_frame={
                name: data[name] for name in LENS_AND_FRAME_FIELDS if data[name] not in (None, "")
            },
            addons=[addon.code for addon in data["addons"]],
        )


def order_entry_view(request, admin_site, model_admin):
    """The order list's "Add order": the form, then ``create_order`` as the acting user."""
    if not request.user.has_perm(Right.CREATE_ORDER):
        raise PermissionDenied(missing_right_message(Right.CREATE_ORDER))
    form = OrderEntryForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            order = create_order(data=form.new_order(), actor=request.user, device=ADMIN_DEVICE)
        except DomainError as error:
            form.add_error(None, api_message(error))
        else:
            state = "valid" if not order.unvalid_message else f"unvalid: {order.unvalid_message}"
            messages.success(request, f"Order {order.number} is created ({state}).")
            return HttpResponseRedirect(reverse("admin:orders_order_change", args=[order.pk]))
    context = {
        **admin_site.each_context(request),
        "title": "Add order",
        "opts": Order._meta,
        "form": form,
        "has_view_permission": model_admin.has_view_permission(request),
    }
    return TemplateResponse(request, "admin/orders/order/entry_form.html", context)

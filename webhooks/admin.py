"""Webhook subscriptions and their deliveries in the admin.

Subscriptions need ``manage_webhooks`` for everything, as the API does; their secret is shown
once, on the page that follows a create or a rotation. Deliveries are read-only, with every
attempt; a failed one can be sent again.
"""

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.utils.html import format_html

from accounts.admin import show_keys_once
from accounts.models import ShownOnce
from accounts.rights import Right
from orders.admin import OrderPanelInline

from .event_types import EventType
from .models import FAILING_AFTER, Attempt, Delivery, DeliveryStatus, Subscription
from .services import retry_delivery, rotate_secret


class SubscriptionForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        choices=EventType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every event.",
    )
    customer_numbers = forms.CharField(
        required=False,
        help_text="Comma-separated; empty: orders of every customer.",
    )

    class Meta:
        model = Subscription
        fields = ["url", "events", "customer_numbers", "append_order_id", "active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["customer_numbers"] = ", ".join(self.instance.customer_numbers)

    def clean_customer_numbers(self):
        text = self.cleaned_data["customer_numbers"]
        return [part.strip() for part in text.split(",") if part.strip()]


class ManagedAdmin(admin.ModelAdmin):
    """Every page and action of the model needs ``manage_webhooks``."""

    def _manages(self, request) -> bool:
        return request.user.has_perm(Right.MANAGE_WEBHOOKS)

    def has_view_permission(self, request, obj=None):
        return self._manages(request)

    def has_add_permission(self, request):
        return self._manages(request)

    def has_change_permission(self, request, obj=None):
        return self._manages(request)

    def has_delete_permission(self, request, obj=None):
        return self._manages(request)

    def has_module_permission(self, request):
        return self._manages(request) or request.user.has_perm(Right.VIEW_WEBHOOK_DELIVERY)


class FailingFilter(admin.SimpleListFilter):
    """Failing or not, by the rule of the list's *failing* column and the API's ``failing``
    (``FAILING_AFTER`` failed deliveries in a row), active or not. The dashboard's figure,
    which counts active ones only, links here with the *active* filter beside it."""

    title = "failing"
    parameter_name = "failing"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        failing = Q(consecutive_failures__gte=FAILING_AFTER)
        if self.value() == "yes":
            return queryset.filter(failing)
        if self.value() == "no":
            return queryset.exclude(failing)
        return queryset


@admin.register(Subscription)
class SubscriptionAdmin(ManagedAdmin):
    form = SubscriptionForm
    list_display = ["id", "url", "event_list", "active", "is_failing", "created_at"]
    list_filter = ["active", FailingFilter]
    search_fields = ["url"]
    readonly_fields = ["consecutive_failures", "created_at", "created_by", "deliveries_link"]
    actions = ["rotate_secret_of_selected"]

    @admin.display(description="events")
    def event_list(self, subscription):
        return ", ".join(subscription.events) or "all"

    @admin.display(description="failing", boolean=True)
    def is_failing(self, subscription):
        return subscription.failing

    @admin.display(description="deliveries")
    def deliveries_link(self, subscription):
        if subscription.pk is None:
            return "-"
        return format_html(
            '<a href="../../../delivery/?subscription__id__exact={}">Deliveries of this '
            "subscription</a>",
            subscription.pk,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_deleted_objects(self, objs, request):
        # A subscription's deliveries go with it, as with DELETE in the API: deleting them
        # needs no right of their own (no one has one: deliveries are read-only here).
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        perms_needed.discard(Delivery._meta.verbose_name)
        return deleted, counts, perms_needed, protected

    def response_add(self, request, obj, post_url_continue=None):
        return self._show_secret(request, obj, "Webhook subscription created")

    def _show_secret(self, request, subscription, title):
        return show_keys_once(
            self,
            request,
            "admin/webhooks/subscription/secret.html",
            title,
            subscription=subscription,
            secret=ShownOnce(subscription.secret),
        )

    @admin.action(description="Give the selected subscription a new secret")
    def rotate_secret_of_selected(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select one subscription at a time.", messages.ERROR)
            return None
        subscription = queryset.get()
        rotate_secret(subscription)
        self.log_change(request, subscription, "Gave it a new secret.")
        return self._show_secret(request, subscription, "New webhook secret")


class AttemptInline(admin.TabularInline):
    model = Attempt
    fields = ["at", "status_code", "error", "duration_ms", "response_excerpt"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "order",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
    ]
    list_filter = ["status", "subscription"]
    list_select_related = ["event", "order", "subscription"]
    search_fields = ["order__number"]
    readonly_fields = [
        "event_type",
        "event_id",
        "order",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "claimed_by",
        "last_error",
        "created_at",
        "finished_at",
    ]
    fields = readonly_fields
    inlines = [AttemptInline]
    actions = ["resend_selected"]
    show_full_result_count = False

    @admin.display(description="event")
    def event_type(self, delivery):
        return delivery.event.type

    @admin.display(description="event id (X-Labsite-Delivery)")
    def event_id(self, delivery):
        return delivery.event_id

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm(Right.MANAGE_WEBHOOKS)

    @admin.action(description="Send the selected failed deliveries again", permissions=["resend"])
    def resend_selected(self, request, queryset):
        resent = sum(
            retry_delivery(delivery) for delivery in queryset.filter(status=DeliveryStatus.FAILED)
        )
        self.message_user(request, f"{resent} failed delivery(ies) queued again.", messages.SUCCESS)


class DeliveryInline(OrderPanelInline):
    """The order page's webhook panel: each event sent about the order, where, and how it
    went."""

    model = Delivery
    fk_name = "order"
    verbose_name_plural = "webhook deliveries"
    fields = ["created_at", "event_type", "subscription", "status", "attempts", "last_error"]
    readonly_fields = fields
    ordering = ["id"]

    @admin.display(description="event")
    def event_type(self, delivery):
        return delivery.event.type

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and request.user.has_perm(
            Right.VIEW_WEBHOOK_DELIVERY
        )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event", "subscription")

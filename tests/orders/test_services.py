"""The order services: create, hold, release, cancel, lab settings.

Every refused change raises its typed error and writes nothing; every accepted change writes
exactly one history entry and bumps the order's version.
"""

from django.utils import timezone

import pytest

from orders.errors import (
    DeleteReasonInvalid,
    DeleteReasonsEmpty,
    HoldNotAllowed,
    InvalidOrderData,
    JobTrackerRequired,
    NonCancelStation,
    OrderAlreadyCompleted,
    OrderAlreadyOnHold,
    OrderMarkedForCancelation,
    OrderNotOnHold,
)
from orders.models import (
    Addon,
    LabSettings,
    LabSettingsChange,
    Order,
    OrderEvent,
    OrderItem,
    OrderItemEndpoint,
)
from orders.services import (
    REASON_IGNORED_WARNING,
    NewItem,
    NewOrder,
    cancel_order,
    create_order,
    hold_order,
    release_order,
    update_lab_settings,
)
from orders.status import EventKind, OrderState
from tests.jobs import A_LENS

pytestmark = pytest.mark.django_db


def new_order(**fields) -> NewOrder:
    fields.setdefault("items", [NewItem(sku="SV-150", name="Single vision", endpoints=["surf"])])
    fields.setdefault("eyes", A_LENS)
    return NewOrder(**fields)


def order_row(order: Order) -> dict:
    """What a refused service must leave untouched."""
    fresh = Order.objects.get(pk=order.pk)
    return {
        "version": fresh.version,
        "state": fresh.state,
        "on_hold": fresh.on_hold,
        "cancelled_at": fresh.cancelled_at,
        "cancel_reason": fresh.cancel_reason_id,
        "events": list(OrderEvent.objects.filter(order=order).values_list("pk", flat=True)),
    }


@pytest.fixture
def actor(make_user):
    return make_user(username="operator-ann")


@pytest.fixture(autouse=True)
def customers(make_customer):
    """The customers the orders here name."""
    return [make_customer("C1"), make_customer("C2")]


# --- create ----------------------------------------------------------------------------------


def test_an_order_with_items_is_created_valid(actor):
    order = create_order(
        data=new_order(
            number="10500",
            tray="42",
            po_number="PO-1",
            customer_number="C1",
            customer_job_id="J1",
            items=[NewItem(sku="A", quantity=2, endpoints=["surf", "coat", "surf"])],
        ),
        actor=actor,
        device="rx-gateway",
    )

    order.refresh_from_db()
    assert (order.number, order.tray, order.po_number) == (10500, "42", "PO-1")
    assert order.state == OrderState.VALID
    assert order.unvalid_message == ""
    assert order.valid_at is not None
    assert order.created_by == actor
    assert order.created_device == "rx-gateway"
    assert order.version == 1
    item = OrderItem.objects.get(order=order)
    assert (item.sku, item.quantity) == ("A", 2)
    assert list(OrderItemEndpoint.objects.filter(item=item).values_list("name", flat=True)) == [
        "surf",
        "coat",
    ]


def test_a_stock_order_without_items_is_created_unvalid(actor):
    order = create_order(data=new_order(items=[], eyes={}, stock_order=True), actor=actor)

    order.refresh_from_db()
    assert order.state == OrderState.UNVALID
    assert order.unvalid_message == "Order has no items"
    assert order.valid_at is None


def test_a_job_with_an_ordered_eye_is_valid_without_items(actor):
    order = create_order(data=new_order(items=[]), actor=actor)

    assert (order.state, order.unvalid_message) == (OrderState.VALID, "")


def test_an_addon_job_with_its_addons_is_valid_without_items(actor):
    Addon.objects.create(code="TINT", description="Tint", is_tint=True)

    order = create_order(
        data=new_order(items=[], eyes={}, job_type="A", addons=["TINT"]), actor=actor
    )

    assert (order.state, order.requires_tint) == (OrderState.VALID, True)


def test_a_duplicate_customer_job_id_for_the_same_customer_makes_the_order_unvalid(actor):
    first = create_order(data=new_order(customer_number="C1", customer_job_id="J1"), actor=actor)

    second = create_order(data=new_order(customer_number="C1", customer_job_id="J1"), actor=actor)

    assert second.state == OrderState.UNVALID
    assert second.unvalid_message == (
        f"Duplicate customer job id J1 for customer C1: order {first.number}"
    )


def test_a_duplicate_customer_job_id_without_a_customer_names_none(actor):
    first = create_order(data=new_order(customer_job_id="J1"), actor=actor)

    second = create_order(data=new_order(customer_job_id="J1"), actor=actor)

    assert second.unvalid_message == (
        f"Duplicate customer job id J1 for customer (none): order {first.number}"
    )


def test_the_same_customer_job_id_for_another_customer_is_valid(actor):
    create_order(data=new_order(customer_number="C1", customer_job_id="J1"), actor=actor)

    other = create_order(data=new_order(customer_number="C2", customer_job_id="J1"), actor=actor)

    assert other.state == OrderState.VALID


def test_a_cancelled_duplicate_customer_job_id_does_not_count(actor):
    first = create_order(data=new_order(customer_number="C1", customer_job_id="J1"), actor=actor)
    Order.objects.filter(pk=first.pk).update(cancelled_at=timezone.now())

    again = create_order(data=new_order(customer_number="C1", customer_job_id="J1"), actor=actor)

    assert again.state == OrderState.VALID
    assert again.unvalid_message == ""


def test_a_completed_duplicate_customer_job_id_still_counts(actor):
    first = create_order(data=new_order(customer_number="C1", customer_job_id="J1"), actor=actor)
    Order.objects.filter(pk=first.pk).update(state=OrderState.COMPLETED)

    again = create_order(data=new_order(customer_number="C1", customer_job_id="J1"), actor=actor)

    assert again.state == OrderState.UNVALID


def test_a_duplicate_is_unvalid_with_or_without_items(actor):
    first = create_order(data=new_order(customer_number="C1", customer_job_id="J1"), actor=actor)

    order = create_order(
        data=new_order(customer_number="C1", customer_job_id="J1", items=[]), actor=actor
    )

    assert order.unvalid_message == (
        f"Duplicate customer job id J1 for customer C1: order {first.number}"
    )


def test_numbers_are_assigned_from_the_sequence(actor):
    first = create_order(data=new_order(), actor=actor)
    second = create_order(data=new_order(), actor=actor)

    assert second.number == first.number + 1


def test_the_sequence_skips_numbers_taken_explicitly(actor):
    first = create_order(data=new_order(), actor=actor)
    create_order(data=new_order(number=str(first.number + 1)), actor=actor)
    create_order(data=new_order(number=str(first.number + 2)), actor=actor)

    assigned = create_order(data=new_order(), actor=actor)

    assert assigned.number == first.number + 3


def test_the_sequence_skips_a_run_of_taken_numbers_longer_than_its_search_window(actor):
    first = create_order(data=new_order(), actor=actor)
    Order.objects.bulk_create(Order(number=first.number + n) for n in range(1, 251))

    assigned = create_order(data=new_order(), actor=actor)

    assert assigned.number == first.number + 251


@pytest.mark.parametrize(
    ("fields", "details"),
    [
        ({"number": "12a"}, ["orderNumber: must contain digits only"]),
        ({"number": "١٢٣"}, ["orderNumber: must contain digits only"]),
        ({"number": "123456789"}, ["orderNumber: must have at most 8 digits"]),
        ({"number": "0123"}, ["orderNumber: must not start with 0"]),
        ({"tray": "4a"}, ["trayNumber: must contain digits only"]),
        ({"tray": "123456"}, ["trayNumber: must have at most 5 digits"]),
        ({"po_number": "x" * 21}, ["poNumber: must have at most 20 characters"]),
        ({"po_number": "PO\x00"}, ["poNumber: must not contain control characters"]),
        (
            {"number": "0", "tray": "123456", "po_number": "x" * 21},
            [
                "orderNumber: must not start with 0",
                "trayNumber: must have at most 5 digits",
                "poNumber: must have at most 20 characters",
            ],
        ),
    ],
)
def test_a_broken_number_rule_is_refused_and_nothing_is_written(actor, fields, details):
    with pytest.raises(InvalidOrderData) as caught:
        create_order(data=new_order(**fields), actor=actor)

    assert caught.value.message == "Incorrect arguments provided"
    assert caught.value.details == details
    assert Order.objects.count() == 0
    assert OrderItem.objects.count() == 0
    assert OrderEvent.objects.count() == 0


def test_an_order_number_that_exists_is_refused(actor, make_order):
    make_order(number=10500)

    with pytest.raises(InvalidOrderData) as caught:
        create_order(data=new_order(number="10500"), actor=actor)

    assert caught.value.errors == {"orderNumber": ["order number 10500 already exists"]}
    assert Order.objects.count() == 1


def test_a_tray_held_by_an_active_order_is_refused(actor, make_order):
    holder = make_order(tray="42")

    with pytest.raises(InvalidOrderData) as caught:
        create_order(data=new_order(tray="42"), actor=actor)

    assert caught.value.errors == {"trayNumber": [f"tray 42 is in use by order {holder.number}"]}
    assert Order.objects.count() == 1


@pytest.mark.parametrize(
    "inactive", [{"state": OrderState.COMPLETED}, {"cancelled_at": timezone.now()}]
)
def test_a_tray_of_an_inactive_order_can_be_reused(actor, make_order, inactive):
    make_order(tray="42", **inactive)

    order = create_order(data=new_order(tray="42"), actor=actor)

    assert order.tray == "42"


def test_creating_an_order_records_a_created_event(actor):
    order = create_order(data=new_order(), actor=actor, device="rx-gateway")

    event = OrderEvent.objects.get(order=order)
    assert event.kind == EventKind.CREATED
    assert event.actor == actor
    assert event.actor_name == "operator-ann"
    assert (event.from_value, event.to_value) == ("", "Valid")
    assert event.note == "from rx-gateway"


def test_creating_an_unvalid_order_records_why_in_the_created_event(actor):
    order = create_order(data=new_order(items=[], eyes={}, stock_order=True), actor=actor)

    event = OrderEvent.objects.get(order=order)
    assert (event.kind, event.to_value, event.note) == (
        EventKind.CREATED,
        "Unvalid",
        "Order has no items",
    )


def test_an_order_created_by_the_system_names_the_system(db):
    order = create_order(data=new_order(), actor=None)

    event = OrderEvent.objects.get(order=order)
    assert (event.actor, event.actor_name) == (None, "system")


def test_an_unknown_flow_requirement_is_a_programming_error(actor):
    with pytest.raises(ValueError, match="unknown flow requirement"):
        create_order(data=new_order(requires={"requires_teleport"}), actor=actor)
    assert Order.objects.count() == 0


def test_flow_requirements_are_stored(actor):
    order = create_order(
        data=new_order(requires={"requires_ar_coat", "requires_tint"}), actor=actor
    )

    order.refresh_from_db()
    assert order.requires_ar_coat
    assert order.requires_tint
    assert not order.requires_uv


# --- hold ---------------------------------------------------------------------------------------


def test_hold_puts_the_order_on_hold_and_records_it(actor, make_order):
    order = make_order()

    held = hold_order(order=order, actor=actor)

    held.refresh_from_db()
    assert held.on_hold is True
    assert held.version == order.version + 1
    event = OrderEvent.objects.filter(order=order).exclude(kind=EventKind.CREATED).get()
    assert (event.kind, event.actor, event.actor_name) == (EventKind.HOLD, actor, "operator-ann")
    assert (event.from_value, event.to_value, event.reason) == ("", "On Hold", "")


@pytest.mark.parametrize(
    ("fields", "holds_allowed", "error"),
    [
        # 1. marked for cancelation, whatever else is wrong
        (
            {"cancelled_at": timezone.now(), "state": OrderState.COMPLETED, "on_hold": True},
            False,
            OrderMarkedForCancelation,
        ),
        # 2. completed or pending completion
        ({"state": OrderState.COMPLETED, "on_hold": True}, False, OrderAlreadyCompleted),
        ({"pending_completion": True, "on_hold": True}, False, OrderAlreadyCompleted),
        # 3. the lab does not allow holds
        ({"on_hold": True}, False, HoldNotAllowed),
        # 4. already on hold
        ({"on_hold": True}, True, OrderAlreadyOnHold),
    ],
    ids=["cancelled", "completed", "pending-completion", "not-allowed", "already-on-hold"],
)
def test_hold_guards_in_order_refuse_and_write_nothing(
    actor, make_order, lab_settings, fields, holds_allowed, error
):
    lab_settings(allow_hold_orders=holds_allowed)
    order = make_order(**fields)
    before = order_row(order)

    with pytest.raises(error) as caught:
        hold_order(order=order, actor=actor)

    assert type(caught.value) is error
    assert order_row(order) == before


def test_hold_error_messages_are_the_contract_wording():
    assert OrderMarkedForCancelation.message == "Order marked for cancelation"
    assert OrderAlreadyCompleted.message == "Order already completed"
    assert HoldNotAllowed.message == "Hold orders are not allowed"
    assert OrderAlreadyOnHold.message == "Order is already on hold"
    assert OrderNotOnHold.message == "Order is not on hold"


# --- release ------------------------------------------------------------------------------------


def test_release_takes_the_order_off_hold_and_records_it(actor, make_order):
    order = make_order(on_hold=True, state=OrderState.PROCESS)

    released = release_order(order=order, actor=actor)

    released.refresh_from_db()
    assert released.on_hold is False
    assert released.version == order.version + 1
    event = OrderEvent.objects.filter(order=order).exclude(kind=EventKind.CREATED).get()
    assert (event.kind, event.actor, event.actor_name) == (
        EventKind.RELEASE,
        actor,
        "operator-ann",
    )
    assert (event.from_value, event.to_value) == ("On Hold", "Process")


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"cancelled_at": timezone.now(), "on_hold": True}, OrderMarkedForCancelation),
        ({"cancelled_at": timezone.now(), "on_hold": False}, OrderMarkedForCancelation),
        ({"on_hold": False}, OrderNotOnHold),
    ],
    ids=["cancelled-on-hold", "cancelled", "not-on-hold"],
)
def test_release_guards_in_order_refuse_and_write_nothing(actor, make_order, fields, error):
    order = make_order(**fields)
    before = order_row(order)

    with pytest.raises(error) as caught:
        release_order(order=order, actor=actor)

    assert type(caught.value) is error
    assert order_row(order) == before


def test_hold_then_release_bumps_the_version_twice(actor, make_order):
    order = make_order()

    hold_order(order=order, actor=actor)
    release_order(order=order, actor=actor)

    order.refresh_from_db()
    assert order.version == 3
    assert list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.HOLD,
        EventKind.RELEASE,
    ]


# --- cancel -------------------------------------------------------------------------------------


@pytest.fixture
def non_cancel_station(make_station):
    return make_station("EDGE", non_cancel=True)


@pytest.mark.parametrize(
    ("settings", "fields", "reasons", "reason_code", "error", "details"),
    [
        # 1. Job Tracker module not installed, whatever else is wrong
        (
            {"job_tracker_module_installed": False, "enter_reason_code_when_deleting_order": True},
            {"state": OrderState.COMPLETED},
            [],
            None,
            JobTrackerRequired,
            [],
        ),
        # 2. completed, pending completion or already marked for cancelation
        (
            {"enter_reason_code_when_deleting_order": True},
            {"state": OrderState.COMPLETED},
            [],
            None,
            OrderAlreadyCompleted,
            [],
        ),
        (
            {"enter_reason_code_when_deleting_order": True},
            {"pending_completion": True},
            [],
            None,
            OrderAlreadyCompleted,
            [],
        ),
        (
            {"enter_reason_code_when_deleting_order": True},
            {"cancelled_at": timezone.now()},
            [],
            None,
            OrderAlreadyCompleted,
            [],
        ),
        # 3. reason codes required and none exist (inactive ones do not count)
        (
            {"enter_reason_code_when_deleting_order": True},
            {},
            [],
            "CUS",
            DeleteReasonsEmpty,
            [],
        ),
        (
            {"enter_reason_code_when_deleting_order": True},
            {},
            [("CUS", False)],
            "CUS",
            DeleteReasonsEmpty,
            [],
        ),
        # 4. reason code missing, unknown or inactive
        (
            {"enter_reason_code_when_deleting_order": True},
            {},
            [("CUS", True)],
            None,
            DeleteReasonInvalid,
            ["Provided: "],
        ),
        (
            {"enter_reason_code_when_deleting_order": True},
            {},
            [("CUS", True)],
            "NOPE",
            DeleteReasonInvalid,
            ["Provided: NOPE"],
        ),
        (
            {"enter_reason_code_when_deleting_order": True},
            {},
            [("CUS", True), ("OLD", False)],
            "OLD",
            DeleteReasonInvalid,
            ["Provided: OLD"],
        ),
        # 5. checked in at a non-cancel station
        (
            {"enter_reason_code_when_deleting_order": True},
            {},
            [("CUS", True)],
            "CUS",
            NonCancelStation,
            [],
        ),
        ({}, {}, [], None, NonCancelStation, []),
    ],
    ids=[
        "no-job-tracker",
        "completed",
        "pending-completion",
        "already-cancelled",
        "no-reasons",
        "only-inactive-reasons",
        "reason-missing",
        "reason-unknown",
        "reason-inactive",
        "non-cancel-station",
        "non-cancel-station-reasons-off",
    ],
)
def test_cancel_guards_in_order_refuse_and_write_nothing(
    actor,
    make_order,
    make_reason,
    lab_settings,
    check_in,
    non_cancel_station,
    settings,
    fields,
    reasons,
    reason_code,
    error,
    details,
):
    lab_settings(**settings)
    for code, active in reasons:
        make_reason(code=code, active=active)
    order = make_order(**fields)
    check_in(order, non_cancel_station)  # refused by guard 5 only when all others pass
    before = order_row(order)

    with pytest.raises(error) as caught:
        cancel_order(order=order, actor=actor, reason_code=reason_code)

    assert type(caught.value) is error
    assert caught.value.details == details
    assert order_row(order) == before


def test_cancel_error_messages_are_the_contract_wording():
    assert JobTrackerRequired.message == "Job Tracker module required for cancel method"
    assert OrderAlreadyCompleted.message == "Order already completed"
    assert DeleteReasonsEmpty.message == "The delete reasons file is empty"
    assert DeleteReasonInvalid.message == "Delete reason code does not exist"
    assert NonCancelStation.message == "Order has been through a non-cancel station"


def test_cancel_with_a_reason_marks_the_order_and_records_it(
    actor, make_order, make_reason, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    reason = make_reason(code="CUS", description="Customer request")
    order = make_order(tray="42", state=OrderState.PROCESS)

    result = cancel_order(order=order, actor=actor, reason_code="CUS")

    assert result.message == ""
    cancelled = Order.objects.get(pk=order.pk)
    assert cancelled.cancelled_at is not None
    assert cancelled.cancelled_by == actor
    assert cancelled.cancel_reason == reason
    assert cancelled.version == order.version + 1
    assert cancelled.state == OrderState.PROCESS  # the state is kept; cancelation is a flag
    event = OrderEvent.objects.filter(order=order).exclude(kind=EventKind.CREATED).get()
    assert (event.kind, event.actor, event.actor_name) == (
        EventKind.CANCEL,
        actor,
        "operator-ann",
    )
    assert (event.from_value, event.to_value) == ("Process", "Marked for cancelation")
    assert event.reason == str(reason)
    assert event.note == "tray 42 freed"


def test_cancel_without_required_reasons_records_no_reason(actor, make_order):
    order = make_order()

    result = cancel_order(order=order, actor=actor, reason_code=None)

    assert result.message == ""
    event = OrderEvent.objects.get(order=order, kind=EventKind.CANCEL)
    assert (event.reason, event.note) == ("", "")
    assert Order.objects.get(pk=order.pk).cancel_reason is None


def test_cancel_warns_when_a_reason_is_sent_but_not_required(actor, make_order, make_reason):
    make_reason(code="CUS")
    order = make_order()

    result = cancel_order(order=order, actor=actor, reason_code="CUS")

    assert result.message == REASON_IGNORED_WARNING
    assert Order.objects.get(pk=order.pk).cancel_reason is None


def test_cancel_frees_the_tray(actor, make_order):
    order = make_order(tray="42")

    cancel_order(order=order, actor=actor, reason_code=None)

    successor = create_order(data=new_order(tray="42"), actor=actor)
    assert successor.tray == "42"


def test_cancel_is_allowed_after_a_station_that_is_not_non_cancel(
    actor, make_order, make_station, check_in
):
    order = make_order()
    check_in(order, make_station("SURF"))

    cancel_order(order=order, actor=actor, reason_code=None)

    assert Order.objects.get(pk=order.pk).is_cancelled


def test_cancel_deletes_nothing(actor, make_order):
    order = make_order(items=2)

    cancel_order(order=order, actor=actor, reason_code=None)

    assert Order.objects.filter(pk=order.pk).exists()
    assert OrderItem.objects.filter(order=order).count() == 2


# --- lab settings ---------------------------------------------------------------------------------


def test_each_changed_setting_is_recorded_and_unchanged_ones_are_not(actor, lab_settings):
    lab_settings(trays_required=False, tracker_heartbeat_seconds=30, allow_hold_orders=True)

    lab = update_lab_settings(
        actor=actor,
        changes={
            "trays_required": True,
            "tracker_heartbeat_seconds": 60,
            "allow_hold_orders": True,
        },
    )

    assert (lab.trays_required, lab.tracker_heartbeat_seconds) == (True, 60)
    stored = LabSettings.load()
    assert (stored.trays_required, stored.tracker_heartbeat_seconds) == (True, 60)
    changes = {
        change.setting: (change.from_value, change.to_value, change.actor, change.actor_name)
        for change in LabSettingsChange.objects.all()
    }
    assert changes == {
        "trays required": ("False", "True", actor, "operator-ann"),
        "tracker heartbeat window (seconds)": ("30", "60", actor, "operator-ann"),
    }


def test_settings_changed_to_their_current_values_record_nothing(actor, lab_settings):
    lab_settings(trays_required=True)

    update_lab_settings(actor=actor, changes={"trays_required": True})

    assert LabSettingsChange.objects.count() == 0
    assert LabSettings.load().trays_required is True


def test_setting_history_uses_the_settings_verbose_names(actor, lab_settings):
    lab_settings(enter_reason_code_when_deleting_order=False)

    update_lab_settings(actor=actor, changes={"enter_reason_code_when_deleting_order": True})

    change = LabSettingsChange.objects.get()
    assert change.setting == "Enter reason code when deleting order"
    assert (change.from_value, change.to_value) == ("False", "True")

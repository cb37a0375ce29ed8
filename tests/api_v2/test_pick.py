"""GET and POST /api/v2/orders/{orderIdentifier}/pick: the GET's shape and each reason picking
is not allowed, in its order; a row per check of the POST's table of contracts/workstations.md
(status and exact body), the pairs of checks by priority, the setting Partial Picking, all or
nothing, the history, and the right."""

from decimal import Decimal

import pytest

from orders.models import Order, OrderEvent, OrderEye, OrderPick
from orders.rx import Eye, EyeValues
from orders.services import cancel_order
from orders.status import EventKind

pytestmark = pytest.mark.django_db

ALL_FIELDS = (
    "rtOPC, ltOPC, frameUPC, frameSKU, framePartSKU, frameSideShieldSKU, misc1SKU, misc2SKU"
)
KEYS = [
    "orderNumber",
    "trayNumber",
    "poNumber",
    "rtLensPicked",
    "ltLensPicked",
    "framePicked",
    "framePartPicked",
    "frameSideShieldPicked",
    "misc1Picked",
    "misc2Picked",
    "warehouse",
    "pickAllowed",
    "pickRejectReason",
    "rtOPC",
    "ltOPC",
    "frameUPC",
    "frameSKU",
    "framePartSKU",
    "frameSideShieldSKU",
    "misc1SKU",
    "misc2SKU",
]


def lens(opc: str = "") -> EyeValues:
    return EyeValues(lens_style="SV", lens_material="CR39", sphere=Decimal("0"), opc=opc)


@pytest.fixture
def job(make_order):
    """An order to pick: both lenses (OPC-R, OPC-L) unless ``eyes`` says otherwise, and the
    frame codes and misc. SKUs given."""

    def make(*, rt: str = "OPC-R", lt: str = "OPC-L", **fields) -> Order:
        eyes = {eye: lens(opc) for eye, opc in ((Eye.RIGHT, rt), (Eye.LEFT, lt)) if opc}
        return make_order(eyes=eyes or {Eye.RIGHT: lens()}, **fields)

    return make


@pytest.fixture
def partial_picking(lab_settings):
    lab_settings(partial_picking=True)


@pytest.fixture
def cancelled():
    def cancel(order: Order) -> Order:
        cancel_order(order=order, actor=None, reason_code=None)
        order.refresh_from_db()
        return order

    return cancel


def url(identifier) -> str:
    return f"/api/v2/orders/{identifier}/pick"


def refusal(error: str, *details: str) -> dict:
    return {"error": error, "details": list(details)}


def picks(order: Order) -> dict[str, str]:
    return dict(OrderPick.objects.filter(order=order).values_list("item", "code"))


def pick_events(order: Order) -> list[tuple[str, str, str, str]]:
    return list(
        OrderEvent.objects.filter(order=order, kind=EventKind.PICKED)
        .order_by("id")
        .values_list("actor_name", "from_value", "to_value", "note")
    )


# --- GET: what is to be picked ------------------------------------------------------------------


def test_get_answers_the_contracts_keys_in_order(supervisor_api, job):
    job(
        number=30001,
        tray="12",
        po_number="PO-1",
        frame_upc="FRAME-UPC",
        frame_part_sku="PART",
        frame_side_shield_sku="SHIELD",
        misc1_sku="CASE",
        misc2_sku="CLOTH",
        warehouse="WH-2",
    )

    body = supervisor_api.get(url(30001), status=200)

    assert list(body) == KEYS
    assert body == {
        "orderNumber": "30001",
        "trayNumber": "12",
        "poNumber": "PO-1",
        "rtLensPicked": False,
        "ltLensPicked": False,
        "framePicked": False,
        "framePartPicked": False,
        "frameSideShieldPicked": False,
        "misc1Picked": False,
        "misc2Picked": False,
        "warehouse": "WH-2",
        "pickAllowed": True,
        "pickRejectReason": None,
        "rtOPC": "OPC-R",
        "ltOPC": "OPC-L",
        "frameUPC": "FRAME-UPC",
        "frameSKU": None,
        "framePartSKU": "PART",
        "frameSideShieldSKU": "SHIELD",
        "misc1SKU": "CASE",
        "misc2SKU": "CLOTH",
    }


def test_get_writes_nothing_to_pick_as_null(supervisor_api, job):
    order = job(lt="", frame_sku="FRAME-SKU", warehouse="")

    body = supervisor_api.get(url(order.number), status=200)

    assert (body["trayNumber"], body["poNumber"], body["warehouse"]) == (None, None, None)
    assert (body["rtOPC"], body["ltOPC"], body["frameUPC"], body["frameSKU"]) == (
        "OPC-R",
        None,
        None,
        "FRAME-SKU",
    )
    assert body["framePartSKU"] is body["misc1SKU"] is body["misc2SKU"] is None


def test_get_names_the_order_by_tray_or_po_number(supervisor_api, job):
    order = job(tray="77", po_number="PO-77")

    assert supervisor_api.get(url("77"), status=200)["orderNumber"] == str(order.number)
    assert supervisor_api.get(url("PO-77"), status=200)["orderNumber"] == str(order.number)


def test_get_no_such_order(supervisor_api):
    body = supervisor_api.get(url("123456"), status=404)

    assert body == refusal("No record found", "Provided: 123456")


def test_get_says_what_has_been_picked(supervisor_api, job, partial_picking):
    order = job(frame_upc="F1", misc1_sku="CASE")
    supervisor_api.post(url(order.number), {"rtOPC": "OPC-R", "misc1SKU": "CASE"}, status=200)

    body = supervisor_api.get(url(order.number), status=200)

    picked = {key: value for key, value in body.items() if key.endswith("Picked")}
    assert picked == {
        "rtLensPicked": True,
        "ltLensPicked": False,
        "framePicked": False,
        "framePartPicked": False,
        "frameSideShieldPicked": False,
        "misc1Picked": True,
        "misc2Picked": False,
    }
    assert (body["pickAllowed"], body["pickRejectReason"]) == (True, None)


# --- GET: why picking is not allowed, one reason each, then the pairs by priority ---------------


def reason(api, order: Order) -> tuple[bool, str | None]:
    body = api.get(url(order.number), status=200)
    return body["pickAllowed"], body["pickRejectReason"]


def test_not_allowed_order_marked_for_cancelation(supervisor_api, job, cancelled):
    order = cancelled(job())

    assert reason(supervisor_api, order) == (False, "Order marked for cancelation")


@pytest.mark.parametrize("fields", [{"state": "C"}, {"pending_completion": True}])
def test_not_allowed_order_completed(supervisor_api, job, fields):
    order = job(**fields)

    assert reason(supervisor_api, order) == (False, "Order completed")


def test_not_allowed_order_on_hold(supervisor_api, job):
    order = job(on_hold=True)

    assert reason(supervisor_api, order) == (False, "Order on hold")


def test_not_allowed_nothing_to_pick(supervisor_api, make_order):
    order = make_order()  # a lens without an OPC, no frame, no misc. items

    assert reason(supervisor_api, order) == (False, "Nothing to pick")


def test_not_allowed_order_already_picked(supervisor_api, job):
    order = job(frame_upc="F1")
    supervisor_api.post(url(order.number), {"rtOPC": "OPC-R", "ltOPC": "OPC-L"}, status=200)
    assert reason(supervisor_api, order) == (True, None)

    supervisor_api.post(url(order.number), {"frameUPC": "F1"}, status=200)

    assert reason(supervisor_api, order) == (False, "Order already picked")


def test_an_unvalid_order_may_be_picked(supervisor_api, job):
    order = job(state="U")

    assert reason(supervisor_api, order) == (True, None)


def test_cancelled_before_completed(supervisor_api, job, cancelled):
    order = cancelled(job())
    Order.objects.filter(pk=order.pk).update(state="C")

    assert reason(supervisor_api, order) == (False, "Order marked for cancelation")


def test_completed_before_on_hold(supervisor_api, job):
    order = job(state="C", on_hold=True)

    assert reason(supervisor_api, order) == (False, "Order completed")


def test_on_hold_before_nothing_to_pick(supervisor_api, make_order):
    order = make_order(on_hold=True)

    assert reason(supervisor_api, order) == (False, "Order on hold")


def test_nothing_to_pick_before_already_picked(supervisor_api, make_order):
    # Nothing expected: "everything" is picked too, vacuously.
    order = make_order()

    assert reason(supervisor_api, order) == (False, "Nothing to pick")


def test_on_hold_before_already_picked(supervisor_api, job):
    order = job(lt="")
    supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=200)
    Order.objects.filter(pk=order.pk).update(on_hold=True)

    assert reason(supervisor_api, order) == (False, "Order on hold")


# --- POST: picked ---------------------------------------------------------------------------


def test_a_pick_is_recorded_and_answers_the_new_state(supervisor_api, supervisor, job):
    order = job(number=30002, frame_upc="F1", warehouse="WH-1")

    body = supervisor_api.post(url(30002), {"rtOPC": "OPC-R", "ltOPC": "OPC-L"}, status=200)

    assert body == supervisor_api.get(url(30002), status=200)
    assert list(body) == KEYS
    assert (body["rtLensPicked"], body["ltLensPicked"], body["framePicked"]) == (
        True,
        True,
        False,
    )
    assert (body["pickAllowed"], body["pickRejectReason"]) == (True, None)
    assert picks(order) == {"rt_lens": "OPC-R", "lt_lens": "OPC-L"}
    assert set(OrderPick.objects.values_list("picked_by", flat=True)) == {supervisor.pk}


def test_each_pick_is_an_entry_of_the_history(supervisor_api, supervisor, job):
    order = job(frame_sku="FS", frame_part_sku="PART")

    supervisor_api.post(
        url(order.number),
        {"rtOPC": "OPC-R", "ltOPC": "OPC-L", "frameSKU": "FS", "framePartSKU": "PART"},
        status=200,
    )

    assert pick_events(order) == [
        ("sam", "", "OPC-R", "Right lens (rtOPC)"),
        ("sam", "", "OPC-L", "Left lens (ltOPC)"),
        ("sam", "", "FS", "Frame (frameSKU)"),
        ("sam", "", "PART", "Frame Part (framePartSKU)"),
    ]
    events = OrderEvent.objects.filter(order=order, kind=EventKind.PICKED)
    assert {event.actor_id for event in events} == {supervisor.pk}


def test_picking_everything_answers_already_picked(supervisor_api, job):
    order = job(lt="", misc2_sku="CLOTH")

    body = supervisor_api.post(
        url(order.number), {"rtOPC": "OPC-R", "misc2SKU": "CLOTH"}, status=200
    )

    assert (body["rtLensPicked"], body["misc2Picked"]) == (True, True)
    assert (body["pickAllowed"], body["pickRejectReason"]) == (False, "Order already picked")


def test_the_same_code_again_changes_nothing(supervisor_api, job, partial_picking):
    order = job()
    supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=200)
    first = OrderPick.objects.get(order=order)

    body = supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=200)

    assert body["rtLensPicked"] is True
    assert OrderPick.objects.get(order=order).picked_at == first.picked_at
    assert len(pick_events(order)) == 1


def test_a_code_the_order_changed_is_picked_again(supervisor_api, job, partial_picking):
    # Our decision: a pick counts while it holds the code the order now expects.
    order = job()
    supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=200)
    OrderEye.objects.filter(order=order, eye=Eye.RIGHT).update(opc="OPC-R2")
    assert supervisor_api.get(url(order.number), status=200)["rtLensPicked"] is False

    body = supervisor_api.post(url(order.number), {"rtOPC": "OPC-R2"}, status=200)

    assert body["rtLensPicked"] is True
    assert picks(order) == {"rt_lens": "OPC-R2"}
    assert pick_events(order)[-1] == ("sam", "OPC-R", "OPC-R2", "Right lens (rtOPC)")


# --- POST: refused, one row of the table each -------------------------------------------------


def test_1_no_such_order(supervisor_api):
    body = supervisor_api.post(url("123456"), {"rtOPC": "X"}, status=404)

    assert body == refusal("No record found", "Provided: 123456")


def test_1_an_ambiguous_po_number(supervisor_api, job):
    job(po_number="PO-2")
    job(po_number="PO-2")

    body = supervisor_api.post(url("PO-2"), {"rtOPC": "OPC-R"}, status=400)

    assert body == refusal(
        "Order identifier is ambiguous", "Provided: PO-2", "Matches: 2 orders by PO number"
    )


@pytest.mark.parametrize(
    ("body", "details"),
    [
        ({"rtOPC": 12}, ["rtOPC: Not a valid string."]),
        ({"rtOPC": None}, ["rtOPC: This field may not be null."]),
        ({"rtOPC": ""}, ["rtOPC: This field may not be blank."]),
        ({"misc1SKU": "   "}, ["misc1SKU: This field may not be blank."]),
        ({"ltOPC": "L" * 21}, ["ltOPC: Ensure this field has no more than 20 characters."]),
        (
            {"frameUPC": "F1", "frameSKU": "F1"},
            ["frameSKU: not with frameUPC: a frame is scanned by one"],
        ),
        ({}, [f"body: scan at least one of {ALL_FIELDS}"]),
        ({"rtOPC": "OPC-R", "opc": "X"}, ["opc: unknown field"]),
        (["OPC-R"], ["body: Invalid data. Expected a dictionary, but got list."]),
    ],
)
def test_2_incorrect_arguments(supervisor_api, job, body, details):
    order = job(frame_upc="F1", misc1_sku="CASE")

    answer = supervisor_api.post(url(order.number), body, status=400)

    assert answer == refusal("Incorrect arguments provided", *details)
    assert picks(order) == {}


def test_2_a_code_of_twenty_characters_is_taken(supervisor_api, job):
    order = job(lt="", rt="R" * 20)

    supervisor_api.post(url(order.number), {"rtOPC": "R" * 20}, status=200)

    assert picks(order) == {"rt_lens": "R" * 20}


def test_3_an_order_marked_for_cancelation(supervisor_api, job, cancelled):
    order = cancelled(job())

    body = supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=400)

    assert body == refusal("Pick not allowed", "Order marked for cancelation")


@pytest.mark.parametrize("fields", [{"state": "C"}, {"pending_completion": True}])
def test_3_a_completed_order(supervisor_api, job, fields):
    order = job(**fields)

    body = supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=400)

    assert body == refusal("Pick not allowed", "Order completed")


def test_3_an_order_on_hold(supervisor_api, job):
    order = job(on_hold=True)

    body = supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=400)

    assert body == refusal("Pick not allowed", "Order on hold")


def test_3_nothing_to_pick(supervisor_api, make_order):
    order = make_order()

    body = supervisor_api.post(url(order.number), {"rtOPC": "X"}, status=400)

    assert body == refusal("Pick not allowed", "Nothing to pick")


def test_3_an_order_already_picked(supervisor_api, job):
    order = job(lt="")
    supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=200)

    body = supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=400)

    assert body == refusal("Pick not allowed", "Order already picked")
    assert len(pick_events(order)) == 1


def test_4_a_field_the_order_has_nothing_for(supervisor_api, job):
    order = job(lt="", frame_upc="F1")

    body = supervisor_api.post(
        url(order.number), {"ltOPC": "OPC-L", "frameSKU": "F1", "misc2SKU": "X"}, status=400
    )

    # The frame is by its UPC on this order: a frameSKU scanned is nothing it has.
    assert body == refusal(
        "Pick verification failed",
        "ltOPC: not required for this order",
        "frameSKU: not required for this order",
        "misc2SKU: not required for this order",
    )
    assert picks(order) == {}


def test_5_a_code_that_differs(supervisor_api, job):
    order = job(frame_upc="F1")

    body = supervisor_api.post(url(order.number), {"frameUPC": "F2"}, status=400)

    assert body == refusal("Pick verification failed", "frameUPC: expected F1, scanned F2")


def test_5_one_entry_per_mismatch(supervisor_api, job):
    order = job(misc1_sku="CASE")

    body = supervisor_api.post(
        url(order.number),
        {"rtOPC": "OPC-L", "ltOPC": "OPC-R", "misc1SKU": "CASE"},
        status=400,
    )

    assert body == refusal(
        "Pick verification failed",
        "rtOPC: expected OPC-R, scanned OPC-L",
        "ltOPC: expected OPC-L, scanned OPC-R",
    )


def test_5_codes_are_compared_exactly(supervisor_api, job):
    order = job(lt="", rt="ab12")

    body = supervisor_api.post(url(order.number), {"rtOPC": "AB12"}, status=400)

    assert body == refusal("Pick verification failed", "rtOPC: expected ab12, scanned AB12")


def test_6_the_lenses_are_picked_together(supervisor_api, job):
    order = job()

    body = supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=400)

    assert body == refusal("Incorrect arguments provided", "lenses must be picked together: ltOPC")
    assert picks(order) == {}


def test_6_the_frame_is_picked_together(supervisor_api, job):
    order = job(frame_sku="FS", frame_part_sku="PART", frame_side_shield_sku="SHIELD")

    body = supervisor_api.post(url(order.number), {"framePartSKU": "PART"}, status=400)

    assert body == refusal(
        "Incorrect arguments provided",
        "frame must be picked together: frameSKU, frameSideShieldSKU",
    )


def test_6_both_groups_half_done(supervisor_api, job):
    order = job(frame_upc="F1", frame_side_shield_sku="SHIELD")

    body = supervisor_api.post(url(order.number), {"ltOPC": "OPC-L", "frameUPC": "F1"}, status=400)

    assert body == refusal(
        "Incorrect arguments provided",
        "lenses must be picked together: rtOPC",
        "frame must be picked together: frameSideShieldSKU",
    )


# --- the setting Partial Picking ----------------------------------------------------------------


def test_partial_picking_is_off_by_default(supervisor_api):
    assert supervisor_api.get("/api/v2/settings", status=200)["partialPicking"] is False


def test_partial_picking_off_a_whole_group_is_taken(supervisor_api, job):
    order = job(frame_upc="F1", frame_part_sku="PART", misc1_sku="CASE")

    supervisor_api.post(
        url(order.number),
        {"frameUPC": "F1", "framePartSKU": "PART", "misc1SKU": "CASE"},
        status=200,
    )

    assert picks(order) == {"frame": "F1", "frame_part": "PART", "misc1": "CASE"}


def test_partial_picking_off_a_group_of_one_expected_item(supervisor_api, job):
    # Only the expected items make a group: a job of one lens, a frame without part or shield.
    order = job(lt="", frame_upc="F1")

    supervisor_api.post(url(order.number), {"rtOPC": "OPC-R"}, status=200)
    supervisor_api.post(url(order.number), {"frameUPC": "F1"}, status=200)

    assert picks(order) == {"rt_lens": "OPC-R", "frame": "F1"}


def test_partial_picking_off_counts_what_was_picked_before(supervisor_api, job, lab_settings):
    order = job(frame_upc="F1", frame_part_sku="PART")
    lab_settings(partial_picking=True)
    supervisor_api.post(url(order.number), {"rtOPC": "OPC-R", "frameUPC": "F1"}, status=200)
    lab_settings(partial_picking=False)

    supervisor_api.post(url(order.number), {"ltOPC": "OPC-L"}, status=200)
    body = supervisor_api.post(url(order.number), {"framePartSKU": "PART"}, status=200)

    assert body["pickRejectReason"] == "Order already picked"


def test_partial_picking_on_lenses_one_at_a_time(supervisor_api, job, partial_picking):
    order = job()

    body = supervisor_api.post(url(order.number), {"ltOPC": "OPC-L"}, status=200)

    assert (body["rtLensPicked"], body["ltLensPicked"]) == (False, True)
    assert picks(order) == {"lt_lens": "OPC-L"}


def test_partial_picking_on_frame_items_one_at_a_time(supervisor_api, job, partial_picking):
    order = job(frame_upc="F1", frame_part_sku="PART", frame_side_shield_sku="SHIELD")

    supervisor_api.post(url(order.number), {"frameSideShieldSKU": "SHIELD"}, status=200)
    body = supervisor_api.post(url(order.number), {"frameUPC": "F1"}, status=200)

    assert (body["framePicked"], body["framePartPicked"], body["frameSideShieldPicked"]) == (
        True,
        False,
        True,
    )


# --- all or nothing ---------------------------------------------------------------------------


def test_one_mismatch_and_nothing_is_recorded(supervisor_api, job, partial_picking):
    order = job(frame_upc="F1", misc1_sku="CASE")

    body = supervisor_api.post(
        url(order.number),
        {"rtOPC": "OPC-R", "ltOPC": "OPC-L", "frameUPC": "F1", "misc1SKU": "BOX"},
        status=400,
    )

    assert body == refusal("Pick verification failed", "misc1SKU: expected CASE, scanned BOX")
    assert picks(order) == {}
    assert pick_events(order) == []


def test_a_split_group_and_nothing_is_recorded(supervisor_api, job):
    order = job(misc1_sku="CASE")

    supervisor_api.post(url(order.number), {"rtOPC": "OPC-R", "misc1SKU": "CASE"}, status=400)

    assert picks(order) == {}
    assert pick_events(order) == []


# --- the checks by priority: where two fail, the first answers -------------------------------


def test_no_such_order_before_the_body(supervisor_api):
    body = supervisor_api.post(url("99999"), {"rtOPC": ""}, status=404)

    assert body == refusal("No record found", "Provided: 99999")


def test_the_body_before_pick_not_allowed(supervisor_api, job, cancelled):
    order = cancelled(job())

    body = supervisor_api.post(url(order.number), {}, status=400)

    assert body == refusal(
        "Incorrect arguments provided", f"body: scan at least one of {ALL_FIELDS}"
    )


def test_pick_not_allowed_before_not_required(supervisor_api, job):
    order = job(on_hold=True)

    body = supervisor_api.post(url(order.number), {"misc1SKU": "CASE"}, status=400)

    assert body == refusal("Pick not allowed", "Order on hold")


def test_not_required_before_a_mismatch(supervisor_api, job):
    order = job()

    body = supervisor_api.post(url(order.number), {"rtOPC": "X", "frameUPC": "F1"}, status=400)

    assert body == refusal("Pick verification failed", "frameUPC: not required for this order")


def test_a_mismatch_before_a_split_group(supervisor_api, job):
    order = job()

    body = supervisor_api.post(url(order.number), {"rtOPC": "X"}, status=400)

    assert body == refusal("Pick verification failed", "rtOPC: expected OPC-R, scanned X")


# --- the right ------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "body"), [("get", None), ("post", {"rtOPC": "OPC-R"})])
def test_picking_needs_the_right(api_for, make_user, job, method, body):
    order = job()
    viewer = api_for(make_user(rights=("orders.view_order",)))

    answer = viewer.call(method, url(order.number), body, status=403)

    assert answer == refusal("Permission denied", "Requires: orders.pick")
    assert picks(order) == {}


def test_the_pick_right_alone_is_enough(api_for, make_user, job, partial_picking):
    order = job()
    picker = api_for(make_user(rights=("orders.pick",), username="pat"))

    picker.get(url(order.number), status=200)
    picker.post(url(order.number), {"rtOPC": "OPC-R"}, status=200)

    assert pick_events(order) == [("pat", "", "OPC-R", "Right lens (rtOPC)")]


def test_a_pick_costs_the_same_queries_whatever_it_picks(supervisor_api, job):
    """Picks and their history entries are written one statement per table: picking five
    items costs what picking one does."""
    one = job(number=30010)
    five = job(number=30011, frame_upc="F1", frame_part_sku="PART", misc1_sku="M1")

    supervisor_api.post(url(one.number), {"rtOPC": "OPC-R", "ltOPC": "OPC-L"}, status=200)
    two_items = supervisor_api.last_queries
    supervisor_api.post(
        url(five.number),
        {
            "rtOPC": "OPC-R",
            "ltOPC": "OPC-L",
            "frameUPC": "F1",
            "framePartSKU": "PART",
            "misc1SKU": "M1",
        },
        status=200,
        max_queries=two_items,
    )

    assert len(picks(five)) == 5
    assert len(pick_events(five)) == 5

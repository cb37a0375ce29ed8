"""/api/v2/delete_reasons and /api/v2/settings: the lab's configuration for supervisors."""

import pytest

from orders.models import DeleteReason, LabSettings, LabSettingsChange

pytestmark = pytest.mark.django_db

REASONS = "/api/v2/delete_reasons"
SETTINGS = "/api/v2/settings"

DEFAULT_SETTINGS = {
    "enterReasonCodeWhenDeletingOrder": False,
    "jobTrackerModuleInstalled": True,
    "jobtrackStationVerify": False,
    "traysRequired": False,
    "allowHoldOrders": True,
    "trackerHeartbeatSeconds": 30,
    "ticketPaperSize": "letter",
    "saveDuplicateOrders": True,
    "forceQaOnAddonJobs": False,
    "verifyTrayIsEmpty": True,
    "partialPicking": False,
    "dynamicDisplayRefreshSeconds": 30,
}


def reason_url(code: str) -> str:
    return f"{REASONS}/{code}"


def error(message: str, *details: str) -> dict:
    return {"error": message, "details": list(details)}


def invalid(*details: str) -> dict:
    return error("Incorrect arguments provided", *details)


@pytest.fixture
def three_reasons(make_reason):
    make_reason("CUS", "Customer request")
    make_reason("DUP", "Duplicate order")
    make_reason("OLD", "No longer used", active=False)


# --- delete reasons: list -----------------------------------------------------------------------


def test_list_delete_reasons_without_limit_answers_all_sorted_by_code(
    supervisor_api, three_reasons
):
    # Key lookup + key last-used write + the rights query + count + page.
    body = supervisor_api.get(REASONS, status=200, max_queries=5)

    assert body == {
        "count": 3,
        "next": None,
        "previous": None,
        "results": [
            {"code": "CUS", "description": "Customer request", "active": True},
            {"code": "DUP", "description": "Duplicate order", "active": True},
            {"code": "OLD", "description": "No longer used", "active": False},
        ],
    }


def test_list_delete_reasons_empty(supervisor_api):
    body = supervisor_api.get(REASONS, status=200)

    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_list_delete_reasons_first_page(supervisor_api, three_reasons):
    body = supervisor_api.get(f"{REASONS}?limit=1", status=200)

    assert body == {
        "count": 3,
        "next": "http://testserver/api/v2/delete_reasons?limit=1&offset=1",
        "previous": None,
        "results": [{"code": "CUS", "description": "Customer request", "active": True}],
    }


def test_list_delete_reasons_middle_page(supervisor_api, three_reasons):
    body = supervisor_api.get(f"{REASONS}?limit=1&offset=1", status=200)

    assert body == {
        "count": 3,
        "next": "http://testserver/api/v2/delete_reasons?limit=1&offset=2",
        "previous": "http://testserver/api/v2/delete_reasons?limit=1",
        "results": [{"code": "DUP", "description": "Duplicate order", "active": True}],
    }


def test_list_delete_reasons_last_page(supervisor_api, three_reasons):
    body = supervisor_api.get(f"{REASONS}?limit=2&offset=2", status=200)

    assert body == {
        "count": 3,
        "next": None,
        "previous": "http://testserver/api/v2/delete_reasons?limit=2",
        "results": [{"code": "OLD", "description": "No longer used", "active": False}],
    }


@pytest.mark.parametrize(
    ("query", "detail"),
    [
        pytest.param("limit=abc", "limit: must be a non-negative integer", id="limit-text"),
        pytest.param("limit=-1", "limit: must be a non-negative integer", id="limit-negative"),
        pytest.param("limit=1.5", "limit: must be a non-negative integer", id="limit-decimal"),
        pytest.param("offset=x", "offset: must be a non-negative integer", id="offset-text"),
    ],
)
def test_list_delete_reasons_bad_paging_is_400(supervisor_api, query, detail):
    body = supervisor_api.get(f"{REASONS}?{query}", status=400)

    assert body == invalid(detail)


def test_lab_clients_may_list_delete_reasons(client_api, three_reasons):
    body = client_api.get(REASONS, status=200)

    assert body["count"] == 3


def test_list_delete_reasons_without_the_right_is_403(no_rights_api):
    body = no_rights_api.get(REASONS, status=403)

    assert body == error("Permission denied", "Requires: orders.view_deletereason")


# --- delete reasons: create ---------------------------------------------------------------------


def test_create_delete_reason(supervisor_api):
    body = supervisor_api.post(
        REASONS, {"code": "CUS", "description": "Customer request"}, status=201
    )

    assert body == {"code": "CUS", "description": "Customer request", "active": True}
    assert DeleteReason.objects.filter(code="CUS", active=True).exists()


def test_create_inactive_delete_reason(supervisor_api):
    body = supervisor_api.post(
        REASONS, {"code": "OLD", "description": "Old", "active": False}, status=201
    )

    assert body == {"code": "OLD", "description": "Old", "active": False}


def test_create_duplicate_delete_reason_is_400(supervisor_api, make_reason):
    make_reason("CUS")

    body = supervisor_api.post(REASONS, {"code": "CUS", "description": "Again"}, status=400)

    assert body == invalid("code: reason code CUS already exists")
    assert DeleteReason.objects.count() == 1


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        pytest.param(
            {"code": "A B", "description": "x"},
            ["code: use 1 to 10 letters, digits, '-' or '_'"],
            id="code-with-space",
        ),
        pytest.param(
            {"code": "ABCDEFGHIJK", "description": "x"},
            [
                "code: use 1 to 10 letters, digits, '-' or '_'",
                "code: Ensure this field has no more than 10 characters.",
            ],
            id="code-11-chars",
        ),
        pytest.param(
            {"code": "", "description": "x"},
            ["code: This field may not be blank."],
            id="code-blank",
        ),
        pytest.param({"description": "x"}, ["code: This field is required."], id="code-missing"),
        pytest.param(
            {"code": "CUS"}, ["description: This field is required."], id="description-missing"
        ),
        pytest.param(
            {"code": "CUS", "description": "x", "colour": "red"},
            ["colour: unknown field"],
            id="unknown-field",
        ),
    ],
)
def test_create_invalid_delete_reason_is_400(supervisor_api, payload, details):
    body = supervisor_api.post(REASONS, payload, status=400)

    assert body == invalid(*details)
    assert not DeleteReason.objects.exists()


def test_create_delete_reason_without_the_right_is_403(client_api):
    body = client_api.post(REASONS, {"code": "CUS", "description": "x"}, status=403)

    assert body == error("Permission denied", "Requires: orders.add_deletereason")


# --- delete reasons: one code -------------------------------------------------------------------


def test_get_delete_reason(supervisor_api, make_reason):
    make_reason("CUS", "Customer request")

    body = supervisor_api.get(reason_url("CUS"), status=200)

    assert body == {"code": "CUS", "description": "Customer request", "active": True}


def test_patch_delete_reason(supervisor_api, make_reason):
    make_reason("CUS", "Customer request")

    body = supervisor_api.patch(reason_url("CUS"), {"description": "Customer asked"}, status=200)

    assert body == {"code": "CUS", "description": "Customer asked", "active": True}
    assert DeleteReason.objects.get(code="CUS").description == "Customer asked"


def test_patch_delete_reason_can_reactivate(supervisor_api, make_reason):
    make_reason("OLD", "Old", active=False)

    body = supervisor_api.patch(reason_url("OLD"), {"active": True}, status=200)

    assert body == {"code": "OLD", "description": "Old", "active": True}


def test_patch_delete_reason_code_cannot_change(supervisor_api, make_reason):
    make_reason("CUS")

    body = supervisor_api.patch(reason_url("CUS"), {"code": "NEW"}, status=400)

    assert body == invalid("code: cannot be changed; create a new reason instead")
    assert DeleteReason.objects.filter(code="CUS").exists()


def test_delete_delete_reason_deactivates_it(supervisor_api, make_reason):
    make_reason("CUS", "Customer request")

    body = supervisor_api.delete(reason_url("CUS"), status=200)

    assert body == {"code": "CUS", "description": "Customer request", "active": False}
    assert DeleteReason.objects.get(code="CUS").active is False


def test_delete_of_an_inactive_delete_reason_answers_it_unchanged(supervisor_api, make_reason):
    make_reason("OLD", "Old", active=False)

    body = supervisor_api.delete(reason_url("OLD"), status=200)

    assert body == {"code": "OLD", "description": "Old", "active": False}


def test_deactivated_reason_is_refused_when_cancelling(
    supervisor_api, make_reason, make_order, lab_settings
):
    lab_settings(enter_reason_code_when_deleting_order=True)
    make_reason("CUS")
    make_reason("DUP")
    order = make_order()
    supervisor_api.delete(reason_url("CUS"), status=200)

    body = supervisor_api.delete(f"/api/v2/orders/{order.number}?deleteReason=CUS", status=400)

    assert body == error("Delete reason code does not exist", "Provided: CUS")


@pytest.mark.parametrize("method", ["get", "patch", "delete"])
def test_unknown_delete_reason_is_404(supervisor_api, method):
    body = supervisor_api.call(
        method, reason_url("NOPE"), {} if method == "patch" else None, status=404
    )

    assert body == error("No record found", "Provided: NOPE")


def test_reason_codes_are_case_sensitive(supervisor_api, make_reason):
    make_reason("CUS")

    body = supervisor_api.get(reason_url("cus"), status=404)

    assert body == error("No record found", "Provided: cus")


@pytest.mark.parametrize(
    ("method", "right"),
    [("patch", "orders.change_deletereason"), ("delete", "orders.delete_deletereason")],
)
def test_changing_delete_reasons_without_the_right_is_403(client_api, make_reason, method, right):
    make_reason("CUS")

    body = client_api.call(
        method, reason_url("CUS"), {"active": False} if method == "patch" else None, status=403
    )

    assert body == error("Permission denied", f"Requires: {right}")
    assert DeleteReason.objects.get(code="CUS").active is True


# --- lab settings -------------------------------------------------------------------------------


def test_get_settings_exact_body(supervisor_api):
    body = supervisor_api.get(SETTINGS, status=200)

    assert body == DEFAULT_SETTINGS
    assert list(body) == list(DEFAULT_SETTINGS)


def test_get_settings_stays_under_the_query_ceiling(supervisor_api, lab_settings):
    lab_settings()  # the settings row exists, as in any lab that has been running

    # Key lookup + key last-used write + the rights query + the settings row.
    supervisor_api.get(SETTINGS, status=200, max_queries=4)


def test_get_settings_shows_stored_values(supervisor_api, lab_settings):
    lab_settings(allow_hold_orders=False, tracker_heartbeat_seconds=120, ticket_paper_size="a4")

    body = supervisor_api.get(SETTINGS, status=200)

    assert body == {
        **DEFAULT_SETTINGS,
        "allowHoldOrders": False,
        "trackerHeartbeatSeconds": 120,
        "ticketPaperSize": "a4",
    }


def test_patch_settings_is_partial_and_persists(supervisor_api):
    body = supervisor_api.patch(
        SETTINGS,
        {"enterReasonCodeWhenDeletingOrder": True, "trackerHeartbeatSeconds": 60},
        status=200,
    )

    expected = {
        **DEFAULT_SETTINGS,
        "enterReasonCodeWhenDeletingOrder": True,
        "trackerHeartbeatSeconds": 60,
    }
    assert body == expected
    assert supervisor_api.get(SETTINGS, status=200) == expected
    lab = LabSettings.load()
    assert (lab.enter_reason_code_when_deleting_order, lab.tracker_heartbeat_seconds) == (True, 60)


def test_patch_settings_records_each_change_in_the_history(supervisor_api, supervisor):
    supervisor_api.patch(
        SETTINGS,
        {"enterReasonCodeWhenDeletingOrder": True, "trackerHeartbeatSeconds": 60},
        status=200,
    )

    changes = LabSettingsChange.objects.order_by("id")
    assert [(c.actor, c.actor_name, c.setting, c.from_value, c.to_value) for c in changes] == [
        (supervisor, "sam", "Enter reason code when deleting order", "False", "True"),
        (supervisor, "sam", "tracker heartbeat window (seconds)", "30", "60"),
    ]


def test_patch_settings_with_unchanged_values_records_nothing(supervisor_api):
    body = supervisor_api.patch(
        SETTINGS, {"allowHoldOrders": True, "ticketPaperSize": "letter"}, status=200
    )

    assert body == DEFAULT_SETTINGS
    assert not LabSettingsChange.objects.exists()


@pytest.mark.parametrize(
    ("payload", "details"),
    [
        pytest.param({"colour": "red"}, ["colour: unknown field"], id="unknown-key"),
        pytest.param(
            {"allow_hold_orders": False}, ["allow_hold_orders: unknown field"], id="snake-case-key"
        ),
        pytest.param(
            {"traysRequired": "yes"}, ["traysRequired: Must be a valid boolean."], id="flag-yes"
        ),
        pytest.param(
            {"traysRequired": 1}, ["traysRequired: Must be a valid boolean."], id="flag-1"
        ),
        pytest.param(
            {"trackerHeartbeatSeconds": 4},
            ["trackerHeartbeatSeconds: Ensure this value is greater than or equal to 5."],
            id="heartbeat-4",
        ),
        pytest.param(
            {"trackerHeartbeatSeconds": 3601},
            ["trackerHeartbeatSeconds: Ensure this value is less than or equal to 3600."],
            id="heartbeat-3601",
        ),
        pytest.param(
            {"trackerHeartbeatSeconds": 1.5},
            ["trackerHeartbeatSeconds: A valid integer is required."],
            id="heartbeat-decimal",
        ),
        pytest.param(
            {"trackerHeartbeatSeconds": "10"},
            ["trackerHeartbeatSeconds: A valid integer is required."],
            id="heartbeat-string",
        ),
        pytest.param(
            {"trackerHeartbeatSeconds": True},
            ["trackerHeartbeatSeconds: A valid integer is required."],
            id="heartbeat-boolean",
        ),
        pytest.param(
            {"ticketPaperSize": "A5"},
            ['ticketPaperSize: "A5" is not a valid choice.'],
            id="paper-size-a5",
        ),
        pytest.param(
            {"allowHoldOrders": False, "ticketPaperSize": "legal"},
            ['ticketPaperSize: "legal" is not a valid choice.'],
            id="one-bad-value-refuses-all",
        ),
    ],
)
def test_patch_settings_invalid_is_400_and_changes_nothing(supervisor_api, payload, details):
    body = supervisor_api.patch(SETTINGS, payload, status=400)

    assert body == invalid(*details)
    assert supervisor_api.get(SETTINGS, status=200) == DEFAULT_SETTINGS
    assert not LabSettingsChange.objects.exists()


@pytest.mark.parametrize("heartbeat", [5, 3600])
def test_patch_settings_heartbeat_bounds_are_inclusive(supervisor_api, heartbeat):
    body = supervisor_api.patch(SETTINGS, {"trackerHeartbeatSeconds": heartbeat}, status=200)

    assert body["trackerHeartbeatSeconds"] == heartbeat


def test_lab_clients_may_not_change_settings(client_api):
    body = client_api.patch(SETTINGS, {"allowHoldOrders": False}, status=403)

    assert body == error("Permission denied", "Requires: orders.change_labsettings")
    assert LabSettings.load().allow_hold_orders is True


def test_lab_clients_may_not_read_settings(client_api):
    body = client_api.get(SETTINGS, status=403)

    assert body == error("Permission denied", "Requires: orders.view_labsettings")

"""A delete reason's rules live on the model (orders.models.DeleteReason): the admin's form
and the Lab API v2 refuse the same reason codes, in the same words.

Each rule is one row below, tried on both faces: the admin's add form refuses it under the
model field, the API refuses it under the same name, with the same message.
"""

import pytest

from orders.models import DeleteReason

pytestmark = pytest.mark.django_db

ADD = "/admin/orders/deletereason/add/"
REASONS = "/api/v2/delete_reasons"

# A reason both faces take.
VALID = {"code": "LOST", "description": "Frame lost", "active": True}

CODE_RULE = "use 1 to 10 letters, digits, '-' or '_'"
RULES = [
    pytest.param({"code": "A B"}, "code", CODE_RULE, id="code-space"),
    pytest.param({"code": "A.B"}, "code", CODE_RULE, id="code-dot"),
    pytest.param({"code": "ÄB"}, "code", CODE_RULE, id="code-not-ascii"),
    pytest.param({"code": "CUS"}, "code", "reason code CUS already exists", id="code-taken"),
]


def admin_form(reason: dict) -> dict:
    form = {"code": reason["code"], "description": reason["description"]}
    return form | ({"active": "on"} if reason["active"] else {})


@pytest.mark.parametrize(("values", "field", "message"), RULES)
def test_a_reason_is_refused_alike_by_the_admin_and_the_api(
    admin_forms, supervisor_api, make_reason, values, field, message
):
    make_reason("CUS")
    reason = VALID | values

    assert admin_forms.refusals(ADD, admin_form(reason)) == {field: [message]}
    assert supervisor_api.post(REASONS, reason, status=400) == {
        "error": "Incorrect arguments provided",
        "details": [f"{field}: {message}"],
    }
    assert list(DeleteReason.objects.values_list("code", flat=True)) == ["CUS"]


def test_a_valid_reason_is_taken_alike(admin_forms, supervisor_api):
    admin_forms.saves(ADD, admin_form(VALID))
    supervisor_api.post(REASONS, VALID | {"code": "LOST-2"}, status=201)

    assert sorted(DeleteReason.objects.values_list("code", flat=True)) == ["LOST", "LOST-2"]

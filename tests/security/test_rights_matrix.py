"""A user holding one right gets past authorization on exactly the endpoints that right
opens (plus those open to any key) and a 403 in the face's shape everywhere else.

No baseline right is needed: the Lab API v2 names one right per method (reading an order is
``orders.view_order`` like any other), and so does the Orders API's reading. Rights are Django
permissions, granted here directly to the user; groups only bundle them.
"""

from django.apps import apps
from django.contrib.auth.models import Group, Permission

import pytest

from orders.api.pos.rights import RIGHTS, rights_of

from .endpoints import AUTHENTICATED, ENDPOINT_RIGHTS, ITEM_CANCEL, face_of
from .shapes import assert_forbidden, assert_past_authorization, assert_unauthenticated

pytestmark = pytest.mark.django_db

ALL_RIGHTS = sorted({right for right in ENDPOINT_RIGHTS.values() if right is not AUTHENTICATED})
NO_RIGHT = "(no right)"

# The rights DESIGN.md (decision 6) and the Orders API contract name: each must guard something.
NAMED_RIGHTS = {
    "orders.cancel_order",
    "orders.process_order",
    "orders.update_order_status",
    "orders.hold_order",
    "tracker.complete_order",
    "tracker.check_in",
    "printing.print_ticket",
}


def opened_by(rights: set[str]) -> set[tuple[str, str]]:
    return {
        endpoint
        for endpoint, required in ENDPOINT_RIGHTS.items()
        if required is AUTHENTICATED or required in rights
    }


# Refusals first (they must change nothing), then what the rights open, deletes and logging
# out last, so that the fixture rows exist for as long as possible.
METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}


def check_matrix(client, rights: set[str], lab_data, holder: str) -> list[tuple[str, str]]:
    """Call every endpoint with ``client``; those ``rights`` open must get past authorization,
    all others a 403 naming the right they need. Returns the endpoints that let it pass."""
    opened = opened_by(rights)
    order = sorted(
        ENDPOINT_RIGHTS,
        key=lambda e: (e in opened, METHOD_ORDER[e[0]], e[1] == "api/auth", e[1]),
    )
    past = []
    for method, route in order:
        response = client.send(method, lab_data.path(route), lab_data.body(method, route))
        what = f"{method} /{route} as {holder}"
        if (method, route) in opened:
            assert_past_authorization(response, what)
            past.append((method, route))
        else:
            try:
                assert_forbidden(face_of(route), response, ENDPOINT_RIGHTS[(method, route)])
            except AssertionError as failure:
                raise AssertionError(f"{what}: {failure}") from None
    return past


@pytest.mark.parametrize("right", [*ALL_RIGHTS, NO_RIGHT])
def test_one_right_opens_exactly_its_endpoints(right, lab_data, make_user, key_client):
    rights = set() if right == NO_RIGHT else {right}
    user = make_user(rights=tuple(rights))

    past = check_matrix(key_client(user), rights, lab_data, right)

    open_to_any_key = {e for e, required in ENDPOINT_RIGHTS.items() if required is AUTHENTICATED}
    assert open_to_any_key <= set(past)
    if rights:
        assert set(past) - open_to_any_key, f"{right} opens nothing"
    else:
        assert set(past) == open_to_any_key


# What DESIGN.md and the contracts say each group is for, beyond what its rows grant.
GROUP_MUST_OPEN = {
    "Supervisors": {
        ("DELETE", "api/v2/orders/<str:identifier>"),
        ("PATCH", "api/v2/settings"),
        ("POST", "orders"),
    },
    "Lab clients": {
        ("POST", "api/v2/orders"),
        ("DELETE", "api/v2/orders/<str:identifier>"),
        ("PUT", "api/orderCancel"),
        ("POST", "api/v2/orders/<str:identifier>/print_ticket"),
    },
    "Stations": {("POST", "api/jt/checkin"), ("POST", "api/v2/job_track/stations/<str:code>")},
}
GROUP_MUST_NOT_OPEN = {
    "Lab clients": {("PATCH", "api/v2/settings"), ("DELETE", "api/v2/printers/<str:name>")},
    "Stations": {
        ("DELETE", "api/v2/orders/<str:identifier>"),
        ("PUT", "api/orderCancel"),
        ("DELETE", "orders/<str:order_id>"),
        ("PATCH", "api/v2/settings"),
    },
}


@pytest.mark.parametrize("group_name", sorted(GROUP_MUST_OPEN))
def test_each_group_opens_exactly_what_its_rights_open(group_name, lab_data, make_user, key_client):
    user = make_user(group_name)
    group = Group.objects.get(name=group_name)
    rights = {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }

    past = set(check_matrix(key_client(user), rights, lab_data, group_name))

    assert GROUP_MUST_OPEN[group_name] <= past
    assert not GROUP_MUST_NOT_OPEN.get(group_name, set()) & past


@pytest.mark.parametrize(
    ("right", "allowed"),
    [("orders.cancel_order", True), ("orders.view_order", False), (NO_RIGHT, False)],
)
def test_item_cancel_partner_acts_with_its_users_right(
    right, allowed, lab_data, make_user, partner_client
):
    user = make_user(rights=() if right == NO_RIGHT else (right,))
    route = "api/orderCancel"
    response = partner_client(user).send("PUT", lab_data.path(route), lab_data.body("PUT", route))
    if allowed:
        assert_past_authorization(response, f"partner with {right}")
        assert response.status_code == 200
        assert response.json()["Success"] == [lab_data.item_id]
    else:
        assert_forbidden(ITEM_CANCEL, response, "orders.cancel_order")
        assert set(lab_data.order.items.values_list("status", flat=True)) == {"New"}


def test_an_inactive_partner_or_user_is_refused_even_with_the_right(
    lab_data, make_user, partner_client
):
    route = "api/orderCancel"
    user = make_user(rights=("orders.cancel_order",))
    client = partner_client(user)
    user.api_partners.update(is_active=False)
    response = client.send("PUT", lab_data.path(route), lab_data.body("PUT", route))
    assert_unauthenticated(ITEM_CANCEL, response)

    other = make_user(rights=("orders.cancel_order",))
    client = partner_client(other)
    other.is_active = False
    other.save(update_fields=["is_active"])
    response = client.send("PUT", lab_data.path(route), lab_data.body("PUT", route))
    assert_unauthenticated(ITEM_CANCEL, response)


def test_every_named_right_guards_at_least_one_endpoint():
    assert set(ALL_RIGHTS) >= NAMED_RIGHTS


# Rights that guard an action of the admin only, with the test that checks it there.
ADMIN_ONLY_RIGHTS = {
    "orders.record_calculation": "tests/orders/test_admin_order_page.py (Record calculation)",
}


def test_every_custom_model_permission_guards_an_endpoint():
    """A right declared on a model (Meta.permissions) that no endpoint checks is either dead or
    checked somewhere this matrix does not see (then it is named in ADMIN_ONLY_RIGHTS)."""
    custom = {
        f"{model._meta.app_label}.{codename}"
        for model in apps.get_models()
        if model._meta.app_label in {"labsite", "orders", "tracker", "printing"}
        for codename, _ in model._meta.permissions
    }
    assert custom, "no custom permissions found"
    guarded = set(ALL_RIGHTS) | set(ADMIN_ONLY_RIGHTS)
    assert custom <= guarded, custom - guarded


def test_every_right_in_the_matrix_exists_as_a_permission():
    existing = {
        f"{app_label}.{codename}"
        for app_label, codename in Permission.objects.values_list(
            "content_type__app_label", "codename"
        )
    }
    assert set(ALL_RIGHTS) <= existing, set(ALL_RIGHTS) - existing


def test_the_orders_api_wire_rights_are_the_rights_the_matrix_checks(make_user):
    assert RIGHTS == {
        "orderProcess": "orders.process_order",
        "orderUpdate": "orders.update_order_status",
        "orderDelete": "orders.cancel_order",
    }
    for wire_name, permission in RIGHTS.items():
        assert permission in ALL_RIGHTS
        assert rights_of(make_user(rights=(permission,))) == [wire_name]
    assert rights_of(make_user()) == []

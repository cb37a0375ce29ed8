"""Keys and rights are read afresh on every request (accounts/credentials.py): the key with its
user, then the user's rights. A change counts on the next request, whoever made it and however
(tests/labsite/test_two_processes.py: by another process)."""

from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import pytest

from accounts import credentials
from accounts.models import ApiKey, hash_api_key

ORDER_VIEW = "orders.view_order"
CANCEL = "orders.cancel_order"


@pytest.fixture
def order(make_order):
    return make_order(number=42001)


@pytest.fixture
def lab_client(make_user):
    return make_user(rights=(ORDER_VIEW,), username="lab-client")


@pytest.fixture
def issued(lab_client):
    return ApiKey.issue(user=lab_client, name="rx system")


def fetch(order, raw_key: str):
    """GET the order; the response and the statements that read keys or permissions."""
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(
            f"/api/v2/orders/{order.number}", HTTP_AUTHORIZATION=f"Token {raw_key}"
        )
    credential_statements = [
        q["sql"]
        for q in queries.captured_queries
        if ("accounts_apikey" in q["sql"] or "auth_permission" in q["sql"])
        and q["sql"].lstrip().upper().startswith("SELECT")
    ]
    return response, credential_statements


def test_every_request_reads_the_key_with_its_user_then_their_rights(order, issued):
    for _ in range(2):
        response, statements = fetch(order, issued[1])

        assert response.status_code == 200
        assert len(statements) == 2


def test_the_rights_of_a_keys_user_are_their_own_and_their_groups(make_user):
    cancel = Permission.objects.get(content_type__app_label="orders", codename="cancel_order")
    user = make_user(rights=(ORDER_VIEW,))
    group = Group.objects.create(name="Cancellers")
    group.permissions.add(cancel)
    user.groups.add(group)
    Group.objects.create(name="Empty").user_set.add(user)  # a group with no right adds none

    api_key = credentials.usable_key(hash_api_key(ApiKey.issue(user=user, name="k")[1]))

    assert credentials.rights_of(api_key.user) == frozenset({ORDER_VIEW, CANCEL})
    assert api_key.user.get_all_permissions() == {ORDER_VIEW, CANCEL}


def test_a_revocation_that_sends_no_signal_counts_on_the_next_request(order, issued):
    api_key, raw_key = issued
    assert fetch(order, raw_key)[0].status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=api_key.created_at)

    assert fetch(order, raw_key)[0].status_code == 401


def test_a_right_withdrawn_without_a_signal_counts_on_the_next_request(order, issued, lab_client):
    raw_key = issued[1]
    assert fetch(order, raw_key)[0].status_code == 200
    permission = Permission.objects.get(content_type__app_label="orders", codename="view_order")
    lab_client.user_permissions.through.objects.filter(permission=permission).delete()

    assert fetch(order, raw_key)[0].status_code == 403


def test_revoking_a_key_in_this_process_refuses_it_at_once(order, issued):
    api_key, raw_key = issued
    assert fetch(order, raw_key)[0].status_code == 200

    api_key.revoke()

    assert fetch(order, raw_key)[0].status_code == 401


def test_the_admins_revoke_action_refuses_the_key_at_once(order, issued, make_user):
    api_key, raw_key = issued
    assert fetch(order, raw_key)[0].status_code == 200
    admin = Client()
    admin.force_login(make_user(is_staff=True, is_superuser=True))

    response = admin.post(
        "/admin/accounts/apikey/",
        {"action": "revoke_selected", "_selected_action": [api_key.pk], "index": 0},
    )

    assert response.status_code == 302
    assert fetch(order, raw_key)[0].status_code == 401


def test_deactivating_the_user_refuses_the_key_at_once(order, issued, lab_client):
    assert fetch(order, issued[1])[0].status_code == 200

    lab_client.is_active = False
    lab_client.save()

    assert fetch(order, issued[1])[0].status_code == 401


def test_a_right_granted_through_a_group_counts_at_once(order, make_user, make_reason):
    make_reason("CUS")
    user = make_user(rights=(ORDER_VIEW,))
    raw_key = ApiKey.issue(user=user, name="k")[1]
    api = Client()
    headers = {"HTTP_AUTHORIZATION": f"Token {raw_key}"}
    assert api.delete(f"/api/v2/orders/{order.number}?deleteReason=CUS", **headers).status_code == (
        403
    )
    group = Group.objects.create(name="Cancellers")
    user.groups.add(group)
    assert api.delete(f"/api/v2/orders/{order.number}?deleteReason=CUS", **headers).status_code == (
        403
    )

    group.permissions.add(
        Permission.objects.get(content_type__app_label="orders", codename="cancel_order")
    )

    assert api.delete(f"/api/v2/orders/{order.number}?deleteReason=CUS", **headers).status_code == (
        200
    )


def test_leaving_a_group_withdraws_its_rights_at_once(order, make_user):
    user = make_user("Lab clients")
    raw_key = ApiKey.issue(user=user, name="k")[1]
    assert fetch(order, raw_key)[0].status_code == 200

    user.groups.clear()

    assert fetch(order, raw_key)[0].status_code == 403


def test_a_refused_key_restored_meanwhile_is_accepted(order, issued):
    api_key, raw_key = issued
    api_key.revoke()
    assert fetch(order, raw_key)[0].status_code == 401
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=None)  # restored elsewhere

    response, statements = fetch(order, raw_key)

    assert response.status_code == 200
    assert len(statements) == 2


def test_a_user_loaded_without_a_key_has_its_rights_read_once_per_object(lab_client):
    with CaptureQueriesContext(connection) as queries:
        assert credentials.rights_of(lab_client) == frozenset({ORDER_VIEW})
        assert credentials.rights_of(lab_client) == frozenset({ORDER_VIEW})
    assert len(queries) == 1

    again = type(lab_client).objects.get(pk=lab_client.pk)  # another request's user object
    with CaptureQueriesContext(connection) as queries:
        assert credentials.rights_of(again) == frozenset({ORDER_VIEW})
    assert len(queries) == 1


def test_a_superuser_holds_every_right_without_a_query(make_user):
    superuser = make_user(is_superuser=True)
    with CaptureQueriesContext(connection) as queries:
        assert credentials.rights_of(superuser) is credentials.ALL_RIGHTS
    assert len(queries) == 0


def test_an_inactive_user_holds_no_right(make_user):
    assert credentials.rights_of(make_user(rights=(CANCEL,), is_active=False)) == frozenset()

"""What a web process keeps of the keys and rights it verified (accounts/credentials.py):
kept for API_CREDENTIAL_CACHE_SECONDS, forgotten at once when this process changes a key, a user,
a group or a right, and looked up again when the time runs out (a change made by another
process)."""

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
    return make_user(rights=(ORDER_VIEW,), username="kept-client")


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


def test_the_first_request_looks_up_the_key_and_the_rights(order, issued):
    response, statements = fetch(order, issued[1])

    assert response.status_code == 200
    assert len(statements) == 2  # the key with its user, the user's rights


def test_a_key_verified_moments_ago_is_not_looked_up_again(order, issued):
    fetch(order, issued[1])

    response, statements = fetch(order, issued[1])

    assert response.status_code == 200
    assert statements == []


def test_a_kept_key_is_looked_up_again_once_its_time_runs_out(order, issued, clock, settings):
    settings.API_CREDENTIAL_CACHE_SECONDS = 5
    fetch(order, issued[1])

    clock(4.9)
    assert fetch(order, issued[1])[1] == []
    clock(0.2)
    response, statements = fetch(order, issued[1])

    assert response.status_code == 200
    assert len(statements) == 2


def test_a_revocation_by_another_process_takes_effect_when_the_time_runs_out(
    order, issued, clock, settings
):
    """Another process revokes the key: no signal reaches this one, which answers from what it
    kept until that runs out, then refuses."""
    settings.API_CREDENTIAL_CACHE_SECONDS = 5
    api_key, raw_key = issued
    assert fetch(order, raw_key)[0].status_code == 200
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=api_key.created_at)  # no signal

    assert fetch(order, raw_key)[0].status_code == 200
    clock(5.1)

    assert fetch(order, raw_key)[0].status_code == 401


def test_a_right_withdrawn_by_another_process_takes_effect_when_the_time_runs_out(
    order, issued, lab_client, clock, settings
):
    settings.API_CREDENTIAL_CACHE_SECONDS = 5
    raw_key = issued[1]
    assert fetch(order, raw_key)[0].status_code == 200
    permission = Permission.objects.get(content_type__app_label="orders", codename="view_order")
    lab_client.user_permissions.through.objects.filter(permission=permission).delete()  # no signal

    assert fetch(order, raw_key)[0].status_code == 200
    clock(5.1)

    assert fetch(order, raw_key)[0].status_code == 403


def test_revoking_a_key_in_this_process_refuses_it_at_once(order, issued):
    api_key, raw_key = issued
    assert fetch(order, raw_key)[0].status_code == 200

    api_key.revoke()

    assert fetch(order, raw_key)[0].status_code == 401


def test_the_admins_revoke_action_refuses_a_kept_key_at_once(order, issued, make_user):
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


def test_deactivating_the_user_refuses_a_kept_key_at_once(order, issued, lab_client):
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


def test_nothing_is_kept_when_the_setting_is_zero(order, issued, settings):
    settings.API_CREDENTIAL_CACHE_SECONDS = 0
    fetch(order, issued[1])

    response, statements = fetch(order, issued[1])

    assert response.status_code == 200
    assert len(statements) == 2


def test_a_refused_key_is_not_kept(order, issued):
    api_key, raw_key = issued
    api_key.revoke()
    assert fetch(order, raw_key)[0].status_code == 401
    ApiKey.objects.filter(pk=api_key.pk).update(revoked_at=None)  # restored elsewhere

    response, statements = fetch(order, raw_key)

    assert response.status_code == 200
    assert len(statements) == 2


def test_each_request_gets_its_own_copy_of_a_kept_key_and_user(issued):
    key_hash = hash_api_key(issued[1])
    first = credentials.usable_key(key_hash)
    first.user.first_name = "changed by one request"
    first.name = "changed too"

    second = credentials.usable_key(key_hash)

    assert second is not first
    assert second.user is not first.user
    assert second.user.first_name == ""
    assert second.name == "rx system"


def test_a_lookup_that_overlaps_a_change_keeps_nothing(issued, monkeypatch):
    """A change lands while a lookup is reading the row: what the lookup read may predate the
    change, so it is answered but not kept."""
    key_hash = hash_api_key(issued[1])
    lookup = ApiKey.objects.usable_with_hash

    def overlapped(*args):
        found = lookup(*args)
        credentials.forget_all()  # a revocation committed meanwhile
        return found

    monkeypatch.setattr(ApiKey.objects, "usable_with_hash", overlapped)
    assert credentials.usable_key(key_hash) is not None
    monkeypatch.undo()

    with CaptureQueriesContext(connection) as queries:
        assert credentials.usable_key(key_hash) is not None
    assert len(queries) == 1


def test_rights_kept_for_a_user_do_not_pass_to_another_user_given_the_same_id(lab_client):
    assert credentials.rights_of(lab_client) == frozenset({ORDER_VIEW})
    newcomer = type(lab_client)(
        pk=lab_client.pk, username="newcomer", date_joined=lab_client.date_joined
    )

    with CaptureQueriesContext(connection) as queries:
        rights = credentials.rights_of(newcomer)

    assert len(queries) == 1  # not answered from what was kept for lab_client
    assert rights == frozenset({ORDER_VIEW})  # what the row with that id holds now


def test_a_superuser_holds_every_right_without_a_query(make_user):
    superuser = make_user(is_superuser=True)
    with CaptureQueriesContext(connection) as queries:
        assert credentials.rights_of(superuser) is credentials.ALL_RIGHTS
    assert len(queries) == 0


def test_an_inactive_user_holds_no_right(make_user):
    assert credentials.rights_of(make_user(rights=(CANCEL,), is_active=False)) == frozenset()

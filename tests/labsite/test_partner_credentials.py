"""API partners (accounts.credentials.usable_partner, which PUT /api/orderCancel's partner
authentication asks) are read afresh on every request, with their user: revoking a partner,
rotating its key or deactivating its user counts on the next request, whoever made the change
and however."""

import json
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import pytest

from accounts.models import ApiPartner, hash_api_key
from tests.item_cancel.conftest import CANCEL_RIGHT, cancel_url, item_ids

WRONG_KEY = "not-the-billing-key"


class Attempt(NamedTuple):
    status: int
    partner_lookups: list[str]  # the statements that read an API partner
    partner_writes: list[str]  # the statements that record its use
    statements: list[str]


@pytest.fixture
def partner_user(make_user):
    return make_user(rights=(CANCEL_RIGHT,), username="acme-user")


@pytest.fixture
def issued(partner_user) -> tuple[ApiPartner, str]:
    return ApiPartner.issue(name="Acme Prints", user=partner_user)


@pytest.fixture
def attempt(make_order):
    """Cancel a new order's item as the partner, sending this billing key."""

    def cancel(partner: ApiPartner, raw_key: str) -> Attempt:
        order = make_order(items=1)
        url = cancel_url(
            orderId=order.number, recipeid=partner.recipe_id, partnerBillingKey=raw_key
        )
        with CaptureQueriesContext(connection) as queries:
            response = Client().put(
                url, data=json.dumps({"Ids": item_ids(order)}), content_type="application/json"
            )
        statements = [q["sql"] for q in queries.captured_queries]
        return Attempt(
            status=response.status_code,
            partner_lookups=[
                sql
                for sql in statements
                if sql.lstrip().upper().startswith("SELECT") and '"accounts_apipartner"' in sql
            ],
            partner_writes=[sql for sql in statements if 'UPDATE "accounts_apipartner"' in sql],
            statements=statements,
        )

    return cancel


def test_every_request_reads_the_partner_with_its_user_and_rights_in_one_statement(issued, attempt):
    for _ in range(2):
        answer = attempt(*issued)

        assert answer.status == 200
        assert len(answer.partner_lookups) == 1
        assert not [sql for sql in answer.statements if sql.startswith('SELECT "auth_permission"')]


def test_a_wrong_key_is_refused_every_time(issued, attempt):
    partner, _ = issued

    attempts = [attempt(partner, WRONG_KEY) for _ in range(3)]

    assert [a.status for a in attempts] == [401, 401, 401]
    assert [len(a.partner_lookups) for a in attempts] == [1, 1, 1]


def test_a_partner_that_was_accepted_lets_no_other_key_through(issued, attempt):
    partner, raw_key = issued
    assert attempt(partner, raw_key).status == 200

    wrong = attempt(partner, WRONG_KEY)

    assert wrong.status == 401
    assert attempt(partner, raw_key).status == 200


def test_a_partner_refused_once_is_looked_up_again_and_accepted_when_restored(issued, attempt):
    partner, raw_key = issued
    ApiPartner.objects.filter(pk=partner.pk).update(is_active=False)
    assert attempt(partner, raw_key).status == 401
    ApiPartner.objects.filter(pk=partner.pk).update(is_active=True)  # restored elsewhere

    restored = attempt(partner, raw_key)

    assert restored.status == 200
    assert len(restored.partner_lookups) == 1


def test_revoking_the_partner_through_its_queryset_refuses_it_at_once(issued, attempt):
    partner, raw_key = issued
    assert attempt(partner, raw_key).status == 200

    assert ApiPartner.objects.filter(pk=partner.pk).revoke() == 1

    assert attempt(partner, raw_key).status == 401


def test_the_admins_revoke_action_refuses_the_partner_at_once(issued, attempt, make_user):
    partner, raw_key = issued
    admin = Client()
    admin.force_login(make_user(is_staff=True, is_superuser=True))
    assert attempt(partner, raw_key).status == 200

    response = admin.post(
        "/admin/accounts/apipartner/",
        {"action": "revoke_selected", "_selected_action": [partner.pk], "index": 0},
    )

    assert response.status_code == 302
    assert ApiPartner.objects.get(pk=partner.pk).is_active is False
    assert attempt(partner, raw_key).status == 401


def test_rotating_the_key_refuses_the_old_key_at_once(issued, attempt):
    partner, old_key = issued
    assert attempt(partner, old_key).status == 200

    new_key = partner.rotate_key()

    assert attempt(partner, old_key).status == 401
    assert attempt(partner, new_key).status == 200


def test_deactivating_the_partners_user_refuses_it_at_once(issued, attempt, partner_user):
    assert attempt(*issued).status == 200

    partner_user.is_active = False
    partner_user.save()

    assert attempt(*issued).status == 401


def deactivate_partner(partner: ApiPartner) -> None:
    ApiPartner.objects.filter(pk=partner.pk).update(is_active=False)


def replace_key(partner: ApiPartner) -> None:
    ApiPartner.objects.filter(pk=partner.pk).update(key_hash=hash_api_key("a key given elsewhere"))


def deactivate_user(partner: ApiPartner) -> None:
    User.objects.filter(pk=partner.user_id).update(is_active=False)


@pytest.mark.parametrize("change", [deactivate_partner, replace_key, deactivate_user])
def test_a_change_that_sends_no_signal_counts_on_the_next_request(issued, attempt, change):
    partner, raw_key = issued
    assert attempt(partner, raw_key).status == 200

    change(partner)  # a QuerySet.update, as another process or a script may make it

    assert attempt(partner, raw_key).status == 401


def test_a_partners_use_is_recorded_once_per_window_not_on_every_request(issued, attempt):
    partner, raw_key = issued

    first, second = attempt(partner, raw_key), attempt(partner, raw_key)

    assert len(first.partner_writes) == 1
    assert second.partner_writes == []
    assert ApiPartner.objects.get(pk=partner.pk).last_used_at is not None

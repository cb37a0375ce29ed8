"""What a web process keeps of the API partners it verified (accounts.credentials
.usable_partner, which PUT /api/orderCancel's partner authentication asks): kept for
API_CREDENTIAL_CACHE_SECONDS, forgotten at once when this process revokes a partner, rotates its
key or deactivates its user, and looked up again when the time runs out (a change made by
another process). A refused partner is never kept."""

import json
from typing import NamedTuple

from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

import pytest

from accounts import credentials
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


def test_the_first_request_looks_the_partner_up(issued, attempt):
    first = attempt(*issued)

    assert first.status == 200
    assert len(first.partner_lookups) == 1  # the partner with its user


def test_a_partner_verified_moments_ago_is_not_looked_up_again(issued, attempt):
    first = attempt(*issued)

    second = attempt(*issued)

    assert second.status == 200
    assert second.partner_lookups == []
    assert len(second.statements) < len(first.statements)


def test_a_kept_partner_is_looked_up_again_once_its_time_runs_out(issued, attempt, clock, settings):
    settings.API_CREDENTIAL_CACHE_SECONDS = 5
    attempt(*issued)

    clock(4.9)
    assert attempt(*issued).partner_lookups == []
    clock(0.2)
    again = attempt(*issued)

    assert again.status == 200
    assert len(again.partner_lookups) == 1


def test_a_wrong_key_is_never_kept(issued, attempt):
    partner, _ = issued

    attempts = [attempt(partner, WRONG_KEY) for _ in range(3)]

    assert [a.status for a in attempts] == [401, 401, 401]
    assert [len(a.partner_lookups) for a in attempts] == [1, 1, 1]


def test_a_kept_partner_lets_no_other_key_through(issued, attempt):
    partner, raw_key = issued
    assert attempt(partner, raw_key).status == 200

    wrong = attempt(partner, WRONG_KEY)

    assert wrong.status == 401
    assert len(wrong.partner_lookups) == 1
    assert attempt(partner, raw_key).partner_lookups == []  # the right key is still kept


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


def test_the_admins_revoke_action_refuses_a_kept_partner_at_once(issued, attempt, make_user):
    partner, raw_key = issued
    admin = Client()
    # Before the partner is kept: making and logging in a user forgets everything kept.
    admin.force_login(make_user(is_staff=True, is_superuser=True))
    assert attempt(partner, raw_key).partner_lookups != []
    assert attempt(partner, raw_key).partner_lookups == []  # kept

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
def test_a_change_made_by_another_process_takes_effect_when_the_time_runs_out(
    issued, attempt, clock, settings, change
):
    """Another process changes the rows: no signal reaches this one, which answers from what it
    kept until that runs out, then refuses."""
    settings.API_CREDENTIAL_CACHE_SECONDS = 5
    partner, raw_key = issued
    assert attempt(partner, raw_key).status == 200

    change(partner)  # a QuerySet.update: no signal, nothing forgotten here

    clock(4.9)
    assert attempt(partner, raw_key).status == 200
    clock(0.2)
    assert attempt(partner, raw_key).status == 401


def test_nothing_is_kept_when_the_setting_is_zero(issued, attempt, settings):
    settings.API_CREDENTIAL_CACHE_SECONDS = 0
    attempt(*issued)

    second = attempt(*issued)

    assert second.status == 200
    assert len(second.partner_lookups) == 1


def test_a_kept_partners_use_is_recorded_once_not_on_every_request(issued, attempt):
    partner, raw_key = issued

    first, second = attempt(partner, raw_key), attempt(partner, raw_key)

    assert len(first.partner_writes) == 1
    assert second.partner_writes == []
    assert ApiPartner.objects.get(pk=partner.pk).last_used_at is not None


def test_each_request_gets_its_own_copy_of_a_kept_partner_and_user(issued):
    partner, raw_key = issued
    key_hashes = frozenset({hash_api_key(raw_key)})
    first = credentials.usable_partner(partner.recipe_id, key_hashes)
    first.name = "changed by one request"
    first.user.first_name = "changed too"

    second = credentials.usable_partner(partner.recipe_id, key_hashes)

    assert second is not first
    assert second.user is not first.user
    assert (second.name, second.user.first_name) == ("Acme Prints", "")

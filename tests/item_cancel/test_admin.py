"""API partners in the admin: created with a key shown once, keys rotated (shown once, the old
one stops working), partners revoked; never deleted."""

import re
import uuid

from django.contrib.admin.models import LogEntry
from django.contrib.messages import SUCCESS, get_messages
from django.test import Client

import pytest

from accounts.models import ApiPartner, hash_api_key

from .conftest import CANCEL_RIGHT, PartnerApi, item_ids

pytestmark = pytest.mark.django_db

PARTNERS = "/admin/accounts/apipartner/"
ACTION_CHECKBOX = "_selected_action"
SHOWN_KEY = re.compile(r'<code class="partner-key"[^>]*>([A-Za-z0-9+/=]+)</code>')


@pytest.fixture
def superuser_client(make_user):
    client = Client()
    client.force_login(make_user(username="root", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def owner(make_user):
    return make_user(username="acme-user", rights=(CANCEL_RIGHT,))


def shown_keys(response) -> list[str]:
    return SHOWN_KEY.findall(response.content.decode())


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


def assert_key_not_kept(raw_key: str) -> None:
    for row in ApiPartner.objects.values():
        assert not [column for column, value in row.items() if raw_key in str(value)]
    assert not [
        entry
        for entry in LogEntry.objects.all()
        if raw_key in f"{entry.object_repr}{entry.change_message}"
    ]


def calls_with(partner: ApiPartner, raw_key: str, make_order, status: int) -> None:
    order = make_order(items=1)
    PartnerApi(partner, raw_key).cancel(order, item_ids(order), status=status)


def test_adding_a_partner_shows_its_key_once_and_stores_only_its_hash(
    superuser_client, owner, make_order
):
    form = superuser_client.get(f"{PARTNERS}add/")
    generated = form.context["adminform"].form["recipe_id"].initial
    assert f'name="recipe_id" value="{generated}"' in form.content.decode()
    assert uuid.UUID(generated)  # a recipe id is offered; the supervisor may type another

    response = superuser_client.post(
        f"{PARTNERS}add/", {"name": "Acme Prints", "recipe_id": generated, "user": owner.pk}
    )

    assert response.status_code == 200, response.content[:2000]
    assert "no-store" in response["Cache-Control"]
    [raw_key] = shown_keys(response)
    partner = ApiPartner.objects.get()
    assert (partner.name, partner.recipe_id, partner.user, partner.is_active) == (
        "Acme Prints",
        generated,
        owner,
        True,
    )
    assert partner.key_hash == hash_api_key(raw_key)
    assert generated in response.content.decode()
    assert_key_not_kept(raw_key)
    calls_with(partner, raw_key, make_order, status=200)

    change_page = superuser_client.get(f"{PARTNERS}{partner.pk}/change/")

    assert change_page.status_code == 200
    assert raw_key not in change_page.content.decode()
    assert "recipe_id" not in change_page.context["adminform"].form.fields  # read-only now


def test_a_recipe_id_may_be_entered(superuser_client, owner):
    response = superuser_client.post(
        f"{PARTNERS}add/", {"name": "Beta", "recipe_id": "beta-2026", "user": owner.pk}
    )

    assert response.status_code == 200
    assert ApiPartner.objects.get().recipe_id == "beta-2026"


@pytest.mark.parametrize("recipe_id", ["has space", "a+b", "", "x" * 65])
def test_a_recipe_id_needing_url_encoding_is_refused(superuser_client, owner, recipe_id):
    response = superuser_client.post(
        f"{PARTNERS}add/", {"name": "Beta", "recipe_id": recipe_id, "user": owner.pk}
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["recipe_id"]
    assert not ApiPartner.objects.exists()


def test_recipe_ids_are_unique(superuser_client, owner):
    ApiPartner.issue(name="Acme", user=owner, recipe_id="taken")

    response = superuser_client.post(
        f"{PARTNERS}add/", {"name": "Beta", "recipe_id": "taken", "user": owner.pk}
    )

    assert response.context["adminform"].form.errors["recipe_id"]
    assert ApiPartner.objects.count() == 1


def test_rotating_first_asks_then_shows_the_new_keys_once(superuser_client, owner, make_order):
    acme, acme_key = ApiPartner.issue(name="Acme", user=owner)
    kept, kept_key = ApiPartner.issue(name="Kept", user=owner)
    selection = {"action": "rotate_keys", ACTION_CHECKBOX: [acme.pk], "index": 0}

    confirm = superuser_client.post(PARTNERS, selection)

    assert confirm.status_code == 200
    assert "admin/accounts/apipartner/rotate_keys.html" in [t.name for t in confirm.templates]
    assert "Acme" in confirm.content.decode()
    assert shown_keys(confirm) == []
    acme.refresh_from_db()
    assert acme.key_hash == hash_api_key(acme_key)  # nothing rotated yet

    response = superuser_client.post(PARTNERS, {**selection, "apply": "Rotate these keys"})

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    [new_key] = shown_keys(response)
    assert new_key != acme_key
    acme.refresh_from_db()
    assert acme.key_hash == hash_api_key(new_key)
    assert_key_not_kept(new_key)
    assert LogEntry.objects.get(object_id=str(acme.pk)).change_message == (
        "Rotated the billing key."
    )
    calls_with(acme, acme_key, make_order, status=401)
    calls_with(acme, new_key, make_order, status=200)
    calls_with(kept, kept_key, make_order, status=200)  # not selected: untouched


def test_the_revoke_action_deactivates_the_selected_partners(superuser_client, owner, make_order):
    revoked, revoked_key = ApiPartner.issue(name="Lost laptop", user=owner)
    kept, kept_key = ApiPartner.issue(name="Kept", user=owner)

    response = superuser_client.post(
        PARTNERS, {"action": "revoke_selected", ACTION_CHECKBOX: [revoked.pk], "index": 0}
    )

    assert messages_of(response) == [(SUCCESS, "Revoked 1 partner(s).")]
    revoked.refresh_from_db()
    kept.refresh_from_db()
    assert not revoked.is_active
    assert kept.is_active
    calls_with(revoked, revoked_key, make_order, status=401)
    calls_with(kept, kept_key, make_order, status=200)


def test_partners_cannot_be_deleted_in_the_admin(superuser_client, owner):
    partner, _ = ApiPartner.issue(name="Kept for history", user=owner)

    assert superuser_client.get(f"{PARTNERS}{partner.pk}/delete/").status_code == 403
    actions = dict(superuser_client.get(PARTNERS).context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions
    assert {"rotate_keys", "revoke_selected"} <= set(actions)


def test_the_partner_list_shows_partners_without_their_keys(superuser_client, owner):
    _, raw_key = ApiPartner.issue(name="Acme", user=owner, recipe_id="acme-1")

    page = superuser_client.get(PARTNERS).content.decode()

    assert "Acme" in page
    assert "acme-1" in page
    assert raw_key not in page

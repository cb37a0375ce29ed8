"""API keys (DESIGN, decision 6): stored hashed, named, per user, revocable, with a last-used
time; sent as `Authorization: Token <key>` or `Bearer <key>`."""

import hashlib
import io
import logging
from datetime import timedelta

from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from accounts import credentials
from accounts.models import ApiKey

AUTHENTICATION_REQUIRED = {"error": "Authentication required", "details": []}


@pytest.fixture
def order(make_order):
    return make_order(number=41001, tray="411", po_number="PO-KEYS")


@pytest.fixture
def lab_client(make_user):
    return make_user("Lab clients", username="rx-client")


@pytest.fixture
def issued(lab_client):
    """A fresh key of the lab client: (row, raw key)."""
    return ApiKey.issue(user=lab_client, name="rx system")


def get_order(order, authorization: str | None):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization is not None else {}
    return Client().get(f"/api/v2/orders/{order.number}", **headers)


def apikey_updates(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("UPDATE") and "accounts_apikey" in q["sql"]
    ]


# --- storage ----------------------------------------------------------------------------------


def test_a_key_is_stored_only_as_its_sha256_hash(issued):
    api_key, raw_key = issued

    row = ApiKey.objects.filter(pk=api_key.pk).values().get()

    assert raw_key.startswith("lab_")
    assert row["key_hash"] == hashlib.sha256(raw_key.encode()).hexdigest()
    assert not [column for column, value in row.items() if raw_key in str(value)]
    assert raw_key.startswith(row["prefix"])  # enough to recognise the key by, not to use it


def test_every_issued_key_is_different(lab_client):
    keys = {ApiKey.issue(user=lab_client, name=f"key {i}")[1] for i in range(5)}

    assert len(keys) == 5


# --- schemes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "token", "BEARER", "bEaReR"])
def test_token_and_bearer_schemes_are_accepted_in_any_case(order, issued, scheme):
    _, raw_key = issued

    response = get_order(order, f"{scheme} {raw_key}")

    assert response.status_code == 200, response.content
    assert response.json()["orderNumber"] == "41001"


# --- refusals ---------------------------------------------------------------------------------


def test_a_revoked_key_is_refused(order, issued):
    api_key, raw_key = issued
    api_key.revoke()

    response = get_order(order, f"Token {raw_key}")

    assert response.status_code == 401
    assert response.json() == AUTHENTICATION_REQUIRED


def test_the_key_of_an_inactive_user_is_refused(order, issued, lab_client):
    _, raw_key = issued
    lab_client.is_active = False
    lab_client.save()

    response = get_order(order, f"Token {raw_key}")

    assert response.status_code == 401
    assert response.json() == AUTHENTICATION_REQUIRED


@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no header"),
        pytest.param("Token lab_" + "x" * 43, id="unknown key"),
        pytest.param("Token ", id="empty key"),
        pytest.param("Bearer", id="scheme only"),
        pytest.param("Token " + "k" * 500, id="500-char key"),
        pytest.param("Basic cngtY2xpZW50OnNlY3JldA==", id="basic scheme"),
    ],
)
def test_a_request_without_a_usable_key_is_refused_in_the_envelope(order, issued, authorization):
    response = get_order(order, authorization)

    assert response.status_code == 401
    assert response.json() == AUTHENTICATION_REQUIRED
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_valid_key_sent_with_the_basic_scheme_is_refused(order, issued):
    _, raw_key = issued

    response = get_order(order, f"Basic {raw_key}")

    assert response.status_code == 401
    assert response.json() == AUTHENTICATION_REQUIRED


def test_revoking_twice_keeps_the_first_revocation_time(issued):
    api_key, _ = issued
    api_key.revoke()
    first = ApiKey.objects.get(pk=api_key.pk).revoked_at

    api_key.revoke()

    assert ApiKey.objects.get(pk=api_key.pk).revoked_at == first


# --- the lookup every request makes ------------------------------------------------------------


def key_states(lab_client, make_user) -> dict[str, tuple[ApiKey, str]]:
    now = timezone.now()
    inactive = make_user("Lab clients", username="gone-client")
    keys = {
        "valid": ApiKey.issue(user=lab_client, name="valid"),
        "expiring later": ApiKey.issue(user=lab_client, name="later"),
        "expired": ApiKey.issue(user=lab_client, name="expired"),
        "revoked": ApiKey.issue(user=lab_client, name="revoked"),
        "inactive user": ApiKey.issue(user=inactive, name="inactive"),
    }
    ApiKey.objects.filter(pk=keys["expiring later"][0].pk).update(
        expires_at=now + timedelta(hours=1)
    )
    ApiKey.objects.filter(pk=keys["expired"][0].pk).update(expires_at=now - timedelta(seconds=1))
    keys["revoked"][0].revoke()
    inactive.is_active = False
    inactive.save()
    return keys


def test_the_request_lookup_finds_exactly_the_keys_usable_finds(lab_client, make_user):
    keys = key_states(lab_client, make_user)

    for state, (api_key, raw_key) in keys.items():
        key_hash = hashlib.sha256(raw_key.encode()).hexdigest()
        expected = ApiKey.objects.usable().select_related("user").filter(key_hash=key_hash).first()
        found = credentials.usable_key(key_hash)
        assert (found is not None) == (expected is not None), state
        assert (found is not None) == (state in {"valid", "expiring later"}), state
        if found is not None:
            # Loaded as the ORM loads it: the same field values, aware date-times, the user.
            stored = ApiKey.objects.select_related("user").get(pk=api_key.pk)
            for field in ApiKey._meta.concrete_fields:
                assert getattr(found, field.attname) == getattr(stored, field.attname), field
            assert timezone.is_aware(found.created_at)
            assert found.user == stored.user
            assert found.user.get_username() == stored.user.get_username()
            assert found.user.is_active is True
            assert found._state.adding is False
            assert found._state.db == stored._state.db
    assert credentials.usable_key("0" * 64) is None


def test_the_request_lookup_is_one_statement_and_the_rights_another(issued):
    api_key, raw_key = issued
    key_hash = hashlib.sha256(raw_key.encode()).hexdigest()
    with CaptureQueriesContext(connection) as queries:
        found = credentials.usable_key(key_hash)
        assert found.user.pk == api_key.user_id
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        rights = credentials.rights_of(found.user)
        assert credentials.rights_of(found.user) == rights  # kept by the user object
    assert len(queries) == 1
    assert rights == frozenset(api_key.user.get_all_permissions())


# --- last used --------------------------------------------------------------------------------


def test_last_used_is_written_on_first_use_and_not_again_within_the_resolution(order, issued):
    api_key, raw_key = issued
    assert api_key.last_used_at is None

    with CaptureQueriesContext(connection) as first:
        assert get_order(order, f"Token {raw_key}").status_code == 200
    used_at = ApiKey.objects.get(pk=api_key.pk).last_used_at
    with CaptureQueriesContext(connection) as second:
        assert get_order(order, f"Token {raw_key}").status_code == 200

    assert len(apikey_updates(first)) == 1
    assert used_at is not None
    assert timezone.now() - used_at < timedelta(minutes=1)
    assert apikey_updates(second) == []
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == used_at


def test_last_used_is_written_again_once_the_resolution_has_passed(order, issued, settings):
    api_key, raw_key = issued
    resolution = timedelta(seconds=settings.API_KEY_LAST_USED_RESOLUTION_SECONDS)
    stale = timezone.now() - resolution - timedelta(seconds=1)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=stale)

    with CaptureQueriesContext(connection) as queries:
        assert get_order(order, f"Token {raw_key}").status_code == 200

    assert len(apikey_updates(queries)) == 1
    assert ApiKey.objects.get(pk=api_key.pk).last_used_at > stale


def test_a_refused_key_is_not_marked_as_used(order, issued):
    api_key, raw_key = issued
    api_key.revoke()

    get_order(order, f"Token {raw_key}")

    assert ApiKey.objects.get(pk=api_key.pk).last_used_at is None


# --- create_api_key command -------------------------------------------------------------------


def create_api_key(*args: str) -> str:
    out = io.StringIO()
    call_command("create_api_key", *args, stdout=out)
    return out.getvalue()


def test_create_api_key_prints_only_a_key_that_authenticates(order, lab_client):
    output = create_api_key(lab_client.username)

    lines = output.splitlines()
    assert len(lines) == 1
    raw_key = lines[0]
    assert raw_key.startswith("lab_")
    assert " " not in raw_key
    api_key = ApiKey.objects.get(user=lab_client)
    assert api_key.name == "cli"
    assert get_order(order, f"Token {raw_key}").status_code == 200


def test_create_api_key_stores_the_given_name(lab_client):
    raw_key = create_api_key(lab_client.username, "--name", "order entry PC").strip()

    api_key = ApiKey.objects.get(user=lab_client)
    assert api_key.name == "order entry PC"
    assert api_key.key_hash == hashlib.sha256(raw_key.encode()).hexdigest()


def test_create_api_key_for_an_unknown_user_fails(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        create_api_key("ghost")

    assert not ApiKey.objects.exists()


def test_create_api_key_for_an_inactive_user_fails(make_user):
    make_user("Lab clients", username="retired", is_active=False)

    with pytest.raises(CommandError, match="inactive"):
        create_api_key("retired")

    assert not ApiKey.objects.exists()


# --- logs -------------------------------------------------------------------------------------


@pytest.fixture
def all_logs(caplog):
    """Every log record at DEBUG and up, including loggers that do not propagate."""
    request_logger = logging.getLogger("django.request")
    request_logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="django.request")
    yield caplog
    request_logger.removeHandler(caplog.handler)


def test_a_raw_key_never_reaches_the_logs(order, issued, all_logs, settings):
    _, raw_key = issued
    settings.DEBUG = True  # SQL is logged too

    assert get_order(order, f"Token {raw_key}").status_code == 200
    assert get_order(order, f"Bearer {raw_key}x").status_code == 401

    assert all_logs.records, "expected the requests to log something (SQL, the 401)"
    assert any("Unauthorized" in r.getMessage() for r in all_logs.records)
    assert raw_key not in all_logs.text
    assert not [r for r in all_logs.records if raw_key in r.getMessage()]


def test_a_key_shown_once_renders_as_itself_but_its_repr_hides_it():
    from django.template import Context, Template

    from accounts.models import ShownOnce

    shown = ShownOnce("lab_secret-value")
    assert Template("<code>{{ key }}</code>").render(Context({"key": shown})) == (
        "<code>lab_secret-value</code>"
    )
    assert "secret-value" not in repr(shown)
    assert "secret-value" not in repr({"key": shown})
    assert shown == "lab_secret-value"


# --- rights ---------------------------------------------------------------------------------


def test_holds_right_answers_as_has_perm_in_one_statement(make_user):
    from django.contrib.auth.models import Group, Permission, User

    from accounts.rights import holds_right

    cancel = Permission.objects.get(content_type__app_label="orders", codename="cancel_order")
    direct = make_user(username="direct-right")
    direct.user_permissions.add(cancel)
    in_group = make_user(username="group-right")
    group = Group.objects.create(name="Cancellers")
    group.permissions.add(cancel)
    in_group.groups.add(group)
    nothing = make_user(username="no-right")
    root = make_user(username="root-user", is_superuser=True)
    gone = make_user(username="gone-user", is_superuser=True)
    gone.is_active = False
    gone.save()
    rights = ["orders.cancel_order", "orders.process_order", "printing.print_ticket", "x.nope"]

    for user in (direct, in_group, nothing, root, gone):
        for right in rights:
            fresh = User.objects.get(pk=user.pk)
            with CaptureQueriesContext(connection) as queries:
                held = holds_right(fresh, right)
            assert held == User.objects.get(pk=user.pk).has_perm(right), (user.username, right)
            assert len(queries) <= 1
    assert holds_right(User.objects.get(pk=direct.pk), "orders.cancel_order")
    assert holds_right(User.objects.get(pk=in_group.pk), "orders.cancel_order")
    assert not holds_right(User.objects.get(pk=nothing.pk), "orders.cancel_order")


def test_holds_right_defers_to_has_perm_when_other_backends_are_configured(make_user, settings):
    from django.contrib.auth.models import User

    from accounts.rights import holds_right

    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "django.contrib.auth.backends.AllowAllUsersModelBackend",
    ]
    user = make_user(username="many-backends")
    with CaptureQueriesContext(connection) as queries:
        assert holds_right(User.objects.get(pk=user.pk), "orders.cancel_order") is False
    assert len(queries) == 3  # the user, then has_perm's own two

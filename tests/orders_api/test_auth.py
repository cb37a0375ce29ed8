"""Logins of the Orders API: POST /api/auth, POST /api/auth/refresh, DELETE /api/auth.

A login issues an expiring API key (``tokenId``) with a refresh token that works once; failed
attempts count towards the lockout of every login form (django-axes, per user name and address):
past ``AXES_FAILURE_LIMIT``, that user name from that address is refused with 429.
"""

from datetime import UTC, timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

import pytest
from axes.models import AccessAttempt

from accounts.models import ApiKey, hash_api_key
from tests.conftest import Api

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 42"

PROCESS = "orders.process_order"
UPDATE = "orders.update_order_status"
DELETE = "orders.cancel_order"

ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The default hasher costs about a second per hash here; these tests log in ~150 times.
    What is under test is the login flow, not the hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(make_user):
    return make_user("Lab clients", username="alice", password=PASSWORD)


def log_in(
    username="alice", password=PASSWORD, *, status=200, device="ws-1", api=None, headers=None
):
    body = {"UserName": username, "Password": password}
    if device is not None:
        body["DeviceName"] = device
    return (api or Api()).post("/api/auth", body, status=status, headers=headers)


def refresh(refresh_token, *, status=200, headers=None):
    return Api().post(
        "/api/auth/refresh", {"refreshToken": refresh_token}, status=status, headers=headers
    )


def bearer(token: str) -> Api:
    return Api(token, scheme="Bearer")


def key_of(token: str) -> ApiKey:
    return ApiKey.objects.get(key_hash=hash_api_key(token))


def assert_401(body: dict) -> None:
    assert body["status"] == 401
    assert body["errorCode"] == 1


def iso_ms(value) -> str:
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


# --- login ----------------------------------------------------------------------------------------


def test_login_answers_a_token_a_refresh_token_and_the_user(alice, settings):
    started = timezone.now()

    body = log_in()

    assert set(body) == {"tokenId", "refreshToken", "expiresAt", "user"}
    assert body["user"] == {
        "userName": "alice",
        "rights": ["orderProcess", "orderUpdate", "orderDelete"],
    }
    assert body["tokenId"] != body["refreshToken"]
    key = key_of(body["tokenId"])
    assert (key.user, key.from_login, key.device_name) == (alice, True, "ws-1")
    assert key.refresh_hash == hash_api_key(body["refreshToken"])
    assert body["expiresAt"] == iso_ms(key.expires_at)
    token_life = timedelta(seconds=settings.LOGIN_TOKEN_SECONDS)
    refresh_life = timedelta(seconds=settings.LOGIN_REFRESH_SECONDS)
    assert started + token_life <= key.expires_at <= timezone.now() + token_life
    assert started + refresh_life <= key.refresh_expires_at <= timezone.now() + refresh_life


def test_login_stores_only_hashes_of_the_tokens(alice):
    body = log_in()

    stored = ApiKey.objects.filter(pk=key_of(body["tokenId"]).pk).values().get()
    for value in stored.values():
        assert body["tokenId"] != value
        assert body["refreshToken"] != value


def test_login_without_a_device_name(alice):
    body = log_in(device=None)

    key = key_of(body["tokenId"])
    assert key.device_name == ""
    assert key.name == "login: unnamed device"


@pytest.mark.parametrize(
    ("groups", "rights", "expected"),
    [
        pytest.param((), (), [], id="none"),
        pytest.param((), (PROCESS,), ["orderProcess"], id="process"),
        pytest.param((), (UPDATE,), ["orderUpdate"], id="update"),
        pytest.param((), (DELETE,), ["orderDelete"], id="delete"),
        pytest.param((), (PROCESS, DELETE), ["orderProcess", "orderDelete"], id="two"),
        pytest.param(
            ("Lab clients",), (), ["orderProcess", "orderUpdate", "orderDelete"], id="lab-client"
        ),
        pytest.param(
            ("Supervisors",), (), ["orderProcess", "orderUpdate", "orderDelete"], id="supervisor"
        ),
    ],
)
def test_login_lists_exactly_the_rights_the_user_holds(make_user, groups, rights, expected):
    make_user(*groups, rights=rights, username="bob", password=PASSWORD)

    body = log_in("bob")

    assert sorted(body["user"]["rights"]) == sorted(expected)
    assert len(body["user"]["rights"]) == len(set(body["user"]["rights"]))


def test_login_of_a_superuser_lists_every_right(make_user):
    make_user(username="root", password=PASSWORD, is_superuser=True)

    body = log_in("root")

    assert sorted(body["user"]["rights"]) == ["orderDelete", "orderProcess", "orderUpdate"]


def test_the_token_works_as_bearer_and_as_token(alice, make_order):
    order = make_order()
    body = log_in()

    listing = bearer(body["tokenId"]).get("/orders", status=200)
    Api(body["tokenId"], scheme="Token").get(f"/orders/{order.public_id}", status=200)

    assert [item["id"] for item in listing["items"]] == [str(order.public_id)]


def test_the_token_carries_the_users_rights_and_no_more(make_user, make_order):
    make_user(rights=(UPDATE,), username="bob", password=PASSWORD)
    order = make_order()
    api = bearer(log_in("bob")["tokenId"])

    problem = api.post("/orders", {"ids": [str(order.public_id)]}, status=403)

    assert problem["errorCode"] == 2
    assert problem["detail"] == "Requires right orderProcess"


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Bearer lab_not-a-key", id="unknown-key"),
        pytest.param("Basic YWxpY2U6eA==", id="basic"),
        pytest.param("garbage", id="garbage"),
    ],
)
def test_an_authorization_header_on_the_login_is_ignored(alice, header):
    body = log_in(headers={"HTTP_AUTHORIZATION": header})

    assert body["user"]["userName"] == "alice"


def test_a_valid_key_of_another_user_on_the_login_is_ignored(alice, make_user, api_for):
    other = api_for(make_user(username="mallory"), scheme="Bearer")

    body = log_in(api=other)

    assert body["user"]["userName"] == "alice"
    assert key_of(body["tokenId"]).user == alice


# --- refused logins -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password", "recorded_as"),
    [
        pytest.param("alice", "wrong password", "alice", id="wrong-password"),
        pytest.param("Alice", PASSWORD, "alice", id="user-name-in-another-case"),
        pytest.param("nobody", PASSWORD, "nobody", id="unknown-user"),
    ],
)
def test_refused_login_is_401_and_recorded(alice, username, password, recorded_as):
    keys = ApiKey.objects.count()

    body = log_in(username, password, status=401)

    assert_401(body)
    assert body["detail"] == "Wrong user name or password"
    assert list(
        AccessAttempt.objects.values_list("username", "ip_address", "failures_since_start")
    ) == [(recorded_as, "127.0.0.1", 1)]
    assert ApiKey.objects.count() == keys


def test_login_of_an_inactive_user_is_401_and_recorded(make_user):
    make_user(username="gone", password=PASSWORD, is_active=False)

    body = log_in("gone", status=401)

    assert_401(body)
    assert AccessAttempt.objects.get(username="gone").failures_since_start == 1
    assert not ApiKey.objects.exists()


def test_the_same_answer_for_unknown_user_and_wrong_password(alice):
    unknown = log_in("nobody", status=401)
    wrong = log_in("alice", "nope", status=401)

    assert unknown["detail"] == wrong["detail"]


# --- lockout (django-axes) -----------------------------------------------------------------------

ELSEWHERE = {"REMOTE_ADDR": "192.0.2.77"}


def failures(settings, username="alice", *, headers=None, count=None):
    for _ in range(settings.AXES_FAILURE_LIMIT if count is None else count):
        log_in(username, "wrong", status=401, headers=headers)


def test_failures_below_the_limit_still_let_the_user_in(alice, settings):
    failures(settings, count=settings.AXES_FAILURE_LIMIT - 1)

    log_in()


def test_a_login_clears_the_failures_before_it(alice, settings):
    failures(settings, count=settings.AXES_FAILURE_LIMIT - 1)
    log_in()

    failures(settings, count=settings.AXES_FAILURE_LIMIT - 1)
    log_in()


def test_after_the_limit_even_the_right_password_is_429(alice, settings):
    failures(settings)
    api = Api()

    body = log_in(api=api, status=429)

    assert body["status"] == 429
    assert api.last_response["Content-Type"] == "application/problem+json"
    retry_after = int(api.last_response["Retry-After"])
    cool_off = settings.AXES_COOLOFF_TIME.total_seconds()
    assert cool_off - 5 <= retry_after <= cool_off
    assert str(retry_after) in body["detail"]
    attempt = AccessAttempt.objects.get()
    assert attempt.failures_since_start == settings.AXES_FAILURE_LIMIT  # not counted
    assert not ApiKey.objects.filter(user=alice).exists()


def test_a_locked_user_name_still_logs_in_from_another_address(alice, settings):
    failures(settings)
    log_in(status=429)

    body = log_in(headers=ELSEWHERE)

    assert body["user"]["userName"] == "alice"


def test_the_limit_counts_the_user_name_in_any_case(alice, settings):
    for index in range(settings.AXES_FAILURE_LIMIT):
        log_in("ALICE" if index % 2 else "alice", "wrong", status=401)

    log_in(status=429)


def test_the_limit_of_one_user_does_not_lock_another(alice, make_user, settings):
    make_user(username="bob", password=PASSWORD)
    failures(settings)

    log_in("bob")


def test_a_lower_limit_from_settings_applies(alice, settings):
    settings.AXES_FAILURE_LIMIT = 2
    failures(settings)

    log_in(status=429)


def test_retry_after_says_when_the_cool_off_ends(alice, settings):
    failures(settings)
    cool_off = settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off + timedelta(seconds=100))
    api = Api()

    log_in(api=api, status=429)

    assert 99 <= int(api.last_response["Retry-After"]) <= 101


def test_when_the_cool_off_has_passed_the_user_gets_in_again(alice, settings):
    failures(settings)
    log_in(status=429)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )

    body = log_in()

    assert body["user"]["userName"] == "alice"


def test_a_lockout_in_the_admin_locks_the_api_too(alice, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/admin/login/", {"username": "alice", "password": "wrong"})

    log_in(status=429)


def test_refused_login_of_a_name_that_grows_when_lowercased_is_401():
    body = log_in("\u0130" * 150, "wrong", status=401)

    assert_401(body)


# --- token expiry ---------------------------------------------------------------------------------


def test_the_token_expires_after_login_token_seconds(alice, settings):
    settings.LOGIN_TOKEN_SECONDS = 0

    body = log_in()

    assert_401(bearer(body["tokenId"]).get("/orders", status=401))


def test_the_token_stops_working_when_it_expires(alice, monkeypatch):
    body = log_in()
    api = bearer(body["tokenId"])
    api.get("/orders", status=200)  # the web process now keeps the verified token

    expires_at = key_of(body["tokenId"]).expires_at
    monkeypatch.setattr(timezone, "now", lambda: expires_at + timedelta(seconds=1))

    assert_401(api.get("/orders", status=401))


def test_the_token_stops_working_when_the_user_is_deactivated(alice):
    body = log_in()
    alice.is_active = False
    alice.save()

    assert_401(bearer(body["tokenId"]).get("/orders", status=401))


# --- refresh --------------------------------------------------------------------------------------


def test_refresh_gives_a_new_pair_and_the_old_token_stops_working(alice, settings):
    first = log_in()
    started = timezone.now()

    second = refresh(first["refreshToken"])

    assert set(second) == {"tokenId", "refreshToken", "expiresAt", "user"}
    assert second["user"] == first["user"]
    assert second["tokenId"] != first["tokenId"]
    assert second["refreshToken"] != first["refreshToken"]
    assert_401(bearer(first["tokenId"]).get("/orders", status=401))
    bearer(second["tokenId"]).get("/orders", status=200)
    key = key_of(second["tokenId"])
    assert (key.user, key.from_login, key.device_name) == (alice, True, "ws-1")
    assert second["expiresAt"] == iso_ms(key.expires_at)
    assert key.expires_at >= started + timedelta(seconds=settings.LOGIN_TOKEN_SECONDS)


def test_a_refresh_token_works_only_once(alice):
    first = log_in()
    second = refresh(first["refreshToken"])

    assert_401(refresh(first["refreshToken"], status=401))

    bearer(second["tokenId"]).get("/orders", status=200)  # the second pair is unharmed
    third = refresh(second["refreshToken"])
    bearer(third["tokenId"]).get("/orders", status=200)


def test_refresh_works_after_the_token_itself_expired(alice):
    first = log_in()
    ApiKey.objects.filter(pk=key_of(first["tokenId"]).pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    second = refresh(first["refreshToken"])

    bearer(second["tokenId"]).get("/orders", status=200)


def test_an_expired_refresh_token_is_401(alice):
    first = log_in()
    ApiKey.objects.filter(pk=key_of(first["tokenId"]).pk).update(
        refresh_expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert_401(refresh(first["refreshToken"], status=401))


def test_refresh_seconds_from_settings_apply(alice, settings):
    settings.LOGIN_REFRESH_SECONDS = 0
    first = log_in()

    assert_401(refresh(first["refreshToken"], status=401))


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("ref_unknown", id="unknown"),
        pytest.param("", id="blank"),
    ],
)
def test_an_unknown_refresh_token_is_rejected(alice, token):
    log_in()

    body = Api().post(
        "/api/auth/refresh", {"refreshToken": token}, status=400 if not token else 401
    )

    assert body["errorCode"] == (3 if not token else 1)


def test_the_token_is_not_a_refresh_token(alice):
    first = log_in()

    assert_401(refresh(first["tokenId"], status=401))


def test_refresh_of_a_deactivated_user_is_401(alice):
    first = log_in()
    alice.is_active = False
    alice.save()

    assert_401(refresh(first["refreshToken"], status=401))


def test_an_authorization_header_on_the_refresh_is_ignored(alice):
    first = log_in()

    refresh(first["refreshToken"], headers={"HTTP_AUTHORIZATION": "Bearer lab_junk"})


# --- logout ---------------------------------------------------------------------------------------


def test_logout_revokes_the_token_and_its_refresh_token(alice):
    body = log_in()
    api = bearer(body["tokenId"])

    assert api.delete("/api/auth", status=204) is None

    assert_401(api.get("/orders", status=401))
    assert_401(refresh(body["refreshToken"], status=401))
    assert key_of(body["tokenId"]).revoked_at is not None


def test_logout_leaves_other_logins_of_the_same_user_working(alice):
    first = log_in()
    second = log_in(device="ws-2")

    bearer(first["tokenId"]).delete("/api/auth", status=204)

    bearer(second["tokenId"]).get("/orders", status=200)


def test_logout_with_an_admin_issued_key_is_400_and_the_key_keeps_working(make_user, api_for):
    api = api_for(make_user("Lab clients"), scheme="Bearer")

    body = api.delete("/api/auth", status=400)

    assert body["errorCode"] == 3
    assert [entry["memberName"] for entry in body["errors"]] == ["Authorization"]
    assert "admin" in body["detail"]
    api.get("/orders", status=200)
    assert not ApiKey.objects.filter(revoked_at__isnull=False).exists()


def test_logout_without_a_token_is_401(anonymous_api):
    assert_401(anonymous_api.delete("/api/auth", status=401))


def test_logout_with_an_expired_token_is_401(alice):
    body = log_in()
    ApiKey.objects.filter(pk=key_of(body["tokenId"]).pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )

    assert_401(bearer(body["tokenId"]).delete("/api/auth", status=401))


def test_logout_twice_is_401_the_second_time(alice):
    api = bearer(log_in()["tokenId"])
    api.delete("/api/auth", status=204)

    assert_401(api.delete("/api/auth", status=401))


# --- bad bodies -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "members"),
    [
        pytest.param({"Password": PASSWORD}, ["UserName"], id="user-name-missing"),
        pytest.param({"UserName": "alice"}, ["Password"], id="password-missing"),
        pytest.param({}, ["Password", "UserName"], id="empty-object"),
        pytest.param(
            {"UserName": "alice", "Password": PASSWORD, "Remember": True},
            ["Remember"],
            id="unknown-key",
        ),
        pytest.param(
            {"username": "alice", "password": PASSWORD},
            ["Password", "UserName", "password", "username"],
            id="wrong-case-keys",
        ),
        pytest.param({"UserName": ["alice"], "Password": PASSWORD}, ["UserName"], id="list"),
        pytest.param({"UserName": {"a": 1}, "Password": PASSWORD}, ["UserName"], id="object"),
        pytest.param({"UserName": True, "Password": PASSWORD}, ["UserName"], id="boolean"),
        pytest.param({"UserName": None, "Password": PASSWORD}, ["UserName"], id="null"),
        pytest.param({"UserName": "", "Password": PASSWORD}, ["UserName"], id="blank-user"),
        pytest.param({"UserName": "a\x00b", "Password": PASSWORD}, ["UserName"], id="nul"),
        pytest.param({"UserName": "alice", "Password": ""}, ["Password"], id="blank-password"),
        pytest.param({"UserName": "alice", "Password": False}, ["Password"], id="bool-password"),
        pytest.param(
            {"UserName": "alice", "Password": PASSWORD, "DeviceName": ["ws"]},
            ["DeviceName"],
            id="device-a-list",
        ),
        pytest.param(
            {"UserName": "alice", "Password": PASSWORD, "DeviceName": "d" * 101},
            ["DeviceName"],
            id="device-too-long",
        ),
        pytest.param({"UserName": "a" * 151, "Password": PASSWORD}, ["UserName"], id="long-name"),
        pytest.param(["alice", PASSWORD], ["body"], id="body-a-list"),
    ],
)
def test_login_with_a_bad_body_is_400(alice, body, members):
    problem = Api().post("/api/auth", body, status=400)

    assert problem["errorCode"] == 3
    assert sorted(entry["memberName"] for entry in problem["errors"]) == members
    assert not AccessAttempt.objects.exists()
    assert not ApiKey.objects.exists()


def test_login_with_the_longest_device_name(alice):
    device = "d" * 100

    body = log_in(device=device)

    assert key_of(body["tokenId"]).device_name == device


def test_login_with_a_body_that_is_not_json_is_400(alice):
    problem = Api().post("/api/auth", raw='{"UserName": "alice",', status=400)

    assert problem["errorCode"] == 3
    assert [entry["code"] for entry in problem["errors"]] == ["parse_error"]


def test_login_as_a_form_is_415(alice):
    api = Api()

    api.post(
        "/api/auth",
        raw=f"UserName=alice&Password={PASSWORD}",
        content_type="application/x-www-form-urlencoded",
        status=415,
    )

    assert not ApiKey.objects.exists()


@pytest.mark.parametrize(
    ("body", "member"),
    [
        pytest.param({}, "refreshToken", id="missing"),
        pytest.param({"refreshToken": None}, "refreshToken", id="null"),
        pytest.param({"refreshToken": ["ref_x"]}, "refreshToken", id="list"),
        pytest.param({"refreshToken": True}, "refreshToken", id="boolean"),
        pytest.param({"refreshToken": "r" * 201}, "refreshToken", id="too-long"),
        pytest.param({"refreshToken": "ref_x", "tokenId": "lab_x"}, "tokenId", id="unknown-key"),
    ],
)
def test_refresh_with_a_bad_body_is_400(body, member):
    problem = Api().post("/api/auth/refresh", body, status=400)

    assert problem["errorCode"] == 3
    assert [entry["memberName"] for entry in problem["errors"]] == [member]


@pytest.mark.parametrize(
    ("body", "member"),
    [
        pytest.param({"UserName": 12345, "Password": PASSWORD}, "UserName", id="user-name"),
        pytest.param({"UserName": "pin", "Password": 12345678}, "Password", id="password"),
        pytest.param(
            {"UserName": "alice", "Password": PASSWORD, "DeviceName": 7}, "DeviceName", id="device"
        ),
    ],
)
def test_login_with_a_number_for_a_string_is_400(alice, make_user, body, member):
    make_user(username="pin", password="12345678")

    problem = Api().post("/api/auth", body, status=400)

    assert [entry["memberName"] for entry in problem["errors"]] == [member]
    assert not AccessAttempt.objects.exists()


def test_refresh_with_a_number_for_the_token_is_400():
    problem = Api().post("/api/auth/refresh", {"refreshToken": 12345}, status=400)

    assert [entry["memberName"] for entry in problem["errors"]] == ["refreshToken"]

"""Concurrent wrong logins on PostgreSQL: no more passwords are tried than the lockout allows.

Real HTTP requests (one ``Client`` and one database connection per thread) released together.
Skipped on SQLite, whose IMMEDIATE transactions serialize writers anyway.
"""

import json

from django.test import Client

import pytest
from axes.models import AccessAttempt

from tests.concurrency import Answer, assert_no_server_errors, run_together

# serialized_rollback: the flush that ends a transactional test would otherwise also remove
# the rights groups that a data migration created, for every test that runs after these.
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

RACERS = 16
PASSWORD = "correct horse 42"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api_login(password: str, user_agent: str) -> Answer:
    response = Client(raise_request_exception=False).post(
        "/api/auth",
        json.dumps({"UserName": "alice", "Password": password}),
        content_type="application/json",
        REMOTE_ADDR="198.51.100.7",
        HTTP_USER_AGENT=user_agent,
    )
    return Answer(response.status_code, response.json())


def admin_login(password: str, user_agent: str) -> Answer:
    response = Client(raise_request_exception=False).post(
        "/admin/login/",
        {"username": "alice", "password": password},
        REMOTE_ADDR="198.51.100.7",
        HTTP_USER_AGENT=user_agent,
    )
    return Answer(response.status_code, None)


@pytest.mark.parametrize(
    "user_agents",
    [pytest.param(["same"] * RACERS, id="one-client"), pytest.param(None, id="agent-per-guess")],
)
def test_concurrent_wrong_logins_never_try_more_passwords_than_the_limit(
    make_user, settings, user_agents
):
    make_user(username="alice", password=PASSWORD, is_staff=True)
    agents = user_agents or [f"agent {index}" for index in range(RACERS)]

    answers = run_together([lambda agent=agent: api_login("wrong", agent) for agent in agents])

    assert_no_server_errors(answers)
    statuses = sorted(answer.status for answer in answers)
    assert statuses.count(401) == settings.AXES_FAILURE_LIMIT, statuses
    assert statuses.count(429) == RACERS - settings.AXES_FAILURE_LIMIT, statuses
    counted = sum(AccessAttempt.objects.values_list("failures_since_start", flat=True))
    assert counted == settings.AXES_FAILURE_LIMIT


def test_concurrent_admin_and_api_guesses_share_one_limit(make_user, settings):
    make_user(username="alice", password=PASSWORD, is_staff=True)
    calls = [
        (lambda i=i: (admin_login if i % 2 else api_login)("wrong", f"agent {i}"))
        for i in range(RACERS)
    ]

    answers = run_together(calls)

    assert_no_server_errors(answers)
    tried = [answer for answer in answers if answer.status in (200, 401)]  # 200: the form again
    assert len(tried) == settings.AXES_FAILURE_LIMIT, [answer.status for answer in answers]
    assert api_login(PASSWORD, "agent 0").status == 429

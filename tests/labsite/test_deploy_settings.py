"""Deployment settings come from the environment (README, "Production"): production values
pass `check --deploy`, a missing secret key or a garbled flag stops labsite before it starts,
and the embedded SQLite database runs in WAL mode with a busy timeout."""

import json
import os
import secrets
import subprocess
import sys

from django.conf import settings

import pytest

# Environment variables the settings read: each test sets the ones it means to.
DEPLOYMENT_VARIABLES = {
    "DJANGO_SETTINGS_MODULE",  # pytest-django's tests.settings would turn DEBUG on
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "LABSITE_DATA_DIR",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "TRUST_X_FORWARDED_PROTO",
}


def run_labsite(*args: str, env: dict[str, str], timeout: float = 60):
    """Runs `python <args>` in the project root with the real settings and ``env``."""
    base = {k: v for k, v in os.environ.items() if k not in DEPLOYMENT_VARIABLES}
    return subprocess.run(  # noqa: S603
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def production_env(tmp_path) -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "lab.example.com",
        "LABSITE_DATA_DIR": str(tmp_path),
    }


def test_production_values_pass_the_deploy_check_with_no_issues(tmp_path):
    env = production_env(tmp_path)
    assert len(env["SECRET_KEY"]) >= 50

    result = run_labsite("manage.py", "check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_debug_labsite_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["SECRET_KEY"]

    result = run_labsite("manage.py", "check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY is not set" in result.stderr


def test_an_empty_secret_key_counts_as_missing(tmp_path):
    env = production_env(tmp_path) | {"SECRET_KEY": ""}

    result = run_labsite("manage.py", "check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_debug_value_that_is_not_a_boolean_is_refused_with_a_clear_error(tmp_path):
    env = production_env(tmp_path) | {"DEBUG": "garbage"}

    result = run_labsite("manage.py", "check", env=env)

    assert result.returncode != 0
    assert "DEBUG must be a boolean (1/0, true/false), got 'garbage'" in result.stderr


SHOW_SQLITE_PRAGMAS = """
import json
import django
from django.db import connection
django.setup()
with connection.cursor() as cursor:
    journal_mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
    busy_timeout_ms = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
print(json.dumps({
    "vendor": connection.vendor,
    "name": str(connection.settings_dict["NAME"]),
    "journal_mode": journal_mode,
    "busy_timeout_ms": busy_timeout_ms,
}))
"""


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="about the embedded SQLite default"
)
def test_the_default_database_is_sqlite_in_the_data_dir_with_wal_and_a_busy_timeout(tmp_path):
    env = {
        "DEBUG": "1",
        "LABSITE_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "labsite.settings",
    }

    result = run_labsite("-c", SHOW_SQLITE_PRAGMAS, env=env)

    assert result.returncode == 0, result.stderr
    database = json.loads(result.stdout.strip().splitlines()[-1])
    assert database["vendor"] == "sqlite"
    assert database["name"] == str(tmp_path / "labsite.sqlite3")
    assert database["journal_mode"] == "wal"
    assert database["busy_timeout_ms"] >= 5_000

"""`manage.py check --deploy` finds nothing to warn about under production settings, the way
labsite/settings.py reads them from the environment."""

import os
import re
import secrets
import subprocess
import sys

from django.conf import settings

# Every variable labsite/settings.py reads; the subprocess gets only the ones set below, so a
# developer's shell (DEBUG=1, a test DATABASE_URL...) cannot make the check pass by accident.
SETTINGS_VARIABLES = {
    "DJANGO_SETTINGS_MODULE",
    "DEBUG",
    "LABSITE_DATA_DIR",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DB_POOL_SIZE",
    "DB_POOL_TIMEOUT_SECONDS",
    "DB_PREPARE_STATEMENTS",
    "TIME_ZONE",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "TRUST_X_FORWARDED_PROTO",
    "LOGIN_TOKEN_SECONDS",
    "LOGIN_REFRESH_SECONDS",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_LOCKOUT_SECONDS",
    "TRUSTED_PROXY_COUNT",
    "LOG_LEVEL",
    "PRINT_MAX_ATTEMPTS",
    "PRINT_RETRY_BASE_SECONDS",
    "PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS",
    "WEBHOOK_HEARTBEAT_WINDOW_SECONDS",
    "SECRET_KEY_FALLBACKS",
}


def test_this_list_names_every_variable_the_settings_read():
    source = (settings.BASE_DIR / "labsite" / "settings.py").read_text()
    read = set(re.findall(r"""(?:environ\.get|env_bool|env_list)\(\s*["']([A-Z_]+)["']""", source))
    assert read, "found no environment reads in labsite/settings.py"
    assert read <= SETTINGS_VARIABLES, read - SETTINGS_VARIABLES


def production_environment(tmp_path) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    return inherited | {
        "DJANGO_SETTINGS_MODULE": "labsite.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "lab.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://lab.example.com",
        "TRUST_X_FORWARDED_PROTO": "1",  # behind a TLS-terminating proxy, as documented
        "LABSITE_DATA_DIR": str(tmp_path),
    }


def test_check_deploy_is_clean_under_production_settings(tmp_path):
    env = production_environment(tmp_path)
    assert len(env["SECRET_KEY"]) >= 50

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout, result.stdout

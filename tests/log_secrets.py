"""The whole test run, searched for its own secrets: every log line any test writes, at the
end of the run, for every key, token and password the run made.

The secrets are remembered where they are made: ``secrets.token_urlsafe`` and
``secrets.token_bytes`` (API keys, login and refresh tokens, partner billing keys are built
from them, as are the tests' own random keys) and Django's ``make_password`` (every password a
test gives a user). Every log record that reaches the root logger or ``django.request`` is kept
as its handlers would write it, traceback included. When the run ends, a secret found in a log
line fails the run (exit status 1) and names the line.

``tests/security/test_secrets.py`` checks each kind of secret closely, at DEBUG and in the
database; this plugin holds every other test to the same rule.
"""

import base64
import logging
import re
import secrets
from collections.abc import Iterable

import pytest

MADE: set[str] = set()  # keys and tokens, in the forms a client would send them
PASSWORDS: set[str] = set()
LINES: list[str] = []

# A password shorter than this, or of digits only, could be anything in a log line (an order
# number, a port): only longer ones are looked for.
SHORTEST_PASSWORD = 8
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_\-+/=]+")


class _KeepLines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            LINES.append(self.format(record))
        except Exception:  # as logging's own handlers do
            self.handleError(record)


def leaks(lines: Iterable[str], made: set[str], passwords: set[str]) -> list[str]:
    """The lines holding a secret of ``made`` (anywhere in a run of token characters) or one of
    ``passwords`` worth looking for, each with what it holds."""
    lengths = sorted({len(secret) for secret in made})
    wanted = [
        password
        for password in passwords
        if len(password) >= SHORTEST_PASSWORD and not password.isdigit()
    ]
    found = []
    for line in lines:
        held = [password for password in wanted if password in line]
        for run in _TOKEN_TEXT.findall(line):
            for length in lengths:
                if length > len(run):
                    break
                held += [
                    run[start : start + length]
                    for start in range(len(run) - length + 1)
                    if run[start : start + length] in made
                ]
        if held:
            found.append(f"{line[:300]!r} holds {sorted(set(held))}")
    return found


def _remembering_token_urlsafe(make):
    def token_urlsafe(nbytes=None):
        token = make(nbytes)
        MADE.add(token)
        return token

    return token_urlsafe


def _remembering_token_bytes(make):
    def token_bytes(nbytes=None):
        raw = make(nbytes)
        MADE.update(
            {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(), raw.hex()}
        )
        return raw

    return token_bytes


def _remembering_make_password(make):
    def make_password(password, *args, **kwargs):
        if isinstance(password, str):
            PASSWORDS.add(password)
        return make(password, *args, **kwargs)

    return make_password


@pytest.fixture(autouse=True, scope="session")
def _remember_secrets_and_log_lines():
    # Set up once Django is: its logging configuration replaces the root's handlers, and its
    # user model is loaded.
    from django.contrib.auth import base_user

    made = secrets.token_urlsafe, secrets.token_bytes, base_user.make_password
    secrets.token_urlsafe = _remembering_token_urlsafe(made[0])
    secrets.token_bytes = _remembering_token_bytes(made[1])
    base_user.make_password = _remembering_make_password(made[2])
    handler = _KeepLines()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    yield
    for logger in loggers:
        logger.removeHandler(handler)
    secrets.token_urlsafe, secrets.token_bytes, base_user.make_password = made


def pytest_sessionfinish(session, exitstatus):
    found = leaks(LINES, MADE, PASSWORDS)
    if not found:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_sep("=", "secrets in the logs of this run", red=True)
        for leak in found[:20]:
            reporter.write_line(leak)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED

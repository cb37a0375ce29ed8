"""The whole test run, searched for its own secrets: every log line any test writes, in the
test process and in the processes the tests start, at the end of the run, for every key, token
and password the run made, wherever it made them.

What is searched:

- every log record that reaches the root logger or ``django.request`` in the test process,
  kept as its handlers would write it, traceback included;
- every ``*.log`` file under the run's temporary folder (pytest's ``basetemp``, where
  ``tmp_path`` lives): the output of the real servers and workers the tests start. gunicorn's
  access and error log (``tests.served``) and the standard error of ``manage.py`` scripts are
  written to ``logs_folder()`` there; runlab's, the trackers', the spoolers' and the webhook
  workers' output goes to ``*.log`` files in their tests' ``tmp_path``. A test that keeps a
  subprocess's output in a file names it ``*.log`` under ``tmp_path`` and it is searched.
  (pytest keeps every ``tmp_path`` until the run ends under its default retention policy,
  ``all``, which this project uses; the search runs before pytest's own end-of-run clean-up.)
  Output a test keeps only in memory (``capture_output``) and logs outside the run's folder
  (cupsd's) are not searched.

What is searched for, remembered where it is made: ``secrets.token_urlsafe`` and
``secrets.token_bytes`` (API keys, login and refresh tokens, partner billing keys, workstation
tokens, webhook secrets, the servers' ``SECRET_KEY`` and the demo data's passwords are built
from them) and Django's ``make_password`` (every password given to a user, by
``set_password`` or ``create_user``). In the test process they are patched while the run lasts.
Subprocesses (set-up scripts issuing API keys, gunicorn workers issuing login tokens,
``seed_demo``) are separate interpreters, so the run makes them remember too: it writes a
``sitecustomize.py`` into its temporary folder and puts that folder first on ``PYTHONPATH``,
and names a file in ``LABSITE_TEST_SECRETS_FILE``. Every Python process started with the run's
environment (``tests.served`` and the worker tests pass ``os.environ`` on) imports it at start-up
and loads this module, which patches the same functions there (``make_password`` once Django is
set up) to append what they make to that file, one JSON line each. The run reads the file at
the end. No project code knows of this.

When the run ends, a secret found fails the run (exit status 1) and names the file and line;
a line reports what was searched either way. ``tests/security/test_secrets.py`` checks each
kind of secret closely, at DEBUG and in the database; this search holds every other test to the
same rule. The pytest glue (a session fixture, the end-of-run hook) is in ``tests/conftest.py``;
this module imports nothing but the standard library (and Django, lazily), so that every
subprocess can load it cheaply.
"""

import base64
import contextlib
import json
import logging
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

MADE: set[str] = set()  # keys and tokens, in the forms a client would send them
PASSWORDS: set[str] = set()
LINES: list[str] = []
RUN_FOLDER: Path | None = None  # pytest's basetemp while the run lasts

SECRETS_FILE_VARIABLE = "LABSITE_TEST_SECRETS_FILE"
SECRETS_FILE_NAME = "secrets-made-by-subprocesses.jsonl"
LOGS_FOLDER_NAME = "subprocess-logs"
SITE_FOLDER_NAME = "subprocess-site"

# A password shorter than this, or of digits only, could be anything in a log line (an order
# number, a port): only longer ones are looked for.
SHORTEST_PASSWORD = 8
# Likewise a made value shorter than this (a database name's ``token_hex(3)``) would turn up by
# chance in a long access log. The shortest credential the project makes is 16 characters
# (``seed_demo``'s passwords, ``token_urlsafe(12)``).
SHORTEST_SECRET = 16
_TOKEN_TEXT = re.compile(r"[A-Za-z0-9_\-+/=]+")

# Where a subprocess appends what it makes (None in the test process, which keeps it in MADE
# and PASSWORDS).
_SECRETS_FILE: Path | None = None

SITECUSTOMIZE = '''"""Written by tests/log_secrets.py: the test run's subprocesses remember the
secrets they make, for the run's search of its logs."""

import importlib.util
import os
import sys

if os.environ.get({variable!r}):
    _spec = importlib.util.spec_from_file_location("labsite_test_log_secrets", {module!r})
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_spec.name] = _module
    _spec.loader.exec_module(_module)
    _module.remember_in_subprocess(os.environ[{variable!r}])

# This file hides any other sitecustomize further along the path (the interpreter's own, a
# coverage hook): the first one found there still runs, as it would without this one.
_here = os.path.dirname(os.path.abspath(__file__))
for _folder in sys.path:
    _other = os.path.join(_folder or os.curdir, "sitecustomize.py")
    if os.path.abspath(_folder or os.curdir) != _here and os.path.isfile(_other):
        _spec = importlib.util.spec_from_file_location("_sitecustomize_after_the_runs", _other)
        _spec.loader.exec_module(importlib.util.module_from_spec(_spec))
        break
'''


class _KeepLines(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            LINES.append(self.format(record))
        except Exception:  # as logging's own handlers do
            self.handleError(record)


def leaks(
    lines: Iterable[str], made: set[str], passwords: set[str], *, source: str = "line"
) -> list[str]:
    """The lines holding a secret of ``made`` (anywhere in a run of token characters) or one of
    ``passwords`` worth looking for, each named ``source:number`` with what it holds."""
    wanted_made = {secret for secret in made if len(secret) >= SHORTEST_SECRET}
    lengths = sorted({len(secret) for secret in wanted_made})
    wanted = [
        password
        for password in passwords
        if len(password) >= SHORTEST_PASSWORD and not password.isdigit()
    ]
    found = []
    for number, line in enumerate(lines, 1):
        held = [password for password in wanted if password in line]
        for run in _TOKEN_TEXT.findall(line):
            for length in lengths:
                if length > len(run):
                    break
                held += [
                    run[start : start + length]
                    for start in range(len(run) - length + 1)
                    if run[start : start + length] in wanted_made
                ]
        if held:
            found.append(f"{source}:{number}: {line[:300]!r} holds {sorted(set(held))}")
    return found


def log_files(folder: Path) -> list[Path]:
    """The log files the run's subprocesses wrote under ``folder``."""
    return sorted(path for path in folder.rglob("*.log") if path.is_file())


def leaks_in_files(paths: Iterable[Path], made: set[str], passwords: set[str]) -> list[str]:
    """``leaks`` of each file, named by its path and line number."""
    candidates = [secret for secret in made if len(secret) >= SHORTEST_SECRET]
    candidates += [password for password in passwords if len(password) >= SHORTEST_PASSWORD]
    found = []
    for path in paths:
        text = path.read_text(errors="replace")
        # Most files hold none: one pass of str.find per secret is much quicker than the
        # line-by-line search, which then says where.
        if any(secret in text for secret in candidates):
            found += leaks(text.splitlines(), made, passwords, source=str(path))
    return found


def secrets_of_subprocesses(secrets_file: Path) -> tuple[set[str], set[str]]:
    """The keys and tokens, and the passwords, that subprocesses appended to
    ``secrets_file``."""
    made: set[str] = set()
    passwords: set[str] = set()
    if not secrets_file.exists():
        return made, passwords
    for line in secrets_file.read_text(errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue  # a process killed in the middle of its line
        made.update(entry.get("made", []))
        passwords.update(entry.get("passwords", []))
    return made, passwords


def logs_folder() -> Path | None:
    """Where the run's own subprocesses (servers, scripts) write their logs, to be searched;
    None outside a test run."""
    if RUN_FOLDER is None:
        return None
    folder = RUN_FOLDER / LOGS_FOLDER_NAME
    folder.mkdir(exist_ok=True)
    return folder


# --- remembering what is made -------------------------------------------------------------


def _remember(*, made: Iterable[str] = (), passwords: Iterable[str] = ()) -> None:
    made, passwords = list(made), list(passwords)
    if _SECRETS_FILE is None:
        MADE.update(made)
        PASSWORDS.update(passwords)
        return
    line = json.dumps({"made": made, "passwords": passwords}) + "\n"
    # One write of one line to a file opened for appending: lines of processes writing at
    # once do not interleave.
    descriptor = os.open(_SECRETS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, line.encode())
    finally:
        os.close(descriptor)


def _remembering_token_urlsafe(make):
    def token_urlsafe(nbytes=None):
        token = make(nbytes)
        _remember(made=[token])
        return token

    return token_urlsafe


def _remembering_token_bytes(make):
    def token_bytes(nbytes=None):
        raw = make(nbytes)
        _remember(
            made=[
                base64.b64encode(raw).decode(),
                base64.urlsafe_b64encode(raw).decode(),
                raw.hex(),
            ]
        )
        return raw

    return token_bytes


def _remembering_make_password(make):
    def make_password(password, *args, **kwargs):
        if isinstance(password, str):
            _remember(passwords=[password])
        return make(password, *args, **kwargs)

    return make_password


def _patch_secrets() -> tuple:
    made = secrets.token_urlsafe, secrets.token_bytes
    secrets.token_urlsafe = _remembering_token_urlsafe(made[0])
    secrets.token_bytes = _remembering_token_bytes(made[1])
    return made


def _remembering_set_password(set_password):
    def remembering(user, raw_password):
        # Django's ModelBackend also hashes a login's password on an empty, nameless user when
        # no user has the name given (a refusal then takes as long as a wrong password): that
        # is an attempt, not a password any user has, and a log may well name it.
        if isinstance(raw_password, str) and user.get_username():
            _remember(passwords=[raw_password])
        return set_password(user, raw_password)

    return remembering


def _patch_make_password() -> tuple:
    """Where users' passwords are hashed: ``set_password`` (of a user with a name) and
    ``create_user`` (``auth.models``' own import of ``make_password``). Needs Django set up."""
    from django.contrib.auth import models as auth_models
    from django.contrib.auth.base_user import AbstractBaseUser

    made = AbstractBaseUser.set_password, auth_models.make_password
    AbstractBaseUser.set_password = _remembering_set_password(made[0])
    auth_models.make_password = _remembering_make_password(made[1])
    return made


def _unpatch_make_password(made: tuple) -> None:
    from django.contrib.auth import models as auth_models
    from django.contrib.auth.base_user import AbstractBaseUser

    AbstractBaseUser.set_password, auth_models.make_password = made


def remember_in_subprocess(secrets_file: str) -> None:
    """In a process the run started (called by the generated ``sitecustomize``): append the
    keys, tokens and passwords this process makes to ``secrets_file``."""
    global _SECRETS_FILE
    _SECRETS_FILE = Path(secrets_file)
    _patch_secrets()
    try:
        import django
    except ImportError:
        return  # not a Django process: its tokens are enough
    set_up = django.setup

    def setup(*args, **kwargs):
        set_up(*args, **kwargs)
        _patch_make_password()

    django.setup = setup  # manage.py and labsite.wsgi call django.setup() through the module


@contextlib.contextmanager
def remembering(run_folder: Path) -> Iterator[None]:
    """While the block lasts: remember the secrets this process makes, and those of the
    processes it starts (through ``PYTHONPATH``), keep its log lines, and search the logs
    under ``run_folder`` at the end (``search_the_run``). Enter once Django is set up: its
    logging configuration replaces the root's handlers, and its user model is loaded."""
    global RUN_FOLDER
    RUN_FOLDER = run_folder
    site = run_folder / SITE_FOLDER_NAME
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(
        SITECUSTOMIZE.format(variable=SECRETS_FILE_VARIABLE, module=str(Path(__file__)))
    )
    environment = {name: os.environ.get(name) for name in ("PYTHONPATH", SECRETS_FILE_VARIABLE)}
    os.environ[SECRETS_FILE_VARIABLE] = str(run_folder / SECRETS_FILE_NAME)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(site), environment["PYTHONPATH"]) if part
    )
    made_tokens = _patch_secrets()
    made_passwords = _patch_make_password()
    handler = _KeepLines()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("django.request")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        secrets.token_urlsafe, secrets.token_bytes = made_tokens
        _unpatch_make_password(made_passwords)
        for name, value in environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class Search:
    found: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)


def search_the_run() -> Search:
    """Every log line of the run, in this process and in the log files under its folder, for
    every secret made in this process and in its subprocesses."""
    made, passwords = set(MADE), set(PASSWORDS)
    files: list[Path] = []
    from_subprocesses = (0, 0)
    if RUN_FOLDER is not None:
        made_there, passwords_there = secrets_of_subprocesses(RUN_FOLDER / SECRETS_FILE_NAME)
        from_subprocesses = (len(made_there - made), len(passwords_there - passwords))
        made |= made_there
        passwords |= passwords_there
        files = log_files(RUN_FOLDER)
    found = leaks(LINES, made, passwords, source="log record of the test process")
    found += leaks_in_files(files, made, passwords)
    file_lines = sum(len(path.read_text(errors="replace").splitlines()) for path in files)
    searched_made = sum(len(secret) >= SHORTEST_SECRET for secret in made)
    searched_passwords = sum(
        len(password) >= SHORTEST_PASSWORD and not password.isdigit() for password in passwords
    )
    summary = [
        f"searched {len(LINES)} log records of the test process and {len(files)} log files "
        f"({file_lines} lines) under {RUN_FOLDER} for {searched_made} keys and tokens and "
        f"{searched_passwords} passwords ({from_subprocesses[0]} and {from_subprocesses[1]} "
        f"made by subprocesses): {len(found)} found"
    ]
    shown = 20
    summary += [f"  {path.relative_to(RUN_FOLDER)}" for path in files[:shown]]
    if len(files) > shown:
        summary.append(f"  ... and {len(files) - shown} more")
    return Search(found=found, summary=summary)

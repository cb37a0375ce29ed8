"""Keys are never stored in clear nor logged (DESIGN.md, decision 6: "stored hashed").

Every kind of secret a client holds is issued the way the project issues it (API keys by
``ApiKey.issue`` and in the admin, login tokens and refresh tokens by ``POST /api/auth`` and
its refresh, partner billing keys by ``ApiPartner.issue`` and in the admin), then used in
requests that succeed and in requests that fail and log, while every log record of every
logger is captured at DEBUG, SQL included. Then no log record and no database column may hold
any of the raw secrets.
"""

import io
import logging
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.test import Client

import pytest

from accounts.models import ApiKey, ApiPartner, hash_api_key

from .conftest import FaceClient

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


@dataclass
class LogCapture:
    records: list[logging.LogRecord] = field(default_factory=list)
    stream: io.StringIO = field(default_factory=io.StringIO)

    def texts(self) -> list[str]:
        """Each record's template, arguments, message, and formatted line with its traceback
        and stack; then what the project's handlers wrote."""
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
        texts = []
        for record in self.records:
            texts.append(str(record.msg))
            texts.append(repr(record.args))
            texts.append(record.getMessage())
            texts.append(formatter.format(record))
        texts.append(self.stream.getvalue())
        return texts


@pytest.fixture
def all_logs(caplog, monkeypatch):
    """Every record any logger handles, at DEBUG everywhere, SQL with its parameters, and what
    the project's own handlers write."""
    capture = LogCapture()
    original = logging.Logger.callHandlers

    def keep(self, record):
        capture.records.append(record)
        return original(self, record)

    monkeypatch.setattr(logging.Logger, "callHandlers", keep)
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    handlers = {
        handler
        for logger in [logging.root, *logging.root.manager.loggerDict.values()]
        for handler in getattr(logger, "handlers", [])
        if type(handler) is logging.StreamHandler
    }
    previous = {handler: handler.setStream(capture.stream) for handler in handlers}
    database = connections[DEFAULT_DB_ALIAS]
    debug_cursor, database.force_debug_cursor = database.force_debug_cursor, True
    try:
        yield capture
    finally:
        database.force_debug_cursor = debug_cursor
        for handler, stream in previous.items():
            handler.setStream(stream)


def record_text(record: logging.LogRecord) -> str:
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s")
    return "\n".join([str(record.msg), repr(record.args), formatter.format(record)])


def database_dump() -> str:
    """Every value of every row of every table, as text."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes | bytearray):
                        value = bytes(value).decode("latin-1")
                    chunks.append(f"{table}: {value}")
    return "\n".join(chunks)


def forms_of(secret: str) -> set[str]:
    """The secret as it may be written: raw, URL-encoded once or twice."""
    return {secret, quote(secret, safe=""), quote(quote(secret, safe=""), safe="")}


def bearer(key: str) -> FaceClient:
    return FaceClient(authorization=f"Bearer {key}")


def admin_issued_keys(superuser, user) -> dict[str, str]:
    """An API key, a partner billing key and a rotated billing key made in the admin, read off
    the pages that show them once."""
    browser = Client()
    browser.force_login(superuser)
    page = browser.post("/admin/accounts/apikey/add/", {"name": "admin key", "user": user.pk})
    assert page.status_code == 200, page.content[:500]
    [api_key] = re.findall(r'<code id="api-key"[^>]*>([^<]+)</code>', page.content.decode())
    page = browser.post(
        "/admin/accounts/apipartner/add/",
        {"name": "Admin Partner", "recipe_id": "admin-partner", "user": user.pk},
    )
    assert page.status_code == 200, page.content[:500]
    [billing_key] = re.findall(PARTNER_KEY, page.content.decode())
    partner = ApiPartner.objects.get(recipe_id="admin-partner")
    page = browser.post(
        "/admin/accounts/apipartner/",
        {"action": "rotate_keys", "_selected_action": [partner.pk], "apply": "1", "index": 0},
    )
    assert page.status_code == 200, page.content[:500]
    [rotated_key] = re.findall(PARTNER_KEY, page.content.decode())
    assert len({api_key, billing_key, rotated_key}) == 3
    return {
        "API key from the admin": api_key,
        "billing key from the admin": billing_key,
        "rotated billing key": rotated_key,
    }


PARTNER_KEY = r'<code class="partner-key"[^>]*>([^<]+)</code>'


def leaks_of(secrets_by_kind: dict[str, str], all_logs: LogCapture | None, dump: str) -> list:
    """Where each secret shows up, in any of its written forms."""
    leaks = []
    for kind, secret in secrets_by_kind.items():
        for form in forms_of(secret):
            for record in all_logs.records if all_logs else []:
                if form in record_text(record):
                    leaks.append((kind, "log", record.name, record.levelname, str(record.msg)))
            if all_logs and form in all_logs.stream.getvalue():
                leaks.append((kind, "handler output"))
            if form in dump:
                leaks.append((kind, "database"))
    return leaks


@pytest.fixture
def rx_client(make_user, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed
    user = make_user(rights=("orders.cancel_order", "orders.view_order"), username="rx-client")
    user.set_password(PASSWORD)
    user.save()
    return user


def test_api_keys_login_tokens_and_billing_keys_are_never_logged_nor_stored(
    all_logs, lab_data, rx_client
):
    order = lab_data.order
    cancel = f"/api/orderCancel?{urlencode({'orderId': order.number})}"
    unknown_order = "/api/orderCancel?orderId=99"
    ids = {"Ids": [lab_data.item_id]}

    # --- issue every kind of secret the APIs use ------------------------------------------
    _, api_key = ApiKey.issue(user=rx_client, name="issued in code")
    partner, billing_key = ApiPartner.issue(name="Code Partner", user=rx_client)
    other, other_key = ApiPartner.issue(name="Other Partner", user=rx_client)
    anonymous = Client()
    login = anonymous.post(
        "/api/auth",
        {"UserName": "rx-client", "Password": PASSWORD, "DeviceName": "scanner 1"},
        content_type="application/json",
    )
    assert login.status_code == 200, login.content
    token, refresh_token = login.json()["tokenId"], login.json()["refreshToken"]
    refreshed = anonymous.post(
        "/api/auth/refresh", {"refreshToken": refresh_token}, content_type="application/json"
    )
    assert refreshed.status_code == 200, refreshed.content
    token_2, refresh_token_2 = refreshed.json()["tokenId"], refreshed.json()["refreshToken"]

    secrets_by_kind = {
        "API key": api_key,
        "login token": token,
        "refresh token": refresh_token,
        "login token after refresh": token_2,
        "refresh token after refresh": refresh_token_2,
        "billing key": billing_key,
        "other billing key": other_key,
        "password": PASSWORD,
    }
    assert len(set(secrets_by_kind.values())) == len(secrets_by_kind)

    def as_partner(recipe_id: str, key: str) -> FaceClient:
        return FaceClient(partner_query={"recipeid": recipe_id, "partnerBillingKey": key})

    # --- use them: successes and failures (which log) --------------------------------------
    answers = [
        # successes
        (bearer(api_key).send("GET", f"/api/v2/orders/{order.number}"), 200),
        (bearer(token_2).send("GET", f"/orders/{order.public_id}"), 200),
        (as_partner(partner.recipe_id, billing_key).send("PUT", cancel, ids), 200),
        # a right the key lacks: 403s, logged as problems by the Orders API
        (bearer(api_key).send("POST", "/orders", {"ids": [str(order.public_id)]}), 403),
        (
            bearer(token_2).send("POST", f"/orders/{order.public_id}/status", {"status": "Done"}),
            403,
        ),
        (bearer(api_key).send("GET", "/api/v2/settings"), 403),
        # used, revoked and misplaced secrets: 401s
        (bearer(token).send("GET", "/orders"), 401),  # replaced by the refresh
        (bearer(refresh_token_2).send("GET", "/orders"), 401),  # a refresh token is no key
        (bearer(billing_key).send("GET", f"/api/v2/orders/{order.number}"), 401),
        (bearer(other_key).send("PUT", cancel, ids), 401),
        (
            anonymous.post(
                "/api/auth/refresh",
                {"refreshToken": refresh_token},
                content_type="application/json",
            ),
            401,  # already used
        ),
        (
            anonymous.post(
                "/api/auth",
                {"UserName": "rx-client", "Password": PASSWORD + "!", "DeviceName": "x"},
                content_type="application/json",
            ),
            401,
        ),
        (as_partner(other.recipe_id, billing_key).send("PUT", cancel, ids), 401),
        (as_partner(partner.recipe_id, api_key).send("PUT", cancel, ids), 401),
        # past authentication, failing in the view (logged with a reference)
        (
            as_partner(other.recipe_id, other_key).send("PUT", unknown_order, ids),
            404,
        ),
        (bearer(api_key).send("PUT", cancel, {"Ids": "everything"}), 400),
        (bearer(token_2).send("GET", "/orders?number=nonsense:1"), 400),
        # logging out: the token stops working
        (bearer(token_2).send("DELETE", "/api/auth"), 204),
        (bearer(token_2).send("GET", "/orders"), 401),
    ]
    for number, (response, status) in enumerate(answers):
        assert response.status_code == status, (number, response.status_code, response.content)

    # --- the capture worked: it saw requests, their refusals and their SQL -----------------
    names = {record.name for record in all_logs.records}
    assert "django.db.backends" in names  # SQL with its parameters
    assert "labsite.api.problems" in names  # the Orders API's problem lines
    assert "labsite.api.item_cancel" in names  # the item-cancel reference lines
    assert "django.request" in names  # 4xx lines, whatever the configured level
    assert any("problem 401" in record.getMessage() for record in all_logs.records)
    assert "[req " in all_logs.stream.getvalue()  # the project's handler wrote its lines
    dump = database_dump()
    for kind in ("API key", "login token after refresh", "billing key"):
        assert hash_api_key(secrets_by_kind[kind]) in dump, f"the dump misses the {kind} row"

    # --- and no raw secret anywhere --------------------------------------------------------
    leaks = leaks_of(secrets_by_kind, all_logs, dump)
    assert leaks == [], "\n".join(map(str, leaks))


def test_keys_made_in_the_admin_are_stored_only_as_hashes(lab_data, rx_client, make_user):
    superuser = make_user(username="root", is_staff=True, is_superuser=True)
    secrets_by_kind = admin_issued_keys(superuser, rx_client)

    # They work (so they are the real keys), and only their hashes are in the database.
    api_key = secrets_by_kind["API key from the admin"]
    response = bearer(api_key).send("GET", f"/api/v2/orders/{lab_data.order.number}")
    assert response.status_code == 200
    dump = database_dump()
    assert hash_api_key(api_key) in dump
    assert hash_api_key(secrets_by_kind["rotated billing key"]) in dump
    assert hash_api_key(secrets_by_kind["billing key from the admin"]) not in dump  # rotated
    leaks = leaks_of(secrets_by_kind, None, dump)
    assert leaks == [], "\n".join(map(str, leaks))


def test_keys_shown_once_in_the_admin_are_not_logged(all_logs, rx_client, make_user):
    superuser = make_user(username="root", is_staff=True, is_superuser=True)
    secrets_by_kind = admin_issued_keys(superuser, rx_client)
    assert {record.name for record in all_logs.records} & {"django.db.backends"}
    leaks = leaks_of(secrets_by_kind, all_logs, "")
    assert leaks == [], "\n".join(map(str, leaks))


def test_the_capture_would_see_a_leaked_secret(all_logs):
    """The check above is only as good as its capture: a key logged anywhere is found."""
    secret = "lab_" + "x" * 40
    logging.getLogger("django.request").debug("Authorization: Bearer %s", secret)
    logging.getLogger("some.new.logger").info("key=%s", secret)
    assert sum(secret in text for text in all_logs.texts()) >= 4


# --- the whole run's logs (tests/log_secrets.py) ----------------------------------------------


def test_the_runs_log_search_finds_a_made_key_a_billing_key_and_a_password():
    from tests.log_secrets import leaks

    key = "lab_" + "k" * 43
    billing = "Zm9vYmFy" * 5 + "YQ=="
    lines = [
        "INFO labsite.request GET /orders 200",
        f"WARNING labsite.api.item_cancel refused partnerBillingKey={billing}&x=1",
        f"ERROR django.request Authorization: Token {key}",
        "INFO accounts.login alice logged in with correct horse battery staple 42",
        "INFO orders.api order 12345678 processed",
    ]

    found = leaks(lines, made={"k" * 43, billing}, passwords={PASSWORD, "12345678", "short"})

    assert len(found) == 3
    assert found[0].startswith("line:2: ")
    assert billing in found[0]
    assert "k" * 43 in found[1]
    assert PASSWORD in found[2]


def test_the_runs_log_search_keeps_what_the_loggers_write(caplog):
    from tests.log_secrets import LINES

    logging.getLogger("labsite.request").warning("a line the search will read %s", "now")

    assert any("a line the search will read now" in line for line in LINES[-5:])


def test_the_runs_log_search_reads_the_log_files_the_servers_write():
    """(In a folder of its own: under the run's folder, this test's logs would fail the run.)"""
    with tempfile.TemporaryDirectory(prefix="labsite-not-searched-") as folder:
        files, found = search_a_run_folder(Path(folder))

    key = "lab_" + "s" * 43
    assert [path.name for path in files] == [
        "runlab.log",
        "gunicorn-8000-x1.log",
        "gunicorn-8001-x2.log",
    ]
    assert found == [
        f"{folder}/runlab.log:2: 'login {PASSWORD}' holds ['{PASSWORD}']",
        f"{folder}/subprocess-logs/gunicorn-8001-x2.log:2: "
        + repr(f'127.0.0.1 "PUT /api/orderCancel?partnerBillingKey={key}&orderId=1 HTTP/1.1" 401')
        + f" holds ['{key}']",
    ]


def search_a_run_folder(folder: Path):
    """Logs as a run's servers and workers write them, two with a secret, searched."""
    from tests.log_secrets import leaks_in_files, log_files

    key = "lab_" + "s" * 43
    served = folder / "subprocess-logs"
    served.mkdir()
    (served / "gunicorn-8000-x1.log").write_text(
        '127.0.0.1 "GET /api/schema/ HTTP/1.1" 200\n'
        '127.0.0.1 "PUT /api/orderCancel?partnerBillingKey=[redacted] HTTP/1.1" 401\n'
    )
    (served / "gunicorn-8001-x2.log").write_text(
        '127.0.0.1 "GET /api/schema/ HTTP/1.1" 200\n'
        f'127.0.0.1 "PUT /api/orderCancel?partnerBillingKey={key}&orderId=1 HTTP/1.1" 401\n'
    )
    (folder / "runlab.log").write_text(f"[INFO] Booting worker\nlogin {PASSWORD}\n")
    (folder / "data.json").write_text(key)  # not a log

    files = log_files(folder)
    return files, leaks_in_files(files, made={key}, passwords={PASSWORD})


def test_servers_and_scripts_log_where_the_runs_search_reads():
    from tests import log_secrets, served

    log = served.log_path("gunicorn-test")

    assert log in log_secrets.log_files(log_secrets.RUN_FOLDER)
    log.unlink()


def test_secrets_made_in_a_subprocess_of_the_run_are_searched_for():
    """A process started with the run's environment remembers its tokens and the passwords
    Django hashes; a token it writes to its log is found there. (The log is outside the run's
    folder: this test's find must not fail the run.)"""
    from tests.log_secrets import (
        SECRETS_FILE_VARIABLE,
        leaks_in_files,
        secrets_of_subprocesses,
    )

    password = "a subprocess's password 7"
    script = (
        "import secrets, django\n"
        "from django.conf import settings\n"
        "settings.configure(INSTALLED_APPS=['django.contrib.auth', "
        "'django.contrib.contenttypes'], PASSWORD_HASHERS=["
        "'django.contrib.auth.hashers.MD5PasswordHasher'])\n"
        "django.setup()\n"
        "from django.contrib.auth.models import User\n"
        f"User(username='x').set_password({password!r})\n"
        "print('issued', secrets.token_urlsafe(32))\n"
    )
    with tempfile.TemporaryDirectory(prefix="labsite-not-searched-") as folder:
        log = Path(folder) / "worker.log"
        with log.open("w") as output:
            subprocess.run(  # noqa: S603 - our own interpreter
                [sys.executable, "-c", script], stdout=output, check=True, timeout=60
            )
        made, passwords = secrets_of_subprocesses(Path(os.environ[SECRETS_FILE_VARIABLE]))
        token = log.read_text().split()[1]
        found = leaks_in_files([log], made, passwords)

    assert token in made
    assert password in passwords
    assert found == [f"{log}:1: 'issued {token}' holds ['{token}']"]


def test_another_sitecustomize_on_the_path_still_runs_in_a_subprocess(tmp_path):
    """The run's sitecustomize comes first on PYTHONPATH; one further along (the interpreter's
    own, a coverage hook) must still run, as it would without the run's."""
    later = tmp_path / "later"
    later.mkdir()
    mark = tmp_path / "ran"
    (later / "sitecustomize.py").write_text(
        f"from pathlib import Path\nPath({str(mark)!r}).write_text('ran')\n"
    )
    environment = dict(os.environ, PYTHONPATH=f"{os.environ['PYTHONPATH']}{os.pathsep}{later}")

    subprocess.run([sys.executable, "-c", "pass"], env=environment, check=True, timeout=60)

    assert mark.read_text() == "ran"


def test_a_refused_logins_password_for_no_such_user_is_not_taken_for_a_secret(make_user):
    """Django hashes the password of a login for a user name nobody has, on a nameless user
    (to take as long as a wrong password): an attempt, which a log may name, not a secret.
    The passwords users are given are."""
    from django.test import Client

    from tests import log_secrets

    attempted = "an attempted password 11"
    Client().post("/ws/login/", {"username": "nobody-at-all", "password": attempted})
    given, set_later = "a given password 12", "a password set later 13"
    make_user(username="given", password=given).set_password(set_later)

    assert attempted not in log_secrets.PASSWORDS
    assert {given, set_later} <= log_secrets.PASSWORDS

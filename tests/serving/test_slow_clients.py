"""Slow clients cannot starve the site: labsite's production server (gunicorn with gevent
workers, labsite.gunicorn_conf) keeps answering normal requests while hundreds of connections
trickle their headers or stall in the middle of their body, and it cuts those connections
after CLIENT_TIMEOUT_SECONDS, never with a 500.

With the sync workers labsite once ran, two such connections held both workers: every normal
request waited for gunicorn to kill them 30 s later, and a short body ended in a 500.
"""

import http.client
import io
import json
import socket
import threading
import time
import urllib.request
from urllib.parse import urlsplit

import pytest

from tests.served import manage, serve, served_database

CLIENT_TIMEOUT_SECONDS = 3
SLOW_HEADER_CONNECTIONS = 200
SHORT_BODY_CONNECTIONS = 50
ANSWER_WITHIN_SECONDS = 1.0

MAKE_KEY = """
from django.contrib.auth.models import User
from accounts.models import ApiKey
from orders.models import Order
user = User.objects.create_superuser("slow-clients", None, None)
print("ORDER", Order.objects.order_by("number").values_list("number", flat=True)[0])
print("KEY", ApiKey.issue(user=user, name="slow clients")[1])
"""


@pytest.fixture(scope="module")
def site():
    with served_database() as env:
        printed = manage(env, "shell", "-c", MAKE_KEY).splitlines()
        lines = dict(line.split(" ", 1) for line in printed if line.startswith(("ORDER", "KEY")))
        env = {**env, "CLIENT_TIMEOUT_SECONDS": str(CLIENT_TIMEOUT_SECONDS)}
        with serve(env, workers=2) as server:
            yield server, lines["KEY"], lines["ORDER"]


def connect(base_url: str) -> socket.socket:
    address = urlsplit(base_url)
    return socket.create_connection((address.hostname, address.port), timeout=30)


def read_until_closed(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


class SlowHeaders(threading.Thread):
    """Sends a request line, then one more header line every second, never the blank line that
    ends the headers; records when the server closed the connection and what it sent."""

    def __init__(self, base_url: str):
        super().__init__(daemon=True)
        self.connection = connect(base_url)
        self.connection.sendall(b"GET /api/v2/orders/1 HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        self.opened = time.monotonic()
        self.closed_after: float | None = None
        self.received = b""

    def run(self):
        try:
            for line in range(60):
                time.sleep(1)
                self.connection.sendall(f"X-Slow-{line}: 1\r\n".encode())
        except OSError:
            pass  # the server closed the connection: what the test waits for
        self.received = read_until_closed(self.connection)
        self.closed_after = time.monotonic() - self.opened
        self.connection.close()


class ShortBody(threading.Thread):
    """Sends the headers of a POST that announces 1000 bytes of body, then 10 of them, and
    waits for the answer."""

    def __init__(self, base_url: str, key: str):
        super().__init__(daemon=True)
        self.connection = connect(base_url)
        self.connection.sendall(
            b"POST /api/v2/orders HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"X-Forwarded-Proto: https\r\n"
            b"Authorization: Token " + key.encode() + b"\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
            b'{"number":'
        )
        self.opened = time.monotonic()
        self.closed_after: float | None = None
        self.received = b""

    def run(self):
        self.received = read_until_closed(self.connection)
        self.closed_after = time.monotonic() - self.opened
        self.connection.close()


class Recorded:
    """What a connection received, as a socket that http.client can read a response from."""

    def __init__(self, received: bytes):
        self.received = received

    def makefile(self, *args, **kwargs):
        return io.BytesIO(self.received)


def parsed(received: bytes) -> tuple[int, bytes]:
    """The status and the body (de-chunked) of the HTTP response in ``received``."""
    response = http.client.HTTPResponse(Recorded(received))  # type: ignore[arg-type]
    response.begin()
    return response.status, response.read()


def timed_fetch(base_url: str, key: str, order: str) -> tuple[int, float]:
    request = urllib.request.Request(  # noqa: S310 - our own server
        f"{base_url}/api/v2/orders/{order}",
        headers={"Authorization": f"Token {key}", "X-Forwarded-Proto": "https"},
    )
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()
        return response.status, time.monotonic() - started


def test_normal_requests_are_answered_while_slow_clients_hold_connections(site):
    server, key, order = site
    slow = [SlowHeaders(server.base_url) for _ in range(SLOW_HEADER_CONNECTIONS)]
    short = [ShortBody(server.base_url, key) for _ in range(SHORT_BODY_CONNECTIONS)]
    for client in slow + short:
        client.start()

    answers = [timed_fetch(server.base_url, key, order) for _ in range(20)]
    still_open = sum(client.closed_after is None for client in slow + short)

    for client in slow + short:
        client.join(timeout=CLIENT_TIMEOUT_SECONDS + 30)

    assert still_open == SLOW_HEADER_CONNECTIONS + SHORT_BODY_CONNECTIONS, (
        "the slow connections were closed before the normal requests were made"
    )
    assert [status for status, _ in answers] == [200] * 20
    slowest = max(seconds for _, seconds in answers)
    assert slowest < ANSWER_WITHIN_SECONDS, f"a normal request took {slowest:.2f} s"

    # Slow headers: cut at the timeout, with nothing sent back (no request was ever read).
    assert all(client.closed_after is not None for client in slow)
    assert [client.received for client in slow] == [b""] * SLOW_HEADER_CONNECTIONS
    assert max(client.closed_after for client in slow) < CLIENT_TIMEOUT_SECONDS + 5
    assert min(client.closed_after for client in slow) >= CLIENT_TIMEOUT_SECONDS - 0.5

    # Short bodies: a 400 in the Lab API v2's shape once the timeout passes, not a 500.
    for client in short:
        assert client.closed_after is not None
        assert CLIENT_TIMEOUT_SECONDS - 0.5 <= client.closed_after < CLIENT_TIMEOUT_SECONDS + 5
        status, body = parsed(client.received)
        assert status == 400, client.received[:200]
        assert json.loads(body) == {
            "error": "Incorrect arguments provided",
            "details": ["The request body did not arrive in full."],
        }

    assert " 500 " not in server.log(), server.log()[-2000:]

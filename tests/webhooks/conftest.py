"""A real HTTP receiver for webhook tests: a threaded server on 127.0.0.1 that records every
request (path, headers, raw body) and answers what the test tells it to, or holds the
connection without answering."""

import base64
import hashlib
import hmac
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from webhooks.models import Subscription


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str:
        return self.headers["X-Labsite-Delivery"]

    def signature_is_valid(self, secret: str) -> bool:
        """What the README tells an integrator to check: both signatures."""
        timestamp = self.headers["X-Labsite-Timestamp"]
        signed = hmac.new(secret.encode(), f"{timestamp}.".encode() + self.body, hashlib.sha256)
        portos = hmac.new(secret.encode(), self.body, hashlib.sha256)
        return hmac.compare_digest(
            self.headers["X-Labsite-Signature"], f"sha256={signed.hexdigest()}"
        ) and hmac.compare_digest(
            self.headers["X-PORTOS-WEBHOOK-SIGNATURE"], base64.b64encode(portos.digest()).decode()
        )


@dataclass
class Receiver:
    """``status``: what every request is answered (200 by default); ``hold``: when set,
    requests wait for ``release()`` before being answered. ``connections`` counts every TCP
    connection accepted, a request sent on it or not. ``address`` and ``port``: where it
    listens (port 0: any free one, read back from ``port``)."""

    status: int = 200
    requests: list[Received] = field(default_factory=list)
    address: str = "127.0.0.1"
    port: int = 0
    connections: int = field(default=0, init=False)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._released.set()
        self.arrived = threading.Condition(self._lock)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.arrived:
                    receiver.requests.append(Received(self.path, dict(self.headers), body))
                    receiver.arrived.notify_all()
                receiver._released.wait(30)
                answer = b'{"ok": true}'
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            def verify_request(self, request, client_address):
                with receiver._lock:
                    receiver.connections += 1
                return True

        self._server = Server((self.address, self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.address}:{self.port}/hooks"

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.requests) >= count, timeout), (
                f"{len(self.requests)} of {count} requests arrived"
            )
            return list(self.requests)

    def close(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def allow_loopback(monkeypatch):
    """Receivers of the test run on 127.0.0.1, which WEBHOOK_ALLOWED_HOSTS must list."""
    monkeypatch.setenv("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")


@pytest.fixture
def receiver(allow_loopback):
    made = []

    def make(**options) -> Receiver:
        made.append(Receiver(**options))
        return made[-1]

    yield make
    for one in made:
        one.close()


@pytest.fixture
def subscribe(db):
    def make(url: str, **fields) -> Subscription:
        subscription = Subscription(url=url, **fields)
        subscription.full_clean()
        subscription.save()
        return subscription

    return make


@dataclass
class FakeDNS:
    """Stands in for DNS where the code resolves (``socket.getaddrinfo``): a name in
    ``answers`` resolves to each of its address lists in turn, the last one from then on;
    every other name (an address, ``localhost``) as the system resolves it. ``asked``: the
    faked names looked up, in order."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)

    def answer(self, name: str, *turns: list[str]) -> None:
        self.answers[name] = list(turns)

    def getaddrinfo(self, real, host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return real(host, port, *args, **kwargs)
        self.asked.append(name)
        turns = self.answers[name]
        addresses = turns.pop(0) if len(turns) > 1 else turns[0]
        port = int(port or 0)
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port))
            for a in addresses
        ]


@pytest.fixture
def fake_dns(monkeypatch) -> FakeDNS:
    dns = FakeDNS()
    real = socket.getaddrinfo
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *args, **kwargs: dns.getaddrinfo(real, *args, **kwargs)
    )
    return dns

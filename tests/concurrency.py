"""Helpers for the tests that only PostgreSQL can run: work racing in threads, each thread with
a database connection of its own, and worker processes started against the test database.

The tests that use them are transactional (``django_db(transaction=True)``): another
connection, in a thread or in a subprocess, sees only committed rows.
"""

import threading
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from django.db import connection
from django.test import Client

from accounts.models import ApiKey

THREAD_TIMEOUT = 30  # seconds; only reached when something deadlocks


def run_together[T](calls: list[Callable[[], T]]) -> list[T]:
    """Run every call in its own thread, all released at the same moment; results in order.

    Each thread opens its own database connection before a ``threading.Barrier`` (so
    connecting does not spread the start), makes its call when every thread is there, and
    closes its connection when done. A call that raises makes ``run_together`` raise that
    exception (the first one, in the order of ``calls``) once every thread has finished; a
    thread that was only waiting at the barrier when it broke does not hide the real failure.
    A thread still running after ``THREAD_TIMEOUT`` fails the test.
    """
    assert not connection.in_atomic_block, (
        "run_together needs a transactional test: the racing threads' connections would not "
        "see rows the test has not committed"
    )
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    failures: list[BaseException | None] = [None] * len(calls)

    def work(index: int, call: Callable[[], T]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=THREAD_TIMEOUT)
            results[index] = call()
        except BaseException as exc:  # re-raised in the test's thread below
            failures[index] = exc
            barrier.abort()
        finally:
            connection.close()

    threads = [
        threading.Thread(target=work, args=(index, call), name=f"racer-{index}", daemon=True)
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=THREAD_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a racing request never finished"
    for failure in failures:
        if failure is not None and not isinstance(failure, threading.BrokenBarrierError):
            raise failure
    for failure in failures:
        if failure is not None:
            raise failure
    return results


@dataclass
class Answer:
    status: int
    body: dict | None


class Caller:
    """One client system: a user and its API key. Each call builds its own ``Client``, so
    threads never share one."""

    def __init__(self, user):
        self.user = user
        _, self.raw_key = ApiKey.issue(user=user, name=f"key for {user.username}")

    def request(self, method: str, path: str, body: dict | None = None) -> Answer:
        client = Client(raise_request_exception=False)
        kwargs = {"headers": {"Authorization": f"Token {self.raw_key}"}}
        if body is not None:
            kwargs.update(data=body, content_type="application/json")
        response = getattr(client, method)(path, **kwargs)
        is_json = response.get("Content-Type", "").startswith("application/json")
        return Answer(
            response.status_code, response.json() if is_json and response.content else None
        )


def assert_no_server_errors(answers: list[Answer]) -> None:
    assert all(answer.status < 500 for answer in answers), [
        (answer.status, answer.body) for answer in answers if answer.status >= 500
    ]


def database_url() -> str:
    """The test database (not the one DATABASE_URL names: pytest-django made its own), for
    the environment of a worker subprocess."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"

"""Fixtures and small factories shared by the whole suite."""

import itertools
import json

from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from accounts.models import ApiKey
from orders.models import Addon, Customer, DeleteReason, LabSettings, Order, Station
from orders.services import NewItem, NewOrder, create_order
from orders.services.create_checks import JOBS_WITH_LENSES
from orders.status import JobType
from tests import concurrency, log_secrets, migrating
from tests.jobs import A_LENS, job_customer  # noqa: F401 - a fixture
from tracker.models import CheckIn


@pytest.fixture(autouse=True, scope="session")
def _remember_secrets_and_log_lines(tmp_path_factory):
    """The run's search of its logs for its secrets (tests/log_secrets.py). Session-wide and
    autouse: set up before any test, and before the servers and workers tests start."""
    with log_secrets.remembering(tmp_path_factory.getbasetemp()):
        yield


@pytest.hookimpl(tryfirst=True)  # before pytest may delete the run's folder (its retention)
def pytest_sessionfinish(session):
    search = log_secrets.search_the_run()
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line("")  # after the progress of -q
        reporter.write_sep("-", "the run's logs searched for its secrets")
        for line in search.summary:
            reporter.write_line(line)
        if search.found:
            reporter.write_sep("=", "secrets in the logs of this run", red=True)
            for leak in search.found[:20]:
                reporter.write_line(leak)
    if search.found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def latest():
    """For tests of data migrations (tests/migrating.py): migrate the test database back to
    the latest state afterwards, whatever happened."""
    leaves = migrating.leaf_nodes()
    yield leaves
    migrating.migrate(leaves)


@pytest.fixture
def run_together():
    """``run_together([call, ...])``: run the calls at the same moment, each in a thread with
    its own database connection, and return their results in order (see
    ``tests.concurrency.run_together``). For the transactional PostgreSQL race tests."""
    return concurrency.run_together


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://...")


class Api:
    """Calls the API with one key, asserting the status and a query ceiling on every call."""

    def __init__(self, raw_key: str | None = None, *, scheme: str = "Token"):
        self.client = Client(raise_request_exception=False)
        self.headers = {"HTTP_AUTHORIZATION": f"{scheme} {raw_key}"} if raw_key else {}
        self.last_response = None
        self.last_queries = 0

    def call(
        self,
        method: str,
        path: str,
        body=None,
        *,
        status: int,
        max_queries: int | None = None,
        raw: str | bytes | None = None,
        content_type: str = "application/json",
        headers: dict | None = None,
    ):
        send = getattr(self.client, method)
        kwargs = {**self.headers, **(headers or {})}
        if raw is not None:
            kwargs.update(data=raw, content_type=content_type)
        elif body is not None:
            kwargs.update(data=json.dumps(body), content_type=content_type)
        with CaptureQueriesContext(connection) as queries:
            response = send(path, **kwargs)
        self.last_response = response
        self.last_queries = len(queries)
        assert response.status_code == status, (
            f"{method.upper()} {path}: expected {status}, got {response.status_code}: "
            f"{response.content[:2000]!r}"
        )
        if max_queries is not None:
            assert len(queries) <= max_queries, (
                f"{method.upper()} {path}: {len(queries)} queries > ceiling {max_queries}:\n"
                + "\n".join(q["sql"] for q in queries.captured_queries)
            )
        if not response.content:
            return None
        return response.json()

    def get(self, path, **kw):
        return self.call("get", path, **kw)

    def post(self, path, body=None, **kw):
        return self.call("post", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.call("patch", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.call("put", path, body, **kw)

    def delete(self, path, body=None, **kw):
        return self.call("delete", path, body, **kw)


_usernames = itertools.count(1)


@pytest.fixture
def admin_user(db, django_user_model):
    """pytest-django's superuser (behind ``admin_client``), with a password of its own: its
    default, "password", is in every log line that says "Wrong user name or password", where
    the run's search for its secrets would find it."""
    return django_user_model.objects.create_superuser(
        "admin", "admin@example.com", "the admin fixture's password 31"
    )


@pytest.fixture
def make_user(db):
    def make(*groups: str, rights: tuple[str, ...] = (), **fields) -> User:
        fields.setdefault("username", f"user{next(_usernames)}")
        user = User.objects.create_user(**fields)
        for name in groups:
            user.groups.add(Group.objects.get(name=name))
        for right in rights:
            app_label, codename = right.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return user

    return make


@pytest.fixture
def api_for(db):
    def make(user: User, *, scheme: str = "Token") -> Api:
        _, raw_key = ApiKey.issue(user=user, name=f"key for {user.username}")
        return Api(raw_key, scheme=scheme)

    return make


@pytest.fixture
def supervisor(make_user):
    return make_user("Supervisors", username="sam")


@pytest.fixture
def supervisor_api(api_for, supervisor):
    return api_for(supervisor)


@pytest.fixture
def client_api(api_for, make_user):
    return api_for(make_user("Lab clients", username="rx-client"))


@pytest.fixture
def no_rights_api(api_for, make_user):
    return api_for(make_user(username="nobody"))


@pytest.fixture
def anonymous_api():
    return Api()


class AdminForms:
    """A staff supervisor filling in the admin's add and change forms."""

    def __init__(self, client: Client):
        self.client = client

    def refusals(self, url: str, data: dict) -> dict[str, list[str]]:
        """What the form at ``url`` refuses in ``data``, field by field (it must refuse)."""
        response = self.client.post(url, data)
        assert response.status_code == 200, f"POST {url}: answered {response.status_code}"
        form = response.context["adminform"].form
        assert form.errors, f"POST {url}: the form took {data}"
        return {field: list(messages) for field, messages in form.errors.items()}

    def saves(self, url: str, data: dict) -> None:
        response = self.client.post(url, data)
        errors = response.context["adminform"].form.errors if response.context else {}
        assert response.status_code == 302, f"POST {url}: not saved: {errors}"


@pytest.fixture
def admin_forms(make_user) -> AdminForms:
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=True))
    return AdminForms(client)


@pytest.fixture
def lab_settings(db):
    """Change lab settings for a test: ``lab_settings(allow_hold_orders=False)``."""

    def change(**values) -> LabSettings:
        lab = LabSettings.load()
        for name, value in values.items():
            setattr(lab, name, value)
        lab.save()
        return lab

    return change


@pytest.fixture
def make_order(db):
    """Create an order through the service, then force any extra field values for the test."""

    def make(*, items: int = 1, endpoints=("surfacing",), actor=None, **fields) -> Order:
        create_fields = {
            key: fields.pop(key)
            for key in list(fields)
            if key in NewOrder.__dataclass_fields__ and key != "items"
        }
        if "number" in create_fields:
            create_fields["number"] = str(create_fields["number"])
        job_type = create_fields.setdefault("job_type", JobType.UNCUT)
        if job_type in JOBS_WITH_LENSES and "eyes" not in create_fields:
            create_fields["eyes"] = A_LENS  # unless the test gives its own
        if job_type == JobType.ADDON and "addons" not in create_fields:
            Addon.objects.get_or_create(code="EXTRA", defaults={"description": "An extra"})
            create_fields["addons"] = ["EXTRA"]
        if create_fields.get("customer_number"):  # the customer it names, made on demand
            Customer.objects.get_or_create(
                number=create_fields["customer_number"],
                defaults={"name": f"Customer {create_fields['customer_number']}"},
            )
        order = create_order(
            data=NewOrder(
                **create_fields,
                items=[
                    NewItem(sku=f"SKU{i}", name=f"Lens {i}", endpoints=list(endpoints))
                    for i in range(items)
                ],
            ),
            actor=actor,
        )
        if fields:
            Order.objects.filter(pk=order.pk).update(**fields)
            order.refresh_from_db()
        return order

    return make


@pytest.fixture
def make_customer(db):
    def make(number: str = "C1", *, name: str = "", active: bool = True, **fields) -> Customer:
        return Customer.objects.create(
            number=number, name=name or f"Customer {number}", active=active, **fields
        )

    return make


@pytest.fixture
def make_reason(db):
    def make(code: str = "CUS", description: str = "Customer request", active: bool = True):
        return DeleteReason.objects.create(code=code, description=description, active=active)

    return make


@pytest.fixture
def make_station(db):
    def make(code: str, **fields) -> Station:
        fields.setdefault("description", f"Station {code}")
        return Station.objects.create(code=code, **fields)

    return make


@pytest.fixture
def check_in(db):
    """Record a check-in directly (the check-in service belongs to the tracker)."""

    def record(order: Order, station: Station) -> CheckIn:
        checkin = CheckIn.objects.create(order=order, station=station)
        Order.objects.filter(pk=order.pk).update(
            current_station=station, current_station_at=timezone.now()
        )
        order.refresh_from_db()
        return checkin

    return record

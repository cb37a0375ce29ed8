"""A NUL character sent to a page — the floor's scanning pages, the admin — is a 400, never a
500: PostgreSQL refuses NUL in a text value, so it must not reach a lookup. No scanner types
one; a request carrying one is refused before any view runs (the API faces answer it in their
own shapes: test_nul_parameters.py)."""

from django.test import Client

import pytest

pytestmark = pytest.mark.django_db

NUL = "A\x00B"


@pytest.fixture
def supervisor_client(make_user):
    # A superuser: every page and its Use right, so the NUL is what the request is refused for.
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/ws/jobscan/", {"station": NUL, "operator": ""}),
        ("/ws/jobscan/", {"code": NUL}),
        ("/ws/tray/", {"code": NUL}),
        ("/ws/cancel/", {"code": NUL}),
        ("/ws/pick/", {"code": NUL}),
        ("/ws/login/", {"username": NUL, "password": "x"}),
    ],
)
def test_a_nul_in_a_floor_pages_form_is_a_400(supervisor_client, path, form):
    response = supervisor_client.post(path, form)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    assert "NUL" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        f"/admin/orders/order/?q={NUL}",
        f"/admin/orders/order/?job_type={NUL}",
        f"/admin/orders/customer/?q={NUL}",
        f"/ws/display/?token={NUL}",
        "/admin/orders/order/A%00B/change/",
        "/ws/A%00B/",
    ],
)
def test_a_nul_in_a_pages_query_or_path_is_a_400(supervisor_client, path):
    response = supervisor_client.get(path)

    assert response.status_code == 400
    assert "NUL" in response.content.decode()


def test_a_page_without_a_nul_is_served_as_before(supervisor_client):
    assert supervisor_client.get("/admin/orders/order/?q=AB").status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/ws/", 400),
        ("/admin/", 400),
        ("/admin/login/", 400),
        # The API faces read no cookie: the request is what it is without one.
        ("/api/v2/orders/1", 401),
        ("/orders", 401),
    ],
)
def test_a_nul_in_a_cookie_is_a_400_on_a_page(path, status):
    client = Client()
    # A quoted cookie value's octal escape is a NUL once Django has parsed the cookie.
    client.cookies.load('sessionid="\\000abcdefghijklmnopqrstuvwxyz012345"')
    assert "\x00" in client.cookies["sessionid"].value

    response = client.get(path)

    assert response.status_code == status

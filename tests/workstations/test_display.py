"""The Dynamic Display (/ws/display/): its figures, read in a constant number of aggregate
queries; who may open it; display links (token shown once, stored hashed, read-only,
revocable, listed in the admin)."""

import re
from datetime import timedelta

from django.contrib.auth.models import Group, Permission, User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import pytest

from orders.models import Order
from workstations.board import read_board
from workstations.models import DisplayLink
from workstations.views import age_text

pytestmark = pytest.mark.django_db

DISPLAY = "/ws/display/"


@pytest.fixture
def lab_floor(make_order, make_station, check_in):
    """Orders spread over two stations, one not checked in, two late, one due today, one
    completed today and one cancelled."""
    today = timezone.localdate()
    surf, ar = make_station("SURF", description="Surfacing"), make_station("AR")
    for n in range(3):
        check_in(make_order(date_wanted=today - timedelta(days=n)), surf)
    check_in(make_order(date_wanted=today + timedelta(days=3)), ar)
    make_order(date_wanted=today + timedelta(days=1))  # not checked in yet
    done = make_order()
    Order.objects.filter(pk=done.pk).update(state="C", completed_at=timezone.now())
    gone = make_order(date_wanted=today - timedelta(days=9))
    Order.objects.filter(pk=gone.pk).update(cancelled_at=timezone.now())


def test_the_board_counts_the_work_in_progress(lab_floor):
    board = read_board()

    assert [(load.code, load.count) for load in board.stations] == [("AR", 1), ("SURF", 3)]
    assert (
        board.in_progress,
        board.not_checked_in,
        board.due_today,
        board.late,
        board.completed_today,
    ) == (5, 1, 1, 2, 1)


def test_the_board_costs_the_same_queries_for_ten_times_the_orders(
    make_order, make_station, check_in
):
    surf = make_station("SURF")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            read_board()
        return len(captured)

    for _ in range(3):
        check_in(make_order(), surf)
    few = queries()
    for _ in range(27):
        check_in(make_order(), surf)
    many = queries()

    assert few == many == 3


@pytest.mark.parametrize(
    ("minutes", "text"), [(0, "0 min"), (45, "45 min"), (185, "3 h 05 min"), (3120, "2 d 4 h")]
)
def test_ages_read_as_a_wall_display_says_them(minutes, text):
    assert age_text(timedelta(minutes=minutes)) == text


# --- who may open it -------------------------------------------------------------------------


def test_the_display_needs_a_login_or_a_link():
    response = Client().get(DISPLAY)

    assert response.status_code == 302
    assert response["Location"].startswith("/ws/login/")


def test_the_display_needs_its_right(make_user):
    client = Client()
    client.force_login(make_user())

    assert client.get(DISPLAY).status_code == 403


def test_a_user_with_the_right_sees_the_board_refreshing_as_the_lab_says(
    make_user, lab_floor, lab_settings
):
    lab_settings(dynamic_display_refresh_seconds=45)
    user = make_user()
    user.user_permissions.add(Permission.objects.get(codename="view_dynamic_display"))
    client = Client()
    client.force_login(user)

    response = client.get(DISPLAY)

    page = response.content.decode()
    assert response.status_code == 200
    assert '<meta http-equiv="refresh" content="45">' in page
    assert 'id="in-progress">5<' in page
    assert 'id="late">2<' in page
    assert "SURF Surfacing" in page


# --- display links ---------------------------------------------------------------------------


def made_in_the_admin(name: str = "Surfacing wall") -> tuple[DisplayLink, str]:
    """A supervisor makes a link; returns it and the URL the page showed once."""
    supervisor = User.objects.create_user(username="sue", is_staff=True)
    supervisor.groups.add(Group.objects.get(name="Supervisors"))
    admin = Client()
    admin.force_login(supervisor)
    response = admin.post("/admin/workstations/displaylink/add/", {"name": name})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    url = re.search(r'id="display-url"[^>]*>([^<]+)<', response.content.decode()).group(1)
    return DisplayLink.objects.get(name=name), url


def test_a_link_opens_the_board_and_nothing_else_without_a_login(lab_floor):
    link, url = made_in_the_admin()
    token = url.partition("?token=")[2]

    response = Client().get(f"{DISPLAY}?token={token}")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="stations"' in page
    assert "href=" not in page  # no way from the board to anything else
    assert "<form" not in page
    link.refresh_from_db()
    assert link.last_used_at is not None
    # Nothing else opens with it.
    assert Client().get(f"/ws/jobscan/?token={token}").status_code == 302
    assert Client().get(f"/admin/?token={token}").status_code == 302


def test_the_token_is_stored_only_as_a_hash_and_shown_once(lab_floor):
    link, url = made_in_the_admin()
    token = url.partition("?token=")[2]

    assert len(token) >= 40
    assert link.token_hash != token
    assert token not in str(DisplayLink.objects.values_list().get())
    admin_page = Client()
    admin_page.force_login(link.created_by)
    change = admin_page.get(f"/admin/workstations/displaylink/{link.pk}/change/")
    assert token not in change.content.decode()


def test_a_revoked_or_wrong_token_opens_nothing(lab_floor):
    link, url = made_in_the_admin()
    token = url.partition("?token=")[2]
    admin_page = Client()
    admin_page.force_login(link.created_by)

    admin_page.post(
        "/admin/workstations/displaylink/",
        {"action": "revoke_selected", "_selected_action": [link.pk]},
    )

    assert Client().get(f"{DISPLAY}?token={token}").status_code == 403
    assert Client().get(f"{DISPLAY}?token=not-a-token").status_code == 403
    listing = admin_page.get("/admin/workstations/displaylink/").content.decode()
    assert "Surfacing wall" in listing

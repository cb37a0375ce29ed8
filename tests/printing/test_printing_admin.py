"""Printing in the supervisor admin: printers and their test page, workstations and their LPT
ports, print jobs (filter, retry failed ones), and the print spooler's heartbeat on the index."""

import re
import socket
import time
from datetime import timedelta

from django.contrib.messages import ERROR, INFO, WARNING, get_messages
from django.test import Client
from django.utils import timezone

import pytest

from printing.models import (
    Printer,
    PrintJob,
    PrintKind,
    PrintStatus,
    Workstation,
    WorkstationPort,
)
from printing.services import process_jobs
from toolkit.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db

PRINTERS = "/admin/printing/printer/"
JOBS = "/admin/printing/printjob/"
ACTION_CHECKBOX = "_selected_action"


@pytest.fixture
def browser(make_user):
    client = Client()
    client.force_login(make_user("Supervisors", is_staff=True))
    return client


def messages_of(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


def run_action(client, changelist: str, action: str, *objects):
    return client.post(
        changelist,
        {"action": action, ACTION_CHECKBOX: [str(o.pk) for o in objects], "index": 0},
        follow=True,
    )


@pytest.fixture
def spool_printer(tmp_path):
    return Printer.objects.create(name="Front desk", driver="spool", folder=str(tmp_path))


@pytest.fixture
def closed_port():
    """A local TCP port that refuses connections: bound (so nobody else takes it), not listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def make_job(order, printer, status=PrintStatus.QUEUED, **fields) -> PrintJob:
    return PrintJob.objects.create(
        order=order,
        workstation=Workstation.objects.get(code="00"),
        port=1,
        printer=printer,
        status=status,
        **fields,
    )


# --- printers -------------------------------------------------------------------------------------


def test_printers_changelist_shows_driver_and_target(browser, spool_printer, tmp_path):
    Printer.objects.create(name="Zebra", driver="socket", host="10.0.0.7", port=9101)
    Printer.objects.create(name="Office", driver="cups", cups_queue="office_laser")

    response = browser.get(PRINTERS)

    assert response.status_code == 200
    page = response.content.decode()
    for text in (
        "Front desk",
        str(tmp_path),
        "Zebra",
        "10.0.0.7:9101",
        "Office",
        "queue office_laser",
    ):
        assert text in page, text


def queued_test_pages() -> list[PrintJob]:
    return list(PrintJob.objects.filter(kind=PrintKind.TEST_PAGE).order_by("id"))


NO_SPOOLER = (WARNING, "No print spooler is running: the test pages print when one starts.")


def test_print_test_page_queues_it_for_the_spooler_which_writes_a_pdf(
    browser, spool_printer, tmp_path
):
    WorkerHeartbeat.objects.create(worker_id="spooler-1", kind="spooler", beat_at=timezone.now())

    response = run_action(browser, PRINTERS, "print_test_page", spool_printer)

    assert response.status_code == 200
    [job] = queued_test_pages()
    assert (job.printer, job.status, job.order) == (spool_printer, PrintStatus.QUEUED, None)
    assert messages_of(response) == [(INFO, f"Front desk: test page queued (print job {job.pk})")]
    assert list(tmp_path.iterdir()) == []  # nothing is sent from the web request

    assert process_jobs(worker="spooler-1", batch_size=5) == 1
    [written] = list(tmp_path.iterdir())
    assert written.name == f"test-page-{job.pk}.pdf"
    assert written.read_bytes().startswith(b"%PDF")
    job.refresh_from_db()
    assert (job.status, job.reference) == (PrintStatus.DONE, str(written))


def test_print_test_page_on_printers_that_never_answer_returns_at_once(browser, tcp_printer):
    """Seven printers that do not answer: the request queues seven pages and returns."""
    silent = tcp_printer(mode="stalled", backlog=0)
    silent.fill_backlog()
    dead = [
        Printer.objects.create(
            name=f"Dead {n}", driver="socket", host="127.0.0.1", port=silent.port
        )
        for n in range(7)
    ]
    started = time.monotonic()
    response = run_action(browser, PRINTERS, "print_test_page", *dead)
    assert time.monotonic() - started < 2

    assert response.status_code == 200
    assert len(queued_test_pages()) == 7
    assert messages_of(response)[-1] == NO_SPOOLER
    silent.release()  # closes its own queued connection, so the listener stops at once


def test_a_test_page_the_printer_refuses_is_a_failed_send_of_its_job(
    browser, closed_port, settings
):
    settings.PRINT_RETRY_BASE_SECONDS = 30
    printer = Printer.objects.create(
        name="Zebra", driver="socket", host="127.0.0.1", port=closed_port
    )
    run_action(browser, PRINTERS, "print_test_page", printer)

    assert process_jobs(worker="spooler-1", batch_size=5) == 1
    [job] = queued_test_pages()
    assert (job.status, job.attempts) == (PrintStatus.QUEUED, 1)
    assert job.last_error == f"Printer 127.0.0.1:{closed_port} refused the connection"


def test_print_test_page_on_a_disabled_printer_says_so(browser, spool_printer, tmp_path):
    printer = Printer.objects.create(
        name="Old", driver="spool", folder=str(tmp_path / "old"), enabled=False
    )

    response = run_action(browser, PRINTERS, "print_test_page", spool_printer, printer)

    [job] = queued_test_pages()
    assert job.printer == spool_printer
    assert messages_of(response) == [
        (INFO, f"Front desk: test page queued (print job {job.pk})"),
        (ERROR, "Old: Printer Old is disabled"),
        NO_SPOOLER,
    ]


# --- workstations ---------------------------------------------------------------------------------


def test_workstation_change_page_shows_its_ports(browser, spool_printer):
    workstation = Workstation.objects.get(code="00")
    WorkstationPort.objects.filter(workstation=workstation, number=3).update(printer=spool_printer)

    response = browser.get(f"/admin/printing/workstation/{workstation.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "API printing" in page
    formset = response.context["inline_admin_formsets"][0].formset
    assert [form.instance.number for form in formset.forms] == list(range(1, 10))
    assert [form.instance.printer for form in formset.forms] == [
        spool_printer if n == 3 else None for n in range(1, 10)
    ]
    assert "Front desk" in page


def test_supervisors_map_a_port_on_the_workstation_change_page(browser, spool_printer):
    workstation = Workstation.objects.get(code="00")
    ports = list(workstation.ports.order_by("number"))
    form = {
        "code": "00",
        "description": "API printing",
        "ports-TOTAL_FORMS": "9",
        "ports-INITIAL_FORMS": "9",
        "ports-MIN_NUM_FORMS": "0",
        "ports-MAX_NUM_FORMS": "9",
    }
    for index, port in enumerate(ports):
        form[f"ports-{index}-id"] = str(port.pk)
        form[f"ports-{index}-workstation"] = str(workstation.pk)
        form[f"ports-{index}-number"] = str(port.number)
        form[f"ports-{index}-printer"] = str(spool_printer.pk) if port.number == 3 else ""

    response = browser.post(f"/admin/printing/workstation/{workstation.pk}/change/", form)

    assert response.status_code == 302, response.content.decode()[:2000]
    assert WorkstationPort.objects.get(workstation=workstation, number=3).printer == spool_printer


def test_workstations_changelist_lists_workstation_00(browser):
    response = browser.get("/admin/printing/workstation/")

    assert response.status_code == 200
    assert "API printing" in response.content.decode()


# --- print jobs -----------------------------------------------------------------------------------


def test_print_jobs_changelist_filters_by_status_and_shows_the_last_error(
    browser, spool_printer, make_order
):
    failed_order = make_order()
    done_order = make_order()
    make_job(failed_order, spool_printer, PrintStatus.FAILED, attempts=5, last_error="Paper jam")
    make_job(done_order, spool_printer, PrintStatus.DONE)

    response = browser.get(f"{JOBS}?status__exact=failed")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Paper jam" in page
    assert f"Order {failed_order.number}" in page
    assert f"Order {done_order.number}" not in page
    assert [job.order for job in response.context["cl"].result_list] == [failed_order]


DRIVER_ERROR = "Printer 10.1.2.3:9100 refused the connection"


@pytest.mark.parametrize("page", ["list", "job"])
def test_only_those_who_may_change_printers_read_the_drivers_error_text(
    browser, make_user, spool_printer, make_order, page
):
    job = make_job(make_order(), spool_printer, PrintStatus.FAILED, last_error=DRIVER_ERROR)
    url = JOBS if page == "list" else f"{JOBS}{job.pk}/change/"
    viewer = Client()
    viewer.force_login(make_user(rights=("printing.view_printjob",), is_staff=True))

    shown_to_viewer = viewer.get(url)
    shown_to_supervisor = browser.get(url).content.decode()

    assert shown_to_viewer.status_code == 200
    assert "10.1.2.3" not in shown_to_viewer.content.decode()
    assert "refused" not in shown_to_viewer.content.decode()
    assert "The printer did not answer" in shown_to_viewer.content.decode()
    assert DRIVER_ERROR in shown_to_supervisor


def test_print_jobs_changelist_shows_every_status_without_a_filter(
    browser, spool_printer, make_order
):
    orders = [make_order() for _ in PrintStatus]
    for order, status in zip(orders, PrintStatus, strict=True):
        make_job(order, spool_printer, status)

    response = browser.get(JOBS)

    assert response.status_code == 200
    assert {job.status for job in response.context["cl"].result_list} == set(PrintStatus)


def test_retry_selected_puts_failed_jobs_back_in_the_queue(browser, spool_printer, make_order):
    later = timezone.now() + timedelta(hours=1)
    failed = make_job(
        make_order(),
        spool_printer,
        PrintStatus.FAILED,
        attempts=5,
        last_error="Paper jam",
        next_attempt_at=later,
        finished_at=timezone.now(),
    )
    done = make_job(make_order(), spool_printer, PrintStatus.DONE, attempts=1, reference="x.pdf")
    before = timezone.now()

    response = run_action(browser, JOBS, "retry_selected", failed, done)

    assert response.status_code == 200
    assert messages_of(response) == [(INFO, "Queued 1 failed job(s) again.")]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (PrintStatus.QUEUED, 0, "")
    assert before <= failed.next_attempt_at <= timezone.now()  # due at once
    done.refresh_from_db()
    assert (done.status, done.attempts, done.reference) == (PrintStatus.DONE, 1, "x.pdf")


def test_retry_selected_leaves_queued_and_cancelled_jobs_alone(browser, spool_printer, make_order):
    queued = make_job(make_order(), spool_printer, PrintStatus.QUEUED, attempts=2)
    cancelled = make_job(make_order(), spool_printer, PrintStatus.CANCELLED)

    response = run_action(browser, JOBS, "retry_selected", queued, cancelled)

    assert messages_of(response) == [(INFO, "Queued 0 failed job(s) again.")]
    queued.refresh_from_db()
    cancelled.refresh_from_db()
    assert (queued.status, queued.attempts) == (PrintStatus.QUEUED, 2)
    assert cancelled.status == PrintStatus.CANCELLED


def test_print_jobs_cannot_be_added_or_deleted_in_the_admin(browser, spool_printer, make_order):
    job = make_job(make_order(), spool_printer, PrintStatus.DONE)

    assert browser.get(f"{JOBS}add/").status_code == 403
    assert browser.get(f"{JOBS}{job.pk}/delete/").status_code == 403
    assert PrintJob.objects.filter(pk=job.pk).exists()


# --- the print spooler on the admin index ---------------------------------------------------------


def spooler_status(page: str) -> str:
    row = re.search(
        r'<th scope="row">Print spooler</th>\s*<td>\s*<span[^>]*data-status="(\w+)"[^>]*>'
        r".*?</span>\s*<small>(.*?)</small>",
        page,
        re.DOTALL,
    )
    assert row, "no Print spooler row on the admin index"
    return f"{row.group(1)}: {' '.join(row.group(2).split())}"


def test_index_shows_the_spooler_down_without_a_heartbeat(browser, lab_settings):
    lab_settings(tracker_heartbeat_seconds=30)

    page = browser.get("/admin/").content.decode()

    assert spooler_status(page) == "down: no heartbeat yet; window 30 s"


def test_index_shows_the_spooler_running_with_a_fresh_heartbeat(browser):
    WorkerHeartbeat.objects.create(kind="spooler", worker_id="s1", hostname="lab2", pid=77)

    page = browser.get("/admin/").content.decode()

    assert spooler_status(page).startswith("running: last heartbeat ")
    assert spooler_status(page).endswith(" s ago (lab2 pid 77)")


def test_index_shows_the_spooler_down_with_a_stale_heartbeat(browser, lab_settings):
    lab_settings(tracker_heartbeat_seconds=30)
    WorkerHeartbeat.objects.create(
        kind="spooler", worker_id="s1", beat_at=timezone.now() - timedelta(seconds=31)
    )

    page = browser.get("/admin/").content.decode()

    assert re.fullmatch(r"down: last heartbeat 3\d s ago; window 30 s", spooler_status(page))


def test_a_tracker_heartbeat_does_not_count_for_the_spooler(browser):
    WorkerHeartbeat.objects.create(kind="tracker", worker_id="t1", hostname="lab1", pid=42)

    page = browser.get("/admin/").content.decode()

    assert spooler_status(page).startswith("down: no heartbeat yet")

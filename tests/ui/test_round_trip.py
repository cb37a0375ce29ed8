"""The floor's round trip: a ticket printed through the spooler, its order barcode read off the
printed page by a real decoder (poppler renders the PDF, zbar decodes it), and what the
decoder read typed into Job Scan as a keyboard-wedge scanner types it, checks the order in.

Needs the Debian packages poppler-utils and zbar-tools besides Chromium; without them the
test is skipped, or fails with LABSITE_REQUIRE_SYSTEM_TOOLS=1 (CI).
"""

from pathlib import Path

import pytest

from orders.models import OrderEvent, Station
from orders.status import EventKind
from printing.models import Driver, Printer, PrintJob, PrintStatus, WorkstationPort
from printing.services import process_jobs
from tests.printing.conftest import PDF_TOOLS_PACKAGES, PdfTools, require_tools

from .conftest import focused, log_in_by_keyboard, new_order, scan

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def pdf_tools(tmp_path) -> PdfTools:
    paths = require_tools("pdftotext", "pdftoppm", "zbarimg", install=PDF_TOOLS_PACKAGES)
    workdir = tmp_path / "pdf-tools"
    workdir.mkdir()
    return PdfTools(paths, workdir)


@pytest.fixture
def ticket_printer(tmp_path) -> Printer:
    """A spool-folder printer on workstation 00's LPT1, where print_ticket sends tickets."""
    printer = Printer.objects.create(
        name="Floor tickets", driver=Driver.SPOOL, folder=str(tmp_path / "spool")
    )
    WorkstationPort.objects.filter(workstation__code="00", number=1).update(printer=printer)
    return printer


def test_a_printed_tickets_barcode_scanned_into_job_scan_checks_the_order_in(
    page, screenshot, supervisor_api, ticket_printer, pdf_tools, floor_login
):
    surfacing = Station.objects.create(code="SURF", description="Surfacing")
    order = new_order(51234, tray="042")

    supervisor_api.post(f"/api/v2/orders/{order.number}/print_ticket", status=201)
    assert process_jobs(worker="round-trip", batch_size=1) == 1
    job = PrintJob.objects.get(order=order)
    assert job.status == PrintStatus.DONE, job.last_error
    printed = Path(job.reference).read_bytes()

    decoded = dict(symbol.split(":", 1) for symbol in pdf_tools.barcodes(printed))
    order_code = decoded.get("CODE-39") or decoded.get("CODE-128")
    assert order_code == "51234", f"decoded from the printed page: {decoded}"

    log_in_by_keyboard(page, floor_login("use_job_scan"), "/ws/jobscan/")
    scan(page, "SURF")
    scan(page, order_code)

    assert page.inner_text("#result") == "Order 51234 checked in at SURF"
    assert "ok" in page.get_attribute("#result", "class")
    assert focused(page) == "code"
    screenshot(page, "ws-round-trip")
    order.refresh_from_db()
    assert order.current_station == surfacing
    assert OrderEvent.objects.filter(order=order, kind=EventKind.CHECKIN).count() == 1

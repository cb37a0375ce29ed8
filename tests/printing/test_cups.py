"""The CUPS driver against a real CUPS server: a private ``cupsd -f`` started for the test
session (its own config, domain socket, spool, cache and logs in a temporary folder) with a
queue on the cups-pdf backend, which turns each job into a PDF file.

Needs the Debian packages cups and printer-driver-cups-pdf (``apt-get install cups
printer-driver-cups-pdf``) and root (the cups-pdf backend runs only under a root cupsd);
without them these tests are skipped, or fail with LABSITE_REQUIRE_SYSTEM_TOOLS=1.

cups-pdf reads its settings from /etc/cups/cups-pdf.conf only, so the test reads there where
the PDF will be written (``Out`` for the submitting user, or ``AnonDirName``) and removes what
it printed.
"""

import re
from pathlib import Path

import pytest

from printing import drivers
from printing.errors import PrinterError
from printing.models import Driver, Printer, PrintStatus
from printing.services import process_jobs
from printing.ticket import render_ticket

from .conftest import CUPS_PACKAGES, is_complete_pdf, require_tools, wait_until


@pytest.fixture
def cups(cups_server, monkeypatch):
    """The private server, for ``lp`` too: the driver finds it through CUPS_SERVER."""
    monkeypatch.setenv("CUPS_SERVER", cups_server.server)
    return cups_server


@pytest.fixture
def new_pdfs(cups):
    """The PDFs cups-pdf writes during the test; removed afterwards."""
    before = cups.pdfs()
    created: list[Path] = []

    def collect() -> list[Path]:
        created[:] = sorted(cups.pdfs() - before)
        return created

    yield collect
    for path in created + sorted(cups.pdfs() - before):
        path.unlink(missing_ok=True)


def printed(cups, new_pdfs, job_id: str) -> Path:
    """The one PDF cups-pdf made of the job, once the job completed."""

    def ready():
        files = new_pdfs()
        return files if job_id in cups.completed_jobs() and files else None

    try:
        files = wait_until(ready, what=f"CUPS job {job_id} to come out of cups-pdf")
    except pytest.fail.Exception:
        pytest.fail(
            f"no PDF from {job_id} in {cups.output_folders}; cupsd error_log:\n{cups.error_log}"
        )
    assert len(files) == 1, files
    return files[0]


def test_the_spooler_prints_a_ticket_through_cups(
    cups, new_pdfs, add_printer, make_order, queue_job, pdf_tools
):
    add_printer("Front desk", driver=Driver.CUPS, cups_queue=cups.queue)
    order = make_order(tray="3141", patient="Ada Lovelace")
    job = queue_job(order)

    assert process_jobs(worker="test", batch_size=1) == 1
    job.refresh_from_db()
    assert job.status == PrintStatus.DONE, job.last_error
    assert re.fullmatch(rf"{cups.queue}-\d+", job.reference), job.reference

    pdf = printed(cups, new_pdfs, job.reference)
    document = pdf.read_bytes()
    assert is_complete_pdf(document)
    words = " ".join(pdf_tools.text(document).split())
    assert f"Order {order.number}" in words
    assert "Patient Ada Lovelace" in words
    # The barcodes survive CUPS' filters (pdftops, ghostscript) and still scan.
    assert sorted(pdf_tools.barcodes(document)) == sorted(
        [f"CODE-39:{order.number}", "CODE-39:3141"]
    )


def test_the_driver_returns_the_cups_job_id(cups, new_pdfs, make_order):
    printer = Printer(name="Queue", driver=Driver.CUPS, cups_queue=cups.queue)
    order = make_order()
    first = drivers.send(render_ticket(order), printer, title=f"order-{order.number}-a")
    printed(cups, new_pdfs, first)
    second = drivers.send(render_ticket(order), printer, title=f"order-{order.number}-b")
    number = int(re.fullmatch(rf"{cups.queue}-(\d+)", first).group(1))
    assert second == f"{cups.queue}-{number + 1}"
    wait_until(lambda: second in cups.completed_jobs(), what=f"CUPS job {second} to complete")


def test_an_unknown_queue_is_a_printer_error_with_the_cups_message(cups):
    printer = Printer(name="Nowhere", driver=Driver.CUPS, cups_queue="no_such_queue")
    with pytest.raises(PrinterError) as raised:
        drivers.send(b"%PDF-1.4\n%%EOF\n", printer, title="t")
    message = str(raised.value)
    assert message.startswith("CUPS refused the job for no_such_queue: ")
    assert message.endswith("lp: Error - The printer or class does not exist.")


def test_an_unreachable_cups_server_is_a_printer_error(monkeypatch, tmp_path):
    """No scheduler at all: a printer error too (lp words it like an unknown queue)."""
    require_tools("lp", install=CUPS_PACKAGES)
    monkeypatch.setenv("CUPS_SERVER", str(tmp_path / "no-cupsd.sock"))
    printer = Printer(name="Gone", driver=Driver.CUPS, cups_queue="anything")
    with pytest.raises(PrinterError, match=r"^CUPS refused the job for anything: .*lp: Error - "):
        drivers.send(b"%PDF-1.4\n%%EOF\n", printer, title="t")

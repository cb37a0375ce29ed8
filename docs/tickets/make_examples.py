"""Render one work ticket per job type (F, U, E, A) into this folder, as PDF and as PNG, so a
reader sees what the lab prints, on each paper size of the lab setting *Ticket paper size*:
Letter (``ticket-F.pdf``...) and A4 (``ticket-F-a4.pdf``...). The orders are made through the
create service, in a throwaway in-memory database, with the demo's prescriptions and addons;
their dates are fixed, so a run renders the same PDFs as the last one unless the ticket changed.

    .venv/bin/python docs/tickets/make_examples.py

Needs pdftoppm (Debian package poppler-utils) for the PNGs.
"""

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
os.environ.update(
    DJANGO_SETTINGS_MODULE="labsite.settings",
    DEBUG="1",
    DATABASE_URL="sqlite://:memory:",
    LOG_LEVEL="WARNING",
)

import django  # noqa: E402 - after the settings are chosen

django.setup()

from django.core.management import call_command  # noqa: E402

from backoffice.management.commands.seed_demo import ADDONS, demo_eyes  # noqa: E402
from orders.models import Addon, Customer, Order  # noqa: E402
from orders.services import NewItem, NewOrder, create_order  # noqa: E402
from orders.status import PaperSize  # noqa: E402
from printing.ticket import render_ticket  # noqa: E402

FRAME = {
    "frame_manufacturer": "RAY",
    "frame_name": "Aviator 3025",
    "frame_color": "Gold",
    "frame_a": Decimal("58.00"),
    "frame_b": Decimal("47.50"),
    "frame_ed": Decimal("60.20"),
    "frame_bridge": 14,
    "frame_status_code": "S",
}
EXAMPLES = [
    # job type, prescription, lens and frame fields, addons, tray
    ("F", "presbyope", FRAME | {"instructions": "Rush: patient travelling on Friday"}, ["AR-SUP"]),
    ("U", "myope", {"crib": Decimal("65.0"), "frame_status_code": "U"}, ["HC"]),
    ("E", "plano", FRAME | {"frame_status_code": "E"}, []),
    ("A", None, {"instructions": "Tint both lenses to match the sample"}, ["TINT-G"]),
]
RECEIVED_AT = datetime(2026, 12, 5, 8, 15, tzinfo=UTC)
PRINTED_AT = datetime(2026, 12, 5, 9, 30, tzinfo=UTC)
# Each paper size and the suffix of its files' names.
PAPER_SIZES = [(PaperSize.LETTER, ""), (PaperSize.A4, "-a4")]
PDFTOPPM = shutil.which("pdftoppm") or "pdftoppm (apt-get install poppler-utils)"


def main() -> None:
    call_command("migrate", verbosity=0)
    Customer.objects.create(number="C1001", name="Brightview Opticians")
    for code, description, flags in ADDONS:
        Addon.objects.create(code=code, description=description, **flags)
    for n, (job_type, prescription, lens_and_frame, addons) in enumerate(EXAMPLES, start=1):
        order = create_order(
            data=NewOrder(
                number=str(20400 + n),
                tray=str(110 + n),
                po_number=f"PO-77{n:02d}",
                customer_number="C1001",
                customer_job_id=f"J-55{n}",
                patient="A. Smith",
                date_ordered=RECEIVED_AT.date(),
                job_type=job_type,
                requires={"requires_final_qa"},
                eyes=demo_eyes(prescription),
                lens_and_frame=lens_and_frame,
                addons=addons,
                items=[NewItem(sku="LENS-R", name="Right lens", endpoints=["SURF", "AR"])],
            ),
            actor=None,
        )
        Order.objects.filter(pk=order.pk).update(received_at=RECEIVED_AT)
        shown = Order.objects.for_display().get(pk=order.pk)
        for paper_size, suffix in PAPER_SIZES:
            pdf = HERE / f"ticket-{job_type}{suffix}.pdf"
            pdf.write_bytes(render_ticket(shown, paper_size=paper_size, printed_at=PRINTED_AT))
            subprocess.run(  # noqa: S603 - poppler's pdftoppm on our own file
                [PDFTOPPM, "-png", "-r", "60", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
                check=True,
            )
            print(f"{pdf.name} and {pdf.with_suffix('.png').name}: order {order.number}")


if __name__ == "__main__":
    main()

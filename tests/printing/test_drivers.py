"""The printer drivers against real folders and real sockets on 127.0.0.1.

No database: a driver only reads its printer's settings, so the printers here are unsaved.
"""

import errno
import os
from pathlib import Path

import pytest

from printing import drivers
from printing.drivers import SocketDriver, SpoolDriver
from printing.errors import PrinterError
from printing.models import Driver, Printer

from .conftest import wait_until

# Enough bytes that they cannot all sit in the loopback socket buffers of a reader that never
# reads (a few MB at most: see tcp_wmem / tcp_rmem), so sendall has to wait for the printer.
LARGER_THAN_SOCKET_BUFFERS = 64 * 1024 * 1024


def document(size: int = 4096) -> bytes:
    body = b"%PDF-1.4\n" + bytes(range(256)) * (size // 256 + 1)
    return body[: size - 6] + b"%%EOF\n"


def spool_printer(folder: Path, **fields) -> Printer:
    return Printer(name="Spool", driver=Driver.SPOOL, folder=str(folder), **fields)


def socket_printer(port: int, *, host: str = "127.0.0.1", **fields) -> Printer:
    return Printer(name="Socket", driver=Driver.SOCKET, host=host, port=port, **fields)


# --- spool ------------------------------------------------------------------------------------


def test_spool_writes_the_document_under_the_title_and_nothing_else(tmp_path):
    folder = tmp_path / "out" / "tickets"  # created when missing
    pdf = document()
    reference = drivers.send(pdf, spool_printer(folder), title="order-20001-job-7")
    final = folder / "order-20001-job-7.pdf"
    assert reference == str(final)
    assert final.read_bytes() == pdf
    assert [p.name for p in folder.iterdir()] == ["order-20001-job-7.pdf"]  # no temp file left


def test_spool_renames_a_complete_temp_file_into_place(tmp_path, monkeypatch):
    """Readers of the folder never see half a ticket: the final name appears by rename only."""
    folder = tmp_path / "spool"
    pdf = document(200_000)
    renames = []
    real_replace = os.replace

    def replace(source, target):
        source, target = Path(source), Path(target)
        assert source.parent == target.parent == folder  # same file system: rename is atomic
        assert source.name.startswith(".")  # hidden from readers that skip dot files
        assert source.read_bytes() == pdf  # complete (and fsynced) before it gets its name
        assert not target.exists()
        renames.append((source, target))
        real_replace(source, target)

    monkeypatch.setattr(drivers.os, "replace", replace)
    drivers.send(pdf, spool_printer(folder), title="order-1-job-2")
    assert [target.name for _, target in renames] == ["order-1-job-2.pdf"]


def test_spool_replaces_an_earlier_copy_of_the_same_job(tmp_path):
    folder = tmp_path / "spool"
    drivers.send(document(1000), spool_printer(folder), title="order-5-job-9")
    drivers.send(document(2000), spool_printer(folder), title="order-5-job-9")
    assert [p.stat().st_size for p in folder.iterdir()] == [2000]


def test_spool_title_cannot_leave_the_folder(tmp_path):
    folder = tmp_path / "spool"
    reference = drivers.send(document(), spool_printer(folder), title="../../etc/order 1/job")
    assert Path(reference).parent == folder
    assert [p.name for p in folder.iterdir()] == [Path(reference).name]


def test_spool_into_an_unwritable_folder_is_a_readable_printer_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")  # blocks even root
    with pytest.raises(PrinterError) as raised:
        drivers.send(document(), spool_printer(blocker / "tickets"), title="order-1-job-1")
    assert str(raised.value) == (
        f"Cannot write to spool folder {blocker / 'tickets'}: Not a directory"
    )


def test_spool_failing_mid_write_leaves_no_file_at_all(tmp_path, monkeypatch):
    folder = tmp_path / "spool"
    folder.mkdir()

    def fsync(_fd):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(drivers.os, "fsync", fsync)
    with pytest.raises(PrinterError, match=r"Cannot write to spool folder .*: Input/output error"):
        drivers.send(document(), spool_printer(folder), title="order-1-job-1")
    assert list(folder.iterdir()) == []


def test_spool_without_a_folder_is_a_printer_error():
    with pytest.raises(PrinterError, match="has no spool folder configured"):
        SpoolDriver().send(document(), Printer(name="Spool", folder=""), title="t")


# --- socket -----------------------------------------------------------------------------------


def test_socket_sends_every_byte_then_closes(tcp_printer):
    printer = tcp_printer()
    pdf = document(300_000)
    reference = drivers.send(pdf, socket_printer(printer.port), title="order-1-job-1")
    assert reference == f"127.0.0.1:{printer.port}"
    received = printer.close()
    assert len(received) == 1
    assert received[0].startswith(b"%PDF-")
    assert received[0] == pdf
    assert printer.connections[0].complete  # the driver closed its side: end of job


def test_socket_sends_one_connection_per_document(tcp_printer):
    printer = tcp_printer()
    pdfs = [document(1000 + n) for n in range(3)]
    for pdf in pdfs:
        drivers.send(pdf, socket_printer(printer.port), title="t")
    assert printer.close() == pdfs


def test_socket_refused_connection_is_a_printer_error(refusing_port):
    with pytest.raises(PrinterError) as raised:
        drivers.send(document(), socket_printer(refusing_port), title="t")
    assert str(raised.value) == f"Printer 127.0.0.1:{refusing_port} refused the connection"


def test_socket_printer_that_stops_reading_times_out(tcp_printer):
    printer = tcp_printer(mode="holding", receive_buffer=4096)
    driver = SocketDriver(connect_timeout=1.0, send_timeout=0.3)
    with pytest.raises(PrinterError) as raised:
        driver.send(bytes(LARGER_THAN_SOCKET_BUFFERS), socket_printer(printer.port), title="t")
    assert str(raised.value) == f"Printer 127.0.0.1:{printer.port} did not answer in time"
    assert len(printer.connections) == 1  # it did connect: the send is what timed out


def test_socket_printer_that_does_not_accept_times_out_connecting(tcp_printer):
    printer = tcp_printer(mode="stalled", backlog=0)
    printer.fill_backlog()  # the kernel now drops new connection attempts
    driver = SocketDriver(connect_timeout=0.3, send_timeout=1.0)
    with pytest.raises(PrinterError) as raised:
        driver.send(document(), socket_printer(printer.port), title="t")
    assert str(raised.value) == f"Printer 127.0.0.1:{printer.port} did not answer in time"
    printer.release()
    wait_until(lambda: printer.connections, what="the printer to accept the queued connection")
    assert printer.close() == []  # the timed-out attempt never got through


def test_socket_unknown_host_is_a_printer_error():
    printer = Printer(name="Gone", driver=Driver.SOCKET, host="printer.invalid", port=9100)
    with pytest.raises(PrinterError, match=r"^Cannot send to printer printer\.invalid:9100: "):
        drivers.send(document(), printer, title="t")


def test_socket_without_a_host_is_a_printer_error():
    with pytest.raises(PrinterError, match="has no host configured"):
        drivers.send(document(), socket_printer(9100, host=""), title="t")


# --- every driver -----------------------------------------------------------------------------


@pytest.mark.parametrize("driver", [Driver.SPOOL, Driver.SOCKET, Driver.CUPS])
def test_a_disabled_printer_is_a_printer_error_and_nothing_is_sent(tmp_path, tcp_printer, driver):
    listener = tcp_printer()
    printer = Printer(
        name="Off",
        driver=driver,
        enabled=False,
        folder=str(tmp_path / "spool"),
        host="127.0.0.1",
        port=listener.port,
        cups_queue="nowhere",
    )
    with pytest.raises(PrinterError) as raised:
        drivers.send(document(), printer, title="t")
    assert str(raised.value) == "Printer Off is disabled"
    assert listener.close() == []
    assert not (tmp_path / "spool").exists()


def test_cups_without_lp_installed_is_a_printer_error(monkeypatch):
    monkeypatch.setattr(drivers.shutil, "which", lambda _name: None)
    printer = Printer(name="Cups", driver=Driver.CUPS, cups_queue="q")
    with pytest.raises(PrinterError, match="'lp' is not installed"):
        drivers.send(document(), printer, title="t")

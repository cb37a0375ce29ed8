"""Printer drivers: one small interface, ``send(document, printer, *, title) -> reference``.

Each raises ``PrinterError`` with a readable message when the printer cannot take the document.
The reference says where the document went (a file name, a CUPS job id, host:port).
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Protocol

from .errors import PrinterError
from .models import Driver, Printer
from .socket_hosts import socket_host_allowed
from .spool import spool_folder_path

CONNECT_TIMEOUT_SECONDS = 5.0
SEND_TIMEOUT_SECONDS = 30.0
LP_TIMEOUT_SECONDS = 30.0


class PrinterDriver(Protocol):
    def send(self, document: bytes, printer: Printer, *, title: str) -> str: ...


def safe_file_part(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "ticket"


class SpoolDriver:
    """Writes the PDF into a folder: temp file, fsync, then rename, so readers never see half.

    A relative folder is taken inside the spool root (``printing.spool``), as the rule that
    admitted it took it.
    """

    def send(self, document: bytes, printer: Printer, *, title: str) -> str:
        folder = spool_folder_path(printer.folder)
        if not printer.folder:
            raise PrinterError(f"Printer {printer.name} has no spool folder configured")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, temp_path = tempfile.mkstemp(dir=folder, prefix=".incoming-", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(document)
                    handle.flush()
                    os.fsync(handle.fileno())
                final = folder / f"{safe_file_part(title)}.pdf"
                os.replace(temp_path, final)
            except BaseException:
                Path(temp_path).unlink(missing_ok=True)
                raise
        except OSError as error:
            raise PrinterError(f"Cannot write to spool folder {folder}: {error.strerror}") from None
        return str(final)


class SocketDriver:
    """Raw TCP (JetDirect, port 9100): connect, send every byte, close."""

    def __init__(self, connect_timeout=CONNECT_TIMEOUT_SECONDS, send_timeout=SEND_TIMEOUT_SECONDS):
        self.connect_timeout = connect_timeout
        self.send_timeout = send_timeout

    def send(self, document: bytes, printer: Printer, *, title: str) -> str:
        address = f"{printer.host}:{printer.port}"
        if not printer.host:
            raise PrinterError(f"Printer {printer.name} has no host configured")
        if not socket_host_allowed(printer.host):
            raise PrinterError(
                f"Printer {printer.name}: its host is not among those PRINT_SOCKET_HOSTS allows"
            )
        try:
            with socket.create_connection(
                (printer.host, printer.port), timeout=self.connect_timeout
            ) as connection:
                connection.settimeout(self.send_timeout)
                connection.sendall(document)
                connection.shutdown(socket.SHUT_WR)
        except TimeoutError:
            raise PrinterError(f"Printer {address} did not answer in time") from None
        except ConnectionRefusedError:
            raise PrinterError(f"Printer {address} refused the connection") from None
        except OSError as error:
            raise PrinterError(
                f"Cannot send to printer {address}: {error.strerror or error}"
            ) from None
        return address


class CupsDriver:
    """Hands the PDF to CUPS with ``lp -d <queue> -t <title>``; returns the CUPS job id.

    ``lp`` finds its server as usual (``CUPS_SERVER``, ``client.conf``, the local socket).
    """

    JOB_ID = re.compile(r"request id is (\S+)")

    def send(self, document: bytes, printer: Printer, *, title: str) -> str:
        lp = shutil.which("lp")
        if lp is None:
            raise PrinterError("CUPS client 'lp' is not installed on this server")
        if not printer.cups_queue:
            raise PrinterError(f"Printer {printer.name} has no CUPS queue configured")
        try:
            result = subprocess.run(  # noqa: S603 - fixed program, arguments not via a shell
                [lp, "-d", printer.cups_queue, "-t", title, "-"],
                input=document,
                capture_output=True,
                timeout=LP_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise PrinterError(
                f"CUPS did not accept the job for {printer.cups_queue} in time"
            ) from None
        if result.returncode != 0:
            message = (
                result.stderr.decode(errors="replace").strip() or f"lp exited {result.returncode}"
            )
            raise PrinterError(f"CUPS refused the job for {printer.cups_queue}: {message}")
        match = self.JOB_ID.search(result.stdout.decode(errors="replace"))
        return match.group(1) if match else result.stdout.decode(errors="replace").strip()


DRIVERS: dict[str, PrinterDriver] = {
    Driver.SPOOL: SpoolDriver(),
    Driver.SOCKET: SocketDriver(),
    Driver.CUPS: CupsDriver(),
}


def send(document: bytes, printer: Printer, *, title: str) -> str:
    if not printer.enabled:
        raise PrinterError(f"Printer {printer.name} is disabled")
    return DRIVERS[printer.driver].send(document, printer, title=title)

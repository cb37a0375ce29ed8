"""Fixtures for the printing tests: the system tools they need, a real TCP "printer", a private
CUPS server, and small factories for printers and print jobs.

System tools (poppler-utils, zbar-tools, cups, printer-driver-cups-pdf) are Debian packages,
not Python ones. Where one is missing, its tests are skipped with a message saying how to
install it, unless ``LABSITE_REQUIRE_SYSTEM_TOOLS=1`` is set (CI sets it): then a missing tool
fails the test, so CI can never pass by silently skipping what it was meant to prove.
"""

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from printing.models import Driver, Printer, PrintJob, WorkstationPort
from printing.services import queue_ticket

REQUIRE_SYSTEM_TOOLS = "LABSITE_REQUIRE_SYSTEM_TOOLS"
PDF_TOOLS_PACKAGES = "poppler-utils zbar-tools"
CUPS_PACKAGES = "cups printer-driver-cups-pdf"
# cupsd and lpadmin live in sbin, which an ordinary user's PATH may not include.
TOOL_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
DEADLINE = 60.0  # seconds; reached only when something is broken
POLL = 0.01


# --- system tools ---------------------------------------------------------------------------


def system_tools_required() -> bool:
    return os.environ.get(REQUIRE_SYSTEM_TOOLS, "") == "1"


def unavailable(reason: str, *, install: str) -> None:
    """Skip the test, saying how to enable it; fail instead where tools are required (CI)."""
    how = f"enable with: apt-get install {install}" if install else ""
    message = "; ".join(part for part in (reason, how) if part)
    if system_tools_required():
        pytest.fail(f"{message} ({REQUIRE_SYSTEM_TOOLS}=1: missing tools fail)", pytrace=False)
    pytest.skip(f"{message} (set {REQUIRE_SYSTEM_TOOLS}=1 to fail instead of skipping)")


def require_tools(*names: str, install: str) -> dict[str, str]:
    """The full paths of the programs ``names``, or skip / fail as ``unavailable`` says."""
    found = {name: shutil.which(name, path=TOOL_PATH) for name in names}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        unavailable(f"needs {', '.join(missing)} (not installed)", install=install)
    return found


def run_tool(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run(  # noqa: S603 - the tests' own tool invocations
        args, capture_output=True, timeout=DEADLINE, check=False, **kwargs
    )
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}: "
        f"{result.stderr.decode(errors='replace')}"
    )
    return result


class PdfTools:
    """Reads a PDF the way a person and a barcode scanner would: poppler and zbar."""

    def __init__(self, paths: dict[str, str], workdir: Path):
        self.paths = paths
        self.workdir = workdir
        self._count = 0

    def _file(self, document: bytes) -> Path:
        self._count += 1
        path = self.workdir / f"document-{self._count}.pdf"
        path.write_bytes(document)
        return path

    def text(self, document: bytes) -> str:
        """The text on the page (``pdftotext -layout``)."""
        source = self._file(document)
        return run_tool([self.paths["pdftotext"], "-layout", str(source), "-"]).stdout.decode()

    def barcodes(self, document: bytes, *, resolution: int = 200) -> list[str]:
        """Every barcode a real decoder finds on the rasterized page, as ``TYPE:value``."""
        source = self._file(document)
        prefix = self.workdir / f"page-{self._count}"
        run_tool([self.paths["pdftoppm"], "-r", str(resolution), "-png", str(source), str(prefix)])
        images = sorted(self.workdir.glob(f"{prefix.name}*.png"))
        assert images, f"pdftoppm wrote no image for {source}"
        # zbarimg exits 4 when it finds no symbol: that is a result here, not an error.
        result = subprocess.run(  # noqa: S603 - zbarimg on our own images
            [self.paths["zbarimg"], "--quiet", *map(str, images)],
            capture_output=True,
            timeout=DEADLINE,
            check=False,
        )
        assert result.returncode in (0, 4), result.stderr.decode(errors="replace")
        return result.stdout.decode().split()


@pytest.fixture
def pdf_tools(tmp_path) -> PdfTools:
    """pdftotext / pdftoppm (poppler-utils) and zbarimg (zbar-tools), or skip / fail."""
    paths = require_tools("pdftotext", "pdftoppm", "zbarimg", install=PDF_TOOLS_PACKAGES)
    workdir = tmp_path / "pdf-tools"
    workdir.mkdir()
    return PdfTools(paths, workdir)


# --- PDF facts that need no tool ------------------------------------------------------------

MEDIA_BOX = re.compile(rb"/MediaBox\s*\[\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s*\]")
TITLE = re.compile(rb"/Title\s*\((.*?)\)")


def media_boxes(document: bytes) -> list[tuple[float, float, float, float]]:
    return [tuple(float(v) for v in match) for match in MEDIA_BOX.findall(document)]


def pdf_title(document: bytes) -> str:
    """The document title from its (uncompressed) info dictionary."""
    match = TITLE.search(document)
    assert match, "the document has no /Title"
    return match.group(1).decode("latin-1")


def is_complete_pdf(document: bytes) -> bool:
    return document.startswith(b"%PDF-") and document.rstrip().endswith(b"%%EOF")


# --- a real TCP printer ---------------------------------------------------------------------


def wait_until(condition, *, what: str, deadline: float = DEADLINE):
    """Poll ``condition`` until it returns something truthy; fail after ``deadline`` seconds."""
    end = time.monotonic() + deadline
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > end:
            pytest.fail(f"timed out after {deadline:.0f}s waiting for {what}", pytrace=False)
        time.sleep(POLL)


@dataclass
class Received:
    data: bytes = b""
    complete: bool = False  # the sender closed its side (EOF) after the last byte


@dataclass
class TcpPrinter:
    """A raw TCP "printer" on 127.0.0.1, served by a thread: like port 9100 of a real one.

    ``reading``: accept connections and read each one until EOF (a working printer).
    ``holding``: accept, then never read (a printer that stopped taking paper).
    ``stalled``: do not accept until ``release()``; with ``backlog=0`` and one connection
    already queued (``fill_backlog()``), the kernel drops further SYNs, so a sender stays
    inside ``connect`` for as long as the test needs: a printer that does not answer.
    """

    mode: str = "reading"
    backlog: int = 16
    receive_buffer: int | None = None
    connections: list[Received] = field(default_factory=list)

    def __post_init__(self):
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if self.receive_buffer:
            # Set before listen() so that accepted sockets inherit it.
            self._server.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.receive_buffer)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(self.backlog)
        self._server.settimeout(POLL * 5)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._accepting = threading.Event()
        if self.mode != "stalled":
            self._accepting.set()
        self._lock = threading.Lock()
        self._held: list[socket.socket] = []
        self._fillers: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []
        self._thread = threading.Thread(target=self._serve, name=f"printer:{self.port}")
        self._thread.start()

    # The thread side.
    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                if not self._accepting.wait(POLL * 5):
                    continue
                try:
                    connection, _ = self._server.accept()
                except TimeoutError:
                    continue
                self._take(connection)
            # Connections still queued in the kernel when the test stops us are served too,
            # so "received nothing more" really means nothing was sent.
            self._server.setblocking(False)
            while True:
                try:
                    connection, _ = self._server.accept()
                except (BlockingIOError, OSError):
                    break
                self._take(connection)
        except BaseException as error:  # reported by close()
            self._errors.append(error)

    def _take(self, connection: socket.socket) -> None:
        received = Received()
        with self._lock:
            self.connections.append(received)
        if self.mode == "holding":
            self._held.append(connection)
            return
        reader = threading.Thread(target=self._read, args=(connection, received), daemon=True)
        self._threads.append(reader)
        reader.start()

    def _read(self, connection: socket.socket, received: Received) -> None:
        connection.settimeout(DEADLINE)
        with connection:
            try:
                while chunk := connection.recv(65536):
                    received.data += chunk
                received.complete = True
            except OSError as error:  # e.g. reset by a sender that was killed
                received.data += f"<{error}>".encode()

    # The test side.
    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port)

    def fill_backlog(self) -> None:
        """Queue a connection of our own that nobody accepts: the accept queue is now full."""
        filler = socket.create_connection(self.address, timeout=DEADLINE)
        self._fillers.append(filler)

    def release(self) -> None:
        """Start accepting (and reading) like a printer that came back."""
        for filler in self._fillers:
            filler.close()
        self._fillers.clear()
        self._accepting.set()

    def documents(self) -> list[bytes]:
        """What each sender sent, for every connection that sent something."""
        with self._lock:
            return [received.data for received in self.connections if received.data]

    def close(self) -> list[bytes]:
        """Stop, after serving and reading to the end whatever was already sent."""
        if not self._stop.is_set():
            self._stop.set()
            self._accepting.set()
            self._thread.join(DEADLINE)
            for reader in self._threads:
                reader.join(DEADLINE)
            for connection in self._held + self._fillers:
                connection.close()
            self._server.close()
        assert not self._errors, self._errors
        return self.documents()


@pytest.fixture
def tcp_printer():
    """``tcp_printer(mode=..., backlog=..., receive_buffer=...)`` -> a running TcpPrinter."""
    started: list[TcpPrinter] = []

    def start(**options) -> TcpPrinter:
        printer = TcpPrinter(**options)
        started.append(printer)
        return printer

    yield start
    for printer in started:
        printer.close()


@pytest.fixture
def refusing_port():
    """A local port where nothing listens: bound (so nobody else takes it), never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as bound:
        bound.bind(("127.0.0.1", 0))
        yield bound.getsockname()[1]


# --- printers and jobs ----------------------------------------------------------------------


@pytest.fixture
def add_printer(db):
    """``add_printer(driver="spool", lpt=1, folder=...)``: a printer on workstation 00's LPTn."""

    def add(name: str = "Ticket printer", *, lpt: int | None = 1, **fields) -> Printer:
        printer = Printer.objects.create(name=name, **fields)
        if lpt is not None:
            WorkstationPort.objects.filter(workstation__code="00", number=lpt).update(
                printer=printer
            )
        return printer

    return add


@pytest.fixture
def spool_root(monkeypatch, tmp_path) -> Path:
    """A spool root of the test's own (``PRINT_SPOOL_ROOT``), resolved as the rule reads it."""
    root = tmp_path / "spool-root"
    root.mkdir()
    monkeypatch.setenv("PRINT_SPOOL_ROOT", str(root))
    return root.resolve()


@pytest.fixture
def spool_printer(add_printer, tmp_path) -> Printer:
    return add_printer("Spool folder", driver=Driver.SPOOL, folder=str(tmp_path / "spool"))


@pytest.fixture
def queue_job():
    """Queue an order's ticket on workstation 00's LPT port, the way the API does."""

    def queue(order, *, lpt: int = 1) -> PrintJob:
        return queue_ticket(order=order, lpt_port=str(lpt), actor=None)

    return queue


# --- a private CUPS server ------------------------------------------------------------------

CUPS_PDF_BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
CUPS_PDF_CONFIG = Path("/etc/cups/cups-pdf.conf")
CUPS_PDF_PPDS = sorted(Path("/usr/share/ppd/cups-pdf").glob("*.ppd"))
CUPS_QUEUE = "labsite_pdf"


@dataclass
class CupsServer:
    server: str  # what CUPS_SERVER / -h take: the private domain socket
    queue: str
    root: Path
    tools: dict[str, str]
    output_folders: list[Path]

    @property
    def error_log(self) -> str:
        path = self.root / "log" / "error_log"
        return path.read_text(errors="replace")[-6000:] if path.exists() else "(no error_log)"

    def pdfs(self) -> set[Path]:
        return {path for folder in self.output_folders for path in folder.glob("*.pdf")}

    def completed_jobs(self) -> str:
        return run_tool(
            [self.tools["lpstat"], "-h", self.server, "-W", "completed", "-o", self.queue]
        ).stdout.decode()


def cups_pdf_output_folders() -> list[Path]:
    """Where the cups-pdf backend writes: its ``Out`` for our user, else its ``AnonDirName``.

    The backend reads only /etc/cups/cups-pdf.conf (or cups-pdf-<instance>.conf beside it),
    not a private copy, so the test reads that file rather than writing a system one.
    """
    values = {"Out": "/var/spool/cups-pdf/${USER}", "AnonDirName": "/var/spool/cups-pdf/ANONYMOUS"}
    if CUPS_PDF_CONFIG.exists():
        for line in CUPS_PDF_CONFIG.read_text(errors="replace").splitlines():
            key, _, value = line.strip().partition(" ")
            if key in values and value.strip():
                values[key] = value.strip()
    user = pwd.getpwuid(os.geteuid())
    out = values["Out"].replace("${HOME}", user.pw_dir).replace("${USER}", user.pw_name)
    return [Path(out), Path(values["AnonDirName"])]


def _die_with_parent() -> None:
    """In the child: receive SIGTERM if the test process dies, so cupsd never outlives it."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


CUPSD_CONF = """\
# A private scheduler for the test suite: its own socket, no browsing, no authentication.
LogLevel debug
Listen {root}/cups.sock
Browsing No
WebInterface No
DefaultAuthType None
<Location />
  Order allow,deny
  Allow all
</Location>
<Policy default>
  <Limit All>
    Order allow,deny
    Allow all
  </Limit>
</Policy>
"""

CUPS_FILES_CONF = """\
ServerRoot {root}
RequestRoot {root}/spool
TempDir {root}/tmp
CacheDir {root}/cache
StateDir {root}/state
ErrorLog {root}/log/error_log
AccessLog {root}/log/access_log
PageLog {root}/log/page_log
ServerBin /usr/lib/cups
DataDir /usr/share/cups
"""


@pytest.fixture(scope="session")
def cups_server():
    """A private ``cupsd -f`` (own config, socket, spool, logs) with a cups-pdf queue."""
    install = CUPS_PACKAGES
    tools = require_tools("cupsd", "lpadmin", "lpinfo", "lpstat", "lp", install=install)
    if not CUPS_PDF_BACKEND.exists():
        unavailable(f"needs the cups-pdf backend ({CUPS_PDF_BACKEND})", install=install)
    if os.geteuid() != 0:
        # CUPS runs a backend that only root may execute (cups-pdf is mode 0700) as root,
        # which a scheduler started by an ordinary user cannot do.
        unavailable("the cups-pdf backend needs a cupsd running as root", install="")

    # Not under pytest's tmp dir: that is private to us (0700), and CUPS filters run as "lp".
    root = Path(tempfile.mkdtemp(prefix="labsite-cupsd-"))
    root.chmod(0o755)
    for name in ("spool", "cache", "state", "log"):
        (root / name).mkdir()
    (root / "tmp").mkdir(mode=0o1777)
    (root / "tmp").chmod(0o1777)
    (root / "cupsd.conf").write_text(CUPSD_CONF.format(root=root))
    (root / "cups-files.conf").write_text(CUPS_FILES_CONF.format(root=root))
    server = str(root / "cups.sock")
    log = (root / "cupsd.out").open("wb")
    process = subprocess.Popen(  # noqa: S603 - fixed program and arguments
        [
            tools["cupsd"],
            "-f",
            "-c",
            str(root / "cupsd.conf"),
            "-s",
            str(root / "cups-files.conf"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,  # only prctl, before exec
    )
    try:

        def running() -> bool:
            if process.poll() is not None:
                pytest.fail(
                    f"cupsd exited {process.returncode}: "
                    f"{(root / 'cupsd.out').read_text(errors='replace')}",
                    pytrace=False,
                )
            result = subprocess.run(  # noqa: S603 - lpstat, asking our own cupsd
                [tools["lpstat"], "-h", server, "-r"], capture_output=True, check=False
            )
            return b"scheduler is running" in result.stdout

        wait_until(running, what="the private cupsd to answer")

        models = run_tool([tools["lpinfo"], "-h", server, "-m"]).stdout.decode().splitlines()
        cups_pdf = [line.split()[0] for line in models if "cups-pdf" in line.lower()]
        cups_pdf.sort(key=lambda model: "noopt" not in model.lower())  # no options: plainest
        if cups_pdf:
            model = ["-m", cups_pdf[0]]
        elif CUPS_PDF_PPDS:
            model = ["-P", str(CUPS_PDF_PPDS[0])]
        else:
            unavailable("no CUPS-PDF model (PPD) found", install=install)
        run_tool(
            [
                tools["lpadmin"],
                "-h",
                server,
                "-p",
                CUPS_QUEUE,
                "-E",
                "-v",
                "cups-pdf:/",
                *model,
                "-D",
                "labsite test queue",
            ]
        )
        status = run_tool([tools["lpstat"], "-h", server, "-p", CUPS_QUEUE]).stdout.decode()
        assert "enabled" in status, status
        yield CupsServer(
            server=server,
            queue=CUPS_QUEUE,
            root=root,
            tools=tools,
            output_folders=cups_pdf_output_folders(),
        )
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=DEADLINE / 2)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=DEADLINE / 2)
        log.close()
        shutil.rmtree(root, ignore_errors=True)

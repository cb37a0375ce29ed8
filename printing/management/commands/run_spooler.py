"""The print spooler: renders work tickets and test pages and sends them to their printers."""

from django.conf import settings

from printing.services import DEFAULT_BATCH_SIZE, MAX_PRINTERS_AT_ONCE, SPOOLER, Spooler
from toolkit.workers import WorkerCommand, non_negative_seconds, positive_int


class Command(WorkerCommand):
    help = (
        "Run the print spooler: heartbeat, then send queued work tickets and test pages, each "
        "printer's on a thread of its own, retrying failures with exponential backoff. "
        "SIGTERM finishes the sends in flight and exits."
    )
    kind = SPOOLER
    default_batch_size = DEFAULT_BATCH_SIZE
    once_help = "Send what is due, then exit."
    spooler: Spooler | None = None

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--max-attempts", type=positive_int, default=settings.PRINT_MAX_ATTEMPTS
        )
        parser.add_argument(
            "--retry-base-seconds",
            type=non_negative_seconds,
            default=settings.PRINT_RETRY_BASE_SECONDS,
        )
        parser.add_argument(
            "--max-printers",
            type=positive_int,
            default=MAX_PRINTERS_AT_ONCE,
            help=f"Printers sent to at the same time (default {MAX_PRINTERS_AT_ONCE}).",
        )

    def handle(self, *args, max_printers, max_attempts, retry_base_seconds, **options):
        self.spooler_options = {
            "max_printers": max_printers,
            "max_attempts": max_attempts,
            "retry_base_seconds": retry_base_seconds,
        }
        try:
            super().handle(*args, **options)
        finally:
            if self.spooler is not None:
                self.spooler.close()

    def work(self, *, worker, batch_size, **options):
        if self.spooler is None:
            self.spooler = Spooler(worker=worker, **self.spooler_options)
        return self.spooler.step(batch_size)

    def pending(self):
        return self.spooler is not None and self.spooler.pending()

    def drain(self):
        return self.spooler.stop() if self.spooler is not None else 0

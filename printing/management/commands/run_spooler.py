"""The print spooler: renders work tickets and sends them to their printers."""

from django.conf import settings

from printing.services import DEFAULT_BATCH_SIZE, SPOOLER, process_jobs
from toolkit.workers import WorkerCommand, non_negative_seconds, positive_int


class Command(WorkerCommand):
    help = (
        "Run the print spooler: heartbeat, then send queued work tickets, retrying failures "
        "with exponential backoff. SIGTERM finishes the current job and exits."
    )
    kind = SPOOLER
    default_batch_size = DEFAULT_BATCH_SIZE
    once_help = "Send what is due, then exit."

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

    def work(self, *, worker, batch_size, max_attempts, retry_base_seconds, **options):
        return process_jobs(
            worker=worker,
            batch_size=batch_size,
            max_attempts=max_attempts,
            retry_base_seconds=retry_base_seconds,
        )

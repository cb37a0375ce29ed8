"""The print spooler: renders work tickets and sends them to their printers."""

from django.conf import settings
from django.core.management.base import BaseCommand

from printing.services import DEFAULT_BATCH_SIZE, SPOOLER, process_jobs
from toolkit.workers import WorkerLoop, non_negative_seconds, positive_int, positive_seconds


class Command(BaseCommand):
    help = (
        "Run the print spooler: heartbeat, then send queued work tickets, retrying failures "
        "with exponential backoff. SIGTERM finishes the current job and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send what is due, then exit.")
        parser.add_argument(
            "--max-attempts", type=positive_int, default=settings.PRINT_MAX_ATTEMPTS
        )
        parser.add_argument(
            "--retry-base-seconds",
            type=non_negative_seconds,
            default=settings.PRINT_RETRY_BASE_SECONDS,
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=DEFAULT_BATCH_SIZE,
            help=f"Jobs claimed per transaction (default {DEFAULT_BATCH_SIZE}).",
        )
        parser.add_argument("--idle-seconds", type=positive_seconds, default=1.0)
        parser.add_argument("--heartbeat-seconds", type=positive_seconds, default=2.0)

    def handle(
        self,
        *args,
        once,
        max_attempts,
        retry_base_seconds,
        batch_size,
        idle_seconds,
        heartbeat_seconds,
        **options,
    ):
        loop = WorkerLoop(
            SPOOLER,
            heartbeat_seconds=heartbeat_seconds,
            idle_seconds=idle_seconds,
            log=lambda line: self.stdout.write(line),
        )
        loop.run(
            lambda: process_jobs(
                worker=loop.worker_id,
                batch_size=batch_size,
                max_attempts=max_attempts,
                retry_base_seconds=retry_base_seconds,
            ),
            once=once,
        )

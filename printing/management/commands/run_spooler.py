"""The print spooler: renders work tickets and sends them to their printers."""

from django.conf import settings
from django.core.management.base import BaseCommand

from labsite.workers import WorkerLoop
from printing.services import SPOOLER, process_jobs


class Command(BaseCommand):
    help = (
        "Run the print spooler: heartbeat, then send queued work tickets, retrying failures "
        "with exponential backoff. SIGTERM finishes the current job and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Send what is due, then exit.")
        parser.add_argument("--max-attempts", type=int, default=settings.PRINT_MAX_ATTEMPTS)
        parser.add_argument(
            "--retry-base-seconds", type=float, default=settings.PRINT_RETRY_BASE_SECONDS
        )
        parser.add_argument(
            "--batch-size", type=int, default=10, help="Jobs claimed per transaction."
        )
        parser.add_argument("--idle-seconds", type=float, default=1.0)
        parser.add_argument("--heartbeat-seconds", type=float, default=2.0)

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

"""Run labsite's processes together: the web server, the Job Tracker, the print spooler and
the webhook worker.

Stops them all when one exits or on Ctrl-C / SIGTERM, and exits with the first failure.
"""

import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server and labsite's background processes until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--bind", default="127.0.0.1:8000")
        parser.add_argument("--workers", type=int, default=2)

    def processes(self, bind: str, workers: int) -> dict[str, list[str]]:
        python = sys.executable
        return {
            "web": [
                python,
                "-m",
                "gunicorn",
                "--config",
                "python:labsite.gunicorn_conf",
                "labsite.wsgi",
                "--bind",
                bind,
                "--workers",
                str(workers),
            ],
            "tracker": [python, "manage.py", "run_tracker"],
            "spooler": [python, "manage.py", "run_spooler"],
            "webhooks": [python, "manage.py", "run_webhooks"],
        }

    def handle(self, *args, bind: str, workers: int, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        # Handlers first: a signal during start-up must still stop the children.
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        children = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR)  # noqa: S603
            for name, command in self.processes(bind, workers).items()
        }
        self.stdout.write(f"labsite is running at http://{bind}/ (Ctrl-C stops it)")
        exit_code = 0
        try:
            while not stopping:
                for name, child in children.items():
                    code = child.poll()
                    if code is not None:
                        self.stderr.write(f"{name} exited with code {code}; stopping labsite")
                        exit_code = code or 1
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            for child in children.values():
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        sys.exit(exit_code)

"""The lab-day replay's smoke variant (``bench/lab_day.py --smoke``), on PostgreSQL.

A couple of hundred jobs go through the whole product as the production recipe runs it
(gunicorn web workers, two trackers, two spoolers, the webhook worker, three signed receivers):
creates with a prescription, trays, tickets, picks, check-ins over both interfaces, holds,
cancels, item cancels, completions, status polls, NData queries, dashboards and displays. The
replay then checks the database and the receivers against every answer the server gave.

This is about correctness, not speed: the run fails on any failed request, any crashed
process or any discrepancy (a job not in the state its script ends in, a completion or a print
missing or doubled, history missing, an event not received with a valid signature). Latency
limits are reported by the script but not asserted here.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres


def test_a_short_lab_day_loses_and_doubles_nothing():
    environment = {**os.environ, "PYTHONUNBUFFERED": "1"}  # DATABASE_URL names the server
    run = subprocess.run(
        [sys.executable, "bench/lab_day.py", "--smoke"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-6000:]
    assert "Database and receivers checked: no discrepancy." in report, report[-6000:]
    assert "| create | 200 | 0 |" in report, report[-6000:]  # every job created, none refused

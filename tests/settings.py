"""Settings for the test suite: the real settings, with the development defaults switched on
unless the environment says otherwise (CI sets DATABASE_URL to run on PostgreSQL)."""

import os

os.environ.setdefault("DEBUG", "1")

from labsite.settings import *  # noqa: F403
from labsite.settings import DATABASES

# Concurrency tests run up to a few dozen threads, each on its own connection from the pool.
if "pool" in DATABASES["default"].get("OPTIONS", {}):
    DATABASES["default"]["OPTIONS"]["pool"]["max_size"] = 50

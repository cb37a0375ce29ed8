"""Settings for the test suite: the real settings, with the development defaults switched on
unless the environment says otherwise (CI sets DATABASE_URL to run on PostgreSQL)."""

import os

os.environ.setdefault("DEBUG", "1")

from labsite.settings import *  # noqa: F403

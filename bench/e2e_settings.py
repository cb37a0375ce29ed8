"""Settings of the server bench/e2e_bench.py starts: labsite's own, plus the floor endpoint.

Everything comes from ``labsite.settings`` (so from the same environment variables as a
deployment); only the root URLconf differs, adding ``floor/orders/<number>`` (bench/e2e_urls.py).
"""

from labsite.settings import *  # noqa: F403

ROOT_URLCONF = "bench.e2e_urls"

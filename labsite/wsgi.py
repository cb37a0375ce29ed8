"""WSGI entry point (gunicorn labsite.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from toolkit.wsgi import (
    client_timeout_seconds,
    setting_aside_unusable_charsets,
    timing_out_stalled_clients,
)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labsite.settings")

application = timing_out_stalled_clients(
    setting_aside_unusable_charsets(get_wsgi_application()), client_timeout_seconds()
)

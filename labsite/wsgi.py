"""WSGI entry point (gunicorn labsite.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from toolkit.wsgi import setting_aside_unusable_charsets

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "labsite.settings")

application = setting_aside_unusable_charsets(get_wsgi_application())

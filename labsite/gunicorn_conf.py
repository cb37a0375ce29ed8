"""How labsite's web server runs in production and under ``runlab``:
``gunicorn -c python:labsite.gunicorn_conf labsite.wsgi``.

The access log goes to standard output, its secrets redacted (``toolkit.access_log``).
"""

accesslog = "-"
logger_class = "toolkit.access_log.RedactingLogger"
graceful_timeout = 10

"""How labsite's web server runs in production and under ``runlab``:
``gunicorn -c python:labsite.gunicorn_conf labsite.wsgi``.

Workers are gevent workers: each serves many connections at once, so clients that are slow to
send (or that stall on purpose) hold a cheap greenlet, not a whole worker, and the other
requests go on being answered. A client that stops sending is cut after
``CLIENT_TIMEOUT_SECONDS`` (10 by default) — while gunicorn waits for its headers (the
keep-alive timeout below) and while Django reads its body (``toolkit.wsgi``); a body that never
arrives in full is a 400, not a 500. On PostgreSQL, each worker's greenlets share a pool of
``DB_POOL_SIZE`` database connections (``labsite.settings``).

The access log goes to standard output, its secrets redacted (``toolkit.access_log``).
"""

import os

from toolkit.wsgi import client_timeout_seconds

worker_class = "gevent"
# Connections one worker serves at once (open sockets, not database connections).
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "1000"))
keepalive = client_timeout_seconds()
graceful_timeout = 10

accesslog = "-"
logger_class = "toolkit.access_log.RedactingLogger"

"""Deployment settings for labsite, read from the environment.

Only deployment concerns live here (database, secret key, hosts, debug). Settings that lab
supervisors change at runtime live in the ``orders.LabSettings`` row instead.
"""

import os
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    value = value.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# Where the embedded database and other runtime files live (git-ignored).
DATA_DIR = Path(os.environ.get("LABSITE_DATA_DIR", BASE_DIR / "data"))

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY in the environment, or DEBUG=1 for a "
            "development-only default."
        )
    SECRET_KEY = "development-only-insecure-key-never-use-in-production"  # noqa: S105
# Former keys, while what they signed or sealed is still in use (sessions, webhook secrets).
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    # From the bottom layer up (docs/architecture.md): a lower app never imports a higher one.
    "toolkit",
    "accounts",
    "orders",
    "tracker",
    "printing",
    "webhooks",
    "backoffice",
    "workstations",
    "labsite",
]

MIDDLEWARE = [
    "toolkit.middleware.RequestIdMiddleware",
    "toolkit.middleware.UnreadableRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "toolkit.middleware.ApiErrorMiddleware",
    # Last, as django-axes asks: it turns a lockout into the login face's answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "labsite.urls"
WSGI_APPLICATION = "labsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Default: an embedded SQLite file under DATA_DIR, in WAL mode with a busy timeout and
# BEGIN IMMEDIATE transactions, so concurrent writers queue instead of failing.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL)
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "labsite.sqlite3")}
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["OPTIONS"] = {**SQLITE_OPTIONS, **_db.get("OPTIONS", {})}
    _db["CONN_MAX_AGE"] = 0
# PostgreSQL: parameters are bound on the server, so a statement a connection runs again and
# again (every request runs the same few) is prepared and planned once (psycopg's
# prepare_threshold), instead of parsed and planned on every request. Turn this off behind a
# connection pooler in transaction mode (PgBouncer before 1.21).
if env_bool("DB_PREPARE_STATEMENTS", True) and _db["ENGINE"].startswith(
    "django.db.backends.postgresql"
):
    _options = _db.setdefault("OPTIONS", {})
    _options.setdefault("server_side_binding", True)
    _options.setdefault("prepare_threshold", 5)
# PostgreSQL: a web worker serves many requests at once (gevent, labsite.gunicorn_conf), each on
# its own database connection; they share a pool of at most DB_POOL_SIZE connections per
# process, and a request waits at most DB_POOL_TIMEOUT_SECONDS for one. Connections are
# returned to the pool at the end of each request (CONN_MAX_AGE 0, as pooling asks).
if _db["ENGINE"].startswith("django.db.backends.postgresql"):
    _db["CONN_MAX_AGE"] = 0
    _db.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DB_POOL_SIZE", "10")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT_SECONDS", "10")),
    }
DATABASES = {"default": _db}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Security (production values unless DEBUG) ----------------------------------------------
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# No page may be framed; a view that must be (a ticket preview) opts in with
# @xframe_options_sameorigin.
X_FRAME_OPTIONS = "DENY"
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.rights.HasRequiredRights"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["toolkit.api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "UNICODE_JSON": True,
    # Every API answers JSON; ``?format=`` is not a switch (to the Orders API it is an unknown
    # member like any other).
    "URL_FORMAT_OVERRIDE": None,
}

SPECTACULAR_SETTINGS = {
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "toolkit.api.schema.document_server_limits",
        "toolkit.api.schema.numbers_as_json_numbers",
    ],
    "TITLE": "labsite API",
    "DESCRIPTION": (
        "Order back office of a production lab, three API faces on the same orders:\n\n"
        "- **Lab API v2** (`/api/v2/...`, `/api/jt/checkin`): every error is "
        '`{"error": "<summary>", "details": ["..."]}` (`V2Error`).\n'
        "- **Orders API** (`/orders...`, `/api/auth`): every error is an RFC 7807 problem, "
        "`application/problem+json` (`Problem`).\n"
        "- **Item cancel** (`PUT /api/orderCancel`): every answer is the `HadError` envelope "
        "(`ItemCancelAnswer`).\n\n"
        "Besides the statuses each operation lists, any of them may answer 405, 406, 415 (item "
        "cancel: 400) or 500, in its face's error shape (never an HTML page), and an unknown "
        "path under a face's prefix answers 404 in that shape."
    ),
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema (/api/schema/) and Swagger UI (/api/docs/) are served to anyone: they describe
    # contracts already handed to client vendors and hold no data; every endpoint they describe
    # still needs a key. A stray Authorization header must not turn them into a 401.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from the drf-spectacular-sidecar package's static files: no CDN, works offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Two choice sets share the field name `status`: the v2 state (U, V, P, C, W) and the
    # processing status of the Orders API (New, InProgress, Done, Cancelled).
    "ENUM_NAME_OVERRIDES": {
        "LabOrderStatusEnum": "orders.api.payloads.V2_STATUS_CHOICES",
        "ProcessingStatusEnum": "orders.status.ProcessingStatus.values",
    },
    "TAGS": [
        {"name": "Lab API v2: orders", "description": "Fetch, create, cancel, hold, release."},
        {
            "name": "Lab API v2: job tracking",
            "description": "Stations (changing them is our extension), check-in, completion.",
        },
        {
            "name": "Lab API v2: printing",
            "description": "Work tickets; printers and workstations (our extension).",
        },
        {
            "name": "Lab API v2: configuration",
            "description": "Reason codes, lab settings (our extension).",
        },
        {"name": "Orders API", "description": "NData queries, processing, statuses, cancel."},
        {"name": "Orders API: login", "description": "Expiring tokens for Orders API clients."},
        {"name": "Item cancel", "description": "Cancel items of a pre-production order."},
    ],
    # The schema is checked by `manage.py spectacular --validate --fail-on-warn` and by
    # tests/openapi, not by every `check --deploy` on a production host.
    "ENABLE_DJANGO_DEPLOY_CHECK": False,
}

# How long an API key's last-used time may lag behind, to keep reads free of writes.
API_KEY_LAST_USED_RESOLUTION_SECONDS = 60

# Logins (POST /api/auth): how long a token and its refresh token last.
LOGIN_TOKEN_SECONDS = int(os.environ.get("LOGIN_TOKEN_SECONDS", str(8 * 3600)))
LOGIN_REFRESH_SECONDS = int(os.environ.get("LOGIN_REFRESH_SECONDS", str(7 * 24 * 3600)))

# --- Login lockout (django-axes), one for every login: admin, /ws/login/ and POST /api/auth --
# Keyed on user name *and* client address: failures from one address lock that user name from
# that address only, so nobody can lock a user out from everywhere (accounts/lockout.py).
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out login before any password is checked. The standalone one
    # only checks; the rights stay ModelBackend's alone (accounts.rights.holds_right).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "accounts.lockout.AtomicDatabaseHandler"
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(seconds=int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900")))
# A refused attempt while locked does not prolong the lock: Retry-After stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.lockout.client_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# The client's address: REMOTE_ADDR, unless labsite runs behind this many reverse proxies that
# each append the address they saw to X-Forwarded-For (then that header's entry from the
# right). 0: X-Forwarded-For is ignored, as a client can write anything in it.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip_address"
# The lockout says what it does in the README; its start-up banner would open every command.
AXES_VERBOSE = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "toolkit.request_id.RequestIdLogFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [req %(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request errors are logged by the API error renderers with their reference.
        "django.request": {"level": "ERROR", "handlers": ["console"], "propagate": False},
        # The webhook worker's client: a line per POST is the attempts table's job.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# --- Print spooler ----------------------------------------------------------------------------
PRINT_MAX_ATTEMPTS = int(os.environ.get("PRINT_MAX_ATTEMPTS", "5"))
PRINT_RETRY_BASE_SECONDS = float(os.environ.get("PRINT_RETRY_BASE_SECONDS", "5"))
# A spooler whose heartbeat (every 2 s) is older than this is taken for dead: the jobs it left
# in "sending" are claimed again by another spooler, within this window and one poll.
PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS = float(
    os.environ.get("PRINT_SPOOLER_HEARTBEAT_WINDOW_SECONDS", "10")
)

# --- Webhooks ---------------------------------------------------------------------------------
# A webhook worker whose heartbeat (every 2 s) is older than this is taken for dead: the
# deliveries it left in "sending" are claimed again by another worker. Which hosts may receive
# webhooks over http:// or on a private address: WEBHOOK_ALLOWED_HOSTS, read where it is used
# (webhooks/destinations.py).
WEBHOOK_HEARTBEAT_WINDOW_SECONDS = float(os.environ.get("WEBHOOK_HEARTBEAT_WINDOW_SECONDS", "10"))

"""Settings, all read from the environment.

With nothing set, Voltstack runs on embedded defaults: SQLite under ./var and
the embedded Redis that `make run` (and `make test`) start on 127.0.0.1:6399.
Production sets DATABASE_URL and REDIS_URL; the code paths are the same.
"""

import ipaddress
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from csms import secrets

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VOLTSTACK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


# No default in the code: the environment's, else this install's own random one (csms/secrets.py).
SECRET_KEY = secrets.setting("SECRET_KEY", VAR_DIR)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "*").split(",")
# Where `make run` serves (HOST, PORT): the default of the addresses we tell others (OCPI partners, alert e-mails).
_SERVED_HOST = os.environ.get("HOST", "127.0.0.1")
SITE_URL = f"http://{'127.0.0.1' if _SERVED_HOST == '0.0.0.0' else _SERVED_HOST}:{os.environ.get('PORT', '8000')}"
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
# Our reverse proxies (IPs or CIDRs): only their X-Forwarded-For is believed (csms/api/throttling.py).
# A typo fails at start-up rather than trusting nobody (or everybody) silently.
TRUSTED_PROXIES = [
    ipaddress.ip_network(proxy.strip(), strict=False)
    for proxy in os.environ.get("TRUSTED_PROXIES", "").split(",")
    if proxy.strip()
]

INSTALLED_APPS = [
    "csms.apps.AdminConfig",  # django.contrib.admin without django-leaflet's admin (it needs GDAL)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "channels",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    # Leaflet's own files and its template tags, for the dashboard's map (not leaflet.admin: no GDAL here).
    "leaflet",
    "csms",
    "csms.ocpp",
    "stations",
    "sessions.apps.ChargingConfig",
    "billing",
    "smartcharging",
    "roaming",
    "accounts",
    "alerts",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out admin login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "csms.urls"
ASGI_APPLICATION = "csms.asgi.application"

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

# --- Database -----------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'voltstack.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
# PostgreSQL takes writes from many connections at once: OCPP handlers then run
# their database work on a pool of threads instead of one (see csms/db.py).
DATABASE_CONCURRENT_WRITES = DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several processes (ASGI server, Celery worker, beat) share the file:
    # WAL lets readers run beside the writer, IMMEDIATE avoids lock upgrades.
    # Connections are kept (DB_CONN_MAX_AGE) as on PostgreSQL: closing the last one checkpoints
    # the WAL, and doing that after every call made the OCPP lane 5x slower in a reconnect storm.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not :memory:, so an end-to-end test's server process sees it too.
    # Per process, so two test runs on one machine never share (and delete) it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, Celery broker ----------------------------------------
EMBEDDED_REDIS_PORT = env_int("EMBEDDED_REDIS_PORT", 6399)
REDIS_URL = os.environ.get("REDIS_URL", f"redis://127.0.0.1:{EMBEDDED_REDIS_PORT}/0")

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [REDIS_URL],
            "prefix": os.environ.get("CHANNEL_LAYER_PREFIX", "voltstack"),
            "capacity": 1000,
            "expiry": 30,
        },
    }
}

# Throttle counters live here, so every ASGI process counts the same requests.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": os.environ.get("CHANNEL_LAYER_PREFIX", "voltstack"),
    }
}

CELERY_BROKER_URL = REDIS_URL
# A run's own queue name lets two runs (two test sessions) share one Redis.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_QUEUE", "voltstack")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "invoice-monthly-accounts": {  # last month's invoices for accounts billed by invoice (month in the issuer's zone)
        "task": "billing.tasks.invoice_monthly_accounts",
        "schedule": crontab(minute=30, hour=3, day_of_month=1),
    },
    "mark-silent-stations-offline": {
        "task": "stations.tasks.mark_silent_stations_offline",
        "schedule": 60.0,
    },
    "purge-ocpp-message-log": {
        "task": "csms.ocpp.tasks.purge_message_log",
        "schedule": 3600.0,
    },
    "end-stale-transactions": {  # transactions nothing was heard of for OCPP_TRANSACTION_STALE_AFTER
        "task": "sessions.tasks.end_stale_transactions",
        "schedule": 600.0,
    },
}
# A stopped session not sealed, settled and invoiced this many seconds after its stop (the chain could
# not be sent, or gave up) is billed again by a beat sweep; every step is idempotent by transaction.
BILLING_RESUME_AFTER = env_int("BILLING_RESUME_AFTER", 600)
CELERY_BEAT_SCHEDULE["resume-unfinished-billing"] = {
    "task": "billing.tasks.resume_unfinished_billing",
    "schedule": float(max(BILLING_RESUME_AFTER // 2, 60)),
}
# A running session's cost priced longer ago than this is priced again (time and parking move it while
# the charger sends no readings); one beat task over the running sessions, debounced per transaction.
BILLING_REPRICE_AFTER = env_int("BILLING_REPRICE_AFTER", 10)
CELERY_BEAT_SCHEDULE["reprice-running-sessions"] = {
    "task": "billing.tasks.reprice_running_sessions",
    "schedule": float(BILLING_REPRICE_AFTER),
}

# --- Alerts (issue 11, the alerts inbox): thresholds of alerts/rules.py, evaluated by beat and on events ---
ALERTS_OFFLINE_MINUTES = env_int("ALERTS_OFFLINE_MINUTES", 10)  # a station disconnected longer than this
ALERTS_START_FAILURE_WINDOW_MINUTES = env_int("ALERTS_START_FAILURE_WINDOW_MINUTES", 60)
ALERTS_START_FAILURE_PERCENT = env_int("ALERTS_START_FAILURE_PERCENT", 50)  # of remote starts, above this
ALERTS_START_FAILURE_MIN_COUNT = env_int("ALERTS_START_FAILURE_MIN_COUNT", 3)  # starts in the window, at least
ALERTS_NO_CONSUMPTION_MINUTES = env_int("ALERTS_NO_CONSUMPTION_MINUTES", 15)  # Charging, energy not rising
ALERTS_NO_READING_MINUTES = env_int("ALERTS_NO_READING_MINUTES", 15)  # a running transaction without a reading
ALERTS_CLOCK_SKEW_SECONDS = env_int("ALERTS_CLOCK_SKEW_SECONDS", 300)
ALERTS_REFUSED_CONNECTIONS_PER_HOUR = env_int("ALERTS_REFUSED_CONNECTIONS_PER_HOUR", 5)  # per charge point id
# A condition an operator resolved by hand while it still held opens a new alert only once it cleared,
# or after this many hours if it never does.
ALERTS_REOPEN_AFTER_HOURS = env_int("ALERTS_REOPEN_AFTER_HOURS", 24)
ALERTS_EMAIL_TO = [a.strip() for a in os.environ.get("ALERTS_EMAIL_TO", "").split(",") if a.strip()]  # empty: off
ALERTS_BASE_URL = os.environ.get("ALERTS_BASE_URL", SITE_URL)  # for the link in the e-mail
CELERY_BEAT_SCHEDULE["evaluate-alerts"] = {"task": "alerts.tasks.evaluate_all", "schedule": 60.0}

# --- Dashboard figures (overview and analytics; issue 11) ---------------------------
# CO2 avoided per kWh charged, kg. Default 0.4, a conservative net figure: a petrol car's ~0.16 kg CO2/km
# (tank-to-wheel) at an EV's ~0.18 kWh/km is ~0.9 kg per kWh, less a grid mix of ~0.3-0.5 kg/kWh
# (EEA figures for the EU). Set your grid's own.
DASHBOARD_CO2_KG_PER_KWH = float(os.environ.get("DASHBOARD_CO2_KG_PER_KWH", "0.4"))
# Today's and yesterday's day rollups are recomputed this often (seconds) by beat.
DASHBOARD_ROLLUP_INTERVAL = env_int("DASHBOARD_ROLLUP_INTERVAL", 60)
CELERY_BEAT_SCHEDULE["dashboard-recent-rollups"] = {
    "task": "dashboard.tasks.refresh_recent_rollups",
    "schedule": float(DASHBOARD_ROLLUP_INTERVAL),
}

# --- Auth, i18n, static ----------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The admin's login is locked for a while after repeated failures from one address for one username
# (django-axes). The drivers' sign-in is left to the API's per-address throttle (JSON errors, no HTML page).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_ONLY_ADMIN_SITE = True
AXES_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "csms.api.throttling.request_client_address"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "stations.hashers.StationPasswordHasher",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")  # the network's clock: its days, its hours, its alerts
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The ASGI app serves static files itself unless a CDN/reverse proxy does it.
SERVE_STATIC = env_bool("SERVE_STATIC", True)

# --- The drivers' API --------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["csms.api.permissions.IsDriver"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "csms.api.pagination.Page",
    "DEFAULT_SCHEMA_CLASS": "csms.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "csms.api.errors.exception_handler",
    "DEFAULT_THROTTLE_RATES": {
        "auth": os.environ.get("API_THROTTLE_AUTH", "20/min"),
        "session_start": os.environ.get("API_THROTTLE_SESSION_START", "10/min"),
    },
}
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 30)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Voltstack drivers' API",
    "DESCRIPTION": (
        "Find a charger, start and stop charging, watch a session live, read the history.\n\n"
        "Authenticate with `Authorization: Bearer <access token>` from `POST /api/v1/auth/token`. "
        'Every error is JSON: `{"code": "...", "message": "...", "fields": {...}}`; '
        "`code` is stable and machine-readable, `fields` names each invalid field.\n\n"
        "Live updates: WebSocket `/ws/v1/sessions/{id}` and `/ws/v1/stations`, authenticated by the same "
        "access token (`Authorization` header, or `?token=` where a client cannot set headers)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
}
# --- Payments (Stripe) ------------------------------------------------------------------
STRIPE_API_KEY = os.environ.get("STRIPE_API_KEY", "sk_test_voltstack")
# Tests point this at a local fake Stripe (localstripe); nothing else changes.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
PAYMENT_PREAUTH_AMOUNT = os.environ.get("PAYMENT_PREAUTH_AMOUNT", "50.00")
# The signing secret of the webhook endpoint (/stripe/webhook) as Stripe's dashboard shows it.
STRIPE_WEBHOOK_SECRET = secrets.setting("STRIPE_WEBHOOK_SECRET", VAR_DIR)

# Invoices: PDFs on disk, e-mailed through Django's mail backend (printed to the console by default).
INVOICE_STORAGE_DIR = Path(os.environ.get("INVOICE_STORAGE_DIR", VAR_DIR / "invoices"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "invoices@voltstack.local")
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")

# A remote start the charger has not turned into a transaction by then has failed.
SESSION_START_TIMEOUT = env_int("SESSION_START_TIMEOUT", 120)


# --- OCPP central system -------------------------------------------------------------
OCPP_HEARTBEAT_INTERVAL = env_int("OCPP_HEARTBEAT_INTERVAL", 300)
OCPP_PENDING_RETRY_INTERVAL = env_int("OCPP_PENDING_RETRY_INTERVAL", 60)
OCPP_MAX_FRAME_BYTES = env_int("OCPP_MAX_FRAME_BYTES", 256 * 1024)
OCPP_MESSAGE_LOG_RETENTION_DAYS = env_int("OCPP_MESSAGE_LOG_RETENTION_DAYS", 30)
OCPP_CALL_TIMEOUT = env_int("OCPP_CALL_TIMEOUT", 30)
# A station silent for this many heartbeat intervals is marked offline by the sweep.
OCPP_OFFLINE_AFTER_HEARTBEATS = env_int("OCPP_OFFLINE_AFTER_HEARTBEATS", 3)
# Seconds a server process's liveness key lives unrefreshed: once a process holding
# sockets dies, its stations are offline for starts and commands this much later,
# and the sweep below records them offline.
OCPP_PROCESS_TTL = env_int("OCPP_PROCESS_TTL", 10)
CELERY_BEAT_SCHEDULE["clear-dead-connections"] = {
    "task": "stations.tasks.clear_dead_connections",
    "schedule": float(OCPP_PROCESS_TTL),
}
# A charger's clock is trusted within this many seconds ahead of ours (NTP-synced chargers are within a
# second, an unsynced real-time clock drifts well under a minute a month). A report dated further ahead,
# or from an unset clock (before OCPP-J existed), is ordered by its arrival; the skew is recorded.
OCPP_CLOCK_SKEW_TOLERANCE = env_int("OCPP_CLOCK_SKEW_TOLERANCE", 300)
# A station may declare at most this many EVSEs itself (1.6 NumberOfConnectors, its 2.0.1 device model);
# the operator's own EVSE rows are not capped.
OCPP_MAX_DECLARED_EVSES = env_int("OCPP_MAX_DECLARED_EVSES", 64)
# An active transaction with no reading or message for this many seconds is ended from its
# last reading (the charger lost it: a crash, a replaced unit); see sessions.closing.
OCPP_TRANSACTION_STALE_AFTER = env_int("OCPP_TRANSACTION_STALE_AFTER", 24 * 3600)
# Guessing station passwords: refused handshakes within a window, counted in the cache (shared by
# every process); past a limit every handshake of that station id, or from that address, gets 429.
OCPP_HANDSHAKE_FAILURE_WINDOW = env_int("OCPP_HANDSHAKE_FAILURE_WINDOW", 300)
OCPP_HANDSHAKE_FAILURES_PER_STATION = env_int("OCPP_HANDSHAKE_FAILURES_PER_STATION", 10)
OCPP_HANDSHAKE_FAILURES_PER_ADDRESS = env_int("OCPP_HANDSHAKE_FAILURES_PER_ADDRESS", 50)

# --- OCPI 2.2.1 (roaming/, issue 12) ----------------------------------------------------------
# The URL partners reach us at (our versions and module URLs are built on it), and our party.
OCPI_BASE_URL = os.environ.get("OCPI_BASE_URL", SITE_URL).rstrip("/")
OCPI_COUNTRY_CODE = os.environ.get("OCPI_COUNTRY_CODE", "DE")
OCPI_PARTY_ID = os.environ.get("OCPI_PARTY_ID", "VST")
OCPI_BUSINESS_NAME = os.environ.get("OCPI_BUSINESS_NAME", "Voltstack")
# The most objects one page of a sender's list holds, whatever `limit` a partner asks for (told in X-Limit).
OCPI_PAGE_LIMIT = env_int("OCPI_PAGE_LIMIT", 100)
OCPI_HTTP_TIMEOUT = float(os.environ.get("OCPI_HTTP_TIMEOUT", "10"))  # seconds, each call to a partner
# The request log (every OCPI request in and out), kept like the OCPP message log.
OCPI_REQUEST_LOG_RETENTION_DAYS = env_int("OCPI_REQUEST_LOG_RETENTION_DAYS", 30)
OCPI_REQUEST_LOG_BODY_MAX_CHARS = env_int("OCPI_REQUEST_LOG_BODY_MAX_CHARS", 16 * 1024)
CELERY_BEAT_SCHEDULE["purge-ocpi-request-log"] = {"task": "roaming.tasks.purge_request_log", "schedule": 3600.0}
# The push queue (roaming.services.push): a failed push is tried again after OCPI_PUSH_RETRY_BASE seconds,
# doubling, at most OCPI_PUSH_RETRY_MAX apart, and given up after OCPI_PUSH_MAX_ATTEMPTS (the defaults
# keep trying for about 4 hours); the beat looks for due pushes every OCPI_PUSH_SWEEP_INTERVAL seconds.
OCPI_PUSH_RETRY_BASE = env_int("OCPI_PUSH_RETRY_BASE", 5)
OCPI_PUSH_RETRY_MAX = env_int("OCPI_PUSH_RETRY_MAX", 600)
OCPI_PUSH_MAX_ATTEMPTS = env_int("OCPI_PUSH_MAX_ATTEMPTS", 30)
OCPI_PUSH_SWEEP_INTERVAL = env_int("OCPI_PUSH_SWEEP_INTERVAL", 15)
# A running session is PUT to its token's issuer at most once per OCPI_SESSION_PUSH_INTERVAL seconds (its
# start and its stop at once).
OCPI_SESSION_PUSH_INTERVAL = env_int("OCPI_SESSION_PUSH_INTERVAL", 30)
CELERY_BEAT_SCHEDULE["retry-ocpi-pushes"] = {
    "task": "roaming.tasks.retry_due_pushes",
    "schedule": float(OCPI_PUSH_SWEEP_INTERVAL),
}
# Commands' and charging profiles' results a partner could not take are POSTed again with the same backoff.
CELERY_BEAT_SCHEDULE["retry-ocpi-command-results"] = {
    "task": "roaming.tasks.retry_due_results",
    "schedule": float(OCPI_PUSH_SWEEP_INTERVAL),
}
# Real-time authorization (roaming.services.realtime_authorization): each eMSP asked about a token has
# OCPI_AUTHORIZE_TIMEOUT seconds to answer (a charger waits for it); its answer stands for
# OCPI_AUTHORIZE_CACHE_SECONDS, so a charger's Authorize and the StartTransaction after it ask once.
OCPI_AUTHORIZE_TIMEOUT = float(os.environ.get("OCPI_AUTHORIZE_TIMEOUT", "2"))
OCPI_AUTHORIZE_CACHE_SECONDS = env_int("OCPI_AUTHORIZE_CACHE_SECONDS", 300)
CELERY_BEAT_SCHEDULE["purge-ocpi-realtime-authorizations"] = {
    "task": "roaming.tasks.purge_realtime_authorizations",
    "schedule": 3600.0,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "ocpp": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # each failed login at INFO; lock-outs stay visible
        # uvicorn's line per connection and request; refused handshakes get our own line (csms.ocpp).
        "uvicorn.error": {"level": "WARNING"},
        "uvicorn.access": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}

# --- Dashboard: the live map (issue 11, "map" part) -------------------------------------------------
# django-leaflet draws the map from LEAFLET_CONFIG. The tile URL is the operator's: OpenStreetMap by
# default (mind its tile usage policy in production); an empty DASHBOARD_MAP_TILES_URL draws no tiles
# (markers only, as offline tests and air-gapped sites need). With no located station to fit, the map
# opens on DASHBOARD_MAP_CENTER ("lat,lon") at DASHBOARD_MAP_ZOOM.
DASHBOARD_MAP_TILES_URL = os.environ.get("DASHBOARD_MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
DASHBOARD_MAP_TILES_ATTRIBUTION = os.environ.get(
    "DASHBOARD_MAP_TILES_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)
LEAFLET_CONFIG = {
    "TILES": [("Map", DASHBOARD_MAP_TILES_URL, {"attribution": DASHBOARD_MAP_TILES_ATTRIBUTION, "maxZoom": 19})]
    if DASHBOARD_MAP_TILES_URL
    else [],
    "DEFAULT_CENTER": tuple(float(part) for part in os.environ.get("DASHBOARD_MAP_CENTER", "51.16,10.45").split(",")),
    "DEFAULT_ZOOM": env_int("DASHBOARD_MAP_ZOOM", 6),
    "MIN_ZOOM": 2,
    "MAX_ZOOM": 19,
    "RESET_VIEW": False,
}

# --- Smart charging: real-time site load balancing (smartcharging/, issue 13) -----------------------
# A lifecycle event re-plans its station's site SMART_CHARGING_DEBOUNCE_SECONDS later (a burst of readings is
# one re-plan); beat re-plans every enabled site each SMART_CHARGING_SWEEP_SECONDS, whatever was missed.
SMART_CHARGING_DEBOUNCE_SECONDS = env_int("SMART_CHARGING_DEBOUNCE_SECONDS", 2)
SMART_CHARGING_SWEEP_SECONDS = env_int("SMART_CHARGING_SWEEP_SECONDS", 60)
CELERY_BEAT_SCHEDULE["smart-charging-sweep"] = {
    "task": "smartcharging.tasks.sweep_sites",
    "schedule": float(SMART_CHARGING_SWEEP_SECONDS),
}

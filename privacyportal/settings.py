"""Settings, read from the environment only (see README "Configuration").

Embedded defaults (SQLite, file-system broker, e-mail as files) live under
``var/`` so that ``make run`` works on a machine with nothing but Python.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF

from privacyportal import config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(config.raw("VAR_DIR") or BASE_DIR / "var")

# Real environment variables win over both files; var/local.env holds the keys
# that `make run` generates once so a laptop install keeps its audit chain valid.
for env_file in (BASE_DIR / ".env", VAR_DIR / "local.env"):
    if env_file.is_file():
        environ.Env.read_env(env_file, overwrite=False)

DEBUG = config.boolean("DEBUG", False)
SECRET_KEY = config.secret(
    "SECRET_KEY",
    debug=DEBUG,
    dev_default="dev-only-insecure-secret-key-do-not-use-in-production-0123456789",
    min_length=50,
)
AUDIT_HMAC_KEY = config.secret(
    "AUDIT_HMAC_KEY",
    debug=DEBUG,
    dev_default="dev-only-insecure-audit-key-0123456789abcdef",
    min_length=32,
)
# Signed checkpoints of the audit chain's head, appended hourly: keep it where
# the database's administrators cannot write (see README "Audit trail tampering").
AUDIT_CHECKPOINT_FILE = Path(
    config.raw("AUDIT_CHECKPOINT_FILE") or VAR_DIR / "audit-checkpoints.log"
)
ALLOWED_HOSTS = config.listing(
    "ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else []
)
# Every e-mailed link starts with it: production must say where it lives.
# In development, links in e-mails point at the port `make run PORT=...` serves.
PORT = config.integer("PORT", 8000, minimum=1)
SITE_URL = config.site_url(
    "SITE_URL",
    f"http://127.0.0.1:{PORT}" if DEBUG else config.string("SITE_URL", required=True),
)
CSRF_TRUSTED_ORIGINS = config.listing("CSRF_TRUSTED_ORIGINS", [SITE_URL])

INSTALLED_APPS = [
    "privacyportal.apps.PortalAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_celery_beat",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Country names in every page language (the request form's country list).
    "django_countries",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "privacyportal.apps.PortalConfig",
    "privacyportal.audit",
    "privacyportal.subjects",
    "consent_app",
    "requests_app",
    "retention_app",
    "privacyportal.console",
    "disclosures_app",
    "incidents_app",
    "complaints_app",
    "privacyportal.api",
    "privacyportal.api.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Under /api/: refuses oversize bodies up front and turns every error
    # response from the layers below into application/problem+json.
    "privacyportal.api.problems.ProblemMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The public pages' language (?lang=, cookie, Accept-Language); staff
    # pages and the API stay in LANGUAGE_CODE.
    "privacyportal.languages.PublicLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Second factor for staff: marks verified sessions, then guards /admin/.
    "django_otp.middleware.OTPMiddleware",
    "privacyportal.staff2fa.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Reads the query string and body before any view or process_view (CSRF's
    # too) can: what cannot be parsed is the portal's 400. It sits after the
    # middleware above so that page still gets their security headers.
    "privacyportal.middleware.UnparsableRequestMiddleware",
    # axes must come last: it turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]
# A refused form ("reload and try again") on the portal's own 403 page.
CSRF_FAILURE_VIEW = "privacyportal.errors.csrf_failure"

ROOT_URLCONF = "privacyportal.urls"
WSGI_APPLICATION = "privacyportal.wsgi.application"
ASGI_APPLICATION = "privacyportal.asgi.application"

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
                "privacyportal.context_processors.portal",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------
CONN_MAX_AGE = config.integer("CONN_MAX_AGE", 60)
DATABASES = {
    "default": config.database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}")
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # IMMEDIATE transactions serialise writers up front, so the audit chain and
    # conditional updates never meet "database is locked" half-way through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 30}
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = CONN_MAX_AGE
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, health) ---------------------------------------------------
REDIS_URL = config.raw("REDIS_URL") or ""
if REDIS_URL:
    config.url("REDIS_URL", REDIS_URL, schemes={"redis", "rediss"})
_cache_url = config.raw("CACHE_URL") or REDIS_URL
_cache_name = "CACHE_URL" if config.raw("CACHE_URL") else "REDIS_URL"
CACHES = {
    "default": config.cache(_cache_name, _cache_url)
    if _cache_url
    # A file cache is shared by web and worker processes, unlike locmem.
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}
if CACHES["default"]["BACKEND"].endswith(".RedisCache"):
    # A cache that stops answering must fail fast (the URL may say otherwise):
    # the public views then count limits locally (privacyportal/fastcache.py);
    # redis-py's own default holds a request for 5 s per attempt.
    for _option in ("socket_connect_timeout", "socket_timeout"):
        CACHES["default"].setdefault("OPTIONS", {}).setdefault(_option, 1)

# --- Celery ------------------------------------------------------------------------
CELERY_BROKER_URL = config.url(
    "CELERY_BROKER_URL",
    REDIS_URL or "filesystem://",
    schemes={"redis", "rediss", "amqp", "filesystem", "memory", "sqla+sqlite"},
)
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = config.raw("CELERY_RESULT_BACKEND") or REDIS_URL or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_DEFAULT_QUEUE = config.string("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = config.integer("CELERY_TASK_TIME_LIMIT", 900, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 60, 1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing from a web request must fail fast when the broker is down: the
# database keeps the work and the re-dispatch job sends it later.
CELERY_BROKER_CONNECTION_TIMEOUT = 3
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TIMEZONE = config.time_zone("TIME_ZONE", "UTC")

# --- E-mail ------------------------------------------------------------------------
if config.raw("EMAIL_URL"):
    # EMAIL_BACKEND, EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, ... from one URL.
    globals().update(config.email("EMAIL_URL", ""))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = config.string(
    "DEFAULT_FROM_EMAIL", "Privacy Office <privacy@example.com>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The address the public is told to write to (pages, e-mails, the export).
PRIVACY_CONTACT_EMAIL = config.string("PRIVACY_CONTACT_EMAIL", "privacy@example.com")

# --- Auth, admin, lockout ----------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
# Staff must pass a second factor (TOTP app or recovery code) to use the admin.
# On whenever DEBUG is off; STAFF_2FA_REQUIRED=0 relaxes it (development only).
STAFF_2FA_REQUIRED = config.boolean("STAFF_2FA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "Privacy Portal"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Lock a username from one address, never an address for everyone behind it.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
LOGIN_URL = "admin:login"
# Where a login lands when its "next" is missing or points off-site.
LOGIN_REDIRECT_URL = "admin:index"

# --- Internationalisation ----------------------------------------------------------
# The public side speaks these (README, "Languages"); staff pages stay in
# LANGUAGE_CODE. English is the source language of every string.
LANGUAGE_CODE = "en-gb"
LANGUAGES = [
    ("en-gb", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("pt-br", "Português (Brasil)"),
]
# Catalogues are compiled from these by `manage.py compile_catalogues` (setup).
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "portal_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = CELERY_TIMEZONE
USE_I18N = True
USE_TZ = True

# --- Files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Media (exports, recordings) is private: no MEDIA_URL route exists anywhere.
MEDIA_ROOT = Path(config.raw("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    # Recordings and exports are personal data: owner-only, whatever the umask.
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Security ------------------------------------------------------------------------
SECURE_SSL_REDIRECT = config.boolean("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = config.boolean("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = config.boolean("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = config.integer("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = config.boolean("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = config.boolean("SECURE_HSTS_PRELOAD", True)
# Trusted reverse proxies in front of the web server (0: clients connect
# directly). Rate limits and GPC evidence then read the client's address from
# X-Forwarded-For; with 0 the header is ignored (clients could forge it).
PROXY_COUNT = config.integer("PROXY_COUNT", 0, minimum=0)
if config.boolean("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Requests with bodies larger than this are refused with 400 before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
# No inline script or style anywhere: templates use static files and CSS classes.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- Privacy requests (requests_app) -------------------------------------------
# (settings of requests_app go here)
# Hours a verification link stays valid.
REQUEST_VERIFY_TTL = config.integer("REQUEST_VERIFY_TTL", 24, minimum=1)
# Requests never verified are closed after this many days.
REQUEST_UNVERIFIED_CLOSE_DAYS = config.integer(
    "REQUEST_UNVERIFIED_CLOSE_DAYS", 14, minimum=1
)
# Days a requester's status link stays valid after it is issued.
REQUEST_STATUS_LINK_DAYS = config.integer("REQUEST_STATUS_LINK_DAYS", 365, minimum=1)
# Form submissions allowed per hour from one IP address and for one e-mail.
REQUEST_RATE_PER_IP = config.integer("REQUEST_RATE_PER_IP", 10, minimum=1)
REQUEST_RATE_PER_EMAIL = config.integer("REQUEST_RATE_PER_EMAIL", 5, minimum=1)
# Form posts refused for a mistake, per hour per IP: generous, so typos never
# lock a person out, yet a flood of junk still gets 429.
REQUEST_INVALID_RATE_PER_IP = config.integer(
    "REQUEST_INVALID_RATE_PER_IP", 60, minimum=1
)
# New verification links that one IP address may ask for per hour.
REQUEST_RESEND_RATE = config.integer("REQUEST_RESEND_RATE", 5, minimum=1)
# A second filing of the same type for the same e-mail within this window is
# linked to the first as a duplicate (0 turns detection off).
REQUEST_DUPLICATE_MINUTES = config.integer("REQUEST_DUPLICATE_MINUTES", 10)
# Public-holiday calendar for EU/UK month deadlines (Reg. 1182/71): the ISO code
# of the company's EU establishment, optionally with a region ("DE-BY"). See
# README "Deadlines"; checked at start by requests_app.calendars.
ESTABLISHMENT_COUNTRY = config.string("ESTABLISHMENT_COUNTRY", "IE").upper()
# Fulfilment: days an export download link works, and how many downloads it allows.
EXPORT_LINK_TTL = config.integer("EXPORT_LINK_TTL", 7, minimum=1)
EXPORT_MAX_DOWNLOADS = config.integer("EXPORT_MAX_DOWNLOADS", 3, minimum=1)
# Rows per table shown in the package's index.html (all are in its CSV and JSON).
EXPORT_INDEX_ROWS = config.integer("EXPORT_INDEX_ROWS", 1000, minimum=1)
# Request types whose export is built right after verification, without staff
# approval (only "access" produces an export; empty = staff approve every one).
EXPORT_AUTO_TYPES = config.listing("EXPORT_AUTO_TYPES", [])
if set(EXPORT_AUTO_TYPES) - {"access"}:
    raise config.fail("EXPORT_AUTO_TYPES", "only 'access' requests produce an export")
# Hours between approving an erasure and running it (the cancel window).
ERASURE_DELAY_HOURS = config.integer("ERASURE_DELAY_HOURS", 24)

# --- Consent (consent_app) ------------------------------------------------------
# (settings of consent_app go here)
# Days a preference-centre link works, and links sent per address per hour.
CONSENT_PREFERENCE_LINK_DAYS = config.integer(
    "CONSENT_PREFERENCE_LINK_DAYS", 7, minimum=1
)
CONSENT_PREFERENCE_LINKS_PER_HOUR = config.integer(
    "CONSENT_PREFERENCE_LINKS_PER_HOUR", 5, minimum=1
)
# Link requests (any address) per IP address per hour: each one is a task.
CONSENT_LINK_REQUESTS_PER_IP = config.integer(
    "CONSENT_LINK_REQUESTS_PER_IP", 20, minimum=1
)
# RFC 8058 unsubscribe tokens must outlive the e-mails that carry them.
CONSENT_UNSUBSCRIBE_TOKEN_DAYS = config.integer(
    "CONSENT_UNSUBSCRIBE_TOKEN_DAYS", 90, minimum=60
)
# Policy-change campaigns: subjects per batch and seconds between batches.
CONSENT_CAMPAIGN_BATCH_SIZE = config.integer(
    "CONSENT_CAMPAIGN_BATCH_SIZE", 500, minimum=1
)
CONSENT_CAMPAIGN_BATCH_INTERVAL = config.integer("CONSENT_CAMPAIGN_BATCH_INTERVAL", 5)

# --- Incidents (incidents_app) ----------------------------------------------------
# Telling the people affected by a breach: its own pace, because Art. 34 asks for
# it "without undue delay" while a policy change can wait; unset, the campaign's.
BREACH_NOTICE_BATCH_SIZE = config.integer(
    "BREACH_NOTICE_BATCH_SIZE", CONSENT_CAMPAIGN_BATCH_SIZE, minimum=1
)
BREACH_NOTICE_BATCH_INTERVAL = config.integer(
    "BREACH_NOTICE_BATCH_INTERVAL", CONSENT_CAMPAIGN_BATCH_INTERVAL
)

# --- Retention (retention_app) ----------------------------------------------------
# (settings of retention_app go here)
# Wraps each customer's content key (a Fernet key: 44 url-safe base64 characters).
RETENTION_MASTER_KEY = config.secret(
    "RETENTION_MASTER_KEY",
    debug=DEBUG,
    dev_default="ZGV2LW9ubHktcmV0ZW50aW9uLW1hc3Rlci1rZXktISE=",
    min_length=44,
)
# Rows per sweep transaction: thousands, so each batch stays well under a second
# (2,000 took ~0.1-0.2 s on a loaded 2-core machine; see bench/retention_sweep.py).
RETENTION_BATCH_SIZE = config.integer("RETENTION_BATCH_SIZE", 2000, minimum=1)
# Days before a change that shortens retention takes effect.
RETENTION_GRACE_DAYS = config.integer("RETENTION_GRACE_DAYS", 7)

# --- API (privacyportal.api) -----------------------------------------------------
# Calls per minute for one key (a key may have its own figure in the admin).
API_RATE_PER_MINUTE = config.integer("API_RATE_PER_MINUTE", 600, minimum=1)
# Largest request body the API reads (bytes); larger ones are refused with 413.
API_MAX_BODY_BYTES = config.integer("API_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
# Largest media file the API takes (PUT /api/v1/recordings/<id>/content, read a
# chunk at a time, never whole into memory); larger ones are refused with 413.
API_MAX_UPLOAD_BYTES = config.integer("API_MAX_UPLOAD_BYTES", 4 * 1024**3, minimum=1024)
# Hours a stored answer to an Idempotency-Key is replayed before it is swept.
API_IDEMPOTENCY_HOURS = config.integer("API_IDEMPOTENCY_HOURS", 24, minimum=1)
REST_FRAMEWORK = {
    # Keys only: no session (and so no CSRF path) and no browsable forms.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "privacyportal.api.authentication.ApiKeyAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["privacyportal.api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["privacyportal.api.throttling.KeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["privacyportal.api.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "privacyportal.api.pagination.CursorPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "privacyportal.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "privacyportal.api.schema.PortalAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "UNAUTHENTICATED_TOKEN": None,
    "DEFAULT_VERSIONING_CLASS": None,
    # OPTIONS answers 405: the schema describes the API, not each view.
    "DEFAULT_METADATA_CLASS": None,
    "URL_FORMAT_OVERRIDE": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Privacy Portal API",
    "DESCRIPTION": "Consent answers and changes, unsubscribe headers and, as they "
    "arrive, requests, recordings, subjects and reports. Every call carries an "
    "API key (`Authorization: Bearer <key>`) with the scope the operation names; "
    "errors are `application/problem+json` (RFC 9457).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # What Django's path converters match, so a documented value always reaches
    # the view (and its 401 or 404 problem) instead of missing the route.
    "PATH_CONVERTER_OVERRIDES": {
        "int": {"type": "integer", "minimum": 0},
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
        "str": {"type": "string", "pattern": "^[^/]+$"},
    },
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": False},
}

# --- Outgoing webhooks (privacyportal.api.webhooks) ------------------------------
# Plain http:// endpoints: development only (the signature is no secrecy).
WEBHOOK_ALLOW_HTTP = config.boolean("WEBHOOK_ALLOW_HTTP", DEBUG)
# Endpoints on loopback/private/link-local addresses (a receiver on this host, in
# tests or development). Off unless set: in production it would be an SSRF hole.
WEBHOOK_ALLOW_PRIVATE = config.boolean("WEBHOOK_ALLOW_PRIVATE", False)
WEBHOOK_CONNECT_TIMEOUT = config.integer("WEBHOOK_CONNECT_TIMEOUT", 5, minimum=1)
WEBHOOK_READ_TIMEOUT = config.integer("WEBHOOK_READ_TIMEOUT", 10, minimum=1)
# A subscription is disabled (and the Privacy Officers e-mailed) once this many
# deliveries in a row have used up every retry (about 24 hours each).
WEBHOOK_DISABLE_AFTER = config.integer("WEBHOOK_DISABLE_AFTER", 3, minimum=1)
# Starting days of the "Webhook delivery log" retention policy: delivered and
# given-up deliveries (and their attempts) older than this are deleted by the
# sweep. Once the policy exists it is changed in the admin (Retention policies).
WEBHOOK_DELIVERY_RETENTION_DAYS = config.integer(
    "WEBHOOK_DELIVERY_RETENTION_DAYS", 90, minimum=1
)

# --- Logging ---------------------------------------------------------------------
# Secret link tokens never reach a log: Django logs the path of every 4xx/5xx.
# Every handler redacts them, whatever DEBUG says. Django first installs its
# DEFAULT_LOGGING, whose handlers on the "django" logger have no redaction
# (``console`` prints 4xx/5xx lines raw when DEBUG=1, ``mail_admins`` mails
# the path, request and traceback when DEBUG=0), so that logger gets none of
# its own: its records reach the redacting root handler. runserver's request
# lines keep their format, redacted.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "privacyportal.logredact.RedactTokens"}},
    "formatters": {
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]},
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_tokens"],
        },
    },
    "root": {"handlers": ["console"], "level": config.string("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own level (INFO) is kept; only its handlers go.
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
        },
    },
}

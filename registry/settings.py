"""Settings, all read from the environment (DESIGN §5).

Production is the default: with DEBUG off the HTTPS settings are the secure ones and SECRET_KEY must be
set; the demo (DEBUG=true) and a local run over plain HTTP (LOCAL_HTTP=true) opt out.
Unset DATABASE_URL means a SQLite file for the demo; tests and production use PostgreSQL.
Unset CELERY_BROKER_URL means tasks run eagerly in-process.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Served over plain HTTP with DEBUG off (the tests, a local look at production settings): no HTTPS redirect,
# HSTS or secure-only cookies. An explicit opt-out, so a forgotten variable never weakens production.
LOCAL_HTTP = env.bool("LOCAL_HTTP", default=False)
HTTPS = not (DEBUG or LOCAL_HTTP)
# Only the demo (DEBUG on) may run on the well-known demo key; anything else must not start without one.
SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value "
            "(python -c 'import secrets; print(secrets.token_urlsafe(50))'), or DEBUG=true for the demo."
        )
    SECRET_KEY = "django-insecure-demo-only-set-SECRET_KEY-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_countries",
    "axes",
    "adoption",
    "registry",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses every answer Django makes, the cached map answers included (WhiteNoise, above, serves its
    # own pre-compressed static files); only for clients that send Accept-Encoding: gzip.
    "django.middleware.gzip.GZipMiddleware",
    "adoption.middleware.CachedMapMiddleware",  # cached map answers before the rest
    "django.contrib.sessions.middleware.SessionMiddleware",
    "registry.i18n.LocaleMiddleware",  # the reader's language: ?lang=, the switcher's cookie, Accept-Language
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: turns a locked-out login (page, admin or API token) into the lock-out answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "registry.urls"
WSGI_APPLICATION = "registry.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "registry.i18n.context",
            ],
        },
    },
]

# An empty DATABASE_URL counts as unset (the demo clears it): the SQLite file.
DATABASES = {"default": env.db_url_config(env("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A connection kept between requests (pool or CONN_MAX_AGE) is checked before a request uses it: after a
# database restart a dead one is replaced instead of failing that request.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env.bool("DATABASE_POOL", default=False):
    from psycopg_pool import ConnectionPool

    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"check": ConnectionPool.check_connection}
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = DATABASES["default"]["CONN_MAX_AGE"] != 0
# A streaming read replica of that database (PostgreSQL): the reads registry.replica allows go there.
if env("DATABASE_REPLICA_URL", default=""):
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL (a streaming replica of it).")
    _replica = env.db_url_config(env("DATABASE_REPLICA_URL"))
    _replica["OPTIONS"] = {**DATABASES["default"].get("OPTIONS", {}), **_replica.get("OPTIONS", {})}
    # A replica that does not answer is left for the primary within 2 s, not after the OS's connect timeout.
    _replica["OPTIONS"].setdefault("connect_timeout", 2)
    DATABASES["replica"] = {
        **{key: value for key, value in DATABASES["default"].items() if key not in _replica}, **_replica,
        # Tests run on one database: the replica alias is the default one there.
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["registry.replica.ReplicaRouter"]
    # First: every read of the request, the other middleware's included, is routed knowing the request.
    MIDDLEWARE.insert(0, "registry.replica.ReplicaMiddleware")
    # How long after a client's write (session or API token) its reads check that the replica has replayed it.
    DATABASE_REPLICA_PIN_SECONDS = env.int("DATABASE_REPLICA_PIN_SECONDS", default=3600)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url_config(env("CACHE_URL", default="") or "locmemcache://")}
# Every use of the cache survives its outage (README, "When a service fails"); short socket timeouts keep
# an unreachable Redis from adding seconds to each request on the way.
if "redis" in CACHES["default"]["BACKEND"].lower():
    CACHES["default"].setdefault("OPTIONS", {}).update({
        "socket_connect_timeout": env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
        "socket_timeout": env.float("CACHE_TIMEOUT", default=1.0),
    })

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes counts failed logins on every path that calls authenticate() (log-in page, admin, API token).
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
# Locked per account and, separately, per address: LOGIN_FAILURE_LIMIT failures lock for LOGIN_LOCKOUT_MINUTES.
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
# The lock-out ends when its time is up, however often a locked client keeps trying.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "adoption.views.ratelimit.client_address"
AXES_LOCKOUT_CALLABLE = "registry.lockout.lockout_response"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

LANGUAGE_CODE = "en"
# The eight languages of DESIGN §4, each named in its own language for the switcher. One catalogue per
# language, for the site and the domain app alike, in registry/locale (compiled by `make messages`).
LANGUAGES = [
    ("en", "English"),
    ("pt-br", "Português (Brasil)"),
    ("es", "Español"),
    ("fr", "Français"),
    ("ms", "Bahasa Melayu"),
    ("id", "Bahasa Indonesia"),
    ("sw", "Kiswahili"),
    ("zh-hans", "简体中文"),
]
LOCALE_PATHS = [BASE_DIR / "registry" / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = env("MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Data releases (adoption.releases), served by the /data/<version>/<name> view.
    "releases": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": env("RELEASES_ROOT", default=str(Path(MEDIA_ROOT) / "releases"))},
    },
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_BACKEND", default="whitenoise.storage.CompressedManifestStaticFilesStorage" if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Django 6.1 mailers. EMAIL_URL (e.g. smtp+tls://user:pass@host:587) configures SMTP; unset prints mail to the console.
if env("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": {
        "host": _email.get("EMAIL_HOST", ""), "port": _email.get("EMAIL_PORT", 25),
        "username": _email.get("EMAIL_HOST_USER", ""), "password": _email.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": _email.get("EMAIL_USE_TLS", False), "use_ssl": _email.get("EMAIL_USE_SSL", False),
    }}}
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="registry@localhost")
# Where the site is served, for links in emails.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# Security: HTTPS only, secure cookies and HSTS unless DEBUG or LOCAL_HTTP (each overridable on its own);
# CSP with nonces everywhere.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=HTTPS)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=SECURE_HSTS_SECONDS > 0)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=SECURE_HSTS_SECONDS > 0)
# How many reverse proxies in front of the site append to X-Forwarded-For. 0: the header is ignored and
# REMOTE_ADDR is the client (any client can write the header; only our own proxies' entries count).
TRUSTED_PROXIES = env.int("TRUSTED_PROXIES", default=0)
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_PROXY", default=TRUSTED_PROXIES > 0) else None
)
X_FRAME_OPTIONS = "DENY"

from django.utils.csp import CSP  # noqa: E402

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Celery: a Redis broker in production and tests of the broker path; eager when no broker is configured.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TIMEZONE = TIME_ZONE
# A request queues its tasks once it has committed: with the broker down, a send must fail within seconds
# (the task is then recorded and swept, adoption/services/queue.py), not wait on a dead connection for
# ever (no socket timeout is the default). One retry, for a pooled connection the broker dropped.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 2,
    # acks_late: a task whose worker died is given to a worker again once it has gone unacknowledged this
    # long. A worker holds a retry unacknowledged until its countdown is up (a webhook's backoff reaches an
    # hour), so this must be longer, or the retry would be given twice: two hours (Celery's default is one).
    # The failure tests set a few seconds.
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200),
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BEAT_SCHEDULE = {}
# Evidence link health: check new sources and re-check stale ones (public addresses only).
CELERY_BEAT_SCHEDULE["sweep-evidence-links"] = {"task": "adoption.tasks.sweep_evidence_links", "schedule": 900.0}
LINK_CHECK_ALLOWED_NETWORKS: list[str] = []  # tests only: networks the link checker may contact
# Tests only (empty in production): private networks webhooks may be delivered to, e.g. 127.0.0.0/8 for
# the failure tests' worker processes, which read it from the environment.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
# Webhooks: queue again the deliveries whose task a broker outage or a lost worker dropped.
CELERY_BEAT_SCHEDULE["sweep-webhook-deliveries"] = {
    "task": "adoption.tasks.sweep_webhook_deliveries", "schedule": 900.0,
}
# Curation: resend decision emails whose task was lost (broker outage); sending is idempotent.
CELERY_BEAT_SCHEDULE["sweep-moderation-emails"] = {
    "task": "adoption.tasks.sweep_moderation_emails", "schedule": 600.0,
}
# Queue again the tasks a broker outage kept from being queued (recorded when their send failed).
CELERY_BEAT_SCHEDULE["resend-unsent-tasks"] = {"task": "adoption.tasks.resend_unsent_tasks", "schedule": 60.0}
# Maps: fold the deltas of approvals and retractions into the summary and presence rows (readers add
# the unfolded ones: keep them few).
CELERY_BEAT_SCHEDULE["fold-map-deltas"] = {"task": "adoption.tasks.fold_map_deltas", "schedule": 30.0}
# Maps: recount the summary, presence rows and open spans from the records, repair and log any drift.
CELERY_BEAT_SCHEDULE["check-map-summary"] = {
    "task": "adoption.tasks.check_map_summary", "schedule": 3600.0,
}
# Data releases: a monthly snapshot of the published registry (none when nothing changed since the last).
CELERY_BEAT_SCHEDULE["make-release"] = {
    "task": "adoption.tasks.make_release", "schedule": crontab(minute=0, hour=3, day_of_month=1),
}

# REST framework: token and session auth, anonymous read, throttles overridable by API_THROTTLE_RATES.
DEFAULT_THROTTLE_RATES = {
    "anon": "120/min",
    "user": "600/min",
    "writes": "120/hour",
    "submissions": "30/hour",
    "webhooks": "20/hour",
    "imports": "30/hour",
}
# Bulk proposals (POST /api/v1/imports/, /contribute/import/): the largest file and the most rows per upload.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=2_000_000)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=500)
# A dry run keeps the file's text for the upload's second step; after this many days it is deleted (daily).
IMPORT_DRY_RUN_DAYS = env.int("IMPORT_DRY_RUN_DAYS", default=30)
if IMPORT_DRY_RUN_DAYS < 1:  # 0 would delete the checks contributors are about to confirm
    raise ImproperlyConfigured("IMPORT_DRY_RUN_DAYS: at least 1 (days a bulk proposal's dry run is kept).")
CELERY_BEAT_SCHEDULE["forget-old-dry-runs"] = {
    "task": "adoption.tasks.forget_old_dry_runs", "schedule": crontab(minute=30, hour=3),
}


def _parse_rates(raw: str, defaults: dict[str, str], name: str) -> dict[str, str]:
    """Comma-separated scope=rate pairs over the defaults (API_THROTTLE_RATES is a contract)."""
    rates = dict(defaults)
    for pair in filter(None, (part.strip() for part in raw.split(","))):
        scope, sep, rate = pair.partition("=")
        if not sep or not scope.strip() or not rate.strip():
            raise ValueError(f"{name}: {pair!r} is not scope=rate")
        rates[scope.strip()] = rate.strip()
    return rates


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "adoption.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "adoption.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    # Ordering is part of each FilterSet (adoption/filtersets.py), so an unknown ordering answers 400 too.
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON only; the parser refuses bodies over DATA_UPLOAD_MAX_MEMORY_SIZE (413), over-deep nesting and NUL bytes.
    "DEFAULT_PARSER_CLASSES": ["adoption.api.parsers.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "adoption.api.throttling.AnonThrottle",
        "adoption.api.throttling.UserThrottle",
        "adoption.api.throttling.WriteThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": _parse_rates(
        env("API_THROTTLE_RATES", default=""), DEFAULT_THROTTLE_RATES, "API_THROTTLE_RATES"
    ),
    "EXCEPTION_HANDLER": "adoption.api.exceptions.exception_handler",
    # Throttles count clients by address: trust only our own proxies' X-Forwarded-For entries.
    "NUM_PROXIES": TRUSTED_PROXIES,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Request bodies (forms and API JSON) above 1 MiB answer 400/413, never exhaust memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)

SPECTACULAR_SETTINGS = {
    "TITLE": "Model Adoption Registry API",
    "DESCRIPTION": (
        "Who builds on which open-weight AI base model: catalogue, curated adoptions, aggregate maps.\n\n"
        "Authenticate with `Authorization: Token <key>` (POST /api/v1/auth/token/) or a session. "
        "Anonymous clients read published data. Lists are paginated (`page`, `page_size` up to 1000). "
        "Versioned objects answer an ETag; send it back as If-Match (or `version` in the body) and a "
        "stale write answers 412. Errors are JSON: 400 bodies are keyed by field or parameter."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "adoption.choices.Status",
        "ChangeRequestStatusEnum": "adoption.choices.ChangeRequestStatus",
        "RelationEnum": "adoption.choices.Relation",
        "StageEnum": "adoption.choices.Stage",
        "OrganizationKindEnum": "adoption.choices.OrganizationKind",
        "EvidenceKindEnum": "adoption.choices.EvidenceKind",
        "DatePrecisionEnum": "adoption.choices.DatePrecision",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "adoption.api.openapi.add_common_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}

# The map summary's covering indexes (INCLUDE columns) serve PostgreSQL; the SQLite demo builds them
# without those columns, which is harmless there.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Rate limits of the sign-up and contribute forms, the adopter search and password-reset emails (per address
# and per account); the API has its throttles.
PAGE_RATE_LIMITS = _parse_rates(
    env("PAGE_RATE_LIMITS", default=""),
    {"signup": "10/hour", "submission": "30/hour", "search": "120/min", "reset": "5/hour", "reset-account": "3/day"},
    "PAGE_RATE_LIMITS",
)

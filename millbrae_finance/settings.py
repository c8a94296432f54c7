"""Settings, read from the environment.

Production sets SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and DEBUG=0. Development sets
nothing: DEBUG is on, and the database is the embedded PostgreSQL server under `.local/`.
"""

import os
from pathlib import Path

import dj_database_url
import pghistory

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default="SECRET_KEY" not in os.environ)
SECRET_KEY = os.environ.get(
    "SECRET_KEY", "insecure-development-key-only-for-the-embedded-demo-database-0123456789"
)
if not DEBUG and SECRET_KEY.startswith("insecure-"):
    raise RuntimeError("Set SECRET_KEY in the environment when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "millbrae_finance.apps.MillbraeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "django_tasks_db",
    "millbrae_finance",
    "ledger",
    "receivables",
    "utility_billing",
    "payables",
    "cashiering",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "millbrae_finance.middleware.HtmxVaryMiddleware",
    "millbrae_finance.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = os.environ.get("MILLBRAE_URLCONF", "millbrae_finance.urls")
WSGI_APPLICATION = "millbrae_finance.wsgi.application"

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
                "django.template.context_processors.csp",
                "millbrae_finance.context_processors.navigation",
            ],
            "builtins": ["millbrae_finance.templatetags.millbrae"],
        },
    }
]

# The app connects as a role that owns nothing (DATABASE_URL); migrations run as the owner
# (DATABASE_OWNER_URL), see millbrae_finance/db_roles.py. Without DATABASE_OWNER_URL the
# app's own role migrates, as on a server set up with a single role.
DATABASE_OWNER = None
# Only the benchmark's bulk loads use a superuser, and only where one is at hand.
DATABASE_SUPERUSER = None
if os.environ.get("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
        )
    }
    if os.environ.get("DATABASE_OWNER_URL"):
        _owner = dj_database_url.parse(os.environ["DATABASE_OWNER_URL"])
        DATABASE_OWNER = {"USER": _owner["USER"], "PASSWORD": _owner.get("PASSWORD", "")}
else:
    from millbrae_finance.embedded_db import (
        database_settings,
        owner_settings,
        superuser_settings,
    )

    DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql"}}
    DATABASES["default"].update(database_settings(BASE_DIR))
    DATABASE_OWNER = owner_settings()
    DATABASE_SUPERUSER = superuser_settings()
DATABASES["default"]["ENGINE"] = "django.db.backends.postgresql"
# Transactions are opened where the work is (services), never around a whole request.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections: opening one per request halves the throughput of a page.
DATABASES["default"].setdefault("CONN_MAX_AGE", int(os.environ.get("CONN_MAX_AGE", "60")))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
    "TEST_DATABASE_NAME", "test_millbrae"
)
# `manage.py benchmark` creates, migrates and drops this database on the same server. The
# test suite names it after its own test database, so runs side by side never share one.
BENCHMARK_DATABASE_NAME = os.environ.get("BENCHMARK_DATABASE_NAME", "millbrae_benchmark")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background jobs (django.tasks) queue in the same PostgreSQL: no broker to run. Workers
# (`manage.py db_worker`, one beside runserver in `make run`, more on other hosts) take
# each task with SELECT ... FOR UPDATE SKIP LOCKED, so two never take the same one.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Meter read checks (utility_billing/read_checks.py, where each is explained). A read is
# "high" when its use per day is more than HIGH_FACTOR times the account's own average
# over the last HISTORY_DAYS (from the account's start), "low" when under LOW_FACTOR
# times it; an account with less than MIN_HISTORY_DAYS of reads is not judged, and a
# read under HIGH_MIN_HCF is never high. A lower reading is a rollover only if the wrap's
# use is under ROLLOVER_MAX_SHARE of the register's span. A cycle's read is missing when
# a meter has none within WINDOW_DAYS either side of the cycle's read day.
UTILITY_READ_CHECKS = {
    "HIGH_FACTOR": os.environ.get("UTILITY_READ_HIGH_FACTOR", "3"),
    "LOW_FACTOR": os.environ.get("UTILITY_READ_LOW_FACTOR", "0.25"),
    "HISTORY_DAYS": int(os.environ.get("UTILITY_READ_HISTORY_DAYS", "365")),
    "MIN_HISTORY_DAYS": int(os.environ.get("UTILITY_READ_MIN_HISTORY_DAYS", "60")),
    "HIGH_MIN_HCF": os.environ.get("UTILITY_READ_HIGH_MIN_HCF", "2"),
    "ROLLOVER_MAX_SHARE": os.environ.get("UTILITY_READ_ROLLOVER_MAX_SHARE", "0.1"),
    "WINDOW_DAYS": int(os.environ.get("UTILITY_READ_WINDOW_DAYS", "7")),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# A workstation left logged in at the counter locks itself: the session ends after this
# many seconds without a request, and every request pushes the deadline back.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "America/Los_Angeles"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / ".local" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# A strict Content Security Policy: no inline script, nothing from another origin. The
# app runs on a city LAN with no internet, so every asset comes from 'self'.
SECURE_CSP = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'self'"],
    "object-src": ["'none'"],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

# Every insert, update and delete on a tracked model is written by a PostgreSQL trigger
# into that model's event table, with the request's user and URL attached as context.
PGHISTORY_DEFAULT_TRACKERS = (
    pghistory.InsertEvent(),
    pghistory.UpdateEvent(),
    pghistory.DeleteEvent(),
)
PGHISTORY_MIDDLEWARE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
PGHISTORY_APPEND_ONLY = True
PGHISTORY_ADMIN_CLASS = "millbrae_finance.admin_events.EventsAdmin"
# The admin's "all events" list runs pghistory's aggregate query: every event of every
# table rendered as JSON and diffed, then sorted (minutes on the utility demo's 125,000
# reads). It lists events once a filter narrows them; the audit trail (/audit/) pages
# through all of them at constant cost.
PGHISTORY_ADMIN_ALL_EVENTS = False

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    # Django's own loggers print through the root handler only, once each.
    "loggers": {
        "django": {"handlers": [], "level": "WARNING", "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
# Triggers on Django's own tables (the audit of users, groups and memberships) cannot live
# in auth's migrations; pgtrigger installs them after every migrate instead.
PGTRIGGER_INSTALL_ON_MIGRATE = True
# pgtrigger's own migration operations would write trigger migrations into Django's auth
# app (outside this repository); all pgtrigger/pghistory triggers are installed after
# migrate instead, and a test checks that every tracked table has its triggers.
PGTRIGGER_MIGRATIONS = False

"""kubelab settings, read from the environment (12-factor).

Defaults give a working lab on a fresh machine: SQLite in `var/` and an embedded Redis
on a unix socket in `var/` (started by `make run`). `DATABASE_URL` selects PostgreSQL and
`REDIS_URL` an external Redis. DEBUG is off unless asked for.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    env_bool,
    env_float,
    env_int,
    env_list,
    redis_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("KUBELAB_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
_SECRET_KEY_FILE = VAR_DIR / "secret_key"  # written once by `make run`
if not SECRET_KEY and _SECRET_KEY_FILE.exists():
    SECRET_KEY = _SECRET_KEY_FILE.read_text().strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY, or DEBUG=1 for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "channels",
    "cluster",
    "playground",
    "playground.courses",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": database_from_url(DATABASE_URL)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "kubelab.sqlite3",
            # WAL lets the web process read while a Celery worker writes a tick.
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: Celery broker and channel layer -------------------------------------------
EMBEDDED_REDIS_SOCKET = VAR_DIR / "redis.sock"
REDIS_URL = redis_url(os.environ.get("REDIS_URL") or f"unix://{EMBEDDED_REDIS_SOCKET}")
REDIS_IS_EMBEDDED = not os.environ.get("REDIS_URL")


def _celery_broker(url: str) -> str:
    # kombu spells a unix-socket Redis as redis+socket://
    return (
        "redis+socket://" + url[len("unix://") :] if url.startswith("unix://") else url
    )


CELERY_BROKER_URL = _celery_broker(REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE = {
    "wake-due-clusters": {"task": "cluster.tasks.wake_due_clusters", "schedule": 0.5},
}

# The channel layer, sized past channels_redis's defaults (bench/stream_delivery.py):
# - its connection pool held 100, and a class connecting at once was refused past ~99;
# - each process buffers at most `capacity` messages per channel and silently drops the
#   oldest beyond it (and a group send skips full channels), so it is well above a
#   burst; nudges are also folded per cluster before they are sent (layer_sender);
# - redis-py reads with a 5 s timeout by default, the same 5 s the layer's blocking pop
#   waits on the server, so a stream with nothing to say for 5 s died with 1011.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {"address": REDIS_URL, "max_connections": 2000, "socket_timeout": 30}
            ],
            "capacity": 5000,
            "expiry": 30,
        },
    }
}

# --- Auth, i18n, static -------------------------------------------------------------
_VALIDATORS = "django.contrib.auth.password_validation."
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": _VALIDATORS + "UserAttributeSimilarityValidator"},
    {"NAME": _VALIDATORS + "MinimumLengthValidator"},
    {"NAME": _VALIDATORS + "CommonPasswordValidator"},
    {"NAME": _VALIDATORS + "NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "clusters"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("es", "Español")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"

# Password-reset mail goes to the console (the process log) unless an SMTP server is set.
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "kubelab <kubelab@localhost>")
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3 * 24 * 3600)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["playground.api.throttling.UserRateThrottle"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "kubelab REST API",
    "DESCRIPTION": "Drive simulated Kubernetes clusters: machines, components, clock, objects.",
    "VERSION": "1",
}

# --- The Kubernetes API -------------------------------------------------------------
K8S_PORT = env_int("K8S_PORT", 6443)
# The URL kubeconfigs point at; by default the daphne TLS endpoint on this host.
K8S_PUBLIC_URL = os.environ.get("K8S_PUBLIC_URL", f"https://127.0.0.1:{K8S_PORT}")
K8S_MAX_BODY_BYTES = env_int("K8S_MAX_BODY_BYTES", 3 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = K8S_MAX_BODY_BYTES

# --- Classes, labs and quotas ---------------------------------------------------------
KUBELAB_INSTRUCTOR_CHECK = "playground.courses.access.is_instructor_of"
KUBELAB_QUOTA_CLUSTERS_PER_STUDENT = env_int("KUBELAB_QUOTA_CLUSTERS_PER_STUDENT", 5)
KUBELAB_QUOTA_MACHINES_PER_CLUSTER = env_int("KUBELAB_QUOTA_MACHINES_PER_CLUSTER", 10)
KUBELAB_QUOTA_PODS_PER_CLUSTER = env_int("KUBELAB_QUOTA_PODS_PER_CLUSTER", 100)
KUBELAB_QUOTA_OBJECTS_PER_CLUSTER = env_int("KUBELAB_QUOTA_OBJECTS_PER_CLUSTER", 2000)
# After a class's end date its students' clusters are read-only (the course app decides).
KUBELAB_READ_ONLY_CHECK = "playground.courses.access.class_ended_reason"


def _not_negative(name: str, value: float) -> float:
    if not value >= 0:  # also refuses nan
        raise ImproperlyConfigured(f"{name} must be 0 or more, not {value!r}")
    return value


# Requests per second each kubectl token and each REST user may make, with bursts up to
# KUBELAB_API_BURST (a token bucket in Redis, shared by every process). 0 turns it off.
KUBELAB_API_RATE = _not_negative("KUBELAB_API_RATE", env_float("KUBELAB_API_RATE", 20))
KUBELAB_API_BURST = _not_negative(
    "KUBELAB_API_BURST", env_int("KUBELAB_API_BURST", 100)
)
# Open live-diagram WebSockets per user; 0 means no limit.
KUBELAB_WS_MAX_PER_USER = _not_negative(
    "KUBELAB_WS_MAX_PER_USER", env_int("KUBELAB_WS_MAX_PER_USER", 20)
)
# A cluster nobody has used for this long stops ticking until it is opened; 0: never.
KUBELAB_IDLE_PAUSE_HOURS = _not_negative(
    "KUBELAB_IDLE_PAUSE_HOURS", env_float("KUBELAB_IDLE_PAUSE_HOURS", 2)
)

# --- Security (production, DEBUG off) ----------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # These are right for a hosted lab behind TLS; a laptop lab runs plain HTTP, so
    # they come from the environment and `check --deploy` is told they are deliberate.
    SILENCED_SYSTEM_CHECKS = env_list(
        "SILENCED_SYSTEM_CHECKS",
        ["security.W004", "security.W008", "security.W012", "security.W016"],
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

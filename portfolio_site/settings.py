"""Settings for NVQ Portfolio, read from environment variables.

With no environment at all the project runs embedded: SQLite, media and a filesystem Celery
broker under ``var/``. Production runs the same code with ``DJANGO_ENV=production`` and its
services named by URL (``DATABASE_URL``, ``CELERY_BROKER_URL`` ...). README.md lists every
variable.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import environ
from csp import constants as csp_constants
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()


def _as_is(name: str, default: str = "") -> str:
    """A variable read exactly as set. django-environ treats a value starting with "$" as the
    name of another variable, and one random secret key in fifty starts with "$"."""
    return os.environ.get(name, default)


ENVIRONMENTS = ("development", "production")
DJANGO_ENV = env.str("DJANGO_ENV", default="development")
if DJANGO_ENV not in ENVIRONMENTS:
    raise ImproperlyConfigured(
        f"DJANGO_ENV is {DJANGO_ENV!r}; it must be one of: {', '.join(ENVIRONMENTS)}."
    )
IS_PRODUCTION = DJANGO_ENV == "production"

if IS_PRODUCTION:
    _missing = [
        name for name in ("DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS") if not _as_is(name).strip()
    ]
    if _missing:
        raise ImproperlyConfigured(
            "DJANGO_ENV=production refuses to start without "
            + " and ".join(_missing)
            + ". Set "
            + ("it" if len(_missing) == 1 else "them")
            + " in the environment (see README.md, 'Environment variables')."
        )

# Local state (SQLite database, uploaded media, filesystem broker) lives here by default.
VAR_DIR = Path(env.str("DJANGO_VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core -------------------------------------------------------------------------------------

if IS_PRODUCTION:
    SECRET_KEY = _as_is("DJANGO_SECRET_KEY")
    DEBUG = False
    ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
else:
    # Only ever used on a developer's machine: production refuses to start without its own key.
    SECRET_KEY = _as_is(
        "DJANGO_SECRET_KEY", default="django-insecure-development-only-key-never-used-in-production"
    )
    DEBUG = env.bool("DJANGO_DEBUG", default=True)
    ALLOWED_HOSTS = env.list(
        "DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"]
    )

CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    # Counts failed log-ins and locks out a username from an address that keeps failing.
    "axes",
    # Two-factor sign-in for staff: TOTP authenticator apps and single-use recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Our apps, in dependency order: each may import only those above it.
    "portfolio_site.accounts",
    "portfolio_site.audit",
    "portfolio_site.notifications",
    "criteria",
    "evidence",
    "processes",
    # Reads everything above to build the PDF of a portfolio.
    "portfolio_site.exports",
    # A centre's people: adding, inviting, importing, suspending, reassigning.
    "people",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Before anything reads the body: refuses oversized uploads from Content-Length alone.
    "evidence.uploads.UploadGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session has passed the two-factor check.
    "django_otp.middleware.OTPMiddleware",
    # Signed-in pages are not stored by browsers or proxies; the session slides while in use.
    "portfolio_site.accounts.middleware.PrivatePagesMiddleware",
    "portfolio_site.accounts.middleware.SlidingSessionMiddleware",
    # Every page needs a signed-in user unless its view says otherwise (login, password reset).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Staff who must use two-factor sign-in set it up, and enter a code, before any page.
    "portfolio_site.accounts.two_factor.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # External quality assurers' every page view goes into the audit trail.
    "evidence.middleware.EqaPageViewMiddleware",
    # Last, as django-axes asks: turns a locked-out log-in into the "too many attempts" page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portfolio_site.urls"
WSGI_APPLICATION = "portfolio_site.wsgi.application"

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
                "portfolio_site.accounts.context_processors.roles",
                "portfolio_site.notifications.context_processors.unread_notifications",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite creates the file but not its folder; a fresh checkout has no var/ yet.
    if DATABASES["default"]["NAME"] != ":memory:":
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # The web server and the Celery worker write to the same file: WAL lets readers carry on
    # during a write, IMMEDIATE transactions take the write lock up front instead of failing
    # half-way with "database is locked", and busy_timeout waits for the lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

# --- Accounts ---------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out username before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "portfolio_site.accounts.backends.EmailOrUsernameBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The name authenticator apps show beside the six-digit codes for this site.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="NVQ Portfolio")

# The dashboard each role lands on from the home page, as URL names. The first role in this
# list that a user holds is their home; the navigation offers the others.
ROLE_DASHBOARDS = {
    "centre_admin": "evidence:centre-admin-dashboard",
    "assessor": "evidence:assessor-dashboard",
    "iqa": "evidence:iqa-dashboard",
    "eqa": "evidence:eqa-dashboard",
    "learner": "evidence:learner-dashboard",
}

# --- Email ------------------------------------------------------------------------------------

# The site's own address, for links in emails (password resets use the request's host).
SITE_URL = env.str("DJANGO_SITE_URL", default="http://127.0.0.1:8000")
# How long an emailed invitation to set a password works (days).
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)
# How long a witness's single-use link to confirm a testimony stays valid.
WITNESS_LINK_DAYS = env.int("WITNESS_LINK_DAYS", default=14)

# EMAIL_URL picks the backend: smtp://user:password@host:587 (add ?tls=True), consolemail://,
# filemail:///path. Development prints mail to the console; production defaults to SMTP on
# localhost rather than printing password-reset links into the logs.
_default_email_url = "smtp://localhost:25" if IS_PRODUCTION else "consolemail://"
globals().update(env.email_url("EMAIL_URL", default=_default_email_url))
if env.str("EMAIL_URL", default="").startswith("filemail://"):
    # django-environ drops the leading slash of filemail:///absolute/path; keep it absolute.
    EMAIL_FILE_PATH = urlparse(env.str("EMAIL_URL")).path
DEFAULT_FROM_EMAIL = env.str(
    "DJANGO_DEFAULT_FROM_EMAIL", default="NVQ Portfolio <noreply@localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation ---------------------------------------------------------------------

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

# --- Static files and media -------------------------------------------------------------------

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
if IS_PRODUCTION:
    # `manage.py collectstatic` gathers, compresses and fingerprints files here.
    STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
else:
    # Served straight from the source folders, so there is nothing to collect.
    STATIC_ROOT = None
    WHITENOISE_USE_FINDERS = True

# Uploaded evidence: never served from a public URL. Files go out only through views that
# check who may see them, so there is deliberately no MEDIA_URL route in urls.py.
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# --- Evidence uploads -------------------------------------------------------------------------

# Per file. A request bigger than this (plus a little form overhead) is refused before its body
# is read; a file that grows past it while streaming is dropped.
EVIDENCE_MAX_FILE_BYTES = env.int("EVIDENCE_MAX_FILE_BYTES", default=200 * 1024 * 1024)
# Pixels (width x height). A larger image is refused at upload, and Pillow refuses to decode one
# anywhere (upload check, HEIC display copies, export scaling): a small compressed file can
# decode to gigabytes (a "decompression bomb").
MAX_IMAGE_PIXELS = env.int("MAX_IMAGE_PIXELS", default=50_000_000)
# Every upload streams to a temporary file under MEDIA_ROOT/.incoming (never whole in memory),
# so that storing it is a rename and nothing is written outside MEDIA_ROOT.
FILE_UPLOAD_HANDLERS = ["evidence.uploads.HashingFileUploadHandler"]
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# How evidence files leave the server: "django" streams them with FileResponse; "x-accel"
# hands the path to nginx (X-Accel-Redirect to EVIDENCE_X_ACCEL_PREFIX, an internal location
# aliased to MEDIA_ROOT), after the same permission check.
EVIDENCE_FILE_SERVING = env.str("EVIDENCE_FILE_SERVING", default="django")
EVIDENCE_X_ACCEL_PREFIX = env.str("EVIDENCE_X_ACCEL_PREFIX", default="/protected-media/")

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Forms ------------------------------------------------------------------------------------

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Celery -----------------------------------------------------------------------------------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: a real worker process with no Redis. Messages are files
    # in one folder that producers write and the worker reads.
    _broker_folder = VAR_DIR / "celery"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_folder / "queue"),
        "data_folder_out": str(_broker_folder / "queue"),
        "processed_folder": str(_broker_folder / "processed"),
        "control_folder": str(_broker_folder / "control"),  # default: ./control in the cwd
        "store_processed": False,
    }
else:
    # Redis hands a message that has not been acknowledged within this many seconds to another
    # worker. Exports are acknowledged late (after the render), so this must outlast the
    # longest export: EXPORT_TIME_LIMIT below, checked by the exports app's system check.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_BROKER_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
    }
# Task state lives in our own tables (an export row, say), so results are off unless asked for.
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = CELERY_RESULT_BACKEND is None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# Separate deployments (or test runs) sharing one Redis keep to their own queue.
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A render can leave a worker process holding hundreds of megabytes; a fresh process after a
# set number of tasks, or once it holds more than this many KiB, gives the memory back.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=50)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int(
    "CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=1024 * 1024
)
# Celery beat runs inside the worker (`celery worker --beat`, portfolio_site/Procfile.dev) and
# keeps its schedule's state here. Seconds between fixity checks of every stored evidence file
# (evidence.tasks: each file hashed against its recorded SHA-256); the first comes one interval
# after the worker starts.
CELERY_BEAT_SCHEDULE_FILENAME = env.str(
    "CELERY_BEAT_SCHEDULE_FILENAME", default=str(VAR_DIR / "celerybeat-schedule")
)
# Beat writes its file at start and cannot make the folder; with a Redis broker nothing else
# has made var/ (the filesystem broker and SQLite do) on a fresh machine.
Path(CELERY_BEAT_SCHEDULE_FILENAME).parent.mkdir(parents=True, exist_ok=True)
FIXITY_CHECK_SECONDS = env.int("FIXITY_CHECK_SECONDS", default=24 * 60 * 60)
CELERY_BEAT_SCHEDULE = {
    "verify-evidence-files": {
        "task": "evidence.tasks.files_verify_all_task",
        "schedule": FIXITY_CHECK_SECONDS,
    },
}

# --- Exports ----------------------------------------------------------------------------------

# Seconds. At the soft limit a render stops with "took longer than N minutes"; at the hard limit
# the worker process is killed. soft < hard < the broker's visibility timeout (system check).
EXPORT_SOFT_TIME_LIMIT = env.int("EXPORT_SOFT_TIME_LIMIT", default=25 * 60)
EXPORT_TIME_LIMIT = env.int("EXPORT_TIME_LIMIT", default=30 * 60)
# Seconds a job may wait in the queue before the page calls it lost and offers Retry (its
# message can vanish: Redis restarted without saving, no export worker running). Well above
# the longest wait behind a centre's bulk export.
EXPORT_QUEUE_PATIENCE = env.int("EXPORT_QUEUE_PATIENCE", default=60 * 60)
# A run that keeps dying (the worker killed, out of memory) is given up after this many starts.
EXPORT_MAX_ATTEMPTS = env.int("EXPORT_MAX_ATTEMPTS", default=3)
# Bytes of address space an export's worker process may use while it renders (RLIMIT_AS, set
# for the task and lifted after it): a runaway render fails with "ran out of memory" during the
# task instead of taking the machine's memory. 0 turns the limit off.
EXPORT_MEMORY_LIMIT_BYTES = env.int("EXPORT_MEMORY_LIMIT_BYTES", default=2 * 1024 * 1024 * 1024)
# What writes the PDF: a function with render_portfolio_pdf's signature (tests swap in others).
EXPORT_RENDERER = "portfolio_site.exports.document.render_portfolio_pdf"
# Bytes. The original evidence files go inside the PDF (PDF/A-3 attachments) when their total
# is at most this; bigger portfolios list them with their SHA-256 only.
EXPORT_ATTACH_MAX_BYTES = env.int("EXPORT_ATTACH_MAX_BYTES", default=100 * 1024 * 1024)

# --- Security ---------------------------------------------------------------------------------

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# A session ends after this many seconds without a request (a working day, by default), not
# two weeks after sign-in: SlidingSessionMiddleware renews it while it is in use.
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=9 * 60 * 60)
# Seconds between renewals of a session in use: renewing on every request would write the
# session row on every page view.
SESSION_RENEW_AFTER = env.int("SESSION_RENEW_AFTER", default=5 * 60)

# Scripts, styles, images and frames from this site only: no inline script, no inline style
# (Trix's own style element carries the page's nonce), no plugins. Evidence files served
# inline set their own, stricter policy (evidence/serving.py), which this does not replace.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", csp_constants.NONCE],
        # Bootstrap draws its form and close icons as data: SVGs from its stylesheet.
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}

if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
    if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
        # Only behind a proxy that sets this header itself and strips it from clients.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Behind our own reverse proxy, the client's address (recorded with a witness's signature) is
# the last one in X-Forwarded-For; otherwise REMOTE_ADDR is.
USE_X_FORWARDED_FOR = env.bool("DJANGO_USE_X_FORWARDED_FOR", default=False)

# --- Log-in throttling (django-axes) ----------------------------------------------------------

# After this many wrong passwords for one username from one address, that username is refused
# from that address for the cool-off time (other people at the same college, behind the same
# address, are not affected). A successful log-in starts the count again.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The address as the witness pages read it: X-Forwarded-For only behind our own proxy, or an
# attacker would name a fresh address on every attempt and never be counted.
AXES_CLIENT_IP_CALLABLE = "portfolio_site.accounts.client.client_ip"
AXES_LOCKOUT_CALLABLE = "portfolio_site.accounts.lockout.locked_out"
# Each failure is kept (address, browser, time) for a superuser to read in Django admin.
AXES_ENABLE_ACCESS_FAILURE_LOG = True

# --- Logging ----------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Quieten per-request lines from the development server's autoreloader.
        "django.utils.autoreload": {"level": "WARNING"},
        # WeasyPrint narrates every stage of every render at INFO; its warnings still show.
        "weasyprint.progress": {"level": "WARNING"},
        # django-axes narrates every failed log-in at INFO; failures and lockouts are WARNINGs.
        "axes": {"level": "WARNING"},
    },
}

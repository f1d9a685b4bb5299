"""FirmPortal settings: one file, fed by the environment (see README.md, 'Configuration').

Nothing here reads a value that only exists in production: the same code runs under
`make run`, `make test`, CI and the production stack; only the environment differs.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF

from firmportal import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = (BASE_DIR / env.string("FIRMPORTAL_VAR_DIR", str(BASE_DIR / "var"))).resolve()

SECRET_KEY = env.secret("DJANGO_SECRET_KEY")
DEBUG = env.boolean("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env.string_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.string_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# HTTPS is on unless explicitly switched off for a local, loopback-only run (`make run`).
HTTPS = env.boolean("FIRMPORTAL_HTTPS", True)

INSTALLED_APPS = [
    "firmportal.apps.ConsoleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "django_htmx",
    "guardian",
    "auditlog",
    "firmportal",
    "accounts",
    "audit",
    "confidentiality",
    "clients",
    "retention",
    "compliance",
    "portal",
    "proof",
    "backups",
    "datarights",
    "clientcare",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "firmportal.middleware.RequestIdMiddleware",
    "firmportal.middleware.NoStoreMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.SessionGuardMiddleware",
    "accounts.middleware.AreaGuardMiddleware",
    "confidentiality.middleware.AccessGateMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "audit.middleware.AuditlogMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "firmportal.urls"
WSGI_APPLICATION = "firmportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "firmportal.context_processors.portal",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
_database_url = env.optional("DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            # FIRMPORTAL_SQLITE_PATH lets a test's worker process open the test database file.
            "NAME": env.string("FIRMPORTAL_SQLITE_PATH", str(VAR_DIR / "firmportal.sqlite3")),
            # A file, not memory, so that a real worker process sees what the tests wrote.
            "TEST": {"NAME": VAR_DIR / "test-firmportal.sqlite3"},
            "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery ---------------------------------------------------------------------
REDIS_URL = env.optional("REDIS_URL")
# A TrueType (glyf) CJK font embedded in PDFs; Debian's fonts-wqy-microhei is used when unset.
PDF_CJK_FONT = env.optional("FIRMPORTAL_PDF_CJK_TTF")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    CELERY_BROKER_URL = REDIS_URL
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # The embedded default: a broker that is a directory, so `make run` needs no server.
    CELERY_BROKER_URL = "filesystem://"
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS_EMBEDDED = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }

CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Task outcomes are kept in our own job tables, never in a result backend, so that no result
# can carry client data to rest somewhere we do not control.
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Longer than the longest job (a full backup or a destruction run), so a slow job is never
# delivered twice while it is still running.
CELERY_VISIBILITY_TIMEOUT_SECONDS = env.integer("CELERY_VISIBILITY_TIMEOUT", 6 * 3600)
CELERY_TASK_ALWAYS_EAGER = env.boolean("CELERY_TASK_ALWAYS_EAGER", False)

# --- Auth and sign-in -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Object permissions on client data: the access layer (not guardian's row-only backend).
    "confidentiality.backends.ClientAccessBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_RESET_TIMEOUT = 3600

AXES_FAILURE_LIMIT = env.integer("FIRMPORTAL_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env.integer("FIRMPORTAL_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "accounts.services.axes_username"  # a pseudonym is stored, never what was typed
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

OTP_TOTP_ISSUER = env.string("FIRMPORTAL_OTP_ISSUER", "FirmPortal")
OTP_TOTP_THROTTLE_FACTOR = 1
# The console never shows anyone's TOTP secret or its QR code (a firm admin could clone a device).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Firm setting: require TOTP of client users too (staff always need it).
FIRMPORTAL_REQUIRE_CLIENT_2FA = env.boolean("FIRMPORTAL_REQUIRE_CLIENT_2FA", False)

# Idle timeouts, in minutes; a warning shows this many seconds before.
FIRMPORTAL_STAFF_IDLE_MINUTES = env.integer("FIRMPORTAL_STAFF_IDLE_MINUTES", 15)
FIRMPORTAL_CLIENT_IDLE_MINUTES = env.integer("FIRMPORTAL_CLIENT_IDLE_MINUTES", 30)
FIRMPORTAL_IDLE_WARNING_SECONDS = env.integer("FIRMPORTAL_IDLE_WARNING_SECONDS", 120)

# Client IP is taken from X-Forwarded-For only when the request comes from this proxy.
FIRMPORTAL_TRUSTED_PROXIES = env.string_list("FIRMPORTAL_TRUSTED_PROXIES", [])

# --- Sessions and cookies ---------------------------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 12 * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Strict"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_NAME = "__Host-fp_session" if HTTPS else "fp_session"
CSRF_COOKIE_NAME = "__Host-fp_csrf" if HTTPS else "fp_csrf"
CSRF_FAILURE_VIEW = "firmportal.views.csrf_failure"

# --- Security headers -------------------------------------------------------------------------
SECURE_SSL_REDIRECT = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env.boolean("FIRMPORTAL_BEHIND_PROXY", False) else None
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SILENCED_SYSTEM_CHECKS: list[str] = [
    # Lockout is by account, not by address: a firm's whole office signs in from one NAT address,
    # and one person's typos must not lock out everyone. Guessing one account is what this stops.
    "axes.W006",
    # guardian's own backend is replaced on purpose by confidentiality.backends.ClientAccessBackend,
    # which also checks assignment end dates, gates and offboarding (guardian's reads rows only).
    "guardian.W001",
]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- i18n -------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static and media -------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
# Media holds ciphertext only; it is never served directly.
MEDIA_ROOT = Path(env.string("FIRMPORTAL_MEDIA_ROOT", str(VAR_DIR / "media")))
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
# Documents (clients.documents): the largest file accepted, and what an .xlsx may inflate to.
FIRMPORTAL_MAX_UPLOAD_BYTES = env.integer("FIRMPORTAL_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
FIRMPORTAL_MAX_UNZIPPED_BYTES = env.integer("FIRMPORTAL_MAX_UNZIPPED_BYTES", 100 * 1024 * 1024)
# Uploads stay in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE; larger ones are written to a temp file
# only as ciphertext under a key that exists in this process's memory alone (see docs/keys-and-backups.md).
FILE_UPLOAD_HANDLERS = [
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "confidentiality.uploads.EncryptingTemporaryFileUploadHandler",
]

# --- Mail ---------------------------------------------------------------------------------------
EMAIL_BACKEND = env.string("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env.string("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = env.integer("DJANGO_EMAIL_PORT", 25)
# The address links in e-mails point to (e.g. https://portal.example.cn); empty: e-mails carry the path only.
FIRMPORTAL_SITE_URL = env.string("FIRMPORTAL_SITE_URL", "")
DEFAULT_FROM_EMAIL = env.string("DJANGO_DEFAULT_FROM_EMAIL", "FirmPortal <no-reply@firmportal.invalid>")

# --- Admin console --------------------------------------------------------------------------
ADMIN_URL_PREFIX = "console/"

# --- Keys and encryption ------------------------------------------------------------------------
# The master key never enters the database: a keyring file (embedded default) or a KMS.
FIRMPORTAL_KEY_PROVIDER = env.string("FIRMPORTAL_KEY_PROVIDER", "confidentiality.providers.LocalKeyringProvider")
# Options of the provider: for the local one, the keyring file and the keystore (the SQLite file of
# wrapped data keys, outside the database); for another provider, JSON in the environment variable.
_key_provider_options = env.optional("FIRMPORTAL_KEY_PROVIDER_OPTIONS")
_keyring_file = env.string("FIRMPORTAL_KEYRING_FILE", str(VAR_DIR / "keys" / "keyring.json"))
FIRMPORTAL_KEY_PROVIDER_OPTIONS: dict[str, Any] = (
    env.json_object("FIRMPORTAL_KEY_PROVIDER_OPTIONS")
    if _key_provider_options
    else {
        "path": _keyring_file,
        # Beside the keyring unless placed elsewhere.
        "keystore": env.string("FIRMPORTAL_KEYSTORE_FILE", str(Path(_keyring_file).parent / "keystore.sqlite3")),
    }
)
# How soon other processes notice a destroyed or rotated key (they re-check the keystore this often).
FIRMPORTAL_KEY_REVALIDATE_SECONDS = env.integer("FIRMPORTAL_KEY_REVALIDATE_SECONDS", 5)
# Rows re-encrypted per transaction by a data-key rotation job (its progress is saved per batch).
FIRMPORTAL_ROTATION_BATCH_SIZE = env.integer("FIRMPORTAL_ROTATION_BATCH_SIZE", 200)


# --- Backups (see docs/backups.md) -----------------------------------------------------------
def _backup_target(name: str, default_path: Path) -> dict[str, object]:
    prefix = f"FIRMPORTAL_BACKUP_{name.upper()}"
    if env.string(f"{prefix}_BACKEND", "local") == "s3":
        return {
            "BACKEND": "backups.targets.S3Target",
            "OPTIONS": {
                "bucket": env.secret(f"{prefix}_S3_BUCKET"),
                "prefix": env.string(f"{prefix}_S3_PREFIX", "firmportal/"),
                "endpoint_url": env.optional(f"{prefix}_S3_ENDPOINT_URL"),
                "region": env.optional(f"{prefix}_S3_REGION"),
                "access_key": env.optional(f"{prefix}_S3_ACCESS_KEY"),
                "secret_key": env.optional(f"{prefix}_S3_SECRET_KEY"),
            },
        }
    return {
        "BACKEND": "backups.targets.LocalDirectoryTarget",
        "OPTIONS": {"path": env.string(f"{prefix}_PATH", str(default_path))},
    }


FIRMPORTAL_BACKUP_TARGETS = {
    "primary": _backup_target("primary", VAR_DIR / "backups" / "primary"),
    # In the embedded default the "off-site" target is a second directory; production points it at
    # another site (FIRMPORTAL_BACKUP_OFFSITE_BACKEND=s3 and the bucket settings).
    "offsite": _backup_target("offsite", VAR_DIR / "backups" / "offsite"),
}
# age recipients (public keys, age1...) the backups are encrypted to. The matching recovery
# identity is kept offline, outside the system. `manage.py backup_recovery_key` makes a pair for
# `make run` and tests under var/backups/keys/ and this file is read when the variable is unset.
FIRMPORTAL_BACKUP_RECIPIENTS = env.string_list("FIRMPORTAL_BACKUP_RECIPIENTS", [])
FIRMPORTAL_BACKUP_RECIPIENTS_FILE = Path(
    env.string("FIRMPORTAL_BACKUP_RECIPIENTS_FILE", str(VAR_DIR / "backups" / "keys" / "recipients.txt"))
)
# The identity the automatic restore drill decrypts with (a drill key among the recipients, or the
# recovery key on a drill host). Never inside a backup, never in the database.
FIRMPORTAL_BACKUP_DRILL_IDENTITY_FILE = Path(
    env.string("FIRMPORTAL_BACKUP_DRILL_IDENTITY_FILE", str(VAR_DIR / "backups" / "keys" / "drill-identity.txt"))
)
# The keystore (wrapped data keys) is backed up apart from the database backups, briefly: see
# backups/keystore_backup.py. FIRMPORTAL_BACKUP_KEYSTORE_BACKEND/_PATH/_S3_* as for the targets above.
FIRMPORTAL_KEYSTORE_BACKUP_TARGET = _backup_target("keystore", VAR_DIR / "keystore-backups")
FIRMPORTAL_KEYSTORE_BACKUP_KEEP = env.integer("FIRMPORTAL_KEYSTORE_BACKUP_KEEP", 3)
FIRMPORTAL_BACKUP_RATE_LIMIT = env.integer("FIRMPORTAL_BACKUP_RATE_LIMIT", 0)  # bytes/second, 0 = no limit
FIRMPORTAL_BACKUP_STALE_SECONDS = env.integer("FIRMPORTAL_BACKUP_STALE_SECONDS", 600)
FIRMPORTAL_BACKUP_MAX_AGE_HOURS = env.integer("FIRMPORTAL_BACKUP_MAX_AGE_HOURS", 26)
FIRMPORTAL_BACKUP_KEEP = {
    "daily": env.integer("FIRMPORTAL_BACKUP_KEEP_DAILY", 7),
    "weekly": env.integer("FIRMPORTAL_BACKUP_KEEP_WEEKLY", 4),
    "monthly": env.integer("FIRMPORTAL_BACKUP_KEEP_MONTHLY", 12),
}
FIRMPORTAL_BACKUP_DRILL_SAMPLE = env.integer("FIRMPORTAL_BACKUP_DRILL_SAMPLE", 50)

# --- Auditlog ---------------------------------------------------------------------------------
AUDITLOG_INCLUDE_ALL_MODELS = False
# The address comes from `firmportal.middleware.client_ip` (trusted proxies only): audit.middleware.
AUDITLOG_DISABLE_REMOTE_ADDR = False
# The correlation id is our server-made request id, never a request header.
AUDITLOG_CID_GETTER = "audit.changelog.current_request_id"

# --- Audit trail -----------------------------------------------------------------------------
# Access events (reads of client data) are written unless switched off (benchmarks compare both).
FIRMPORTAL_ACCESS_LOG_ENABLED = env.boolean("FIRMPORTAL_ACCESS_LOG_ENABLED", True)
# The Ed25519 key signing audit seals, kept outside the database (see audit/keys.py, docs/audit.md).
FIRMPORTAL_AUDIT_SIGNING_KEY_FILE = env.string("FIRMPORTAL_AUDIT_SIGNING_KEY_FILE", "")
# Create a key under VAR_DIR when none is configured: only for a loopback run or the tests.
FIRMPORTAL_AUDIT_GENERATE_KEY = env.boolean("FIRMPORTAL_AUDIT_GENERATE_KEY", not HTTPS)
FIRMPORTAL_AUDIT_TRUSTED_KEYS_DIR = env.string("FIRMPORTAL_AUDIT_TRUSTED_KEYS_DIR", "")
# The last sealed block, written outside the database so that a cut-off tail is detected.
FIRMPORTAL_AUDIT_HEAD_FILE = env.string("FIRMPORTAL_AUDIT_HEAD_FILE", str(VAR_DIR / "audit" / "seal-head.json"))
FIRMPORTAL_AUDIT_SEAL_BLOCK_SIZE = env.integer("FIRMPORTAL_AUDIT_SEAL_BLOCK_SIZE", 10_000)
# Sealing waits at most this long for transactions that may still add entries below its horizon.
FIRMPORTAL_AUDIT_SEAL_WAIT_SECONDS = env.integer("FIRMPORTAL_AUDIT_SEAL_WAIT_SECONDS", 5)

# --- django-guardian ----------------------------------------------------------------------------
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False

# --- Logging ------------------------------------------------------------------------------------
LOG_DIR = Path(env.string("FIRMPORTAL_LOG_DIR", str(VAR_DIR / "log")))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "firmportal.logging.RequestIdFilter"}},
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s rid=%(request_id)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "line", "filters": ["request_id"]},
        "file": {
            "class": "firmportal.logging.LazyFileHandler",
            "filename": str(LOG_DIR / "firmportal.log"),
            "formatter": "line",
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console", "file"], "level": env.string("FIRMPORTAL_LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's request logger would print the request and, on errors, local variables.
        "django.request": {"handlers": ["console", "file"], "level": "ERROR", "propagate": False},
        "django.security": {"handlers": ["console", "file"], "level": "WARNING", "propagate": False},
        "axes": {"handlers": ["console", "file"], "level": "WARNING", "propagate": False},
    },
}

# --- Retention and destruction (retention/) ---------------------------------------------------
# Rows deleted per transaction, a pause between batches (to yield to other load), and how long a
# destruction run's lease lasts before another worker may resume a run whose worker died.
FIRMPORTAL_RETENTION_BATCH_SIZE = env.integer("FIRMPORTAL_RETENTION_BATCH_SIZE", 250)
FIRMPORTAL_RETENTION_BATCH_PAUSE_MS = env.integer("FIRMPORTAL_RETENTION_BATCH_PAUSE_MS", 0)
FIRMPORTAL_RETENTION_LEASE_SECONDS = env.integer("FIRMPORTAL_RETENTION_LEASE_SECONDS", 300)
# Days the firm keeps its copy after the client confirmed a handover (when the firm does not keep).
FIRMPORTAL_HANDOVER_GRACE_DAYS = env.integer("FIRMPORTAL_HANDOVER_GRACE_DAYS", 90)

# --- Data-rights requests (datarights/) -------------------------------------------------------
# PIPL Art. 50: a request is answered within this many working days (Mon–Fri, minus the listed
# public holidays, plus the listed make-up working days 调休; ISO dates, comma-separated).
FIRMPORTAL_DATARIGHTS_DEADLINE_WORKING_DAYS = env.integer("FIRMPORTAL_DATARIGHTS_DEADLINE_WORKING_DAYS", 15)
FIRMPORTAL_DATARIGHTS_HOLIDAYS = env.string_list("FIRMPORTAL_DATARIGHTS_HOLIDAYS", [])
FIRMPORTAL_DATARIGHTS_MAKEUP_WORKDAYS = env.string_list("FIRMPORTAL_DATARIGHTS_MAKEUP_WORKDAYS", [])
# Days an access-and-copy package can be downloaded after it was built.
FIRMPORTAL_DATARIGHTS_PACKAGE_DAYS = env.integer("FIRMPORTAL_DATARIGHTS_PACKAGE_DAYS", 7)

# Casework sections of the monthly/yearly compliance report, from the apps that own the casework.
FIRMPORTAL_COMPLIANCE_CASEWORK_SECTIONS = [
    "datarights.reports.data_rights_section",
    "clientcare.compliance_section.complaints_section",
]

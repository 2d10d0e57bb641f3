"""Settings for the FIT-Connect Anbindungsportal.

Everything that differs between machines comes from environment variables, read
through the typed helpers in ``portal.env``. The README lists every variable.
"""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from portal.env import env_bool, env_int, env_list, env_str

django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "django-insecure-development-only-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY", _DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off. "
        "For local development set DEBUG=true."
    )
if not DEBUG and SECRET_KEY == _DEV_SECRET_KEY:
    raise ImproperlyConfigured("The development SECRET_KEY must not be used with DEBUG off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "portal",
    "checklist",
    "notifications",
    "api",
    "watch",
    # OpenID Connect single sign-on with identity providers operators configure (sso/).
    "sso",
    "portal.admin_apps.PortalAdminConfig",  # django.contrib.admin with the second factor
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "axes",
    "django_tasks_db",
    # Two-factor sign-in (portal.mfa): authenticator apps (TOTP) and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Passkeys and security keys (WebAuthn) as a second factor (portal.passkeys).
    "django_otp_webauthn",
]

MIDDLEWARE = [
    # One log line per request with its X-Request-ID; /healthz is answered before anything
    # else (no session, no host check, no redirect) and not logged.
    "portal.middleware.request_log",
    "portal.middleware.health_endpoint",
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app server, before sessions and the rest.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Extends a signed-in session at most once a minute (not a write per request).
    "portal.middleware.session_refresh",
    "portal.middleware.german_first_locale",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "portal.signed_in.SecondFactorMiddleware",
    "portal.middleware.current_organisation",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Organisation administrators set up two-factor sign-in before anything else.
    "portal.mfa.second_factor_for_admins",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Axes must come last: it turns lockouts raised during sign-in into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
FORM_RENDERER = "portal.forms_renderer.KernFormRenderer"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "notifications.context_processors.inbox",
            ],
        },
    },
]

_DATABASE_URL = env_str("DATABASE_URL", "")
if not _DATABASE_URL:
    # The default SQLite file lives in the git-ignored var/. Create the directory here, so
    # that every entry point (make test, make run, any management command) works on a
    # fresh clone; only for this default, never for a configured database.
    _SQLITE_DEFAULT = BASE_DIR / "var" / "portal.sqlite3"
    try:
        _SQLITE_DEFAULT.parent.mkdir(exist_ok=True)
    except OSError as error:
        raise ImproperlyConfigured(
            f"Cannot create {_SQLITE_DEFAULT.parent} for the default SQLite database "
            f"({error.strerror}); set DATABASE_URL."
        ) from error
    _DATABASE_URL = f"sqlite:///{_SQLITE_DEFAULT}"
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo's app server and worker write to one file. WAL lets readers go on while one
    # writes; a writer waits up to 20 seconds for another instead of failing with "database
    # is locked"; IMMEDIATE takes the write lock when a transaction begins, so two
    # transactions that read first never deadlock on upgrading to a write (a wait cannot
    # resolve that).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    )
elif env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # PostgreSQL: parameters bound by the server, and a statement run five times on one
    # connection prepared there, so PostgreSQL no longer parses and plans it again (the
    # session and user statements of every signed-in request: two thirds of PostgreSQL's
    # CPU time for a bare page). Off behind a pooler that hands out a connection per
    # transaction and cannot keep prepared statements (PgBouncer before 1.21).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"server_side_binding": True, "prepare_threshold": 5}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    # Axes first, so that a locked-out sign-in never reaches the password check.
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend that loads the memberships with the user: one query per request.
    "portal.backends.PortalBackend",
    # Sessions signed in before PortalBackend name ModelBackend; they stay valid.
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Two-factor sign-in is required for organisation administrators, sign-off decisions and
# production secrets (portal.mfa); off with DEBUG, so that the demo signs in in one step.
MFA_REQUIRED = env_bool("MFA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "FIT-Connect Anbindungsportal"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24  # one day

# Sign-in rate limit: five failures for one e-mail address from one IP lock it for 15 minutes,
# and 30 failures from one IP across all addresses lock that IP (portal.lockout). The
# failures are counted in the database, so every app server sees them.
AXES_HANDLER = "portal.lockout.PortalLockoutHandler"
# Behind load balancers the client is found in X-Forwarded-For (portal.proxies).
FORWARDED_PROXY_COUNT = env_int("FORWARDED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "portal.proxies.client_ip"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
LOGIN_FAILURE_LIMIT_PER_IP = env_int("LOGIN_FAILURE_LIMIT_PER_IP", 30, minimum=1)
# The order matters to portal.lockout: the account at one IP first, then the IP alone.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_VERBOSE = False

LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # collectstatic writes content-hashed names (cached for a year) with gzip and Brotli
    # copies; WhiteNoise serves them from each app server, no web server needed.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Background tasks (django.tasks) wait in the database until a worker takes them:
# `manage.py db_worker`, any number of them on any machine. The tests run tasks at once.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Called once when a worker starts (portal's db_worker), before it takes the first task:
# the PDF fonts and stylesheet are parsed then, not in the first export someone waits for.
WORKER_WARM_UP = ["checklist.pdf.warm_up"]
# Seconds a background task answers for the row it works on (portal.leases): it renews the
# lease every third of this while it works; a run whose lease passed lost its worker and is
# resumed or ended as aborted. Long enough for a busy database, short enough that a lost
# run ends within about two minutes.
TASK_LEASE_SECONDS = env_int("TASK_LEASE_SECONDS", 120, minimum=1)

# E-mail: printed readably to the console unless an SMTP server is configured.
_MAIL_BACKEND = env_str("EMAIL_BACKEND", "portal.mail_backends.ReadableConsoleBackend")
_MAIL_OPTIONS: dict[str, object] = {}
if _MAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
    _MAIL_OPTIONS = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25, minimum=1),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": env_int("EMAIL_TIMEOUT", 10, minimum=1),
    }
MAILERS = {"default": {"BACKEND": _MAIL_BACKEND, "OPTIONS": _MAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Anbindungsportal <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Operator details for Impressum, Datenschutz and the accessibility statement.
PORTAL_OPERATOR_NAME = env_str("PORTAL_OPERATOR_NAME", "Betreiber des Anbindungsportals")
PORTAL_OPERATOR_ADDRESS = env_str("PORTAL_OPERATOR_ADDRESS", "Musterstraße 1, 12345 Musterstadt")
PORTAL_CONTACT_EMAIL = env_str("PORTAL_CONTACT_EMAIL", "kontakt@example.org")
PORTAL_ACCESSIBILITY_EMAIL = env_str("PORTAL_ACCESSIBILITY_EMAIL", PORTAL_CONTACT_EMAIL)
INVITATION_VALID_DAYS = env_int("INVITATION_VALID_DAYS", 7, minimum=1)

# Retention (README "Retention"): what manage.py apply_retention removes, and when.
RETENTION_API_TOKEN_DAYS = env_int("RETENTION_API_TOKEN_DAYS", 90, minimum=1)
RETENTION_IDEMPOTENCY_HOURS = env_int("RETENTION_IDEMPOTENCY_HOURS", 24, minimum=24)
RETENTION_NOTIFICATION_DAYS = env_int("RETENTION_NOTIFICATION_DAYS", 180, minimum=1)
RETENTION_ONBOARDING_YEARS = env_int("RETENTION_ONBOARDING_YEARS", 10, minimum=1)
RETENTION_ARCHIVE_COPY_YEARS = env_int("RETENTION_ARCHIVE_COPY_YEARS", 30, minimum=1)
RETENTION_INACTIVE_MONTHS = env_int("RETENTION_INACTIVE_MONTHS", 12, minimum=1)
RETENTION_DEACTIVATE_DAYS = env_int("RETENTION_DEACTIVATE_DAYS", 30, minimum=1)
RETENTION_ANONYMISE_AFTER_DAYS = env_int("RETENTION_ANONYMISE_AFTER_DAYS", 365, minimum=1)
# Where people reach the portal: links in e-mails sent by the background worker.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")
# The daily digest goes out with the first scheduled run from this hour (local time) on.
NOTIFICATION_DIGEST_HOUR = env_int("NOTIFICATION_DIGEST_HOUR", 7, minimum=0)

# Rendered page parts (``checklist.page_cache``), kept in each app server's memory. The
# keys carry the onboarding's revision, which the database raises with every change, so a
# server never serves a part older than the data it read: nothing to share or invalidate.
_page_cache_entries = env_int("PAGE_CACHE_ENTRIES", 2000, minimum=0)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {
        "BACKEND": "django.core.cache.backends."
        + ("locmem.LocMemCache" if _page_cache_entries else "dummy.DummyCache"),
        "LOCATION": "pages",
        "TIMEOUT": 3600,
        "OPTIONS": {"MAX_ENTRIES": _page_cache_entries},
    },
}


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _origin_host(origin: str) -> str:
    return (urlsplit(origin).hostname or "").lower()


def _secure_origin(origin: str) -> bool:
    return origin.startswith("https://") or _origin_host(origin) == "localhost"


# Passkeys (WebAuthn, portal.passkeys) belong to one host name, the relying party, and work
# only on the origins listed here. Both follow PORTAL_BASE_URL; an address such as the demo's
# 127.0.0.1 cannot be a relying party, so there it is "localhost" (http://localhost:8000).
_BASE = urlsplit(PORTAL_BASE_URL)
try:
    _BASE_PORT = f":{_BASE.port}" if _BASE.port else ""
except ValueError as _error:
    raise ImproperlyConfigured(f"PORTAL_BASE_URL has no valid port: {_error}") from _error
_BASE_HOST = (_BASE.hostname or "localhost").lower()
_BASE_RP_ID = "localhost" if _is_address(_BASE_HOST) else _BASE_HOST
_BASE_ORIGIN = f"{_BASE.scheme}://{_BASE_RP_ID}{_BASE_PORT}"
OTP_WEBAUTHN_RP_ID = env_str("WEBAUTHN_RP_ID", _BASE_RP_ID).strip().lower()
if not OTP_WEBAUTHN_RP_ID or "/" in OTP_WEBAUTHN_RP_ID or _is_address(OTP_WEBAUTHN_RP_ID):
    raise ImproperlyConfigured(
        f"WEBAUTHN_RP_ID must be a host name such as anbindung.example.org, "
        f"not {OTP_WEBAUTHN_RP_ID!r}."
    )
OTP_WEBAUTHN_RP_NAME = "FIT-Connect Anbindungsportal"
# Derived from a plain-http PORTAL_BASE_URL the origin is not secure: no passkeys there.
_DEFAULT_ORIGINS = [_BASE_ORIGIN] if _secure_origin(_BASE_ORIGIN) else []
OTP_WEBAUTHN_ALLOWED_ORIGINS = [
    origin.rstrip("/") for origin in env_list("WEBAUTHN_ORIGINS", _DEFAULT_ORIGINS)
]
for _origin in OTP_WEBAUTHN_ALLOWED_ORIGINS:
    _host = _origin_host(_origin)
    if not _secure_origin(_origin) or not (
        _host == OTP_WEBAUTHN_RP_ID or _host.endswith(f".{OTP_WEBAUTHN_RP_ID}")
    ):
        raise ImproperlyConfigured(
            f"WEBAUTHN_ORIGINS: {_origin!r} must start with https:// (or http://localhost) "
            f"and name {OTP_WEBAUTHN_RP_ID} (WEBAUTHN_RP_ID) or one of its subdomains."
        )
if not OTP_WEBAUTHN_ALLOWED_ORIGINS:
    # The library insists on an origin; without one the portal simply offers no passkeys.
    SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]
# Passkeys are a second factor after the password, never a sign-in on their own.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_HELPER_CLASS = "portal.passkeys.PortalWebAuthnHelper"
# portal.passkeys logs a refused passkey in one line; the library would log a traceback.
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""

# Requests one API token may make per minute (counted in the database, across app servers).
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 120, minimum=1)
# Refused API tokens (unknown, expired, revoked) one client IP may send in ten minutes.
API_AUTH_FAILURE_LIMIT_PER_IP = env_int("API_AUTH_FAILURE_LIMIT_PER_IP", 20, minimum=1)

# FIT-Connect checks.
SECRET_ENCRYPTION_KEY = env_str("SECRET_ENCRYPTION_KEY", "")
# The Fernet key manage.py backup encrypts with and restore decrypts with (README "Betrieb").
BACKUP_KEY = env_str("BACKUP_KEY", "")
FITCONNECT_CONNECT_TIMEOUT = env_int("FITCONNECT_CONNECT_TIMEOUT", 5, minimum=1)
FITCONNECT_CHECK_TIMEOUT = env_int("FITCONNECT_CHECK_TIMEOUT", 15, minimum=1)
FITCONNECT_SUBMISSION_TIMEOUT = env_int("FITCONNECT_SUBMISSION_TIMEOUT", 60, minimum=1)
# Seconds between two looks at a conformance case's event log (checklist.conformance).
FITCONNECT_CONFORMANCE_POLL = env_int("FITCONNECT_CONFORMANCE_POLL", 5, minimum=1)
# Internal addresses (and plain http) are called only for environment rows marked local
# in the admin (the sandbox), never for production; no setting widens that.
FITCONNECT_SANDBOX_URL = env_str("FITCONNECT_SANDBOX_URL", "http://127.0.0.1:8765")
# "Mit FIT-Connect abgleichen" on the coverage page (checklist.routing_comparison): the
# environment whose Routing API is asked (its key; the demo's sandbox under DEBUG), and at
# most how many Leistung × region pairs one comparison asks.
COVERAGE_ROUTING_ENVIRONMENT = env_str(
    "COVERAGE_ROUTING_ENVIRONMENT", "sandbox" if DEBUG else "production"
)
COVERAGE_ROUTING_MAX_REQUESTS = env_int("COVERAGE_ROUTING_MAX_REQUESTS", 200, minimum=1)
# Where the demo data expects the demo identity provider (tests/idp, `make run` with Node.js).
SSO_DEMO_ISSUER = env_str("SSO_DEMO_ISSUER", "http://127.0.0.1:8790")

# Transport security. On by default whenever DEBUG is off.
_secure = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _secure)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", _secure)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Sessions live in the database, so that any app server behind a load balancer serves any
# request; nothing the portal needs is kept in one server's memory or files. Django's
# database sessions in a table that also names the user and device (portal.session_models),
# read together with them in one statement (portal.sessions).
SESSION_ENGINE = "portal.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 8, minimum=1)
# Activity extends a signed-in session, written at most once a minute
# (portal.middleware.session_refresh); a dialog warns this many seconds before it expires.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = 60
SESSION_WARNING_SECONDS = env_int("SESSION_WARNING_SECONDS", 120, minimum=1)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if _secure else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _secure)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", _secure)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Load balancers probe /healthz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content Security Policy: no inline scripts or styles; scripts carry the nonce.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "filters": {"redact_tokens": {"()": "portal.requestlog.RedactTokens"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's default logging gives "django" a console handler of its own (with DEBUG),
        # and the record propagates to the root's console as well: every line of the
        # worker's tasks ("django.tasks") would be printed twice. The root's handler is enough.
        "django": {"handlers": [], "propagate": True},
        # "Not Found: /einladung/<token>/" would put the token into the log.
        "django.request": {"filters": ["redact_tokens"]},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "weasyprint.progress": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # httpx logs every URL at INFO; the checks report their own evidence instead.
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

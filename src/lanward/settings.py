"""One settings module, read from the environment.

LANWARD_DATA_DIR     where the SQLite database, mails, keys and logs live (default ./var)
DATABASE_URL         PostgreSQL (postgres://user:pass@host/db) instead of SQLite
LANWARD_EMAIL_URL    smtp://host:port or smtps://user:pass@host:port; unset: mails are files
LANWARD_SECRET_KEY   unset: generated once and kept in the data dir
LANWARD_DEBUG        1/true to turn on Django's debug mode (never on an exposed station)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}") from exc


DATA_DIR = Path(os.environ.get("LANWARD_DATA_DIR") or "var").resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    from_env = os.environ.get("LANWARD_SECRET_KEY")
    if from_env:
        return from_env
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    # Write then rename so two processes starting together agree on one key.
    tmp = key_file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(key)
    os.chmod(tmp, 0o600)
    try:
        os.link(tmp, key_file)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("LANWARD_DEBUG")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("LANWARD_ALLOWED_HOSTS", "*").split(",") if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("LANWARD_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "lanward.accounts",
    "lanward.inventory",
    "lanward.usage",
    "lanward.licensing",
    "lanward.stations",
    "lanward.support",
    "lanward.dnsfilter",
    "lanward.threats",
    "lanward.notify",
    "lanward.privacy",
    "lanward.securitycheck",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "django_countries",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "allauth.headless",
    "ninja",
    "lanward",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "lanward.middleware.SecurityHeadersMiddleware",
    "lanward.middleware.HeadlessJSONMiddleware",
]
if os.environ.get("LANWARD_DNS_BLOCK_ANSWER", "nxdomain") not in ("nxdomain", "null"):
    # Blocked names resolve to the station itself: answer their HTTP requests with the block page.
    MIDDLEWARE.insert(0, "lanward.dnsfilter.middleware.BlockPageMiddleware")

ROOT_URLCONF = "lanward.urls"
WSGI_APPLICATION = "lanward.wsgi.application"

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
                "lanward.context.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'lanward.sqlite3'}",
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web workers and the jobs share one file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A cache shared by every worker process: allauth keeps rate-limit counters and used TOTP codes
# in it, and both must hold across processes. The table is created after each migrate.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "lanward_cache",
    }
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["lanward.accounts.backends.LockoutAuthenticationBackend"]

# Argon2id at OWASP's first recommended setting (m=19 MiB, t=2, p=1).
PASSWORD_HASHERS = [
    "lanward.accounts.hashers.Argon2idHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# OWASP ASVS 5 (V6.2): at least 8 characters, at least 64 allowed, no composition rules,
# common passwords refused.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "lanward.accounts.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 128}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("LANWARD_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise serves from the finders; keep it quiet
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "uploads"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- Mail -------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("LANWARD_EMAIL_URL", "").strip()
MAIL_DIR = DATA_DIR / "mail"
if EMAIL_URL:
    _mail = urlsplit(EMAIL_URL)
    if _mail.scheme not in {"smtp", "smtps", "smtp+tls"}:
        raise SystemExit(
            f"LANWARD_EMAIL_URL must start with smtp://, smtp+tls:// or smtps://, got {EMAIL_URL!r}"
        )
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "127.0.0.1"
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = _mail.scheme == "smtp+tls"
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAIL_DIR)
DEFAULT_FROM_EMAIL = os.environ.get("LANWARD_FROM_EMAIL", "lanward <no-reply@lanward.invalid>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- SMS --------------------------------------------------------------------------------
# "log" writes each message to a file in the data dir; "http" posts it to a gateway.
SMS_PROVIDER = os.environ.get("LANWARD_SMS_PROVIDER", "log")
SMS_LOG_FILE = DATA_DIR / "sms.log"
SMS_HTTP_URL = os.environ.get("LANWARD_SMS_HTTP_URL", "")
SMS_HTTP_AUTH_HEADER = os.environ.get("LANWARD_SMS_HTTP_AUTH_HEADER", "")
SMS_HTTP_BODY_TEMPLATE = os.environ.get(
    "LANWARD_SMS_HTTP_BODY_TEMPLATE", '{"to": "{to}", "text": "{text}"}'
)
SMS_HTTP_CONTENT_TYPE = os.environ.get("LANWARD_SMS_HTTP_CONTENT_TYPE", "application/json")
SMS_HTTP_TIMEOUT = float(os.environ.get("LANWARD_SMS_HTTP_TIMEOUT", "10"))

# --- Accounts (django-allauth) -----------------------------------------------------------
SITE_NAME = "lanward"
# Host (and port) used in links of mails sent outside a web request, e.g. by jobs.
LANWARD_PUBLIC_HOST = os.environ.get("LANWARD_PUBLIC_HOST", "127.0.0.1:8000")
ACCOUNT_ADAPTER = "lanward.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_NOTIFICATIONS = True
ACCOUNT_CHANGE_EMAIL = False
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("LANWARD_REAUTH_SECONDS", 300)
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "http" if DEBUG else os.environ.get("LANWARD_URL_SCHEME", "http")
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[lanward] "
LOGIN_REDIRECT_URL = "/"
# allauth's rate limits stay on as a first line; the database lockout is the hard limit.
ACCOUNT_RATE_LIMITS = {
    "login_failed": os.environ.get("LANWARD_RATE_LOGIN_FAILED", "30/m/ip,10/5m/key"),
    "login": os.environ.get("LANWARD_RATE_LOGIN", "60/m/ip"),
    "signup": os.environ.get("LANWARD_RATE_SIGNUP", "20/m/ip"),
    "reset_password": os.environ.get("LANWARD_RATE_RESET", "20/m/ip,5/m/key"),
}
if env_bool("LANWARD_DISABLE_RATE_LIMITS"):
    ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]

PASSWORD_RESET_TIMEOUT = env_int("LANWARD_PASSWORD_RESET_SECONDS", 3600)

MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "lanward"
MFA_TOTP_DIGITS = 6
MFA_TOTP_PERIOD = 30
MFA_TOTP_TOLERANCE = 1
MFA_RECOVERY_CODE_COUNT = 10

USERSESSIONS_TRACK_ACTIVITY = True

HEADLESS_ONLY = False
HEADLESS_CLIENTS = ("app", "browser")
HEADLESS_SERVE_SPECIFICATION = True

LANWARD_LOCKOUT_THRESHOLD = env_int("LANWARD_LOCKOUT_THRESHOLD", 5)
LANWARD_LOCKOUT_BASE_SECONDS = env_int("LANWARD_LOCKOUT_BASE_SECONDS", 300)
LANWARD_LOCKOUT_MAX_TEMPORARY = env_int("LANWARD_LOCKOUT_MAX_TEMPORARY", 3)
LANWARD_ACTIVITY_RETENTION_DAYS = env_int("LANWARD_ACTIVITY_RETENTION_DAYS", 365)
LANWARD_CODE_FACTOR_TTL_SECONDS = env_int("LANWARD_CODE_FACTOR_TTL_SECONDS", 600)

# --- Security headers and cookies --------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Cookies are marked Secure on every HTTPS response (see lanward.middleware) and always when
# LANWARD_HTTPS=1; a station reached over plain http on the LAN must still be able to sign in.
SESSION_COOKIE_SECURE = env_bool("LANWARD_HTTPS")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if not DEBUG:
    SECURE_HSTS_SECONDS = env_int("LANWARD_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("LANWARD_BEHIND_PROXY") else None
)

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LANWARD_LOG_LEVEL", "INFO")},
    "loggers": {"django.server": {"level": "WARNING"}},
}
# The long-running programs (web, station, dns, jobs: set by lanward.cli) also keep their log
# in DATA_DIR/logs/<program>.log, rotated at LANWARD_LOG_FILE_BYTES (0: no log files), so the
# troubleshooting bundle has something to show. The web server's workers share one file and
# keep only warnings and errors there.
LANWARD_LOG_ROLE = os.environ.get("LANWARD_LOG_ROLE", "").strip()
LANWARD_LOG_FILE_BYTES = env_int("LANWARD_LOG_FILE_BYTES", 1024 * 1024)
LANWARD_LOG_FILE_BACKUPS = 2
if LANWARD_LOG_ROLE.isidentifier() and LANWARD_LOG_FILE_BYTES > 0:
    try:
        (DATA_DIR / "logs").mkdir(exist_ok=True)
    except OSError:
        pass
    else:
        LOGGING["handlers"]["file"] = {
            "class": "logging.handlers.RotatingFileHandler",
            "formatter": "plain",
            "filename": str(DATA_DIR / "logs" / f"{LANWARD_LOG_ROLE}.log"),
            "maxBytes": LANWARD_LOG_FILE_BYTES,
            "backupCount": LANWARD_LOG_FILE_BACKUPS,
            "encoding": "utf-8",
            "delay": True,
            "level": "WARNING" if LANWARD_LOG_ROLE == "web" else "INFO",
        }
        LOGGING["root"]["handlers"].append("file")

FORM_RENDERER = "lanward.forms_renderer.Renderer"

# --- Station ------------------------------------------------------------------------------
LANWARD_OFFLINE_AFTER_SECONDS = env_int("LANWARD_OFFLINE_AFTER_SECONDS", 600)
# The interface the station watches; `lanward serve` starts the station on it when set.
LANWARD_INTERFACE = os.environ.get("LANWARD_INTERFACE", "").strip()
LANWARD_HOME_NETS = tuple(
    n.strip() for n in os.environ.get("LANWARD_HOME_NETS", "").split(",") if n.strip()
)
LANWARD_USAGE_HOURLY_DAYS = env_int("LANWARD_USAGE_HOURLY_DAYS", 35)
LANWARD_USAGE_DAILY_DAYS = env_int("LANWARD_USAGE_DAILY_DAYS", 400)
LANWARD_USAGE_MAX_ROWS = env_int("LANWARD_USAGE_MAX_ROWS", 500_000)
LANWARD_FLOW_RETENTION_HOURS = env_int("LANWARD_FLOW_RETENTION_HOURS", 0)
LANWARD_FLOW_MAX_ROWS = env_int("LANWARD_FLOW_MAX_ROWS", 200_000)
LANWARD_GATEWAYS = [
    g.strip() for g in os.environ.get("LANWARD_GATEWAYS", "").split(",") if g.strip()
]
LANWARD_MAX_FLOWS = env_int("LANWARD_MAX_FLOWS", 262_144)
LANWARD_ACTIVE_THRESHOLD_BYTES = env_int("LANWARD_ACTIVE_THRESHOLD_BYTES", 20_000)
# TCP ports whose payloads the station reads (HTTP, TLS hellos, clear-text sign-ins; DNS is
# always read), e.g. "80,8080,21,23". Unset: lanward.daemons.applayer.INSPECT_PORTS.
_inspect_ports = os.environ.get("LANWARD_INSPECT_PORTS", "").replace(" ", "")
LANWARD_INSPECT_PORTS: tuple[int, ...] = ()
if _inspect_ports:
    try:
        LANWARD_INSPECT_PORTS = tuple(int(p) for p in _inspect_ports.split(",") if p)
    except ValueError:
        raise SystemExit(
            f"LANWARD_INSPECT_PORTS must be port numbers separated by commas, got {_inspect_ports!r}"
        ) from None
    if not LANWARD_INSPECT_PORTS or not all(0 < p < 65536 for p in LANWARD_INSPECT_PORTS):
        raise SystemExit(f"LANWARD_INSPECT_PORTS ports must be 1-65535, got {_inspect_ports!r}")
LANWARD_MEMBER_PICTURE_MAX_BYTES = env_int("LANWARD_MEMBER_PICTURE_MAX_BYTES", 5 * 1024 * 1024)
# Monitor mode watches; gateway mode routes between the LAN and WAN interfaces and blocks
# (lanward.enforce, nftables). Indicator feeds: files the station matches flows against.
LANWARD_MODE = os.environ.get("LANWARD_MODE", "").strip().lower() or "monitor"
if LANWARD_MODE not in ("monitor", "gateway"):
    raise SystemExit(f"LANWARD_MODE must be monitor or gateway, got {LANWARD_MODE!r}")
LANWARD_LAN_INTERFACE = os.environ.get("LANWARD_LAN_INTERFACE", "").strip()
LANWARD_WAN_INTERFACE = os.environ.get("LANWARD_WAN_INTERFACE", "").strip()
LANWARD_GATEWAY_HEARTBEAT_SECONDS = env_int("LANWARD_GATEWAY_HEARTBEAT_SECONDS", 10)
LANWARD_POLICY_REFRESH_SECONDS = env_int("LANWARD_POLICY_REFRESH_SECONDS", 3)
# Threat feeds given as URLs (console: Alerts -> Threat feeds) are downloaded again this often.
LANWARD_FEED_REFRESH_HOURS = env_int("LANWARD_FEED_REFRESH_HOURS", 6)
LANWARD_BLOCK_MINUTES = env_int("LANWARD_BLOCK_MINUTES", 60)
_admin_ports = os.environ.get("LANWARD_GATEWAY_ADMIN_PORTS", "22,23,80,443,2323,8080,8443")
try:
    LANWARD_GATEWAY_ADMIN_PORTS = tuple(int(p) for p in _admin_ports.split(",") if p.strip())
except ValueError:
    raise SystemExit(
        f"LANWARD_GATEWAY_ADMIN_PORTS must be comma-separated port numbers, got {_admin_ports!r}"
    ) from None
if not all(1 <= p <= 65535 for p in LANWARD_GATEWAY_ADMIN_PORTS):
    raise SystemExit(f"LANWARD_GATEWAY_ADMIN_PORTS: ports are 1 to 65535, got {_admin_ports!r}")
LANWARD_INDICATORS = [
    f.strip() for f in os.environ.get("LANWARD_INDICATORS", "").split(",") if f.strip()
]

# --- Licensing and stations -----------------------------------------------------------------
LANWARD_PAYMENT_PROVIDER = os.environ.get(
    "LANWARD_PAYMENT_PROVIDER", "lanward.lib.payments.InvoiceProvider"
)
LANWARD_LICENSE_KEY_FILE = DATA_DIR / "keys" / "license_ed25519.pem"
LANWARD_LICENSE_TOKEN_SECONDS = env_int("LANWARD_LICENSE_TOKEN_SECONDS", 86400)
LANWARD_LICENSE_GRACE_SECONDS = env_int("LANWARD_LICENSE_GRACE_SECONDS", 7 * 86400)
LANWARD_STATION_OFFLINE_SECONDS = env_int("LANWARD_STATION_OFFLINE_SECONDS", 900)
LANWARD_RENEWAL_RETRY_DAYS = (1, 3, 5)
LANWARD_RENEWAL_GRACE_DAYS = env_int("LANWARD_RENEWAL_GRACE_DAYS", 7)
LANWARD_ACTIVATION_RATE = (env_int("LANWARD_ACTIVATION_LIMIT", 10), 600)  # attempts per 10 minutes
LANWARD_RECOVER_EMAIL_RATE = (env_int("LANWARD_RECOVER_EMAIL_LIMIT", 5), 600)
LANWARD_TICKET_ATTACHMENT_MAX_BYTES = env_int(
    "LANWARD_TICKET_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024
)

# --- Web threat protection (DNS) ---------------------------------------------------------------
LANWARD_DNS_LISTEN = [
    a.strip() for a in os.environ.get("LANWARD_DNS_LISTEN", "0.0.0.0:53").split(",") if a.strip()
]
LANWARD_DNS_UPSTREAMS = [
    a.strip()
    for a in os.environ.get("LANWARD_DNS_UPSTREAMS", "9.9.9.9:53,1.1.1.1:53").split(",")
    if a.strip()
]
LANWARD_DNS_BLOCK_ANSWER = os.environ.get("LANWARD_DNS_BLOCK_ANSWER", "nxdomain")
LANWARD_STATION_NAMES = [
    h.strip() for h in os.environ.get("LANWARD_STATION_NAMES", "").split(",") if h.strip()
]
LANWARD_DNS_LOG_DAYS = env_int("LANWARD_DNS_LOG_DAYS", 7)
LANWARD_DNS_LOG_MAX_ROWS = env_int("LANWARD_DNS_LOG_MAX_ROWS", 1_000_000)

# --- Privacy (defaults of a new station; the household changes them in Privacy settings) --------
LANWARD_ALERT_RETENTION_DAYS = env_int("LANWARD_ALERT_RETENTION_DAYS", 365)
LANWARD_DEVICE_EVENT_RETENTION_DAYS = env_int("LANWARD_DEVICE_EVENT_RETENTION_DAYS", 365)
LANWARD_NOTICE_RETENTION_DAYS = env_int("LANWARD_NOTICE_RETENTION_DAYS", 90)
LANWARD_OUTBOX_RETENTION_DAYS = env_int("LANWARD_OUTBOX_RETENTION_DAYS", 30)
LANWARD_NOTIFICATION_RETENTION_DAYS = env_int("LANWARD_NOTIFICATION_RETENTION_DAYS", 90)
LANWARD_FINDING_RETENTION_DAYS = env_int("LANWARD_FINDING_RETENTION_DAYS", 365)

# --- Security check (default and weak passwords, known vulnerabilities) -----------------------
# Weekly by default (0: no scheduled scans); automatic scans (schedule, new devices) are never
# closer together than the minimum interval. Scans only reach the home networks (LANWARD_HOME_NETS).
LANWARD_SCAN_INTERVAL_DAYS = env_int("LANWARD_SCAN_INTERVAL_DAYS", 7)
LANWARD_SCAN_MIN_INTERVAL_MINUTES = env_int("LANWARD_SCAN_MIN_INTERVAL_MINUTES", 60)
LANWARD_SCAN_NEW_DEVICES = env_bool("LANWARD_SCAN_NEW_DEVICES", True)
# Automatic scans (schedule, new devices) only where a station watches a real network: the demo's
# made-up devices are never probed (their addresses may belong to real devices on this LAN).
LANWARD_SCAN_AUTOMATIC = env_bool("LANWARD_SCAN_AUTOMATIC", bool(LANWARD_INTERFACE))
LANWARD_SCAN_PASSWORDS = env_bool("LANWARD_SCAN_PASSWORDS", True)
LANWARD_SCAN_ATTEMPTS_PER_DEVICE = env_int("LANWARD_SCAN_ATTEMPTS_PER_DEVICE", 30)
# nmap -sV for version detection: "auto" (when installed), "on" or "off" (built-in scanner only).
LANWARD_SCAN_NMAP = os.environ.get("LANWARD_SCAN_NMAP", "auto").strip().lower() or "auto"
if LANWARD_SCAN_NMAP not in ("auto", "on", "off"):
    raise SystemExit(f"LANWARD_SCAN_NMAP must be auto, on or off, got {LANWARD_SCAN_NMAP!r}")
_scan_ports = os.environ.get("LANWARD_SCAN_PORTS", "")  # empty: the scanner's default list
try:
    LANWARD_SCAN_PORTS = tuple(int(p) for p in _scan_ports.split(",") if p.strip())
except ValueError:
    raise SystemExit(
        f"LANWARD_SCAN_PORTS must be comma-separated port numbers, got {_scan_ports!r}"
    ) from None

# --- Notifications (in the console, email, webhooks) -------------------------------------------
# Webhooks go to internet addresses only, unless listed here (e.g. Home Assistant at home:
# LANWARD_WEBHOOK_ALLOWED_NETS=192.168.1.10/32).
LANWARD_WEBHOOK_ALLOWED_NETS = [
    n.strip() for n in os.environ.get("LANWARD_WEBHOOK_ALLOWED_NETS", "").split(",") if n.strip()
]
LANWARD_WEBHOOK_TIMEOUT_SECONDS = env_int("LANWARD_WEBHOOK_TIMEOUT_SECONDS", 10)
# A failed email or webhook is tried again after ~base, 2*base, 4*base, ... (capped, jittered).
LANWARD_NOTIFY_MAX_ATTEMPTS = env_int("LANWARD_NOTIFY_MAX_ATTEMPTS", 10)
LANWARD_NOTIFY_RETRY_BASE_SECONDS = env_int("LANWARD_NOTIFY_RETRY_BASE_SECONDS", 30)
LANWARD_NOTIFY_RETRY_CAP_SECONDS = env_int("LANWARD_NOTIFY_RETRY_CAP_SECONDS", 6 * 3600)
# How long the approve / block links in a new-device email work.
LANWARD_NOTIFY_LINK_SECONDS = env_int("LANWARD_NOTIFY_LINK_SECONDS", 7 * 86400)

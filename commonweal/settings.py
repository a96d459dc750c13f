"""Settings for Commonweal, read from the environment.

Everything a deployment changes is an environment variable; defaults make a laptop work.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("COMMONWEAL_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """Use SECRET_KEY if set; otherwise keep one generated key in var/ so sessions survive restarts."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]
SITE_NAME = os.environ.get("SITE_NAME", "Commonweal")
# The hub's public address with its scheme and any port (https://hub.example.org,
# http://127.0.0.1:8000). Links in mail and calendar feeds are built on it; unset, feeds follow
# the request they answer and mail falls back to http://localhost:8000.
SITE_URL = os.environ.get("SITE_URL", "").strip().rstrip("/")
# Freshness: a group's admins are asked "still active?" this many days after the listing was
# last confirmed (or listed), and listings unconfirmed for longer fade. Check-in links in
# those mails work for CHECKIN_LINK_DAYS.
FRESHNESS_INTERVAL_DAYS = int(os.environ.get("FRESHNESS_INTERVAL_DAYS", "180"))
CHECKIN_LINK_DAYS = int(os.environ.get("CHECKIN_LINK_DAYS", "60"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Only for its static files: the API's interactive docs are then served from this hub
    # instead of a CDN (a hub promises visitors no third-party requests).
    "ninja",
    "commonweal",
    "accounts",
    # Second factors (security/README.md): apps' one-time codes, recovery codes, security keys
    # and passkeys; the security app holds the pages, the rules and the session list.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "security",
    "outbox",
    "places",
    "directory",
    "sources",
    "resolution",
    "coalitions",
    "api",
    "commonground",
    "django_tasks_db",
    "actions",
    "outreach",
    "solidarity",
    "assemblies",
    "plans",
    "programs",
    "connections",
    "vouching",
    "overview",
    "departures",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "security.middleware.SecureResponse",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "security.middleware.SecondFactorGate",
    "security.middleware.SessionTracker",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "commonweal.errors.MethodNotAllowedPage",
    # Last, as django-axes asks: it turns a locked-out sign-in into a 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "commonweal.urls"
# A form sent with an expired or missing security token gets a page that says so.
CSRF_FAILURE_VIEW = "commonweal.errors.csrf_failure"
WSGI_APPLICATION = "commonweal.wsgi.application"
ASGI_APPLICATION = "commonweal.asgi.application"

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
                "commonweal.context_processors.site",
                "django.template.context_processors.csp",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'commonweal.sqlite3'}"),
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers and one writer work at once; the lock wait avoids spurious "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
            # Per connection, and every server thread has one. No memory map: each connection's
            # map of the file counts again in the worker's memory; the operating system caches
            # the file anyway, and a modest page cache per connection keeps a worker small.
            "PRAGMA mmap_size=0;PRAGMA cache_size=-16384;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0 if os.environ.get("PYTEST_XDIST_WORKER") else 600

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Checked in this order on every sign-in: an address with too many recent failures is refused
# first, then a locked account (django-axes), and only then the password.
AUTHENTICATION_BACKENDS = [
    "accounts.backends.AddressLimitBackend",
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]

if os.environ.get("PYTEST_VERSION"):
    # Tests create many people; the real hashers are slow by design.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [BASE_DIR / "static"]
try:
    import xstatic.pkg.leaflet

    STATICFILES_DIRS.append(("leaflet", Path(xstatic.pkg.leaflet.BASE_DIR)))
except ImportError:  # pragma: no cover - only when installed without its dependencies
    pass
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or os.environ.get("PYTEST_VERSION")
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = True

# Outgoing mail. Every message goes into the outbox (outbox/backends.py). With no EMAIL_HOST
# (the embedded default) it stays there, readable by site coordinators, and nothing pretends it
# was sent; with EMAIL_HOST set (or EMAIL_BACKEND naming another backend, e.g. the console one
# on a laptop) it is handed to that "relay" and retried by the background worker on failure.
_smtp_options: dict[str, object] = {
    "host": os.environ.get("EMAIL_HOST", ""),
    "port": int(os.environ.get("EMAIL_PORT", "25")),
    "username": os.environ.get("EMAIL_HOST_USER", ""),
    "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
    "use_tls": _env_bool("EMAIL_USE_TLS"),
    "timeout": int(os.environ.get("EMAIL_TIMEOUT", "20")),
}
MAILERS: dict[str, dict[str, object]] = {"default": {"BACKEND": "outbox.backends.OutboxBackend"}}
if os.environ.get("EMAIL_BACKEND"):
    MAILERS["relay"] = {"BACKEND": os.environ["EMAIL_BACKEND"]}
elif _smtp_options["host"]:
    MAILERS["relay"] = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": _smtp_options,
    }
OUTBOX_DIR = VAR_DIR / "outbox"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "hub@localhost")

# Background work (alert fan-out, notices) goes through Django's tasks interface. The default
# queue lives in the database (run `commonweal db_worker`); production may set
# TASKS_BACKEND=django_tasks_rq.RQBackend for Redis-backed workers (see actions/README.md).
TASKS = {"default": {"BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}
if TASKS["default"]["BACKEND"] == "django_tasks_rq.RQBackend":  # the optional "redis" extra
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}}

# The map's tile server. Tiles are the one thing a browser fetches from elsewhere; point this
# at your own tile server to keep visitors' map views on infrastructure you trust.
MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
MAP_TILE_ATTRIBUTION = os.environ.get(
    "MAP_TILE_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
)

SESSION_COOKIE_HTTPONLY = True
# Cookies are Secure by default; `make run` and DEBUG serve plain http on 127.0.0.1 and turn it
# off. Whatever this says, a request that arrived over HTTPS gets Secure cookies
# (security.middleware.SecureResponse), and HSTS is sent only on such requests.
SECURE_COOKIES = _env_bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SECURE_HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", "31536000" if SECURE_COOKIES else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("HSTS_INCLUDE_SUBDOMAINS")
# Coordinators hold the keys to many groups' private contacts: their sessions end sooner.
COORDINATOR_SESSION_SECONDS = int(os.environ.get("COORDINATOR_SESSION_SECONDS", str(8 * 3600)))
# Coordinators and admins of coalitions that ask it must have a second factor. The rest of the
# test suite signs coordinators in directly to test their pages; security's tests turn it on.
SECOND_FACTOR_ENFORCED = _env_bool(
    "SECOND_FACTOR_ENFORCED", default=not os.environ.get("PYTEST_VERSION")
)
OTP_TOTP_ISSUER = SITE_NAME
# A passkey is asked for after the password, never instead of it: one sign-in path to guard.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_NAME = SITE_NAME
# The relying party is the host the page was served from, so a passkey made on one hub's
# address is asked for only there.
OTP_WEBAUTHN_HELPER_CLASS = "security.webauthn.HubWebAuthnHelper"
# The library checks for a fixed relying party and origin list; ours come from the request
# (security/webauthn.py), so those two checks do not apply.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E010", "otp_webauthn.E030"]
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"


def _tile_origin(url: str) -> str:
    """The map tiles' origin for the image policy ("{s}" subdomains become a wildcard)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Content-Security-Policy (Django's own, django.middleware.csp). Scripts only from the hub's
# files or carrying this response's nonce; no eval. Stylesheets only from the hub's files; style
# *attributes* are allowed because a few bars and group colours are drawn from data, and an
# attribute cannot hold the selectors that CSS-injection attacks need. Images: the hub, the map's
# tile server and data: (Leaflet's and the API docs' small icons).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", *filter(None, [_tile_origin(MAP_TILE_URL)])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# Features no page of the hub uses stay off for it and anything it might embed.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
    "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), serial=(), "
    "publickey-credentials-get=(self), publickey-credentials-create=(self)"
)

NINJA_PAGINATION_PER_PAGE = 25

# Counters for rate limits and lockouts must be the same for every web process, so they live in
# the database (a table made by accounts' migrations), never in one process's memory. A
# deployment with Redis may point LIMITS_CACHE_URL at it (redis://...) instead.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "limits": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["LIMITS_CACHE_URL"],
        }
        if os.environ.get("LIMITS_CACHE_URL")
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "commonweal_limits",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    ),
}
# django-ratelimit counts in it (its app is not installed: it has no models, and its check
# prefers memcached; the database cache may lose an increment when two requests race, which
# lets one request more through; lockouts, which must be exact, django-axes counts in rows).
RATELIMIT_USE_CACHE = "limits"
RATELIMIT_IP_META_KEY = "accounts.limits.client_address"

# Sign-in lockout (django-axes): this many wrong passwords for one account lock it, from any
# address, until its owner follows the mailed unlock link, resets the password, or a day passes.
AXES_FAILURE_LIMIT = int(os.environ.get("SIGNIN_LOCKOUT_FAILURES", "20"))
AXES_COOLOFF_TIME = float(os.environ.get("SIGNIN_LOCKOUT_HOURS", "24"))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "accounts.limits.signin_username"
AXES_LOCKOUT_CALLABLE = "accounts.limits.lockout_response"
AXES_RESET_ON_SUCCESS = True
# Tries while locked are refused without being counted, so the lock runs from the last counted
# failure (and the sign-in page knows at once that the account, not the password, said no).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Sign-ins are kept in the hub's own audit log; axes keeps only the counts it needs.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "accounts.limits.client_address"
# axes warns that it does not lock by address; the hub limits addresses itself (failed
# sign-ins per address, accounts.backends.AddressLimitBackend), with a window of its own
# rather than locking a whole shared network out for a day.
SILENCED_SYSTEM_CHECKS += ["axes.W006"]
# Behind reverse proxies, how many of them add to X-Forwarded-For (0: the client's address is
# the connection's own, and the header, which anyone can send, is ignored).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Imports read uploaded files in a child process that may use this much memory (MB) on top of
# what it starts with, and a run from the pages may take this long (seconds) before it is
# stopped and marked failed. A hostile file ends only that child, never the worker.
IMPORT_MEMORY_MB = int(os.environ.get("IMPORT_MEMORY_MB", "2048"))
IMPORT_TIME_LIMIT = int(os.environ.get("IMPORT_TIME_LIMIT", "3600"))

# How long after both groups accept an introduction the hub asks them whether they met.
INTRODUCTION_FOLLOWUP_DAYS = float(os.environ.get("INTRODUCTION_FOLLOWUP_DAYS", "21"))

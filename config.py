"""Every setting, read from the environment, with embedded defaults.

Development needs no environment at all: SQLite under instance/, jobs run
in-process, limiter in memory. Production (APP_ENV=production) refuses to
start with the default secret key.
"""
import os
from datetime import timedelta

from flask_appbuilder.security.manager import AUTH_DB

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.environ.get("INSTANCE_DIR", os.path.join(BASE_DIR, "instance"))
DEFAULT_SECRET_KEY = "dev-only-secret-key-change-me"


def _env(name, default=None):
    value = os.environ.get(name)
    return default if value in (None, "") else value


def _bool(name, default=False):
    return str(_env(name, default)).lower() in ("1", "true", "yes", "on")


APP_ENV = _env("APP_ENV", "development")
SECRET_KEY = _env("SECRET_KEY", DEFAULT_SECRET_KEY)
# Keys for ID numbers: AES-GCM encryption and an HMAC blind index.  In
# development they are derived from SECRET_KEY; production must set them.
ID_NUMBER_ENC_KEY = _env("ID_NUMBER_ENC_KEY")
ID_NUMBER_HMAC_KEY = _env("ID_NUMBER_HMAC_KEY")

SQLALCHEMY_DATABASE_URI = _env(
    "DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "platform.db")
)
SQLALCHEMY_TRACK_MODIFICATIONS = False
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# Background jobs: without REDIS_URL tasks run in-process (Celery eager mode).
REDIS_URL = _env("REDIS_URL")
CELERY = {
    "broker_url": REDIS_URL or "memory://",
    "result_backend": REDIS_URL or "cache+memory://",
    "task_always_eager": not REDIS_URL,
    "task_eager_propagates": True,
    "task_ignore_result": False,
    "broker_connection_retry_on_startup": True,
    # S10: a worker takes one message at a time, so a killed worker strands one job, not a prefetched queue
    "worker_prefetch_multiplier": 1,
    # a job left unacknowledged by a dead worker goes back to the queue after this long (app.tasks.job_task)
    "broker_transport_options": {"visibility_timeout": int(_env("JOB_VISIBILITY_TIMEOUT", 3600)),
                                 "unacked_restore_interval": int(_env("JOB_RESTORE_INTERVAL", 10)),
                                 "unacked_restore_throttle": int(_env("JOB_RESTORE_THROTTLE", 10))},
    # C2: unpaid orders past their expiry are closed every 10 minutes (celery beat)
    "beat_schedule": {"expire-orders": {"task": "expire_orders", "schedule": 600.0},
                      # H4: exam, payment and review reminders, each sent once (app/services/reminders.py)
                      "send-reminders": {"task": "send_reminders", "schedule": 300.0}},
}

# Delivery backends for e-mail and SMS (dotted paths, pluggable).
EMAIL_BACKEND = _env("EMAIL_BACKEND", "app.services.delivery.ConsoleBackend")
SMS_BACKEND = _env("SMS_BACKEND", "app.services.delivery.ConsoleBackend")

# Flask-AppBuilder
APP_NAME = "认证考务平台"
APP_THEME = ""
AUTH_TYPE = AUTH_DB
AUTH_ROLE_ADMIN = "Admin"
AUTH_ROLE_PUBLIC = "Public"
AUTH_USER_REGISTRATION = False
FAB_SECURITY_MANAGER_CLASS = "app.security.PlatformSecurityManager"
FAB_INDEX_VIEW = "views.home.HomeView"
FAB_BASE_TEMPLATE = "platform/baselayout.html"  # FAB's layout plus the shared file picker (static/filepicker.js)
FAB_UPDATE_PERMS = False  # permissions are synced explicitly after migrations
FAB_CREATE_DB = False
FAB_ADD_SECURITY_API = False  # FAB's user/role REST API answers 500s under fuzzing
FAB_API_SWAGGER_UI = True
FAB_API_MAX_PAGE_SIZE = 100
# hosts a login may redirect to (fnmatch patterns); never the request's own Host header
FAB_SAFE_REDIRECT_HOSTS = [h for h in _env("SAFE_REDIRECT_HOSTS", "127.0.0.1:*,localhost:*,127.0.0.1,localhost")
                           .split(",") if h]
FAB_PASSWORD_COMPLEXITY_ENABLED = True
from app.identity import password_complexity  # noqa: E402

FAB_PASSWORD_COMPLEXITY_VALIDATOR = password_complexity
LIST_PAGE_SIZE_MAX = 100
# P1: lists count exactly up to this many rows; beyond it PostgreSQL's estimate is shown as such (约)
LIST_EXACT_COUNT = int(_env("LIST_EXACT_COUNT", 10000))

# Login throttling on the form and the API, storage shared between workers.
AUTH_RATE_LIMITED = True
AUTH_RATE_LIMIT = _env("AUTH_RATE_LIMIT", "10 per minute")
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", REDIS_URL or "memory://")
RATELIMIT_HEADERS_ENABLED = True
# S10: with Redis down the limits count in memory per process instead of turning every page into a 500
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
RATELIMIT_SWALLOW_ERRORS = True
VERIFY_RATE_LIMIT = _env("VERIFY_RATE_LIMIT", "30 per minute")  # E5: per IP, the JSON answers and the PDF check

# Sessions: HttpOnly, SameSite=Lax, Secure in production; idle and absolute timeouts.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = APP_ENV == "production"
REMEMBER_COOKIE_HTTPONLY = True
PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(_env("SESSION_IDLE_MINUTES", 30)))
SESSION_IDLE_SECONDS = int(_env("SESSION_IDLE_MINUTES", 30)) * 60
SESSION_ABSOLUTE_SECONDS = int(_env("SESSION_ABSOLUTE_HOURS", 12)) * 3600
SESSION_SEEN_STEP = 60  # seconds: the idle clock is kept to the minute (the cookie changes once a minute at most)
SESSION_REFRESH_EACH_REQUEST = False  # a cookie is sent when the session changed, not with every page

# P5: the busiest portal pages kept whole for a few seconds in each server process (app/page_cache.py)
PAGE_CACHE_SECONDS = int(_env("PAGE_CACHE_SECONDS", 5))
PAGE_CACHE_ENTRIES = 256
PAGE_CACHE_MAX_BYTES = 256 * 1024

WTF_CSRF_ENABLED = True
WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
MAX_CONTENT_LENGTH = int(_env("MAX_CONTENT_MB", 32)) * 1024 * 1024
UPLOAD_DIR = _env("UPLOAD_DIR", os.path.join(INSTANCE_DIR, "uploads"))

# Babel: Chinese first, English second.
BABEL_DEFAULT_LOCALE = "zh"
BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")
LANGUAGES = {
    "zh": {"flag": "cn", "name": "简体中文"},
    "en": {"flag": "gb", "name": "English"},
}

# Demo data is only ever loaded on request, never in production.
DEMO_PASSWORD = "Demo@2026"

# Verification codes (A1, A4, A5): SMS codes live 2 minutes, one per phone per 2 minutes
SMS_CODE_TTL_SECONDS = 120
SMS_RESEND_SECONDS = 120
SMS_DAILY_LIMIT_PER_PHONE = int(_env("SMS_DAILY_LIMIT_PER_PHONE", 10))
SMS_DAILY_LIMIT_PER_IP = int(_env("SMS_DAILY_LIMIT_PER_IP", 30))
SMS_MAX_ATTEMPTS = 5
CAPTCHA_TTL_SECONDS = 300
# SMS login also asks for the ID number (A4 "where the exam requires it")
PORTAL_SMS_LOGIN_NEEDS_ID = _bool("PORTAL_SMS_LOGIN_NEEDS_ID", False)
# contact details shown on the portal (H1)
CONTACT = {
    "phone": _env("CONTACT_PHONE", "010-6000 0000"),
    "email": _env("CONTACT_EMAIL", "service@example.org"),
    "address": _env("CONTACT_ADDRESS", "北京市朝阳区示例路 1 号"),
    "hours": _env("CONTACT_HOURS", "工作日 9:00–17:00"),
}
REALNAME_VERIFIER = _env("REALNAME_VERIFIER", "app.services.realname.ConsistencyVerifier")
# D6: the photo check of 认证 / 批量认证, a class with check(person, jpeg_bytes) -> (ok, reason)
PHOTO_CHECKER = _env("PHOTO_CHECKER", "app.services.photo_check.FaceAndBackgroundChecker")
PHOTO_CHECK_BACKGROUND = _env("PHOTO_CHECK_BACKGROUND", "red")  # "" = any colour
# D5: limits of a photo zip (whole archive refused beyond them)
PHOTO_IMPORT_MAX_FILES = int(_env("PHOTO_IMPORT_MAX_FILES", 3000))
PHOTO_IMPORT_MAX_TOTAL_MB = int(_env("PHOTO_IMPORT_MAX_TOTAL_MB", 300))
PHOTO_IMPORT_MAX_RATIO = int(_env("PHOTO_IMPORT_MAX_RATIO", 100))
# an HTTP SMS provider (used when SMS_BACKEND = app.services.delivery.HttpSmsBackend)
SMS_HTTP_URL = _env("SMS_HTTP_URL")
SMS_HTTP_TOKEN = _env("SMS_HTTP_TOKEN")
SMS_HTTP_SIGN = _env("SMS_HTTP_SIGN", "认证考务平台")

# Printables (B9 …): the CJK font embedded (subset) into every PDF.  Noto Sans CJK SC is
# under the OFL: drop NotoSansCJKsc-Regular.otf into app/fonts/, or install Debian's
# fonts-noto-cjk (`make install` does so when it runs as root).  A .ttc collection is fine:
# its Simplified Chinese face is picked by name unless PDF_FONT_INDEX says which one.
PDF_FONT_CANDIDATES = [
    os.path.join(BASE_DIR, "app", "fonts", "NotoSansCJKsc-Regular.otf"),
    os.path.join(BASE_DIR, "app", "fonts", "NotoSansSC-Regular.otf"),
    os.path.join(BASE_DIR, "app", "fonts", "NotoSansCJK-Regular.ttc"),
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch: noto-fonts-cjk
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora: google-noto-sans-cjk-fonts
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
]


def _first_existing(paths):
    return next((p for p in paths if os.path.isfile(p)), None)


PDF_FONT_PATH = _env("PDF_FONT_PATH", _first_existing(PDF_FONT_CANDIDATES))
# the bold face for titles and labels; default: the same file name with Bold for Regular, if present
PDF_FONT_BOLD_PATH = _env("PDF_FONT_BOLD_PATH", _first_existing(
    [PDF_FONT_PATH.replace("Regular", "Bold")] if PDF_FONT_PATH and "Regular" in PDF_FONT_PATH else []))
PDF_FONT_INDEX = _env("PDF_FONT_INDEX")  # face number inside a .ttc; default: the "SC" face
# D11: a room's printable of more pages than this is made as a background job, not while the browser waits
PRINTABLES_SYNC_MAX_PAGES = int(_env("PRINTABLES_SYNC_MAX_PAGES", 400))
# E4: 颁发证书 of more certificates than this runs as a background job (each PDF takes ~0.5–1 s: font subsetting)
CERTIFICATE_SYNC_MAX = int(_env("CERTIFICATE_SYNC_MAX", 20))
# E5: the public address printed in certificate QR codes (jobs render PDFs outside a request)
PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
# E9: annual confirmation is offered this many days before a certificate expires (and after)
ANNUAL_CONFIRMATION_DAYS = int(_env("ANNUAL_CONFIRMATION_DAYS", 90))

# Payments (C1–C7): unpaid orders expire; the online gateway is pluggable.
ORDER_EXPIRY_HOURS = int(_env("ORDER_EXPIRY_HOURS", 48))
# the sandbox "pays" without money: never the default in production (app.check_production_config refuses it)
PAYMENT_GATEWAY = _env("PAYMENT_GATEWAY", "" if APP_ENV == "production" else "sandbox")
# the sandbox signs its pay links and notifications with this key (derived from SECRET_KEY when unset)
PAYMENT_SANDBOX_SECRET = _env("PAYMENT_SANDBOX_SECRET")
VOUCHER_MAX_BYTES = 2 * 1024 * 1024
# I4: a list longer than this is exported by a background job (progress and a download link)
EXPORT_SYNC_ROWS = int(_env("EXPORT_SYNC_ROWS", 5000))
# H4: how long before a sitting and before a payment deadline the reminders go out
EXAM_REMINDER_HOURS = int(_env("EXAM_REMINDER_HOURS", 48))
PAYMENT_REMINDER_HOURS = int(_env("PAYMENT_REMINDER_HOURS", 24))
# without Redis there is no celery beat: `make run` runs its schedule in a thread of the server (app/beat.py)
INPROCESS_BEAT = _bool("INPROCESS_BEAT", False)
# S10: a queued or running job whose worker made no progress for this long is taken as interrupted
JOB_STALE_SECONDS = int(_env("JOB_STALE_SECONDS", 900))
# a job whose worker died this many times is given up (a file that kills its worker must not loop)
JOB_MAX_ATTEMPTS = int(_env("JOB_MAX_ATTEMPTS", 3))
# test-only: a Redis URL; the jobs pause at app.services.jobs.checkpoint while the test holds a key
JOB_TEST_HOLD = _env("JOB_TEST_HOLD")

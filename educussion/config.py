"""Configuration read from the environment, with safe defaults for local use."""
from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Mapping
from typing import Any

# The key this project once published as its development default: refused everywhere.
PUBLISHED_SECRET_KEYS = frozenset({"dev-only-not-secret"})
SECRET_KEY_FILE = "secret_key"  # in the instance folder, made on first start when SECRET_KEY is not set
ROLES = ("mayor", "municipal_staff", "company", "academic", "secretariat", "site_editor")


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int) -> int:
    return int(value) if value not in (None, "") else default


def normalise_database_url(url: str) -> str:
    """Accept the URLs hosting platforms hand out and use the psycopg 3 driver for PostgreSQL."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment(instance_path: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if env is None else env
    production = env.get("EDUCUSSION_ENV", "development") == "production"
    database_url = env.get("DATABASE_URL") or "sqlite:///" + os.path.join(instance_path, "educussion.db")
    starter_roles = env.get("EDUCUSSION_THREAD_STARTER_ROLES", "mayor,municipal_staff,secretariat")
    two_step_roles = env.get("EDUCUSSION_TWO_STEP_ROLES", "secretariat")
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": env.get("SECRET_KEY") or None,  # None: instance/secret_key (see instance_secret_key)
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SQLITE_BUSY_TIMEOUT": _int(env.get("EDUCUSSION_SQLITE_BUSY_TIMEOUT"), 30),
        "THREAD_STARTER_ROLES": tuple(r.strip() for r in starter_roles.split(",") if r.strip()),
        # Roles that must use two-step log-in (2段階認証); the others may turn it on in their profile.
        "TWO_STEP_REQUIRED_ROLES": tuple(r.strip() for r in two_step_roles.split(",") if r.strip()),
        "THREADS_PER_PAGE": _int(env.get("EDUCUSSION_THREADS_PER_PAGE"), 20),
        "POSTS_PER_PAGE": _int(env.get("EDUCUSSION_POSTS_PER_PAGE"), 30),
        "CONTENT_SECURITY_POLICY": _bool(env.get("EDUCUSSION_CSP"), True),
        # Strict-Transport-Security max-age; 0 sends none. On (one year) in production.
        "HSTS_SECONDS": _int(env.get("EDUCUSSION_HSTS_SECONDS"), 365 * 24 * 3600 if production else 0),
        "BABEL_DEFAULT_LOCALE": "ja",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Tokyo",
        "LANGUAGES": ("ja", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(env.get("EDUCUSSION_SECURE_COOKIES"), production),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool(env.get("EDUCUSSION_SECURE_COOKIES"), production),
        "REMEMBER_COOKIE_DURATION": 60 * 60 * 24 * _int(env.get("EDUCUSSION_REMEMBER_DAYS"), 30),
        "SEARCH_INDEX_DIR": env.get("EDUCUSSION_SEARCH_INDEX_DIR", ""),
        "SEARCH_DRAIN": env.get("EDUCUSSION_SEARCH_DRAIN", "request"),
        "SEARCH_TIME_LIMIT": float(env.get("EDUCUSSION_SEARCH_TIME_LIMIT") or 2.0),
        "SEARCH_MAX_DEPTH": _int(env.get("EDUCUSSION_SEARCH_MAX_DEPTH"), 1000),
        "SEARCH_REINDEX_PROCS": _int(env.get("EDUCUSSION_SEARCH_REINDEX_PROCS"), min(os.cpu_count() or 1, 4)),
        "SEARCH_LOG_BATCH": _int(env.get("EDUCUSSION_SEARCH_LOG_BATCH"), 20),
        "SEARCH_LOG_SECONDS": _int(env.get("EDUCUSSION_SEARCH_LOG_SECONDS"), 60),
        "SEARCH_RESULTS_PER_PAGE": 20,
        "TRUSTED_PROXIES": _int(env.get("EDUCUSSION_TRUSTED_PROXIES"), 0),
        # Per-client (IP address; an IPv6 /64) limits, counted in Redis when REDIS_URL is set (shared by
        # every worker), else in each process. Failed log-ins are counted before the password is hashed.
        "RATELIMIT_ENABLED": _bool(env.get("EDUCUSSION_RATE_LIMITS"), True),
        "RATELIMIT_STORAGE_URI": env.get("REDIS_URL") or "memory://",
        "RATELIMIT_KEY_PREFIX": "educussion",
        "RATELIMIT_STRATEGY": "moving-window",
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": bool(env.get("REDIS_URL")),  # Redis down: count per process
        "LOGIN_FAILURES_PER_CLIENT": env.get("EDUCUSSION_LOGIN_FAILURES_PER_CLIENT") or "30 per 10 minutes",
        "ACCOUNT_MAILS_PER_CLIENT": env.get("EDUCUSSION_ACCOUNT_MAILS_PER_CLIENT") or "20 per hour",
        "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session: no expiry mid-writing
        # argon2id cost; tests lower it to keep the suite fast.
        "PASSWORD_TIME_COST": 3,
        "PASSWORD_MEMORY_COST": 65536,
        # A post's form carries up to MAX_FILES_PER_POST files of MAX_UPLOAD_MB each (evidence: 5 MB).
        "MAX_CONTENT_LENGTH": (_int(env.get("EDUCUSSION_MAX_UPLOAD_MB"), 20) * 10 + 2) * 1024 * 1024,
        "FILES_DIR": env.get("EDUCUSSION_FILES_DIR", ""),  # "": instance/files/
        "MAX_UPLOAD_MB": _int(env.get("EDUCUSSION_MAX_UPLOAD_MB"), 20),
        # Seconds the search drain right after a post spends reading attached files; the rest is read by the
        # next drain (`flask search worker`, `flask search sync`, or the next post's).
        "FILES_EXTRACT_SECONDS": float(env.get("EDUCUSSION_FILES_EXTRACT_SECONDS") or 10),
        "EMAIL_CONFIRM_MAX_AGE": 3 * 24 * 3600,
        "PASSWORD_RESET_MAX_AGE": 2 * 3600,
        "INVITATION_DAYS": _int(env.get("EDUCUSSION_INVITATION_DAYS"), 14),
        "REPORTS_PER_HOUR": _int(env.get("EDUCUSSION_REPORTS_PER_HOUR"), 10),
        "MODERATION_MAIL": _bool(env.get("EDUCUSSION_MODERATION_MAIL"), True),
        "BASE_URL": env.get("EDUCUSSION_BASE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "MAIL_BACKEND": "smtp" if env.get("EDUCUSSION_SMTP_HOST") else "file",
        "MAIL_SEND": env.get("EDUCUSSION_MAIL_SEND", "request"),  # request: right after the change; cron
        "MAIL_FOLDER": env.get("EDUCUSSION_MAIL_FOLDER", ""),
        "MAIL_SEND_SECONDS": float(env.get("EDUCUSSION_MAIL_SEND_SECONDS") or 50),  # a run's budget (cron: 1/min)
        "MAIL_CLAIM_SECONDS": _int(env.get("EDUCUSSION_MAIL_CLAIM_SECONDS"), 600),
        # Retention in days (0: keep forever); `flask maintenance purge` and the search worker delete older rows.
        "RETAIN_THROTTLE_DAYS": _int(env.get("EDUCUSSION_RETAIN_THROTTLE_DAYS"), 7),
        "RETAIN_SEARCH_LOG_DAYS": _int(env.get("EDUCUSSION_RETAIN_SEARCH_LOG_DAYS"), 365),
        "RETAIN_SENT_MAIL_DAYS": _int(env.get("EDUCUSSION_RETAIN_SENT_MAIL_DAYS"), 90),
        "MAIL_FROM": env.get("EDUCUSSION_MAIL_FROM", "board@example.jp"),
        "MAIL_FROM_NAME": env.get("EDUCUSSION_MAIL_FROM_NAME", "エデュカッションボード"),
        # The secretariat's contact, at the foot of every mail.
        "CONTACT_EMAIL": env.get("EDUCUSSION_CONTACT_EMAIL") or env.get("EDUCUSSION_MAIL_FROM", "board@example.jp"),
        "CONTACT_PHONE": env.get("EDUCUSSION_CONTACT_PHONE", ""),
        # The site's contact details (edited in サイト管理, which wins over the two above) are read again after this.
        "SITE_SETTINGS_SECONDS": _int(env.get("EDUCUSSION_SITE_SETTINGS_SECONDS"), 30),
        "NEWS_PER_PAGE": _int(env.get("EDUCUSSION_NEWS_PER_PAGE"), 20),
        "SMTP_HOST": env.get("EDUCUSSION_SMTP_HOST", ""),
        "SMTP_PORT": _int(env.get("EDUCUSSION_SMTP_PORT"), 587),
        "SMTP_USER": env.get("EDUCUSSION_SMTP_USER", ""),
        "SMTP_PASSWORD": env.get("EDUCUSSION_SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": _bool(env.get("EDUCUSSION_SMTP_STARTTLS"), True),
    }


def check_production(config: Mapping[str, Any]) -> None:
    """Production refuses to start without an explicit, long SECRET_KEY (never the instance file's)."""
    key = config.get("SECRET_KEY") or ""
    if key in PUBLISHED_SECRET_KEYS:
        raise RuntimeError("SECRET_KEY is set to a published development key: remove it or set a random value.")
    if config["ENV_NAME"] != "production":
        return
    if len(key) < 32:
        raise RuntimeError(
            "EDUCUSSION_ENV=production needs SECRET_KEY set to a random value of at least 32 characters "
            '(python -c "import secrets; print(secrets.token_hex(32))").'
        )


def instance_secret_key(instance_path: str) -> str:
    """The key in instance/secret_key, made (random, mode 0600) on first start and reused from then on.

    Several workers may start at once: the key is written to a temporary file and linked into place, so
    a reader never sees a half-written file and every worker ends up with the one key that won."""
    path = os.path.join(instance_path, SECRET_KEY_FILE)
    if not os.path.exists(path):
        fd, temporary = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.link(temporary, path)
        except FileExistsError:
            pass  # another worker made it first: use theirs
        finally:
            os.unlink(temporary)
    with open(path) as f:
        key = f.read().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable key: delete it (a new one is made) or set SECRET_KEY.")
    return key

"""Settings from the environment.

Every setting has a safe default so that a fresh clone runs with nothing configured:
SQLite in the instance folder and a secret key generated once and kept there.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver, which is the one we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def instance_path_setting(configured: str | None) -> str | None:
    """The instance folder asked for, made absolute against the working directory.

    Flask accepts only absolute instance paths; None keeps Flask's default (`instance/`
    beside the `kaizen` package, whatever the working directory).
    """
    return os.path.abspath(configured) if configured else None


def instance_secret_key(instance_path: Path) -> str:
    """Return the secret key kept in the instance folder, creating it on first use."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # Create with owner-only permissions; O_EXCL so two workers starting together agree.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _whole_number(name: str, default: str) -> int:
    """An environment variable that must hold a whole number of 0 or more."""
    raw = os.environ.get(name, default).strip()
    if not raw.isdigit():
        raise ValueError(f"{name} must be a whole number of 0 or more, not {raw!r}.")
    return int(raw)


def _time_zone(name: str) -> str:
    """KAIZEN_TIME_ZONE: an IANA zone name such as Europe/Berlin (default UTC)."""
    from zoneinfo import ZoneInfo

    raw = os.environ.get(name, "").strip() or "UTC"
    try:
        ZoneInfo(raw)
    except (ValueError, KeyError) as error:
        message = f"{name} must be an IANA time zone such as Europe/Berlin, not {raw!r}."
        raise ValueError(message) from error
    return raw


def settings_from_environment(instance_path: Path) -> dict[str, Any]:
    """Build the Flask config mapping from environment variables."""
    env = os.environ
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'kaizen.db'}"
    database_url = normalise_database_url(database_url)
    is_sqlite = database_url.startswith("sqlite")
    auto_migrate_default = "1" if is_sqlite else "0"
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": env.get("SECRET_KEY") or instance_secret_key(instance_path),
        "PORT": int(env.get("PORT", "8000")),
        # Whether SECRET_KEY came from the environment (every host the same) or was generated.
        "SECRET_KEY_FROM_ENVIRONMENT": bool(env.get("SECRET_KEY")),
        # Reverse proxies in front of the app whose X-Forwarded-* headers are believed.
        "TRUSTED_PROXIES": _whole_number("KAIZEN_TRUSTED_PROXIES", "0"),
        "PUBLIC_BASE_URL": env.get("KAIZEN_PUBLIC_BASE_URL", "").rstrip("/"),
        # Apply pending migrations when the app starts (the embedded SQLite default).
        # At scale operators run `kaizen db upgrade` once per deploy instead.
        "AUTO_MIGRATE": env.get("KAIZEN_AUTO_MIGRATE", auto_migrate_default) == "1",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env.get("KAIZEN_SECURE_COOKIES", "0") == "1",
        "REMEMBER_COOKIE_SECURE": env.get("KAIZEN_SECURE_COOKIES", "0") == "1",
        # How long a monthly report build is used while nothing changes (ages grow with
        # time), and how much the shared report cache may hold.
        # The plant's time zone until an admin sets one (Settings, Plant).
        "TIME_ZONE": _time_zone("KAIZEN_TIME_ZONE"),
        "REPORT_MAX_AGE_HOURS": _whole_number("KAIZEN_REPORT_MAX_AGE_HOURS", "12"),
        "REPORT_CACHE_MB": _whole_number("KAIZEN_REPORT_CACHE_MB", "200"),
        # "Keep me signed in": days a remember-me cookie lasts (revoked sooner by sign-out,
        # a password change, a role change or deactivation).
        "REMEMBER_DAYS": _whole_number("KAIZEN_REMEMBER_DAYS", "30"),
        # Sign-in throttling (kept in the database, shared by every worker and host):
        # failures before an account name or a client address is paused, the first pause
        # in seconds (doubling with each further failure) and the longest pause.
        "SIGNIN_ACCOUNT_FAILURES": _whole_number("KAIZEN_SIGNIN_ACCOUNT_FAILURES", "5"),
        "SIGNIN_ADDRESS_FAILURES": _whole_number("KAIZEN_SIGNIN_ADDRESS_FAILURES", "20"),
        "SIGNIN_LOCK_SECONDS": _whole_number("KAIZEN_SIGNIN_LOCK_SECONDS", "30"),
        "SIGNIN_MAX_LOCK_SECONDS": _whole_number("KAIZEN_SIGNIN_MAX_LOCK_SECONDS", "900"),
        "MAX_CONTENT_LENGTH": 12 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        # Requests per minute one API token may send (counted in the database).
        "API_RATE_PER_MINUTE": _whole_number("KAIZEN_API_RATE_PER_MINUTE", "600"),
    }

"""`kaizen doctor`: what is wrong with this deployment, each finding with its fix.

The checks read the app's settings and its database; they change nothing. A *problem* makes
the command exit non-zero (a deploy script can stop on it); a *warning* is worth a look.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from kaizen.extensions import db, migrate

OK, WARNING, PROBLEM = "ok", "warning", "problem"
# Below this much free space a growing SQLite file (and its write-ahead log) may fail writes.
MIN_FREE_BYTES = 1024**3
LOW_FREE_BYTES = 5 * 1024**3


@dataclass(frozen=True)
class Finding:
    """One thing checked: how it stands, what was seen and, unless all is well, the fix."""

    level: str
    topic: str
    message: str
    fix: str = ""


def check_deployment(
    app: Flask, free_bytes: Callable[[Path], int] = lambda p: shutil.disk_usage(p).free
) -> list[Finding]:
    """Every check, in the order an operator would fix them."""
    config = app.config
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    findings = [_database(app)]
    if findings[0].level == OK:
        findings.append(_migrations(app))
    findings.append(_secret_key(url.get_backend_name(), config["SECRET_KEY_FROM_ENVIRONMENT"]))
    findings += _public_address(
        config.get("PUBLIC_BASE_URL", ""),
        bool(config.get("SESSION_COOKIE_SECURE")),
        int(config.get("TRUSTED_PROXIES", 0)),
    )
    if url.get_backend_name() == "sqlite" and url.database:
        findings.append(_disk(Path(url.database).resolve().parent, free_bytes))
    return findings


def _database(app: Flask) -> Finding:
    """The database answers a trivial query."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    where = url.render_as_string(hide_password=True)
    try:
        with app.app_context(), db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as error:
        return Finding(
            PROBLEM,
            "Database",
            f"{where} does not answer ({type(getattr(error, 'orig', None) or error).__name__}).",
            "Check DATABASE_URL, that the database server runs and that this host may reach it.",
        )
    return Finding(OK, "Database", f"{where} answers.")


def _migrations(app: Flask) -> Finding:
    """The database schema is at the newest migration this version ships."""
    with app.app_context():
        script = ScriptDirectory.from_config(migrate.get_config())
        heads = set(script.get_heads())
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
    if current == heads:
        return Finding(OK, "Migrations", f"The schema is at {', '.join(sorted(heads))}.")
    seen = ", ".join(sorted(current)) or "no migration at all"
    return Finding(
        PROBLEM,
        "Migrations",
        f"The schema is at {seen}; this version needs {', '.join(sorted(heads))}.",
        "Back up the database, then run `kaizen db upgrade` once, from one host.",
    )


def _secret_key(backend: str, from_environment: bool) -> Finding:
    """Every host signs cookies with the same key: it must come from the environment."""
    if from_environment:
        return Finding(OK, "Secret key", "SECRET_KEY is set in the environment.")
    if backend == "sqlite":
        return Finding(
            OK, "Secret key", "Generated once and kept in the instance folder (one host)."
        )
    return Finding(
        PROBLEM,
        "Secret key",
        "SECRET_KEY is generated on this host, so other hosts sharing this database sign "
        "cookies with another key: people are signed out as requests move between hosts.",
        "Set SECRET_KEY to the same long random value on every host "
        '(for example `python3 -c "import secrets; print(secrets.token_hex(32))"`).',
    )


def _public_address(base_url: str, secure_cookies: bool, proxies: int) -> list[Finding]:
    """The address printed on QR codes, and what HTTPS in front of the app needs."""
    if not base_url:
        return [
            Finding(
                WARNING,
                "Public address",
                "KAIZEN_PUBLIC_BASE_URL is not set: printed QR codes carry whatever address "
                "the browser used to open the QR page.",
                "Set KAIZEN_PUBLIC_BASE_URL to the address tablets use, "
                "e.g. https://kaizen.plant.example.",
            )
        ]
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return [
            Finding(
                PROBLEM,
                "Public address",
                f"KAIZEN_PUBLIC_BASE_URL={base_url!r} is not an http(s) address.",
                "Use the full address, e.g. https://kaizen.plant.example.",
            )
        ]
    findings = [Finding(OK, "Public address", f"QR codes point at {base_url}.")]
    if parts.scheme == "https":
        findings.append(_https_cookies(secure_cookies))
        findings.append(_https_proxy(proxies))
    return findings


def _https_cookies(secure_cookies: bool) -> Finding:
    """Behind HTTPS, cookies must never travel over plain HTTP."""
    if secure_cookies:
        return Finding(OK, "Secure cookies", "Cookies are sent over HTTPS only.")
    return Finding(
        PROBLEM,
        "Secure cookies",
        "The public address is HTTPS but cookies may also be sent over plain HTTP.",
        "Set KAIZEN_SECURE_COOKIES=1.",
    )


def _https_proxy(proxies: int) -> Finding:
    """HTTPS ends at a proxy in front of gunicorn; the app must believe what it forwards."""
    if proxies > 0:
        return Finding(
            OK, "Reverse proxy", f"The forwarded headers of {proxies} proxy(ies) are believed."
        )
    return Finding(
        PROBLEM,
        "Reverse proxy",
        "The public address is HTTPS, which a reverse proxy provides, but the app trusts "
        "no proxy: it sees plain HTTP and the proxy's address instead of the person's.",
        "Set KAIZEN_TRUSTED_PROXIES to the number of proxies in front of the app (usually 1).",
    )


def _disk(folder: Path, free_bytes: Callable[[Path], int]) -> Finding:
    """Room for the SQLite database to grow."""
    free = free_bytes(folder)
    gib = free / 1024**3
    if free < MIN_FREE_BYTES:
        level = PROBLEM
    elif free < LOW_FREE_BYTES:
        level = WARNING
    else:
        return Finding(OK, "Disk", f"{gib:.1f} GiB free for the database in {folder}.")
    return Finding(
        level,
        "Disk",
        f"Only {gib:.2f} GiB free in {folder}, where the SQLite database grows.",
        "Free some space or move the instance folder (KAIZEN_INSTANCE_PATH) to a larger disk.",
    )


def report(findings: list[Finding]) -> str:
    """The findings as lines a person reads: level, topic, what was seen, and the fix."""
    lines = []
    for finding in findings:
        lines.append(f"{finding.level.upper():8} {finding.topic}: {finding.message}")
        if finding.fix:
            lines.append(f"{'':8} fix: {finding.fix}")
    problems = sum(1 for f in findings if f.level == PROBLEM)
    lines.append("No problems found." if not problems else f"{problems} problem(s) to fix.")
    return "\n".join(lines)

"""Kaizen: a continuous-improvement tracker for the shop floor."""

from __future__ import annotations

import fcntl
import os
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from kaizen.config import instance_path_setting, settings_from_environment
from kaizen.extensions import csrf, db, htmx, login, migrate
from kaizen.faults import KaizenFlask, engine_options
from kaizen.faults import install as install_fault_handling
from kaizen.input import install as install_input_guards


def resource_dir(name: str) -> Path:
    """`templates`, `static` or `migrations`: inside the installed package (a wheel), or at
    the top of the checkout (an editable install, where they live beside the package)."""
    package = Path(str(resources.files("kaizen")))
    packaged = package / name
    return packaged if packaged.is_dir() else package.parent / name


def version() -> str:
    """The installed version of Kaizen."""
    return metadata.version("kaizen")


MIGRATIONS_DIR = resource_dir("migrations")


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the Kaizen app; `config` overrides settings from the environment."""
    config = config or {}
    app = KaizenFlask(
        __name__,
        instance_path=instance_path_setting(
            config.get("INSTANCE_PATH") or os.environ.get("KAIZEN_INSTANCE_PATH")
        ),
        instance_relative_config=True,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
    )
    instance_path = Path(app.instance_path)
    instance_path.mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings_from_environment(instance_path))
    app.config.from_mapping(config)
    trust_proxies(app, app.config.get("TRUSTED_PROXIES", 0))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS")
    )

    install_input_guards(app)
    db.init_app(app)
    install_fault_handling(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    htmx.init_app(app)
    login.init_app(app)

    from kaizen import models  # noqa: F401  (registers every table on the metadata)
    from kaizen.accounts.views import bp as accounts_bp
    from kaizen.admin.views import bp as admin_bp
    from kaizen.api.core import install as install_api
    from kaizen.board.views import bp as board_bp
    from kaizen.cli import register_commands
    from kaizen.devices.mode import install as install_kiosk_mode
    from kaizen.devices.views import bp as devices_bp
    from kaizen.formatting import install as install_formatting
    from kaizen.i18n import install as install_languages
    from kaizen.imports.views import bp as imports_bp
    from kaizen.improvements.views import bp as improvements_bp
    from kaizen.learning.views import bp as learning_bp
    from kaizen.main.views import bp as main_bp
    from kaizen.observations.views import bp as observations_bp
    from kaizen.reports.views import bp as reports_bp
    from kaizen.root_causes.views import bp as root_causes_bp
    from kaizen.services.audit import install_audit_hook
    from kaizen.settings.views import bp as settings_bp
    from kaizen.settings.views import register_plant_time
    from kaizen.teams.views import bp as teams_bp
    from kaizen.web import register_web_helpers
    from kaizen.webhooks.views import bp as webhooks_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(board_bp)
    app.register_blueprint(observations_bp)
    app.register_blueprint(improvements_bp)
    app.register_blueprint(teams_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(root_causes_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(admin_bp)
    install_audit_hook()
    app.register_blueprint(devices_bp)
    install_kiosk_mode(app)
    install_languages(app)
    install_formatting(app)
    app.register_blueprint(settings_bp)
    register_plant_time(app)
    app.register_blueprint(imports_bp)
    app.register_blueprint(webhooks_bp)
    install_api(app)
    register_web_helpers(app)
    register_commands(app)

    if app.config.get("AUTO_MIGRATE"):
        try:
            apply_migrations(app)
        except OperationalError:
            # A database that cannot be reached must not stop the app from starting: it
            # answers /healthz with 503 until the database is back (then `kaizen db
            # upgrade` applies what is pending).
            app.logger.warning("Database unreachable: pending migrations not applied")
    return app


def trust_proxies(app: Flask, count: int) -> None:
    """Believe the X-Forwarded-For/-Proto/-Host/-Port/-Prefix headers of `count` proxies, so
    URLs, secure cookies and client addresses are the ones the person's browser used."""
    if count > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count, x_prefix=count
        )


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Enforce foreign keys and use WAL so readers never wait for the writer on SQLite."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def apply_migrations(app: Flask) -> None:
    """Bring the database up to the newest migration, once even when workers start together."""
    from flask_migrate import upgrade

    lock_path = Path(app.instance_path) / "migrate.lock"
    with open(lock_path, "w") as lock, app.app_context():
        # Several gunicorn workers may start at once; the lock makes them take turns,
        # and Alembic makes every turn after the first a no-op.
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            upgrade(directory=str(MIGRATIONS_DIR))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)

"""Command line: `kaizen serve`, `kaizen demo-data`, `kaizen create-user`, `kaizen reports
warm`, `kaizen webhooks run`, `kaizen backup`, `kaizen restore` and `kaizen db ...`.

`kaizen` is a Flask command group bound to `create_app`, so every `flask --app kaizen`
command (including Flask-Migrate's `db upgrade`) also works as `kaizen ...`.
"""

from __future__ import annotations

import os
import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from kaizen.extensions import db
from kaizen.models import Area, Role, Team, User

DEMO_ADMIN = "admin"


def _create_app_for_cli() -> Flask:
    from kaizen import create_app

    return create_app()


main = FlaskGroup(
    create_app=_create_app_for_cli,
    add_version_option=False,
    help="Kaizen: a continuous-improvement tracker for the shop floor.",
)
main = click.version_option(package_name="kaizen", prog_name="kaizen")(main)


def register_commands(app: Flask) -> None:
    """Attach Kaizen's commands to the app's CLI (used by both `kaizen` and `flask`)."""
    app.cli.add_command(serve_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(create_user_command)
    app.cli.add_command(doctor_command)
    app.cli.add_command(bench_data_command)
    app.cli.add_command(bench_command)
    app.cli.add_command(reports_group)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(import_command)
    app.cli.add_command(webhooks_group)


def database_is_empty() -> bool:
    """True when no team, area, account or observation exists yet (a new database)."""
    from kaizen.models import Observation

    return not any(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Team, Area, User, Observation)
    )


@click.command("demo-data")
@click.option(
    "--force",
    is_flag=True,
    help="Add the demo plant to a database that has other data (its names must be free).",
)
@click.option("--if-empty", is_flag=True, help="Quietly do nothing if the database has data.")
@click.option("--seed", default=7, show_default=True, help="Seed for the deterministic plant.")
@with_appcontext
def demo_data_command(force: bool, if_empty: bool, seed: int) -> None:
    """Load a realistic demo plant: 3 teams, 12 areas, 6 months of observations and cards."""
    from kaizen.demo import DEMO_PASSWORD, DemoPlantError, load_demo_plant
    from kaizen.models import utcnow

    if not database_is_empty() and not force:
        if if_empty:
            click.echo("The database already has data; demo data not loaded.")
            return
        raise click.ClickException(
            "The database already has data. Use --force to add the demo plant anyway."
        )
    try:
        summary = load_demo_plant(db.session, now=utcnow(), seed=seed)
    except DemoPlantError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(summary.describe())
    click.echo(f"Sign in as {DEMO_ADMIN!r} with password {DEMO_PASSWORD!r} (change it!).")


@click.command("doctor")
@with_appcontext
def doctor_command() -> None:
    """Check this deployment: database, migrations, secret key, HTTPS, proxies, disk."""
    from kaizen.doctor import PROBLEM, check_deployment, report

    findings = check_deployment(current_app)
    click.echo(report(findings))
    if any(finding.level == PROBLEM for finding in findings):
        raise SystemExit(1)


def _plant_zone() -> AbstractContextManager[object]:
    """The plant's time zone in force for a command, read fresh from the database."""
    from kaizen.services.plant_time import use_zone

    return use_zone(current_app.extensions["plant_zone"].zone(db.engine, fresh=True))


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["observations", "cards"]),
    help="What the rows are (read from the headings when left out).",
)
@click.option(
    "--dry-run", is_flag=True, help="Check every row and show the mapping; write nothing."
)
@with_appcontext
def import_command(path: str, kind: str | None, dry_run: bool) -> None:
    """Import observations or improvement cards from a CSV or XLSX file, all rows or none."""
    from kaizen.services.imports import ImportFileError, import_rows, read_table

    with open(path, "rb") as file:
        data = file.read()
    try:
        # Times without a zone in their heading are the plant's, as on the import page.
        with _plant_zone():
            preview = import_rows(db.session, read_table(path, data), dry_run=dry_run, kind=kind)
    except ImportFileError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{preview.rows} rows of {preview.kind}. Columns:")
    for heading, name in preview.mapping:
        click.echo(f"  {heading} -> {name.replace('_', ' ') if name else '(ignored)'}")
    for label, names in (("New teams", preview.new_teams), ("New areas", preview.new_areas)):
        if names:
            click.echo(f"{label}: {', '.join(names)}")
    if preview.errors:
        for line, reason in preview.errors:
            click.echo(f"Row {line}: {reason}", err=True)
        raise click.ClickException(f"Nothing imported: {len(preview.errors)} rows need fixing.")
    if dry_run:
        click.echo(f"Dry run: all {preview.rows} rows can be imported; nothing written.")
    else:
        click.echo(f"Imported {preview.imported} {preview.kind}.")


@click.command("bench-data")
@click.option(
    "--preset",
    type=click.Choice(["team500", "history10x", "plant", "tiny"]),
    required=True,
    help="team500: one team, 500 open + 1,500 finished cards, 30,000 observations; "
    "history10x: the same + 13,500 older finished cards; plant: 20 teams x 250 open cards.",
)
@click.option("--seed", default=11, show_default=True, help="Seed for the deterministic plant.")
@with_appcontext
def bench_data_command(preset: str, seed: int) -> None:
    """Write a synthetic plant for benchmarks into an empty database."""
    from kaizen.bench.data import BenchDataError, write_bench_data
    from kaizen.models import utcnow

    try:
        summary = write_bench_data(db.session, preset, utcnow(), seed)
    except BenchDataError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    click.echo(summary.describe())


@click.command("bench")
@click.option("--quick", is_flag=True, help="Tiny data and short runs: proves the harness works.")
@click.option(
    "--database",
    "database_url",
    help="A scratch database to use (it is EMPTIED for each preset); default: a temporary SQLite.",
)
@click.option("--seed", default=11, show_default=True, help="Seed for the synthetic plant.")
def bench_command(quick: bool, database_url: str | None, seed: int) -> None:
    """Serve Kaizen and a hello world with gunicorn and print the figures of issue 11."""
    from kaizen.bench.run import run_bench, table

    figures = run_bench(database_url, quick, seed, lambda line: click.echo(line, err=True))
    click.echo(table(figures))


@click.group("reports")
def reports_group() -> None:
    """The monthly reports."""


@reports_group.command("warm")
@click.option(
    "--month",
    "month_code",
    help="The month to build (YYYY-MM); default: this month and the one before it.",
)
@with_appcontext
def reports_warm_command(month_code: str | None) -> None:
    """Build the plant-wide monthly report ahead of time (a nightly job), so that the first
    person to open it gets it at once; an unchanged report is not built again."""
    from kaizen.models import utcnow
    from kaizen.reports.views import cache_settings, render_report_body
    from kaizen.services.months import Month
    from kaizen.services.report_cache import warm

    # Months are the plant's months, as on the page.
    with _plant_zone():
        now = utcnow()
        months = [Month.of(now).previous, Month.of(now)]
        if month_code is not None:
            month = Month.parse(month_code)
            if month is None:
                raise click.BadParameter("use YYYY-MM, for example 2026-03", param_hint="--month")
            months = [month]
        # The page's links are made as in a request to the app's root.
        with current_app.test_request_context():
            for month, build in zip(
                months,
                warm(db.session, months, now, render_report_body, cache_settings()),
                strict=True,
            ):
                click.echo(f"{month.label}: built {build.built_at:%Y-%m-%d %H:%M} UTC")


@click.group("webhooks")
def webhooks_group() -> None:
    """Webhook deliveries."""


@webhooks_group.command("run")
@click.option("--once", is_flag=True, help="Send what is due now, then stop (for a timer).")
@click.option(
    "--interval",
    type=click.FloatRange(0.1, 3600),
    default=5.0,
    show_default=True,
    help="Seconds to wait when nothing is due.",
)
@with_appcontext
def webhooks_run_command(once: bool, interval: float) -> None:
    """Send webhook deliveries as they fall due, retrying failed ones with backoff. Run it
    on any host, as many at once as you like: they share the queue in the database."""
    import time

    from kaizen import version
    from kaizen.services.webhook_delivery import deliver_due, prune

    agent = f"Kaizen-Webhooks/{version()}"
    pruned_at = 0.0
    try:
        while True:
            if time.monotonic() - pruned_at > 3600:
                prune(db.session)
                pruned_at = time.monotonic()
            done = deliver_due(db.session, agent)
            if done.sent:
                click.echo(
                    f"sent {done.sent}: {done.delivered} delivered, "
                    f"{done.sent - done.delivered} not ({done.failed} given up)"
                )
            if once and done.sent == 0:
                return
            if done.sent == 0:
                time.sleep(interval)
    except KeyboardInterrupt:
        click.echo("stopped")


@click.command("create-user")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice([r.value for r in Role]),
    default=Role.MEMBER.value,
    show_default=True,
)
@click.option("--name", "display_name", help="The name people see.")
@click.option("--team", "team_slug", help="Slug of the person's team.")
@click.option("--area", "area_slug", help="Slug of the area (required for a kiosk).")
@click.option("--plant-wide", is_flag=True, help="Acts on every team's cards, not only its own.")
@click.password_option(help="Prompted for when not given.")
@with_appcontext
def create_user_command(
    username: str,
    role: str,
    display_name: str | None,
    team_slug: str | None,
    area_slug: str | None,
    plant_wide: bool,
    password: str,
) -> None:
    """Create an account (viewer, member, lead, admin, or a kiosk bound to an area)."""
    from kaizen.services.accounts import AccountError, create_user

    team = _find_by_slug(Team, team_slug)
    area = _find_by_slug(Area, area_slug)
    try:
        user = create_user(
            db.session,
            username,
            password,
            role=Role(role),
            display_name=display_name,
            team=team,
            area=area,
            plant_wide=plant_wide,
        )
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.role.value} account {user.username!r}.")


def _find_by_slug(model: Any, slug: str | None) -> Any:
    if slug is None:
        return None
    found = db.session.scalar(select(model).where(model.slug == slug))
    if found is None:
        raise click.ClickException(f"No {model.__tablename__} with slug {slug!r}.")
    return found


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, help="Port (default: $PORT or 8000).")
@click.option("--workers", type=int, default=2, show_default=True, help="gunicorn workers.")
@click.option("--threads", type=int, default=4, show_default=True, help="Threads per worker.")
@with_appcontext
def serve_command(host: str, port: int | None, workers: int, threads: int) -> None:
    """Serve Kaizen with gunicorn (migrations are applied once, before the workers start)."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.http import wsgi as gunicorn_wsgi

    port = port or current_app.config.get("PORT") or int(os.environ.get("PORT", "8000"))
    _print_welcome(host, port)

    class KaizenServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 60)

        def load(self) -> Flask:
            from kaizen import create_app

            # This command's own app already applied pending migrations before the
            # workers started; the workers need not each ask Alembic again.
            return create_app({"AUTO_MIGRATE": False})

    # gunicorn names itself in a Server header of every answer, and has no setting to stop
    # it: it takes the name from this module value, read for each answer.
    gunicorn_wsgi.SERVER = "Kaizen"
    KaizenServer().run()


def _print_welcome(host: str, port: int) -> None:
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    click.echo(f"\n  Kaizen is running at http://{shown_host}:{port}\n")
    from kaizen.demo import DEMO_PASSWORD

    # The server starts whether or not the database answers: /healthz says 503 until it
    # does (a load balancer then sends no one here), and 200 once it is back.
    try:
        admin = db.session.scalar(select(User).where(User.username == DEMO_ADMIN))
    except SQLAlchemyError as error:
        db.session.rollback()
        click.echo(f"  The database is not answering yet ({type(error).__name__}).")
        click.echo("  Kaizen answers /healthz with 503 until it does, then 200.\n")
        return
    if admin is not None and admin.check_password(DEMO_PASSWORD):
        click.echo(f"  Demo sign-in: {DEMO_ADMIN} / {DEMO_PASSWORD}\n")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent copy of the whole plant (photos included) to PATH, while the app
    keeps serving; `kaizen restore PATH` loads it into an empty database."""
    from kaizen.services.backup import BackupError, write_backup

    try:
        summary = write_backup(db.engine, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backup written to {summary.path}: {summary.describe()}.")


@click.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path) -> None:
    """Load the backup at PATH into this database, which must be empty (run `kaizen db
    upgrade` first); a database holding data is refused."""
    from kaizen.services.backup import BackupError, restore_backup

    try:
        summary = restore_backup(db.engine, path)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Restored {summary.path}: {summary.describe()}.")


def downgrade_reaches_base(revision: str) -> bool:
    """Whether `kaizen db downgrade REVISION` would go below the first revision."""
    from alembic.script import ScriptDirectory
    from flask_migrate import Migrate

    from kaizen.services.backup import schema_revision

    if revision == "base":
        return True
    match = re.fullmatch(r"-(\d+)", revision.strip())
    if match is None:
        return False
    migrate: Migrate = current_app.extensions["migrate"]
    script = ScriptDirectory.from_config(migrate.migrate.get_config())
    with db.engine.connect() as connection:
        current = schema_revision(connection)
    steps = int(match[1])
    while current is not None and steps > 0:
        found = script.get_revision(current)
        down = found.down_revision if found is not None else None
        current = down if isinstance(down, str) or down is None else down[0]
        steps -= 1
    return current is None


def _guard_downgrade() -> None:
    """Give Flask-Migrate's `db downgrade` a `--force` flag and refuse, without it, to go
    below the first revision (which drops every table) on a database holding data."""
    from flask_migrate.cli import db as migrate_group

    original = migrate_group.commands.get("downgrade")
    if original is None or getattr(original, "kaizen_guarded", False):
        return

    @click.pass_context
    def guarded(ctx: click.Context, force: bool, **options: Any) -> None:
        if not force and not options.get("sql") and downgrade_reaches_base(options["revision"]):
            from kaizen.services.backup import rows_in

            with db.engine.connect() as connection:
                held = {name: count for name, count in rows_in(connection).items() if count}
            if held:
                listed = ", ".join(f"{name} ({count} rows)" for name, count in held.items())
                raise click.ClickException(
                    "Downgrading to base drops every table, and this database holds data: "
                    f"{listed}. Take a backup first (`kaizen backup PATH`), then run the "
                    "downgrade again with --force if you really mean it."
                )
        assert original is not None and original.callback is not None
        ctx.invoke(original.callback, **options)

    command = click.Command(
        "downgrade",
        callback=with_appcontext(guarded),
        params=[
            *original.params,
            click.Option(
                ["--force"],
                is_flag=True,
                help="Downgrade to base even though the database holds data (drops it all).",
            ),
        ],
        help=(original.help or "Revert to a previous version")
        + ". Below the first revision (base) a database holding data is refused unless "
        "--force is given.",
    )
    command.kaizen_guarded = True  # type: ignore[attr-defined]
    migrate_group.add_command(command)


_guard_downgrade()

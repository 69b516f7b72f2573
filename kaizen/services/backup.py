"""`kaizen backup` and `kaizen restore`: a consistent copy of the whole plant in one file.

The archive is a ZIP file: `manifest.json` (format, schema revision, when, row counts) and
one JSON-lines file per table, every row of every table read inside ONE transaction, so the
copy is the plant at one moment even while the app keeps serving and writing:

- PostgreSQL: a REPEATABLE READ, READ ONLY transaction (one snapshot for every table);
- SQLite: one read transaction on the WAL database (a snapshot; writers carry on).

Photos are stored in the `observation` table (kaizen/services/photos.py), so they are in
the archive with their observations. The report cache (`report_build`, `report_part`,
`report_lock`, `report_version`) is left out: it is rebuilt on demand. So is the full-text
index (kaizen/models/search.py): only the tables and columns of the models are read and
written, never the FTS5 tables (and their shadow tables) or PostgreSQL's generated
`search_vector` column, and the database's own triggers and generated column index every
row as the restore inserts it, so a restored plant can be searched at once.

The same archive restores into either database (SQLite to PostgreSQL and back), which is
why it is used on PostgreSQL too rather than a `pg_dump` file: a restore goes into an
empty database that `kaizen db upgrade` has already built, row by row, in one transaction.
"""

from __future__ import annotations

import base64
import json
import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum as PyEnum
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Enum,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    func,
    insert,
    inspect,
    select,
    text,
)

from kaizen.extensions import db

FORMAT = "kaizen-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# Derived and rebuilt on demand; never backed up, and not "data" when a restore checks
# that the database is empty (the schema itself seeds `report_version`).
SKIPPED_TABLES = frozenset({"report_build", "report_part", "report_lock", "report_version"})
BATCH = 500


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why, in plain words."""


@dataclass(frozen=True)
class Summary:
    """What a backup wrote or a restore loaded."""

    path: Path
    revision: str | None
    rows: dict[str, int]

    def describe(self) -> str:
        """One line per table with rows, then the total."""
        total = sum(self.rows.values())
        counts = ", ".join(f"{name} {count}" for name, count in self.rows.items() if count)
        return f"{total} rows ({counts or 'no data'})"


def data_tables() -> list[Table]:
    """The tables a backup holds, parents before children."""
    return [table for table in db.metadata.sorted_tables if table.name not in SKIPPED_TABLES]


def schema_revision(connection: Connection) -> str | None:
    """The database's Alembic revision (None when it was built without migrations)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _encode(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, PyEnum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decoder(column_type: Any) -> Any:
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat
    if isinstance(column_type, Date):
        return date.fromisoformat
    if isinstance(column_type, LargeBinary):
        return base64.b64decode
    if isinstance(column_type, Enum) and column_type.enum_class is not None:
        return column_type.enum_class
    if isinstance(column_type, Numeric):
        return Decimal
    if isinstance(column_type, Boolean | JSON):
        return None  # JSON holds them as they are
    return None


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A connection whose reads all see the database at one moment."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            with connection.begin():
                yield connection
        return
    with engine.connect() as connection:
        # pysqlite opens no transaction for a SELECT by itself: begin one, so every
        # table is read from the same WAL snapshot.
        connection.exec_driver_sql("BEGIN")
        try:
            yield connection
        finally:
            connection.rollback()


def write_backup(engine: Engine, path: Path) -> Summary:
    """Write the whole plant (photos included) to `path` as of one moment."""
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a folder; give the name of the file to write.")
    if not path.parent.exists():
        raise BackupError(f"The folder {path.parent} does not exist.")
    partial = path.with_name(path.name + ".partial")
    rows: dict[str, int] = {}
    try:
        with (
            snapshot(engine) as connection,
            zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            revision = schema_revision(connection)
            taken_at = datetime.now().astimezone().isoformat(timespec="seconds")
            for table in data_tables():
                count = 0
                with archive.open(f"{table.name}.jsonl", "w") as handle:
                    order = list(table.primary_key.columns) or list(table.columns)
                    result = connection.execution_options(yield_per=BATCH).execute(
                        select(table).order_by(*order)
                    )
                    for row in result.mappings():
                        line = {key: _encode(value) for key, value in row.items()}
                        handle.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
                        count += 1
                rows[table.name] = count
            manifest = {
                "format": FORMAT,
                "version": FORMAT_VERSION,
                "revision": revision,
                "taken_at": taken_at,
                "database": engine.dialect.name,
                "rows": rows,
            }
            archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Could not write {path}: {error.strerror or error}.") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return Summary(path, revision, rows)


def rows_in(connection: Connection) -> dict[str, int]:
    """How many rows each data table holds (tables the schema lacks yet are left out)."""
    present = set(inspect(connection).get_table_names())
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in data_tables()
        if table.name in present
    }


def _read_manifest(archive: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError) as error:
        raise BackupError(f"{path} is not a Kaizen backup (it has no manifest).") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Kaizen backup.")
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            f"{path} is a backup of format {manifest.get('version')!r}; "
            f"this version of Kaizen reads format {FORMAT_VERSION}."
        )
    return manifest


def restore_backup(engine: Engine, path: Path) -> Summary:
    """Load the backup at `path` into this (migrated, empty) database, in one transaction."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"There is no backup file at {path}.")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise BackupError(f"{path} is not a Kaizen backup (not a readable archive).") from error
    with archive:
        manifest = _read_manifest(archive, path)
        tables = {table.name: table for table in data_tables()}
        unknown = sorted(set(manifest.get("rows", {})) - set(tables))
        if unknown:
            raise BackupError(
                "The backup holds tables this version of Kaizen does not know "
                f"({', '.join(unknown)}); restore it with the version that wrote it."
            )
        loaded: dict[str, int] = {}
        with engine.begin() as connection:
            revision = schema_revision(connection)
            wanted = manifest.get("revision")
            if wanted and revision and wanted != revision:
                raise BackupError(
                    f"The backup was taken at schema revision {wanted}, but this database is at "
                    f"{revision}. Restore into a database migrated to {wanted} "
                    "(`kaizen db upgrade <revision>`), then upgrade it."
                )
            holding = {name: count for name, count in rows_in(connection).items() if count}
            if holding:
                listed = ", ".join(f"{name} ({count} rows)" for name, count in holding.items())
                raise BackupError(
                    "This database is not empty, so nothing was restored (a restore never "
                    f"mixes two plants). It holds: {listed}. Restore into a new, empty "
                    "database after `kaizen db upgrade`."
                )
            for name, table in tables.items():
                loaded[name] = _load_table(connection, archive, table)
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection)
    return Summary(path, manifest.get("revision"), loaded)


def _load_table(connection: Connection, archive: zipfile.ZipFile, table: Table) -> int:
    member = f"{table.name}.jsonl"
    if member not in archive.namelist():
        return 0
    decoders = {column.name: _decoder(column.type) for column in table.columns}
    count = 0
    batch: list[dict[str, Any]] = []
    with archive.open(member) as handle:
        for line in handle:
            raw = json.loads(line)
            row = {}
            for key, value in raw.items():
                if key not in decoders:
                    raise BackupError(
                        f"The backup's {table.name} has a column {key!r} unknown here."
                    )
                decode = decoders[key]
                row[key] = decode(value) if decode is not None and value is not None else value
            batch.append(row)
            if len(batch) >= BATCH:
                connection.execute(insert(table), batch)
                count += len(batch)
                batch = []
    if batch:
        connection.execute(insert(table), batch)
        count += len(batch)
    return count


def _reset_sequences(connection: Connection) -> None:
    """Point each id sequence past the restored ids, so the next row gets a fresh one."""
    for table in data_tables():
        for column in table.primary_key.columns:
            if not column.autoincrement or not isinstance(column.type, Integer):
                continue
            sequence = connection.execute(
                text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": table.name, "column": column.name},
            ).scalar()
            if sequence:
                connection.execute(
                    text(
                        f'SELECT setval(:sequence, COALESCE((SELECT MAX("{column.name}") '
                        f'FROM "{table.name}"), 0) + 1, false)'
                    ),
                    {"sequence": sequence},
                )

"""`kaizen serve` starts while its database is down, answers /healthz 503, then 200 once the
database is back, in the same process (a real gunicorn server, a real database)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.conftest import POSTGRES_URL

KAIZEN = str(Path(sys.executable).parent / "kaizen")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER_HEADERS: list[str | None] = []


def _get(url: str) -> tuple[int, str]:
    """Status and body of a GET; (0, reason) when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            SERVER_HEADERS.append(response.headers.get("Server"))
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError as error:
        return 0, str(error)


def _wait_for(url: str, status: int, seconds: float) -> tuple[int, str]:
    deadline = time.monotonic() + seconds
    answer = _get(url)
    while answer[0] != status and time.monotonic() < deadline:
        time.sleep(0.3)
        answer = _get(url)
    return answer


class MissingDatabase:
    """A database that does not exist yet: a PostgreSQL database not yet created, or a
    SQLite file in a folder not yet made. `bring_up` creates it (empty)."""

    def __init__(self, tmp_path: Path) -> None:
        if POSTGRES_URL:
            base = make_url(POSTGRES_URL)
            self.name = f"{base.database}_serve_{os.getpid()}"
            self.url = base.set(database=self.name).render_as_string(hide_password=False)
            self._admin = create_engine(base, isolation_level="AUTOCOMMIT")
            self._drop()
        else:
            self.folder = tmp_path / "not-yet"
            self.url = f"sqlite:///{self.folder / 'kaizen.db'}"

    def bring_up(self) -> None:
        if POSTGRES_URL:
            with self._admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        else:
            self.folder.mkdir()

    def _drop(self) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))

    def remove(self) -> None:
        if POSTGRES_URL:
            self._drop()
            self._admin.dispose()


@pytest.fixture
def missing_database(tmp_path: Path) -> Iterator[MissingDatabase]:
    database = MissingDatabase(tmp_path)
    try:
        yield database
    finally:
        database.remove()


def test_serve_answers_503_while_the_database_is_down_and_200_once_it_is_back(
    missing_database: MissingDatabase, tmp_path: Path
) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": missing_database.url,
        "KAIZEN_INSTANCE_PATH": str(tmp_path / "instance"),
        "KAIZEN_AUTO_MIGRATE": "0",
        "SECRET_KEY": "serve-test-secret",
    }
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [KAIZEN, "serve", "--port", str(port), "--workers", "1", "--threads", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for(f"{base}/livez", 200, 60) == (200, "alive"), log_text(log)
        status, body = _get(f"{base}/healthz")
        assert status == 503
        assert "database unavailable" in body

        missing_database.bring_up()
        subprocess.run([KAIZEN, "db", "upgrade"], env=env, check=True, capture_output=True)

        assert _wait_for(f"{base}/healthz", 200, 30) == (200, "ok")
        assert server.poll() is None  # the same server, never restarted
        assert "The database is not answering yet" in log_text(log)
        assert set(SERVER_HEADERS) == {"Kaizen"}  # no server software, no version
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def log_text(log: IO[str]) -> str:
    """What the server printed so far."""
    log.flush()
    log.seek(0)
    return log.read()

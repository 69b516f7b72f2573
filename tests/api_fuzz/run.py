"""Schemathesis against the live OpenAPI document, with a bounded budget (a step of .ci/run).

Serves Kaizen with gunicorn on 127.0.0.1 over a fresh database holding the demo plant,
makes a plant-wide read-and-write token for the demo administrator, and runs schemathesis
over every operation of /api/v1/openapi.json: no answer may be a server error, and every
answer must match its own schema, status codes and content type. NUL bytes are generated
too (PostgreSQL cannot store them: the API must refuse them with a 4xx).

    python tests/api_fuzz/run.py                         # SQLite in a scratch folder
    python tests/api_fuzz/run.py --database postgresql+psycopg://postgres@127.0.0.1/scratch
    python tests/api_fuzz/run.py --examples 10           # a quicker pass
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BIN = Path(sys.executable).parent
CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    )
)


def free_port() -> int:
    """A port nobody listens on, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_token(env: dict[str, str]) -> str:
    """Load the demo plant and print a read-and-write token of its administrator."""
    script = (
        "from kaizen import create_app\n"
        "from kaizen.extensions import db\n"
        "from kaizen.models import TokenScope, User\n"
        "from kaizen.services.api_tokens import create_token\n"
        "from sqlalchemy import select\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    admin = db.session.scalar(select(User).where(User.username == 'admin'))\n"
        "    _, secret = create_token(db.session, admin, name='fuzz', owner=admin,\n"
        "                             scope=TokenScope.READ_WRITE)\n"
        "    print(secret)\n"
    )
    subprocess.run([str(BIN / "kaizen"), "db", "upgrade"], env=env, check=True)
    subprocess.run([str(BIN / "kaizen"), "demo-data"], env=env, check=True)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, check=True, capture_output=True, text=True
    )
    return done.stdout.strip().splitlines()[-1]


def wait_until_up(base: str, seconds: float = 60) -> None:
    """Wait for /livez to answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/livez", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("The server did not start")


def main() -> int:
    """Serve, fuzz, stop; the exit code is schemathesis'."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="", help="an empty database's URL; SQLite if none")
    parser.add_argument("--examples", type=int, default=25, help="cases per operation")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="kaizen-fuzz-"))
    port = free_port()
    env = {
        **os.environ,
        "KAIZEN_INSTANCE_PATH": str(scratch),
        "DATABASE_URL": args.database or f"sqlite:///{scratch / 'kaizen.db'}",
        "KAIZEN_AUTO_MIGRATE": "0",
        "KAIZEN_API_RATE_PER_MINUTE": "100000",
    }
    token = make_token(env)
    server = subprocess.Popen(
        [str(BIN / "kaizen"), "serve", "--port", str(port), "--workers", "2"], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        command = [
            str(BIN / "schemathesis"), "run", f"{base}/api/v1/openapi.json",
            "--header", f"Authorization: Bearer {token}",
            "--checks", CHECKS,
            "--max-examples", str(args.examples),
            "--generation-allow-x00", "true",
            "--request-timeout", "30",
            "--seed", "7",
            "--suppress-health-check", "all",
        ]  # fmt: skip
        return subprocess.run(command, env=env, timeout=1200).returncode
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
